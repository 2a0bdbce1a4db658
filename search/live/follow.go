package live

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"yicha/corpus"
)

// Watched is a shared corpus store a replica follows: it tells the latest
// version when asked, and (Listen) as soon as a new one is committed.
type Watched interface {
	Version(ctx context.Context) (int64, error)
	// Listen reports to l, until ctx ends, every (re)connect with the
	// latest version, each committed version, each heartbeat its
	// connection delivers, and each loss of that connection.
	Listen(ctx context.Context, l Listener)
}

// Listener receives what a Watched store's Listen hears.
type Listener struct {
	Connected func(version int64)
	Notified  func(version int64)
	Heartbeat func()
	Lost      func(error)
}

// StoreHealth is what a replica knows of its shared corpus store.
type StoreHealth struct {
	// Reachable: the last read of the store (a poll, the listener's
	// connect) succeeded; Error says why not.
	Reachable bool   `json:"reachable"`
	Error     string `json:"error,omitempty"`
	// Listening: the listening connection is up, and delivered its last
	// heartbeat at LastHeartbeat; Reconnects counts its losses.
	Listening     bool      `json:"listening"`
	LastHeartbeat time.Time `json:"last_heartbeat,omitzero"`
	Reconnects    int       `json:"listener_reconnects"`
	// LastNotification is when the last new version was notified.
	LastNotification time.Time `json:"last_notification,omitzero"`
	// LagVersions and LagSeconds are how far, and for how long, the
	// served index is behind the latest version (rejected ones aside).
	LagVersions int64   `json:"lag_versions"`
	LagSeconds  float64 `json:"lag_seconds"`
}

// FollowOptions tune a Follower.
type FollowOptions struct {
	// Poll is how often the version is read even without a notification
	// (default 5 s): the fallback when notifications are lost.
	Poll time.Duration
	// MaxLag is how long the served index may stay behind a newer store
	// version and still count as ready (default 30 s). A replica is never
	// ready before it has once served the store's latest version.
	MaxLag time.Duration
	// Push, if set, stores the replica's configured corpus as a new
	// version before an admin's reindex, so that every replica follows it,
	// if the store's latest version is still basedOn (else it fails with
	// an error that has a Versions() (basedOn, latest int64) method).
	Push func(ctx context.Context, basedOn int64) error
	// Unreachable is why the store could not be reached when the replica
	// started, if it could not: the replica serves its local index, in
	// step as far as it can tell, and follows once the store answers.
	Unreachable error
	Log         *slog.Logger
	// Now is the clock of the times in the status; nil means time.Now.
	Now func() time.Time
}

// Follower keeps a Service in step with a shared corpus store: on a newer
// version (notified, or seen by polling) it rebuilds with Service.Reindex,
// which validates, builds, checks and swaps the index under live searches.
// It serves the admin API (web.Admin) and readiness (web.Config.Ready).
type Follower struct {
	svc  *Service
	src  Watched
	opts FollowOptions
	wake chan struct{}

	mu         sync.Mutex
	latest     int64     // the store's latest version, as last seen
	behindFrom time.Time // when the served index was first seen behind latest
	// caughtUp: the served index has matched the store once, or served
	// while the store could not be reached (as during an outage).
	caughtUp bool
	storeErr error // why the store cannot be read now; nil when it can
	// rejected is the latest version this replica refused (its corpus
	// has problems): it does not count as lag, and is not tried again.
	rejected int64
	// The listener, as Listen reports it.
	listening        bool
	lastHeartbeat    time.Time
	lastNotification time.Time
	reconnects       int
}

