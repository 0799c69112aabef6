// Independent consumer of geo311 Arrow exports: reads each IPC file given
// on the command line with the apache-arrow npm package and prints what it
// found as JSON, for data/export's TestJSConsumer to check.
import { readFileSync } from 'node:fs';
import { RecordBatchReader, Type, TimeUnit } from 'apache-arrow';

const out = [];
for (const path of process.argv.slice(2)) {
  const reader = RecordBatchReader.from(readFileSync(path));
  reader.open();
  const kind = reader.isFile() ? 'file' : reader.isStream() ? 'stream' : 'unknown';
  const schema = reader.schema;
  const batches = [...reader];
  const fields = schema.fields.map((f) => {
    const t = f.type;
    const info = {
      name: f.name,
      type: Type[t.typeId],
      nullable: f.nullable,
      metadata: Object.fromEntries(f.metadata),
    };
    if (t.typeId === Type.Dictionary) {
      info.valueType = Type[t.dictionary.typeId];
      info.indexType = `${t.indices.isSigned ? 'Int' : 'Uint'}${t.indices.bitWidth}`;
    }
    if (t.typeId === Type.Timestamp) {
      info.unit = TimeUnit[t.unit];
      info.timezone = t.timezone;
    }
    if (t.typeId === Type.Struct || t.typeId === Type.List) {
      info.children = t.children.map((c) => `${c.name}:${Type[c.type.typeId]}`);
    }
    return info;
  });
  let rows = 0;
  const nulls = {};
  const distinct = {};
  let first = null;
  let last = null;
  for (const b of batches) {
    rows += b.numRows;
    for (const f of schema.fields) {
      const col = b.getChild(f.name);
      nulls[f.name] = (nulls[f.name] ?? 0) + col.nullCount;
      if (f.type.typeId === Type.Dictionary) {
        distinct[f.name] ??= new Set();
        for (const v of col) if (v !== null) distinct[f.name].add(v);
      }
    }
    const toRow = (i) => {
      const r = {};
      for (const f of schema.fields) {
        let v = b.getChild(f.name).get(i);
        if (typeof v === 'bigint') v = v.toString();
        else if (v !== null && typeof v === 'object' && typeof v.toJSON === 'function') v = v.toJSON();
        r[f.name] = v;
      }
      return r;
    };
    if (b.numRows > 0) {
      if (first === null) first = toRow(0);
      last = toRow(b.numRows - 1);
    }
  }
  out.push({
    path, kind, rows, batches: batches.length, fields, nulls, first, last,
    schemaMetadata: Object.fromEntries(schema.metadata),
    distinct: Object.fromEntries(Object.entries(distinct).map(([k, s]) => [k, s.size])),
  });
}
process.stdout.write(JSON.stringify(out));
