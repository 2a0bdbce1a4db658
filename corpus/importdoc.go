package corpus

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Reading an official document (通知, 办法, 规定, 条例, 法) pasted as text:
// what can be read from it reliably — its title, 文号, issuer, dates and
// article structure — and nothing else. Each value read says where it came
// from, and what could not be read is said, never filled in: an admin
// confirms every value before anything is saved.

// MaxImportText bounds the text of a document to read, in bytes.
const MaxImportText = 1 << 20

// ImportedDocument is what ReadDocument read of a document.
type ImportedDocument struct {
	// Title is the document's heading; Attached the title in 《》 of the
	// document a 「关于印发《…》的通知」 issues (which the registry
	// usually lists under the notice's 文号).
	Title    string `json:"title"`
	Attached string `json:"attached,omitempty"`
	// Kind is the kind the title ends with: 通知, 办法, 规定, 条例, 法 …
	Kind string `json:"kind,omitempty"`
	// Number is the document's own 文号, as written with the brackets
	// made 〔〕; Cited are the numbers its body cites.
	Number string   `json:"number,omitempty"`
	Cited  []string `json:"cited,omitempty"`
	Issuer string   `json:"issuer,omitempty"`
	// Adopted is the day it was adopted (通过), else issued (印发,
	// 发布, 公布, or the date under the signature); Effective the day it
	// takes effect (施行); Expires its last day, when it states one;
	// Amended the days it was amended (修正, 修订). Dates are YYYY-MM-DD.
	Adopted   string         `json:"adopted,omitempty"`
	Effective string         `json:"effective,omitempty"`
	Expires   string         `json:"expires,omitempty"`
	Amended   []string       `json:"amended,omitempty"`
	Dates     []ImportedDate `json:"dates"`
	// Articles are its 条 in order (or, in a document without 条, its
	// numbered sections 一、二、…), each with its chapter.
	Articles []ImportedArticle `json:"articles"`
	// Notes say what could not be read, or was read with a doubt.
	Notes []string `json:"notes"`
}

// ImportedDate is one date the document states, what happens on it, and
// the words it was read from.
type ImportedDate struct {
	Date string `json:"date"`
	// Event is adopted (通过), issued (印发, 发布, 公布, or the date under
	// the signature), effective (施行), amended (修正, 修订), expires
	// (有效期至) or empty when the text does not say.
	Event string `json:"event"`
	From  string `json:"from"`
	// inHead is set for a date of the document's head (its history).
	inHead bool
}

// Events of an ImportedDate.
const (
	EventAdopted   = "adopted"
	EventIssued    = "issued"
	EventEffective = "effective"
	EventAmended   = "amended"
	EventExpires   = "expires"
)

// ImportedArticle is one 条 (第一条) or numbered section (一、).
type ImportedArticle struct {
	Number  string `json:"number"`
	Chapter string `json:"chapter,omitempty"`
	Text    string `json:"text"`
}

const (
	cnDigit = `零〇一二三四五六七八九`
	cnNum   = `[` + cnDigit + `十百千两]+`
)

