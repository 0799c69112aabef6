-- geo311 SQLite schema version 3: beat community meetings and the contact
-- directory of areas (package community), per jurisdiction.

-- A meeting is kept as its local wall clock (community.WallLayout) and the
-- zone it is read in, so a change of the zone's rules keeps it at its
-- announced local time; Start is rebuilt with community.ParseWall.
CREATE TABLE meetings (
    jurisdiction  TEXT    NOT NULL CHECK (jurisdiction <> ''),
    id            TEXT    NOT NULL CHECK (id <> ''),
    beats         TEXT    NOT NULL CHECK (json_valid(beats) AND json_array_length(beats) > 0), -- sorted ids
    wall          TEXT    NOT NULL,
    tz            TEXT    NOT NULL,
    duration_ns   INTEGER NOT NULL DEFAULT 0 CHECK (duration_ns >= 0),
    location_name TEXT    NOT NULL DEFAULT '',
    address       TEXT    NOT NULL DEFAULT '',
    lon           REAL    NOT NULL DEFAULT 0,
    lat           REAL    NOT NULL DEFAULT 0,
    notes         TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (jurisdiction, id)
) STRICT, WITHOUT ROWID;

-- One row per beat of a meeting's group: "meetings of beat X".
CREATE TABLE meeting_beats (
    jurisdiction TEXT NOT NULL,
    beat         TEXT NOT NULL,
    meeting_id   TEXT NOT NULL,
    PRIMARY KEY (jurisdiction, beat, meeting_id),
    FOREIGN KEY (jurisdiction, meeting_id) REFERENCES meetings (jurisdiction, id) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;
CREATE INDEX meeting_beats_meeting ON meeting_beats (jurisdiction, meeting_id);

-- One contact per (layer, area, kind).
CREATE TABLE contacts (
    jurisdiction TEXT NOT NULL CHECK (jurisdiction <> ''),
    layer        TEXT NOT NULL CHECK (layer <> ''),
    area_id      TEXT NOT NULL CHECK (area_id <> ''),
    kind         TEXT NOT NULL CHECK (kind <> ''),
    name         TEXT NOT NULL,
    phone        TEXT NOT NULL DEFAULT '',
    email        TEXT NOT NULL DEFAULT '',
    address      TEXT NOT NULL DEFAULT '',
    url          TEXT NOT NULL DEFAULT '',
    hours        TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (jurisdiction, layer, area_id, kind)
) STRICT, WITHOUT ROWID;
