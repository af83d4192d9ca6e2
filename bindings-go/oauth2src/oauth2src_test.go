package oauth2src_test

import (
	"context"
	"net/http"
	"testing"

	officernd "github.com/officernd-auth/officernd-auth/bindings-go"
	"github.com/officernd-auth/officernd-auth/bindings-go/internal/mocktest"
	"github.com/officernd-auth/officernd-auth/bindings-go/oauth2src"
	"golang.org/x/oauth2"
)

func TestOAuth2NewClient(t *testing.T) {
	m := mocktest.Get(t)
	c, err := officernd.New(officernd.Config{
		ClientID: mocktest.ClientID, ClientSecret: mocktest.Secret, Scopes: mocktest.Scopes,
		TokenURL: m.TokenURL(), Settings: map[string]string{"share_cache": "false"},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	before := m.TokenRequests()
	src := oauth2src.New(c)
	hc := oauth2.NewClient(context.Background(), src)
	for range 3 {
		resp, err := hc.Get(m.URL + "/api/v2/me")
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET /api/v2/me through oauth2.NewClient: %d", resp.StatusCode)
		}
	}
	if n := m.TokenRequests() - before; n != 1 {
		t.Fatalf("%d token requests, want 1", n)
	}
	tok, err := src.Token()
	if err != nil {
		t.Fatal(err)
	}
	if !tok.Valid() || tok.TokenType != "Bearer" {
		t.Fatalf("oauth2 token not valid: type %q, expiry %s", tok.TokenType, tok.Expiry)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := oauth2src.NewWithContext(ctx, c).Token(); err != context.Canceled {
		t.Fatalf("Token with a cancelled context = %v", err)
	}
}
