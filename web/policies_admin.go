package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"yicha/corpus"
	"yicha/corpus/entrystore"
	"yicha/search/live"
)

// The entries API: admins edit entries as drafts, ask for review, and
// publishers publish, roll back and retire them. Every change names its
// admin, is based on the version and draft the admin read (a stale one is
// 409 with both), and is checked as `yicha check` checks a corpus (problems
// are 422, each naming its field). A publish goes through the index
// service: build, verify, swap.

// policiesAPI is the prefix of the entries API.
const policiesAPI = "/api/admin/policies"

// MaxEntryRequest bounds a request to the entries API: an entry of
// entrystore.MaxBody written as JSON, with room to spare.
const MaxEntryRequest = "2M"

func (s *Server) entryRoutes(api *echo.Group) {
	g := api.Group("/policies", middleware.BodyLimit(MaxEntryRequest))
	g.Match(getAndHead, "", s.apiEntries)
	g.POST("", s.apiNewEntry)
	g.Match(getAndHead, "/:id", s.apiEntry)
	g.PUT("/:id/draft", s.apiSaveDraft)
	g.POST("/:id/review", s.apiReview)
	g.POST("/:id/publish", s.apiPublish, publisherOnly)
	g.Match(getAndHead, "/:id/history", s.apiHistory)
	g.Match(getAndHead, "/:id/diff", s.apiDiff)
	g.POST("/:id/rollback", s.apiRollback, publisherOnly)
	g.POST("/:id/retire", s.apiRetire, publisherOnly)
	api.Match(getAndHead, "/audit", s.apiAudit)
}

// publisherOnly refuses an editor.
func publisherOnly(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if !currentAdmin(c).CanPublish() {
			return echo.NewHTTPError(http.StatusForbidden, "only a publisher may publish, roll back or retire")
		}
		return next(c)
	}
}

// EntryListItem is one entry of GET /api/admin/policies.
type EntryListItem struct {
	ID       string `json:"id"`
	Title    string `json:"title"`
	Category string `json:"category"`
	// Status is draft (never published), published or retired.
	Status   string     `json:"status"`
	Version  int        `json:"version"`
	Verified string     `json:"verified"`
	At       time.Time  `json:"at,omitzero"`
	Author   string     `json:"author,omitempty"`
	Draft    *DraftInfo `json:"draft"`
}

// DraftInfo describes an open draft.
type DraftInfo struct {
	Rev    int                `json:"rev"`
	Base   int                `json:"base"`
	Author string             `json:"author"`
	At     time.Time          `json:"at"`
	Note   string             `json:"note,omitempty"`
	Review *entrystore.Review `json:"review,omitempty"`
	Entry  json.RawMessage    `json:"entry,omitempty"`
}

// EntriesResponse is the JSON answer of GET /api/admin/policies.
type EntriesResponse struct {
	Entries []EntryListItem `json:"entries"`
	// Drafts and Reviews count open drafts and those waiting for review.
	Drafts  int `json:"drafts"`
	Reviews int `json:"reviews"`
}

// VersionInfo is one published version.
type VersionInfo struct {
	entrystore.Version
	Entry json.RawMessage `json:"entry,omitempty"`
}

// EntryResponse is an entry as admins see it: its published version and
// its draft, each with the entry in the fields of its YAML file.
type EntryResponse struct {
	ID        string       `json:"id"`
	Status    string       `json:"status"`
	Published *VersionInfo `json:"published"`
	Draft     *DraftInfo   `json:"draft"`
	// BasedOn is what a change to the entry now is based on.
	BasedOn entrystore.Expect `json:"based_on"`
}

// ChangeResponse answers a change: the entry and, after a publish,
// rollback or retire, the index serving it.
type ChangeResponse struct {
	Entry EntryResponse `json:"entry"`
	Index *live.Status  `json:"index,omitempty"`
}

func (s *Server) apiEntries(c echo.Context) error {
	es, err := s.entriesOf(c).List(c.Request().Context())
	if err != nil {
		return err
	}
	out := EntriesResponse{Entries: []EntryListItem{}}
	for _, e := range es {
		it := EntryListItem{ID: e.ID, Status: e.Status()}
		body := []byte(nil)
		if v := e.Current(); v != nil {
			it.Version, it.At, it.Author, body = v.Number, v.At, v.Author, v.Body
		}
		if d := e.Draft; d != nil {
			it.Draft = &DraftInfo{Rev: d.Rev, Base: d.Base, Author: d.Author, At: d.At, Note: d.Note, Review: d.Review}
			out.Drafts++
			if d.Review != nil {
				out.Reviews++
			}
			if body == nil {
				body = d.Body
			}
		}
		sum := entrystore.Summarize(e.ID, body)
		it.Title, it.Category, it.Verified = sum.Title, sum.Category, sum.Verified
		out.Entries = append(out.Entries, it)
	}
	return c.JSON(http.StatusOK, out)
}

