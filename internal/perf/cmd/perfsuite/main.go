// Command perfsuite measures msgkit against its baselines (issue 18): every figure of BENCHMARKS.md's
// suite table, each a ratio of msgkit (the subject) to a baseline measured in the same run, interleaved in
// rounds and reduced to medians, and judged against its target. It prints one line per figure — name,
// subject, baseline, ratio, target, met or missed — and with -write rewrites the table in BENCHMARKS.md.
//
//	go run ./internal/perf/cmd/perfsuite              # full mode, for people (~35 minutes on 2 busy cores)
//	go run ./internal/perf/cmd/perfsuite -short       # CI: under 3 minutes, fails only on a gross regression
//	go run ./internal/perf/cmd/perfsuite -write       # and rewrite BENCHMARKS.md's table
//	go run ./internal/perf/cmd/perfsuite -only 'parse'
//
// PostgreSQL figures use $MSGKIT_POSTGRES_DSN (or -pg); without it they are reported not measured. The
// HTTP figures run each server in a child process (this binary with -serve) on the loopback interface
// and load it with the suite's generator (internal/perf/loadgen). With valgrind installed, the CPU-bound
// figures also get instruction counts from callgrind (full mode, or -callgrind).
//
// The exit status is 1 when a figure regressed grossly (a ratio worse than twice its target) or failed
// to run, 2 on bad flags; a missed target alone exits 0.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"regexp"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"time"

	"github.com/msgkit/msgkit/channel/line/linetest"
	"github.com/msgkit/msgkit/internal/perf"
)

// env is what every figure is run with.
type env struct {
	short     bool
	rounds    int
	pgDSN     string
	dir       string // scratch directory, removed at the end
	callgrind bool
	self      string // this executable, for the server children and callgrind
	// cgOnce finds cgSelf, the executable callgrind runs: self when it has a symbol table, else a build
	// of this command that has one (go run strips it, and callgrind then finds no cgLoop to count in).
	cgOnce sync.Once
	cgSelf string
	cgErr  error
	// lineAPI is the fake LINE API the example-wired servers call (profiles, settings checks), served
	// from this process so that its memory and CPU are not the server's.
	lineOnce sync.Once
	lineAPI  *linetest.Server
	// memoryWebhooks is how many webhooks the memory figure sends in full mode.
	memoryWebhooks int
	log            io.Writer
}

// scale picks the short or the full mode's value.
func (e *env) scale(short, full int) int {
	if e.short {
		return short
	}
	return full
}

// figure is one row group of the table: it returns its lines (a figure may have several ratios).
type figure struct {
	name string
	run  func(ctx context.Context, e *env) ([]perf.Line, error)
	// targets are the lines' names and targets, for a figure that cannot run (its lines are reported
	// failed or not measured).
	targets []named
}

type named struct {
	name   string
	target perf.Target
}

// knownMisses are the worst ratios recorded (BENCHMARKS.md's runs of 2026-11-27, on 2 shared cores) for
// the targets msgkit still misses. CI fails when such a figure gets twice as bad as this; its target
// is still what the table judges it by. Remove a figure once its target is met; never raise one to
// make a build pass.
var knownMisses = map[string]float64{
	"ingest, memory":                  2.74, // 67.6 before memstore's ClaimJobs stopped scanning finished jobs
	"ingest, SQLite: time":            10.2,
	"ingest, SQLite: p99":             5.17,
	"batch, 100 events: per event":    0.711,
	"HTTP, SQLite: webhooks/s":        0.215,
	"HTTP, memory: webhooks/s":        0.098,
	"PostgreSQL ingest, 8 concurrent": 10.3,
	"scale-out ×4: ingest":            0.997,
	// Was 2.68× until one instance ran its own jobs after each commit (session 4): one instance went
	// from 81–87 to 167–219 conversations routed a second, four from 95–117 to 145–168. Missed since,
	// unseen by CI until perf.Target.Or stopped reading "no known miss" as a known ratio of 0.
	"scale-out ×4: round robin": 0.76,
	"outbound reply":            28.4,
}

func figures() []figure {
	return []figure{
		{"parse", figParse, []named{{"parse, 1 event: time", perf.Le(0.35)}, {"parse, 1 event: allocs", perf.Le(0.35)},
			{"parse, 20 events: time", perf.Le(0.35)}, {"parse, 20 events: allocs", perf.Le(0.35)}}},
		{"ingest-memory", figIngestMemory, []named{{"ingest, memory", perf.Le(0.6)}}},
		{"ingest-sqlite", figIngestSQLite, []named{{"ingest, SQLite: time", perf.Le(1)}, {"ingest, SQLite: p99", perf.Le(2)}}},
		{"batch", figBatch, []named{{"batch, 100 events: per event", perf.Le(0.3)}}},
		{"http-sqlite", figHTTPSQLite, []named{{"HTTP, SQLite: webhooks/s", perf.Ge(2)}}},
		{"http-memory", figHTTPMemory, []named{{"HTTP, memory: webhooks/s", perf.Ge(0.6)}}},
		{"pg-ingest", figPGIngest, []named{{"PostgreSQL ingest, 8 concurrent", perf.Le(3)}}},
		{"scale-out", figScaleOut, []named{{"scale-out ×4: ingest", perf.Ge(2)}, {"scale-out ×4: round robin", perf.Ge(2)},
			{"scale-out ×4: round robin fairness", perf.Le(1)}}},
		{"views", figViews, viewTargets()},
		{"outbound", figOutbound, []named{{"outbound reply", perf.Le(1.5)}}},
		{"memory", figMemory, []named{{"memory: RSS after webhooks", perf.Le(1.5)}}},
	}
}

