// Package proxy serves Temporal's own WorkflowService (and OperatorService's
// namespace-confined calls: search attributes) on the bridge listener and
// forwards every call, undecoded, to the frontend with the sidecar's
// credentials. Tools that speak Temporal's API, such as the temporal CLI or a
// Temporal SDK client, can then work without credentials of their own.
//
// The proxy is confined to the sidecar's namespace: it reads just the
// request's namespace field, refuses any other namespace, and fills it in
// when empty. Everything else passes through byte for byte, including the
// server's errors and their details. It is off by default
// (--workflow-service-proxy), because it hands everything the sidecar's
// credentials allow in that namespace to whoever can reach the bridge.
package proxy

import (
	"context"
	"fmt"

	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// A Forwarder makes a call on the frontend with the sidecar's credentials
// and no retries; *frontend.Client is one.
type Forwarder interface {
	Forward(ctx context.Context, method string, req, reply any) error
}

// Proxy is the proxy of Temporal's services for one namespace.
type Proxy struct {
	fwd        Forwarder
	namespace  string
	unconfined bool
	services   []protoreflect.ServiceDescriptor
}

// New returns a proxy that forwards through fwd and admits requests for
// namespace only.
func New(fwd Forwarder, namespace string) *Proxy {
	return &Proxy{
		fwd:       fwd,
		namespace: namespace,
		services: []protoreflect.ServiceDescriptor{
			workflowservice.File_temporal_api_workflowservice_v1_service_proto.Services().ByName("WorkflowService"),
			// SDKs' clients expose it beside WorkflowService; its calls that
			// name a namespace (search attributes) are confined like the rest,
			// and the cluster-wide ones refused.
			operatorservice.File_temporal_api_operatorservice_v1_service_proto.Services().ByName("OperatorService"),
		},
	}
}

// Unconfined makes p forward calls for other namespaces and calls confined
// to none (Nexus endpoints, ListNamespaces) as well, with the sidecar's
// credentials: for development and test setups whose apps may act on the
// whole cluster, as temporalio's and @temporalio/worker's own tests do. A
// request that names no namespace still gets the sidecar's.
func (p *Proxy) Unconfined() *Proxy {
	p.unconfined = true
	return p
}

// Register adds the proxy to s as temporal.api.workflowservice.v1.WorkflowService
// and temporal.api.operatorservice.v1.OperatorService.
//
// The service is registered under its real name, method by method from the
// API's descriptor, rather than through grpc.UnknownServiceHandler: the
// bridge's server is shared and built elsewhere, and a registered service
// leaves calls to any other unknown service failing with Unimplemented as
// they should. A method newer than the API module here is unknown to the
// proxy and also gets Unimplemented.
func (p *Proxy) Register(s grpc.ServiceRegistrar) {
	for _, desc := range p.services {
		p.register(s, desc)
	}
}

func (p *Proxy) register(s grpc.ServiceRegistrar, desc protoreflect.ServiceDescriptor) {
	sd := &grpc.ServiceDesc{
		ServiceName: string(desc.FullName()),
		HandlerType: (*any)(nil),
		Metadata:    desc.ParentFile().Path(),
	}
	methods := desc.Methods()
	for i := range methods.Len() {
		m := methods.Get(i)
		if m.IsStreamingClient() || m.IsStreamingServer() {
			// Neither service has one; a future one would need its own handler.
			continue
		}
		sd.Methods = append(sd.Methods, grpc.MethodDesc{MethodName: string(m.Name()), Handler: p.handler(m)})
	}
	s.RegisterService(sd, p)
}

// handler forwards calls to one unary method.
func (p *Proxy) handler(m protoreflect.MethodDescriptor) grpc.MethodHandler {
	full := fmt.Sprintf("/%s/%s", m.Parent().FullName(), m.Name())
	admit := p.admission(m)
	call := func(ctx context.Context, in any) (any, error) {
		req := in.(*frame)
		if err := admit(req); err != nil {
			return nil, err
		}
		resp := new(frame)
		if err := p.fwd.Forward(ctx, full, req, resp); err != nil {
			return nil, err // the server's status, details and all
		}
		return resp, nil
	}
	return func(srv any, ctx context.Context, dec func(any) error, interceptor grpc.UnaryServerInterceptor) (any, error) {
		req := new(frame)
		if err := dec(req); err != nil {
			return nil, err
		}
		// The bridge's interceptors (the token check) run before admission.
		if interceptor == nil {
			return call(ctx, req)
		}
		return interceptor(ctx, req, &grpc.UnaryServerInfo{Server: srv, FullMethod: full}, call)
	}
}
