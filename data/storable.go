package data

import (
	"math"
	"time"
)

// StorableTime reports whether t is inside the years every store keeps
// (PostgreSQL holds far more; the SQLite store's text layout holds
// 1-9999).
func StorableTime(t time.Time) bool {
	y := t.UTC().Year()
	return y >= 1 && y <= 9999
}

// CheckStorable reports what every store requires of a request it keeps
// (the contract of data/storetest): a kind, a state, a received time in the
// numbered years, other times a store can hold, and finite coordinates.
// Errors are ErrInvalid naming the field.
func CheckStorable(r *Request) error {
	if r == nil {
		return Invalid("request", "no request given")
	}
	if r.Kind != KindServiceRequest && r.Kind != KindCommunityConcern {
		return Invalid("kind", "%q is not a request kind (service_request, community_concern)", r.Kind)
	}
	if _, err := ParseState(string(r.State)); err != nil {
		return err
	}
	if r.RequestedAt.IsZero() {
		return Invalid("requested_datetime", "the time the request was received is missing")
	}
	if y := r.RequestedAt.UTC().Year(); y < MinNumberYear || y > MaxNumberYear {
		return Invalid("requested_datetime", "year %d is outside %d-%d", y, MinNumberYear, MaxNumberYear)
	}
	for _, t := range []time.Time{r.UpdatedAt, r.AcceptedAt, r.AssignedAt, r.CompletedAt, r.ClosedAt} {
		if !t.IsZero() && !StorableTime(t) {
			return Invalid("datetime", "time %s is out of range", t)
		}
	}
	if math.IsNaN(r.Lon) || math.IsNaN(r.Lat) || math.IsInf(r.Lon, 0) || math.IsInf(r.Lat, 0) {
		return Invalid("lat", "coordinates must be finite numbers")
	}
	return nil
}

// CheckImport is what a store's import requires of each request:
// CheckStorable and a tracking number of geo311's or the city's format.
func CheckImport(r *Request) error {
	if err := CheckStorable(r); err != nil {
		return err
	}
	if !ValidNumber(r.Number) {
		return Invalid("service_request_id", "%q is not a tracking number", r.Number)
	}
	return nil
}
