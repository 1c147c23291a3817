package bridge

import bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"

// CoreCodec converts between this protocol's tasks and completions and
// sdk-core's (the coresdk.* messages of Temporal's core-based SDKs), for
// sessions registered with core_protocol_version. The engine and the
// dispatchers only ever see this protocol's messages; a core session's
// messages are converted at the session's edge.
type CoreCodec interface {
	// Version is the core_protocol_version the codec speaks.
	Version() uint32
	// Encode turns a message for the app into its core form
	// (core_workflow_activation, core_activity_task, core_nexus_task).
	// Messages with no core form (registered, completion_error, ...) are
	// returned unchanged.
	Encode(m *bridgev1.ConnectResponse) (*bridgev1.ConnectResponse, error)
	// Decode turns a core completion or heartbeat from the app into this
	// protocol's; other messages are returned unchanged. When the app's
	// message cannot be honoured (an unsupported command, say), Decode
	// returns both a message that fails the task as sdk-core would and an
	// error naming the problem, which the app receives as a CompletionError;
	// with no message, the error alone goes back.
	Decode(m *bridgev1.ConnectRequest) (*bridgev1.ConnectRequest, error)
}
