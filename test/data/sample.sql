-- =============================================================================
-- test/data/sample.sql -- synthetic e-commerce customer data set for pg_portrait
-- =============================================================================
--
-- What it generates
--   (Re)creates schema "demo" with two tables:
--     demo.customers  one row per customer: signup time and profile attributes
--                     (region, city tier, age band, gender, acquisition channel)
--     demo.orders     one row per order; refunds are extra rows with a negative
--                     amount, a few orders have a NULL (unknown) amount
--   Customers sign up between 2023-01-01 and 2024-12-31; the observation ends on
--   2024-12-31 23:59:59 Asia/Shanghai (the "as of" day is 2024-12-31) and no
--   order is later than that.
--
--   Purchase behaviour follows a "buy till you die" (BG/NBD-like) story:
--     * every customer has a purchase rate drawn from a gamma distribution
--       with shape 0.5 (very heterogeneous: from a few times a year to
--       several times a week), scaled up for tier1/tier2 cities, 25-44 year
--       olds, women and the 'app' channel;
--     * after each purchase (including the first) the customer drops out for
--       good with a customer-specific probability drawn from a beta
--       distribution (lower for app users, big cities and 25-44 year olds),
--       so many customers become inactive over time and about a third of
--       them never buy a second time;
--     * while alive, purchase days form a Bernoulli/Poisson process (geometric
--       gaps of at least one day); the first order is on the signup day;
--       times of day follow a quiet-night / busy-evening profile;
--     * the spend level of a customer is log-normal (higher in tier1 cities
--       and for 25-54 year olds), each order multiplies it by log-normal
--       noise plus a rare "big ticket" factor: mostly 20-500 CNY, long tail;
--     * ~4% of purchase days get a second (add-on) order on the same day,
--       ~1.5% of orders are refunded (negative row, same day or up to 7 days
--       later, never after the as-of time), ~0.5% of orders have amount NULL.
--   With the default 50000 customers this gives roughly 500k order rows; the
--   size scales linearly with :customers.  A one-row summary (counts, refund
--   and NULL counts, one-order share, same-day repeat share, time range) is
--   printed at the end.
--
-- How to run
--   psql -v ON_ERROR_STOP=1 -v customers=50000 -v seed=42 -f test/data/sample.sql
--   Both variables are optional (defaults: customers=50000, seed=42).
--
-- Determinism
--   No random()/setseed() is used.  Every random number is derived from a hash
--   of (seed, customer id, draw index) via hashint8extended(), so the same seed
--   and size give byte-identical tables whatever the plan, the number of
--   parallel workers or the row order.  Order ids are assigned by
--   row_number() over (customer_id, ordered_at, purchase number, sub-order).
--   Timestamps are computed as integer epoch seconds with an explicit +08:00
--   offset, so the session time zone does not influence the data either.
--
-- Only PostgreSQL 15 built-ins and temporary SQL-language helper functions in
-- pg_temp are used (they disappear at the end of the session).
-- =============================================================================

\set ON_ERROR_STOP on

\if :{?customers}
\else
\set customers 50000
\endif
\if :{?seed}
\else
\set seed 42
\endif

SET TimeZone = 'Asia/Shanghai';
SET client_min_messages = warning;
SET work_mem = '256MB';
-- the generator queries are huge inlined expressions: JIT compilation (in
-- particular with inlining/optimization at larger sizes) costs far more time
-- than it could ever save here
SET jit = off;

DROP SCHEMA IF EXISTS demo CASCADE;
CREATE SCHEMA demo;

-- -----------------------------------------------------------------------------
-- Helper functions (inlined by the planner; session-local)
-- -----------------------------------------------------------------------------

