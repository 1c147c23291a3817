package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/temporal-sidecar/sidecar/internal/config"
)

// The repository's README is what `make docs` would write: the same check
// as `make docs-check`, so `go test ./...` catches a stale reference too.
func TestReadmeConfigurationReferenceIsUpToDate(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"-check", "-readme", "../../../README.md"}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
}

func TestRenderListsEveryOptionUnderItsGroup(t *testing.T) {
	md := Render(config.Docs())
	for _, d := range config.Docs() {
		section := md[strings.Index(md, "\n### "+d.Group+"\n"):]
		if next := strings.Index(section[1:], "\n### "); next >= 0 {
			section = section[:next+1]
		}
		row := "| `--" + d.Flag
		if !strings.Contains(section, row) {
			t.Errorf("--%s is not in the %s table", d.Flag, d.Group)
		}
		for _, e := range d.Env {
			if !strings.Contains(section, "`"+e+"`") {
				t.Errorf("%s of --%s is missing", e, d.Flag)
			}
		}
	}
	for _, want := range []string{
		"| `--address host:port` | `TEMPORAL_ADDRESS` | `127.0.0.1:7233` | Temporal frontend to connect to |\n",
		"| `--max-task-queues n` | `SIDECAR_MAX_TASK_QUEUES` | `100` | task queues served at once; an app registering one more is refused |\n",
		"| `--tls-ca-path path` | `TEMPORAL_TLS_SERVER_CA_CERT_PATH` or `TEMPORAL_TLS_CA_PATH` |  |",
		"| `--identity name` | `SIDECAR_IDENTITY` | `<pid>@<hostname>` |",
		"| `--eager-activities` | `SIDECAR_EAGER_ACTIVITIES` | `true` |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("reference lacks %q", want)
		}
	}
}

func TestRenderEscapesTableSyntax(t *testing.T) {
	md := Render([]config.Doc{{Group: "G", Flag: "f", Arg: "a|b", Env: []string{"E"}, Default: "x|y", Help: "one | two, max-*-pollers <n>"}})
	want := "| `--f a\\|b` | `E` | `x\\|y` | one \\| two, max-\\*-pollers &lt;n&gt; |\n"
	if !strings.Contains(md, want) {
		t.Errorf("got\n%s\nwant a row\n%s", md, want)
	}
}

func TestRunRewritesOnlyBetweenMarkersAndChecks(t *testing.T) {
	dir := t.TempDir()
	readme := filepath.Join(dir, "README.md")
	before := "# Title\n\nintro\n\n" + startMarker + "\nstale table\n" + endMarker + "\n\ntail\n"
	if err := os.WriteFile(readme, []byte(before), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if code := run([]string{"-check", "-readme", readme}, &out, &errOut); code != 1 ||
		!strings.Contains(errOut.String(), readme+" is stale: its configuration reference (from line 6) no longer matches the options in internal/config; run `make docs` and commit the result") {
		t.Fatalf("check of a stale file: exit %d, %q", code, errOut.String())
	}
	if code := run([]string{"-readme", readme}, &out, &errOut); code != 0 {
		t.Fatalf("rewrite: exit %d: %s", code, errOut.String())
	}
	got, _ := os.ReadFile(readme)
	want := "# Title\n\nintro\n\n" + startMarker + "\n" + Render(config.Docs()) + endMarker + "\n\ntail\n"
	if string(got) != want {
		t.Errorf("rewritten file:\n%s", got)
	}
	errOut.Reset()
	if code := run([]string{"-check", "-readme", readme}, &out, &errOut); code != 0 {
		t.Fatalf("check after rewrite: exit %d: %s", code, errOut.String())
	}
}

func TestMisplacedMarkersAreReported(t *testing.T) {
	tests := []struct{ name, doc, want string }{
		{"no markers", "# T\n", "no <!-- config:start --> and <!-- config:end --> lines to write between"},
		{"no start", "# T\n" + endMarker + "\n", "no <!-- config:start --> line before <!-- config:end -->"},
		{"no end", "# T\n" + startMarker + "\n", "no <!-- config:end --> line after <!-- config:start -->"},
		{"end first", endMarker + "\n" + startMarker + "\n", "<!-- config:end --> comes before <!-- config:start -->"},
		{"twice", startMarker + "\n" + endMarker + "\n" + startMarker + "\n" + endMarker + "\n", "the markers appear more than once"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			readme := filepath.Join(t.TempDir(), "README.md")
			os.WriteFile(readme, []byte(tt.doc), 0o644)
			var out, errOut bytes.Buffer
			if code := run([]string{"-readme", readme}, &out, &errOut); code != 1 || errOut.String() != "docgen: "+readme+": "+tt.want+"\n" {
				t.Errorf("exit %d, %q; want 1, %q", code, errOut.String(), tt.want)
			}
		})
	}
}

func TestMissingReadmeIsReported(t *testing.T) {
	var out, errOut bytes.Buffer
	missing := filepath.Join(t.TempDir(), "README.md")
	if code := run([]string{"-check", "-readme", missing}, &out, &errOut); code != 1 ||
		errOut.String() != "docgen: open "+missing+": no such file or directory\n" {
		t.Errorf("exit %d, %q", code, errOut.String())
	}
}
