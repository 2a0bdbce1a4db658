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
	Snippet  string  `json:"snippet"`
	Score    float64 `json:"score"`
	Online   bool    `json:"online"`
	Expired  bool    `json:"expired"`
	// Eligibility and Reasons are set when the request gave a situation.
	Eligibility string   `json:"eligibility,omitempty"`
	Reasons     []Reason `json:"reasons,omitempty"`
	Missing     []string `json:"missing,omitempty"`
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

// Basis is a document an entry rests on.
type Basis struct {
	Title    string `json:"title"`
	Number   string `json:"number"`
	Issuer   string `json:"issuer"`
	Date     string `json:"date"`
	Articles string `json:"articles,omitempty"`
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
	ID      string `json:"id,omitempty"`
	Name    string `json:"name"`
	Address string `json:"address"`
	Hours   string `json:"hours"`
	Phone   string `json:"phone"`
	Note    string `json:"note,omitempty"`
}

// Online is where an entry can be handled online.
type Online struct {
	URL   string `json:"url"`
	Label string `json:"label"`
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
		Region: p.Region, Effective: p.Effective, Expires: p.Expires, Updated: p.Updated, Keywords: p.Keywords,
		Rule: toEligibility(p.Eligible), Expired: expired,
		Guide: Guide{Eligibility: p.Guide.Eligibility, Materials: p.Guide.Materials, Steps: p.Guide.Steps,
			TimeLimit: p.Guide.TimeLimit, Fee: p.Guide.Fee}}
	for _, b := range p.Basis {
		out.Basis = append(out.Basis, Basis(b))
	}
	for _, l := range p.Locations {
		out.Locations = append(out.Locations, Location(l))
	}
	if p.Online != nil {
		out.Online = &Online{URL: p.Online.URL, Label: p.Online.Label}
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
}

// MatchedEntry is one entry of a MatchResponse with the reason for each
// of its conditions and, for maybe entries, the facts that are missing.
type MatchedEntry struct {
	ID       string   `json:"id"`
	Title    string   `json:"title"`
	Category string   `json:"category"`
	Kind     string   `json:"kind"`
	Summary  string   `json:"summary"`
	Online   bool     `json:"online"`
	Reasons  []Reason `json:"reasons"`
	Missing  []string `json:"missing,omitempty"`
}
