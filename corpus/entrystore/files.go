package entrystore

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"yicha/corpus"
	"yicha/corpus/durable"
)

// Files is the Store in a directory (under the data directory, which one
// process holds at a time). Each entry is one JSON file — its versions, its
// draft and the audit records of its changes — replaced whole by every
// change: written to a temporary file, synced, renamed over the old one and
// the directory synced, so a crash at any moment leaves the entry as it
// was or as it became, never half. Actions that change no entry are
// appended to audit.jsonl and synced; a line a crash cut short is dropped
// on opening. A supporting file's change is written ahead: its audit line,
// naming the file and the SHA-256 of what it is to hold, is synced before
// the file is replaced, so a change on disk always has its record, and
// opening finds a record whose change never reached the file (a crash, or
// a write that failed, between the two) and says so in a record of its
// own (ActionUnwritten). Seeding writes the whole store beside its place
// and renames it in.
//
//	DIR/support/places.yaml, documents.yaml, referrals.yaml, sites/ID/site.yaml, cases/ID.yaml
//	DIR/entries/ID.json
//	DIR/audit.jsonl
type Files struct {
	dir string

	mu      sync.Mutex
	entries map[string]*fileEntry
	support map[string][]byte
	audit   []AuditRecord // every record, in order of Seq
	seq     int64

	// beforeRename, when set (by tests), runs after a file is written and
	// synced and before it is renamed into place; an error stands for a
	// crash at that moment.
	beforeRename func(name string) error
}

var _ Store = (*Files)(nil)

// fileEntry is an entry as its file holds it.
type fileEntry struct {
	ID       string        `json:"id"`
	Revs     int           `json:"revs"`
	Versions []fileVersion `json:"versions"`
	Draft    *fileDraft    `json:"draft,omitempty"`
	Events   []AuditRecord `json:"events"`
}

type fileVersion struct {
	Version
	Body string `json:"body"`
}

type fileDraft struct {
	Draft
	Body string `json:"body"`
}

func (f *fileEntry) entry() *Entry {
	e := &Entry{ID: f.ID, Revs: f.Revs}
	for _, v := range f.Versions {
		ver := v.Version
		ver.Body = []byte(v.Body)
		e.Versions = append(e.Versions, ver)
	}
	if f.Draft != nil {
		d := f.Draft.Draft
		d.Body = []byte(f.Draft.Body)
		e.Draft = &d
	}
	return e
}

func toFile(e *Entry, events []AuditRecord) *fileEntry {
	f := &fileEntry{ID: e.ID, Revs: e.Revs, Events: events}
	for _, v := range e.Versions {
		v.At = utc(v.At)
		f.Versions = append(f.Versions, fileVersion{Version: v, Body: string(v.Body)})
	}
	if e.Draft != nil {
		d := *e.Draft
		d.At = utc(d.At)
		if d.Review != nil {
			r := *d.Review
			r.At = utc(r.At)
			d.Review = &r
		}
		f.Draft = &fileDraft{Draft: d, Body: string(d.Body)}
	}
	return f
}

// auditLine is a line of audit.jsonl: a record and, for a supporting
// file's change, the file and the SHA-256 of the content it was to hold
// (of the content it holds, for ActionUnwritten).
type auditLine struct {
	AuditRecord
	File string `json:"file,omitempty"`
	Sum  string `json:"sum,omitempty"`
}

// ActionUnwritten records, on opening the store, that a supporting file's
// change whose audit line was written never reached the file: the file
// holds what it held before.
const ActionUnwritten = "unwritten"

// unwrittenBy is the admin ActionUnwritten records name.
const unwrittenBy = "系统"

// sum is the SHA-256 of data, in hex.
func sum(data []byte) string {
	h := sha256.Sum256(data)
	return hex.EncodeToString(h[:])
}

const (
	entriesDir  = "entries"
	supportDir  = "support"
	auditFile   = "audit.jsonl"
	tempPattern = ".tmp-*"
)

// OpenFiles opens the store in dir (created when seeded or first written),
// removing what an interrupted write left.
func OpenFiles(dir string) (*Files, error) {
	s := &Files{dir: dir, entries: map[string]*fileEntry{}, support: map[string][]byte{}}
	if err := os.RemoveAll(dir + ".seeding"); err != nil {
		return nil, err
	}
	if err := s.load(); err != nil {
		return nil, fmt.Errorf("entry store %s: %w", dir, err)
	}
	return s, nil
}

