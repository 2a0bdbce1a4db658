package index

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"yicha/corpus"
)

// TestUpdateAfterACrash: an update whose batch reached the index but whose
// manifest was never written (a crash between the two) is rolled forward
// when the index is next opened: the manifest names the update, and the
// corpus served is the updated one. Without the update's file, the index
// is not served.
func TestUpdateAfterACrash(t *testing.T) {
	for _, lost := range []bool{false, true} {
		dir := t.TempDir()
		s, err := OpenStore(dir)
		if err != nil {
			t.Fatal(err)
		}
		old := embeddedCorpus(t)
		old.Policies = old.Policies[:10]
		old = corpus.NewCorpus(old.Policies, "old")
		idx, m, err := s.Build(context.Background(), old, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Activate(m); err != nil {
			t.Fatal(err)
		}
		p := *old.Policies[0]
		p.Title = "更新后的标题"
		ch := corpus.Changes{Changed: []*corpus.Policy{&p}, Deleted: []string{old.Policies[9].ID}}
		next := old.Apply(ch, "next", 2)
		pu, err := s.Update(idx, old, next, ch)
		if err != nil {
			t.Fatal(err)
		}
		if err := pu.Apply(); err != nil {
			t.Fatal(err)
		}
		idx.Close() // the crash: the manifest still names the corpus before
		if lost {
			os.Remove(filepath.Join(dir, m.Dir, pu.Manifest.Updates[0].File))
		}

		idx, c, m2, err := s.Active()
		if lost {
			if err == nil || idx != nil {
				t.Errorf("with the update's file lost, Active = %v, %v; want an error", idx, err)
			}
			s.Close()
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if m2.Fingerprint != "next" || m2.CorpusVersion != 2 || m2.Docs != 9 || len(m2.Updates) != 1 || m2.Dir != m.Dir {
			t.Errorf("manifest after the roll forward: %+v", m2)
		}
		if got, ok := c.Get(p.ID); !ok || got.Title != p.Title || len(c.Policies) != 9 || c.Fingerprint != "next" {
			t.Errorf("corpus after the roll forward: %d entries, %s, %+v", len(c.Policies), c.Fingerprint, got)
		}
		if onDisk, _ := s.Manifest(); onDisk.Fingerprint != "next" {
			t.Errorf("the manifest on disk names %s", onDisk.Fingerprint)
		}
		idx.Close()
		s.Close()
	}
}
