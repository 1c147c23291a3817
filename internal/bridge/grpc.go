package bridge

import (
	"context"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"

	"github.com/grpc-ecosystem/go-grpc-middleware/v2/interceptors/auth"
	"github.com/temporal-sidecar/sidecar/internal/bridge/codec"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"
)

// Security is how apps authenticate to the bridge. Both parts are optional;
// config refuses a non-loopback listener that has neither.
type Security struct {
	Token string      // bearer token every call must present
	TLS   *tls.Config // server TLS, with client CAs for mTLS
}

// maxSendBytes bounds a message the sidecar sends an app: as large as what
// the sidecar itself accepts from the Temporal frontend (a history, a
// payload), which the app's limit is not meant to cut.
const maxSendBytes = 128 << 20

// windowBytes is the flow-control window of a bridge stream and connection:
// on a local socket, far more than a round trip carries.
const windowBytes = 1 << 20

// NewGRPCServer returns the gRPC server the bridge listener is served by,
// with the bridge's security and the limit on one message an app sends.
// gRPC refuses a larger message from its length prefix, before reading it,
// so memory stays bounded by maxMessageBytes per stream whatever apps send.
// It answers RESOURCE_EXHAUSTED with both sizes itself, before any handler
// or interceptor can reword it; apps learn the limit from Registered.limits,
// and the session's log line names the flag (see Server.read).
func NewGRPCServer(sec Security, maxMessageBytes int) *grpc.Server {
	opts := []grpc.ServerOption{
		grpc.MaxRecvMsgSize(maxMessageBytes),
		grpc.MaxSendMsgSize(max(maxMessageBytes, maxSendBytes)),
		// Fixed flow-control windows: gRPC's default grows them with the
		// measured bandwidth-delay product, up to 16 MiB a stream, which lets
		// an app push that much into the sidecar's buffers ahead of reads.
		grpc.InitialWindowSize(windowBytes),
		grpc.InitialConnWindowSize(windowBytes),
		// The bridge's messages are encoded by generated code, not reflection.
		codec.ServerOption(),
	}
	if sec.TLS != nil {
		opts = append(opts, grpc.Creds(credentials.NewTLS(sec.TLS)))
	}
	if sec.Token != "" {
		check := tokenCheck(sec.Token)
		opts = append(opts,
			grpc.ChainUnaryInterceptor(auth.UnaryServerInterceptor(check)),
			grpc.ChainStreamInterceptor(auth.StreamServerInterceptor(check)))
	}
	return grpc.NewServer(opts...)
}

func tokenCheck(want string) auth.AuthFunc {
	return func(ctx context.Context) (context.Context, error) {
		got, err := auth.AuthFromMD(ctx, "bearer")
		if err != nil {
			return nil, status.Error(codes.Unauthenticated, "the bridge requires a token: send metadata \"authorization: Bearer <token>\"")
		}
		if subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
			return nil, status.Error(codes.Unauthenticated, "the bridge token is wrong")
		}
		return ctx, nil
	}
}

// ServerTLS loads the bridge's certificate, and the client CA that turns on
// mTLS when clientCAPath is set.
func ServerTLS(certPath, keyPath, clientCAPath string) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(certPath, keyPath)
	if err != nil {
		return nil, fmt.Errorf("bridge TLS: cannot load certificate %s and key %s: %w", certPath, keyPath, err)
	}
	c := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if clientCAPath == "" {
		return c, nil
	}
	pem, err := os.ReadFile(clientCAPath)
	if err != nil {
		return nil, fmt.Errorf("bridge TLS: cannot read client CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("bridge TLS: client CA %s holds no PEM certificate", clientCAPath)
	}
	c.ClientCAs = pool
	c.ClientAuth = tls.RequireAndVerifyClientCert
	return c, nil
}
