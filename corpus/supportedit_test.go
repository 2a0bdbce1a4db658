package corpus

import (
	"bytes"
	"maps"
	"os"
	"reflect"
	"testing"
)

// TestSetPlace: setting one place of the places file keeps every other
// place as it was read and the file's opening comments; a new place is
// added; a bad id is refused.
func TestSetPlace(t *testing.T) {
	data, err := os.ReadFile(PlacesFile)
	if err != nil {
		t.Fatal(err)
	}
	before, probs := ParsePlaces(PlacesFile, data)
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	changed := before["quyanglu-center"]
	changed.Phone = "021-11111111"
	out, err := SetPlace(data, "quyanglu-center", changed)
	if err != nil {
		t.Fatal(err)
	}
	out, err = SetPlace(out, "test-new", Location{Name: "测试地点", Address: Unknown, Hours: Unknown, Phone: Unknown})
	if err != nil {
		t.Fatal(err)
	}
	after, probs := ParsePlaces(PlacesFile, out)
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	want := maps.Clone(before)
	want["quyanglu-center"] = changed
	want["test-new"] = Location{ID: "test-new", Name: "测试地点", Address: Unknown, Hours: Unknown, Phone: Unknown}
	if !reflect.DeepEqual(after, want) {
		t.Errorf("%d places after, want %d; quyanglu-center %+v", len(after), len(want), after["quyanglu-center"])
	}
	if !bytes.HasPrefix(out, data[:bytes.IndexByte(data, '\n')+1]) {
		t.Errorf("the opening comment is lost:\n%s", out[:200])
	}
	if _, err := SetPlace(data, "Bad ID", changed); err == nil {
		t.Error("a bad place id was taken")
	}
}

// TestEncodeSite: a site's file written by EncodeSite reads back as the
// same site, with the comments that opened the file it replaces.
func TestEncodeSite(t *testing.T) {
	name := SiteFilePath("quyanglu")
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	site, probs := ParseSite(name, "quyanglu", data)
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	site.Intro, site.Hotline = "改过的简介", &Hotline{Name: "测试热线", Phone: "021-00000000"}
	out, err := EncodeSite(site, data)
	if err != nil {
		t.Fatal(err)
	}
	back, probs := ParseSite(name, "quyanglu", out)
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	if !reflect.DeepEqual(back, site) || !bytes.HasPrefix(out, []byte("# A street of 虹口区")) {
		t.Errorf("read back %+v, want %+v\n%s", back, site, out)
	}
}
