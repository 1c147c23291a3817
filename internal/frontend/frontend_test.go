package frontend

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/retry"
	enumspb "go.temporal.io/api/enums/v1"
	namespacepb "go.temporal.io/api/namespace/v1"
	"go.temporal.io/api/serviceerror"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/temporal-sidecar/sidecar/internal/config"
	"github.com/temporal-sidecar/sidecar/internal/devserver"
)

func TestMain(m *testing.M) { devserver.Main(m, devserver.Options{}) }

// fake is a WorkflowService for what a real server cannot show or do on
// demand: the metadata it received, and injected transient failures.
type fake struct {
	workflowservice.UnimplementedWorkflowServiceServer

	mu    sync.Mutex
	md    map[string]metadata.MD  // last metadata per method name
	calls map[string]int          // calls per method name
	fail  map[string][]codes.Code // failures to return first, per method name
}

func (f *fake) intercept(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	name := info.FullMethod[strings.LastIndexByte(info.FullMethod, '/')+1:]
	f.mu.Lock()
	md, _ := metadata.FromIncomingContext(ctx)
	f.md[name] = md
	f.calls[name]++
	var fail codes.Code
	if q := f.fail[name]; len(q) > 0 {
		fail, f.fail[name] = q[0], q[1:]
	}
	f.mu.Unlock()
	if fail != codes.OK {
		return nil, status.Error(fail, "injected "+fail.String())
	}
	return handler(ctx, req)
}

func (f *fake) GetSystemInfo(context.Context, *workflowservice.GetSystemInfoRequest) (*workflowservice.GetSystemInfoResponse, error) {
	return &workflowservice.GetSystemInfoResponse{
		ServerVersion: "9.9.9",
		Capabilities:  &workflowservice.GetSystemInfoResponse_Capabilities{SdkMetadata: true},
	}, nil
}

func (f *fake) DescribeNamespace(_ context.Context, r *workflowservice.DescribeNamespaceRequest) (*workflowservice.DescribeNamespaceResponse, error) {
	if r.GetNamespace() != "default" {
		return nil, serviceerror.NewNamespaceNotFound(r.GetNamespace())
	}
	return &workflowservice.DescribeNamespaceResponse{NamespaceInfo: &namespacepb.NamespaceInfo{Name: "default"}}, nil
}

func (f *fake) RespondActivityTaskCompleted(context.Context, *workflowservice.RespondActivityTaskCompletedRequest) (*workflowservice.RespondActivityTaskCompletedResponse, error) {
	return &workflowservice.RespondActivityTaskCompletedResponse{}, nil
}

// inject makes the next calls of method fail with codes, in order.
func (f *fake) inject(method string, codes ...codes.Code) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail[method] = codes
}

func (f *fake) count(method string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[method]
}

func (f *fake) metadata(method string) metadata.MD {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.md[method]
}

// serve starts f on a loopback port, with TLS if tc is not nil.
func serve(t *testing.T, tc *tls.Config) (*fake, string) {
	t.Helper()
	f := &fake{md: map[string]metadata.MD{}, calls: map[string]int{}, fail: map[string][]codes.Code{}}
	opts := []grpc.ServerOption{grpc.UnaryInterceptor(f.intercept)}
	if tc != nil {
		opts = append(opts, grpc.Creds(credentials.NewTLS(tc)))
	}
	s := grpc.NewServer(opts...)
	workflowservice.RegisterWorkflowServiceServer(s, f)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve(lis)
	t.Cleanup(s.Stop)
	return f, lis.Addr().String()
}

func plain(addr string) config.Frontend {
	return config.Frontend{Address: addr, Namespace: "default", ConnectTimeout: 5 * time.Second}
}

