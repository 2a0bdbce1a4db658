// Package entrystoretest is the suite every entrystore.Store passes: the
// files under the data directory and PostgreSQL.
package entrystoretest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"yicha/corpus"
	"yicha/corpus/entrystore"
)

// Open returns a new, empty store, and a function that opens the same
// store anew (as a restart would); closing is Open's business (t.Cleanup).
type Open func(t *testing.T) (s entrystore.Store, reopen func() entrystore.Store)

var (
	ctx = context.Background()
	// t0 is a fixed moment, in microseconds, so every backend keeps it.
	t0 = time.Date(2026, 12, 2, 10, 0, 0, 123456000, time.UTC)
)

func at(minutes int) time.Time { return t0.Add(time.Duration(minutes) * time.Minute) }

// Seed returns the embedded corpus as a snapshot.
func Seed(t testing.TB) *entrystore.Snapshot {
	t.Helper()
	snap, err := entrystore.SnapshotOf(ctx, corpus.Embedded())
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

// loads is the check a server runs: the candidate corpus loads.
func loads(ctx context.Context, s *entrystore.Snapshot) (*corpus.Corpus, error) { return s.Corpus(ctx) }

// TestStore runs the suite.
func TestStore(t *testing.T, open Open) {
	for _, c := range []struct {
		name string
		run  func(t *testing.T, s entrystore.Store, reopen func() entrystore.Store)
	}{
		{"Seed", testSeed},
		{"DraftPublishHistory", testDraftPublishHistory},
		{"NewEntry", testNewEntry},
		{"Conflicts", testConflicts},
		{"CheckRefuses", testCheckRefuses},
		{"RollbackAndRetire", testRollbackAndRetire},
		{"Invalid", testInvalid},
		{"Audit", testAudit},
		{"ConcurrentSaves", testConcurrentSaves},
		{"AddDocument", testAddDocument},
		{"PutSupport", testPutSupport},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, reopen := open(t)
			c.run(t, s, reopen)
		})
	}
}

func seeded(t *testing.T, s entrystore.Store) *entrystore.Snapshot {
	t.Helper()
	snap := Seed(t)
	if err := s.Seed(ctx, snap, entrystore.Change{Author: "seed", At: at(0), Note: "从仓库语料导入"}); err != nil {
		t.Fatal(err)
	}
	return snap
}

