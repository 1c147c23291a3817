// Package codec is the bridge's gRPC codec: the bridge's messages are
// encoded and decoded by their generated MarshalVT/UnmarshalVT (vtprotobuf,
// no reflection), into buffers from gRPC's pool; any other message (the
// health service's) goes to gRPC's own proto codec. The wire format is
// protobuf's either way, and the codec is named "proto", so apps of every
// language see no difference.
package codec

import (
	"fmt"

	"google.golang.org/grpc"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/encoding/proto"
	"google.golang.org/grpc/mem"
)

// vtMessage is a message with vtprotobuf's generated methods.
type vtMessage interface {
	SizeVT() int
	MarshalToSizedBufferVT([]byte) (int, error)
	UnmarshalVT([]byte) error
}

type codec struct{ fallback encoding.CodecV2 }

// Codec returns the bridge's codec.
func Codec() encoding.CodecV2 { return codec{fallback: encoding.GetCodecV2(proto.Name)} }

// ServerOption makes a gRPC server use the bridge's codec.
func ServerOption() grpc.ServerOption { return grpc.ForceServerCodecV2(Codec()) }

// CallOption makes a client's calls use the bridge's codec
// (grpc.WithDefaultCallOptions(codec.CallOption())).
func CallOption() grpc.CallOption { return grpc.ForceCodecV2(Codec()) }

func (codec) Name() string { return proto.Name }

func (c codec) Marshal(v any) (mem.BufferSlice, error) {
	m, ok := v.(vtMessage)
	if !ok {
		return c.fallback.Marshal(v)
	}
	size := m.SizeVT()
	if mem.IsBelowBufferPoolingThreshold(size) {
		buf := make([]byte, size)
		if _, err := m.MarshalToSizedBufferVT(buf); err != nil {
			return nil, fmt.Errorf("bridge codec: marshal %T: %w", v, err)
		}
		return mem.BufferSlice{mem.SliceBuffer(buf)}, nil
	}
	pool := mem.DefaultBufferPool()
	buf := pool.Get(size)
	if _, err := m.MarshalToSizedBufferVT((*buf)[:size]); err != nil {
		pool.Put(buf)
		return nil, fmt.Errorf("bridge codec: marshal %T: %w", v, err)
	}
	return mem.BufferSlice{mem.NewBuffer(buf, pool)}, nil
}

// Unmarshal copies what it keeps (bytes and strings) out of data, so the
// buffer goes back to the pool at once.
func (c codec) Unmarshal(data mem.BufferSlice, v any) error {
	m, ok := v.(vtMessage)
	if !ok {
		return c.fallback.Unmarshal(data, v)
	}
	buf := data.MaterializeToBuffer(mem.DefaultBufferPool())
	defer buf.Free()
	if err := m.UnmarshalVT(buf.ReadOnlyData()); err != nil {
		return fmt.Errorf("bridge codec: unmarshal %T: %w", v, err)
	}
	return nil
}
