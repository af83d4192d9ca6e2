// Package officernd is the Go binding of officernd-auth, the OfficeRnD OAuth 2.0
// client-credentials token client: cached, single-flight, and within OfficeRnD's 5 token
// requests per minute. It is a thin layer over the C library libofficernd_auth (cgo): every rule
// (caching, refresh ahead, the request budget, retries, stores) lives in the library's Rust core.
//
//	client, err := officernd.FromEnv() // OFFICERND_CLIENT_ID, _SECRET, _SCOPES, _TOKEN_URL, _STORE…
//	if err != nil { … }
//	defer client.Close()
//	header, err := client.AuthorizationHeader(ctx) // "Bearer …", from the cache when fresh
//
// A Client is safe for concurrent use; clients with the same token URL, id, secret and scopes share
// one cache and one request budget in the process.
package officernd

/*
#include <stdlib.h>
#include <officernd_auth.h>
*/
import "C"

import (
	"context"
	"errors"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unsafe"
)

// Version is the version of the C library this package is linked with.
func Version() string { return C.GoString(C.officernd_version()) }

// ErrClosed is returned by the methods of a Client after Close.
var ErrClosed = errors.New("officernd: client closed")

// Client gets OfficeRnD access tokens: from its cache when fresh, otherwise with one request for
// every concurrent caller. Make one with New or FromEnv and Close it when done (a finalizer frees
// it too, as a safety net only).
type Client struct {
	h *handle
}

// handle owns the C client. Calls running in goroutines (including fetches whose caller gave up)
// hold a reference, so Close never frees the C client under a running call: the last reference
// out frees it.
type handle struct {
	mu     sync.Mutex
	ptr    *C.officernd_client
	refs   int // running calls + 1 while open
	closed bool
	desc   string // what %v shows: client id and token URL, never the secret
}

func (h *handle) acquire() (*C.officernd_client, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, ErrClosed
	}
	h.refs++
	return h.ptr, nil
}

func (h *handle) release() {
	h.mu.Lock()
	h.refs--
	var ptr *C.officernd_client
	if h.refs == 0 {
		ptr, h.ptr = h.ptr, nil
	}
	h.mu.Unlock()
	if ptr != nil {
		C.officernd_client_free(ptr)
	}
}

func (h *handle) close() {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return
	}
	h.closed = true
	h.mu.Unlock()
	h.release()
}

func newClient(ptr *C.officernd_client, desc string) *Client {
	c := &Client{h: &handle{ptr: ptr, refs: 1, desc: desc}}
	runtime.AddCleanup(c, func(h *handle) { h.close() }, c.h)
	return c
}

// Config holds a client's settings. Zero values mean the library's defaults. Each setting is
// handed to the library by name (officernd_config_set), which validates it: a bad one makes New
// fail with a config error naming it.
type Config struct {
	ClientID     string
	ClientSecret string // never shown by %v, %+v, %#v or json.Marshal of the Config
	// Scopes to ask for (order and duplicates do not matter); none: the application's default.
	Scopes   []string
	TokenURL string // default https://identity.officernd.com/oauth/token; http:// to loopback only
	// Timeout of one token call, retries and waiting included (default 10 s).
	Timeout        time.Duration
	ConnectTimeout time.Duration // TCP + TLS connect timeout of one attempt (default 5 s)
	RefreshAhead   time.Duration // refresh this long before expiry (default 300 s)
	MinValidity    time.Duration // never hand out a token with less left (default 60 s)
	MaxRequests    int           // token requests per QuotaWindow (default 5)
	QuotaWindow    time.Duration // the rolling window of the request budget (default 60 s)
	// Store shares tokens and the budget: "memory" (default), "file", or a redis:// URL.
	Store     string
	StorePath string // the file store's directory (alone, it means the file store)
	// Settings are any further settings by the library's names ("max_retries", "share_cache",
	// "terminal_error_ttl"…), values as text, durations in seconds: {"max_retries": "0"}.
	Settings map[string]string
}

func seconds(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) }

