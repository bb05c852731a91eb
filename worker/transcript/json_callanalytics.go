package transcript

import "strings"

// FormatCallAnalytics is the JSON of an Amazon Transcribe Call Analytics
// job (docs.aws.amazon.com/transcribe/latest/dg/tca-output-batch.html):
// Transcript[] of segments with a ParticipantRole and their Content.
const FormatCallAnalytics Format = "transcribe-call-analytics"

// Member names of the Call Analytics objects read, as in the JSON.
var caFields = []string{"Content", "ParticipantRole"}

// callAnalyticsText writes a turn for each segment of the transcript,
// named after the participant's role ("Agent: ", "Customer: ").
func (d *jsonDoc) callAnalyticsText(transcript int, w *turnWriter) {
	var names labelNames
	var f [2]int
	for e := d.elements(transcript); e.scan() && !w.over; {
		d.fields(e.val, caFields, f[:])
		w.add(names.of(d.text(f[1]), "", callAnalyticsRole), d.text(f[0]))
	}
}

// callAnalyticsRole names a participant role: AGENT is "Agent", CUSTOMER
// "Customer"; any other role is kept.
func callAnalyticsRole(role, _ string) string {
	switch strings.ToUpper(strings.TrimSpace(role)) {
	case "AGENT":
		return "Agent"
	case "CUSTOMER":
		return "Customer"
	}
	return collapse(role)
}

// callAnalyticsSegments reports whether the Transcript at i holds Call
// Analytics segments: its first object has Content or a ParticipantRole.
func (d *jsonDoc) callAnalyticsSegments(i int) bool {
	var f [2]int
	for e := d.elements(i); e.scan(); {
		if d.s[e.val] == '{' {
			d.fields(e.val, caFields, f[:])
			return f[0] >= 0 || f[1] >= 0
		}
	}
	return false
}
