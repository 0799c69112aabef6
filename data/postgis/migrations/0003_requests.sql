-- Service requests and community concerns, their notes, tracking-number
-- counters, idempotency keys and API keys. The column set follows the SQLite
-- store's (data/sqlite/migrations/0002_requests.sql) so both keep the same
-- fields; see doc.go for the types chosen here.
--
-- Conventions: optional instants are NULL when unset (Go zero time); text
-- fields the caller left empty are ''; numbers and other identifiers compare
-- byte-wise (COLLATE "C"). Not partitioned: see doc.go ("Scale").

CREATE TABLE requests (
    id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    number          text        COLLATE "C" NOT NULL UNIQUE CHECK (number <> ''),
    jurisdiction    text        NOT NULL DEFAULT '',
    kind            text        NOT NULL CHECK (kind IN ('service_request', 'community_concern')),
    service_code    text        COLLATE "C" NOT NULL DEFAULT '',
    service_name    text        NOT NULL DEFAULT '',
    state           text        NOT NULL CHECK (state IN ('new', 'accepted', 'not_accepted', 'assigned', 'completed', 'closed')),
    -- Open311 status, derived from state.
    status          text        NOT NULL GENERATED ALWAYS AS
                        (CASE WHEN state IN ('closed', 'not_accepted') THEN 'closed' ELSE 'open' END) STORED,
    description     text        NOT NULL DEFAULT '',
    -- lon/lat are the exact values given (float8, bit-exact); geom is the
    -- same point for spatial indexing.
    lon             float8      NOT NULL,
    lat             float8      NOT NULL,
    geom            geometry(Point, 4326) NOT NULL,
    address         text        NOT NULL DEFAULT '',
    address_id      text        NOT NULL DEFAULT '',
    zip             text        NOT NULL DEFAULT '',
    -- H3 cells: the uint64 index stored as the int64 with the same bits
    -- (two's complement; valid cells have the top bit clear, so they are
    -- positive). 0 = unset. h3_r7/h3_r8 are its parents at resolutions 7
    -- and 8, NULL when h3 is not a valid cell of a finer resolution.
    h3              bigint      NOT NULL DEFAULT 0,
    h3_r7           bigint,
    h3_r8           bigint,
    -- Routed areas as a JSON array of data.AreaRef; the well-known layers
    -- also in their own columns (set by the store from areas, '' if none).
    areas           jsonb       NOT NULL DEFAULT '[]',
    beat            text        COLLATE "C" NOT NULL DEFAULT '',
    sector          text        COLLATE "C" NOT NULL DEFAULT '',
    district        text        COLLATE "C" NOT NULL DEFAULT '',
    ward            text        COLLATE "C" NOT NULL DEFAULT '',
    community_area  text        COLLATE "C" NOT NULL DEFAULT '',
    precinct        text        COLLATE "C" NOT NULL DEFAULT '',
    department      text        NOT NULL DEFAULT '',
    unit            text        NOT NULL DEFAULT '',
    assigned_to     text        NOT NULL DEFAULT '',
    origin          text        NOT NULL DEFAULT '',
    requested_at    timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    accepted_at     timestamptz,
    assigned_at     timestamptz,
    completed_at    timestamptz,
    closed_at       timestamptz,
    sla_days        integer     NOT NULL DEFAULT 0,
    extension_days  integer     NOT NULL DEFAULT 0,
    extensions      integer     NOT NULL DEFAULT 0,
    reassignments   integer     NOT NULL DEFAULT 0,
    duplicate       boolean     NOT NULL DEFAULT false,
    parent_number   text        COLLATE "C" NOT NULL DEFAULT '',
    duplicate_count integer     NOT NULL DEFAULT 0,
    me_too          integer     NOT NULL DEFAULT 0,
    media_url       text        NOT NULL DEFAULT '',
    attributes      jsonb       NOT NULL DEFAULT '{}',
    contact         jsonb       NOT NULL DEFAULT '{}',
    pin_hash        bytea,
    police_related  boolean     NOT NULL DEFAULT false,
    legacy          boolean     NOT NULL DEFAULT false,
    recorded_areas  jsonb       NOT NULL DEFAULT '[]',
    disposition     text        NOT NULL DEFAULT ''
);

