package corpus

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
)

// Open returns the source at path: a JSONL file of entries (one JSON object
// a line, as exported from another system), or a corpus directory. A
// symbolic link is followed; a device or a named pipe is refused.
func Open(path string) (Source, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("corpus: %w", err)
	}
	switch {
	case fi.IsDir():
		return Dir(path), nil
	case fi.Mode().IsRegular():
		return JSONL(path), nil
	}
	return nil, fmt.Errorf("corpus %s is %s, neither a directory nor a regular file", path, kindOf(fi.Mode()))
}

// JSONL returns the corpus in a JSONL file. Each line is one entry with the
// fields of a YAML entry plus its id; places may be described inline under
// "locations", or named under "places" from the embedded places file.
func JSONL(path string) Source { return &JSONLSource{Path: path} }

// JSONLSource reads a corpus from a JSONL file: a regular file (or a
// symbolic link to one) of at most MaxJSONLBytes, lines of at most
// MaxLineBytes.
type JSONLSource struct{ Path string }

func (s *JSONLSource) String() string { return s.Path }

// Load reads and checks every line; problems name the file and line.
func (s *JSONLSource) Load(ctx context.Context) (*Corpus, error) {
	f, err := openRegular(s.Path)
	if err != nil {
		return nil, fmt.Errorf("read corpus: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("read corpus: %w", err)
	}
	if info.Size() > MaxJSONLBytes {
		return nil, &CheckError{Problems: Problems{{File: s.Path, Line: 1,
			Message: fmt.Sprintf("the file holds %d bytes, more than the %s a JSONL corpus may", info.Size(), sizeText(MaxJSONLBytes))}}}
	}
	placesData, err := embedded.ReadFile(PlacesFile)
	if err != nil {
		return nil, err
	}
	places, probs := ParsePlaces("corpus/"+PlacesFile, placesData)
	sum := sha256.New()
	file, lineProbs, err := ReadJSONLEntries(ctx, s.Path, io.TeeReader(f, sum))
	if err != nil {
		return nil, err
	}
	probs = append(probs, lineProbs...)
	if len(file.Policies) == 0 && len(probs) == 0 {
		return nil, fmt.Errorf("corpus %s holds no entries", s.Path)
	}
	probs = append(probs, Check(file.Policies, places, file.Documents)...)
	probs = append(probs, CheckSites(file.SitesOrBuiltin(), places, file.Policies)...)
	if len(probs) > 0 {
		return nil, &CheckError{Problems: probs}
	}
	return file.Corpus(hex.EncodeToString(sum.Sum(nil)[:8])), nil
}

// JSONLFile is what a JSONL corpus holds.
type JSONLFile struct {
	Policies  []*Policy
	Documents Documents
	// Sites are those of the sites line; nil for a file without one.
	Sites *Sites
}

// SitesOrBuiltin are the file's sites, or the built-in ones.
func (f JSONLFile) SitesOrBuiltin() *Sites {
	if f.Sites != nil {
		return f.Sites
	}
	return builtinSites()
}

// Corpus is a corpus of the file's entries, registry and sites (the
// built-in ones when it has none).
func (f JSONLFile) Corpus(fingerprint string) *Corpus {
	c := NewCorpus(f.Policies, fingerprint)
	c.Documents = f.Documents
	c.Sites = f.SitesOrBuiltin()
	return c
}

// ReadJSONLEntries decodes one entry per non-empty line, keeping each
// problem's line in the file, and the registry of documents from its
// registry line ({"documents": [...]}, which WriteJSONL writes first) and
// the sites from its sites line ({"sites": [...]}, written next). A
// file without one (written before the registry) gets a registry rebuilt
// from its entries' resolved basis items. A line longer than MaxLineBytes
// is a problem and is not decoded; past MaxJSONLBytes reading stops with a
// problem. Reading ends when ctx does.
func ReadJSONLEntries(ctx context.Context, name string, r io.Reader) (file JSONLFile, probs Problems, err error) {
	ps, docs, sites, probs, err := readJSONLEntries(ctx, name, r)
	if err != nil {
		return JSONLFile{}, nil, err
	}
	if docs == nil {
		docs = documentsFromBasis(ps)
	}
	return JSONLFile{Policies: ps, Documents: docs, Sites: sites}, probs, nil
}

func readJSONLEntries(ctx context.Context, name string, r io.Reader) (ps []*Policy, docs Documents, sites *Sites, probs Problems, err error) {
	br := bufio.NewReaderSize(io.LimitReader(ctxReader{ctx, r}, MaxJSONLBytes+1), 64<<10)
	var total int64
	for line := 1; ; line++ {
		text, n, long, err := readLine(br)
		if err != nil && err != io.EOF {
			return nil, nil, nil, nil, fmt.Errorf("read %s: %w", name, err)
		}
		total += n
		switch {
		case total > MaxJSONLBytes:
			// The limit may have cut this line short: it is not decoded.
			probs = append(probs, Problem{File: name, Line: line,
				Message: fmt.Sprintf("the file goes on past the %s a JSONL corpus may hold", sizeText(MaxJSONLBytes))})
			return ps, docs, sites, probs, nil
		case long:
			probs = append(probs, Problem{File: name, Line: line,
				Message: fmt.Sprintf("the line is longer than the %s a line may hold", sizeText(MaxLineBytes))})
		case len(bytes.TrimSpace(text)) == 0:
		case !bytes.HasPrefix(bytes.TrimSpace(text), []byte("{")):
			probs = append(probs, Problem{File: name, Line: line, Message: "a line must be one JSON object"})
		case bytes.HasPrefix(bytes.TrimSpace(text), []byte(documentsLinePrefix)):
			if docs != nil {
				probs = append(probs, Problem{File: name, Line: line, Message: "a second registry of documents"})
				break
			}
			var lineProbs Problems
			docs, lineProbs = parseDocumentsLine(name, line, text)
			probs = append(probs, lineProbs...)
		case bytes.HasPrefix(bytes.TrimSpace(text), []byte(sitesLinePrefix)):
			if sites != nil {
				probs = append(probs, Problem{File: name, Line: line, Message: "a second sites line"})
				break
			}
			var lineProbs Problems
			sites, lineProbs = parseSitesLine(name, line, text)
			probs = append(probs, lineProbs...)
		default:
			if p, lineProbs := parsePolicy(name, "", text, line); p != nil {
				ps = append(ps, p)
			} else {
				probs = append(probs, lineProbs...)
			}
		}
		if err == io.EOF {
			return ps, docs, sites, probs, nil
		}
	}
}

// Check runs on the file's entries and sites the checks of loading, their
// places inline (as WriteJSONL writes them): nothing to resolve.
func (f JSONLFile) Check() Problems {
	probs := Check(f.Policies, nil, f.Documents)
	return append(probs, CheckSites(f.SitesOrBuiltin(), nil, f.Policies)...)
}

// ReadWritten reads a JSONL corpus that WriteJSONL should have written
// (an index's copy of its corpus, a stored version) and checks it with
// check: decoded with DecodeJSONL, and read again with ReadJSONLEntries,
// ten times slower, only when that fails or check finds problems, so that
// the problems name their lines; reread, if set, is told why. The
// problems are those of the second reading and its check.
func ReadWritten(ctx context.Context, name string, r io.ReadSeeker, check func(JSONLFile) Problems, reread func(reason error)) (JSONLFile, Problems, error) {
	file, err := DecodeJSONL(ctx, name, r)
	if err == nil && len(check(file)) == 0 {
		return file, nil, nil
	}
	if reread != nil {
		reread(cmp.Or(err, errors.New("it has problems")))
	}
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return JSONLFile{}, nil, err
	}
	file, probs, err := ReadJSONLEntries(ctx, name, r)
	if err != nil {
		return JSONLFile{}, nil, err
	}
	return file, append(probs, check(file)...), nil
}