func (s *Files) load() error {
	names, err := os.ReadDir(filepath.Join(s.dir, entriesDir))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, d := range names {
		name := d.Name()
		path := filepath.Join(s.dir, entriesDir, name)
		if matched, _ := filepath.Match(tempPattern, name); matched {
			if err := os.Remove(path); err != nil {
				return err
			}
			continue
		}
		if !strings.HasSuffix(name, ".json") {
			continue
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		var f fileEntry
		if err := json.Unmarshal(data, &f); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		if f.ID+".json" != name {
			return fmt.Errorf("%s holds entry %q", path, f.ID)
		}
		s.entries[f.ID] = &f
		s.audit = append(s.audit, f.Events...)
	}
	sites, err := filepath.Glob(filepath.Join(s.dir, supportDir, corpus.SitesDir, "*", corpus.SiteFile))
	if err != nil {
		return err
	}
	cases, err := filepath.Glob(filepath.Join(s.dir, supportDir, corpus.CasesDir, "*.yaml"))
	if err != nil {
		return err
	}
	support := slices.Clone(SupportFiles)
	for _, p := range append(sites, cases...) {
		rel, err := filepath.Rel(filepath.Join(s.dir, supportDir), p)
		if err != nil {
			return err
		}
		support = append(support, filepath.ToSlash(rel))
	}
	for _, name := range support {
		data, err := os.ReadFile(filepath.Join(s.dir, supportDir, name))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		s.support[name] = data
	}
	lines, err := readAudit(filepath.Join(s.dir, auditFile))
	if err != nil {
		return err
	}
	last := map[string]auditLine{} // each supporting file's last written-ahead line
	for _, l := range lines {
		s.audit = append(s.audit, l.AuditRecord)
		if l.File != "" && l.Sum != "" {
			last[l.File] = l
		}
	}
	slices.SortFunc(s.audit, func(a, b AuditRecord) int { return int(a.Seq - b.Seq) })
	if n := len(s.audit); n > 0 {
		s.seq = s.audit[n-1].Seq
	}
	files := slices.Sorted(maps.Keys(last))
	for _, name := range files {
		l := last[name]
		if data, ok := s.support[name]; (ok && sum(data) == l.Sum) || (!ok && l.Sum == sum(nil)) {
			continue
		}
		if err := s.unwritten(name, l, time.Now()); err != nil {
			return err
		}
	}
	return nil
}

// unwritten records that the change l of the supporting file name never
// reached it, with the sum of what the file holds. It is called with the
// lock held, or before the store is shared.
func (s *Files) unwritten(name string, l auditLine, at time.Time) error {
	data := s.support[name]
	return s.appendAudit(auditLine{
		AuditRecord: AuditRecord{At: at, Admin: unwrittenBy, Action: ActionUnwritten,
			Detail: fmt.Sprintf("%s：第%d条记录的修改没有写入文件，文件仍是修改前的内容", name, l.Seq)},
		File: name, Sum: sum(data),
	})
}

// readAudit reads audit.jsonl, cutting off a last line a crash left short.
func readAudit(path string) ([]auditLine, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var recs []auditLine
	var good int64
	br := bufio.NewReader(f)
	for {
		line, err := br.ReadBytes('\n')
		if err == io.EOF {
			break // a line without its end: cut short
		}
		if err != nil {
			return nil, err
		}
		var r auditLine
		if json.Unmarshal(line, &r) != nil {
			break
		}
		recs = append(recs, r)
		good += int64(len(line))
	}
	if info, err := f.Stat(); err == nil && info.Size() > good {
		if err := f.Truncate(good); err != nil {
			return nil, err
		}
		if err := f.Sync(); err != nil {
			return nil, err
		}
	}
	return recs, nil
}

// String names the store.
func (s *Files) String() string { return "entry store " + s.dir }

// Close does nothing: every change is on disk when its call returns.
func (s *Files) Close() error { return nil }

// Empty reports whether the store holds no entry.
func (s *Files) Empty(context.Context) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.entries) == 0, nil
}