-- One index per filter. (x, requested_at) where the filter is usually
-- combined with the default order (requested_at, number).
CREATE INDEX requests_requested ON requests (requested_at, number);
CREATE INDEX requests_updated   ON requests (updated_at);
CREATE INDEX requests_code      ON requests (service_code, requested_at);
CREATE INDEX requests_state     ON requests (state, requested_at);
CREATE INDEX requests_status    ON requests (status, requested_at);
CREATE INDEX requests_parent    ON requests (parent_number) WHERE parent_number <> '';
CREATE INDEX requests_geom      ON requests USING gist (geom);
CREATE INDEX requests_h3        ON requests (h3);
CREATE INDEX requests_beat      ON requests (beat, requested_at) WHERE beat <> '';
CREATE INDEX requests_sector    ON requests (sector, requested_at) WHERE sector <> '';
CREATE INDEX requests_district  ON requests (district, requested_at) WHERE district <> '';
CREATE INDEX requests_ward      ON requests (ward, requested_at) WHERE ward <> '';
CREATE INDEX requests_community_area ON requests (community_area, requested_at) WHERE community_area <> '';
CREATE INDEX requests_precinct  ON requests (precinct, requested_at) WHERE precinct <> '';
-- Custom layers: areas @> '[{"layer": "x", "id": "y"}]'.
CREATE INDEX requests_areas     ON requests USING gin (areas jsonb_path_ops);

-- Notes: append-only history. id orders notes with equal times.
CREATE TABLE request_notes (
    id       bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    number   text        COLLATE "C" NOT NULL REFERENCES requests (number) ON UPDATE CASCADE ON DELETE CASCADE,
    at       timestamptz NOT NULL,
    actor    text        NOT NULL DEFAULT '',
    event    text        NOT NULL DEFAULT '',
    text     text        NOT NULL DEFAULT '',
    reason   text        NOT NULL DEFAULT '',
    internal boolean     NOT NULL DEFAULT false
);
CREATE INDEX request_notes_order ON request_notes (number, at, id);

-- Highest sequence given out (or imported) per number prefix ("SR26-").
-- Incremented inside the intake transaction: the row lock serialises
-- concurrent intakes of every process, and a rolled-back intake returns its
-- number.
CREATE TABLE number_counters (
    prefix text   COLLATE "C" PRIMARY KEY,
    n      bigint NOT NULL CHECK (n BETWEEN 0 AND 99999999)
);

-- Idempotency keys of intakes: a replay returns the first request.
CREATE TABLE idempotency_keys (
    key        text        COLLATE "C" PRIMARY KEY,
    number     text        COLLATE "C" NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE api_keys (
    id         text        COLLATE "C" PRIMARY KEY CHECK (id <> ''),
    name       text        NOT NULL DEFAULT '',
    role       text        NOT NULL CHECK (role IN ('intake', 'staff', 'supervisor', 'admin')),
    districts  text[]      NOT NULL DEFAULT '{}',
    hash       bytea       NOT NULL,
    created_at timestamptz NOT NULL,
    revoked_at timestamptz
);

-- Great-circle distance in metres: haversine on the mean earth radius
-- (IUGG 6,371,008.8 m), the formula of the SQLite store, so both stores
-- answer Near filters alike. Inlined by the planner.
CREATE FUNCTION geo311_distance_m(lon1 float8, lat1 float8, lon2 float8, lat2 float8) RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT 2 * 6371008.8 * asin(least(1, sqrt(
        power(sin((lat2 - lat1) * (pi() / 180) / 2), 2)
        + cos(lat1 * (pi() / 180)) * cos(lat2 * (pi() / 180)) * power(sin((lon2 - lon1) * (pi() / 180) / 2), 2))))
$$;

-- An intake that joins a primary counts it there; a primary that does not
-- exist fails the statement (no_data_found), so the intake's pipeline stops
-- before it releases its savepoint.
CREATE FUNCTION geo311_count_duplicate(primary_number text, p_at timestamptz) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE requests SET duplicate_count = duplicate_count + 1, updated_at = p_at WHERE number = primary_number;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'primary % does not exist', primary_number USING ERRCODE = 'no_data_found';
    END IF;
END
$$;
