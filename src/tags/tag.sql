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

CREATE FUNCTION @extschema@.build_tags(base text, profile regclass, key_column text,
                                       snapshot date DEFAULT current_date, keep_snapshots integer DEFAULT NULL)
    RETURNS bigint
    LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    terms text;
    names text[];
    written bigint;
BEGIN
    IF base IS NULL OR profile IS NULL OR key_column IS NULL OR snapshot IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22004', MESSAGE = 'build_tags: base, profile, key_column and snapshot must not be NULL';
    END IF;
    IF keep_snapshots IS NOT NULL AND keep_snapshots < 1 THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'build_tags: keep_snapshots must be at least 1';
    END IF;
    -- one (tag, value) term per boolean or categorical tag whose column the profile has
    SELECT string_agg(CASE t.value_type
                          WHEN 'boolean' THEN format('(%L, CASE WHEN p.%I THEN ''true'' END)', t.name, t.source_column)
                          ELSE format('(%L, p.%I::text)', t.name, t.source_column) END, ', ' ORDER BY t.name),
           array_agg(t.name)
      INTO terms, names
      FROM @extschema@.tag t
     WHERE t.value_type IN ('boolean', 'categorical')
       AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = profile AND a.attname = t.source_column
                   AND a.attnum > 0 AND NOT a.attisdropped);
    IF terms IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = format('build_tags: no boolean or categorical tag is built from a column of %s', profile),
            HINT = 'Define tags in portrait.tag whose source_column is a column of the profile table.';
    END IF;
    EXECUTE format('SELECT @extschema@.dictionary_assign($1, array_agg(p.%I::text)) FROM %s p', key_column, profile) USING base;
    DELETE FROM @extschema@.tag_bitmap b WHERE b.base = build_tags.base AND b.snapshot = build_tags.snapshot
        AND b.tag = ANY (names);
    -- one pass over the profile: every row gives one (tag, value) per tag
    EXECUTE format('INSERT INTO @extschema@.tag_bitmap (base, tag, value, snapshot, members)
                    SELECT $1, v.tag, v.value, $2, @extschema@.bitmap_agg(d.id)
                    FROM %s p
                    JOIN @extschema@.key_dictionary d ON d.base = $1 AND d.key = p.%I::text
                    CROSS JOIN LATERAL (VALUES %s) AS v(tag, value)
                    WHERE v.value IS NOT NULL
                    GROUP BY v.tag, v.value', profile, key_column, terms)
        USING base, snapshot;
    GET DIAGNOSTICS written = ROW_COUNT;
    EXECUTE format('INSERT INTO @extschema@.tag_snapshot AS t (base, snapshot, members)
                    SELECT $1, $2, @extschema@.bitmap_agg(d.id)
                    FROM %s p
                    JOIN @extschema@.key_dictionary d ON d.base = $1 AND d.key = p.%I::text
                    ON CONFLICT (base, snapshot) DO UPDATE SET members = excluded.members, built = now()',
                   profile, key_column)
        USING base, snapshot;
    IF keep_snapshots IS NOT NULL THEN
        DELETE FROM @extschema@.tag_bitmap b
         WHERE b.base = build_tags.base
           AND b.snapshot < ALL (SELECT s.snapshot FROM (SELECT DISTINCT c.snapshot FROM @extschema@.tag_bitmap c
                                                          WHERE c.base = build_tags.base
                                                          ORDER BY c.snapshot DESC LIMIT keep_snapshots) s);
        DELETE FROM @extschema@.tag_snapshot t
         WHERE t.base = build_tags.base
           AND t.snapshot < ALL (SELECT c.snapshot FROM @extschema@.tag_snapshot c
                                  WHERE c.base = build_tags.base
                                  ORDER BY c.snapshot DESC LIMIT keep_snapshots);
    END IF;
    RETURN written;
END $$;
COMMENT ON FUNCTION @extschema@.build_tags(text, regclass, text, date, integer) IS 'Build the bitmaps of every boolean and categorical tag of the library from a profile table in one pass (ids from the key dictionary, assigned first), as the snapshot of a date; keep_snapshots drops older snapshots of the base';
