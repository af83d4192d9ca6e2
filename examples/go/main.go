// officernd-auth from Go: a client from the environment (OFFICERND_CLIENT_ID, _SECRET, _SCOPES,
// _TOKEN_URL, and OFFICERND_STORE / OFFICERND_STORE_PATH to share the token with other
// processes), a token fetched once and then served from the cache, an API call through the
// client's http.RoundTripper (header + the 401 rule), and the stats. Never prints the token.
//
//	PKG_CONFIG_PATH=PREFIX/lib/pkgconfig go run .
//
// With OFFICERND_MOCK_URL set (make demo), the API call goes to the mock's protected resource.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	officernd "github.com/officernd-auth/officernd-auth/bindings-go"
)

func main() {
	if err := run(); err != nil {
		var e *officernd.Error
		if errors.As(err, &e) {
			fmt.Fprintf(os.Stderr, "failed: [%s] %v (status %d, retry after %s)\n", e.Code, e, e.Status, e.RetryAfter)
		} else {
			fmt.Fprintln(os.Stderr, "failed:", err)
		}
		os.Exit(1)
	}
}

func run() error {
	client, err := officernd.FromEnv()
	if err != nil {
		return err
	}
	defer client.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()

	tok, err := client.Token(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("token %v\n", tok)                // redacted: the first 6 characters only
	if _, err := client.Token(ctx); err != nil { // from the cache (or the shared store)
		return err
	}

	if base := os.Getenv("OFFICERND_MOCK_URL"); base != "" {
		api := &http.Client{Transport: client.Transport(nil)}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/v2/me", nil)
		if err != nil {
			return err
		}
		resp, err := api.Do(req)
		if err != nil {
			return err
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		_ = resp.Body.Close()
		fmt.Printf("GET /api/v2/me -> %s %s\n", resp.Status, body)
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("the API answered %s", resp.Status)
		}
	}

	stats, err := client.Stats()
	if err != nil {
		return err
	}
	fmt.Printf("stats: %d request(s) sent by this process, %d cache hit(s), budget %d/%d left\n",
		stats.RequestsSent, stats.CacheHits, stats.BudgetRemaining, stats.BudgetCapacity)
	return nil
}
