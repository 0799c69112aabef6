package sqlite

/*
#include <stdint.h>
#include <string.h>

// The few SQLite functions the import calls itself; they are compiled into
// the binary by github.com/mattn/go-sqlite3 (or come from the system's
// libsqlite3 with its libsqlite3 build tag).
typedef struct sqlite3 sqlite3;
typedef struct sqlite3_stmt sqlite3_stmt;
extern int sqlite3_bind_null(sqlite3_stmt*, int);
extern int sqlite3_bind_int64(sqlite3_stmt*, int, long long);
extern int sqlite3_bind_double(sqlite3_stmt*, int, double);
extern int sqlite3_bind_text(sqlite3_stmt*, int, const char*, int, void(*)(void*));
extern int sqlite3_bind_blob(sqlite3_stmt*, int, const void*, int, void(*)(void*));
extern int sqlite3_step(sqlite3_stmt*);
extern int sqlite3_reset(sqlite3_stmt*);
extern int sqlite3_clear_bindings(sqlite3_stmt*);
extern sqlite3 *sqlite3_db_handle(sqlite3_stmt*);
extern int sqlite3_changes(sqlite3*);
extern int sqlite3_extended_errcode(sqlite3*);
extern const char *sqlite3_errmsg(sqlite3*);

// geo311_val is a Go importVal.
typedef struct {
	int32_t typ;
	int32_t n;
	int64_t v;
} geo311_val;

enum { geo311_null, geo311_int, geo311_float, geo311_text, geo311_blob };

#define geo311_done 101 // SQLITE_DONE

// geo311_insert binds the values of vals whose bit is set in set (in
// order, to parameters 1, 2, ...; texts and blobs point into bytes, bound
// without a copy), steps s once, and resets it and clears its bindings
// before returning (so bytes need not outlive the call). It returns
// SQLITE_DONE and the rows changed, or an error code; *ext and the message
// in msg (of size nmsg) describe an error.
static int geo311_insert(sqlite3_stmt *s, const geo311_val *vals, int nvals, uint64_t set,
		const char *bytes, int64_t *changes, int *ext, char *msg, int nmsg) {
	int rc = 0, j = 1;
	for (int i = 0; i < nvals && rc == 0; i++) {
		if (!((set >> i) & 1)) {
			continue;
		}
		const geo311_val *v = &vals[i];
		switch (v->typ) {
		case geo311_null:
			rc = sqlite3_bind_null(s, j);
			break;
		case geo311_int:
			rc = sqlite3_bind_int64(s, j, v->v);
			break;
		case geo311_float: {
			double d;
			memcpy(&d, &v->v, sizeof d);
			rc = sqlite3_bind_double(s, j, d);
			break;
		}
		case geo311_text:
			rc = sqlite3_bind_text(s, j, bytes + v->v, v->n, (void(*)(void*))0);
			break;
		case geo311_blob:
			rc = sqlite3_bind_blob(s, j, bytes + v->v, v->n, (void(*)(void*))0);
			break;
		default:
			rc = 21; // SQLITE_MISUSE
		}
		j++;
	}
	if (rc == 0) {
		rc = sqlite3_step(s);
	}
	sqlite3 *db = sqlite3_db_handle(s);
	*changes = rc == geo311_done ? sqlite3_changes(db) : 0;
	if (rc != geo311_done) {
		*ext = sqlite3_extended_errcode(db);
		strncpy(msg, sqlite3_errmsg(db), nmsg - 1);
		msg[nmsg - 1] = 0;
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc;
}
*/
import "C"

import (
	"database/sql/driver"
	"fmt"
	"reflect"
	"strings"
	"unsafe"

	"github.com/mattn/go-sqlite3"
)

// importVal is a column value of an encoded import row: the C binder's
// geo311_val. Texts and blobs are bytes of the row's chunk (encodedChunk).
type importVal struct {
	typ int32 // valNull ... valBlob
	n   int32 // length of a text or blob
	v   int64 // an integer, a float's bits, or a text's or blob's offset
}

// Types of importVal, geo311_val's enum.
const (
	valNull  = C.geo311_null
	valInt   = C.geo311_int
	valFloat = C.geo311_float
	valText  = C.geo311_text
	valBlob  = C.geo311_blob
)

// importVal and geo311_val have the same size (a compile-time check).
var (
	_ [unsafe.Sizeof(importVal{}) - C.sizeof_geo311_val]byte
	_ [C.sizeof_geo311_val - unsafe.Sizeof(importVal{})]byte
)

// rawStmt returns the sqlite3_stmt of a statement prepared on a
// *sqlite3.SQLiteConn, or nil if the driver's statement does not hold one
// where this version of the driver keeps it (an unexported field "s" of
// cgo's type for struct sqlite3_stmt, _Ctype_struct_sqlite3_stmt):
// the import then binds through the driver (TestImportBindsDirectly pins
// that it does not).
func rawStmt(s driver.Stmt) unsafe.Pointer {
	v := reflect.ValueOf(s)
	if v.Kind() != reflect.Pointer || v.Type() != reflect.TypeFor[*sqlite3.SQLiteStmt]() || v.IsNil() {
		return nil
	}
	f := v.Elem().FieldByName("s")
	if !f.IsValid() || f.Kind() != reflect.Pointer || !strings.HasSuffix(f.Type().Elem().Name(), "sqlite3_stmt") || f.IsNil() {
		return nil
	}
	return f.UnsafePointer()
}

// bindStep runs a prepared INSERT once with the values of vals whose bit is
// set in set (texts and blobs in bytes), in one cgo call instead of one per
// bound value (the driver's binds were a third of the writer's time in a
// million-row import), and returns the rows it changed.
func bindStep(stmt unsafe.Pointer, vals []importVal, set uint64, bytes []byte) (int64, error) {
	if len(vals) == 0 || len(vals) > 64 {
		return 0, fmt.Errorf("bind: %d values", len(vals))
	}
	if len(bytes) == 0 {
		bytes = []byte{0} // a valid pointer for empty texts
	}
	var changes C.int64_t
	var ext C.int
	var msg [256]C.char
	rc := C.geo311_insert((*C.sqlite3_stmt)(stmt), (*C.geo311_val)(unsafe.Pointer(&vals[0])), C.int(len(vals)), C.uint64_t(set),
		(*C.char)(unsafe.Pointer(&bytes[0])), &changes, &ext, &msg[0], C.int(len(msg)))
	if rc != C.geo311_done {
		return 0, fmt.Errorf("%s: %w", C.GoString(&msg[0]), sqlite3.Error{
			Code:         sqlite3.ErrNo(rc & 0xff),
			ExtendedCode: sqlite3.ErrNoExtended(ext),
		})
	}
	return int64(changes), nil
}
