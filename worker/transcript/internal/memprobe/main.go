// Command memprobe decodes several worst-case transcripts at once in one
// process, as a worker does with concurrent uploads, and prints the peak
// resident set size of the process (VmHWM of /proc/self/status), Linux
// only:
//
//	go run ./worker/transcript/internal/memprobe -n 12 -size 19922944 -shape transcribe-empty-items
//
// The inputs are built first, each in its own buffer, then the peak is
// reset (/proc/self/clear_refs) so that it measures the decoding; where
// the reset is refused, the peak includes building the inputs and the
// baseline says how much that was. It is a measurement, not a test: it
// asserts nothing.
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/summarizer/summarizer/worker/transcript"
	"github.com/summarizer/summarizer/worker/transcript/internal/worstcase"
)

func main() {
	n := flag.Int("n", 12, "objects decoded at once")
	size := flag.Int("size", 19<<20, "bytes of each object")
	shape := flag.String("shape", "transcribe-empty-items", "input shape: "+strings.Join(worstcase.Names(), ", "))
	limit := flag.Int64("limit", transcript.DefaultLimit, "limit passed to Decode")
	flag.Parse()
	if err := run(*n, *size, *shape, *limit); err != nil {
		fmt.Fprintln(os.Stderr, "memprobe:", err)
		os.Exit(1)
	}
}

func run(n, size int, shape string, limit int64) error {
	inputs := make([]worstcase.Case, n)
	for i := range inputs {
		c, err := worstcase.Build(shape, size)
		if err != nil {
			return err
		}
		inputs[i] = c
	}
	runtime.GC()
	debug.FreeOSMemory()
	baseline, err := status("VmRSS")
	if err != nil {
		return err
	}
	reset := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)

	var peakHeap atomic.Uint64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() { // HeapInuse, sampled: the Go heap's share of the peak
		defer close(sampled)
		samples := []metrics.Sample{
			{Name: "/memory/classes/heap/objects:bytes"},
			{Name: "/memory/classes/heap/unused:bytes"},
		}
		for {
			metrics.Read(samples)
			if inuse := samples[0].Value.Uint64() + samples[1].Value.Uint64(); inuse > peakHeap.Load() {
				peakHeap.Store(inuse)
			}
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()

	results := make([]string, n)
	start := time.Now()
	var wg sync.WaitGroup
	for i, c := range inputs {
		wg.Go(func() {
			text, f, err := transcript.Decode(c.Data, c.Key, "", limit)
			switch {
			case errors.Is(err, transcript.ErrTooLarge):
				results[i] = "too_large"
			case err != nil:
				results[i] = "bad_format"
			default:
				results[i] = fmt.Sprintf("%s, %d bytes of text", f, len(text))
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(stop)
	<-sampled
	peak, err := status("VmHWM")
	if err != nil {
		return err
	}

	in := int64(n) * int64(len(inputs[0].Data))
	fmt.Printf("shape %s: %d objects of %d bytes decoded at once in %v: %s\n", shape, n, len(inputs[0].Data), elapsed.Round(time.Millisecond), results[0])
	if reset != nil {
		fmt.Printf("(peak not reset: %v; it includes building the inputs)\n", reset)
	}
	fmt.Printf("VmHWM %s (before decoding: VmRSS %s, inputs included; decoding added %s = %.2fx the input bytes)\n",
		mib(peak), mib(baseline), mib(peak-baseline), float64(peak-baseline)/float64(in))
	fmt.Printf("peak HeapInuse %s (inputs included)\n", mib(int64(peakHeap.Load())))
	return nil
}

// status reads a size field of /proc/self/status, in bytes.
func status(field string) (int64, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), ":")
		if !ok || name != field {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(value), " kB"), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/self/status %s: %w", field, err)
		}
		return kb << 10, nil
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("/proc/self/status has no %s", field)
}

func mib(b int64) string {
	return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
}
