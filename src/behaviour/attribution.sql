
-- ==================== attribution: heuristic, Markov and Shapley channel attribution ====================

-- ---------- types ----------

CREATE TYPE @extschema@.attribution_state;

CREATE FUNCTION @extschema@.attribution_state_in(cstring) RETURNS @extschema@.attribution_state
    AS 'MODULE_PATHNAME', 'pp_attribution_state_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.attribution_state_in(cstring) IS 'Text input of portrait.attribution_state (checked field by field)';

CREATE FUNCTION @extschema@.attribution_state_out(@extschema@.attribution_state) RETURNS cstring
    AS 'MODULE_PATHNAME', 'pp_attribution_state_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.attribution_state_out(@extschema@.attribution_state) IS 'Text output of portrait.attribution_state';

CREATE TYPE @extschema@.attribution_state (
    INPUT = @extschema@.attribution_state_in,
    OUTPUT = @extschema@.attribution_state_out,
    INTERNALLENGTH = VARIABLE,
    ALIGNMENT = double,
    STORAGE = extended
);
COMMENT ON TYPE @extschema@.attribution_state IS 'Sums of the attribution models over journeys: heuristic credits, touches and cost per channel, Markov transition counts, conversions per channel coalition (combinable; movable between nodes as text)';

-- ---------- functions ----------

CREATE FUNCTION @extschema@.attribution_models(state @extschema@.attribution_state)
    RETURNS TABLE (channel text, model text, conversions float8, value float8, touches bigint, cost float8, roi float8)
    AS 'MODULE_PATHNAME', 'pp_attribution_models' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 64
    SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.attribution_models(@extschema@.attribution_state) IS 'Conversions and value credited to each channel by each model (first_touch, last_touch, linear, time_decay, position_based, markov, shapley, shapley_simplified), with the channel''s touches, cost and ROI = (value - cost) / cost';

CREATE FUNCTION @extschema@.attribution_removal_effects(state @extschema@.attribution_state)
    RETURNS TABLE (channel text, removal_effect float8, conversion_probability_without float8, conversion_probability float8)
    AS 'MODULE_PATHNAME', 'pp_attribution_removal_effects' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 16
    SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.attribution_removal_effects(@extschema@.attribution_state) IS 'Markov removal effect of each channel, 1 - P(conversion without it) / P(conversion), solved exactly from the absorbing chain';

CREATE FUNCTION @extschema@.attribution_transitions(state @extschema@.attribution_state)
    RETURNS TABLE (from_state text, to_state text, transitions bigint, probability float8)
    AS 'MODULE_PATHNAME', 'pp_attribution_transitions' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 64
    SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.attribution_transitions(@extschema@.attribution_state) IS 'The Markov chain''s transitions: counts and probabilities between (start), channel states (the last order channels, joined by > ), (conversion) and (null)';

CREATE FUNCTION @extschema@.attribution_shapley_ordered(state @extschema@.attribution_state)
    RETURNS TABLE (channel text, step integer, conversions float8, value float8)
    AS 'MODULE_PATHNAME', 'pp_attribution_shapley_ordered' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE ROWS 64
    SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.attribution_shapley_ordered(@extschema@.attribution_state) IS 'Ordered Shapley value (Zhao et al. 2018): credit of each channel at each position of the journeys'' distinct channels in first-touch order';

CREATE FUNCTION @extschema@.attribution_markov_model(state @extschema@.attribution_state)
    RETURNS @extschema@.model
    AS 'MODULE_PATHNAME', 'pp_attribution_markov_model' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.attribution_markov_model(@extschema@.attribution_state) IS 'The fitted Markov chain as a portrait.model of kind attribution: order, channels, states, transition matrix (a column per state, then conversion and null), removal effects';