// entryResponse describes an entry with the bodies as JSON.
func entryResponse(e *entrystore.Entry) (EntryResponse, error) {
	out := EntryResponse{ID: e.ID, Status: e.Status()}
	if v := e.Current(); v != nil {
		js, err := entrystore.ToJSON(v.Body)
		if err != nil {
			return out, err
		}
		out.Published = &VersionInfo{Version: *v, Entry: js}
		out.BasedOn.Version = v.Number
	}
	if d := e.Draft; d != nil {
		js, err := entrystore.ToJSON(d.Body)
		if err != nil {
			return out, err
		}
		out.Draft = &DraftInfo{Rev: d.Rev, Base: d.Base, Author: d.Author, At: d.At, Note: d.Note, Review: d.Review, Entry: js}
		out.BasedOn.Draft = d.Rev
	}
	return out, nil
}

func (s *Server) apiEntry(c echo.Context) error {
	e, err := s.cfg.Entries.Get(c.Request().Context(), c.Param("id"))
	if err != nil {
		return entryError(err)
	}
	out, err := entryResponse(e)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, out)
}

// changeRequest is the body of a change: what it is based on, a note, and
// for a draft the entry; for a rollback the version to restore; for a new
// entry its id.
type changeRequest struct {
	ID      string            `json:"id"`
	BasedOn entrystore.Expect `json:"based_on"`
	Note    string            `json:"note"`
	Entry   json.RawMessage   `json:"entry"`
	To      int               `json:"to"`
}

// readChange decodes a change's JSON body strictly.
func readChange(c echo.Context) (changeRequest, error) {
	var r changeRequest
	if !strings.HasPrefix(c.Request().Header.Get(echo.HeaderContentType), echo.MIMEApplicationJSON) {
		return r, echo.NewHTTPError(http.StatusUnsupportedMediaType, "send the change as application/json")
	}
	dec := json.NewDecoder(c.Request().Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return r, echo.NewHTTPError(http.StatusRequestEntityTooLarge, "the request is larger than "+MaxEntryRequest+"B")
		}
		return r, echo.NewHTTPError(http.StatusBadRequest, "the body is not the JSON of a change: "+err.Error())
	}
	if dec.More() {
		return r, echo.NewHTTPError(http.StatusBadRequest, "the body holds more than one JSON value")
	}
	r.Note = strings.TrimSpace(strings.ToValidUTF8(r.Note, ""))
	return r, nil
}

func (s *Server) change(c echo.Context, note string) entrystore.Change {
	return entrystore.Change{Author: currentAdmin(c).Name, At: s.cfg.Now(), Note: note}
}

func (s *Server) apiNewEntry(c echo.Context) error {
	r, err := readChange(c)
	if err != nil {
		return err
	}
	if !corpus.ValidID(r.ID) {
		return c.JSON(http.StatusUnprocessableEntity, invalidEntry(r.ID, corpus.Problems{badID(r.ID)}))
	}
	return s.saveDraft(c, r.ID, r, http.StatusCreated)
}

// badID is the problem of an id that cannot name an entry.
func badID(id string) corpus.Problem {
	return corpus.Problem{File: entrystore.File(id), Line: 1, Field: "id",
		Message: fmt.Sprintf("id %q must be lower-case letters, digits and '-' (at most %d)", id, corpus.MaxID)}
}

func (s *Server) apiSaveDraft(c echo.Context) error {
	r, err := readChange(c)
	if err != nil {
		return err
	}
	if r.ID != "" && r.ID != c.Param("id") {
		return echo.NewHTTPError(http.StatusBadRequest, "the id in the body differs from the address")
	}
	if _, err := s.cfg.Entries.Get(c.Request().Context(), c.Param("id")); err != nil {
		return entryError(err) // a new entry is made with POST /api/admin/policies
	}
	return s.saveDraft(c, c.Param("id"), r, http.StatusOK)
}

