package entrystore

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"

	"gopkg.in/yaml.v3"

	"yicha/corpus"
)

// SnapshotOf reads the files a store is seeded with from a corpus source.
// A corpus directory (or the embedded corpus) gives its files as they are,
// comments and all, after loading them with every check; any other source
// (a JSONL export, a shared store's version) gives each entry written out
// as YAML, with its places inline, and the registry of documents it holds.
func SnapshotOf(ctx context.Context, src corpus.Source) (*Snapshot, error) {
	c, err := src.Load(ctx)
	if err != nil {
		return nil, err
	}
	if ds, ok := src.(*corpus.DirSource); ok {
		fsys := ds.FS
		if ds.Root != "" {
			root, err := os.OpenRoot(ds.Root)
			if err != nil {
				return nil, err
			}
			defer root.Close()
			fsys = root.FS()
		}
		return snapshotOfFS(fsys, c)
	}
	snap := &Snapshot{Support: map[string][]byte{}, Entries: map[string][]byte{}}
	emb, ok := corpus.Embedded().(*corpus.DirSource)
	if !ok {
		return nil, fmt.Errorf("the embedded corpus is not a directory")
	}
	for _, name := range []string{corpus.PlacesFile, corpus.ReferralsFile} {
		if snap.Support[name], err = fs.ReadFile(emb.FS, name); err != nil {
			return nil, err
		}
	}
	if len(c.Documents) > 0 {
		if snap.Support[corpus.DocumentsFile], err = yaml.Marshal(c.Documents); err != nil {
			return nil, err
		}
	}
	if c.Sites != corpus.BuiltinSites() {
		for _, site := range c.Sites.List {
			if snap.Support[corpus.SiteFilePath(site.ID)], err = yaml.Marshal(site); err != nil {
				return nil, err
			}
		}
	}
	for _, p := range c.Policies {
		cp := *p
		cp.Places = nil
		body, probs := Canonical(&cp)
		if len(probs) > 0 {
			return nil, &corpus.CheckError{Problems: probs}
		}
		snap.Entries[p.ID] = body
	}
	return snap, nil
}

// snapshotOfFS takes a corpus directory's files as they are.
func snapshotOfFS(fsys fs.FS, c *corpus.Corpus) (*Snapshot, error) {
	snap := &Snapshot{Support: map[string][]byte{}, Entries: map[string][]byte{}}
	for _, name := range SupportFiles {
		data, err := fs.ReadFile(fsys, name)
		if err == nil {
			snap.Support[name] = data
		} else if name == corpus.PlacesFile {
			return nil, err
		}
	}
	sites, err := fs.Glob(fsys, corpus.SitesDir+"/*/"+corpus.SiteFile)
	if err != nil {
		return nil, err
	}
	cases, err := fs.Glob(fsys, corpus.CasesDir+"/*.yaml")
	if err != nil {
		return nil, err
	}
	for _, name := range append(sites, cases...) {
		if snap.Support[name], err = fs.ReadFile(fsys, name); err != nil {
			return nil, err
		}
	}
	for _, p := range c.Policies {
		data, err := fs.ReadFile(fsys, path.Join(corpus.PoliciesDir, p.ID+".yaml"))
		if err != nil {
			return nil, err
		}
		snap.Entries[p.ID] = data
	}
	return snap, nil
}

// WriteDir writes a snapshot as a corpus directory: DIR/places.yaml,
// documents.yaml, referrals.yaml, the sites' files, cases/ID.yaml and
// policies/ID.yaml, which `yicha check
// --corpus DIR` reads. It refuses a directory that already holds a corpus.
func (s *Snapshot) WriteDir(dir string) error {
	if _, err := os.Stat(path.Join(dir, corpus.PoliciesDir)); err == nil {
		return fmt.Errorf("%s already holds a corpus (%s/): export to a new directory", dir, corpus.PoliciesDir)
	}
	if err := os.MkdirAll(path.Join(dir, corpus.PoliciesDir), 0o755); err != nil {
		return err
	}
	for _, name := range s.SupportNames() {
		if id, ok := corpus.CasesIDOf(name); ok && s.Entries[id] == nil {
			continue // a retired entry's: a directory holds only its entries' cases
		}
		if err := os.MkdirAll(path.Dir(path.Join(dir, name)), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path.Join(dir, name), s.Support[name], 0o644); err != nil {
			return err
		}
	}
	for id, data := range s.Entries {
		if err := validID(id); err != nil || strings.Contains(id, "/") {
			return fmt.Errorf("entry id %q cannot name a file", id)
		}
		if err := os.WriteFile(path.Join(dir, corpus.PoliciesDir, id+".yaml"), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}
