#!/usr/bin/python3
"""Read the profile views as a BI tool would, through psycopg2: discover the views of a
profile table and their column comments from the catalog, then read them. Needs a
running cluster (PGHOST/PGPORT/PGUSER). Prints TAP lines."""
import psycopg2

DB = "profile_bi"
admin = psycopg2.connect(dbname="postgres")
admin.autocommit = True
with admin.cursor() as cur:
    cur.execute(f"DROP DATABASE IF EXISTS {DB}")
    cur.execute(f"CREATE DATABASE {DB}")

conn = psycopg2.connect(dbname=DB)
conn.autocommit = True
cur = conn.cursor()
cur.execute("SET client_min_messages = warning")
cur.execute("CREATE EXTENSION pg_portrait")
cur.execute("""CREATE TABLE shop_profile (customer_id int PRIMARY KEY, segment text, cluster int,
               recency_days int, frequency int, monetary float8, churn_risk float8, clv float8)""")
# 3 customers in segment 'tiny', 40 in 'big'
source = """SELECT g AS customer_id, CASE WHEN g <= 3 THEN 'tiny' ELSE 'big' END AS segment, g % 2 AS cluster,
                   g AS recency_days, 2 AS frequency, 10.0 * g AS monetary, 0.5 AS churn_risk, 100.0 AS clv
            FROM generate_series(1, 43) g"""
cur.execute("CALL portrait.refresh_profile('shop_profile', %s)", (source,))
cur.execute("SELECT portrait.profile_views('shop_profile')")
created = sorted(r[0] for r in cur.fetchall())
# next run: 10 of 'big' move to 'mid'
cur.execute("CALL portrait.refresh_profile('shop_profile', %s)",
            (source.replace("ELSE 'big'", "WHEN g <= 13 THEN 'mid' ELSE 'big'"),))

tests = []
def check(name, got, want):
    tests.append((name, got == want, got, want))

# discovery, as a BI tool does it: views of the schema and their comments
cur.execute("""SELECT c.relname, obj_description(c.oid, 'pg_class')
               FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE n.nspname = 'public' AND c.relkind = 'v' ORDER BY 1""")
views = cur.fetchall()
check("profile_views returned the three views", created,
      ["public.shop_profile_clusters", "public.shop_profile_migration", "public.shop_profile_segments"])
check("three views discovered in the catalog", [v[0] for v in views],
      ["shop_profile_clusters", "shop_profile_migration", "shop_profile_segments"])
check("every view has a comment", all(v[1] for v in views), True)
cur.execute("""SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), col_description(c.oid, a.attnum)
               FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
               JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0
               WHERE n.nspname = 'public' AND c.relkind = 'v' ORDER BY c.relname, a.attnum""")
cols = cur.fetchall()
check("every view column has a comment", [c[:2] for c in cols if not c[3]], [])
check("segment overview columns and types are stable",
      [(c[1], c[2]) for c in cols if c[0] == "shop_profile_segments"],
      [("segment", "text"), ("customers", "bigint"), ("share", "double precision"), ("revenue", "numeric"),
       ("avg_recency_days", "double precision"), ("avg_frequency", "double precision"),
       ("avg_monetary", "numeric"), ("avg_churn_risk", "double precision"), ("avg_clv", "numeric")])
check("migration columns and types are stable",
      [(c[1], c[2]) for c in cols if c[0] == "shop_profile_migration"],
      [("from_segment", "text"), ("to_segment", "text"), ("customers", "bigint"), ("share_of_from", "double precision")])

# reading, with the column names taken from the cursor description
cur.execute("SELECT * FROM shop_profile_segments ORDER BY segment")
names = [d.name for d in cur.description]
rows = [dict(zip(names, r)) for r in cur.fetchall()]
check("groups under 5 customers are suppressed by default", [(r["segment"], r["customers"]) for r in rows],
      [("big", 30), ("mid", 10)])
check("share counts every customer", round(rows[0]["share"], 6), round(30 / 43, 6))
# money reaches the client as a decimal to the cent, not a float with noise
check("revenue is a decimal with two places", [(type(r["revenue"]).__name__, r["revenue"].as_tuple().exponent) for r in rows],
      [("Decimal", -2), ("Decimal", -2)])
cur.execute("SELECT from_segment, to_segment, customers FROM shop_profile_migration ORDER BY 1, 2")
check("migration between the last two runs", cur.fetchall(), [("big", "big", 30), ("big", "mid", 10)])
cur.execute("SELECT portrait.profile_views('shop_profile', '{\"min_customers\": 1}')")
cur.execute("SELECT segment, customers FROM shop_profile_segments ORDER BY segment")
check("min_customers 1 shows every group", cur.fetchall(), [("big", 30), ("mid", 10), ("tiny", 3)])
cur.execute("SELECT cluster, customers FROM shop_profile_clusters ORDER BY cluster")
check("cluster profiles", cur.fetchall(), [("0", 21), ("1", 22)])

cur.close()
conn.close()
with admin.cursor() as c:
    c.execute(f"DROP DATABASE {DB}")
print(f"1..{len(tests)}")
for i, (name, ok, got, want) in enumerate(tests, 1):
    print(f"{'ok' if ok else 'not ok'} {i} - {name}")
    if not ok:
        print(f"#   got: {got!r}\n#  want: {want!r}")