func dial(t *testing.T, cfg config.Frontend) *Client {
	t.Helper()
	c, err := Dial(context.Background(), cfg, "me@test", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestHeadersCarryAPIKeyNamespaceAndClientName(t *testing.T) {
	f, addr := serve(t, nil)
	cfg := plain(addr)
	cfg.APIKey = "k3y" // TLS explicitly off, as for a local dev server
	dial(t, cfg)

	md := f.metadata("DescribeNamespace")
	for key, want := range map[string]string{
		"authorization":      "Bearer k3y",
		"temporal-namespace": "default",
		"client-name":        "temporal-sidecar",
	} {
		if got := md.Get(key); len(got) != 1 || got[0] != want {
			t.Errorf("metadata %s = %q, want [%q]", key, got, want)
		}
	}
	if got := f.metadata("GetSystemInfo").Get("temporal-namespace"); len(got) != 0 {
		t.Errorf("GetSystemInfo has no namespace, yet temporal-namespace = %q", got)
	}
}

func TestNoAuthorizationHeaderWithoutAPIKey(t *testing.T) {
	f, addr := serve(t, nil)
	dial(t, plain(addr))
	if got := f.metadata("GetSystemInfo").Get("authorization"); len(got) != 0 {
		t.Errorf("authorization = %q, want none", got)
	}
}

// TEMPORAL_GRPC_META_* variables, parsed as the sidecar parses its
// environment, reach the frontend as headers on every call, as Temporal's
// env-config sends them; the profile's grpc_meta too, under the variables.
func TestGRPCMetaIsSentOnEveryCall(t *testing.T) {
	f, addr := serve(t, nil)
	file := filepath.Join(t.TempDir(), "temporal.toml")
	if err := os.WriteFile(file, []byte("[profile.default.grpc_meta]\nx-tenant = \"profile\"\nx-region = \"eu\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.ParseEnviron([]string{"--config-file", file}, []string{
		"TEMPORAL_ADDRESS=" + addr,
		"TEMPORAL_GRPC_META_X_TENANT=orders",
		"TEMPORAL_GRPC_META_Trace_Id=abc=1",
	})
	if err != nil {
		t.Fatal(err)
	}
	c := dial(t, cfg.Frontend)
	if _, err := c.WorkflowService().RespondActivityTaskCompleted(context.Background(), &workflowservice.RespondActivityTaskCompletedRequest{Namespace: "default"}); err != nil {
		t.Fatal(err)
	}
	for _, method := range []string{"GetSystemInfo", "DescribeNamespace", "RespondActivityTaskCompleted"} {
		md := f.metadata(method)
		for key, want := range map[string]string{"x-tenant": "orders", "trace-id": "abc=1", "x-region": "eu"} {
			if got := md.Get(key); len(got) != 1 || got[0] != want {
				t.Errorf("%s: header %s = %q, want [%q]", method, key, got, want)
			}
		}
	}
}

func readText(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestTLS(t *testing.T) {
	pki := newPKI(t)
	tests := []struct {
		name    string
		server  *tls.Config
		client  config.TLS
		wantErr string // substring; empty means Dial succeeds
	}{
		{
			name:   "custom CA and server name",
			server: pki.serverTLS(false),
			client: config.TLS{Enabled: true, CAPath: pki.caPath, ServerName: "frontend.test"},
		},
		{
			name:   "mutual TLS",
			server: pki.serverTLS(true),
			client: config.TLS{Enabled: true, CAPath: pki.caPath, ServerName: "frontend.test", CertPath: pki.clientCert, KeyPath: pki.clientKey},
		},
		{
			name:   "mutual TLS from PEM text, as env-config's *_DATA variables give it",
			server: pki.serverTLS(true),
			client: config.TLS{Enabled: true, CAData: readText(t, pki.caPath), ServerName: "frontend.test",
				CertData: readText(t, pki.clientCert), KeyData: readText(t, pki.clientKey)},
		},
		{
			name:   "disabled host verification accepts an unknown CA",
			server: pki.serverTLS(false),
			client: config.TLS{Enabled: true, DisableHostVerification: true},
		},
		{
			name:    "server name mismatch names the TLS options",
			server:  pki.serverTLS(false),
			client:  config.TLS{Enabled: true, CAPath: pki.caPath},
			wantErr: "x509: cannot validate certificate for 127.0.0.1 because it doesn't contain any IP SANs\"; check --address (TEMPORAL_ADDRESS), --tls (TEMPORAL_TLS) and the other --tls-* options",
		},
		{
			name:    "mutual TLS without a client certificate fails",
			server:  pki.serverTLS(true),
			client:  config.TLS{Enabled: true, CAPath: pki.caPath, ServerName: "frontend.test"},
			wantErr: "cannot reach Temporal frontend at",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, addr := serve(t, tt.server)
			cfg := plain(addr)
			cfg.TLS = tt.client
			cfg.APIKey = "k"
			if tt.wantErr != "" {
				cfg.ConnectTimeout = time.Second
			}
			c, err := Dial(context.Background(), cfg, "me@test", nil)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				c.Close()
				if got := f.metadata("DescribeNamespace").Get("authorization"); len(got) != 1 || got[0] != "Bearer k" {
					t.Errorf("authorization over TLS = %q", got)
				}
				return
			}
			if err == nil {
				c.Close()
				t.Fatal("Dial succeeded, want an error")
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q lacks %q", err, tt.wantErr)
			}
		})
	}
}

func TestTLSConfigErrorsNameTheOption(t *testing.T) {
	pki := newPKI(t)
	notPEM := filepath.Join(t.TempDir(), "ca.txt")
	os.WriteFile(notPEM, []byte("not a certificate"), 0o600)
	tests := []struct {
		name string
		tls  config.TLS
		want string
	}{
		{"missing CA file", config.TLS{Enabled: true, CAPath: "/nonexistent/ca.pem"},
			"cannot read --tls-ca-path (TEMPORAL_TLS_SERVER_CA_CERT_PATH): open /nonexistent/ca.pem: no such file or directory"},
		{"CA file without PEM", config.TLS{Enabled: true, CAPath: notPEM},
			`--tls-ca-path (TEMPORAL_TLS_SERVER_CA_CERT_PATH) "` + notPEM + `" holds no PEM certificate`},
		{"missing key file", config.TLS{Enabled: true, CertPath: pki.clientCert, KeyPath: "/nonexistent/key.pem"},
			"cannot load the client certificate from --tls-cert-path (TEMPORAL_TLS_CLIENT_CERT_PATH) and --tls-key-path (TEMPORAL_TLS_CLIENT_KEY_PATH): open /nonexistent/key.pem: no such file or directory"},
		{"certificate without key", config.TLS{Enabled: true, CertPath: pki.clientCert},
			"--tls-cert-path (TEMPORAL_TLS_CLIENT_CERT_PATH) and --tls-key-path (TEMPORAL_TLS_CLIENT_KEY_PATH) must be set together"},
		{"CA text without PEM", config.TLS{Enabled: true, CAData: "not a certificate"},
			"--tls-ca-data (TEMPORAL_TLS_SERVER_CA_CERT_DATA) holds no PEM certificate"},
		{"key text that is not the certificate's", config.TLS{Enabled: true, CertData: readText(t, pki.clientCert), KeyData: readText(t, pki.caPath)},
			"cannot load the client certificate from --tls-cert-data (TEMPORAL_TLS_CLIENT_CERT_DATA) and --tls-key-data (TEMPORAL_TLS_CLIENT_KEY_DATA): tls: found a certificate rather than a key in the PEM for the private key"},
		{"certificate text without key", config.TLS{Enabled: true, CertData: readText(t, pki.clientCert)},
			"--tls-cert-data (TEMPORAL_TLS_CLIENT_CERT_DATA) and --tls-key-data (TEMPORAL_TLS_CLIENT_KEY_DATA) must be set together"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := plain("127.0.0.1:7233")
			cfg.TLS = tt.tls
			_, err := Dial(context.Background(), cfg, "me", nil)
			if err == nil || err.Error() != tt.want {
				t.Errorf("error:\n got %v\nwant %s", err, tt.want)
			}
		})
	}
}

