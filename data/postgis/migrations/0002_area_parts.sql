-- Areas cut into pieces of at most 64 vertices, for fast point-in-area tests.
-- ST_Covers on a whole ward (thousands of vertices, TOASTed) costs a detoast
-- and a walk over every vertex per call; on a piece it costs a few
-- microseconds. An area covers a point exactly when one of its pieces does
-- (the pieces are closed and their union is the area); invalid geometries,
-- which ST_Subdivide could alter, and small ones are kept whole.
CREATE TABLE area_parts (
    generation_id text NOT NULL,
    id            text NOT NULL,
    geom          geometry(Geometry, 4326) NOT NULL,
    FOREIGN KEY (generation_id, id) REFERENCES areas (generation_id, id) ON DELETE CASCADE
);

-- One GiST index over (generation_id, geom) (btree_gist): a lookup finds the
-- pieces of one generation under a point without visiting other
-- generations' pieces; it also serves the foreign key's cascade.
CREATE EXTENSION IF NOT EXISTS btree_gist;
CREATE INDEX area_parts_gen_geom ON area_parts USING gist (generation_id, geom);

CREATE FUNCTION geo311_area_parts(g geometry) RETURNS SETOF geometry
LANGUAGE plpgsql IMMUTABLE STRICT AS $$
DECLARE
    parts geometry[];
BEGIN
    IF ST_NPoints(g) <= 64 OR NOT ST_IsValid(g) THEN
        RETURN NEXT g;
        RETURN;
    END IF;
    BEGIN
        parts := ARRAY(SELECT ST_Subdivide(g, 64));
    EXCEPTION WHEN OTHERS THEN
        parts := ARRAY[g];
    END;
    RETURN QUERY SELECT unnest(parts);
END
$$;

INSERT INTO area_parts (generation_id, id, geom)
SELECT generation_id, id, geo311_area_parts(geom) FROM areas;