// DecodeJSONL decodes a JSONL corpus that WriteJSONL wrote — an index's
// own copy of its corpus — with encoding/json, many times faster than
// ReadJSONLEntries (which reads each line as YAML, to say where a hand-made
// file goes wrong). It gives the same entries and registry, except that
// an entry does not know the line of each of its fields (problems Check
// finds name the entry's first line). It reports no problems: anything
// WriteJSONL would not have written is an error, and the caller reads the
// file with ReadJSONLEntries instead.
func DecodeJSONL(ctx context.Context, name string, r io.Reader) (JSONLFile, error) {
	ps, docs, sites, err := decodeJSONL(ctx, name, r)
	if err != nil {
		return JSONLFile{}, err
	}
	return JSONLFile{Policies: ps, Documents: docs, Sites: sites}, nil
}

func decodeJSONL(ctx context.Context, name string, r io.Reader) ([]*Policy, Documents, *Sites, error) {
	br := bufio.NewReaderSize(io.LimitReader(ctxReader{ctx, r}, MaxJSONLBytes+1), 64<<10)
	var (
		ps    []*Policy
		docs  Documents
		sites *Sites
		total int64
	)
	for line := 1; ; line++ {
		text, n, long, err := readLine(br)
		if err != nil && err != io.EOF {
			return nil, nil, nil, fmt.Errorf("read %s: %w", name, err)
		}
		total += n
		text = bytes.TrimSpace(text)
		switch {
		case total > MaxJSONLBytes || long:
			return nil, nil, nil, fmt.Errorf("%s:%d: too long", name, line)
		case len(text) == 0:
		case bytes.HasPrefix(text, []byte(documentsLinePrefix)) && docs == nil:
			var probs Problems
			if docs, probs = parseDocumentsLine(name, line, text); len(probs) > 0 {
				return nil, nil, nil, &CheckError{Problems: probs}
			}
		case bytes.HasPrefix(text, []byte(sitesLinePrefix)) && sites == nil:
			var probs Problems
			if sites, probs = parseSitesLine(name, line, text); len(probs) > 0 {
				return nil, nil, nil, &CheckError{Problems: probs}
			}
		default:
			p, err := decodePolicy(name, line, text)
			if err != nil {
				return nil, nil, nil, err
			}
			ps = append(ps, p)
		}
		if err == io.EOF {
			break
		}
	}
	if docs == nil {
		docs = documentsFromBasis(ps)
	}
	return ps, docs, sites, nil
}

