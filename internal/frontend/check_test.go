package frontend

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/temporal-sidecar/sidecar/internal/devserver"
)

// These tests run against a real dev server: reachability, namespaces and
// capabilities are the server's to decide.

func TestDialPassesCheckAndReportsCapabilities(t *testing.T) {
	srv := devserver.Shared(t)
	c := dial(t, plain(srv.Address()))

	if c.ServerVersion() == "" {
		t.Error("ServerVersion is empty")
	}
	caps := c.Capabilities()
	if caps == nil || !caps.GetSdkMetadata() || !caps.GetSignalAndQueryHeader() {
		t.Errorf("Capabilities = %v, want sdk_metadata and signal_and_query_header", caps)
	}
	if got := c.NamespaceInfo().GetName(); got != "default" {
		t.Errorf("NamespaceInfo().Name = %q", got)
	}
	if c.Namespace() != "default" || c.Identity() != "me@test" {
		t.Errorf("Namespace, Identity = %q, %q", c.Namespace(), c.Identity())
	}
	// The raw client works.
	if _, err := c.WorkflowService().DescribeNamespace(context.Background(),
		&workflowservice.DescribeNamespaceRequest{Namespace: c.Namespace()}); err != nil {
		t.Error(err)
	}
	// Check can run again on a live client.
	if err := c.Check(context.Background()); err != nil {
		t.Error(err)
	}
}

func TestUnreachableAddressNamesAddressOption(t *testing.T) {
	cfg := plain("127.0.0.1:1")
	cfg.ConnectTimeout = 500 * time.Millisecond
	_, err := Dial(context.Background(), cfg, "me", nil)
	if err == nil {
		t.Fatal("Dial succeeded")
	}
	msg := err.Error()
	prefix, suffix := "cannot reach Temporal frontend at 127.0.0.1:1: ", "; check --address (TEMPORAL_ADDRESS)"
	if !strings.HasPrefix(msg, prefix) || !strings.HasSuffix(msg, suffix) || !strings.Contains(msg, "connection refused") {
		t.Errorf("error = %q, want %q<cause with connection refused>%q", msg, prefix, suffix)
	}
	if status.Code(err) != codes.Unavailable {
		t.Errorf("status.Code = %v, want Unavailable", status.Code(err))
	}
}

func TestUnknownNamespaceNamesNamespaceOption(t *testing.T) {
	srv := devserver.Shared(t)
	cfg := plain(srv.Address())
	cfg.Namespace = "nope"
	_, err := Dial(context.Background(), cfg, "me", nil)
	want := `namespace "nope" not found on ` + srv.Address() + `; check --namespace (TEMPORAL_NAMESPACE)`
	if err == nil || err.Error() != want {
		t.Fatalf("error:\n got %v\nwant %s", err, want)
	}
	if status.Code(err) != codes.NotFound {
		t.Errorf("status.Code = %v, want NotFound", status.Code(err))
	}
}

func TestTLSAgainstPlaintextServerNamesTLSOptions(t *testing.T) {
	srv := devserver.Shared(t)
	cfg := plain(srv.Address())
	cfg.TLS.Enabled = true
	cfg.ConnectTimeout = time.Second
	_, err := Dial(context.Background(), cfg, "me", nil)
	if err == nil {
		t.Fatal("Dial succeeded")
	}
	if want := "; check --address (TEMPORAL_ADDRESS), --tls (TEMPORAL_TLS) and the other --tls-* options"; !strings.HasSuffix(err.Error(), want) {
		t.Errorf("error %q does not end with %q", err, want)
	}
}

func TestCheckStopsAtContextDeadline(t *testing.T) {
	cfg := plain("127.0.0.1:1")
	cfg.ConnectTimeout = 0 // only the caller's deadline applies
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if _, err := Dial(ctx, cfg, "me", nil); err == nil || !strings.HasPrefix(err.Error(), "cannot reach Temporal frontend at 127.0.0.1:1: ") {
		t.Errorf("error = %v", err)
	}
}

func TestUnresolvableHostReportsTheLookupError(t *testing.T) {
	cfg := plain("nonexistent.invalid:7233")
	cfg.ConnectTimeout = 300 * time.Millisecond
	_, err := Dial(context.Background(), cfg, "me", nil)
	prefix := "cannot reach Temporal frontend at nonexistent.invalid:7233: lookup nonexistent.invalid"
	if err == nil || !strings.HasPrefix(err.Error(), prefix) || !strings.HasSuffix(err.Error(), "; check --address (TEMPORAL_ADDRESS)") {
		t.Errorf("error = %v, want %s...; check --address (TEMPORAL_ADDRESS)", err, prefix)
	}
}
