//go:build race

package export

// raceEnabled: the race detector slows row appends about tenfold, so the
// long-stream tests shorten their default under -race.
const raceEnabled = true
