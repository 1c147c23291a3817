package proxy

import (
	"bytes"
	"fmt"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// serverWide are the methods whose requests name no namespace and reveal
// nothing about any namespace: the server's version, capabilities and
// cluster-wide settings. Every other method without a namespace field
// (ListNamespaces) would reach beyond the sidecar's namespace.
var serverWide = map[protoreflect.Name]bool{
	"GetSystemInfo":       true,
	"GetClusterInfo":      true,
	"GetSearchAttributes": true,
}

// admission returns the check a request to m must pass before it is
// forwarded. The namespace field's number differs between requests (it is 9
// in RespondWorkflowTaskCompletedRequest), so it comes from m's descriptor.
func (p *Proxy) admission(m protoreflect.MethodDescriptor) func(*frame) error {
	f := m.Input().Fields().ByName("namespace")
	if f == nil || f.Kind() != protoreflect.StringKind || f.IsList() {
		if serverWide[m.Name()] || p.unconfined {
			return func(*frame) error { return nil }
		}
		msg := fmt.Sprintf("the sidecar's proxy of Temporal's API serves namespace %q only, and %s is not confined to one namespace; call the Temporal frontend directly with credentials of your own",
			p.namespace, m.Name())
		return func(*frame) error { return status.Error(codes.PermissionDenied, msg) }
	}
	num := f.Number()
	return func(req *frame) error {
		ns, err := lastString(req.b, num)
		if err != nil {
			return status.Errorf(codes.InvalidArgument, "the %s request is not a valid protobuf message: %v", m.Name(), err)
		}
		switch {
		case len(ns) == 0:
			// Empty means the sidecar's. An appended field wins over any
			// earlier one: for a scalar, protobuf keeps the last value.
			req.b = protowire.AppendString(protowire.AppendTag(req.b, num, protowire.BytesType), p.namespace)
		case p.unconfined:
			req.ns = string(ns)
			return nil
		case !bytes.Equal(ns, []byte(p.namespace)):
			return status.Errorf(codes.PermissionDenied,
				"the sidecar's proxy of Temporal's API serves namespace %q only; this %s request is for namespace %q: set the namespace to %q, leave it empty, or call the Temporal frontend directly with credentials of your own",
				p.namespace, m.Name(), ns, p.namespace)
		}
		req.ns = p.namespace
		return nil
	}
}

// lastString returns the value of the last occurrence of the length-delimited
// field num at the top level of the encoded message b, or nil if there is
// none. It reads field tags and skips values; nothing else is decoded.
func lastString(b []byte, num protowire.Number) ([]byte, error) {
	var val []byte
	for len(b) > 0 {
		n, typ, l := protowire.ConsumeTag(b)
		if l < 0 {
			return nil, protowire.ParseError(l)
		}
		b = b[l:]
		if n == num && typ == protowire.BytesType {
			v, l := protowire.ConsumeBytes(b)
			if l < 0 {
				return nil, protowire.ParseError(l)
			}
			val, b = v, b[l:]
			continue
		}
		if l = protowire.ConsumeFieldValue(n, typ, b); l < 0 {
			return nil, protowire.ParseError(l)
		}
		b = b[l:]
	}
	return val, nil
}
