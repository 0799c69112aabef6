package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/geo311/geo311/data"
)

// TestKeyStore runs the data.KeyStore contract. open must return a fresh,
// empty store each time; it is called once per subtest, and subtests run in
// parallel. The store is not closed by the suite: register a t.Cleanup in
// open.
func TestKeyStore(t *testing.T, open func(t *testing.T) data.Store) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, s data.Store)
	}{
		{"CreateAndRead", testKeyCreateAndRead},
		{"Conflict", testKeyConflict},
		{"ConcurrentSameID", testKeyConcurrentSameID},
		{"NotFound", testKeyNotFound},
		{"Invalid", testKeyInvalid},
		{"Revoke", testKeyRevoke},
		{"NoSharedMemory", testKeyNoSharedMemory},
		{"ContextCanceled", testKeyContextCanceled},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, open(t))
		})
	}
}

func testKey(id string, role data.Role, districts ...string) *data.APIKey {
	return &data.APIKey{
		ID:        id,
		Name:      "key " + id + " — \"Łódź\"",
		Role:      role,
		Districts: districts,
		Hash:      []byte("\x00\x01sha256-of-" + id + "\xff"),
		CreatedAt: time.Date(2026, 2, 3, 4, 5, 6, 789012000, cst),
	}
}

func cloneKey(k *data.APIKey) *data.APIKey {
	c := *k
	c.Districts = slices.Clone(k.Districts)
	c.Hash = slices.Clone(k.Hash)
	return &c
}

func diffKey(got, want *data.APIKey) string {
	if got == nil {
		return "key is nil"
	}
	var d []string
	add := func(format string, args ...any) { d = append(d, fmt.Sprintf(format, args...)) }
	if got.ID != want.ID || got.Name != want.Name || got.Role != want.Role {
		add("ID/Name/Role = %q/%q/%q, want %q/%q/%q", got.ID, got.Name, got.Role, want.ID, want.Name, want.Role)
	}
	if !(len(got.Districts) == 0 && len(want.Districts) == 0) && !slices.Equal(got.Districts, want.Districts) {
		add("Districts = %q, want %q", got.Districts, want.Districts)
	}
	if string(got.Hash) != string(want.Hash) {
		add("Hash = %x, want %x", got.Hash, want.Hash)
	}
	if !got.CreatedAt.Equal(want.CreatedAt) || got.CreatedAt.IsZero() != want.CreatedAt.IsZero() {
		add("CreatedAt = %s, want %s", fmtTime(got.CreatedAt), fmtTime(want.CreatedAt))
	}
	if !got.RevokedAt.Equal(want.RevokedAt) || got.RevokedAt.IsZero() != want.RevokedAt.IsZero() {
		add("RevokedAt = %s, want %s", fmtTime(got.RevokedAt), fmtTime(want.RevokedAt))
	}
	return strings.Join(d, "; ")
}

func mustCreateKey(t *testing.T, s data.KeyStore, k *data.APIKey) {
	t.Helper()
	if err := s.CreateKey(t.Context(), k); err != nil {
		t.Fatalf("CreateKey(%q): %v", k.ID, err)
	}
}

func mustKeys(t *testing.T, s data.KeyStore) []*data.APIKey {
	t.Helper()
	ks, err := s.Keys(t.Context())
	if err != nil {
		t.Fatalf("Keys: %v", err)
	}
	return ks
}

func testKeyCreateAndRead(t *testing.T, s data.Store) {
	if ks := mustKeys(t, s); len(ks) != 0 {
		t.Errorf("Keys on an empty store: %d, want 0", len(ks))
	}
	// Given out of order: Keys lists by ID (byte-wise).
	keys := []*data.APIKey{
		testKey("k_00000000000000ff", data.RoleStaff, "012", "011"),
		testKey("k_0000000000000001", data.RoleIntake),
		testKey("k_000000000000000a", data.RoleSupervisor, "001"),
		testKey("k_00000000000000A0", data.RoleAdmin),
	}
	// A real key from data.NewAPIKey too.
	real, _, err := data.NewAPIKey("sergeant 12", data.RoleStaff, []string{"012"}, time.Now().Truncate(time.Microsecond)) // stores keep microseconds
	if err != nil {
		t.Fatal(err)
	}
	keys = append(keys, real)
	for _, k := range keys {
		mustCreateKey(t, s, cloneKey(k))
	}
	for _, k := range keys {
		got, err := s.Key(t.Context(), k.ID)
		if err != nil {
			t.Fatalf("Key(%q): %v", k.ID, err)
		}
		if d := diffKey(got, k); d != "" {
			t.Errorf("Key(%q): %s", k.ID, d)
		}
		if !got.Active(time.Now()) {
			t.Errorf("Key(%q) is not active", k.ID)
		}
	}
	sorted := slices.Clone(keys)
	slices.SortFunc(sorted, func(a, b *data.APIKey) int { return strings.Compare(a.ID, b.ID) })
	got := mustKeys(t, s)
	if len(got) != len(sorted) {
		t.Fatalf("Keys: %d keys, want %d", len(got), len(sorted))
	}
	for i := range sorted {
		if d := diffKey(got[i], sorted[i]); d != "" {
			t.Errorf("Keys[%d]: %s", i, d)
		}
	}
}

