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
	start := time.Now()
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	for !ok() {
		select {
		case <-deadline.C:
			if ok() {
				return time.Since(start)
			}
			t.Fatalf("not within %s: %s", d, what)
		case <-tick.C:
		}
	}
	return time.Since(start)
}
