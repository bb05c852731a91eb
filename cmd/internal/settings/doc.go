// Package settings owns how a command reads its settings: every setting is an
// environment variable, overridden by the flag of the same name in kebab case
// (QUEUE_URL, --queue-url); secrets and environment-only settings have no
// flag. It owns --help, which lists every setting with its variable, flag,
// usage and default, and the one-line error that names every bad setting at
// once (a *UsageError: the command prints it and exits 2).
//
// A command declares its settings as a list of Option, each with a parser
// that checks the text and stores the value (String, PositiveInt, Duration,
// ByteSize, ...), and calls Parse once.
//
// It knows nothing of what the settings mean or of the program that reads
// them: names, defaults and usage texts are the caller's, and so is every
// rule that relates two settings.
package settings
