// Package kit checks a bridge app against a real sidecar: it starts a
// Temporal dev server (or uses a given frontend), the sidecar, and the app
// under test behind a recording proxy, then drives the app through scripted
// scenarios for the kinds of work it registers and prints a pass/fail table.
//
// The app and the kit share a contract (docs/PROTOCOL.md, "The client
// kit"): the app connects to $TEMPORAL_SIDECAR, registers task queue
// $TASK_QUEUE, offers $KIT_ACTIVITY_CAPACITY activities at once when it
// serves activities, and registers the conventional types below.
package kit

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
)

// The conventional types an app registers for the kit.
const (
	Echo       = "kit.echo"        // returns its first argument unchanged
	Fail       = "kit.fail"        // fails as its arguments say
	Heartbeat  = "kit.heartbeat"   // heartbeats 1..n, fails; the retry returns the last details
	WaitCancel = "kit.wait_cancel" // heartbeats until cancelled, then reports cancelled
	Sleep      = "kit.sleep"       // sleeps its argument in milliseconds, returns null
	Workflow   = "kit.workflow"    // sleeps 100ms, runs kit.echo(arg), returns its result
)

// ActivityTypes are the activity types an activity-serving app registers.
var ActivityTypes = []string{Echo, Fail, Heartbeat, WaitCancel, Sleep}

// kitCapacity is the activity capacity the kit asks apps to offer
// ($KIT_ACTIVITY_CAPACITY).
const kitCapacity = 4

// Options configure a kit run.
type Options struct {
	// Command is the app under test and its arguments. "{bridge}" and
	// "{task_queue}" in them are replaced by the bridge address and queue.
	Command []string
	// Sidecar is the sidecar binary.
	Sidecar string
	// TemporalCLI is the temporal CLI for the dev server (empty: found as
	// internal/devserver finds it). Unused when Address is set.
	TemporalCLI string
	// Address is a Temporal frontend to use instead of a dev server.
	Address   string
	Namespace string
	// Only runs the scenarios whose names contain one of these.
	Only []string
	// Keep keeps the logs directory even when every scenario passes.
	Keep bool
	Out  io.Writer
}

// Result is one scenario's outcome.
type Result struct {
	Name   string
	Status string // PASS, FAIL or SKIP
	Took   time.Duration
	Detail string
}

// Run runs the kit and returns every scenario's result; ok is false when
// any failed.
func Run(ctx context.Context, o Options) (results []Result, ok bool, err error) {
	if o.Out == nil {
		o.Out = os.Stdout
	}
	if len(o.Command) == 0 {
		return nil, false, fmt.Errorf("no app command: sidecar-kit check -- CMD ARGS")
	}
	start := time.Now()
	r, err := newRig(ctx, o)
	defer func() {
		if r == nil {
			return
		}
		r.close()
		if ok && !o.Keep {
			os.RemoveAll(r.dir)
		} else {
			fmt.Fprintf(o.Out, "logs: %s (sidecar-*.log, app.log)\n", r.dir)
		}
	}()
	if err != nil {
		return nil, false, err
	}
	if err := r.startApp(); err != nil {
		return nil, false, err
	}
	ok = true
	var reg *bridgev1.Register
	for _, sc := range scenarios() {
		if len(o.Only) > 0 && sc.name != "register" && !slices.ContainsFunc(o.Only, func(s string) bool { return strings.Contains(sc.name, s) }) {
			continue
		}
		res := Result{Name: sc.name}
		t0 := time.Now()
		switch why := sc.applies(reg); {
		case sc.name != "register" && reg == nil:
			res.Status, res.Detail = "SKIP", "the app did not register"
		case why != "":
			res.Status, res.Detail = "SKIP", why
		default:
			detail, err := sc.run(ctx, r)
			res.Detail = detail
			if err != nil {
				res.Status, res.Detail = "FAIL", err.Error()
				ok = false
			} else {
				res.Status = "PASS"
			}
		}
		if sc.name == "register" && res.Status == "PASS" {
			reg = r.proxy.live().register
		}
		res.Took = time.Since(t0)
		results = append(results, res)
		fmt.Fprintf(o.Out, "%-4s %-36s %6.1fs  %s\n", res.Status, res.Name, res.Took.Seconds(), firstLine(res.Detail))
	}
	printTable(o.Out, results, time.Since(start))
	return results, ok, nil
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " ..."
	}
	return s
}

func printTable(w io.Writer, results []Result, took time.Duration) {
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SCENARIO\tRESULT\tTIME\tDETAIL")
	passed, failed, skipped := 0, 0, 0
	for _, r := range results {
		switch r.Status {
		case "PASS":
			passed++
		case "FAIL":
			failed++
		default:
			skipped++
		}
		detail := strings.ReplaceAll(r.Detail, "\n", "\n\t\t\t")
		fmt.Fprintf(tw, "%s\t%s\t%.1fs\t%s\n", r.Name, r.Status, r.Took.Seconds(), detail)
	}
	tw.Flush()
	fmt.Fprintf(w, "\n%d passed, %d failed, %d skipped in %.1fs\n", passed, failed, skipped, took.Seconds())
}
