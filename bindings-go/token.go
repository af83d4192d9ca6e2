package officernd

/*
#include <stdlib.h>
#include <officernd_auth.h>

typedef officernd_result (*officernd_copy_fn)(const officernd_token *, char *, size_t, size_t *, officernd_error *);
static officernd_result officernd_go_copy(officernd_copy_fn f, const officernd_token *t, char *buf,
                                          size_t len, size_t *out_n, officernd_error *err) {
	return f(t, buf, len, out_n, err);
}
*/
import "C"

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"time"
	"unsafe"
)

// Token is a valid access token with its expiry and granted scopes. It never shows the access
// token whole: %v, %+v, %#v, %s, json.Marshal and slog print its redacted form (of a *Token and
// of a Token value alike).
type Token struct {
	accessToken string
	scopes      []string
	expiry      time.Time
	redacted    string
	h           *tokenHandle // the library's token, for Invalidate and TokenAfterUnauthorized
}

type tokenHandle struct{ ptr *C.officernd_token }

func copyString(f C.officernd_copy_fn, t *C.officernd_token) (string, error) {
	cerr := newCError()
	defer cerr.free()
	buf := make([]byte, 256)
	for {
		var n C.size_t
		r := C.officernd_go_copy(f, t, (*C.char)(unsafe.Pointer(&buf[0])), C.size_t(len(buf)), &n, cerr.p)
		switch r {
		case C.OFFICERND_RESULT_OK:
			return string(buf[:n]), nil
		case C.OFFICERND_RESULT_BUFFER_TOO_SMALL:
			buf = make([]byte, int(C.officernd_error_required_size(cerr.p)))
		default:
			return "", errorFrom(uint32(r), cerr)
		}
	}
}

// newToken copies what Go needs out of t and keeps t (freed when the Token is collected).
func newToken(t *C.officernd_token) (*Token, error) {
	h := &tokenHandle{ptr: t}
	runtime.AddCleanup(h, func(p *C.officernd_token) { C.officernd_token_free(p) }, t)
	access, err := copyString(C.officernd_copy_fn(C.officernd_token_access_token), t)
	if err != nil {
		return nil, err
	}
	scopes, err := copyString(C.officernd_copy_fn(C.officernd_token_scopes), t)
	if err != nil {
		return nil, err
	}
	redacted, err := copyString(C.officernd_copy_fn(C.officernd_token_redacted), t)
	if err != nil {
		return nil, err
	}
	left := time.Duration(C.officernd_token_expires_in_ms(t)) * time.Millisecond
	return &Token{
		accessToken: access,
		scopes:      strings.Fields(scopes),
		expiry:      time.Now().Add(left),
		redacted:    redacted,
		h:           h,
	}, nil
}

// AccessToken is the access token itself. Never log it.
func (t *Token) AccessToken() string { return t.accessToken }

// TokenType is "Bearer" (the library accepts no other).
func (t *Token) TokenType() string { return "Bearer" }

// AuthorizationHeader is the value of the Authorization header: "Bearer <access token>".
func (t *Token) AuthorizationHeader() string { return "Bearer " + t.accessToken }

// Expiry is when the token expires.
func (t *Token) Expiry() time.Time { return t.expiry }

// ExpiresIn is the time left until Expiry.
func (t *Token) ExpiresIn() time.Duration { return time.Until(t.expiry) }

// Scopes are the granted scopes as the server answered them (the requested ones when it did not
// say).
func (t *Token) Scopes() []string { return append([]string(nil), t.scopes...) }

// Redacted is a hint of the token safe for logs: its first 6 characters and "…[redacted]".
func (t *Token) Redacted() string { return t.redacted }

// String shows the token redacted.
func (t Token) String() string {
	return fmt.Sprintf("Token(%s, expires %s, scopes %q)", t.redacted, t.expiry.UTC().Format(time.RFC3339), t.scopes)
}

// GoString (%#v) shows the token redacted.
func (t Token) GoString() string {
	return fmt.Sprintf("&officernd.Token{AccessToken:%q, Expiry:%q, Scopes:%#v}", t.redacted,
		t.expiry.UTC().Format(time.RFC3339), t.scopes)
}

// Format makes every verb (%v, %+v, %s, %q…) show String and %#v GoString: never the token.
func (t Token) Format(f fmt.State, verb rune) { formatRedacted(f, verb, t.String(), t.GoString()) }

// MarshalJSON writes the redacted token, its type, expiry and scopes.
func (t Token) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		AccessToken string    `json:"access_token"`
		TokenType   string    `json:"token_type"`
		Expiry      time.Time `json:"expiry"`
		Scopes      []string  `json:"scopes"`
	}{t.redacted, "Bearer", t.expiry, t.scopes})
}

// LogValue makes slog show the token redacted.
func (t Token) LogValue() slog.Value { return slog.StringValue(t.String()) }

// formatRedacted writes plain for every verb but %#v, which writes goSyntax.
func formatRedacted(f fmt.State, verb rune, plain, goSyntax string) {
	switch {
	case verb == 'v' && f.Flag('#'):
		fmt.Fprint(f, goSyntax)
	case verb == 'q':
		fmt.Fprintf(f, "%q", plain)
	default:
		fmt.Fprint(f, plain)
	}
}
