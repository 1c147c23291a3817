package apiconv

import (
	"errors"
	"fmt"

	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
	commonpb "go.temporal.io/api/common/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/temporalproto"
	"google.golang.org/protobuf/proto"
)

// jsonHistory reads Temporal's JSON export of a history: fields a newer
// server added are skipped (as the SDKs' from_json does), enums may be
// SCREAMING_SNAKE_CASE or PascalCase, and payloads may be in the CLI's
// shorthand.
var jsonHistory = temporalproto.CustomJSONUnmarshalOptions{
	DiscardUnknown: true,
	Metadata:       map[string]any{commonpb.EnablePayloadShorthandMetadataKey: true},
}

// History decodes a bridge WorkflowHistory, in either encoding. field names
// the history in error messages (for example "replay_history.history").
func History(h *bridgev1.WorkflowHistory, field string) (*historypb.History, error) {
	out := &historypb.History{}
	switch enc := h.GetEncoding().(type) {
	case *bridgev1.WorkflowHistory_Json:
		if err := jsonHistory.Unmarshal([]byte(enc.Json), out); err != nil {
			return nil, fmt.Errorf("%s.json is not a Temporal history export ({\"events\": [...]}, as `temporal workflow show --output json` writes): %v", field, err)
		}
	case *bridgev1.WorkflowHistory_Proto:
		if err := proto.Unmarshal(enc.Proto, out); err != nil {
			return nil, fmt.Errorf("%s.proto is not a binary temporal.api.history.v1.History: %v", field, err)
		}
	default:
		return nil, errors.New(field + " is empty: set json (Temporal's JSON export) or proto (a binary History)")
	}
	return out, nil
}

// BridgeHistory encodes a history as a bridge WorkflowHistory. JSON is the
// standard protobuf JSON that Temporal's SDKs' WorkflowHistory.to_json()
// writes and from_json() reads.
func BridgeHistory(h *historypb.History, enc bridgev1.HistoryEncoding) (*bridgev1.WorkflowHistory, error) {
	if enc == bridgev1.HistoryEncoding_HISTORY_ENCODING_JSON {
		b, err := temporalproto.CustomJSONMarshalOptions{}.Marshal(h)
		if err != nil {
			return nil, err
		}
		return &bridgev1.WorkflowHistory{Encoding: &bridgev1.WorkflowHistory_Json{Json: string(b)}}, nil
	}
	b, err := proto.Marshal(h)
	if err != nil {
		return nil, err
	}
	return &bridgev1.WorkflowHistory{Encoding: &bridgev1.WorkflowHistory_Proto{Proto: b}}, nil
}