// NewFollower returns a follower of src for svc; Run starts it.
func NewFollower(svc *Service, src Watched, opts FollowOptions) *Follower {
	if opts.Poll <= 0 {
		opts.Poll = 5 * time.Second
	}
	if opts.MaxLag <= 0 {
		opts.MaxLag = 30 * time.Second
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	f := &Follower{svc: svc, src: src, opts: opts, wake: make(chan struct{}, 1)}
	if opts.Unreachable != nil {
		f.storeErr, f.caughtUp = opts.Unreachable, true
	}
	return f
}

// served returns the store version of the served index (0 if none).
func (f *Follower) served() int64 {
	return f.svc.Status().IndexVersion
}

// seen records the store's latest version and wakes the loop.
func (f *Follower) seen(v int64) {
	f.mu.Lock()
	if v > f.latest {
		f.latest = v
	}
	if f.storeErr != nil {
		f.opts.Log.Info("the corpus store can be read again", "version", v)
	}
	f.storeErr = nil
	f.mu.Unlock()
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

// Run follows the store until ctx ends: it listens for notifications on a
// connection of its own, polls the version every Poll, and rebuilds
// whenever the served index is behind.
func (f *Follower) Run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		f.src.Listen(ctx, Listener{
			Connected: func(v int64) {
				f.mu.Lock()
				f.listening, f.lastHeartbeat = true, f.opts.Now()
				f.mu.Unlock()
				f.seen(v)
			},
			Notified: func(v int64) {
				f.mu.Lock()
				f.lastNotification = f.opts.Now()
				f.mu.Unlock()
				f.seen(v)
			},
			Heartbeat: func() {
				f.mu.Lock()
				f.lastHeartbeat = f.opts.Now()
				f.mu.Unlock()
			},
			Lost: func(err error) {
				f.mu.Lock()
				wasListening := f.listening
				if wasListening {
					f.reconnects++
				}
				f.listening = false
				f.mu.Unlock()
				if wasListening {
					f.opts.Log.Warn("lost the corpus store's listening connection; reconnecting", "error", err)
					return
				}
				f.unreachable(err) // it could not connect
			},
		})
	}()
	defer wg.Wait()
	tick := time.NewTicker(f.opts.Poll)
	defer tick.Stop()
	for {
		f.step(ctx)
		select {
		case <-ctx.Done():
			return
		case <-f.wake:
		case <-tick.C:
			v, err := f.src.Version(ctx)
			if err != nil {
				if ctx.Err() == nil {
					f.unreachable(err)
				}
				continue
			}
			f.seen(v)
		}
	}
}

// unreachable records that the store cannot be read (a poll failed, or the
// listening connection was lost) and logs it once, not at every retry. The
// served index stays in service: a replica that has not caught up yet
// counts as in step, as it would during an outage.
func (f *Follower) unreachable(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.storeErr == nil {
		f.opts.Log.Warn("the corpus store cannot be read; serving the current index and retrying", "error", err)
	}
	f.storeErr = err
	f.caughtUp = true
}

// step rebuilds while the served index is behind the latest version seen
// that has not been rejected. A version whose corpus has problems is
// rejected (one log line; status and metrics show it) and not tried again:
// the next version is. After another failure it tries again at the next
// poll, or at once on a notification.
func (f *Follower) step(ctx context.Context) {
	for ctx.Err() == nil {
		served := f.served()
		f.mu.Lock()
		latest := f.latest
		if served >= f.rejected {
			f.rejected = 0 // a newer version serves: the rejection is over
		}
		if latest == 0 || served >= latest || latest <= f.rejected {
			if latest != 0 {
				f.caughtUp = true
			}
			f.behindFrom = time.Time{}
			f.mu.Unlock()
			return
		}
		if f.behindFrom.IsZero() {
			f.behindFrom = time.Now()
		}
		f.mu.Unlock()
		f.opts.Log.Info("the corpus store has a newer version; rebuilding", "served", served, "latest", latest)
		_, err := f.svc.Reindex(ctx, true)
		var ce *corpus.CheckError
		switch {
		case err == nil:
		case errors.Is(err, ErrBusy):
			f.waitBuild(ctx)
		case ctx.Err() != nil:
			return
		case errors.As(err, &ce):
			f.mu.Lock()
			f.rejected = latest
			f.behindFrom = time.Time{}
			f.mu.Unlock()
			f.opts.Log.Error("corpus version rejected: its corpus has problems; serving the last good index until a newer version",
				"rejected", latest, "served", served, "problems", len(ce.Problems), "error", err)
		default:
			f.opts.Log.Error("rebuild from the corpus store failed; serving the last good index", "error", err)
			select { // try again at the next poll, or at once on a notification
			case <-ctx.Done():
			case <-f.wake:
				continue
			case <-time.After(f.opts.Poll):
			}
			return
		}
	}
}

