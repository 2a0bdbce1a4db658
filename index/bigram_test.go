package index

import "testing"

func TestBigramTokenizer(t *testing.T) {
	tk, err := NewBigramTokenizer()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		in   string
		want []tok
	}{
		{"殘疾人補貼", []tok{{"残疾", 0, 6, 1}, {"疾人", 3, 9, 2}, {"人补", 6, 12, 3}, {"补贴", 9, 15, 4}}},
		{"低保，ＡＢ12元", []tok{{"低保", 0, 6, 1}, {"ab12", 9, 17, 2}, {"元", 17, 20, 3}}},
		{"我 要", []tok{{"我", 0, 3, 1}, {"要", 4, 7, 2}}},
		{"。！", nil},
	}
	for _, tt := range tests {
		var got []tok
		for _, x := range tk.Tokenize([]byte(tt.in)) {
			got = append(got, tok{string(x.Term), x.Start, x.End, x.Position})
		}
		if len(got) != len(tt.want) {
			t.Errorf("Tokenize(%q) = %v, want %v", tt.in, got, tt.want)
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("Tokenize(%q)[%d] = %v, want %v", tt.in, i, got[i], tt.want[i])
			}
		}
	}
}