func viewTargets() []named {
	var out []named
	for _, c := range viewCases {
		out = append(out, named{"views at scale: " + c.name, perf.Le(2)})
	}
	return out
}

func main() {
	if len(os.Args) > 2 && os.Args[1] == "-serve" {
		if err := serveChild(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "perfsuite -serve:", err)
			os.Exit(1)
		}
		return
	}
	if len(os.Args) > 2 && os.Args[1] == "-cg" {
		if err := callgrindChild(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "perfsuite -cg:", err)
			os.Exit(1)
		}
		return
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("perfsuite", flag.ContinueOnError)
	fs.SetOutput(stderr)
	short := fs.Bool("short", false, "the CI mode: fewer rounds and smaller loads, under 3 minutes")
	write := fs.String("write", "", "rewrite the table between the perfsuite markers of this file (e.g. BENCHMARKS.md)")
	only := fs.String("only", "", "run only the figures whose name matches this regular expression")
	pg := fs.String("pg", os.Getenv("MSGKIT_POSTGRES_DSN"), "PostgreSQL DSN for the PostgreSQL figures ($MSGKIT_POSTGRES_DSN)")
	cg := fs.Bool("callgrind", false, "count instructions with valgrind's callgrind also in -short mode (always in full mode)")
	rounds := fs.Int("rounds", 0, "rounds per ratio (default 3 short, 7 full)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the in-process figures to this file")
	serverMem := fs.String("server-memprofile", "", "write heap profiles of the HTTP figures' servers, as they stop, to this path plus .<server kind>")
	serverProfile := fs.String("server-cpuprofile", "", "write CPU profiles of the HTTP figures' servers to this path plus .<server kind>")
	memN := fs.Int("memory-webhooks", 100_000, "webhooks the memory figure sends in full mode")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	filter, err := regexp.Compile(*only)
	if err != nil {
		fmt.Fprintln(stderr, "-only:", err)
		return 2
	}
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	dir, err := os.MkdirTemp("", "perfsuite-")
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	e := &env{short: *short, rounds: *rounds, pgDSN: *pg, dir: dir, self: self, log: stderr, memoryWebhooks: *memN,
		callgrind: (*cg || !*short) && hasValgrind()}
	defer func() {
		if e.lineAPI != nil {
			e.lineAPI.Close()
		}
	}()
	if e.rounds <= 0 {
		e.rounds = e.scale(3, 7)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	if *serverMem != "" {
		os.Setenv("PERFSUITE_SERVER_MEMPROFILE", *serverMem)
	}
	if *serverProfile != "" {
		os.Setenv("PERFSUITE_SERVER_CPUPROFILE", *serverProfile) // the children read it
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(stderr, "-cpuprofile:", err)
			return 1
		}
		defer pprof.StopCPUProfile()
	}
	mode := map[bool]string{true: "short", false: "full"}[*short]
	info := perf.Run{Date: time.Now().UTC().Format("2006-01-02 15:04 UTC"), Mode: mode, CPU: cpuModel(),
		GoVersion: runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH, Load: loadAverage(),
		Command: "go run ./internal/perf/cmd/perfsuite" + map[bool]string{true: " -short", false: ""}[*short]}
	fmt.Fprintf(stdout, "perfsuite %s mode, %d rounds; %s; %s; load %s\n", mode, e.rounds, info.CPU, info.GoVersion, info.Load)
	var lines []perf.Line
	start := time.Now()
	for _, f := range figures() {
		if !filter.MatchString(f.name) {
			continue
		}
		t0 := time.Now()
		got, err := f.run(ctx, e)
		if err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", f.name, err)
			got = nil
			for _, n := range f.targets {
				got = append(got, perf.Line{Name: n.name, Subject: "failed", Baseline: "—", Ratio: nanRatio(), Target: n.target})
			}
		}
		for _, l := range got {
			fmt.Fprintln(stdout, l)
		}
		fmt.Fprintf(stderr, "  (%s took %s)\n", f.name, time.Since(t0).Round(time.Second))
		lines = append(lines, got...)
	}
	fmt.Fprintf(stdout, "suite took %s\n", time.Since(start).Round(time.Second))
	if *write != "" {
		doc, err := os.ReadFile(*write)
		if err == nil {
			doc, err = perf.Rewrite(doc, perf.Markdown(info, lines))
		}
		if err == nil {
			err = os.WriteFile(*write, doc, 0o644)
		}
		if err != nil {
			fmt.Fprintln(stderr, "-write:", err)
			return 1
		}
	}
	var gross []string
	for _, l := range lines {
		l.Known = knownMisses[l.Name]
		if l.Gross() {
			gross = append(gross, l.Name)
		}
	}
	if len(gross) > 0 {
		fmt.Fprintf(stderr, "gross regression (a ratio worse than twice its target, or than twice its known miss, or a figure that failed): %s\n", strings.Join(gross, "; "))
		return 1
	}
	return 0
}

func nanRatio() float64 { var z float64; return z / z }

// cpuModel is the CPU's model name and how many CPUs this process may use.
func cpuModel() string {
	model := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	return fmt.Sprintf("%s, %d CPUs", model, runtime.NumCPU())
}

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

func hasValgrind() bool { _, err := exec.LookPath("valgrind"); return err == nil }
