-- ==================== tags: audiences ====================

CREATE TABLE @extschema@.audience (
    name text PRIMARY KEY,
    base text NOT NULL,
    expression text NOT NULL,
    snapshot date,
    description text,
    created_by name NOT NULL DEFAULT current_user,
    created timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE @extschema@.audience IS 'Saved audiences: a named audience expression over the tags of a customer base, checked when saved by audience_save';
COMMENT ON COLUMN @extschema@.audience.name IS 'Name of the audience';
COMMENT ON COLUMN @extschema@.audience.base IS 'Customer base (of the key dictionary) whose tags the expression reads';
COMMENT ON COLUMN @extschema@.audience.expression IS 'Audience expression (without AS OF: the snapshot is its own column)';
COMMENT ON COLUMN @extschema@.audience.snapshot IS 'Snapshot the audience is fixed to; NULL means the latest snapshot of the base';
COMMENT ON COLUMN @extschema@.audience.description IS 'What the audience is for, for the people who use it';
COMMENT ON COLUMN @extschema@.audience.created_by IS 'Role that saved the audience';
COMMENT ON COLUMN @extschema@.audience.created IS 'When the audience was saved';

SELECT pg_catalog.pg_extension_config_dump('@extschema@.audience', '');

CREATE FUNCTION @extschema@.audience(base text, expression text, snapshot date DEFAULT NULL)
    RETURNS @extschema@.bitmap AS 'MODULE_PATHNAME', 'pp_audience'
    LANGUAGE C STABLE PARALLEL SAFE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.audience(text, text, date) IS 'The dictionary ids of the customers of an audience expression over the tag bitmaps of a base, at the snapshot of AS OF, of the snapshot argument, or else the latest';

CREATE FUNCTION @extschema@.audience_count(base text, expression text, snapshot date DEFAULT NULL)
    RETURNS bigint AS 'MODULE_PATHNAME', 'pp_audience_count'
    LANGUAGE C STABLE PARALLEL SAFE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.audience_count(text, text, date) IS 'The number of customers of an audience expression, from the tag bitmaps';

CREATE FUNCTION @extschema@.audience_members(base text, expression text, snapshot date DEFAULT NULL)
    RETURNS SETOF text
    LANGUAGE sql STABLE PARALLEL SAFE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
    ROWS 1000 AS $$
    SELECT d.key
    FROM @extschema@.bitmap_unnest(@extschema@.audience(audience_members.base, audience_members.expression,
                                                       audience_members.snapshot)) AS u(id)
    JOIN @extschema@.key_dictionary d ON d.base = audience_members.base AND d.id = u.id
    ORDER BY u.id
$$;
COMMENT ON FUNCTION @extschema@.audience_members(text, text, date) IS 'The customer keys of an audience expression (one join with the key dictionary, in id order), e.g. for COPY to a campaign tool';

CREATE FUNCTION @extschema@.audience_overlap(base text, expressions text[],
    OUT audiences integer[], OUT member_of boolean[], OUT customers bigint)
    RETURNS SETOF record AS 'MODULE_PATHNAME', 'pp_audience_overlap'
    LANGUAGE C STABLE PARALLEL SAFE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
    ROWS 16;
COMMENT ON FUNCTION @extschema@.audience_overlap(text, text[]) IS 'The Venn regions of up to 16 audience expressions: per non-empty region the audiences it is in (positions in the array), the same as one flag per audience, and its customers, who are in no other of the audiences';

CREATE FUNCTION @extschema@.audience_check(base text, expression text, snapshot date DEFAULT NULL)
    RETURNS bigint AS 'MODULE_PATHNAME', 'pp_audience_check'
    LANGUAGE C STABLE PARALLEL SAFE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.audience_check(text, text, date) IS 'Check an expression as audience_save does (it parses, its tags and values exist, it has no AS OF) and return its count; raises the error of an invalid one';

CREATE FUNCTION @extschema@.audience_save(name text, base text, expression text,
                                          snapshot date DEFAULT NULL, description text DEFAULT NULL)
    RETURNS bigint
    LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    customers bigint;
BEGIN
    IF name IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22004', MESSAGE = 'audience_save: name must not be NULL';
    END IF;
    customers := @extschema@.audience_check(base, expression, snapshot);
    INSERT INTO @extschema@.audience AS a (name, base, expression, snapshot, description)
    VALUES (audience_save.name, audience_save.base, audience_save.expression, audience_save.snapshot,
            audience_save.description)
    ON CONFLICT ON CONSTRAINT audience_pkey DO UPDATE
        SET base = excluded.base, expression = excluded.expression, snapshot = excluded.snapshot,
            description = excluded.description, created_by = current_user, created = now();
    RETURN customers;
END $$;
COMMENT ON FUNCTION @extschema@.audience_save(text, text, text, date, text) IS 'Save (or replace) a named audience after checking its expression against the tag library; returns its count at the snapshot';

CREATE FUNCTION @extschema@.audience_diff(base text, expression text, from_snapshot date, to_snapshot date,
    OUT change text, OUT customers bigint, OUT members @extschema@.bitmap)
    RETURNS SETOF record
    LANGUAGE plpgsql STABLE PARALLEL SAFE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
    ROWS 3 AS $$
DECLARE
    a @extschema@.bitmap;
    b @extschema@.bitmap;
BEGIN
    IF from_snapshot IS NULL OR to_snapshot IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22004', MESSAGE = 'audience_diff: from_snapshot and to_snapshot must not be NULL';
    END IF;
    a := @extschema@.audience(base, expression, from_snapshot);
    b := @extschema@.audience(base, expression, to_snapshot);
    RETURN QUERY
    SELECT c.change, @extschema@.bitmap_cardinality(c.members), c.members
    FROM (VALUES (1, 'entered', b OPERATOR(@extschema@.-) a),
                 (2, 'left', a OPERATOR(@extschema@.-) b),
                 (3, 'stayed', a OPERATOR(@extschema@.&) b)) AS c(o, change, members)
    ORDER BY c.o;
END $$;
COMMENT ON FUNCTION @extschema@.audience_diff(text, text, date, date) IS 'How an audience expression changed from one snapshot to another: the customers who entered, left and stayed, counts and bitmaps';

CREATE FUNCTION @extschema@.audience_saved(name text) RETURNS @extschema@.audience
    LANGUAGE plpgsql STABLE PARALLEL SAFE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    saved @extschema@.audience;
BEGIN
    IF name IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22004', MESSAGE = 'audience_saved: name must not be NULL';
    END IF;
    SELECT * INTO saved FROM @extschema@.audience a WHERE a.name = audience_saved.name;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = format('saved audience %L does not exist', name),
            HINT = 'Save it first with portrait.audience_save; portrait.audience lists the saved audiences.';
    END IF;
    RETURN saved;
END $$;
COMMENT ON FUNCTION @extschema@.audience_saved(text) IS 'The row of a saved audience (22023 if there is none of that name), e.g. to count it: SELECT portrait.audience_count(a.base, a.expression, a.snapshot) FROM portrait.audience_saved(''name'') a';

CREATE FUNCTION @extschema@.audience_diff(name text, from_snapshot date, to_snapshot date,
    OUT change text, OUT customers bigint, OUT members @extschema@.bitmap)
    RETURNS SETOF record
    LANGUAGE sql STABLE PARALLEL SAFE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
    ROWS 3 AS $$
    SELECT d.change, d.customers, d.members
    FROM @extschema@.audience_saved(audience_diff.name) AS a
    CROSS JOIN LATERAL @extschema@.audience_diff(a.base, a.expression, audience_diff.from_snapshot,
                                                 audience_diff.to_snapshot) AS d
$$;
COMMENT ON FUNCTION @extschema@.audience_diff(text, date, date) IS 'How a saved audience changed from one snapshot to another: the customers who entered, left and stayed, counts and bitmaps';

CREATE FUNCTION @extschema@.audience_diff_members(base text, expression text, from_snapshot date, to_snapshot date,
    OUT change text, OUT key text)
    RETURNS SETOF record
    LANGUAGE sql STABLE PARALLEL SAFE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
    ROWS 1000 AS $$
    SELECT c.change, d.key
    FROM @extschema@.audience_diff(audience_diff_members.base, audience_diff_members.expression,
                                   audience_diff_members.from_snapshot, audience_diff_members.to_snapshot) AS c
    CROSS JOIN LATERAL @extschema@.bitmap_unnest(c.members) AS u(id)
    JOIN @extschema@.key_dictionary d ON d.base = audience_diff_members.base AND d.id = u.id
    ORDER BY c.change, u.id
$$;
COMMENT ON FUNCTION @extschema@.audience_diff_members(text, text, date, date) IS 'The customer keys who entered, left and stayed in an audience expression from one snapshot to another';

CREATE FUNCTION @extschema@.audience_diff_members(name text, from_snapshot date, to_snapshot date,
    OUT change text, OUT key text)
    RETURNS SETOF record
    LANGUAGE sql STABLE PARALLEL SAFE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
    ROWS 1000 AS $$
    SELECT c.change, c.key
    FROM @extschema@.audience_saved(audience_diff_members.name) AS a
    CROSS JOIN LATERAL @extschema@.audience_diff_members(a.base, a.expression, audience_diff_members.from_snapshot,
                                                         audience_diff_members.to_snapshot) AS c
$$;
COMMENT ON FUNCTION @extschema@.audience_diff_members(text, date, date) IS 'The customer keys who entered, left and stayed in a saved audience from one snapshot to another';

CREATE FUNCTION @extschema@.audience_profile(base text, expression text, snapshot date DEFAULT NULL,
    OUT tag text, OUT value text, OUT audience_count bigint, OUT audience_share double precision,
    OUT population_count bigint, OUT population_share double precision, OUT tgi double precision,
    OUT tgi_low double precision, OUT tgi_high double precision, OUT z double precision,
    OUT effect_size double precision, OUT audience_mean double precision, OUT population_mean double precision)
    RETURNS SETOF record AS 'MODULE_PATHNAME', 'pp_audience_profile'
    LANGUAGE C STABLE PARALLEL SAFE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
    ROWS 100;
COMMENT ON FUNCTION @extschema@.audience_profile(text, text, date) IS 'The profile of an audience against the population of its snapshot on every tag value, from bitmap intersections: counts, shares, TGI with its 95% interval, z-score and Cohen''s h as tgi_table reports them';
