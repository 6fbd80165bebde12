package perf

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
)

// Markers delimit the suite's table in BENCHMARKS.md; Rewrite replaces what is between them.
const (
	BeginMarker = "<!-- perfsuite:begin (written by go run ./internal/perf/cmd/perfsuite -write) -->"
	EndMarker   = "<!-- perfsuite:end -->"
)

// ErrNoMarkers is returned by Rewrite for a document without the suite's markers (in order).
var ErrNoMarkers = errors.New("perf: BENCHMARKS.md has no perfsuite markers")

// Run describes a run of the suite for its table's heading.
type Run struct {
	Date, Mode, Command, CPU, GoVersion string
	Load                                string // the load average at the start, e.g. "2.1 1.8 1.5"
}

// Markdown is the table of lines, under a heading that names the run.
func Markdown(run Run, lines []Line) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s, %s mode, `%s`; CPU: %s; %s; load average at start: %s.\n\n", run.Date, run.Mode, run.Command, run.CPU, run.GoVersion, run.Load)
	b.WriteString("| figure | subject | baseline | ratio | target | verdict |\n|---|---|---|---|---|---|\n")
	for _, l := range lines {
		if l.NotMeasured != "" {
			fmt.Fprintf(&b, "| %s | — | — | — | %s | not measured: %s |\n", l.Name, l.targetString(), l.NotMeasured)
			continue
		}
		target, verdict := l.targetString(), l.Verdict()
		if l.Info {
			target = "(reported)"
		} else {
			verdict = "**" + verdict + "**"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", l.Name, l.Subject, l.Baseline, l.ratio(), target, verdict)
	}
	return b.String()
}

// Rewrite returns doc with what lies between BeginMarker and EndMarker replaced by table.
func Rewrite(doc []byte, table string) ([]byte, error) {
	begin := bytes.Index(doc, []byte(BeginMarker))
	end := bytes.Index(doc, []byte(EndMarker))
	if begin < 0 || end < begin {
		return nil, ErrNoMarkers
	}
	var out bytes.Buffer
	out.Write(doc[:begin+len(BeginMarker)])
	out.WriteString("\n")
	out.WriteString(table)
	out.Write(doc[end:])
	return out.Bytes(), nil
}
