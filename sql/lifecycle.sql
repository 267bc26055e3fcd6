-- Lifecycle stages from rfm_summary fields, checkable by hand.
-- Fixed mode (default): recency > 365 churned, > 180 dormant, > 90 at_risk;
-- otherwise new when the first purchase is at most 30 days old, reactivated
-- when the previous stage was dormant or churned (and kept while the customer
-- stays active, so a re-run gives the same stage), else active.
SELECT c.name, c.recency_days, c.tenure_days, c.previous,
       portrait.lifecycle_stage(c.recency_days, c.tenure_days, c.x, c.t_x, c.previous) AS fixed
FROM (VALUES ('first week',        3,   6, 0,   0, NULL),
             ('regular',          20, 400, 9, 380, NULL),
             ('quiet 100 days',  100, 400, 3, 300, NULL),
             ('quiet 200 days',  200, 400, 3, 200, NULL),
             ('quiet 400 days',  400, 700, 0,   0, NULL),
             ('back after sleep',  5, 700, 4, 695, 'dormant'),
             ('back, next run',    5, 700, 4, 695, 'reactivated'),
             ('edge 90 days',     90, 400, 1, 310, NULL)) c(name, recency_days, tenure_days, x, t_x, previous);

-- Rhythm mode: the gap in units of the customer's mean interval t_x / x;
-- > 2.5 at_risk, > 5 dormant, > 10 churned. A monthly buyer quiet for 10 days
-- is active (ratio 1/3); a weekly buyer quiet for 30 days is at risk (30/7 = 4.3).
-- Customers without repeat purchases keep the day thresholds.
SELECT c.name, c.recency_days, round(c.t_x / nullif(c.x, 0), 1) AS mean_interval,
       portrait.lifecycle_stage(c.recency_days, c.tenure_days, c.x, c.t_x) AS fixed,
       portrait.lifecycle_stage(c.recency_days, c.tenure_days, c.x, c.t_x, NULL, '{"mode": "rhythm"}') AS rhythm
FROM (VALUES ('monthly, 10 days', 10, 370, 12, 360),
             ('weekly, 30 days',  30, 400, 52, 364),
             ('weekly, 40 days',  40, 400, 51, 357),
             ('weekly, 80 days',  80, 450, 52, 364),
             ('one order, 60 d',  60,  60,  0,   0)) c(name, recency_days, tenure_days, x, t_x);

-- Rhythm mode with a BG/NBD model: P(alive) below 0.5 at_risk, 0.25 dormant,
-- 0.1 churned (customers with x = 0 are always alive in BG/NBD: day thresholds).
-- The model is in days here (model_unit_days 1).
SELECT c.recency_days, c.x,
       round(portrait.p_alive(c.x, c.tenure_days - c.recency_days, c.tenure_days, m)::numeric, 3) AS p_alive,
       portrait.lifecycle_stage(c.recency_days, c.tenure_days, c.x, c.tenure_days - c.recency_days, NULL,
                                '{"mode": "rhythm"}', m) AS stage
FROM (VALUES (5, 200, 10), (60, 200, 10), (100, 200, 10), (150, 200, 10), (100, 100, 0)) c(recency_days, tenure_days, x),
     (SELECT '{"kind": "bgnbd", "format": 1, "r": 0.25, "alpha": 4.4, "a": 0.8, "b": 2.4, "unit": "days", "log_likelihood": 0, "n": 1000, "penalizer": 0, "iterations": 0, "converged": true}'::portrait.model AS m) mm;

-- Thresholds are options; NULL inputs give NULL.
SELECT portrait.lifecycle_stage(50, 400, options => '{"at_risk_days": 45}') AS at_45,
       portrait.lifecycle_stage(NULL, 400) AS unknown;