// decodePolicy decodes one line of JSON strictly into an entry, as
// parsePolicy would from the same line.
func decodePolicy(name string, line int, text []byte) (*Policy, error) {
	var p Policy
	dec := json.NewDecoder(bytes.NewReader(text))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("%s:%d: %w", name, line, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%s:%d: more than one JSON value", name, line)
	}
	if p.ID == "" {
		return nil, fmt.Errorf("%s:%d: the entry has no id", name, line)
	}
	p.Source = name
	setConditionLines(p.Eligible, line)
	p.Eligible.setNumbers()
	return &p, nil
}

func setConditionLines(c *Condition, line int) {
	if c == nil {
		return
	}
	c.Line = line
	for _, it := range append(slices.Clone(c.All), c.Any...) {
		setConditionLines(it, line)
	}
}

// readLine reads a line and its line break, n bytes in all. Of a line
// longer than MaxLineBytes it keeps nothing, reads on to the line's end
// and reports long.
func readLine(br *bufio.Reader) (text []byte, n int64, long bool, err error) {
	for {
		frag, err := br.ReadSlice('\n')
		n += int64(len(frag))
		if !long {
			if len(text)+len(bytes.TrimSuffix(frag, []byte("\n"))) > MaxLineBytes {
				long, text = true, nil
			} else {
				text = append(text, frag...)
			}
		}
		if err != bufio.ErrBufferFull {
			return text, n, long, err
		}
	}
}

