package kit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"

	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// connectMethod is the bridge's one session stream; the proxy reads it,
// and forwards every other method (ClientService, health, the
// WorkflowService proxy) untouched.
const connectMethod = "/sidecar.bridge.v1.BridgeService/Connect"

// injectedPrefix marks the ReplayHistory requests the kit sends on an app's
// session; their ReplayResult is the kit's and is not forwarded to the app.
const injectedPrefix = "kit-"

// rawCodec passes gRPC messages through as bytes.
type rawCodec struct{}

func (rawCodec) Marshal(v any) ([]byte, error) { return *(v.(*[]byte)), nil }
func (rawCodec) Unmarshal(data []byte, v any) error {
	*(v.(*[]byte)) = append([]byte(nil), data...)
	return nil
}
func (rawCodec) Name() string { return "proto" }

// event is one message the proxy saw on a session.
type event struct {
	at      time.Time
	session *session
	req     *bridgev1.ConnectRequest  // from the app
	resp    *bridgev1.ConnectResponse // from the sidecar
}

// session is one Connect stream through the proxy.
type session struct {
	n          int
	register   *bridgev1.Register
	registered *bridgev1.Registered
	end        error // the stream's end status; nil while open
	ended      bool

	sendMu   sync.Mutex
	upstream grpc.ClientStream
}

// inject sends m to the sidecar on the session, as if the app had.
func (s *session) inject(m *bridgev1.ConnectRequest) error {
	b, err := proto.Marshal(m)
	if err != nil {
		return err
	}
	s.sendMu.Lock()
	defer s.sendMu.Unlock()
	return s.upstream.SendMsg(&b)
}

// proxy sits between the app under test and the sidecar: the app dials the
// proxy's socket, and the proxy records every message of every session so
// that scenarios can check what the app and the sidecar said to each other.
type proxy struct {
	lis      net.Listener
	srv      *grpc.Server
	upstream *grpc.ClientConn

	mu       sync.Mutex
	changed  chan struct{} // closed and replaced on every new event
	sessions []*session
	events   []event
	replays  map[string]*bridgev1.ReplayResult
}

func newProxy(listenPath, sidecarTarget string) (*proxy, error) {
	conn, err := grpc.NewClient(sidecarTarget, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.ForceCodec(rawCodec{}), grpc.MaxCallRecvMsgSize(64<<20), grpc.MaxCallSendMsgSize(64<<20)))
	if err != nil {
		return nil, err
	}
	lis, err := net.Listen("unix", listenPath)
	if err != nil {
		conn.Close()
		return nil, err
	}
	p := &proxy{lis: lis, upstream: conn, changed: make(chan struct{}), replays: map[string]*bridgev1.ReplayResult{}}
	p.srv = grpc.NewServer(grpc.ForceServerCodec(rawCodec{}), grpc.UnknownServiceHandler(p.handle),
		grpc.MaxRecvMsgSize(64<<20), grpc.MaxSendMsgSize(64<<20))
	go func() { _ = p.srv.Serve(lis) }()
	return p, nil
}

func (p *proxy) close() {
	p.srv.Stop()
	p.upstream.Close()
}