CREATE FUNCTION @extschema@.attribution_report(state @extschema@.attribution_state)
    RETURNS TABLE (channel text, touches bigint, cost float8,
                   first_touch float8, last_touch float8, linear float8, time_decay float8,
                   position_based float8, markov float8, shapley float8,
                   first_touch_value float8, last_touch_value float8, linear_value float8,
                   time_decay_value float8, position_based_value float8, markov_value float8,
                   shapley_value float8,
                   first_touch_roi float8, last_touch_roi float8, linear_roi float8, time_decay_roi float8,
                   position_based_roi float8, markov_roi float8, shapley_roi float8,
                   removal_effect float8)
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT m.channel, max(m.touches), max(m.cost),
           max(m.conversions) FILTER (WHERE m.model = 'first_touch'),
           max(m.conversions) FILTER (WHERE m.model = 'last_touch'),
           max(m.conversions) FILTER (WHERE m.model = 'linear'),
           max(m.conversions) FILTER (WHERE m.model = 'time_decay'),
           max(m.conversions) FILTER (WHERE m.model = 'position_based'),
           max(m.conversions) FILTER (WHERE m.model = 'markov'),
           max(m.conversions) FILTER (WHERE m.model = 'shapley_simplified'),
           max(m.value) FILTER (WHERE m.model = 'first_touch'),
           max(m.value) FILTER (WHERE m.model = 'last_touch'),
           max(m.value) FILTER (WHERE m.model = 'linear'),
           max(m.value) FILTER (WHERE m.model = 'time_decay'),
           max(m.value) FILTER (WHERE m.model = 'position_based'),
           max(m.value) FILTER (WHERE m.model = 'markov'),
           max(m.value) FILTER (WHERE m.model = 'shapley_simplified'),
           max(m.roi) FILTER (WHERE m.model = 'first_touch'),
           max(m.roi) FILTER (WHERE m.model = 'last_touch'),
           max(m.roi) FILTER (WHERE m.model = 'linear'),
           max(m.roi) FILTER (WHERE m.model = 'time_decay'),
           max(m.roi) FILTER (WHERE m.model = 'position_based'),
           max(m.roi) FILTER (WHERE m.model = 'markov'),
           max(m.roi) FILTER (WHERE m.model = 'shapley_simplified'),
           max(r.removal_effect)
      FROM @extschema@.attribution_models(state) m
      JOIN @extschema@.attribution_removal_effects(state) r ON r.channel = m.channel
     GROUP BY m.channel
     ORDER BY m.channel COLLATE "C"
    $$;
COMMENT ON FUNCTION @extschema@.attribution_report(@extschema@.attribution_state) IS 'All models side by side per channel: conversions, value and ROI of first_touch, last_touch, linear, time_decay, position_based, markov and shapley, with touches, cost and the Markov removal effect';

-- ---------- support functions ----------

CREATE FUNCTION @extschema@.attribution_trans(@extschema@.attribution_state, @extschema@.journey_list)
    RETURNS @extschema@.attribution_state
    AS 'MODULE_PATHNAME', 'pp_attribution_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.attribution_trans(@extschema@.attribution_state, @extschema@.journey_list) IS 'Transition function of portrait.attribution';

CREATE FUNCTION @extschema@.attribution_trans(@extschema@.attribution_state, @extschema@.journey_list, jsonb)
    RETURNS @extschema@.attribution_state
    AS 'MODULE_PATHNAME', 'pp_attribution_trans' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.attribution_trans(@extschema@.attribution_state, @extschema@.journey_list, jsonb) IS 'Transition function of portrait.attribution with options';

CREATE FUNCTION @extschema@.attribution_combine(@extschema@.attribution_state, @extschema@.attribution_state)
    RETURNS @extschema@.attribution_state
    AS 'MODULE_PATHNAME', 'pp_attribution_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.attribution_combine(@extschema@.attribution_state, @extschema@.attribution_state) IS 'Combine function of portrait.attribution';

-- ---------- aggregates ----------

CREATE AGGREGATE @extschema@.attribution(journeys @extschema@.journey_list) (
    SFUNC = @extschema@.attribution_trans,
    STYPE = @extschema@.attribution_state,
    COMBINEFUNC = @extschema@.attribution_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.attribution(@extschema@.journey_list) IS 'Attribution state of customers'' journeys with the default options (Markov order 1, half-life 7 days, position weights 0.4/0.2/0.4)';

CREATE AGGREGATE @extschema@.attribution(journeys @extschema@.journey_list, options jsonb) (
    SFUNC = @extschema@.attribution_trans,
    STYPE = @extschema@.attribution_state,
    COMBINEFUNC = @extschema@.attribution_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE @extschema@.attribution(@extschema@.journey_list, jsonb) IS 'Attribution state of customers'' journeys; options: order (1-4), half_life_days, position_first, position_last, direct (channel of conversions without touches)';
