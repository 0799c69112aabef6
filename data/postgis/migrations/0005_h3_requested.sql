-- geo311 PostGIS schema version 5: the cell index carries the request time.
-- An intake's dedupe candidates are "these H3 cells, requested since a
-- window's start". With (h3) alone the planner, on a table whose statistics
-- lag its growth, ANDed a bitmap of requests_requested over the whole
-- window (every row of a young table: 1.4 ms per intake at 2,000 rows, and
-- a month of a large city's requests in production) with the cells' bitmap;
-- (h3, requested_at) answers the cells and the window from one index. It
-- replaces requests_h3, its prefix (as SQLite's migration 0004 did).
CREATE INDEX requests_h3_requested ON requests (h3, requested_at);
DROP INDEX requests_h3;