// Seed writes the whole store beside its place and renames it in.
func (s *Files) Seed(ctx context.Context, snap *Snapshot, by Change) error {
	if err := by.valid(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.entries) > 0 {
		return ErrSeeded
	}
	tmp := s.dir + ".seeding"
	if err := os.RemoveAll(tmp); err != nil {
		return err
	}
	entries := map[string]*fileEntry{}
	for _, dir := range []string{entriesDir, supportDir} {
		if err := os.MkdirAll(filepath.Join(tmp, dir), 0o755); err != nil {
			return err
		}
	}
	for _, name := range snap.SupportNames() {
		file := filepath.Join(tmp, supportDir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			return err
		}
		if err := writeSynced(file, snap.Support[name]); err != nil {
			return err
		}
		if dir := filepath.Dir(file); dir != filepath.Join(tmp, supportDir) {
			if err := durable.SyncDir(dir); err != nil {
				return err
			}
		}
	}
	for _, id := range snap.IDs() {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := validID(id); err != nil {
			return err
		}
		e := &Entry{ID: id, Versions: []Version{{Number: 1, Action: ActionSeed, Author: by.Author, At: by.At, Note: by.Note, Body: snap.Entries[id]}}}
		f := toFile(e, nil)
		data, err := json.Marshal(f)
		if err != nil {
			return err
		}
		if err := writeSynced(filepath.Join(tmp, entriesDir, id+".json"), data); err != nil {
			return err
		}
		entries[id] = f
	}
	rec := AuditRecord{Seq: s.seq + 1, At: utc(by.At), Admin: by.Author, Action: ActionSeed,
		Detail: strings.TrimSpace(fmt.Sprintf("%d entries. %s", len(snap.Entries), by.Note))}
	line, _ := json.Marshal(rec)
	if err := writeSynced(filepath.Join(tmp, auditFile), append(line, '\n')); err != nil {
		return err
	}
	for _, dir := range []string{entriesDir, supportDir, ""} {
		if err := durable.SyncDir(filepath.Join(tmp, dir)); err != nil {
			return err
		}
	}
	// An empty store may have a directory from an earlier write.
	if err := os.RemoveAll(s.dir); err != nil {
		return err
	}
	if err := os.Rename(tmp, s.dir); err != nil {
		return err
	}
	if err := durable.SyncDir(filepath.Dir(s.dir)); err != nil {
		return err
	}
	s.entries = entries
	s.support = map[string][]byte{}
	for k, v := range snap.Support {
		s.support[k] = v
	}
	s.seq++
	s.audit = append(s.audit, rec)
	return nil
}

// writeSynced writes a new file and syncs it.
func writeSynced(path string, data []byte) error {
	return durable.Create(path, func(w io.Writer) error { _, err := w.Write(data); return err })
}

// Snapshot returns the published corpus's files.
func (s *Files) Snapshot(context.Context) (*Snapshot, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.snapshot(), nil
}

func (s *Files) snapshot() *Snapshot {
	snap := &Snapshot{Support: map[string][]byte{}, Entries: map[string][]byte{}}
	for k, v := range s.support {
		snap.Support[k] = v
	}
	for id, f := range s.entries {
		if n := len(f.Versions); n > 0 && !f.Versions[n-1].Retired() {
			snap.Entries[id] = []byte(f.Versions[n-1].Body)
		}
	}
	return snap
}

// List returns every entry by id: its versions without the bodies of the
// older ones.
func (s *Files) List(context.Context) ([]*Entry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*Entry, 0, len(s.entries))
	for _, f := range s.entries {
		e := f.entry()
		for i := 0; i+1 < len(e.Versions); i++ {
			e.Versions[i].Body = nil
		}
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b *Entry) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// Get returns one entry with every version.
func (s *Files) Get(_ context.Context, id string) (*Entry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.entries[id]
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	return f.entry(), nil
}

