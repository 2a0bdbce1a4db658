// Package entrystore keeps the corpus as admins edit it: every entry with
// its published versions (who, when, why), an open draft and its review,
// the site's supporting files (places, documents, referrals), and an audit
// log of what admins did. Two backends pass one suite: files under the data
// directory (Files) and PostgreSQL (Postgres).
//
// An entry's body is its YAML file, exactly as corpus/FORMAT.md describes
// it: what `yicha corpus export` writes back and `yicha check` reads. The
// published corpus is the supporting files and every published entry not
// retired, loaded with the same checks as a corpus directory.
package entrystore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"yicha/corpus"
)

// Actions that change an entry; each is recorded in the audit log with
// the change, atomically.
const (
	ActionSeed     = "seed"
	ActionSave     = "save"
	ActionReview   = "review"
	ActionPublish  = "publish"
	ActionRollback = "rollback"
	ActionRetire   = "retire"
)

// Statuses of an entry.
const (
	// StatusDraft is an entry never published: it has a draft only.
	StatusDraft     = "draft"
	StatusPublished = "published"
	// StatusRetired is an entry withdrawn from search; its history stays.
	StatusRetired = "retired"
)

// Errors of the store; handlers map them to statuses.
var (
	ErrNotFound = errors.New("no such entry")
	// ErrConflict is wrapped by *ConflictError.
	ErrConflict = errors.New("the entry has changed since it was read")
	ErrNoDraft  = errors.New("the entry has no draft")
	ErrInvalid  = errors.New("invalid")
	ErrSeeded   = errors.New("the store already holds entries")
)

// Limits on what the store takes.
const (
	// MaxBody is the most an entry's YAML may hold, as a corpus file.
	MaxBody = corpus.MaxFileBytes
	// MaxNote bounds a note on a change, in characters.
	MaxNote = 500
	// Prefix starts the file names problems of the store's corpus carry:
	// store/policies/ID.yaml.
	Prefix = "store"
)

// Version is one published version of an entry.
type Version struct {
	Number int       `json:"version"`
	Action string    `json:"action"` // seed, publish, rollback or retire
	Author string    `json:"author"`
	At     time.Time `json:"at"`
	Note   string    `json:"note,omitempty"`
	// From is the version a rollback restored.
	From int    `json:"from,omitempty"`
	Body []byte `json:"-"`
}

// Retired reports whether this version withdrew the entry.
func (v *Version) Retired() bool { return v.Action == ActionRetire }

// Draft is an entry's open draft: the next version, being edited.
type Draft struct {
	// Rev counts the saves of the entry's drafts; it never repeats, so a
	// client holding an older draft is told it is stale.
	Rev int `json:"rev"`
	// Base is the published version the draft started from (0: new entry).
	Base   int       `json:"base"`
	Author string    `json:"author"`
	At     time.Time `json:"at"`
	Note   string    `json:"note,omitempty"`
	Review *Review   `json:"review,omitempty"`
	Body   []byte    `json:"-"`
}

// Review is a request to review a draft.
type Review struct {
	By   string    `json:"by"`
	At   time.Time `json:"at"`
	Note string    `json:"note,omitempty"`
}

// Entry is one entry: its published versions, oldest first, and its draft.
type Entry struct {
	ID       string
	Versions []Version
	Draft    *Draft
	// Revs is the last draft revision given out.
	Revs int
}

// Current returns the latest published version, nil for a new entry.
func (e *Entry) Current() *Version {
	if len(e.Versions) == 0 {
		return nil
	}
	return &e.Versions[len(e.Versions)-1]
}

// Status is draft, published or retired.
func (e *Entry) Status() string {
	switch v := e.Current(); {
	case v == nil:
		return StatusDraft
	case v.Retired():
		return StatusRetired
	}
	return StatusPublished
}

// Version returns a published version by number.
func (e *Entry) Version(n int) (*Version, bool) {
	if n < 1 || n > len(e.Versions) {
		return nil, false
	}
	return &e.Versions[n-1], true
}

