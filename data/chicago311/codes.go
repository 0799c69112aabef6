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
// codes of the current portal dataset. The three street-light datasets fold
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
	{"Street Light - 1/Out", "SFD", "Street Light Out Complaint", "CDOT - Department of Transportation"},
	{"Street Lights - All/Out", "SFD", "Street Light Out Complaint", "CDOT - Department of Transportation"},
	{"Tree Debris", "SEE", "Tree Debris Clean-Up Request", "Streets and Sanitation"},
	{"Tree Trim", "SEF", "Tree Trim Request", "Streets and Sanitation"},
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

// Origin maps a portal origin value to a data.Origin. Unknown and empty
// values map to data.OriginImport.
func Origin(s string) data.Origin {
	switch fold(s) {
	case "phone call", "phone":
		return data.OriginPhone
	case "internet", "e-mail", "email", "chat", "web":
		return data.OriginWeb
	case "mobile device", "salesforce mobile app", "text message", "mobile app":
		return data.OriginMobile
	case "open311 interface", "open311":
		return data.OriginOpen311
	case "spot checker", "city department", "generated in house", "alderman's office",
		"walk-in", "walk in", "mail", "internal":
		return data.OriginStaff
	}
	return data.OriginImport
}

// parseStatus maps a recorded status to a state and duplicate flag.
func parseStatus(s string) (st data.State, dup bool, ok bool) {
	f := fold(s)
	if base, found := strings.CutSuffix(f, " - dup"); found {
		f, dup = base, true
	}
	switch f {
	case "open":
		return data.StateNew, dup, true
	case "completed", "closed", "canceled", "cancelled":
		return data.StateClosed, dup, true
	}
	return "", false, false
}
