-- geo311 PostGIS schema version 6: two indexes fewer, every filter still
-- indexed (TestQueryPlans). Both cost every write (an intake inserts into
-- each index; a duplicate's primary is updated non-HOT, so again) and the
-- bulk import's rebuild (26 s of index builds per million rows, of which
-- requests_areas took 5.3 s and requests_status 1.7 s).
--
-- requests_status duplicated requests_state: status is generated from
-- state, so a status filter is answered as state = ANY (the states of that
-- status) on (state, requested_at). The status column stays (SQL users and
-- the vector tiles read it).
DROP INDEX requests_status;

-- requests_areas indexed every routed area, although the well-known layers
-- (beat, sector, district, ward, community_area, precinct) are filtered on
-- their own indexed columns: only custom layers were ever looked up in it.
-- geo311_custom_areas(areas) is the array without the well-known layers
-- (the keys of areaColumns in codec.go; TestCustomAreasFunction checks
-- both agree), and the GIN index holds only the rows that have one. A
-- custom-layer filter is
--   geo311_custom_areas(r.areas) <> '[]' AND geo311_custom_areas(r.areas) @> '[{"layer": "x", "id": "y"}]'
-- The function is a single inlinable SQL expression, so the planner
-- matches the query's expression and the index's after inlining both.
CREATE FUNCTION geo311_custom_areas(areas jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT jsonb_path_query_array(areas,
        '$[*] ? (!(@.layer == "beat" || @.layer == "sector" || @.layer == "district" || @.layer == "ward" || @.layer == "community_area" || @.layer == "precinct"))')
$$;
CREATE INDEX requests_custom_areas ON requests USING gin (geo311_custom_areas(areas) jsonb_path_ops)
    WHERE geo311_custom_areas(areas) <> '[]'::jsonb;
DROP INDEX requests_areas;

-- The intake's candidates are "these H3 cells, requested since the dedupe
-- window's start". With the window as a plain requested_at >= start, both
-- (h3, requested_at) and requests_requested (requested_at, number) could
-- answer it, and on a table whose statistics predate its newest rows (a
-- service's first hours or days; the window lies past the histogram) the
-- planner estimated one row for the window and walked requests_requested
-- over every request of it, filtering the cells: 1,130 rows read for 9
-- kept at 6,000 requests, growing with the table. The window is now
-- written on requested_at AT TIME ZONE 'UTC' (immutable, order-preserving),
-- which only this index holds, so the cells' index is the one that can
-- answer the window whatever the statistics say.
CREATE INDEX requests_h3_window ON requests (h3, (requested_at AT TIME ZONE 'UTC'));
DROP INDEX requests_h3_requested;
