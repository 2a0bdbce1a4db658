// Package webtest holds helpers for tests of the server and of the yicha
// command: a log that tests read while the server writes it.
package webtest

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"
)

// Logs is an io.Writer for a server's log (or a child process's output)
// that tests may read while it is written: every write and read holds one
// lock, and WaitFor waits for a line instead of guessing when it is there.
type Logs struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{} // closed and replaced on every write
}

// NewLogs returns an empty log.
func NewLogs() *Logs { return &Logs{changed: make(chan struct{})} }

// Write appends p.
func (l *Logs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n, err := l.buf.Write(p)
	close(l.changed)
	l.changed = make(chan struct{})
	return n, err
}

// String returns everything written so far.
func (l *Logs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// WaitTimeout bounds every WaitFor: long enough for a busy machine, short
// enough that a line that never comes fails the test.
const WaitTimeout = 30 * time.Second

// WaitFor waits until a line containing every one of parts has been
// written and returns it; after WaitTimeout it fails the test with the
// whole log.
func (l *Logs) WaitFor(t testing.TB, parts ...string) string {
	t.Helper()
	deadline := time.NewTimer(WaitTimeout)
	defer deadline.Stop()
	for {
		l.mu.Lock()
		text, changed := l.buf.String(), l.changed
		l.mu.Unlock()
		if line, ok := findLine(text, parts); ok {
			return line
		}
		select {
		case <-changed:
		case <-deadline.C:
			t.Fatalf("no log line with %q within %s; the log:\n%s", parts, WaitTimeout, text)
			return ""
		}
	}
}

func findLine(text string, parts []string) (string, bool) {
	for line := range strings.Lines(text) {
		ok := true
		for _, p := range parts {
			if !strings.Contains(line, p) {
				ok = false
				break
			}
		}
		if ok {
			return strings.TrimRight(line, "\n"), true
		}
	}
	return "", false
}
