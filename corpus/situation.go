package corpus

import "slices"

// FieldKind says how a situation field holds its value.
type FieldKind string

// The kinds of situation field.
const (
	// KindNumber is a whole number, such as an age in years.
	KindNumber FieldKind = "number"
	// KindChoice is one value out of the field's options.
	KindChoice FieldKind = "choice"
	// KindSet is any number of values out of the field's options.
	KindSet FieldKind = "set"
)

// Field is one fact about a resident's situation. Fields are declared once,
// in Fields, and shared by corpus validation, the matcher, the API and the
// pages. None of them identifies a person.
type Field struct {
	Name    string    `json:"name"`
	Label   string    `json:"label"`
	Kind    FieldKind `json:"kind"`
	Unit    string    `json:"unit,omitempty"`
	Min     int       `json:"min,omitempty"`
	Max     int       `json:"max,omitempty"`
	Options []string  `json:"options,omitempty"`
	Help    string    `json:"help,omitempty"`
	// NoneWith names a field and its value that mean this field has no
	// value at all: no disability, so no disability type.
	NoneWith *FieldValue `json:"none_with,omitempty"`
}

// FieldValue is a value of a named field.
type FieldValue struct {
	Field string `json:"field"`
	Value string `json:"value"`
}

// Residence options: Hongkou's subdistricts, and everywhere else.
var Subdistricts = []string{
	"欧阳路街道", "曲阳路街道", "广中路街道", "嘉兴路街道",
	"凉城新村街道", "四川北路街道", "北外滩街道", "江湾镇街道",
}

// Fields lists every situation field in the order a form shows them.
var Fields = []Field{
	{Name: "age", Label: "年龄", Kind: KindNumber, Unit: "岁", Min: 0, Max: 130},
	{Name: "hukou", Label: "户籍", Kind: KindChoice, Options: []string{"本市户籍", "非本市户籍"}},
	{Name: "residence", Label: "居住地", Kind: KindChoice,
		Options: append(slices.Clone(Subdistricts), "本市其他区", "外省市")},
	{Name: "disability", Label: "残疾情况", Kind: KindChoice,
		Options: []string{"无", "一级", "二级", "三级", "四级"},
		Help:    "持有残疾人证的，按证上的等级选择"},
	{Name: "disability_type", Label: "残疾类别", Kind: KindChoice,
		Options:  []string{"视力残疾", "听力残疾", "言语残疾", "肢体残疾", "智力残疾", "精神残疾", "多重残疾"},
		NoneWith: &FieldValue{Field: "disability", Value: "无"}},
	{Name: "economic", Label: "家庭经济状况", Kind: KindChoice,
		Options: []string{"低保", "低收入", "特困供养", "无"},
		Help:    "已被认定的低保、低收入或特困供养家庭"},
	{Name: "income", Label: "家庭人均月收入", Kind: KindChoice,
		Options: []string{"低于低保标准", "低于低保标准2倍", "高于低保标准2倍"},
		Help:    "本市低保标准见「最低生活保障」；不清楚可以不填"},
	{Name: "employment", Label: "就业状况", Kind: KindChoice,
		Options: []string{"在职", "登记失业", "灵活就业", "退休", "在校学生", "无业"}},
	{Name: "identity", Label: "特殊身份", Kind: KindSet,
		Options: []string{
			"退役军人", "优抚对象", "孕产妇", "有0-3岁婴幼儿", "有3-6岁儿童", "独生子女父母",
			"失能或半失能", "独居", "困境儿童", "残疾人家庭成员", "高校毕业生", "创业者",
		}},
}

// FieldByName returns the declared field with that name.
func FieldByName(name string) (Field, bool) {
	for _, f := range Fields {
		if f.Name == name {
			return f, true
		}
	}
	return Field{}, false
}

// HasOption reports whether v is one of the field's options.
func (f Field) HasOption(v string) bool {
	return slices.Contains(f.Options, v)
}
