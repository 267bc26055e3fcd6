
-- ==================== tgi: segment profiles ====================

-- ---------- types ----------

CREATE TYPE @extschema@.profile;

CREATE FUNCTION @extschema@.profile_in(cstring) RETURNS @extschema@.profile
    AS 'MODULE_PATHNAME', 'pp_profile_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.profile_in(cstring) IS 'Text input of portrait.profile';

CREATE FUNCTION @extschema@.profile_out(@extschema@.profile) RETURNS cstring
    AS 'MODULE_PATHNAME', 'pp_profile_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.profile_out(@extschema@.profile) IS 'Text output of portrait.profile';

CREATE TYPE @extschema@.profile (
    INPUT = @extschema@.profile_in,
    OUTPUT = @extschema@.profile_out,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = int4,
    STORAGE = extended
);
COMMENT ON TYPE @extschema@.profile IS 'Attribute profile of a group and its population: value counts of text attributes, count/mean/M2 of numeric ones (state and result of tgi, profile_agg, profile_merge)';

-- ---------- functions ----------

CREATE FUNCTION @extschema@.tgi_trans(@extschema@.profile, boolean, jsonb)
    RETURNS @extschema@.profile AS 'MODULE_PATHNAME', 'pp_tgi_trans'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.tgi_trans(@extschema@.profile, boolean, jsonb) IS 'Transition function of tgi';

CREATE FUNCTION @extschema@.tgi_trans(@extschema@.profile, boolean, record)
    RETURNS @extschema@.profile AS 'MODULE_PATHNAME', 'pp_tgi_trans_record'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.tgi_trans(@extschema@.profile, boolean, record) IS 'Transition function of tgi over a record';

CREATE FUNCTION @extschema@.tgi_trans(@extschema@.profile, boolean, record, text[])
    RETURNS @extschema@.profile AS 'MODULE_PATHNAME', 'pp_tgi_trans_record'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.tgi_trans(@extschema@.profile, boolean, record, text[]) IS 'Transition function of tgi over a record with attribute names';

CREATE FUNCTION @extschema@.profile_agg_trans(@extschema@.profile, record)
    RETURNS @extschema@.profile AS 'MODULE_PATHNAME', 'pp_profile_agg_trans_record'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.profile_agg_trans(@extschema@.profile, record) IS 'Transition function of profile_agg over a record';

CREATE FUNCTION @extschema@.profile_agg_trans(@extschema@.profile, record, text[])
    RETURNS @extschema@.profile AS 'MODULE_PATHNAME', 'pp_profile_agg_trans_record'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.profile_agg_trans(@extschema@.profile, record, text[]) IS 'Transition function of profile_agg over a record with attribute names';

CREATE FUNCTION @extschema@.profile_agg_trans(@extschema@.profile, jsonb)
    RETURNS @extschema@.profile AS 'MODULE_PATHNAME', 'pp_profile_agg_trans'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.profile_agg_trans(@extschema@.profile, jsonb) IS 'Transition function of profile_agg';

CREATE FUNCTION @extschema@.profile_combine(@extschema@.profile, @extschema@.profile)
    RETURNS @extschema@.profile AS 'MODULE_PATHNAME', 'pp_profile_combine'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.profile_combine(@extschema@.profile, @extschema@.profile) IS 'Combine function of tgi, profile_agg and profile_merge (adds two profiles)';

CREATE FUNCTION @extschema@.tgi_table(profile @extschema@.profile, min_count bigint DEFAULT 0,
    OUT attribute text, OUT value text, OUT group_count bigint, OUT group_share double precision,
    OUT population_count bigint, OUT population_share double precision, OUT tgi double precision,
    OUT tgi_low double precision, OUT tgi_high double precision, OUT z double precision, OUT effect_size double precision,
    OUT group_mean double precision, OUT population_mean double precision)
    RETURNS SETOF record AS 'MODULE_PATHNAME', 'pp_tgi_table'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 50;
COMMENT ON FUNCTION @extschema@.tgi_table(@extschema@.profile, bigint) IS 'The group of a tgi() profile against all its rows: per attribute value its counts, shares, TGI with its 95% interval, z-score and Cohen''s h; per numeric attribute the means and Cohen''s d; rows with fewer than min_count group rows left out';

CREATE FUNCTION @extschema@.tgi_table(grp @extschema@.profile, population @extschema@.profile, min_count bigint DEFAULT 0,
    OUT attribute text, OUT value text, OUT group_count bigint, OUT group_share double precision,
    OUT population_count bigint, OUT population_share double precision, OUT tgi double precision,
    OUT tgi_low double precision, OUT tgi_high double precision, OUT z double precision, OUT effect_size double precision,
    OUT group_mean double precision, OUT population_mean double precision)
    RETURNS SETOF record AS 'MODULE_PATHNAME', 'pp_tgi_table_population'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 50;
