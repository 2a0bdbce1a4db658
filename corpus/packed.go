package corpus

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"
)

// The packed form of a corpus is how an index keeps the corpus it holds
// beside it (WritePacked, DecodePacked). It keeps what WriteJSONL keeps,
// and each number condition's Number, in a form decoded many times faster:
// the entries' fields in a fixed order, each string either inline or, when
// the same text came before, a reference to it — places, documents and
// sources repeat from entry to entry —, so that decoding copies no string
// (each is a part of the file, read as one string) and splits the entries
// among the cores. It is checked by the hash its writer records (an
// index's manifest), not by its decoder, which only refuses what it cannot
// decode.
//
//	packedMagic
//	uvarint n, n bytes: the registry line of WriteJSONL (none when n is 0)
//	uvarint n, n bytes: its sites line (likewise)
//	uvarint: the number of entries
//	each entry: its length, 4 bytes little-endian, then its fields
//
// A string is uvarint(len<<1) and its bytes, or uvarint(len<<1|1) and
// uvarint(offset): the bytes at that offset of the file, before. A list
// is uvarint 0 when nil, else uvarint(len+1) and its items; an optional
// value (a pointer) is a byte, 0 when nil, else 1 and the value; a number
// is a varint.
const packedMagic = "yicha corpus, packed, 1\n"

// minPackedRef is the shortest string written as a reference when it
// came before: a shorter one takes as little inline.
const minPackedRef = 8

// maxConditionDepth bounds how deep DecodePacked follows conditions.
const maxConditionDepth = 64

// IsPacked reports whether data starts as a packed corpus does.
func IsPacked(data string) bool { return strings.HasPrefix(data, packedMagic) }

// WritePacked writes a corpus in the packed form.
func WritePacked(w io.Writer, c *Corpus) error {
	reg, sites, err := headerLines(c)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 256<<10)
	pw := &packWriter{seen: map[string]int{}}
	pw.buf = append(pw.buf, packedMagic...)
	pw.buf = binary.AppendUvarint(pw.buf, uint64(len(reg)))
	pw.buf = append(pw.buf, reg...)
	pw.buf = binary.AppendUvarint(pw.buf, uint64(len(sites)))
	pw.buf = append(pw.buf, sites...)
	pw.buf = binary.AppendUvarint(pw.buf, uint64(len(c.Policies)))
	bw.Write(pw.buf)
	offset := len(pw.buf)
	var size [4]byte
	for _, p := range c.Policies {
		if p == nil {
			return errors.New("write: a nil entry")
		}
		pw.buf, pw.base = pw.buf[:0], offset+len(size)
		pw.policy(p)
		if len(pw.buf) > 1<<31 {
			return fmt.Errorf("write %s: the entry takes %d bytes", p.ID, len(pw.buf))
		}
		binary.LittleEndian.PutUint32(size[:], uint32(len(pw.buf)))
		bw.Write(size[:])
		bw.Write(pw.buf)
		offset += len(size) + len(pw.buf)
	}
	return bw.Flush()
}

// packWriter writes one entry at a time into buf, which starts at offset
// base of the file.
type packWriter struct {
	buf  []byte
	base int
	// seen holds the offset of each string written inline, of at least
	// minPackedRef bytes.
	seen map[string]int
}

func (w *packWriter) uvarint(n int) { w.buf = binary.AppendUvarint(w.buf, uint64(n)) }

func (w *packWriter) str(s string) {
	if off, ok := w.seen[s]; ok {
		w.uvarint(len(s)<<1 | 1)
		w.uvarint(off)
		return
	}
	w.uvarint(len(s) << 1)
	if len(s) >= minPackedRef {
		w.seen[s] = w.base + len(w.buf)
	}
	w.buf = append(w.buf, s...)
}

// list writes the length of a list, told from nil.
func (w *packWriter) list(n int, isNil bool) {
	if isNil {
		w.uvarint(0)
		return
	}
	w.uvarint(n + 1)
}

