package corpus

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
)

// Open returns the source at path: a JSONL file of entries (one JSON object
// a line, as exported from another system), or a corpus directory.
func Open(path string) (Source, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("corpus: %w", err)
	}
	if fi.IsDir() {
		return Dir(path), nil
	}
	return JSONL(path), nil
}

// JSONL returns the corpus in a JSONL file. Each line is one entry with the
// fields of a YAML entry plus its id; places may be described inline under
// "locations", or named under "places" from the embedded places file.
func JSONL(path string) Source { return &JSONLSource{Path: path} }

// JSONLSource reads a corpus from a JSONL file.
type JSONLSource struct{ Path string }

func (s *JSONLSource) String() string { return s.Path }

// Load reads and checks every line; problems name the file and line.
func (s *JSONLSource) Load(ctx context.Context) (*Corpus, error) {
	data, err := os.ReadFile(s.Path)
	if err != nil {
		return nil, fmt.Errorf("read corpus: %w", err)
	}
	placesData, err := embedded.ReadFile(PlacesFile)
	if err != nil {
		return nil, err
	}
	places, probs := ParsePlaces("corpus/"+PlacesFile, placesData)
	ps, lineProbs, err := ReadJSONLEntries(ctx, s.Path, bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	probs = append(probs, lineProbs...)
	if len(ps) == 0 && len(probs) == 0 {
		return nil, fmt.Errorf("corpus %s holds no entries", s.Path)
	}
	probs = append(probs, Check(ps, places)...)
	if len(probs) > 0 {
		return nil, &CheckError{Problems: probs}
	}
	sum := sha256.Sum256(data)
	return NewCorpus(ps, hex.EncodeToString(sum[:8])), nil
}

// ReadJSONLEntries decodes one entry per non-empty line, keeping each
// problem's line in the file.
func ReadJSONLEntries(ctx context.Context, name string, r io.Reader) ([]*Policy, Problems, error) {
	var ps []*Policy
	var probs Problems
	br := bufio.NewReader(r)
	for line := 1; ; line++ {
		if line%1000 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, nil, err
			}
		}
		text, err := br.ReadBytes('\n')
		if len(bytes.TrimSpace(text)) > 0 {
			if !bytes.HasPrefix(bytes.TrimSpace(text), []byte("{")) {
				probs = append(probs, Problem{File: name, Line: line, Message: "a line must be one JSON object"})
			} else if p, ps2 := parsePolicy(name, "", text, line); p != nil {
				ps = append(ps, p)
			} else {
				probs = append(probs, ps2...)
			}
		}
		if err == io.EOF {
			return ps, probs, nil
		}
		if err != nil {
			return nil, nil, fmt.Errorf("read %s: %w", name, err)
		}
	}
}

// WriteJSONL writes a corpus as JSONL, one entry a line, with its places
// inline, so that it can be read back without the places file.
func WriteJSONL(w io.Writer, c *Corpus) error {
	bw := bufio.NewWriter(w)
	for _, p := range c.Policies {
		cp := *p
		cp.Places = nil
		data, err := json.Marshal(&cp)
		if err != nil {
			return fmt.Errorf("write %s: %w", p.ID, err)
		}
		if bytes.ContainsAny(data, "\n") {
			return fmt.Errorf("write %s: a line break in JSON", p.ID)
		}
		bw.Write(data)
		bw.WriteByte('\n')
	}
	return bw.Flush()
}
