package data

import (
	"bytes"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"log/slog"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"time"
)

// PINs of community concerns (S02-03-03 VI.A: a control number and a private
// PIN shown once to the person who filed the concern).
//
// A PIN has PINDigits decimal digits drawn uniformly with crypto/rand (about
// 26.6 bits). Such a short secret cannot be protected by a fast hash: it is
// stored as PBKDF2-HMAC-SHA256 with a random 16-byte salt and
// PINIterations rounds (about 90 ms on the 2-core reference machine), so
// that trying every PIN of one leaked hash costs on the order of a hundred
// CPU-days, while online guessing is stopped by the per-number rate limit.
// The encoding names the algorithm and the rounds, so the cost can be raised
// later without invalidating stored hashes:
//
//	pbkdf2-sha256$100000$<salt, base64url>$<32-byte key, base64url>
const (
	PINDigits     = 8
	PINIterations = 100_000

	pinScheme       = "pbkdf2-sha256"
	pinSaltLen      = 16
	pinKeyLen       = 32
	pinMinIter      = 1_000      // refuse hashes weaker than this
	pinMaxIter      = 10_000_000 // and ones so costly they would stall a lookup
	pinMaxHashBytes = 256
)

// NewPIN draws a new PIN and returns it with the hash to store. The PIN is
// shown once to the resident and never stored.
func NewPIN() (pin string, hash []byte, err error) {
	max := big.NewInt(1)
	for range PINDigits {
		max.Mul(max, big.NewInt(10))
	}
	n, err := rand.Int(rand.Reader, max)
	if err != nil {
		return "", nil, fmt.Errorf("data: draw PIN: %w", err)
	}
	pin = fmt.Sprintf("%0*d", PINDigits, n)
	hash, err = HashPIN(pin, PINIterations)
	if err != nil {
		return "", nil, err
	}
	return pin, hash, nil
}