// change applies op to an entry under the lock; with check, the corpus it
// would publish is checked first. The entry's file is replaced atomically
// with its new state and the audit record.
func (s *Files) change(ctx context.Context, id string, by Change, check Check, op func(e *Entry) (*Entry, AuditRecord, error)) (*Entry, error) {
	if err := by.valid(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var cur *Entry
	var events []AuditRecord
	if f, ok := s.entries[id]; ok {
		cur, events = f.entry(), f.Events
	}
	next, rec, err := op(cur)
	if err != nil {
		return nil, err
	}
	if check != nil {
		if _, err := check(ctx, s.snapshot().apply(next)); err != nil {
			return nil, err
		}
	}
	rec.Seq, rec.At = s.seq+1, utc(rec.At)
	f := toFile(next, append(slices.Clip(events), rec))
	data, err := json.Marshal(f)
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(s.dir, entriesDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	if err := s.replace(dir, id+".json", data); err != nil {
		return nil, fmt.Errorf("write entry %s: %w", id, err)
	}
	s.seq++
	s.entries[id] = f
	s.audit = append(s.audit, rec)
	return f.entry(), nil
}

// replace writes name in dir atomically: a temporary file, synced, renamed
// over it, the directory synced.
func (s *Files) replace(dir, name string, data []byte) error {
	var before func() error
	if s.beforeRename != nil {
		before = func() error { return s.beforeRename(name) }
	}
	return durable.Replace(dir, name, tempPattern, data, before)
}

// SaveDraft stores body as the entry's draft.
func (s *Files) SaveDraft(ctx context.Context, id string, body []byte, exp Expect, by Change) (*Entry, error) {
	return s.change(ctx, id, by, nil, func(e *Entry) (*Entry, AuditRecord, error) { return opSave(e, id, body, exp, by) })
}

// RequestReview marks the draft as waiting for review.
func (s *Files) RequestReview(ctx context.Context, id string, exp Expect, by Change) (*Entry, error) {
	return s.change(ctx, id, by, nil, func(e *Entry) (*Entry, AuditRecord, error) { return opReview(e, exp, by) })
}

// Publish makes the draft the next version.
func (s *Files) Publish(ctx context.Context, id string, exp Expect, by Change, check Check) (*Entry, error) {
	return s.change(ctx, id, by, check, func(e *Entry) (*Entry, AuditRecord, error) {
		return opPublish(e, ActionPublish, 0, exp, by)
	})
}

// Rollback publishes version to's body as the next version.
func (s *Files) Rollback(ctx context.Context, id string, to int, exp Expect, by Change, check Check) (*Entry, error) {
	return s.change(ctx, id, by, check, func(e *Entry) (*Entry, AuditRecord, error) {
		return opPublish(e, ActionRollback, to, exp, by)
	})
}

// Retire withdraws the entry from search.
func (s *Files) Retire(ctx context.Context, id string, exp Expect, by Change, check Check) (*Entry, error) {
	return s.change(ctx, id, by, check, func(e *Entry) (*Entry, AuditRecord, error) {
		return opPublish(e, ActionRetire, 0, exp, by)
	})
}

// AddDocument appends its audit record, then replaces the registry's
// file atomically with the document added (a crash between the two keeps
// the registry as it was, and opening records that).
func (s *Files) AddDocument(ctx context.Context, doc *corpus.Document, by Change, check Check) error {
	return s.putSupport(ctx, corpus.DocumentsFile, check, func(snap *Snapshot) (*Snapshot, AuditRecord, error) { return withDocument(snap, doc, by) })
}

// PutSupport appends its audit record, then replaces (or adds) an
// editable supporting file atomically.
func (s *Files) PutSupport(ctx context.Context, name string, body []byte, by Change, check Check) error {
	return s.putSupport(ctx, name, check, func(snap *Snapshot) (*Snapshot, AuditRecord, error) { return withSupport(snap, name, body, by) })
}

// putSupport writes the supporting file name as next makes it, once check
// accepts the corpus with it: its audit line first, then the file, under
// one hold of the lock.
func (s *Files) putSupport(ctx context.Context, name string, check Check, next func(*Snapshot) (*Snapshot, AuditRecord, error)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	snap, rec, err := next(s.snapshot())
	if err == nil && check != nil {
		_, err = check(ctx, snap)
	}
	if err == nil {
		err = validRecord(rec)
	}
	if err != nil {
		return err
	}
	file := filepath.Join(s.dir, supportDir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return err
	}
	data := snap.Support[name]
	line := auditLine{AuditRecord: rec, File: name, Sum: sum(data)}
	if err := s.appendAudit(line); err != nil {
		return err
	}
	line.Seq = s.seq
	if err := s.replace(filepath.Dir(file), filepath.Base(file), data); err != nil {
		err = fmt.Errorf("write %s: %w", name, err)
		// The file holds what it held: say so now (opening would).
		if uerr := s.unwritten(name, line, rec.At); uerr != nil {
			err = errors.Join(err, uerr)
		}
		return err
	}
	s.support[name] = data
	return nil
}

// Record appends an action that changes no entry to audit.jsonl, synced.
func (s *Files) Record(_ context.Context, r AuditRecord) error {
	if err := validRecord(r); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.appendAudit(auditLine{AuditRecord: r})
}

// appendAudit appends l, numbered next, to audit.jsonl and syncs it. It
// is called with the lock held, or before the store is shared.
func (s *Files) appendAudit(l auditLine) error {
	l.Seq, l.At = s.seq+1, utc(l.At)
	line, err := json.Marshal(l)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(filepath.Join(s.dir, auditFile), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(append(line, '\n')); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	s.seq++
	s.audit = append(s.audit, l.AuditRecord)
	return nil
}

// Audit lists the audit log, newest first.
func (s *Files) Audit(_ context.Context, q AuditQuery) ([]AuditRecord, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []AuditRecord
	for i := len(s.audit) - 1; i >= 0 && len(out) < q.limit(); i-- {
		r := s.audit[i]
		if (q.Before > 0 && r.Seq >= q.Before) || (q.Entry != "" && r.Entry != q.Entry) {
			continue
		}
		out = append(out, r)
	}
	return out, nil
}
