package chicago311

import (
	"strings"

	"github.com/geo311/geo311/data"
)

// LegacyType maps a type name of the pre-2018 per-type datasets to the short
// code and owning department the current 311 dataset uses for that service.
type LegacyType struct {
	Name       string // as recorded in "Type of Service Request"
	Code       string // current sr_short_code
	Current    string // current sr_type
	Department string
}

// LegacyTypes lists the legacy type names the reader knows, with the short
// codes of the current portal dataset as geo311's Chicago catalogue
// (geo/catalogue/chicago.json) names them, so imported requests route. The three street-light datasets fold
// into the current "Street Light Out Complaint" and "Alley Light Out
// Complaint" types.
var LegacyTypes = []LegacyType{
	{"Abandoned Vehicle Complaint", "SKA", "Abandoned Vehicle Complaint", "Streets and Sanitation"},
	{"Alley Light Out", "SFA", "Alley Light Out Complaint", "CDOT - Department of Transportation"},
	{"Garbage Cart Black Maintenance/Replacement", "SIE", "Garbage Cart Maintenance", "Streets and Sanitation"},
	{"Graffiti Removal", "GRAF", "Graffiti Removal Request", "Streets and Sanitation"},
	{"Pot Hole in Street", "PHF", "Pothole in Street Complaint", "CDOT - Department of Transportation"},
	{"Rodent Baiting/Rat Complaint", "SGA", "Rodent Baiting/Rat Complaint", "Streets and Sanitation"},
	{"Sanitation Code Violation", "SCB", "Sanitation Code Violation", "Streets and Sanitation"},
	{"Street Light - 1/Out", "SLA", "Street Light Out Complaint", "CDOT - Department of Transportation"},
	{"Street Lights - All/Out", "SLA", "Street Light Out Complaint", "CDOT - Department of Transportation"},
	{"Tree Debris", "SEF", "Tree Debris Clean-Up Request", "Streets and Sanitation"},
	{"Tree Trim", "SEL", "Tree Trim Request", "Streets and Sanitation"},
}

// legacyIndex maps a folded type name (lower case, spaces collapsed) to its
// entry.
func legacyIndex() map[string]*LegacyType {
	m := make(map[string]*LegacyType, len(LegacyTypes))
	for i := range LegacyTypes {
		m[fold(LegacyTypes[i].Name)] = &LegacyTypes[i]
	}
	return m
}

// fold lower-cases s and collapses runs of spaces, for lookups.
func fold(s string) string {
	return strings.Join(strings.Fields(strings.ToLower(s)), " ")
}

// origins maps portal origin values (compared without regard to case) to
// data origins.
var origins = [...]struct {
	value  string
	origin data.Origin
}{
	{"Phone Call", data.OriginPhone}, {"Phone", data.OriginPhone},
	{"Internet", data.OriginWeb}, {"E-Mail", data.OriginWeb}, {"Email", data.OriginWeb},
	{"Chat", data.OriginWeb}, {"Web", data.OriginWeb},
	{"Mobile Device", data.OriginMobile}, {"Salesforce Mobile App", data.OriginMobile},
	{"Text Message", data.OriginMobile}, {"Mobile App", data.OriginMobile},
	{"Open311 Interface", data.OriginOpen311}, {"Open311", data.OriginOpen311},
	{"Spot Checker", data.OriginStaff}, {"City Department", data.OriginStaff},
	{"Generated In House", data.OriginStaff}, {"Alderman's Office", data.OriginStaff},
	{"Walk-in", data.OriginStaff}, {"Walk in", data.OriginStaff}, {"Mail", data.OriginStaff},
	{"Internal", data.OriginStaff},
}

// Origin maps a portal origin value to a data.Origin. Unknown and empty
// values map to data.OriginImport.
func Origin(s string) data.Origin {
	s = strings.TrimSpace(s)
	for _, o := range origins {
		if len(o.value) == len(s) && strings.EqualFold(o.value, s) {
			return o.origin
		}
	}
	return data.OriginImport
}

// parseStatus maps a recorded status to a state and duplicate flag.
func parseStatus(s string) (st data.State, dup bool, ok bool) {
	if n := len(s); n > 6 && strings.EqualFold(s[n-6:], " - dup") {
		s, dup = strings.TrimSpace(s[:n-6]), true
	}
	switch {
	case strings.EqualFold(s, "open"):
		return data.StateNew, dup, true
	case strings.EqualFold(s, "completed"), strings.EqualFold(s, "closed"),
		strings.EqualFold(s, "canceled"), strings.EqualFold(s, "cancelled"):
		return data.StateClosed, dup, true
	}
	return "", false, false
}