// HashPIN hashes a PIN of PINDigits digits with the given PBKDF2 rounds.
// NewPIN uses PINIterations; fewer rounds (at least 1,000) are for tests and
// seeded demo data only, where a PIN check under -race would otherwise take
// about a second. CheckPIN reads the rounds from the hash.
func HashPIN(pin string, iterations int) ([]byte, error) {
	if len(pin) != PINDigits || strings.Trim(pin, "0123456789") != "" {
		return nil, Invalid("pin", "must be %d digits", PINDigits)
	}
	if iterations < pinMinIter || iterations > pinMaxIter {
		return nil, Invalid("iterations", "must be between %d and %d", pinMinIter, pinMaxIter)
	}
	salt := make([]byte, pinSaltLen)
	rand.Read(salt) // never fails (crypto/rand, Go 1.24+)
	key, err := pbkdf2.Key(sha256.New, pin, salt, iterations, pinKeyLen)
	if err != nil {
		return nil, fmt.Errorf("data: hash PIN: %w", err)
	}
	enc := base64.RawURLEncoding
	return fmt.Appendf(nil, "%s$%d$%s$%s", pinScheme, iterations, enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// CheckPIN reports whether pin matches a hash made by NewPIN. Surrounding
// space in pin is ignored. The comparison is constant-time, and a PIN of the
// wrong shape costs the same key derivation as a right one, so timing tells
// nothing about how close a guess was. A malformed hash never matches.
func CheckPIN(hash []byte, pin string) bool {
	iter, salt, want, ok := parsePINHash(hash)
	if !ok {
		return false
	}
	pin = strings.TrimSpace(pin)
	got, err := pbkdf2.Key(sha256.New, pin, salt, iter, len(want))
	if err != nil {
		return false
	}
	shapeOK := len(pin) == PINDigits && strings.Trim(pin, "0123456789") == ""
	return subtle.ConstantTimeCompare(got, want) == 1 && shapeOK
}

func parsePINHash(h []byte) (iter int, salt, key []byte, ok bool) {
	if len(h) > pinMaxHashBytes {
		return 0, nil, nil, false
	}
	parts := bytes.Split(h, []byte("$"))
	if len(parts) != 4 || string(parts[0]) != pinScheme {
		return 0, nil, nil, false
	}
	iter, err := strconv.Atoi(string(parts[1]))
	if err != nil || iter < pinMinIter || iter > pinMaxIter {
		return 0, nil, nil, false
	}
	enc := base64.RawURLEncoding
	salt, err1 := enc.DecodeString(string(parts[2]))
	key, err2 := enc.DecodeString(string(parts[3]))
	if err1 != nil || err2 != nil || len(salt) < 8 || len(key) < 16 {
		return 0, nil, nil, false
	}
	return iter, salt, key, true
}

// API keys.
//
// A key's secret is "g311_<id>_<random>": the public id ("k_" and 16 hex
// digits) so the server finds the key without scanning, and 26 characters of
// base32 from crypto/rand.Text (130 bits). Only SHA-256 of the whole secret is
// stored: the secret is high-entropy, so a slow KDF adds nothing but latency
// to every authenticated call.
const apiKeyPrefix = "g311_"

// NewAPIKey creates a key and returns it with its secret, which is shown once
// and never stored. Staff and supervisor keys may be scoped to districts
// (district ids as the jurisdiction writes them); intake and admin keys may
// not. The caller stores the key (KeyStore.CreateKey) and retries with a new
// key on ErrConflict.
func NewAPIKey(name string, role Role, districts []string, now time.Time) (*APIKey, string, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return nil, "", Invalid("name", "a key needs a name saying who uses it")
	}
	if len(name) > 100 || strings.ContainsFunc(name, func(r rune) bool { return r < ' ' || r == 0x7f }) {
		return nil, "", Invalid("name", "must be at most 100 characters without control characters")
	}
	if _, err := ParseRole(string(role)); err != nil {
		return nil, "", err
	}
	var ds []string
	for _, d := range districts {
		d = strings.TrimSpace(d)
		if d == "" || len(d) > 40 || strings.ContainsAny(d, " \t\r\n,") {
			return nil, "", Invalid("district", "%q is not a district id", clipInput(d))
		}
		if !slices.Contains(ds, d) {
			ds = append(ds, d)
		}
	}
	if len(ds) > 0 && role != RoleStaff && role != RoleSupervisor {
		return nil, "", Invalid("district", "only staff and supervisor keys are scoped to districts, not %s keys", role)
	}
	var idb [8]byte
	rand.Read(idb[:])
	id := "k_" + hex.EncodeToString(idb[:])
	secret := apiKeyPrefix + id + "_" + rand.Text()
	sum := sha256.Sum256([]byte(secret))
	k := &APIKey{
		ID:        id,
		Name:      name,
		Role:      role,
		Districts: ds,
		Hash:      sum[:],
		CreatedAt: now,
	}
	return k, secret, nil
}

// ParseAPIKeySecret returns the key id inside a secret made by NewAPIKey, so
// the server can look the key up before verifying it. Errors are
// ErrUnauthorized (the HTTP layer answers 401 without saying more).
func ParseAPIKeySecret(secret string) (id string, err error) {
	bad := Errorf(ErrUnauthorized, "the API key is not a geo311 key (g311_...)")
	rest, ok := strings.CutPrefix(secret, apiKeyPrefix)
	if !ok || len(secret) > 200 {
		return "", bad
	}
	i := strings.LastIndexByte(rest, '_')
	if i < 0 {
		return "", bad
	}
	id, random := rest[:i], rest[i+1:]
	if !validKeyID(id) || len(random) < 16 || strings.Trim(random, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") != "" {
		return "", bad
	}
	return id, nil
}

func validKeyID(id string) bool {
	hexPart, ok := strings.CutPrefix(id, "k_")
	if !ok || len(hexPart) < 8 || len(hexPart) > 32 {
		return false
	}
	return strings.Trim(hexPart, "0123456789abcdef") == ""
}

// Verify reports whether secret is this key's secret, in constant time. It
// does not look at revocation: check Active too.
func (k *APIKey) Verify(secret string) bool {
	if len(k.Hash) != sha256.Size {
		return false
	}
	id, err := ParseAPIKeySecret(secret)
	sum := sha256.Sum256([]byte(secret))
	return subtle.ConstantTimeCompare(sum[:], k.Hash) == 1 && err == nil && id == k.ID
}

// Allows reports whether the key's role includes role (Role.Includes).
func (k *APIKey) Allows(role Role) bool { return k.Role.Includes(role) }

// InDistrict reports whether the key may act on requests of a district. Keys
// without districts and admin keys are not scoped. District ids compare as
// written, except that all-digit ids compare as numbers ("012" is "12"), so
// a key made with --district 012 matches Chicago's 2-digit district "12".
func (k *APIKey) InDistrict(district string) bool {
	if k.Role == RoleAdmin || len(k.Districts) == 0 {
		return true
	}
	want := canonicalDistrict(district)
	if want == "" {
		return false
	}
	for _, d := range k.Districts {
		if canonicalDistrict(d) == want {
			return true
		}
	}
	return false
}

func canonicalDistrict(d string) string {
	d = strings.TrimSpace(d)
	if d != "" && strings.Trim(d, "0123456789") == "" {
		if t := strings.TrimLeft(d, "0"); t != "" {
			return t
		}
		return "0"
	}
	return d
}

// Active reports whether the key is usable at now: not revoked, or revoked
// only later than now.
func (k *APIKey) Active(now time.Time) bool {
	return k.RevokedAt.IsZero() || now.Before(k.RevokedAt)
}

// LogValue keeps the hash out of structured logs.
func (k *APIKey) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("id", k.ID),
		slog.String("name", k.Name),
		slog.String("role", string(k.Role)),
	)
}

// Includes reports whether role r has every right of other. Roles are
// ordered intake < staff < supervisor < admin: a staff key may do what an
// intake key does, an intake key nothing a staff key may. An unknown role
// includes nothing and is included in nothing.
func (r Role) Includes(other Role) bool {
	a, b := r.rank(), other.rank()
	return a > 0 && b > 0 && a >= b
}

func (r Role) rank() int {
	switch r {
	case RoleIntake:
		return 1
	case RoleStaff:
		return 2
	case RoleSupervisor:
		return 3
	case RoleAdmin:
		return 4
	}
	return 0
}