// settings lists the non-zero settings by the library's names, in a stable order.
func (c Config) settings() [][2]string {
	var s [][2]string
	add := func(name, value string, set bool) {
		if set {
			s = append(s, [2]string{name, value})
		}
	}
	add("client_id", c.ClientID, c.ClientID != "")
	add("client_secret", c.ClientSecret, c.ClientSecret != "")
	add("scopes", strings.Join(c.Scopes, " "), len(c.Scopes) > 0)
	add("token_url", c.TokenURL, c.TokenURL != "")
	add("timeout", seconds(c.Timeout), c.Timeout != 0)
	add("connect_timeout", seconds(c.ConnectTimeout), c.ConnectTimeout != 0)
	add("refresh_ahead", seconds(c.RefreshAhead), c.RefreshAhead != 0)
	add("min_validity", seconds(c.MinValidity), c.MinValidity != 0)
	add("max_requests", strconv.Itoa(c.MaxRequests), c.MaxRequests != 0)
	add("quota_window", seconds(c.QuotaWindow), c.QuotaWindow != 0)
	add("store", c.Store, c.Store != "")
	add("store_path", c.StorePath, c.StorePath != "")
	names := make([]string, 0, len(c.Settings))
	for k := range c.Settings {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		s = append(s, [2]string{k, c.Settings[k]})
	}
	return s
}

// cError is a C error object for one call.
type cError struct{ p *C.officernd_error }

func newCError() cError {
	var p *C.officernd_error
	if C.officernd_error_new(&p) != C.OFFICERND_RESULT_OK {
		panic("officernd: officernd_error_new failed")
	}
	return cError{p}
}

func (e cError) free() { C.officernd_error_free(e.p) }

// binding is how this package names itself in the User-Agent of token requests
// ("officernd-auth/<version> (go)").
const binding = "go"

// newConfig makes a C configuration that names this binding.
func newConfig(cerr cError) (*C.officernd_config, error) {
	var conf *C.officernd_config
	if r := C.officernd_config_new(&conf); r != C.OFFICERND_RESULT_OK {
		return nil, &Error{Code: Code(r), Message: "officernd_config_new failed"}
	}
	name := C.CString(binding)
	defer C.free(unsafe.Pointer(name))
	if r := C.officernd_config_set_binding(conf, name, cerr.p); r != C.OFFICERND_RESULT_OK {
		C.officernd_config_free(conf)
		return nil, errorFrom(r, cerr)
	}
	return conf, nil
}

// New builds a client from cfg. It sends no request (a file store's directory is created).
func New(cfg Config) (*Client, error) {
	cerr := newCError()
	defer cerr.free()
	conf, err := newConfig(cerr)
	if err != nil {
		return nil, err
	}
	defer C.officernd_config_free(conf)
	for _, kv := range cfg.settings() {
		name, value := C.CString(kv[0]), C.CString(kv[1])
		r := C.officernd_config_set(conf, name, value, cerr.p)
		C.free(unsafe.Pointer(name))
		wipeFree(value, len(kv[1]))
		if r != C.OFFICERND_RESULT_OK {
			return nil, errorFrom(r, cerr)
		}
	}
	var ptr *C.officernd_client
	if r := C.officernd_client_new(conf, &ptr, cerr.p); r != C.OFFICERND_RESULT_OK {
		return nil, errorFrom(r, cerr)
	}
	return newClient(ptr, describe(cfg.ClientID, cfg.TokenURL)), nil
}

// FromEnv builds a client from OFFICERND_CLIENT_ID, OFFICERND_CLIENT_SECRET, OFFICERND_SCOPES,
// OFFICERND_TOKEN_URL, OFFICERND_STORE and OFFICERND_STORE_PATH (the same variables in every
// language), every other setting at its default.
func FromEnv() (*Client, error) {
	cerr := newCError()
	defer cerr.free()
	conf, err := newConfig(cerr)
	if err != nil {
		return nil, err
	}
	defer C.officernd_config_free(conf)
	if r := C.officernd_config_load_env(conf, cerr.p); r != C.OFFICERND_RESULT_OK {
		return nil, errorFrom(r, cerr)
	}
	var ptr *C.officernd_client
	if r := C.officernd_client_new(conf, &ptr, cerr.p); r != C.OFFICERND_RESULT_OK {
		return nil, errorFrom(r, cerr)
	}
	return newClient(ptr, describe(os.Getenv("OFFICERND_CLIENT_ID"), os.Getenv("OFFICERND_TOKEN_URL"))), nil
}