// WriteJSONL writes a corpus as JSONL, one entry a line, with its places
// inline, so that it can be read back without the places file; the
// registry of documents first, then the sites unless they are the
// built-in ones. An entry
// whose line would be longer than MaxLineBytes is an error.
func WriteJSONL(w io.Writer, c *Corpus) error {
	bw := bufio.NewWriter(w)
	reg, sites, err := headerLines(c)
	if err != nil {
		return err
	}
	if reg != nil {
		bw.Write(reg)
		bw.WriteByte('\n')
	}
	if sites != nil {
		bw.Write(sites)
		bw.WriteByte('\n')
	}
	for _, p := range c.Policies {
		data, err := entryJSON(p)
		if err != nil {
			return fmt.Errorf("write: %w", err)
		}
		if bytes.ContainsAny(data, "\n") {
			return fmt.Errorf("write %s: a line break in JSON", p.ID)
		}
		if len(data) > MaxLineBytes {
			// It could not be read back.
			return fmt.Errorf("write %s: the entry takes %d bytes as a line of JSON, more than the %s a line may hold", p.ID, len(data), sizeText(MaxLineBytes))
		}
		bw.Write(data)
		bw.WriteByte('\n')
	}
	return bw.Flush()
}

// headerLines are the registry line and the sites line a written corpus
// starts with, each nil when there is none: the sites line is left out
// when they are the built-in ones, which a reader has too.
func headerLines(c *Corpus) (reg, sites []byte, err error) {
	if reg, err = DocumentsLine(c.Documents); err != nil {
		return nil, nil, err
	}
	if c.Sites != builtinSites() {
		if sites, err = SitesLine(c.Sites); err != nil {
			return nil, nil, err
		}
		if builtin, _ := SitesLine(builtinSites()); bytes.Equal(sites, builtin) {
			sites = nil
		}
	}
	return reg, sites, nil
}

// documentsLinePrefix starts the registry line of a JSONL corpus.
const documentsLinePrefix = `{"documents":`

// DocumentsLine is the registry line of a JSONL corpus (without its line
// break): the documents ordered by id; nil when there are none, or when
// the registry was itself rebuilt from resolved basis items (a reader
// rebuilds it the same way).
func DocumentsLine(docs Documents) ([]byte, error) {
	if len(docs) == 0 {
		return nil, nil
	}
	for _, d := range docs {
		if d.rebuilt {
			return nil, nil
		}
	}
	data, err := json.Marshal(struct {
		Documents []*Document `json:"documents"`
	}{docs.Sorted()})
	if err != nil {
		return nil, fmt.Errorf("write the registry of documents: %w", err)
	}
	if len(data) > MaxLineBytes {
		return nil, fmt.Errorf("write the registry of documents: it takes %d bytes as a line of JSON, more than the %s a line may hold", len(data), sizeText(MaxLineBytes))
	}
	return data, nil
}

// parseDocumentsLine decodes and checks the registry line of a JSONL corpus.
func parseDocumentsLine(name string, line int, text []byte) (Documents, Problems) {
	var reg struct {
		Documents []*Document `json:"documents"`
	}
	dec := json.NewDecoder(bytes.NewReader(text))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&reg); err != nil {
		return Documents{}, Problems{{File: name, Line: line, Message: fmt.Sprintf("the registry of documents: %v", err)}}
	}
	docs := Documents{}
	var probs Problems
	for _, d := range reg.Documents {
		if d == nil {
			continue
		}
		d.File, d.Line = name, line
		if _, dup := docs[d.ID]; dup {
			probs = append(probs, Problem{File: name, Line: line, Message: fmt.Sprintf("document %q defined twice", d.ID)})
			continue
		}
		docs[d.ID] = d
	}
	return docs, append(probs, CheckDocuments(docs)...)
}