func TestTLSConfigMapsOptions(t *testing.T) {
	pki := newPKI(t)
	if tc, err := tlsConfig(config.TLS{CAPath: pki.caPath}); tc != nil || err != nil {
		t.Errorf("TLS off gave %v, %v; want nil, nil", tc, err)
	}
	tc, err := tlsConfig(config.TLS{Enabled: true, CAPath: pki.caPath, CertPath: pki.clientCert, KeyPath: pki.clientKey,
		ServerName: "frontend.test", DisableHostVerification: true})
	if err != nil {
		t.Fatal(err)
	}
	if tc.RootCAs == nil || len(tc.Certificates) != 1 || tc.ServerName != "frontend.test" || !tc.InsecureSkipVerify || tc.MinVersion != tls.VersionTLS12 {
		t.Errorf("tls.Config = %+v", tc)
	}
}

func TestTransientFailuresAreRetried(t *testing.T) {
	f, addr := serve(t, nil)
	c := dial(t, plain(addr))
	f.inject("RespondActivityTaskCompleted", codes.Unavailable, codes.ResourceExhausted)
	if _, err := c.WorkflowService().RespondActivityTaskCompleted(context.Background(), &workflowservice.RespondActivityTaskCompletedRequest{}); err != nil {
		t.Fatal(err)
	}
	if got := f.count("RespondActivityTaskCompleted"); got != 3 {
		t.Errorf("calls = %d, want 3 (two failures, one success)", got)
	}
}

