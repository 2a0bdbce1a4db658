package corpus

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Source provides a corpus: a directory of files today, a shared database
// later. Load validates what it reads; a corpus with any problem is an error
// of type *CheckError and yields no corpus at all.
type Source interface {
	Load(ctx context.Context) (*Corpus, error)
	// String names the source for logs and status pages.
	String() string
}

// PoliciesDir and PlacesFile are the layout of a corpus directory.
const (
	PoliciesDir = "policies"
	PlacesFile  = "places.yaml"
)

//go:embed policies/*.yaml places.yaml referrals.yaml documents.yaml sites/*/site.yaml cases/*.yaml
var embedded embed.FS

// Embedded returns the corpus built into the binary.
func Embedded() Source { return &DirSource{FS: embedded, Name: "embedded", Prefix: "corpus"} }

// Dir returns the corpus in a directory laid out like the embedded one:
// DIR/places.yaml and DIR/policies/*.yaml. Each Load opens the directory
// anew with os.OpenRoot and reads only regular files inside it.
func Dir(dir string) Source { return &DirSource{Root: dir, Name: dir, Prefix: dir} }

// DirSource reads a corpus from a file system: FS, or the directory Root:
// places.yaml, policies/*.yaml and, when present, documents.yaml and
// referrals.yaml.
// Only regular files are read, each at most MaxFileBytes and together at
// most MaxDirBytes; anything else in their place is a problem.
type DirSource struct {
	FS fs.FS
	// Root, if set, is a directory opened with os.OpenRoot at each Load and
	// read instead of FS: no path or symbolic link leads out of it.
	Root string
	Name string
	// Prefix is put before file names in problems, so they name a path a
	// person can open.
	Prefix string
}

func (s *DirSource) String() string { return s.Name }

// Load reads, resolves and checks every file.
func (s *DirSource) Load(ctx context.Context) (*Corpus, error) {
	d := &dirFiles{fsys: s.FS, prefix: s.Prefix, left: MaxDirBytes}
	if s.Root != "" {
		root, err := os.OpenRoot(s.Root)
		if err != nil {
			return nil, fmt.Errorf("corpus: %w", err)
		}
		defer root.Close()
		d.fsys, d.root = root.FS(), root
	}
	// Listing a directory that is not there, or that a symbolic link
	// outside leads to, would find nothing; say why instead.
	if _, err := fs.Stat(d.fsys, PoliciesDir); err != nil {
		if info, lerr := fs.Lstat(d.fsys, PoliciesDir); lerr == nil && info.Mode()&fs.ModeSymlink != 0 {
			return nil, fmt.Errorf("corpus %s: %s is a symbolic link that leads out of the corpus directory or to nothing", s.Name, PoliciesDir)
		}
		return nil, fmt.Errorf("corpus %s: %w", s.Name, err)
	}
	names, err := fs.Glob(d.fsys, PoliciesDir+"/*.yaml")
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", s.Name, err)
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("corpus %s: no files match %s/*.yaml", s.Name, PoliciesDir)
	}
	slices.Sort(names)
	head := []string{PlacesFile}
	if _, err := fs.Lstat(d.fsys, DocumentsFile); err == nil {
		head = append(head, DocumentsFile)
	}
	siteNames, err := fs.Glob(d.fsys, SitesDir+"/*/"+SiteFile)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", s.Name, err)
	}
	slices.Sort(siteNames)
	head = append(head, siteNames...)
	caseNames, err := fs.Glob(d.fsys, CasesDir+"/*.yaml")
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", s.Name, err)
	}
	slices.Sort(caseNames)
	files, err := d.statAll(append(append(head, names...), caseNames...))
	if err != nil {
		return nil, fmt.Errorf("corpus %s: %w", s.Name, err)
	}

	var probs Problems
	for _, f := range files {
		if f.prob != nil {
			probs = append(probs, *f.prob)
		}
	}
	if d.full() {
		// Nothing is read.
		return nil, &CheckError{Problems: probs}
	}

	var places map[string]Location
	docs := Documents{}
	var ps []*Policy
	var cases []casesFile
	var siteList []*Site
	sum := sha256.New()
	for _, f := range files {
		if f.prob != nil {
			continue
		}
		data, prob, err := d.read(ctx, f.name)
		if err != nil {
			return nil, err
		}
		if prob != nil {
			probs = append(probs, *prob)
			if d.full() {
				// The files after it are not read.
				return nil, &CheckError{Problems: probs}
			}
			continue
		}
		file := path.Join(s.Prefix, f.name)
		if strings.HasPrefix(f.name, CasesDir+"/") {
			// Checked once the entries are read; what is served does not
			// depend on them (not in the fingerprint).
			cases = append(cases, casesFile{file, f.name, data})
			continue
		}
		if f.name == PlacesFile {
			sum.Write(data)
			var placeProbs Problems
			places, placeProbs = ParsePlaces(file, data)
			probs = append(probs, placeProbs...)
			continue
		}
		if f.name == DocumentsFile {
			sum.Write([]byte(f.name))
			sum.Write(data)
			var docProbs Problems
			docs, docProbs = ParseDocuments(file, data)
			probs = append(probs, docProbs...)
			continue
		}
		if strings.HasPrefix(f.name, SitesDir+"/") {
			sum.Write([]byte(f.name))
			sum.Write(data)
			site, siteProbs := ParseSite(file, path.Base(path.Dir(f.name)), data)
			probs = append(probs, siteProbs...)
			if site != nil {
				siteList = append(siteList, site)
			}
			continue
		}
		sum.Write([]byte(f.name))
		sum.Write(data)
		p, fileProbs := ParsePolicy(file, strings.TrimSuffix(path.Base(f.name), ".yaml"), data)
		probs = append(probs, fileProbs...)
		if p != nil {
			ps = append(ps, p)
		}
	}
	probs = append(probs, Check(ps, places, docs)...)
	probs = append(probs, checkCasesFiles(ps, cases)...)
	// A directory without sites has the built-in ones, whose places are
	// the embedded places file's.
	sites, sitePlaces := builtinSites(), map[string]Location(nil)
	if len(siteNames) > 0 {
		sites, sitePlaces = NewSites(siteList), places
	}
	probs = append(probs, CheckSites(sites, sitePlaces, ps)...)
	routing, routingProbs, err := d.routing(ctx)
	if err != nil {
		return nil, err
	}
	probs = append(probs, routingProbs...)
	if len(probs) > 0 {
		return nil, &CheckError{Problems: probs}
	}
	c := NewCorpus(ps, hex.EncodeToString(sum.Sum(nil))[:16])
	c.Documents = docs
	if routing != nil {
		c.Routing = routing
	}
	if len(siteNames) > 0 {
		sites.Resolve(places)
		c.Sites = sites
	}
	return c, nil
}

