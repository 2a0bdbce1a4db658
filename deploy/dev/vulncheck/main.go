// Command vulncheck supports deploy/dev/vulncheck.sh, which runs govulncheck
// without its online database.
//
//	vulncheck db -osv DIR -out DIR
//
// writes a vulnerability database in the v1 layout that `govulncheck -db
// file://DIR` reads (index/db.json, index/modules.json, index/vulns.json and
// ID/<id>.json) from a directory of OSV entries, such as the data/osv
// directory of the golang.org/x/vulndb module. It computes what that module's
// cmd/indexdb computes, without its dependencies.
//
//	vulncheck report [-accept ID,ID…] < govulncheck.json
//
// reads the JSON stream of `govulncheck -format json`, prints each finding
// whose vulnerable symbols the code calls (ID, module and version, fixed
// version, symbols), and exits 1 when one of them is not in the accepted
// list.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: vulncheck db -osv DIR -out DIR | vulncheck report [-accept ID,ID…] < govulncheck.json")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "db":
		fs := flag.NewFlagSet("db", flag.ExitOnError)
		in := fs.String("osv", "", "directory of OSV entries (<id>.json)")
		out := fs.String("out", "", "directory to write the database to")
		fs.Parse(os.Args[2:])
		if *in == "" || *out == "" {
			fmt.Fprintln(os.Stderr, "vulncheck db: -osv and -out are required")
			os.Exit(2)
		}
		err = writeDB(*in, *out)
	case "report":
		fs := flag.NewFlagSet("report", flag.ExitOnError)
		accept := fs.String("accept", "", "comma-separated IDs of findings that are known and mitigated")
		fs.Parse(os.Args[2:])
		var unaccepted int
		unaccepted, err = report(os.Stdin, os.Stdout, strings.FieldsFunc(*accept, func(r rune) bool { return r == ',' || r == ' ' }))
		if err == nil && unaccepted > 0 {
			os.Exit(1)
		}
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "vulncheck:", err)
		os.Exit(2)
	}
}

// entry holds the parts of an OSV entry the indexes and the report need.
type entry struct {
	ID       string     `json:"id"`
	Modified string     `json:"modified"`
	Summary  string     `json:"summary,omitempty"`
	Aliases  []string   `json:"aliases,omitempty"`
	Affected []affected `json:"affected"`
}

type affected struct {
	Package struct {
		Name string `json:"name"`
	} `json:"package"`
	EcosystemSpecific struct {
		Imports []struct {
			Path    string   `json:"path"`
			Symbols []string `json:"symbols"`
		} `json:"imports"`
	} `json:"ecosystem_specific"`
	Ranges []struct {
		Type   string `json:"type"`
		Events []struct {
			Introduced string `json:"introduced,omitempty"`
			Fixed      string `json:"fixed,omitempty"`
		} `json:"events"`
	} `json:"ranges,omitempty"`
}

// The database's index files, as cmd/indexdb of golang.org/x/vulndb writes them.
type (
	dbMeta struct {
		Modified string `json:"modified"`
	}
	module struct {
		Path  string       `json:"path"`
		Vulns []moduleVuln `json:"vulns"`
	}
	moduleVuln struct {
		ID       string `json:"id"`
		Modified string `json:"modified"`
		Fixed    string `json:"fixed,omitempty"`
	}
	vuln struct {
		ID       string   `json:"id"`
		Modified string   `json:"modified"`
		Aliases  []string `json:"aliases,omitempty"`
	}
)

