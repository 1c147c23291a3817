package devserver

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"testing"
)

// shared is the package-wide server started by Main.
var shared *Server

// Main starts one server for the whole test package, runs the tests, stops
// the server and exits with the tests' status. Call it from TestMain:
//
//	func TestMain(m *testing.M) { devserver.Main(m, devserver.Options{}) }
//
// If the server cannot start (for example the CLI is not installed) the
// package fails with exit status 1: a skipped integration test looks too
// much like a passing one.
func Main(m *testing.M, opts Options) {
	os.Exit(run(m, opts))
}

func run(m *testing.M, opts Options) int {
	s, err := Start(context.Background(), opts)
	if err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: cannot start Temporal dev server for tests:\n%v\n", err)
		return 1
	}
	shared = s
	defer func() {
		shared = nil
		if err := s.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}()
	return m.Run()
}

// Shared returns the server started by Main. It fails the test if the
// package's TestMain does not call Main.
func Shared(t testing.TB) *Server {
	t.Helper()
	if shared == nil {
		t.Fatal("devserver.Shared: no shared server; add\n\tfunc TestMain(m *testing.M) { devserver.Main(m, devserver.Options{}) }\nto the test package")
	}
	return shared
}

// TaskQueue returns a task queue name unique to this test and run, so tests
// sharing a server never steal each other's tasks. The test name is kept
// (sanitized, truncated) so the queue is recognizable in server logs.
func TaskQueue(t testing.TB) string {
	b := []byte(t.Name())
	for i, c := range b {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.') {
			b[i] = '-'
		}
	}
	if len(b) > 64 {
		b = b[:64]
	}
	return fmt.Sprintf("%s-%08x", b, rand.Uint32())
}
