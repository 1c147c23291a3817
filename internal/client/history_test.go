package client_test

import (
	"testing"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/temporalproto"
	"google.golang.org/protobuf/proto"

	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
	"github.com/temporal-sidecar/sidecar/internal/client"
)

func TestFetchWorkflowHistoryReturnsTheServersEventsInEitherEncoding(t *testing.T) {
	e := newEnv(t, client.Options{})
	id := workflowID(t, "countdown")
	runID := e.start(t, id, "Countdown", 0)
	e.result(t, id, runID)

	// What the server recorded, read by an independent client.
	want := &historypb.History{}
	it := e.sdk.GetWorkflowHistory(ctx(t), id, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		want.Events = append(want.Events, ev)
	}
	for _, tc := range []struct {
		encoding bridgev1.HistoryEncoding
		decode   func(*bridgev1.WorkflowHistory) (*historypb.History, error)
	}{
		{bridgev1.HistoryEncoding_HISTORY_ENCODING_UNSPECIFIED, func(h *bridgev1.WorkflowHistory) (*historypb.History, error) {
			out := &historypb.History{}
			return out, proto.Unmarshal(h.GetProto(), out)
		}},
		{bridgev1.HistoryEncoding_HISTORY_ENCODING_JSON, func(h *bridgev1.WorkflowHistory) (*historypb.History, error) {
			out := &historypb.History{}
			return out, temporalproto.CustomJSONUnmarshalOptions{}.Unmarshal([]byte(h.GetJson()), out)
		}},
	} {
		t.Run(tc.encoding.String(), func(t *testing.T) {
			got := &historypb.History{}
			var token []byte
			for page := 0; page == 0 || len(token) > 0; page++ {
				resp, err := e.cs.FetchWorkflowHistory(ctx(t), &bridgev1.FetchWorkflowHistoryRequest{
					Execution: &bridgev1.WorkflowExecution{WorkflowId: id}, NextPageToken: token, Encoding: tc.encoding})
				if err != nil {
					t.Fatalf("FetchWorkflowHistory page %d: %v", page, err)
				}
				h, err := tc.decode(resp.GetHistory())
				if err != nil {
					t.Fatalf("page %d does not decode as %s: %v", page, tc.encoding, err)
				}
				got.Events = append(got.Events, h.GetEvents()...)
				token = resp.GetNextPageToken()
			}
			if !proto.Equal(got, want) {
				t.Fatalf("fetched %d events, want the server's %d:\n got %v\nwant %v", len(got.GetEvents()), len(want.GetEvents()), got, want)
			}
		})
	}
}
