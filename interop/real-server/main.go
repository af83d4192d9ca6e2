// Command real-server is a real OAuth 2.0 authorization server on loopback for the interop check
// (make test-interop): github.com/go-oauth2/oauth2/v4, an implementation independent of this
// repository, issuing client-credentials tokens to one client that authenticates with the form
// fields client_id/client_secret (RFC 6749 §2.3.1), and a protected resource that accepts only
// the bearer tokens it issued. Not the project's mock: none of its answers are shaped for our
// client.
//
//	real-server -client-id ID            (the secret is read from INTEROP_CLIENT_SECRET)
//
// It prints "real-server listening on http://127.0.0.1:PORT" once it accepts connections (the
// handshake the script waits for), then serves:
//
//	POST /oauth/token     the token endpoint (server.HandleTokenRequest)
//	GET  /api/me          the protected resource: 200 {"client_id","scope"} for a live token it
//	                      issued (server.ValidationBearerToken), 401 otherwise
//	GET  /_interop/stats  what it saw: token requests, tokens issued, the User-Agent of each
//	                      token request, resource calls accepted and refused
//	POST /_interop/revoke removes every access token issued so far (the resource then answers
//	                      401 to them: the client's 401 rule is exercised against this server)
//
// It never prints a secret or a token.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"sync"

	"github.com/go-oauth2/oauth2/v4"
	"github.com/go-oauth2/oauth2/v4/manage"
	"github.com/go-oauth2/oauth2/v4/models"
	"github.com/go-oauth2/oauth2/v4/server"
	"github.com/go-oauth2/oauth2/v4/store"
)

// seen is what the server observed, for /_interop/stats.
type seen struct {
	mu               sync.Mutex
	TokenRequests    int      `json:"token_requests"`
	TokensIssued     int      `json:"tokens_issued"`
	UserAgents       []string `json:"user_agents"`
	ResourceAccepted int      `json:"resource_accepted"`
	ResourceRefused  int      `json:"resource_refused"`
	access           []string // every access token issued, for /_interop/revoke
}

// recordingStore is the library's memory token store, remembering what it issued.
type recordingStore struct {
	oauth2.TokenStore
	seen *seen
}

func (s recordingStore) Create(ctx context.Context, info oauth2.TokenInfo) error {
	if err := s.TokenStore.Create(ctx, info); err != nil {
		return err
	}
	s.seen.mu.Lock()
	defer s.seen.mu.Unlock()
	s.seen.TokensIssued++
	s.seen.access = append(s.seen.access, info.GetAccess())
	return nil
}

func main() {
	clientID := flag.String("client-id", "interop-client", "the one client's id")
	flag.Parse()
	secret := os.Getenv("INTEROP_CLIENT_SECRET")
	if secret == "" {
		log.Fatal("INTEROP_CLIENT_SECRET is not set")
	}

	st := &seen{UserAgents: []string{}}
	memory, err := store.NewMemoryTokenStore()
	if err != nil {
		log.Fatal(err)
	}
	tokens := recordingStore{TokenStore: memory, seen: st}
	manager := manage.NewDefaultManager()
	manager.MapTokenStorage(tokens)
	clients := store.NewClientStore()
	if err := clients.Set(*clientID, &models.Client{ID: *clientID, Secret: secret}); err != nil {
		log.Fatal(err)
	}
	manager.MapClientStorage(clients)

	cfg := server.NewConfig()
	cfg.AllowedGrantTypes = []oauth2.GrantType{oauth2.ClientCredentials}
	srv := server.NewServer(cfg, manager)
	srv.SetClientInfoHandler(server.ClientFormHandler)

	mux := http.NewServeMux()
	mux.HandleFunc("/oauth/token", func(w http.ResponseWriter, r *http.Request) {
		st.mu.Lock()
		st.TokenRequests++
		st.UserAgents = append(st.UserAgents, r.UserAgent())
		st.mu.Unlock()
		if err := srv.HandleTokenRequest(w, r); err != nil {
			http.Error(w, "token request failed", http.StatusInternalServerError)
		}
	})
	mux.HandleFunc("GET /api/me", func(w http.ResponseWriter, r *http.Request) {
		info, err := srv.ValidationBearerToken(r)
		st.mu.Lock()
		if err != nil {
			st.ResourceRefused++
		} else {
			st.ResourceAccepted++
		}
		st.mu.Unlock()
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			http.Error(w, `{"error":"invalid_token"}`, http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"client_id": info.GetClientID(), "scope": info.GetScope()})
	})
	mux.HandleFunc("GET /_interop/stats", func(w http.ResponseWriter, r *http.Request) {
		st.mu.Lock()
		defer st.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(st)
	})
	mux.HandleFunc("POST /_interop/revoke", func(w http.ResponseWriter, r *http.Request) {
		st.mu.Lock()
		access := st.access
		st.access = nil
		st.mu.Unlock()
		for _, a := range access {
			if err := memory.RemoveByAccess(r.Context(), a); err != nil {
				http.Error(w, "revoke failed", http.StatusInternalServerError)
				return
			}
		}
		fmt.Fprintf(w, `{"revoked":%d}`, len(access))
	})

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("real-server listening on http://%s\n", ln.Addr())
	log.Fatal(http.Serve(ln, mux))
}
