package main

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// CI cannot run docker, so these tests check what the image depends on:
// a static binary (distroless/static has no libc and no loader) and a
// Dockerfile that copies everything the build needs.

// dockerfile returns the instructions of ../../Dockerfile, continuation
// lines joined, comments dropped.
func dockerfile(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	cur := ""
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if s, ok := strings.CutSuffix(line, "\\"); ok {
			cur += s + " "
			continue
		}
		out = append(out, cur+line)
		cur = ""
	}
	return out
}

// buildCommand is the go build of the Dockerfile's build stage.
func buildCommand(t *testing.T) string {
	t.Helper()
	for _, in := range dockerfile(t) {
		if strings.HasPrefix(in, "RUN ") && strings.Contains(in, " go build ") {
			return strings.TrimPrefix(in, "RUN ")
		}
	}
	t.Fatal("the Dockerfile has no RUN ... go build")
	return ""
}

func TestBinaryIsStaticallyLinked(t *testing.T) {
	// Build the way the Dockerfile does: the same flags, for this machine.
	cmdline := buildCommand(t)
	if !strings.HasPrefix(cmdline, "CGO_ENABLED=0 ") {
		t.Fatalf("the Dockerfile builds without CGO_ENABLED=0 first: %s", cmdline)
	}
	ldflags := regexp.MustCompile(`-ldflags "([^"]*)"`).FindStringSubmatch(cmdline)
	if ldflags == nil {
		t.Fatalf("no -ldflags in %s", cmdline)
	}
	bin := filepath.Join(t.TempDir(), "sidecar")
	build := exec.Command("go", "build", "-trimpath", "-ldflags", strings.ReplaceAll(ldflags[1], "${VERSION}", "test"), "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		switch p.Type {
		case elf.PT_INTERP:
			t.Error("the binary asks for a program interpreter (PT_INTERP): it is dynamically linked")
		case elf.PT_DYNAMIC:
			t.Error("the binary has a dynamic segment (PT_DYNAMIC)")
		}
	}
	if f.Section(".dynamic") != nil || f.Section(".interp") != nil {
		t.Error("the binary has a .dynamic or .interp section")
	}
	if libs, err := f.ImportedLibraries(); err == nil && len(libs) > 0 {
		t.Errorf("the binary needs shared libraries %v", libs)
	}

	// The version stamp works, and -s -w stripped the symbols.
	if out, err := exec.Command(bin, "--help").CombinedOutput(); err != nil {
		t.Errorf("the static binary does not run: %v\n%s", err, out)
	}
	if f.Section(".symtab") != nil {
		t.Error("the binary keeps its symbol table; the Dockerfile's -s -w should strip it")
	}
}

func TestDockerfileCopiesEverythingTheBuildNeeds(t *testing.T) {
	copied := map[string]bool{}
	var final []string // instructions of the last stage
	for _, in := range dockerfile(t) {
		if strings.HasPrefix(in, "FROM ") {
			final = nil
		}
		final = append(final, in)
		if f := strings.Fields(in); f[0] == "COPY" && !strings.HasPrefix(f[1], "--from") {
			for _, src := range f[1 : len(f)-1] {
				copied[strings.TrimSuffix(src, "/")] = true
			}
		}
	}

	// Every package of this module the binary imports lives under a
	// copied directory.
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if .Module}}{{if .Module.Main}}{{.ImportPath}}{{end}}{{end}}", ".").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, pkg := range strings.Fields(string(out)) {
		rel := strings.TrimPrefix(pkg, "github.com/temporal-sidecar/sidecar/")
		if top, _, _ := strings.Cut(rel, "/"); !copied[top] {
			t.Errorf("the binary imports %s, but the Dockerfile does not COPY %s/", pkg, top)
		}
	}
	for _, f := range []string{"go.mod", "go.sum"} {
		if !copied[f] {
			t.Errorf("the Dockerfile does not COPY %s", f)
		}
	}

	// .dockerignore lets through everything the Dockerfile copies: it
	// ignores all ("*") and lists exceptions ("!dir").
	b, err := os.ReadFile("../../.dockerignore")
	if err != nil {
		t.Fatal(err)
	}
	var allowed []string
	for _, line := range strings.Split(string(b), "\n") {
		if s, ok := strings.CutPrefix(strings.TrimSpace(line), "!"); ok {
			allowed = append(allowed, strings.TrimSuffix(s, "/"))
		}
	}
	for src := range copied {
		if !slices.Contains(allowed, src) {
			t.Errorf(".dockerignore leaves %s out of the build context, but the Dockerfile copies it", src)
		}
	}

	// The final stage: distroless static (no libc), a numeric non-root
	// user (runAsNonRoot can only verify a number), and the endpoints the
	// Kubernetes manifests rely on.
	joined := strings.Join(final, "\n")
	for _, want := range []string{
		"FROM gcr.io/distroless/static-debian12:nonroot",
		"USER 65532:65532",
		"SIDECAR_BRIDGE_LISTEN=unix:///var/run/temporal-sidecar/bridge.sock",
		"SIDECAR_HTTP_LISTEN=0.0.0.0:9090",
		"EXPOSE 9090",
		"VOLUME /var/run/temporal-sidecar",
		`ENTRYPOINT ["/sidecar"]`,
	} {
		if !strings.Contains(joined, want) {
			t.Errorf("the final stage lacks %q:\n%s", want, joined)
		}
	}
}
