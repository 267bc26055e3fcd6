#!/usr/bin/python3
"""The nightly portrait over scale_data.py's tables, stage by stage, as a user
schedules it: each stage's wall time and the peak memory of its backend (and of
the parallel workers it started), written as JSON for scale.sh's growth table.

The backend's peak resident size is its VmHWM after /proc/PID/clear_refs reset
it before the stage (exact, but it counts the shared buffers the backend
touched); its private memory (RssAnon) and that of the parallel workers it
started are sampled every 50 ms.  Where /proc cannot be written the exact
column says n/a.
"""
import argparse
import json
import os
import threading
import time

import psycopg2

AS_OF = "date '2024-12-31'"

STAGES = [
    ("rfm_summary into a summary table", f"""
DROP TABLE IF EXISTS scale.summary;
CREATE TABLE scale.summary AS
SELECT customer_id, (portrait.rfm_summary(ordered_at, amount, {AS_OF})).*
  FROM scale.orders GROUP BY customer_id"""),
    ("rfm_breaks and scores (11 segments)", """
DROP TABLE IF EXISTS scale.models, scale.scored;
CREATE TABLE scale.models AS
SELECT portrait.rfm_breaks(recency_days, frequency, monetary) AS rfm, NULL::portrait.model AS km,
       NULL::portrait.model AS bg, NULL::portrait.model AS gg
  FROM scale.summary WHERE recency_days IS NOT NULL;
CREATE TABLE scale.scored AS
SELECT s.customer_id, (portrait.rfm_score(s.recency_days, s.frequency, s.monetary, m.rfm)).*
  FROM scale.summary s, scale.models m WHERE s.recency_days IS NOT NULL"""),
    ("kmeans_fit, k = 8, 4 features", """
UPDATE scale.models SET km = (
    SELECT portrait.kmeans_fit(ARRAY[ln(1 + frequency), ln(1 + greatest(monetary, 0)), recency_days,
                                     tenure_days]::float8[], 8, '{"seed": 42}')
      FROM scale.summary WHERE recency_days IS NOT NULL)"""),
    ("bgnbd_fit and gamma_gamma_fit", """
UPDATE scale.models SET
    bg = (SELECT portrait.bgnbd_fit(repeat_frequency, repeat_span_days / 7.0, tenure_days / 7.0, '{"unit": "weeks"}')
            FROM scale.summary WHERE recency_days IS NOT NULL),
    gg = (SELECT portrait.gamma_gamma_fit(repeat_frequency, repeat_avg_value)
            FROM scale.summary WHERE recency_days IS NOT NULL AND (repeat_frequency = 0 OR repeat_avg_value > 0))"""),
    ("churn, CLV, lifecycle and cluster scoring", """
DROP TABLE IF EXISTS scale.scores;
CREATE TABLE scale.scores AS
SELECT s.customer_id,
       portrait.churn_risk(s.repeat_frequency, s.repeat_span_days / 7.0, s.tenure_days / 7.0, m.bg) AS churn_risk,
       CASE WHEN s.repeat_frequency = 0 OR s.repeat_avg_value > 0
            THEN portrait.clv(m.bg, m.gg, s.repeat_frequency, s.repeat_span_days / 7.0, s.tenure_days / 7.0,
                              s.repeat_avg_value) END AS clv,
       portrait.lifecycle_stage(s.recency_days, s.tenure_days, s.repeat_frequency, s.repeat_span_days, NULL,
                                '{"mode": "rhythm", "model_unit_days": 7}', m.bg) AS lifecycle,
       portrait.kmeans_assign(ARRAY[ln(1 + s.frequency), ln(1 + greatest(s.monetary, 0)), s.recency_days,
                                    s.tenure_days]::float8[], m.km) AS cluster
  FROM scale.summary s, scale.models m WHERE s.recency_days IS NOT NULL"""),
    ("refresh_profile, first night (all inserted)", "CALL portrait.refresh_profile('scale.customer_profile', %(source)s)"),
    ("refresh_profile, next night (unchanged)", "CALL portrait.refresh_profile('scale.customer_profile', %(source)s)"),
    ("TGI profiles of every segment", """
DROP TABLE IF EXISTS scale.segment_profiles;
CREATE TABLE scale.segment_profiles AS
WITH a AS (SELECT p.segment, jsonb_build_object('region', c.region, 'city_tier', c.city_tier, 'age_band', c.age_band,
                                                'gender', c.gender, 'channel', c.channel, 'lifecycle', p.lifecycle,
                                                'monetary', p.monetary, 'frequency', p.frequency) AS attrs
             FROM scale.customer_profile p JOIN scale.customers c USING (customer_id)),
     s AS (SELECT segment, count(*) AS customers, portrait.profile_agg(attrs) AS p FROM a GROUP BY segment)
SELECT s.segment, s.customers, portrait.profile_label(s.p, (SELECT portrait.profile_merge(p) FROM s)) AS label, s.p
  FROM s"""),
    ("funnel over the events (window_funnel, 4 steps)", """
DROP TABLE IF EXISTS scale.funnel;
CREATE TABLE scale.funnel AS
SELECT f.* FROM (SELECT portrait.funnel_counts(level, 4) AS users
                   FROM (SELECT customer_id, portrait.window_funnel('1 day', ts, name = 'view', name = 'cart',
                                                                    name = 'checkout', name = 'pay') AS level
                           FROM scale.events GROUP BY customer_id) c) u, portrait.funnel_table(u.users) f"""),
    ("cohort matrix over the orders (monthly, 12)", """
DROP TABLE IF EXISTS scale.cohorts;
CREATE TABLE scale.cohorts AS
SELECT * FROM portrait.cohort_matrix('scale.orders', 'customer_id', 'ordered_at', 'month', 12)"""),
]

