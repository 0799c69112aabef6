package postgis

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/geo311/geo311/data"
)

// CreateKey stores an API key. ErrConflict if its ID is taken.
func (db *DB) CreateKey(ctx context.Context, k *data.APIKey) error {
	if k == nil {
		return fmt.Errorf("postgis: create key: %w", data.Invalid("key", "no key given"))
	}
	switch {
	case k.ID == "":
		return fmt.Errorf("postgis: create key: %w", data.Invalid("id", "key id is empty"))
	case len(k.Hash) == 0:
		return fmt.Errorf("postgis: create key %q: %w", k.ID, data.Invalid("hash", "key has no hash"))
	case k.CreatedAt.IsZero() || !data.StorableTime(k.CreatedAt):
		return fmt.Errorf("postgis: create key %q: %w", k.ID, data.Invalid("created_at", "creation time is missing or out of range"))
	case !k.RevokedAt.IsZero() && !data.StorableTime(k.RevokedAt):
		return fmt.Errorf("postgis: create key %q: %w", k.ID, data.Invalid("revoked_at", "revocation time is out of range"))
	}
	if _, err := data.ParseRole(string(k.Role)); err != nil {
		return fmt.Errorf("postgis: create key %q: %w", k.ID, err)
	}
	districts := k.Districts
	if districts == nil {
		districts = []string{}
	}
	tag, err := db.pool.Exec(ctx, `INSERT INTO api_keys (id, name, role, districts, hash, created_at, revoked_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING`,
		k.ID, k.Name, string(k.Role), districts, k.Hash, k.CreatedAt, nullTime(k.RevokedAt))
	if err != nil {
		return wrap(ctx, "create key "+k.ID, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgis: create key: %w", data.Errorf(data.ErrConflict, "key %q exists", k.ID))
	}
	return nil
}

const keyColumns = `id, name, role, districts, hash, created_at, revoked_at`

func scanKey(row pgx.Row) (*data.APIKey, error) {
	var (
		k       data.APIKey
		role    string
		revoked *time.Time
	)
	if err := row.Scan(&k.ID, &k.Name, &role, &k.Districts, &k.Hash, &k.CreatedAt, &revoked); err != nil {
		return nil, err
	}
	k.Role = data.Role(role)
	if len(k.Districts) == 0 {
		k.Districts = nil
	}
	if revoked != nil {
		k.RevokedAt = *revoked
	}
	return &k, nil
}

// Key reads one key. ErrNotFound if none.
func (db *DB) Key(ctx context.Context, id string) (*data.APIKey, error) {
	k, err := scanKey(db.pool.QueryRow(ctx, `SELECT `+keyColumns+` FROM api_keys WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("postgis: read key: %w", data.Errorf(data.ErrNotFound, "key %q not found", id))
	}
	if err != nil {
		return nil, wrap(ctx, "read key", err)
	}
	return k, nil
}

// Keys lists every key, revoked ones included, by ID (byte-wise).
func (db *DB) Keys(ctx context.Context) ([]*data.APIKey, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+keyColumns+` FROM api_keys ORDER BY id`)
	if err != nil {
		return nil, wrap(ctx, "list keys", err)
	}
	defer rows.Close()
	var out []*data.APIKey
	for rows.Next() {
		k, err := scanKey(rows)
		if err != nil {
			return nil, wrap(ctx, "list keys", err)
		}
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(ctx, "list keys", err)
	}
	return out, nil
}

// RevokeKey sets a key's revocation time; a revoked key keeps its first.
func (db *DB) RevokeKey(ctx context.Context, id string, at time.Time) error {
	if at.IsZero() || !data.StorableTime(at) {
		return fmt.Errorf("postgis: revoke key: %w", data.Invalid("at", "revocation time is missing or out of range"))
	}
	tag, err := db.pool.Exec(ctx, `UPDATE api_keys SET revoked_at = coalesce(revoked_at, $1) WHERE id = $2`, at, id)
	if err != nil {
		return wrap(ctx, "revoke key "+id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgis: revoke key: %w", data.Errorf(data.ErrNotFound, "key %q not found", id))
	}
	return nil
}
