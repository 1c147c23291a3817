package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/temporal-sidecar/sidecar/internal/devserver"
)

// These tests put a TLS-terminating proxy in front of the real dev server,
// so the sidecar's TLS, mTLS and API key settings meet a real handshake and
// the real frontend behind it.

func TestFrontendSecurityThroughATLSProxy(t *testing.T) {
	srv := devserver.Shared(t)
	pki := newTestPKI(t)
	tests := []struct {
		name              string
		requireClientCert bool
		// setup returns the environment and flags for a sidecar that
		// reaches the frontend through the proxy at addr.
		setup func(t *testing.T, addr string) (env, args []string)
		peer  string // client certificate the proxy must have seen
		auth  string // authorization header the proxy must have seen
	}{
		{
			name: "custom CA and server name",
			setup: func(t *testing.T, addr string) ([]string, []string) {
				return nil, []string{"--address", addr, "--tls-ca-path", pki.caPath, "--tls-server-name", "frontend.test"}
			},
		},
		{
			name: "API key from the environment arrives as a bearer token over TLS",
			setup: func(t *testing.T, addr string) ([]string, []string) {
				return []string{"TEMPORAL_API_KEY=k3y", "TEMPORAL_TLS_SERVER_CA_CERT_PATH=" + pki.caPath, "TEMPORAL_TLS_SERVER_NAME=frontend.test"},
					[]string{"--address", addr}
			},
			auth: "Bearer k3y",
		},
		{
			name:              "mutual TLS",
			requireClientCert: true,
			setup: func(t *testing.T, addr string) ([]string, []string) {
				return nil, []string{"--address", addr, "--tls-ca-path", pki.caPath, "--tls-server-name", "frontend.test",
					"--tls-cert-path", pki.clientCert, "--tls-key-path", pki.clientKey}
			},
			peer: "sidecar-client",
		},
		{
			name:              "everything from an env-config profile",
			requireClientCert: true,
			setup: func(t *testing.T, addr string) ([]string, []string) {
				file := filepath.Join(t.TempDir(), "temporal.toml")
				toml := fmt.Sprintf(`[profile.through-proxy]
address = %q
namespace = "default"
api_key = "profile-key"

[profile.through-proxy.tls]
server_ca_cert_path = %q
server_name = "frontend.test"
client_cert_path = %q
client_key_path = %q
`, addr, pki.caPath, pki.clientCert, pki.clientKey)
				if err := os.WriteFile(file, []byte(toml), 0o600); err != nil {
					t.Fatal(err)
				}
				return []string{"TEMPORAL_CONFIG_FILE=" + file, "TEMPORAL_PROFILE=through-proxy"}, nil
			},
			peer: "sidecar-client",
			auth: "Bearer profile-key",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			proxy := newFrontProxy(t, srv.Address(), pki.serverTLS(tt.requireClientCert))
			env, args := tt.setup(t, proxy.Addr())
			p := start(t, env, append(args, "--task-queue", devserver.TaskQueue(t))...)
			serving(t, p)

			// The start-up check described the namespace through the proxy.
			if got := proxy.Header("temporal-namespace"); !slices.Contains(got, "default") {
				t.Errorf("requests through the proxy carried temporal-namespace %q, want default", got)
			}
			auth := proxy.Header("authorization")
			switch {
			case tt.auth == "" && len(auth) > 0:
				t.Errorf("authorization = %q without an API key", auth)
			case tt.auth != "" && (len(auth) == 0 || slices.ContainsFunc(auth, func(a string) bool { return a != tt.auth })):
				t.Errorf("authorization = %q, want %q on every request", auth, tt.auth)
			}
			if peers := proxy.Peers(); tt.peer != "" && !slices.Contains(peers, tt.peer) {
				t.Errorf("client certificates seen %q, want %q", peers, tt.peer)
			}
		})
	}
}

