
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
    inclusive   boolean NOT NULL DEFAULT false,
    PRIMARY KEY (map, priority)
);
COMMENT ON TABLE @extschema@.rfm_segment_rule IS 'Segment maps: per map, rules tried in priority order, the first whose bounds hold names the segment. Edit freely; kept by pg_dump.';
COMMENT ON COLUMN @extschema@.rfm_segment_rule.map IS 'Map name, e.g. standard or cn8';
COMMENT ON COLUMN @extschema@.rfm_segment_rule.priority IS 'Rules are tried in ascending priority; the first match wins';
COMMENT ON COLUMN @extschema@.rfm_segment_rule.segment IS 'Segment name returned when the rule matches';
COMMENT ON COLUMN @extschema@.rfm_segment_rule.r_low IS 'Recency score must be greater than this, or at least this when inclusive (NULL: no bound)';
COMMENT ON COLUMN @extschema@.rfm_segment_rule.r_high IS 'Recency score must be at most this (NULL: no bound)';
COMMENT ON COLUMN @extschema@.rfm_segment_rule.f_low IS 'Frequency score must be greater than this, or at least this when inclusive (NULL: no bound)';
COMMENT ON COLUMN @extschema@.rfm_segment_rule.f_high IS 'Frequency score must be at most this (NULL: no bound)';
COMMENT ON COLUMN @extschema@.rfm_segment_rule.m_low IS 'Monetary score must be greater than this, or at least this when inclusive (NULL: no bound)';
COMMENT ON COLUMN @extschema@.rfm_segment_rule.m_high IS 'Monetary score must be at most this (NULL: no bound)';
COMMENT ON COLUMN @extschema@.rfm_segment_rule.fm_low IS '(F + M) / 2 must be greater than this, or at least this when inclusive (NULL: no bound)';
COMMENT ON COLUMN @extschema@.rfm_segment_rule.fm_high IS '(F + M) / 2 must be at most this (NULL: no bound)';
COMMENT ON COLUMN @extschema@.rfm_segment_rule.relative IS 'Bounds apply to score minus the population mean score (needs the rfm model)';
COMMENT ON COLUMN @extschema@.rfm_segment_rule.description IS 'What the segment means, for people';
COMMENT ON COLUMN @extschema@.rfm_segment_rule.builtin IS 'Row as installed by the extension; an edited row becomes false and is kept by pg_dump';
COMMENT ON COLUMN @extschema@.rfm_segment_rule.inclusive IS 'Lower bounds are inclusive too (low <= score <= high, as the standard map is published); false: low < score <= high';
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

-- The standard map read as its users read it (rfm_segment of the R package
-- rfm takes inclusive lower and upper bounds, and so do the tutorials that
-- publish this table): "R 4-5" means the scores 4 and 5.  The first matching
-- rule wins, so Can't Lose Them takes its cells before At Risk.
INSERT INTO @extschema@.rfm_segment_rule
    (map, priority, segment, r_low, r_high, fm_low, fm_high, builtin, inclusive, description) VALUES
    ('standard',  1, 'Champions',          4, 5, 4, 5, true, true, 'Bought recently, buy often and spend the most'),
    ('standard',  2, 'Loyal Customers',    2, 5, 3, 5, true, true, 'Buy regularly and spend well'),
    ('standard',  3, 'Potential Loyalist', 3, 5, 1, 3, true, true, 'Recent customers with average frequency and spend'),
    ('standard',  4, 'New Customers',      4, 5, 0, 1, true, true, 'Bought most recently, but rarely'),
    ('standard',  5, 'Promising',          3, 4, 0, 1, true, true, 'Recent shoppers who have not spent much yet'),
    ('standard',  6, 'Need Attention',     2, 3, 2, 3, true, true, 'Above-average recency, frequency and spend, but not lately'),
    ('standard',  7, 'About To Sleep',     2, 3, 0, 2, true, true, 'Below-average recency, frequency and spend'),
    ('standard',  8, 'Can''t Lose Them',   0, 1, 4, 5, true, true, 'Used to buy most and most often, but long ago'),
    ('standard',  9, 'At Risk',            0, 2, 2, 5, true, true, 'Spent a lot and bought often, but long ago'),
    ('standard', 10, 'Hibernating',        1, 2, 1, 2, true, true, 'Last purchase long ago, low spend and few orders'),
    ('standard', 11, 'Lost',               0, 2, 0, 2, true, true, 'Lowest recency, frequency and spend');

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