COMMENT ON FUNCTION @extschema@.tgi_table(@extschema@.profile, @extschema@.profile, bigint) IS 'A group''s profile (e.g. profile_agg per segment) against its population''s (e.g. profile_merge of all segments): the same columns as tgi_table(profile)';

CREATE FUNCTION @extschema@.profile_label(profile @extschema@.profile, terms integer DEFAULT 3, min_count bigint DEFAULT 0)
    RETURNS text AS 'MODULE_PATHNAME', 'pp_profile_label'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.profile_label(@extschema@.profile, integer, bigint) IS 'Short label of the group of a tgi() profile from its strongest differences (Cohen''s d of numbers, Cohen''s h of over-represented values), e.g. "very high monetary, high city_tier=tier1"';

CREATE FUNCTION @extschema@.profile_label(grp @extschema@.profile, population @extschema@.profile, terms integer DEFAULT 3, min_count bigint DEFAULT 0)
    RETURNS text AS 'MODULE_PATHNAME', 'pp_profile_label_population'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.profile_label(@extschema@.profile, @extschema@.profile, integer, bigint) IS 'Short label of a group''s profile against its population''s from the strongest differences';

CREATE FUNCTION @extschema@.tgi_value(part double precision, total double precision,
                                      population_part double precision, population_total double precision)
    RETURNS double precision
    AS 'MODULE_PATHNAME', 'pp_tgi_value' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.tgi_value(double precision, double precision, double precision, double precision) IS 'TGI of a share against the population''s: 100 * (part / total) / (population_part / population_total), for counts or weights; NULL when undefined (total or population_part 0)';

-- ---------- aggregates ----------

CREATE AGGREGATE @extschema@.tgi(in_group boolean, attrs jsonb) (
    SFUNC = @extschema@.tgi_trans, STYPE = @extschema@.profile,
    COMBINEFUNC = @extschema@.profile_combine, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.tgi(boolean, jsonb) IS 'Profile of the rows where in_group is true against all rows, for every attribute of attrs (text: value counts, numbers: moments) in one pass; read it with tgi_table and profile_label';

CREATE AGGREGATE @extschema@.tgi(in_group boolean, attrs record) (
    SFUNC = @extschema@.tgi_trans, STYPE = @extschema@.profile,
    COMBINEFUNC = @extschema@.profile_combine, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.tgi(boolean, record) IS 'Profile of the rows where in_group is true against all rows, the columns of attrs being the attributes (numbers: moments, other types: value counts); the fast form of tgi(boolean, jsonb)';

CREATE AGGREGATE @extschema@.profile_agg(attrs record) (
    SFUNC = @extschema@.profile_agg_trans, STYPE = @extschema@.profile,
    COMBINEFUNC = @extschema@.profile_combine, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.profile_agg(record) IS 'Profile of the rows for every column of attrs (e.g. one segment with GROUP BY segment); the fast form of profile_agg(jsonb)';

CREATE AGGREGATE @extschema@.tgi(in_group boolean, attrs record, names text[]) (
    SFUNC = @extschema@.tgi_trans, STYPE = @extschema@.profile,
    COMBINEFUNC = @extschema@.profile_combine, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.tgi(boolean, record, text[]) IS 'tgi(in_group, attrs record) with the attributes named by names, one per column (the record form for distributed tables, whose plans drop column names)';

CREATE AGGREGATE @extschema@.profile_agg(attrs record, names text[]) (
    SFUNC = @extschema@.profile_agg_trans, STYPE = @extschema@.profile,
    COMBINEFUNC = @extschema@.profile_combine, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.profile_agg(record, text[]) IS 'profile_agg(attrs record) with the attributes named by names, one per column (the record form for distributed tables, whose plans drop column names)';

CREATE AGGREGATE @extschema@.profile_agg(attrs jsonb) (
    SFUNC = @extschema@.profile_agg_trans, STYPE = @extschema@.profile,
    COMBINEFUNC = @extschema@.profile_combine, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.profile_agg(jsonb) IS 'Profile of the rows (e.g. one segment with GROUP BY segment) for every attribute of attrs';

CREATE AGGREGATE @extschema@.profile_merge(@extschema@.profile) (
    SFUNC = @extschema@.profile_combine, STYPE = @extschema@.profile,
    COMBINEFUNC = @extschema@.profile_combine, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.profile_merge(@extschema@.profile) IS 'Sum of profiles: the population of per-segment profiles';
