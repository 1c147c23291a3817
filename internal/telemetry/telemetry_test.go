package telemetry

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHandlerEndpoints(t *testing.T) {
	var readyErr error
	srv := httptest.NewServer(Handler(NewRegistry(), func() error { return readyErr }))
	defer srv.Close()
	get := func(path string) (int, string) {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	tests := []struct {
		name     string
		path     string
		readyErr error
		code     int
		body     string
	}{
		{"liveness", "/healthz", errors.New("frontend down"), 200, "ok"},
		{"ready", "/readyz", nil, 200, "ready"},
		{"not ready says why", "/readyz", errors.New("frontend unreachable"), 503, "not ready: frontend unreachable"},
		{"metrics", "/metrics", nil, 200, "go_goroutines"},
		{"unknown path", "/nope", nil, 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			readyErr = tt.readyErr
			code, body := get(tt.path)
			if code != tt.code || !strings.Contains(body, tt.body) {
				t.Fatalf("GET %s = %d %q, want %d containing %q", tt.path, code, body, tt.code, tt.body)
			}
		})
	}
}

func TestLoggerFormats(t *testing.T) {
	tests := []struct{ format, want string }{
		{"json", `"msg":"hello"`},
		{"text", "msg=hello"},
	}
	for _, tt := range tests {
		var buf bytes.Buffer
		NewLogger(&buf, slog.LevelInfo, tt.format).Info("hello")
		NewLogger(&buf, slog.LevelInfo, tt.format).Debug("hidden")
		if !strings.Contains(buf.String(), tt.want) || strings.Contains(buf.String(), "hidden") {
			t.Errorf("%s log = %q", tt.format, buf.String())
		}
	}
}
