// Package frontend is the sidecar's client of the Temporal WorkflowService.
// It owns the connection: TLS, the API key and other headers, retries of
// transient failures, and the start-up check that the server is reachable
// and the namespace exists, with errors that say which setting to fix.
package frontend

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"os"
	"runtime/debug"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/retry"
	namespacepb "go.temporal.io/api/namespace/v1"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/temporal-sidecar/sidecar/internal/config"
)

const (
	// maxMessageSize matches the SDKs, so any history or payload a native
	// worker can receive, the sidecar can too.
	maxMessageSize = 128 << 20

	// clientName identifies the sidecar to the server. Servers only check
	// the versions of clients they know, so a name of our own is safe.
	clientName = "temporal-sidecar"
)

// Retry policy for RPCs that are not long polls. Unavailable and
// ResourceExhausted are what a frontend returns while it restarts or sheds
// load; anything else is an answer and goes back to the caller.
var (
	retryCodes         = []codes.Code{codes.Unavailable, codes.ResourceExhausted}
	retryAttempts uint = 8
	retryBackoff       = retry.BackoffExponentialWithJitterBounded(200*time.Millisecond, 0.2, 10*time.Second)
	// checkBackoff waits less between attempts, so a sidecar started next to
	// its server connects soon after the server comes up.
	checkBackoff = retry.BackoffExponentialWithJitterBounded(100*time.Millisecond, 0.2, time.Second)
)

// A Client is a connection to one namespace on a Temporal frontend.
type Client struct {
	conn     *grpc.ClientConn
	svc      workflowservice.WorkflowServiceClient
	cfg      config.Frontend
	identity string
	log      *slog.Logger

	onCall atomic.Pointer[CallHook]

	info atomic.Pointer[workflowservice.GetSystemInfoResponse]
	ns   atomic.Pointer[namespacepb.NamespaceInfo]
	// down is the last Unavailable error of any call, nil once a later
	// call got an answer; see Ready.
	down atomic.Pointer[error]
}

// Dial connects to the frontend cfg names and runs Check, so a Client that
// Dial returns is known to work: the server answered and the namespace
// exists. cfg.ConnectTimeout bounds the check. identity is what the sidecar
// reports as its worker identity; a nil logger discards logs.
//
// The API key is sent whether or not TLS is on: config.Parse turns TLS on
// for an API key unless the user explicitly turned it off (a local dev
// server), so plaintext here is a choice someone made, which Dial logs.
func Dial(ctx context.Context, cfg config.Frontend, identity string, logger *slog.Logger) (*Client, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	logger = logger.With("address", cfg.Address, "namespace", cfg.Namespace)
	creds, err := transportCredentials(cfg.TLS)
	if err != nil {
		return nil, &ConfigError{err}
	}
	if cfg.APIKey != "" && !cfg.TLS.Enabled {
		logger.Warn("sending the Temporal API key without TLS, as " + config.Ref("tls") + " is false")
	}
	if cfg.TLS.DisableHostVerification {
		logger.Warn("not verifying the Temporal frontend's certificate, as " + config.Ref("tls-disable-host-verification") + " is set")
	}

	c := &Client{cfg: cfg, identity: identity, log: logger}
	conn, err := grpc.NewClient(cfg.Address,
		grpc.WithTransportCredentials(creds),
		grpc.WithUserAgent(clientName+"/"+version()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(maxMessageSize), grpc.MaxCallSendMsgSize(maxMessageSize)),
		// Keepalive finds a dead connection (a NAT or load balancer that
		// dropped it silently) in under a minute rather than at the end of
		// the next long poll.
		grpc.WithKeepaliveParams(keepalive.ClientParameters{
			Time:                30 * time.Second,
			Timeout:             15 * time.Second,
			PermitWithoutStream: true,
		}),
		grpc.WithConnectParams(grpc.ConnectParams{
			Backoff: backoff.Config{
				BaseDelay:  200 * time.Millisecond,
				Multiplier: 1.6,
				Jitter:     0.2,
				MaxDelay:   10 * time.Second,
			},
			MinConnectTimeout: 20 * time.Second,
		}),
		// A DNS name may front several frontends; spread load across them.
		grpc.WithDefaultServiceConfig(`{"loadBalancingConfig": [{"round_robin": {}}]}`),
		grpc.WithChainUnaryInterceptor(
			c.retryPolicy,
			retry.UnaryClientInterceptor(
				retry.WithMax(retryAttempts),
				retry.WithBackoff(retryBackoff),
				retry.WithCodes(retryCodes...),
			),
			recordError,
			c.observe,
			headers(cfg),
		),
	)
	if err != nil {
		return nil, fmt.Errorf("invalid value %q for %s: %v", cfg.Address, config.Ref("address"), err)
	}
	c.conn = conn
	c.svc = workflowservice.NewWorkflowServiceClient(conn)
	if err := c.Check(ctx); err != nil {
		conn.Close()
		return nil, err
	}
	return c, nil
}

