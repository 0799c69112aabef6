//go:build !race

package postgis

const exportRaceEnabled = false
