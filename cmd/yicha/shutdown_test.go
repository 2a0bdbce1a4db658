package main

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// TestSIGTERMLosesNoRequest sends SIGTERM to a child server under load
// from keep-alive clients that, like a load balancer, stop sending new
// requests once /readyz says 503: every request is answered in full.
func TestSIGTERMLosesNoRequest(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBinary(t)
	t.Setenv("YICHA_SHUTDOWN_DRAIN", "1s")
	srv := startServe(t, bin, t.TempDir(), "")
	var ok, refused, lost atomic.Int64
	var stop atomic.Bool
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := &http.Client{}
			for i := 0; !stop.Load(); i++ {
				resp, err := client.Get("http://" + srv.addr + "/api/search?q=" + url.QueryEscape("补贴") + "&page=" + string(rune('1'+i%5)))
				if err != nil {
					var errno syscall.Errno
					if errors.As(err, &errno) && errno == syscall.ECONNREFUSED {
						refused.Add(1)
						return
					}
					lost.Add(1)
					t.Logf("lost: %v", err)
					return
				}
				_, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if err != nil || resp.StatusCode != 200 {
					lost.Add(1)
					t.Logf("lost: %d %v", resp.StatusCode, err)
					return
				}
				ok.Add(1)
			}
		}()
	}
	// The balancer: it stops new requests once the server says not ready.
	wg.Add(1)
	go func() {
		defer wg.Done()
		for !stop.Load() {
			if resp, err := http.Get("http://" + srv.addr + "/readyz"); err != nil || resp.StatusCode != 200 {
				if err == nil {
					resp.Body.Close()
				}
				stop.Store(true)
				return
			} else {
				resp.Body.Close()
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	// SIGTERM once the clients are in full swing.
	for deadline := time.Now().Add(30 * time.Second); ok.Load() < 2000; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) || stop.Load() {
			t.Fatalf("the clients got %d answers before SIGTERM", ok.Load())
		}
	}
	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve exited with %v after SIGTERM:\n%s", err, srv.logs)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop after SIGTERM")
	}
	stop.Store(true)
	wg.Wait()
	t.Logf("%d answered, %d refused after shutdown, %d lost", ok.Load(), refused.Load(), lost.Load())
	if ok.Load() == 0 || lost.Load() != 0 {
		t.Errorf("%d answered, %d lost", ok.Load(), lost.Load())
	}
}
