-- geo311 SQLite schema version 6: bbox and near read a Z-order key of the
-- point from a plain index instead of an R*Tree.
--
-- requests_rtree took an R*Tree insert per request (node blobs rewritten,
-- three shadow tables), a fifth of an import of a million rows. zkey is
-- the Morton code of (lon, lat), each quantized to 31 bits over the globe
-- (zorder.go): a box is a few key ranges of requests_zkey, and the exact
-- lon/lat test follows as it did after the R*Tree. geo311_zkey is the
-- same Go function as the writers' (registered on every connection).

ALTER TABLE requests ADD COLUMN zkey INTEGER NOT NULL DEFAULT 0;
UPDATE requests SET zkey = geo311_zkey(lon, lat);
CREATE INDEX requests_zkey ON requests (zkey);

-- zkey is written with the row: the R*Tree and the triggers keeping it go.
DROP TRIGGER requests_ai;
DROP TRIGGER requests_au_point;
DROP TRIGGER requests_ad;
DROP TABLE requests_rtree;
CREATE TRIGGER requests_ai AFTER INSERT ON requests BEGIN
    INSERT OR IGNORE INTO request_areas (layer, area_id, request_id)
        SELECT value ->> 'layer', value ->> 'id', NEW.id FROM json_each(NEW.areas)
        WHERE value ->> 'layer' NOT IN ('beat', 'sector', 'district', 'ward', 'community_area', 'precinct');
END;
