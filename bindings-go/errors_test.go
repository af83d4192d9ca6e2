package officernd_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	officernd "github.com/officernd-auth/officernd-auth/bindings-go"
	"github.com/officernd-auth/officernd-auth/bindings-go/internal/mocktest"
)

func TestCodesAreTheCLibrarysNames(t *testing.T) {
	want := []string{"config", "oauth", "rate_limited", "http", "transport", "timeout", "invalid_response"}
	if len(officernd.Codes) != len(want) {
		t.Fatalf("Codes = %v", officernd.Codes)
	}
	for i, c := range officernd.Codes {
		if c.String() != want[i] || int(c) != i+1 {
			t.Errorf("Codes[%d] = %d %q, want %d %q", i, int(c), c, i+1, want[i])
		}
	}
	// A code added to the C enum fails here until it has its Go constant and sentinel.
	if next := officernd.Code(len(want) + 1); next.String() != "unknown" {
		t.Errorf("the C library knows code %d %q: add it to Codes, with a sentinel", int(next), next)
	}
	if officernd.CodeUnknown.String() != "unknown" {
		t.Errorf("CodeUnknown = %q", officernd.CodeUnknown)
	}
}

var sentinels = map[officernd.Code]error{
	officernd.CodeConfig:          officernd.ErrConfig,
	officernd.CodeOAuth:           officernd.ErrOAuth,
	officernd.CodeRateLimited:     officernd.ErrRateLimited,
	officernd.CodeHTTP:            officernd.ErrHTTP,
	officernd.CodeTransport:       officernd.ErrTransport,
	officernd.CodeTimeout:         officernd.ErrTimeout,
	officernd.CodeInvalidResponse: officernd.ErrInvalidResponse,
}

// check asserts err is an *Error with code, found by errors.Is / errors.As also when wrapped, and
// matching no other sentinel.
func check(t *testing.T, err error, code officernd.Code, retryable bool) *officernd.Error {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %s", code)
	}
	wrapped := fmt.Errorf("calling the API: %w", err)
	var e *officernd.Error
	if !errors.As(wrapped, &e) {
		t.Fatalf("errors.As(%v) found no *officernd.Error", wrapped)
	}
	if e.Code != code {
		t.Fatalf("code %s, want %s: %+v", e.Code, code, e)
	}
	for c, s := range sentinels {
		if errors.Is(wrapped, s) != (c == code) {
			t.Errorf("errors.Is(%s error, %v) = %t", code, s, c != code)
		}
	}
	if e.Retryable() != retryable {
		t.Errorf("%s: Retryable() = %t, want %t", code, e.Retryable(), retryable)
	}
	leaks(t, code.String()+" error", err, mocktest.Secret)
	return e
}

func fetch(t *testing.T, cfg officernd.Config) error {
	t.Helper()
	c := newClient(t, cfg)
	_, err := c.Token(context.Background())
	return err
}

func TestConfigErrors(t *testing.T) {
	m := mocktest.Get(t)
	_, err := officernd.New(officernd.Config{ClientSecret: mocktest.Secret, TokenURL: m.TokenURL()})
	if e := check(t, err, officernd.CodeConfig, false); e.Setting != "client_id" {
		t.Errorf("missing client id: setting %q", e.Setting)
	}
	for name, cfg := range map[string]officernd.Config{
		"token_url":    {ClientID: "x", ClientSecret: mocktest.Secret, TokenURL: "http://example.com/oauth/token"},
		"timeout":      {ClientID: "x", ClientSecret: mocktest.Secret, Settings: map[string]string{"timeout": "soon"}},
		"no_such_knob": {ClientID: "x", ClientSecret: mocktest.Secret, Settings: map[string]string{"no_such_knob": "1"}},
		"store":        {ClientID: "x", ClientSecret: mocktest.Secret, Store: "carrier-pigeon"},
	} {
		_, err := officernd.New(cfg)
		if e := check(t, err, officernd.CodeConfig, false); e.Setting != name {
			t.Errorf("%s: setting %q (%v)", name, e.Setting, err)
		}
	}
}

func TestOAuthError(t *testing.T) {
	m := mocktest.Get(t)
	cfg := config(m)
	cfg.ClientSecret = "wrong-secret-value"
	e := check(t, fetch(t, cfg), officernd.CodeOAuth, false)
	if e.Status != 401 || e.OAuthError != "invalid_client" {
		t.Fatalf("%+v", e)
	}
	m.Faults(map[string]any{"kind": "oauth_error", "status": 400, "error": "invalid_scope", "description": "scope too wide"})
	e = check(t, fetch(t, config(m)), officernd.CodeOAuth, false)
	if e.Status != 400 || e.OAuthError != "invalid_scope" || e.Description != "scope too wide" {
		t.Fatalf("%+v", e)
	}
}

func TestRateLimitedByTheServer(t *testing.T) {
	m := mocktest.Get(t)
	m.Faults(map[string]any{"kind": "too_many_requests", "retry_after": "7"})
	e := check(t, fetch(t, config(m)), officernd.CodeRateLimited, true)
	if e.Status != 429 || e.RetryAfter != 7*time.Second {
		t.Fatalf("%+v", e)
	}
}

func TestRateLimitedLocallyCarriesTheLastError(t *testing.T) {
	m := mocktest.Get(t)
	cfg := config(m)
	cfg.MaxRequests = 1
	cfg.Settings["max_retries"] = "0"
	c := newClient(t, cfg)
	m.Faults(map[string]any{"kind": "status", "status": 503})
	before := m.TokenRequests()
	_, err := c.Token(context.Background())
	if e := check(t, err, officernd.CodeHTTP, true); e.Status != 503 {
		t.Fatalf("%+v", e)
	}
	_, err = c.Token(context.Background())
	e := check(t, err, officernd.CodeRateLimited, true)
	if e.RetryAfter <= 0 || e.LastError != officernd.CodeHTTP {
		t.Fatalf("%+v (last error %s)", e, e.LastError)
	}
	if n := m.TokenRequests() - before; n != 1 {
		t.Fatalf("%d token requests, want 1", n)
	}
}

func TestTransportError(t *testing.T) {
	cfg := officernd.Config{
		ClientID: "some-client", ClientSecret: mocktest.Secret, TokenURL: "http://127.0.0.1:1/oauth/token",
		Settings: map[string]string{"share_cache": "false", "max_retries": "0"},
	}
	if e := check(t, fetch(t, cfg), officernd.CodeTransport, true); e.Status != 0 {
		t.Fatalf("%+v", e)
	}
}

func TestTimeoutError(t *testing.T) {
	m := mocktest.Get(t)
	cfg := config(m)
	cfg.Timeout = 300 * time.Millisecond
	cfg.Settings["max_retries"] = "0"
	m.Faults(map[string]any{"kind": "delay", "ms": 1500})
	check(t, fetch(t, cfg), officernd.CodeTimeout, true)
}

func TestInvalidResponse(t *testing.T) {
	m := mocktest.Get(t)
	for _, fault := range []string{"malformed_json", "html_page", "wrong_token_type", "missing_access_token", "token_with_newline"} {
		m.Faults(map[string]any{"kind": fault})
		if e := check(t, fetch(t, config(m)), officernd.CodeInvalidResponse, false); e.Status != 200 {
			t.Fatalf("%s: %+v", fault, e)
		}
	}
}
