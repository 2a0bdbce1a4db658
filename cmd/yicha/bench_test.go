package main

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// rssMB reads a process's resident memory from /proc.
func rssMB(pid int) float64 {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.Atoi(f[1])
			return float64(kb) / 1024
		}
	}
	return 0
}

// BenchmarkColdStart measures the time from starting `yicha serve` on an
// existing index of the default corpus to its first answered search, and
// the resident memory a second after start.
func BenchmarkColdStart(b *testing.B) {
	bin := filepath.Join(b.TempDir(), "yicha")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	data := b.TempDir()
	if out, err := exec.Command(bin, "index", "--data", data).CombinedOutput(); err != nil {
		b.Fatalf("index: %v\n%s", err, out)
	}
	var total time.Duration
	var rss float64
	for b.Loop() {
		addr := freeAddr(b)
		start := time.Now()
		cmd := exec.Command(bin, "serve", "--data", data, "--addr", addr)
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		for {
			resp, err := http.Get("http://" + addr + "/api/search?q=%E4%BD%8E%E4%BF%9D")
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == 200 {
					break
				}
			}
			if time.Since(start) > 30*time.Second {
				cmd.Process.Kill()
				b.Fatal("serve did not answer")
			}
			time.Sleep(2 * time.Millisecond)
		}
		total += time.Since(start)
		b.StopTimer()
		time.Sleep(time.Second)
		rss = max(rss, rssMB(cmd.Process.Pid))
		cmd.Process.Kill()
		cmd.Wait()
		b.StartTimer()
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms-to-first-answer")
	b.ReportMetric(rss, "rss-MB")
}
