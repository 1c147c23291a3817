package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/tls"
	"crypto/x509"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bridgev1 "github.com/temporal-sidecar/sidecar/gen/go/sidecar/bridge/v1"
	"github.com/temporal-sidecar/sidecar/internal/devserver"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
)

// bridgeCert writes the test PKI's server certificate and key as PEM files.
func bridgeCert(t *testing.T, pki *testPKI) (certPath, keyPath string) {
	t.Helper()
	dir := t.TempDir()
	certPath, keyPath = filepath.Join(dir, "bridge.pem"), filepath.Join(dir, "bridge.key")
	writePEM(t, certPath, "CERTIFICATE", pki.server.Certificate[0])
	der, err := x509.MarshalECPrivateKey(pki.server.PrivateKey.(*ecdsa.PrivateKey))
	if err != nil {
		t.Fatal(err)
	}
	writePEM(t, keyPath, "EC PRIVATE KEY", der)
	return certPath, keyPath
}

func TestBridgeOverTLSAndMutualTLS(t *testing.T) {
	srv := devserver.Shared(t)
	pki := newTestPKI(t)
	certPath, keyPath := bridgeCert(t, pki)
	pool := x509.NewCertPool()
	pool.AddCert(pki.ca)
	client, err := tls.LoadX509KeyPair(pki.clientCert, pki.clientKey)
	if err != nil {
		t.Fatal(err)
	}
	tlsCreds := func(withCert bool) grpc.DialOption {
		tc := &tls.Config{RootCAs: pool, ServerName: "frontend.test"}
		if withCert {
			tc.Certificates = []tls.Certificate{client}
		}
		return grpc.WithTransportCredentials(credentials.NewTLS(tc))
	}
	tests := []struct {
		name   string
		mutual bool
		dial   grpc.DialOption
		ok     bool
	}{
		{"TLS client registers", false, tlsCreds(false), true},
		{"plaintext client is refused", false, grpc.WithTransportCredentials(insecure.NewCredentials()), false},
		{"mTLS client with a certificate registers", true, tlsCreds(true), true},
		{"mTLS client without a certificate is refused", true, tlsCreds(false), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			queue := devserver.TaskQueue(t)
			addr := freeAddr(t)
			args := []string{"--address", srv.Address(), "--task-queue", queue, "--bridge-listen", addr,
				"--bridge-tls-cert-path", certPath, "--bridge-tls-key-path", keyPath}
			if tt.mutual {
				args = append(args, "--bridge-tls-client-ca-path", pki.caPath)
			}
			p := start(t, nil, args...)
			// Wait until the bridge serves, through a client that can connect.
			good, err := grpc.NewClient(addr, tlsCreds(true))
			if err != nil {
				t.Fatal(err)
			}
			defer good.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if _, err := healthpb.NewHealthClient(good).Check(ctx, &healthpb.HealthCheckRequest{}, grpc.WaitForReady(true)); err != nil {
				t.Fatalf("bridge never served: %v\n%s", err, p.stderr.String())
			}
			conn, err := grpc.NewClient(addr, tt.dial)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			cctx, ccancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer ccancel()
			_, err = healthpb.NewHealthClient(conn).Check(cctx, &healthpb.HealthCheckRequest{})
			if (err == nil) != tt.ok {
				t.Fatalf("health check over the bridge = %v, want ok=%v", err, tt.ok)
			}
			if tt.ok {
				m, err := connect(t, conn, register(queue, 1)).Recv()
				if err != nil || m.GetRegistered() == nil {
					t.Fatalf("register = %v, %v", m, err)
				}
			}
		})
	}
}

func TestBridgeTokenOnAPublicAddress(t *testing.T) {
	srv := devserver.Shared(t)
	queue := devserver.TaskQueue(t)
	addr := strings.Replace(freeAddr(t), "127.0.0.1", "0.0.0.0", 1)
	p := start(t, nil, "--address", srv.Address(), "--task-queue", queue, "--bridge-listen", addr, "--bridge-token", "s3cret")
	conn, err := grpc.NewClient(strings.Replace(addr, "0.0.0.0", "127.0.0.1", 1), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// Every call needs the token, health checks included.
	authed := metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer s3cret")
	if _, err := healthpb.NewHealthClient(conn).Check(authed, &healthpb.HealthCheckRequest{}, grpc.WaitForReady(true)); err != nil {
		t.Fatalf("bridge never served: %v\n%s", err, p.stderr.String())
	}
	if _, err := connect(t, conn, register(queue, 1)).Recv(); err == nil || !strings.Contains(err.Error(), "the bridge requires a token") {
		t.Fatalf("register without the token = %v, want refusal", err)
	}
	st, err := bridgev1.NewBridgeServiceClient(conn).Connect(authed)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Send(register(queue, 1)); err != nil {
		t.Fatal(err)
	}
	if m, err := st.Recv(); err != nil || m.GetRegistered() == nil {
		t.Fatalf("register with the token = %v, %v", m, err)
	}
}
