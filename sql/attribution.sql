-- Channel attribution: journeys from touchpoints and conversions, then the
-- heuristic, Markov and Shapley models.  The numbers in the comments are
-- worked by hand.
SET timezone = 'UTC';
SET extra_float_digits = 0;
CREATE TEMP TABLE touch (customer int, at timestamptz, channel text, cost float8);
CREATE TEMP TABLE conv (customer int, at timestamptz, value float8);
INSERT INTO touch VALUES
  (1, '2024-01-01', 'search', 1.0), (1, '2024-01-03', 'email', 0.5),
  (2, '2024-01-01', 'social', 2.0), (2, '2024-01-02', 'search', 1.0),
  (2, '2024-01-02 12:00', 'search', 1.0), (2, '2024-01-10', 'social', 2.0),
  (3, '2024-01-01', 'email', 0.5),
  (4, '2024-01-01', 'search', 1.0);
INSERT INTO conv VALUES (1, '2024-01-04', 100), (2, '2024-01-05', 50), (4, '2024-01-02', 30);

-- The event rows of both tables, one aggregate per customer.
CREATE TEMP VIEW events AS
  SELECT customer, at, channel, cost AS amount, false AS is_conversion FROM touch
  UNION ALL
  SELECT customer, at, NULL, value, true FROM conv;
CREATE TEMP TABLE j AS
  SELECT customer, portrait.journeys(at, channel, amount, is_conversion) AS journeys
    FROM events GROUP BY customer;

-- The journeys: the touches before each conversion, and those after the
-- last conversion as a journey that did not convert (customer 2's second
-- social touch, customer 3's email).
SELECT customer, p.*
  FROM j, portrait.journey_paths(journeys) p ORDER BY customer, journey;

-- A lookback window of 3 days keeps only the touches of the last 3 days
-- before a conversion (customer 2's first social touch is 4 days before);
-- dedupe drops the repeated search of customer 2.
SELECT customer, p.journey, p.path, p.converted
  FROM (SELECT customer, portrait.journeys(at, channel, amount, is_conversion, '3 days', true) AS journeys
          FROM events GROUP BY customer) s, portrait.journey_paths(journeys) p
 ORDER BY customer, journey;

-- The text form of a journey list reads back to the same list.
SELECT journeys::text, journeys::text::portrait.journey_list::text = journeys::text AS round_trip
  FROM j WHERE customer = 1;

-- All models side by side.  3 conversions worth 180:
--   first touch: search 2 (130), social 1 (50)
--   last touch: search 2 (80), email 1 (100)
--   linear: search 1/2 + 2/3 + 1 = 2.1667, email 0.5, social 0.3333
--   position based 40/20/40 (two touches: 50/50): search 0.5 + 0.6 + 1 = 2.1,
--     email 0.5, social 0.4
--   Markov order 1: P(conversion) = 0.6; without search 0.1, without email
--     0.4, without social 13/30, so removal effects 5/6, 1/3, 5/18 and
--     conversions 3 * (15, 6, 5) / 26 = 1.7308, 0.6923, 0.5769
--   Shapley (each journey's conversion split among its distinct channels):
--     search 1/2 + 1/2 + 1 = 2, email 0.5, social 0.5
SELECT channel, touches, cost, first_touch, last_touch, round(linear::numeric, 4) AS linear,
       round(time_decay::numeric, 4) AS time_decay, round(position_based::numeric, 4) AS position_based,
       round(markov::numeric, 4) AS markov, round(shapley::numeric, 4) AS shapley,
       round(removal_effect::numeric, 4) AS removal_effect
  FROM portrait.attribution_report((SELECT portrait.attribution(journeys) FROM j));

-- Time decay with a half-life of 7 days: customer 1's search was 2 days
-- before the email, so it gets 2^(-2/7) / (1 + 2^(-2/7)) of the conversion.
SELECT round((2 ^ (-2.0 / 7) / (1 + 2 ^ (-2.0 / 7)))::numeric, 4) AS search_share_of_customer_1;

-- Values and ROI = (value - cost) / cost per model, for two of them.
SELECT channel, model, round(conversions::numeric, 4) AS conversions, round(value::numeric, 2) AS value,
       cost, round(roi::numeric, 2) AS roi
  FROM portrait.attribution_models((SELECT portrait.attribution(journeys) FROM j))
 WHERE model IN ('last_touch', 'markov') ORDER BY model, channel;

-- The removal effects and the transition matrix (rows for BI).
SELECT channel, round(removal_effect::numeric, 6) AS removal_effect,
       round(conversion_probability_without::numeric, 6) AS without, conversion_probability
  FROM portrait.attribution_removal_effects((SELECT portrait.attribution(journeys) FROM j));
SELECT from_state, to_state, transitions, round(probability::numeric, 4) AS probability
  FROM portrait.attribution_transitions((SELECT portrait.attribution(journeys) FROM j));

-- Order 2: states are the last two channels; removing a channel removes
-- every state that contains it.
SELECT from_state, to_state, transitions
  FROM portrait.attribution_transitions((SELECT portrait.attribution(journeys, '{"order": 2}') FROM j));

-- Ordered Shapley: the credit by position among the journey's distinct
-- channels in first-touch order (search first in two journeys, second in one).
SELECT channel, step, conversions, value
  FROM portrait.attribution_shapley_ordered((SELECT portrait.attribution(journeys) FROM j));

-- Position weights 30/30 and a conversion without touches credited to 'direct'.
INSERT INTO conv VALUES (5, '2024-01-03', 10);
SELECT channel, round(position_based::numeric, 4) AS position_based, last_touch
  FROM portrait.attribution_report((
         SELECT portrait.attribution(journeys, '{"position_first": 0.3, "position_last": 0.3, "direct": "(direct)"}')
           FROM (SELECT customer, portrait.journeys(at, channel, amount, is_conversion) AS journeys
                   FROM events GROUP BY customer) s));

-- Errors: a conversion without touches (22000), a NULL channel (22004),
-- a negative value (22023), order 5 (22023).
SELECT portrait.attribution(journeys) FROM (SELECT customer, portrait.journeys(at, channel, amount, is_conversion) AS journeys
  FROM events GROUP BY customer) s;
SELECT portrait.journeys(at, NULL, 1, false) FROM touch;
SELECT portrait.journeys(at, NULL, -1, true) FROM conv;
SELECT portrait.attribution(journeys, '{"order": 5}') FROM j;

-- The fitted Markov chain as a portrait.model (kind attribution): states in
-- canonical order, a column per state then (conversion) and (null).
SELECT portrait.model_kind(m), m::jsonb -> 'states' AS states, m::jsonb -> 'transitions' -> 0 AS start_row,
       (SELECT array_agg(round(x::numeric, 6)) FROM jsonb_array_elements_text(m::jsonb -> 'removal_effects') x) AS removal_effects,
       m::text::portrait.model::text = m::text AS round_trip
  FROM (SELECT portrait.attribution_markov_model(portrait.attribution(journeys)) AS m FROM j) s;

-- A NULL journey list has no journeys.
SELECT count(*) FROM portrait.journey_paths(NULL);
