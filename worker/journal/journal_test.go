package journal

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"go.uber.org/zap"

	"github.com/summarizer/summarizer/deploy/localstack"
)

var moto *localstack.Moto

func TestMain(m *testing.M) { os.Exit(localstack.RunTests(m, &moto)) }

// memS3 is an in-memory S3 bucket with S3's conditional-write rules
// (If-None-Match: *, If-Match), for the protocol's races without moto.
type memS3 struct {
	mu      sync.Mutex
	objs    map[string][]byte
	puts    atomic.Int32
	refused atomic.Int32 // conditional PUTs answered 412
}

func newMemS3() *memS3 { return &memS3{objs: map[string][]byte{}} }

func etagOf(b []byte) string { s := md5.Sum(b); return hex.EncodeToString(s[:]) }

type httpErr struct{ code int }

func (e httpErr) Error() string       { return fmt.Sprintf("status %d", e.code) }
func (e httpErr) HTTPStatusCode() int { return e.code }

func (m *memS3) GetObject(_ context.Context, in *s3.GetObjectInput, _ ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.objs[aws.ToString(in.Key)]
	if !ok {
		return nil, &types.NoSuchKey{}
	}
	return &s3.GetObjectOutput{Body: io.NopCloser(bytes.NewReader(b)), ETag: aws.String(`"` + etagOf(b) + `"`)}, nil
}

func (m *memS3) PutObject(_ context.Context, in *s3.PutObjectInput, _ ...func(*s3.Options)) (*s3.PutObjectOutput, error) {
	body, _ := io.ReadAll(in.Body)
	m.mu.Lock()
	defer m.mu.Unlock()
	m.puts.Add(1)
	cur, exists := m.objs[aws.ToString(in.Key)]
	switch {
	case aws.ToString(in.IfNoneMatch) == "*" && exists,
		in.IfMatch != nil && (!exists || strings.Trim(*in.IfMatch, `"`) != etagOf(cur)):
		m.refused.Add(1)
		return nil, httpErr{412}
	}
	m.objs[aws.ToString(in.Key)] = body
	return &s3.PutObjectOutput{ETag: aws.String(`"` + etagOf(body) + `"`)}, nil
}

func (m *memS3) DeleteObject(_ context.Context, in *s3.DeleteObjectInput, _ ...func(*s3.Options)) (*s3.DeleteObjectOutput, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.objs, aws.ToString(in.Key))
	return &s3.DeleteObjectOutput{}, nil
}

// stores runs f against the in-memory bucket and against moto (one at a
// time: moto is reset per test).
func stores(t *testing.T, f func(t *testing.T, client API)) {
	t.Run("memory", func(t *testing.T) { f(t, newMemS3()) })
	t.Run("moto", func(t *testing.T) {
		m := localstack.Need(t, moto)
		c := s3.NewFromConfig(m.AWSConfig(), func(o *s3.Options) { o.UsePathStyle, o.DisableLogOutputChecksumValidationSkipped = true, true })
		if _, err := c.CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: aws.String("out")}); err != nil {
			t.Fatal(err)
		}
		f(t, c)
	})
}

const (
	sumKey = "summaries/a.txt.summary.txt"
	etag   = "0123456789abcdef0123456789abcdef"
)

func open(client API, first bool) *S3 {
	return Open(client, "out", Key(sumKey, etag), etag, first, zap.NewNop())
}

// Eight deliveries claim the same prompt at once: exactly one claims it and
// submits; the others wait for its job id and use it.
func TestClaimRace(t *testing.T) {
	stores(t, func(t *testing.T, client API) {
		key := PromptKey("chunk one")
		var claimed atomic.Int32
		ids := make([]string, 8)
		var wg sync.WaitGroup
		for i := range ids {
			wg.Go(func() {
				j := open(client, i%2 == 0)
				ref, ok, err := j.Claim(t.Context(), key, "")
				if err != nil {
					t.Errorf("claim %d: %v", i, err)
					return
				}
				if ok {
					claimed.Add(1)
					time.Sleep(50 * time.Millisecond) // the /run
					if err := j.Record(t.Context(), key, "job-1"); err != nil {
						t.Errorf("record: %v", err)
					}
					ref.ID = "job-1"
				}
				ids[i] = ref.ID
			})
		}
		wg.Wait()
		if claimed.Load() != 1 {
			t.Errorf("%d deliveries claimed the prompt, want 1", claimed.Load())
		}
		for i, id := range ids {
			if id != "job-1" {
				t.Errorf("delivery %d uses job %q, want job-1", i, id)
			}
		}
	})
}

