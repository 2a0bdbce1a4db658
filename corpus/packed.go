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
	w.all(l...)
}

// all writes strings, one after the other.
func (w *packWriter) all(l ...string) {
	for _, s := range l {
		w.str(s)
	}
}

// writeList writes a list, each item with item.
func writeList[T any](w *packWriter, l []T, item func(*T)) {
	w.list(len(l), l == nil)
	for i := range l {
		item(&l[i])
	}
}

func (w *packWriter) citation(c *Citation) {
	w.all(c.Title, c.URL, c.Publisher, c.Date, c.Retrieved, c.Note)
}

func (w *packWriter) policy(p *Policy) {
	w.all(p.ID, p.Title, p.Kind, p.Category)
	w.strs(p.Audiences)
	w.all(p.Summary, p.Content)
	writeList(w, p.Basis, func(b *Basis) { w.all(b.Document, b.Title, b.Number, b.Issuer, b.Date, b.Status, b.Articles) })
	w.str(p.Benefit)
	writeList(w, p.Amounts, func(a *Amount) { w.all(a.Name, a.Value, a.From) })
	writeList(w, p.Sources, w.citation)
	w.str(p.Verified)
	w.strs(p.Guide.Eligibility)
	w.strs(p.Guide.Materials)
	w.strs(p.Guide.Steps)
	w.all(p.Guide.TimeLimit, p.Guide.Fee)
	writeList(w, p.Locations, func(l *Location) {
		w.all(l.ID, l.Name, l.Address, l.Hours, l.Phone, l.Note)
		if w.present(l.Source != nil) {
			w.citation(l.Source)
		}
	})
	if o := p.Online; w.present(o != nil) {
		w.all(o.URL, o.Search, o.Label, o.Source)
	}
	w.all(p.Agency, p.Region, p.Scope, p.Site, p.Effective, p.Expires, p.Updated)
	w.strs(p.Keywords)
	w.condition(p.Eligible)
}

func (w *packWriter) condition(c *Condition) {
	if !w.present(c != nil) {
		return
	}
	w.all(c.Field, c.Op)
	w.strs(c.Values)
	w.buf = binary.AppendVarint(w.buf, int64(c.Number))
	w.str(c.Ask)
	item := func(it **Condition) { w.condition(*it) }
	writeList(w, c.All, item)
	writeList(w, c.Any, item)
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
func (r *packReader) bytes() string { return r.next(r.uvarint()) }

// next reads the next n bytes.
func (r *packReader) next(n uint64) string {
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
		return r.next(x >> 1)
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
	return readList(r, func(s *string) { *s = r.str() })
}

// into reads strings into the fields given, one after the other.
func (r *packReader) into(fields ...*string) {
	for _, f := range fields {
		*f = r.str()
	}
}

// readList reads a list, each item with item.
func readList[T any](r *packReader, item func(*T)) []T {
	n := r.list()
	if n < 0 {
		return nil
	}
	l := make([]T, n)
	for i := range l {
		item(&l[i])
	}
	return l
}

func (r *packReader) citation(c *Citation) {
	r.into(&c.Title, &c.URL, &c.Publisher, &c.Date, &c.Retrieved, &c.Note)
}

func (r *packReader) policy(p *Policy) {
	r.into(&p.ID, &p.Title, &p.Kind, &p.Category)
	p.Audiences = r.strs()
	r.into(&p.Summary, &p.Content)
	p.Basis = readList(r, func(b *Basis) { r.into(&b.Document, &b.Title, &b.Number, &b.Issuer, &b.Date, &b.Status, &b.Articles) })
	p.Benefit = r.str()
	p.Amounts = readList(r, func(a *Amount) { r.into(&a.Name, &a.Value, &a.From) })
	p.Sources = readList(r, r.citation)
	p.Verified = r.str()
	p.Guide.Eligibility = r.strs()
	p.Guide.Materials = r.strs()
	p.Guide.Steps = r.strs()
	r.into(&p.Guide.TimeLimit, &p.Guide.Fee)
	p.Locations = readList(r, func(l *Location) {
		r.into(&l.ID, &l.Name, &l.Address, &l.Hours, &l.Phone, &l.Note)
		if r.present() {
			l.Source = &Citation{}
			r.citation(l.Source)
		}
	})
	if r.present() {
		p.Online = &Online{}
		r.into(&p.Online.URL, &p.Online.Search, &p.Online.Label, &p.Online.Source)
	}
	r.into(&p.Agency, &p.Region, &p.Scope, &p.Site, &p.Effective, &p.Expires, &p.Updated)
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
	c := &Condition{}
	r.into(&c.Field, &c.Op)
	c.Values, c.Number = r.strs(), r.varint()
	c.Ask = r.str()
	item := func(it **Condition) { *it = r.condition(depth + 1) }
	c.All, c.Any = readList(r, item), readList(r, item)
	return c
}
