package transcript

// speakerNames names speaker labels (speakerName) and remembers the last
// one: consecutive words mostly share their speaker, and a name such as
// "Speaker 1" would be built anew for each.
type speakerNames struct{ label, name string }

// of returns the name of label, "" for none.
func (n *speakerNames) of(label string) string {
	if label != n.label {
		n.label, n.name = label, speakerName(label)
	}
	return n.name
}
