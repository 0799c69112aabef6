package data_test

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/geo311/geo311/data"
)

func TestNewPIN(t *testing.T) {
	// S02-03-03 VI.A: a private PIN shown once; only its hash is stored.
	// One round trip at the real cost; TestCheckPIN covers the cases with a
	// cheaper hash (PBKDF2 takes about a second under -race).
	pin1, hash1, err := data.NewPIN()
	if err != nil {
		t.Fatal(err)
	}
	if len(pin1) != data.PINDigits || strings.Trim(pin1, "0123456789") != "" {
		t.Errorf("PIN %q is not %d digits", pin1, data.PINDigits)
	}
	if bytes.Contains(hash1, []byte(pin1)) {
		t.Errorf("hash %q contains the PIN %q", hash1, pin1)
	}
	if !strings.HasPrefix(string(hash1), fmt.Sprintf("pbkdf2-sha256$%d$", data.PINIterations)) {
		t.Errorf("hash %q does not name its scheme and rounds", hash1)
	}
	if !data.CheckPIN(hash1, pin1) {
		t.Errorf("CheckPIN(hash, its PIN) = false")
	}
	if data.CheckPIN(hash1, otherPIN(pin1)) {
		t.Errorf("CheckPIN(hash, another PIN) = true")
	}
}

func TestCheckPIN(t *testing.T) {
	const pin = "04711230"
	hash, err := data.HashPIN(pin, 1000)
	if err != nil {
		t.Fatal(err)
	}
	again, err := data.HashPIN(pin, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(hash, again) {
		t.Errorf("the same PIN hashed twice gives the same hash %q: no salt", hash)
	}
	tests := []struct {
		name string
		hash []byte
		pin  string
		want bool
	}{
		{"right PIN", hash, pin, true},
		{"right PIN with spaces", hash, " " + pin + "\n", true},
		{"other PIN", hash, otherPIN(pin), false},
		{"empty PIN", hash, "", false},
		{"PIN with a digit dropped", hash, pin[1:], false},
		{"PIN with a digit added", hash, pin + "0", false},
		{"PIN as a number without leading zero", hash, "4711230", false},
		{"nil hash", nil, pin, false},
		{"empty hash", []byte{}, pin, false},
		{"plain PIN stored as hash", []byte(pin), pin, false},
		{"unknown scheme", bytes.Replace(hash, []byte("pbkdf2-sha256"), []byte("pbkdf2-sha1"), 1), pin, false},
		{"rounds lowered below the floor", bytes.Replace(hash, []byte("$1000$"), []byte("$999$"), 1), pin, false},
		{"rounds changed", bytes.Replace(hash, []byte("$1000$"), []byte("$1001$"), 1), pin, false},
		{"key truncated", hash[:len(hash)-10], pin, false},
		{"extra field", append(append([]byte{}, hash...), "$x"...), pin, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := data.CheckPIN(tt.hash, tt.pin); got != tt.want {
				t.Errorf("CheckPIN(%q, %q) = %v, want %v", tt.hash, tt.pin, got, tt.want)
			}
		})
	}
}

// otherPIN changes the last digit.
func otherPIN(pin string) string {
	last := pin[len(pin)-1]
	return pin[:len(pin)-1] + string('0'+(last-'0'+1)%10)
}