// Check asks the server for its version and capabilities, then describes
// the namespace, retrying transient failures until cfg.ConnectTimeout or
// ctx runs out. Dial calls it; call it again to re-verify the connection.
func (c *Client) Check(ctx context.Context) error {
	if t := c.cfg.ConnectTimeout; t > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, t)
		defer cancel()
	}
	opts := []grpc.CallOption{
		retry.WithMax(^uint(0)),
		retry.WithBackoff(checkBackoff),
		// A TLS mismatch will not fix itself; say so now rather than at
		// the deadline.
		retry.WithRetriable(func(err error) bool {
			s := status.Convert(err)
			return slices.Contains(retryCodes, s.Code()) && !tlsTrouble(s.Message())
		}),
	}

	var last lastError
	info, err := c.svc.GetSystemInfo(withLastError(ctx, &last), &workflowservice.GetSystemInfoRequest{}, opts...)
	if err != nil {
		return c.explain(err, last.err)
	}
	c.info.Store(info)

	last = lastError{}
	ns, err := c.svc.DescribeNamespace(withLastError(ctx, &last),
		&workflowservice.DescribeNamespaceRequest{Namespace: c.cfg.Namespace}, opts...)
	if err != nil {
		return c.explain(err, last.err)
	}
	c.ns.Store(ns.GetNamespaceInfo())
	c.log.Info("connected to Temporal frontend", "server_version", info.GetServerVersion())
	return nil
}

// explain turns a failed check into an error that says what went wrong in
// the user's terms and which setting to look at. err is what the call
// returned; last is the last attempt's own error, which says more than
// "deadline exceeded" when the deadline ran out between retries.
func (c *Client) explain(err, last error) error {
	cause := err
	if code := status.Code(err); (code == codes.DeadlineExceeded || code == codes.Canceled) && last != nil {
		cause = last
	}
	msg := status.Convert(cause).Message()
	addr := c.cfg.Address
	switch status.Code(cause) {
	case codes.NotFound:
		return &checkError{fmt.Sprintf("namespace %q not found on %s; check %s",
			c.cfg.Namespace, addr, config.Ref("namespace")), cause}
	case codes.Unauthenticated, codes.PermissionDenied:
		return &checkError{fmt.Sprintf("Temporal frontend at %s refused the credentials: %s; check %s",
			addr, msg, config.Ref("api-key")), cause}
	case codes.DeadlineExceeded:
		msg = fmt.Sprintf("no answer within %v", c.cfg.ConnectTimeout)
	case codes.Unavailable, codes.Canceled:
		msg = c.resolveError(msg)
	default:
		return &checkError{fmt.Sprintf("Temporal frontend at %s failed the start-up check: %s", addr, msg), cause}
	}
	hint := config.Ref("address")
	// A server that wants a client certificate may just drop the connection
	// under TLS 1.3, which reads as a reset or a broken pipe.
	if tlsTrouble(msg) || (c.cfg.TLS.Enabled && (strings.Contains(msg, "broken pipe") || strings.Contains(msg, "connection reset"))) {
		hint += ", " + config.Ref("tls") + " and the other --tls-* options"
	}
	return &checkError{fmt.Sprintf("cannot reach Temporal frontend at %s: %s; check %s", addr, msg, hint), cause}
}

