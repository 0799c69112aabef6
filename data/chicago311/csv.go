package chicago311

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"io"
	"strings"
)

// csvReader reads CSV records exactly as an encoding/csv.Reader with its
// defaults does (comma ',', no comment character, strict quotes, the field
// count fixed by the first record, empty lines skipped, "\r\n" read as
// "\n"), returning the same records and the same errors (*csv.ParseError
// with csv.ErrBareQuote, csv.ErrQuote or csv.ErrFieldCount, and the same
// lines and columns; FuzzCSV compares the two), but faster for a portal
// export, whose rows are mostly free of quotes: such a line is made one
// string and cut at its commas, without encoding/csv's copy of every field
// into a record buffer, its search for a quote in each field and its field
// positions. A line holding a quote goes through the general parser.
//
// A record's fields are substrings of one string per record, as with
// encoding/csv; the slice of fields is reused by the next read.
type csvReader struct {
	r       *bufio.Reader
	raw     []byte   // a line longer than r's buffer
	rec     []byte   // the unquoted bytes of a record with quotes
	ends    []int    // the end of each field in rec
	fields  []string // the record returned, reused
	numLine int      // lines read so far
	// perRecord is the number of fields every record must have, set by
	// the first record read (encoding/csv's FieldsPerRecord 0).
	perRecord int
}

// csvBuffer is the size of the reader's buffer, and so the length of a line
// that is read without a copy.
const csvBuffer = 64 << 10

func newCSVReader(r io.Reader) *csvReader {
	return &csvReader{r: bufio.NewReaderSize(r, csvBuffer)}
}

// readLine reads one line, "\r\n" made "\n"; the last line of the input
// may lack its "\n" (and loses a trailing "\r").
func (c *csvReader) readLine() ([]byte, error) {
	line, err := c.r.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		c.raw = append(c.raw[:0], line...)
		for err == bufio.ErrBufferFull {
			line, err = c.r.ReadSlice('\n')
			c.raw = append(c.raw, line...)
		}
		line = c.raw
	}
	if n := len(line); n > 0 && err == io.EOF {
		err = nil
		if line[n-1] == '\r' {
			line = line[:n-1]
		}
	}
	c.numLine++
	if n := len(line); n >= 2 && line[n-2] == '\r' && line[n-1] == '\n' {
		line[n-2] = '\n'
		line = line[:n-1]
	}
	return line, err
}

// lengthNL is 1 if b ends in a newline, else 0.
func lengthNL(b []byte) int {
	if len(b) > 0 && b[len(b)-1] == '\n' {
		return 1
	}
	return 0
}

// read returns the next record and the line it starts on (1-based), io.EOF
// at the end of the input, or the error encoding/csv returns: a
// *csv.ParseError (after which the next read carries on with the following
// line; with csv.ErrFieldCount the record is returned too) or the
// underlying reader's error.
func (c *csvReader) read() (record []string, line int, err error) {
	var b []byte
	var errRead error
	for errRead == nil {
		b, errRead = c.readLine()
		if errRead == nil && len(b) == lengthNL(b) {
			continue // an empty line
		}
		break
	}
	if errRead == io.EOF {
		return nil, 0, io.EOF
	}
	line = c.numLine
	if bytes.IndexByte(b, '"') < 0 {
		c.split(b[:len(b)-lengthNL(b)])
		err = errRead
	} else {
		err = c.parse(b, errRead, line)
	}
	if c.perRecord == 0 {
		c.perRecord = len(c.fields)
	} else if len(c.fields) != c.perRecord && err == nil {
		err = &csv.ParseError{StartLine: line, Line: line, Column: 1, Err: csv.ErrFieldCount}
	}
	return c.fields, line, err
}

// split makes the fields of a line without quotes (and without its
// newline).
func (c *csvReader) split(b []byte) {
	s := string(b)
	fields := c.fields[:0]
	for {
		i := strings.IndexByte(s, ',')
		if i < 0 {
			break
		}
		fields = append(fields, s[:i])
		s = s[i+1:]
	}
	c.fields = append(fields, s)
}

// parse makes the fields of a record whose first line b holds a quote, as
// encoding/csv does; errRead is the error of reading b, recLine its line.
// A quoted field may go on over the following lines.
func (c *csvReader) parse(b []byte, errRead error, recLine int) error {
	c.rec, c.ends = c.rec[:0], c.ends[:0]
	var err error
	lineNo, col := recLine, 1 // where b[0] is
fields:
	for {
		if len(b) == 0 || b[0] != '"' {
			// A field without quotes: up to the next comma or the end.
			i := bytes.IndexByte(b, ',')
			field := b
			if i >= 0 {
				field = field[:i]
			} else {
				field = field[:len(field)-lengthNL(field)]
			}
			if j := bytes.IndexByte(field, '"'); j >= 0 {
				err = &csv.ParseError{StartLine: recLine, Line: c.numLine, Column: col + j, Err: csv.ErrBareQuote}
				break fields
			}
			c.rec = append(c.rec, field...)
			c.ends = append(c.ends, len(c.rec))
			if i < 0 {
				break fields
			}
			b = b[i+1:]
			col += i + 1
			continue fields
		}
		// A quoted field: "" is a quote, and the field ends with a quote
		// before a comma or the end of a line.
		b = b[1:]
		col++
		for {
			i := bytes.IndexByte(b, '"')
			switch {
			case i >= 0:
				c.rec = append(c.rec, b[:i]...)
				b = b[i+1:]
				col += i + 1
				switch {
				case len(b) > 0 && b[0] == '"':
					c.rec = append(c.rec, '"')
					b = b[1:]
					col++
				case len(b) > 0 && b[0] == ',':
					b = b[1:]
					col++
					c.ends = append(c.ends, len(c.rec))
					continue fields
				case len(b) == lengthNL(b):
					c.ends = append(c.ends, len(c.rec))
					break fields
				default:
					err = &csv.ParseError{StartLine: recLine, Line: c.numLine, Column: col - 1, Err: csv.ErrQuote}
					break fields
				}
			case len(b) > 0:
				// The field goes on over the next line.
				c.rec = append(c.rec, b...)
				if errRead != nil {
					break fields
				}
				col += len(b)
				b, errRead = c.readLine()
				if len(b) > 0 {
					lineNo++
					col = 1
				}
				if errRead == io.EOF {
					errRead = nil
				}
			default:
				// The input ends inside the quotes.
				if errRead == nil {
					err = &csv.ParseError{StartLine: recLine, Line: lineNo, Column: col, Err: csv.ErrQuote}
					break fields
				}
				c.ends = append(c.ends, len(c.rec))
				break fields
			}
		}
	}
	if err == nil {
		err = errRead
	}
	s := string(c.rec)
	fields := c.fields[:0]
	start := 0
	for _, end := range c.ends {
		fields = append(fields, s[start:end])
		start = end
	}
	c.fields = fields
	return err
}