// saveDraft checks the entry a request carries and saves it as a draft.
func (s *Server) saveDraft(c echo.Context, id string, r changeRequest, status int) error {
	ctx := c.Request().Context()
	if len(r.Entry) == 0 {
		return echo.NewHTTPError(http.StatusBadRequest, "the change has no entry")
	}
	body, probs := entrystore.BodyFromJSON(id, r.Entry)
	if len(probs) == 0 {
		probs, _ = s.checkEntry(ctx, id, body)
	}
	if len(probs) > 0 {
		return c.JSON(http.StatusUnprocessableEntity, invalidEntry(id, probs))
	}
	e, err := s.entriesOf(c).SaveDraft(ctx, id, body, r.BasedOn, s.change(c, r.Note))
	if err != nil {
		return s.changeError(c, err, r)
	}
	return s.answerChange(c, status, e, nil)
}

// checkEntry runs on one entry what `yicha check` runs on a corpus: the
// checks of loading it, against the store's places and documents, and
// CheckTrust as of now.
func (s *Server) checkEntry(ctx context.Context, id string, body []byte) (corpus.Problems, error) {
	snap, err := s.cfg.Entries.Snapshot(ctx)
	if err != nil {
		return nil, err
	}
	places, _ := corpus.ParsePlaces(entrystore.Prefix+"/"+corpus.PlacesFile, snap.Support[corpus.PlacesFile])
	docs := corpus.Documents{}
	if data, ok := snap.Support[corpus.DocumentsFile]; ok {
		docs, _ = corpus.ParseDocuments(entrystore.Prefix+"/"+corpus.DocumentsFile, data)
	}
	p, probs := corpus.ParsePolicy(entrystore.File(id), id, body)
	if p == nil {
		return probs, nil
	}
	if probs = corpus.Check([]*corpus.Policy{p}, places, docs); len(probs) > 0 {
		return probs, nil
	}
	// Its scope against the sites served.
	if probs = corpus.CheckSites(s.cfg.Searcher.Corpus().Sites, nil, []*corpus.Policy{p}); len(probs) > 0 {
		return probs, nil
	}
	one := corpus.NewCorpus([]*corpus.Policy{p}, "")
	one.Documents = docs
	return corpus.CheckTrust(one, s.cfg.Now()), nil
}

// InvalidEntryResponse is the 422 answer: every problem, and the messages
// by field.
type InvalidEntryResponse struct {
	Error    errorDetail         `json:"error"`
	Problems []corpus.Problem    `json:"problems"`
	Fields   map[string][]string `json:"fields"`
}

func invalidEntry(id string, probs corpus.Problems) InvalidEntryResponse {
	out := InvalidEntryResponse{Error: errorDetail{Code: "invalid_entry", Message: fmt.Sprintf("条目 %s 有 %d 处问题，未保存", id, len(probs))},
		Problems: probs, Fields: map[string][]string{}}
	for _, p := range probs {
		field := p.Field
		if field == "" {
			field = "entry"
		}
		out.Fields[field] = append(out.Fields[field], p.Message)
	}
	return out
}

// ConflictResponse is the 409 answer to a stale change: what it was
// based on (and the entry it carried) beside the entry as it is now.
type ConflictResponse struct {
	Error   errorDetail    `json:"error"`
	Yours   YourChange     `json:"yours"`
	Current *EntryResponse `json:"current"`
}

// YourChange is the stale change sent back.
type YourChange struct {
	BasedOn entrystore.Expect `json:"based_on"`
	Entry   json.RawMessage   `json:"entry,omitempty"`
	Note    string            `json:"note,omitempty"`
}

// changeError maps the store's errors; a conflict gets both versions.
func (s *Server) changeError(c echo.Context, err error, r changeRequest) error {
	var ce *entrystore.ConflictError
	var pe *corpus.CheckError
	noDraft := errors.Is(err, entrystore.ErrNoDraft)
	switch {
	case errors.As(err, &ce) || noDraft:
		msg, cur := "条目没有草稿：先保存草稿", (*entrystore.Entry)(nil)
		if ce != nil {
			msg, cur = "条目已被他人修改："+ce.Reason, ce.Current
		}
		body := ConflictResponse{Error: errorDetail{Code: "conflict", Message: msg},
			Yours: YourChange{BasedOn: r.BasedOn, Entry: r.Entry, Note: r.Note}}
		if cur == nil {
			cur, _ = s.cfg.Entries.Get(c.Request().Context(), c.Param("id"))
		}
		if cur != nil {
			if er, err := entryResponse(cur); err == nil {
				body.Current = &er
			}
		}
		return c.JSON(http.StatusConflict, body)
	case errors.As(err, &pe):
		return c.JSON(http.StatusUnprocessableEntity, invalidEntry(c.Param("id"), pe.Problems))
	}
	return entryError(err)
}