// clone copies the entry (bodies are never changed in place).
func (e *Entry) clone() *Entry {
	c := *e
	c.Versions = slices.Clone(e.Versions)
	if e.Draft != nil {
		d := *e.Draft
		if d.Review != nil {
			r := *d.Review
			d.Review = &r
		}
		c.Draft = &d
	}
	return &c
}

// Expect is what a change was based on: the published version and the
// draft revision the admin saw (0 for none). A change based on anything
// else is refused with a *ConflictError.
type Expect struct {
	Version int `json:"version"`
	Draft   int `json:"draft"`
}

// ConflictError says a change was based on a stale read; Current is the
// entry as it is now.
type ConflictError struct {
	Expect  Expect
	Current *Entry
	Reason  string
}

func (e *ConflictError) Error() string { return fmt.Sprintf("%v: %s", ErrConflict, e.Reason) }
func (e *ConflictError) Unwrap() error { return ErrConflict }

// check refuses a change based on a stale read of e.
func (exp Expect) check(e *Entry) error {
	v, d := 0, 0
	if cur := e.Current(); cur != nil {
		v = cur.Number
	}
	if e.Draft != nil {
		d = e.Draft.Rev
	}
	if exp.Version != v || exp.Draft != d {
		return &ConflictError{Expect: exp, Current: e.clone(),
			Reason: fmt.Sprintf("based on version %d and draft %d, but the entry is at version %d and draft %d", exp.Version, exp.Draft, v, d)}
	}
	return nil
}

// Change says who makes a change, when, and why.
type Change struct {
	Author string
	At     time.Time
	Note   string
}

func (c Change) valid() error {
	if strings.TrimSpace(c.Author) == "" {
		return fmt.Errorf("%w: a change needs its author", ErrInvalid)
	}
	if c.At.IsZero() {
		return fmt.Errorf("%w: a change needs its time", ErrInvalid)
	}
	if n := len([]rune(c.Note)); n > MaxNote {
		return fmt.Errorf("%w: the note is %d characters long (at most %d)", ErrInvalid, n, MaxNote)
	}
	return nil
}

// AuditRecord is one admin action.
type AuditRecord struct {
	Seq    int64     `json:"seq"`
	At     time.Time `json:"at"`
	Admin  string    `json:"admin"`
	Action string    `json:"action"`
	// Entry and Version name what an entry's change touched.
	Entry   string `json:"entry,omitempty"`
	Version int    `json:"version,omitempty"`
	// Detail is the note, or what else the action concerned.
	Detail string `json:"detail,omitempty"`
}

// MaxAuditList is the most records one Audit call returns.
const MaxAuditList = 10000

// AuditQuery selects audit records: newest first, at most Limit (1 to
// MaxAuditList), older than Before when it is set.
type AuditQuery struct {
	Limit  int
	Before int64
	Entry  string
}

// Check validates the corpus a publish, rollback or retire would serve:
// it returns the loaded corpus, or an error (a *corpus.CheckError for
// problems) that leaves the store unchanged.
type Check func(ctx context.Context, s *Snapshot) (*corpus.Corpus, error)

