package officernd_test

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"

	officernd "github.com/officernd-auth/officernd-auth/bindings-go"
	"github.com/officernd-auth/officernd-auth/bindings-go/internal/mocktest"
)

// records is a slog.Handler that keeps every record's level, message and attributes as text.
type records struct {
	mu    sync.Mutex
	lines []string
	level slog.Level
}

func (r *records) Enabled(_ context.Context, l slog.Level) bool { return l >= r.level }
func (r *records) Handle(_ context.Context, rec slog.Record) error {
	var b strings.Builder
	b.WriteString(rec.Level.String() + " " + rec.Message)
	rec.Attrs(func(a slog.Attr) bool { b.WriteString(" " + a.String()); return true })
	r.mu.Lock()
	r.lines = append(r.lines, b.String())
	r.mu.Unlock()
	return nil
}
func (r *records) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *records) WithGroup(string) slog.Handler      { return r }

func (r *records) all() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.lines...)
}

func TestSetLoggerForwardsRecordsWithoutSecrets(t *testing.T) {
	m := mocktest.Get(t)
	h := &records{level: slog.LevelDebug}
	if err := officernd.SetLogger(slog.New(h), slog.LevelDebug); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := officernd.SetLogger(nil, 0); err != nil {
			t.Fatal(err)
		}
	}()
	c := newClient(t, config(m))
	tok, err := c.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Invalidate(tok); err != nil {
		t.Fatal(err)
	}
	lines := h.all()
	if len(lines) == 0 {
		t.Fatal("no log record from a token fetch at debug level")
	}
	sawTarget := false
	for _, l := range lines {
		if strings.Contains(l, mocktest.Secret) || strings.Contains(l, tok.AccessToken()) {
			t.Errorf("a log record shows a secret: %s", l)
		}
		sawTarget = sawTarget || strings.Contains(l, "target=officernd_auth")
	}
	if !sawTarget {
		t.Errorf("no record names its target: %q", lines)
	}
	// Off: no more records.
	if err := officernd.SetLogger(nil, 0); err != nil {
		t.Fatal(err)
	}
	n := len(h.all())
	if _, err := newClient(t, config(m)).Token(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := len(h.all()); got != n {
		t.Errorf("%d records after SetLogger(nil)", got-n)
	}
}
