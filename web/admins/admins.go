// Package admins reads the site's named admins — each a name, a role and
// the hash of a bearer token — and tells who presents a token. Tokens are
// kept only as argon2id hashes (RFC 9106) in the PHC string format, so a
// copy of the admins file lets no one in.
package admins

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// Role says what an admin may do.
type Role string

// Roles: an editor edits drafts and asks for review; a publisher also
// publishes, rolls back and retires entries.
const (
	Editor    Role = "editor"
	Publisher Role = "publisher"
)

// LegacyName is the name the single admin token (--admin-token-file,
// $YICHA_ADMIN_TOKEN) signs in as: a publisher.
const LegacyName = "admin"

// MinToken is the shortest token accepted: 32 characters, e.g. from
// `openssl rand -hex 32` or `yicha admin hash-token --generate`.
const MinToken = 32

// MaxName bounds an admin's name, in characters.
const MaxName = 40

// Admin is one named admin.
type Admin struct {
	Name string `json:"name"`
	Role Role   `json:"role"`
	// Site, when set, is the site (a district or a street of the corpus)
	// whose entries the admin keeps: a street's admins change that
	// street's entries only; a district's keep the whole base.
	Site string `json:"site,omitempty"`
}

// CanPublish reports whether the admin may publish, roll back and retire.
func (a Admin) CanPublish() bool { return a.Role == Publisher }

// ErrUnknown means no admin holds the token (or the name).
var ErrUnknown = errors.New("no admin has this token")

// Set is the site's admins. Verify is safe for concurrent use.
type Set struct {
	admins []member
	byName map[string]int

	// verified remembers, by the SHA-256 of a token, which admin a token
	// was found to belong to, so that an API client's every request does
	// not cost an argon2id hash per admin; at most cacheSize tokens.
	mu       sync.Mutex
	verified map[[32]byte]int
	// slots bounds the argon2id verifications run at once (each takes its
	// hash's memory), so unknown tokens cannot exhaust memory.
	slots chan struct{}
}

type member struct {
	Admin
	hash  *phc   // argon2id hash of the token, from the admins file
	plain []byte // SHA-256 of the legacy token, which has no hash
}

const cacheSize = 256

// File is the shape of an admins file.
type File struct {
	Admins []FileAdmin `yaml:"admins"`
}

// FileAdmin is one admin of the file.
type FileAdmin struct {
	Name      string `yaml:"name"`
	Role      Role   `yaml:"role"`
	TokenHash string `yaml:"token_hash"`
	// Site limits the admin to one site's entries (see Admin.Site).
	Site string `yaml:"site,omitempty"`
}

// Load reads an admins file (see Parse).
func Load(path string) (*Set, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("admins: %w", err)
	}
	s, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("admins file %s: %w", path, err)
	}
	return s, nil
}

// Parse reads an admins file:
//
//	admins:
//	  - name: 王芳
//	    role: editor          # or publisher
//	    token_hash: $argon2id$v=19$m=19456,t=2,p=1$…$…
//
// Names are unique, at most MaxName characters, without control
// characters; every admin needs a valid argon2id hash.
func Parse(data []byte) (*Set, error) {
	var f File
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%v", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	s := New()
	for i, a := range f.Admins {
		h, err := parsePHC(a.TokenHash)
		if err != nil {
			return nil, fmt.Errorf("admin %d (%s): token_hash: %v", i+1, a.Name, err)
		}
		if a.Site != "" && !siteRE.MatchString(a.Site) {
			return nil, fmt.Errorf("admin %d (%s): site %q is not a site id (lower-case letters, digits and '-')", i+1, a.Name, a.Site)
		}
		if err := s.add(member{Admin: Admin{Name: a.Name, Role: a.Role, Site: a.Site}, hash: h}); err != nil {
			return nil, fmt.Errorf("admin %d: %v", i+1, err)
		}
	}
	if len(s.admins) == 0 {
		return nil, errors.New("no admins listed (admins: [{name, role, token_hash}])")
	}
	return s, nil
}

