package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/geo311/geo311/data"
)

// CreateKey stores an API key. ErrConflict if its ID is taken.
func (db *DB) CreateKey(ctx context.Context, k *data.APIKey) error {
	if k == nil {
		return fmt.Errorf("sqlite: create key: %w", data.Invalid("key", "no key given"))
	}
	switch {
	case k.ID == "":
		return fmt.Errorf("sqlite: create key: %w", data.Invalid("id", "key id is empty"))
	case len(k.Hash) == 0:
		return fmt.Errorf("sqlite: create key %q: %w", k.ID, data.Invalid("hash", "key has no hash"))
	case k.CreatedAt.IsZero() || !data.StorableTime(k.CreatedAt):
		return fmt.Errorf("sqlite: create key %q: %w", k.ID, data.Invalid("created_at", "creation time is missing or out of range"))
	case !k.RevokedAt.IsZero() && !data.StorableTime(k.RevokedAt):
		return fmt.Errorf("sqlite: create key %q: %w", k.ID, data.Invalid("revoked_at", "revocation time is out of range"))
	}
	if _, err := data.ParseRole(string(k.Role)); err != nil {
		return fmt.Errorf("sqlite: create key %q: %w", k.ID, err)
	}
	ds := []string{}
	if len(k.Districts) > 0 {
		ds = k.Districts
	}
	districts, err := json.Marshal(ds)
	if err != nil {
		return fmt.Errorf("sqlite: create key %q: %w", k.ID, err)
	}
	_, err = db.w.ExecContext(ctx, `INSERT INTO api_keys (id, name, role, districts, hash, created_at, revoked_at)
    VALUES (?, ?, ?, ?, ?, ?, ?)`, k.ID, k.Name, string(k.Role), string(districts), k.Hash, formatTime(k.CreatedAt), nullTime(k.RevokedAt))
	if isPrimaryKeyViolation(err) {
		return fmt.Errorf("sqlite: create key: %w", data.Errorf(data.ErrConflict, "key %q exists", k.ID))
	}
	return wrap(ctx, "create key "+k.ID, err)
}

const keyColumns = `id, name, role, districts, hash, created_at, revoked_at`

func scanKey(sc scanner) (*data.APIKey, error) {
	var (
		k                 data.APIKey
		role, ds, created string
		revoked           sql.NullString
	)
	if err := sc.Scan(&k.ID, &k.Name, &role, &ds, &k.Hash, &created, &revoked); err != nil {
		return nil, err
	}
	k.Role = data.Role(role)
	if ds != "[]" {
		if err := json.Unmarshal([]byte(ds), &k.Districts); err != nil {
			return nil, fmt.Errorf("key %s districts: %w", k.ID, err)
		}
	}
	var err error
	if k.CreatedAt, err = parseTime(created); err != nil {
		return nil, err
	}
	if revoked.Valid {
		if k.RevokedAt, err = parseTime(revoked.String); err != nil {
			return nil, err
		}
	}
	return &k, nil
}

// Key reads one key. ErrNotFound if none.
func (db *DB) Key(ctx context.Context, id string) (*data.APIKey, error) {
	k, err := scanKey(db.r.QueryRowContext(ctx, `SELECT `+keyColumns+` FROM api_keys WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		if cerr := ctx.Err(); cerr != nil {
			return nil, fmt.Errorf("sqlite: read key: %w", cerr)
		}
		return nil, fmt.Errorf("sqlite: read key: %w", data.Errorf(data.ErrNotFound, "key %q not found", id))
	}
	if err != nil {
		return nil, wrap(ctx, "read key", err)
	}
	return k, nil
}

// Keys lists every key, revoked ones included, by ID.
func (db *DB) Keys(ctx context.Context) ([]*data.APIKey, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+keyColumns+` FROM api_keys ORDER BY id`)
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
		return fmt.Errorf("sqlite: revoke key: %w", data.Invalid("at", "revocation time is missing or out of range"))
	}
	res, err := db.w.ExecContext(ctx, `UPDATE api_keys SET revoked_at = coalesce(revoked_at, ?) WHERE id = ?`, formatTime(at), id)
	if err != nil {
		return wrap(ctx, "revoke key "+id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return wrap(ctx, "revoke key "+id, err)
	}
	if n == 0 {
		return fmt.Errorf("sqlite: revoke key: %w", data.Errorf(data.ErrNotFound, "key %q not found", id))
	}
	return nil
}
