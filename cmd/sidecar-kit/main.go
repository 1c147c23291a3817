// Command sidecar-kit checks a bridge app against a real sidecar.
//
//	sidecar-kit check [flags] -- CMD ARGS
//
// It starts a Temporal dev server (bin/temporal, or --address for a running
// frontend), the sidecar, and CMD behind a recording proxy; CMD finds the
// bridge in $TEMPORAL_SIDECAR and its task queue in $TASK_QUEUE. Then it
// drives the app through the scenarios that fit what it registers, prints a
// pass/fail table, and exits 1 if any failed (2 for a usage error). The
// contract between the kit and the app is in docs/PROTOCOL.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/temporal-sidecar/sidecar/internal/kit"
)

func main() {
	if len(os.Args) < 2 || os.Args[1] != "check" {
		fmt.Fprintln(os.Stderr, "usage: sidecar-kit check [flags] -- CMD ARGS")
		os.Exit(2)
	}
	fs := flag.NewFlagSet("check", flag.ExitOnError)
	var o kit.Options
	var only string
	fs.StringVar(&o.Sidecar, "sidecar", "", "sidecar binary (default: sidecar next to this binary, then bin/sidecar, then $PATH)")
	fs.StringVar(&o.TemporalCLI, "temporal", "", "temporal CLI for the dev server (default: $TEMPORAL_CLI, bin/temporal next to this binary, $PATH)")
	fs.StringVar(&o.Address, "address", "", "use this Temporal frontend instead of starting a dev server")
	fs.StringVar(&o.Namespace, "namespace", "default", "namespace, with --address")
	fs.StringVar(&only, "run", "", "comma-separated substrings: run only the scenarios whose names contain one (register always runs)")
	fs.BoolVar(&o.Keep, "keep", false, "keep the logs directory even when every scenario passes")
	fs.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: sidecar-kit check [flags] -- CMD ARGS")
		fs.PrintDefaults()
	}
	_ = fs.Parse(os.Args[2:])
	o.Command = fs.Args()
	if len(o.Command) == 0 {
		fs.Usage()
		os.Exit(2)
	}
	if only != "" {
		o.Only = strings.Split(only, ",")
	}
	o.Sidecar = find(o.Sidecar, "sidecar")
	if o.TemporalCLI == "" && os.Getenv("TEMPORAL_CLI") == "" {
		if p := find("", "temporal"); p != "temporal" {
			o.TemporalCLI = p
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	_, ok, err := kit.Run(ctx, o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "sidecar-kit:", err)
		os.Exit(1)
	}
	if !ok {
		os.Exit(1)
	}
}

// find resolves a binary: explicit, next to this executable, in ./bin, or
// the bare name for $PATH.
func find(explicit, name string) string {
	if explicit != "" {
		return explicit
	}
	var dirs []string
	if exe, err := os.Executable(); err == nil {
		dirs = append(dirs, filepath.Dir(exe))
	}
	dirs = append(dirs, "bin")
	for _, d := range dirs {
		p := filepath.Join(d, name)
		if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			abs, _ := filepath.Abs(p)
			return abs
		}
	}
	return name
}
