package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"yicha/corpus"
	"yicha/corpus/corpustest"
	"yicha/corpus/entrystore"
	"yicha/web/admins"
)

func TestAdminHashToken(t *testing.T) {
	code, stdout, stderr := runCLI(t, "admin", "hash-token", "--generate")
	if code != 0 {
		t.Fatalf("hash-token --generate: %d %s", code, stderr)
	}
	var token, hash string
	if _, err := fmt.Sscanf(stdout, "token: %s\ntoken_hash: %s\n", &token, &hash); err != nil || len(token) != 64 {
		t.Fatalf("output %q: %v", stdout, err)
	}
	set, err := admins.Parse([]byte(fmt.Sprintf("admins: [{name: 王芳, role: editor, token_hash: '%s'}]", hash)))
	if err != nil {
		t.Fatal(err)
	}
	if a, err := set.Verify(context.Background(), token); err != nil || a.Name != "王芳" {
		t.Errorf("the generated hash does not verify its token: %+v %v", a, err)
	}
	// A token given on standard input.
	var out, errb bytes.Buffer
	env := &cli{stdin: strings.NewReader(token + "\n"), stdout: &out, stderr: &errb, now: corpustest.Pinned(t).Now}
	if code := run(context.Background(), env, []string{"admin", "hash-token"}); code != 0 || !strings.HasPrefix(out.String(), "token_hash: $argon2id$") || strings.Contains(out.String(), token) {
		t.Errorf("hash-token from stdin: %d %q %q", code, out.String(), errb.String())
	}
	env = &cli{stdin: strings.NewReader("short\n"), stdout: &out, stderr: &errb, now: corpustest.Pinned(t).Now}
	if code := run(context.Background(), env, []string{"admin", "hash-token"}); code != 1 {
		t.Errorf("a short token was hashed: %d", code)
	}
}

// TestCorpusExportRoundTrip seeds a file entry store from the embedded
// corpus, publishes an edit through it, exports it, and has `yicha check`
// accept the export; read back, it is the store's corpus.
func TestCorpusExportRoundTrip(t *testing.T) {
	ctx := context.Background()
	data := t.TempDir()
	store, err := entrystore.OpenFiles(filepath.Join(data, entriesDir))
	if err != nil {
		t.Fatal(err)
	}
	env := &cli{now: corpustest.Pinned(t).Now}
	if err := seedStore(ctx, env, store, corpus.Embedded()); err != nil {
		t.Fatal(err)
	}
	// An edit made through the API is stored as canonical YAML.
	e, _ := store.Get(ctx, "dibao")
	js, err := entrystore.ToJSON(e.Current().Body)
	if err != nil {
		t.Fatal(err)
	}
	body, probs := entrystore.BodyFromJSON("dibao", bytes.Replace(js, []byte(`"最低生活保障"`), []byte(`"最低生活保障（低保）"`), 1))
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	by := entrystore.Change{Author: "李强", At: env.now()}
	if _, err := store.SaveDraft(ctx, "dibao", body, entrystore.Expect{Version: 1}, by); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Publish(ctx, "dibao", entrystore.Expect{Version: 1, Draft: 1}, by, nil); err != nil {
		t.Fatal(err)
	}
	want, _ := store.Snapshot(ctx)
	wantCorpus, err := want.Corpus(ctx)
	if err != nil {
		t.Fatal(err)
	}

	out := filepath.Join(t.TempDir(), "corpus")
	if code, stdout, stderr := runCLI(t, "corpus", "export", "--data", data, "--out", out); code != 0 || !strings.Contains(stdout, "exported 155 entries") {
		t.Fatalf("export: %d %q %q", code, stdout, stderr)
	}
	if code, stdout, stderr := runCLIAt(t, checkMoment(t), "check", "--corpus", out); code != 0 {
		t.Fatalf("check of the export: %d %q %q", code, stdout, stderr)
	}
	back, err := corpus.Dir(out).Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if back.Fingerprint != wantCorpus.Fingerprint {
		t.Errorf("the export reads back as %s, the store's corpus is %s", back.Fingerprint, wantCorpus.Fingerprint)
	}
	if p, _ := back.Get("dibao"); p == nil || p.Title != "最低生活保障（低保）" {
		t.Errorf("the published edit is not in the export: %+v", p)
	}
	if code, _, stderr := runCLI(t, "corpus", "export", "--data", data, "--out", out); code != 1 || !strings.Contains(stderr, "already holds a corpus") {
		t.Errorf("a second export over the first: %d %q", code, stderr)
	}
}

// TestEntryStoreOnlyWithNamedAdmins starts `yicha serve` twice on fresh
// data directories: without --admins it serves the embedded corpus and
// keeps no entry store, so a new release's entries are served at once;
// with --admins (given by its environment variable) it seeds the store
// under --data and serves from it.
func TestEntryStoreOnlyWithNamedAdmins(t *testing.T) {
	bin := buildBinary(t)
	plain := t.TempDir()
	c := startServe(t, bin, plain, "")
	var st status
	if code := c.getJSON(t, "/api/admin/status", &st); code != 200 || st.Docs != 155 {
		t.Fatalf("without --admins: status %d, %d entries", code, st.Docs)
	}
	if _, err := os.Stat(filepath.Join(plain, entriesDir)); !os.IsNotExist(err) {
		t.Errorf("without --admins an entry store was made: %v", err)
	}
	c.cmd.Process.Kill()
	c.cmd.Wait()

	hash, err := admins.HashTokenWith("named-admin-token-of-thirty-two-chars", admins.Params{Memory: 64, Time: 1, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "admins.yaml")
	if err := os.WriteFile(file, []byte(fmt.Sprintf("admins: [{name: 李强, role: publisher, token_hash: '%s'}]\n", hash)), 0o600); err != nil {
		t.Fatal(err)
	}
	named := t.TempDir()
	c = startServe(t, bin, named, "", "YICHA_ADMINS="+file)
	if code := c.getJSON(t, "/api/admin/status", &st); code != 200 || st.Docs != 155 {
		t.Fatalf("with --admins: status %d, %d entries", code, st.Docs)
	}
	if fi, err := os.Stat(filepath.Join(named, entriesDir)); err != nil || !fi.IsDir() {
		t.Errorf("with --admins no entry store under --data: %v", err)
	}
}
