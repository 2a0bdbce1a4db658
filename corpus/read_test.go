package corpus

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// secret marks the content of files outside a corpus directory: it must
// never show in a problem or an error.
const secret = "SECRET-7f3a-NOT-FOR-PROBLEMS"

// loadWait bounds how long a Load may take in these tests: it is never a
// wait that passes, only one that fails.
const loadWait = 10 * time.Second

// writeCorpus writes a good corpus directory of one entry.
func writeCorpus(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, PoliciesDir), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, PlacesFile), testPlaces)
	writeFile(t, filepath.Join(dir, PoliciesDir, "laonian-jintie.yaml"), goodEntry)
	return dir
}

func writeFile(t *testing.T, name, data string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// mkfifo makes a named pipe. Should a reader wait on it (the code under
// test failing), opening its other end at cleanup lets that reader go.
func mkfifo(t *testing.T, name string) {
	t.Helper()
	if err := syscall.Mkfifo(name, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if f, err := os.OpenFile(name, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			f.Close()
		}
	})
}

// loadWithin loads src, failing the test if that does not end in time.
func loadWithin(t *testing.T, src Source) (*Corpus, error) {
	t.Helper()
	type loaded struct {
		c   *Corpus
		err error
	}
	done := make(chan loaded, 1)
	go func() {
		c, err := src.Load(context.Background())
		done <- loaded{c, err}
	}()
	select {
	case l := <-done:
		return l.c, l.err
	case <-time.After(loadWait):
		t.Fatalf("loading %s did not end within %s", src, loadWait)
		return nil, nil
	}
}

// problemLines returns the error and each problem, one a line.
func problemLines(err error) string {
	if err == nil {
		return ""
	}
	lines := []string{err.Error()}
	var ce *CheckError
	if errors.As(err, &ce) {
		for _, p := range ce.Problems {
			lines = append(lines, p.String())
		}
	}
	return strings.Join(lines, "\n")
}

// allocated returns how many bytes f allocated.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestDirReadsOnlyRegularFilesInside puts in a corpus directory what is
// not a regular file inside it; each is a problem at its file, found
// without waiting on it, and nothing read through a link that leads out
// shows in any problem. A link that stays inside is followed.
func TestDirReadsOnlyRegularFilesInside(t *testing.T) {
	outside := t.TempDir()
	secretEntry := filepath.Join(outside, "secret.yaml")
	writeFile(t, secretEntry, strings.Replace(goodEntry, "category: 养老服务", "category: "+secret, 1))
	secretPlaces := filepath.Join(outside, "places.yaml")
	writeFile(t, secretPlaces, secret+":\n  name: x\n")

	tests := []struct {
		name  string
		file  string // the file the problem names, in the corpus directory
		setup func(t *testing.T, dir, file string)
		want  string
	}{
		{"entry linked outside", "policies/leak.yaml", func(t *testing.T, dir, file string) {
			os.Symlink(secretEntry, file)
		}, "a symbolic link that leads out of the corpus directory"},
		{"entry linked outside by a relative path", "policies/leak.yaml", func(t *testing.T, dir, file string) {
			rel, _ := filepath.Rel(filepath.Dir(file), secretEntry)
			os.Symlink(rel, file)
		}, "a symbolic link that leads out of the corpus directory"},
		{"places linked outside", "places.yaml", func(t *testing.T, dir, file string) {
			os.Remove(file)
			os.Symlink(secretPlaces, file)
		}, "a symbolic link that leads out of the corpus directory"},
		{"documents linked outside", "documents.yaml", func(t *testing.T, dir, file string) {
			os.Symlink(secretPlaces, file)
		}, "a symbolic link that leads out of the corpus directory"},
		{"documents is a named pipe", "documents.yaml", func(t *testing.T, dir, file string) {
			mkfifo(t, file)
		}, "a named pipe, not a regular file"},
		{"documents too large", "documents.yaml", func(t *testing.T, dir, file string) {
			writeFile(t, file, strings.Repeat("#", MaxFileBytes+1))
		}, "the file holds 1048577 bytes, more than the 1 MiB a corpus file may"},
		{"entry linked to a device", "policies/zero.yaml", func(t *testing.T, dir, file string) {
			os.Symlink("/dev/zero", file)
		}, "a symbolic link that leads out of the corpus directory"},
		{"entry is a named pipe", "policies/pipe.yaml", func(t *testing.T, dir, file string) {
			mkfifo(t, file)
		}, "a named pipe, not a regular file"},
		{"places is a named pipe", "places.yaml", func(t *testing.T, dir, file string) {
			os.Remove(file)
			mkfifo(t, file)
		}, "a named pipe, not a regular file"},
		{"entry is a directory", "policies/dir.yaml", func(t *testing.T, dir, file string) {
			os.Mkdir(file, 0o755)
		}, "a directory, not a regular file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeCorpus(t)
			file := filepath.Join(dir, filepath.FromSlash(tt.file))
			tt.setup(t, dir, file)
			_, err := loadWithin(t, Dir(dir))
			got := problemLines(err)
			var ce *CheckError
			if !errors.As(err, &ce) {
				t.Fatalf("Load = %v, want problems", err)
			}
			if want := file + ":1: " + tt.want; !strings.Contains(got, want) {
				t.Errorf("problems:\n%s\nwant one containing %q", got, want)
			}
			if strings.Contains(got, secret) {
				t.Errorf("a problem quotes a file outside the corpus:\n%s", got)
			}
		})
	}
	t.Run("entry linked inside", func(t *testing.T) {
		dir := writeCorpus(t)
		if err := os.Symlink("laonian-jintie.yaml", filepath.Join(dir, PoliciesDir, "alias.yaml")); err != nil {
			t.Fatal(err)
		}
		c, err := loadWithin(t, Dir(dir))
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := c.Get("alias"); !ok || len(c.Policies) != 2 {
			t.Errorf("entries = %d, want the linked one too", len(c.Policies))
		}
	})
}

