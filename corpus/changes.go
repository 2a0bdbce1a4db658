package corpus

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
)

// Changes are what a corpus version changes of the one before it, entry by
// entry: the entries added or changed, and the ids of those removed.
type Changes struct {
	Changed []*Policy
	Deleted []string
}

// Len is how many entries change.
func (ch Changes) Len() int { return len(ch.Changed) + len(ch.Deleted) }

// entryJSON is an entry as a JSONL corpus holds it (places inline).
func entryJSON(p *Policy) ([]byte, error) {
	cp := *p
	cp.Places = nil
	data, err := json.Marshal(&cp)
	if err != nil {
		return nil, fmt.Errorf("entry %s: %w", p.ID, err)
	}
	return data, nil
}

// Diff returns the entries of next that old lacks or holds otherwise (by
// id and content), and the ids of old's entries next lacks.
func Diff(old, next *Corpus) (Changes, error) {
	var ch Changes
	for _, p := range next.Policies {
		q, ok := old.Get(p.ID)
		if ok {
			a, err := entryJSON(p)
			if err != nil {
				return ch, err
			}
			b, err := entryJSON(q)
			if err != nil {
				return ch, err
			}
			if bytes.Equal(a, b) {
				continue
			}
		}
		ch.Changed = append(ch.Changed, p)
	}
	for _, p := range old.Policies {
		if _, ok := next.Get(p.ID); !ok {
			ch.Deleted = append(ch.Deleted, p.ID)
		}
	}
	return ch, nil
}

// SettingLines are the lines of a JSONL corpus that hold c's registry of
// documents and its sites (nil for one it has none of).
func SettingLines(c *Corpus) ([][]byte, error) {
	reg, err := DocumentsLine(c.Documents)
	if err != nil {
		return nil, err
	}
	sites, err := SitesLine(c.Sites)
	if err != nil {
		return nil, err
	}
	return [][]byte{reg, sites}, nil
}

// SameSetting reports whether two corpora hold the same registry of
// documents and the same sites, so that what differs is entries alone.
func SameSetting(a, b *Corpus) (bool, error) {
	x, err := SettingLines(a)
	if err != nil {
		return false, err
	}
	y, err := SettingLines(b)
	if err != nil {
		return false, err
	}
	return slices.EqualFunc(x, y, bytes.Equal), nil
}

// Apply returns a new corpus: c's entries with ch applied, c's registry,
// sites and routing, and the given fingerprint and version. c is not
// changed.
func (c *Corpus) Apply(ch Changes, fingerprint string, version int64) *Corpus {
	deleted := make(map[string]bool, len(ch.Deleted))
	for _, id := range ch.Deleted {
		deleted[id] = true
	}
	changed := make(map[string]*Policy, len(ch.Changed))
	for _, p := range ch.Changed {
		changed[p.ID] = p
	}
	ps := make([]*Policy, 0, len(c.Policies)+len(ch.Changed))
	for _, p := range c.Policies {
		if q, ok := changed[p.ID]; ok {
			ps = append(ps, q)
			delete(changed, p.ID)
			continue
		}
		if !deleted[p.ID] {
			ps = append(ps, p)
		}
	}
	for _, p := range ch.Changed {
		if _, ok := changed[p.ID]; ok {
			ps = append(ps, p)
		}
	}
	next := NewCorpus(ps, fingerprint)
	next.Version = version
	next.Documents, next.Sites, next.Routing = c.Documents, c.Sites, c.Routing
	return next
}
