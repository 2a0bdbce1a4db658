package search

import (
	"errors"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

func TestParseRequest(t *testing.T) {
	tests := []struct {
		query   string
		want    Request
		wantErr string
	}{
		{"", Request{Page: 1, Size: DefaultSize, Sort: SortRelevance}, ""},
		{"q=%20%20残疾人%E3%80%80补贴%20", Request{Query: "残疾人 补贴", Page: 1, Size: 10, Sort: SortRelevance}, ""},
		{"q=低保&category=社会救助&category=社会救助&category=住房保障&kind=政策类&online=true&page=2&size=20&sort=date",
			Request{Query: "低保", Filters: Filters{Category: []string{"社会救助", "住房保障"}, Kind: []string{"政策类"}, Online: true},
				Page: 2, Size: 20, Sort: SortDate}, ""},
		{"audience=老年人&agency=虹口区民政局&online=false",
			Request{Filters: Filters{Audience: []string{"老年人"}, Agency: []string{"虹口区民政局"}}, Page: 1, Size: 10, Sort: SortRelevance}, ""},
		{"category=养老", Request{}, `unknown category "养老"`},
		{"kind=policy", Request{}, `unknown kind "policy"`},
		{"audience=外星人", Request{}, `unknown audience`},
		{"size=0", Request{}, "size must be a whole number from 1 to 50"},
		{"size=51", Request{}, "size must be a whole number from 1 to 50"},
		{"size=abc", Request{}, "size must be"},
		{"page=0", Request{}, "page must be"},
		{"page=99999999999999999999", Request{}, "page must be"},
		{"online=yes", Request{}, "online must be true or false"},
		{"sort=random", Request{}, "sort must be"},
		{"q=a&q=b", Request{}, "q is given 2 times"},
		{"q=" + strings.Repeat("补", MaxQueryRunes+1), Request{}, "at most 200"},
		{"q=%ff%fe", Request{}, "not valid UTF-8"},
	}
	for _, tt := range tests {
		v, err := url.ParseQuery(tt.query)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ParseRequest(v)
		if tt.wantErr != "" {
			if !errors.Is(err, ErrBadRequest) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseRequest(%s) error = %v, want %q", tt.query, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseRequest(%s) error = %v", tt.query, err)
			continue
		}
		if !got.Situation.Empty() {
			t.Errorf("ParseRequest(%s) found a situation: %v", tt.query, got.Situation.Query())
		}
		got.Situation = tt.want.Situation
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseRequest(%s) = %+v, want %+v", tt.query, got, tt.want)
		}
	}
}

func FuzzParseRequest(f *testing.F) {
	for _, s := range []string{"q=残疾人补贴&category=助残服务", "q=%22a%22*?:&size=5", "page=2&size=50&sort=date", "online=1&online=0", "q=\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		r, err := ParseRequest(v)
		if err != nil {
			if !errors.Is(err, ErrBadRequest) {
				t.Fatalf("error %v is not a bad request", err)
			}
			return
		}
		if r.Page < 1 || r.Page > MaxPage || r.Size < 1 || r.Size > MaxSize {
			t.Fatalf("out of range page/size: %+v", r)
		}
		if len([]rune(r.Query)) > MaxQueryRunes {
			t.Fatalf("query too long: %d", len([]rune(r.Query)))
		}
	})
}
