-- CAPS beat community meetings and the contact directory of areas
-- (community.Store). A meeting is kept as its wall clock and the name of its
-- zone, not as an instant: the store rebuilds the start with
-- community.ParseWall, so a meeting stays at its announced local time when
-- the zone's rules change. meeting_beats lists each beat of a meeting (a
-- beat group has several) for "the meetings of my beat".

CREATE TABLE meetings (
    jurisdiction  text   COLLATE "C" NOT NULL CHECK (jurisdiction <> ''),
    id            text   COLLATE "C" NOT NULL CHECK (id <> ''),
    beats         text[] COLLATE "C" NOT NULL CHECK (cardinality(beats) > 0),
    wall          text   NOT NULL CHECK (wall ~ '^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$'),
    tz            text   NOT NULL CHECK (tz <> ''),
    duration_ns   bigint NOT NULL DEFAULT 0 CHECK (duration_ns >= 0),
    location_name text   NOT NULL DEFAULT '',
    address       text   NOT NULL DEFAULT '',
    notes         text   NOT NULL DEFAULT '',
    lon           float8 NOT NULL DEFAULT 0,
    lat           float8 NOT NULL DEFAULT 0,
    PRIMARY KEY (jurisdiction, id)
);

CREATE TABLE meeting_beats (
    jurisdiction text COLLATE "C" NOT NULL,
    beat         text COLLATE "C" NOT NULL CHECK (beat <> ''),
    meeting_id   text COLLATE "C" NOT NULL,
    PRIMARY KEY (jurisdiction, beat, meeting_id),
    FOREIGN KEY (jurisdiction, meeting_id) REFERENCES meetings (jurisdiction, id) ON DELETE CASCADE
);
-- The foreign key's cascade from a deleted meeting.
CREATE INDEX meeting_beats_meeting ON meeting_beats (jurisdiction, meeting_id);

CREATE TABLE contacts (
    jurisdiction text COLLATE "C" NOT NULL CHECK (jurisdiction <> ''),
    layer        text COLLATE "C" NOT NULL CHECK (layer <> ''),
    area_id      text COLLATE "C" NOT NULL CHECK (area_id <> ''),
    kind         text COLLATE "C" NOT NULL CHECK (kind <> ''),
    name         text NOT NULL CHECK (name <> ''),
    phone        text NOT NULL DEFAULT '',
    email        text NOT NULL DEFAULT '',
    address      text NOT NULL DEFAULT '',
    url          text NOT NULL DEFAULT '',
    hours        text NOT NULL DEFAULT '',
    PRIMARY KEY (jurisdiction, layer, area_id, kind)
);
