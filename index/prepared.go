package index

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"runtime/debug"
	"sync"
	"unsafe"

	"github.com/go-ego/gse"

	"yicha/corpus/durable"
)

// The prepared segmenter: the dictionary gse builds from the text
// dictionaries (its double-array trie, and each word's cost and sub-words,
// which gse computes by segmenting every word), written to the data
// directory once and read back on later starts in a few milliseconds
// instead of the ~0.4 s gse takes to build it.
//
// gse offers no way to build a dictionary from prepared data, so the
// prepared form fills gse's own structures through mirror types of the
// same memory layout. preparedLayout checks that layout field by field
// (names, types, offsets) against the gse in the binary; if gse ever
// differs, nothing is read or written and the text dictionaries are loaded
// as before. The file also names the dictionaries and the gse version it
// was built from, and carries a checksum: a file that does not match is
// ignored and replaced.

// preparedName is the prepared segmenter's file in a data directory.
const preparedName = "segmenter.bin"

// preparedMagic starts the file; its last byte is the format version.
const preparedMagic = "yicha-segmenter\x01"

// Mirrors of gse.Dictionary, gse.Token, gse.Segment and cedar's trie.
type (
	mirrorDict struct {
		trie        *mirrorCedar
		maxTokenLen int
		Tokens      []mirrorToken
		totalFreq   float64
	}
	mirrorToken struct {
		text     [][]byte
		freq     float64
		pos      string
		distance float32
		segments []*mirrorSegment
	}
	mirrorSegment struct {
		start, end int
		Position   int
		token      *mirrorToken
	}
	mirrorCedar struct {
		Reduced          bool
		array            []mirrorNode
		nInfos           []mirrorNInfo
		blocks           []mirrorBlock
		reject           [257]int
		blocksHeadFull   int
		blocksHeadClosed int
		blocksHeadOpen   int
		capacity         int
		size             int
		ordered          bool
		maxTrial         int
	}
	mirrorNode  struct{ baseV, check int }
	mirrorNInfo struct{ sibling, child byte }
	mirrorBlock struct{ prev, next, num, reject, trial, eHead int }
)

// preparedLayout reports whether the mirrors match gse's types in this
// binary, so that a *mirrorDict may stand for a *gse.Dictionary.
var preparedLayout = sync.OnceValue(func() bool {
	return sameLayout(reflect.TypeFor[gse.Dictionary](), reflect.TypeFor[mirrorDict](), map[[2]reflect.Type]bool{})
})

// sameLayout compares two types' memory layouts: kinds, sizes, and for
// structs each field's name, offset and type, recursively.
func sameLayout(a, b reflect.Type, seen map[[2]reflect.Type]bool) bool {
	if seen[[2]reflect.Type{a, b}] {
		return true
	}
	seen[[2]reflect.Type{a, b}] = true
	if a.Kind() != b.Kind() || a.Size() != b.Size() || a.Align() != b.Align() {
		return false
	}
	switch a.Kind() {
	case reflect.Struct:
		if a.NumField() != b.NumField() {
			return false
		}
		for i := range a.NumField() {
			fa, fb := a.Field(i), b.Field(i)
			if fa.Name != fb.Name || fa.Offset != fb.Offset || !sameLayout(fa.Type, fb.Type, seen) {
				return false
			}
		}
	case reflect.Array:
		return a.Len() == b.Len() && sameLayout(a.Elem(), b.Elem(), seen)
	case reflect.Pointer, reflect.Slice:
		return sameLayout(a.Elem(), b.Elem(), seen)
	case reflect.Map, reflect.Chan, reflect.Func, reflect.Interface, reflect.UnsafePointer:
		return false
	}
	return true
}

// preparedSource identifies what a prepared file must have been built
// from: the format, the text dictionaries (through the analysis
// fingerprint's inputs) and the gse version, whose code computes the
// costs and sub-words.
func preparedSource() [32]byte {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s\n%s\n", preparedMagic, gseVersion(), AnalysisFingerprint())
	var sum [32]byte
	h.Sum(sum[:0])
	return sum
}

// gseVersion is the version of gse built into the binary.
func gseVersion() string {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, m := range info.Deps {
			if m.Path == "github.com/go-ego/gse" {
				if m.Replace != nil {
					return m.Replace.Path + "@" + m.Replace.Version
				}
				return m.Version
			}
		}
	}
	return "unknown"
}

