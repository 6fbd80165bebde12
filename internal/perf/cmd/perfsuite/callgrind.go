package main

import (
	"bufio"
	"context"
	"debug/elf"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/msgkit/msgkit/internal/perf"
	"github.com/msgkit/msgkit/internal/perf/loadgen"
	"github.com/msgkit/msgkit/store/memstore"
)

// instructions counts, with valgrind's callgrind, the instructions one op of a CPU-bound figure executes
// on each side (only inside cgLoop: set-up and runtime start are not counted) and returns their ratio as
// a line: a second opinion that the machine's load cannot move.
func (e *env) instructions(ctx context.Context, name, what string, target perf.Target) (perf.Line, error) {
	n := e.scale(200, 1000)
	if what == "parse-20" {
		n /= 10
	}
	self, err := e.callgrindSelf(ctx)
	if err != nil {
		return perf.Line{}, err
	}
	count := func(side string) (float64, error) {
		out := filepath.Join(e.dir, "callgrind."+what+"."+side)
		cmd := exec.CommandContext(ctx, "valgrind", "--tool=callgrind", "--callgrind-out-file="+out,
			"--toggle-collect=main.cgLoop", self, "-cg", what, side, strconv.Itoa(n))
		// Callgrind cannot follow Go's asynchronous preemption signals; without the garbage collector the
		// count is the op's own work, not when a collection happened to fall (GC is in the timed figures).
		cmd.Env = append(os.Environ(), "GODEBUG=asyncpreemptoff=1", "GOGC=off")
		if b, err := cmd.CombinedOutput(); err != nil {
			return 0, fmt.Errorf("callgrind %s %s: %v: %s", what, side, err, lastLines(b, 5))
		}
		ir, err := callgrindTotal(out)
		if err == nil && ir == 0 {
			err = fmt.Errorf("callgrind %s %s counted no instructions in main.cgLoop", what, side)
		}
		return ir / float64(n), err
	}
	s, err := count("subject")
	if err != nil {
		return perf.Line{}, err
	}
	b, err := count("baseline")
	if err != nil {
		return perf.Line{}, err
	}
	return perf.Line{Name: name, Subject: fmtCount(s) + " instr", Baseline: fmtCount(b) + " instr", Ratio: s / b, Target: target}, nil
}

// callgrindSelf returns the executable callgrind runs (see env.cgSelf).
func (e *env) callgrindSelf(ctx context.Context) (string, error) {
	e.cgOnce.Do(func() {
		f, err := elf.Open(e.self)
		if err != nil {
			e.cgErr = err
			return
		}
		symbols := f.Section(".symtab") != nil
		f.Close()
		if symbols {
			e.cgSelf = e.self
			return
		}
		e.cgSelf = filepath.Join(e.dir, "perfsuite-with-symbols")
		if b, err := exec.CommandContext(ctx, "go", "build", "-o", e.cgSelf, "github.com/msgkit/msgkit/internal/perf/cmd/perfsuite").CombinedOutput(); err != nil {
			e.cgErr = fmt.Errorf("this executable has no symbol table for callgrind (go run strips it), and building one failed: %v: %s", err, lastLines(b, 5))
		}
	})
	return e.cgSelf, e.cgErr
}

// callgrindTotal reads the instruction count from a callgrind output file's summary (or totals) line.
func callgrindTotal(path string) (float64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		for _, p := range []string{"summary:", "totals:"} {
			if v, ok := strings.CutPrefix(sc.Text(), p); ok {
				return strconv.ParseFloat(strings.Fields(v)[0], 64)
			}
		}
	}
	return 0, fmt.Errorf("%s: no summary line", path)
}

// callgrindChild is the process callgrind runs: perfsuite -cg <what> <subject|baseline> <n>. Only cgLoop
// is counted.
func callgrindChild(args []string) error {
	if len(args) != 3 {
		return fmt.Errorf("usage: -cg <what> <subject|baseline> <n>")
	}
	n, err := strconv.Atoi(args[2])
	if err != nil {
		return err
	}
	ctx := context.Background()
	adapter, sdk, err := parseOps()
	if err != nil {
		return err
	}
	one, twenty := parseBodies()
	var op func(i int) error
	switch args[0] + "/" + args[1] {
	case "parse-1/subject", "parse-1/baseline", "parse-20/subject", "parse-20/baseline":
		body, f := one, adapter
		if strings.HasPrefix(args[0], "parse-20") {
			body = twenty
		}
		if args[1] == "baseline" {
			f = sdk
		}
		reqs := make([]*http.Request, n)
		for i := range reqs {
			reqs[i] = request(body)
		}
		op = func(i int) error { return f(reqs[i]) }
	case "ingest-memory/subject", "ingest-memory/baseline":
		k, err := newKit(ctx, memstore.New(nil), kitOptions{roundRobin: true})
		if err != nil {
			return err
		}
		b, user := loadgen.NewBodies(bot), 0
		for _, body := range newBodies(b, &user, 50) { // warm-up
			if _, _, err := k.post(ctx, body); err != nil {
				return err
			}
		}
		bodies := newBodies(b, &user, n)
		if args[1] == "subject" {
			op = func(i int) error { _, _, err := k.post(ctx, bodies[i]); return err }
		} else {
			op = func(i int) error { return sdk(request(bodies[i])) }
		}
	default:
		return fmt.Errorf("unknown -cg %s %s", args[0], args[1])
	}
	return cgLoop(n, op)
}

// cgLoop is the only function callgrind counts in (--toggle-collect).
//
//go:noinline
func cgLoop(n int, op func(i int) error) error {
	for i := range n {
		if err := op(i); err != nil {
			return err
		}
	}
	return nil
}

func fmtCount(x float64) string {
	switch {
	case x >= 1e6:
		return fmt.Sprintf("%.3gM", x/1e6)
	case x >= 1e3:
		return fmt.Sprintf("%.3gk", x/1e3)
	default:
		return fmt.Sprintf("%.3g", x)
	}
}

func lastLines(b []byte, n int) string {
	l := strings.Split(strings.TrimSpace(string(b)), "\n")
	return strings.Join(l[max(0, len(l)-n):], "\n")
}
