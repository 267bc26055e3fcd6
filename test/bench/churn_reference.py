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
import os
import sys

import numpy as np
from scipy.optimize import minimize

from summaries import arguments, export, store
from timing import best

# the likelihoods of the reference fixtures, so that the tests and this benchmark check the same formulas
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "churn"))
from make_reference import mbg_ll, pnbd_ll  # noqa: E402

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


def negll(ll):
    """The mean negative log-likelihood on log-parameters of a likelihood of make_reference.py."""
    return lambda theta, x, tx, T: -ll(np.exp(theta), x, tx, T).mean()


def main():
    args = arguments(200000)
    x, tx, T = simulate(args.customers, args.seed)
    cur = store(args.db, "bench_churn", x, tx, T)
    print("simulated from a Pareto/NBD process with " + ", ".join(f"{k}={v:g}" for k, v in TRUE.items()) + " (days)")
    export_time, (ex, etx, eT) = best(lambda: export(cur, "bench_churn"), args.repeat)

    print()
    print("| model | method | time (s) | ratio | r | alpha | a or s | b or beta | log-likelihood |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    notes = []
    for kind, names, fn, start in (
            ("mbgnbd", ("r", "alpha", "a", "b"), negll(mbg_ll), [1.0, eT.mean(), 1.0, 1.0]),
            ("pareto_nbd", ("r", "alpha", "s", "beta"), negll(pnbd_ll), [1.0, eT.mean(), 1.0, eT.mean()])):
        def fit_ours():
            cur.execute(f'SELECT portrait.{kind}_fit(x, t_x, "T")::jsonb FROM bench_churn')
            return cur.fetchone()[0]

        ours, model = best(fit_ours, args.repeat)
        ours_p = np.array([model[k] for k in names])
        ft, res = best(lambda: minimize(fn, np.log(start), args=(ex, etx, eT), method="BFGS",
                                        options={"gtol": 1e-9}), args.repeat)
        par = np.exp(res.x)
        ll = -res.fun * len(ex)
        total = export_time + ft
        print(f"| {kind} | portrait.{kind}_fit (in the database, {model['iterations']} iterations) | {ours:.3f} | "
              f"{ours / total:.2f} | " + " | ".join(f"{v:.6f}" for v in ours_p) + f" | {model['log_likelihood']:.4f} |")
        print(f"| {kind} | export {export_time:.3f} s + scipy BFGS, finite differences {ft:.3f} s ({res.nfev} evaluations) | "
              f"{total:.3f} | 1.0 | " + " | ".join(f"{v:.6f}" for v in par) + f" | {ll:.4f} |")
        notes.append(f"{kind}: max relative parameter difference {np.abs(par / ours_p - 1).max():.2e}, "
                     f"log-likelihood difference {abs(ll - model['log_likelihood']):.2e}")
    print()
    for line in notes:
        print(line)
    cur.execute("DROP TABLE bench_churn")


if __name__ == "__main__":
    main()
