// Package localstack runs the local AWS stack the tests and the demo use: a
// moto server (S3, SQS, SNS on one port) started as a child process on a free
// loopback port. It never talks to real AWS.
package localstack

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// Region is the region every local client uses.
const Region = "us-east-1"

// Moto is a running moto server.
type Moto struct {
	URL string // e.g. http://127.0.0.1:41234
	cmd *exec.Cmd
	out *lockedBuffer
}

// Command finds the moto server: $MOTO_SERVER, moto_server on PATH, the
// project's .venv, or python3 -m moto.server.
func Command() ([]string, error) {
	if p := os.Getenv("MOTO_SERVER"); p != "" {
		return strings.Fields(p), nil
	}
	if p, err := exec.LookPath("moto_server"); err == nil {
		return []string{p}, nil
	}
	for dir := "."; ; dir = filepath.Join(dir, "..") {
		abs, _ := filepath.Abs(dir)
		p := filepath.Join(abs, ".venv", "bin", "moto_server")
		if _, err := os.Stat(p); err == nil {
			return []string{p}, nil
		}
		if _, err := os.Stat(filepath.Join(abs, "go.mod")); err == nil || abs == "/" {
			break
		}
	}
	if py, err := exec.LookPath("python3"); err == nil {
		if exec.Command(py, "-c", "import moto.server").Run() == nil {
			return []string{py, "-m", "moto.server"}, nil
		}
	}
	return nil, errors.New(`moto server not found: install it with 'pip install "moto[server]"' (make moto does) or set MOTO_SERVER`)
}

var runningOn = regexp.MustCompile(`Running on (http://[0-9.]+:[0-9]+)`)

// Start launches moto on a free port and waits until it answers.
func Start(ctx context.Context) (*Moto, error) {
	argv, err := Command()
	if err != nil {
		return nil, err
	}
	argv = append(argv, "-H", "127.0.0.1", "-p", "0")
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stdout = io.Discard
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start moto (%s): %w", strings.Join(argv, " "), err)
	}
	m := &Moto{cmd: cmd, out: &lockedBuffer{}}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sent := false
		for sc.Scan() {
			line := sc.Text()
			m.out.WriteLine(line)
			if sub := runningOn.FindStringSubmatch(line); sub != nil && !sent {
				found <- sub[1]
				sent = true
			}
		}
		if !sent {
			close(found)
		}
	}()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	select {
	case url, ok := <-found:
		if !ok {
			m.Stop()
			return nil, fmt.Errorf("moto exited before listening: %s", m.out.Tail())
		}
		m.URL = url
	case <-ctx.Done():
		m.Stop()
		return nil, fmt.Errorf("moto did not start: %w: %s", ctx.Err(), m.out.Tail())
	}
	for {
		if resp, err := http.Get(m.URL + "/moto-api/data.json"); err == nil {
			resp.Body.Close()
			return m, nil
		}
		if !sleep(ctx, 50*time.Millisecond) {
			m.Stop()
			return nil, fmt.Errorf("moto at %s did not answer: %w", m.URL, ctx.Err())
		}
	}
}

// Reset clears all of moto's state.
func (m *Moto) Reset() error {
	resp, err := http.Post(m.URL+"/moto-api/reset", "application/json", nil)
	if err != nil {
		return fmt.Errorf("reset moto: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("reset moto: HTTP %d", resp.StatusCode)
	}
	return nil
}

// Stop kills moto and its children.
func (m *Moto) Stop() {
	if m.cmd.Process != nil {
		_ = syscall.Kill(-m.cmd.Process.Pid, syscall.SIGKILL)
		_ = m.cmd.Wait()
	}
}

// AWSConfig is an SDK configuration for this moto: fixed test credentials,
// Region, and every service's endpoint at moto.
func (m *Moto) AWSConfig() aws.Config {
	return aws.Config{
		Region:       Region,
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(m.URL),
	}
}

// Env is the environment a child process needs to use this moto.
func (m *Moto) Env() []string {
	return []string{
		"AWS_ENDPOINT_URL=" + m.URL,
		"AWS_ACCESS_KEY_ID=test",
		"AWS_SECRET_ACCESS_KEY=test",
		"AWS_REGION=" + Region,
		"S3_FORCE_PATH_STYLE=true",
	}
}

func sleep(ctx context.Context, d time.Duration) bool {
	select {
	case <-time.After(d):
		return true
	case <-ctx.Done():
		return false
	}
}

type lockedBuffer struct {
	mu    sync.Mutex
	lines []string
}

func (b *lockedBuffer) WriteLine(s string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.lines = append(b.lines, s)
	if len(b.lines) > 50 {
		b.lines = b.lines[len(b.lines)-50:]
	}
}

func (b *lockedBuffer) Tail() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Join(b.lines, "\n")
}
