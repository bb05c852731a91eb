// Package sibling is the rule SIBLINGS=richest: the transcripts of one
// recording cost one summary, made from the richest of them, the others
// skipped.
//
// Whisper's --output_format all writes standup.txt, .vtt, .srt, .tsv and
// .json of one recording, and an uploader copies them one after another;
// each upload is an event, and without this rule each event that is work
// (INPUT_SUFFIXES) costs a GPU summary of the same words.
//
// Siblings. Two keys of one bucket are siblings when they are equal up to
// a transcript extension: .json, .vtt, .srt, .tsv, .txt, .text or .md, in
// any case, optionally followed by .gz (standup.txt, standup.JSON and
// standup.srt.gz are siblings; standup.old.txt is another recording, and
// so is Standup.txt: keys are case-sensitive). Only keys that are work for
// the worker count (its input prefix and suffixes, never an output): with
// the default INPUT_SUFFIXES, standup.tsv is no sibling, since it is never
// summarized.
//
// Richness is decided by the extension, without reading anything:
// speakers over timings over plain text, that is .json (Whisper, WhisperX
// and the cloud services keep speakers and words) > .vtt (voice tags) >
// .srt > .tsv > .txt, .text and .md. A .gz sibling ranks as its inner
// extension. Two siblings of equal rank (standup.txt and standup.md, or
// standup.json and standup.json.gz) are ordered by their keys, the one
// that sorts first winning, so every replica that looks at the same keys
// picks the same one.
//
// The look. A record lists its recording with one ListObjectsV2 (Prefix
// stem + ".", one page of up to 1,000 keys; a recording whose prefix
// holds more keys is judged on the first page) and is skipped when a
// richer sibling exists. The richest is summarized, whether its event
// comes first, last or at the same moment as its siblings' on other
// goroutines or replicas: each decides alone, from the same keys, to the
// same winner. Records whose key has no transcript extension list nothing.
//
// The race. Whisper writes .txt first and .json last, and an uploader
// copies them a second or two apart, so a poorer sibling's event may be
// looked at before the richer file exists. When the listing shows at
// least one other sibling (evidence of a multi-file recording), none
// richer yet, and the newest of them is younger than Finder.Settle (5 s by
// default), the look waits until that newest one is Settle old and lists
// again, a few times at most while siblings keep arriving. A single-file
// upload never waits, and neither does a .json, which nothing outranks
// (a tie is settled by the keys). The wait never exceeds Settle per
// listing, whatever the clocks of S3 and of the worker say.
//
// A richer sibling that arrives late, after a poorer one's look found no
// sibling or settled (a .json uploaded minutes or days after the .txt, say
// a new transcription with speakers), is summarized too: the recording
// then has two summaries, and the older one, of the poorer transcript, is
// never deleted. Skipping it because a poorer summary exists would keep
// the poorer summary for good and silently drop a deliberate
// re-transcription; the cost is one summary more in a case that is rare
// when uploads are a few seconds apart. A poorer sibling that arrives
// after the richer one is skipped, however late.
//
// A richer sibling that fails (bad_format, too_large) leaves the
// recording without a summary: its dead letter says why, and the poorer
// files, skipped, are not looked at again. Fix the richer file and upload
// it again, or remove it and upload a poorer one again.
//
// Without s3:ListBucket (AccessDenied on the listing) the look finds
// nothing: one summary per file, as SIBLINGS=all, logged once per bucket.
// A bucket that does not exist finds nothing either (its object's read
// says not_found). Any other failure of the listing is the record's,
// classified like every S3 failure (worker/internal/s3x).
//
// The package reads keys, sizes and times from S3 listings only; it never
// reads an object, never writes, and never decides what happens to a
// message beyond "a richer sibling exists".
package sibling
