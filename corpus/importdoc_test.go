package corpus

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// lawrefbook is ../shared/data/lawrefbook-welfare from the repository's
// root: statute texts split into articles, read at test time only.
var lawrefbook = filepath.Join("..", "..", "shared", "data", "lawrefbook-welfare")

type lawRecord struct {
	Law          string   `json:"law"`
	Promulgation []string `json:"promulgation"`
	NArticles    int      `json:"n_articles"`
}

type articleRecord struct {
	Law, Chapter, Article, Text string
}

func readJSONL[T any](t *testing.T, name string) []T {
	t.Helper()
	f, err := os.Open(filepath.Join(lawrefbook, name))
	if err != nil {
		t.Skipf("the statute texts are not available: %v", err)
	}
	defer f.Close()
	var out []T
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<22)
	for sc.Scan() {
		var v T
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}

// statuteText writes a statute as the national database shows it: the
// title, the history in brackets, then chapters, sections and articles.
func statuteText(l lawRecord, arts []articleRecord) string {
	var b strings.Builder
	b.WriteString(l.Law + "\n")
	if len(l.Promulgation) > 0 {
		b.WriteString("（" + strings.TrimSuffix(strings.Join(l.Promulgation, "　"), "）") + "）\n")
	}
	chapter := ""
	for _, a := range arts {
		if a.Chapter != chapter && a.Chapter != "" {
			for _, part := range strings.Split(a.Chapter, " / ") {
				if !strings.Contains(chapter, part) {
					b.WriteString(part + "\n")
				}
			}
			chapter = a.Chapter
		}
		b.WriteString(a.Text + "\n")
	}
	return b.String()
}

// TestReadDocumentStatutes reads the 52 statutes of lawrefbook-welfare:
// every title and article with its chapter, and, where the registry knows
// the statute, its adopted and effective days, number and issuer as the
// registry has them (which were checked against official sources).
func TestReadDocumentStatutes(t *testing.T) {
	laws := readJSONL[lawRecord](t, "laws.jsonl")
	byLaw := map[string][]articleRecord{}
	for _, a := range readJSONL[articleRecord](t, "articles.jsonl") {
		byLaw[a.Law] = append(byLaw[a.Law], a)
	}
	data, err := os.ReadFile(DocumentsFile)
	if err != nil {
		t.Fatal(err)
	}
	reg, probs := ParseDocuments(DocumentsFile, data)
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	byTitle := map[string]*Document{}
	for _, d := range reg {
		byTitle[d.Title] = d
	}
	// The registry describes a newer version than the text of these.
	newer := map[string]bool{"殡葬管理条例": true} // 2025's 令第824号; the text is of 2012
	compared, agreed, dated := 0, 0, 0
	for _, l := range laws {
		arts := byLaw[l.Law]
		d := ReadDocument(statuteText(l, arts))
		if d.Title != l.Law {
			t.Errorf("%s: title %q", l.Law, d.Title)
		}
		if len(d.Articles) != len(arts) {
			t.Errorf("%s: %d articles, want %d (notes %v)", l.Law, len(d.Articles), len(arts), d.Notes)
			continue
		}
		for i, a := range arts {
			got := d.Articles[i]
			if got.Number != a.Article || got.Text != a.Text || strings.Join(strings.Fields(got.Chapter), " ") != strings.Join(strings.Fields(strings.ReplaceAll(a.Chapter, " / ", " ")), " ") {
				t.Errorf("%s: article %d = %s in %q, want %s in %q", l.Law, i, got.Number, got.Chapter, a.Article, a.Chapter)
				break
			}
		}
		for _, n := range d.Notes {
			if strings.Contains(n, "不连续") {
				t.Errorf("%s: %s", l.Law, n)
			}
		}
		if d.Effective != "" && (d.Adopted != "" || len(l.Promulgation) == 0) {
			dated++
		}
		doc, ok := byTitle[l.Law]
		if !ok || newer[l.Law] {
			continue
		}
		for _, c := range []struct{ field, got, want string }{
			{"adopted", d.Adopted, doc.Adopted},
			{"effective", d.Effective, doc.Effective},
			{"issuer", d.Issuer, doc.Issuer},
			{"number", d.Number, doc.Number},
		} {
			if c.want == Unknown || c.got == "" {
				continue // the registry does not know it, or it was not read
			}
			compared++
			// The registry writes some orders with the state's name and
			// some without: 国务院令第375号 is 中华人民共和国国务院令第375号.
			if strings.TrimPrefix(c.got, "中华人民共和国") == strings.TrimPrefix(c.want, "中华人民共和国") {
				agreed++
				continue
			}
			t.Errorf("%s: %s read %q, the registry has %q", l.Law, c.field, c.got, c.want)
		}
	}
	t.Logf("%d facts compared with the registry, %d agree; %d of %d statutes dated", compared, agreed, dated, len(laws))
	if compared < 100 || dated < len(laws)*9/10 {
		t.Errorf("only %d facts compared with the registry, %d of %d statutes dated", compared, dated, len(laws))
	}
}