func testSeed(t *testing.T, s entrystore.Store, reopen func() entrystore.Store) {
	if empty, err := s.Empty(ctx); err != nil || !empty {
		t.Fatalf("Empty = %v, %v on a new store", empty, err)
	}
	snap := seeded(t, s)
	emb, err := corpus.Embedded().Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range []entrystore.Store{s, reopen()} {
		got, err := st.Snapshot(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Entries) != len(snap.Entries) || len(got.Support) != len(snap.Support) {
			t.Fatalf("%d entries and %d files, want %d and %d", len(got.Entries), len(got.Support), len(snap.Entries), len(snap.Support))
		}
		for id, body := range snap.Entries {
			if !bytes.Equal(got.Entries[id], body) {
				t.Fatalf("entry %s changed on the way through the store", id)
			}
		}
		c, err := got.Corpus(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if c.Fingerprint != emb.Fingerprint || len(c.Policies) != len(emb.Policies) {
			t.Errorf("the seeded corpus has fingerprint %s and %d entries; the embedded one %s and %d", c.Fingerprint, len(c.Policies), emb.Fingerprint, len(emb.Policies))
		}
		e, err := st.Get(ctx, "dibao")
		if err != nil {
			t.Fatal(err)
		}
		if e.Status() != entrystore.StatusPublished || len(e.Versions) != 1 || e.Versions[0].Author != "seed" || !e.Versions[0].At.Equal(at(0)) {
			t.Errorf("seeded entry = %+v", e.Versions)
		}
	}
	if err := s.Seed(ctx, snap, entrystore.Change{Author: "seed", At: at(1)}); !errors.Is(err, entrystore.ErrSeeded) {
		t.Errorf("a second seed = %v, want ErrSeeded", err)
	}
	if empty, _ := s.Empty(ctx); empty {
		t.Error("Empty after seeding")
	}
}

// retitle returns a body with a new title.
func retitle(t *testing.T, body []byte, title string) []byte {
	t.Helper()
	lines := strings.SplitN(string(body), "\n", 2)
	if !strings.HasPrefix(lines[0], "title:") {
		t.Fatalf("the body does not start with its title: %q", lines[0])
	}
	return []byte("title: " + title + "\n" + lines[1])
}

func testDraftPublishHistory(t *testing.T, s entrystore.Store, reopen func() entrystore.Store) {
	snap := seeded(t, s)
	v1 := snap.Entries["dibao"]
	body := retitle(t, v1, "最低生活保障（低保）")
	e, err := s.SaveDraft(ctx, "dibao", body, entrystore.Expect{Version: 1}, entrystore.Change{Author: "王芳", At: at(1), Note: "标题加上俗称"})
	if err != nil {
		t.Fatal(err)
	}
	if e.Draft == nil || e.Draft.Rev != 1 || e.Draft.Base != 1 || e.Draft.Author != "王芳" || !bytes.Equal(e.Draft.Body, body) {
		t.Fatalf("draft = %+v", e.Draft)
	}
	// The draft is not published.
	if got, _ := s.Snapshot(ctx); !bytes.Equal(got.Entries["dibao"], v1) {
		t.Error("a draft changed the published corpus")
	}
	e, err = s.RequestReview(ctx, "dibao", entrystore.Expect{Version: 1, Draft: 1}, entrystore.Change{Author: "王芳", At: at(2), Note: "请审核"})
	if err != nil {
		t.Fatal(err)
	}
	if r := e.Draft.Review; r == nil || r.By != "王芳" || !r.At.Equal(at(2)) || r.Note != "请审核" {
		t.Fatalf("review = %+v", r)
	}
	e, err = s.Publish(ctx, "dibao", entrystore.Expect{Version: 1, Draft: 1}, entrystore.Change{Author: "李强", At: at(3), Note: "核对无误"}, loads)
	if err != nil {
		t.Fatal(err)
	}
	if e.Draft != nil || len(e.Versions) != 2 {
		t.Fatalf("after publishing: draft %+v, %d versions", e.Draft, len(e.Versions))
	}
	for _, st := range []entrystore.Store{s, reopen()} {
		e, err := st.Get(ctx, "dibao")
		if err != nil {
			t.Fatal(err)
		}
		v := e.Versions[1]
		if v.Number != 2 || v.Action != entrystore.ActionPublish || v.Author != "李强" || !v.At.Equal(at(3)) || v.Note != "核对无误" || !bytes.Equal(v.Body, body) {
			t.Errorf("version 2 = %+v", v)
		}
		if !bytes.Equal(e.Versions[0].Body, v1) {
			t.Error("version 1 lost its body")
		}
		got, _ := st.Snapshot(ctx)
		if !bytes.Equal(got.Entries["dibao"], body) {
			t.Error("the published corpus does not hold version 2")
		}
		list, err := st.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != len(snap.Entries) {
			t.Errorf("List has %d entries, want %d", len(list), len(snap.Entries))
		}
	}
	changes, err := entrystore.Diff(v1, body)
	if err != nil {
		t.Fatal(err)
	}
	if len(changes) != 1 || changes[0].Field != "title" || *changes[0].From != "最低生活保障" || *changes[0].To != "最低生活保障（低保）" {
		t.Errorf("diff = %+v", changes)
	}
	// A new draft continues the revisions: an old one is never matched.
	e, err = s.SaveDraft(ctx, "dibao", v1, entrystore.Expect{Version: 2}, entrystore.Change{Author: "王芳", At: at(4)})
	if err != nil || e.Draft.Rev != 2 || e.Draft.Base != 2 {
		t.Fatalf("second draft = %+v, %v", e, err)
	}
}

func testNewEntry(t *testing.T, s entrystore.Store, _ func() entrystore.Store) {
	snap := seeded(t, s)
	body := bytes.Replace(snap.Entries["dibao"], []byte("title: 最低生活保障"), []byte("title: 测试新条目"), 1)
	e, err := s.SaveDraft(ctx, "test-new", body, entrystore.Expect{}, entrystore.Change{Author: "王芳", At: at(1)})
	if err != nil {
		t.Fatal(err)
	}
	if e.Status() != entrystore.StatusDraft || e.Draft.Base != 0 {
		t.Fatalf("a new entry: status %s, draft %+v", e.Status(), e.Draft)
	}
	if got, _ := s.Snapshot(ctx); got.Entries["test-new"] != nil {
		t.Error("an unpublished new entry is in the corpus")
	}
	if _, err := s.SaveDraft(ctx, "test-new", body, entrystore.Expect{}, entrystore.Change{Author: "赵六", At: at(2)}); !errors.Is(err, entrystore.ErrConflict) {
		t.Errorf("a second 'new' entry with the same id = %v, want a conflict", err)
	}
	e, err = s.Publish(ctx, "test-new", entrystore.Expect{Draft: 1}, entrystore.Change{Author: "李强", At: at(3)}, loads)
	if err != nil {
		t.Fatal(err)
	}
	if e.Status() != entrystore.StatusPublished || e.Current().Number != 1 {
		t.Errorf("published new entry = %s %+v", e.Status(), e.Current())
	}
	if got, _ := s.Snapshot(ctx); got.Entries["test-new"] == nil {
		t.Error("the published new entry is not in the corpus")
	}
	if _, err := s.Get(ctx, "nope"); !errors.Is(err, entrystore.ErrNotFound) {
		t.Errorf("Get(nope) = %v", err)
	}
	if _, err := s.Publish(ctx, "dibao", entrystore.Expect{Version: 1}, entrystore.Change{Author: "李强", At: at(4)}, loads); !errors.Is(err, entrystore.ErrNoDraft) {
		t.Errorf("publishing without a draft = %v", err)
	}
}

func testConflicts(t *testing.T, s entrystore.Store, _ func() entrystore.Store) {
	snap := seeded(t, s)
	a := retitle(t, snap.Entries["dibao"], "甲的标题")
	b := retitle(t, snap.Entries["dibao"], "乙的标题")
	if _, err := s.SaveDraft(ctx, "dibao", a, entrystore.Expect{Version: 1}, entrystore.Change{Author: "甲", At: at(1)}); err != nil {
		t.Fatal(err)
	}
	// 乙 read the entry before 甲 saved.
	_, err := s.SaveDraft(ctx, "dibao", b, entrystore.Expect{Version: 1}, entrystore.Change{Author: "乙", At: at(2)})
	var ce *entrystore.ConflictError
	if !errors.As(err, &ce) || ce.Current == nil || ce.Current.Draft == nil || !bytes.Equal(ce.Current.Draft.Body, a) {
		t.Fatalf("stale save = %v, want a conflict carrying 甲's draft", err)
	}
	e, _ := s.Get(ctx, "dibao")
	if !bytes.Equal(e.Draft.Body, a) {
		t.Error("the stale save overwrote the draft")
	}
	// A draft started before another version was published must be
	// saved again on top of it.
	if _, err := s.Rollback(ctx, "dibao", 1, entrystore.Expect{Version: 1, Draft: 1}, entrystore.Change{Author: "李强", At: at(3)}, loads); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Publish(ctx, "dibao", entrystore.Expect{Version: 2, Draft: 1}, entrystore.Change{Author: "李强", At: at(4)}, loads); !errors.As(err, &ce) {
		t.Errorf("publishing a draft based on version 1 over version 2 = %v, want a conflict", err)
	}
	if _, err := s.Publish(ctx, "dibao", entrystore.Expect{Version: 1, Draft: 1}, entrystore.Change{Author: "李强", At: at(4)}, loads); !errors.As(err, &ce) {
		t.Errorf("a stale publish = %v, want a conflict", err)
	}
}

func testCheckRefuses(t *testing.T, s entrystore.Store, reopen func() entrystore.Store) {
	snap := seeded(t, s)
	bad := bytes.Replace(snap.Entries["dibao"], []byte("category: 社会救助"), []byte("category: 没有这个分类"), 1)
	if _, err := s.SaveDraft(ctx, "dibao", bad, entrystore.Expect{Version: 1}, entrystore.Change{Author: "王芳", At: at(1)}); err != nil {
		t.Fatal(err)
	}
	_, err := s.Publish(ctx, "dibao", entrystore.Expect{Version: 1, Draft: 1}, entrystore.Change{Author: "李强", At: at(2)}, loads)
	var ce *corpus.CheckError
	if !errors.As(err, &ce) || !strings.Contains(ce.Error(), "没有这个分类") {
		t.Fatalf("publishing a bad draft = %v, want its problems", err)
	}
	for _, st := range []entrystore.Store{s, reopen()} {
		e, _ := st.Get(ctx, "dibao")
		if len(e.Versions) != 1 || e.Draft == nil || e.Draft.Rev != 1 {
			t.Errorf("a refused publish changed the entry: %d versions, draft %+v", len(e.Versions), e.Draft)
		}
		if recs, _ := st.Audit(ctx, entrystore.AuditQuery{Entry: "dibao"}); len(recs) != 1 || recs[0].Action != entrystore.ActionSave {
			t.Errorf("a refused publish is in the audit log: %+v", recs)
		}
	}
}

func testRollbackAndRetire(t *testing.T, s entrystore.Store, reopen func() entrystore.Store) {
	snap := seeded(t, s)
	v1 := snap.Entries["dibao"]
	v2 := retitle(t, v1, "新标题")
	s.SaveDraft(ctx, "dibao", v2, entrystore.Expect{Version: 1}, entrystore.Change{Author: "王芳", At: at(1)})
	if _, err := s.Publish(ctx, "dibao", entrystore.Expect{Version: 1, Draft: 1}, entrystore.Change{Author: "李强", At: at(2)}, loads); err != nil {
		t.Fatal(err)
	}
	e, err := s.Rollback(ctx, "dibao", 1, entrystore.Expect{Version: 2}, entrystore.Change{Author: "李强", At: at(3), Note: "标题改错了"}, loads)
	if err != nil {
		t.Fatal(err)
	}
	if v := e.Current(); v.Number != 3 || v.Action != entrystore.ActionRollback || v.From != 1 || !bytes.Equal(v.Body, v1) {
		t.Errorf("rollback = %+v", v)
	}
	if _, err := s.Rollback(ctx, "dibao", 9, entrystore.Expect{Version: 3}, entrystore.Change{Author: "李强", At: at(4)}, loads); !errors.Is(err, entrystore.ErrInvalid) {
		t.Errorf("rollback to a version that is not there = %v", err)
	}
	e, err = s.Retire(ctx, "dibao", entrystore.Expect{Version: 3}, entrystore.Change{Author: "李强", At: at(5), Note: "政策已废止"}, loads)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range []entrystore.Store{s, reopen()} {
		e, _ := st.Get(ctx, "dibao")
		if e.Status() != entrystore.StatusRetired || len(e.Versions) != 4 || !e.Current().At.Equal(at(5)) || e.Current().Note != "政策已废止" {
			t.Errorf("retired entry: %s %+v", e.Status(), e.Current())
		}
		got, _ := st.Snapshot(ctx)
		if _, ok := got.Entries["dibao"]; ok || len(got.Entries) != len(snap.Entries)-1 {
			t.Error("a retired entry is still in the published corpus")
		}
	}
	if _, err := s.Retire(ctx, "dibao", entrystore.Expect{Version: 4}, entrystore.Change{Author: "李强", At: at(6)}, loads); !errors.Is(err, entrystore.ErrInvalid) {
		t.Errorf("retiring twice = %v", err)
	}
	// Rolling back brings it back.
	e, err = s.Rollback(ctx, "dibao", 2, entrystore.Expect{Version: 4}, entrystore.Change{Author: "李强", At: at(7)}, loads)
	if err != nil || e.Status() != entrystore.StatusPublished || !bytes.Equal(e.Current().Body, v2) {
		t.Errorf("rolled back from retirement: %v %+v", err, e)
	}
}

func testInvalid(t *testing.T, s entrystore.Store, _ func() entrystore.Store) {
	seeded(t, s)
	by := entrystore.Change{Author: "王芳", At: at(1)}
	for _, c := range []struct {
		id   string
		body []byte
		by   entrystore.Change
	}{
		{"../etc", []byte("title: x"), by},
		{"Dibao", []byte("title: x"), by},
		{strings.Repeat("a", 81), []byte("title: x"), by},
		{"new-one", nil, by},
		{"new-one", bytes.Repeat([]byte("x"), entrystore.MaxBody+1), by},
		{"new-one", []byte("title: x"), entrystore.Change{At: at(1)}},
		{"new-one", []byte("title: x"), entrystore.Change{Author: "王芳"}},
		{"new-one", []byte("title: x"), entrystore.Change{Author: "王芳", At: at(1), Note: strings.Repeat("长", entrystore.MaxNote+1)}},
	} {
		if _, err := s.SaveDraft(ctx, c.id, c.body, entrystore.Expect{}, c.by); !errors.Is(err, entrystore.ErrInvalid) {
			t.Errorf("SaveDraft(%.20q, %d bytes, %+v) = %v, want ErrInvalid", c.id, len(c.body), c.by, err)
		}
	}
	if err := s.Record(ctx, entrystore.AuditRecord{Action: "login", At: at(1)}); !errors.Is(err, entrystore.ErrInvalid) {
		t.Errorf("a record without its admin = %v", err)
	}
}

func testAudit(t *testing.T, s entrystore.Store, reopen func() entrystore.Store) {
	seeded(t, s)
	snap, _ := s.Snapshot(ctx)
	if err := s.Record(ctx, entrystore.AuditRecord{At: at(1), Admin: "王芳", Action: "login"}); err != nil {
		t.Fatal(err)
	}
	s.SaveDraft(ctx, "dibao", retitle(t, snap.Entries["dibao"], "改"), entrystore.Expect{Version: 1}, entrystore.Change{Author: "王芳", At: at(2), Note: "改标题"})
	s.Publish(ctx, "dibao", entrystore.Expect{Version: 1, Draft: 1}, entrystore.Change{Author: "李强", At: at(3)}, loads)
	if err := s.Record(ctx, entrystore.AuditRecord{At: at(4), Admin: "李强", Action: "reindex"}); err != nil {
		t.Fatal(err)
	}
	want := []string{"李强 reindex ", "李强 publish dibao", "王芳 save dibao", "王芳 login ", "seed seed "}
	for _, st := range []entrystore.Store{s, reopen()} {
		recs, err := st.Audit(ctx, entrystore.AuditQuery{})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range recs {
			got = append(got, fmt.Sprintf("%s %s %s", r.Admin, r.Action, r.Entry))
		}
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Fatalf("audit log = %q, want %q", got, want)
		}
		if recs[1].Version != 2 || recs[2].Detail != "改标题" || !recs[0].At.Equal(at(4)) {
			t.Errorf("records = %+v", recs[:3])
		}
		page, _ := st.Audit(ctx, entrystore.AuditQuery{Limit: 2, Before: recs[1].Seq})
		if len(page) != 2 || page[0].Seq != recs[2].Seq {
			t.Errorf("the page before %d = %+v", recs[1].Seq, page)
		}
	}
	// Records go on after a restart without reusing a number.
	st := reopen()
	if err := st.Record(ctx, entrystore.AuditRecord{At: at(5), Admin: "王芳", Action: "logout"}); err != nil {
		t.Fatal(err)
	}
	recs, _ := st.Audit(ctx, entrystore.AuditQuery{Limit: 2})
	if len(recs) != 2 || recs[0].Action != "logout" || recs[0].Seq <= recs[1].Seq {
		t.Errorf("after a restart: %+v", recs)
	}
}