// Store is where entries live. Every change is one atomic step that also
// records its audit line; a change based on a stale read is refused.
type Store interface {
	// Seed fills an empty store: the supporting files and the entries,
	// each published as version 1 by author; ErrSeeded if it holds any.
	Seed(ctx context.Context, s *Snapshot, by Change) error
	// Empty reports whether the store holds no entry.
	Empty(ctx context.Context) (bool, error)
	// Snapshot returns the published corpus's files.
	Snapshot(ctx context.Context) (*Snapshot, error)
	// List returns every entry, by id, with its current and draft bodies.
	List(ctx context.Context) ([]*Entry, error)
	// Get returns one entry with every version.
	Get(ctx context.Context, id string) (*Entry, error)
	// SaveDraft stores body as the entry's draft (a new entry if id is
	// not known and exp is zero).
	SaveDraft(ctx context.Context, id string, body []byte, exp Expect, by Change) (*Entry, error)
	// RequestReview marks the draft as waiting for review.
	RequestReview(ctx context.Context, id string, exp Expect, by Change) (*Entry, error)
	// Publish makes the draft the next version; check sees the corpus.
	Publish(ctx context.Context, id string, exp Expect, by Change, check Check) (*Entry, error)
	// Rollback publishes an old version's body as the next version.
	Rollback(ctx context.Context, id string, to int, exp Expect, by Change, check Check) (*Entry, error)
	// Retire withdraws the entry: a version that leaves search.
	Retire(ctx context.Context, id string, exp Expect, by Change, check Check) (*Entry, error)
	// AddDocument adds a document to the registry; check sees the corpus
	// with it (which, with PostgreSQL's PushCorpus, replicas then serve).
	AddDocument(ctx context.Context, doc *corpus.Document, by Change, check Check) error
	// PutSupport replaces (or adds) an editable supporting file
	// (EditableSupport): the places file or a site's file; check sees the
	// corpus with it, as AddDocument's does.
	PutSupport(ctx context.Context, name string, body []byte, by Change, check Check) error
	// Record adds an action that changes no entry to the audit log.
	Record(ctx context.Context, r AuditRecord) error
	// Audit lists the audit log, newest first.
	Audit(ctx context.Context, q AuditQuery) ([]AuditRecord, error)
	// String names the store for logs and status.
	String() string
	Close() error
}

// Snapshot is the files of a corpus: the supporting files (places.yaml,
// documents.yaml, referrals.yaml) and each entry's body by id.
type Snapshot struct {
	Support map[string][]byte
	Entries map[string][]byte
}

// SupportFiles are the supporting files a snapshot may hold, beside the
// sites' files (corpus.SiteFilePath).
var SupportFiles = []string{corpus.PlacesFile, corpus.DocumentsFile, corpus.ReferralsFile}

// IsSupportFile reports whether name is a supporting file: one of
// SupportFiles, a site's file or an entry's cases (cases/ID.yaml).
func IsSupportFile(name string) bool {
	if slices.Contains(SupportFiles, name) {
		return true
	}
	if _, ok := corpus.CasesIDOf(name); ok {
		return true
	}
	_, ok := corpus.SiteIDOf(name)
	return ok
}

