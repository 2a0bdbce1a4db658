package corpus

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// ReferralsFile is the routing table of a corpus directory: where to send
// a question the knowledge base does not answer.
const ReferralsFile = "referrals.yaml"

// Referral is someone who can answer what the base does not.
type Referral struct {
	Name   string   `yaml:"name" json:"name"`
	Phone  string   `yaml:"phone" json:"phone"`
	URL    string   `yaml:"url,omitempty" json:"url,omitempty"`
	Reason string   `yaml:"reason" json:"reason"`
	Source Citation `yaml:"source" json:"source"`
}

// Citation says where a fact comes from: the official page or document
// (Note says when only a copy of it was reachable).
type Citation struct {
	Title     string `yaml:"title" json:"title"`
	URL       string `yaml:"url" json:"url"`
	Publisher string `yaml:"publisher" json:"publisher"`
	Date      string `yaml:"date" json:"date"`
	// Retrieved is the day the source was read.
	Retrieved string `yaml:"retrieved,omitempty" json:"retrieved,omitempty"`
	Note      string `yaml:"note,omitempty" json:"note,omitempty"`
}

// Topic is a subject the base does not cover, the words that show a
// question is about it, and who to send it to.
type Topic struct {
	ID        string     `yaml:"id"`
	Name      string     `yaml:"name"`
	Triggers  []string   `yaml:"triggers"`
	Referrals []Referral `yaml:"referrals"`
}

// Routing is a corpus's routing table.
type Routing struct {
	Topics  []Topic    `yaml:"topics"`
	Default []Referral `yaml:"default"`
}

var phoneRE = regexp.MustCompile(`^(0\d{2,3}-)?\d{4,8}$`)

// ParseRouting reads and checks a routing table.
func ParseRouting(file string, data []byte) (*Routing, Problems) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, Problems{yamlProblem(file, err)}
	}
	var r Routing
	if err := doc.Decode(&r); err != nil {
		return nil, Problems{yamlProblem(file, err)}
	}
	var probs Problems
	report := func(format string, args ...any) {
		probs = append(probs, Problem{File: file, Line: 1, Message: fmt.Sprintf(format, args...)})
	}
	checkReferral := func(at string, ref Referral) {
		if strings.TrimSpace(ref.Name) == "" || utf8.RuneCountInString(ref.Name) > 40 {
			report("%s: name must be 1 to 40 characters", at)
		}
		if n := utf8.RuneCountInString(strings.TrimSpace(ref.Reason)); n == 0 || n > 120 {
			report("%s: reason must be 1 to 120 characters", at)
		}
		if ref.Phone != Unknown && !phoneRE.MatchString(ref.Phone) {
			report("%s: phone %q is not a phone number (or %s)", at, ref.Phone, Unknown)
		}
		if ref.URL != "" {
			if err := checkLink(ref.URL); err != nil {
				report("%s: %v", at, err)
			}
		}
		if strings.TrimSpace(ref.Source.Title) == "" || strings.TrimSpace(ref.Source.URL) == "" || strings.TrimSpace(ref.Source.Publisher) == "" {
			report("%s: a referral needs a source with title, url and publisher", at)
		}
	}
	if len(r.Default) == 0 {
		report("default: the routing table needs default referrals")
	}
	for i, ref := range r.Default {
		checkReferral(fmt.Sprintf("default[%d]", i), ref)
	}
	owner := map[string]string{}
	for i, t := range r.Topics {
		at := fmt.Sprintf("topics[%d] (%s)", i, t.ID)
		if !slugRE.MatchString(t.ID) || strings.TrimSpace(t.Name) == "" {
			report("%s: a topic needs an id of lower-case letters, digits and '-', and a name", at)
		}
		if len(t.Triggers) == 0 || len(t.Referrals) == 0 {
			report("%s: a topic needs trigger words and referrals", at)
		}
		for _, w := range t.Triggers {
			if w = strings.TrimSpace(w); w == "" {
				report("%s: an empty trigger", at)
			} else if prev, ok := owner[w]; ok && prev != t.ID {
				report("%s: trigger %q is also a trigger of %s", at, w, prev)
			} else {
				owner[w] = t.ID
			}
		}
		for j, ref := range t.Referrals {
			checkReferral(fmt.Sprintf("%s.referrals[%d]", at, j), ref)
		}
	}
	return &r, probs
}

// checkLink accepts a path on this site or an https link to an allowed
// official host.
func checkLink(raw string) error {
	if strings.HasPrefix(raw, "/") && !strings.HasPrefix(raw, "//") {
		if _, err := url.Parse(raw); err != nil {
			return fmt.Errorf("link %q does not parse", raw)
		}
		return nil
	}
	return CheckOnlineURL(raw)
}

// embeddedRouting is the routing table built into the binary, for corpora
// that carry none (JSONL exports, versions in a shared store).
func embeddedRouting() *Routing {
	data, err := embedded.ReadFile(ReferralsFile)
	if err != nil {
		panic(err)
	}
	r, probs := ParseRouting("corpus/"+ReferralsFile, data)
	if len(probs) > 0 {
		panic(fmt.Sprintf("the embedded routing table: %v", probs))
	}
	return r
}