// A claim whose job id never appears (its delivery died between claim and
// record) is taken over after claimTTL; the dead delivery's late record is
// refused as a duplicate.
func TestClaimTakeover(t *testing.T) {
	stores(t, func(t *testing.T, client API) {
		key := PromptKey("chunk")
		dead := open(client, true)
		if _, ok, err := dead.Claim(t.Context(), key, ""); err != nil || !ok {
			t.Fatalf("first claim: %v, %v", ok, err)
		}
		next := open(client, false)
		next.claimTTL = 300 * time.Millisecond
		_, ok, err := next.Claim(t.Context(), key, "")
		if err != nil || !ok {
			t.Fatalf("takeover: claimed %v, %v", ok, err)
		}
		if err := next.Record(t.Context(), key, "job-2"); err != nil {
			t.Fatal(err)
		}
		if err := dead.Record(t.Context(), key, "job-late"); !errors.Is(err, ErrClaimLost) {
			t.Errorf("late record: %v, want ErrClaimLost", err)
		}
		third := open(client, false)
		ref, ok, err := third.Claim(t.Context(), key, "")
		if err != nil || ok || ref.ID != "job-2" {
			t.Errorf("after takeover: %+v claimed %v %v, want job-2", ref, ok, err)
		}
		// A job that failed is replaced: the next claim names it.
		ref, ok, err = third.Claim(t.Context(), key, "job-2")
		if err != nil || !ok {
			t.Errorf("replacing a failed job: %+v %v %v", ref, ok, err)
		}
	})
}

// Concurrent changes to different prompts never lose each other's entries:
// a conflict reloads the journal and applies the change again.
func TestConflictsKeepEveryEntry(t *testing.T) {
	stores(t, func(t *testing.T, client API) {
		var wg sync.WaitGroup
		for i := range 6 {
			wg.Go(func() {
				j := open(client, true) // each tries a creation first
				key := PromptKey(fmt.Sprint("chunk ", i))
				if _, ok, err := j.Claim(t.Context(), key, ""); err != nil || !ok {
					t.Errorf("claim %d: %v %v", i, ok, err)
					return
				}
				if err := j.Record(t.Context(), key, fmt.Sprint("job-", i)); err != nil {
					t.Errorf("record %d: %v", i, err)
				}
			})
		}
		wg.Wait()
		j := open(client, false)
		if err := j.Load(t.Context()); err != nil {
			t.Fatal(err)
		}
		if got := len(j.Jobs()); got != 6 {
			t.Errorf("%d jobs journaled, want 6: %v", got, j.Jobs())
		}
	})
}

// While a delivery waits for another's claim, the journal is deleted (that
// delivery stored the summary): the waiter hears ErrGone.
func TestWaitEndsWhenJournalGone(t *testing.T) {
	stores(t, func(t *testing.T, client API) {
		key := PromptKey("chunk")
		first := open(client, true)
		if _, _, err := first.Claim(t.Context(), key, ""); err != nil {
			t.Fatal(err)
		}
		go func() {
			time.Sleep(300 * time.Millisecond)
			first.Delete(context.Background())
		}()
		_, _, err := open(client, false).Claim(t.Context(), key, "")
		if !errors.Is(err, ErrGone) {
			t.Errorf("waiting claim: %v, want ErrGone", err)
		}
	})
}