// SupportNames returns the names of the snapshot's supporting files, in
// order.
func (s *Snapshot) SupportNames() []string {
	var names []string
	for name := range s.Support {
		if IsSupportFile(name) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

// IDs returns the entries' ids in order.
func (s *Snapshot) IDs() []string {
	ids := make([]string, 0, len(s.Entries))
	for id := range s.Entries {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// File names an entry's file in problems: store/policies/ID.yaml.
func File(id string) string { return Prefix + "/" + corpus.PoliciesDir + "/" + id + ".yaml" }

// Corpus loads the snapshot with the checks a corpus directory gets. Its
// fingerprint is the one the same files in a directory give, so a store
// seeded from a directory serves the index built from it.
func (s *Snapshot) Corpus(ctx context.Context) (*corpus.Corpus, error) {
	sum := sha256.New()
	places := map[string]corpus.Location{}
	var probs corpus.Problems
	data, ok := s.Support[corpus.PlacesFile]
	if !ok {
		return nil, fmt.Errorf("the store holds no %s", corpus.PlacesFile)
	}
	sum.Write(data)
	places, p := corpus.ParsePlaces(Prefix+"/"+corpus.PlacesFile, data)
	probs = append(probs, p...)
	docs := corpus.Documents{}
	if data, ok := s.Support[corpus.DocumentsFile]; ok {
		sum.Write([]byte(corpus.DocumentsFile))
		sum.Write(data)
		docs, p = corpus.ParseDocuments(Prefix+"/"+corpus.DocumentsFile, data)
		probs = append(probs, p...)
	}
	var siteList []*corpus.Site
	for _, name := range s.SupportNames() {
		id, ok := corpus.SiteIDOf(name)
		if !ok {
			continue
		}
		sum.Write([]byte(name))
		sum.Write(s.Support[name])
		site, p := corpus.ParseSite(Prefix+"/"+name, id, s.Support[name])
		probs = append(probs, p...)
		if site != nil {
			siteList = append(siteList, site)
		}
	}
	var ps []*corpus.Policy
	for _, id := range s.IDs() {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		name := corpus.PoliciesDir + "/" + id + ".yaml"
		sum.Write([]byte(name))
		sum.Write(s.Entries[id])
		pol, p := corpus.ParsePolicy(Prefix+"/"+name, id, s.Entries[id])
		probs = append(probs, p...)
		if pol != nil {
			ps = append(ps, pol)
		}
	}
	probs = append(probs, corpus.Check(ps, places, docs)...)
	// Without sites of its own, the built-in ones, with their places.
	sites, sitePlaces := corpus.BuiltinSites(), map[string]corpus.Location(nil)
	if len(siteList) > 0 {
		sites, sitePlaces = corpus.NewSites(siteList), places
	}
	probs = append(probs, corpus.CheckSites(sites, sitePlaces, ps)...)
	var routing *corpus.Routing
	if data, ok := s.Support[corpus.ReferralsFile]; ok {
		routing, p = corpus.ParseRouting(Prefix+"/"+corpus.ReferralsFile, data)
		probs = append(probs, p...)
	}
	if len(probs) > 0 {
		return nil, &corpus.CheckError{Problems: probs}
	}
	if len(ps) == 0 {
		return nil, errors.New("the store publishes no entry")
	}
	c := corpus.NewCorpus(ps, hex.EncodeToString(sum.Sum(nil))[:16])
	c.Documents = docs
	if len(siteList) > 0 {
		sites.Resolve(places)
		c.Sites = sites
	}
	if routing != nil {
		c.Routing = routing
	}
	return c, nil
}

// clone copies the maps (the bodies are shared: never changed in place).
func (s *Snapshot) clone() *Snapshot {
	out := &Snapshot{Support: map[string][]byte{}, Entries: map[string][]byte{}}
	for k, v := range s.Support {
		out.Support[k] = v
	}
	for k, v := range s.Entries {
		out.Entries[k] = v
	}
	return out
}

// apply returns the snapshot with an entry's published state changed: its
// body when published, nothing when retired.
func (s *Snapshot) apply(e *Entry) *Snapshot {
	out := s.clone()
	if v := e.Current(); v != nil && !v.Retired() {
		out.Entries[e.ID] = v.Body
	} else {
		delete(out.Entries, e.ID)
	}
	return out
}

// Source is the store's published corpus as a corpus.Source, for the
// index service to build from.
func Source(s Store) corpus.Source { return source{s} }

type source struct{ s Store }

func (src source) Load(ctx context.Context) (*corpus.Corpus, error) {
	snap, err := src.s.Snapshot(ctx)
	if err != nil {
		return nil, err
	}
	return snap.Corpus(ctx)
}

func (src source) String() string { return src.s.String() }

// validID checks an entry id: what a file name may be.
func validID(id string) error {
	if !corpus.ValidID(id) {
		return fmt.Errorf("%w: id %q must be lower-case letters, digits and '-' (at most %d)", ErrInvalid, id, corpus.MaxID)
	}
	return nil
}

// validBody bounds a body.
func validBody(body []byte) error {
	switch {
	case len(body) == 0:
		return fmt.Errorf("%w: an empty entry", ErrInvalid)
	case len(body) > MaxBody:
		return fmt.Errorf("%w: the entry holds %d bytes, more than the %d a corpus file may", ErrInvalid, len(body), MaxBody)
	}
	return nil
}

// Operations shared by the backends: each takes the entry as stored (nil
// when unknown) and returns it changed, with the audit record to keep.

func opSave(e *Entry, id string, body []byte, exp Expect, by Change) (*Entry, AuditRecord, error) {
	if err := validID(id); err != nil {
		return nil, AuditRecord{}, err
	}
	if err := validBody(body); err != nil {
		return nil, AuditRecord{}, err
	}
	if e == nil {
		if exp != (Expect{}) {
			return nil, AuditRecord{}, fmt.Errorf("%w: %s", ErrNotFound, id)
		}
		e = &Entry{ID: id}
	} else {
		e = e.clone()
	}
	if err := exp.check(e); err != nil {
		return nil, AuditRecord{}, err
	}
	base := 0
	if v := e.Current(); v != nil {
		base = v.Number
	}
	e.Revs++
	e.Draft = &Draft{Rev: e.Revs, Base: base, Author: by.Author, At: by.At, Note: by.Note, Body: body}
	return e, AuditRecord{At: by.At, Admin: by.Author, Action: ActionSave, Entry: id, Detail: by.Note}, nil
}

func opReview(e *Entry, exp Expect, by Change) (*Entry, AuditRecord, error) {
	if e == nil {
		return nil, AuditRecord{}, ErrNotFound
	}
	e = e.clone()
	if err := exp.check(e); err != nil {
		return nil, AuditRecord{}, err
	}
	if e.Draft == nil {
		return nil, AuditRecord{}, ErrNoDraft
	}
	e.Draft.Review = &Review{By: by.Author, At: by.At, Note: by.Note}
	return e, AuditRecord{At: by.At, Admin: by.Author, Action: ActionReview, Entry: e.ID, Detail: by.Note}, nil
}

// publishable returns e with a new version, from the draft (publish), an
// old version (rollback) or the current one (retire).
func opPublish(e *Entry, action string, to int, exp Expect, by Change) (*Entry, AuditRecord, error) {
	if e == nil {
		return nil, AuditRecord{}, ErrNotFound
	}
	e = e.clone()
	if err := exp.check(e); err != nil {
		return nil, AuditRecord{}, err
	}
	next := Version{Number: len(e.Versions) + 1, Action: action, Author: by.Author, At: by.At, Note: by.Note}
	cur := e.Current()
	switch action {
	case ActionPublish:
		if e.Draft == nil {
			return nil, AuditRecord{}, ErrNoDraft
		}
		if cur != nil && e.Draft.Base != cur.Number {
			return nil, AuditRecord{}, &ConflictError{Expect: exp, Current: e,
				Reason: fmt.Sprintf("the draft was started from version %d, but version %d has been published since: save it again first", e.Draft.Base, cur.Number)}
		}
		next.Body = e.Draft.Body
		e.Draft = nil
	case ActionRollback:
		old, ok := e.Version(to)
		if !ok {
			return nil, AuditRecord{}, fmt.Errorf("%w: entry %s has no version %d", ErrInvalid, e.ID, to)
		}
		next.Body, next.From = old.Body, to
	case ActionRetire:
		if cur == nil || cur.Retired() {
			return nil, AuditRecord{}, fmt.Errorf("%w: entry %s is not published", ErrInvalid, e.ID)
		}
		next.Body = cur.Body
	}
	e.Versions = append(e.Versions, next)
	detail := by.Note
	if action == ActionRollback {
		detail = strings.TrimSpace(fmt.Sprintf("restores version %d. %s", to, by.Note))
	}
	return e, AuditRecord{At: by.At, Admin: by.Author, Action: action, Entry: e.ID, Version: next.Number, Detail: detail}, nil
}

// validRecord checks a record given to Record.
func validRecord(r AuditRecord) error {
	switch {
	case strings.TrimSpace(r.Admin) == "" || strings.TrimSpace(r.Action) == "":
		return fmt.Errorf("%w: an audit record needs its admin and action", ErrInvalid)
	case r.At.IsZero():
		return fmt.Errorf("%w: an audit record needs its time", ErrInvalid)
	case len(r.Detail) > 4*MaxNote || len(r.Admin) > 200 || len(r.Action) > 40:
		return fmt.Errorf("%w: the audit record is too long", ErrInvalid)
	}
	return nil
}

// limit bounds a query's limit.
func (q AuditQuery) limit() int {
	if q.Limit <= 0 || q.Limit > MaxAuditList {
		return MaxAuditList
	}
	return q.Limit
}
