//go:build race

package postgis

// exportRaceEnabled: the race detector multiplies the resident set, so
// TestExportScanMemory checks it only without -race.
const exportRaceEnabled = true
