package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// seedPollDefault is the seed design's fixed /status interval.
const seedPollDefault = 3 * time.Second

// seed is the design this project replaced, as a baseline under the same
// arrivals: a Lambda per S3 event. Each of C goroutines loops: receive one
// message (long poll 20 s, the queue's visibility timeout), GET the object,
// POST /run, sleep 3 s and GET /status until the job is done, PUT the
// summary, delete the message. No batching, no job journal, no summary
// check, no visibility extension; a failure leaves the message to come back
// after its visibility timeout. It runs in the bench process, against the
// same counting proxy and emulator as the worker.
type seed struct {
	sqs      *sqs.Client
	s3       *s3.Client
	http     *http.Client
	queueURL string
	endpoint string
	poll     time.Duration

	inflight atomic.Int64
	errs     atomic.Int64
	mu       sync.Mutex
	firstErr error

	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// startSeed starts c consumer goroutines; aws is the SDK configuration of
// the proxy in front of moto.
func startSeed(cfg aws.Config, queueURL, endpoint string, c int, poll time.Duration) *seed {
	s := &seed{
		sqs:      sqs.NewFromConfig(cfg),
		s3:       s3Client(cfg),
		http:     &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: c + 8, IdleConnTimeout: 90 * time.Second}, Timeout: 30 * time.Second},
		queueURL: queueURL,
		endpoint: strings.TrimSuffix(endpoint, "/"),
		poll:     poll,
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	for range c {
		s.wg.Go(func() { s.loop(ctx) })
	}
	return s
}

// stop cancels every goroutine (work in progress is abandoned, its message
// comes back after the visibility timeout) and waits for them.
func (s *seed) stop() {
	s.cancel()
	s.wg.Wait()
}

func (s *seed) loop(ctx context.Context) {
	for ctx.Err() == nil {
		out, err := s.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(s.queueURL), MaxNumberOfMessages: 1, WaitTimeSeconds: 20,
		})
		if err != nil {
			if ctx.Err() == nil {
				s.fail(fmt.Errorf("receive: %w", err))
				sleepCtx(ctx, time.Second)
			}
			continue
		}
		for _, m := range out.Messages {
			s.inflight.Add(1)
			err := s.handle(ctx, m)
			s.inflight.Add(-1)
			if err != nil && ctx.Err() == nil {
				s.fail(err)
			}
		}
	}
}

func (s *seed) fail(err error) {
	s.errs.Add(1)
	s.mu.Lock()
	if s.firstErr == nil {
		s.firstErr = err
	}
	s.mu.Unlock()
}

// failures returns how many attempts failed and the first failure.
func (s *seed) failures() (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return int(s.errs.Load()), s.firstErr
}

// handle does one message: every ObjectCreated record of its S3 event,
// then the delete. Anything else (s3:TestEvent) is deleted as is.
func (s *seed) handle(ctx context.Context, m sqstypes.Message) error {
	var ev struct {
		Records []struct {
			EventName string `json:"eventName"`
			S3        struct {
				Bucket struct {
					Name string `json:"name"`
				} `json:"bucket"`
				Object struct {
					Key string `json:"key"`
				} `json:"object"`
			} `json:"s3"`
		} `json:"Records"`
	}
	if err := json.Unmarshal([]byte(aws.ToString(m.Body)), &ev); err != nil {
		return fmt.Errorf("message %s: %w", aws.ToString(m.MessageId), err)
	}
	for _, r := range ev.Records {
		if !strings.HasPrefix(r.EventName, "ObjectCreated:") {
			continue
		}
		key, err := url.QueryUnescape(r.S3.Object.Key)
		if err != nil {
			return err
		}
		if err := s.summarize(ctx, r.S3.Bucket.Name, key); err != nil {
			return err
		}
	}
	_, err := s.sqs.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(s.queueURL), ReceiptHandle: m.ReceiptHandle})
	return err
}

func (s *seed) summarize(ctx context.Context, bkt, key string) error {
	obj, err := s.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bkt), Key: aws.String(key)})
	if err != nil {
		return fmt.Errorf("get %s: %w", key, err)
	}
	text, err := io.ReadAll(obj.Body)
	obj.Body.Close()
	if err != nil {
		return fmt.Errorf("get %s: %w", key, err)
	}
	body, _ := json.Marshal(map[string]any{"input": map[string]any{
		"text": "Summarize this meeting transcript.\n\n" + string(text), "max_new_tokens": 256,
	}})
	var run struct {
		ID string `json:"id"`
	}
	if err := s.call(ctx, http.MethodPost, s.endpoint+"/run", body, &run); err != nil {
		return err
	}
	if run.ID == "" {
		return errors.New("/run: no job id")
	}
	var st struct {
		Status string          `json:"status"`
		Output json.RawMessage `json:"output"`
	}
	for {
		if !sleepCtx(ctx, s.poll) {
			return ctx.Err()
		}
		if err := s.call(ctx, http.MethodGet, s.endpoint+"/status/"+run.ID, nil, &st); err != nil {
			return err
		}
		if st.Status == "COMPLETED" {
			break
		}
		if st.Status != "IN_QUEUE" && st.Status != "IN_PROGRESS" {
			return fmt.Errorf("job %s: %s", run.ID, st.Status)
		}
	}
	var out struct {
		Summary string `json:"summary"`
	}
	summary := string(st.Output)
	if json.Unmarshal(st.Output, &out) == nil && out.Summary != "" {
		summary = out.Summary
	}
	dst := "summaries/" + key + ".summary.txt"
	if _, err := s.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bkt), Key: aws.String(dst),
		Body: strings.NewReader(summary), ContentLength: aws.Int64(int64(len(summary)))}); err != nil {
		return fmt.Errorf("put %s: %w", dst, err)
	}
	return nil
}

func (s *seed) call(ctx context.Context, method, u string, body []byte, into any) error {
	req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: HTTP %d", method, u, resp.StatusCode)
	}
	return json.Unmarshal(data, into)
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
