// Package perf is the machinery of msgkit's performance suite (go run ./internal/perf/cmd/perfsuite):
// ratios of a subject against a baseline measured in the same run, interleaved in rounds and reduced to
// medians, each judged against its target; and the table the suite writes into BENCHMARKS.md.
//
// A figure's verdict is "met" or "missed" against its target; the suite fails (in CI) only on a gross
// regression, a ratio worse than twice its target — or, for a figure known to miss its target, twice
// worse than the ratio recorded for it — so that noise on a shared machine never fails a build.
//
// Nothing here is safe for concurrent use unless it says so.
package perf

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// Direction says which side of its target value a ratio must be on.
type Direction int

const (
	// AtMost is a cost: the ratio must be at most the target (subject time over baseline time).
	AtMost Direction = iota
	// AtLeast is a throughput: the ratio must be at least the target.
	AtLeast
)

// Target is what a figure's ratio must reach.
type Target struct {
	Dir   Direction
	Value float64
}

// Le is the target "ratio ≤ v".
func Le(v float64) Target { return Target{AtMost, v} }

// Ge is the target "ratio ≥ v".
func Ge(v float64) Target { return Target{AtLeast, v} }

// String writes the target as the table shows it: "≤ 0.35×" or "≥ 2×".
func (t Target) String() string {
	op := "≤"
	if t.Dir == AtLeast {
		op = "≥"
	}
	return fmt.Sprintf("%s %g×", op, t.Value)
}

// Met reports whether ratio reaches the target. A ratio that is not a finite number ≥ 0 (a measurement
// that failed) never does.
func (t Target) Met(ratio float64) bool {
	if !valid(ratio) {
		return false
	}
	if t.Dir == AtLeast {
		return ratio >= t.Value
	}
	return ratio <= t.Value
}

// Gross reports whether ratio is worse than twice the target (more than 2× the allowed cost, less than half
// the required throughput): the regression CI fails on. An invalid ratio is gross.
func (t Target) Gross(ratio float64) bool {
	if !valid(ratio) {
		return true
	}
	if t.Dir == AtLeast {
		return ratio < t.Value/2
	}
	return ratio > 2*t.Value
}

// Or returns the worse of the target and known, a ratio already recorded as missing it: a figure known
// to miss its target is judged gross against what it was, so that CI catches it getting twice as bad
// without failing every build until the target is met. The target shown and judged met or missed is
// never this bound. A known ratio that is invalid, zero (none is known), or meets the target, changes
// nothing.
func (t Target) Or(known float64) Target {
	if !valid(known) || known == 0 || t.Met(known) {
		return t
	}
	return Target{t.Dir, known}
}

func valid(x float64) bool { return x >= 0 && !math.IsInf(x, 0) && !math.IsNaN(x) }

// Line is one line of the suite's output: a figure's subject and baseline (already formatted with their
// units), their ratio and its verdict.
type Line struct {
	Name     string
	Subject  string // e.g. "11.2 µs"
	Baseline string
	Ratio    float64
	Target   Target
	// NotMeasured, when set, is why the figure has no ratio; such a line is neither met nor missed, and
	// never gross.
	NotMeasured string
	// Plain marks a ratio that is a plain number (a spread of counts), shown without ×.
	Plain bool
	// Info marks a line reported for context (a p99 the issue wants shown, a second opinion): it has no
	// target and no verdict.
	Info bool
	// Known, when set, is the worst ratio recorded for a target this figure is known to miss (see
	// Target.Or): Gross judges against it.
	Known float64
}

// Verdict is "met", "missed", "not measured" or "—" (an informational line).
func (l Line) Verdict() string {
	switch {
	case l.NotMeasured != "":
		return "not measured"
	case l.Info:
		return "—"
	case l.Target.Met(l.Ratio):
		return "met"
	default:
		return "missed"
	}
}

// Gross reports whether the line is a gross regression (see Target.Gross), against its known miss if it
// has one (Target.Or).
func (l Line) Gross() bool {
	return l.NotMeasured == "" && !l.Info && l.Target.Or(l.Known).Gross(l.Ratio)
}

// String is the line as the suite prints it.
func (l Line) String() string {
	if l.NotMeasured != "" {
		return fmt.Sprintf("%-34s not measured: %s", l.Name, l.NotMeasured)
	}
	target := l.targetString()
	if l.Info {
		target = "(reported)"
	}
	return fmt.Sprintf("%-36s %-30s %-22s %8s  %-10s %s", l.Name, l.Subject, l.Baseline, l.ratio(), target, l.Verdict())
}

func (l Line) targetString() string {
	if l.Plain {
		return strings.TrimSuffix(l.Target.String(), "×")
	}
	return l.Target.String()
}

func (l Line) ratio() string {
	if l.Plain {
		return fmt.Sprintf("%g", l.Ratio)
	}
	return FormatRatio(l.Ratio)
}

// FormatRatio writes a ratio with three significant digits and a ×.
func FormatRatio(r float64) string {
	if !valid(r) {
		return "n/a"
	}
	switch {
	case r >= 100:
		return fmt.Sprintf("%.0f×", r)
	case r >= 10:
		return fmt.Sprintf("%.1f×", r)
	case r >= 1:
		return fmt.Sprintf("%.2f×", r)
	default:
		return fmt.Sprintf("%.3f×", r)
	}
}

// Median returns the median of xs (the mean of the middle two for an even count); NaN for none.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// Quantile returns the q-quantile of ds by nearest rank (q = 0.99: the 99th percentile); 0 for none.
func Quantile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(math.Ceil(float64(len(s))*q)) - 1
	return s[min(max(i, 0), len(s)-1)]
}

// Rounds runs subject and baseline n times each, interleaved — subject first in even rounds, baseline
// first in odd ones, so that neither always runs on the other's warm caches or pays for the other's
// garbage — and returns what each round measured, in round order. A measurement that fails stops the
// rounds with its error.
func Rounds(n int, subject, baseline func() (float64, error)) (subj, base []float64, err error) {
	for i := range n {
		first, second := subject, baseline
		if i%2 == 1 {
			first, second = baseline, subject
		}
		a, err := first()
		if err != nil {
			return subj, base, err
		}
		b, err := second()
		if err != nil {
			return subj, base, err
		}
		if i%2 == 1 {
			a, b = b, a
		}
		subj, base = append(subj, a), append(base, b)
	}
	return subj, base, nil
}

// Ratio returns the median of the rounds' ratios subj[i]/base[i]: each round's pair ran back to back, so
// load that drifts over the run moves both sides of a pair alike. NaN if the series differ in length or
// are empty.
func Ratio(subj, base []float64) float64 {
	if len(subj) != len(base) || len(subj) == 0 {
		return math.NaN()
	}
	r := make([]float64, len(subj))
	for i := range subj {
		r[i] = subj[i] / base[i]
	}
	return Median(r)
}