-- with after_as_of: 'error' or 'ignore' for rows after the as_of day
CREATE FUNCTION @extschema@.rfm_summary_trans(@extschema@.rfm_state, date, numeric, date, text)
    RETURNS @extschema@.rfm_state AS 'MODULE_PATHNAME', 'pp_rfm_summary_trans_date_num'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.rfm_summary_trans(@extschema@.rfm_state, date, numeric, date, text) IS 'Transition function of rfm_summary(date, numeric, date, after_as_of)';

CREATE FUNCTION @extschema@.rfm_summary_trans(@extschema@.rfm_state, date, double precision, date, text)
    RETURNS @extschema@.rfm_state AS 'MODULE_PATHNAME', 'pp_rfm_summary_trans_date_f8'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.rfm_summary_trans(@extschema@.rfm_state, date, double precision, date, text) IS 'Transition function of rfm_summary(date, float8, date, after_as_of)';

CREATE FUNCTION @extschema@.rfm_summary_trans(@extschema@.rfm_state, timestamp, numeric, timestamp, text)
    RETURNS @extschema@.rfm_state AS 'MODULE_PATHNAME', 'pp_rfm_summary_trans_ts_num'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.rfm_summary_trans(@extschema@.rfm_state, timestamp, numeric, timestamp, text) IS 'Transition function of rfm_summary(timestamp, numeric, timestamp, after_as_of)';

CREATE FUNCTION @extschema@.rfm_summary_trans(@extschema@.rfm_state, timestamp, double precision, timestamp, text)
    RETURNS @extschema@.rfm_state AS 'MODULE_PATHNAME', 'pp_rfm_summary_trans_ts_f8'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.rfm_summary_trans(@extschema@.rfm_state, timestamp, double precision, timestamp, text) IS 'Transition function of rfm_summary(timestamp, float8, timestamp, after_as_of)';

CREATE FUNCTION @extschema@.rfm_summary_trans(@extschema@.rfm_state, timestamptz, numeric, timestamptz, text)
    RETURNS @extschema@.rfm_state AS 'MODULE_PATHNAME', 'pp_rfm_summary_trans_tstz_num'
    LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.rfm_summary_trans(@extschema@.rfm_state, timestamptz, numeric, timestamptz, text) IS 'Transition function of rfm_summary(timestamptz, numeric, timestamptz, after_as_of)';

CREATE FUNCTION @extschema@.rfm_summary_trans(@extschema@.rfm_state, timestamptz, double precision, timestamptz, text)
    RETURNS @extschema@.rfm_state AS 'MODULE_PATHNAME', 'pp_rfm_summary_trans_tstz_f8'
    LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.rfm_summary_trans(@extschema@.rfm_state, timestamptz, double precision, timestamptz, text) IS 'Transition function of rfm_summary(timestamptz, float8, timestamptz, after_as_of)';

-- days in a named time zone: the same on every node, whatever its TimeZone
CREATE FUNCTION @extschema@.rfm_summary_trans(@extschema@.rfm_state, timestamptz, numeric, timestamptz, text, text)
    RETURNS @extschema@.rfm_state AS 'MODULE_PATHNAME', 'pp_rfm_summary_trans_tstz_num_zone'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.rfm_summary_trans(@extschema@.rfm_state, timestamptz, numeric, timestamptz, text, text) IS 'Transition function of rfm_summary(timestamptz, numeric, timestamptz, after_as_of, zone)';

