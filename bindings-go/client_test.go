package officernd_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	officernd "github.com/officernd-auth/officernd-auth/bindings-go"
	"github.com/officernd-auth/officernd-auth/bindings-go/internal/mocktest"
)

// config is the demo application on the mock, with a cache of its own (share_cache off), so
// that each test counts its own requests.
func config(m *mocktest.Mock) officernd.Config {
	return officernd.Config{
		ClientID:     mocktest.ClientID,
		ClientSecret: mocktest.Secret,
		Scopes:       mocktest.Scopes,
		TokenURL:     m.TokenURL(),
		Settings:     map[string]string{"share_cache": "false"},
	}
}

func newClient(t *testing.T, cfg officernd.Config) *officernd.Client {
	t.Helper()
	c, err := officernd.New(cfg)
	if err != nil {
		t.Fatalf("New: %+v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func TestTokenIsAcceptedByTheResource(t *testing.T) {
	m := mocktest.Get(t)
	c := newClient(t, config(m))
	before := m.TokenRequests()
	tok, err := c.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Me(tok.AuthorizationHeader()); got != http.StatusOK {
		t.Fatalf("GET /api/v2/me with the token: %d", got)
	}
	if tok.TokenType() != "Bearer" || !strings.HasPrefix(tok.AuthorizationHeader(), "Bearer ") {
		t.Fatalf("token type %q", tok.TokenType())
	}
	if left := tok.ExpiresIn(); left < 3000*time.Second || left > 3600*time.Second {
		t.Fatalf("expires in %s", left)
	}
	if got := strings.Join(tok.Scopes(), " "); got != "officernd.api.read officernd.api.write" {
		t.Fatalf("scopes %q", got)
	}
	// The second call is served from the cache.
	header, err := c.AuthorizationHeader(context.Background())
	if err != nil || header != tok.AuthorizationHeader() {
		t.Fatalf("AuthorizationHeader: %v", err)
	}
	if n := m.TokenRequests() - before; n != 1 {
		t.Fatalf("%d token requests, want 1", n)
	}
	s, err := c.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if s.RequestsSent != 1 || s.RequestsOK != 1 || s.CacheHits < 1 || s.ExpiresIn <= 0 || s.LastError != 0 {
		t.Fatalf("stats %+v", s)
	}
	fields := map[string]int64{}
	for _, f := range s.Fields {
		fields[f.Name] = f.Value
	}
	if fields["requests_sent"] != 1 || fields["cache_hits"] != int64(s.CacheHits) {
		t.Fatalf("stats fields %v", fields)
	}
}

func TestFromEnv(t *testing.T) {
	m := mocktest.Get(t) // with-mock.sh exports OFFICERND_TOKEN_URL and the demo credentials
	c, err := officernd.FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	header, err := c.AuthorizationHeader(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Me(header); got != http.StatusOK {
		t.Fatalf("GET /api/v2/me: %d", got)
	}
}

func TestUserAgentNamesTheGoBinding(t *testing.T) {
	m := mocktest.Get(t)
	want := "officernd-auth/" + officernd.Version() + " (go)"
	if _, err := newClient(t, config(m)).Token(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := m.LastUserAgent(); got != want {
		t.Fatalf("New: User-Agent %q, want %q", got, want)
	}
	t.Setenv("OFFICERND_STORE_PATH", t.TempDir()) // a cache of its own: FromEnv must send a request
	c, err := officernd.FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	before := m.TokenRequests()
	if _, err := c.Token(context.Background()); err != nil {
		t.Fatal(err)
	}
	if m.TokenRequests() != before+1 {
		t.Fatal("FromEnv's client sent no request")
	}
	if got := m.LastUserAgent(); got != want {
		t.Fatalf("FromEnv: User-Agent %q, want %q", got, want)
	}
}

// A fresh cached token is served on the caller's goroutine whatever the context: Token with a
// deadline allocates exactly what Token without one does (no channel, closure or goroutine), and
// sends nothing.
func TestCachedTokenTakesTheFastPathWithADeadline(t *testing.T) {
	m := mocktest.Get(t)
	c := newClient(t, config(m))
	if _, err := c.Token(context.Background()); err != nil {
		t.Fatal(err)
	}
	before := m.TokenRequests()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	token := func(ctx context.Context) func() {
		return func() {
			if _, err := c.Token(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	plain := testing.AllocsPerRun(50, token(context.Background()))
	withDeadline := testing.AllocsPerRun(50, token(ctx))
	if withDeadline != plain {
		t.Fatalf("a cached token with a deadline: %v allocations, without: %v (a goroutine was started)", withDeadline, plain)
	}
	if n := m.TokenRequests() - before; n != 0 {
		t.Fatalf("%d token requests for cached tokens", n)
	}
	s, err := c.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if s.CacheHits < 102 {
		t.Fatalf("%d cache hits, want at least 102", s.CacheHits)
	}
}

func TestSixtyFourGoroutinesOnAnEmptyCacheSendOneRequest(t *testing.T) {
	m := mocktest.Get(t)
	c := newClient(t, config(m))
	before := m.TokenRequests()
	m.Faults(map[string]any{"kind": "delay", "ms": 300}) // every goroutine asks while the fetch is in flight
	var wg sync.WaitGroup
	tokens := make([]string, 64)
	errs := make([]error, 64)
	for i := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := context.Background()
			if i%2 == 1 { // half of them through the goroutine path that honours a deadline
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, 30*time.Second)
				defer cancel()
			}
			tok, err := c.Token(ctx)
			if err == nil {
				tokens[i] = tok.AccessToken()
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("goroutine %d: %v", i, err)
		}
		if tokens[i] != tokens[0] {
			t.Fatalf("goroutine %d got another token", i)
		}
	}
	if n := m.TokenRequests() - before; n != 1 {
		t.Fatalf("%d token requests, want exactly 1", n)
	}
}

func TestCancelledContextReturnsAtOnce(t *testing.T) {
	m := mocktest.Get(t)
	c := newClient(t, config(m))
	before := m.TokenRequests()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Token(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Token(cancelled ctx) = %v, want context.Canceled", err)
	}
	if n := m.TokenRequests() - before; n != 0 {
		t.Fatalf("a cancelled context sent %d requests", n)
	}
}

func TestCancellationWhileFetching(t *testing.T) {
	m := mocktest.Get(t)
	c := newClient(t, config(m))
	before := m.TokenRequests()
	m.Faults(map[string]any{"kind": "delay", "ms": 1500})
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	start := time.Now()
	go func() {
		_, err := c.Token(ctx)
		errc <- err
	}()
	// Cancel once the fetch has reached the server (each stats round trip is the wait, no sleep).
	for m.TokenRequests() == before {
	}
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("Token = %v, want context.Canceled", err)
	}
	if elapsed := time.Since(start); elapsed >= 1500*time.Millisecond {
		t.Fatalf("cancellation returned after %s, not at once", elapsed)
	}
	// The fetch went on in the background: the next caller gets its token, no second request.
	tok, err := c.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Me(tok.AuthorizationHeader()); got != http.StatusOK {
		t.Fatalf("GET /api/v2/me: %d", got)
	}
	if n := m.TokenRequests() - before; n != 1 {
		t.Fatalf("%d token requests, want 1 (the cancelled caller's fetch, shared)", n)
	}
}

func TestDeadline(t *testing.T) {
	m := mocktest.Get(t)
	c := newClient(t, config(m))
	before := m.TokenRequests()
	m.Faults(map[string]any{"kind": "delay", "ms": 1500})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.Token(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Token = %v, want context.DeadlineExceeded", err)
	}
	if elapsed := time.Since(start); elapsed >= 1500*time.Millisecond {
		t.Fatalf("deadline honoured after %s", elapsed)
	}
	if _, err := c.Token(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := m.TokenRequests() - before; n != 1 {
		t.Fatalf("%d token requests, want 1", n)
	}
}

func TestCloseWhileAFetchRuns(t *testing.T) {
	m := mocktest.Get(t)
	c, err := officernd.New(config(m))
	if err != nil {
		t.Fatal(err)
	}
	m.Faults(map[string]any{"kind": "delay", "ms": 300})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := c.Token(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Token = %v", err)
	}
	// The fetch still runs on the C client: Close must not free it under it.
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Token(context.Background()); !errors.Is(err, officernd.ErrClosed) {
		t.Fatalf("Token after Close = %v, want ErrClosed", err)
	}
	if _, err := c.Stats(); !errors.Is(err, officernd.ErrClosed) {
		t.Fatalf("Stats after Close = %v", err)
	}
}

func TestInvalidateAndTokenAfterUnauthorized(t *testing.T) {
	m := mocktest.Get(t)
	c := newClient(t, config(m))
	ctx := context.Background()
	first, err := c.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	m.Revoke()
	if got := m.Me(first.AuthorizationHeader()); got != http.StatusUnauthorized {
		t.Fatalf("revoked token: %d", got)
	}
	next, err := c.TokenAfterUnauthorized(ctx, first)
	if err != nil || next == nil {
		t.Fatalf("TokenAfterUnauthorized = %v, %v", next, err)
	}
	if next.AccessToken() == first.AccessToken() || m.Me(next.AuthorizationHeader()) != http.StatusOK {
		t.Fatal("the retry token is not a new, valid one")
	}
	// A late 401 for the replaced token gives the newer one without a request.
	before := m.TokenRequests()
	again, err := c.TokenAfterUnauthorized(ctx, first)
	if err != nil || again == nil || again.AccessToken() != next.AccessToken() {
		t.Fatalf("late 401: %v, %v", again, err)
	}
	if n := m.TokenRequests() - before; n != 0 {
		t.Fatalf("late 401 sent %d requests", n)
	}
	if dropped, err := c.Invalidate(first); err != nil || dropped {
		t.Fatalf("Invalidate(replaced token) = %v, %v; want false", dropped, err)
	}
	if dropped, err := c.Invalidate(next); err != nil || !dropped {
		t.Fatalf("Invalidate(cached token) = %v, %v; want true", dropped, err)
	}
}

func TestTransportAppliesThe401RuleOnce(t *testing.T) {
	m := mocktest.Get(t)
	c := newClient(t, config(m))
	// The mock answers 401 without reading a request's body and may then close the connection:
	// a body still being written (chunked) or a later request on that connection would fail with
	// a broken pipe, which net/http retries only for a replayable body (the last request here has
	// none). So no keep-alive, and bodies of a known length (written with the headers).
	hc := &http.Client{Transport: c.Transport(&http.Transport{DisableKeepAlives: true})}
	get := func(body io.Reader, length int) int {
		t.Helper()
		req, err := http.NewRequest("GET", m.URL+"/api/v2/me", body)
		if err != nil {
			t.Fatal(err)
		}
		req.ContentLength = int64(length)
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		return resp.StatusCode
	}
	before := m.TokenRequests()
	if got := get(nil, 0); got != http.StatusOK {
		t.Fatalf("first call: %d", got)
	}
	m.Revoke()
	// 401 with the revoked token: one new token, the request sent again (a strings.Reader body
	// is replayable: http.NewRequest sets GetBody).
	if got := get(strings.NewReader("replayable"), len("replayable")); got != http.StatusOK {
		t.Fatalf("after revoke: %d, want 200 after one retry", got)
	}
	if n := m.TokenRequests() - before; n != 2 {
		t.Fatalf("%d token requests, want 2", n)
	}
	// A body that cannot be replayed: the 401 is returned, nothing resent, no token request.
	m.Revoke()
	if got := get(io.NopCloser(strings.NewReader("once only")), len("once only")); got != http.StatusUnauthorized {
		t.Fatalf("non-replayable body after revoke: %d, want the 401", got)
	}
	if n := m.TokenRequests() - before; n != 2 {
		t.Fatalf("%d token requests, want still 2", n)
	}
	// The refused token was dropped: the next request gets a new one.
	if got := get(nil, 0); got != http.StatusOK {
		t.Fatalf("after the non-replayable 401: %d", got)
	}
	if n := m.TokenRequests() - before; n != 3 {
		t.Fatalf("%d token requests, want 3", n)
	}
	// The request given to the transport is not modified.
	req, _ := http.NewRequest("GET", m.URL+"/api/v2/me", nil)
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if req.Header.Get("Authorization") != "" {
		t.Fatal("RoundTrip modified the caller's request")
	}
	// Last (the refusal is remembered): after a 401, a token error (the application deleted) is what the caller gets.
	m.Revoke()
	m.Faults(map[string]any{"kind": "oauth_error", "status": 401, "error": "invalid_client"})
	req0, _ := http.NewRequest("GET", m.URL+"/api/v2/me", nil)
	if resp, err := hc.Do(req0); !errors.Is(err, officernd.ErrOAuth) {
		if resp != nil {
			_ = resp.Body.Close()
		}
		t.Fatalf("after a 401 with no new token: %v, want the oauth error", err)
	}
}

func TestTransportFailsWithTheTokenError(t *testing.T) {
	m := mocktest.Get(t)
	cfg := config(m)
	cfg.ClientSecret = "wrong-secret"
	c := newClient(t, cfg)
	_, err := (&http.Client{Transport: c.Transport(nil)}).Get(m.URL + "/api/v2/me")
	if !errors.Is(err, officernd.ErrOAuth) {
		t.Fatalf("Get = %v, want an oauth error", err)
	}
	var e *officernd.Error
	if !errors.As(err, &e) || e.OAuthError != "invalid_client" {
		t.Fatalf("errors.As through *url.Error: %v", err)
	}
}

// leaks fails when any formatting of v shows the secret or a whole access token.
func leaks(t *testing.T, what string, v any, secrets ...string) {
	t.Helper()
	j, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("json.Marshal(%s): %v", what, err)
	}
	outputs := map[string]string{
		"%v":           fmt.Sprintf("%v", v),
		"%+v":          fmt.Sprintf("%+v", v),
		"%#v":          fmt.Sprintf("%#v", v),
		"%s":           fmt.Sprintf("%s", v),
		"%q":           fmt.Sprintf("%q", v),
		"json":         string(j),
		"nested %+v":   fmt.Sprintf("%+v", struct{ V any }{v}),
		"nested %#v":   fmt.Sprintf("%#v", []any{v}),
		"wrapped %+v":  fmt.Sprintf("%+v", fmt.Errorf("wrapped: %v", v)),
		"slice %v":     fmt.Sprint([]any{v}),
		"map json":     mustJSON(t, map[string]any{"v": v}),
		"ptr/value %v": fmt.Sprintf("%v %v", v, &v),
	}
	for verb, out := range outputs {
		for _, s := range secrets {
			if strings.Contains(out, s) {
				t.Errorf("%s of %s shows a secret: %s", verb, what, out)
			}
		}
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestNoSecretInAnyFormattedOutput(t *testing.T) {
	m := mocktest.Get(t)
	cfg := config(m)
	cfg.Store = "redis://:redis-pass-w0rd@127.0.0.1:1/0"
	leaks(t, "Config", cfg, mocktest.Secret, "redis-pass-w0rd")
	leaks(t, "*Config", &cfg, mocktest.Secret, "redis-pass-w0rd")
	c := newClient(t, config(m))
	leaks(t, "Client", c, mocktest.Secret)
	tok, err := c.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	leaks(t, "Token", tok, mocktest.Secret, tok.AccessToken())
	leaks(t, "Token value", *tok, mocktest.Secret, tok.AccessToken())
	var nilToken *officernd.Token
	if got := fmt.Sprintf("%v %+v", nilToken, nilToken); got != "<nil> <nil>" {
		t.Errorf("nil *Token prints %q", got)
	}
	if !strings.Contains(fmt.Sprint(tok), tok.Redacted()) {
		t.Fatalf("Token prints %v, not its redacted form", tok)
	}
	bad := config(m)
	bad.ClientSecret = "wrong-secret-value"
	_, err = newClient(t, bad).Token(context.Background())
	if err == nil {
		t.Fatal("a wrong secret got a token")
	}
	leaks(t, "Error", err, "wrong-secret-value", mocktest.Secret)
}
