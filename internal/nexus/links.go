package nexus

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	nexuspb "go.temporal.io/api/nexus/v1"
)

// Temporal's SDKs agree on two encodings this file speaks: the operation
// token of a workflow-run operation, and the temporal:// URLs that carry
// Temporal links inside Nexus links. The sidecar speaks them so that every
// app language need not.

// workflowRunToken is the token type Temporal's SDKs give an operation
// backed by a workflow run.
const workflowRunToken = 1

type operationToken struct {
	Type       int    `json:"t"`
	Namespace  string `json:"ns"`
	WorkflowID string `json:"wid,omitempty"`
}

// WorkflowRunToken is the operation token of an operation backed by the
// workflow with the id, in the format Temporal's SDKs use.
func WorkflowRunToken(namespace, workflowID string) string {
	b, _ := json.Marshal(operationToken{Type: workflowRunToken, Namespace: namespace, WorkflowID: workflowID})
	return base64.RawURLEncoding.EncodeToString(b)
}

// tokenWorkflow is the workflow id inside a workflow-run token, or "" for any
// other token (an app's own format).
func tokenWorkflow(token string) string {
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return ""
	}
	var t operationToken
	if json.Unmarshal(b, &t) != nil || t.Type != workflowRunToken {
		return ""
	}
	return t.WorkflowID
}

const workflowEventType = "temporal.api.common.v1.Link.WorkflowEvent"

// TemporalLinks converts the Nexus links of a start request that point at
// workflow events (the caller's NexusOperationScheduled event) into Temporal
// links, to attach to the workflow started for the operation. Links of other
// kinds are left out: the server would not know where they point.
func TemporalLinks(links []*nexuspb.Link) []*commonpb.Link {
	var out []*commonpb.Link
	for _, l := range links {
		if ev, err := workflowEvent(l.GetUrl()); err == nil && l.GetType() == workflowEventType {
			out = append(out, &commonpb.Link{Variant: &commonpb.Link_WorkflowEvent_{WorkflowEvent: ev}})
		}
	}
	return out
}

// workflowEvent parses
// temporal:///namespaces/{ns}/workflows/{id}/{run}/history?referenceType=...
func workflowEvent(raw string) (*commonpb.Link_WorkflowEvent, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, err
	}
	parts := strings.Split(strings.TrimPrefix(u.EscapedPath(), "/"), "/")
	if u.Scheme != "temporal" || len(parts) != 6 || parts[0] != "namespaces" || parts[2] != "workflows" || parts[5] != "history" {
		return nil, fmt.Errorf("not a workflow event link: %s", raw)
	}
	var ids [3]string
	for i, p := range []string{parts[1], parts[3], parts[4]} {
		if ids[i], err = url.PathUnescape(p); err != nil {
			return nil, err
		}
	}
	q := u.Query()
	eventType, err := enumspb.EventTypeFromString(q.Get("eventType"))
	if err != nil {
		return nil, err
	}
	ev := &commonpb.Link_WorkflowEvent{Namespace: ids[0], WorkflowId: ids[1], RunId: ids[2]}
	switch q.Get("referenceType") {
	case "EventReference":
		id, _ := strconv.ParseInt(q.Get("eventID"), 10, 64)
		ev.Reference = &commonpb.Link_WorkflowEvent_EventRef{EventRef: &commonpb.Link_WorkflowEvent_EventReference{EventId: id, EventType: eventType}}
	case "RequestIdReference":
		ev.Reference = &commonpb.Link_WorkflowEvent_RequestIdRef{RequestIdRef: &commonpb.Link_WorkflowEvent_RequestIdReference{
			RequestId: q.Get("requestID"), EventType: eventType}}
	default:
		return nil, fmt.Errorf("unknown referenceType in %s", raw)
	}
	return ev, nil
}

// StartedEvent points at the started event of the run a start request
// with requestID started.
func StartedEvent(namespace, workflowID, runID, requestID string) *commonpb.Link_WorkflowEvent {
	return &commonpb.Link_WorkflowEvent{Namespace: namespace, WorkflowId: workflowID, RunId: runID,
		Reference: &commonpb.Link_WorkflowEvent_RequestIdRef{RequestIdRef: &commonpb.Link_WorkflowEvent_RequestIdReference{
			RequestId: requestID, EventType: enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED}}}
}

// Link is the Nexus link to a workflow event, for the caller's history.
func Link(ev *commonpb.Link_WorkflowEvent) *bridgev1.NexusLink {
	q := url.Values{}
	switch {
	case ev.GetEventRef() != nil:
		q.Set("referenceType", "EventReference")
		if id := ev.GetEventRef().GetEventId(); id != 0 {
			q.Set("eventID", strconv.FormatInt(id, 10))
		}
		q.Set("eventType", ev.GetEventRef().GetEventType().String())
	case ev.GetRequestIdRef() != nil:
		q.Set("referenceType", "RequestIdReference")
		q.Set("requestID", ev.GetRequestIdRef().GetRequestId())
		q.Set("eventType", ev.GetRequestIdRef().GetEventType().String())
	}
	path := "/namespaces/" + url.PathEscape(ev.GetNamespace()) + "/workflows/" + url.PathEscape(ev.GetWorkflowId()) +
		"/" + url.PathEscape(ev.GetRunId()) + "/history"
	return &bridgev1.NexusLink{Url: "temporal://" + path + "?" + q.Encode(), Type: workflowEventType}
}
