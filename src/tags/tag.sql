-- ==================== tags: tag library and its bitmaps ====================

CREATE TABLE @extschema@.tag (
    name text PRIMARY KEY,
    category text[] NOT NULL DEFAULT '{}',
    value_type text NOT NULL CHECK (value_type IN ('boolean', 'categorical', 'numeric')),
    scale integer NOT NULL DEFAULT 2 CHECK (scale BETWEEN 0 AND 12),
    description text,
    source_column text NOT NULL,
    owner name NOT NULL DEFAULT current_user,
    created timestamptz NOT NULL DEFAULT now(),
    updated timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE @extschema@.tag IS 'The tag library: one row per tag, read by build_tags and by BI tools';
COMMENT ON COLUMN @extschema@.tag.name IS 'Tag name, as audience expressions write it';
COMMENT ON COLUMN @extschema@.tag.category IS 'Category path from the root, e.g. {value,RFM}';
COMMENT ON COLUMN @extschema@.tag.value_type IS 'boolean (a bitmap of the true rows), categorical (a bitmap per value) or numeric';
COMMENT ON COLUMN @extschema@.tag.scale IS 'Decimal digits a numeric tag keeps: values are rounded to them (half away from zero) when the tag is built';
COMMENT ON COLUMN @extschema@.tag.description IS 'What the tag means, for the people who use it';
COMMENT ON COLUMN @extschema@.tag.source_column IS 'Column of the profile table the tag is built from';
COMMENT ON COLUMN @extschema@.tag.owner IS 'Role responsible for the tag';
COMMENT ON COLUMN @extschema@.tag.created IS 'When the tag was defined';
COMMENT ON COLUMN @extschema@.tag.updated IS 'When the definition last changed';

CREATE TABLE @extschema@.tag_bitmap (
    base text NOT NULL,
    tag text NOT NULL,
    value text NOT NULL,
    snapshot date NOT NULL,
    members @extschema@.bitmap NOT NULL,
    PRIMARY KEY (base, tag, value, snapshot)
);
COMMENT ON TABLE @extschema@.tag_bitmap IS 'Members of each tag value per customer base and snapshot, as bitmaps of key_dictionary ids';
COMMENT ON COLUMN @extschema@.tag_bitmap.base IS 'Customer base (of the key dictionary)';
COMMENT ON COLUMN @extschema@.tag_bitmap.tag IS 'Tag name';
COMMENT ON COLUMN @extschema@.tag_bitmap.value IS 'Tag value in text form (true for a boolean tag)';
COMMENT ON COLUMN @extschema@.tag_bitmap.snapshot IS 'Date of the build';
COMMENT ON COLUMN @extschema@.tag_bitmap.members IS 'Dictionary ids of the customers with this value';

CREATE TABLE @extschema@.tag_snapshot (
    base text NOT NULL,
    snapshot date NOT NULL,
    members @extschema@.bitmap NOT NULL,
    built timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (base, snapshot)
);
COMMENT ON TABLE @extschema@.tag_snapshot IS 'The population of each snapshot of a customer base: every customer of the profile the tags were built from (the universe of NOT in audiences)';
COMMENT ON COLUMN @extschema@.tag_snapshot.base IS 'Customer base (of the key dictionary)';
COMMENT ON COLUMN @extschema@.tag_snapshot.snapshot IS 'Date of the build';
COMMENT ON COLUMN @extschema@.tag_snapshot.members IS 'Dictionary ids of every customer of the profile at the build';
COMMENT ON COLUMN @extschema@.tag_snapshot.built IS 'When the snapshot was last built';

CREATE TABLE @extschema@.tag_numeric (
    base text NOT NULL,
    tag text NOT NULL,
    snapshot date NOT NULL,
    members @extschema@.bsi NOT NULL,
    PRIMARY KEY (base, tag, snapshot)
);
COMMENT ON TABLE @extschema@.tag_numeric IS 'Values of each numeric tag per customer base and snapshot, as a bit-sliced index over key_dictionary ids';
COMMENT ON COLUMN @extschema@.tag_numeric.base IS 'Customer base (of the key dictionary)';
COMMENT ON COLUMN @extschema@.tag_numeric.tag IS 'Tag name';
COMMENT ON COLUMN @extschema@.tag_numeric.snapshot IS 'Date of the build';
COMMENT ON COLUMN @extschema@.tag_numeric.members IS 'Values of the customers, at the tag''s scale';

SELECT pg_catalog.pg_extension_config_dump('@extschema@.tag', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.tag_numeric', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.tag_snapshot', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.tag_bitmap', '');

-- Roaring blobs do not compress: keep them out of line, uncompressed, so
-- writing and reading a bitmap spends no time in pglz
ALTER TABLE @extschema@.tag_bitmap ALTER COLUMN members SET STORAGE EXTERNAL;
ALTER TABLE @extschema@.tag_snapshot ALTER COLUMN members SET STORAGE EXTERNAL;
ALTER TABLE @extschema@.tag_numeric ALTER COLUMN members SET STORAGE EXTERNAL;

CREATE FUNCTION @extschema@.build_tags(base text, profile regclass, key_column text,
                                       snapshot date DEFAULT current_date, keep_snapshots integer DEFAULT NULL)
    RETURNS bigint
    AS 'MODULE_PATHNAME', 'pp_build_tags'
    LANGUAGE C VOLATILE PARALLEL UNSAFE SECURITY INVOKER;
COMMENT ON FUNCTION @extschema@.build_tags(text, regclass, text, date, integer) IS 'Build every tag of the library whose column the profile table has, in one pass over it: a bitmap per value of each boolean and categorical tag, a bit-sliced index per numeric tag, and the population, as the snapshot of a date (new keys get dictionary ids); keep_snapshots drops older snapshots of the base; returns the bitmaps and indexes written';

CREATE FUNCTION @extschema@.build_tags(base text, source text, key_column text,
                                       snapshot date DEFAULT current_date, keep_snapshots integer DEFAULT NULL)
    RETURNS bigint
    AS 'MODULE_PATHNAME', 'pp_build_tags_source'
    LANGUAGE C VOLATILE PARALLEL UNSAFE SECURITY INVOKER;
COMMENT ON FUNCTION @extschema@.build_tags(text, text, text, date, integer) IS 'build_tags from a source given as text: the name of a table or view, or a single query (SELECT, VALUES, TABLE, WITH ... SELECT) whose columns are the key and the tag columns';
