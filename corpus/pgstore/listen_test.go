package pgstore

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"yicha/corpus/corpustest"
)

// heard collects what Listen reports.
type heard struct {
	connected chan int64
	beats     atomic.Int64
	lost      chan error
}

func listen(t *testing.T, db *Store) *heard {
	t.Helper()
	h := &heard{connected: make(chan int64, 16), lost: make(chan error, 16)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		db.Listen(ctx, Listener{
			Connected: func(v int64) { h.connected <- v },
			Heartbeat: func() { h.beats.Add(1) },
			Lost:      func(err error) { h.lost <- err },
		})
	}()
	t.Cleanup(func() { cancel(); <-done })
	return h
}

// within waits at most d for a value on c.
func within[T any](t *testing.T, what string, d time.Duration, c <-chan T) T {
	t.Helper()
	select {
	case v := <-c:
		return v
	case <-time.After(d):
		t.Fatalf("not within %s: %s", d, what)
		panic("unreachable")
	}
}

// listenerPID is the backend of the store's listening connection.
func listenerPID(t *testing.T, db *Store) int {
	t.Helper()
	var pid int
	if err := db.pool.QueryRow(context.Background(), `SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()`,
		ListenerName).Scan(&pid); err != nil {
		t.Fatal(err)
	}
	return pid
}

// TestListenerReconnectsAfterItsBackendIsKilled kills the listening
// connection's backend: the loss is reported and the listener is back,
// on a new backend, well within the heartbeat bound, and delivers
// heartbeats again.
func TestListenerReconnectsAfterItsBackendIsKilled(t *testing.T) {
	db := openTestDB(t)
	const beat = 300 * time.Millisecond
	db.Heartbeat = beat
	h := listen(t, db)
	within(t, "connected", 10*time.Second, h.connected)
	waitBeats(t, h, 2, 10*beat)
	pid := listenerPID(t, db)
	killed := time.Now()
	if _, err := db.pool.Exec(context.Background(), `SELECT pg_terminate_backend($1)`, pid); err != nil {
		t.Fatal(err)
	}
	within(t, "the loss noticed", 2*beat, h.lost)
	within(t, "reconnected", 2*beat+time.Second, h.connected)
	t.Logf("noticed and reconnected in %s", time.Since(killed).Round(time.Millisecond))
	if again := listenerPID(t, db); again == pid {
		t.Errorf("still on backend %d", pid)
	}
	waitBeats(t, h, h.beats.Load()+2, 10*beat)
}

func waitBeats(t *testing.T, h *heard, n int64, d time.Duration) {
	t.Helper()
	corpustest.Eventually(t, d, fmt.Sprintf("%d heartbeats", n), func() bool { return h.beats.Load() >= n })
}

// TestStalledListenerIsReconnected freezes the listening connection — a
// proxy between it and the database drops everything on the connections
// open so far, without closing them, as a broken network path does —
// and expects the heartbeat to notice within two intervals and the
// listener to connect again.
func TestStalledListenerIsReconnected(t *testing.T) {
	u, err := url.Parse(testDB(t))
	if err != nil {
		t.Fatal(err)
	}
	p := newFreezer(t, u.Host)
	u.Host = p.addr
	db, err := Open(context.Background(), u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	t.Cleanup(p.close) // first: a frozen connection takes the pool 15 s to close
	const beat = 300 * time.Millisecond
	db.Heartbeat = beat
	h := listen(t, db)
	within(t, "connected", 10*time.Second, h.connected)
	waitBeats(t, h, 2, 10*beat)
	frozen := time.Now()
	p.freeze()
	err = within(t, "the stall noticed", 2*beat+time.Second, h.lost)
	if !errors.Is(err, ErrStalled) {
		t.Errorf("lost with %v, want ErrStalled", err)
	}
	within(t, "reconnected", 5*time.Second, h.connected)
	t.Logf("stall noticed and reconnected in %s", time.Since(frozen).Round(time.Millisecond))
	waitBeats(t, h, h.beats.Load()+2, 10*beat)
}

// freezer is a TCP proxy to a database whose open connections can be
// frozen: whatever they carry is dropped from then on, and they stay open.
type freezer struct {
	addr  string
	mu    sync.Mutex
	pairs []*atomic.Bool
	close func()
}

func newFreezer(t *testing.T, target string) *freezer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &freezer{addr: ln.Addr().String()}
	var conns []net.Conn
	var cmu sync.Mutex
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			d, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			cmu.Lock()
			conns = append(conns, c, d)
			cmu.Unlock()
			frozen := &atomic.Bool{}
			f.mu.Lock()
			f.pairs = append(f.pairs, frozen)
			f.mu.Unlock()
			pipe := func(dst, src net.Conn) {
				buf := make([]byte, 32<<10)
				for {
					n, err := src.Read(buf)
					if err != nil {
						dst.Close()
						return
					}
					if !frozen.Load() {
						dst.Write(buf[:n])
					}
				}
			}
			go pipe(d, c)
			go pipe(c, d)
		}
	}()
	f.close = func() {
		ln.Close()
		cmu.Lock()
		defer cmu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	}
	t.Cleanup(f.close)
	return f
}

// freeze stalls every connection open now; later ones pass.
func (f *freezer) freeze() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, p := range f.pairs {
		p.Store(true)
	}
}
