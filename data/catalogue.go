package data

// Kind tells a city service request from a CPD community concern; they follow
// different lifecycles (S02-03-03 V and VI).
type Kind string

// Request kinds.
const (
	KindServiceRequest   Kind = "service_request"
	KindCommunityConcern Kind = "community_concern"
)

// Jurisdiction is a city geo311 serves: its time zone, the message for points
// outside it, its layers and its service catalogue.
type Jurisdiction struct {
	ID       string `json:"id"`   // "chicago"
	Name     string `json:"name"` // "City of Chicago"
	TimeZone string `json:"time_zone"`
	// OutsideMessage is told to a caller whose point lies outside every area,
	// e.g. "… call 312.744.5000 from outside the city".
	OutsideMessage string `json:"outside_message"`
	// EmergencyMessage is told when a service type is refused as an emergency.
	EmergencyMessage string `json:"emergency_message"`
	// Center is a [lon, lat] for maps.
	Center [2]float64 `json:"center"`
	// Layers lists the layers the city routes to, in answer order.
	Layers   []LayerSpec   `json:"layers"`
	Services []ServiceType `json:"services"`
}

// LayerSpec describes how a city's layer is loaded and normalised.
type LayerSpec struct {
	Layer Layer  `json:"layer"`
	Title string `json:"title"` // "Police beat"
	// IDProperty is the source property holding the id ("beat_num").
	IDProperty string `json:"id_property,omitempty"`
	// NameProperty, if set, names the property with a display name.
	NameProperty string `json:"name_property,omitempty"`
	// PadID left-pads numeric ids with zeros to this width (beats 4, districts 2).
	PadID int `json:"pad_id,omitempty"`
	// DerivedFrom names the layer this one is dissolved from (sector from beat).
	DerivedFrom Layer `json:"derived_from,omitempty"`
	// Ignore lists ids that mean "no area" (Chicago 2003 wards' "OUT").
	Ignore []string `json:"ignore,omitempty"`
}

// ServiceType is one entry of a jurisdiction's service catalogue: what Open311
// calls a service, and how geo311 routes, times and deduplicates it.
type ServiceType struct {
	Code        string   `json:"code"` // Open311 service_code ("PHF" for pothole)
	Name        string   `json:"name"`
	Description string   `json:"description,omitempty"`
	Group       string   `json:"group,omitempty"`
	Keywords    []string `json:"keywords,omitempty"`
	Kind        Kind     `json:"kind"`
	// Department owns the request ("CDOT", "Chicago Police Department").
	Department string `json:"department"`
	// Unit is a fixed owning unit ("241" Troubled Buildings Section) ...
	Unit string `json:"unit,omitempty"`
	// ... or UnitLayer names the layer whose area assigns it, and UnitFormat
	// turns the area id into a unit name ("Community Policing Office, District %s").
	UnitLayer  Layer  `json:"unit_layer,omitempty"`
	UnitFormat string `json:"unit_format,omitempty"`
	// SLADays is the expected number of days to close.
	SLADays int `json:"sla_days"`
	// Police marks police-related types: never listed publicly.
	Police bool `json:"police,omitempty"`
	// Emergency marks types refused by 311: crimes in progress and major
	// crimes, for which the caller must dial 911.
	Emergency bool `json:"emergency,omitempty"`
	// Attributes are the Open311 service definition's questions.
	Attributes []Attribute `json:"attributes,omitempty"`
	Dedupe     DedupeRule  `json:"dedupe"`
}

// Attribute is one question of an Open311 service definition.
type Attribute struct {
	Code        string `json:"code"`
	Description string `json:"description"`
	// Datatype is one of string, number, datetime, text, singlevaluelist, multivaluelist.
	Datatype string           `json:"datatype"`
	Required bool             `json:"required"`
	Order    int              `json:"order"`
	Values   []AttributeValue `json:"values,omitempty"`
}

// AttributeValue is one allowed value of a list attribute.
type AttributeValue struct {
	Key  string `json:"key"`
	Name string `json:"name"`
}

// DedupeRule says when a new request of a type is a duplicate of an open one.
type DedupeRule struct {
	// Group: types sharing a group deduplicate against each other; empty
	// means the type's own code.
	Group string `json:"group,omitempty"`
	// RadiusM is the search radius in metres; 0 disables deduplication.
	RadiusM float64 `json:"radius_m"`
	// WindowDays is how far back candidates are searched.
	WindowDays int `json:"window_days"`
	// IncludeClosedDays also matches requests closed within that many days.
	IncludeClosedDays int `json:"include_closed_days,omitempty"`
	// SameStreet requires the same street name when both addresses are known
	// (potholes: "within about four addresses on the same street").
	SameStreet bool `json:"same_street,omitempty"`
}

// Service returns the catalogue entry with the given code.
func (j *Jurisdiction) Service(code string) (*ServiceType, bool) {
	for i := range j.Services {
		if j.Services[i].Code == code {
			return &j.Services[i], true
		}
	}
	return nil, false
}

// LayerSpec returns the spec of a layer of the jurisdiction.
func (j *Jurisdiction) LayerSpec(l Layer) (*LayerSpec, bool) {
	for i := range j.Layers {
		if j.Layers[i].Layer == l {
			return &j.Layers[i], true
		}
	}
	return nil, false
}