func TestAnswersAreNotRetried(t *testing.T) {
	f, addr := serve(t, nil)
	c := dial(t, plain(addr))
	f.inject("RespondActivityTaskCompleted", codes.InvalidArgument)
	_, err := c.WorkflowService().RespondActivityTaskCompleted(context.Background(), &workflowservice.RespondActivityTaskCompletedRequest{})
	if status.Code(err) != codes.InvalidArgument {
		t.Fatalf("error = %v, want InvalidArgument", err)
	}
	if got := f.count("RespondActivityTaskCompleted"); got != 1 {
		t.Errorf("calls = %d, want 1", got)
	}
}

func TestLongPollsAreNotRetried(t *testing.T) {
	f, addr := serve(t, nil)
	c := dial(t, plain(addr))
	svc := c.WorkflowService()
	polls := []struct {
		method string
		call   func() error
	}{
		{"PollActivityTaskQueue", func() error {
			_, err := svc.PollActivityTaskQueue(context.Background(), &workflowservice.PollActivityTaskQueueRequest{Namespace: "default"})
			return err
		}},
		{"PollWorkflowTaskQueue", func() error {
			_, err := svc.PollWorkflowTaskQueue(context.Background(), &workflowservice.PollWorkflowTaskQueueRequest{Namespace: "default"})
			return err
		}},
		{"PollNexusTaskQueue", func() error {
			_, err := svc.PollNexusTaskQueue(context.Background(), &workflowservice.PollNexusTaskQueueRequest{Namespace: "default"})
			return err
		}},
		{"GetWorkflowExecutionHistory", func() error {
			_, err := svc.GetWorkflowExecutionHistory(context.Background(), &workflowservice.GetWorkflowExecutionHistoryRequest{Namespace: "default", WaitNewEvent: true})
			return err
		}},
	}
	for _, p := range polls {
		t.Run(p.method, func(t *testing.T) {
			f.inject(p.method, codes.Unavailable)
			if err := p.call(); status.Code(err) != codes.Unavailable {
				t.Fatalf("error = %v, want Unavailable", err)
			}
			if got := f.count(p.method); got != 1 {
				t.Errorf("calls = %d, want 1", got)
			}
		})
	}
}

func TestRefusedCredentialsPointAtAPIKey(t *testing.T) {
	f, addr := serve(t, nil)
	f.inject("GetSystemInfo", codes.Unauthenticated)
	_, err := Dial(context.Background(), plain(addr), "me", nil)
	want := "Temporal frontend at " + addr + " refused the credentials: injected Unauthenticated; check --api-key (TEMPORAL_API_KEY)"
	if err == nil || err.Error() != want {
		t.Fatalf("error:\n got %v\nwant %s", err, want)
	}
	if status.Code(err) != codes.Unauthenticated {
		t.Errorf("status.Code = %v, want Unauthenticated", status.Code(err))
	}
}

func TestCheckOutlastsAFrontendStillStarting(t *testing.T) {
	f, addr := serve(t, nil)
	f.inject("GetSystemInfo", codes.Unavailable, codes.Unavailable, codes.Unavailable)
	c := dial(t, plain(addr))
	if c.ServerVersion() != "9.9.9" {
		t.Errorf("ServerVersion = %q", c.ServerVersion())
	}
}

// pki is a throwaway CA with a server certificate for "frontend.test" and a
// client certificate, written as PEM files.
type pki struct {
	ca                    *x509.Certificate
	caPath                string
	server                tls.Certificate
	clientCert, clientKey string
}

func newPKI(t *testing.T) *pki {
	t.Helper()
	dir := t.TempDir()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		KeyUsage:              x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	p := &pki{ca: ca, caPath: filepath.Join(dir, "ca.pem")}
	writePEM(t, p.caPath, "CERTIFICATE", caDER)

	issue := func(serial int64, usage x509.ExtKeyUsage, dns []string) ([]byte, *ecdsa.PrivateKey) {
		key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		der, err := x509.CreateCertificate(rand.Reader, &x509.Certificate{
			SerialNumber: big.NewInt(serial),
			Subject:      pkix.Name{CommonName: "leaf"},
			DNSNames:     dns,
			NotBefore:    time.Now().Add(-time.Hour),
			NotAfter:     time.Now().Add(time.Hour),
			KeyUsage:     x509.KeyUsageDigitalSignature,
			ExtKeyUsage:  []x509.ExtKeyUsage{usage},
		}, ca, &key.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		return der, key
	}
	der, key := issue(2, x509.ExtKeyUsageServerAuth, []string{"frontend.test"})
	p.server = tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}

	der, key = issue(3, x509.ExtKeyUsageClientAuth, nil)
	p.clientCert, p.clientKey = filepath.Join(dir, "client.pem"), filepath.Join(dir, "client.key")
	writePEM(t, p.clientCert, "CERTIFICATE", der)
	keyDER, _ := x509.MarshalECPrivateKey(key)
	writePEM(t, p.clientKey, "EC PRIVATE KEY", keyDER)
	return p
}