// encodePrepared writes seg's dictionary in the prepared form.
func encodePrepared(seg *gse.Segmenter) ([]byte, error) {
	if !preparedLayout() {
		return nil, errors.New("gse's dictionary layout is not the one the prepared form knows")
	}
	d := (*mirrorDict)(unsafe.Pointer(seg.Dict))
	cd := d.trie
	index := make(map[*mirrorToken]int, len(d.Tokens))
	for i := range d.Tokens {
		index[&d.Tokens[i]] = i
	}
	e := &encoder{buf: make([]byte, 0, 8<<20), pos: map[string]int{}}
	src := preparedSource()
	e.buf = append(e.buf, preparedMagic...)
	e.buf = append(e.buf, src[:]...)

	// The trie.
	e.bool(cd.Reduced)
	for _, v := range cd.reject {
		e.int(v)
	}
	for _, v := range []int{cd.blocksHeadFull, cd.blocksHeadClosed, cd.blocksHeadOpen, cd.capacity, cd.size, cd.maxTrial} {
		e.int(v)
	}
	e.bool(cd.ordered)
	e.uint(len(cd.array))
	for _, n := range cd.array {
		e.int32(n.baseV)
		e.int32(n.check)
	}
	e.uint(len(cd.nInfos))
	for _, n := range cd.nInfos {
		e.buf = append(e.buf, n.sibling, n.child)
	}
	e.uint(len(cd.blocks))
	for _, b := range cd.blocks {
		for _, v := range []int{b.prev, b.next, b.num, b.reject, b.trial, b.eHead} {
			e.int(v)
		}
	}

	// The words: their totals first, so that reading allocates once.
	var texts, textBytes, segs, pseudo int
	var tags []string
	tag := func(s string) {
		if _, ok := e.pos[s]; !ok {
			e.pos[s] = len(tags)
			tags = append(tags, s)
		}
	}
	for i := range d.Tokens {
		t := &d.Tokens[i]
		tag(t.pos)
		texts += len(t.text)
		for _, x := range t.text {
			textBytes += len(x)
		}
		segs += len(t.segments)
		for _, s := range t.segments {
			if _, ok := index[s.token]; !ok {
				tag(s.token.pos)
				pseudo++
				texts += len(s.token.text)
				for _, x := range s.token.text {
					textBytes += len(x)
				}
				if len(s.token.segments) > 0 {
					return nil, errors.New("a sub-word outside the dictionary has sub-words")
				}
			}
		}
	}
	e.int(d.maxTokenLen)
	e.float64(d.totalFreq)
	for _, v := range []int{len(d.Tokens), texts, textBytes, segs, pseudo} {
		e.uint(v)
	}
	// The part-of-speech tags, which words name by number.
	e.uint(len(tags))
	for _, s := range tags {
		e.uint(len(s))
		e.buf = append(e.buf, s...)
	}
	for i := range d.Tokens {
		t := &d.Tokens[i]
		e.token(t)
		e.uint(len(t.segments))
		for _, s := range t.segments {
			e.uint(s.start)
			e.uint(s.end)
			e.int(s.Position)
			if j, ok := index[s.token]; ok {
				e.uint(j + 1)
			} else {
				e.uint(0)
				e.token(s.token)
			}
		}
	}
	if e.err != nil {
		return nil, e.err
	}
	e.buf = binary.LittleEndian.AppendUint32(e.buf, crc32.ChecksumIEEE(e.buf))
	return e.buf, nil
}

type encoder struct {
	buf []byte
	pos map[string]int
	err error
}

func (e *encoder) uint(v int) {
	if v < 0 {
		e.err = fmt.Errorf("negative count %d", v)
	}
	e.buf = binary.AppendUvarint(e.buf, uint64(v))
}
func (e *encoder) int(v int) { e.buf = binary.AppendVarint(e.buf, int64(v)) }
func (e *encoder) int32(v int) {
	if v != int(int32(v)) {
		e.err = fmt.Errorf("trie value %d does not fit 32 bits", v)
	}
	e.buf = binary.LittleEndian.AppendUint32(e.buf, uint32(int32(v)))
}
func (e *encoder) bool(v bool) {
	if v {
		e.buf = append(e.buf, 1)
	} else {
		e.buf = append(e.buf, 0)
	}
}
func (e *encoder) float64(v float64) {
	e.buf = binary.LittleEndian.AppendUint64(e.buf, math.Float64bits(v))
}

