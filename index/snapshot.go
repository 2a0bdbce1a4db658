package index

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/blevesearch/bleve/v2"

	"yicha/corpus"
	"yicha/corpus/durable"
)

// Snapshots of an index are kept in a directory of their own (a volume
// the replicas share), one directory each: the index as bleve copies it
// online, the corpus files beside it, and its manifest. A replica with
// no index of its own restores the newest one of its mapping version and
// analysis instead of building (RestoreSnapshot), then catches up.
const (
	snapshotPrefix = "snap-"
	// KeepSnapshots is how many snapshots WriteSnapshot leaves.
	KeepSnapshots = 2
	snapshotIndex = "index"
)

// WriteSnapshot copies the active index idx, which m describes, and its
// corpus files into a new snapshot in dir, made whole before it takes its
// name, and removes all but the newest KeepSnapshots there. Nothing may
// change idx meanwhile. It returns the snapshot's path.
func (s *Store) WriteSnapshot(idx bleve.Index, m *Manifest, dir string) (string, error) {
	copyable, ok := idx.(bleve.IndexCopyable)
	if !ok {
		return "", fmt.Errorf("index of type %T cannot be copied", idx)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(dir, ".tmp-"+snapshotPrefix)
	if err != nil {
		return "", err
	}
	fail := func(err error) (string, error) {
		os.RemoveAll(tmp)
		return "", fmt.Errorf("snapshot: %w", err)
	}
	if err := copyable.CopyTo(bleve.FileSystemDirectory(filepath.Join(tmp, snapshotIndex))); err != nil {
		return fail(err)
	}
	for _, n := range corpusFiles(m) {
		if err := linkOrCopy(filepath.Join(s.dir, m.Dir, n), filepath.Join(tmp, snapshotIndex, n)); err != nil {
			return fail(err)
		}
	}
	if err := durable.SyncDir(filepath.Join(tmp, snapshotIndex)); err != nil {
		return fail(err)
	}
	sm := *m
	sm.Dir = snapshotIndex
	data, err := json.MarshalIndent(&sm, "", "  ")
	if err != nil {
		return fail(err)
	}
	if err := durable.Replace(tmp, manifestName, manifestName+".tmp-*", data, nil); err != nil {
		return fail(err)
	}
	path := filepath.Join(dir, fmt.Sprintf("%sv%d-%d", snapshotPrefix, m.CorpusVersion, time.Now().UnixNano()))
	if err := os.Rename(tmp, path); err != nil {
		return fail(err)
	}
	if err := durable.SyncDir(dir); err != nil {
		return path, err
	}
	snaps, err := listSnapshots(dir)
	if err != nil {
		return path, err
	}
	var errs []error
	for i, sn := range snaps {
		if i >= KeepSnapshots {
			errs = append(errs, os.RemoveAll(sn.path))
		}
	}
	return path, errors.Join(errs...)
}

// corpusFiles are the files beside the index of m holding its corpus.
func corpusFiles(m *Manifest) []string {
	files := []string{m.corpusFile()}
	for _, u := range m.Updates {
		files = append(files, u.File)
	}
	return files
}

type snapshotInfo struct {
	path string
	m    Manifest
}

// listSnapshots returns the snapshots in dir, newest corpus version
// first (then newest built or updated), skipping any it cannot read.
func listSnapshots(dir string) ([]snapshotInfo, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var snaps []snapshotInfo
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), snapshotPrefix) {
			continue
		}
		path := filepath.Join(dir, e.Name())
		data, err := os.ReadFile(filepath.Join(path, manifestName))
		if err != nil {
			continue
		}
		var m Manifest
		if json.Unmarshal(data, &m) != nil {
			continue
		}
		snaps = append(snaps, snapshotInfo{path, m})
	}
	changed := func(m Manifest) time.Time {
		if m.UpdatedAt.After(m.BuiltAt) {
			return m.UpdatedAt
		}
		return m.BuiltAt
	}
	slices.SortFunc(snaps, func(a, b snapshotInfo) int {
		return cmp.Or(cmp.Compare(b.m.CorpusVersion, a.m.CorpusVersion), changed(b.m).Compare(changed(a.m)))
	})
	return snaps, nil
}

