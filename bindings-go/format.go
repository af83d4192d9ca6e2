package officernd

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
)

const redactedSecret = "[redacted]"

// String shows the settings with the client secret redacted.
func (c Config) String() string {
	var b strings.Builder
	b.WriteString("officernd.Config{")
	for i, kv := range c.redactedSettings() {
		if i > 0 {
			b.WriteString(" ")
		}
		fmt.Fprintf(&b, "%s=%q", kv[0], kv[1])
	}
	b.WriteString("}")
	return b.String()
}

// redactedSettings are the settings with secrets replaced (the client secret, and any store URL
// or setting given through Settings that may hold a password).
func (c Config) redactedSettings() [][2]string {
	s := c.settings()
	for i, kv := range s {
		switch kv[0] {
		case "client_id", "scopes", "token_url", "timeout", "connect_timeout", "refresh_ahead",
			"min_validity", "max_requests", "quota_window", "store_path":
		case "store":
			if kv[1] != "memory" && kv[1] != "file" {
				s[i][1] = redactedSecret
			}
		default:
			s[i][1] = redactedSecret
		}
	}
	return s
}

// GoString (%#v) shows the settings with the client secret redacted.
func (c Config) GoString() string { return c.String() }

// Format makes every verb show the settings with the client secret redacted.
func (c Config) Format(f fmt.State, verb rune) { formatRedacted(f, verb, c.String(), c.GoString()) }

// MarshalJSON writes the settings by name, the client secret redacted.
func (c Config) MarshalJSON() ([]byte, error) {
	m := map[string]string{}
	for _, kv := range c.redactedSettings() {
		m[kv[0]] = kv[1]
	}
	return json.Marshal(m)
}

// LogValue makes slog show the settings with the client secret redacted.
func (c Config) LogValue() slog.Value { return slog.StringValue(c.String()) }

// String names the client by id and token URL, never its secret.
func (c *Client) String() string { return "officernd.Client{" + c.h.desc + "}" }

// GoString (%#v) is String: the client's handle holds the secret, so no field is shown.
func (c *Client) GoString() string { return c.String() }

// Format makes every verb show String.
func (c *Client) Format(f fmt.State, verb rune) { formatRedacted(f, verb, c.String(), c.GoString()) }

// MarshalJSON writes the client's description.
func (c *Client) MarshalJSON() ([]byte, error) { return json.Marshal(c.String()) }

// LogValue makes slog show String.
func (c *Client) LogValue() slog.Value { return slog.StringValue(c.String()) }