func TestNewAPIKey(t *testing.T) {
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	k, secret, err := data.NewAPIKey(" 12th district sergeants ", data.RoleStaff, []string{"012", "012", " 011"}, now)
	if err != nil {
		t.Fatal(err)
	}
	if k.Name != "12th district sergeants" || k.Role != data.RoleStaff || !k.CreatedAt.Equal(now) || !k.RevokedAt.IsZero() {
		t.Errorf("key = %+v", k)
	}
	if fmt.Sprint(k.Districts) != "[012 011]" {
		t.Errorf("districts = %q, want trimmed and deduplicated [012 011]", k.Districts)
	}
	if !strings.HasPrefix(secret, "g311_"+k.ID+"_") {
		t.Errorf("secret %q does not start with g311_<id>_", secret)
	}
	if sum := sha256.Sum256([]byte(secret)); !bytes.Equal(k.Hash, sum[:]) {
		t.Errorf("stored hash is not SHA-256 of the secret")
	}
	if strings.Contains(string(k.Hash), secret) {
		t.Errorf("hash holds the secret")
	}
	id, err := data.ParseAPIKeySecret(secret)
	if err != nil || id != k.ID {
		t.Errorf("ParseAPIKeySecret(%q) = %q, %v; want %q", secret, id, err, k.ID)
	}
	if !k.Verify(secret) {
		t.Errorf("Verify(own secret) = false")
	}

	k2, secret2, err := data.NewAPIKey("311 call centre", data.RoleIntake, nil, now)
	if err != nil {
		t.Fatal(err)
	}
	if k2.ID == k.ID || secret2 == secret {
		t.Errorf("two keys share id or secret: %q %q", k.ID, secret)
	}
	// A secret with the right id but a changed random part, another key's
	// secret, and mangled forms all fail.
	tampered := secret[:len(secret)-1] + map[bool]string{true: "B", false: "A"}[strings.HasSuffix(secret, "A")]
	for _, s := range []string{secret2, tampered, "", secret + "A", strings.ToLower(secret), " " + secret} {
		if k.Verify(s) {
			t.Errorf("Verify(%q) = true for key %s", s, k.ID)
		}
	}
	noHash := *k
	noHash.Hash = nil
	if noHash.Verify(secret) {
		t.Errorf("a key without hash verified a secret")
	}
}

func TestNewAPIKeyRejects(t *testing.T) {
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		keyName   string
		role      data.Role
		districts []string
		field     string
	}{
		{"no name", "  ", data.RoleStaff, nil, "name"},
		{"control character", "bad\nname", data.RoleStaff, nil, "name"},
		{"long name", strings.Repeat("x", 101), data.RoleStaff, nil, "name"},
		{"unknown role", "x", data.Role("root"), nil, "role"},
		{"empty district", "x", data.RoleStaff, []string{""}, "district"},
		{"district list in one", "x", data.RoleStaff, []string{"011,012"}, "district"},
		{"intake scoped", "x", data.RoleIntake, []string{"012"}, "district"},
		{"admin scoped", "x", data.RoleAdmin, []string{"012"}, "district"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, secret, err := data.NewAPIKey(tt.keyName, tt.role, tt.districts, now)
			if !errors.Is(err, data.ErrInvalid) || data.ErrorField(err) != tt.field {
				t.Fatalf("NewAPIKey = %v, %q, %v; want ErrInvalid on %q", k, secret, err, tt.field)
			}
		})
	}
}

func TestParseAPIKeySecretRejects(t *testing.T) {
	for _, s := range []string{
		"",
		"g311_",
		"g311_k_0123456789abcdef",       // no random part
		"g311_k_0123456789abcdef_short", // random part too short
		"g311_k_0123456789abcdef_abcdefghijklmnopqrstuvwxyz",    // lower case is not base32 here
		"g311_x_0123456789abcdef_ABCDEFGHIJKLMNOPQRSTUVWXYZ",    // id prefix
		"g311_k_0123456789ABCDEF_ABCDEFGHIJKLMNOPQRSTUVWXYZ",    // id upper case
		"g311_k_0123_ABCDEFGHIJKLMNOPQRSTUVWXYZ",                // id too short
		"G311_k_0123456789abcdef_ABCDEFGHIJKLMNOPQRSTUVWXYZ",    // prefix case
		"Bearer g311_k_0123456789abcdef_ABCDEFGHIJKLMNOPQRSTUV", // header not stripped
		"g311_k_0123456789abcdef_" + strings.Repeat("A", 200),
	} {
		id, err := data.ParseAPIKeySecret(s)
		if !errors.Is(err, data.ErrUnauthorized) {
			t.Errorf("ParseAPIKeySecret(%q) = %q, %v; want ErrUnauthorized", s, id, err)
		}
	}
}