func testKeyConflict(t *testing.T, s data.Store) {
	k := testKey("k_0000000000000001", data.RoleIntake)
	mustCreateKey(t, s, cloneKey(k))
	other := testKey("k_0000000000000001", data.RoleAdmin)
	other.Name = "intruder"
	checkKind(t, "CreateKey with a used ID", s.CreateKey(t.Context(), other), data.ErrConflict)
	got, err := s.Key(t.Context(), k.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d := diffKey(got, k); d != "" {
		t.Errorf("a conflicting CreateKey changed the key: %s", d)
	}
}

func testKeyConcurrentSameID(t *testing.T, s data.Store) {
	const workers = 8
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		ok, conf int
	)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k := testKey("k_00000000000000cc", data.RoleStaff, fmt.Sprint(w))
			err := s.CreateKey(context.Background(), k)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
			case isKind(err, data.ErrConflict):
				conf++
			default:
				t.Errorf("worker %d: %v", w, err)
			}
		}()
	}
	wg.Wait()
	if ok != 1 || conf != workers-1 {
		t.Errorf("%d concurrent CreateKey with one ID: %d succeeded, %d conflicts; want 1 and %d", workers, ok, conf, workers-1)
	}
}

func testKeyNotFound(t *testing.T, s data.Store) {
	mustCreateKey(t, s, testKey("k_0000000000000001", data.RoleIntake))
	for _, id := range []string{"k_0000000000000002", "", "K_0000000000000001", "' OR 1=1 --"} {
		_, err := s.Key(t.Context(), id)
		checkKind(t, fmt.Sprintf("Key(%q)", id), err, data.ErrNotFound)
		checkKind(t, fmt.Sprintf("RevokeKey(%q)", id), s.RevokeKey(t.Context(), id, time.Now()), data.ErrNotFound)
	}
}

func testKeyInvalid(t *testing.T, s data.Store) {
	for _, tc := range []struct {
		name string
		k    *data.APIKey
	}{
		{"nil key", nil},
		{"empty id", testKey("", data.RoleIntake)},
		{"bad role", testKey("k_0000000000000001", "root")},
		{"zero CreatedAt", func() *data.APIKey {
			k := testKey("k_0000000000000002", data.RoleIntake)
			k.CreatedAt = time.Time{}
			return k
		}()},
		{"no hash", func() *data.APIKey { k := testKey("k_0000000000000003", data.RoleIntake); k.Hash = nil; return k }()},
	} {
		checkKind(t, "CreateKey with "+tc.name, s.CreateKey(t.Context(), tc.k), data.ErrInvalid)
	}
	if ks := mustKeys(t, s); len(ks) != 0 {
		t.Errorf("%d keys after invalid creates, want 0", len(ks))
	}
	mustCreateKey(t, s, testKey("k_0000000000000001", data.RoleIntake))
	checkKind(t, "RevokeKey at a zero time", s.RevokeKey(t.Context(), "k_0000000000000001", time.Time{}), data.ErrInvalid)
}

// testKeyRevoke: revoking sets RevokedAt; revoking again keeps the first
// revocation time.
func testKeyRevoke(t *testing.T, s data.Store) {
	k := testKey("k_0000000000000001", data.RoleStaff, "012")
	other := testKey("k_0000000000000002", data.RoleIntake)
	mustCreateKey(t, s, cloneKey(k))
	mustCreateKey(t, s, cloneKey(other))
	at := time.Date(2026, 4, 1, 12, 0, 0, 654321000, cdt)
	if err := s.RevokeKey(t.Context(), k.ID, at); err != nil {
		t.Fatalf("RevokeKey: %v", err)
	}
	if err := s.RevokeKey(t.Context(), k.ID, at.Add(time.Hour)); err != nil {
		t.Fatalf("RevokeKey again: %v", err)
	}
	want := cloneKey(k)
	want.RevokedAt = at
	got, err := s.Key(t.Context(), k.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d := diffKey(got, want); d != "" {
		t.Errorf("after RevokeKey: %s", d)
	}
	if got.Active(at.Add(time.Second)) || !got.Active(at.Add(-time.Second)) {
		t.Errorf("revoked key: Active after %v, before %v", got.Active(at.Add(time.Second)), got.Active(at.Add(-time.Second)))
	}
	o, err := s.Key(t.Context(), other.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d := diffKey(o, other); d != "" {
		t.Errorf("RevokeKey changed another key: %s", d)
	}
	if ks := mustKeys(t, s); len(ks) != 2 || !ks[0].RevokedAt.Equal(at) || !ks[1].RevokedAt.IsZero() {
		t.Errorf("Keys after a revocation: %+v; revoked keys stay listed with RevokedAt", ks)
	}
}

func testKeyNoSharedMemory(t *testing.T, s data.Store) {
	k := testKey("k_0000000000000001", data.RoleStaff, "012", "011")
	in := cloneKey(k)
	mustCreateKey(t, s, in)
	in.Districts[0], in.Hash[0] = "999", 'Z'
	got, err := s.Key(t.Context(), k.ID)
	if err != nil {
		t.Fatal(err)
	}
	got.Districts[0], got.Hash[0] = "888", 'Y'
	got2, err := s.Key(t.Context(), k.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d := diffKey(got2, k); d != "" {
		t.Errorf("after changing given and returned values: %s", d)
	}
}

func testKeyContextCanceled(t *testing.T, s data.Store) {
	mustCreateKey(t, s, testKey("k_0000000000000001", data.RoleIntake))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	checkKind(t, "CreateKey", s.CreateKey(ctx, testKey("k_0000000000000002", data.RoleIntake)), context.Canceled)
	_, err := s.Key(ctx, "k_0000000000000001")
	checkKind(t, "Key", err, context.Canceled)
	_, err = s.Keys(ctx)
	checkKind(t, "Keys", err, context.Canceled)
	checkKind(t, "RevokeKey", s.RevokeKey(ctx, "k_0000000000000001", time.Now()), context.Canceled)
	ks := mustKeys(t, s)
	if len(ks) != 1 || !ks[0].RevokedAt.IsZero() {
		t.Errorf("keys after cancelled calls: %+v, want the one active key", ks)
	}
}

func isKind(err, kind error) bool { return errors.Is(err, kind) }
