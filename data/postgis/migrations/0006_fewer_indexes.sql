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
-- both agree), and the GIN index holds only the rows that may have one:
-- geo311_has_custom_areas is true when areas lists more entries than the
-- row has well-known columns set (each set column stands for at least one
-- entry of its layer, so a row with a custom area always passes; a row
-- listing two areas of one well-known layer passes too, harmlessly). It
-- reads the array's length and six columns, where evaluating the jsonpath
-- on every row made the index build of a million rows take 5.7 s.
-- A custom-layer filter is
--   geo311_has_custom_areas(r.areas, r.beat, ...) AND geo311_custom_areas(r.areas) @> '[{"layer": "x", "id": "y"}]'
-- Both functions are single inlinable SQL expressions, so the planner
-- matches the query's expressions and the index's after inlining both.
CREATE FUNCTION geo311_custom_areas(areas jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT jsonb_path_query_array(areas,
        '$[*] ? (!(@.layer == "beat" || @.layer == "sector" || @.layer == "district" || @.layer == "ward" || @.layer == "community_area" || @.layer == "precinct"))')
$$;
CREATE FUNCTION geo311_has_custom_areas(areas jsonb, beat text, sector text, district text, ward text, community_area text, precinct text)
RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE jsonb_typeof(areas) WHEN 'array' THEN jsonb_array_length(areas) ELSE 0 END
        > (beat <> '')::int + (sector <> '')::int + (district <> '')::int + (ward <> '')::int
          + (community_area <> '')::int + (precinct <> '')::int
$$;
CREATE INDEX requests_custom_areas ON requests USING gin (geo311_custom_areas(areas) jsonb_path_ops)
    WHERE geo311_has_custom_areas(areas, beat, sector, district, ward, community_area, precinct);
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