SOURCE = """
SELECT s.customer_id, s.recency_days, s.frequency, s.monetary, r.r, r.f, r.m, r.segment,
       c.churn_risk, c.clv, c.lifecycle, c.cluster
  FROM scale.summary s JOIN scale.scored r USING (customer_id) JOIN scale.scores c USING (customer_id)"""

PROFILE = """
DROP TABLE IF EXISTS scale.customer_profile CASCADE;
CREATE TABLE scale.customer_profile (
    customer_id bigint PRIMARY KEY, recency_days integer, frequency bigint, monetary double precision,
    r int, f int, m int, segment text, churn_risk double precision, clv double precision,
    lifecycle text, cluster integer)"""


def kb(pid, field):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


class Workers(threading.Thread):
    """Samples the VmHWM of the parallel workers of a backend."""

    def __init__(self, db, leader):
        super().__init__(daemon=True)
        self.conn = psycopg2.connect(dbname=db)
        self.conn.autocommit = True
        self.leader = leader
        self.stop = threading.Event()
        self.peak = {}
        self.anon = 0

    def run(self):
        cur = self.conn.cursor()
        while not self.stop.is_set():
            cur.execute("SELECT pid FROM pg_stat_activity WHERE leader_pid = %s AND pid <> %s",
                        (self.leader, self.leader))
            for (pid,) in cur.fetchall():
                v = kb(pid, "RssAnon")
                if v is not None:
                    self.peak[pid] = max(self.peak.get(pid, 0), v)
            v = kb(self.leader, "RssAnon")
            if v is not None:
                self.anon = max(self.anon, v)
            self.stop.wait(0.05)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    conn = psycopg2.connect(dbname=args.db)
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("SET TimeZone = 'Asia/Shanghai'")
    cur.execute("LOAD 'pg_portrait'")  # defines portrait.fit_memory_limit
    cur.execute("SELECT pg_backend_pid(), current_setting('work_mem'), current_setting('portrait.fit_memory_limit'),"
                " current_setting('max_parallel_workers_per_gather')")
    pid, work_mem, fit_limit, workers_per_gather = cur.fetchone()
    cur.execute("SELECT count(*) FROM scale.customers")
    customers = cur.fetchone()[0]
    cur.execute("SELECT count(*) FROM scale.orders")
    orders = cur.fetchone()[0]
    cur.execute("SELECT count(*) FROM scale.events")
    events = cur.fetchone()[0]
    cur.execute(PROFILE)
    print(f"nightly pipeline: {customers:,} customers, {orders:,} orders, {events:,} events; work_mem {work_mem}, "
          f"portrait.fit_memory_limit {fit_limit}, max_parallel_workers_per_gather {workers_per_gather}")
    print()
    print("| stage | s | backend peak RSS MB | backend private MB (sampled) | parallel workers | private MB a worker (sampled) |")
    print("|---|---:|---:|---:|---:|---:|")
    results = []
    total = 0.0
    for name, sql in STAGES:
        try:
            with open(f"/proc/{pid}/clear_refs", "w") as f:
                f.write("5")
            reset = True
        except OSError:
            reset = False
        w = Workers(args.db, pid)
        w.start()
        t0 = time.perf_counter()
        cur.execute(sql % {"source": psycopg2.extensions.adapt(SOURCE).getquoted().decode()}
                    if "%(source)s" in sql else sql)
        t = time.perf_counter() - t0
        w.stop.set()
        w.join()
        w.conn.close()
        peak = kb(pid, "VmHWM") if reset else None
        wpeak = max(w.peak.values()) if w.peak else None
        total += t
        results.append(dict(stage=name, seconds=t, backend_peak_kb=peak, backend_private_kb=w.anon,
                            workers=len(w.peak), worker_private_kb=wpeak))
        print(f"| {name} | {t:.2f} | {'n/a' if peak is None else f'{peak / 1024:.0f}'} | {w.anon / 1024:.0f} | "
              f"{len(w.peak)} | {'' if wpeak is None else f'{wpeak / 1024:.0f}'} |", flush=True)
    print(f"| whole pipeline | {total:.2f} | | | | |")
    with open(args.out, "w") as f:
        json.dump(dict(customers=customers, orders=orders, events=events, total=total, stages=results), f, indent=1)


if __name__ == "__main__":
    main()