// handle forwards one call, whatever its method.
func (p *proxy) handle(_ any, down grpc.ServerStream) error {
	method, _ := grpc.MethodFromServerStream(down)
	ctx, cancel := context.WithCancel(down.Context())
	defer cancel()
	if md, ok := metadata.FromIncomingContext(ctx); ok {
		md = md.Copy()
		for _, k := range []string{":authority", "content-type", "user-agent"} {
			delete(md, k)
		}
		ctx = metadata.NewOutgoingContext(ctx, md)
	}
	up, err := p.upstream.NewStream(ctx, &grpc.StreamDesc{ServerStreams: true, ClientStreams: true}, method)
	if err != nil {
		return err
	}
	var s *session
	if method == connectMethod {
		s = &session{upstream: up}
		p.mu.Lock()
		s.n = len(p.sessions) + 1
		p.sessions = append(p.sessions, s)
		p.mu.Unlock()
	}
	// app -> sidecar
	upDone := make(chan error, 1)
	go func() {
		for {
			var b []byte
			if err := down.RecvMsg(&b); err != nil {
				if errors.Is(err, io.EOF) {
					s.lockSend(func() { _ = up.CloseSend() })
					upDone <- nil
				} else {
					upDone <- err
					cancel()
				}
				return
			}
			if s != nil {
				m := &bridgev1.ConnectRequest{}
				if proto.Unmarshal(b, m) == nil {
					p.record(event{session: s, req: m})
				}
			}
			var err error
			s.lockSend(func() { err = up.SendMsg(&b) })
			if err != nil {
				return // the sidecar side ends the call; RecvMsg below reports it
			}
		}
	}()
	// sidecar -> app
	headerSent := false
	for {
		var b []byte
		err := up.RecvMsg(&b)
		if !headerSent {
			if h, herr := up.Header(); herr == nil && len(h) > 0 {
				_ = down.SendHeader(h)
			}
			headerSent = true
		}
		if err != nil {
			down.SetTrailer(up.Trailer())
			if errors.Is(err, io.EOF) {
				err = nil
			}
			if s != nil {
				p.endSession(s, err)
			}
			return err
		}
		if s != nil {
			m := &bridgev1.ConnectResponse{}
			if proto.Unmarshal(b, m) == nil {
				p.record(event{session: s, resp: m})
				if r := m.GetReplayResult(); r != nil && strings.HasPrefix(r.GetRequestId(), injectedPrefix) {
					continue // the kit's own replay
				}
			}
		}
		if err := down.SendMsg(&b); err != nil {
			return status.Error(codes.Canceled, fmt.Sprintf("kit proxy: the app's stream ended: %v", err))
		}
	}
}

// lockSend runs f under the session's send lock (or directly for calls
// that are not sessions).
func (s *session) lockSend(f func()) {
	if s == nil {
		f()
		return
	}
	s.sendMu.Lock()
	defer s.sendMu.Unlock()
	f()
}

func (p *proxy) record(e event) {
	e.at = time.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	if r := e.req.GetRegister(); r != nil {
		e.session.register = r
	}
	if r := e.resp.GetRegistered(); r != nil {
		e.session.registered = r
	}
	if r := e.resp.GetReplayResult(); r != nil {
		p.replays[r.GetRequestId()] = r
	}
	p.events = append(p.events, e)
	close(p.changed)
	p.changed = make(chan struct{})
}

func (p *proxy) endSession(s *session, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	s.ended, s.end = true, err
	close(p.changed)
	p.changed = make(chan struct{})
}

// snapshot returns the events so far and a channel closed at the next one.
func (p *proxy) snapshot() ([]event, chan struct{}) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.events, p.changed
}

// waitFor waits until cond holds over the events, or timeout.
func (p *proxy) waitFor(ctx context.Context, timeout time.Duration, cond func([]event) bool) bool {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		evs, ch := p.snapshot()
		if cond(evs) {
			return true
		}
		select {
		case <-ch:
		case <-deadline.C:
			return false
		case <-ctx.Done():
			return false
		}
	}
}

// live returns the newest registered session that has not ended.
func (p *proxy) live() *session {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := len(p.sessions) - 1; i >= 0; i-- {
		if s := p.sessions[i]; !s.ended && s.registered != nil {
			return s
		}
	}
	return nil
}

// liveSessions counts the registered sessions that have not ended.
func (p *proxy) liveSessions() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, s := range p.sessions {
		if !s.ended && s.registered != nil {
			n++
		}
	}
	return n
}

func (p *proxy) sessionCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.sessions)
}

func (p *proxy) replayResult(id string) *bridgev1.ReplayResult {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.replays[id]
}
