-- geo311 SQLite schema version 8: one index fewer on requests, as the
-- PostGIS store's migration 0008. A sector is derived from its beat (the
-- sector id is the beat id's first characters), so the rows of sector X
-- are, but for exceptions, the rows whose beat starts with X, which
-- requests_beat holds in one key range. The sector filter reads that range
-- (beat >= X AND beat < X's successor, then sector = X) and, for the rows
-- whose sector is not a prefix of their beat (a sector without a beat, or
-- one imported from elsewhere), this partial index, which holds only
-- those: empty in a city that routes its sectors, so a bulk import keeps it
-- instead of building requests_sector over every row (about a second of a
-- million-row import), and an intake inserts into one index fewer.
--
-- "Not a prefix" compares bytes (the BLOB casts: substr and length count
-- bytes of a BLOB, characters of a TEXT), as the beat range does (BINARY
-- collation, memcmp order), so the two parts of the filter are exact
-- complements whatever the ids hold. substr of an empty BLOB is NULL, hence
-- beat = '' apart. A query uses the index only if its WHERE repeats this
-- condition (filter.go, sectorIrregularWhere).
CREATE INDEX requests_sector_irregular ON requests (sector, requested_at)
    WHERE sector <> '' AND (beat = '' OR substr(CAST(beat AS BLOB), 1, length(CAST(sector AS BLOB))) <> CAST(sector AS BLOB));
DROP INDEX requests_sector;
