-- Boundary generations and their areas.
CREATE EXTENSION IF NOT EXISTS postgis;

CREATE TABLE generations (
    id             text        PRIMARY KEY,
    layer          text        NOT NULL CHECK (layer ~ '^[a-z][a-z0-9_]{0,39}$'),
    effective_from timestamptz NOT NULL,
    active         boolean     NOT NULL DEFAULT false,
    source         text        NOT NULL DEFAULT '',
    loaded_at      timestamptz NOT NULL DEFAULT now()
);

-- The generation in force for a layer at a date.
CREATE INDEX generations_layer_from ON generations (layer, effective_from) WHERE active;

CREATE TABLE areas (
    generation_id text  NOT NULL REFERENCES generations (id) ON DELETE CASCADE,
    layer         text  NOT NULL,
    id            text  NOT NULL CHECK (id <> ''),
    name          text  NOT NULL DEFAULT '',
    properties    jsonb NOT NULL DEFAULT '{}',
    geom          geometry(MultiPolygon, 4326) NOT NULL,
    PRIMARY KEY (generation_id, id)
);

CREATE INDEX areas_geom ON areas USING gist (geom);