CREATE FUNCTION @extschema@.rfm_summary_trans(@extschema@.rfm_state, timestamptz, double precision, timestamptz, text, text)
    RETURNS @extschema@.rfm_state AS 'MODULE_PATHNAME', 'pp_rfm_summary_trans_tstz_f8_zone'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.rfm_summary_trans(@extschema@.rfm_state, timestamptz, double precision, timestamptz, text, text) IS 'Transition function of rfm_summary(timestamptz, float8, timestamptz, after_as_of, zone)';

-- Default cost: per-customer GROUP BY over many orders may then run as a
-- partial aggregate in parallel workers, whose states the leader merges.
CREATE FUNCTION @extschema@.rfm_summary_combine(@extschema@.rfm_state, @extschema@.rfm_state)
    RETURNS @extschema@.rfm_state AS 'MODULE_PATHNAME', 'pp_rfm_summary_combine'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
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

-- a quoted model literal without a cast lands here instead of in the window
-- form (which would ask for an OVER clause): the error says to cast it
CREATE FUNCTION @extschema@.rfm_score(recency double precision, frequency double precision,
                                      monetary double precision, model text)
    RETURNS @extschema@.rfm_score AS 'MODULE_PATHNAME', 'pp_rfm_score_text'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.rfm_score(double precision, double precision, double precision, text) IS 'Raises an error that says to cast a model literal to portrait.model';

CREATE FUNCTION @extschema@.rfm_score(recency double precision, frequency double precision,
                                      monetary double precision, model text, map text)
    RETURNS @extschema@.rfm_score AS 'MODULE_PATHNAME', 'pp_rfm_score_text'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.rfm_score(double precision, double precision, double precision, text, text) IS 'Raises an error that says to cast a model literal to portrait.model';

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