// token writes a word's text, frequency, tag and cost (not its sub-words).
func (e *encoder) token(t *mirrorToken) {
	e.uint(len(t.text))
	for _, x := range t.text {
		e.uint(len(x))
		e.buf = append(e.buf, x...)
	}
	e.float64(t.freq)
	e.buf = binary.LittleEndian.AppendUint32(e.buf, math.Float32bits(t.distance))
	e.uint(e.pos[t.pos])
}

// errPrepared is a prepared file that is not a complete one of this form.
var errPrepared = errors.New("prepared segmenter: malformed")

// decodePrepared builds a segmenter from the prepared form.
func decodePrepared(data []byte) (*gse.Segmenter, error) {
	if !preparedLayout() {
		return nil, errors.New("prepared segmenter: gse's dictionary layout is not the one the prepared form knows")
	}
	src := preparedSource()
	head := len(preparedMagic) + len(src)
	if len(data) < head+4 || string(data[:len(preparedMagic)]) != preparedMagic {
		return nil, errPrepared
	}
	if !bytes.Equal(data[len(preparedMagic):head], src[:]) {
		return nil, errors.New("prepared segmenter: built from other dictionaries or another gse")
	}
	body := data[:len(data)-4]
	if crc32.ChecksumIEEE(body) != binary.LittleEndian.Uint32(data[len(body):]) {
		return nil, errors.New("prepared segmenter: checksum mismatch")
	}
	r := &reader{buf: body, off: head}

	cd := &mirrorCedar{Reduced: r.bool()}
	for i := range cd.reject {
		cd.reject[i] = r.int()
	}
	cd.blocksHeadFull, cd.blocksHeadClosed, cd.blocksHeadOpen = r.int(), r.int(), r.int()
	cd.capacity, cd.size, cd.maxTrial = r.int(), r.int(), r.int()
	cd.ordered = r.bool()
	if n := r.count(8); n >= 0 {
		cd.array = make([]mirrorNode, n)
		raw := r.take(8 * n)
		for i := range cd.array {
			if raw == nil {
				break
			}
			cd.array[i] = mirrorNode{
				baseV: int(int32(binary.LittleEndian.Uint32(raw[8*i:]))),
				check: int(int32(binary.LittleEndian.Uint32(raw[8*i+4:]))),
			}
		}
	}
	if n := r.count(2); n >= 0 {
		cd.nInfos = make([]mirrorNInfo, n)
		raw := r.take(2 * n)
		for i := range cd.nInfos {
			if raw == nil {
				break
			}
			cd.nInfos[i] = mirrorNInfo{sibling: raw[2*i], child: raw[2*i+1]}
		}
	}
	if n := r.count(6); n >= 0 {
		cd.blocks = make([]mirrorBlock, n)
		for i := range cd.blocks {
			cd.blocks[i] = mirrorBlock{r.int(), r.int(), r.int(), r.int(), r.int(), r.int()}
		}
	}

	d := &mirrorDict{trie: cd, maxTokenLen: r.int(), totalFreq: r.float64()}
	ntok, ntext, nbytes, nseg, npseudo := r.count(1), r.count(1), r.count(1), r.count(1), r.count(1)
	if r.err != nil {
		return nil, r.err
	}
	// Every word, text and sub-word takes at least a byte of the file.
	if ntok+npseudo+ntext+nseg > len(body) || nbytes > len(body) {
		return nil, errPrepared
	}
	tags := make([]string, max(r.count(1), 0))
	for i := range tags {
		tags[i] = string(r.take(r.count(1)))
	}
	a := &arena{
		texts: make([][]byte, ntext),
		bytes: make([]byte, nbytes),
		tags:  tags,
	}
	d.Tokens = make([]mirrorToken, ntok)
	pseudo := make([]mirrorToken, npseudo)
	segs := make([]mirrorSegment, nseg)
	segPtrs := make([]*mirrorSegment, nseg)
	for i := range d.Tokens {
		t := &d.Tokens[i]
		r.token(t, a)
		n := r.count(3)
		if n < 0 || n > len(segs) {
			return nil, errPrepared
		}
		t.segments, segPtrs = segPtrs[:n:n], segPtrs[n:]
		for j := range t.segments {
			s := &segs[0]
			segs = segs[1:]
			s.start, s.end, s.Position = r.uint(), r.uint(), r.int()
			switch ref := r.uint(); {
			case ref > 0 && ref <= ntok:
				s.token = &d.Tokens[ref-1]
			case ref == 0 && len(pseudo) > 0:
				s.token = &pseudo[0]
				r.token(s.token, a)
				pseudo = pseudo[1:]
			default:
				return nil, errPrepared
			}
			t.segments[j] = s
		}
		if r.err != nil {
			return nil, r.err
		}
	}
	if r.err != nil || a.err || r.off != len(body) || len(segs) != 0 || len(segPtrs) != 0 || len(pseudo) != 0 ||
		len(a.texts) != 0 || len(a.bytes) != 0 {
		return nil, errPrepared
	}
	seg := &gse.Segmenter{SkipLog: true}
	seg.Dict = (*gse.Dictionary)(unsafe.Pointer(d))
	seg.Init()
	return seg, nil
}

