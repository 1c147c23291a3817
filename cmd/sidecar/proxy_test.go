package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// frontProxy stands between the sidecar and the dev server's plaintext
// port, as a load balancer would. It forwards bytes; with a TLS config it
// terminates TLS first, and then it can read the HTTP/2 request headers
// going by (the gRPC metadata, such as authorization). Cut drops every
// connection and refuses new ones until Restore.
type frontProxy struct {
	ln     net.Listener
	target string
	tls    *tls.Config

	mu      sync.Mutex
	cut     bool
	conns   map[net.Conn]struct{}
	headers []map[string]string // one per request, in arrival order
	peers   []string            // client certificate subjects, per connection
}

func newFrontProxy(t *testing.T, target string, tc *tls.Config) *frontProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &frontProxy{ln: ln, target: target, tls: tc, conns: map[net.Conn]struct{}{}}
	go p.accept()
	t.Cleanup(func() {
		ln.Close()
		p.Cut()
	})
	return p
}

func (p *frontProxy) Addr() string { return p.ln.Addr().String() }

// Cut closes every open connection, both ways, and closes new ones at once.
func (p *frontProxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = true
	for c := range p.conns {
		c.Close()
	}
}

// Restore lets connections through again.
func (p *frontProxy) Restore() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = false
}

// Header returns the values the requests so far carried for key.
func (p *frontProxy) Header(key string) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var vs []string
	for _, h := range p.headers {
		if v, ok := h[key]; ok {
			vs = append(vs, v)
		}
	}
	return vs
}

// Peers returns the subjects of the client certificates presented so far.
func (p *frontProxy) Peers() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.peers...)
}

// track registers c as open, or reports false when the proxy is cut.
func (p *frontProxy) track(cs ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cut {
		return false
	}
	for _, c := range cs {
		p.conns[c] = struct{}{}
	}
	return true
}

func (p *frontProxy) untrack(cs ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range cs {
		delete(p.conns, c)
		c.Close()
	}
}

func (p *frontProxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		go p.serve(c)
	}
}

func (p *frontProxy) serve(c net.Conn) {
	if !p.track(c) {
		c.Close()
		return
	}
	defer p.untrack(c)
	if p.tls != nil {
		tc := tls.Server(c, p.tls)
		tc.SetDeadline(time.Now().Add(10 * time.Second))
		if err := tc.Handshake(); err != nil {
			return
		}
		tc.SetDeadline(time.Time{})
		if certs := tc.ConnectionState().PeerCertificates; len(certs) > 0 {
			p.mu.Lock()
			p.peers = append(p.peers, certs[0].Subject.CommonName)
			p.mu.Unlock()
		}
		c = tc
	}
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	if !p.track(up) {
		up.Close()
		return
	}
	defer p.untrack(up)

	var src io.Reader = c
	if p.tls != nil {
		// Terminated TLS leaves plaintext HTTP/2: read its headers on the way.
		pr, pw := io.Pipe()
		defer pw.Close()
		src = io.TeeReader(c, pw)
		go p.readHeaders(pr)
	}
	done := make(chan struct{})
	go func() {
		io.Copy(c, up)
		c.Close()
		close(done)
	}()
	io.Copy(up, src)
	up.Close()
	<-done
}

// readHeaders decodes the client's side of an HTTP/2 connection and keeps
// every request's header fields. It always reads r to the end, so the tee
// feeding it never blocks.
func (p *frontProxy) readHeaders(r io.Reader) {
	defer io.Copy(io.Discard, r)
	preface := make([]byte, len(http2.ClientPreface))
	if _, err := io.ReadFull(r, preface); err != nil || string(preface) != http2.ClientPreface {
		return
	}
	fr := http2.NewFramer(nil, r)
	fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	for {
		f, err := fr.ReadFrame()
		if err != nil {
			return
		}
		if mh, ok := f.(*http2.MetaHeadersFrame); ok {
			h := make(map[string]string, len(mh.Fields))
			for _, hf := range mh.Fields {
				h[hf.Name] = hf.Value
			}
			p.mu.Lock()
			p.headers = append(p.headers, h)
			p.mu.Unlock()
		}
	}
}

// testPKI is a throwaway CA with a server certificate for "frontend.test"
// only (no IP SAN, so dialing 127.0.0.1 needs --tls-server-name) and a
// client certificate "sidecar-client", as PEM files; and a second CA that
// signed nothing here.
type testPKI struct {
	ca                    *x509.Certificate
	caPath, otherCAPath   string
	server                tls.Certificate
	clientCert, clientKey string
}

func newTestPKI(t *testing.T) *testPKI {
	t.Helper()
	dir := t.TempDir()
	newCA := func(name string) (*x509.Certificate, *ecdsa.PrivateKey, []byte) {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		tmpl := &x509.Certificate{
			SerialNumber:          big.NewInt(1),
			Subject:               pkix.Name{CommonName: name},
			NotBefore:             time.Now().Add(-time.Hour),
			NotAfter:              time.Now().Add(time.Hour),
			IsCA:                  true,
			KeyUsage:              x509.KeyUsageCertSign,
			BasicConstraintsValid: true,
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
		if err != nil {
			t.Fatal(err)
		}
		ca, _ := x509.ParseCertificate(der)
		return ca, key, der
	}
	ca, caKey, caDER := newCA("test CA")
	_, _, otherDER := newCA("another CA")
	p := &testPKI{ca: ca, caPath: filepath.Join(dir, "ca.pem"), otherCAPath: filepath.Join(dir, "other-ca.pem")}
	writePEM(t, p.caPath, "CERTIFICATE", caDER)
	writePEM(t, p.otherCAPath, "CERTIFICATE", otherDER)

	issue := func(serial int64, cn string, usage x509.ExtKeyUsage, dns []string) ([]byte, *ecdsa.PrivateKey) {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		der, err := x509.CreateCertificate(rand.Reader, &x509.Certificate{
			SerialNumber: big.NewInt(serial),
			Subject:      pkix.Name{CommonName: cn},
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
	der, key := issue(2, "frontend.test", x509.ExtKeyUsageServerAuth, []string{"frontend.test"})
	p.server = tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}

	der, key = issue(3, "sidecar-client", x509.ExtKeyUsageClientAuth, nil)
	p.clientCert, p.clientKey = filepath.Join(dir, "client.pem"), filepath.Join(dir, "client.key")
	writePEM(t, p.clientCert, "CERTIFICATE", der)
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	writePEM(t, p.clientKey, "EC PRIVATE KEY", keyDER)
	return p
}

// serverTLS is the proxy's TLS: HTTP/2 by ALPN, as gRPC requires, and with
// requireClientCert, certificates signed by the test CA only.
func (p *testPKI) serverTLS(requireClientCert bool) *tls.Config {
	tc := &tls.Config{Certificates: []tls.Certificate{p.server}, NextProtos: []string{"h2"}, MinVersion: tls.VersionTLS12}
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

var errTimeout = errors.New("condition not met before the deadline")

// eventually polls cond until it returns nil or d passes, and returns the
// last error. It waits on a condition with a deadline, never a fixed time.
func eventually(d time.Duration, cond func() error) error {
	deadline := time.Now().Add(d)
	tick := time.NewTicker(25 * time.Millisecond)
	defer tick.Stop()
	for {
		err := cond()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return errors.Join(errTimeout, err)
		}
		<-tick.C
	}
}
