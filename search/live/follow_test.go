package live

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"yicha/corpus"
	"yicha/corpus/corpustest"
	"yicha/index"
)

// memStore is a shared corpus store in memory: versions of a corpus, with
// notifications that can be switched off to exercise polling.
type memStore struct {
	mu       sync.Mutex
	versions []*corpus.Corpus
	broken   bool           // Load fails, as with a store that cannot be read
	bad      map[int64]bool // versions whose corpus has problems
	polls    int            // calls of Version
	quiet    bool           // no notifications: only polling sees new versions
	subs     []func(int64)
}

func (m *memStore) String() string { return "memory" }

func (m *memStore) Load(ctx context.Context) (*corpus.Corpus, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.broken {
		return nil, errors.New("store down")
	}
	if m.bad[int64(len(m.versions))] {
		return nil, &corpus.CheckError{Problems: corpus.Problems{{File: "memory", Line: 1, Message: "title is empty"}}}
	}
	return m.versions[len(m.versions)-1], nil
}

func (m *memStore) Version(context.Context) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.polls++
	return int64(len(m.versions)), nil
}

func (m *memStore) Listen(ctx context.Context, l Listener) {
	v, _ := m.Version(ctx)
	l.Connected(v)
	m.mu.Lock()
	m.subs = append(m.subs, l.Notified)
	m.mu.Unlock()
	<-ctx.Done()
}

// push adds a version whose first entry has the given title.
func (m *memStore) push(t *testing.T, base *corpus.Corpus, title string) int64 {
	t.Helper()
	m.mu.Lock()
	v := int64(len(m.versions) + 1)
	ps := make([]*corpus.Policy, len(base.Policies))
	copy(ps, base.Policies)
	cp := *ps[0]
	cp.Title = title
	ps[0] = &cp
	c := corpus.NewCorpus(ps, fmt.Sprintf("test-%d", v))
	c.Version = v
	m.versions = append(m.versions, c)
	subs := m.subs
	quiet := m.quiet
	m.mu.Unlock()
	if !quiet {
		for _, n := range subs {
			n(v)
		}
	}
	return v
}

// lockedBuffer is a log that tests read while the follower writes it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf []byte
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	return len(p), nil
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}

func newFollowed(t *testing.T, opts FollowOptions) (*memStore, *corpus.Corpus, *Service, *Follower) {
	t.Helper()
	full, err := corpus.Embedded().Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	base := corpus.NewCorpus(full.Policies[:20], "")
	m := &memStore{}
	m.push(t, base, base.Policies[0].Title)
	store, err := index.OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if opts.Log != nil {
		log = opts.Log
	}
	svc, err := OpenService(context.Background(), store, m, ServiceOptions{Log: log})
	if err != nil {
		t.Fatal(err)
	}
	opts.Log = log
	f := NewFollower(svc, m, opts)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { f.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done; svc.Close() })
	return m, base, svc, f
}

func waitFor(t *testing.T, what string, d time.Duration, ok func() bool) {
	t.Helper()
	corpustest.Eventually(t, d, what, ok)
}

func firstTitle(t *testing.T, svc *Service, id string) string {
	t.Helper()
	p, err := svc.Engine.Policy(id)
	if err != nil {
		t.Fatal(err)
	}
	return p.Title
}

func TestFollowerRebuildsOnNotification(t *testing.T) {
	m, base, svc, f := newFollowed(t, FollowOptions{Poll: time.Hour})
	waitFor(t, "ready", 5*time.Second, func() bool { return f.Ready(context.Background()) == nil })
	v := m.push(t, base, "通知后的新标题")
	waitFor(t, "the new title is served", 5*time.Second, func() bool { return firstTitle(t, svc, base.Policies[0].ID) == "通知后的新标题" })
	// The status follows the swap a moment later.
	waitFor(t, "the status shows the new version", 5*time.Second, func() bool { return f.Status().IndexVersion == v })
	st := f.Status()
	if st.IndexVersion != v || st.StoreVersion != v {
		t.Errorf("status versions = %d, %d; want %d", st.IndexVersion, st.StoreVersion, v)
	}
	if err := f.Ready(context.Background()); err != nil {
		t.Errorf("not ready after catching up: %v", err)
	}
}

func TestFollowerPollsWithoutNotifications(t *testing.T) {
	m, base, svc, f := newFollowed(t, FollowOptions{Poll: 100 * time.Millisecond})
	waitFor(t, "ready", 5*time.Second, func() bool { return f.Ready(context.Background()) == nil })
	m.mu.Lock()
	m.quiet = true
	m.mu.Unlock()
	m.push(t, base, "轮询看到的新标题")
	waitFor(t, "the new title is served", 5*time.Second, func() bool { return firstTitle(t, svc, base.Policies[0].ID) == "轮询看到的新标题" })
}

