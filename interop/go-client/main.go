// Command go-client is the Go side of the interop check (make test-interop): a program outside
// the repository (interop/run.sh copies it into a temporary directory whose go.mod requires the
// module through a replace to the checkout) linking the installed libofficernd_auth through
// pkg-config. Against a real OAuth 2.0 server (interop/real-server) it gets a token with
// officernd.FromEnv, gets it again from the cache, calls the server's protected resource through
// client.Transport, and checks how many token requests this process sent:
//
//	go-client -resource URL -expect-requests N
//
// With -expect-oauth-error CODE it expects the token request to be refused instead (a wrong
// secret: the server's own RFC 6749 error answer, read into *officernd.Error), and checks that
// the error shows no part of the secret.
//
// It prints the token redacted only, and exits 1 on any failure.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	officernd "github.com/officernd-auth/officernd-auth/bindings-go"
)

func main() {
	resource := flag.String("resource", "", "the protected resource's URL")
	expect := flag.Uint64("expect-requests", 1, "token requests this process must send")
	refused := flag.String("expect-oauth-error", "", "the RFC 6749 error the token request must get")
	flag.Parse()
	run := func() error { return run(*resource, *expect) }
	if *refused != "" {
		run = func() error { return expectRefusal(*refused) }
	}
	if err := run(); err != nil {
		var e *officernd.Error
		if errors.As(err, &e) {
			fmt.Fprintf(os.Stderr, "go-client: [%s] %v (status %d)\n", e.Code, e, e.Status)
		} else {
			fmt.Fprintln(os.Stderr, "go-client:", err)
		}
		os.Exit(1)
	}
}

func expectRefusal(code string) error {
	client, err := officernd.FromEnv()
	if err != nil {
		return err
	}
	defer client.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	tok, err := client.Token(ctx)
	if err == nil {
		return fmt.Errorf("got a token (%v), want the server's %s", tok, code)
	}
	var e *officernd.Error
	if !errors.As(err, &e) || !errors.Is(err, officernd.ErrOAuth) || e.OAuthError != code {
		return fmt.Errorf("got %v, want an oauth error %s", err, code)
	}
	shown := fmt.Sprintf("%v %+v %#v", err, err, e)
	if secret := os.Getenv("OFFICERND_CLIENT_SECRET"); strings.Contains(shown, secret) {
		return errors.New("the error shows the client secret")
	}
	fmt.Printf("go-client: refused as expected: [%s] status %d, %s: %s\n", e.Code, e.Status, e.OAuthError, e.Description)
	return nil
}

func run(resource string, expect uint64) error {
	client, err := officernd.FromEnv()
	if err != nil {
		return err
	}
	defer client.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	tok, err := client.Token(ctx)
	if err != nil {
		return err
	}
	again, err := client.Token(ctx)
	if err != nil {
		return err
	}
	if again.AccessToken() != tok.AccessToken() {
		return errors.New("the second Token call did not return the cached token")
	}

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, resource, nil)
	if err != nil {
		return err
	}
	resp, err := (&http.Client{Transport: client.Transport(nil)}).Do(req)
	if err != nil {
		return err
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", resource, resp.Status)
	}
	var me struct {
		ClientID string `json:"client_id"`
		Scope    string `json:"scope"`
	}
	if err := json.Unmarshal(body, &me); err != nil || me.ClientID != os.Getenv("OFFICERND_CLIENT_ID") {
		return fmt.Errorf("GET %s: unexpected answer %q", resource, body)
	}

	stats, err := client.Stats()
	if err != nil {
		return err
	}
	fmt.Printf("go-client: token %v, GET /api/me -> %d (client_id %s, scope %q), %d token request(s) sent by this process\n",
		tok, resp.StatusCode, me.ClientID, me.Scope, stats.RequestsSent)
	if stats.RequestsSent != expect {
		return fmt.Errorf("%d token requests sent by this process, want %d", stats.RequestsSent, expect)
	}
	return nil
}