// TestFrontendSecurityMistakesExitWithClearErrors pins what a user sees for
// each TLS setting they can get wrong against a real TLS endpoint.
func TestFrontendSecurityMistakesExitWithClearErrors(t *testing.T) {
	srv := devserver.Shared(t)
	pki := newTestPKI(t)
	notPEM := filepath.Join(t.TempDir(), "ca.txt")
	if err := os.WriteFile(notPEM, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	const tlsHint = "; check --address (TEMPORAL_ADDRESS), --tls (TEMPORAL_TLS) and the other --tls-* options"
	tests := []struct {
		name              string
		requireClientCert bool
		args              []string
		code              int
		want              []string // substrings of stderr, in order
		// or, a second message the same mistake may show instead
		or []string
	}{
		{"CA that did not sign the server certificate", false,
			[]string{"--tls-ca-path", pki.otherCAPath, "--tls-server-name", "frontend.test"},
			exitFrontend, []string{"cannot reach Temporal frontend at $A: ", "x509: certificate signed by unknown authority", tlsHint}, nil},
		{"system CAs for a private CA", false,
			[]string{"--tls", "--tls-server-name", "frontend.test"},
			exitFrontend, []string{"cannot reach Temporal frontend at $A: ", "x509: certificate signed by unknown authority", tlsHint}, nil},
		{"server name that is not in the certificate", false,
			[]string{"--tls-ca-path", pki.caPath},
			exitFrontend, []string{"cannot reach Temporal frontend at $A: ", "x509: cannot validate certificate for 127.0.0.1 because it doesn't contain any IP SANs", tlsHint}, nil},
		{"wrong --tls-server-name", false,
			[]string{"--tls-ca-path", pki.caPath, "--tls-server-name", "other.test"},
			exitFrontend, []string{"cannot reach Temporal frontend at $A: ", "x509: certificate is valid for frontend.test, not other.test", tlsHint}, nil},
		{"plaintext to a TLS frontend", false,
			[]string{"--tls=false"},
			exitFrontend, []string{"cannot reach Temporal frontend at $A: ", tlsHint}, nil},
		// With TLS 1.3 the server checks the client certificate after the
		// client's handshake is done, sends an alert and closes. The
		// sidecar usually reads the alert; sometimes its first write meets
		// the closed socket first and all it learns is a broken pipe or a
		// reset, which internal/frontend does not yet recognise as TLS
		// trouble, so the hint then names only --address.
		{"mTLS without a client certificate", true,
			[]string{"--tls-ca-path", pki.caPath, "--tls-server-name", "frontend.test"},
			exitFrontend, []string{"cannot reach Temporal frontend at $A: ", "tls: certificate required", tlsHint},
			[]string{"cannot reach Temporal frontend at $A: ", "; check --address (TEMPORAL_ADDRESS)"}},
		{"CA file that does not exist", false,
			[]string{"--tls-ca-path", "/nonexistent/ca.pem"},
			exitConfig, []string{"sidecar: cannot read --tls-ca-path (TEMPORAL_TLS_SERVER_CA_CERT_PATH): open /nonexistent/ca.pem: no such file or directory"}, nil},
		{"CA file without a certificate", false,
			[]string{"--tls-ca-path", notPEM},
			exitConfig, []string{`sidecar: --tls-ca-path (TEMPORAL_TLS_SERVER_CA_CERT_PATH) "` + notPEM + `" holds no PEM certificate`}, nil},
		{"client key that does not exist", true,
			[]string{"--tls-ca-path", pki.caPath, "--tls-cert-path", pki.clientCert, "--tls-key-path", "/nonexistent/key.pem"},
			exitConfig, []string{"sidecar: cannot load the client certificate from --tls-cert-path (TEMPORAL_TLS_CLIENT_CERT_PATH) and --tls-key-path (TEMPORAL_TLS_CLIENT_KEY_PATH): open /nonexistent/key.pem: no such file or directory"}, nil},
		{"certificate given as the client key", true,
			[]string{"--tls-ca-path", pki.caPath, "--tls-cert-path", pki.clientCert, "--tls-key-path", pki.otherCAPath},
			exitConfig, []string{"sidecar: cannot load the client certificate from --tls-cert-path (TEMPORAL_TLS_CLIENT_CERT_PATH) and --tls-key-path (TEMPORAL_TLS_CLIENT_KEY_PATH): tls: found a certificate rather than a key in the PEM for the private key"}, nil},
		{"client certificate without its key", true,
			[]string{"--tls-cert-path", pki.clientCert},
			exitConfig, []string{"sidecar: invalid configuration:\n--tls-cert-path (TEMPORAL_TLS_CLIENT_CERT_PATH) needs --tls-key-path (TEMPORAL_TLS_CLIENT_KEY_PATH)"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			proxy := newFrontProxy(t, srv.Address(), pki.serverTLS(tt.requireClientCert))
			p := start(t, nil, append([]string{"--address", proxy.Addr(), "--task-queue", "q", "--connect-timeout", "5s"}, tt.args...)...)
			if code := p.wait(t); code != tt.code {
				t.Fatalf("exit code %d, want %d; stderr:\n%s", code, tt.code, p.stderr.String())
			}
			stderr := p.stderr.String()
			// missing returns the first of want not in stderr from stderr, in order.
			missing := func(want []string) string {
				rest := stderr
				for _, w := range want {
					w = strings.ReplaceAll(w, "$A", proxy.Addr())
					i := strings.Index(rest, w)
					if i < 0 {
						return w
					}
					rest = rest[i+len(w):]
				}
				return ""
			}
			if m := missing(tt.want); m != "" && (tt.or == nil || missing(tt.or) != "") {
				t.Fatalf("stderr lacks %q (in order); stderr:\n%s", m, stderr)
			}
		})
	}
}