func TestFollowerReadinessBoundsTheLag(t *testing.T) {
	m, base, _, f := newFollowed(t, FollowOptions{Poll: 50 * time.Millisecond, MaxLag: 300 * time.Millisecond})
	waitFor(t, "ready", 5*time.Second, func() bool { return f.Ready(context.Background()) == nil })
	m.mu.Lock()
	m.broken = true
	m.mu.Unlock()
	m.push(t, base, "建不出来的版本")
	if err := f.Ready(context.Background()); err != nil {
		t.Errorf("unready at once, within the lag bound: %v", err)
	}
	waitFor(t, "unready past the lag bound", 5*time.Second, func() bool { return f.Ready(context.Background()) != nil })
	m.mu.Lock()
	m.broken = false
	m.mu.Unlock()
	waitFor(t, "ready again", 5*time.Second, func() bool { return f.Ready(context.Background()) == nil })
}

func TestFollowerAdminReindexPushesFirst(t *testing.T) {
	m, base, svc, f := newFollowed(t, FollowOptions{Poll: time.Hour})
	f.opts.Push = func(ctx context.Context, basedOn int64) error {
		if v, _ := m.Version(ctx); basedOn != v {
			t.Errorf("the push is based on version %d, the replica serves %d", basedOn, v)
		}
		m.push(t, base, "管理员推送的标题")
		return nil
	}
	_, err := f.Reindex(context.Background(), true)
	if err != nil && !errors.Is(err, ErrBusy) {
		t.Fatal(err)
	}
	waitFor(t, "the pushed title is served", 5*time.Second, func() bool { return firstTitle(t, svc, base.Policies[0].ID) == "管理员推送的标题" })
	bad := errors.New("a corpus with problems")
	f.opts.Push = func(context.Context, int64) error { return bad }
	waitFor(t, "idle", 5*time.Second, func() bool { return !svc.Status().Building })
	if _, err := f.Reindex(context.Background(), true); !errors.Is(err, bad) {
		t.Errorf("Reindex after a failed push = %v", err)
	}
}

// TestFollowerRejectsABadVersion: a version whose corpus has problems is
// rejected once — one log line, status — and is no lag: readiness stays
// while the old index serves, past MaxLag and many polls. The next good
// version serves, and the error is gone.
func TestFollowerRejectsABadVersion(t *testing.T) {
	logs := &lockedBuffer{}
	const maxLag = 200 * time.Millisecond
	m, base, svc, f := newFollowed(t, FollowOptions{Poll: 20 * time.Millisecond, MaxLag: maxLag, Log: slog.New(slog.NewTextHandler(logs, nil))})
	waitFor(t, "ready", 5*time.Second, func() bool { return f.Ready(context.Background()) == nil })
	m.mu.Lock()
	m.bad = map[int64]bool{2: true}
	m.mu.Unlock()
	pushed := time.Now()
	bad := m.push(t, base, "有问题的版本")
	waitFor(t, "the version is rejected", 5*time.Second, func() bool { return f.Status().RejectedVersion == bad })
	m.mu.Lock()
	polls := m.polls
	m.mu.Unlock()
	// Ready the whole time, until well past the lag bound and ten polls.
	waitFor(t, "three lag bounds and ten polls", 10*time.Second, func() bool {
		if err := f.Ready(context.Background()); err != nil {
			t.Fatalf("unready with a rejected version: %v", err)
		}
		m.mu.Lock()
		defer m.mu.Unlock()
		return time.Since(pushed) > 3*maxLag && m.polls > polls+10
	})
	st := f.Status()
	if st.IndexVersion != 1 || st.StoreVersion != bad || st.LastError == "" || len(st.Problems) != 1 {
		t.Errorf("status with a rejected version: %+v", st)
	}
	if n := strings.Count(logs.String(), "corpus version rejected"); n != 1 {
		t.Errorf("%d log lines on the rejection, want 1:\n%s", n, logs)
	}
	good := m.push(t, base, "修好的版本")
	waitFor(t, "the fixed version serves", 5*time.Second, func() bool { return f.Status().IndexVersion == good })
	waitFor(t, "the rejection is over", 5*time.Second, func() bool {
		st := f.Status()
		return st.RejectedVersion == 0 && st.LastError == "" && len(st.Problems) == 0
	})
	if got := firstTitle(t, svc, base.Policies[0].ID); got != "修好的版本" {
		t.Errorf("serves %q", got)
	}
}

// TestFollowerNotificationEndsTheBackoff: after a failed rebuild the
// follower waits for the next poll (an hour here), or a notification.
func TestFollowerNotificationEndsTheBackoff(t *testing.T) {
	m, base, svc, f := newFollowed(t, FollowOptions{Poll: time.Hour})
	waitFor(t, "ready", 5*time.Second, func() bool { return f.Ready(context.Background()) == nil })
	m.mu.Lock()
	m.broken = true
	m.mu.Unlock()
	m.push(t, base, "读不出来的版本")
	waitFor(t, "the rebuild failed", 5*time.Second, func() bool { return svc.Status().LastError != "" && !svc.Status().Building })
	m.mu.Lock()
	m.broken = false
	m.mu.Unlock()
	v := m.push(t, base, "通知唤醒的版本")
	waitFor(t, "the notified version serves", 5*time.Second, func() bool { return f.Status().IndexVersion == v })
	// The build's last step clears the error, a moment after the swap.
	waitFor(t, "the error cleared", 5*time.Second, func() bool { st := f.Status(); return !st.Building && st.LastError == "" })
	if st := f.Status(); st.RejectedVersion != 0 {
		t.Errorf("a transient failure left %+v", st)
	}
}