// present writes whether an optional value follows.
func (w *packWriter) present(ok bool) bool {
	if ok {
		w.buf = append(w.buf, 1)
	} else {
		w.buf = append(w.buf, 0)
	}
	return ok
}

func (w *packWriter) strs(l []string) {
	w.list(len(l), l == nil)
	for _, s := range l {
		w.str(s)
	}
}

func (w *packWriter) citation(c *Citation) {
	w.str(c.Title)
	w.str(c.URL)
	w.str(c.Publisher)
	w.str(c.Date)
	w.str(c.Retrieved)
	w.str(c.Note)
}

func (w *packWriter) policy(p *Policy) {
	w.str(p.ID)
	w.str(p.Title)
	w.str(p.Kind)
	w.str(p.Category)
	w.strs(p.Audiences)
	w.str(p.Summary)
	w.str(p.Content)
	w.list(len(p.Basis), p.Basis == nil)
	for _, b := range p.Basis {
		w.str(b.Document)
		w.str(b.Title)
		w.str(b.Number)
		w.str(b.Issuer)
		w.str(b.Date)
		w.str(b.Status)
		w.str(b.Articles)
	}
	w.str(p.Benefit)
	w.list(len(p.Amounts), p.Amounts == nil)
	for _, a := range p.Amounts {
		w.str(a.Name)
		w.str(a.Value)
		w.str(a.From)
	}
	w.list(len(p.Sources), p.Sources == nil)
	for i := range p.Sources {
		w.citation(&p.Sources[i])
	}
	w.str(p.Verified)
	w.strs(p.Guide.Eligibility)
	w.strs(p.Guide.Materials)
	w.strs(p.Guide.Steps)
	w.str(p.Guide.TimeLimit)
	w.str(p.Guide.Fee)
	w.list(len(p.Locations), p.Locations == nil)
	for _, l := range p.Locations {
		w.str(l.ID)
		w.str(l.Name)
		w.str(l.Address)
		w.str(l.Hours)
		w.str(l.Phone)
		w.str(l.Note)
		if w.present(l.Source != nil) {
			w.citation(l.Source)
		}
	}
	if o := p.Online; w.present(o != nil) {
		w.str(o.URL)
		w.str(o.Search)
		w.str(o.Label)
		w.str(o.Source)
	}
	w.str(p.Agency)
	w.str(p.Region)
	w.str(p.Scope)
	w.str(p.Site)
	w.str(p.Effective)
	w.str(p.Expires)
	w.str(p.Updated)
	w.strs(p.Keywords)
	w.condition(p.Eligible)
}

func (w *packWriter) condition(c *Condition) {
	if !w.present(c != nil) {
		return
	}
	w.str(c.Field)
	w.str(c.Op)
	w.strs(c.Values)
	w.buf = binary.AppendVarint(w.buf, int64(c.Number))
	w.str(c.Ask)
	for _, items := range [][]*Condition{c.All, c.Any} {
		w.list(len(items), items == nil)
		for _, it := range items {
			w.condition(it)
		}
	}
}

