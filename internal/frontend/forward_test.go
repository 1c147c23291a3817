package frontend

import (
	"context"
	"testing"

	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

const respondCompleted = "/temporal.api.workflowservice.v1.WorkflowService/RespondActivityTaskCompleted"

func TestForwardCarriesCredentialsAndNamespace(t *testing.T) {
	f, addr := serve(t, nil)
	cfg := plain(addr)
	cfg.APIKey = "k3y"
	c := dial(t, cfg)
	req := &workflowservice.RespondActivityTaskCompletedRequest{Namespace: "default"}
	if err := c.Forward(context.Background(), respondCompleted, req, new(workflowservice.RespondActivityTaskCompletedResponse)); err != nil {
		t.Fatal(err)
	}
	md := f.metadata("RespondActivityTaskCompleted")
	for key, want := range map[string]string{"authorization": "Bearer k3y", "temporal-namespace": "default"} {
		if got := md.Get(key); len(got) != 1 || got[0] != want {
			t.Errorf("metadata %s = %q, want [%q]", key, got, want)
		}
	}
}

func TestForwardDoesNotRetry(t *testing.T) {
	f, addr := serve(t, nil)
	c := dial(t, plain(addr))
	f.inject("RespondActivityTaskCompleted", codes.Unavailable)
	err := c.Forward(context.Background(), respondCompleted, &workflowservice.RespondActivityTaskCompletedRequest{},
		new(workflowservice.RespondActivityTaskCompletedResponse))
	if status.Code(err) != codes.Unavailable {
		t.Fatalf("error = %v, want Unavailable: the proxied caller retries, not the sidecar", err)
	}
	if got := f.count("RespondActivityTaskCompleted"); got != 1 {
		t.Errorf("calls = %d, want 1", got)
	}
}