// resolveError replaces gRPC's vague report of a name that resolved to
// nothing ("produced zero addresses", or "no children to pick from" under
// round_robin) with the resolver's own error, such as "no such host".
func (c *Client) resolveError(msg string) string {
	if !strings.Contains(msg, "zero addresses") && !strings.Contains(msg, "no children to pick from") {
		return msg
	}
	host, _, err := net.SplitHostPort(c.cfg.Address)
	if err != nil || net.ParseIP(host) != nil {
		return msg
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if _, err := net.DefaultResolver.LookupHost(ctx, host); err != nil {
		return err.Error()
	}
	return msg
}

// tlsTrouble guesses from a transport error whether TLS is misconfigured:
// TLS against a plaintext server, plaintext against TLS, or a certificate
// that does not verify.
func tlsTrouble(msg string) bool {
	for _, s := range []string{"tls:", "x509:", "certificate", "handshake", "server preface"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// checkError reads as a sentence for the user and unwraps to the gRPC
// status, so callers can still use status.Code.
type checkError struct {
	msg string
	err error
}

func (e *checkError) Error() string { return e.msg }
func (e *checkError) Unwrap() error { return e.err }

// WorkflowService is the raw client. Calls other than long polls retry
// Unavailable and ResourceExhausted with exponential backoff and jitter.
func (c *Client) WorkflowService() workflowservice.WorkflowServiceClient { return c.svc }

// Forward invokes the full gRPC method on the frontend with req and reply as
// they are, adding the sidecar's credentials and headers, for a proxy that
// passes calls through without decoding them (internal/proxy). A req with a
// GetNamespace method gets the temporal-namespace header like any other call.
// Forward does not retry: the proxied caller has its own retry policy, and
// retrying under it would multiply its attempts and outlast its deadlines.
func (c *Client) Forward(ctx context.Context, method string, req, reply any) error {
	return c.conn.Invoke(ctx, method, req, reply, retry.Disable())
}

// Capabilities are the server's, as of the last Check.
func (c *Client) Capabilities() *workflowservice.GetSystemInfoResponse_Capabilities {
	return c.info.Load().GetCapabilities()
}

// ServerVersion is the server's version, as of the last Check.
func (c *Client) ServerVersion() string { return c.info.Load().GetServerVersion() }

// NamespaceInfo describes the namespace, including its capabilities, as of
// the last Check.
func (c *Client) NamespaceInfo() *namespacepb.NamespaceInfo { return c.ns.Load() }

// Ready reports whether the frontend is reachable, judging from the calls
// already in flight, chiefly the long polls: an error once a call fails with
// Unavailable, nil again once any call gets an answer. It makes no call
// itself, so a health probe may call it as often as it likes.
func (c *Client) Ready() error {
	if c.conn.GetState() == connectivity.TransientFailure {
		return fmt.Errorf("no connection to Temporal frontend at %s", c.cfg.Address)
	}
	if err := c.down.Load(); err != nil {
		return fmt.Errorf("Temporal frontend at %s is unavailable: %s", c.cfg.Address, status.Convert(*err).Message())
	}
	return nil
}

// observe records each attempt's outcome for Ready. Unavailable is the
// one code that means the frontend could not be reached; any other result,
// error or not, came from the server. A deadline or cancellation says
// nothing about the server either way.
//
// It also tells the OnCall hook of each attempt, as sdk-core's client
// metrics count attempts; one the sidecar cancelled (shutdown, its own
// deadline on a long poll) is not the frontend's doing and is left out.
func (c *Client) observe(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoke grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	began := time.Now()
	err := invoke(ctx, method, req, reply, cc, opts...)
	if f := c.onCall.Load(); f != nil && ctx.Err() == nil {
		(*f)(method[strings.LastIndexByte(method, '/')+1:], longPoll(method, req), taskQueueOf(req), time.Since(began), status.Code(err))
	}
	switch status.Code(err) {
	case codes.Unavailable:
		c.down.Store(&err)
	case codes.DeadlineExceeded, codes.Canceled:
	default:
		if c.down.Load() != nil {
			c.down.Store(nil)
		}
	}
	return err
}

// Namespace is the namespace every call is made in.
func (c *Client) Namespace() string { return c.cfg.Namespace }

// Identity is the worker identity to put in polls and responses.
func (c *Client) Identity() string { return c.identity }

// Close closes the connection. Calls in flight fail with Canceled.
func (c *Client) Close() error { return c.conn.Close() }

// retryPolicy decides per call how the retry interceptor behind it acts.
// Long polls are not retried here: the poller owns their backoff, because
// it also has to report readiness and release slots while the frontend is
// down, and a hidden retry would only delay that. Options are put first,
// so ones the caller passes win.
func (c *Client) retryPolicy(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoke grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	var policy grpc.CallOption
	if longPoll(method, req) {
		policy = retry.Disable()
	} else {
		policy = retry.WithOnRetryCallback(func(ctx context.Context, attempt uint, err error) {
			c.log.Debug("Temporal frontend call failed, retrying", "method", method, "attempt", attempt, "error", err)
		})
	}
	return invoke(ctx, method, req, reply, cc, append([]grpc.CallOption{policy}, opts...)...)
}

// A CallHook is told of every attempt of every call: the RPC's method name,
// whether it is a long poll, the task queue its request names ("" if none;
// a sticky queue's normal queue), how long it took and its status code.
type CallHook func(operation string, long bool, taskQueue string, latency time.Duration, code codes.Code)

// OnCall sets the hook told of each call attempt, for metrics.
func (c *Client) OnCall(f CallHook) { c.onCall.Store(&f) }

// taskQueueOf is the task queue a request names, as sdk-core labels its
// client metrics: the normal queue of a sticky one.
func taskQueueOf(req any) string {
	r, ok := req.(interface{ GetTaskQueue() *taskqueuepb.TaskQueue })
	if !ok {
		return ""
	}
	tq := r.GetTaskQueue()
	if n := tq.GetNormalName(); n != "" {
		return n
	}
	return tq.GetName()
}

// longPoll reports whether a call may legitimately wait on the server for
// about a minute: any Poll* method, and history reads that wait for new
// events.
func longPoll(method string, req any) bool {
	name := method[strings.LastIndexByte(method, '/')+1:]
	if strings.HasPrefix(name, "Poll") {
		return true
	}
	r, ok := req.(*workflowservice.GetWorkflowExecutionHistoryRequest)
	return ok && r.GetWaitNewEvent()
}

// headers adds the metadata every call carries: who we are, the API key,
// the extra headers of env-config's grpc_meta (TEMPORAL_GRPC_META_*), and
// the namespace, which Temporal Cloud routes on before reading the request
// body.
func headers(cfg config.Frontend) grpc.UnaryClientInterceptor {
	kv := []string{"client-name", clientName, "client-version", version()}
	if cfg.APIKey != "" {
		kv = append(kv, "authorization", "Bearer "+cfg.APIKey)
	}
	for _, k := range slices.Sorted(maps.Keys(cfg.GRPCMeta)) {
		kv = append(kv, k, cfg.GRPCMeta[k])
	}
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoke grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		ctx = metadata.AppendToOutgoingContext(ctx, kv...)
		if r, ok := req.(interface{ GetNamespace() string }); ok && r.GetNamespace() != "" {
			ctx = metadata.AppendToOutgoingContext(ctx, "temporal-namespace", r.GetNamespace())
		}
		return invoke(ctx, method, req, reply, cc, opts...)
	}
}

// lastError holds the error of the latest attempt of one call; see explain.
type lastError struct{ err error }

type lastErrorKey struct{}

func withLastError(ctx context.Context, l *lastError) context.Context {
	return context.WithValue(ctx, lastErrorKey{}, l)
}

// recordError sits behind the retry interceptor and keeps each attempt's
// error for calls that asked for it.
func recordError(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoke grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	err := invoke(ctx, method, req, reply, cc, opts...)
	if l, ok := ctx.Value(lastErrorKey{}).(*lastError); ok && err != nil && ctx.Err() == nil {
		l.err = err
	}
	return err
}

// transportCredentials builds TLS from t, or plaintext when t is off.
// ConfigError is a setting that cannot work whatever the server does (an
// unreadable certificate file, say), as opposed to a server that cannot be
// reached: the sidecar exits with its configuration exit code.
type ConfigError struct{ err error }

func (e *ConfigError) Error() string { return e.err.Error() }
func (e *ConfigError) Unwrap() error { return e.err }

func transportCredentials(t config.TLS) (credentials.TransportCredentials, error) {
	tc, err := tlsConfig(t)
	if err != nil {
		return nil, err
	}
	if tc == nil {
		return insecure.NewCredentials(), nil
	}
	return credentials.NewTLS(tc), nil
}

// tlsConfig returns nil when TLS is off. Files are read now, so a wrong
// path fails at start-up with the option's name rather than at the first
// handshake.
func tlsConfig(t config.TLS) (*tls.Config, error) {
	if !t.Enabled {
		return nil, nil
	}
	tc := &tls.Config{
		MinVersion:         tls.VersionTLS12,
		ServerName:         t.ServerName,
		InsecureSkipVerify: t.DisableHostVerification,
	}
	if t.CAPath != "" {
		pem, err := os.ReadFile(t.CAPath)
		if err != nil {
			return nil, fmt.Errorf("cannot read %s: %w", config.Ref("tls-ca-path"), err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s %q holds no PEM certificate", config.Ref("tls-ca-path"), t.CAPath)
		}
		tc.RootCAs = pool
	}
	if t.CAData != "" {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM([]byte(t.CAData)) {
			return nil, fmt.Errorf("%s holds no PEM certificate", config.Ref("tls-ca-data"))
		}
		tc.RootCAs = pool
	}
	if t.CertData != "" || t.KeyData != "" {
		if t.CertData == "" || t.KeyData == "" {
			return nil, errors.New(config.Ref("tls-cert-data") + " and " + config.Ref("tls-key-data") + " must be set together")
		}
		cert, err := tls.X509KeyPair([]byte(t.CertData), []byte(t.KeyData))
		if err != nil {
			return nil, fmt.Errorf("cannot load the client certificate from %s and %s: %w",
				config.Ref("tls-cert-data"), config.Ref("tls-key-data"), err)
		}
		tc.Certificates = []tls.Certificate{cert}
	} else if t.CertPath != "" || t.KeyPath != "" {
		if t.CertPath == "" || t.KeyPath == "" {
			return nil, errors.New(config.Ref("tls-cert-path") + " and " + config.Ref("tls-key-path") + " must be set together")
		}
		cert, err := tls.LoadX509KeyPair(t.CertPath, t.KeyPath)
		if err != nil {
			return nil, fmt.Errorf("cannot load the client certificate from %s and %s: %w",
				config.Ref("tls-cert-path"), config.Ref("tls-key-path"), err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}

// version is the sidecar's module version, for the client-version header.
func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v := strings.TrimPrefix(bi.Main.Version, "v"); v != "" && v != "(devel)" {
			return v
		}
	}
	return "0.0.0-dev"
}