// DecodePacked decodes a packed corpus, all of it in data (the file read
// as one string, which its entries' strings are parts of). name is the
// file's, each entry's Source. Anything it cannot decode — a cut or
// damaged file — is an error.
func DecodePacked(name, data string) (JSONLFile, error) {
	r := &packReader{data: data, end: len(data)}
	if !IsPacked(data) {
		return JSONLFile{}, fmt.Errorf("%s is not a packed corpus", name)
	}
	r.pos = len(packedMagic)
	reg := r.bytes()
	sites := r.bytes()
	n := r.uvarint()
	if r.err != nil || n > uint64(len(data)-r.pos)/4 {
		r.fail()
		n = 0
	}
	// The entries' bounds, then the entries, decoded by parts at once.
	bounds := make([][2]int, n)
	for i := range bounds {
		if r.err != nil || len(data)-r.pos < 4 {
			r.fail()
			break
		}
		size := uint32(data[r.pos]) | uint32(data[r.pos+1])<<8 | uint32(data[r.pos+2])<<16 | uint32(data[r.pos+3])<<24
		r.pos += 4
		if uint64(size) > uint64(len(data)-r.pos) {
			r.fail()
			break
		}
		bounds[i] = [2]int{r.pos, r.pos + int(size)}
		r.pos += int(size)
	}
	if r.err == nil && r.pos != len(data) {
		r.fail() // more than the entries it counts
	}
	if r.err != nil {
		return JSONLFile{}, fmt.Errorf("%s: %w", name, r.err)
	}
	entries := make([]Policy, n)
	ps := make([]*Policy, n)
	workers := max(1, min(runtime.GOMAXPROCS(0), len(ps)/1000))
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w * len(ps) / workers; i < (w+1)*len(ps)/workers; i++ {
				er := &packReader{data: data, pos: bounds[i][0], end: bounds[i][1]}
				p := &entries[i]
				er.policy(p)
				if er.err == nil && er.pos != er.end {
					er.fail()
				}
				if er.err != nil {
					errs[w] = fmt.Errorf("%s: entry %d: %w", name, i+1, er.err)
					return
				}
				p.Source = name
				ps[i] = p
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return JSONLFile{}, err
	}
	file := JSONLFile{Policies: ps}
	line := 1
	if reg != "" {
		var probs Problems
		if file.Documents, probs = parseDocumentsLine(name, line, []byte(reg)); len(probs) > 0 {
			return JSONLFile{}, &CheckError{Problems: probs}
		}
		line++
	} else {
		file.Documents = documentsFromBasis(ps)
	}
	if sites != "" {
		var probs Problems
		if file.Sites, probs = parseSitesLine(name, line, []byte(sites)); len(probs) > 0 {
			return JSONLFile{}, &CheckError{Problems: probs}
		}
	}
	return file, nil
}

// errPacked is what a packed corpus that cannot be decoded fails with.
var errPacked = errors.New("the packed corpus is cut short or damaged")

// packReader decodes data from pos up to end; the first error stops it.
type packReader struct {
	data     string
	pos, end int
	err      error
}

func (r *packReader) fail() {
	if r.err == nil {
		r.err = fmt.Errorf("%w (at byte %d)", errPacked, r.pos)
	}
	r.pos = r.end
}

func (r *packReader) uvarint() uint64 {
	if r.pos < r.end && r.data[r.pos] < 0x80 {
		r.pos++
		return uint64(r.data[r.pos-1])
	}
	return r.longUvarint()
}

func (r *packReader) longUvarint() uint64 {
	var x uint64
	for shift := uint(0); shift < 64; shift += 7 {
		if r.pos >= r.end {
			break
		}
		b := r.data[r.pos]
		r.pos++
		if b < 0x80 {
			return x | uint64(b)<<shift
		}
		x |= uint64(b&0x7f) << shift
	}
	r.fail()
	return 0
}

func (r *packReader) varint() int {
	u := r.uvarint()
	return int(int64(u>>1) ^ -int64(u&1))
}

// bytes reads a length and that many bytes.
func (r *packReader) bytes() string {
	n := r.uvarint()
	if n > uint64(r.end-r.pos) {
		r.fail()
		return ""
	}
	s := r.data[r.pos : r.pos+int(n)]
	r.pos += int(n)
	return s
}

func (r *packReader) str() string {
	x := r.uvarint()
	if x&1 == 0 {
		n := x >> 1
		if n > uint64(r.end-r.pos) {
			r.fail()
			return ""
		}
		s := r.data[r.pos : r.pos+int(n)]
		r.pos += int(n)
		return s
	}
	n, off := x>>1, r.uvarint()
	if r.err != nil || off > uint64(r.pos) || n > uint64(r.pos)-off {
		r.fail()
		return ""
	}
	return r.data[off : off+n]
}