var (
	// A 文号 with its year in brackets: 沪府办规〔2021〕12号, also with
	// [], ［］, () or （）, 【】, and spaces.
	bracketNumberRE = regexp.MustCompile(`(\p{Han}{1,10})\s*[〔\[［(（【]\s*((?:19|20)\d{2})\s*[〕\]］)）】]\s*第?\s*(\d{1,5})\s*号`)
	// A 令: 中华人民共和国国务院令第649号, 民政部令第14号, 主席令第三十五号.
	orderNumberRE = regexp.MustCompile(`((?:中华人民共和国)?\p{Han}{0,20}?(?:、(?:中华人民共和国)?\p{Han}{1,20}?)?令)\s*第\s*(\d{1,5}|` + cnNum + `)\s*号`)
	// Words that come before a cited number and are not part of it.
	numberLead = []string{"根据", "按照", "依据", "依照", "参照", "执行", "贯彻", "落实", "印发", "同时", "原", "经", "和", "及", "与", "的"}
	// A date: 2021年6月1日, also with spaces, or 二〇二一年六月一日.
	dateRE = regexp.MustCompile(`((?:19|20)\d{2}|[` + cnDigit + `]{4})\s*年\s*(\d{1,2}|` + cnNum + `)\s*月\s*(\d{1,2}|` + cnNum + `)\s*日`)
	// 第一条, 第十二条之一 at the start of a line.
	articleRE = regexp.MustCompile(`^第\s*(\d{1,4}|` + cnNum + `)\s*条(之` + cnNum + `)?(?:\s+|$|[　：:])`)
	chapterRE = regexp.MustCompile(`^第\s*(\d{1,3}|` + cnNum + `)\s*章(?:\s+|　|$)`)
	sectionRE = regexp.MustCompile(`^第\s*(\d{1,3}|` + cnNum + `)\s*节(?:\s+|　|$)`)
	// 一、 at the start of a line (not （一）, which is a sub-item).
	itemRE = regexp.MustCompile(`^(` + cnNum + `)\s*、`)
	// Kinds of document a title may end with, longest first.
	docKinds = []string{"实施细则", "实施办法", "实施意见", "暂行办法", "暂行规定", "暂行条例", "若干规定", "通知", "办法", "规定", "条例", "意见", "决定", "细则", "规则", "方案", "通告", "公告", "法"}
	// Ends of an organ's name.
	organEnds     = []string{"人民政府", "办公厅", "办公室", "委员会", "常务委员会", "人民代表大会", "政府", "局", "厅", "部", "院", "委", "会", "中心", "署", "所", "处", "办"}
	attachedRE    = regexp.MustCompile(`关于印发《([^》]+)》`)
	fromIssueRE   = regexp.MustCompile(`自(印发|发布|公布)之日起(施行|实施|执行|生效)`)
	validYearsRE  = regexp.MustCompile(`有效期(为)?(\d{1,2}|` + cnNum + `)年`)
	orderIssuerRE = regexp.MustCompile(`^(?:中华人民共和国)?([\p{Han}、]+?)令$`)
	congressRE    = regexp.MustCompile(`(上海市)?第` + cnNum + `届(全国)?人民代表大会(常务委员会)?`)
)

// signatureAt finds the signature of a notice: an organ's name on a line
// and the date alone on the next; -1 if there is none.
func signatureAt(lines []string) int {
	for i := 1; i < len(lines); i++ {
		if dateRE.FindString(lines[i]) == lines[i] && isOrgan(lines[i-1]) && utf8.RuneCountInString(lines[i-1]) <= 40 {
			return i - 1
		}
	}
	return -1
}

// ReadDocument reads a document's text.
func ReadDocument(text string) ImportedDocument {
	d := ImportedDocument{Dates: []ImportedDate{}, Articles: []ImportedArticle{}, Notes: []string{}}
	lines := importLines(text)
	if len(lines) == 0 {
		d.Notes = append(d.Notes, "没有读到文字")
		return d
	}
	body := bodyStart(lines)
	head, rest := lines[:body], lines[body:]
	sig := signatureAt(lines)
	if sig > body {
		// The signature ends the body.
		rest = lines[body:sig]
	}

	d.readTitle(head)
	d.readNumbers(head, rest)
	d.readDates(lines, len(head), sig)
	d.readArticles(rest)
	d.readIssuer(head, lines, sig)
	if d.Title == "" {
		d.Notes = append(d.Notes, "没有读到标题")
	}
	if d.Number == "" {
		d.Notes = append(d.Notes, "没有读到本文件的文号")
	}
	if d.Issuer == "" {
		d.Notes = append(d.Notes, "没有读到发文机关")
	}
	if d.Adopted == "" {
		d.Notes = append(d.Notes, "没有读到通过或印发日期")
	}
	if d.Effective == "" {
		d.Notes = append(d.Notes, "没有读到施行日期")
	}
	return d
}