// writeDB reads every <id>.json in dir in and writes the database to out.
// Entries are copied as they are; the indexes are computed from them.
func writeDB(in, out string) error {
	files, err := filepath.Glob(filepath.Join(in, "*.json"))
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return fmt.Errorf("no OSV entries in %s", in)
	}
	slices.Sort(files)
	for _, d := range []string{"index", "ID"} {
		if err := os.MkdirAll(filepath.Join(out, d), 0o755); err != nil {
			return err
		}
	}
	var (
		latest  time.Time
		db      = dbMeta{Modified: latest.Format(time.RFC3339)}
		modules = map[string]*module{}
		vulns   []vuln
		seen    = map[string]bool{}
	)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		var e entry
		if err := json.Unmarshal(b, &e); err != nil {
			return fmt.Errorf("%s: %v", f, err)
		}
		if e.ID == "" || filepath.Base(f) != e.ID+".json" {
			return fmt.Errorf("%s: entry id %q does not match the file name", f, e.ID)
		}
		if seen[e.ID] {
			return fmt.Errorf("%s: id %s appears twice", f, e.ID)
		}
		seen[e.ID] = true
		mod, err := time.Parse(time.RFC3339, e.Modified)
		if err != nil {
			return fmt.Errorf("%s: modified: %v", f, err)
		}
		if mod.After(latest) {
			latest, db.Modified = mod, e.Modified
		}
		vulns = append(vulns, vuln{ID: e.ID, Modified: e.Modified, Aliases: e.Aliases})
		for _, a := range e.Affected {
			m := modules[a.Package.Name]
			if m == nil {
				m = &module{Path: a.Package.Name, Vulns: []moduleVuln{}}
				modules[a.Package.Name] = m
			}
			m.Vulns = append(m.Vulns, moduleVuln{ID: e.ID, Modified: e.Modified, Fixed: latestFixed(a)})
		}
		if err := os.WriteFile(filepath.Join(out, "ID", e.ID+".json"), b, 0o644); err != nil {
			return err
		}
	}
	mods := make([]*module, 0, len(modules))
	for _, m := range modules {
		slices.SortStableFunc(m.Vulns, func(a, b moduleVuln) int { return strings.Compare(a.ID, b.ID) })
		mods = append(mods, m)
	}
	slices.SortFunc(mods, func(a, b *module) int { return strings.Compare(a.Path, b.Path) })
	slices.SortFunc(vulns, func(a, b vuln) int { return strings.Compare(a.ID, b.ID) })
	for name, v := range map[string]any{"db.json": db, "modules.json": mods, "vulns.json": vulns} {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(out, "index", name), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// latestFixed is the version from which no version is affected any more,
// or "" when the latest fix was followed by a new introduction (or there is
// no fix): the "fixed" of index/modules.json, which govulncheck uses to skip
// entries that cannot affect a version.
func latestFixed(a affected) string {
	var fixed string
	for _, r := range a.Ranges {
		if r.Type != "SEMVER" {
			continue
		}
		for _, e := range r.Events {
			if e.Fixed != "" && semverLess(fixed, e.Fixed) {
				fixed = e.Fixed
			}
		}
		for _, e := range r.Events {
			if e.Introduced != "" && e.Introduced != "0" && semverLess(fixed, e.Introduced) {
				fixed = ""
				break
			}
		}
	}
	return fixed
}

// semverLess reports whether v < w for unprefixed semantic versions, ordered
// as golang.org/x/mod/semver orders them: an invalid version sorts before
// every valid one, "1" and "1.2" stand for "1.0.0" and "1.2.0", and build
// metadata is ignored.
func semverLess(v, w string) bool {
	pv, okv := parseSemver(v)
	pw, okw := parseSemver(w)
	switch {
	case !okv || !okw:
		return !okv && okw
	}
	for i := range 3 {
		if c := compareNumeric(pv.num[i], pw.num[i]); c != 0 {
			return c < 0
		}
	}
	return comparePrerelease(pv.pre, pw.pre) < 0
}

type semver struct {
	num [3]string
	pre string // without the leading "-"
}

func parseSemver(v string) (semver, bool) {
	var p semver
	core, suffix := v, false
	if i := strings.IndexByte(core, '+'); i >= 0 {
		if !validIdents(core[i+1:], false) {
			return p, false
		}
		core, suffix = core[:i], true
	}
	if i := strings.IndexByte(core, '-'); i >= 0 {
		core, p.pre, suffix = core[:i], core[i+1:], true
		if !validIdents(p.pre, true) {
			return p, false
		}
	}
	parts := strings.Split(core, ".")
	if len(parts) > 3 || (len(parts) < 3 && suffix) {
		return p, false
	}
	for i := range p.num {
		p.num[i] = "0"
		if i < len(parts) {
			if !isNumeric(parts[i]) {
				return p, false
			}
			p.num[i] = parts[i]
		}
	}
	return p, true
}

// validIdents checks dot-separated identifiers of a prerelease or build
// suffix; numeric prerelease identifiers may not have leading zeros.
func validIdents(s string, pre bool) bool {
	for id := range strings.SplitSeq(s, ".") {
		if id == "" {
			return false
		}
		for _, c := range id {
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-') {
				return false
			}
		}
		if pre && allDigits(id) && len(id) > 1 && id[0] == '0' {
			return false
		}
	}
	return true
}

func isNumeric(s string) bool { return allDigits(s) && (s == "0" || s[0] != '0') }

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// compareNumeric compares decimal numbers without leading zeros.
func compareNumeric(a, b string) int {
	if c := len(a) - len(b); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}

// comparePrerelease orders prereleases: none sorts after any; identifiers
// compare in turn, numeric ones by value and before alphanumeric ones; a
// shorter list of equal identifiers sorts first.
func comparePrerelease(a, b string) int {
	switch {
	case a == b:
		return 0
	case a == "":
		return 1
	case b == "":
		return -1
	}
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(as) && i < len(bs); i++ {
		x, y := as[i], bs[i]
		if x == y {
			continue
		}
		xn, yn := allDigits(x), allDigits(y)
		switch {
		case xn && yn:
			return compareNumeric(x, y)
		case xn:
			return -1
		case yn:
			return 1
		}
		return strings.Compare(x, y)
	}
	return len(as) - len(bs)
}

