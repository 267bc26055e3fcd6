"""The simulated summaries of the Python benchmarks: into a table, and back out as an export."""
import argparse
import io

import numpy as np
import psycopg2


def arguments(customers, shapes=None):
    """The command line of a fit benchmark: --customers, --db, --seed, --repeat (and --shape)."""
    ap = argparse.ArgumentParser()
    if shapes:
        ap.add_argument("--shape", choices=shapes, default=shapes[0])
    ap.add_argument("--customers", type=int, default=customers)
    ap.add_argument("--db", required=True)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--repeat", type=int, default=3)
    return ap.parse_args()


def store(db, table, x, tx, T):
    """A cursor on db and the (x, t_x, T) rows copied into a new table; prints their counts."""
    conn = psycopg2.connect(dbname=db)
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute(f'DROP TABLE IF EXISTS {table}; CREATE TABLE {table} (x float8, t_x float8, "T" float8)')
    buf = io.StringIO()
    np.savetxt(buf, np.column_stack([x, tx, T]), fmt="%d", delimiter="\t")
    buf.seek(0)
    cur.copy_expert(f"COPY {table} FROM STDIN", buf)
    cur.execute(f"VACUUM ANALYZE {table}")
    cur.execute(f'SELECT count(*), count(DISTINCT (x, t_x, "T")), sum((x > 0)::int) FROM {table}')
    n, distinct, repeaters = cur.fetchone()
    print(f"customers: {n}, distinct (x, t_x, T): {distinct}, repeat buyers: {repeaters}")
    return cur


def export(cur, table):
    """The export path: the rows fetched with psycopg2 into numpy arrays x, t_x, T."""
    cur.execute(f'SELECT x, t_x, "T" FROM {table}')
    arr = np.array(cur.fetchall(), dtype=float)
    return arr[:, 0], arr[:, 1], arr[:, 2]
