package web

import (
	"yicha/corpus"
	"yicha/search"
)

// The JSON answers of the API. They are types of their own, filled from
// the corpus and the search results, so that changing how an entry is
// stored never changes the API by accident; /api/openapi.json describes
// them and the tests check every answer against it.

// SearchResponse is the JSON answer of /api/search.
type SearchResponse struct {
	// Suggestion is the Chinese a question typed in pinyin was taken for
	// (dibao: 低保); the hits are those of the suggestion.
	Suggestion string `json:"suggestion,omitempty"`
	// Confidence says how surely the first hit answers the question:
	// strong, weak (only related entries) or none (nothing matched); it is
	// left out without a question. Referrals, when it is not strong, say
	// who can answer instead.
	Confidence string     `json:"confidence,omitempty"`
	Referrals  []Referral `json:"referrals,omitempty"`
	// Stated is what the question says about the person (an age, living
	// alone…), as the situation fields of /api/match, when it says any.
	Stated map[string][]string            `json:"stated,omitempty"`
	Total  uint64                         `json:"total"`
	Page   int                            `json:"page"`
	Size   int                            `json:"size"`
	Hits   []SearchHit                    `json:"hits"`
	Facets map[string][]search.FacetValue `json:"facets"`
}

// SearchHit is one hit in a SearchResponse.
type SearchHit struct {
	ID       string  `json:"id"`
	Title    string  `json:"title"`
	Category string  `json:"category"`
	Kind     string  `json:"kind"`
	Summary  string  `json:"summary"`
	Benefit  string  `json:"benefit,omitempty"`
	Snippet  string  `json:"snippet"`
	Score    float64 `json:"score"`
	Online   bool    `json:"online"`
	Expired  bool    `json:"expired"`
	// Eligibility and Reasons are set when the request gave a situation;
	// Missing and Asks, for 可能符合, say which facts are missing and which
	// questions no fact answers are still to confirm.
	Eligibility string   `json:"eligibility,omitempty"`
	Reasons     []Reason `json:"reasons,omitempty"`
	Missing     []string `json:"missing,omitempty"`
	Asks        []string `json:"asks,omitempty"`
}

// Reason says how one condition of an entry meets a situation.
type Reason struct {
	Field  string `json:"field"`
	Status string `json:"status"`
	Text   string `json:"text"`
}

func toReasons(rs []corpus.Reason) []Reason {
	if rs == nil {
		return nil
	}
	out := make([]Reason, len(rs))
	for i, r := range rs {
		out[i] = Reason{Field: r.Field, Status: r.Status, Text: r.Text}
	}
	return out
}

// PolicyResponse is the JSON answer of /api/policies/{id}: the whole entry
// and whether it has expired.
type PolicyResponse struct {
	ID        string       `json:"id"`
	Title     string       `json:"title"`
	Kind      string       `json:"kind"`
	Category  string       `json:"category"`
	Audiences []string     `json:"audiences"`
	Summary   string       `json:"summary"`
	Content   string       `json:"content"`
	Basis     []Basis      `json:"basis"`
	Benefit   string       `json:"benefit,omitempty"`
	Amounts   []Amount     `json:"amounts"`
	Sources   []Source     `json:"sources"`
	Verified  string       `json:"verified,omitempty"`
	Guide     Guide        `json:"guide"`
	Locations []Location   `json:"locations"`
	Online    *Online      `json:"online,omitempty"`
	Agency    string       `json:"agency"`
	Region    string       `json:"region"`
	Effective string       `json:"effective,omitempty"`
	Expires   string       `json:"expires,omitempty"`
	Updated   string       `json:"updated"`
	Keywords  []string     `json:"keywords"`
	Rule      *Eligibility `json:"eligibility,omitempty"`
	Expired   bool         `json:"expired"`
}

// Basis is a document an entry rests on, resolved from the registry:
// Document is its id there (/api/documents/{id}) and Status whether it is
// in force. Items of entries written before the registry have neither.
type Basis struct {
	Document string `json:"document,omitempty"`
	Title    string `json:"title"`
	Number   string `json:"number"`
	Issuer   string `json:"issuer"`
	Date     string `json:"date"`
	Status   string `json:"status,omitempty"`
	Articles string `json:"articles,omitempty"`
}

