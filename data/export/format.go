package export

import (
	"strings"

	"github.com/geo311/geo311/data"
)

// Format is an export file format.
type Format string

// Formats.
const (
	// FormatArrowStream is the Arrow IPC streaming format (".arrows"):
	// written as it goes, dictionary deltas between batches.
	FormatArrowStream Format = "arrows"
	// FormatArrowFile is the Arrow IPC file format (".arrow", Feather v2):
	// random access through its footer. Its dictionaries must be final before
	// the first batch, so batches are spilled to a temporary file and
	// rewritten at Close (Options.TempDir).
	FormatArrowFile Format = "arrow"
	// FormatParquet is Apache Parquet with GeoParquet 1.1 "geo" metadata.
	FormatParquet Format = "parquet"
	// FormatGeoJSONSeq is newline-delimited GeoJSON text sequences
	// (RFC 8142: each feature prefixed by RS, 0x1E, and ended by LF).
	FormatGeoJSONSeq Format = "geojsonseq"
	// FormatCSV is RFC 4180 CSV with a header line and CRLF line ends.
	FormatCSV Format = "csv"
)

// Formats lists every format in a stable order.
func Formats() []Format {
	return []Format{FormatArrowStream, FormatArrowFile, FormatParquet, FormatGeoJSONSeq, FormatCSV}
}

// ParseFormat reads a format name as a caller gives it: the name or the file
// extension, with or without the leading dot, in any case ("arrows",
// ".parquet", "CSV"). A few common aliases are accepted: "feather" and "ipc"
// for the IPC file, "geojsonl"/"geojsons" for GeoJSON text sequences.
func ParseFormat(s string) (Format, error) {
	n := strings.ToLower(strings.TrimPrefix(strings.TrimSpace(s), "."))
	switch n {
	case "arrows", "arrow-stream", "stream":
		return FormatArrowStream, nil
	case "arrow", "feather", "ipc":
		return FormatArrowFile, nil
	case "parquet", "geoparquet":
		return FormatParquet, nil
	case "geojsonseq", "geojsons", "geojsonl", "geojsonseq.txt":
		return FormatGeoJSONSeq, nil
	case "csv":
		return FormatCSV, nil
	}
	if len(s) > 40 {
		s = s[:40] + "..."
	}
	return "", data.Invalid("format", "%q is not an export format (arrows, arrow, parquet, geojsonseq, csv)", s)
}

// ContentType is the media type to send with the format.
func (f Format) ContentType() string {
	switch f {
	case FormatArrowStream:
		return "application/vnd.apache.arrow.stream"
	case FormatArrowFile:
		return "application/vnd.apache.arrow.file"
	case FormatParquet:
		return "application/vnd.apache.parquet"
	case FormatGeoJSONSeq:
		return "application/geo+json-seq"
	case FormatCSV:
		return "text/csv; charset=utf-8; header=present"
	}
	return "application/octet-stream"
}

// Extension is the file name extension of the format, with its dot.
func (f Format) Extension() string {
	switch f {
	case FormatArrowStream, FormatArrowFile, FormatParquet, FormatGeoJSONSeq, FormatCSV:
		return "." + string(f)
	}
	return ""
}

// String returns the format name.
func (f Format) String() string { return string(f) }

// arrowBased reports whether the format is written through Arrow record batches.
func (f Format) arrowBased() bool {
	return f == FormatArrowStream || f == FormatArrowFile || f == FormatParquet
}

func (f Format) valid() bool {
	for _, g := range Formats() {
		if f == g {
			return true
		}
	}
	return false
}