// importLines splits a text into trimmed, non-empty lines, without
// Markdown heading marks.
func importLines(text string) []string {
	if len(text) > MaxImportText {
		text = text[:MaxImportText]
	}
	text = strings.ToValidUTF8(strings.TrimPrefix(text, "\uFEFF"), "")
	var out []string
	for _, l := range strings.FieldsFunc(text, func(r rune) bool { return r == '\n' || r == '\r' || r == '\u2028' }) {
		l = strings.TrimFunc(l, func(r rune) bool { return unicode.IsSpace(r) || r == '\u3000' })
		l = strings.TrimSpace(strings.TrimLeft(l, "#"))
		if l != "" {
			out = append(out, l)
		}
	}
	return out
}

// bodyStart is the index of the first line of the body: the first
// chapter or article, else the first numbered section, else the line
// after the title and what stands beside it (文号, dates in brackets).
func bodyStart(lines []string) int {
	for i, l := range lines {
		if articleRE.MatchString(l) || chapterRE.MatchString(l) {
			// A table of contents lists chapters before the body.
			if i > 0 && lines[i-1] == "目录" {
				continue
			}
			return i
		}
	}
	for i, l := range lines {
		if itemRE.MatchString(l) {
			return i
		}
	}
	return min(len(lines), 3)
}

// readTitle takes the first line that is a heading: not a 文号, date,
// 「…文件」 masthead or table of contents; a title broken over two lines
// is joined.
func (d *ImportedDocument) readTitle(head []string) {
	var lines []string
	for _, l := range head {
		if isMasthead(l) || l == "目录" || strings.HasPrefix(l, "（") || strings.HasPrefix(l, "(") ||
			bracketNumberRE.MatchString(l) && utf8.RuneCountInString(l) < 30 || dateRE.FindString(l) == l {
			continue
		}
		lines = append(lines, l)
	}
	// The title is the first line that ends with a kind of document (or
	// does so joined with the next), past the urgency, signer and
	// organ lines a notice may carry above it; else the first line.
	for i, l := range lines {
		title := l
		if docKindOf(title) == "" && i+1 < len(lines) && docKindOf(lines[i+1]) != "" && !strings.ContainsAny(lines[i+1], "，。：；") && !isOrgan(l) {
			title += lines[i+1]
		}
		if docKindOf(title) != "" && !strings.ContainsAny(title, "：:") {
			d.Title = strings.TrimSpace(title)
			break
		}
	}
	if d.Title == "" && len(lines) > 0 {
		d.Title = lines[0]
	}
	if d.Title == "" {
		return
	}
	d.Kind = docKindOf(d.Title)
	if m := attachedRE.FindStringSubmatch(d.Title); m != nil {
		d.Attached = m[1]
	}
}

// isMasthead reports a 「上海市人民政府办公厅文件」 line.
func isMasthead(l string) bool {
	return strings.HasSuffix(l, "文件") && utf8.RuneCountInString(l) <= 30 && !strings.ContainsAny(l, "，。《")
}

// docKindOf is the kind of document a title ends with.
func docKindOf(title string) string {
	t := strings.TrimRight(title, "）)")
	for _, k := range docKinds {
		if strings.HasSuffix(t, k) {
			return k
		}
	}
	return ""
}

// normalNumber writes a 文号 with 〔〕 around its year and no spaces.
func normalNumber(prefix, year, n string) string {
	for _, w := range numberLead {
		if p := strings.TrimPrefix(prefix, w); p != prefix && utf8.RuneCountInString(p) >= 2 {
			prefix = p
		}
	}
	return prefix + "〔" + year + "〕" + n + "号"
}

// afterDate returns l[from:to] without the 「日」 of a date it starts
// with: 「1999年5月25日民政部令」 is 民政部令.
func afterDate(l string, from, to int) string {
	s := l[from:to]
	if rest, ok := strings.CutPrefix(s, "日"); ok && from > 0 {
		if r, _ := utf8.DecodeLastRuneInString(l[:from]); unicode.IsDigit(r) || strings.ContainsRune(cnDigit+"十", r) {
			return rest
		}
	}
	return s
}

