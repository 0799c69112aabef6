// Package trends turns requests into counts over space and time: the H3 cell
// x day x service type cube, heatmaps, time series, chronic-problem (hot spot)
// statistics and the status reports sergeants review by beat and district. It
// does no I/O: callers feed it requests and read its answers.
package trends