// Corrupt, foreign and forged journals are never trusted: their jobs are
// neither adopted nor offered for cancellation, and the next write replaces
// them.
func TestCorruptAndForeignJournals(t *testing.T) {
	valid := PromptKey("chunk")
	many := map[string]any{}
	for i := range maxEntries + 1 {
		many[PromptKey(fmt.Sprint(i))] = map[string]string{"id": fmt.Sprint("job-", i)}
	}
	manyBody, err := json.Marshal(map[string]any{"source_etag": etag, "jobs": many})
	if err != nil {
		t.Fatal(err)
	}
	bodies := map[string]string{
		"garbage":           "{not json",
		"other version":     `{"source_etag":"ffff","jobs":{"` + valid + `":{"id":"their-job"}}}`,
		"forged ids":        `{"source_etag":"` + etag + `","jobs":{"` + valid + `":{"id":"../../x y"},"not-a-key":{"id":"job-9"}}}`,
		"both id and owner": `{"source_etag":"` + etag + `","jobs":{"` + valid + `":{"id":"job-1","owner":"0123456789abcdef"}}}`,
		"too many":          string(manyBody),
	}
	for name, body := range bodies {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			client := newMemS3()
			client.objs[Key(sumKey, etag)] = []byte(body)
			j := open(client, false)
			if err := j.Load(t.Context()); err != nil {
				t.Fatal(err)
			}
			if ids := j.Jobs(); len(ids) != 0 {
				t.Errorf("jobs offered from a %s journal: %v", name, ids)
			}
			ref, ok, err := j.Claim(t.Context(), valid, "")
			if err != nil || !ok || ref.ID != "" {
				t.Errorf("claim over a %s journal: %+v %v %v, want a fresh claim", name, ref, ok, err)
			}
			if got := string(client.objs[Key(sumKey, etag)]); strings.Contains(got, "their-job") || strings.Contains(got, "job-9") {
				t.Errorf("the %s journal's entries survived the rewrite: %s", name, got)
			}
		})
	}
}

// FuzzParse: any document either is refused or yields only well-formed
// entries, never more than maxEntries.
func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"source_etag":"`+etag+`","jobs":{"`+PromptKey("a")+`":{"id":"job-1","submitted":"2026-01-01T00:00:00Z"}}}`), etag)
	f.Add([]byte(`{"source_etag":"e","jobs":{"`+PromptKey("a")+`":{"owner":"0123456789abcdef","claimed_at":"2026-01-01T00:00:00Z"}}}`), "e")
	f.Add([]byte(`{"source_etag":"e","jobs":{"x":null}}`), "e")
	f.Add([]byte(`{"source_etag":"e","jobs":[]}`), "e")
	f.Add([]byte(`null`), "")
	f.Fuzz(func(t *testing.T, body []byte, etag string) {
		jobs, _, err := parse(body, etag)
		if err != nil {
			if jobs != nil {
				t.Fatal("entries returned with an error")
			}
			return
		}
		if len(jobs) > maxEntries {
			t.Fatalf("%d entries", len(jobs))
		}
		for k, e := range jobs {
			if !validKey(k) || !validEntry(e) {
				t.Fatalf("malformed entry kept: %q %+v", k, e)
			}
		}
	})
}

// A delivery that creates the journal asks once whether the version is
// summarized already (another delivery stored the summary and deleted its
// journal after this one last looked): then no claim is handed out, the
// journal it made is deleted, and every claimer hears ErrGone. A delivery
// that finds the journal existing never asks.
func TestSettledVersionSubmitsNothing(t *testing.T) {
	stores(t, func(t *testing.T, client API) {
		var asked atomic.Int32
		j := open(client, true)
		j.Settled = func(context.Context) (bool, error) { asked.Add(1); return true, nil }
		var wg sync.WaitGroup
		for i := range 4 {
			wg.Go(func() {
				if _, _, err := j.Claim(t.Context(), PromptKey(fmt.Sprint("chunk ", i)), ""); !errors.Is(err, ErrGone) {
					t.Errorf("claim %d: %v, want ErrGone", i, err)
				}
			})
		}
		wg.Wait()
		if asked.Load() != 1 {
			t.Errorf("Settled asked %d times, want once", asked.Load())
		}
		probe := open(client, false)
		if err := probe.Load(t.Context()); err != nil || probe.objETag != "" {
			t.Errorf("the journal made for a settled version is still there (%v)", err)
		}

		first := open(client, true)
		if _, ok, err := first.Claim(t.Context(), PromptKey("x"), ""); err != nil || !ok {
			t.Fatalf("claim: %v %v", ok, err)
		}
		second := open(client, false)
		second.Settled = func(context.Context) (bool, error) { asked.Add(1); return true, nil }
		second.claimTTL = time.Millisecond
		if _, ok, err := second.Claim(t.Context(), PromptKey("y"), ""); err != nil || !ok {
			t.Errorf("claim on an existing journal: %v %v", ok, err)
		}
		if asked.Load() != 1 {
			t.Errorf("Settled asked by a delivery that did not create the journal")
		}
	})
}