// entryError maps the store's other errors to statuses.
func entryError(err error) error {
	switch {
	case errors.Is(err, entrystore.ErrNotFound):
		return echo.NewHTTPError(http.StatusNotFound, "no such entry")
	case errors.Is(err, entrystore.ErrInvalid):
		return echo.NewHTTPError(http.StatusBadRequest, err.Error())
	}
	return err
}

func (s *Server) answerChange(c echo.Context, status int, e *entrystore.Entry, st *live.Status) error {
	er, err := entryResponse(e)
	if err != nil {
		return err
	}
	return c.JSON(status, ChangeResponse{Entry: er, Index: st})
}

func (s *Server) apiReview(c echo.Context) error {
	r, err := readChange(c)
	if err != nil {
		return err
	}
	e, err := s.entriesOf(c).RequestReview(c.Request().Context(), c.Param("id"), r.BasedOn, s.change(c, r.Note))
	if err != nil {
		return s.changeError(c, err, r)
	}
	return s.answerChange(c, http.StatusOK, e, nil)
}

// publishCheck is what a publish, rollback or retire checks: the whole
// corpus it would serve loads (every entry, the places and documents), and
// the entry it changes passes CheckTrust as of now and meets its cases
// (the store's cases/ID.yaml, else the built-in one): a change of its
// eligibility that would call a case 符合 that must not be is refused.
func (s *Server) publishCheck(id string) entrystore.Check {
	return func(ctx context.Context, snap *entrystore.Snapshot) (*corpus.Corpus, error) {
		c, err := snap.Corpus(ctx)
		if err != nil {
			return nil, err
		}
		if p, ok := c.Get(id); ok {
			one := corpus.NewCorpus([]*corpus.Policy{p}, "")
			one.Documents = c.Documents
			probs := corpus.CheckTrust(one, s.cfg.Now())
			// Its eligibility must still give each of its cases the
			// outcome it expects.
			if name, data, _, ok := entryCases(snap, id); ok {
				probs = append(probs, corpus.CheckCases(entrystore.Prefix+"/"+name, p, data)...)
			}
			if len(probs) > 0 {
				return nil, &corpus.CheckError{Problems: probs}
			}
		}
		return c, nil
	}
}

// entryCases returns an entry's cases file: the store's, else the one
// built in (stored says which); ok is false when it has neither.
func entryCases(snap *entrystore.Snapshot, id string) (name string, data []byte, stored, ok bool) {
	name = corpus.CasesFilePath(id)
	if data, ok := snap.Support[name]; ok {
		return name, data, true, true
	}
	data, ok = corpus.EmbeddedCasesFile(id)
	return name, data, false, ok
}

type publishOp func(ctx context.Context, id string, r changeRequest, by entrystore.Change, check entrystore.Check) (*entrystore.Entry, error)

// published runs a publish, rollback or retire, then has the index serve
// the new corpus before it answers.
func (s *Server) published(c echo.Context, op publishOp) error {
	r, err := readChange(c)
	if err != nil {
		return err
	}
	id := c.Param("id")
	e, err := op(c.Request().Context(), id, r, s.change(c, r.Note), s.publishCheck(id))
	if err != nil {
		return s.changeError(c, err, r)
	}
	st, err := s.rebuild(c.Request().Context())
	if err != nil {
		// The version is published and stays so; the index catches up on
		// the next rebuild. Say so.
		s.cfg.Logger.Error("rebuilding after a publish", "entry", id, "error", err)
		if st.LastError == "" {
			st.LastError = err.Error()
		}
		return s.answerChange(c, http.StatusAccepted, e, &st)
	}
	return s.answerChange(c, http.StatusOK, e, &st)
}