// The parts of govulncheck's JSON stream the report reads.
type (
	message struct {
		Config *struct {
			GoVersion string `json:"go_version"`
			DB        string `json:"db"`
		} `json:"config"`
		OSV     *entry   `json:"osv"`
		Finding *finding `json:"finding"`
	}
	finding struct {
		OSV          string  `json:"osv"`
		FixedVersion string  `json:"fixed_version"`
		Trace        []frame `json:"trace"`
	}
	frame struct {
		Module   string `json:"module"`
		Version  string `json:"version"`
		Package  string `json:"package"`
		Function string `json:"function"`
		Receiver string `json:"receiver"`
	}
)

// called is one vulnerability the code reaches, in one module.
type called struct {
	id, module, version, fixed string
	symbols                    []string
}

// report prints the findings whose vulnerable symbols are called and
// returns how many of their IDs are not accepted.
func report(r io.Reader, w io.Writer, accept []string) (int, error) {
	dec := json.NewDecoder(r)
	osvs := map[string]*entry{}
	var found []*called
	byKey := map[string]*called{}
	goVersion := ""
	imported, required := map[string]bool{}, map[string]bool{}
	for {
		var m message
		if err := dec.Decode(&m); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return 0, fmt.Errorf("reading govulncheck's JSON: %v", err)
		}
		switch {
		case m.Config != nil:
			goVersion = m.Config.GoVersion
		case m.OSV != nil:
			osvs[m.OSV.ID] = m.OSV
		case m.Finding != nil && len(m.Finding.Trace) > 0 && m.Finding.Trace[0].Function == "":
			if m.Finding.Trace[0].Package != "" {
				imported[m.Finding.OSV] = true
			} else {
				required[m.Finding.OSV] = true
			}
		case m.Finding != nil && len(m.Finding.Trace) > 0 && m.Finding.Trace[0].Function != "":
			f := m.Finding
			top := f.Trace[0]
			key := f.OSV + " " + top.Module
			c := byKey[key]
			if c == nil {
				c = &called{id: f.OSV, module: top.Module, version: top.Version, fixed: f.FixedVersion}
				byKey[key] = c
				found = append(found, c)
			}
			sym := top.Function
			if top.Receiver != "" {
				sym = strings.TrimPrefix(top.Receiver, "*") + "." + sym
			}
			sym = top.Package + "." + sym
			if !slices.Contains(c.symbols, sym) {
				c.symbols = append(c.symbols, sym)
			}
		}
	}
	slices.SortStableFunc(found, func(a, b *called) int { return strings.Compare(b.id, a.id) })
	fmt.Fprintf(w, "govulncheck with %s: %d called vulnerabilities\n", goVersion, len(distinctIDs(found)))
	unaccepted := map[string]bool{}
	for _, c := range found {
		fixed := c.fixed
		if fixed == "" {
			fixed = "none"
		}
		state := "NEW"
		if slices.Contains(accept, c.id) {
			state = "accepted"
		} else {
			unaccepted[c.id] = true
		}
		mod := c.module
		if c.version != "" {
			mod += "@" + c.version
		}
		e := osvs[c.id]
		if e == nil {
			e = &entry{}
		}
		fmt.Fprintf(w, "\n%s (%s) %s\n  found in %s, fixed in %s\n", c.id, state, e.Summary, mod, fixed)
		slices.Sort(c.symbols)
		const most = 8
		switch {
		case !e.namesSymbols(c.module):
			fmt.Fprintf(w, "  the advisory names no symbols of %s, so every use counts (%d symbols called)\n", c.module, len(c.symbols))
		case len(c.symbols) > most:
			fmt.Fprintf(w, "  %d symbols called, among them %s, …\n", len(c.symbols), strings.Join(c.symbols[:most], ", "))
		default:
			fmt.Fprintf(w, "  called: %s\n", strings.Join(c.symbols, ", "))
		}
	}
	ids := distinctIDs(found)
	for id := range imported {
		if slices.Contains(ids, id) {
			delete(imported, id)
		}
	}
	for id := range required {
		if slices.Contains(ids, id) || imported[id] {
			delete(required, id)
		}
	}
	fmt.Fprintf(w, "\nnot called: %d more in imported packages, %d more in required modules (-show verbose lists them)\n", len(imported), len(required))
	for _, id := range accept {
		if !slices.Contains(ids, id) {
			fmt.Fprintf(w, "\n%s is accepted but no longer found: drop it from the accepted list\n", id)
		}
	}
	if len(unaccepted) > 0 {
		fmt.Fprintf(w, "\ncalled, neither fixed nor accepted: %s\n", strings.Join(slices.Sorted(maps.Keys(unaccepted)), ", "))
	}
	return len(unaccepted), nil
}

// namesSymbols reports whether the entry names the vulnerable symbols of
// module; when it names none, govulncheck counts every symbol as vulnerable.
func (e *entry) namesSymbols(module string) bool {
	for _, a := range e.Affected {
		if a.Package.Name != module {
			continue
		}
		for _, imp := range a.EcosystemSpecific.Imports {
			if len(imp.Symbols) > 0 {
				return true
			}
		}
	}
	return false
}

func distinctIDs(found []*called) []string {
	var ids []string
	for _, c := range found {
		if !slices.Contains(ids, c.id) {
			ids = append(ids, c.id)
		}
	}
	return ids
}