func testConcurrentSaves(t *testing.T, s entrystore.Store, _ func() entrystore.Store) {
	snap := seeded(t, s)
	var wg sync.WaitGroup
	var mu sync.Mutex
	won, lost := 0, 0
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := retitle(t, snap.Entries["dibao"], fmt.Sprintf("标题%d", i))
			_, err := s.SaveDraft(ctx, "dibao", body, entrystore.Expect{Version: 1}, entrystore.Change{Author: fmt.Sprintf("编辑%d", i), At: at(i)})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				won++
			case errors.Is(err, entrystore.ErrConflict):
				lost++
			default:
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if won != 1 || lost != 7 {
		t.Errorf("%d saves from version 1 won and %d lost, want 1 and 7", won, lost)
	}
}

// testAddDocument: a document added to the registry is kept after the
// registry's own text, seen by the corpus and recorded; one whose id is
// taken, or that the check refuses, changes nothing.
func testAddDocument(t *testing.T, s entrystore.Store, reopen func() entrystore.Store) {
	snap := seeded(t, s)
	before := snap.Support[corpus.DocumentsFile]
	doc := &corpus.Document{ID: "test-import-doc", Title: "测试文件", Number: "沪测〔2099〕1号", Issuer: "上海市人民政府",
		Adopted: "2099-01-01", Effective: "2099-02-01", Status: corpus.Unknown, URL: corpus.Unknown}
	if err := s.AddDocument(ctx, doc, entrystore.Change{Author: "李强", At: at(1), Note: "从文件导入"}, loads); err != nil {
		t.Fatal(err)
	}
	taken := *doc
	taken.Title = "另一个标题"
	if err := s.AddDocument(ctx, &taken, entrystore.Change{Author: "李强", At: at(2)}, loads); !errors.Is(err, entrystore.ErrInvalid) {
		t.Errorf("a taken id = %v, want ErrInvalid", err)
	}
	bad := *doc
	bad.ID, bad.Effective = "test-bad-doc", "2099-13-01"
	var ce *corpus.CheckError
	if err := s.AddDocument(ctx, &bad, entrystore.Change{Author: "李强", At: at(3)}, loads); !errors.As(err, &ce) {
		t.Errorf("a bad date = %v, want its problems", err)
	}
	for _, st := range []entrystore.Store{s, reopen()} {
		got, err := st.Snapshot(ctx)
		if err != nil {
			t.Fatal(err)
		}
		reg := got.Support[corpus.DocumentsFile]
		if !bytes.HasPrefix(reg, before) || bytes.Contains(reg, []byte("test-bad-doc")) || bytes.Contains(reg, []byte("另一个标题")) {
			t.Errorf("the registry after the additions:\n%s", reg[len(before)-min(len(before), 200):])
		}
		c, err := got.Corpus(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if d, ok := c.Document("test-import-doc"); !ok || d.Title != "测试文件" || d.Number != "沪测〔2099〕1号" || d.Effective != "2099-02-01" {
			t.Errorf("the corpus's document: %+v %v", d, ok)
		}
		recs, _ := st.Audit(ctx, entrystore.AuditQuery{Limit: 2})
		if len(recs) != 2 || recs[0].Action != entrystore.ActionDocument || recs[0].Admin != "李强" || !strings.Contains(recs[0].Detail, "test-import-doc") {
			t.Errorf("audit: %+v", recs)
		}
	}
}

// testPutSupport: a new site's file and a changed places file are kept
// and seen by the corpus, recorded in the audit log; a site the check
// refuses and a file admins may not replace change nothing.
func testPutSupport(t *testing.T, s entrystore.Store, reopen func() entrystore.Store) {
	snap := seeded(t, s)
	site, ok := snap.Support[corpus.SiteFilePath("quyanglu")]
	if !ok {
		t.Fatal("the seeded store has no site file of quyanglu")
	}
	by := func(n int) entrystore.Change {
		return entrystore.Change{Author: "李强", At: at(n), Note: "新增街道"}
	}
	places := append(bytes.Clone(snap.Support[corpus.PlacesFile]), "xinjian-center:\n  name: 新建街道社区事务受理服务中心\n  address: unknown\n  hours: unknown\n  phone: unknown\n"...)
	if err := s.PutSupport(ctx, corpus.PlacesFile, places, by(1), loads); err != nil {
		t.Fatal(err)
	}
	newSite := strings.NewReplacer("id: quyanglu", "id: xinjian", "name: 曲阳路街道", "name: 新建街道", "places: [quyanglu-center, chs-quyanglu]", "places: [xinjian-center]").Replace(string(site))
	if err := s.PutSupport(ctx, corpus.SiteFilePath("xinjian"), []byte(newSite), by(2), loads); err != nil {
		t.Fatal(err)
	}
	orphan := strings.NewReplacer("id: xinjian", "id: orphan", "parent: hongkou", "parent: putuo").Replace(newSite)
	var ce *corpus.CheckError
	if err := s.PutSupport(ctx, corpus.SiteFilePath("orphan"), []byte(orphan), by(3), loads); !errors.As(err, &ce) {
		t.Errorf("a site under an unknown parent = %v, want its problems", err)
	}
	if err := s.PutSupport(ctx, corpus.DocumentsFile, []byte("{}\n"), by(4), loads); !errors.Is(err, entrystore.ErrInvalid) {
		t.Errorf("replacing the registry = %v, want ErrInvalid", err)
	}
	for _, st := range []entrystore.Store{s, reopen()} {
		got, err := st.Snapshot(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := got.Support[corpus.SiteFilePath("orphan")]; ok {
			t.Error("the refused site was kept")
		}
		c, err := got.Corpus(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if x, ok := c.Sites.Get("xinjian"); !ok || x.Name != "新建街道" || x.Parent != "hongkou" || len(x.Locations) != 1 || x.Locations[0].Name != "新建街道社区事务受理服务中心" {
			t.Errorf("the corpus's new site: %+v %v", x, ok)
		}
		recs, _ := st.Audit(ctx, entrystore.AuditQuery{Limit: 2})
		if len(recs) != 2 || recs[0].Action != entrystore.ActionSupport || recs[0].Admin != "李强" || !strings.Contains(recs[0].Detail, corpus.SiteFilePath("xinjian")) ||
			!strings.Contains(recs[1].Detail, corpus.PlacesFile) {
			t.Errorf("audit: %+v", recs)
		}
	}
}
