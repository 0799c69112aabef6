package chicago311

import "math"

// Illinois State Plane East, NAD83, US survey feet (EPSG:3435): Transverse
// Mercator on the GRS80 ellipsoid, origin 36°40'N 88°20'W, scale 0.999975
// on the central meridian, false easting 300,000 m, false northing 0.
const (
	spA        = 6378137.0
	spF        = 1 / 298.257222101
	spLat0     = (36 + 40.0/60) * math.Pi / 180
	spLon0     = -(88 + 20.0/60) * math.Pi / 180
	spK0       = 0.999975
	spFE       = 300000.0
	spFN       = 0.0
	usFootToM  = 1200.0 / 3937.0
	degPerRad  = 180 / math.Pi
	tmEntries  = 4
	tmEllipseN = spF / (2 - spF)
)

// tm holds the Krüger series coefficients (Karney 2011, to n^4: sub-
// millimetre within a few degrees of the central meridian).
type tm struct {
	rectA   float64 // rectifying radius A
	alpha   [tmEntries]float64
	beta    [tmEntries]float64
	delta   [tmEntries]float64
	e       float64 // first eccentricity
	xi0     float64 // ξ of the origin latitude on the central meridian
	scaleKA float64 // k0·A
}

func newTM() *tm {
	n := tmEllipseN
	n2, n3, n4 := n*n, n*n*n, n*n*n*n
	t := &tm{}
	t.rectA = spA / (1 + n) * (1 + n2/4 + n4/64)
	t.alpha = [4]float64{
		n/2 - 2*n2/3 + 5*n3/16 + 41*n4/180,
		13*n2/48 - 3*n3/5 + 557*n4/1440,
		61*n3/240 - 103*n4/140,
		49561 * n4 / 161280,
	}
	t.beta = [4]float64{
		n/2 - 2*n2/3 + 37*n3/96 - n4/360,
		n2/48 + n3/15 - 437*n4/1440,
		17*n3/480 - 37*n4/840,
		4397 * n4 / 161280,
	}
	t.delta = [4]float64{
		2*n - 2*n2/3 - 2*n3 + 116*n4/45,
		7*n2/3 - 8*n3/5 - 227*n4/45,
		56*n3/15 - 136*n4/35,
		4279 * n4 / 630,
	}
	t.e = math.Sqrt(spF * (2 - spF))
	t.scaleKA = spK0 * t.rectA
	xi0, _ := t.forwardXiEta(spLat0, 0)
	t.xi0 = xi0
	return t
}

// forwardXiEta maps geodetic latitude phi and longitude dlam (relative to the
// central meridian), in radians, to the normalised TM coordinates ξ, η.
func (t *tm) forwardXiEta(phi, dlam float64) (xi, eta float64) {
	s := math.Sin(phi)
	tau := math.Sinh(math.Atanh(s) - t.e*math.Atanh(t.e*s)) // tan of conformal latitude
	xiP := math.Atan2(tau, math.Cos(dlam))
	etaP := math.Asinh(math.Sin(dlam) / math.Sqrt(tau*tau+math.Cos(dlam)*math.Cos(dlam)))
	xi, eta = xiP, etaP
	for j := 1; j <= tmEntries; j++ {
		fj := float64(2 * j)
		xi += t.alpha[j-1] * math.Sin(fj*xiP) * math.Cosh(fj*etaP)
		eta += t.alpha[j-1] * math.Cos(fj*xiP) * math.Sinh(fj*etaP)
	}
	return xi, eta
}

// inverse converts State Plane easting and northing in US survey feet to
// WGS84 longitude and latitude in degrees.
func (t *tm) inverse(xFt, yFt float64) (lon, lat float64) {
	x := xFt*usFootToM - spFE
	y := yFt*usFootToM - spFN
	xi := y/t.scaleKA + t.xi0
	eta := x / t.scaleKA
	xiP, etaP := xi, eta
	for j := 1; j <= tmEntries; j++ {
		fj := float64(2 * j)
		xiP -= t.beta[j-1] * math.Sin(fj*xi) * math.Cosh(fj*eta)
		etaP -= t.beta[j-1] * math.Cos(fj*xi) * math.Sinh(fj*eta)
	}
	chi := math.Asin(math.Sin(xiP) / math.Cosh(etaP))
	dlam := math.Atan2(math.Sinh(etaP), math.Cos(xiP))
	phi := chi
	for j := 1; j <= tmEntries; j++ {
		phi += t.delta[j-1] * math.Sin(float64(2*j)*chi)
	}
	return (spLon0 + dlam) * degPerRad, phi * degPerRad
}

// forward converts WGS84 degrees to State Plane US survey feet (used by
// tests to check the inverse).
func (t *tm) forward(lon, lat float64) (xFt, yFt float64) {
	xi, eta := t.forwardXiEta(lat/degPerRad, lon/degPerRad-spLon0)
	x := t.scaleKA*eta + spFE
	y := t.scaleKA*(xi-t.xi0) + spFN
	return x / usFootToM, y / usFootToM
}

// stateplane is the package's converter; it holds only constants computed
// once from the projection's definition.
var stateplane = newTM()

// StatePlaneToWGS84 converts Illinois State Plane East (EPSG:3435) easting
// and northing in US survey feet, as in the portal's x_coordinate and
// y_coordinate columns, to longitude and latitude in degrees.
func StatePlaneToWGS84(x, y float64) (lon, lat float64) {
	return stateplane.inverse(x, y)
}