// routing reads the directory's routing table, if it has one.
func (d *dirFiles) routing(ctx context.Context) (*Routing, Problems, error) {
	if _, err := fs.Stat(d.fsys, ReferralsFile); errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	files, err := d.statAll([]string{ReferralsFile})
	if err != nil {
		return nil, nil, err
	}
	if files[0].prob != nil {
		return nil, Problems{*files[0].prob}, nil
	}
	data, prob, err := d.read(ctx, ReferralsFile)
	if err != nil || prob != nil {
		if prob != nil {
			return nil, Problems{*prob}, err
		}
		return nil, nil, err
	}
	r, probs := ParseRouting(path.Join(d.prefix, ReferralsFile), data)
	return r, probs, nil
}

// ParsePlaces decodes a places file: a mapping from place id to its facts.
func ParsePlaces(file string, data []byte) (map[string]Location, Problems) {
	var probs Problems
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, Problems{yamlProblem(file, err)}
	}
	places := map[string]Location{}
	if len(doc.Content) == 0 {
		return places, Problems{{File: file, Line: 1, Message: "no places"}}
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, Problems{{File: file, Line: root.Line, Message: "places must be a mapping from id to place"}}
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		var loc Location
		if err := decodeStrict(v, &loc); err != nil {
			probs = append(probs, Problem{File: file, Line: v.Line, Message: err.Error()})
			continue
		}
		loc.ID = k.Value
		if !slugRE.MatchString(k.Value) {
			probs = append(probs, Problem{File: file, Line: k.Line, Message: fmt.Sprintf("place id %q must be lower-case letters, digits and '-'", k.Value)})
		}
		if _, dup := places[k.Value]; dup {
			probs = append(probs, Problem{File: file, Line: k.Line, Message: fmt.Sprintf("place %q defined twice", k.Value)})
		}
		for _, f := range []struct{ name, val string }{{"name", loc.Name}, {"address", loc.Address}, {"hours", loc.Hours}, {"phone", loc.Phone}} {
			if strings.TrimSpace(f.val) == "" {
				probs = append(probs, Problem{File: file, Line: v.Line, Message: fmt.Sprintf("place %s: %s is empty (write %s if it is not known)", k.Value, f.name, Unknown)})
			}
		}
		if loc.Name == Unknown {
			probs = append(probs, Problem{File: file, Line: v.Line, Message: fmt.Sprintf("place %s: the name must be known", k.Value)})
		}
		if loc.Source != nil {
			id, line := k.Value, v.Line
			for j := 0; j+1 < len(v.Content); j += 2 {
				if v.Content[j].Value == "source" {
					line = v.Content[j].Line
				}
			}
			checkCitation(func(path, format string, args ...any) {
				probs = append(probs, Problem{File: file, Line: line, Message: fmt.Sprintf("place %s: ", id) + fmt.Sprintf(format, args...)})
			}, "source", *loc.Source)
		}
		places[k.Value] = loc
	}
	return places, probs
}

