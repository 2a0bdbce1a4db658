package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"yicha/corpus"
	"yicha/corpus/corpustest"
	"yicha/index"
)

// runCLI runs the command in-process with the clock pinned to the suite's
// moment.
func runCLI(t testing.TB, args ...string) (int, string, string) {
	t.Helper()
	return runCLIAt(t, corpustest.Now(t), args...)
}

// runCLIAt runs the command in-process as at the moment now.
func runCLIAt(t testing.TB, now time.Time, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), &cli{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, now: corpustest.NewClock(now).Now}, args)
	return code, out.String(), errb.String()
}

func TestCLI(t *testing.T) {
	if code, _, stderr := runCLI(t); code != 2 || !strings.Contains(stderr, "Commands:") {
		t.Errorf("no command: %d %q", code, stderr)
	}
	if code, _, stderr := runCLI(t, "frobnicate"); code != 2 || !strings.Contains(stderr, "unknown command") {
		t.Errorf("unknown command: %d %q", code, stderr)
	}
	for _, cmd := range []string{"serve", "index", "search", "check", "eval"} {
		if code, _, stderr := runCLI(t, cmd, "--help"); code != 0 || !strings.Contains(stderr, "Usage: yicha "+cmd) {
			t.Errorf("%s --help: %d %q", cmd, code, stderr)
		}
	}
	if code, stdout, _ := runCLIAt(t, checkMoment(t), "check"); code != 0 || !strings.HasPrefix(stdout, "ok: ") {
		t.Errorf("check of the embedded corpus: %d %q", code, stdout)
	}
}

func TestCheckReportsFileAndLine(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "policies"), 0o755)
	places, _ := os.ReadFile("../../corpus/places.yaml")
	os.WriteFile(filepath.Join(dir, "places.yaml"), places, 0o644)
	documents, _ := os.ReadFile("../../corpus/documents.yaml")
	os.WriteFile(filepath.Join(dir, "documents.yaml"), documents, 0o644)
	good, _ := os.ReadFile("../../corpus/policies/dibao.yaml")
	os.WriteFile(filepath.Join(dir, "policies", "dibao.yaml"), bytes.Replace(good, []byte("kind: 政策类"), []byte("kind: 政策"), 1), 0o644)
	code, _, stderr := runCLI(t, "check", "--corpus", dir)
	want := filepath.Join(dir, "policies", "dibao.yaml") + ":2: kind"
	if code != 1 || !strings.Contains(stderr, want) {
		t.Errorf("check = %d %q, want exit 1 and %q", code, stderr, want)
	}
}

func TestIndexRefusesARunningServersData(t *testing.T) {
	dir := t.TempDir()
	held, err := index.OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	code, _, stderr := runCLI(t, "index", "--data", dir)
	if code != 1 || !strings.Contains(stderr, "in use by another yicha process") || !strings.Contains(stderr, "admin API") {
		t.Errorf("index on a held data directory = %d %q", code, stderr)
	}
}

// checkMoment is when `yicha check` of the embedded corpus is sure to pass:
// the suite's moment, or the end of the day of the corpus's latest update
// if that is later.
func checkMoment(t testing.TB) time.Time {
	t.Helper()
	emb, err := corpus.Embedded().Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if now, latest := corpustest.Now(t), corpustest.LatestUpdate(emb); now.After(latest) {
		return now
	}
	return corpustest.LatestUpdate(emb)
}

