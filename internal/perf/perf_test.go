package perf_test

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/internal/perf"
)

func TestTargetVerdicts(t *testing.T) {
	t.Parallel()
	nan, inf := math.NaN(), math.Inf(1)
	for _, c := range []struct {
		target     perf.Target
		ratio      float64
		met, gross bool
	}{
		{perf.Le(0.35), 0.23, true, false},
		{perf.Le(0.35), 0.35, true, false},
		{perf.Le(0.35), 0.36, false, false},
		{perf.Le(0.35), 0.70, false, false},
		{perf.Le(0.35), 0.71, false, true},
		{perf.Le(1), 0, true, false},
		{perf.Ge(2), 2.5, true, false},
		{perf.Ge(2), 2, true, false},
		{perf.Ge(2), 1.99, false, false},
		{perf.Ge(2), 1, false, false},
		{perf.Ge(2), 0.99, false, true},
		{perf.Ge(2), 0, false, true},
		{perf.Le(1), nan, false, true},
		{perf.Le(1), inf, false, true},
		{perf.Ge(1), inf, false, true},
		{perf.Le(1), -1, false, true},
	} {
		require.Equal(t, c.met, c.target.Met(c.ratio), "%s met by %v", c.target, c.ratio)
		require.Equal(t, c.gross, c.target.Gross(c.ratio), "%s gross at %v", c.target, c.ratio)
	}
	require.Equal(t, "≤ 0.35×", perf.Le(0.35).String())
	require.Equal(t, "≥ 2×", perf.Ge(2).String())
}

func TestLineVerdict(t *testing.T) {
	t.Parallel()
	met := perf.Line{Name: "a", Ratio: 0.2, Target: perf.Le(0.35)}
	missed := perf.Line{Name: "b", Ratio: 0.5, Target: perf.Le(0.35)}
	gross := perf.Line{Name: "c", Ratio: 0.8, Target: perf.Le(0.35)}
	failed := perf.Line{Name: "d", Ratio: math.NaN(), Target: perf.Le(0.35)}
	notMeasured := perf.Line{Name: "e", Target: perf.Le(2), NotMeasured: "no database"}
	info := perf.Line{Name: "f", Ratio: 50, Info: true}
	require.Equal(t, "met", met.Verdict())
	require.Equal(t, "missed", missed.Verdict())
	require.Equal(t, "missed", gross.Verdict())
	require.Equal(t, "missed", failed.Verdict())
	require.Equal(t, "not measured", notMeasured.Verdict())
	require.Equal(t, "—", info.Verdict())
	require.False(t, met.Gross())
	require.False(t, missed.Gross())
	require.True(t, gross.Gross())
	require.True(t, failed.Gross())
	require.False(t, notMeasured.Gross())
	require.False(t, info.Gross())
	require.Contains(t, missed.String(), "0.500×")
	require.True(t, strings.HasSuffix(missed.String(), "missed"))
	spread := perf.Line{Name: "fairness", Ratio: 2, Target: perf.Le(1), Plain: true}
	require.Equal(t, "missed", spread.Verdict())
	require.Contains(t, spread.String(), " 2 ")
	require.Contains(t, spread.String(), "≤ 1 ")
}

func TestMedianAndQuantile(t *testing.T) {
	t.Parallel()
	require.Equal(t, 3.0, perf.Median([]float64{5, 1, 3}))
	require.Equal(t, 2.5, perf.Median([]float64{4, 1, 3, 2}))
	require.True(t, math.IsNaN(perf.Median(nil)))
	in := []float64{3, 1, 2}
	perf.Median(in)
	require.Equal(t, []float64{3, 1, 2}, in, "Median must not reorder its input")

	var ds []time.Duration
	for i := 1; i <= 100; i++ {
		ds = append(ds, time.Duration(101-i)*time.Millisecond)
	}
	require.Equal(t, 99*time.Millisecond, perf.Quantile(ds, 0.99))
	require.Equal(t, 50*time.Millisecond, perf.Quantile(ds, 0.5))
	require.Equal(t, 100*time.Millisecond, perf.Quantile(ds, 1))
	require.Equal(t, time.Duration(0), perf.Quantile(nil, 0.99))
}

func TestRoundsInterleaveAndKeepSides(t *testing.T) {
	t.Parallel()
	var order []string
	s, b := 0.0, 100.0
	subj, base, err := perf.Rounds(4,
		func() (float64, error) { order = append(order, "s"); s++; return s, nil },
		func() (float64, error) { order = append(order, "b"); b++; return b, nil })
	require.NoError(t, err)
	require.Equal(t, []string{"s", "b", "b", "s", "s", "b", "b", "s"}, order, "the order flips every round")
	require.Equal(t, []float64{1, 2, 3, 4}, subj, "the subject's measurements stay the subject's")
	require.Equal(t, []float64{101, 102, 103, 104}, base)

	boom := errors.New("boom")
	calls := 0
	_, _, err = perf.Rounds(5, func() (float64, error) { calls++; return 1, nil },
		func() (float64, error) { return 0, boom })
	require.ErrorIs(t, err, boom)
	require.Equal(t, 1, calls, "a failed measurement stops the rounds")
}

