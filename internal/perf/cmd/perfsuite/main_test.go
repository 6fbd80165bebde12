package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/msgkit/msgkit/internal/perf"
	"github.com/msgkit/msgkit/internal/perf/loadgen"
)

func TestShortParseFigureRunsAndWritesTheTable(t *testing.T) {
	doc := filepath.Join(t.TempDir(), "BENCHMARKS.md")
	require.NoError(t, os.WriteFile(doc, []byte("# B\n"+perf.BeginMarker+"\nold\n"+perf.EndMarker+"\n"), 0o644))
	var out, errs bytes.Buffer
	code := run([]string{"-short", "-only", "^(parse|views)$", "-write", doc}, &out, &errs)
	// The verdicts depend on the machine (and -race slows the two sides unequally): 0, or 1 for a gross
	// regression, which stderr then names.
	require.Contains(t, []int{0, 1}, code, "stderr: %s", errs.String())
	if code == 1 {
		require.Contains(t, errs.String(), "gross regression")
	}
	for _, l := range []string{"parse, 1 event: time", "parse, 1 event: allocs", "parse, 20 events: time", "views at scale: all"} {
		require.Contains(t, out.String(), l)
	}
	b, err := os.ReadFile(doc)
	require.NoError(t, err)
	require.NotContains(t, string(b), "old")
	require.Contains(t, string(b), "| parse, 20 events: allocs |")
	require.Contains(t, string(b), "short mode")
}

func TestBadFlagsExit2(t *testing.T) {
	t.Parallel()
	require.Equal(t, 2, run([]string{"-only", "("}, &bytes.Buffer{}, &bytes.Buffer{}))
	require.Equal(t, 2, run([]string{"-nope"}, &bytes.Buffer{}, &bytes.Buffer{}))
}

func TestBareServerChecksTheSignature(t *testing.T) {
	t.Parallel()
	body := loadgen.NewBodies(bot).Next(loadgen.User(1))
	for sig, want := range map[string]int{loadgen.Sign(secret, body): http.StatusOK, loadgen.Sign("other", body): http.StatusUnauthorized, "": http.StatusUnauthorized} {
		w, r := httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		r.Header.Set(loadgen.SignatureHeader, sig)
		bare(w, r)
		require.Equal(t, want, w.Code)
	}
}

func TestCallgrindTotal(t *testing.T) {
	t.Parallel()
	p := filepath.Join(t.TempDir(), "callgrind.out")
	require.NoError(t, os.WriteFile(p, []byte("version: 1\ncmd: x\nevents: Ir\nfn=(1) main.cgLoop\n3 7\nsummary: 4875231\ntotals: 4875231\n"), 0o644))
	n, err := callgrindTotal(p)
	require.NoError(t, err)
	require.Equal(t, 4875231.0, n)
	require.NoError(t, os.WriteFile(p, []byte("events: Ir\n"), 0o644))
	_, err = callgrindTotal(p)
	require.Error(t, err)
}