func TestAPIKeyAllows(t *testing.T) {
	roles := []data.Role{data.RoleIntake, data.RoleStaff, data.RoleSupervisor, data.RoleAdmin}
	// want[i][j]: a key of roles[i] allows roles[j].
	want := [4][4]bool{
		{true, false, false, false}, // intake does not imply staff
		{true, true, false, false},
		{true, true, true, false},
		{true, true, true, true},
	}
	for i, have := range roles {
		k := &data.APIKey{Role: have}
		for j, need := range roles {
			if got := k.Allows(need); got != want[i][j] {
				t.Errorf("%s key Allows(%s) = %v, want %v", have, need, got, want[i][j])
			}
		}
		if k.Allows(data.Role("root")) || k.Allows("") {
			t.Errorf("%s key allows an unknown role", have)
		}
	}
	if (&data.APIKey{Role: "root"}).Allows(data.RoleIntake) {
		t.Errorf("a key with an unknown role allows intake")
	}
}

func TestAPIKeyInDistrict(t *testing.T) {
	tests := []struct {
		role      data.Role
		districts []string
		district  string
		want      bool
	}{
		{data.RoleStaff, []string{"012"}, "012", true},
		{data.RoleStaff, []string{"012"}, "12", true}, // Chicago pads districts to 2 digits
		{data.RoleStaff, []string{"12"}, "012", true},
		{data.RoleStaff, []string{"012"}, "011", false},
		{data.RoleStaff, []string{"012"}, "1", false},
		{data.RoleStaff, []string{"012"}, "", false},
		{data.RoleStaff, []string{"011", "012"}, "11", true},
		{data.RoleStaff, []string{"0"}, "00", true},
		{data.RoleStaff, []string{"North"}, "North", true}, // non-numeric ids compare as written
		{data.RoleStaff, []string{"North"}, "north", false},
		{data.RoleSupervisor, []string{"012"}, "011", false},
		{data.RoleStaff, nil, "011", true}, // unscoped
		{data.RoleAdmin, []string{"012"}, "011", true},
	}
	for _, tt := range tests {
		k := &data.APIKey{Role: tt.role, Districts: tt.districts}
		if got := k.InDistrict(tt.district); got != tt.want {
			t.Errorf("%s key of %q: InDistrict(%q) = %v, want %v", tt.role, tt.districts, tt.district, got, tt.want)
		}
	}
}

func TestAPIKeyActive(t *testing.T) {
	created := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	revoked := created.Add(48 * time.Hour)
	k := &data.APIKey{CreatedAt: created}
	if !k.Active(created.Add(time.Hour)) {
		t.Errorf("unrevoked key inactive")
	}
	k.RevokedAt = revoked
	for _, tt := range []struct {
		at   time.Time
		want bool
	}{
		{revoked.Add(-time.Nanosecond), true},
		{revoked, false},
		{revoked.Add(time.Hour), false},
	} {
		if got := k.Active(tt.at); got != tt.want {
			t.Errorf("Active(%v) = %v, want %v (revoked %v)", tt.at, got, tt.want, revoked)
		}
	}
}

func TestAPIKeyLogValueHidesHash(t *testing.T) {
	k, secret, err := data.NewAPIKey("intake", data.RoleIntake, nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("key used", "key", k)
	out := buf.String()
	if !strings.Contains(out, k.ID) || strings.Contains(out, "Hash") || strings.Contains(out, secret) {
		t.Errorf("log line %s: want the id and no hash or secret", out)
	}
}

func TestHashPINRejects(t *testing.T) {
	tests := []struct {
		pin   string
		iter  int
		field string
	}{
		{"1234567", 1000, "pin"},
		{"123456789", 1000, "pin"},
		{"1234567a", 1000, "pin"},
		{"12345678", 999, "iterations"},
		{"12345678", 10_000_001, "iterations"},
	}
	for _, tt := range tests {
		if h, err := data.HashPIN(tt.pin, tt.iter); !errors.Is(err, data.ErrInvalid) || data.ErrorField(err) != tt.field {
			t.Errorf("HashPIN(%q, %d) = %q, %v; want ErrInvalid on %s", tt.pin, tt.iter, h, err, tt.field)
		}
	}
}
