// Package mocktest talks to the mock identity server (testkit/) the Go tests run against:
// scripts/with-mock.sh starts it (make test-go) and exports its URL and the
// demo application's credentials. Without them the tests fail: nothing is skipped.
package mocktest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
)

// Demo application of the mock.
const (
	ClientID = "demo-client-id"
	Secret   = "demo-client-secret-s3cr3t"
)

// Scopes the demo application may ask for.
var Scopes = []string{"officernd.api.read", "officernd.api.write"}

// Mock is a running mock identity server.
type Mock struct {
	URL string
	t   testing.TB
}

// Get returns the mock named by OFFICERND_MOCK_URL, failing the test when it is not set.
func Get(t testing.TB) *Mock {
	t.Helper()
	url := os.Getenv("OFFICERND_MOCK_URL")
	if url == "" {
		t.Fatal("OFFICERND_MOCK_URL is not set: run the Go tests through `make test-go` (it starts the mock identity server)")
	}
	return &Mock{URL: url, t: t}
}

// TokenURL is the mock's token endpoint.
func (m *Mock) TokenURL() string { return m.URL + "/oauth/token" }

func (m *Mock) do(method, path string, body any) []byte {
	m.t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			m.t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, m.URL+path, r)
	if err != nil {
		m.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		m.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		m.t.Fatalf("mock %s %s: %s: %s", method, path, resp.Status, out)
	}
	return out
}

// TokenRequests is the number of requests that reached the token endpoint so far.
func (m *Mock) TokenRequests() uint64 {
	m.t.Helper()
	var s struct {
		TokenRequests uint64 `json:"token_requests"`
	}
	if err := json.Unmarshal(m.do("GET", "/_mock/stats", nil), &s); err != nil {
		m.t.Fatal(err)
	}
	return s.TokenRequests
}

// Faults queues faults (testkit README), one per token request.
func (m *Mock) Faults(faults ...map[string]any) {
	m.t.Helper()
	m.do("POST", "/_mock/faults", faults)
}

// Revoke makes every token issued so far get 401 on the protected resource.
func (m *Mock) Revoke() {
	m.t.Helper()
	m.do("POST", "/_mock/revoke", nil)
}

// Me calls the protected resource GET /api/v2/me with an Authorization header value and returns
// the HTTP status.
func (m *Mock) Me(authorization string) int {
	m.t.Helper()
	req, err := http.NewRequest("GET", m.URL+"/api/v2/me", nil)
	if err != nil {
		m.t.Fatal(err)
	}
	req.Header.Set("Authorization", authorization)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		m.t.Fatal(err)
	}
	_ = resp.Body.Close()
	return resp.StatusCode
}

// LastUserAgent is the User-Agent header of the last token request the mock received (the
// secret in that request's form is not read).
func (m *Mock) LastUserAgent() string {
	m.t.Helper()
	var last struct {
		Headers [][2]string `json:"headers"`
	}
	if err := json.Unmarshal(m.do("GET", "/_mock/last_request", nil), &last); err != nil {
		m.t.Fatal(err)
	}
	for _, h := range last.Headers {
		if strings.EqualFold(h[0], "User-Agent") {
			return h[1]
		}
	}
	return ""
}

// String names the mock.
func (m *Mock) String() string { return fmt.Sprintf("mock(%s)", m.URL) }
