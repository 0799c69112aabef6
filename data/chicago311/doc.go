// Package chicago311 reads City of Chicago Data Portal 311 service request
// exports into data.Request values, one row at a time.
//
// Two schemas are recognised from the header row (names compared without
// regard to case, spaces or punctuation):
//
//   - "current": the 311 Service Requests dataset (portal id v6vf-nfxy) with
//     sr_number, sr_type, sr_short_code, owner_department, status, origin,
//     created_date, closed_date, duplicate, parent_sr_number, ward,
//     police_beat, latitude, longitude and the other portal columns;
//   - "legacy": the per-type datasets published before the 2018 311 system
//     ("Creation Date", "Status", "Completion Date", "Service Request
//     Number", "Type of Service Request", type-specific columns, "Street
//     Address", "ZIP Code", "X Coordinate", ... "Location").
//
// Mapping to data.Request:
//
//   - Number keeps the city's number (sr_number, "Service Request Number").
//   - ServiceName is the type name as recorded; ServiceCode is sr_short_code,
//     or for legacy rows the current short code of the legacy type name
//     (LegacyTypes lists the table).
//   - State: "Open" is data.StateNew; "Completed", "Closed" and "Canceled"
//     are data.StateClosed. A status ending in " - Dup" (legacy) or the
//     duplicate column (current) sets Duplicate; ParentNumber is set from
//     parent_sr_number for duplicates only (the legacy datasets record no
//     parent). A parent_sr_number on a non-duplicate (follow-on work) is
//     kept in Attributes["parent_sr_number"].
//   - Times are floating local times of America/Chicago in the portal's
//     formats ("2019-01-01T00:00:00.000", "2019-01-01 00:00:00",
//     "01/01/2019 12:00:00 AM", date only). UpdatedAt is last_modified_date,
//     else the closing time, else the creation time.
//   - Lon/Lat from longitude/latitude; when they are missing and the Illinois
//     State Plane East coordinates (EPSG:3435, US feet) are present, they are
//     converted with an exact Transverse Mercator inverse (Krüger series,
//     GRS80; the NAD83 to WGS84 datum shift, about a metre, is ignored as the
//     city does). A row without any coordinates is kept with Lon and Lat 0:
//     Chicago's records are not dropped for a missing geocode; HasLocation
//     tells them apart.
//   - Origin: "Phone Call" is phone; "Internet", "E-Mail", "Chat" are web;
//     "Mobile Device", "Salesforce Mobile App", "Text Message" are mobile;
//     "Open311 Interface" is open311; city-internal origins (Spot Checker,
//     City Department, Generated In House, Alderman's Office, Walk-in, Mail)
//     are staff; anything else, and every legacy row, is import.
//   - Legacy is true for the legacy schema and for legacy_record rows.
//   - RecordedAreas keep the city's recorded ward, police district (padded
//     to 2 digits), police sector (district + sector digit), police beat
//     (padded to 4) and community area, with Generation "recorded", beside
//     the areas geo311 routes (Areas is left empty for the caller).
//   - Department is owner_department, or for legacy rows the department of
//     the type in LegacyTypes.
//   - Legacy type-specific columns (and SSA, current activity, most recent
//     action) go into Attributes under their normalised header name
//     ("license_plate", "number_of_premises_baited").
//
// The CSV is read by a reader of the package's own (csv.go) that returns
// exactly encoding/csv's records and errors (quoted fields, doubled quotes,
// newlines inside quotes, "\r\n", the field count of the header, the
// lines named by errors; FuzzCSV compares the two) but cuts a line without
// quotes, most rows of a portal export, at its commas without copying its
// fields: about a third less CPU per row read.
//
// Row errors (a missing number, an unparsable date, out-of-range
// coordinates, a wrong number of fields, an unknown status or legacy type)
// are returned as *RowError with the line number and column; they wrap
// data.ErrInvalid, and Next carries on with the following row, so an import
// counts and reports every bad row and drops none silently.
package chicago311
