package nexus

import (
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	nexuspb "go.temporal.io/api/nexus/v1"
	"google.golang.org/protobuf/proto"
)

func TestWorkflowEventLinksRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		ev   *commonpb.Link_WorkflowEvent
	}{
		{"event reference", &commonpb.Link_WorkflowEvent{Namespace: "default", WorkflowId: "caller/1 x", RunId: "r1",
			Reference: &commonpb.Link_WorkflowEvent_EventRef{EventRef: &commonpb.Link_WorkflowEvent_EventReference{
				EventId: 5, EventType: enumspb.EVENT_TYPE_NEXUS_OPERATION_SCHEDULED}}}},
		{"request id reference", StartedEvent("ns", "handled", "r2", "req-1")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := Link(tt.ev)
			got := TemporalLinks([]*nexuspb.Link{{Url: l.GetUrl(), Type: l.GetType()}})
			if len(got) != 1 || !proto.Equal(got[0].GetWorkflowEvent(), tt.ev) {
				t.Fatalf("%s parsed back as %v, want %v", l.GetUrl(), got, tt.ev)
			}
		})
	}
}

func TestTemporalLinksParsesWhatTheServerSends(t *testing.T) {
	got := TemporalLinks([]*nexuspb.Link{{
		Url:  "temporal:///namespaces/default/workflows/wf-1/run-1/history?eventID=5&eventType=NexusOperationScheduled&referenceType=EventReference",
		Type: "temporal.api.common.v1.Link.WorkflowEvent"}})
	want := &commonpb.Link_WorkflowEvent{Namespace: "default", WorkflowId: "wf-1", RunId: "run-1",
		Reference: &commonpb.Link_WorkflowEvent_EventRef{EventRef: &commonpb.Link_WorkflowEvent_EventReference{
			EventId: 5, EventType: enumspb.EVENT_TYPE_NEXUS_OPERATION_SCHEDULED}}}
	if len(got) != 1 || !proto.Equal(got[0].GetWorkflowEvent(), want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

func TestTemporalLinksSkipsLinksItCannotPlace(t *testing.T) {
	for _, l := range []*nexuspb.Link{
		{Url: "https://example.com/x", Type: "temporal.api.common.v1.Link.WorkflowEvent"},
		{Url: "temporal:///namespaces/default/workflows/wf/run/history?eventType=Bogus&referenceType=EventReference", Type: "temporal.api.common.v1.Link.WorkflowEvent"},
		{Url: "temporal:///namespaces/default/workflows/wf/run/history?eventType=NexusOperationScheduled&referenceType=EventReference", Type: "other"},
		{Url: "temporal:///namespaces/default/workflows/wf/run", Type: "temporal.api.common.v1.Link.WorkflowEvent"},
	} {
		if got := TemporalLinks([]*nexuspb.Link{l}); len(got) != 0 {
			t.Errorf("%v became %v, want skipped", l, got)
		}
	}
}

func TestWorkflowRunTokenNamesItsWorkflow(t *testing.T) {
	tests := []struct{ token, want string }{
		{WorkflowRunToken("default", "handled-1"), "handled-1"},
		// What Temporal's Python SDK encodes for the same operation.
		{"eyJ0IjoxLCJucyI6ImRlZmF1bHQiLCJ3aWQiOiJoYW5kbGVkLTEifQ", "handled-1"},
		{"tok-1", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := tokenWorkflow(tt.token); got != tt.want {
			t.Errorf("tokenWorkflow(%q) = %q, want %q", tt.token, got, tt.want)
		}
	}
	if got, python := WorkflowRunToken("default", "handled-1"), tests[1].token; got != python {
		t.Errorf("WorkflowRunToken = %q, want %q as Temporal's Python SDK encodes it", got, python)
	}
}
