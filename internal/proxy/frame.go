package proxy

import (
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/runtime/protoiface"
	"google.golang.org/protobuf/types/known/emptypb"
)

// A frame is one request or response kept as its bytes on the wire.
//
// The bridge's other services share the gRPC server and need its default
// protobuf codec, so the proxy cannot force a bytes codec on the server.
// Instead a frame is a proto.Message whose marshal and unmarshal methods
// copy bytes and decode nothing: the default codec carries it unchanged in
// both directions, and on the frontend connection too.
type frame struct {
	b []byte
	// ns is the namespace the request was checked against; the frontend
	// client reads it through GetNamespace for the temporal-namespace header.
	ns string
}

// GetNamespace is the namespace the request is made in, once admitted.
func (f *frame) GetNamespace() string { return f.ns }

// Reset empties the frame; proto.Unmarshal calls it before filling one.
func (f *frame) Reset() { *f = frame{} }

// ProtoReflect makes a frame a proto.Message.
func (f *frame) ProtoReflect() protoreflect.Message { return frameMessage{emptyReflect, f} }

// emptyReflect gives a frame a descriptor (google.protobuf.Empty's, a
// message with no fields) for the few reflective calls the protobuf runtime
// makes besides marshalling, such as checking required fields: none.
var emptyReflect = (*emptypb.Empty)(nil).ProtoReflect()

// frameMessage is a frame's reflective view: Empty's, except that it
// marshals as the frame's bytes and is the frame as an interface.
type frameMessage struct {
	protoreflect.Message
	f *frame
}

func (m frameMessage) Interface() protoreflect.ProtoMessage { return m.f }

func (m frameMessage) ProtoMethods() *protoiface.Methods { return &frameMethods }

var frameMethods = protoiface.Methods{
	Flags: protoiface.SupportMarshalDeterministic,
	Size: func(in protoiface.SizeInput) protoiface.SizeOutput {
		return protoiface.SizeOutput{Size: len(in.Message.(frameMessage).f.b)}
	},
	Marshal: func(in protoiface.MarshalInput) (protoiface.MarshalOutput, error) {
		return protoiface.MarshalOutput{Buf: append(in.Buf, in.Message.(frameMessage).f.b...)}, nil
	},
	Unmarshal: func(in protoiface.UnmarshalInput) (protoiface.UnmarshalOutput, error) {
		// Appending is protobuf's merge (proto.Unmarshal resets the frame
		// first), and copies: gRPC reuses the buffer once the codec returns.
		f := in.Message.(frameMessage).f
		f.b = append(f.b, in.Buf...)
		return protoiface.UnmarshalOutput{Flags: protoiface.UnmarshalInitialized}, nil
	},
	CheckInitialized: func(protoiface.CheckInitializedInput) (protoiface.CheckInitializedOutput, error) {
		return protoiface.CheckInitializedOutput{}, nil
	},
}