-- after_as_of: what a row after the as_of day does, 'error' (as without the argument) or 'ignore'
CREATE AGGREGATE @extschema@.rfm_summary(ordered_at date, amount numeric, as_of date, after_as_of text) (
    SFUNC = @extschema@.rfm_summary_trans, STYPE = @extschema@.rfm_state,
    COMBINEFUNC = @extschema@.rfm_summary_combine, FINALFUNC = @extschema@.rfm_summary_final,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.rfm_summary(date, numeric, date, text) IS 'Purchase summary of a customer''s orders as of a day; after_as_of ''error'' or ''ignore'' says what rows after the as_of day do';

CREATE AGGREGATE @extschema@.rfm_summary(ordered_at date, amount double precision, as_of date, after_as_of text) (
    SFUNC = @extschema@.rfm_summary_trans, STYPE = @extschema@.rfm_state,
    COMBINEFUNC = @extschema@.rfm_summary_combine, FINALFUNC = @extschema@.rfm_summary_final,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.rfm_summary(date, double precision, date, text) IS 'Purchase summary of a customer''s orders as of a day; after_as_of ''error'' or ''ignore'' says what rows after the as_of day do';

CREATE AGGREGATE @extschema@.rfm_summary(ordered_at timestamp, amount numeric, as_of timestamp, after_as_of text) (
    SFUNC = @extschema@.rfm_summary_trans, STYPE = @extschema@.rfm_state,
    COMBINEFUNC = @extschema@.rfm_summary_combine, FINALFUNC = @extschema@.rfm_summary_final,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.rfm_summary(timestamp, numeric, timestamp, text) IS 'Purchase summary of a customer''s orders as of a day; after_as_of ''error'' or ''ignore'' says what rows after the as_of day do';

CREATE AGGREGATE @extschema@.rfm_summary(ordered_at timestamp, amount double precision, as_of timestamp, after_as_of text) (
    SFUNC = @extschema@.rfm_summary_trans, STYPE = @extschema@.rfm_state,
    COMBINEFUNC = @extschema@.rfm_summary_combine, FINALFUNC = @extschema@.rfm_summary_final,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.rfm_summary(timestamp, double precision, timestamp, text) IS 'Purchase summary of a customer''s orders as of a day; after_as_of ''error'' or ''ignore'' says what rows after the as_of day do';

CREATE AGGREGATE @extschema@.rfm_summary(ordered_at timestamptz, amount numeric, as_of timestamptz, after_as_of text) (
    SFUNC = @extschema@.rfm_summary_trans, STYPE = @extschema@.rfm_state,
    COMBINEFUNC = @extschema@.rfm_summary_combine, FINALFUNC = @extschema@.rfm_summary_final,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.rfm_summary(timestamptz, numeric, timestamptz, text) IS 'Purchase summary of a customer''s orders as of a day (session time zone); after_as_of ''error'' or ''ignore'' says what rows after the as_of day do';

CREATE AGGREGATE @extschema@.rfm_summary(ordered_at timestamptz, amount double precision, as_of timestamptz, after_as_of text) (
    SFUNC = @extschema@.rfm_summary_trans, STYPE = @extschema@.rfm_state,
    COMBINEFUNC = @extschema@.rfm_summary_combine, FINALFUNC = @extschema@.rfm_summary_final,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.rfm_summary(timestamptz, double precision, timestamptz, text) IS 'Purchase summary of a customer''s orders as of a day (session time zone); after_as_of ''error'' or ''ignore'' says what rows after the as_of day do';

CREATE AGGREGATE @extschema@.rfm_summary(ordered_at timestamptz, amount numeric, as_of timestamptz, after_as_of text, zone text) (
    SFUNC = @extschema@.rfm_summary_trans, STYPE = @extschema@.rfm_state,
    COMBINEFUNC = @extschema@.rfm_summary_combine, FINALFUNC = @extschema@.rfm_summary_final,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.rfm_summary(timestamptz, numeric, timestamptz, text, text) IS 'Purchase summary of a customer''s orders as of a day, days in the named time zone (the same on every node of a distributed query), rows after the as_of day an error or ignored: recency, frequency, monetary and the BG/NBD triple';

CREATE AGGREGATE @extschema@.rfm_summary(ordered_at timestamptz, amount double precision, as_of timestamptz, after_as_of text, zone text) (
    SFUNC = @extschema@.rfm_summary_trans, STYPE = @extschema@.rfm_state,
    COMBINEFUNC = @extschema@.rfm_summary_combine, FINALFUNC = @extschema@.rfm_summary_final,
    PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.rfm_summary(timestamptz, double precision, timestamptz, text, text) IS 'Purchase summary of a customer''s orders as of a day, days in the named time zone (the same on every node of a distributed query), rows after the as_of day an error or ignored: recency, frequency, monetary and the BG/NBD triple';

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

-- ---------- stored states (incremental refresh) ----------

CREATE FUNCTION @extschema@.rfm_state_merge(@extschema@.rfm_state, @extschema@.rfm_state)
    RETURNS @extschema@.rfm_state AS 'MODULE_PATHNAME', 'pp_rfm_state_merge'
    LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.rfm_state_merge(@extschema@.rfm_state, @extschema@.rfm_state) IS 'The rfm_summary state of the rows of two states together, counted up to the later of their as_of days (a stored state merged with the state of new rows); NULL is the state of no rows';

-- STABLE as the final function: a timestamp state's first and last order become timestamptz
CREATE FUNCTION @extschema@.rfm_summary_final(state @extschema@.rfm_state, as_of date)
    RETURNS @extschema@.rfm_summary AS 'MODULE_PATHNAME', 'pp_rfm_summary_final_at'
    LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.rfm_summary_final(@extschema@.rfm_state, date) IS 'The purchase summary of a stored rfm_summary state as of a day (its own as_of day or a later one): equal to rfm_summary over the same rows with that as_of day';

CREATE AGGREGATE @extschema@.rfm_summary_state(ordered_at date, amount numeric, as_of date) (
    SFUNC = @extschema@.rfm_summary_trans, STYPE = @extschema@.rfm_state,
    COMBINEFUNC = @extschema@.rfm_summary_combine, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.rfm_summary_state(date, numeric, date) IS 'The state of rfm_summary, to be stored and merged (rfm_state_merge) and finalised later (rfm_summary_final(state, as_of))';

CREATE AGGREGATE @extschema@.rfm_summary_state(ordered_at date, amount double precision, as_of date) (
    SFUNC = @extschema@.rfm_summary_trans, STYPE = @extschema@.rfm_state,
    COMBINEFUNC = @extschema@.rfm_summary_combine, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.rfm_summary_state(date, double precision, date) IS 'The state of rfm_summary, to be stored and merged (rfm_state_merge) and finalised later (rfm_summary_final(state, as_of))';

CREATE AGGREGATE @extschema@.rfm_summary_state(ordered_at timestamp, amount numeric, as_of timestamp) (
    SFUNC = @extschema@.rfm_summary_trans, STYPE = @extschema@.rfm_state,
    COMBINEFUNC = @extschema@.rfm_summary_combine, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.rfm_summary_state(timestamp, numeric, timestamp) IS 'The state of rfm_summary, to be stored and merged (rfm_state_merge) and finalised later (rfm_summary_final(state, as_of))';

CREATE AGGREGATE @extschema@.rfm_summary_state(ordered_at timestamp, amount double precision, as_of timestamp) (
    SFUNC = @extschema@.rfm_summary_trans, STYPE = @extschema@.rfm_state,
    COMBINEFUNC = @extschema@.rfm_summary_combine, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.rfm_summary_state(timestamp, double precision, timestamp) IS 'The state of rfm_summary, to be stored and merged (rfm_state_merge) and finalised later (rfm_summary_final(state, as_of))';

CREATE AGGREGATE @extschema@.rfm_summary_state(ordered_at timestamptz, amount numeric, as_of timestamptz) (
    SFUNC = @extschema@.rfm_summary_trans, STYPE = @extschema@.rfm_state,
    COMBINEFUNC = @extschema@.rfm_summary_combine, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.rfm_summary_state(timestamptz, numeric, timestamptz) IS 'The state of rfm_summary (days in the session time zone), to be stored and merged (rfm_state_merge) and finalised later (rfm_summary_final(state, as_of))';

CREATE AGGREGATE @extschema@.rfm_summary_state(ordered_at timestamptz, amount double precision, as_of timestamptz) (
    SFUNC = @extschema@.rfm_summary_trans, STYPE = @extschema@.rfm_state,
    COMBINEFUNC = @extschema@.rfm_summary_combine, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.rfm_summary_state(timestamptz, double precision, timestamptz) IS 'The state of rfm_summary (days in the session time zone), to be stored and merged (rfm_state_merge) and finalised later (rfm_summary_final(state, as_of))';

CREATE AGGREGATE @extschema@.rfm_summary_state(ordered_at timestamptz, amount numeric, as_of timestamptz, after_as_of text, zone text) (
    SFUNC = @extschema@.rfm_summary_trans, STYPE = @extschema@.rfm_state,
    COMBINEFUNC = @extschema@.rfm_summary_combine, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.rfm_summary_state(timestamptz, numeric, timestamptz, text, text) IS 'The state of rfm_summary, days in the named time zone, to be stored and merged (rfm_state_merge) and finalised later (rfm_summary_final(state, as_of))';

CREATE AGGREGATE @extschema@.rfm_summary_state(ordered_at timestamptz, amount double precision, as_of timestamptz, after_as_of text, zone text) (
    SFUNC = @extschema@.rfm_summary_trans, STYPE = @extschema@.rfm_state,
    COMBINEFUNC = @extschema@.rfm_summary_combine, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.rfm_summary_state(timestamptz, double precision, timestamptz, text, text) IS 'The state of rfm_summary, days in the named time zone, to be stored and merged (rfm_state_merge) and finalised later (rfm_summary_final(state, as_of))';

CREATE AGGREGATE @extschema@.rfm_state_merge(@extschema@.rfm_state) (
    SFUNC = @extschema@.rfm_state_merge, STYPE = @extschema@.rfm_state,
    COMBINEFUNC = @extschema@.rfm_state_merge, PARALLEL = SAFE);
COMMENT ON AGGREGATE @extschema@.rfm_state_merge(@extschema@.rfm_state) IS 'Merge of stored rfm_summary states (rfm_state_merge over rows), counted up to the latest as_of day';