-- Uniform in the open interval (0,1), a pure function of (seed, id, k):
-- the top 53 bits of a 64-bit hash, shifted to the middle of their bucket.
-- hashint8extended(value, salt) mixes small differences of its 64-bit salt
-- far better than those of its value (which only goes through the final
-- mix), so (id, k) are packed into the salt (k < 2^20, id < 2^43) and
-- whitened with a per-seed constant (folded at plan time).
CREATE FUNCTION pg_temp.u(seed bigint, id bigint, k bigint) RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT ((hashint8extended(0, (($2 << 20) | $3) # hashint8extended($1, 7919)) >> 11)::float8
           + 4503599627370496.5::float8) / 9007199254740992.0::float8 $$;

-- Standard normal via Box-Muller from the two uniforms (k, k+1).
CREATE FUNCTION pg_temp.z(seed bigint, id bigint, k bigint) RETURNS float8
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT sqrt(-2.0 * ln(pg_temp.u($1, $2, $3)))
          * cos(2.0 * pi() * pg_temp.u($1, $2, $3 + 1)) $$;

-- Seconds after midnight for an order / signup: quiet night, busy evening.
CREATE FUNCTION pg_temp.tod(u1 float8, u2 float8) RETURNS int
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT CASE WHEN $1 < 0.05 THEN floor($2 * 25200)::int            -- 00-07
               WHEN $1 < 0.32 THEN 25200 + floor($2 * 18000)::int    -- 07-12
               WHEN $1 < 0.60 THEN 43200 + floor($2 * 21600)::int    -- 12-18
               ELSE                64800 + floor($2 * 21600)::int    -- 18-24
          END $$;

-- -----------------------------------------------------------------------------
-- Customers: attributes and latent behaviour parameters
--   draw indexes 0..19 of each customer are used here
--   day 0 = 2023-01-01, day 730 = 2024-12-31 (local time, +08:00)
-- -----------------------------------------------------------------------------
-- The CTEs are MATERIALIZED on purpose: PostgreSQL has no common-subexpression
-- elimination, and flattening them would copy each (hash-heavy) expression
-- into every place that references its column.
CREATE TEMP TABLE latent AS
WITH base AS MATERIALIZED (
    SELECT g::bigint AS customer_id,
           pg_temp.u(:seed, g, 0) AS u_region,
           pg_temp.u(:seed, g, 1) AS u_tier,
           pg_temp.u(:seed, g, 2) AS u_age,
           pg_temp.u(:seed, g, 3) AS u_gender,
           pg_temp.u(:seed, g, 4) AS u_channel,
           -- signups grow over time (density ~ day^0.15)
           least(730, floor(731 * power(pg_temp.u(:seed, g, 5), 1.0 / 1.15)))::int AS signup_day,
           pg_temp.u(:seed, g, 6) AS u_tod1,
           pg_temp.u(:seed, g, 7) AS u_tod2
    FROM generate_series(1, (:customers)::bigint) AS g
),
attr1 AS MATERIALIZED (
    SELECT b.*,
           CASE WHEN u_region < 0.30 THEN '华东'
                WHEN u_region < 0.50 THEN '华南'
                WHEN u_region < 0.66 THEN '华北'
                WHEN u_region < 0.77 THEN '西南'
                WHEN u_region < 0.87 THEN '华中'
                WHEN u_region < 0.94 THEN '东北'
                ELSE '西北' END AS region,
           CASE WHEN u_age < 0.17 THEN '18-24'
                WHEN u_age < 0.52 THEN '25-34'
                WHEN u_age < 0.78 THEN '35-44'
                WHEN u_age < 0.92 THEN '45-54'
                ELSE '55+' END AS age_band,
           CASE WHEN u_gender < 0.57 THEN 'F' ELSE 'M' END AS gender,
           pg_temp.tod(u_tod1, u_tod2) AS signup_tod
    FROM base b
),
attr AS MATERIALIZED (
    SELECT a.*,
           -- richer regions have more tier1/tier2 customers
           CASE WHEN u_tier < t1 THEN 'tier1'
                WHEN u_tier < t1 + 0.33 THEN 'tier2'
                WHEN u_tier < t1 + 0.33 + 0.30 THEN 'tier3'
                ELSE 'tier4' END AS city_tier,
           -- younger customers use the app / mini program, older ones web / store
           CASE WHEN age_band IN ('18-24', '25-34') THEN
                     CASE WHEN u_channel < 0.50 THEN 'app'
                          WHEN u_channel < 0.80 THEN 'mini_program'
                          WHEN u_channel < 0.94 THEN 'web' ELSE 'store' END
                WHEN age_band = '35-44' THEN
                     CASE WHEN u_channel < 0.40 THEN 'app'
                          WHEN u_channel < 0.68 THEN 'mini_program'
                          WHEN u_channel < 0.88 THEN 'web' ELSE 'store' END
                ELSE
                     CASE WHEN u_channel < 0.25 THEN 'app'
                          WHEN u_channel < 0.50 THEN 'mini_program'
                          WHEN u_channel < 0.77 THEN 'web' ELSE 'store' END
           END AS channel
    FROM attr1 a
    CROSS JOIN LATERAL (
        SELECT CASE a.region WHEN '华东' THEN 0.26 WHEN '华南' THEN 0.24
                             WHEN '华北' THEN 0.24 ELSE 0.08 END AS t1
    ) t
),
mult AS MATERIALIZED (
    SELECT a.*,
           -- purchase-rate multipliers
             (CASE city_tier WHEN 'tier1' THEN 1.40 WHEN 'tier2' THEN 1.15
                             WHEN 'tier3' THEN 0.90 ELSE 0.70 END)
           * (CASE age_band WHEN '18-24' THEN 0.85 WHEN '25-34' THEN 1.25
                            WHEN '35-44' THEN 1.20 WHEN '45-54' THEN 0.85 ELSE 0.65 END)
           * (CASE channel WHEN 'app' THEN 1.45 WHEN 'mini_program' THEN 1.00
                           WHEN 'web' THEN 0.80 ELSE 0.60 END)
           * (CASE gender WHEN 'F' THEN 1.08 ELSE 0.92 END) AS rate_mult,
           -- dropout-probability multipliers (loyal segments churn less)
             (CASE channel WHEN 'app' THEN 0.80 WHEN 'mini_program' THEN 1.05
                           WHEN 'web' THEN 1.10 ELSE 1.25 END)
           * (CASE city_tier WHEN 'tier1' THEN 0.80 WHEN 'tier2' THEN 0.92
                             WHEN 'tier3' THEN 1.05 ELSE 1.20 END)
           * (CASE age_band WHEN '18-24' THEN 1.20 WHEN '25-34' THEN 0.90
                            WHEN '35-44' THEN 0.90 WHEN '45-54' THEN 1.05 ELSE 1.15 END) AS drop_mult,
           -- spend-level multipliers
             (CASE city_tier WHEN 'tier1' THEN 1.40 WHEN 'tier2' THEN 1.12
                             WHEN 'tier3' THEN 0.92 ELSE 0.78 END)
           * (CASE age_band WHEN '18-24' THEN 0.75 WHEN '25-34' THEN 1.05
                            WHEN '35-44' THEN 1.25 WHEN '45-54' THEN 1.10 ELSE 0.90 END)
           * (CASE channel WHEN 'store' THEN 1.15 WHEN 'mini_program' THEN 0.85 ELSE 1.00 END)
           AS spend_mult
    FROM attr a
),
draws AS MATERIALIZED (
    SELECT m.*,
           -- purchase rate per day while alive: gamma(shape 0.5) = scale * Z^2 / 2,
           --   mean 46/yr (median ~21/yr) before the segment multipliers, so
           --   most customers buy every few weeks/months and some several
           --   times a week; capped at 0.5 purchases per day
           least(0.5, power(pg_temp.z(:seed, customer_id, 8), 2) * (46.0 / 365.0) * rate_mult) AS lam,
           -- dropout probability after each purchase: Beta(0.5, 1.5) * multiplier
           --   (mean 0.25, many loyal customers near 0 and a one-and-done tail),
           --   Beta = X / (X + Y), X ~ gamma(0.5) = Z^2/2, Y ~ gamma(1.5) = Exp + Z^2/2
           least(0.95, greatest(0.002, drop_mult / (1.0 + by / bx))) AS p_drop,
           pg_temp.u(:seed, customer_id, 12) AS u_life,
           -- log of the customer's typical order value (log-normal spend level)
           ln(95.0 * spend_mult) + 0.55 * pg_temp.z(:seed, customer_id, 13) AS spend_mu,
           -- probability that a purchase day has an add-on order
           0.040 * (CASE channel WHEN 'app' THEN 1.20 WHEN 'mini_program' THEN 1.05
                                 WHEN 'web' THEN 0.80 ELSE 0.55 END) AS p_extra
    FROM mult m
    CROSS JOIN LATERAL (
        SELECT 0.5 * power(pg_temp.z(:seed, m.customer_id, 15), 2) AS bx,
               -ln(pg_temp.u(:seed, m.customer_id, 17))
               + 0.5 * power(pg_temp.z(:seed, m.customer_id, 18), 2) AS by
    ) b
)
SELECT customer_id, region, city_tier, age_band, gender, channel,
       signup_day, signup_tod, lam, p_drop, spend_mu, p_extra,
       -- number of repeat purchases the customer would make before dropping
       -- out (geometric), capped by what can fit into the observation window
       least(floor(ln(u_life) / ln(1.0 - p_drop)),
             730 - signup_day,
             ceil((730 - signup_day) * lam + 5.0 * sqrt((730 - signup_day) * lam) + 6))::int
           AS n_cap
FROM draws;

CREATE TABLE demo.customers (
    customer_id bigint PRIMARY KEY,
    signup_at   timestamptz,
    region      text,
    city_tier   text,
    age_band    text,
    gender      text,
    channel     text
);

INSERT INTO demo.customers
SELECT customer_id,
       to_timestamp((1672502400 + signup_day * 86400 + signup_tod)::float8),
       region, city_tier, age_band, gender, channel
FROM latent
ORDER BY customer_id;

-- -----------------------------------------------------------------------------
-- Orders
--   purchase j of a customer (j = 0 is the signup-day order) uses the draw
--   indexes 100 + 32*j + 0..16:
--     +0 gap   +1,+2 time of day   +3 add-on?   +4 add-on time
--     +5,+6 amount normal   +7 big ticket?   +8 big ticket size   +9 NULL amount?
--     +10,+11 add-on amount normal   +12 add-on NULL?
--     +13,+14 refund of the main order (decision, delay)
--     +15,+16 refund of the add-on order (decision, delay)
--   Times are integer epoch seconds; 1672502400 = 2023-01-01 00:00:00+08,
--   1735660799 = 2024-12-31 23:59:59+08 (end of observation).
-- -----------------------------------------------------------------------------
CREATE TABLE demo.orders (
    order_id    bigint PRIMARY KEY,
    customer_id bigint NOT NULL,
    ordered_at  timestamptz NOT NULL,
    amount      numeric(12,2)
);

INSERT INTO demo.orders
WITH days0 AS (
    -- signup-day purchase: shortly (< 1 h) after signing up, same day
    SELECT l.customer_id, 0 AS j, l.signup_day AS day,
           l.signup_tod + floor(pg_temp.u(:seed, l.customer_id, 101)
                                * least(3600, 86400 - l.signup_tod))::int AS tod,
           l.spend_mu, l.p_extra
    FROM latent l
    UNION ALL
    -- repeat purchases: cumulated geometric gaps (>= 1 day) while alive
    SELECT l.customer_id, r.j, l.signup_day + r.gap_sum::int AS day,
           pg_temp.tod(r.u1, r.u2) AS tod,
           l.spend_mu, l.p_extra
    FROM latent l
    CROSS JOIN LATERAL (
        -- (a window subquery is never flattened: u1, u2 are computed once)
        SELECT s.j,
               sum(1.0 + floor(-ln(pg_temp.u(:seed, l.customer_id, 100 + 32 * s.j)) / l.lam))
                   OVER (ORDER BY s.j) AS gap_sum,
               pg_temp.u(:seed, l.customer_id, 101 + 32 * s.j) AS u1,
               pg_temp.u(:seed, l.customer_id, 102 + 32 * s.j) AS u2
        FROM generate_series(1, l.n_cap) AS s(j)
    ) r
    WHERE l.n_cap > 0
      AND l.signup_day + r.gap_sum <= 730
),
days AS MATERIALIZED (
    -- one row per purchase day with everything needed for its up to four
    -- order rows (main, add-on, refund of main, refund of add-on)
    SELECT customer_id, j,
           1672502400::bigint + day * 86400 + tod AS es0,
           -- add-on order later on the same day; NULL = no add-on
           CASE WHEN pg_temp.u(:seed, customer_id, 103 + 32 * j) < p_extra
                THEN 1672502400::bigint + day * 86400 + tod
                     + floor(pg_temp.u(:seed, customer_id, 104 + 32 * j) * (86400 - tod))::bigint
           END AS es1,
           -- main order amount: log-normal around the customer's level, rare
           -- big tickets (x2..x8), 0.5% unknown (NULL)
           CASE WHEN pg_temp.u(:seed, customer_id, 109 + 32 * j) >= 0.005 THEN
                greatest(1.00, round((
                    exp(spend_mu + 0.45 * pg_temp.z(:seed, customer_id, 105 + 32 * j) - 0.10)
                  * CASE WHEN pg_temp.u(:seed, customer_id, 107 + 32 * j) < 0.015
                         THEN 2.0 + 6.0 * pg_temp.u(:seed, customer_id, 108 + 32 * j)
                         ELSE 1.0 END)::numeric, 2))
           END AS amt0,
           -- add-on amount (smaller basket), computed only if there is an add-on
           CASE WHEN pg_temp.u(:seed, customer_id, 103 + 32 * j) < p_extra
                 AND pg_temp.u(:seed, customer_id, 112 + 32 * j) >= 0.005 THEN
                greatest(1.00, round((
                    0.6 * exp(spend_mu + 0.50 * pg_temp.z(:seed, customer_id, 110 + 32 * j) - 0.125)
                )::numeric, 2))
           END AS amt1,
           -- refund delay draws; NULL = not refunded (~1.5% are)
           CASE WHEN pg_temp.u(:seed, customer_id, 113 + 32 * j) < 0.015
                THEN pg_temp.u(:seed, customer_id, 114 + 32 * j) END AS ud0,
           CASE WHEN pg_temp.u(:seed, customer_id, 115 + 32 * j) < 0.015
                THEN pg_temp.u(:seed, customer_id, 116 + 32 * j) END AS ud1
    FROM days0
)
SELECT row_number() OVER (ORDER BY customer_id, es, j, sub) AS order_id,
       customer_id,
       to_timestamp(es::float8) AS ordered_at,
       amount
FROM (
    SELECT customer_id, j, 0 AS sub, es0 AS es, amt0 AS amount
    FROM days
    UNION ALL
    SELECT customer_id, j, 1, es1, amt1
    FROM days
    WHERE es1 IS NOT NULL
    UNION ALL
    -- refunds: negated amount, 10 minutes to 7 days later (skewed early),
    -- never after the end of the observation
    SELECT customer_id, j, 2,
           es0 + floor(least(600, 1735660799 - es0)
                       + ud0 * ud0 * (least(604800, 1735660799 - es0)
                                      - least(600, 1735660799 - es0)))::bigint,
           -amt0
    FROM days
    WHERE ud0 IS NOT NULL AND amt0 IS NOT NULL
    UNION ALL
    SELECT customer_id, j, 3,
           es1 + floor(least(600, 1735660799 - es1)
                       + ud1 * ud1 * (least(604800, 1735660799 - es1)
                                      - least(600, 1735660799 - es1)))::bigint,
           -amt1
    FROM days
    WHERE ud1 IS NOT NULL AND amt1 IS NOT NULL
) AS o;

DROP TABLE latent;

CREATE INDEX orders_customer_id_idx ON demo.orders (customer_id);

-- -----------------------------------------------------------------------------
-- Documentation
-- -----------------------------------------------------------------------------
COMMENT ON SCHEMA demo IS
  'Synthetic demo data for pg_portrait, generated by test/data/sample.sql (seeded, deterministic).';

COMMENT ON TABLE demo.customers IS
  'Synthetic, seeded customer master data (test/data/sample.sql). Customers sign up between '
  '2023-01-01 and 2024-12-31 (Asia/Shanghai). Attribute frequencies are skewed and correlated '
  'with value: tier1/tier2 cities, 25-44 year olds and the app channel buy more often and/or spend more.';
COMMENT ON COLUMN demo.customers.customer_id IS 'Customer id, 1..N.';
COMMENT ON COLUMN demo.customers.signup_at   IS 'Registration time; the first order is placed on the same (local) day.';
COMMENT ON COLUMN demo.customers.region      IS 'Geographic region of China (华东, 华南, 华北, 西南, 华中, 东北, 西北).';
COMMENT ON COLUMN demo.customers.city_tier   IS 'City tier: tier1 (largest cities) .. tier4.';
COMMENT ON COLUMN demo.customers.age_band    IS 'Age band: 18-24, 25-34, 35-44, 45-54, 55+.';
COMMENT ON COLUMN demo.customers.gender      IS 'Gender: F or M.';
COMMENT ON COLUMN demo.customers.channel     IS 'Acquisition channel: app, web, mini_program or store.';

COMMENT ON TABLE demo.orders IS
  'Synthetic, seeded order history (test/data/sample.sql), BG/NBD-like "buy till you die": '
  'gamma-distributed purchase rates, beta-distributed dropout after each purchase, log-normal spend. '
  'Observation ends 2024-12-31 23:59:59 Asia/Shanghai; no order is later. Includes same-day '
  'add-on orders (~4% of purchase days), refunds (~1.5%, negative amount) and NULL amounts (~0.5%).';
COMMENT ON COLUMN demo.orders.order_id    IS 'Order id, dense 1..M in (customer_id, ordered_at) order.';
COMMENT ON COLUMN demo.orders.customer_id IS 'Customer placing the order (demo.customers.customer_id).';
COMMENT ON COLUMN demo.orders.ordered_at  IS 'Order time (timestamptz), between signup and 2024-12-31 23:59:59+08.';
COMMENT ON COLUMN demo.orders.amount      IS 'Order value in CNY, 2 decimals; negative = refund of an earlier order '
                                             'of the same customer (same day or up to 7 days later); NULL = value unknown.';

ANALYZE demo.customers;
ANALYZE demo.orders;

RESET client_min_messages;
RESET work_mem;
RESET jit;

-- -----------------------------------------------------------------------------
-- Summary
-- -----------------------------------------------------------------------------
WITH o AS (
    SELECT count(*)                                       AS orders,
           count(*) FILTER (WHERE amount < 0)             AS refunds,
           count(*) FILTER (WHERE amount IS NULL)         AS null_amounts,
           min(ordered_at)                                AS min_ordered_at,
           max(ordered_at)                                AS max_ordered_at
    FROM demo.orders
),
per_cust AS (
    SELECT customer_id, count(*) AS n
    FROM demo.orders
    WHERE amount >= 0 OR amount IS NULL
    GROUP BY customer_id
),
per_day AS (
    SELECT customer_id, (ordered_at AT TIME ZONE 'Asia/Shanghai')::date AS d, count(*) AS n
    FROM demo.orders
    WHERE amount >= 0 OR amount IS NULL
    GROUP BY 1, 2
)
SELECT (SELECT count(*) FROM demo.customers)                                  AS customers,
       o.orders,
       o.refunds,
       o.null_amounts,
       (SELECT round(avg((n = 1)::int), 3) FROM per_cust)                     AS one_order_share,
       (SELECT round(avg((n >= 2)::int), 3) FROM per_day)                     AS same_day_repeat_share,
       o.min_ordered_at,
       o.max_ordered_at
FROM o;
