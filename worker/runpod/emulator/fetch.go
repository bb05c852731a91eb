package emulator

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/summarizer/summarizer/worker/transcript"
)

// fetchTranscript downloads and decodes a URL input, at most MaxBodyBytes.
func fetchTranscript(ctx context.Context, rawURL string) (string, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("download input: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("download input: HTTP %d", resp.StatusCode)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxBodyBytes+1))
	if err != nil {
		return "", fmt.Errorf("download input: %w", err)
	}
	u, _ := url.Parse(rawURL)
	text, _, err := transcript.Decode(data, u.Path, resp.Header.Get("Content-Encoding"), MaxBodyBytes)
	return text, err
}