// rebuild has the index serve the store's published corpus: a reindex
// through the index service (validate, build, verify, swap); one already
// running may predate the change, so it is waited for and another run.
func (s *Server) rebuild(ctx context.Context) (live.Status, error) {
	for {
		st, err := s.cfg.Admin.Reindex(ctx, true)
		if !errors.Is(err, live.ErrBusy) {
			return st, err
		}
		for s.cfg.Admin.Status().Building {
			select {
			case <-ctx.Done():
				return s.cfg.Admin.Status(), ctx.Err()
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
}

func (s *Server) apiPublish(c echo.Context) error {
	return s.published(c, func(ctx context.Context, id string, r changeRequest, by entrystore.Change, check entrystore.Check) (*entrystore.Entry, error) {
		return s.entriesOf(c).Publish(ctx, id, r.BasedOn, by, check)
	})
}

func (s *Server) apiRollback(c echo.Context) error {
	return s.published(c, func(ctx context.Context, id string, r changeRequest, by entrystore.Change, check entrystore.Check) (*entrystore.Entry, error) {
		if r.To < 1 {
			return nil, fmt.Errorf("%w: a rollback names the version to restore (to)", entrystore.ErrInvalid)
		}
		return s.entriesOf(c).Rollback(ctx, id, r.To, r.BasedOn, by, check)
	})
}

func (s *Server) apiRetire(c echo.Context) error {
	return s.published(c, func(ctx context.Context, id string, r changeRequest, by entrystore.Change, check entrystore.Check) (*entrystore.Entry, error) {
		return s.entriesOf(c).Retire(ctx, id, r.BasedOn, by, check)
	})
}

// HistoryResponse is the JSON answer of GET …/{id}/history: every
// published version, oldest first, and the open draft.
type HistoryResponse struct {
	ID       string               `json:"id"`
	Versions []entrystore.Version `json:"versions"`
	Draft    *DraftInfo           `json:"draft"`
}

func (s *Server) apiHistory(c echo.Context) error {
	e, err := s.cfg.Entries.Get(c.Request().Context(), c.Param("id"))
	if err != nil {
		return entryError(err)
	}
	out := HistoryResponse{ID: e.ID, Versions: e.Versions}
	if out.Versions == nil {
		out.Versions = []entrystore.Version{}
	}
	if d := e.Draft; d != nil {
		out.Draft = &DraftInfo{Rev: d.Rev, Base: d.Base, Author: d.Author, At: d.At, Note: d.Note, Review: d.Review}
	}
	return c.JSON(http.StatusOK, out)
}

// DiffResponse is the JSON answer of GET …/{id}/diff: what changed, field
// by field, from one version (or the draft) to another.
type DiffResponse struct {
	ID      string                   `json:"id"`
	From    string                   `json:"from"`
	To      string                   `json:"to"`
	Changes []entrystore.FieldChange `json:"changes"`
}

// apiDiff compares ?from= and ?to= — version numbers, or draft; by
// default the latest version (or the draft, when there is one) with the
// one before it.
func (s *Server) apiDiff(c echo.Context) error {
	e, err := s.cfg.Entries.Get(c.Request().Context(), c.Param("id"))
	if err != nil {
		return entryError(err)
	}
	from, to := diffSides(e, c.QueryParam("from"), c.QueryParam("to"))
	body := func(which string) ([]byte, error) {
		if which == "draft" {
			if e.Draft == nil {
				return nil, echo.NewHTTPError(http.StatusNotFound, "the entry has no draft")
			}
			return e.Draft.Body, nil
		}
		n, err := strconv.Atoi(which)
		if err != nil {
			return nil, echo.NewHTTPError(http.StatusBadRequest, "from and to are version numbers or draft")
		}
		v, ok := e.Version(n)
		if !ok {
			return nil, echo.NewHTTPError(http.StatusNotFound, fmt.Sprintf("the entry has no version %d", n))
		}
		return v.Body, nil
	}
	a, err := body(from)
	if err != nil {
		return err
	}
	b, err := body(to)
	if err != nil {
		return err
	}
	changes, err := entrystore.Diff(a, b)
	if err != nil {
		return err
	}
	if changes == nil {
		changes = []entrystore.FieldChange{}
	}
	return c.JSON(http.StatusOK, DiffResponse{ID: e.ID, From: from, To: to, Changes: changes})
}

// withdrawn returns the version that retired an entry the index no longer
// serves, if it was retired.
func (s *Server) withdrawn(ctx context.Context, id string) (*entrystore.Version, bool) {
	if s.cfg.Entries == nil || !corpus.ValidID(id) {
		return nil, false
	}
	e, err := s.cfg.Entries.Get(ctx, id)
	if err != nil || e.Status() != entrystore.StatusRetired {
		return nil, false
	}
	return e.Current(), true
}

// withdrawnText says when an entry was withdrawn, in Shanghai days.
func withdrawnText(v *entrystore.Version) string {
	msg := fmt.Sprintf("这条信息已于%s撤下，不再提供。", dateText(v.At.In(corpus.Zone).Format(corpus.DateLayout)))
	if note := strings.TrimSpace(v.Note); note != "" {
		msg += "说明：" + note
	}
	return msg
}

// WithdrawnResponse is the 410 answer of /api/policies/{id} for a retired
// entry.
type WithdrawnResponse struct {
	Error       errorDetail `json:"error"`
	WithdrawnAt time.Time   `json:"withdrawn_at"`
	Note        string      `json:"note,omitempty"`
}
