#!/usr/bin/python3
"""MBG/NBD and Pareto/NBD: portrait.mbgnbd_fit / pareto_nbd_fit against export (psycopg2) + scipy.optimize.

Simulates customers from a Pareto/NBD process (seeded; whole days, as
rfm_summary gives them), stores their summaries in a table, then times

  ours:   SELECT portrait.mbgnbd_fit(x, t_x, "T") and portrait.pareto_nbd_fit(x, t_x, "T")
  export: fetch the same rows with psycopg2 into numpy arrays and maximise
          the same likelihood with scipy.optimize.minimize (BFGS with
          scipy's finite-difference gradient) on log-parameters from the
          same start as ours,

and prints the times, the ratio (ours / export + scipy) and the parameter
differences.
"""
import argparse
import io

import numpy as np
import psycopg2
from scipy.optimize import minimize
from scipy.special import gammaln, hyp2f1

from timing import best

# CDNOW's published Pareto/NBD parameters, weeks turned into days
TRUE = dict(r=0.55, alpha=10.58 * 7, s=0.61, beta=11.67 * 7)


def simulate(n, seed):
    rng = np.random.default_rng(seed)
    lam = rng.gamma(TRUE["r"], 1 / TRUE["alpha"], n)
    mu = rng.gamma(TRUE["s"], 1 / TRUE["beta"], n)
    T = rng.integers(1, 366, n).astype(float)
    life = np.minimum(rng.exponential(1 / mu), T)
    x = rng.poisson(lam * life).astype(float)
    # the last purchase is the maximum of x uniform times in (0, life)
    tx = np.where(x > 0, life * rng.random(n) ** (1 / np.maximum(x, 1)), 0)
    tx = np.floor(tx)
    tx[(x > 0) & (tx == 0)] = 1
    tx = np.minimum(tx, T)
    return x, tx, T


def mbg_negll(theta, x, tx, T):
    r, alpha, a, b = np.exp(theta)
    ll = (gammaln(r + x) - gammaln(r) + r * np.log(alpha) + gammaln(a + b) + gammaln(b + x + 1) - gammaln(b)
          - gammaln(a + b + x + 1)
          + np.logaddexp(-(r + x) * np.log(alpha + T), np.log(a) - np.log(b + x) - (r + x) * np.log(alpha + tx)))
    return -ll.mean()


def pnbd_negll(theta, x, tx, T):
    r, alpha, s, beta = np.exp(theta)
    m = r + s + x
    if alpha >= beta:
        lf = lambda t: np.log(hyp2f1(m, s + 1, m + 1, (alpha - beta) / (alpha + t))) - m * np.log(alpha + t)
    else:
        lf = lambda t: np.log(hyp2f1(m, r + x, m + 1, (beta - alpha) / (beta + t))) - m * np.log(beta + t)
    l1 = lf(tx)
    l2 = lf(T)
    with np.errstate(divide="ignore", invalid="ignore"):
        la0 = np.where(tx < T, l1 + np.log1p(-np.exp(np.minimum(l2 - l1, 0))), -np.inf)
    ll = (gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
          + np.logaddexp(-(r + x) * np.log(alpha + T) - s * np.log(beta + T), np.log(s) - np.log(m) + la0))
    return -ll.mean()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--customers", type=int, default=200000)
    ap.add_argument("--db", required=True)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    conn = psycopg2.connect(dbname=args.db)
    conn.autocommit = True
    cur = conn.cursor()

    x, tx, T = simulate(args.customers, args.seed)
    cur.execute('DROP TABLE IF EXISTS bench_churn; CREATE TABLE bench_churn (x float8, t_x float8, "T" float8)')
    buf = io.StringIO()
    np.savetxt(buf, np.column_stack([x, tx, T]), fmt="%d", delimiter="\t")
    buf.seek(0)
    cur.copy_expert('COPY bench_churn FROM STDIN', buf)
    cur.execute("VACUUM ANALYZE bench_churn")
    cur.execute('SELECT count(*), count(DISTINCT (x, t_x, "T")), sum((x > 0)::int) FROM bench_churn')
    n, distinct, repeaters = cur.fetchone()
    print(f"customers: {n}, distinct (x, t_x, T): {distinct}, repeat buyers: {repeaters}")
    print("simulated from a Pareto/NBD process with " + ", ".join(f"{k}={v:g}" for k, v in TRUE.items()) + " (days)")

    def fetch():
        cur.execute('SELECT x, t_x, "T" FROM bench_churn')
        return np.array(cur.fetchall(), dtype=float)

    export, arr = best(fetch, args.repeat)
    ex, etx, eT = arr[:, 0], arr[:, 1], arr[:, 2]

    print()
    print("| model | method | time (s) | ratio | r | alpha | a or s | b or beta | log-likelihood |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    notes = []
    for kind, names, negll, start in (
            ("mbgnbd", ("r", "alpha", "a", "b"), mbg_negll, [1.0, eT.mean(), 1.0, 1.0]),
            ("pareto_nbd", ("r", "alpha", "s", "beta"), pnbd_negll, [1.0, eT.mean(), 1.0, eT.mean()])):
        def fit_ours():
            cur.execute(f'SELECT portrait.{kind}_fit(x, t_x, "T")::jsonb FROM bench_churn')
            return cur.fetchone()[0]

        ours, model = best(fit_ours, args.repeat)
        ours_p = np.array([model[k] for k in names])
        ft, res = best(lambda: minimize(negll, np.log(start), args=(ex, etx, eT), method="BFGS",
                                        options={"gtol": 1e-9}), args.repeat)
        par = np.exp(res.x)
        ll = -res.fun * len(ex)
        total = export + ft
        print(f"| {kind} | portrait.{kind}_fit (in the database, {model['iterations']} iterations) | {ours:.3f} | "
              f"{ours / total:.2f} | " + " | ".join(f"{v:.6f}" for v in ours_p) + f" | {model['log_likelihood']:.4f} |")
        print(f"| {kind} | export {export:.3f} s + scipy BFGS, finite differences {ft:.3f} s ({res.nfev} evaluations) | "
              f"{total:.3f} | 1.0 | " + " | ".join(f"{v:.6f}" for v in par) + f" | {ll:.4f} |")
        notes.append(f"{kind}: max relative parameter difference {np.abs(par / ours_p - 1).max():.2e}, "
                     f"log-likelihood difference {abs(ll - model['log_likelihood']):.2e}")
    print()
    for line in notes:
        print(line)
    cur.execute("DROP TABLE bench_churn")


if __name__ == "__main__":
    main()
