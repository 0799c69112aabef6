//go:build race

package batch

// raceEnabled: the race detector slows JSON decoding about 20 times.
const raceEnabled = true