// numbersIn finds the 文号 in a line, in order.
func numbersIn(l string) []string {
	type found struct {
		at  int
		num string
	}
	var fs []found
	for _, m := range bracketNumberRE.FindAllStringSubmatchIndex(l, -1) {
		fs = append(fs, found{m[0], normalNumber(afterDate(l, m[2], m[3]), l[m[4]:m[5]], l[m[6]:m[7]])})
	}
	for _, m := range orderNumberRE.FindAllStringSubmatchIndex(l, -1) {
		order := afterDate(l, m[2], m[3])
		if i := strings.Index(order, "中华人民共和国"); i > 0 {
			order = order[i:]
		}
		for _, w := range numberLead {
			order = strings.TrimPrefix(order, w)
		}
		if order == "令" || utf8.RuneCountInString(order) > 30 {
			continue
		}
		fs = append(fs, found{m[0], order + "第" + l[m[4]:m[5]] + "号"})
	}
	slices.SortStableFunc(fs, func(a, b found) int { return cmp.Compare(a.at, b.at) })
	out := make([]string, 0, len(fs))
	for _, f := range fs {
		out = append(out, f.num)
	}
	return out
}

// readNumbers takes the first 文号 of the head as the document's own, and
// lists those the body cites.
func (d *ImportedDocument) readNumbers(head, rest []string) {
	// The document's own number stands on a line of its own under the
	// masthead; else it is the latest of a statute's history in brackets
	// (each version's order, the latest last); else the head's first.
	var first, history string
	for _, l := range head {
		ns := numbersIn(l)
		switch {
		case len(ns) == 0:
		case len(ns) == 1 && utf8.RuneCountInString(l) <= utf8.RuneCountInString(ns[0])+6:
			d.Number = ns[0]
		case strings.HasPrefix(l, "（") || strings.HasPrefix(l, "("):
			history = ns[len(ns)-1]
		case first == "":
			first = ns[0]
		}
		if d.Number != "" {
			break
		}
	}
	d.Number = cmp.Or(d.Number, history, first)
	seen := map[string]bool{d.Number: true}
	for _, l := range rest {
		for _, n := range numbersIn(l) {
			if !seen[n] {
				seen[n] = true
				d.Cited = append(d.Cited, n)
			}
		}
	}
}

// cnValue reads a number written in Chinese numerals (十二, 二十一, 一百零三,
// or digit by digit: 二〇二一); -1 if it is not one.
func cnValue(s string) int {
	if n, err := strconv.Atoi(s); err == nil {
		return n
	}
	digit := func(r rune) int {
		if i := strings.IndexRune("〇一二三四五六七八九", r); i >= 0 {
			return i / len("〇")
		}
		return -1
	}
	rs := []rune(s)
	if len(rs) == 0 {
		return -1
	}
	if !strings.ContainsAny(s, "十百千") {
		n := 0
		for _, r := range rs {
			switch {
			case r == '零':
				n *= 10
			case r == '两':
				n = n*10 + 2
			case digit(r) >= 0:
				n = n*10 + digit(r)
			default:
				return -1
			}
		}
		return n
	}
	total, cur := 0, 0
	for _, r := range rs {
		switch r {
		case '零', '〇':
		case '两':
			cur = 2
		case '十', '百', '千':
			unit := map[rune]int{'十': 10, '百': 100, '千': 1000}[r]
			if cur == 0 {
				cur = 1
			}
			total += cur * unit
			cur = 0
		default:
			if digit(r) < 0 {
				return -1
			}
			cur = digit(r)
		}
	}
	return total + cur
}

// dateOf reads a date match as YYYY-MM-DD; false if it is no real day.
func dateOf(m []string) (string, bool) {
	y, mo, da := cnValue(m[1]), cnValue(m[2]), cnValue(m[3])
	t := time.Date(y, time.Month(mo), da, 0, 0, 0, 0, time.UTC)
	if y < 1900 || mo < 1 || mo > 12 || da < 1 || t.Day() != da {
		return "", false
	}
	return t.Format(DateLayout), true
}

