// Package oauth2src adapts an officernd.Client to golang.org/x/oauth2's TokenSource, so that
// oauth2.NewClient, and every library that takes a TokenSource, gets its tokens from the
// officernd-auth cache. It lives apart so that package officernd does not depend on x/oauth2.
//
//	client, _ := officernd.FromEnv()
//	httpClient := oauth2.NewClient(ctx, oauth2src.New(client))
//
// The returned source caches nothing itself: each Token call asks the client, whose cache is
// shared, refreshes ahead of expiry and keeps within OfficeRnD's request budget. oauth2.NewClient
// puts an oauth2.ReuseTokenSource in front of it, which keeps each token until shortly before its
// expiry (harmless, but it skips the refresh ahead and never drops a token the API refused);
// &http.Client{Transport: &oauth2.Transport{Source: src}} asks the client every time. For the
// 401 rule on API calls, use client.Transport instead.
package oauth2src

import (
	"context"

	officernd "github.com/officernd-auth/officernd-auth/bindings-go"
	"golang.org/x/oauth2"
)

// New returns a TokenSource over c. Its Token calls use context.Background (the client's own
// Timeout bounds them); NewWithContext takes a context instead.
func New(c *officernd.Client) oauth2.TokenSource { return NewWithContext(context.Background(), c) }

// NewWithContext returns a TokenSource whose Token calls honour ctx.
func NewWithContext(ctx context.Context, c *officernd.Client) oauth2.TokenSource {
	return &source{ctx: ctx, client: c}
}

type source struct {
	ctx    context.Context
	client *officernd.Client
}

// Token returns the client's current valid token as an *oauth2.Token.
func (s *source) Token() (*oauth2.Token, error) {
	tok, err := s.client.Token(s.ctx)
	if err != nil {
		return nil, err
	}
	return &oauth2.Token{
		AccessToken: tok.AccessToken(),
		TokenType:   tok.TokenType(),
		Expiry:      tok.Expiry(),
		ExpiresIn:   int64(tok.ExpiresIn().Seconds()),
	}, nil
}
