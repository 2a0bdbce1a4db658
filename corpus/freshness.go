package corpus

import (
	"slices"
	"strings"
	"time"
)

// DocumentWindow is how far ahead the admin status lists documents whose
// validity period ends.
const DocumentWindow = 60 * 24 * time.Hour

// Freshness says, as of a moment, how current the knowledge base is: the
// entries due for checking against their sources, the documents whose
// validity period ends soon, and how many facts are still unknown.
type Freshness struct {
	// Stale are the entries verified more than TrustWindow ago, or never.
	Stale []StaleEntry `json:"stale"`
	// Expiring are the documents whose expires falls within DocumentWindow.
	Expiring []ExpiringDocument `json:"expiring_documents"`
	Unknown  UnknownCounts      `json:"unknown"`
	// Entries counts the entries; VerifiedRecently those verified within
	// the last six months.
	Entries          int `json:"entries"`
	VerifiedRecently int `json:"verified_recently"`
}

// StaleEntry is an entry due for checking.
type StaleEntry struct {
	ID       string `json:"id"`
	Title    string `json:"title"`
	Verified string `json:"verified"`
	// Days since it was verified; -1 when it never was.
	Days int `json:"days"`
}

// ExpiringDocument is a document whose validity period ends soon.
type ExpiringDocument struct {
	ID      string `json:"id"`
	Title   string `json:"title"`
	Expires string `json:"expires"`
	Days    int    `json:"days"`
}

// UnknownCounts counts facts written as unknown.
type UnknownCounts struct {
	BasisNumbers   int `json:"basis_numbers"`
	DocumentDates  int `json:"document_dates"`
	PlaceAddresses int `json:"place_addresses"`
	PlacePhones    int `json:"place_phones"`
	PlaceHours     int `json:"place_hours"`
	TimeLimits     int `json:"time_limits"`
}

// VerifiedShare is the share of entries verified within the last six
// months, in percent rounded down; 0 without entries.
func (f Freshness) VerifiedShare() int {
	if f.Entries == 0 {
		return 0
	}
	return f.VerifiedRecently * 100 / f.Entries
}

// daysBetween counts whole Shanghai days from day a to day b.
func daysBetween(a, b time.Time) int {
	return int(b.Sub(a).Hours()/24 + 0.5)
}

// Freshness reports, as of now, how current the corpus is.
func (c *Corpus) Freshness(now time.Time) Freshness {
	f := Freshness{Stale: []StaleEntry{}, Expiring: []ExpiringDocument{}, Entries: len(c.Policies)}
	today, _ := ParseDate(Today(now))
	sixMonths := today.AddDate(0, -6, 0)
	seenDoc := map[string]bool{}
	seenPlace := map[string]bool{}
	for _, p := range c.Policies {
		v, err := ParseDate(p.Verified)
		switch {
		case err != nil:
			f.Stale = append(f.Stale, StaleEntry{ID: p.ID, Title: p.Title, Verified: p.Verified, Days: -1})
		case today.Sub(v) > TrustWindow:
			f.Stale = append(f.Stale, StaleEntry{ID: p.ID, Title: p.Title, Verified: p.Verified, Days: daysBetween(v, today)})
		}
		if err == nil && !v.Before(sixMonths) && !v.After(today) {
			f.VerifiedRecently++
		}
		for _, b := range p.Basis {
			if b.Document != "" {
				if seenDoc[b.Document] {
					continue
				}
				seenDoc[b.Document] = true
			}
			if b.Number == Unknown {
				f.Unknown.BasisNumbers++
			}
		}
		if p.Guide.TimeLimit == Unknown {
			f.Unknown.TimeLimits++
		}
		for _, l := range p.Locations {
			key := l.ID
			if key == "" {
				key = "name:" + l.Name
			}
			if seenPlace[key] {
				continue
			}
			seenPlace[key] = true
			if l.Address == Unknown {
				f.Unknown.PlaceAddresses++
			}
			if l.Phone == Unknown {
				f.Unknown.PlacePhones++
			}
			if l.Hours == Unknown {
				f.Unknown.PlaceHours++
			}
		}
	}
	for _, d := range c.Documents.Sorted() {
		if d.Adopted == Unknown || d.Effective == Unknown {
			f.Unknown.DocumentDates++
		}
		if at, ok := d.ExpiresAt(); ok && !now.After(at) && at.Sub(now) <= DocumentWindow {
			e, _ := ParseDate(d.Expires)
			f.Expiring = append(f.Expiring, ExpiringDocument{ID: d.ID, Title: d.Title, Expires: d.Expires, Days: daysBetween(today, e)})
		}
	}
	// The longest unchecked first.
	slices.SortStableFunc(f.Stale, func(a, b StaleEntry) int {
		if a.Days != b.Days {
			if a.Days < 0 || (b.Days >= 0 && a.Days > b.Days) {
				return -1
			}
			return 1
		}
		return strings.Compare(a.ID, b.ID)
	})
	slices.SortStableFunc(f.Expiring, func(a, b ExpiringDocument) int { return strings.Compare(a.Expires, b.Expires) })
	return f
}