// New returns an empty set.
// siteRE is the form of a site id.
var siteRE = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// Sites returns the sites the admins are limited to, each once.
func (s *Set) Sites() []string {
	var out []string
	for _, m := range s.admins {
		if m.Site != "" && !slices.Contains(out, m.Site) {
			out = append(out, m.Site)
		}
	}
	return out
}

func New() *Set {
	return &Set{byName: map[string]int{}, verified: map[[32]byte]int{}, slots: make(chan struct{}, 2)}
}

// AddLegacyToken adds the single admin token as the publisher LegacyName.
// The token is compared by its SHA-256 in constant time, as before.
func (s *Set) AddLegacyToken(token string) error {
	if len(token) < MinToken {
		return fmt.Errorf("the admin token has %d characters; it needs at least %d (make one with: openssl rand -hex 32)", len(token), MinToken)
	}
	sum := sha256.Sum256([]byte(token))
	return s.add(member{Admin: Admin{Name: LegacyName, Role: Publisher}, plain: sum[:]})
}

// ValidName reports why a name cannot name an admin.
func ValidName(name string) error {
	switch n := utf8.RuneCountInString(name); {
	case strings.TrimSpace(name) != name || n == 0:
		return errors.New("a name must be given, without leading or trailing spaces")
	case n > MaxName:
		return fmt.Errorf("name %q is longer than %d characters", name, MaxName)
	case !utf8.ValidString(name) || strings.ContainsFunc(name, func(r rune) bool { return unicode.IsControl(r) || r == ',' }):
		return fmt.Errorf("name %q holds a control character or a comma", name)
	}
	return nil
}

func (s *Set) add(m member) error {
	if err := ValidName(m.Name); err != nil {
		return err
	}
	if m.Role != Editor && m.Role != Publisher {
		return fmt.Errorf("admin %s: role %q must be %s or %s", m.Name, m.Role, Editor, Publisher)
	}
	if _, dup := s.byName[m.Name]; dup {
		return fmt.Errorf("admin %q is listed twice (the single admin token signs in as %q)", m.Name, LegacyName)
	}
	s.byName[m.Name] = len(s.admins)
	s.admins = append(s.admins, m)
	return nil
}

// Len returns how many admins there are (none in a nil set).
func (s *Set) Len() int {
	if s == nil {
		return 0
	}
	return len(s.admins)
}

// Names returns the admins in the order they were listed.
func (s *Set) Names() []Admin {
	out := make([]Admin, len(s.admins))
	for i, m := range s.admins {
		out[i] = m.Admin
	}
	return out
}

// Lookup returns the admin of that name, with the role the set gives it
// now (a session carries the name only, so a changed role applies at once).
func (s *Set) Lookup(name string) (Admin, bool) {
	i, ok := s.byName[name]
	if !ok {
		return Admin{}, false
	}
	return s.admins[i].Admin, true
}

// Verify returns the admin whose token this is. An unknown token costs one
// argon2id hash per admin, at most two at a time; a known one is
// remembered by its SHA-256. It gives up when ctx ends.
func (s *Set) Verify(ctx context.Context, token string) (Admin, error) {
	if token == "" || len(token) > 1024 {
		return Admin{}, ErrUnknown
	}
	sum := sha256.Sum256([]byte(token))
	s.mu.Lock()
	i, ok := s.verified[sum]
	s.mu.Unlock()
	if ok {
		return s.admins[i].Admin, nil
	}
	// The legacy token first: it costs nothing.
	for i, m := range s.admins {
		if m.plain != nil && subtle.ConstantTimeCompare(m.plain, sum[:]) == 1 {
			return s.remember(sum, i), nil
		}
	}
	select {
	case s.slots <- struct{}{}:
	case <-ctx.Done():
		return Admin{}, ctx.Err()
	}
	defer func() { <-s.slots }()
	for i, m := range s.admins {
		if m.hash != nil && m.hash.matches(token) {
			return s.remember(sum, i), nil
		}
	}
	return Admin{}, ErrUnknown
}

func (s *Set) remember(sum [32]byte, i int) Admin {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.verified) >= cacheSize {
		clear(s.verified)
	}
	s.verified[sum] = i
	return s.admins[i].Admin
}