// Amount is an amount or standard an entry states, from a day on.
type Amount struct {
	Name  string `json:"name"`
	Value string `json:"value"`
	From  string `json:"from"`
}

// Source is where facts come from.
type Source struct {
	Title     string `json:"title"`
	URL       string `json:"url"`
	Publisher string `json:"publisher"`
	Date      string `json:"date,omitempty"`
	Retrieved string `json:"retrieved,omitempty"`
	Note      string `json:"note,omitempty"`
}

func toSource(c corpus.Citation) Source {
	return Source{Title: c.Title, URL: c.URL, Publisher: c.Publisher, Date: c.Date, Retrieved: c.Retrieved, Note: c.Note}
}

// Guide is an entry's service guide.
type Guide struct {
	Eligibility []string `json:"eligibility"`
	Materials   []string `json:"materials"`
	Steps       []string `json:"steps"`
	TimeLimit   string   `json:"time_limit"`
	Fee         string   `json:"fee"`
}

// Location is a place that handles an entry.
type Location struct {
	ID      string  `json:"id,omitempty"`
	Name    string  `json:"name"`
	Address string  `json:"address"`
	Hours   string  `json:"hours"`
	Phone   string  `json:"phone"`
	Note    string  `json:"note,omitempty"`
	Source  *Source `json:"source,omitempty"`
}

// Online is where an entry can be handled online: the item's own page
// (url), or the words to search for on the portal (search).
type Online struct {
	URL    string `json:"url,omitempty"`
	Search string `json:"search,omitempty"`
	Label  string `json:"label"`
	Source string `json:"source,omitempty"`
}

// Eligibility is an entry's structured conditions: a test of one
// situation field, or a group of conditions that must all (all) or at
// least one (any) hold.
type Eligibility struct {
	Field  string         `json:"field,omitempty"`
	Op     string         `json:"op,omitempty"`
	Values []string       `json:"values,omitempty"`
	Number int            `json:"number,omitempty"`
	All    []*Eligibility `json:"all,omitempty"`
	Any    []*Eligibility `json:"any,omitempty"`
}

func toEligibility(c *corpus.Condition) *Eligibility {
	if c == nil {
		return nil
	}
	out := &Eligibility{Field: c.Field, Op: c.Op, Values: c.Values, Number: c.Number}
	for _, x := range c.All {
		out.All = append(out.All, toEligibility(x))
	}
	for _, x := range c.Any {
		out.Any = append(out.Any, toEligibility(x))
	}
	return out
}

// toPolicyResponse fills the answer of /api/policies/{id}.
func toPolicyResponse(p *corpus.Policy, expired bool) PolicyResponse {
	out := PolicyResponse{ID: p.ID, Title: p.Title, Kind: p.Kind, Category: p.Category, Audiences: p.Audiences,
		Summary: p.Summary, Content: p.Content, Basis: []Basis{}, Locations: []Location{}, Agency: p.Agency,
		Benefit: p.Benefit, Amounts: []Amount{}, Sources: []Source{}, Verified: p.Verified,
		Region: p.Region, Effective: p.Effective, Expires: p.Expires, Updated: p.Updated, Keywords: p.Keywords,
		Rule: toEligibility(p.Eligible), Expired: expired,
		Guide: Guide{Eligibility: p.Guide.Eligibility, Materials: p.Guide.Materials, Steps: p.Guide.Steps,
			TimeLimit: p.Guide.TimeLimit, Fee: p.Guide.Fee}}
	for _, b := range p.Basis {
		out.Basis = append(out.Basis, Basis(b))
	}
	for _, a := range p.Amounts {
		out.Amounts = append(out.Amounts, Amount(a))
	}
	for _, src := range p.Sources {
		out.Sources = append(out.Sources, toSource(src))
	}
	for _, l := range p.Locations {
		loc := Location{ID: l.ID, Name: l.Name, Address: l.Address, Hours: l.Hours, Phone: l.Phone, Note: l.Note}
		if l.Source != nil {
			src := toSource(*l.Source)
			loc.Source = &src
		}
		out.Locations = append(out.Locations, loc)
	}
	if p.Online != nil {
		out.Online = &Online{URL: p.Online.URL, Search: p.Online.Search, Label: p.Online.Label, Source: p.Online.Source}
	}
	return out
}

