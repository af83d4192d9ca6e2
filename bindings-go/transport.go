package officernd

import (
	"io"
	"net/http"
)

// Transport returns an http.RoundTripper that adds "Authorization: Bearer <token>" to every
// request and applies the 401 rule once: when the API answers 401, it asks the client for the
// token to retry with (TokenAfterUnauthorized) and resends the request once with it — only when
// there is a different token, and only when the body can be replayed (no body, or req.GetBody
// set, as http.NewRequest does for in-memory bodies); otherwise the 401 is returned and the
// refused token dropped for the next request. When no new token can be had after a 401 (the
// application was deleted, the request budget is spent), RoundTrip fails with that *Error, as
// every language's adapter does; the 401 is discarded. base nil means http.DefaultTransport.
// Tokens come with the request's context (its cancellation and deadline apply).
func (c *Client) Transport(base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return &transport{client: c, base: base}
}

type transport struct {
	client *Client
	base   http.RoundTripper
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	tok, err := t.client.Token(ctx)
	if err != nil {
		closeBody(req)
		return nil, err
	}
	first := req.Clone(ctx)
	first.Header.Set("Authorization", tok.AuthorizationHeader())
	resp, err := t.base.RoundTrip(first)
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		return resp, err
	}
	replayable := req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
	if !replayable {
		// Not resent, but the refused token is not used again.
		_, _ = t.client.Invalidate(tok)
		return resp, nil
	}
	next, err := t.client.TokenAfterUnauthorized(ctx, tok)
	if err != nil {
		discard(resp)
		return nil, err
	}
	if next == nil {
		// The same token again: resending a refused token cannot help, the 401 stands.
		return resp, nil
	}
	retry := req.Clone(ctx)
	if req.Body != nil && req.Body != http.NoBody {
		body, err := req.GetBody()
		if err != nil {
			return resp, nil
		}
		retry.Body = body
	}
	discard(resp)
	retry.Header.Set("Authorization", next.AuthorizationHeader())
	return t.base.RoundTrip(retry)
}

// discard drains a little of an answer no one will read (so its connection can be reused) and
// closes it.
func discard(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		_ = req.Body.Close()
	}
}