// eventWords say what happens on a date, by the words after it in its
// clause; the first that appears wins.
var eventWords = []struct{ word, event string }{
	{"起施行", EventEffective}, {"起实施", EventEffective}, {"起执行", EventEffective}, {"施行", EventEffective}, {"生效", EventEffective},
	{"通过", EventAdopted}, {"批准", EventAdopted},
	{"修正", EventAmended}, {"修订", EventAmended}, {"修改", EventAmended},
	{"公布", EventIssued}, {"发布", EventIssued}, {"印发", EventIssued},
}

// clauseAfter is the text after a date up to the end of its clause or
// the next date.
func clauseAfter(s string) string {
	if i := strings.IndexAny(s, "，。；;）)\n"); i >= 0 {
		s = s[:i]
	}
	if loc := dateRE.FindStringIndex(s); loc != nil {
		s = s[:loc[0]]
	}
	return s
}

// eventOf says what happens on a date by the event word its clause ends
// with (the last one in it: 「…的决定》修正」 is an amendment).
func eventOf(clause string) string {
	ev, end := "", -1
	for _, w := range eventWords {
		if i := strings.LastIndex(clause, w.word); i >= 0 && i+len(w.word) > end {
			ev, end = w.event, i+len(w.word)
		}
	}
	return ev
}

// readDates reads every date of the text with what happens on it, and
// from them the days the document was adopted, took effect, ends and was
// amended. A date alone on a line at the end is the date under the
// signature: the day it was issued. The day it was adopted is the day
// its own number was given, else the day it was issued (印发, 公布 …),
// else adopted (通过), as its head or signature says: dates in the body
// are of other things.
func (d *ImportedDocument) readDates(lines []string, body, sig int) {
	rest := lines[body:]
	issuedOn, adoptedOn, numberedOn := "", "", ""
	for i, l := range lines {
		for _, m := range dateRE.FindAllStringSubmatchIndex(l, -1) {
			sub := []string{l[m[0]:m[1]], l[m[2]:m[3]], l[m[4]:m[5]], l[m[6]:m[7]]}
			day, ok := dateOf(sub)
			if !ok {
				continue
			}
			before, after := l[:m[0]], clauseAfter(l[m[1]:])
			ev, signature := "", false
			switch {
			case strings.HasSuffix(strings.TrimSpace(before), "有效期至") || strings.HasSuffix(strings.TrimSpace(before), "有效期到"):
				ev = EventExpires
			case sub[0] == l && (sig >= 0 && i == sig+1 || sig < 0 && i > 0 && i >= len(lines)-2):
				ev, signature = EventIssued, true // the date under the signature
			default:
				ev = eventOf(after)
			}
			from := strings.TrimSpace(sub[0] + after)
			if ev == EventIssued && sub[0] == l {
				from = l
			}
			d.Dates = append(d.Dates, ImportedDate{Date: day, Event: ev, From: from, inHead: i < body})
			if i >= body && !signature {
				continue
			}
			switch {
			case d.Number != "" && strings.Contains(after, d.Number) && numberedOn == "":
				numberedOn = day
			case ev == EventIssued && issuedOn == "":
				issuedOn = day
			case ev == EventAdopted && adoptedOn == "":
				adoptedOn = day
			}
		}
	}
	d.Adopted = cmp.Or(numberedOn, issuedOn, adoptedOn)
	for _, dt := range d.Dates {
		switch dt.Event {
		case EventEffective:
			d.Effective = dt.Date
		case EventExpires:
			d.Expires = dt.Date
		case EventAmended:
			if dt.inHead {
				d.Amended = append(d.Amended, dt.Date)
			}
		}
	}
	if d.Effective == "" {
		// 「自印发之日起施行」, 「自公布之日起施行」: the day it was issued.
		for _, l := range rest {
			if fromIssueRE.MatchString(l) {
				if issuedOn != "" {
					d.Effective = issuedOn
				} else {
					d.Notes = append(d.Notes, "文件自印发或公布之日起施行，但没有读到那一天")
				}
				break
			}
		}
	}
	if d.Expires == "" {
		for _, l := range rest {
			if m := validYearsRE.FindString(l); m != "" {
				d.Notes = append(d.Notes, fmt.Sprintf("文件写有「%s」，没有写明到期的日子：请按施行日期核算后填写", m))
				break
			}
		}
	}
}

