package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/summarizer/summarizer/deploy/localstack"
)

// motoPatch removes four costs of moto 5.2 that real S3 and SQS do not
// have, so that the bench measures the worker (and the seed), not moto's
// single Python core. Each replacement returns what the original did;
// nothing else changes.
//
//  1. Routing: for every request, moto lists its own package directory and
//     stats each of ~180 entries (twice) to find the service: three
//     quarters of a HeadObject's CPU (1.9 ms of 2.5, in process). The list
//     is computed once instead.
//  2. SQS clock: every visibility and delay check of every message reads
//     the time through two datetime conversions and an import (~5 µs). In
//     the SQS models it reads time.time() instead (the same wall clock).
//  3. SQS retention: for each message a receive hands out, and for each
//     message sent, moto computes all the queue's attributes: three passes
//     over every message in the queue, visible or in flight. A receive of
//     10 from a queue holding 2,000 messages took 1.3 s, a SendMessageBatch
//     0.44 s; the intake of a worker with thousands of messages in flight
//     slowed quadratically and the seed's backlog slowed it further. The
//     retention check reads the one attribute it needs instead. (With 1 and
//     2: 4 ms and 19 ms.)
//  4. S3 listing by prefix: moto copies the whole bucket and looks up every
//     key's latest version in Python to list a prefix: the memory run's
//     bucket holds 10,000 keys and more, and the worker lists each
//     transcript's siblings (SIBLINGS=richest), so its intake took 139 s
//     instead of 20 (real S3 lists a prefix from its index). Only the keys
//     under the prefix are looked up instead; the rest of the listing is
//     moto's own.
const motoPatch = `import sys, time
from moto import backends
from moto.core.utils import unix_time as _unix_time
from moto.sqs import models
from moto.s3 import models as s3models
class _PrefixKeys:
    def __init__(self, keys, prefix):
        self._keys, self._prefix = keys, prefix
    def items(self):
        out = []
        for k in list(dict.keys(self._keys)):
            if k.startswith(self._prefix):
                try:
                    out.append((k, self._keys[k]))
                except (KeyError, IndexError):
                    pass
        return out
class _PrefixBucket:
    def __init__(self, bucket, prefix):
        self.keys = _PrefixKeys(bucket.keys, prefix)
_list_objects = s3models.S3Backend.list_objects
def _list_objects_by_prefix(self, bucket, prefix, delimiter, marker, max_keys):
    if prefix and not isinstance(bucket, s3models.FakeTableStorageBucket):
        bucket = _PrefixBucket(bucket, prefix)
    return _list_objects(self, bucket, prefix, delimiter, marker, max_keys)
s3models.S3Backend.list_objects = _list_objects_by_prefix

_modules = tuple(backends.list_of_moto_modules())
backends.list_of_moto_modules = lambda: _modules

def _now(dt=None):
    return time.time() if dt is None else _unix_time(dt)

models.unix_time = _now
models.unix_time_millis = lambda dt=None: _now(dt) * 1000.0

def _retained(self, queue_name, message):
    queue = self.get_queue(queue_name)
    return int(queue.message_retention_period) + message.sent_timestamp / 1000 > _now()

if hasattr(models.SQSBackend, "is_message_valid_based_on_retention_period"):
    models.SQSBackend.is_message_valid_based_on_retention_period = _retained
    print("bench: moto routing, SQS clock and SQS retention check patched", file=sys.stderr)
else:
    print("bench: moto SQS retention check NOT patched (not found)", file=sys.stderr)

from moto.server import main
main(sys.argv[1:])
`

// patchMoto points $MOTO_SERVER at a Python wrapper that applies motoPatch
// and runs moto's server, unless $MOTO_SERVER is set already. It returns
// what it did and a cleanup.
func patchMoto() (how string, cleanup func(), err error) {
	cleanup = func() {}
	if v := os.Getenv("MOTO_SERVER"); v != "" {
		return "not patched: $MOTO_SERVER=" + v + " is used as is", cleanup, nil
	}
	argv, err := localstack.Command()
	if err != nil {
		return "", cleanup, err
	}
	var candidates []string
	switch {
	case len(argv) >= 3 && argv[1] == "-m":
		candidates = append(candidates, argv[0])
	case filepath.Base(argv[0]) == "moto_server":
		dir := filepath.Dir(argv[0])
		candidates = append(candidates, filepath.Join(dir, "python3"), filepath.Join(dir, "python"))
	}
	candidates = append(candidates, "python3")
	python := ""
	for _, c := range candidates {
		if exec.Command(c, "-c", "import moto.server, moto.sqs.models").Run() == nil {
			python = c
			break
		}
	}
	if python == "" {
		return "not patched: no Python with moto found beside " + strings.Join(argv, " "), cleanup, nil
	}
	f, err := os.CreateTemp("", "bench-moto-*.py")
	if err != nil {
		return "", cleanup, err
	}
	if _, err := f.WriteString(motoPatch); err != nil {
		f.Close()
		os.Remove(f.Name())
		return "", cleanup, err
	}
	f.Close()
	if strings.ContainsAny(python+f.Name(), " \t") {
		os.Remove(f.Name())
		return "not patched: a path with spaces", cleanup, nil
	}
	if err := os.Setenv("MOTO_SERVER", python+" "+f.Name()); err != nil {
		os.Remove(f.Name())
		return "", cleanup, err
	}
	return fmt.Sprintf("patched: %s %s (routing cached, SQS clock time.time(), SQS retention check O(1), S3 prefix listing)", python, f.Name()), func() {
		os.Unsetenv("MOTO_SERVER")
		os.Remove(f.Name())
	}, nil
}
