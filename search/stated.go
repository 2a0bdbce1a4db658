package search

import (
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"yicha/corpus"
)

// statedFacts are the situation facts a question may state in passing:
// words that say them, and the field value they give.
var statedFacts = []struct {
	re           *regexp.Regexp
	field, value string
}{
	{regexp.MustCompile(`独居|一个人住|一人居住|空巢|孤寡`), "identity", "独居"},
	{regexp.MustCompile(`低保家庭|低保户|享受低保|吃低保`), "economic", "低保"},
	{regexp.MustCompile(`低收入家庭|低收入困难|低保边缘`), "economic", "低收入"},
	{regexp.MustCompile(`([一二三四])级残疾|残疾([一二三四])级`), "disability", ""},
	{regexp.MustCompile(`外地户口|外地户籍|非本市户籍|非沪籍|外地人`), "hukou", "非本市户籍"},
	{regexp.MustCompile(`上海户口|本市户籍|沪籍`), "hukou", "本市户籍"},
	{regexp.MustCompile(`已经?退休|退休了|退休老人|退休人员|退休职工`), "employment", "退休"},
	{regexp.MustCompile(`怀孕|孕妇|产妇`), "identity", "孕产妇"},
	{regexp.MustCompile(`我是退役军人|退伍军人|退伍了|复员军人`), "identity", "退役军人"},
	{regexp.MustCompile(`瘫痪|卧床|失能|不能自理`), "identity", "失能或半失能"},
}

// Stated returns the situation a question states about the person — an
// age, living alone, a disability grade, the family's economic status… —
// as the wizard's parameters, with each fact in words, so that the page
// can offer the wizard filled in. Nothing is kept: it is read from the
// question as it is asked.
func (q *Question) Stated() (url.Values, []string) {
	v := url.Values{}
	var facts []string
	if q.Empty() {
		return v, nil
	}
	text := q.Text
	for _, m := range ageRE.FindAllStringSubmatch(text, -1) {
		if n, err := strconv.Atoi(m[1]); err == nil && n > 0 && n <= 130 {
			v.Set("age", m[1])
			facts = append(facts, "年龄 "+m[1]+" 岁")
			break
		}
	}
	for _, f := range statedFacts {
		m := f.re.FindStringSubmatch(text)
		if m == nil {
			continue
		}
		value := f.value
		if f.field == "disability" {
			value = strings.Join(m[1:], "") + "级"
		}
		field, _ := corpus.FieldByName(f.field)
		if field.Kind == corpus.KindSet {
			if !contains(v[f.field], value) {
				v.Add(f.field, value)
				facts = append(facts, value)
			}
			continue
		}
		if v.Get(f.field) == "" {
			v.Set(f.field, value)
			facts = append(facts, field.Label+"："+value)
		}
	}
	return v, facts
}

func contains(vals []string, v string) bool {
	for _, x := range vals {
		if x == v {
			return true
		}
	}
	return false
}
