-- geo311 SQLite schema version 4: the cell index carries the request time.
-- An intake's dedupe candidates are "these H3 cells, requested since a
-- day": with (h3) alone SQLite, having no statistics, preferred walking
-- requests_status over every open request of the window; (h3, requested_at)
-- answers the cells and the window from the index. It replaces requests_h3,
-- its prefix.
CREATE INDEX requests_h3_requested ON requests (h3, requested_at);
DROP INDEX requests_h3;
