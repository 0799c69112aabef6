-- geo311 SQLite schema version 1: boundary generations and their areas.
--
-- Conventions for every table (keep them when adding tables):
--   * STRICT tables; TEXT ids compared byte-wise (default BINARY collation).
--   * Instants are TEXT in UTC with a fixed width, 'YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ',
--     so that text order is time order and a human can read them in the sqlite3 shell.
--   * Booleans are INTEGER 0/1 with a CHECK.
--   * Geometry is a WKB blob (little-endian, WGS84 lon/lat); free-form key/value
--     properties are a JSON object in TEXT.

CREATE TABLE boundary_generations (
    id             TEXT    NOT NULL PRIMARY KEY CHECK (id <> ''),
    layer          TEXT    NOT NULL CHECK (layer GLOB '[a-z]*'),
    effective_from TEXT    NOT NULL CHECK (effective_from GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]Z'),
    active         INTEGER NOT NULL DEFAULT 0 CHECK (active IN (0, 1)),
    source         TEXT    NOT NULL DEFAULT '',
    loaded_at      TEXT    NOT NULL CHECK (loaded_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]Z'),
    area_count     INTEGER NOT NULL CHECK (area_count > 0)
) STRICT;

-- The listing order of Generations and ActiveGenerations.
CREATE INDEX boundary_generations_order ON boundary_generations (layer, effective_from, id);

CREATE TABLE boundary_areas (
    generation_id TEXT NOT NULL REFERENCES boundary_generations (id) ON DELETE CASCADE,
    area_id       TEXT NOT NULL CHECK (area_id <> ''),
    name          TEXT NOT NULL DEFAULT '',
    properties    TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(properties) AND json_type(properties) = 'object'),
    geometry      BLOB NOT NULL CHECK (length(geometry) >= 9),
    PRIMARY KEY (generation_id, area_id)
) STRICT;