// TestCheckAsOfTwoDates runs `yicha check` on the embedded corpus at the
// first moment every entry's date of checking has come (or the suite's
// moment, if later) and again two years on: both pass, and each lists, as
// notices at file:line, exactly the entries expired by then and those
// expiring within 60 days. A day before the latest update, the update is a
// problem.
func TestCheckAsOfTwoDates(t *testing.T) {
	emb, err := corpus.Embedded().Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	base := checkMoment(t)
	for _, at := range []time.Time{base, base.AddDate(2, 0, 0)} {
		code, stdout, stderr := runCLIAt(t, at, "check")
		// By then a document the corpus cites may have passed its
		// validity period: each such citation is a problem, and only those.
		if lapsed := corpus.CheckTrust(emb, at); len(lapsed) > 0 {
			if code != 1 {
				t.Errorf("check at %s = %d, want 1 for %v", at, code, lapsed)
			}
			for _, p := range lapsed {
				if !strings.Contains(p.Message, "as current") || !strings.Contains(stderr, p.String()) {
					t.Errorf("check at %s: %s\n%s", at, p, stderr)
				}
			}
			continue
		}
		if code != 0 {
			t.Fatalf("check at %s = %d\n%s", at, code, stderr)
		}
		expired, soon := emb.Expiries(at, corpus.ExpiryWindow)
		wantOK := fmt.Sprintf("as of %s, %d expired, %d expiring within 60 days", corpus.Today(at), len(expired), len(soon))
		if !strings.Contains(stdout, wantOK) {
			t.Errorf("check at %s: %q, want %q", corpus.Today(at), stdout, wantOK)
		}
		for _, x := range expired {
			if want := x.Policy.Source + ":"; !strings.Contains(stderr, want) || !strings.Contains(stderr, "notice: expired on "+x.Policy.Expires) {
				t.Errorf("check at %s does not name the expired %s:\n%s", corpus.Today(at), x.Policy.ID, stderr)
			}
		}
		if n := strings.Count(stderr, "notice: "); n != len(expired)+len(soon) {
			t.Errorf("check at %s gives %d notices, want %d:\n%s", corpus.Today(at), n, len(expired)+len(soon), stderr)
		}
	}
	// --date overrides the clock; before the latest update it is a problem.
	before := base.AddDate(0, 0, -1)
	if base.Equal(corpustest.LatestUpdate(emb)) {
		code, _, stderr := runCLIAt(t, base.AddDate(5, 0, 0), "check", "--date", corpus.Today(before))
		if code != 1 || !strings.Contains(stderr, "is after today ("+corpus.Today(before)+")") || !strings.Contains(stderr, ".yaml:") {
			t.Errorf("check --date %s = %d\n%s", corpus.Today(before), code, stderr)
		}
	}
	if code, _, stderr := runCLI(t, "check", "--date", "2027-13-01"); code != 2 || !strings.Contains(stderr, "--date") {
		t.Errorf("check --date 2027-13-01 = %d %q", code, stderr)
	}
}

// TestCheckRefusesDevicesAndPipes gives --corpus a device and a named pipe:
// each is refused at once, with a message naming it.
func TestCheckRefusesDevicesAndPipes(t *testing.T) {
	pipe := filepath.Join(t.TempDir(), "corpus.jsonl")
	if err := syscall.Mkfifo(pipe, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Lets go a reader that waits on the pipe, should there be one.
		if f, err := os.OpenFile(pipe, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			f.Close()
		}
	})
	for path, want := range map[string]string{"/dev/zero": "/dev/zero is a device", pipe: pipe + " is a named pipe"} {
		type result struct {
			code   int
			stderr string
		}
		done := make(chan result, 1)
		go func() {
			code, _, stderr := runCLI(t, "check", "--corpus", path)
			done <- result{code, stderr}
		}()
		select {
		case r := <-done:
			if r.code != 1 || !strings.Contains(r.stderr, want) {
				t.Errorf("check --corpus %s = %d %q, want exit 1 and %q", path, r.code, r.stderr, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("check --corpus %s did not end within 10s", path)
		}
	}
}

// TestIndexPreparesSegmenter: `yicha index` leaves the prepared segmenter
// in the data directory for the server's start, and replaces one that
// cannot be read with the same file again.
func TestIndexPreparesSegmenter(t *testing.T) {
	bin, dir := buildBinary(t), t.TempDir()
	prepared := filepath.Join(dir, "segmenter.bin")
	if out, err := exec.Command(bin, "index", "--data", dir).CombinedOutput(); err != nil {
		t.Fatalf("index: %v\n%s", err, out)
	}
	first, err := os.ReadFile(prepared)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(prepared, first[:len(first)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bin, "index", "--data", dir).CombinedOutput(); err != nil {
		t.Fatalf("index again: %v\n%s", err, out)
	}
	if again, err := os.ReadFile(prepared); err != nil || !bytes.Equal(again, first) {
		t.Fatalf("after a cut file, %d bytes (%v), want the %d written first", len(again), err, len(first))
	}
}
