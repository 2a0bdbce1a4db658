package admins

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
)

// cheap keeps the tests fast; real hashes use DefaultParams.
var cheap = Params{Memory: 64, Time: 1, Threads: 1}

func hashOf(t *testing.T, token string) string {
	t.Helper()
	h, err := HashTokenWith(token, cheap)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestVerifyResolvesTheAdmin(t *testing.T) {
	editorToken, publisherToken := NewToken(), NewToken()
	file := fmt.Sprintf("admins:\n  - {name: 王芳, role: editor, token_hash: %q}\n  - {name: 李强, role: publisher, token_hash: %q}\n",
		hashOf(t, editorToken), hashOf(t, publisherToken))
	s, err := Parse([]byte(file))
	if err != nil {
		t.Fatal(err)
	}
	legacy := strings.Repeat("x", MinToken)
	if err := s.AddLegacyToken(legacy); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, c := range []struct {
		token string
		want  Admin
	}{
		{editorToken, Admin{Name: "王芳", Role: Editor}},
		{publisherToken, Admin{Name: "李强", Role: Publisher}},
		{legacy, Admin{Name: LegacyName, Role: Publisher}},
		{editorToken, Admin{Name: "王芳", Role: Editor}}, // remembered
	} {
		got, err := s.Verify(ctx, c.token)
		if err != nil || got != c.want {
			t.Errorf("Verify = %+v, %v; want %+v", got, err, c.want)
		}
	}
	for _, bad := range []string{"", NewToken(), editorToken + "x", strings.Repeat("y", 2000)} {
		if a, err := s.Verify(ctx, bad); err == nil {
			t.Errorf("Verify(%.10q…) = %+v, want an error", bad, a)
		}
	}
	if !(Admin{Role: Publisher}).CanPublish() || (Admin{Role: Editor}).CanPublish() {
		t.Error("CanPublish")
	}
	if a, ok := s.Lookup("王芳"); !ok || a.Role != Editor {
		t.Errorf("Lookup = %+v %v", a, ok)
	}
}

func TestVerifyConcurrently(t *testing.T) {
	token := NewToken()
	s, err := Parse([]byte(fmt.Sprintf("admins: [{name: a, role: editor, token_hash: %q}]", hashOf(t, token))))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tok := token
			if i%2 == 1 {
				tok = NewToken()
			}
			a, err := s.Verify(context.Background(), tok)
			if (i%2 == 0) != (err == nil) || (err == nil && a.Name != "a") {
				t.Errorf("Verify %d = %+v, %v", i, a, err)
			}
		}()
	}
	wg.Wait()
}

func TestParseRefuses(t *testing.T) {
	good := hashOf(t, NewToken())
	for _, c := range []struct{ file, want string }{
		{"admins: []", "no admins"},
		{"admins: [{name: a, role: boss, token_hash: '" + good + "'}]", "role"},
		{"admins: [{name: '', role: editor, token_hash: '" + good + "'}]", "name"},
		{"admins: [{name: a, role: editor, token_hash: 'plain-token'}]", "argon2id"},
		{"admins: [{name: a, role: editor, token_hash: '$argon2id$v=19$m=99999999,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA'}]", "m="},
		{"admins: [{name: a, role: editor, token_hash: '" + good + "'}, {name: a, role: publisher, token_hash: '" + good + "'}]", "twice"},
		{"admins: [{name: a, role: editor, token_hash: '" + good + "', password: x}]", "password"},
	} {
		if _, err := Parse([]byte(c.file)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Parse(%s) = %v, want an error about %q", c.file, err, c.want)
		}
	}
	if _, err := HashToken("short"); err == nil {
		t.Error("a short token was hashed")
	}
	s := New()
	if err := s.AddLegacyToken("short"); err == nil {
		t.Error("a short legacy token was accepted")
	}
}

func TestDefaultHashVerifies(t *testing.T) {
	token := NewToken()
	h, err := HashToken(token)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("hash = %s", h)
	}
	p, err := parsePHC(h)
	if err != nil || !p.matches(token) || p.matches(token+"1") {
		t.Errorf("parse %v", err)
	}
}
