package export

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// countingWriter counts the bytes handed to the caller's writer. It does not
// implement io.Closer, so no library closes the caller's writer.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// output buffers writes to the caller's writer and counts them.
type output struct {
	cw countingWriter
	bw *bufio.Writer
}

func newOutput(w io.Writer) *output {
	o := &output{cw: countingWriter{w: w}}
	o.bw = bufio.NewWriterSize(&o.cw, 256<<10)
	return o
}

func (o *output) Write(p []byte) (int, error) { return o.bw.Write(p) }
func (o *output) flush() error                { return o.bw.Flush() }
func (o *output) bytes() int64                { return o.cw.n + int64(o.bw.Buffered()) }

// batchSink receives the record batches of an Arrow-based format.
type batchSink interface {
	write(rec arrow.RecordBatch) error
	// close finishes the file. dicts gives the final dictionary of each
	// dictionary-encoded column by column index; geo is the GeoParquet
	// metadata JSON.
	close(dicts map[int]arrow.Array, geo string) error
	// abort releases resources without finishing the file.
	abort()
}

func newBatchSink(f Format, out *output, schema *arrow.Schema, s *settings, mem memory.Allocator) (batchSink, error) {
	switch f {
	case FormatArrowStream:
		return &streamSink{out: out, w: ipc.NewWriter(out, ipc.WithSchema(schema), ipc.WithAllocator(mem), ipc.WithDictionaryDeltas(true))}, nil
	case FormatArrowFile:
		tmp, err := os.CreateTemp(s.tempDir, "geo311-export-*.arrows")
		if err != nil {
			return nil, fmt.Errorf("export: spill file: %w", err)
		}
		fs := &fileSink{out: out, schema: schema, mem: mem, tmp: tmp, tmpBuf: bufio.NewWriterSize(tmp, 256<<10)}
		fs.spill = ipc.NewWriter(fs.tmpBuf, ipc.WithSchema(schema), ipc.WithAllocator(mem), ipc.WithDictionaryDeltas(true))
		return fs, nil
	case FormatParquet:
		codec := compress.Codecs.Zstd
		switch s.ParquetCompression {
		case "snappy":
			codec = compress.Codecs.Snappy
		case "gzip":
			codec = compress.Codecs.Gzip
		case "none", "uncompressed":
			codec = compress.Codecs.Uncompressed
		}
		props := parquet.NewWriterProperties(
			parquet.WithAllocator(mem),
			parquet.WithCompression(codec),
			parquet.WithMaxRowGroupLength(int64(s.batch)),
			parquet.WithStats(true),
			parquet.WithCreatedBy("geo311 data/export (arrow-go v18)"),
		)
		w, err := pqarrow.NewFileWriter(schema, out, props,
			pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema(), pqarrow.WithAllocator(mem)))
		if err != nil {
			return nil, fmt.Errorf("export: parquet writer: %w", err)
		}
		return &parquetSink{out: out, w: w}, nil
	}
	return nil, fmt.Errorf("export: %q is not an Arrow-based format", f)
}

// streamSink writes the IPC stream as it goes, flushing after every batch
// so that an HTTP client sees progress.
type streamSink struct {
	out *output
	w   *ipc.Writer
}

func (s *streamSink) write(rec arrow.RecordBatch) error {
	if err := s.w.Write(rec); err != nil {
		return fmt.Errorf("export: arrow stream: %w", err)
	}
	return s.out.flush()
}

func (s *streamSink) close(map[int]arrow.Array, string) error {
	if err := s.w.Close(); err != nil {
		return fmt.Errorf("export: arrow stream: %w", err)
	}
	return s.out.flush()
}

func (s *streamSink) abort() {}

// fileSink spills batches as an IPC stream to a temporary file, then at
// close rewrites them as an IPC file whose every batch uses the final
// dictionaries (the IPC file format allows one dictionary per field and
// arrow-go writes no deltas in files). Memory stays one batch; disk holds a
// copy of the export until close.
type fileSink struct {
	out    *output
	schema *arrow.Schema
	mem    memory.Allocator
	tmp    *os.File
	tmpBuf *bufio.Writer
	spill  *ipc.Writer
}

func (s *fileSink) write(rec arrow.RecordBatch) error {
	if err := s.spill.Write(rec); err != nil {
		return fmt.Errorf("export: arrow file spill: %w", err)
	}
	return nil
}

func (s *fileSink) close(dicts map[int]arrow.Array, _ string) (err error) {
	defer s.abort()
	if err := s.spill.Close(); err != nil {
		return fmt.Errorf("export: arrow file spill: %w", err)
	}
	if err := s.tmpBuf.Flush(); err != nil {
		return fmt.Errorf("export: arrow file spill: %w", err)
	}
	if _, err := s.tmp.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("export: arrow file spill: %w", err)
	}
	// The batches read back reuse each other's buffers once written, so
	// the rewrite holds about one batch instead of leaving one batch of
	// garbage per batch to the collector.
	pool := newRecyclingAllocator(s.mem)
	defer pool.drain()
	rd, err := ipc.NewReader(bufio.NewReaderSize(s.tmp, 256<<10), ipc.WithAllocator(pool))
	if err != nil {
		return fmt.Errorf("export: arrow file spill: %w", err)
	}
	defer rd.Release()
	fw, err := ipc.NewFileWriter(s.out, ipc.WithSchema(s.schema), ipc.WithAllocator(s.mem))
	if err != nil {
		return fmt.Errorf("export: arrow file: %w", err)
	}
	cols := make([]arrow.Array, len(s.schema.Fields()))
	for rd.Next() {
		rec := rd.RecordBatch()
		for i := range cols {
			c := rec.Column(i)
			if d, ok := dicts[i]; ok {
				cols[i] = array.NewDictionaryArray(c.DataType(), c.(*array.Dictionary).Indices(), d)
			} else {
				c.Retain()
				cols[i] = c
			}
		}
		out := array.NewRecordBatch(s.schema, cols, rec.NumRows())
		for _, c := range cols {
			c.Release()
		}
		err := fw.Write(out)
		out.Release()
		if err != nil {
			fw.Close()
			return fmt.Errorf("export: arrow file: %w", err)
		}
	}
	if err := rd.Err(); err != nil && !errors.Is(err, io.EOF) {
		fw.Close()
		return fmt.Errorf("export: arrow file spill: %w", err)
	}
	if err := fw.Close(); err != nil {
		return fmt.Errorf("export: arrow file: %w", err)
	}
	return s.out.flush()
}

func (s *fileSink) abort() {
	if s.tmp != nil {
		name := s.tmp.Name()
		s.tmp.Close()
		os.Remove(name)
		s.tmp = nil
	}
}

// parquetSink writes one row group per batch; the "geo" metadata, with the
// bbox known only at the end, is appended to the footer at close.
type parquetSink struct {
	out *output
	w   *pqarrow.FileWriter
}

func (s *parquetSink) write(rec arrow.RecordBatch) error {
	if err := s.w.Write(rec); err != nil {
		return fmt.Errorf("export: parquet: %w", err)
	}
	return nil
}

func (s *parquetSink) close(_ map[int]arrow.Array, geo string) error {
	if err := s.w.AppendKeyValueMetadata(GeoKey, geo); err != nil {
		return fmt.Errorf("export: parquet: %w", err)
	}
	if err := s.w.Close(); err != nil {
		return fmt.Errorf("export: parquet: %w", err)
	}
	return s.out.flush()
}

func (s *parquetSink) abort() { s.w.Close() }
