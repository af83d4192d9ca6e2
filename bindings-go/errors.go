package officernd

/*
#include <officernd_auth.h>
*/
import "C"

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"time"
)

// Code is an error code: the C library's officernd_result, whose numbers 1 to 7 are the core's
// error codes (the same in every language). String gives the stable name ("config", "oauth"…).
type Code int

// The error codes, taken from the C result enum.
const (
	CodeConfig          Code = C.OFFICERND_RESULT_CONFIG           // "config": a missing or invalid setting
	CodeOAuth           Code = C.OFFICERND_RESULT_OAUTH            // "oauth": the server's RFC 6749 error
	CodeRateLimited     Code = C.OFFICERND_RESULT_RATE_LIMITED     // "rate_limited": no request may be sent now
	CodeHTTP            Code = C.OFFICERND_RESULT_HTTP             // "http": an unexpected HTTP status
	CodeTransport       Code = C.OFFICERND_RESULT_TRANSPORT        // "transport": DNS, connect, TLS, connection lost
	CodeTimeout         Code = C.OFFICERND_RESULT_TIMEOUT          // "timeout": the overall timeout elapsed
	CodeInvalidResponse Code = C.OFFICERND_RESULT_INVALID_RESPONSE // "invalid_response": a 200 that is no usable token
	// CodeUnknown is an error kind this version of the C library does not know yet.
	CodeUnknown Code = C.OFFICERND_RESULT_UNKNOWN
)

// Codes lists the core's error codes, in the library's order.
var Codes = []Code{CodeConfig, CodeOAuth, CodeRateLimited, CodeHTTP, CodeTransport, CodeTimeout, CodeInvalidResponse}

// String is the code's stable name from the C library ("config", "rate_limited"…).
func (c Code) String() string { return C.GoString(C.officernd_result_name(C.uint(c))) }

// sentinel is the type of the Err* values: errors.Is(err, ErrOAuth) holds for every *Error with
// that code.
type sentinel struct{ code Code }

func (s *sentinel) Error() string { return "officernd: " + s.code.String() }

// Sentinels for errors.Is, one per code.
var (
	ErrConfig          error = &sentinel{CodeConfig}
	ErrOAuth           error = &sentinel{CodeOAuth}
	ErrRateLimited     error = &sentinel{CodeRateLimited}
	ErrHTTP            error = &sentinel{CodeHTTP}
	ErrTransport       error = &sentinel{CodeTransport}
	ErrTimeout         error = &sentinel{CodeTimeout}
	ErrInvalidResponse error = &sentinel{CodeInvalidResponse}
)

// Error is a failure of the library, with what applies of the server's answer. It never contains
// the client secret or a whole access token.
type Error struct {
	Code        Code
	Message     string // the library's one-line message
	Status      int    // HTTP status of the answer; 0 when there was none
	OAuthError  string // RFC 6749 "error" (oauth), e.g. "invalid_client"
	Description string // RFC 6749 "error_description"
	URI         string // RFC 6749 "error_uri"
	Setting     string // the setting at fault (config)
	// RetryAfter is how long to wait before a new request can be sent; 0 when unknown (always
	// set for rate_limited).
	RetryAfter time.Duration
	LastError  Code // rate_limited: the code of the last real error, 0 when none
	retryable  bool
}

// Error is the library's message, prefixed with the code.
func (e *Error) Error() string { return "officernd: " + e.Code.String() + ": " + e.Message }

// Retryable reports whether trying again later can help.
func (e *Error) Retryable() bool { return e.retryable }

// Is makes errors.Is(err, ErrRateLimited) (and the other sentinels) match by code.
func (e *Error) Is(target error) bool {
	s, ok := target.(*sentinel)
	return ok && s.code == e.Code
}

// GoString (%#v) lists the fields (none of them can hold a secret).
func (e *Error) GoString() string {
	return fmt.Sprintf("&officernd.Error{Code:%q, Status:%d, OAuthError:%q, Description:%q, Setting:%q, RetryAfter:%s, Retryable:%t, Message:%q}",
		e.Code.String(), e.Status, e.OAuthError, e.Description, e.Setting, e.RetryAfter, e.retryable, e.Message)
}

// Format: %v and %s give Error(), %+v adds the fields, %#v gives GoString.
func (e *Error) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('+') {
		fmt.Fprintf(f, "%s (status %d, oauth error %q, retry after %s, retryable %t)", e.Error(), e.Status,
			e.OAuthError, e.RetryAfter, e.retryable)
		return
	}
	formatRedacted(f, verb, e.Error(), e.GoString())
}

// MarshalJSON writes the code by name and the fields that apply.
func (e *Error) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Code        string  `json:"code"`
		Message     string  `json:"message"`
		Status      int     `json:"status,omitempty"`
		OAuthError  string  `json:"error,omitempty"`
		Description string  `json:"error_description,omitempty"`
		URI         string  `json:"error_uri,omitempty"`
		Setting     string  `json:"setting,omitempty"`
		RetryAfter  float64 `json:"retry_after,omitempty"`
		Retryable   bool    `json:"retryable"`
	}{e.Code.String(), e.Message, e.Status, e.OAuthError, e.Description, e.URI, e.Setting,
		e.RetryAfter.Seconds(), e.retryable})
}

// LogValue makes slog show the message.
func (e *Error) LogValue() slog.Value { return slog.StringValue(e.Error()) }

func goStringOrEmpty(p *C.char) string {
	if p == nil {
		return ""
	}
	return C.GoString(p)
}

// errorFrom copies the detail of a failed call out of its C error object.
func errorFrom(r uint32, cerr cError) *Error {
	e := &Error{
		Code:        Code(r),
		Message:     C.GoString(C.officernd_error_message(cerr.p)),
		Status:      int(C.officernd_error_http_status(cerr.p)),
		OAuthError:  goStringOrEmpty(C.officernd_error_oauth_error(cerr.p)),
		Description: goStringOrEmpty(C.officernd_error_description(cerr.p)),
		URI:         goStringOrEmpty(C.officernd_error_uri(cerr.p)),
		Setting:     goStringOrEmpty(C.officernd_error_setting(cerr.p)),
		LastError:   Code(C.officernd_error_last_error_code(cerr.p)),
		retryable:   bool(C.officernd_error_is_retryable(cerr.p)),
	}
	if ms := int64(C.officernd_error_retry_after_ms(cerr.p)); ms >= 0 {
		e.RetryAfter = time.Duration(ms) * time.Millisecond
	}
	return e
}