// arena hands out the words' texts from two allocations.
type arena struct {
	texts [][]byte
	bytes []byte
	tags  []string
	err   bool
}

type reader struct {
	buf []byte
	off int
	err error
}

func (r *reader) fail() {
	if r.err == nil {
		r.err = errPrepared
	}
}

func (r *reader) uint() int {
	v, n := binary.Uvarint(r.buf[r.off:])
	if n <= 0 || v > math.MaxInt32 {
		r.fail()
		return 0
	}
	r.off += n
	return int(v)
}

func (r *reader) int() int {
	v, n := binary.Varint(r.buf[r.off:])
	if n <= 0 || v != int64(int(v)) {
		r.fail()
		return 0
	}
	r.off += n
	return int(v)
}

// count reads a count of items taking at least size bytes each, checked
// against what is left; -1 when it cannot be.
func (r *reader) count(size int) int {
	n := r.uint()
	if r.err != nil || n > (len(r.buf)-r.off)/size {
		r.fail()
		return -1
	}
	return n
}

func (r *reader) take(n int) []byte {
	if n < 0 || n > len(r.buf)-r.off {
		r.fail()
		return nil
	}
	b := r.buf[r.off : r.off+n : r.off+n]
	r.off += n
	return b
}

func (r *reader) bool() bool {
	b := r.take(1)
	return b != nil && b[0] == 1
}

func (r *reader) float64() float64 {
	b := r.take(8)
	if b == nil {
		return 0
	}
	return math.Float64frombits(binary.LittleEndian.Uint64(b))
}

// token reads what encoder.token wrote.
func (r *reader) token(t *mirrorToken, a *arena) {
	n := r.count(1)
	if n < 0 || n > len(a.texts) {
		a.err = true
		return
	}
	t.text, a.texts = a.texts[:n:n], a.texts[n:]
	for i := range t.text {
		src := r.take(r.count(1))
		if len(src) > len(a.bytes) {
			a.err = true
			return
		}
		k := copy(a.bytes, src)
		t.text[i], a.bytes = a.bytes[:k:k], a.bytes[k:]
	}
	t.freq = r.float64()
	if b := r.take(4); b != nil {
		t.distance = math.Float32frombits(binary.LittleEndian.Uint32(b))
	}
	if p := r.uint(); p < len(a.tags) {
		t.pos = a.tags[p]
	} else {
		a.err = true
	}
}

// readPrepared loads the prepared segmenter of a data directory.
func readPrepared(dir string) (*gse.Segmenter, error) {
	data, err := os.ReadFile(filepath.Join(dir, preparedName))
	if err != nil {
		return nil, err
	}
	return decodePrepared(data)
}

// writePrepared writes seg's prepared form into a data directory,
// replacing any other atomically.
func writePrepared(dir string, seg *gse.Segmenter) error {
	data, err := encodePrepared(seg)
	if err != nil {
		return err
	}
	return durable.Replace(dir, preparedName, preparedName+".tmp-*", data, nil)
}
