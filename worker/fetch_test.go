package worker

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/summarizer/summarizer/queue/outcome"
)

// objectsS3 serves GetObject from a map and counts the reads; the rest is
// fakeS3's.
type objectsS3 struct {
	fakeS3
	objects map[string][]byte
	gets    atomic.Int32
}

func (o *objectsS3) GetObject(_ context.Context, in *s3.GetObjectInput, _ ...func(*s3.Options)) (*s3.GetObjectOutput, error) {
	o.gets.Add(1)
	b, ok := o.objects[aws.ToString(in.Key)]
	if !ok {
		return nil, errNoS3
	}
	return &s3.GetObjectOutput{Body: io.NopCloser(bytes.NewReader(b)), ContentLength: aws.Int64(int64(len(b))), ETag: aws.String(`"e1"`)}, nil
}

func gzipped(t testing.TB, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// speech is n bytes of transcript text.
func speech(n int) string {
	line := "Alice: the budget review moves to Thursday, and Bob writes the notes.\n"
	return strings.Repeat(line, n/len(line)+1)[:n]
}

// What a record holds once its object is read: a plain object its size; a
// gzipped one (by its bytes: a .gz key or Content-Encoding alike) its
// compressed and its inflated size, whatever its event said; an event
// without a size is admitted at the limit and given back to the object's
// size. A gzip bomb is too_large before anything is inflated into memory.
func TestFetchHoldsWhatTheObjectHolds(t *testing.T) {
	t.Parallel()
	plain := speech(40 << 10)
	packed := gzipped(t, plain)
	bomb := gzipped(t, strings.Repeat("a", 8<<20)) // 8 KiB that inflate to eight times the limit
	tests := []struct {
		name     string
		key      string
		body     []byte
		admitted int64
		want     int64
		reason   outcome.Reason
	}{
		{"plain", "a.txt", []byte(plain), int64(len(plain)), int64(len(plain)), ""},
		{"gzip by its key", "a.txt.gz", packed, int64(len(packed)), int64(len(packed) + len(plain)), ""},
		{"gzip under a plain key", "a.txt", packed, int64(len(packed)), int64(len(packed) + len(plain)), ""},
		{"no size in the event", "a.txt", []byte(plain), 1 << 20, int64(len(plain)), ""},
		{"gzip bomb", "bomb.txt.gz", bomb, int64(len(bomb)), 0, outcome.ReasonTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			client := &objectsS3{objects: map[string][]byte{tt.key: tt.body}}
			mem := newMemory(64 << 20)
			h, err := mem.acquire(t.Context(), tt.admitted)
			if err != nil {
				t.Fatal(err)
			}
			obj, err := fetchObject(t.Context(), client, "b", tt.key, "", 1<<20, h)
			if tt.reason != "" {
				if r, _ := outcome.IsPermanent(err); r != tt.reason {
					t.Fatalf("err = %v, want %s", err, tt.reason)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if obj.text != strings.TrimSpace(plain) {
				t.Errorf("text of %d bytes, want the %d of the transcript", len(obj.text), len(strings.TrimSpace(plain)))
			}
			if got := h.size(); got != tt.want {
				t.Errorf("holds %d bytes, want %d", got, tt.want)
			}
			if n := client.gets.Load(); n != 1 {
				t.Errorf("%d reads, want 1", n)
			}
		})
	}
}

// A gzipped object whose inflated size is not free: the record gives back
// what it holds, waits in line, and reads the object again once there is
// room. Records that all hold their compressed bytes and all want more
// than is left never wait on each other: every one ends.
func TestFetchWaitsForRoomWithoutHolding(t *testing.T) {
	t.Parallel()
	plain := speech(60 << 10)
	packed := gzipped(t, plain)
	need := int64(len(packed) + len(plain))
	mem := newMemory(need + need/2) // room for one at a time
	client := &objectsS3{objects: map[string][]byte{"a.txt.gz": packed}}

	other, err := mem.acquire(t.Context(), need)
	if err != nil {
		t.Fatal(err)
	}
	h, err := mem.acquire(t.Context(), int64(len(packed)))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := fetchObject(t.Context(), client, "b", "a.txt.gz", "", 1<<20, h)
		done <- err
	}()
	waitQueued(mem) // it gave back its compressed bytes and waits
	if h.size() != 0 {
		t.Errorf("waits holding %d bytes", h.size())
	}
	other.release()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if h.size() != need || client.gets.Load() != 2 {
		t.Errorf("holds %d after %d reads, want %d after 2", h.size(), client.gets.Load(), need)
	}
	h.release()

	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			h, err := mem.acquire(t.Context(), int64(len(packed)))
			if err != nil {
				t.Error(err)
				return
			}
			defer h.release()
			if _, err := fetchObject(t.Context(), client, "b", "a.txt.gz", "", 1<<20, h); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if !mem.sem.TryAcquire(need + need/2) {
		t.Error("bytes left behind")
	}
}