// decodeStrict decodes a node, refusing keys the target does not have.
func decodeStrict(n *yaml.Node, v any) error {
	out, err := yaml.Marshal(n)
	if err != nil {
		return err
	}
	dec := yaml.NewDecoder(bytes.NewReader(out))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		// Line numbers in this error are relative to the node; drop them.
		return errors.New(lineRE.ReplaceAllString(strings.TrimPrefix(err.Error(), "yaml: unmarshal errors:\n  "), ""))
	}
	return nil
}

var (
	slugRE = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	lineRE = regexp.MustCompile(`line (\d+): `)
)

// ParsePolicy decodes one entry. It returns nil and the problems when the
// file cannot be decoded at all; field-level checks are done by Check.
func ParsePolicy(file, id string, data []byte) (*Policy, Problems) {
	return parsePolicy(file, id, data, 1)
}

// parsePolicy decodes an entry that starts at line first of its file. With
// an empty id the entry must carry its own.
func parsePolicy(file, id string, data []byte, first int) (*Policy, Problems) {
	shift := func(probs Problems) Problems {
		for i := range probs {
			probs[i].Line += first - 1
		}
		return probs
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, shift(Problems{yamlProblem(file, err)})
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, shift(Problems{{File: file, Line: 1, Message: "an entry must be a mapping of fields"}})
	}
	var p Policy
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&p); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			var probs Problems
			for _, msg := range te.Errors {
				probs = append(probs, lineProblem(file, msg))
			}
			return nil, shift(probs)
		}
		return nil, shift(Problems{yamlProblem(file, err)})
	}
	switch {
	case id == "" && p.ID == "":
		return nil, shift(Problems{{File: file, Line: 1, Message: "the entry has no id"}})
	case id != "" && p.ID != "" && p.ID != id:
		return nil, shift(Problems{{File: file, Line: 1, Message: fmt.Sprintf("id %q differs from the file name %q", p.ID, id)}})
	case id != "":
		p.ID = id
	}
	p.Source = file
	p.lines = map[string]int{}
	collectLines(doc.Content[0], "", p.lines)
	for k, l := range p.lines {
		p.lines[k] = l + first - 1
	}
	shiftConditions(p.Eligible, first-1)
	return &p, nil
}

func shiftConditions(c *Condition, by int) {
	if c == nil || by == 0 {
		return
	}
	c.Line += by
	for _, it := range append(slices.Clone(c.All), c.Any...) {
		shiftConditions(it, by)
	}
}

// collectLines records the line of every value under a dotted path such as
// "basis[1].number".
func collectLines(n *yaml.Node, prefix string, lines map[string]int) {
	lines[prefix] = n.Line
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			key := n.Content[i].Value
			if prefix != "" {
				key = prefix + "." + key
			}
			lines[key] = n.Content[i].Line
			collectLines(n.Content[i+1], key, lines)
			lines[key] = n.Content[i].Line
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			collectLines(c, fmt.Sprintf("%s[%d]", prefix, i), lines)
		}
	}
}

// line returns the line of a path, or of its nearest recorded parent.
func (p *Policy) line(path string) int { return lineIn(p.lines, path, 1) }

// lineIn returns the line collectLines recorded for a path, or for its
// nearest recorded parent, else fallback.
func lineIn(lines map[string]int, path string, fallback int) int {
	for {
		if l, ok := lines[path]; ok {
			return l
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			return fallback
		}
		path = path[:i]
	}
}

func yamlProblem(file string, err error) Problem {
	return lineProblem(file, strings.TrimPrefix(err.Error(), "yaml: "))
}

func lineProblem(file, msg string) Problem {
	line := 1
	if m := lineRE.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = strings.Replace(msg, m[0], "", 1)
	}
	return Problem{File: file, Line: line, Message: msg}
}

// casesFile is a cases file read: its name in problems, its path in the
// directory and its content.
type casesFile struct {
	file, name string
	data       []byte
}

// checkCasesFiles runs each cases file against its entry of ps.
func checkCasesFiles(ps []*Policy, files []casesFile) Problems {
	byID := map[string]*Policy{}
	for _, p := range ps {
		byID[p.ID] = p
	}
	var probs Problems
	for _, f := range files {
		id, ok := CasesIDOf(f.name)
		if !ok {
			probs = append(probs, Problem{File: f.file, Line: 1, Message: "a cases file is named after its entry's id: cases/ID.yaml"})
			continue
		}
		probs = append(probs, CheckCases(f.file, byID[id], f.data)...)
	}
	return probs
}

// Fixed returns a source that always yields c, already loaded and checked.
func Fixed(c *Corpus) Source { return fixed{c} }

type fixed struct{ c *Corpus }

func (f fixed) Load(context.Context) (*Corpus, error) { return f.c, nil }
func (f fixed) String() string                        { return "loaded corpus " + f.c.Fingerprint }