// A notice that issues a 办法: masthead, a 文号 in [], the title, the
// signature in the middle, then the 办法 with chapters and articles.
const noticeText = `上海市人民政府办公厅文件

沪府办规[2021]12号

上海市人民政府办公厅关于印发《上海市测试补贴管理办法》的通知

各区人民政府，市政府各委、办、局：
　　经市政府同意，现将《上海市测试补贴管理办法》印发给你们，请认真按照执行。

上海市人民政府办公厅
2021年5月20日

上海市测试补贴管理办法

第一章　总则
第一条　为了做好测试补贴工作，根据《社会救助暂行办法》（国务院令第649号），制定本办法。
第二条　本办法适用于本市。
第二章　申请
第三条　申请人应当提交下列材料：
（一）身份证；
（二）户口簿。
第四条　本办法自2021年6月1日起施行，有效期至2026年5月31日。
`

// A regulation in numbered sections, a 文号 in full-width (), in force
// from the day it was issued, dated in Chinese numerals.
const sectionsText = `关于做好测试工作的若干规定
沪民规（2023）5号
一、总体要求
做好测试工作。
二、适用范围
本市户籍居民。
三、本规定自印发之日起施行，有效期5年。
上海市民政局
二〇二三年三月十五日
`

func TestReadDocumentSnippets(t *testing.T) {
	d := ReadDocument(noticeText)
	for _, c := range []struct{ field, got, want string }{
		{"title", d.Title, "上海市人民政府办公厅关于印发《上海市测试补贴管理办法》的通知"},
		{"attached", d.Attached, "上海市测试补贴管理办法"},
		{"kind", d.Kind, "通知"},
		{"number", d.Number, "沪府办规〔2021〕12号"},
		{"cited", strings.Join(d.Cited, " "), "国务院令第649号"},
		{"issuer", d.Issuer, "上海市人民政府办公厅"},
		{"adopted", d.Adopted, "2021-05-20"},
		{"effective", d.Effective, "2021-06-01"},
		{"expires", d.Expires, "2026-05-31"},
	} {
		if c.got != c.want {
			t.Errorf("notice: %s = %q, want %q", c.field, c.got, c.want)
		}
	}
	var arts []string
	for _, a := range d.Articles {
		arts = append(arts, a.Chapter+"|"+a.Number)
	}
	if got := strings.Join(arts, " "); got != "第一章　总则|第一条 第一章　总则|第二条 第二章　申请|第三条 第二章　申请|第四条" {
		t.Errorf("notice articles: %s", got)
	}
	if len(d.Articles) == 4 && d.Articles[2].Text != "第三条　申请人应当提交下列材料：\n（一）身份证；\n（二）户口簿。" {
		t.Errorf("article 3 = %q", d.Articles[2].Text)
	}
	if len(d.Notes) != 0 {
		t.Errorf("notice notes: %v", d.Notes)
	}

	d = ReadDocument(sectionsText)
	for _, c := range []struct{ field, got, want string }{
		{"title", d.Title, "关于做好测试工作的若干规定"},
		{"kind", d.Kind, "若干规定"},
		{"number", d.Number, "沪民规〔2023〕5号"},
		{"issuer", d.Issuer, "上海市民政局"},
		{"adopted", d.Adopted, "2023-03-15"},
		{"effective", d.Effective, "2023-03-15"},
		{"expires", d.Expires, ""},
	} {
		if c.got != c.want {
			t.Errorf("sections: %s = %q, want %q", c.field, c.got, c.want)
		}
	}
	arts = nil
	for _, a := range d.Articles {
		arts = append(arts, a.Number)
	}
	if strings.Join(arts, " ") != "一 二 三" || !strings.HasSuffix(d.Articles[2].Text, "有效期5年。") {
		t.Errorf("sections: %v, the last %q", arts, d.Articles[len(d.Articles)-1].Text)
	}
	if len(d.Notes) != 1 || !strings.Contains(d.Notes[0], "有效期5年") {
		t.Errorf("sections notes: %v (want one on the validity without an end day)", d.Notes)
	}

	// Lines above the title: urgency, signer, the organ without 「文件」;
	// a title over two lines.
	d = ReadDocument("特急\n上海市民政局\n沪民规〔2024〕3号\n签发人：张三\n上海市民政局关于做好测试工作\n的通知\n各区民政局：\n一、要求\n做好。\n")
	if d.Title != "上海市民政局关于做好测试工作的通知" || d.Number != "沪民规〔2024〕3号" || d.Issuer != "上海市民政局" || len(d.Articles) != 1 {
		t.Errorf("a notice with lines above its title: %q %q %q %d", d.Title, d.Number, d.Issuer, len(d.Articles))
	}

	// Numbers out of sequence, an inserted article, nothing dated.
	d = ReadDocument("测试办法\n第一条 甲。\n第二条 乙。\n第二条之一 丙。\n第四条 丁。\n")
	arts = nil
	for _, a := range d.Articles {
		arts = append(arts, a.Number)
	}
	if strings.Join(arts, " ") != "第一条 第二条 第二条之一 第四条" {
		t.Errorf("articles %v", arts)
	}
	notes := strings.Join(d.Notes, "|")
	for _, want := range []string{"第四条：编号不连续，前面应为第 3 项", "没有读到本文件的文号", "没有读到发文机关", "没有读到通过或印发日期", "没有读到施行日期"} {
		if !strings.Contains(notes, want) {
			t.Errorf("notes %q lack %q", notes, want)
		}
	}
	if d := ReadDocument(" \n\t\n"); d.Title != "" || len(d.Notes) != 1 || d.Notes[0] != "没有读到文字" {
		t.Errorf("an empty text: %+v", d)
	}
	// 「自公布之日起施行」 with no day of publication: said, not guessed.
	if d := ReadDocument("测试规定\n第一条 本规定自公布之日起施行。\n"); d.Effective != "" || !strings.Contains(strings.Join(d.Notes, "|"), "没有读到那一天") {
		t.Errorf("effective %q, notes %v", d.Effective, d.Notes)
	}
}