// TestDirRefusesEntriesLinkedOutside makes the entries' directory a link
// to a directory outside: loading says so, and reads nothing there.
func TestDirRefusesEntriesLinkedOutside(t *testing.T) {
	outside := t.TempDir()
	writeFile(t, filepath.Join(outside, "secret.yaml"), strings.Replace(goodEntry, "category: 养老服务", "category: "+secret, 1))
	dir := writeCorpus(t)
	if err := os.RemoveAll(filepath.Join(dir, PoliciesDir)); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, PoliciesDir)); err != nil {
		t.Fatal(err)
	}
	_, err := loadWithin(t, Dir(dir))
	got := problemLines(err)
	if !strings.Contains(got, "policies is a symbolic link that leads out of the corpus directory") || strings.Contains(got, secret) {
		t.Errorf("Load = %s\nwant an error saying policies leads out, quoting nothing there", got)
	}
}

// TestDirLimits gives a corpus directory a file over MaxFileBytes, and
// files that together hold more than MaxDirBytes: each is a problem at the
// file, found without reading what is too much.
func TestDirLimits(t *testing.T) {
	t.Run("a file too large", func(t *testing.T) {
		dir := writeCorpus(t)
		big := filepath.Join(dir, PoliciesDir, "big.yaml")
		writeFile(t, big, "# "+strings.Repeat("x", MaxFileBytes-2)+"\n")
		_, err := loadWithin(t, Dir(dir))
		if want := big + ":1: the file holds 1048577 bytes, more than the 1 MiB a corpus file may"; !strings.Contains(problemLines(err), want) {
			t.Errorf("Load = %s\nwant a problem %q", problemLines(err), want)
		}
	})
	t.Run("a file far too large is not read", func(t *testing.T) {
		dir := writeCorpus(t)
		big := filepath.Join(dir, PoliciesDir, "big.yaml")
		if err := os.WriteFile(big, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Truncate(big, 60<<20); err != nil {
			t.Fatal(err)
		}
		var err error
		if n := allocated(func() { _, err = loadWithin(t, Dir(dir)) }); n > 8<<20 {
			t.Errorf("loading allocated %d bytes for a 60 MiB file", n)
		}
		if want := big + ":1: the file holds 62914560 bytes, more than the 1 MiB"; !strings.Contains(problemLines(err), want) {
			t.Errorf("Load = %s\nwant a problem %q", problemLines(err), want)
		}
	})
	t.Run("a directory too large", func(t *testing.T) {
		dir := writeCorpus(t)
		// Files of the largest size allowed, sparse so that they take no
		// room: together with the two others they hold more than allowed.
		var last string
		for i := range MaxDirBytes / MaxFileBytes {
			last = filepath.Join(dir, PoliciesDir, fmt.Sprintf("zz-fill-%02d.yaml", i))
			if err := os.WriteFile(last, nil, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Truncate(last, MaxFileBytes); err != nil {
				t.Fatal(err)
			}
		}
		var err error
		if n := allocated(func() { _, err = loadWithin(t, Dir(dir)) }); n > 8<<20 {
			t.Errorf("loading allocated %d bytes", n)
		}
		got := problemLines(err)
		if want := last + ":1: with this file the corpus directory holds more than the 64 MiB it may"; !strings.Contains(got, want) {
			t.Errorf("Load = %s\nwant a problem %q", got, want)
		}
		if strings.Contains(got, "zz-fill-00.yaml") {
			t.Errorf("files were read after all:\n%s", got)
		}
	})
}

// TestJSONLRefusesWhatIsNotARegularFile gives a device and a named pipe as
// a JSONL corpus: both are refused, quickly; a symbolic link to a regular
// file is read.
func TestJSONLRefusesWhatIsNotARegularFile(t *testing.T) {
	pipe := filepath.Join(t.TempDir(), "corpus.jsonl")
	mkfifo(t, pipe)
	for path, want := range map[string]string{"/dev/zero": "/dev/zero is a device", pipe: pipe + " is a named pipe"} {
		if _, err := Open(path); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Open(%s) = %v, want an error saying %q", path, err, want)
		}
		if _, err := loadWithin(t, JSONL(path)); err == nil || !strings.Contains(err.Error(), want+", not a regular file") {
			t.Errorf("loading %s = %v, want an error saying %q", path, err, want)
		}
	}

	emb, err := Embedded().Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	target := filepath.Join(dir, "target.jsonl")
	f, err := os.Create(target)
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteJSONL(f, emb); err != nil {
		t.Fatal(err)
	}
	f.Close()
	link := filepath.Join(dir, "link.jsonl")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	src, err := Open(link)
	if err != nil {
		t.Fatal(err)
	}
	if c, err := loadWithin(t, src); err != nil || len(c.Policies) != len(emb.Policies) {
		t.Errorf("loading through a link: %v", err)
	}
}

// TestJSONLLimits gives a JSONL corpus a line over MaxLineBytes and a size
// over MaxJSONLBytes: each is a problem at its line.
func TestJSONLLimits(t *testing.T) {
	emb, err := Embedded().Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var two strings.Builder
	if err := WriteJSONL(&two, NewCorpus(emb.Policies[:2], "")); err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(two.String(), "\n")

	t.Run("a line too long", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "long.jsonl")
		long := `{"id":"long","title":"` + strings.Repeat("长", MaxLineBytes/3) + `"}` + "\n"
		writeFile(t, path, lines[0]+long+lines[1])
		_, err := loadWithin(t, JSONL(path))
		var ce *CheckError
		if !errors.As(err, &ce) || len(ce.Problems) != 1 {
			t.Fatalf("Load = %s\nwant one problem", problemLines(err))
		}
		if got, want := ce.Problems[0].String(), path+":2: the line is longer than the 1 MiB a line may hold"; got != want {
			t.Errorf("problem %q, want %q", got, want)
		}
	})
	t.Run("a file too large", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "big.jsonl")
		if err := os.WriteFile(path, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Truncate(path, MaxJSONLBytes+1); err != nil {
			t.Fatal(err)
		}
		var err error
		if n := allocated(func() { _, err = loadWithin(t, JSONL(path)) }); n > 8<<20 {
			t.Errorf("loading allocated %d bytes", n)
		}
		if want := path + ":1: the file holds 1073741825 bytes, more than the 1 GiB a JSONL corpus may"; !strings.Contains(problemLines(err), want) {
			t.Errorf("Load = %s\nwant a problem %q", problemLines(err), want)
		}
	})
	t.Run("a stream past the limit", func(t *testing.T) {
		// Two entries, then one line that goes on past the limit: there
		// reading stops, with memory to spare.
		r := io.MultiReader(strings.NewReader(lines[0]+lines[1]), &spaces{left: MaxJSONLBytes + 64<<20})
		var ps []*Policy
		var probs Problems
		var err error
		n := allocated(func() {
			var file JSONLFile
			file, probs, err = ReadJSONLEntries(context.Background(), "stream", r)
			ps = file.Policies
		})
		if err != nil {
			t.Fatal(err)
		}
		if n > 16<<20 {
			t.Errorf("reading allocated %d bytes", n)
		}
		want := "stream:3: the file goes on past the 1 GiB a JSONL corpus may hold"
		if len(ps) != 2 || len(probs) != 1 || probs[0].String() != want {
			t.Errorf("%d entries, problems %v; want 2 entries and %q", len(ps), probs, want)
		}
	})
}

// TestReadJSONLEntriesEndsWithItsContext cancels reading a long line.
func TestReadJSONLEntriesEndsWithItsContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, _, err := ReadJSONLEntries(ctx, "stream", &spaces{left: MaxJSONLBytes})
		done <- err
	}()
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("ReadJSONLEntries = %v, want context.Canceled", err)
		}
	case <-time.After(loadWait):
		t.Fatalf("reading did not end within %s of its context", loadWait)
	}
}

// spaces reads as a line of left spaces.
type spaces struct{ left int64 }

var block = []byte(strings.Repeat(" ", 64<<10))

func (s *spaces) Read(p []byte) (int, error) {
	if s.left == 0 {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), s.left)]
	n := 0
	for n < len(p) {
		n += copy(p[n:], block)
	}
	s.left -= int64(n)
	return n, nil
}
