package sqlite

import (
	"context"
	"database/sql/driver"
	"math"

	"github.com/mattn/go-sqlite3"
)

// connector opens mattn/go-sqlite3 connections with geo311's SQL functions
// registered, without registering a driver name globally.
type connector struct {
	dsn string
	drv *sqlite3.SQLiteDriver
}

func newConnector(dsn string) *connector {
	return &connector{dsn: dsn, drv: &sqlite3.SQLiteDriver{ConnectHook: registerFuncs}}
}

func (c *connector) Connect(context.Context) (driver.Conn, error) { return c.drv.Open(c.dsn) }
func (c *connector) Driver() driver.Driver                        { return c.drv }

// registerFuncs adds geo311_distance_m(lon1, lat1, lon2, lat2): the
// great-circle distance in metres (haversine on the mean earth radius), the
// exact test of a Near filter after the zkey ranges' box, and
// geo311_zkey(lon, lat), the point's Z-order key (zKey), for migration 0006.
//
// It also keeps temporary files in memory (temp_store=MEMORY): above all
// the statement journals of the group commit's SAVEPOINTs, which SQLite
// otherwise spills to a temporary file once an intake has touched 64 KiB of
// pages (the fourteen indexes of requests get there).
func registerFuncs(c *sqlite3.SQLiteConn) error {
	if _, err := c.Exec(`PRAGMA temp_store = MEMORY`, nil); err != nil {
		return err
	}
	if err := c.RegisterFunc("geo311_distance_m", distanceM, true); err != nil {
		return err
	}
	// zKey for migration 0006's existing rows; writers compute it in Go.
	return c.RegisterFunc("geo311_zkey", zKey, true)
}

// earthRadiusM is the mean earth radius (IUGG), in metres.
const earthRadiusM = 6371008.8

// distanceM is the haversine distance in metres between two lon/lat points.
func distanceM(lon1, lat1, lon2, lat2 float64) float64 {
	const rad = math.Pi / 180
	dlat := (lat2 - lat1) * rad
	dlon := (lon2 - lon1) * rad
	s1, s2 := math.Sin(dlat/2), math.Sin(dlon/2)
	a := s1*s1 + math.Cos(lat1*rad)*math.Cos(lat2*rad)*s2*s2
	return 2 * earthRadiusM * math.Asin(math.Min(1, math.Sqrt(a)))
}
