-- geo311 SQLite schema version 5: the well-known layers' areas are columns
-- of requests with an index each, as in the PostGIS store; request_areas
-- keeps only the custom layers.
--
-- request_areas held a row per (layer, area, request), about six per
-- request: two B-trees of six million entries for a million requests,
-- inserted in no useful order, the largest single cost of an import. A
-- column per layer holds the id of the request's first area of that layer
-- (in areas order, as PostGIS's layerColumns), '' if it has none; a
-- partial index (column, requested_at) per layer leaves out the requests
-- without one (Minneapolis has no beats, Chicago no precincts) and answers
-- "area X, newest first" in index order. An area filter on a well-known
-- layer compares the column (so, as on PostGIS, a second area of the same
-- layer in one request is not indexed); the areas JSON stays the stored
-- list that reads return.

ALTER TABLE requests ADD COLUMN beat           TEXT NOT NULL DEFAULT '';
ALTER TABLE requests ADD COLUMN sector         TEXT NOT NULL DEFAULT '';
ALTER TABLE requests ADD COLUMN district       TEXT NOT NULL DEFAULT '';
ALTER TABLE requests ADD COLUMN ward           TEXT NOT NULL DEFAULT '';
ALTER TABLE requests ADD COLUMN community_area TEXT NOT NULL DEFAULT '';
ALTER TABLE requests ADD COLUMN precinct       TEXT NOT NULL DEFAULT '';

-- The rows written before: the first area of each layer, in array order.
UPDATE requests SET
    beat           = coalesce((SELECT value ->> 'id' FROM json_each(areas) WHERE value ->> 'layer' = 'beat' ORDER BY key LIMIT 1), ''),
    sector         = coalesce((SELECT value ->> 'id' FROM json_each(areas) WHERE value ->> 'layer' = 'sector' ORDER BY key LIMIT 1), ''),
    district       = coalesce((SELECT value ->> 'id' FROM json_each(areas) WHERE value ->> 'layer' = 'district' ORDER BY key LIMIT 1), ''),
    ward           = coalesce((SELECT value ->> 'id' FROM json_each(areas) WHERE value ->> 'layer' = 'ward' ORDER BY key LIMIT 1), ''),
    community_area = coalesce((SELECT value ->> 'id' FROM json_each(areas) WHERE value ->> 'layer' = 'community_area' ORDER BY key LIMIT 1), ''),
    precinct       = coalesce((SELECT value ->> 'id' FROM json_each(areas) WHERE value ->> 'layer' = 'precinct' ORDER BY key LIMIT 1), '')
WHERE areas <> '[]';

CREATE INDEX requests_beat           ON requests (beat, requested_at)           WHERE beat <> '';
CREATE INDEX requests_sector         ON requests (sector, requested_at)         WHERE sector <> '';
CREATE INDEX requests_district       ON requests (district, requested_at)       WHERE district <> '';
CREATE INDEX requests_ward           ON requests (ward, requested_at)           WHERE ward <> '';
CREATE INDEX requests_community_area ON requests (community_area, requested_at) WHERE community_area <> '';
CREATE INDEX requests_precinct       ON requests (precinct, requested_at)       WHERE precinct <> '';

DELETE FROM request_areas WHERE layer IN ('beat', 'sector', 'district', 'ward', 'community_area', 'precinct');

-- The triggers keep request_areas for the other layers only; the columns
-- are written with the row.
DROP TRIGGER requests_ai;
DROP TRIGGER requests_au_areas;
CREATE TRIGGER requests_ai AFTER INSERT ON requests BEGIN
    INSERT INTO requests_rtree (id, min_lon, max_lon, min_lat, max_lat) VALUES (NEW.id, NEW.lon, NEW.lon, NEW.lat, NEW.lat);
    INSERT OR IGNORE INTO request_areas (layer, area_id, request_id)
        SELECT value ->> 'layer', value ->> 'id', NEW.id FROM json_each(NEW.areas)
        WHERE value ->> 'layer' NOT IN ('beat', 'sector', 'district', 'ward', 'community_area', 'precinct');
END;
CREATE TRIGGER requests_au_areas AFTER UPDATE OF areas ON requests
WHEN OLD.areas IS NOT NEW.areas BEGIN
    DELETE FROM request_areas WHERE request_id = NEW.id;
    INSERT OR IGNORE INTO request_areas (layer, area_id, request_id)
        SELECT value ->> 'layer', value ->> 'id', NEW.id FROM json_each(NEW.areas)
        WHERE value ->> 'layer' NOT IN ('beat', 'sector', 'district', 'ward', 'community_area', 'precinct');
END;