// RestoreSnapshot restores the newest usable snapshot in dir built by
// this mapping version and analysis: it copies the snapshot into the data
// directory, makes it the active index and opens it with its corpus, as
// Active does. A snapshot that cannot be copied or opened (its corpus or
// a segment cut short or damaged) is logged, its copy removed and the
// manifest put back as it was, and the next older one is tried. It
// returns nils when there is none to restore, and an error naming why
// each one tried failed when none could be restored.
func (s *Store) RestoreSnapshot(dir string) (bleve.Index, *corpus.Corpus, *Manifest, error) {
	snaps, err := listSnapshots(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil, nil, nil
	}
	if err != nil {
		return nil, nil, nil, err
	}
	var errs []error
	for _, sn := range snaps {
		if sn.m.MappingVersion != MappingVersion || sn.m.Analysis != AnalysisFingerprint() {
			continue
		}
		idx, c, m, err := s.restore(sn)
		if err == nil {
			s.log().Info("restored an index snapshot", "snapshot", sn.path, "version", m.CorpusVersion, "docs", m.Docs)
			return idx, c, m, nil
		}
		err = fmt.Errorf("restore snapshot %s: %w", sn.path, err)
		s.log().Warn("passing over an index snapshot that cannot be served", "error", err)
		errs = append(errs, err)
	}
	return nil, nil, nil, errors.Join(errs...)
}

// restore copies the snapshot sn into the data directory, makes it the
// active index and opens it. On failure it leaves the data directory as
// it found it: the copy removed, the manifest as it was.
func (s *Store) restore(sn snapshotInfo) (bleve.Index, *corpus.Corpus, *Manifest, error) {
	prev, err := os.ReadFile(filepath.Join(s.dir, manifestName))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, nil, nil, err
	}
	name := fmt.Sprintf("%s%d", indexPrefix, time.Now().UnixNano())
	dst := filepath.Join(s.dir, name)
	undo := func(err error) (bleve.Index, *corpus.Corpus, *Manifest, error) {
		errs := []error{err, os.RemoveAll(dst)}
		if prev == nil {
			if rm := os.Remove(filepath.Join(s.dir, manifestName)); !errors.Is(rm, os.ErrNotExist) {
				errs = append(errs, rm)
			}
		} else {
			errs = append(errs, s.replaceManifest(prev))
		}
		return nil, nil, nil, errors.Join(errs...)
	}
	if err := copyTree(filepath.Join(sn.path, snapshotIndex), dst, corpusFiles(&sn.m)); err != nil {
		return undo(err)
	}
	m := sn.m
	m.Dir = name
	if err := s.Activate(&m); err != nil {
		return undo(err)
	}
	idx, c, active, err := s.Active()
	if err == nil && idx == nil {
		err = errors.New("the restored index is not served by this version")
	}
	if err != nil {
		return undo(err)
	}
	return idx, c, active, nil
}

// copyTree copies the files under src to dst, each synced, and syncs the
// directories. Files never changed once written — index segments (.zap
// files) and the corpus files named — are hard links when both are on
// one file system.
func copyTree(src, dst string, corpusFiles []string) error {
	var dirs []string
	err := filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		if d.IsDir() {
			dirs = append(dirs, filepath.Join(dst, rel))
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		if strings.HasSuffix(path, ".zap") || slices.Contains(corpusFiles, rel) {
			return linkOrCopy(path, filepath.Join(dst, rel))
		}
		return copyFile(path, filepath.Join(dst, rel))
	})
	for _, d := range dirs {
		if err == nil {
			err = durable.SyncDir(d)
		}
	}
	return err
}

// linkOrCopy makes dst a hard link of src, or a copy when they are on two
// file systems. Only files never changed once written may be linked: the
// index's and its snapshots' (writeCorpus removes a file before writing
// one of its name).
func linkOrCopy(src, dst string) error {
	if os.Link(src, dst) == nil {
		return nil
	}
	return copyFile(src, dst)
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	return durable.Create(dst, func(w io.Writer) error {
		_, err := io.Copy(w, in)
		return err
	})
}
