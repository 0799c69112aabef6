// Package dedupe decides whether a new request duplicates an open one of the
// same kind nearby (CPD S02-03-03 VI.B.1: similar concerns at the same place
// are associated to one primary concern). It finds candidates through H3
// cells, scores them, and explains each decision. It does no I/O: callers
// hand it candidates and store what it decides.
package dedupe