// wipeFree zeroes a C copy of a possibly secret string before freeing it.
func wipeFree(p *C.char, n int) {
	if n > 0 {
		clear(unsafe.Slice((*byte)(unsafe.Pointer(p)), n))
	}
	C.free(unsafe.Pointer(p))
}

func describe(id, url string) string {
	if url == "" {
		url = "default token URL"
	}
	return "client_id=" + strconv.Quote(id) + " token_url=" + strconv.Quote(url)
}

// Close frees the client. Calls still running (fetches whose callers gave up included) finish
// first; later calls return ErrClosed. Tokens stay valid. Close is idempotent.
func (c *Client) Close() error {
	c.h.close()
	return nil
}

type tokenResult struct {
	tok *Token
	err error
}

// call runs a blocking C call honouring ctx: without a deadline or cancellation it runs on the
// caller's goroutine; otherwise in its own goroutine while the caller waits for it or for ctx,
// whichever comes first. A call whose caller gave up still completes (filling the cache for
// others) and its result is dropped. fast, when given, runs first on the caller's goroutine and
// never blocks: a token from it is returned without starting a goroutine.
func (c *Client) call(ctx context.Context, fast, f func(*C.officernd_client) (*Token, error)) (*Token, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ptr, err := c.h.acquire()
	if err != nil {
		return nil, err
	}
	if fast != nil {
		if tok, err := fast(ptr); tok != nil || err != nil {
			c.h.release()
			return tok, err
		}
	}
	if ctx.Done() == nil {
		defer c.h.release()
		return f(ptr)
	}
	done := make(chan tokenResult, 1)
	go func() {
		defer c.h.release()
		tok, err := f(ptr)
		done <- tokenResult{tok, err}
	}()
	select {
	case r := <-done:
		return r.tok, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// cached is the cached token when the library's freshness rule lets it be handed out without
// I/O (officernd_client_cached), or nil: the fast path of Token, no goroutine, no blocking.
func cached(ptr *C.officernd_client) (*Token, error) {
	cerr := newCError()
	defer cerr.free()
	var t *C.officernd_token
	if r := C.officernd_client_cached(ptr, &t, cerr.p); r != C.OFFICERND_RESULT_OK {
		return nil, errorFrom(r, cerr)
	}
	if t == nil {
		return nil, nil
	}
	return newToken(t)
}

// Token returns a valid token: from the cache when fresh (no I/O, no goroutine, on the caller's
// goroutine), otherwise after one request shared by every concurrent caller. When ctx is
// cancelled or its deadline passes first, Token returns ctx.Err() at once; the request it
// started still completes in the background and fills the cache for the next callers. The
// client's own Timeout bounds the request itself.
func (c *Client) Token(ctx context.Context) (*Token, error) {
	return c.call(ctx, cached, func(ptr *C.officernd_client) (*Token, error) {
		cerr := newCError()
		defer cerr.free()
		var t *C.officernd_token
		if r := C.officernd_client_token(ptr, &t, cerr.p); r != C.OFFICERND_RESULT_OK {
			return nil, errorFrom(r, cerr)
		}
		return newToken(t)
	})
}

// AuthorizationHeader returns "Bearer <access token>" of a valid token (see Token).
func (c *Client) AuthorizationHeader(ctx context.Context) (string, error) {
	tok, err := c.Token(ctx)
	if err != nil {
		return "", err
	}
	return tok.AuthorizationHeader(), nil
}

// Invalidate drops tok from the cache after an API call made with it answered 401, only if it is
// still the cached one (another goroutine may already hold a newer token). It reports whether it
// was dropped. TokenAfterUnauthorized does this and gives the token to retry with.
func (c *Client) Invalidate(tok *Token) (bool, error) {
	if tok == nil || tok.h == nil {
		return false, nil
	}
	ptr, err := c.h.acquire()
	if err != nil {
		return false, err
	}
	defer c.h.release()
	cerr := newCError()
	defer cerr.free()
	var dropped C.bool
	r := C.officernd_client_invalidate(ptr, tok.h.ptr, &dropped, cerr.p)
	runtime.KeepAlive(tok)
	if r != C.OFFICERND_RESULT_OK {
		return false, errorFrom(r, cerr)
	}
	return bool(dropped), nil
}

// TokenAfterUnauthorized applies the 401 rule (the same in every language) after an API call made
// with rejected answered 401: it drops rejected from the cache (only if it is still the cached
// one) and returns the token to retry the call with, once — or nil, nil when there is none (the
// valid token is the rejected one again: resending it cannot help, so the 401 stands). When
// another goroutine already replaced rejected, it returns that newer token without a request.
// It honours ctx like Token.
func (c *Client) TokenAfterUnauthorized(ctx context.Context, rejected *Token) (*Token, error) {
	if rejected == nil || rejected.h == nil {
		return c.Token(ctx)
	}
	return c.call(ctx, nil, func(ptr *C.officernd_client) (*Token, error) {
		cerr := newCError()
		defer cerr.free()
		var t *C.officernd_token
		r := C.officernd_client_token_after_unauthorized(ptr, rejected.h.ptr, &t, cerr.p)
		runtime.KeepAlive(rejected)
		if r != C.OFFICERND_RESULT_OK {
			return nil, errorFrom(r, cerr)
		}
		if t == nil {
			return nil, nil
		}
		return newToken(t)
	})
}

// Stats returns a snapshot of the client's metrics (shared by every client with the same
// settings).
func (c *Client) Stats() (Stats, error) {
	ptr, err := c.h.acquire()
	if err != nil {
		return Stats{}, err
	}
	defer c.h.release()
	cerr := newCError()
	defer cerr.free()
	var s C.officernd_stats
	if r := C.officernd_client_stats(ptr, &s, cerr.p); r != C.OFFICERND_RESULT_OK {
		return Stats{}, errorFrom(r, cerr)
	}
	return statsFrom(&s), nil
}

// Stats are a client's metrics. Fields lists every metric by the library's names (the same
// names in every language), for exporting them all.
type Stats struct {
	RequestsOK              uint64        // answered with a token
	RequestsOAuthError      uint64        // answered with an RFC 6749 error
	RequestsRateLimited     uint64        // answered 429
	RequestsHTTPError       uint64        // answered with an unexpected status
	RequestsTransportError  uint64        // failed to connect or lost the connection
	RequestsTimeout         uint64        // timed out
	RequestsInvalidResponse uint64        // answered with an unusable token answer
	RequestsSent            uint64        // every request sent (the sum of the seven above)
	CacheHits               uint64        // calls answered with a fresh cached token
	StaleServed             uint64        // calls answered with a stale token while a refresh was due
	RefusedLocally          uint64        // calls refused without a request (budget, cool-down, terminal error)
	BudgetRemaining         uint32        // requests still allowed in the current window
	BudgetCapacity          uint32        // requests allowed per window
	ExpiresIn               time.Duration // left on the cached token; negative when none is cached
	LastError               Code          // the last error since the last success; 0 when none
	Fields                  []StatField
}

// StatField is one metric by its library name; durations in milliseconds, codes as numbers.
type StatField struct {
	Name  string
	Value int64
}

func statsFrom(s *C.officernd_stats) Stats {
	out := Stats{
		RequestsOK:              uint64(s.requests_ok),
		RequestsOAuthError:      uint64(s.requests_oauth_error),
		RequestsRateLimited:     uint64(s.requests_rate_limited),
		RequestsHTTPError:       uint64(s.requests_http_error),
		RequestsTransportError:  uint64(s.requests_transport_error),
		RequestsTimeout:         uint64(s.requests_timeout),
		RequestsInvalidResponse: uint64(s.requests_invalid_response),
		RequestsSent:            uint64(s.requests_sent),
		CacheHits:               uint64(s.cache_hits),
		StaleServed:             uint64(s.stale_served),
		RefusedLocally:          uint64(s.refused_locally),
		BudgetRemaining:         uint32(s.budget_remaining),
		BudgetCapacity:          uint32(s.budget_capacity),
		ExpiresIn:               -1,
		LastError:               Code(s.last_error),
	}
	if ms := int64(s.expires_in_ms); ms >= 0 {
		out.ExpiresIn = time.Duration(ms) * time.Millisecond
	}
	n := int(C.officernd_stats_field_count())
	out.Fields = make([]StatField, n)
	for i := range n {
		out.Fields[i] = StatField{
			Name:  C.GoString(C.officernd_stats_field_name(C.size_t(i))),
			Value: int64(C.officernd_stats_field_value(s, C.size_t(i))),
		}
	}
	return out
}