// readArticles reads the 条 with their chapters, else the numbered
// sections, and notes numbers out of sequence.
func (d *ImportedDocument) readArticles(rest []string) {
	chapter, section := "", ""
	// cur holds the lines of the article being read.
	var cur []string
	flush := func() {
		if cur != nil {
			d.Articles[len(d.Articles)-1].Text = strings.Join(cur, "\n")
			cur = nil
		}
	}
	hasArticles := false
	for _, l := range rest {
		if articleRE.MatchString(l) {
			hasArticles = true
			break
		}
	}
	want := 1
	for _, l := range rest {
		switch {
		case chapterRE.MatchString(l):
			flush()
			chapter, section = l, ""
			continue
		case sectionRE.MatchString(l):
			flush()
			section = l
			continue
		}
		var m []string
		if hasArticles {
			m = articleRE.FindStringSubmatch(l)
		} else {
			m = itemRE.FindStringSubmatch(l)
		}
		if m != nil {
			n := cnValue(strings.TrimSpace(m[1]))
			label := strings.TrimSpace(m[1])
			if hasArticles {
				label = "第" + label + "条" + m[2]
			}
			// 第十二条之一 comes between 第十二条 and 第十三条.
			if inserted := len(m) > 2 && m[2] != ""; !inserted {
				if n != want {
					d.Notes = append(d.Notes, fmt.Sprintf("%s：编号不连续，前面应为第 %d 项", label, want))
				}
				want = n + 1
			}
			ch := chapter
			if section != "" {
				ch = strings.TrimSpace(chapter + " " + section)
			}
			flush()
			d.Articles = append(d.Articles, ImportedArticle{Number: label, Chapter: ch, Text: l})
			cur = []string{l}
			continue
		}
		if cur != nil {
			cur = append(cur, l)
		}
	}
	flush()
	if len(d.Articles) == 0 {
		d.Notes = append(d.Notes, "没有读到条款结构（第一条…或一、二、…）")
	}
}

// readIssuer takes the issuer from, in order: a 「…文件」 masthead, the
// organ signing above the date at the end, the congress that adopted or
// last revised it, the order that issued it, the organ a 「…关于…」 title
// begins with.
func (d *ImportedDocument) readIssuer(head, lines []string, sig int) {
	for _, l := range head {
		if isMasthead(l) {
			d.Issuer = strings.TrimSuffix(l, "文件")
			return
		}
	}
	if sig >= 0 {
		d.Issuer = lines[sig]
		return
	}
	// A statute's history names the congress that adopted it and those
	// that revised it: the latest made the version in force.
	for _, l := range head {
		if ms := congressRE.FindAllStringSubmatch(l, -1); ms != nil && strings.Contains(l, "通过") {
			m := ms[len(ms)-1]
			d.Issuer = m[1] + m[2] + "人民代表大会" + m[3]
		}
	}
	if d.Issuer != "" {
		return
	}
	if m := orderIssuerRE.FindStringSubmatch(orderPart(d.Number)); m != nil {
		d.Issuer = strings.ReplaceAll(m[1], "中华人民共和国", "")
		return
	}
	if i := strings.Index(d.Title, "关于"); i > 0 && isOrgan(d.Title[:i]) {
		d.Issuer = d.Title[:i]
	}
}

// orderPart is the 「…令」 of a 令 number.
func orderPart(number string) string {
	if i := strings.Index(number, "令第"); i > 0 {
		return number[:i+len("令")]
	}
	return ""
}

// isOrgan reports whether a line is the name of an organ (or several,
// joined by 、 or spaces).
func isOrgan(s string) bool {
	if s == "" || strings.ContainsAny(s, "，。：；《》") {
		return false
	}
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == '、' || unicode.IsSpace(r) || r == '\u3000' }) {
		ok := false
		for _, e := range organEnds {
			ok = ok || strings.HasSuffix(part, e)
		}
		if !ok {
			return false
		}
	}
	return true
}
