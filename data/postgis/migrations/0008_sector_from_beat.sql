-- geo311 PostGIS schema version 8: one index fewer on requests. A sector
-- is derived from its beat (doc.go, "A derived layer"): the sector id is the
-- beat id's first characters, so the rows of sector X are the rows whose
-- beat starts with X, which requests_beat holds in one key range. The
-- sector filter reads that range (beat >= X AND beat < X's successor, then
-- sector = X) and, for rows whose sector is not a prefix of their beat
-- (a sector without a beat, or imported from elsewhere), a partial index
-- that holds only those: empty in a city that routes its sectors, so a bulk
-- import keeps it (no row of its first chunk belongs to it) instead of
-- building a sector index over every row, and an intake inserts into one
-- index fewer.
CREATE INDEX requests_sector_irregular ON requests (sector, requested_at)
    WHERE sector <> '' AND NOT starts_with(beat, sector);
DROP INDEX requests_sector;
