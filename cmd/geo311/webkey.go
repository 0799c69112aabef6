package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/geo311/geo311/data"
)

// demoWebKeyName names the intake key `serve --demo` makes for its web page.
const demoWebKeyName = "web page (serve --demo)"

// webIntakeKey returns the secret the web page files requests with. A
// configured key must exist in the store, be active and have the intake role
// and nothing more: the page hands it to every visitor. Without one, the
// demo city gets a fresh intake key at each start (the previous demo web keys
// are revoked, so they do not pile up); a real city without one serves a page
// that says filing is not enabled.
func webIntakeKey(ctx context.Context, a *app, now time.Time) (string, error) {
	cfg := a.cfg
	if cfg.WebIntakeKey != "" {
		id, err := data.ParseAPIKeySecret(cfg.WebIntakeKey)
		if err != nil {
			return "", settingError("web-intake-key", "not an API key secret")
		}
		k, err := a.store.Key(ctx, id)
		if errors.Is(err, data.ErrNotFound) {
			return "", settingError("web-intake-key", "no key %s in the store (create one with: geo311 keys create --role intake --name web)", id)
		}
		if err != nil {
			return "", fmt.Errorf("web intake key: %w", err)
		}
		switch {
		case !k.Verify(cfg.WebIntakeKey):
			return "", settingError("web-intake-key", "does not match key %s", id)
		case !k.Active(now):
			return "", settingError("web-intake-key", "key %s is revoked", id)
		case k.Role != data.RoleIntake:
			return "", settingError("web-intake-key", "key %s has role %s; the page publishes its key, so it must be an intake key", id, k.Role)
		}
		return cfg.WebIntakeKey, nil
	}
	if cfg.Jurisdiction != "demo" {
		return "", nil
	}
	ks, err := a.store.Keys(ctx)
	if err != nil {
		return "", fmt.Errorf("demo web key: list keys: %w", err)
	}
	for _, k := range ks {
		if k.Name == demoWebKeyName && k.Active(now) {
			if err := a.store.RevokeKey(ctx, k.ID, now); err != nil {
				return "", fmt.Errorf("demo web key: revoke %s: %w", k.ID, err)
			}
		}
	}
	k, secret, err := data.NewAPIKey(demoWebKeyName, data.RoleIntake, nil, now)
	if err != nil {
		return "", fmt.Errorf("demo web key: %w", err)
	}
	if err := a.store.CreateKey(ctx, k); err != nil {
		return "", fmt.Errorf("demo web key: store: %w", err)
	}
	a.log.Info("web page files requests with a demo intake key", "key", k.ID)
	return secret, nil
}
