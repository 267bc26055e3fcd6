-- pg_portrait: customer profiling in SQL.
-- Assembled from src/*.sql by the Makefile; edit those files, not the result.

\echo Use "CREATE EXTENSION pg_portrait" to load this file. \quit

-- Every role may use the extension: functions run with the caller's rights
-- (SECURITY INVOKER), so this grants nothing the caller could not do already.
GRANT USAGE ON SCHEMA @extschema@ TO PUBLIC;

-- ==================== model: the one model type ====================

CREATE TYPE @extschema@.model;

CREATE FUNCTION @extschema@.model_in(cstring) RETURNS @extschema@.model
    AS 'MODULE_PATHNAME', 'pp_model_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.model_in(cstring) IS 'Text input of portrait.model: a JSON object with "kind", "format" and the kind''s fields';

CREATE FUNCTION @extschema@.model_out(@extschema@.model) RETURNS cstring
    AS 'MODULE_PATHNAME', 'pp_model_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.model_out(@extschema@.model) IS 'Text output of portrait.model: JSON that reads back to the identical model';

CREATE FUNCTION @extschema@.model_recv(internal) RETURNS @extschema@.model
    AS 'MODULE_PATHNAME', 'pp_model_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.model_recv(internal) IS 'Binary input of portrait.model (validated like text input)';

CREATE FUNCTION @extschema@.model_send(@extschema@.model) RETURNS bytea
    AS 'MODULE_PATHNAME', 'pp_model_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.model_send(@extschema@.model) IS 'Binary output of portrait.model';

CREATE TYPE @extschema@.model (
    INPUT = @extschema@.model_in,
    OUTPUT = @extschema@.model_out,
    RECEIVE = @extschema@.model_recv,
    SEND = @extschema@.model_send,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = double,
    STORAGE = extended
);
COMMENT ON TYPE @extschema@.model IS 'A fitted pg_portrait model (RFM breaks, k-means, BG/NBD, ...): compact binary inside, JSON as text';

CREATE FUNCTION @extschema@.model_kind(@extschema@.model) RETURNS text
    AS 'MODULE_PATHNAME', 'pp_model_kind' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.model_kind(@extschema@.model) IS 'The kind of a model: rfm, kmeans, bgnbd, gamma_gamma or logit';

CREATE FUNCTION @extschema@.model_to_jsonb(@extschema@.model) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'pp_model_to_jsonb' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.model_to_jsonb(@extschema@.model) IS 'A model as jsonb, for BI tools and jsonb operators';

CREATE CAST (@extschema@.model AS jsonb) WITH FUNCTION @extschema@.model_to_jsonb(@extschema@.model);
COMMENT ON CAST (@extschema@.model AS jsonb) IS 'A model as jsonb (the same document as its text form)';

-- ==================== points: collected-rows aggregate state ====================

CREATE TYPE @extschema@.points;

CREATE FUNCTION @extschema@.points_in(cstring) RETURNS @extschema@.points
    AS 'MODULE_PATHNAME', 'pp_points_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.points_in(cstring) IS 'Text input of portrait.points (dim;param;n;values)';

CREATE FUNCTION @extschema@.points_out(@extschema@.points) RETURNS cstring
    AS 'MODULE_PATHNAME', 'pp_points_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.points_out(@extschema@.points) IS 'Text output of portrait.points';

CREATE TYPE @extschema@.points (
    INPUT = @extschema@.points_in,
    OUTPUT = @extschema@.points_out,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = double,
    STORAGE = extended
);
COMMENT ON TYPE @extschema@.points IS 'Aggregate state holding every input row of a fit (movable between nodes as text)';

-- ==================== rfm: summaries, breaks, scores, segments ====================

-- ---------- types ----------

CREATE TYPE @extschema@.rfm_state;

CREATE FUNCTION @extschema@.rfm_state_in(cstring) RETURNS @extschema@.rfm_state
    AS 'MODULE_PATHNAME', 'pp_rfm_state_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.rfm_state_in(cstring) IS 'Text input of the rfm_summary aggregate state';

CREATE FUNCTION @extschema@.rfm_state_out(@extschema@.rfm_state) RETURNS cstring
    AS 'MODULE_PATHNAME', 'pp_rfm_state_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.rfm_state_out(@extschema@.rfm_state) IS 'Text output of the rfm_summary aggregate state';

CREATE TYPE @extschema@.rfm_state (
    INPUT = @extschema@.rfm_state_in,
    OUTPUT = @extschema@.rfm_state_out,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = double,
    STORAGE = extended
);
COMMENT ON TYPE @extschema@.rfm_state IS 'State of rfm_summary: counts, sums and distinct purchase days of one customer';

CREATE TYPE @extschema@.rfm_summary AS (
    recency_days     integer,
    frequency        bigint,
    monetary         double precision,
    avg_order_value  double precision,
    first_order      timestamptz,
    last_order       timestamptz,
    tenure_days      integer,
    repeat_frequency integer,
    repeat_span_days integer,
    repeat_avg_value double precision,
    refunds          bigint,
    refund_amount    double precision
);
COMMENT ON TYPE @extschema@.rfm_summary IS 'One customer''s purchase summary (result of rfm_summary)';
COMMENT ON COLUMN @extschema@.rfm_summary.recency_days IS 'Days from the last purchase day to the as_of day';
COMMENT ON COLUMN @extschema@.rfm_summary.frequency IS 'Number of purchases (orders with a non-negative or NULL amount)';
COMMENT ON COLUMN @extschema@.rfm_summary.monetary IS 'Sum of all amounts, refunds included';
COMMENT ON COLUMN @extschema@.rfm_summary.avg_order_value IS 'Mean amount of purchases with a known amount';
COMMENT ON COLUMN @extschema@.rfm_summary.first_order IS 'Time of the first purchase';
COMMENT ON COLUMN @extschema@.rfm_summary.last_order IS 'Time of the last purchase';
COMMENT ON COLUMN @extschema@.rfm_summary.tenure_days IS 'Days from the first purchase day to the as_of day (T of BG/NBD)';
COMMENT ON COLUMN @extschema@.rfm_summary.repeat_frequency IS 'Distinct purchase days minus one (x of BG/NBD)';
COMMENT ON COLUMN @extschema@.rfm_summary.repeat_span_days IS 'Days from the first to the last purchase day (t_x of BG/NBD)';
COMMENT ON COLUMN @extschema@.rfm_summary.repeat_avg_value IS 'Mean total of the repeat purchase days, 0 when there are none (Gamma-Gamma input)';
COMMENT ON COLUMN @extschema@.rfm_summary.refunds IS 'Number of refunds (rows with a negative amount)';
COMMENT ON COLUMN @extschema@.rfm_summary.refund_amount IS 'Sum of refund amounts (zero or negative)';

CREATE TYPE @extschema@.rfm_score AS (
    r       integer,
    f       integer,
    m       integer,
    code    text,
    segment text
);
COMMENT ON TYPE @extschema@.rfm_score IS 'RFM scores of one customer (result of rfm_score)';
COMMENT ON COLUMN @extschema@.rfm_score.r IS 'Recency score, 1..buckets, recent = high';
COMMENT ON COLUMN @extschema@.rfm_score.f IS 'Frequency score, 1..buckets';
COMMENT ON COLUMN @extschema@.rfm_score.m IS 'Monetary score, 1..buckets';
COMMENT ON COLUMN @extschema@.rfm_score.code IS 'The three scores as text, e.g. 545 (r-f-m with dashes when buckets > 9)';
COMMENT ON COLUMN @extschema@.rfm_score.segment IS 'Segment name from the chosen segment map';

-- ---------- configuration: segment maps ----------

CREATE TABLE @extschema@.rfm_segment_rule (
    map         text NOT NULL,
    priority    integer NOT NULL,
    segment     text NOT NULL,
    r_low       double precision,
    r_high      double precision,
    f_low       double precision,
    f_high      double precision,
    m_low       double precision,
    m_high      double precision,
    fm_low      double precision,
    fm_high     double precision,
    relative    boolean NOT NULL DEFAULT false,
    description text,
    builtin     boolean NOT NULL DEFAULT false,
    PRIMARY KEY (map, priority)
);
COMMENT ON TABLE @extschema@.rfm_segment_rule IS 'Segment maps: per map, rules tried in priority order, the first whose bounds hold names the segment. Edit freely; kept by pg_dump.';
COMMENT ON COLUMN @extschema@.rfm_segment_rule.map IS 'Map name, e.g. standard or cn8';
COMMENT ON COLUMN @extschema@.rfm_segment_rule.priority IS 'Rules are tried in ascending priority; the first match wins';
COMMENT ON COLUMN @extschema@.rfm_segment_rule.segment IS 'Segment name returned when the rule matches';
COMMENT ON COLUMN @extschema@.rfm_segment_rule.r_low IS 'Recency score must be greater than this (NULL: no bound)';
COMMENT ON COLUMN @extschema@.rfm_segment_rule.r_high IS 'Recency score must be at most this (NULL: no bound)';
COMMENT ON COLUMN @extschema@.rfm_segment_rule.f_low IS 'Frequency score must be greater than this (NULL: no bound)';
COMMENT ON COLUMN @extschema@.rfm_segment_rule.f_high IS 'Frequency score must be at most this (NULL: no bound)';
COMMENT ON COLUMN @extschema@.rfm_segment_rule.m_low IS 'Monetary score must be greater than this (NULL: no bound)';
COMMENT ON COLUMN @extschema@.rfm_segment_rule.m_high IS 'Monetary score must be at most this (NULL: no bound)';
COMMENT ON COLUMN @extschema@.rfm_segment_rule.fm_low IS '(F + M) / 2 must be greater than this (NULL: no bound)';
COMMENT ON COLUMN @extschema@.rfm_segment_rule.fm_high IS '(F + M) / 2 must be at most this (NULL: no bound)';
COMMENT ON COLUMN @extschema@.rfm_segment_rule.relative IS 'Bounds apply to score minus the population mean score (needs the rfm model)';
COMMENT ON COLUMN @extschema@.rfm_segment_rule.description IS 'What the segment means, for people';
COMMENT ON COLUMN @extschema@.rfm_segment_rule.builtin IS 'Row as installed by the extension; an edited row becomes false and is kept by pg_dump';
-- rfm_segment reads the maps as its caller; editing them stays with the owner.
GRANT SELECT ON @extschema@.rfm_segment_rule TO PUBLIC;

-- Keep user edits through pg_dump: edited rows stop being built-in (and are
-- dumped); a restored user row replaces the built-in row with its key.
CREATE FUNCTION @extschema@.rfm_segment_rule_guard() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS
$$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NOT NEW.builtin THEN
            DELETE FROM @extschema@.rfm_segment_rule
             WHERE map = NEW.map AND priority = NEW.priority AND builtin;
        END IF;
    ELSIF NEW IS DISTINCT FROM OLD AND OLD.builtin AND NEW.builtin THEN
        NEW.builtin := false;
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION @extschema@.rfm_segment_rule_guard() IS 'Trigger of rfm_segment_rule: edited built-in rules become user rules, so pg_dump keeps them';

CREATE TRIGGER rfm_segment_rule_guard BEFORE INSERT OR UPDATE ON @extschema@.rfm_segment_rule
    FOR EACH ROW EXECUTE FUNCTION @extschema@.rfm_segment_rule_guard();

INSERT INTO @extschema@.rfm_segment_rule
    (map, priority, segment, r_low, r_high, fm_low, fm_high, builtin, description) VALUES
    ('standard',  1, 'Champions',          4, 5, 4, 5, true, 'Bought recently, buy often and spend the most'),
    ('standard',  2, 'Loyal Customers',    2, 5, 3, 5, true, 'Buy regularly and spend well'),
    ('standard',  3, 'Potential Loyalist', 3, 5, 1, 3, true, 'Recent customers with average frequency and spend'),
    ('standard',  4, 'New Customers',      4, 5, 0, 1, true, 'Bought most recently, but rarely'),
    ('standard',  5, 'Promising',          3, 4, 0, 1, true, 'Recent shoppers who have not spent much yet'),
    ('standard',  6, 'Need Attention',     2, 3, 2, 3, true, 'Above-average recency, frequency and spend, but not lately'),
    ('standard',  7, 'About To Sleep',     2, 3, 0, 2, true, 'Below-average recency, frequency and spend'),
    ('standard',  8, 'Can''t Lose Them',   0, 1, 4, 5, true, 'Used to buy most and most often, but long ago'),
    ('standard',  9, 'At Risk',            0, 2, 2, 5, true, 'Spent a lot and bought often, but long ago'),
    ('standard', 10, 'Hibernating',        1, 2, 1, 2, true, 'Last purchase long ago, low spend and few orders'),
    ('standard', 11, 'Lost',               0, 2, 0, 2, true, 'Lowest recency, frequency and spend');

INSERT INTO @extschema@.rfm_segment_rule
    (map, priority, segment, r_low, r_high, f_low, f_high, m_low, m_high, relative, builtin, description) VALUES
    ('cn8', 1, '重要价值客户', 0, NULL, 0, NULL, 0, NULL, true, true, 'R high, F high, M high'),
    ('cn8', 2, '重要发展客户', 0, NULL, NULL, 0, 0, NULL, true, true, 'R high, F low, M high'),
    ('cn8', 3, '重要保持客户', NULL, 0, 0, NULL, 0, NULL, true, true, 'R low, F high, M high'),
    ('cn8', 4, '重要挽留客户', NULL, 0, NULL, 0, 0, NULL, true, true, 'R low, F low, M high'),
    ('cn8', 5, '一般价值客户', 0, NULL, 0, NULL, NULL, 0, true, true, 'R high, F high, M low'),
    ('cn8', 6, '一般发展客户', 0, NULL, NULL, 0, NULL, 0, true, true, 'R high, F low, M low'),
    ('cn8', 7, '一般保持客户', NULL, 0, 0, NULL, NULL, 0, true, true, 'R low, F high, M low'),
    ('cn8', 8, '一般挽留客户', NULL, 0, NULL, 0, NULL, 0, true, true, 'R low, F low, M low');

SELECT pg_catalog.pg_extension_config_dump('@extschema@.rfm_segment_rule', 'WHERE NOT builtin');

-- ---------- functions ----------

CREATE FUNCTION @extschema@.rfm_summary_trans(@extschema@.rfm_state, date, numeric, date)
    RETURNS @extschema@.rfm_state AS 'MODULE_PATHNAME', 'pp_rfm_summary_trans_date_num'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.rfm_summary_trans(@extschema@.rfm_state, date, numeric, date) IS 'Transition function of rfm_summary(date, numeric, date)';

CREATE FUNCTION @extschema@.rfm_summary_trans(@extschema@.rfm_state, date, double precision, date)
    RETURNS @extschema@.rfm_state AS 'MODULE_PATHNAME', 'pp_rfm_summary_trans_date_f8'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.rfm_summary_trans(@extschema@.rfm_state, date, double precision, date) IS 'Transition function of rfm_summary(date, float8, date)';

CREATE FUNCTION @extschema@.rfm_summary_trans(@extschema@.rfm_state, timestamp, numeric, timestamp)
    RETURNS @extschema@.rfm_state AS 'MODULE_PATHNAME', 'pp_rfm_summary_trans_ts_num'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.rfm_summary_trans(@extschema@.rfm_state, timestamp, numeric, timestamp) IS 'Transition function of rfm_summary(timestamp, numeric, timestamp)';

CREATE FUNCTION @extschema@.rfm_summary_trans(@extschema@.rfm_state, timestamp, double precision, timestamp)
    RETURNS @extschema@.rfm_state AS 'MODULE_PATHNAME', 'pp_rfm_summary_trans_ts_f8'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.rfm_summary_trans(@extschema@.rfm_state, timestamp, double precision, timestamp) IS 'Transition function of rfm_summary(timestamp, float8, timestamp)';

-- timestamptz days depend on the session time zone: STABLE
CREATE FUNCTION @extschema@.rfm_summary_trans(@extschema@.rfm_state, timestamptz, numeric, timestamptz)
    RETURNS @extschema@.rfm_state AS 'MODULE_PATHNAME', 'pp_rfm_summary_trans_tstz_num'
    LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.rfm_summary_trans(@extschema@.rfm_state, timestamptz, numeric, timestamptz) IS 'Transition function of rfm_summary(timestamptz, numeric, timestamptz)';

CREATE FUNCTION @extschema@.rfm_summary_trans(@extschema@.rfm_state, timestamptz, double precision, timestamptz)
    RETURNS @extschema@.rfm_state AS 'MODULE_PATHNAME', 'pp_rfm_summary_trans_tstz_f8'
    LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.rfm_summary_trans(@extschema@.rfm_state, timestamptz, double precision, timestamptz) IS 'Transition function of rfm_summary(timestamptz, float8, timestamptz)';

-- COST: as for window_funnel_combine, merging per-customer partial states in
-- the leader redoes the per-customer work (a hash entry, a copied state, a
-- merged day list) that dominates rfm_summary; with it the planner keeps
-- GROUP BY customer serial (measured faster than the parallel plan, which
-- also holds every state twice) and still runs few large groups in workers.
CREATE FUNCTION @extschema@.rfm_summary_combine(@extschema@.rfm_state, @extschema@.rfm_state)
    RETURNS @extschema@.rfm_state AS 'MODULE_PATHNAME', 'pp_rfm_summary_combine'
    LANGUAGE C IMMUTABLE PARALLEL SAFE COST 100;
COMMENT ON FUNCTION @extschema@.rfm_summary_combine(@extschema@.rfm_state, @extschema@.rfm_state) IS 'Combine function of rfm_summary (parallel and distributed aggregation)';

CREATE FUNCTION @extschema@.rfm_summary_final(@extschema@.rfm_state)
    RETURNS @extschema@.rfm_summary AS 'MODULE_PATHNAME', 'pp_rfm_summary_final'
    LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.rfm_summary_final(@extschema@.rfm_state) IS 'Final function of rfm_summary';

CREATE FUNCTION @extschema@.rfm_breaks_trans(@extschema@.points, double precision, double precision, double precision)
    RETURNS @extschema@.points AS 'MODULE_PATHNAME', 'pp_rfm_breaks_trans'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.rfm_breaks_trans(@extschema@.points, double precision, double precision, double precision) IS 'Transition function of rfm_breaks';

CREATE FUNCTION @extschema@.rfm_breaks_trans(@extschema@.points, double precision, double precision, double precision, integer)
    RETURNS @extschema@.points AS 'MODULE_PATHNAME', 'pp_rfm_breaks_trans_buckets'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.rfm_breaks_trans(@extschema@.points, double precision, double precision, double precision, integer) IS 'Transition function of rfm_breaks with a bucket count';

CREATE FUNCTION @extschema@.rfm_breaks_combine(@extschema@.points, @extschema@.points)
    RETURNS @extschema@.points AS 'MODULE_PATHNAME', 'pp_rfm_breaks_combine'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.rfm_breaks_combine(@extschema@.points, @extschema@.points) IS 'Combine function of rfm_breaks';

CREATE FUNCTION @extschema@.rfm_breaks_final(@extschema@.points)
    RETURNS @extschema@.model AS 'MODULE_PATHNAME', 'pp_rfm_breaks_final'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.rfm_breaks_final(@extschema@.points) IS 'Final function of rfm_breaks: quantile cut points as an rfm model';

CREATE FUNCTION @extschema@.rfm_score(recency double precision, frequency double precision,
                                      monetary double precision, model @extschema@.model)
    RETURNS @extschema@.rfm_score AS 'MODULE_PATHNAME', 'pp_rfm_score'
    LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.rfm_score(double precision, double precision, double precision, @extschema@.model) IS 'RFM scores of a customer against stored breaks (rfm model), segment from the standard map';

CREATE FUNCTION @extschema@.rfm_score(recency double precision, frequency double precision,
                                      monetary double precision, model @extschema@.model, map text)
    RETURNS @extschema@.rfm_score AS 'MODULE_PATHNAME', 'pp_rfm_score'
    LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.rfm_score(double precision, double precision, double precision, @extschema@.model, text) IS 'RFM scores of a customer against stored breaks (rfm model), segment from the given map';

CREATE FUNCTION @extschema@.rfm_score(recency double precision, frequency double precision,
                                      monetary double precision)
    RETURNS @extschema@.rfm_score AS 'MODULE_PATHNAME', 'pp_rfm_score_window'
    LANGUAGE C WINDOW STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.rfm_score(double precision, double precision, double precision) IS 'Window form: RFM scores (5 buckets) against the row''s own partition, standard map';

CREATE FUNCTION @extschema@.rfm_score(recency double precision, frequency double precision,
                                      monetary double precision, buckets integer)
    RETURNS @extschema@.rfm_score AS 'MODULE_PATHNAME', 'pp_rfm_score_window'
    LANGUAGE C WINDOW STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.rfm_score(double precision, double precision, double precision, integer) IS 'Window form: RFM scores with the given bucket count against the row''s own partition, standard map';

CREATE FUNCTION @extschema@.rfm_score(recency double precision, frequency double precision,
                                      monetary double precision, buckets integer, map text)
    RETURNS @extschema@.rfm_score AS 'MODULE_PATHNAME', 'pp_rfm_score_window'
    LANGUAGE C WINDOW STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.rfm_score(double precision, double precision, double precision, integer, text) IS 'Window form: RFM scores against the row''s own partition, segment from the given map';

CREATE FUNCTION @extschema@.rfm_segment(r integer, f integer, m integer, map text DEFAULT 'standard')
    RETURNS text AS 'MODULE_PATHNAME', 'pp_rfm_segment'
    LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.rfm_segment(integer, integer, integer, text) IS 'Segment name of RFM scores from a segment map (maps with absolute bounds)';

CREATE FUNCTION @extschema@.rfm_segment(r integer, f integer, m integer, map text, model @extschema@.model)
    RETURNS text AS 'MODULE_PATHNAME', 'pp_rfm_segment'
    LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.rfm_segment(integer, integer, integer, text, @extschema@.model) IS 'Segment name of RFM scores from a segment map; the rfm model supplies population mean scores (cn8)';

-- ---------- aggregates ----------

CREATE AGGREGATE @extschema@.rfm_summary(ordered_at date, amount numeric, as_of date) (
    SFUNC = @extschema@.rfm_summary_trans, STYPE = @extschema@.rfm_state,
    COMBINEFUNC = @extschema@.rfm_summary_combine, FINALFUNC = @extschema@.rfm_summary_final,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.rfm_summary(date, numeric, date) IS 'Purchase summary of a customer''s orders as of a day: recency, frequency, monetary and the BG/NBD triple';

CREATE AGGREGATE @extschema@.rfm_summary(ordered_at date, amount double precision, as_of date) (
    SFUNC = @extschema@.rfm_summary_trans, STYPE = @extschema@.rfm_state,
    COMBINEFUNC = @extschema@.rfm_summary_combine, FINALFUNC = @extschema@.rfm_summary_final,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.rfm_summary(date, double precision, date) IS 'Purchase summary of a customer''s orders as of a day: recency, frequency, monetary and the BG/NBD triple';

CREATE AGGREGATE @extschema@.rfm_summary(ordered_at timestamp, amount numeric, as_of timestamp) (
    SFUNC = @extschema@.rfm_summary_trans, STYPE = @extschema@.rfm_state,
    COMBINEFUNC = @extschema@.rfm_summary_combine, FINALFUNC = @extschema@.rfm_summary_final,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.rfm_summary(timestamp, numeric, timestamp) IS 'Purchase summary of a customer''s orders as of a day: recency, frequency, monetary and the BG/NBD triple';

CREATE AGGREGATE @extschema@.rfm_summary(ordered_at timestamp, amount double precision, as_of timestamp) (
    SFUNC = @extschema@.rfm_summary_trans, STYPE = @extschema@.rfm_state,
    COMBINEFUNC = @extschema@.rfm_summary_combine, FINALFUNC = @extschema@.rfm_summary_final,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.rfm_summary(timestamp, double precision, timestamp) IS 'Purchase summary of a customer''s orders as of a day: recency, frequency, monetary and the BG/NBD triple';

CREATE AGGREGATE @extschema@.rfm_summary(ordered_at timestamptz, amount numeric, as_of timestamptz) (
    SFUNC = @extschema@.rfm_summary_trans, STYPE = @extschema@.rfm_state,
    COMBINEFUNC = @extschema@.rfm_summary_combine, FINALFUNC = @extschema@.rfm_summary_final,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.rfm_summary(timestamptz, numeric, timestamptz) IS 'Purchase summary of a customer''s orders as of a day (session time zone): recency, frequency, monetary and the BG/NBD triple';

CREATE AGGREGATE @extschema@.rfm_summary(ordered_at timestamptz, amount double precision, as_of timestamptz) (
    SFUNC = @extschema@.rfm_summary_trans, STYPE = @extschema@.rfm_state,
    COMBINEFUNC = @extschema@.rfm_summary_combine, FINALFUNC = @extschema@.rfm_summary_final,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.rfm_summary(timestamptz, double precision, timestamptz) IS 'Purchase summary of a customer''s orders as of a day (session time zone): recency, frequency, monetary and the BG/NBD triple';

CREATE AGGREGATE @extschema@.rfm_breaks(recency double precision, frequency double precision, monetary double precision) (
    SFUNC = @extschema@.rfm_breaks_trans, STYPE = @extschema@.points,
    COMBINEFUNC = @extschema@.rfm_breaks_combine, FINALFUNC = @extschema@.rfm_breaks_final,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.rfm_breaks(double precision, double precision, double precision) IS 'Quantile cut points of recency, frequency and monetary (5 buckets) as an rfm model';

CREATE AGGREGATE @extschema@.rfm_breaks(recency double precision, frequency double precision, monetary double precision, buckets integer) (
    SFUNC = @extschema@.rfm_breaks_trans, STYPE = @extschema@.points,
    COMBINEFUNC = @extschema@.rfm_breaks_combine, FINALFUNC = @extschema@.rfm_breaks_final,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.rfm_breaks(double precision, double precision, double precision, integer) IS 'Quantile cut points of recency, frequency and monetary with the given bucket count as an rfm model';

-- ==================== kmeans: segmentation ====================

-- ---------- functions ----------

CREATE FUNCTION @extschema@.kmeans_fit_trans(@extschema@.points, double precision[], integer)
    RETURNS @extschema@.points AS 'MODULE_PATHNAME', 'pp_kmeans_fit_trans'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.kmeans_fit_trans(@extschema@.points, double precision[], integer) IS 'Transition function of kmeans_fit';

CREATE FUNCTION @extschema@.kmeans_fit_trans(@extschema@.points, double precision[], integer, jsonb)
    RETURNS @extschema@.points AS 'MODULE_PATHNAME', 'pp_kmeans_fit_trans_opts'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.kmeans_fit_trans(@extschema@.points, double precision[], integer, jsonb) IS 'Transition function of kmeans_fit with options';

CREATE FUNCTION @extschema@.kmeans_fit_combine(@extschema@.points, @extschema@.points)
    RETURNS @extschema@.points AS 'MODULE_PATHNAME', 'pp_kmeans_fit_combine'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.kmeans_fit_combine(@extschema@.points, @extschema@.points) IS 'Combine function of kmeans_fit';

CREATE FUNCTION @extschema@.kmeans_fit_final(@extschema@.points)
    RETURNS @extschema@.model AS 'MODULE_PATHNAME', 'pp_kmeans_fit_final'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.kmeans_fit_final(@extschema@.points) IS 'Final function of kmeans_fit: the k-means fit as a kmeans model';

CREATE FUNCTION @extschema@.kmeans_assign(features double precision[], model @extschema@.model)
    RETURNS integer AS 'MODULE_PATHNAME', 'pp_kmeans_assign'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.kmeans_assign(double precision[], @extschema@.model) IS 'Cluster (1..k) of the nearest centroid of a kmeans model';

CREATE FUNCTION @extschema@.kmeans_distance(features double precision[], model @extschema@.model)
    RETURNS double precision AS 'MODULE_PATHNAME', 'pp_kmeans_distance'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.kmeans_distance(double precision[], @extschema@.model) IS 'Euclidean distance to the nearest centroid (in standard units when the model standardizes): an outlier score';

CREATE FUNCTION @extschema@.kmeans_scale(features double precision[], model @extschema@.model)
    RETURNS double precision[] AS 'MODULE_PATHNAME', 'pp_kmeans_scale'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.kmeans_scale(double precision[], @extschema@.model) IS 'Features in the space a kmeans model clusters in (z-scores when it standardizes), e.g. for silhouette';

CREATE FUNCTION @extschema@.kmeans_centroids(model @extschema@.model)
    RETURNS TABLE (cluster integer, size bigint, share double precision,
                   centroid double precision[], deviation double precision[], label text)
    AS 'MODULE_PATHNAME', 'pp_kmeans_centroids'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 8;
COMMENT ON FUNCTION @extschema@.kmeans_centroids(@extschema@.model) IS 'One row per cluster of a kmeans model: size, share, centroid in original units, deviation from the population in standard units, profile label';

-- ---------- aggregates ----------

CREATE AGGREGATE @extschema@.kmeans_fit(features double precision[], k integer) (
    SFUNC = @extschema@.kmeans_fit_trans, STYPE = @extschema@.points,
    COMBINEFUNC = @extschema@.kmeans_fit_combine, FINALFUNC = @extschema@.kmeans_fit_final,
    FINALFUNC_MODIFY = READ_WRITE, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.kmeans_fit(double precision[], integer) IS 'K-means clustering of the rows into k clusters (k-means++, 10 restarts, standardized features) as a kmeans model';

CREATE AGGREGATE @extschema@.kmeans_fit(features double precision[], k integer, options jsonb) (
    SFUNC = @extschema@.kmeans_fit_trans, STYPE = @extschema@.points,
    COMBINEFUNC = @extschema@.kmeans_fit_combine, FINALFUNC = @extschema@.kmeans_fit_final,
    FINALFUNC_MODIFY = READ_WRITE, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.kmeans_fit(double precision[], integer, jsonb) IS 'K-means clustering of the rows into k clusters as a kmeans model; options seed, n_init, max_iter, tol, init, standardize, feature_names, algorithm';

-- ---------- silhouette ----------

CREATE TYPE @extschema@.silhouette_result AS (
    silhouette  double precision,
    n           bigint,
    rows_used   bigint,
    exact       boolean
);
COMMENT ON TYPE @extschema@.silhouette_result IS 'Result of silhouette: the mean silhouette, rows given, rows it was computed on, and whether that was all of them';

CREATE FUNCTION @extschema@.silhouette_trans(@extschema@.points, double precision[], integer)
    RETURNS @extschema@.points AS 'MODULE_PATHNAME', 'pp_silhouette_trans'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.silhouette_trans(@extschema@.points, double precision[], integer) IS 'Transition function of silhouette';

CREATE FUNCTION @extschema@.silhouette_trans(@extschema@.points, double precision[], integer, integer)
    RETURNS @extschema@.points AS 'MODULE_PATHNAME', 'pp_silhouette_trans_sample'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.silhouette_trans(@extschema@.points, double precision[], integer, integer) IS 'Transition function of silhouette with a sample size';

CREATE FUNCTION @extschema@.silhouette_combine(@extschema@.points, @extschema@.points)
    RETURNS @extschema@.points AS 'MODULE_PATHNAME', 'pp_silhouette_combine'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.silhouette_combine(@extschema@.points, @extschema@.points) IS 'Combine function of silhouette';

CREATE FUNCTION @extschema@.silhouette_final(@extschema@.points)
    RETURNS @extschema@.silhouette_result AS 'MODULE_PATHNAME', 'pp_silhouette_final'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.silhouette_final(@extschema@.points) IS 'Final function of silhouette';

CREATE AGGREGATE @extschema@.silhouette(features double precision[], cluster integer) (
    SFUNC = @extschema@.silhouette_trans, STYPE = @extschema@.points,
    COMBINEFUNC = @extschema@.silhouette_combine, FINALFUNC = @extschema@.silhouette_final,
    FINALFUNC_MODIFY = READ_WRITE, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.silhouette(double precision[], integer) IS 'Mean silhouette of a clustering (Euclidean); exact up to 10000 rows, above that on a seeded sample of 10000';

CREATE AGGREGATE @extschema@.silhouette(features double precision[], cluster integer, max_exact integer) (
    SFUNC = @extschema@.silhouette_trans, STYPE = @extschema@.points,
    COMBINEFUNC = @extschema@.silhouette_combine, FINALFUNC = @extschema@.silhouette_final,
    FINALFUNC_MODIFY = READ_WRITE, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.silhouette(double precision[], integer, integer) IS 'Mean silhouette of a clustering (Euclidean); exact up to max_exact rows, above that on a seeded sample of max_exact';

-- ---------- kmeans_train: the streaming trainer ----------

CREATE FUNCTION @extschema@.kmeans_stats_trans(double precision[], double precision[])
    RETURNS double precision[] AS 'MODULE_PATHNAME', 'pp_kmeans_stats_trans'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.kmeans_stats_trans(double precision[], double precision[]) IS 'Transition function of kmeans_stats';

CREATE FUNCTION @extschema@.kmeans_stats_combine(double precision[], double precision[])
    RETURNS double precision[] AS 'MODULE_PATHNAME', 'pp_kmeans_stats_combine'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.kmeans_stats_combine(double precision[], double precision[]) IS 'Combine function of kmeans_stats';

CREATE FUNCTION @extschema@.kmeans_step_trans(double precision[], double precision[], @extschema@.model)
    RETURNS double precision[] AS 'MODULE_PATHNAME', 'pp_kmeans_step_trans'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.kmeans_step_trans(double precision[], double precision[], @extschema@.model) IS 'Transition function of kmeans_step';

CREATE FUNCTION @extschema@.kmeans_step_combine(double precision[], double precision[])
    RETURNS double precision[] AS 'MODULE_PATHNAME', 'pp_kmeans_step_combine'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.kmeans_step_combine(double precision[], double precision[]) IS 'Combine function of kmeans_step';

CREATE FUNCTION @extschema@.kmeans_sample(features double precision[], seed bigint)
    RETURNS double precision AS 'MODULE_PATHNAME', 'pp_kmeans_sample'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.kmeans_sample(double precision[], bigint) IS 'A number in [0, 1) hashed from the features and a seed: WHERE kmeans_sample(f, seed) < p keeps a row-order independent sample';

CREATE FUNCTION @extschema@.kmeans_train_init(stats double precision[], sample_model @extschema@.model, options jsonb)
    RETURNS @extschema@.model AS 'MODULE_PATHNAME', 'pp_kmeans_train_init'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.kmeans_train_init(double precision[], @extschema@.model, jsonb) IS 'kmeans_train: the first model, from the input''s statistics and a fit on a sample';

CREATE FUNCTION @extschema@.kmeans_train_update(model @extschema@.model, step double precision[], options jsonb, final boolean)
    RETURNS @extschema@.model AS 'MODULE_PATHNAME', 'pp_kmeans_train_update'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.kmeans_train_update(@extschema@.model, double precision[], jsonb, boolean) IS 'kmeans_train: one Lloyd update of a model from a kmeans_step over the input';

CREATE AGGREGATE @extschema@.kmeans_stats(features double precision[]) (
    SFUNC = @extschema@.kmeans_stats_trans, STYPE = double precision[],
    COMBINEFUNC = @extschema@.kmeans_stats_combine, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.kmeans_stats(double precision[]) IS 'Count, per-feature means and sums of squared deviations of feature vectors (state of kmeans_train''s scaler)';

CREATE AGGREGATE @extschema@.kmeans_step(features double precision[], model @extschema@.model) (
    SFUNC = @extschema@.kmeans_step_trans, STYPE = double precision[],
    COMBINEFUNC = @extschema@.kmeans_step_combine, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.kmeans_step(double precision[], @extschema@.model) IS 'One k-means scan: per-cluster counts and sums and the inertia of the model''s assignment';

CREATE FUNCTION @extschema@.kmeans_train(source text, features text, k integer, options jsonb DEFAULT '{}')
    RETURNS @extschema@.model AS 'MODULE_PATHNAME', 'pp_kmeans_train_query'
    LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.kmeans_train(text, text, integer, jsonb) IS 'K-means at scale over a query (or a table name): its float8[] features column, k; one parallel aggregate scan per Lloyd iteration, started from kmeans_fit on a seeded sample';

CREATE FUNCTION @extschema@.kmeans_train(source regclass, features text, k integer, options jsonb DEFAULT '{}')
    RETURNS @extschema@.model AS 'MODULE_PATHNAME', 'pp_kmeans_train_table'
    LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.kmeans_train(regclass, text, integer, jsonb) IS 'K-means at scale over a table or view: one parallel aggregate scan per Lloyd iteration, started from kmeans_fit on a seeded sample';

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

CREATE FUNCTION @extschema@.profile_agg_trans(@extschema@.profile, record)
    RETURNS @extschema@.profile AS 'MODULE_PATHNAME', 'pp_profile_agg_trans_record'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.profile_agg_trans(@extschema@.profile, record) IS 'Transition function of profile_agg over a record';

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

CREATE AGGREGATE @extschema@.profile_agg(attrs jsonb) (
    SFUNC = @extschema@.profile_agg_trans, STYPE = @extschema@.profile,
    COMBINEFUNC = @extschema@.profile_combine, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.profile_agg(jsonb) IS 'Profile of the rows (e.g. one segment with GROUP BY segment) for every attribute of attrs';

CREATE AGGREGATE @extschema@.profile_merge(@extschema@.profile) (
    SFUNC = @extschema@.profile_combine, STYPE = @extschema@.profile,
    COMBINEFUNC = @extschema@.profile_combine, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.profile_merge(@extschema@.profile) IS 'Sum of profiles: the population of per-segment profiles';

-- ==================== bgnbd: BG/NBD churn and purchase model ====================

-- ---------- functions ----------

CREATE FUNCTION @extschema@.hyp2f1(a double precision, b double precision, c double precision, z double precision)
    RETURNS double precision AS 'MODULE_PATHNAME', 'pp_hyp2f1'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.hyp2f1(double precision, double precision, double precision, double precision) IS 'Gauss hypergeometric function 2F1(a, b; c; z) for real z <= 1 (Pfaff and Euler transformations, series)';

CREATE FUNCTION @extschema@.bgnbd_loglik(x double precision, t_x double precision, "T" double precision, model @extschema@.model)
    RETURNS double precision AS 'MODULE_PATHNAME', 'pp_bgnbd_loglik'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bgnbd_loglik(double precision, double precision, double precision, @extschema@.model) IS 'BG/NBD log-likelihood of one customer''s summary (x, t_x, T) under a bgnbd model';

CREATE FUNCTION @extschema@.p_alive(x double precision, t_x double precision, "T" double precision, model @extschema@.model)
    RETURNS double precision AS 'MODULE_PATHNAME', 'pp_p_alive'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.p_alive(double precision, double precision, double precision, @extschema@.model) IS 'BG/NBD probability that a customer with summary (x, t_x, T) is still alive at T';

CREATE FUNCTION @extschema@.churn_risk(x double precision, t_x double precision, "T" double precision, model @extschema@.model)
    RETURNS double precision AS 'MODULE_PATHNAME', 'pp_churn_risk'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.churn_risk(double precision, double precision, double precision, @extschema@.model) IS 'BG/NBD probability that a customer with summary (x, t_x, T) has dropped out: 1 - p_alive';

CREATE FUNCTION @extschema@.expected_purchases(model @extschema@.model, t double precision,
                                               x double precision, t_x double precision, "T" double precision)
    RETURNS double precision AS 'MODULE_PATHNAME', 'pp_expected_purchases'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.expected_purchases(@extschema@.model, double precision, double precision, double precision, double precision) IS 'BG/NBD expected purchases in the next t of a customer with summary (x, t_x, T)';

CREATE FUNCTION @extschema@.expected_purchases(model @extschema@.model, t double precision)
    RETURNS double precision AS 'MODULE_PATHNAME', 'pp_expected_purchases_new'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.expected_purchases(@extschema@.model, double precision) IS 'BG/NBD expected purchases E[X(t)] of a new customer in the first t';

CREATE FUNCTION @extschema@.prob_purchases(model @extschema@.model, t double precision, n integer)
    RETURNS double precision AS 'MODULE_PATHNAME', 'pp_prob_purchases'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.prob_purchases(@extschema@.model, double precision, integer) IS 'BG/NBD probability P(X(t) = n) that a new customer makes exactly n purchases in the first t';

-- ---------- support functions ----------

CREATE FUNCTION @extschema@.bgnbd_fit_trans(@extschema@.points, double precision, double precision, double precision)
    RETURNS @extschema@.points AS 'MODULE_PATHNAME', 'pp_bgnbd_fit_trans'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bgnbd_fit_trans(@extschema@.points, double precision, double precision, double precision) IS 'Transition function of bgnbd_fit';

CREATE FUNCTION @extschema@.bgnbd_fit_trans(@extschema@.points, double precision, double precision, double precision, jsonb)
    RETURNS @extschema@.points AS 'MODULE_PATHNAME', 'pp_bgnbd_fit_trans_options'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bgnbd_fit_trans(@extschema@.points, double precision, double precision, double precision, jsonb) IS 'Transition function of bgnbd_fit with options';

CREATE FUNCTION @extschema@.bgnbd_fit_combine(@extschema@.points, @extschema@.points)
    RETURNS @extschema@.points AS 'MODULE_PATHNAME', 'pp_bgnbd_fit_combine'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bgnbd_fit_combine(@extschema@.points, @extschema@.points) IS 'Combine function of bgnbd_fit';

CREATE FUNCTION @extschema@.bgnbd_fit_final(@extschema@.points)
    RETURNS @extschema@.model AS 'MODULE_PATHNAME', 'pp_bgnbd_fit_final'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bgnbd_fit_final(@extschema@.points) IS 'Final function of bgnbd_fit: the maximum-likelihood fit as a bgnbd model';

-- ---------- aggregates ----------

CREATE AGGREGATE @extschema@.bgnbd_fit(x double precision, t_x double precision, "T" double precision) (
    SFUNC = @extschema@.bgnbd_fit_trans, STYPE = @extschema@.points,
    COMBINEFUNC = @extschema@.bgnbd_fit_combine, FINALFUNC = @extschema@.bgnbd_fit_final,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.bgnbd_fit(double precision, double precision, double precision) IS 'Maximum-likelihood BG/NBD model of customers'' summaries (x repeat purchases, t_x, T in days)';

CREATE AGGREGATE @extschema@.bgnbd_fit(x double precision, t_x double precision, "T" double precision, options jsonb) (
    SFUNC = @extschema@.bgnbd_fit_trans, STYPE = @extschema@.points,
    COMBINEFUNC = @extschema@.bgnbd_fit_combine, FINALFUNC = @extschema@.bgnbd_fit_final,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.bgnbd_fit(double precision, double precision, double precision, jsonb) IS 'Maximum-likelihood BG/NBD model with options: penalizer, max_iterations, gradient, unit (days, weeks, months, hours)';

-- ==================== gamma_gamma: spend model and customer lifetime value ====================

-- ---------- functions ----------

CREATE FUNCTION @extschema@.expected_avg_value(model @extschema@.model, x double precision, avg_value double precision)
    RETURNS double precision AS 'MODULE_PATHNAME', 'pp_expected_avg_value'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.expected_avg_value(@extschema@.model, double precision, double precision) IS 'Gamma-Gamma expected average transaction value of a customer with x repeat purchases of mean value avg_value (the population mean when x = 0)';

CREATE FUNCTION @extschema@.clv(bgnbd_model @extschema@.model, gg_model @extschema@.model,
                                x double precision, t_x double precision, "T" double precision,
                                avg_value double precision, months integer DEFAULT 12,
                                monthly_discount double precision DEFAULT 0.01)
    RETURNS double precision AS 'MODULE_PATHNAME', 'pp_clv'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.clv(@extschema@.model, @extschema@.model, double precision, double precision, double precision, double precision, integer, double precision) IS 'Customer lifetime value over the next months: BG/NBD purchases per month times Gamma-Gamma expected value, discounted monthly';

-- ---------- support functions ----------

CREATE FUNCTION @extschema@.gamma_gamma_fit_trans(@extschema@.points, double precision, double precision)
    RETURNS @extschema@.points AS 'MODULE_PATHNAME', 'pp_gamma_gamma_fit_trans'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.gamma_gamma_fit_trans(@extschema@.points, double precision, double precision) IS 'Transition function of gamma_gamma_fit';

CREATE FUNCTION @extschema@.gamma_gamma_fit_trans(@extschema@.points, double precision, double precision, jsonb)
    RETURNS @extschema@.points AS 'MODULE_PATHNAME', 'pp_gamma_gamma_fit_trans_options'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.gamma_gamma_fit_trans(@extschema@.points, double precision, double precision, jsonb) IS 'Transition function of gamma_gamma_fit with options';

CREATE FUNCTION @extschema@.gamma_gamma_fit_combine(@extschema@.points, @extschema@.points)
    RETURNS @extschema@.points AS 'MODULE_PATHNAME', 'pp_gamma_gamma_fit_combine'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.gamma_gamma_fit_combine(@extschema@.points, @extschema@.points) IS 'Combine function of gamma_gamma_fit';

CREATE FUNCTION @extschema@.gamma_gamma_fit_final(@extschema@.points)
    RETURNS @extschema@.model AS 'MODULE_PATHNAME', 'pp_gamma_gamma_fit_final'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.gamma_gamma_fit_final(@extschema@.points) IS 'Final function of gamma_gamma_fit: the maximum-likelihood fit as a gamma_gamma model';

-- ---------- aggregates ----------

CREATE AGGREGATE @extschema@.gamma_gamma_fit(x double precision, avg_value double precision) (
    SFUNC = @extschema@.gamma_gamma_fit_trans, STYPE = @extschema@.points,
    COMBINEFUNC = @extschema@.gamma_gamma_fit_combine, FINALFUNC = @extschema@.gamma_gamma_fit_final,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.gamma_gamma_fit(double precision, double precision) IS 'Maximum-likelihood Gamma-Gamma spend model of repeat buyers (rows with x = 0 are skipped)';

CREATE AGGREGATE @extschema@.gamma_gamma_fit(x double precision, avg_value double precision, options jsonb) (
    SFUNC = @extschema@.gamma_gamma_fit_trans, STYPE = @extschema@.points,
    COMBINEFUNC = @extschema@.gamma_gamma_fit_combine, FINALFUNC = @extschema@.gamma_gamma_fit_final,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.gamma_gamma_fit(double precision, double precision, jsonb) IS 'Maximum-likelihood Gamma-Gamma spend model with options: penalizer, max_iterations, gradient';

-- ==================== logit: logistic regression for churn with labels ====================

-- ---------- functions ----------

CREATE FUNCTION @extschema@.churn_risk(features double precision[], model @extschema@.model)
    RETURNS double precision AS 'MODULE_PATHNAME', 'pp_churn_risk_logit'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.churn_risk(double precision[], @extschema@.model) IS 'Probability that the label is true (churn) for the given features under a logit model';

CREATE FUNCTION @extschema@.logit_coefficients(model @extschema@.model)
    RETURNS TABLE (name text, coef double precision, std_err double precision, z double precision,
                   p_value double precision, odds_ratio double precision)
    AS 'MODULE_PATHNAME', 'pp_logit_coefficients'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 10;
COMMENT ON FUNCTION @extschema@.logit_coefficients(@extschema@.model) IS 'One row per coefficient of a logit model (intercept first): estimate, standard error, z, two-sided p-value, odds ratio';

CREATE FUNCTION @extschema@.logit_train(source regclass, label text, features text[], options jsonb DEFAULT NULL)
    RETURNS @extschema@.model AS 'MODULE_PATHNAME', 'pp_logit_train_rel'
    LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.logit_train(regclass, text, text[], jsonb) IS 'Logistic regression over a table, one parallel aggregate scan (logit_step) per Newton step; same options and model as logit_fit';

CREATE FUNCTION @extschema@.logit_train(query text, label text, features text[], options jsonb DEFAULT NULL)
    RETURNS @extschema@.model AS 'MODULE_PATHNAME', 'pp_logit_train_query'
    LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.logit_train(text, text, text[], jsonb) IS 'Logistic regression over the rows of a query, one parallel aggregate scan (logit_step) per Newton step; same options and model as logit_fit';

-- ---------- support functions ----------

CREATE FUNCTION @extschema@.logit_fit_trans(@extschema@.points, boolean, double precision[])
    RETURNS @extschema@.points AS 'MODULE_PATHNAME', 'pp_logit_fit_trans'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.logit_fit_trans(@extschema@.points, boolean, double precision[]) IS 'Transition function of logit_fit';

CREATE FUNCTION @extschema@.logit_fit_trans(@extschema@.points, boolean, double precision[], jsonb)
    RETURNS @extschema@.points AS 'MODULE_PATHNAME', 'pp_logit_fit_trans_options'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.logit_fit_trans(@extschema@.points, boolean, double precision[], jsonb) IS 'Transition function of logit_fit with options';

CREATE FUNCTION @extschema@.logit_fit_combine(@extschema@.points, @extschema@.points)
    RETURNS @extschema@.points AS 'MODULE_PATHNAME', 'pp_logit_fit_combine'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.logit_fit_combine(@extschema@.points, @extschema@.points) IS 'Combine function of logit_fit';

CREATE FUNCTION @extschema@.logit_fit_final(@extschema@.points)
    RETURNS @extschema@.model AS 'MODULE_PATHNAME', 'pp_logit_fit_final'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.logit_fit_final(@extschema@.points) IS 'Final function of logit_fit: Newton/IRLS fit of the collected rows as a logit model';

CREATE FUNCTION @extschema@.auc_trans(@extschema@.points, double precision, boolean)
    RETURNS @extschema@.points AS 'MODULE_PATHNAME', 'pp_auc_trans'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.auc_trans(@extschema@.points, double precision, boolean) IS 'Transition function of auc';

CREATE FUNCTION @extschema@.auc_combine(@extschema@.points, @extschema@.points)
    RETURNS @extschema@.points AS 'MODULE_PATHNAME', 'pp_auc_combine'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.auc_combine(@extschema@.points, @extschema@.points) IS 'Combine function of auc';

CREATE FUNCTION @extschema@.auc_final(@extschema@.points)
    RETURNS double precision AS 'MODULE_PATHNAME', 'pp_auc_final'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.auc_final(@extschema@.points) IS 'Final function of auc: exact area under the ROC curve, ties counted half';

CREATE FUNCTION @extschema@.logit_step_trans(double precision[], boolean, double precision[], double precision[])
    RETURNS double precision[] AS 'MODULE_PATHNAME', 'pp_logit_step_trans'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.logit_step_trans(double precision[], boolean, double precision[], double precision[]) IS 'Transition function of logit_step';

CREATE FUNCTION @extschema@.logit_step_combine(double precision[], double precision[])
    RETURNS double precision[] AS 'MODULE_PATHNAME', 'pp_logit_step_combine'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.logit_step_combine(double precision[], double precision[]) IS 'Combine function of logit_step: adds the sums';

-- ---------- aggregates ----------

CREATE AGGREGATE @extschema@.logit_fit(label boolean, features double precision[]) (
    SFUNC = @extschema@.logit_fit_trans, STYPE = @extschema@.points,
    COMBINEFUNC = @extschema@.logit_fit_combine, FINALFUNC = @extschema@.logit_fit_final,
    FINALFUNC_MODIFY = READ_WRITE, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.logit_fit(boolean, double precision[]) IS 'Logistic regression (Newton/IRLS, intercept, no penalty) of label on features as a logit model';

CREATE AGGREGATE @extschema@.logit_fit(label boolean, features double precision[], options jsonb) (
    SFUNC = @extschema@.logit_fit_trans, STYPE = @extschema@.points,
    COMBINEFUNC = @extschema@.logit_fit_combine, FINALFUNC = @extschema@.logit_fit_final,
    FINALFUNC_MODIFY = READ_WRITE, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.logit_fit(boolean, double precision[], jsonb) IS 'Logistic regression of label on features with options (lambda, standardize, tol, max_iter, feature_names) as a logit model';

CREATE AGGREGATE @extschema@.auc(score double precision, label boolean) (
    SFUNC = @extschema@.auc_trans, STYPE = @extschema@.points,
    COMBINEFUNC = @extschema@.auc_combine, FINALFUNC = @extschema@.auc_final,
    FINALFUNC_MODIFY = READ_WRITE, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.auc(double precision, boolean) IS 'Exact area under the ROC curve of score against label (ties count half); NULL unless both classes occur';

CREATE AGGREGATE @extschema@.logit_step(label boolean, features double precision[], coefs double precision[]) (
    SFUNC = @extschema@.logit_step_trans, STYPE = double precision[],
    COMBINEFUNC = @extschema@.logit_step_combine, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.logit_step(boolean, double precision[], double precision[]) IS 'One Newton step of logistic regression at coefs: [n, log-likelihood, misclassified, exactly fitted, gradient (k), upper triangle of X''WX] as float8[]';

-- ==================== events: the state of the behaviour aggregates ====================

-- ---------- types ----------

CREATE TYPE @extschema@.event_list;

CREATE FUNCTION @extschema@.event_list_in(cstring) RETURNS @extschema@.event_list
    AS 'MODULE_PATHNAME', 'pp_event_list_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.event_list_in(cstring) IS 'Text input of portrait.event_list (kind;conditions;flags;param;length:text;n;ts:mask,...)';

CREATE FUNCTION @extschema@.event_list_out(@extschema@.event_list) RETURNS cstring
    AS 'MODULE_PATHNAME', 'pp_event_list_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.event_list_out(@extschema@.event_list) IS 'Text output of portrait.event_list';

CREATE TYPE @extschema@.event_list (
    INPUT = @extschema@.event_list_in,
    OUTPUT = @extschema@.event_list_out,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = double,
    STORAGE = extended
);
COMMENT ON TYPE @extschema@.event_list IS 'State of window_funnel and sequence_match/count: timestamps with condition bitmasks (movable between nodes as text)';

-- ==================== funnel: window_funnel, funnel_counts, funnel_table ====================

-- ---------- functions ----------

CREATE FUNCTION @extschema@.funnel_table(users bigint[])
    RETURNS TABLE (step integer, users bigint, conversion_from_previous double precision,
                   conversion_from_first double precision)
    AS 'MODULE_PATHNAME', 'pp_funnel_table' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 8;
COMMENT ON FUNCTION @extschema@.funnel_table(bigint[]) IS 'Funnel table from funnel_counts: per step the customers reaching it, conversion from the previous step and from the first';

-- ---------- support functions ----------

CREATE FUNCTION @extschema@.window_funnel_trans(@extschema@.event_list, interval, timestamptz, bool[])
    RETURNS @extschema@.event_list
    AS 'MODULE_PATHNAME', 'pp_window_funnel_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.window_funnel_trans(@extschema@.event_list, interval, timestamptz, bool[]) IS 'Transition function of window_funnel';

CREATE FUNCTION @extschema@.window_funnel_trans(@extschema@.event_list, interval, text, timestamptz, bool[])
    RETURNS @extschema@.event_list
    AS 'MODULE_PATHNAME', 'pp_window_funnel_trans_mode' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.window_funnel_trans(@extschema@.event_list, interval, text, timestamptz, bool[]) IS 'Transition function of window_funnel with a mode';

-- Fixed-arity transitions for 2 to 8 steps: a call with the steps as
-- separate arguments resolves to them rather than to the VARIADIC form.
CREATE FUNCTION @extschema@.window_funnel_trans(@extschema@.event_list, interval, timestamptz, bool, bool)
    RETURNS @extschema@.event_list
    AS 'MODULE_PATHNAME', 'pp_window_funnel_trans_steps' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.window_funnel_trans(@extschema@.event_list, interval, timestamptz, bool, bool) IS 'Transition function of window_funnel with 2 step arguments';

CREATE FUNCTION @extschema@.window_funnel_trans(@extschema@.event_list, interval, timestamptz, bool, bool, bool)
    RETURNS @extschema@.event_list
    AS 'MODULE_PATHNAME', 'pp_window_funnel_trans_steps' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.window_funnel_trans(@extschema@.event_list, interval, timestamptz, bool, bool, bool) IS 'Transition function of window_funnel with 3 step arguments';

CREATE FUNCTION @extschema@.window_funnel_trans(@extschema@.event_list, interval, timestamptz, bool, bool, bool, bool)
    RETURNS @extschema@.event_list
    AS 'MODULE_PATHNAME', 'pp_window_funnel_trans_steps' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.window_funnel_trans(@extschema@.event_list, interval, timestamptz, bool, bool, bool, bool) IS 'Transition function of window_funnel with 4 step arguments';

CREATE FUNCTION @extschema@.window_funnel_trans(@extschema@.event_list, interval, timestamptz, bool, bool, bool, bool, bool)
    RETURNS @extschema@.event_list
    AS 'MODULE_PATHNAME', 'pp_window_funnel_trans_steps' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.window_funnel_trans(@extschema@.event_list, interval, timestamptz, bool, bool, bool, bool, bool) IS 'Transition function of window_funnel with 5 step arguments';

CREATE FUNCTION @extschema@.window_funnel_trans(@extschema@.event_list, interval, timestamptz, bool, bool, bool, bool, bool, bool)
    RETURNS @extschema@.event_list
    AS 'MODULE_PATHNAME', 'pp_window_funnel_trans_steps' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.window_funnel_trans(@extschema@.event_list, interval, timestamptz, bool, bool, bool, bool, bool, bool) IS 'Transition function of window_funnel with 6 step arguments';

CREATE FUNCTION @extschema@.window_funnel_trans(@extschema@.event_list, interval, timestamptz, bool, bool, bool, bool, bool, bool, bool)
    RETURNS @extschema@.event_list
    AS 'MODULE_PATHNAME', 'pp_window_funnel_trans_steps' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.window_funnel_trans(@extschema@.event_list, interval, timestamptz, bool, bool, bool, bool, bool, bool, bool) IS 'Transition function of window_funnel with 7 step arguments';

CREATE FUNCTION @extschema@.window_funnel_trans(@extschema@.event_list, interval, timestamptz, bool, bool, bool, bool, bool, bool, bool, bool)
    RETURNS @extschema@.event_list
    AS 'MODULE_PATHNAME', 'pp_window_funnel_trans_steps' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.window_funnel_trans(@extschema@.event_list, interval, timestamptz, bool, bool, bool, bool, bool, bool, bool, bool) IS 'Transition function of window_funnel with 8 step arguments';

CREATE FUNCTION @extschema@.window_funnel_trans(@extschema@.event_list, interval, text, timestamptz, bool, bool)
    RETURNS @extschema@.event_list
    AS 'MODULE_PATHNAME', 'pp_window_funnel_trans_mode_steps' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.window_funnel_trans(@extschema@.event_list, interval, text, timestamptz, bool, bool) IS 'Transition function of window_funnel with 2 step arguments and a mode';

CREATE FUNCTION @extschema@.window_funnel_trans(@extschema@.event_list, interval, text, timestamptz, bool, bool, bool)
    RETURNS @extschema@.event_list
    AS 'MODULE_PATHNAME', 'pp_window_funnel_trans_mode_steps' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.window_funnel_trans(@extschema@.event_list, interval, text, timestamptz, bool, bool, bool) IS 'Transition function of window_funnel with 3 step arguments and a mode';

CREATE FUNCTION @extschema@.window_funnel_trans(@extschema@.event_list, interval, text, timestamptz, bool, bool, bool, bool)
    RETURNS @extschema@.event_list
    AS 'MODULE_PATHNAME', 'pp_window_funnel_trans_mode_steps' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.window_funnel_trans(@extschema@.event_list, interval, text, timestamptz, bool, bool, bool, bool) IS 'Transition function of window_funnel with 4 step arguments and a mode';

CREATE FUNCTION @extschema@.window_funnel_trans(@extschema@.event_list, interval, text, timestamptz, bool, bool, bool, bool, bool)
    RETURNS @extschema@.event_list
    AS 'MODULE_PATHNAME', 'pp_window_funnel_trans_mode_steps' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.window_funnel_trans(@extschema@.event_list, interval, text, timestamptz, bool, bool, bool, bool, bool) IS 'Transition function of window_funnel with 5 step arguments and a mode';

CREATE FUNCTION @extschema@.window_funnel_trans(@extschema@.event_list, interval, text, timestamptz, bool, bool, bool, bool, bool, bool)
    RETURNS @extschema@.event_list
    AS 'MODULE_PATHNAME', 'pp_window_funnel_trans_mode_steps' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.window_funnel_trans(@extschema@.event_list, interval, text, timestamptz, bool, bool, bool, bool, bool, bool) IS 'Transition function of window_funnel with 6 step arguments and a mode';

CREATE FUNCTION @extschema@.window_funnel_trans(@extschema@.event_list, interval, text, timestamptz, bool, bool, bool, bool, bool, bool, bool)
    RETURNS @extschema@.event_list
    AS 'MODULE_PATHNAME', 'pp_window_funnel_trans_mode_steps' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.window_funnel_trans(@extschema@.event_list, interval, text, timestamptz, bool, bool, bool, bool, bool, bool, bool) IS 'Transition function of window_funnel with 7 step arguments and a mode';

CREATE FUNCTION @extschema@.window_funnel_trans(@extschema@.event_list, interval, text, timestamptz, bool, bool, bool, bool, bool, bool, bool, bool)
    RETURNS @extschema@.event_list
    AS 'MODULE_PATHNAME', 'pp_window_funnel_trans_mode_steps' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.window_funnel_trans(@extschema@.event_list, interval, text, timestamptz, bool, bool, bool, bool, bool, bool, bool, bool) IS 'Transition function of window_funnel with 8 step arguments and a mode';

-- COST: the executor copies every combined state whole into the aggregate's
-- memory, so merging per-customer partial states costs about as much as
-- aggregating their rows again; with it the planner keeps GROUP BY customer
-- serial when groups have few events (there the parallel plan measured
-- slower: the leader re-hashes and copies every customer's state), and
-- still splits few large groups over workers.
CREATE FUNCTION @extschema@.window_funnel_combine(@extschema@.event_list, @extschema@.event_list)
    RETURNS @extschema@.event_list
    AS 'MODULE_PATHNAME', 'pp_window_funnel_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE COST 100;
COMMENT ON FUNCTION @extschema@.window_funnel_combine(@extschema@.event_list, @extschema@.event_list) IS 'Combine function of window_funnel';

CREATE FUNCTION @extschema@.window_funnel_final(@extschema@.event_list) RETURNS integer
    AS 'MODULE_PATHNAME', 'pp_window_funnel_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.window_funnel_final(@extschema@.event_list) IS 'Final function of window_funnel: the chain search';

CREATE FUNCTION @extschema@.funnel_counts_trans(bigint[], integer, integer) RETURNS bigint[]
    AS 'MODULE_PATHNAME', 'pp_funnel_counts_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.funnel_counts_trans(bigint[], integer, integer) IS 'Transition function of funnel_counts';

CREATE FUNCTION @extschema@.funnel_counts_combine(bigint[], bigint[]) RETURNS bigint[]
    AS 'MODULE_PATHNAME', 'pp_funnel_counts_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.funnel_counts_combine(bigint[], bigint[]) IS 'Combine function of funnel_counts';

CREATE FUNCTION @extschema@.funnel_counts_final(bigint[]) RETURNS bigint[]
    AS 'MODULE_PATHNAME', 'pp_funnel_counts_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.funnel_counts_final(bigint[]) IS 'Final function of funnel_counts';

-- ---------- aggregates ----------

CREATE AGGREGATE @extschema@.window_funnel("window" interval, ts timestamptz, VARIADIC steps bool[]) (
    SFUNC = @extschema@.window_funnel_trans,
    STYPE = @extschema@.event_list,
    COMBINEFUNC = @extschema@.window_funnel_combine,
    FINALFUNC = @extschema@.window_funnel_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.window_funnel(interval, timestamptz, VARIADIC bool[]) IS 'Highest step of the ordered chain step 1, 2, ... reached within the window from the chain''s first event (ClickHouse windowFunnel); up to 32 steps';

CREATE AGGREGATE @extschema@.window_funnel("window" interval, mode text, ts timestamptz, VARIADIC steps bool[]) (
    SFUNC = @extschema@.window_funnel_trans,
    STYPE = @extschema@.event_list,
    COMBINEFUNC = @extschema@.window_funnel_combine,
    FINALFUNC = @extschema@.window_funnel_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.window_funnel(interval, text, timestamptz, VARIADIC bool[]) IS 'window_funnel with modes: comma-separated strict_deduplication, strict_order, strict_increase, strict_once';

CREATE AGGREGATE @extschema@.window_funnel("window" interval, ts timestamptz, step1 bool, step2 bool) (
    SFUNC = @extschema@.window_funnel_trans,
    STYPE = @extschema@.event_list,
    COMBINEFUNC = @extschema@.window_funnel_combine,
    FINALFUNC = @extschema@.window_funnel_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.window_funnel(interval, timestamptz, bool, bool) IS 'window_funnel and 2 steps given as separate arguments (chosen over the VARIADIC form; the same result without building an array per row)';

CREATE AGGREGATE @extschema@.window_funnel("window" interval, ts timestamptz, step1 bool, step2 bool, step3 bool) (
    SFUNC = @extschema@.window_funnel_trans,
    STYPE = @extschema@.event_list,
    COMBINEFUNC = @extschema@.window_funnel_combine,
    FINALFUNC = @extschema@.window_funnel_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.window_funnel(interval, timestamptz, bool, bool, bool) IS 'window_funnel and 3 steps given as separate arguments (chosen over the VARIADIC form; the same result without building an array per row)';

CREATE AGGREGATE @extschema@.window_funnel("window" interval, ts timestamptz, step1 bool, step2 bool, step3 bool, step4 bool) (
    SFUNC = @extschema@.window_funnel_trans,
    STYPE = @extschema@.event_list,
    COMBINEFUNC = @extschema@.window_funnel_combine,
    FINALFUNC = @extschema@.window_funnel_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.window_funnel(interval, timestamptz, bool, bool, bool, bool) IS 'window_funnel and 4 steps given as separate arguments (chosen over the VARIADIC form; the same result without building an array per row)';

CREATE AGGREGATE @extschema@.window_funnel("window" interval, ts timestamptz, step1 bool, step2 bool, step3 bool, step4 bool, step5 bool) (
    SFUNC = @extschema@.window_funnel_trans,
    STYPE = @extschema@.event_list,
    COMBINEFUNC = @extschema@.window_funnel_combine,
    FINALFUNC = @extschema@.window_funnel_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.window_funnel(interval, timestamptz, bool, bool, bool, bool, bool) IS 'window_funnel and 5 steps given as separate arguments (chosen over the VARIADIC form; the same result without building an array per row)';

CREATE AGGREGATE @extschema@.window_funnel("window" interval, ts timestamptz, step1 bool, step2 bool, step3 bool, step4 bool, step5 bool, step6 bool) (
    SFUNC = @extschema@.window_funnel_trans,
    STYPE = @extschema@.event_list,
    COMBINEFUNC = @extschema@.window_funnel_combine,
    FINALFUNC = @extschema@.window_funnel_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.window_funnel(interval, timestamptz, bool, bool, bool, bool, bool, bool) IS 'window_funnel and 6 steps given as separate arguments (chosen over the VARIADIC form; the same result without building an array per row)';

CREATE AGGREGATE @extschema@.window_funnel("window" interval, ts timestamptz, step1 bool, step2 bool, step3 bool, step4 bool, step5 bool, step6 bool, step7 bool) (
    SFUNC = @extschema@.window_funnel_trans,
    STYPE = @extschema@.event_list,
    COMBINEFUNC = @extschema@.window_funnel_combine,
    FINALFUNC = @extschema@.window_funnel_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.window_funnel(interval, timestamptz, bool, bool, bool, bool, bool, bool, bool) IS 'window_funnel and 7 steps given as separate arguments (chosen over the VARIADIC form; the same result without building an array per row)';

CREATE AGGREGATE @extschema@.window_funnel("window" interval, ts timestamptz, step1 bool, step2 bool, step3 bool, step4 bool, step5 bool, step6 bool, step7 bool, step8 bool) (
    SFUNC = @extschema@.window_funnel_trans,
    STYPE = @extschema@.event_list,
    COMBINEFUNC = @extschema@.window_funnel_combine,
    FINALFUNC = @extschema@.window_funnel_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.window_funnel(interval, timestamptz, bool, bool, bool, bool, bool, bool, bool, bool) IS 'window_funnel and 8 steps given as separate arguments (chosen over the VARIADIC form; the same result without building an array per row)';

CREATE AGGREGATE @extschema@.window_funnel("window" interval, mode text, ts timestamptz, step1 bool, step2 bool) (
    SFUNC = @extschema@.window_funnel_trans,
    STYPE = @extschema@.event_list,
    COMBINEFUNC = @extschema@.window_funnel_combine,
    FINALFUNC = @extschema@.window_funnel_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.window_funnel(interval, text, timestamptz, bool, bool) IS 'window_funnel with a mode and 2 steps given as separate arguments (chosen over the VARIADIC form; the same result without building an array per row)';

CREATE AGGREGATE @extschema@.window_funnel("window" interval, mode text, ts timestamptz, step1 bool, step2 bool, step3 bool) (
    SFUNC = @extschema@.window_funnel_trans,
    STYPE = @extschema@.event_list,
    COMBINEFUNC = @extschema@.window_funnel_combine,
    FINALFUNC = @extschema@.window_funnel_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.window_funnel(interval, text, timestamptz, bool, bool, bool) IS 'window_funnel with a mode and 3 steps given as separate arguments (chosen over the VARIADIC form; the same result without building an array per row)';

CREATE AGGREGATE @extschema@.window_funnel("window" interval, mode text, ts timestamptz, step1 bool, step2 bool, step3 bool, step4 bool) (
    SFUNC = @extschema@.window_funnel_trans,
    STYPE = @extschema@.event_list,
    COMBINEFUNC = @extschema@.window_funnel_combine,
    FINALFUNC = @extschema@.window_funnel_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.window_funnel(interval, text, timestamptz, bool, bool, bool, bool) IS 'window_funnel with a mode and 4 steps given as separate arguments (chosen over the VARIADIC form; the same result without building an array per row)';

CREATE AGGREGATE @extschema@.window_funnel("window" interval, mode text, ts timestamptz, step1 bool, step2 bool, step3 bool, step4 bool, step5 bool) (
    SFUNC = @extschema@.window_funnel_trans,
    STYPE = @extschema@.event_list,
    COMBINEFUNC = @extschema@.window_funnel_combine,
    FINALFUNC = @extschema@.window_funnel_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.window_funnel(interval, text, timestamptz, bool, bool, bool, bool, bool) IS 'window_funnel with a mode and 5 steps given as separate arguments (chosen over the VARIADIC form; the same result without building an array per row)';

CREATE AGGREGATE @extschema@.window_funnel("window" interval, mode text, ts timestamptz, step1 bool, step2 bool, step3 bool, step4 bool, step5 bool, step6 bool) (
    SFUNC = @extschema@.window_funnel_trans,
    STYPE = @extschema@.event_list,
    COMBINEFUNC = @extschema@.window_funnel_combine,
    FINALFUNC = @extschema@.window_funnel_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.window_funnel(interval, text, timestamptz, bool, bool, bool, bool, bool, bool) IS 'window_funnel with a mode and 6 steps given as separate arguments (chosen over the VARIADIC form; the same result without building an array per row)';

CREATE AGGREGATE @extschema@.window_funnel("window" interval, mode text, ts timestamptz, step1 bool, step2 bool, step3 bool, step4 bool, step5 bool, step6 bool, step7 bool) (
    SFUNC = @extschema@.window_funnel_trans,
    STYPE = @extschema@.event_list,
    COMBINEFUNC = @extschema@.window_funnel_combine,
    FINALFUNC = @extschema@.window_funnel_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.window_funnel(interval, text, timestamptz, bool, bool, bool, bool, bool, bool, bool) IS 'window_funnel with a mode and 7 steps given as separate arguments (chosen over the VARIADIC form; the same result without building an array per row)';

CREATE AGGREGATE @extschema@.window_funnel("window" interval, mode text, ts timestamptz, step1 bool, step2 bool, step3 bool, step4 bool, step5 bool, step6 bool, step7 bool, step8 bool) (
    SFUNC = @extschema@.window_funnel_trans,
    STYPE = @extschema@.event_list,
    COMBINEFUNC = @extschema@.window_funnel_combine,
    FINALFUNC = @extschema@.window_funnel_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.window_funnel(interval, text, timestamptz, bool, bool, bool, bool, bool, bool, bool, bool) IS 'window_funnel with a mode and 8 steps given as separate arguments (chosen over the VARIADIC form; the same result without building an array per row)';

CREATE AGGREGATE @extschema@.funnel_counts(level integer, steps integer) (
    SFUNC = @extschema@.funnel_counts_trans,
    STYPE = bigint[],
    COMBINEFUNC = @extschema@.funnel_counts_combine,
    FINALFUNC = @extschema@.funnel_counts_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.funnel_counts(integer, integer) IS 'Customers reaching each step 1..steps, from per-customer window_funnel levels (input of funnel_table)';

-- ==================== retention: retention flags, cohorts, sessions ====================

-- ---------- types ----------

CREATE TYPE @extschema@.cohort_state;

CREATE FUNCTION @extschema@.cohort_state_in(cstring) RETURNS @extschema@.cohort_state
    AS 'MODULE_PATHNAME', 'pp_cohort_state_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.cohort_state_in(cstring) IS 'Text input of the cohort_activity aggregate state (period;periods;first period;active offsets)';

CREATE FUNCTION @extschema@.cohort_state_out(@extschema@.cohort_state) RETURNS cstring
    AS 'MODULE_PATHNAME', 'pp_cohort_state_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.cohort_state_out(@extschema@.cohort_state) IS 'Text output of the cohort_activity aggregate state';

CREATE TYPE @extschema@.cohort_state (
    INPUT = @extschema@.cohort_state_in,
    OUTPUT = @extschema@.cohort_state_out,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = int4,
    STORAGE = extended
);
COMMENT ON TYPE @extschema@.cohort_state IS 'State of cohort_activity: the calendar periods a customer was active in';

CREATE TYPE @extschema@.cohort_users;

CREATE FUNCTION @extschema@.cohort_users_in(cstring) RETURNS @extschema@.cohort_users
    AS 'MODULE_PATHNAME', 'pp_cohort_users_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.cohort_users_in(cstring) IS 'Text input of the cohort_users aggregate state (period;periods;customer:first:offsets;...)';

CREATE FUNCTION @extschema@.cohort_users_out(@extschema@.cohort_users) RETURNS cstring
    AS 'MODULE_PATHNAME', 'pp_cohort_users_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.cohort_users_out(@extschema@.cohort_users) IS 'Text output of the cohort_users aggregate state, in customer order';

CREATE TYPE @extschema@.cohort_users (
    INPUT = @extschema@.cohort_users_in,
    OUTPUT = @extschema@.cohort_users_out,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = double,
    STORAGE = extended
);
COMMENT ON TYPE @extschema@.cohort_users IS 'State of cohort_users: per integer customer key, the first active period and the active period offsets';

CREATE TYPE @extschema@.cohort_activity AS (
    cohort  timestamptz,
    offsets integer[]
);
COMMENT ON TYPE @extschema@.cohort_activity IS 'One customer''s cohort (start of the first active period) and active period offsets (result of cohort_activity)';
COMMENT ON COLUMN @extschema@.cohort_activity.cohort IS 'Start of the customer''s first active period, in the session time zone';
COMMENT ON COLUMN @extschema@.cohort_activity.offsets IS 'Periods after the cohort period with activity, ascending, 0 first, at most the periods argument';

-- ---------- functions ----------

CREATE FUNCTION @extschema@.session_id(ts timestamptz, gap interval) RETURNS bigint
    AS 'MODULE_PATHNAME', 'pp_session_id' LANGUAGE C IMMUTABLE WINDOW PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.session_id(timestamptz, interval) IS 'Window function: session number 1, 2, ... within the partition, a new session after more than gap of inactivity (use OVER (PARTITION BY customer ORDER BY ts))';

CREATE FUNCTION @extschema@.cohort_table(state @extschema@.cohort_users)
    RETURNS TABLE (cohort timestamptz, period_offset integer, cohort_users bigint, active_users bigint)
    AS 'MODULE_PATHNAME', 'pp_cohort_table' LANGUAGE C STABLE STRICT PARALLEL SAFE ROWS 1000;
COMMENT ON FUNCTION @extschema@.cohort_table(@extschema@.cohort_users) IS 'Cohort matrix of a cohort_users state: per cohort (ascending) and offset 0..periods, the customers of the cohort and those active';

-- ---------- support functions ----------

CREATE FUNCTION @extschema@.retention_trans(bigint, bool[]) RETURNS bigint
    AS 'MODULE_PATHNAME', 'pp_retention_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.retention_trans(bigint, bool[]) IS 'Transition function of retention';

CREATE FUNCTION @extschema@.retention_combine(bigint, bigint) RETURNS bigint
    AS 'MODULE_PATHNAME', 'pp_retention_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.retention_combine(bigint, bigint) IS 'Combine function of retention';

CREATE FUNCTION @extschema@.retention_final(bigint) RETURNS integer[]
    AS 'MODULE_PATHNAME', 'pp_retention_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.retention_final(bigint) IS 'Final function of retention';

CREATE FUNCTION @extschema@.cohort_activity_trans(@extschema@.cohort_state, timestamptz, text, integer)
    RETURNS @extschema@.cohort_state
    AS 'MODULE_PATHNAME', 'pp_cohort_activity_trans' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.cohort_activity_trans(@extschema@.cohort_state, timestamptz, text, integer) IS 'Transition function of cohort_activity (depends on the session time zone)';

CREATE FUNCTION @extschema@.cohort_activity_combine(@extschema@.cohort_state, @extschema@.cohort_state)
    RETURNS @extschema@.cohort_state
    AS 'MODULE_PATHNAME', 'pp_cohort_activity_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.cohort_activity_combine(@extschema@.cohort_state, @extschema@.cohort_state) IS 'Combine function of cohort_activity';

CREATE FUNCTION @extschema@.cohort_activity_final(@extschema@.cohort_state) RETURNS @extschema@.cohort_activity
    AS 'MODULE_PATHNAME', 'pp_cohort_activity_final' LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.cohort_activity_final(@extschema@.cohort_state) IS 'Final function of cohort_activity';

CREATE FUNCTION @extschema@.cohort_users_trans(@extschema@.cohort_users, bigint, timestamptz, text, integer)
    RETURNS @extschema@.cohort_users
    AS 'MODULE_PATHNAME', 'pp_cohort_users_trans' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.cohort_users_trans(@extschema@.cohort_users, bigint, timestamptz, text, integer) IS 'Transition function of cohort_users (depends on the session time zone)';

CREATE FUNCTION @extschema@.cohort_users_combine(@extschema@.cohort_users, @extschema@.cohort_users)
    RETURNS @extschema@.cohort_users
    AS 'MODULE_PATHNAME', 'pp_cohort_users_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.cohort_users_combine(@extschema@.cohort_users, @extschema@.cohort_users) IS 'Combine function of cohort_users';

-- ---------- aggregates ----------

CREATE AGGREGATE @extschema@.retention(VARIADIC conds bool[]) (
    SFUNC = @extschema@.retention_trans,
    STYPE = bigint,
    COMBINEFUNC = @extschema@.retention_combine,
    FINALFUNC = @extschema@.retention_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.retention(VARIADIC bool[]) IS 'ClickHouse retention flags: [1] = condition 1 met by some row; [k] = conditions 1 and k both met by some rows; up to 32 conditions';

CREATE AGGREGATE @extschema@.cohort_activity(ts timestamptz, period text, periods integer) (
    SFUNC = @extschema@.cohort_activity_trans,
    STYPE = @extschema@.cohort_state,
    COMBINEFUNC = @extschema@.cohort_activity_combine,
    FINALFUNC = @extschema@.cohort_activity_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.cohort_activity(timestamptz, text, integer) IS 'One customer''s cohort period (day, week, month, quarter, year in the session time zone) and the period offsets 0..periods with activity';

CREATE AGGREGATE @extschema@.cohort_users(customer bigint, ts timestamptz, period text, periods integer) (
    SFUNC = @extschema@.cohort_users_trans,
    STYPE = @extschema@.cohort_users,
    COMBINEFUNC = @extschema@.cohort_users_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.cohort_users(bigint, timestamptz, text, integer) IS 'Every customer''s cohort period and active offsets 0..periods in one state (input of cohort_table); rows with a NULL customer or timestamp are skipped';

-- ---------- cohort matrix ----------

CREATE FUNCTION @extschema@.cohort_matrix(source regclass, user_col name, ts_col name,
                                          period text DEFAULT 'month', periods integer DEFAULT 12)
    RETURNS TABLE (cohort timestamptz, period_offset integer, cohort_users bigint,
                   active_users bigint, share double precision)
    LANGUAGE plpgsql STABLE PARALLEL SAFE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp AS
$$
DECLARE
    user_type regtype;
BEGIN
    IF period IS NULL OR periods IS NULL THEN
        RAISE EXCEPTION 'cohort_matrix period and periods must not be NULL' USING ERRCODE = '22004';
    END IF;
    SELECT a.atttypid INTO user_type FROM pg_attribute a
     WHERE a.attrelid = source AND a.attname = user_col AND a.attnum > 0 AND NOT a.attisdropped;
    IF user_type IN ('smallint'::regtype, 'integer'::regtype, 'bigint'::regtype) THEN
        -- integer customers: one aggregate over the events, no GROUP BY customer
        BEGIN
            RETURN QUERY EXECUTE format(
                $q$
                SELECT t.cohort, t.period_offset, t.cohort_users, t.active_users,
                       t.active_users::double precision / t.cohort_users
                  FROM @extschema@.cohort_table(
                         (SELECT @extschema@.cohort_users(%3$I, %2$I, $1, $2) FROM %1$s)) AS t
                $q$, source, ts_col, user_col)
            USING period, periods;
            RETURN;
        EXCEPTION WHEN program_limit_exceeded THEN
            -- more customers than one state holds: group by customer below
        END;
    END IF;
    RETURN QUERY EXECUTE format(
        $q$
        WITH per_user AS (
            SELECT @extschema@.cohort_activity(%2$I, $1, $2) AS a
              FROM %1$s
             WHERE %2$I IS NOT NULL AND %3$I IS NOT NULL
             GROUP BY %3$I),
        cells AS (
            SELECT (a).cohort AS cohort, o AS k, count(*) AS users
              FROM per_user, unnest((a).offsets) AS o
             GROUP BY 1, 2)
        -- every customer is active at offset 0 of its cohort: those are the cohort sizes
        SELECT s.cohort, k.k, s.users, coalesce(act.users, 0)::bigint,
               coalesce(act.users, 0)::double precision / s.users
          FROM cells s
         CROSS JOIN generate_series(0, $2) AS k(k)
          LEFT JOIN cells act ON act.cohort = s.cohort AND act.k = k.k
         WHERE s.k = 0
         ORDER BY 1, 2
        $q$, source, ts_col, user_col)
    USING period, periods;
END
$$;
COMMENT ON FUNCTION @extschema@.cohort_matrix(regclass, name, name, text, integer) IS 'Cohort matrix of an events table: per cohort (first active period) and offset 0..periods, the customers active and their share; caller''s privileges';

-- ==================== sequence: sequence_match, sequence_count ====================

-- ---------- support functions ----------

CREATE FUNCTION @extschema@.sequence_trans(@extschema@.event_list, text, timestamptz, bool[])
    RETURNS @extschema@.event_list
    AS 'MODULE_PATHNAME', 'pp_sequence_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.sequence_trans(@extschema@.event_list, text, timestamptz, bool[]) IS 'Transition function of sequence_match and sequence_count (checks the pattern on the first row)';

CREATE FUNCTION @extschema@.sequence_combine(@extschema@.event_list, @extschema@.event_list)
    RETURNS @extschema@.event_list
    AS 'MODULE_PATHNAME', 'pp_sequence_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.sequence_combine(@extschema@.event_list, @extschema@.event_list) IS 'Combine function of sequence_match and sequence_count';

CREATE FUNCTION @extschema@.sequence_match_final(@extschema@.event_list) RETURNS boolean
    AS 'MODULE_PATHNAME', 'pp_sequence_match_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.sequence_match_final(@extschema@.event_list) IS 'Final function of sequence_match';

CREATE FUNCTION @extschema@.sequence_count_final(@extschema@.event_list) RETURNS bigint
    AS 'MODULE_PATHNAME', 'pp_sequence_count_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.sequence_count_final(@extschema@.event_list) IS 'Final function of sequence_count';

-- ---------- aggregates ----------

CREATE AGGREGATE @extschema@.sequence_match(pattern text, ts timestamptz, VARIADIC conds bool[]) (
    SFUNC = @extschema@.sequence_trans,
    STYPE = @extschema@.event_list,
    COMBINEFUNC = @extschema@.sequence_combine,
    FINALFUNC = @extschema@.sequence_match_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.sequence_match(text, timestamptz, VARIADIC bool[]) IS 'Whether the events (rows meeting a condition, in time order) contain the pattern: (?N), ., .*, (?t op seconds) as in ClickHouse sequenceMatch; at most 64 events per pattern';

CREATE AGGREGATE @extschema@.sequence_count(pattern text, ts timestamptz, VARIADIC conds bool[]) (
    SFUNC = @extschema@.sequence_trans,
    STYPE = @extschema@.event_list,
    COMBINEFUNC = @extschema@.sequence_combine,
    FINALFUNC = @extschema@.sequence_count_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.sequence_count(text, timestamptz, VARIADIC bool[]) IS 'Number of non-overlapping occurrences of the pattern (ClickHouse sequenceCount); each match starts after the previous one ends';

-- ==================== abtest: conversion and Welch readouts ====================

-- ---------- types ----------

CREATE TYPE @extschema@.ab_state;

CREATE FUNCTION @extschema@.ab_state_in(cstring) RETURNS @extschema@.ab_state
    AS 'MODULE_PATHNAME', 'pp_ab_state_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ab_state_in(cstring) IS 'Text input of the A/B aggregate state (alpha;variants;len:label;n;successes;mean;m2...)';

CREATE FUNCTION @extschema@.ab_state_out(@extschema@.ab_state) RETURNS cstring
    AS 'MODULE_PATHNAME', 'pp_ab_state_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ab_state_out(@extschema@.ab_state) IS 'Text output of the A/B aggregate state';

CREATE TYPE @extschema@.ab_state (
    INPUT = @extschema@.ab_state_in,
    OUTPUT = @extschema@.ab_state_out,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = double,
    STORAGE = extended
);
COMMENT ON TYPE @extschema@.ab_state IS 'State of ab_test and welch_test aggregates: per variant count, conversions, mean and M2 (Chan merge)';

CREATE TYPE @extschema@.ab_test_result AS (
    rate_a      double precision,
    rate_b      double precision,
    diff        double precision,
    diff_low    double precision,
    diff_high   double precision,
    lift        double precision,
    lift_low    double precision,
    lift_high   double precision,
    z           double precision,
    p_value     double precision,
    significant boolean
);
COMMENT ON TYPE @extschema@.ab_test_result IS 'Conversion A/B readout (result of ab_test)';
COMMENT ON COLUMN @extschema@.ab_test_result.rate_a IS 'Conversion rate of A (the control)';
COMMENT ON COLUMN @extschema@.ab_test_result.rate_b IS 'Conversion rate of B';
COMMENT ON COLUMN @extschema@.ab_test_result.diff IS 'rate_b - rate_a';
COMMENT ON COLUMN @extschema@.ab_test_result.diff_low IS 'Lower bound of the unpooled Wald interval of diff at 1 - alpha';
COMMENT ON COLUMN @extschema@.ab_test_result.diff_high IS 'Upper bound of the unpooled Wald interval of diff at 1 - alpha';
COMMENT ON COLUMN @extschema@.ab_test_result.lift IS 'Relative lift rate_b / rate_a - 1 (NULL when rate_a is 0)';
COMMENT ON COLUMN @extschema@.ab_test_result.lift_low IS 'Lower bound of the lift (Katz log interval of the ratio, minus 1; NULL when a rate is 0)';
COMMENT ON COLUMN @extschema@.ab_test_result.lift_high IS 'Upper bound of the lift (Katz log interval of the ratio, minus 1; NULL when a rate is 0)';
COMMENT ON COLUMN @extschema@.ab_test_result.z IS 'Pooled two-proportion z statistic (NULL when both rates are 0 or both 1)';
COMMENT ON COLUMN @extschema@.ab_test_result.p_value IS 'Two-sided p-value of z';
COMMENT ON COLUMN @extschema@.ab_test_result.significant IS 'p_value < alpha';

CREATE TYPE @extschema@.welch_test_result AS (
    variant_a   text,
    variant_b   text,
    n_a         bigint,
    n_b         bigint,
    mean_a      double precision,
    mean_b      double precision,
    var_a       double precision,
    var_b       double precision,
    diff        double precision,
    diff_low    double precision,
    diff_high   double precision,
    t           double precision,
    df          double precision,
    p_value     double precision,
    significant boolean
);
COMMENT ON TYPE @extschema@.welch_test_result IS 'Welch''s t-test readout of a continuous metric (result of welch_test)';
COMMENT ON COLUMN @extschema@.welch_test_result.variant_a IS 'Label of A: of the two labels, the one sorting first (byte order)';
COMMENT ON COLUMN @extschema@.welch_test_result.variant_b IS 'Label of B';
COMMENT ON COLUMN @extschema@.welch_test_result.n_a IS 'Rows of A';
COMMENT ON COLUMN @extschema@.welch_test_result.n_b IS 'Rows of B';
COMMENT ON COLUMN @extschema@.welch_test_result.mean_a IS 'Mean of A';
COMMENT ON COLUMN @extschema@.welch_test_result.mean_b IS 'Mean of B';
COMMENT ON COLUMN @extschema@.welch_test_result.var_a IS 'Sample variance of A (n - 1 denominator)';
COMMENT ON COLUMN @extschema@.welch_test_result.var_b IS 'Sample variance of B (n - 1 denominator)';
COMMENT ON COLUMN @extschema@.welch_test_result.diff IS 'mean_b - mean_a';
COMMENT ON COLUMN @extschema@.welch_test_result.diff_low IS 'Lower bound of the Welch interval of diff at 1 - alpha';
COMMENT ON COLUMN @extschema@.welch_test_result.diff_high IS 'Upper bound of the Welch interval of diff at 1 - alpha';
COMMENT ON COLUMN @extschema@.welch_test_result.t IS 'Welch t statistic (B minus A)';
COMMENT ON COLUMN @extschema@.welch_test_result.df IS 'Welch-Satterthwaite degrees of freedom';
COMMENT ON COLUMN @extschema@.welch_test_result.p_value IS 'Two-sided p-value';
COMMENT ON COLUMN @extschema@.welch_test_result.significant IS 'p_value < alpha';

-- ---------- functions ----------

CREATE FUNCTION @extschema@.ab_test(conversions_a bigint, n_a bigint, conversions_b bigint, n_b bigint,
                                    alpha double precision DEFAULT 0.05)
    RETURNS @extschema@.ab_test_result
    AS 'MODULE_PATHNAME', 'pp_ab_test' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ab_test(bigint, bigint, bigint, bigint, double precision) IS 'Conversion A/B readout from counts: rates, difference and lift with intervals, pooled z and two-sided p-value';

-- ---------- support functions ----------

CREATE FUNCTION @extschema@.ab_conversion_trans(@extschema@.ab_state, text, boolean) RETURNS @extschema@.ab_state
    AS 'MODULE_PATHNAME', 'pp_ab_conversion_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ab_conversion_trans(@extschema@.ab_state, text, boolean) IS 'Transition function of the ab_test aggregate';

CREATE FUNCTION @extschema@.ab_conversion_trans(@extschema@.ab_state, text, boolean, double precision) RETURNS @extschema@.ab_state
    AS 'MODULE_PATHNAME', 'pp_ab_conversion_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ab_conversion_trans(@extschema@.ab_state, text, boolean, double precision) IS 'Transition function of the ab_test aggregate with alpha';

CREATE FUNCTION @extschema@.ab_welch_trans(@extschema@.ab_state, text, double precision) RETURNS @extschema@.ab_state
    AS 'MODULE_PATHNAME', 'pp_ab_welch_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ab_welch_trans(@extschema@.ab_state, text, double precision) IS 'Transition function of welch_test';

CREATE FUNCTION @extschema@.ab_welch_trans(@extschema@.ab_state, text, double precision, double precision) RETURNS @extschema@.ab_state
    AS 'MODULE_PATHNAME', 'pp_ab_welch_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ab_welch_trans(@extschema@.ab_state, text, double precision, double precision) IS 'Transition function of welch_test with alpha';

CREATE FUNCTION @extschema@.ab_combine(@extschema@.ab_state, @extschema@.ab_state) RETURNS @extschema@.ab_state
    AS 'MODULE_PATHNAME', 'pp_ab_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ab_combine(@extschema@.ab_state, @extschema@.ab_state) IS 'Combine function of ab_test and welch_test (Chan merge of moments)';

CREATE FUNCTION @extschema@.ab_conversion_final(@extschema@.ab_state) RETURNS @extschema@.ab_test_result
    AS 'MODULE_PATHNAME', 'pp_ab_conversion_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.ab_conversion_final(@extschema@.ab_state) IS 'Final function of the ab_test aggregate';

CREATE FUNCTION @extschema@.welch_test_final(@extschema@.ab_state) RETURNS @extschema@.welch_test_result
    AS 'MODULE_PATHNAME', 'pp_welch_test_final' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.welch_test_final(@extschema@.ab_state) IS 'Final function of welch_test';

-- ---------- aggregates ----------

CREATE AGGREGATE @extschema@.ab_test(variant text, converted boolean) (
    SFUNC = @extschema@.ab_conversion_trans,
    STYPE = @extschema@.ab_state,
    COMBINEFUNC = @extschema@.ab_combine,
    FINALFUNC = @extschema@.ab_conversion_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.ab_test(text, boolean) IS 'Conversion A/B readout over (variant, converted) rows; A is the label sorting first; alpha 0.05';

CREATE AGGREGATE @extschema@.ab_test(variant text, converted boolean, alpha double precision) (
    SFUNC = @extschema@.ab_conversion_trans,
    STYPE = @extschema@.ab_state,
    COMBINEFUNC = @extschema@.ab_combine,
    FINALFUNC = @extschema@.ab_conversion_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.ab_test(text, boolean, double precision) IS 'Conversion A/B readout over (variant, converted) rows at a given alpha';

CREATE AGGREGATE @extschema@.welch_test(variant text, value double precision) (
    SFUNC = @extschema@.ab_welch_trans,
    STYPE = @extschema@.ab_state,
    COMBINEFUNC = @extschema@.ab_combine,
    FINALFUNC = @extschema@.welch_test_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.welch_test(text, double precision) IS 'Welch''s t-test of a continuous metric over (variant, value) rows; A is the label sorting first; alpha 0.05';

CREATE AGGREGATE @extschema@.welch_test(variant text, value double precision, alpha double precision) (
    SFUNC = @extschema@.ab_welch_trans,
    STYPE = @extschema@.ab_state,
    COMBINEFUNC = @extschema@.ab_combine,
    FINALFUNC = @extschema@.welch_test_final,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.welch_test(text, double precision, double precision) IS 'Welch''s t-test over (variant, value) rows at a given alpha';

-- ==================== profile: lifecycle stages, profile tables, BI views ====================

-- ---------- tables ----------

CREATE TABLE @extschema@.profile_run (
    run_id      bigserial PRIMARY KEY,
    target      text NOT NULL,
    started_at  timestamptz NOT NULL,
    finished_at timestamptz NOT NULL,
    inserted    bigint NOT NULL,
    updated     bigint NOT NULL,
    deleted     bigint NOT NULL,
    unchanged   bigint NOT NULL,
    status      text NOT NULL
);
COMMENT ON TABLE @extschema@.profile_run IS 'One row per completed refresh_profile run: target, times and row counts';
COMMENT ON COLUMN @extschema@.profile_run.run_id IS 'Run number, increasing';
COMMENT ON COLUMN @extschema@.profile_run.target IS 'Schema-qualified, quoted name of the profile table';
COMMENT ON COLUMN @extschema@.profile_run.started_at IS 'Start of the refresh (statement clock)';
COMMENT ON COLUMN @extschema@.profile_run.finished_at IS 'End of the refresh (wall clock before commit)';
COMMENT ON COLUMN @extschema@.profile_run.inserted IS 'Rows inserted (keys new in the source)';
COMMENT ON COLUMN @extschema@.profile_run.updated IS 'Rows rewritten because a non-key column changed';
COMMENT ON COLUMN @extschema@.profile_run.deleted IS 'Rows deleted (keys gone from the source)';
COMMENT ON COLUMN @extschema@.profile_run.unchanged IS 'Rows left as they were';
COMMENT ON COLUMN @extschema@.profile_run.status IS 'succeeded (a failed refresh rolls back and leaves no row)';
CREATE INDEX profile_run_target ON @extschema@.profile_run (target, run_id);
COMMENT ON INDEX @extschema@.profile_run_target IS 'Latest runs of a target';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.profile_run', '');
COMMENT ON SEQUENCE @extschema@.profile_run_run_id_seq IS 'Run numbers of profile_run';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.profile_run_run_id_seq', '');

CREATE TABLE @extschema@.profile_history (
    run_id      bigint NOT NULL,
    target      text NOT NULL,
    key         text NOT NULL,
    op          text NOT NULL CHECK (op IN ('insert', 'update', 'delete')),
    column_name text,
    old_value   text,
    new_value   text,
    changed_at  timestamptz NOT NULL
);
COMMENT ON TABLE @extschema@.profile_history IS 'Changes made by refresh_profile: one row per changed tracked column (update), per deleted column value (delete) or per new key (insert)';
COMMENT ON COLUMN @extschema@.profile_history.run_id IS 'The run (profile_run.run_id) that made the change';
COMMENT ON COLUMN @extschema@.profile_history.target IS 'Schema-qualified, quoted name of the profile table';
COMMENT ON COLUMN @extschema@.profile_history.key IS 'The row''s key as text';
COMMENT ON COLUMN @extschema@.profile_history.op IS 'insert, update or delete';
COMMENT ON COLUMN @extschema@.profile_history.column_name IS 'The tracked column (NULL for an insert)';
COMMENT ON COLUMN @extschema@.profile_history.old_value IS 'Value before the run, as text (NULL for an insert)';
COMMENT ON COLUMN @extschema@.profile_history.new_value IS 'Value after the run, as text (NULL for a delete)';
COMMENT ON COLUMN @extschema@.profile_history.changed_at IS 'Start of the run';
CREATE INDEX profile_history_run ON @extschema@.profile_history (target, run_id, column_name);
COMMENT ON INDEX @extschema@.profile_history_run IS 'Changes of one run of a target';
SELECT pg_catalog.pg_extension_config_dump('@extschema@.profile_history', '');

-- Any role may refresh the profile tables it can write and read the history of
-- the profile tables it can read; row-level security keeps the other targets'
-- runs and changes out of sight and out of reach (the owner is exempt).
GRANT SELECT, INSERT ON @extschema@.profile_run, @extschema@.profile_history TO PUBLIC;
GRANT USAGE ON SEQUENCE @extschema@.profile_run_run_id_seq TO PUBLIC;
ALTER TABLE @extschema@.profile_run ENABLE ROW LEVEL SECURITY;
ALTER TABLE @extschema@.profile_history ENABLE ROW LEVEL SECURITY;
CREATE POLICY profile_run_read ON @extschema@.profile_run FOR SELECT
    USING (pg_catalog.has_table_privilege(pg_catalog.to_regclass(target), 'SELECT'));
COMMENT ON POLICY profile_run_read ON @extschema@.profile_run IS 'Runs of the profile tables the role can read';
CREATE POLICY profile_run_write ON @extschema@.profile_run FOR INSERT
    WITH CHECK (pg_catalog.has_table_privilege(pg_catalog.to_regclass(target), 'UPDATE'));
COMMENT ON POLICY profile_run_write ON @extschema@.profile_run IS 'Runs are recorded only for profile tables the role can update';
CREATE POLICY profile_history_read ON @extschema@.profile_history FOR SELECT
    USING (pg_catalog.has_table_privilege(pg_catalog.to_regclass(target), 'SELECT'));
COMMENT ON POLICY profile_history_read ON @extschema@.profile_history IS 'Changes of the profile tables the role can read';
CREATE POLICY profile_history_write ON @extschema@.profile_history FOR INSERT
    WITH CHECK (pg_catalog.has_table_privilege(pg_catalog.to_regclass(target), 'UPDATE'));
COMMENT ON POLICY profile_history_write ON @extschema@.profile_history IS 'Changes are recorded only for profile tables the role can update';

-- ---------- functions ----------

CREATE FUNCTION @extschema@.lifecycle_stage(recency_days double precision, tenure_days double precision,
                                            repeat_frequency double precision DEFAULT NULL,
                                            repeat_span_days double precision DEFAULT NULL,
                                            previous_stage text DEFAULT NULL,
                                            options jsonb DEFAULT '{}',
                                            model @extschema@.model DEFAULT NULL)
    RETURNS text LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    o jsonb := coalesce(options, '{}');
    k text;
    mode text := coalesce(o->>'mode', 'fixed');
    new_days float8;
    at_risk float8;
    dormant float8;
    churned float8;
    unit float8;
    level float8;       -- how far gone: days, rhythm ratio, or 1 - P(alive)
    stage text;
BEGIN
    FOR k IN SELECT jsonb_object_keys(o) LOOP
        IF k NOT IN ('mode', 'new_days', 'at_risk_days', 'dormant_days', 'churned_days',
                     'at_risk_ratio', 'dormant_ratio', 'churned_ratio',
                     'at_risk_p_alive', 'dormant_p_alive', 'churned_p_alive', 'model_unit_days') THEN
            RAISE EXCEPTION 'unsupported option "%" of lifecycle_stage', k USING ERRCODE = '0A000',
                HINT = 'Options are mode, new_days, at_risk_days, dormant_days, churned_days, at_risk_ratio, dormant_ratio, churned_ratio, at_risk_p_alive, dormant_p_alive, churned_p_alive and model_unit_days.';
        END IF;
        IF k <> 'mode' AND jsonb_typeof(o->k) <> 'number' THEN
            RAISE EXCEPTION 'lifecycle option "%" must be a number', k USING ERRCODE = '22023';
        END IF;
    END LOOP;
    IF mode NOT IN ('fixed', 'rhythm') THEN
        RAISE EXCEPTION 'unknown lifecycle mode "%"', mode USING ERRCODE = '22023',
            HINT = 'Use "fixed" (day thresholds) or "rhythm" (the customer''s own purchase interval).';
    END IF;
    IF previous_stage IS NOT NULL
       AND previous_stage NOT IN ('new', 'active', 'at_risk', 'dormant', 'churned', 'reactivated') THEN
        RAISE EXCEPTION 'unknown previous lifecycle stage "%"', previous_stage USING ERRCODE = '22023',
            HINT = 'Stages are new, active, at_risk, dormant, churned and reactivated.';
    END IF;
    IF recency_days IS NULL OR tenure_days IS NULL THEN
        RETURN NULL;
    END IF;
    IF recency_days IN ('NaN', 'Infinity', '-Infinity') OR tenure_days IN ('NaN', 'Infinity', '-Infinity')
       OR repeat_frequency IN ('NaN', 'Infinity', '-Infinity') OR repeat_span_days IN ('NaN', 'Infinity', '-Infinity') THEN
        RAISE EXCEPTION 'lifecycle_stage arguments must be finite' USING ERRCODE = '22000';
    END IF;
    IF recency_days < 0 OR tenure_days < recency_days OR repeat_frequency < 0 OR repeat_span_days < 0
       OR repeat_span_days > tenure_days THEN
        RAISE EXCEPTION 'inconsistent purchase summary'
            USING ERRCODE = '22023',
                  DETAIL = format('recency_days %s, tenure_days %s, repeat_frequency %s, repeat_span_days %s.',
                                  recency_days, tenure_days, repeat_frequency, repeat_span_days),
                  HINT = 'Pass rfm_summary''s fields: 0 <= recency_days <= tenure_days, 0 <= repeat_span_days <= tenure_days.';
    END IF;

    new_days := coalesce((o->>'new_days')::float8, 30);
    at_risk := coalesce((o->>'at_risk_days')::float8, 90);
    dormant := coalesce((o->>'dormant_days')::float8, 180);
    churned := coalesce((o->>'churned_days')::float8, 365);
    level := recency_days;
    IF mode = 'rhythm' AND model IS NOT NULL AND repeat_frequency >= 1 THEN
        -- P(alive) of BG/NBD; a customer without repeat purchases is always alive in
        -- that model, so those keep the day thresholds
        unit := coalesce((o->>'model_unit_days')::float8, 1);
        IF unit <= 0 THEN
            RAISE EXCEPTION 'model_unit_days must be positive' USING ERRCODE = '22023';
        END IF;
        at_risk := 1 - coalesce((o->>'at_risk_p_alive')::float8, 0.5);
        dormant := 1 - coalesce((o->>'dormant_p_alive')::float8, 0.25);
        churned := 1 - coalesce((o->>'churned_p_alive')::float8, 0.1);
        level := 1 - @extschema@.p_alive(repeat_frequency, (tenure_days - recency_days) / unit,
                                         tenure_days / unit, model);
    ELSIF mode = 'rhythm' AND repeat_frequency >= 1 AND repeat_span_days > 0 THEN
        -- the gap since the last purchase in units of the customer's mean interval
        at_risk := coalesce((o->>'at_risk_ratio')::float8, 2.5);
        dormant := coalesce((o->>'dormant_ratio')::float8, 5);
        churned := coalesce((o->>'churned_ratio')::float8, 10);
        level := recency_days / (repeat_span_days / repeat_frequency);
    END IF;
    IF NOT (new_days >= 0 AND at_risk >= 0 AND at_risk <= dormant AND dormant <= churned) THEN
        RAISE EXCEPTION 'lifecycle thresholds must be non-negative and increasing'
            USING ERRCODE = '22023',
                  DETAIL = format('new %s, at_risk %s, dormant %s, churned %s.', new_days, at_risk, dormant, churned),
                  HINT = 'Order them at_risk <= dormant <= churned (for P(alive): at_risk_p_alive >= dormant_p_alive >= churned_p_alive).';
    END IF;

    IF level > churned THEN
        stage := 'churned';
    ELSIF level > dormant THEN
        stage := 'dormant';
    ELSIF level > at_risk THEN
        stage := 'at_risk';
    ELSIF tenure_days <= new_days THEN
        stage := 'new';
    ELSIF previous_stage IN ('dormant', 'churned') THEN
        stage := 'reactivated';
    ELSE
        stage := 'active';
    END IF;
    RETURN stage;
END
$$;
COMMENT ON FUNCTION @extschema@.lifecycle_stage(double precision, double precision, double precision, double precision, text, jsonb, @extschema@.model) IS 'Lifecycle stage of a customer (new, active, at_risk, dormant, churned, reactivated) from rfm_summary fields, by day thresholds or by the customer''s own rhythm; reactivated needs the previous stage';

CREATE FUNCTION @extschema@.profile_diff(target regclass, source text, key name)
    RETURNS SETOF record AS 'MODULE_PATHNAME', 'pp_profile_diff'
    LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.profile_diff(regclass, text, name) IS 'The changes refresh_profile makes: rows (op, n, rel, tid, changed, src) with op i (new key), u (changed row, changed naming its changed columns) or d (vanished key), then one = row counting unchanged rows; call with AS d(op "char", n bigint, rel oid, tid tid, changed text[], src <target row type>)';

-- source_search_path: the caller's search_path, captured by its default when
-- the call is made, so that the source query sees the caller's tables while
-- the body runs with a pinned path.
CREATE PROCEDURE @extschema@.refresh_profile(target regclass, source text, key name DEFAULT 'customer_id',
                                             options jsonb DEFAULT '{}',
                                             source_search_path text DEFAULT pg_catalog.current_setting('search_path'))
    LANGUAGE plpgsql SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    o jsonb := coalesce(options, '{}');
    opt text;
    tname text;
    wait boolean;
    history boolean;
    tracked text[];
    cols text[];            -- target columns other than the key, in attnum order
    col_list text;          -- "a", "b"
    diff_values text;       -- ('a', t."a"::text, (d.src)."a"::text), ...
    old_values text;        -- ('a', t."a"::text), ...
    k text := quote_ident(key);
    run bigint;
    started timestamptz := clock_timestamp();
    n_ins bigint;
    n_upd bigint;
    n_del bigint;
    n_same bigint;
BEGIN
    IF target IS NULL OR source IS NULL OR key IS NULL THEN
        RAISE EXCEPTION 'refresh_profile target, source and key must not be NULL' USING ERRCODE = '22004';
    END IF;
    FOR opt IN SELECT jsonb_object_keys(o) LOOP
        IF opt NOT IN ('wait', 'track', 'history') THEN
            RAISE EXCEPTION 'unsupported option "%" of refresh_profile', opt USING ERRCODE = '0A000',
                HINT = 'Options are wait (boolean), track (array of column names) and history (boolean).';
        END IF;
    END LOOP;
    IF jsonb_typeof(o->'wait') NOT IN ('boolean') OR jsonb_typeof(o->'history') NOT IN ('boolean') THEN
        RAISE EXCEPTION 'refresh_profile options wait and history must be booleans' USING ERRCODE = '22023';
    END IF;
    IF jsonb_typeof(o->'track') <> 'array' THEN
        RAISE EXCEPTION 'refresh_profile option track must be an array of column names' USING ERRCODE = '22023';
    END IF;
    wait := coalesce((o->>'wait')::boolean, true);
    history := coalesce((o->>'history')::boolean, true);

    SELECT format('%I.%I', n.nspname, c.relname) INTO tname
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.oid = target AND c.relkind IN ('r', 'p');
    IF tname IS NULL THEN
        RAISE EXCEPTION 'refresh_profile target % is not a table', target USING ERRCODE = '22023';
    END IF;
    IF NOT (has_table_privilege(target, 'SELECT') AND has_table_privilege(target, 'INSERT')
            AND has_table_privilege(target, 'UPDATE') AND has_table_privilege(target, 'DELETE')) THEN
        RAISE EXCEPTION 'permission denied to refresh %', tname USING ERRCODE = '42501',
            DETAIL = 'refresh_profile needs SELECT, INSERT, UPDATE and DELETE on the profile table.';
    END IF;

    -- one refresh per target at a time; the lock ends with the transaction
    IF wait THEN
        PERFORM pg_advisory_xact_lock(hashtext('portrait.refresh_profile'), target::oid::int);
    ELSIF NOT pg_try_advisory_xact_lock(hashtext('portrait.refresh_profile'), target::oid::int) THEN
        RAISE EXCEPTION 'a refresh of % is already running', tname USING ERRCODE = '55P03',
            DETAIL = 'Option wait is false, so this refresh does not queue behind it.',
            HINT = 'Retry later, or pass {"wait": true} to wait for the running refresh.';
    END IF;

    IF NOT EXISTS (SELECT 1 FROM pg_attribute
                   WHERE attrelid = target AND attname = key AND attnum > 0 AND NOT attisdropped) THEN
        RAISE EXCEPTION 'key column "%" is not a column of %', key, tname USING ERRCODE = '22023';
    END IF;
    SELECT array_agg(attname::text ORDER BY attnum) INTO cols
    FROM pg_attribute
    WHERE attrelid = target AND attnum > 0 AND NOT attisdropped AND attname <> key AND attgenerated = '';
    cols := coalesce(cols, '{}');

    IF o ? 'track' THEN
        tracked := ARRAY(SELECT jsonb_array_elements_text(o->'track'));
        SELECT c INTO opt FROM unnest(tracked) c WHERE c <> ALL (cols) LIMIT 1;
        IF opt IS NOT NULL THEN
            RAISE EXCEPTION 'tracked column "%" is not a non-key column of %', opt, tname USING ERRCODE = '22023';
        END IF;
    ELSE
        tracked := cols;
    END IF;

    IF to_regclass('pg_temp.portrait_refresh_diff') IS NOT NULL THEN
        DROP TABLE pg_temp.portrait_refresh_diff;
    END IF;
    run := nextval('@extschema@.profile_run_run_id_seq');
    col_list := (SELECT string_agg(quote_ident(c), ', ') FROM unnest(cols) c);

    -- one pass over target and source finds every difference: keys only in the
    -- source (i), only in the target (d), or with a changed column (u); the
    -- source must return the target's columns by name and runs unchanged (its
    -- errors reach the caller as they are), its columns cast to the target's
    -- types so that comparisons are exact
    PERFORM pg_catalog.set_config('search_path', source_search_path, true);
    EXECUTE format('CREATE TEMP TABLE portrait_refresh_diff ON COMMIT DROP AS
                    SELECT * FROM @extschema@.profile_diff($1, $2, $3)
                    AS d(op pg_catalog."char", n pg_catalog.int8, rel pg_catalog.oid, tid pg_catalog.tid, changed pg_catalog.text[], src %s)', tname)
    USING target, source, key;
    PERFORM pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true);
    SELECT count(*) FILTER (WHERE op = 'i'), count(*) FILTER (WHERE op = 'u'),
           count(*) FILTER (WHERE op = 'd'), max(n) FILTER (WHERE op = '=')
    INTO n_ins, n_upd, n_del, n_same
    FROM pg_temp.portrait_refresh_diff;
    ANALYZE pg_temp.portrait_refresh_diff;

    -- The rows to change are fetched by tid.  The planner prices a TID lookup
    -- per row above a scan of the whole table, but the lookups win until
    -- some 5% of the rows change (the settings revert when the call ends).
    IF (n_upd + n_del) * 20 < n_upd + n_del + n_same THEN
        PERFORM pg_catalog.set_config('enable_hashjoin', 'off', true), pg_catalog.set_config('enable_mergejoin', 'off', true);
    END IF;

    -- changed rows: history first (old values), then one rewrite per changed row
    IF history AND cardinality(tracked) > 0 AND n_upd > 0 THEN
        diff_values := (SELECT string_agg(format('(%L, t.%2$I::text, (d.src).%2$I::text)', c, c), ', ')
                        FROM unnest(tracked) c);
        EXECUTE format('INSERT INTO @extschema@.profile_history (run_id, target, key, op, column_name, old_value, new_value, changed_at)
                        SELECT $1, $2, t.%1$s::text, ''update'', v.c, v.o, v.n, $3
                        FROM pg_temp.portrait_refresh_diff d JOIN %2$s t ON t.tableoid = d.rel AND t.ctid = d.tid
                        CROSS JOIN LATERAL (VALUES %3$s) v(c, o, n) WHERE d.op = ''u'' AND v.c = ANY (d.changed)',
                       k, tname, diff_values)
        USING run, tname, started;
    END IF;
    IF n_upd > 0 THEN
        EXECUTE format('UPDATE %1$s t SET (%2$s) = (SELECT %3$s) FROM pg_temp.portrait_refresh_diff d
                        WHERE t.tableoid = d.rel AND t.ctid = d.tid AND d.op = ''u''',
                       tname, col_list, (SELECT string_agg(format('(d.src).%I', c), ', ') FROM unnest(cols) c));
    END IF;

    -- vanished keys: their tracked values go to the history as they are deleted
    IF n_del > 0 THEN
        old_values := coalesce((SELECT string_agg(format('(%L, t.%I::text)', c, c), ', ') FROM unnest(tracked) c), '(NULL, NULL)');
        EXECUTE format('WITH del AS (DELETE FROM %1$s t USING pg_temp.portrait_refresh_diff d
                                     WHERE t.tableoid = d.rel AND t.ctid = d.tid AND d.op = ''d'' RETURNING t.*)
                        INSERT INTO @extschema@.profile_history (run_id, target, key, op, column_name, old_value, new_value, changed_at)
                        SELECT $1, $2, t.%2$s::text, ''delete'', v.c, v.o, NULL, $3
                        FROM del t CROSS JOIN LATERAL (VALUES %3$s) v(c, o) WHERE $4 AND t.%2$s IS NOT NULL',
                       tname, k, old_values)
        USING run, tname, started, history AND cardinality(tracked) > 0;
    END IF;

    -- new keys: one history row each (all their values are new)
    IF n_ins > 0 THEN
        EXECUTE format('WITH ins AS (INSERT INTO %1$s (%2$s) SELECT %3$s FROM pg_temp.portrait_refresh_diff d
                                     WHERE d.op = ''i'' RETURNING %4$s)
                        INSERT INTO @extschema@.profile_history (run_id, target, key, op, column_name, old_value, new_value, changed_at)
                        SELECT $1, $2, ins.%4$s::text, ''insert'', NULL, NULL, NULL, $3 FROM ins WHERE $4',
                       tname, k || coalesce(', ' || col_list, ''),
                       (SELECT string_agg(format('(d.src).%I', c), ', ') FROM unnest(key::text || cols) c), k)
        USING run, tname, started, history;
    END IF;

    INSERT INTO @extschema@.profile_run (run_id, target, started_at, finished_at, inserted, updated, deleted, unchanged, status)
    VALUES (run, tname, started, clock_timestamp(), n_ins, n_upd, n_del, n_same, 'succeeded');
    DROP TABLE pg_temp.portrait_refresh_diff;
END
$$;
COMMENT ON PROCEDURE @extschema@.refresh_profile(regclass, text, name, jsonb, text) IS 'Make a profile table equal to a query''s result in one transaction, writing only changed rows, recording changes in profile_history and the run in profile_run';

CREATE FUNCTION @extschema@.profile_views(target regclass, options jsonb DEFAULT '{}')
    RETURNS SETOF text LANGUAGE plpgsql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    o jsonb := coalesce(options, '{}');
    opt text;
    nsp text;
    rel text;
    tname text;
    prefix text;
    k int;
    key text;
    seg text;
    clu text;
    col jsonb := '{}';      -- measure -> SQL expression over the profile (NULL::float8 when absent)
    measure text;
    vname text;
    bad boolean;
    aggs text;
BEGIN
    FOR opt IN SELECT jsonb_object_keys(o) LOOP
        IF opt NOT IN ('key', 'segment', 'cluster', 'revenue', 'recency', 'frequency', 'monetary', 'churn_risk',
                       'clv', 'min_customers', 'prefix') THEN
            RAISE EXCEPTION 'unsupported option "%" of profile_views', opt USING ERRCODE = '0A000',
                HINT = 'Options are key, segment, cluster, revenue, recency, frequency, monetary, churn_risk, clv (column names), min_customers and prefix.';
        END IF;
    END LOOP;
    SELECT n.nspname, c.relname INTO nsp, rel
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.oid = target AND c.relkind IN ('r', 'p', 'v', 'm');
    IF rel IS NULL THEN
        RAISE EXCEPTION 'profile_views target % is not a table or view', target USING ERRCODE = '22023';
    END IF;
    tname := format('%I.%I', nsp, rel);
    prefix := coalesce(o->>'prefix', rel);
    bad := o ? 'min_customers' AND CASE WHEN jsonb_typeof(o->'min_customers') = 'number'
                                        THEN (o->>'min_customers')::numeric < 1 OR (o->>'min_customers')::numeric % 1 <> 0
                                        ELSE true END;
    IF bad THEN
        RAISE EXCEPTION 'profile_views option min_customers must be a positive integer' USING ERRCODE = '22023';
    END IF;
    k := coalesce((o->>'min_customers')::int, 5);
    key := coalesce(o->>'key', 'customer_id');
    seg := coalesce(o->>'segment', 'segment');
    clu := coalesce(o->>'cluster', 'cluster');
    FOR opt IN SELECT unnest(ARRAY[key, seg]) LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = target AND attname = opt AND attnum > 0 AND NOT attisdropped) THEN
            RAISE EXCEPTION 'column "%" is not a column of %', opt, tname USING ERRCODE = '22023',
                HINT = 'Name the key and segment columns with the options key and segment.';
        END IF;
    END LOOP;
    FOR measure, opt IN SELECT m, coalesce(o->>m, d)
                        FROM (VALUES ('revenue', 'monetary'), ('recency', 'recency_days'), ('frequency', 'frequency'),
                                     ('monetary', 'monetary'), ('churn_risk', 'churn_risk'), ('clv', 'clv')) v(m, d) LOOP
        col := col || jsonb_build_object(measure,
            CASE WHEN EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = target AND attname = opt AND attnum > 0 AND NOT attisdropped)
                 THEN format('p.%I::float8', opt) ELSE 'NULL::float8' END);
    END LOOP;
    aggs := format('count(*) AS customers, count(*)::float8 / sum(count(*)) OVER () AS share,
                    sum(%s) AS revenue, avg(%s) AS avg_recency_days, avg(%s) AS avg_frequency,
                    avg(%s) AS avg_monetary, avg(%s) AS avg_churn_risk, avg(%s) AS avg_clv',
                   col->>'revenue', col->>'recency', col->>'frequency', col->>'monetary', col->>'churn_risk', col->>'clv');

    -- segment overview
    vname := format('%I.%I', nsp, prefix || '_segments');
    EXECUTE format('CREATE OR REPLACE VIEW %s AS SELECT g.segment, g.customers, g.share, g.revenue, g.avg_recency_days, g.avg_frequency,
                        g.avg_monetary, g.avg_churn_risk, g.avg_clv
                    FROM (SELECT p.%I::text AS segment, %s, count(*) AS n FROM %s p GROUP BY p.%I) g WHERE g.n >= %s',
                   vname, seg, aggs, tname, seg, k);
    EXECUTE format('COMMENT ON VIEW %s IS %L', vname,
                   format('Segment overview of %s (groups of fewer than %s customers left out)', tname, k));
    PERFORM @extschema@.profile_comment_columns(vname::regclass);
    RETURN NEXT vname;

    -- migration between the last two runs: keys without a change of the segment in the
    -- last run stayed where they are; new keys come from NULL, deleted ones go to NULL
    vname := format('%I.%I', nsp, prefix || '_migration');
    EXECUTE format($v$CREATE OR REPLACE VIEW %1$s AS
        WITH last AS (SELECT max(r.run_id) AS run_id FROM @extschema@.profile_run r WHERE r.target = %2$L),
             ch AS (SELECT h.key, h.op, h.old_value FROM @extschema@.profile_history h, last
                    WHERE h.target = %2$L AND h.run_id = last.run_id
                      AND (h.op = 'insert' OR h.column_name = %3$L)),
             moves AS (SELECT CASE WHEN c.key IS NULL THEN p.%4$I::text WHEN c.op = 'insert' THEN NULL ELSE c.old_value END AS from_segment,
                              p.%4$I::text AS to_segment
                       FROM %5$s p LEFT JOIN ch c ON c.key = p.%6$I::text
                       UNION ALL
                       SELECT c.old_value, NULL FROM ch c WHERE c.op = 'delete')
        SELECT m.from_segment, m.to_segment, count(*) AS customers,
               count(*)::float8 / sum(count(*)) OVER (PARTITION BY m.from_segment) AS share_of_from
        FROM moves m GROUP BY m.from_segment, m.to_segment HAVING count(*) >= %7$s$v$,
        vname, tname, seg, seg, tname, key, k);
    EXECUTE format('COMMENT ON VIEW %s IS %L', vname,
                   format('Segment migration of %s in its last refresh (groups of fewer than %s customers left out)', tname, k));
    PERFORM @extschema@.profile_comment_columns(vname::regclass);
    RETURN NEXT vname;

    -- cluster profiles, when there is a cluster column
    IF EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = target AND attname = clu AND attnum > 0 AND NOT attisdropped) THEN
        vname := format('%I.%I', nsp, prefix || '_clusters');
        EXECUTE format('CREATE OR REPLACE VIEW %s AS SELECT g.cluster, g.customers, g.share, g.revenue, g.avg_recency_days, g.avg_frequency,
                            g.avg_monetary, g.avg_churn_risk, g.avg_clv, g.top_segment
                        FROM (SELECT p.%I::text AS cluster, %s, mode() WITHIN GROUP (ORDER BY p.%I::text) AS top_segment, count(*) AS n
                              FROM %s p GROUP BY p.%I) g WHERE g.n >= %s',
                       vname, clu, aggs, seg, tname, clu, k);
        EXECUTE format('COMMENT ON VIEW %s IS %L', vname,
                       format('Cluster profiles of %s (groups of fewer than %s customers left out)', tname, k));
        PERFORM @extschema@.profile_comment_columns(vname::regclass);
        RETURN NEXT vname;
    END IF;
END
$$;
COMMENT ON FUNCTION @extschema@.profile_views(regclass, jsonb) IS 'Create (or replace) the BI views of a profile table: <name>_segments, <name>_migration and, with a cluster column, <name>_clusters; returns their names';

CREATE FUNCTION @extschema@.profile_comment_columns(view regclass)
    RETURNS void LANGUAGE plpgsql VOLATILE SECURITY INVOKER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c record;
BEGIN
    FOR c IN SELECT a.attname, d.comment
             FROM pg_attribute a
             JOIN (VALUES ('segment', 'Segment name'),
                          ('cluster', 'Cluster label'),
                          ('customers', 'Number of customers'),
                          ('share', 'Share of all customers (0 to 1) before small groups are left out'),
                          ('revenue', 'Sum of monetary value'),
                          ('avg_recency_days', 'Mean days since the last purchase'),
                          ('avg_frequency', 'Mean number of purchases'),
                          ('avg_monetary', 'Mean monetary value'),
                          ('avg_churn_risk', 'Mean churn risk (1 - P(alive))'),
                          ('avg_clv', 'Mean customer lifetime value'),
                          ('top_segment', 'Most common segment in the cluster'),
                          ('from_segment', 'Segment before the last refresh (NULL: new customer)'),
                          ('to_segment', 'Segment after the last refresh (NULL: customer removed)'),
                          ('share_of_from', 'Share of the from segment''s customers that made this move')) d(name, comment)
               ON d.name = a.attname
             WHERE a.attrelid = view AND a.attnum > 0 LOOP
        EXECUTE format('COMMENT ON COLUMN %s.%I IS %L', view, c.attname, c.comment);
    END LOOP;
END
$$;
COMMENT ON FUNCTION @extschema@.profile_comment_columns(regclass) IS 'Comment the columns of a view made by profile_views';
