package corpustest

import (
	"testing"
	"time"
)

// pollEvery is how often Eventually asks again.
const pollEvery = 20 * time.Millisecond

// Eventually waits, at most d, until ok holds, asking every pollEvery; it
// fails the test with what when d passes first, and returns how long the
// wait took. It is the one bounded wait for a condition the tests share:
// never a fixed sleep.
func Eventually(t testing.TB, d time.Duration, what string, ok func() bool) time.Duration {
	t.Helper()
	since := Stopwatch()
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	for !ok() {
		select {
		case <-deadline.C:
			if ok() {
				return since()
			}
			t.Fatalf("not within %s: %s", d, what)
		case <-tick.C:
		}
	}
	return since()
}

// Stopwatch starts timing; the function it returns tells how long has
// passed since. Tests measure durations with it (on the monotonic clock)
// and never read the date.
func Stopwatch() func() time.Duration {
	start := time.Now()
	return func() time.Duration { return time.Since(start) }
}
