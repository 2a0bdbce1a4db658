package live

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"yicha/corpus"
	"yicha/corpus/corpustest"
	"yicha/index"
)

// reindexWait bounds how long a reindex may take in these tests: it is
// never a wait that passes, only one that fails.
const reindexWait = 20 * time.Second

// openTestService serves src from a fresh data directory, giving loading
// the corpus the deadline loadTimeout.
func openTestService(t *testing.T, src corpus.Source, loadTimeout time.Duration) *Service {
	t.Helper()
	store, err := index.OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	svc, err := OpenService(context.Background(), store, src, ServiceOptions{
		Log:         slog.New(slog.NewTextHandler(io.Discard, nil)),
		Now:         corpustest.Pinned(t).Now,
		LoadTimeout: loadTimeout,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	return svc
}

// reindexWithin reindexes and waits for the new index, failing the test
// if the reindex does not end in time.
func reindexWithin(t *testing.T, svc *Service) error {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		_, err := svc.Reindex(context.Background(), true)
		done <- err
	}()
	select {
	case err := <-done:
		return err
	case <-time.After(reindexWait):
		t.Fatalf("the reindex did not end within %s; status %+v", reindexWait, svc.Status())
		return nil
	}
}

// TestReindexRefusesANamedPipe swaps an entry of a served corpus directory
// for a named pipe: the reindex ends with the problem, the status says so,
// and once the file is back the next reindex runs.
func TestReindexRefusesANamedPipe(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, corpus.PoliciesDir), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{corpus.PlacesFile, corpus.DocumentsFile, "policies/dibao.yaml", "policies/gongzufang.yaml", "policies/falv-yuanzhu.yaml"} {
		data, err := os.ReadFile(filepath.Join("../../corpus", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	svc := openTestService(t, corpus.Dir(dir), 5*time.Second)

	entry := filepath.Join(dir, "policies", "dibao.yaml")
	saved, err := os.ReadFile(entry)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(entry); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(entry, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Lets go a reader that waits on the pipe, should there be one.
		if f, err := os.OpenFile(entry, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			f.Close()
		}
	})
	err = reindexWithin(t, svc)
	var ce *corpus.CheckError
	if !errors.As(err, &ce) || !strings.Contains(ce.Error(), entry+":1: a named pipe, not a regular file") {
		t.Fatalf("reindex over a named pipe = %v, want its problem", err)
	}
	if st := svc.Status(); st.Building || len(st.Problems) == 0 || st.LastError == "" {
		t.Errorf("status after the refused reindex: %+v", st)
	}

	if err := os.Remove(entry); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(entry, saved, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := reindexWithin(t, svc); err != nil {
		t.Fatalf("the next reindex = %v", err)
	}
	if st := svc.Status(); st.Reindexes != 1 || st.Docs != 3 {
		t.Errorf("status after the next reindex: %+v", st)
	}
}

// stuckSource is a source whose Load, while stuck, waits until released
// and takes no notice of its context: a read stuck in the kernel.
type stuckSource struct {
	corpus.Source
	mu      sync.Mutex
	stuck   bool
	release chan struct{}
}

func (s *stuckSource) Load(ctx context.Context) (*corpus.Corpus, error) {
	s.mu.Lock()
	stuck := s.stuck
	s.mu.Unlock()
	if stuck {
		<-s.release
	}
	return s.Source.Load(ctx)
}

func (s *stuckSource) setStuck(stuck bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stuck = stuck
}

// TestReindexGivesUpOnAStuckLoad reindexes from a source whose loading
// hangs: past the load deadline the reindex ends with ErrLoadTimeout, the
// status says so, and the next reindex is not refused as busy.
func TestReindexGivesUpOnAStuckLoad(t *testing.T) {
	full, err := corpus.Embedded().Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	src := &stuckSource{Source: corpus.Fixed(corpus.NewCorpus(full.Policies[:5], "five")), release: make(chan struct{})}
	t.Cleanup(func() { close(src.release) })
	svc := openTestService(t, src, 200*time.Millisecond)

	src.setStuck(true)
	if err := reindexWithin(t, svc); !errors.Is(err, ErrLoadTimeout) {
		t.Fatalf("reindex of a stuck source = %v, want ErrLoadTimeout", err)
	}
	if st := svc.Status(); st.Building || !strings.Contains(st.LastError, ErrLoadTimeout.Error()) {
		t.Errorf("status after the stuck reindex: %+v", st)
	}

	src.setStuck(false)
	if err := reindexWithin(t, svc); err != nil {
		t.Fatalf("the next reindex = %v", err)
	}
	if st := svc.Status(); st.Reindexes != 1 || st.Building {
		t.Errorf("status after the next reindex: %+v", st)
	}
}