func TestNumbersIn(t *testing.T) {
	for in, want := range map[string]string{
		"沪府办规〔2021〕12号":                "沪府办规〔2021〕12号",
		"沪府办规[2021]12号":                "沪府办规〔2021〕12号",
		"沪府办规［2021］12号":                "沪府办规〔2021〕12号",
		"沪府办规(2021)12号":                "沪府办规〔2021〕12号",
		"沪府办规（2021）12号":                "沪府办规〔2021〕12号",
		"沪府办规【2021】12号":                "沪府办规〔2021〕12号",
		"沪府办规 〔 2021 〕 12 号":           "沪府办规〔2021〕12号",
		"根据沪府发〔2016〕110号和沪府规〔2021〕17号": "沪府发〔2016〕110号 沪府规〔2021〕17号",
		"中华人民共和国国务院令第649号":             "中华人民共和国国务院令第649号",
		"（1999年5月25日民政部令第14号发布）":       "民政部令第14号",
		"中华人民共和国主席令第三十五号":              "中华人民共和国主席令第三十五号",
		"依据国务院令第 649 号":                "国务院令第649号",
		"2021年12号文件":                   "",
	} {
		if got := strings.Join(numbersIn(in), " "); got != want {
			t.Errorf("numbersIn(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCNValue(t *testing.T) {
	for in, want := range map[string]int{"一": 1, "十": 10, "十二": 12, "二十": 20, "三十一": 31, "一百零三": 103, "一百一十": 110,
		"二〇二一": 2021, "一九九九": 1999, "两百": 200, "12": 12, "甲": -1} {
		if got := cnValue(in); got != want {
			t.Errorf("cnValue(%q) = %d, want %d", in, got, want)
		}
	}
}

// FuzzReadDocument: any text reads without a panic, and what is read is
// valid: dates are days, articles carry their text.
func FuzzReadDocument(f *testing.F) {
	f.Add(noticeText)
	f.Add(sectionsText)
	f.Add("第一条\n第十万条 二〇二一年十三月四十日\n〔2021〕号")
	f.Fuzz(func(t *testing.T, text string) {
		d := ReadDocument(text)
		for _, day := range append([]string{d.Adopted, d.Effective, d.Expires}, d.Amended...) {
			if _, err := ParseDate(day); day != "" && err != nil {
				t.Errorf("a date %q that is no day", day)
			}
		}
		for _, a := range d.Articles {
			if a.Number == "" || a.Text == "" {
				t.Errorf("an article %+v", a)
			}
		}
	})
}
