package data

import (
	"errors"
	"fmt"
)

// Error kinds. Every error geo311 returns to a caller wraps one of these, so
// that the HTTP layer maps them to a status code in one place. Match them with
// errors.Is.
var (
	// ErrInvalid: the caller's input is malformed or out of range (HTTP 400).
	ErrInvalid = errors.New("invalid input")
	// ErrNotFound: the named thing does not exist (HTTP 404).
	ErrNotFound = errors.New("not found")
	// ErrConflict: the thing exists already or changed under the caller (HTTP 409).
	ErrConflict = errors.New("conflict")
	// ErrOutsideJurisdiction: a point lies outside every area of the
	// jurisdiction (HTTP 422); the message says whom to call instead.
	ErrOutsideJurisdiction = errors.New("outside jurisdiction")
	// ErrEmergency: the request describes a crime in progress or a major
	// crime that 311 does not take (HTTP 422); the message says to call 911.
	ErrEmergency = errors.New("emergency: call 911")
	// ErrUnauthorized: no or an unknown credential (HTTP 401).
	ErrUnauthorized = errors.New("unauthorized")
	// ErrForbidden: a known credential without the right (HTTP 403).
	ErrForbidden = errors.New("forbidden")
	// ErrRateLimited: too many attempts (HTTP 429).
	ErrRateLimited = errors.New("rate limited")
	// ErrUnavailable: a dependency such as the database is down (HTTP 503).
	ErrUnavailable = errors.New("unavailable")
)

// Error is an error of a known kind with a message meant for the caller and,
// for input errors, the name of the offending field.
type Error struct {
	Kind    error  // one of the Err* kinds above
	Field   string // input field at fault, if any ("lat", "service_code")
	Message string // human-readable, safe to show to the caller
}

func (e *Error) Error() string {
	if e.Field != "" {
		return e.Field + ": " + e.Message
	}
	return e.Message
}

// Unwrap returns the kind, so errors.Is(err, ErrInvalid) works.
func (e *Error) Unwrap() error { return e.Kind }

// Errorf returns an *Error of the given kind without a field.
func Errorf(kind error, format string, args ...any) error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns an ErrInvalid error naming the field at fault.
func Invalid(field, format string, args ...any) error {
	return &Error{Kind: ErrInvalid, Field: field, Message: fmt.Sprintf(format, args...)}
}

// ErrorField returns the field named by the first *Error in err's chain, or "".
func ErrorField(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}

// ErrorMessage returns a message safe to show to a caller: the message of the
// first *Error in err's chain, or a generic text for unexpected errors, whose
// details belong in the log only.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Error()
	}
	for _, k := range []error{ErrInvalid, ErrNotFound, ErrConflict, ErrOutsideJurisdiction,
		ErrEmergency, ErrUnauthorized, ErrForbidden, ErrRateLimited, ErrUnavailable} {
		if errors.Is(err, k) {
			return k.Error()
		}
	}
	return "internal error"
}