// SituationResponse is the JSON answer of /api/situation: every field a
// client needs to draw the situation form.
type SituationResponse struct {
	Fields []SituationField `json:"fields"`
	// NoneOption is the value of a set field meaning "none of these".
	NoneOption string `json:"none_option"`
}

// SituationField is one question of the situation form.
type SituationField struct {
	Name    string   `json:"name"`
	Label   string   `json:"label"`
	Kind    string   `json:"kind"`
	Unit    string   `json:"unit,omitempty"`
	Min     int      `json:"min,omitempty"`
	Max     int      `json:"max,omitempty"`
	Options []string `json:"options,omitempty"`
	Help    string   `json:"help,omitempty"`
	// NoneWith names a field and its value that mean this field has no
	// value at all: no disability, so no disability type.
	NoneWith *FieldValue `json:"none_with,omitempty"`
}

// FieldValue is a value of a named field.
type FieldValue struct {
	Field string `json:"field"`
	Value string `json:"value"`
}

func toSituationFields(fs []corpus.Field) []SituationField {
	out := make([]SituationField, len(fs))
	for i, f := range fs {
		out[i] = SituationField{Name: f.Name, Label: f.Label, Kind: string(f.Kind), Unit: f.Unit, Min: f.Min, Max: f.Max,
			Options: f.Options, Help: f.Help}
		if f.NoneWith != nil {
			out[i].NoneWith = &FieldValue{Field: f.NoneWith.Field, Value: f.NoneWith.Value}
		}
	}
	return out
}

// MatchResponse is the JSON answer of /api/match.
type MatchResponse struct {
	Eligible        []MatchedEntry `json:"eligible"`
	Maybe           []MatchedEntry `json:"maybe"`
	IneligibleCount int            `json:"ineligible_count"`
	// NextQuestions are the 1–3 facts not given that would settle the
	// most 可能符合 entries, the most telling first.
	NextQuestions []NextQuestion `json:"next_questions"`
}

// NextQuestion is a situation field worth asking next.
type NextQuestion struct {
	Field   string   `json:"field"`
	Label   string   `json:"label"`
	Kind    string   `json:"kind"`
	Options []string `json:"options,omitempty"`
	// Settles counts the 可能符合 entries that lack this fact.
	Settles int `json:"settles"`
}

func toNextQuestions(next []search.NextQuestion) []NextQuestion {
	out := []NextQuestion{}
	for _, n := range next {
		out = append(out, NextQuestion{Field: n.Field.Name, Label: n.Field.Label, Kind: string(n.Field.Kind), Options: n.Field.Options, Settles: n.Settles})
	}
	return out
}

// MatchedEntry is one entry of a MatchResponse with the reason for each
// of its conditions and, for maybe entries, the facts that are missing and
// the questions still to confirm.
type MatchedEntry struct {
	ID       string   `json:"id"`
	Title    string   `json:"title"`
	Category string   `json:"category"`
	Kind     string   `json:"kind"`
	Summary  string   `json:"summary"`
	Benefit  string   `json:"benefit,omitempty"`
	Online   bool     `json:"online"`
	Reasons  []Reason `json:"reasons"`
	Missing  []string `json:"missing,omitempty"`
	// Asks are questions no situation field answers that stand between the
	// person and 符合 (「还需确认」).
	Asks []string `json:"asks,omitempty"`
}

// Referral is someone who can answer what the base does not.
type Referral struct {
	Name   string `json:"name"`
	Phone  string `json:"phone"`
	URL    string `json:"url,omitempty"`
	Reason string `json:"reason"`
}

func toReferrals(rs []corpus.Referral) []Referral {
	var out []Referral
	for _, r := range rs {
		out = append(out, Referral{Name: r.Name, Phone: r.Phone, URL: r.URL, Reason: r.Reason})
	}
	return out
}