func TestRatioIsTheMedianOfPairedRounds(t *testing.T) {
	t.Parallel()
	// A load spike in round 2 doubles both sides: the paired ratio ignores it.
	require.InDelta(t, 0.5, perf.Ratio([]float64{1, 2, 1}, []float64{2, 4, 2}), 1e-12)
	// Load that grows over the run moves each pair alike.
	require.InDelta(t, 0.5, perf.Ratio([]float64{1, 2, 4}, []float64{2, 4, 8}), 1e-12)
	// An outlier round on one side moves the median of ratios by one rank only.
	require.InDelta(t, 0.5, perf.Ratio([]float64{1, 9, 1}, []float64{2, 2, 2}), 1e-12)
	require.InDelta(t, 2, perf.Ratio([]float64{4, 4, 4}, []float64{2, 2, 2}), 1e-12)
	require.True(t, math.IsNaN(perf.Ratio([]float64{1}, []float64{1, 2})))
	require.True(t, math.IsNaN(perf.Ratio(nil, nil)))
}

func TestRewriteReplacesOnlyTheTable(t *testing.T) {
	t.Parallel()
	doc := []byte("# Benchmarks\nintro\n" + perf.BeginMarker + "\nold table\n" + perf.EndMarker + "\nafter\n")
	lines := []perf.Line{
		{Name: "parse", Subject: "10 µs", Baseline: "40 µs", Ratio: 0.25, Target: perf.Le(0.35)},
		{Name: "http", Subject: "400/s", Baseline: "3000/s", Ratio: 0.13, Target: perf.Ge(2)},
		{Name: "views", Target: perf.Le(2), NotMeasured: "why"},
		{Name: "p99", Subject: "9 ms", Baseline: "1 ms", Ratio: 9, Info: true},
	}
	table := perf.Markdown(perf.Run{Date: "2026-11-27", Mode: "full", Command: "go run x", CPU: "EPYC, 2 CPUs", GoVersion: "go1.26.8", Load: "1 1 1"}, lines)
	out, err := perf.Rewrite(doc, table)
	require.NoError(t, err)
	s := string(out)
	require.True(t, strings.HasPrefix(s, "# Benchmarks\nintro\n"+perf.BeginMarker+"\n"))
	require.True(t, strings.HasSuffix(s, perf.EndMarker+"\nafter\n"))
	require.NotContains(t, s, "old table")
	require.Contains(t, s, "EPYC, 2 CPUs")
	require.Contains(t, s, "go1.26.8")
	require.Contains(t, s, "| parse | 10 µs | 40 µs | 0.250× | ≤ 0.35× | **met** |")
	require.Contains(t, s, "| http | 400/s | 3000/s | 0.130× | ≥ 2× | **missed** |")
	require.Contains(t, s, "| views | — | — | — | ≤ 2× | not measured: why |")
	require.Contains(t, s, "| p99 | 9 ms | 1 ms | 9.00× | (reported) | — |")
	again, err := perf.Rewrite(out, table)
	require.NoError(t, err)
	require.Equal(t, s, string(again), "rewriting is idempotent")

	_, err = perf.Rewrite([]byte("no markers"), table)
	require.ErrorIs(t, err, perf.ErrNoMarkers)
	_, err = perf.Rewrite([]byte(perf.EndMarker+perf.BeginMarker), table)
	require.ErrorIs(t, err, perf.ErrNoMarkers)
}

// A figure known to miss its target is gross only when twice as bad as its known ratio; a known ratio
// that meets the target, or none, leaves the target's own bound.
func TestKnownMissBoundsGross(t *testing.T) {
	cost := perf.Line{Name: "ingest", Ratio: 8, Target: perf.Le(1)}
	require.True(t, cost.Gross(), "8× against ≤ 1× is gross without a known miss")
	cost.Known = 5
	require.False(t, cost.Gross(), "not twice as bad as the known 5×")
	require.Equal(t, "missed", cost.Verdict(), "the verdict is still the target's")
	cost.Ratio = 10.5
	require.True(t, cost.Gross(), "twice as bad as the known 5×")
	cost.Known, cost.Ratio = 0.5, 2.5
	require.True(t, cost.Gross(), "a known ratio that met the target does not loosen it")

	rate := perf.Line{Name: "http", Ratio: 0.15, Target: perf.Ge(2), Known: 0.2}
	require.False(t, rate.Gross())
	rate.Ratio = 0.09
	require.True(t, rate.Gross(), "less than half the known 0.2")
	rate.Known = 0
	require.True(t, rate.Gross(), "no known miss: less than half the target 2×")
	rate.Ratio = 1.5
	require.False(t, rate.Gross())
}
