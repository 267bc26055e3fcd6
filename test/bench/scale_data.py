#!/usr/bin/python3
"""Data of a shop at scale for test/bench/scale.sh, loaded with COPY.

  scale.customers    one row per customer: signup, region, city tier, age band,
                     gender, channel
  scale.orders       about 10 orders a customer on average, skewed: a third
                     buy once, the others a log-normal number of times; about
                     2% refunds (negative amounts), 0.5% unknown amounts
  scale.order_lines  1 + Poisson(1.5) lines an order, Zipf-distributed products
  scale.events       the view -> cart -> checkout -> pay events of December
                     2024's orders, and browsing without an order

Orders fall between the signup and the end of an exponential lifetime (mean
300 days) or 2024-12-31 (Asia/Shanghai), whichever is earlier.  Seeded and
generated in chunks of customers, so memory stays flat as the size grows:
--customers 1000000 gives about 10M orders.
"""
import argparse
import io
import time

import numpy as np
import pandas as pd
import psycopg2

AS_OF = np.datetime64("2024-12-31T16:00:00", "s")  # 2025-01-01 00:00 +08 in UTC
DAY = 86400
REGIONS = np.array(["north", "east", "south", "central", "southwest", "northwest", "northeast", "overseas"])
TIERS = np.array(["tier1", "tier2", "tier3", "tier4"])
AGES = np.array(["18-24", "25-34", "35-44", "45-54", "55-64", "65+"])
CHANNELS = np.array(["app", "web", "mini_program", "store"])

DDL = """
DROP SCHEMA IF EXISTS scale CASCADE;
CREATE SCHEMA scale;
CREATE TABLE scale.customers (customer_id bigint, signup_at timestamptz, region text, city_tier text,
                              age_band text, gender text, channel text);
CREATE TABLE scale.orders (order_id bigint, customer_id bigint, ordered_at timestamptz, amount numeric(12,2));
CREATE TABLE scale.order_lines (order_id bigint, line int, product_id int, quantity int, price numeric(12,2));
CREATE TABLE scale.events (customer_id bigint, ts timestamptz, name text);
"""


def ts_text(sec):
    """Epoch seconds (UTC) as timestamptz literals."""
    return np.char.add(np.datetime_as_string(sec.astype("datetime64[s]"), unit="s"), "Z")


def copy(cur, table, frame):
    buf = io.StringIO()
    frame.to_csv(buf, index=False, header=False, na_rep="")
    buf.seek(0)
    cur.copy_expert(f"COPY {table} FROM STDIN (FORMAT csv)", buf)


def chunk(rng, first_id, n, first_order):
    ids = np.arange(first_id, first_id + n, dtype=np.int64)
    as_of = AS_OF.astype(np.int64)
    signup = as_of - rng.integers(1, 730 * DAY, n)
    cust = pd.DataFrame({
        "customer_id": ids, "signup_at": ts_text(signup),
        "region": REGIONS[rng.integers(0, len(REGIONS), n)], "city_tier": TIERS[rng.integers(0, 4, n)],
        "age_band": AGES[rng.integers(0, len(AGES), n)], "gender": np.where(rng.random(n) < 0.55, "f", "m"),
        "channel": CHANNELS[rng.integers(0, 4, n)]})

    # buy till you die (BG/NBD's story): orders at a customer's own gamma-distributed
    # rate from the signup, each followed by a drop-out with the customer's
    # beta-distributed probability, until the drop-out or 2024-12-31
    rate = rng.gamma(0.7, 1 / 7.0, n) / DAY
    drop = rng.beta(1.3, 9.0, n)
    k = np.minimum(rng.geometric(drop), 2000)
    cid = np.repeat(ids, k)
    start = np.cumsum(k) - k
    gap = rng.exponential(1.0, cid.size) / np.repeat(rate, k)
    gap[start] = rng.integers(0, 3600, n)
    t = np.repeat(signup, k) + np.cumsum(gap) - np.repeat(np.cumsum(gap)[start] - gap[start], k)
    keep = t < as_of
    cid, t = cid[keep], t[keep].astype(np.int64)
    m = cid.size
    level = np.repeat(rng.lognormal(4.2, 0.9, n), np.bincount(cid - first_id, minlength=n))
    u = rng.random(m)
    amount = np.round(level * rng.lognormal(0, 0.5, m), 2)
    amount = np.where(u < 0.02, -np.round(amount * 0.6, 2), amount)
    oid = np.arange(first_order, first_order + m, dtype=np.int64)
    orders = pd.DataFrame({"order_id": oid, "customer_id": cid, "ordered_at": ts_text(t),
                           "amount": pd.Series(amount).where(~((u >= 0.02) & (u < 0.025)))})

    # order lines of the purchases
    buy = amount > 0
    nl = 1 + rng.poisson(1.5, m)
    nl[~buy] = 0
    lo = np.repeat(oid, nl)
    line = np.arange(lo.size) - np.repeat(np.cumsum(nl) - nl, nl) + 1
    lines = pd.DataFrame({"order_id": lo, "line": line,
                          "product_id": np.minimum(rng.zipf(1.3, lo.size), 20000),
                          "quantity": 1 + rng.poisson(0.3, lo.size),
                          "price": np.round(rng.lognormal(3.5, 0.8, lo.size), 2)})

    # December's purchases through the funnel, and browsing that stops early
    dec = buy & (t >= as_of - 31 * DAY)
    steps = [("view", 1500), ("cart", 720), ("checkout", 240), ("pay", 0)]
    ev = [pd.DataFrame({"customer_id": cid[dec], "ts": ts_text(t[dec] - before), "name": name})
          for name, before in steps]
    browsers = ids[rng.random(n) < 0.45]
    depth = rng.integers(1, 4, browsers.size)
    bt = as_of - rng.integers(1, 31 * DAY, browsers.size)
    for s, (name, _) in enumerate(steps[:3]):
        sel = depth > s
        ev.append(pd.DataFrame({"customer_id": browsers[sel], "ts": ts_text(bt[sel] + 480 * s), "name": name}))
    return cust, orders, lines, pd.concat(ev), m


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--customers", type=int, default=1000000)
    ap.add_argument("--db", required=True)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--chunk", type=int, default=100000)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    conn = psycopg2.connect(dbname=args.db)
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute(DDL)
    t0 = time.perf_counter()
    next_order = 1
    for first in range(1, args.customers + 1, args.chunk):
        n = min(args.chunk, args.customers + 1 - first)
        cust, orders, lines, events, m = chunk(rng, first, n, next_order)
        next_order += m
        for table, frame in (("scale.customers", cust), ("scale.orders", orders),
                             ("scale.order_lines", lines), ("scale.events", events)):
            copy(cur, table, frame)
    t_copy = time.perf_counter() - t0
    for table in ("customers", "orders", "order_lines", "events"):
        cur.execute(f"VACUUM ANALYZE scale.{table}")
    sizes = []
    for table in ("customers", "orders", "order_lines", "events"):
        cur.execute(f"SELECT count(*), pg_total_relation_size('scale.{table}') FROM scale.{table}")
        sizes.append((table,) + cur.fetchone())
    print(f"generated and copied in {t_copy:.1f} s (vacuum analyze {time.perf_counter() - t0 - t_copy:.1f} s): "
          + ", ".join(f"{t} {n:,} rows ({b / 2**20:,.0f} MB)" for t, n, b in sizes))


if __name__ == "__main__":
    main()
