package main

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"

	"github.com/geo311/geo311/data"
)

// principal is an authenticated caller: an API key from the key store, or
// the configured GEO311_ADMIN_KEY (which acts as an admin key named
// "admin").
type principal struct {
	key *data.APIKey
}

// actor is the caller as lifecycle transitions record it.
func (p *principal) actor() data.Actor {
	return data.Actor{Name: "staff:" + p.key.Name, Role: p.key.Role}
}

const principalKey ctxKey = 100

func principalFrom(ctx context.Context) *principal {
	p, _ := ctx.Value(principalKey).(*principal)
	return p
}

// credential returns the secret a request carries: Authorization: Bearer
// <secret>, else the api_key parameter (query string, or form body when the
// caller parsed it). It never logs it.
func credential(r *http.Request) string {
	if auth := r.Header.Get("Authorization"); auth != "" {
		if t, ok := strings.CutPrefix(auth, "Bearer "); ok {
			return strings.TrimSpace(t)
		}
		return ""
	}
	if r.Form != nil {
		return r.Form.Get("api_key")
	}
	return r.URL.Query().Get("api_key")
}

// authenticate checks a secret: the legacy admin key (constant time over
// digests), or an API key looked up by the id inside the secret (in s.keys,
// else the store), verified in constant time and active now. Errors are ErrUnauthorized and say nothing
// about which part failed.
func (s *server) authenticate(ctx context.Context, secret string) (*principal, error) {
	if secret == "" {
		return nil, data.Errorf(data.ErrUnauthorized, "an API key is required: Authorization: Bearer <key> or api_key")
	}
	unknown := data.Errorf(data.ErrUnauthorized, "unknown or revoked API key")
	if s.cfg.AdminKey != "" {
		got, want := sha256.Sum256([]byte(secret)), sha256.Sum256([]byte(s.cfg.AdminKey))
		if subtle.ConstantTimeCompare(got[:], want[:]) == 1 {
			return &principal{key: &data.APIKey{ID: "admin", Name: "admin", Role: data.RoleAdmin}}, nil
		}
	}
	id, err := data.ParseAPIKeySecret(secret)
	if err != nil {
		return nil, unknown
	}
	now := s.now()
	k, ok := s.keys.get(id, now)
	if !ok {
		if k, err = s.app.store.Key(ctx, id); errors.Is(err, data.ErrNotFound) {
			return nil, unknown
		} else if err != nil {
			return nil, err
		}
		s.keys.put(k, now)
	}
	if !k.Verify(secret) || !k.Active(now) {
		return nil, unknown
	}
	return &principal{key: k}, nil
}

// requireRole authenticates the caller and checks the key's role; the
// principal is put in the request's context. No or a bad key: 401; a key
// without the role: 403.
func (s *server) requireRole(role data.Role) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p, err := s.authenticate(r.Context(), credential(r))
			if err != nil {
				s.error(w, r, err)
				return
			}
			if !p.key.Allows(role) {
				s.error(w, r, data.Errorf(data.ErrForbidden, "this endpoint needs a %s key; key %s is %s", role, p.key.ID, p.key.Role))
				return
			}
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), principalKey, p)))
		})
	}
}

// checkScope refuses a request outside the districts of the caller's key
// (ErrForbidden). A request routed to no district is in the scope of
// unscoped keys only.
func checkScope(p *principal, req *data.Request) error {
	district := ""
	for _, a := range req.Areas {
		if a.Layer == data.LayerDistrict {
			district = a.ID
		}
	}
	if !p.key.InDistrict(district) {
		if district == "" {
			return data.Errorf(data.ErrForbidden, "%s is not routed to a district: only unscoped keys may act on it", req.Number)
		}
		return data.Errorf(data.ErrForbidden, "%s belongs to district %s, outside the districts of key %s", req.Number, district, p.key.ID)
	}
	return nil
}
