package geo

import (
	"fmt"
	"strings"
	"time"

	"github.com/geo311/geo311/data"
)

// Router routes a point and a service type to areas, department and unit,
// following the jurisdiction's service catalogue. It is safe for concurrent
// use.
type Router struct {
	ix *Index
}

// NewRouter returns a router over an index.
func NewRouter(ix *Index) *Router { return &Router{ix: ix} }

// Index returns the router's index.
func (r *Router) Index() *Index { return r.ix }

// Jurisdiction returns the jurisdiction routed for.
func (r *Router) Jurisdiction() *data.Jurisdiction { return r.ix.j }

// Route answers "who owns this point on this date, for this service type":
// the area of every layer (Index.Locate, tie rule included) and, when
// serviceCode is not empty, the service type's department, unit and SLA.
// The unit is the area id of the type's UnitLayer formatted with UnitFormat
// ("%s" when empty), or the fixed Unit when the type has no unit layer or
// the point has no area in it (then Unit may be empty).
// The zero time means now.
//
// Errors, in the order checked: a non-finite or out-of-range coordinate
// (data.ErrInvalid, field "lat" or "lon"); an unknown service code
// (data.ErrInvalid, field "service_code"); an emergency type (data.ErrEmergency
// with the jurisdiction's EmergencyMessage, whatever the location); a point
// outside every area (data.ErrOutsideJurisdiction with its OutsideMessage).
func (r *Router) Route(lon, lat float64, at time.Time, serviceCode string) (data.Routing, error) {
	if err := CheckPoint(lon, lat); err != nil {
		return data.Routing{}, err
	}
	if at.IsZero() {
		at = time.Now()
	}
	j := r.ix.j
	var st *data.ServiceType
	if serviceCode != "" {
		var ok bool
		st, ok = j.Service(serviceCode)
		if !ok {
			return data.Routing{}, data.Invalid("service_code", "unknown service code %q for %s", serviceCode, j.ID)
		}
		if st.Emergency {
			return data.Routing{}, data.Errorf(data.ErrEmergency, "%s (%s)", j.EmergencyMessage, st.Name)
		}
	}
	areas, err := r.ix.Locate(lon, lat, at)
	if err != nil {
		return data.Routing{}, err
	}
	rt := data.Routing{Lon: lon, Lat: lat, At: at, Areas: areas}
	if st == nil {
		return rt, nil
	}
	rt.ServiceCode = st.Code
	rt.Department = st.Department
	rt.SLADays = st.SLADays
	rt.Unit = st.Unit
	if st.UnitLayer != "" {
		if a, ok := rt.Area(st.UnitLayer); ok {
			rt.Unit = FormatUnit(st.UnitFormat, a.ID)
		}
	}
	return rt, nil
}

// FormatUnit renders a unit name from a catalogue unit format and an area
// id: the first %s is replaced by the id; a format without %s gets the id
// appended after a space; an empty format is the id itself.
func FormatUnit(format, id string) string {
	switch {
	case format == "":
		return id
	case strings.Contains(format, "%s"):
		return strings.Replace(format, "%s", id, 1)
	}
	return fmt.Sprintf("%s %s", format, id)
}