// waitBuild waits for a running build to end.
func (f *Follower) waitBuild(ctx context.Context) {
	for ctx.Err() == nil && f.svc.Status().Building {
		select {
		case <-ctx.Done():
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Ready reports whether the replica is in step: it has served the store's
// latest version once (or served its index while the store could not be
// read), and is not behind a newer one for longer than MaxLag. A store
// that cannot be read does not make it unready: its index still serves.
func (f *Follower) Ready(context.Context) error {
	served := f.served()
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case !f.caughtUp:
		return fmt.Errorf("catching up with the corpus store: serving version %d, latest %d", served, f.latest)
	case served < f.latest && f.latest > f.rejected && !f.behindFrom.IsZero() && time.Since(f.behindFrom) > f.opts.MaxLag:
		return fmt.Errorf("serving corpus version %d, %s behind version %d", served, time.Since(f.behindFrom).Round(time.Second), f.latest)
	}
	return nil
}

// Status is the service's status with the served and the latest version,
// and the store's health.
func (f *Follower) Status() Status {
	st := f.svc.Status()
	f.mu.Lock()
	defer f.mu.Unlock()
	st.StoreVersion = f.latest
	st.RejectedVersion = f.rejected
	h := &StoreHealth{Reachable: f.storeErr == nil, Listening: f.listening, LastHeartbeat: f.lastHeartbeat,
		Reconnects: f.reconnects, LastNotification: f.lastNotification}
	if f.storeErr != nil {
		h.Error = f.storeErr.Error()
	}
	if f.latest > st.IndexVersion && f.latest > f.rejected {
		h.LagVersions = f.latest - st.IndexVersion
		if !f.behindFrom.IsZero() {
			h.LagSeconds = time.Since(f.behindFrom).Seconds()
		}
	}
	st.Store = h
	return st
}

// Reindex is the admin's reindex on this replica: with a Push option it
// first stores the replica's configured corpus in the shared store (every
// replica then follows the notification), then rebuilds from the store.
// The push is based on the version this replica serves (or has rejected,
// if newer): when the store holds a newer one — another admin's push, or
// a version still being built here — it is refused as stale, and the
// admin sees both versions instead of replacing an edit unseen.
func (f *Follower) Reindex(ctx context.Context, wait bool) (Status, error) {
	if f.opts.Push == nil {
		_, err := f.svc.Reindex(ctx, wait)
		return f.Status(), err
	}
	served := f.served()
	f.mu.Lock()
	basedOn := max(served, f.rejected)
	f.mu.Unlock()
	if err := f.opts.Push(ctx, basedOn); err != nil {
		f.svc.fail(err)
		return f.Status(), err
	}
	v, err := f.src.Version(ctx)
	if err != nil {
		return f.Status(), err
	}
	f.seen(v)
	// The push's notification may have started this replica's rebuild
	// already: then the admin waits for that one.
	for {
		_, err := f.svc.Reindex(ctx, wait)
		if !errors.Is(err, ErrBusy) {
			return f.Status(), err
		}
		if !wait {
			return f.Status(), nil
		}
		f.waitBuild(ctx)
		if f.served() >= v || ctx.Err() != nil {
			return f.Status(), ctx.Err()
		}
	}
}