// list reads the length of a list: -1 for nil. Each item takes a byte at
// least, so a length past the end is refused before anything is made.
func (r *packReader) list() int {
	n := r.uvarint()
	if n == 0 {
		return -1
	}
	if n-1 > uint64(r.end-r.pos) {
		r.fail()
		return -1
	}
	return int(n - 1)
}

func (r *packReader) present() bool {
	if r.pos >= r.end {
		r.fail()
		return false
	}
	b := r.data[r.pos]
	r.pos++
	if b > 1 {
		r.fail()
	}
	return b == 1
}

func (r *packReader) strs() []string {
	n := r.list()
	if n < 0 {
		return nil
	}
	l := make([]string, n)
	for i := range l {
		l[i] = r.str()
	}
	return l
}

func (r *packReader) citation(c *Citation) {
	c.Title = r.str()
	c.URL = r.str()
	c.Publisher = r.str()
	c.Date = r.str()
	c.Retrieved = r.str()
	c.Note = r.str()
}

func (r *packReader) policy(p *Policy) {
	p.ID = r.str()
	p.Title = r.str()
	p.Kind = r.str()
	p.Category = r.str()
	p.Audiences = r.strs()
	p.Summary = r.str()
	p.Content = r.str()
	if n := r.list(); n >= 0 {
		p.Basis = make([]Basis, n)
		for i := range p.Basis {
			b := &p.Basis[i]
			b.Document = r.str()
			b.Title = r.str()
			b.Number = r.str()
			b.Issuer = r.str()
			b.Date = r.str()
			b.Status = r.str()
			b.Articles = r.str()
		}
	}
	p.Benefit = r.str()
	if n := r.list(); n >= 0 {
		p.Amounts = make([]Amount, n)
		for i := range p.Amounts {
			a := &p.Amounts[i]
			a.Name = r.str()
			a.Value = r.str()
			a.From = r.str()
		}
	}
	if n := r.list(); n >= 0 {
		p.Sources = make([]Citation, n)
		for i := range p.Sources {
			r.citation(&p.Sources[i])
		}
	}
	p.Verified = r.str()
	p.Guide.Eligibility = r.strs()
	p.Guide.Materials = r.strs()
	p.Guide.Steps = r.strs()
	p.Guide.TimeLimit = r.str()
	p.Guide.Fee = r.str()
	if n := r.list(); n >= 0 {
		p.Locations = make([]Location, n)
		for i := range p.Locations {
			l := &p.Locations[i]
			l.ID = r.str()
			l.Name = r.str()
			l.Address = r.str()
			l.Hours = r.str()
			l.Phone = r.str()
			l.Note = r.str()
			if r.present() {
				l.Source = &Citation{}
				r.citation(l.Source)
			}
		}
	}
	if r.present() {
		p.Online = &Online{URL: r.str(), Search: r.str(), Label: r.str(), Source: r.str()}
	}
	p.Agency = r.str()
	p.Region = r.str()
	p.Scope = r.str()
	p.Site = r.str()
	p.Effective = r.str()
	p.Expires = r.str()
	p.Updated = r.str()
	p.Keywords = r.strs()
	p.Eligible = r.condition(0)
}

func (r *packReader) condition(depth int) *Condition {
	if !r.present() {
		return nil
	}
	if depth > maxConditionDepth {
		r.fail()
		return nil
	}
	c := &Condition{Field: r.str(), Op: r.str(), Values: r.strs(), Number: r.varint(), Ask: r.str()}
	for _, items := range []*[]*Condition{&c.All, &c.Any} {
		n := r.list()
		if n < 0 {
			continue
		}
		*items = make([]*Condition, n)
		for i := range *items {
			(*items)[i] = r.condition(depth + 1)
		}
	}
	return c
}
