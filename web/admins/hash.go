package admins

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Params are argon2id's cost parameters.
type Params struct {
	// Memory in KiB, Time in passes, Threads in lanes.
	Memory  uint32
	Time    uint32
	Threads uint8
}

// DefaultParams are OWASP's recommended minimum for argon2id: 19 MiB, two
// passes, one lane — some 20–50 ms on a server, and 19 MiB per check.
var DefaultParams = Params{Memory: 19 * 1024, Time: 2, Threads: 1}

// Bounds a hash's parameters must keep, so an admins file cannot make a
// check take unbounded memory or time.
const (
	maxMemory  = 1 << 20 // 1 GiB
	maxTime    = 16
	maxThreads = 16
	saltBytes  = 16
	keyBytes   = 32
)

// HashToken returns the argon2id hash of a token in the PHC string format
// ($argon2id$v=19$m=…,t=…,p=…$salt$hash) with a random salt.
func HashToken(token string) (string, error) { return HashTokenWith(token, DefaultParams) }

// HashTokenWith is HashToken with chosen parameters (tests use cheap ones).
func HashTokenWith(token string, p Params) (string, error) {
	if len(token) < MinToken {
		return "", fmt.Errorf("the token has %d characters; it needs at least %d", len(token), MinToken)
	}
	h := &phc{Params: p, salt: make([]byte, saltBytes)}
	if err := h.Params.valid(); err != nil {
		return "", err
	}
	rand.Read(h.salt)
	h.key = argon2.IDKey([]byte(token), h.salt, p.Time, p.Memory, p.Threads, keyBytes)
	return h.String(), nil
}

// NewToken returns a random token: 32 bytes, hex-encoded.
func NewToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// phc is a parsed argon2id hash.
type phc struct {
	Params
	salt, key []byte
}

func (p Params) valid() error {
	switch {
	case p.Time < 1 || p.Time > maxTime:
		return fmt.Errorf("t=%d must be 1 to %d", p.Time, maxTime)
	case p.Threads < 1 || p.Threads > maxThreads:
		return fmt.Errorf("p=%d must be 1 to %d", p.Threads, maxThreads)
	case p.Memory < 8*uint32(p.Threads) || p.Memory > maxMemory:
		return fmt.Errorf("m=%d must be %d to %d KiB", p.Memory, 8*uint32(p.Threads), maxMemory)
	}
	return nil
}

var b64 = base64.RawStdEncoding

func (h *phc) String() string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, h.Memory, h.Time, h.Threads, b64.EncodeToString(h.salt), b64.EncodeToString(h.key))
}

// parsePHC reads an argon2id hash in the PHC string format.
func parsePHC(s string) (*phc, error) {
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return nil, errors.New("not an argon2id hash of the form $argon2id$v=19$m=…,t=…,p=…$salt$hash (make one with: yicha admin hash-token)")
	}
	var v int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return nil, fmt.Errorf("version %q is not v=%d", parts[2], argon2.Version)
	}
	h := &phc{}
	var threads uint32
	if n, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &h.Memory, &h.Time, &threads); err != nil || n != 3 || threads > maxThreads {
		return nil, fmt.Errorf("parameters %q are not m=…,t=…,p=…", parts[3])
	}
	h.Threads = uint8(threads)
	if err := h.Params.valid(); err != nil {
		return nil, err
	}
	var err error
	if h.salt, err = b64.DecodeString(parts[4]); err != nil || len(h.salt) < 8 {
		return nil, errors.New("the salt is not base64 of at least 8 bytes")
	}
	if h.key, err = b64.DecodeString(parts[5]); err != nil || len(h.key) < 16 || len(h.key) > 64 {
		return nil, errors.New("the hash is not base64 of 16 to 64 bytes")
	}
	return h, nil
}

// matches reports whether token hashes to h, in constant time.
func (h *phc) matches(token string) bool {
	key := argon2.IDKey([]byte(token), h.salt, h.Time, h.Memory, h.Threads, uint32(len(h.key)))
	return subtle.ConstantTimeCompare(key, h.key) == 1
}