func (p *pki) serverTLS(requireClientCert bool) *tls.Config {
	tc := &tls.Config{Certificates: []tls.Certificate{p.server}}
	if requireClientCert {
		pool := x509.NewCertPool()
		pool.AddCert(p.ca)
		tc.ClientCAs = pool
		tc.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return tc
}

func writePEM(t *testing.T, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestReadyFollowsCallOutcomes(t *testing.T) {
	f, addr := serve(t, nil)
	c := dial(t, plain(addr))
	if err := c.Ready(); err != nil {
		t.Fatalf("Ready after Dial = %v", err)
	}
	respond := func() error {
		_, err := c.WorkflowService().RespondActivityTaskCompleted(context.Background(),
			&workflowservice.RespondActivityTaskCompletedRequest{}, retry.Disable())
		return err
	}

	f.inject("RespondActivityTaskCompleted", codes.Unavailable)
	respond()
	want := "Temporal frontend at " + addr + " is unavailable: injected Unavailable"
	if err := c.Ready(); err == nil || err.Error() != want {
		t.Errorf("Ready after Unavailable = %v, want %s", err, want)
	}

	if err := respond(); err != nil {
		t.Fatal(err)
	}
	if err := c.Ready(); err != nil {
		t.Errorf("Ready after an answer = %v", err)
	}

	f.inject("RespondActivityTaskCompleted", codes.InvalidArgument)
	respond()
	if err := c.Ready(); err != nil {
		t.Errorf("Ready after an error answer = %v", err)
	}
}

func TestEveryAttemptIsReportedWithItsCode(t *testing.T) {
	f, addr := serve(t, nil)
	c := dial(t, plain(addr))
	type call struct {
		op   string
		long bool
		tq   string
		code codes.Code
	}
	var mu sync.Mutex
	var got []call
	c.OnCall(func(op string, long bool, tq string, d time.Duration, code codes.Code) {
		mu.Lock()
		defer mu.Unlock()
		if d <= 0 {
			t.Errorf("%s took %v", op, d)
		}
		got = append(got, call{op, long, tq, code})
	})
	svc := c.WorkflowService()
	// A retried failure then an answer that is an error: two attempts, as
	// sdk-core counts them.
	f.inject("RespondActivityTaskCompleted", codes.Unavailable, codes.InvalidArgument)
	_, _ = svc.RespondActivityTaskCompleted(context.Background(), &workflowservice.RespondActivityTaskCompletedRequest{})
	f.inject("PollActivityTaskQueue", codes.Unavailable)
	_, _ = svc.PollActivityTaskQueue(context.Background(), &workflowservice.PollActivityTaskQueueRequest{Namespace: "default",
		TaskQueue: &taskqueuepb.TaskQueue{Name: "orders"}})
	_, _ = svc.PollWorkflowTaskQueue(context.Background(), &workflowservice.PollWorkflowTaskQueueRequest{Namespace: "default",
		TaskQueue: &taskqueuepb.TaskQueue{Name: "sticky-1", Kind: enumspb.TASK_QUEUE_KIND_STICKY, NormalName: "orders"}})
	_, _ = svc.RespondActivityTaskCompleted(context.Background(), &workflowservice.RespondActivityTaskCompletedRequest{})
	// One the caller cancelled is not the frontend's failure.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _ = svc.RespondActivityTaskCompleted(ctx, &workflowservice.RespondActivityTaskCompletedRequest{})
	want := []call{
		{"RespondActivityTaskCompleted", false, "", codes.Unavailable},
		{"RespondActivityTaskCompleted", false, "", codes.InvalidArgument},
		{"PollActivityTaskQueue", true, "orders", codes.Unavailable},
		{"PollWorkflowTaskQueue", true, "orders", codes.Unimplemented}, // the fake has no polls
		{"RespondActivityTaskCompleted", false, "", codes.OK},
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(got, want) {
		t.Fatalf("attempts reported = %v, want %v", got, want)
	}
}
