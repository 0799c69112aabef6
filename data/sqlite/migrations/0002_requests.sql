-- geo311 SQLite schema version 2: service requests and community concerns,
-- their notes, tracking-number counters, idempotency keys and API keys.
-- Conventions as in 0001 (STRICT, fixed-width UTC TEXT instants, 0/1 booleans).
-- Optional instants are NULL when unset (Go zero time).

CREATE TABLE requests (
    id              INTEGER NOT NULL PRIMARY KEY,      -- rowid: key of the side tables
    number          TEXT    NOT NULL UNIQUE CHECK (number <> ''),
    jurisdiction    TEXT    NOT NULL DEFAULT '',
    kind            TEXT    NOT NULL CHECK (kind IN ('service_request', 'community_concern')),
    service_code    TEXT    NOT NULL DEFAULT '',
    service_name    TEXT    NOT NULL DEFAULT '',
    state           TEXT    NOT NULL CHECK (state IN ('new', 'accepted', 'not_accepted', 'assigned', 'completed', 'closed')),
    -- Open311 status, derived from state: 1 closed, 0 open.
    closed          INTEGER NOT NULL CHECK (closed = (state IN ('closed', 'not_accepted'))),
    description     TEXT    NOT NULL DEFAULT '',
    lon             REAL    NOT NULL,
    lat             REAL    NOT NULL,
    address         TEXT    NOT NULL DEFAULT '',
    address_id      TEXT    NOT NULL DEFAULT '',
    zip             TEXT    NOT NULL DEFAULT '',
    h3              INTEGER NOT NULL DEFAULT 0,        -- uint64 cell stored as its int64 bit pattern
    areas           TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(areas)),
    department      TEXT    NOT NULL DEFAULT '',
    unit            TEXT    NOT NULL DEFAULT '',
    assigned_to     TEXT    NOT NULL DEFAULT '',
    origin          TEXT    NOT NULL DEFAULT '',
    requested_at    TEXT    NOT NULL,
    updated_at      TEXT    NOT NULL,
    accepted_at     TEXT,
    assigned_at     TEXT,
    completed_at    TEXT,
    closed_at       TEXT,
    sla_days        INTEGER NOT NULL DEFAULT 0,
    extension_days  INTEGER NOT NULL DEFAULT 0,
    extensions      INTEGER NOT NULL DEFAULT 0,
    reassignments   INTEGER NOT NULL DEFAULT 0,
    duplicate       INTEGER NOT NULL DEFAULT 0 CHECK (duplicate IN (0, 1)),
    parent_number   TEXT    NOT NULL DEFAULT '',
    duplicate_count INTEGER NOT NULL DEFAULT 0,
    me_too          INTEGER NOT NULL DEFAULT 0,
    media_url       TEXT    NOT NULL DEFAULT '',
    attributes      TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(attributes)),
    contact         TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(contact)),
    pin_hash        BLOB,
    police          INTEGER NOT NULL DEFAULT 0 CHECK (police IN (0, 1)), -- Request.PoliceRelated
    legacy          INTEGER NOT NULL DEFAULT 0 CHECK (legacy IN (0, 1)),
    recorded_areas  TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(recorded_areas)),
    disposition     TEXT    NOT NULL DEFAULT ''
) STRICT;

-- One index per filter; (x, requested_at, number) where the filter is
-- usually combined with the default order.
CREATE INDEX requests_requested ON requests (requested_at, number);
CREATE INDEX requests_updated   ON requests (updated_at);
CREATE INDEX requests_code      ON requests (service_code, requested_at);
CREATE INDEX requests_h3        ON requests (h3);
CREATE INDEX requests_state     ON requests (state, requested_at);
CREATE INDEX requests_status    ON requests (closed, requested_at);
CREATE INDEX requests_parent    ON requests (parent_number) WHERE parent_number <> '';

-- Point index for bbox and near queries. R*Tree coordinates are 32-bit
-- floats rounded outwards, so it is a superset filter; queries check the
-- exact lon/lat columns after it.
CREATE VIRTUAL TABLE requests_rtree USING rtree (id, min_lon, max_lon, min_lat, max_lat);

-- Area filter: one row per (layer, area id) a request was routed to.
CREATE TABLE request_areas (
    layer      TEXT    NOT NULL,
    area_id    TEXT    NOT NULL,
    request_id INTEGER NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    PRIMARY KEY (layer, area_id, request_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX request_areas_request ON request_areas (request_id);

-- The side tables follow the row, whatever writes it.
CREATE TRIGGER requests_ai AFTER INSERT ON requests BEGIN
    INSERT INTO requests_rtree (id, min_lon, max_lon, min_lat, max_lat) VALUES (NEW.id, NEW.lon, NEW.lon, NEW.lat, NEW.lat);
    INSERT OR IGNORE INTO request_areas (layer, area_id, request_id)
        SELECT value ->> 'layer', value ->> 'id', NEW.id FROM json_each(NEW.areas);
END;
CREATE TRIGGER requests_au_point AFTER UPDATE OF lon, lat ON requests
WHEN OLD.lon IS NOT NEW.lon OR OLD.lat IS NOT NEW.lat BEGIN
    UPDATE requests_rtree SET min_lon = NEW.lon, max_lon = NEW.lon, min_lat = NEW.lat, max_lat = NEW.lat WHERE id = NEW.id;
END;
CREATE TRIGGER requests_au_areas AFTER UPDATE OF areas ON requests
WHEN OLD.areas IS NOT NEW.areas BEGIN
    DELETE FROM request_areas WHERE request_id = NEW.id;
    INSERT OR IGNORE INTO request_areas (layer, area_id, request_id)
        SELECT value ->> 'layer', value ->> 'id', NEW.id FROM json_each(NEW.areas);
END;
CREATE TRIGGER requests_ad AFTER DELETE ON requests BEGIN
    DELETE FROM requests_rtree WHERE id = OLD.id;
END;

-- Notes: append-only history. id orders notes with equal times.
CREATE TABLE request_notes (
    id         INTEGER NOT NULL PRIMARY KEY,
    request_id INTEGER NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
    at         TEXT    NOT NULL,
    actor      TEXT    NOT NULL DEFAULT '',
    event      TEXT    NOT NULL DEFAULT '',
    text       TEXT    NOT NULL DEFAULT '',
    reason     TEXT    NOT NULL DEFAULT '',
    internal   INTEGER NOT NULL DEFAULT 0 CHECK (internal IN (0, 1))
) STRICT;
CREATE INDEX request_notes_order ON request_notes (request_id, at, id);

-- Highest sequence given out (or imported) per number prefix: kind and year.
CREATE TABLE request_counters (
    kind TEXT    NOT NULL,
    year INTEGER NOT NULL,
    n    INTEGER NOT NULL CHECK (n >= 0),
    PRIMARY KEY (kind, year)
) STRICT, WITHOUT ROWID;

-- Idempotency keys of intakes: a replay returns the first request.
CREATE TABLE request_idempotency (
    key        TEXT NOT NULL PRIMARY KEY,
    number     TEXT NOT NULL,
    created_at TEXT NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE api_keys (
    id         TEXT NOT NULL PRIMARY KEY CHECK (id <> ''),
    name       TEXT NOT NULL DEFAULT '',
    role       TEXT NOT NULL CHECK (role IN ('intake', 'staff', 'supervisor', 'admin')),
    districts  TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(districts)),
    hash       BLOB NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT
) STRICT;
