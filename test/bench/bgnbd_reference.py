#!/usr/bin/python3
"""BG/NBD: portrait.bgnbd_fit against export (psycopg2) + scipy.optimize.

Simulates customers from a BG/NBD process (seeded), stores their summaries
(x, t_x, T in whole days, as rfm_summary gives them) in a table, then times

  ours:   SELECT portrait.bgnbd_fit(x, t_x, "T") FROM bench_bgnbd
  export: fetch the same rows with psycopg2 into numpy arrays and maximise
          the same likelihood with scipy.optimize.minimize (BFGS with
          scipy's finite-difference gradient, and Nelder-Mead), both on
          log-parameters from the same start as ours.

and prints the times, the ratios and the parameter differences.
"""
import numpy as np
from scipy.optimize import minimize
from scipy.special import digamma, gammaln

from summaries import arguments, export, store
from timing import best

TRUE = dict(r=0.25, alpha=8.0, a=0.8, b=2.5)
# shapes of data (--shape): the process's parameters and the longest T in days
SHAPES = {
    "default": (TRUE, 365),
    # most customers never come back: high drop-out after each purchase
    "one-order": (dict(r=0.3, alpha=10.0, a=3.0, b=1.5), 365),
    # a young customer base: few distinct days (T up to 30)
    "few-days": (dict(r=0.5, alpha=4.0, a=0.6, b=3.0), 30),
    # long history, frequent buyers: many distinct (x, t_x, T)
    "long": (dict(r=1.5, alpha=6.0, a=0.5, b=4.0), 1095),
}


def simulate(n, seed, shape="default"):
    true, tmax = SHAPES[shape]
    rng = np.random.default_rng(seed)
    lam = rng.gamma(true["r"], 1 / true["alpha"], n)
    p = rng.beta(true["a"], true["b"], n)
    T = rng.integers(1, tmax + 1, n).astype(float)
    x = np.zeros(n)
    tx = np.zeros(n)
    t = np.zeros(n)
    alive = np.ones(n, bool)
    while alive.any():
        idx = np.nonzero(alive)[0]
        t[idx] += rng.exponential(1 / lam[idx])
        buy = t[idx] < T[idx]
        alive[idx[~buy]] = False
        b = idx[buy]
        x[b] += 1
        tx[b] = t[b]
        drop = rng.random(b.size) < p[b]
        alive[b[drop]] = False
    # whole days, as rfm_summary reports them
    tx = np.floor(tx)
    tx[(x > 0) & (tx == 0)] = 1
    tx = np.minimum(tx, T)
    return x, tx, T


def negll(theta, x, tx, T):
    r, alpha, a, b = np.exp(theta)
    a3 = -(r + x) * np.log(alpha + T)
    with np.errstate(divide="ignore", invalid="ignore"):
        a4 = np.where(x > 0, np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)) - (r + x) * np.log(alpha + tx),
                      -np.inf)
    ll = (gammaln(r + x) - gammaln(r) + r * np.log(alpha) + gammaln(a + b) + gammaln(b + x) - gammaln(b)
          - gammaln(a + b + x) + np.logaddexp(a3, a4))
    return -ll.mean()


def negll_grad(theta, x, tx, T):
    """Value and analytic gradient in log-parameters (what lifetimes gets from autograd)."""
    r, alpha, a, b = np.exp(theta)
    lT = np.log(alpha + T)
    a3 = -(r + x) * lT
    rep = x > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        lt = np.log(alpha + tx)
        a4 = np.where(rep, np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)) - (r + x) * lt, -np.inf)
    l = np.logaddexp(a3, a4)
    w4 = np.exp(a4 - l)
    w3 = 1 - w4
    ll = (gammaln(r + x) - gammaln(r) + r * np.log(alpha) + gammaln(a + b) + gammaln(b + x) - gammaln(b)
          - gammaln(a + b + x) + l)
    dab = digamma(a + b) - digamma(a + b + x)
    g_r = digamma(r + x) - digamma(r) + np.log(alpha) - w3 * lT - np.where(rep, w4 * lt, 0)
    g_alpha = r / alpha - (r + x) * (w3 / (alpha + T) + w4 / (alpha + tx))
    g_a = dab + np.where(rep, w4 / a, 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        g_b = dab + digamma(b + x) - digamma(b) - np.where(rep, w4 / (b + x - 1), 0)
    n = len(x)
    grad = -np.array([g_r.sum() * r, g_alpha.sum() * alpha, g_a.sum() * a, g_b.sum() * b]) / n
    return -ll.mean(), grad


def main():
    args = arguments(250000, shapes=list(SHAPES))
    true, tmax = SHAPES[args.shape]
    print(f"shape {args.shape}:")
    x, tx, T = simulate(args.customers, args.seed, args.shape)
    cur = store(args.db, "bench_bgnbd", x, tx, T)
    print(f"simulated with r={true['r']}, alpha={true['alpha']}, a={true['a']}, b={true['b']}, T up to {tmax} (days)")

    # ours, in the database (best of --repeat runs)
    def fit_ours():
        cur.execute('SELECT portrait.bgnbd_fit(x, t_x, "T")::jsonb FROM bench_bgnbd')
        return cur.fetchone()[0]

    ours, model = best(fit_ours, args.repeat)
    ours_p = np.array([model[k] for k in ("r", "alpha", "a", "b")])

    # export + scipy (best of --repeat runs each)
    export_time, (ex, etx, eT) = best(lambda: export(cur, "bench_bgnbd"), args.repeat)
    start = np.log([1.0, eT.mean(), 1.0, 1.0])
    results = {}
    variants = (("BFGS, analytic gradient", negll_grad, True, "BFGS", {"gtol": 1e-9}),
                ("BFGS, finite differences", negll, False, "BFGS", {"gtol": 1e-9}),
                ("Nelder-Mead", negll, False, "Nelder-Mead", {"xatol": 1e-8, "fatol": 1e-12, "maxiter": 20000}))
    for label, fn, jac, method, opts in variants:
        ft, res = best(lambda: minimize(fn, start, args=(ex, etx, eT), jac=jac, method=method, options=opts),
                       args.repeat)
        results[label] = (ft, np.exp(res.x), -res.fun * len(ex), res.nfev)

    print()
    print("| method | time (s) | ratio to bgnbd_fit | r | alpha | a | b | log-likelihood |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    print(f"| portrait.bgnbd_fit (in database, {model['iterations']} iterations) | {ours:.3f} | 1.0 | "
          + " | ".join(f"{v:.6f}" for v in ours_p) + f" | {model['log_likelihood']:.4f} |")
    for method, (ft, par, ll, nfev) in results.items():
        total = export_time + ft
        print(f"| export {export_time:.3f} s + scipy {method} {ft:.3f} s ({nfev} evaluations) | {total:.3f} | "
              f"{total / ours:.1f} | " + " | ".join(f"{v:.6f}" for v in par) + f" | {ll:.4f} |")
    fastest = min(export_time + r[0] for r in results.values())
    print()
    print(f"ratio bgnbd_fit / fastest export + scipy: {ours / fastest:.3f} (target <= 0.1)")
    for method, (ft, par, ll, nfev) in results.items():
        rel = np.abs(par / ours_p - 1)
        print(f"max relative parameter difference, scipy {method} vs bgnbd_fit: {rel.max():.2e}; "
              f"log-likelihood difference: {abs(ll - model['log_likelihood']):.2e}")
    cur.execute("DROP TABLE bench_bgnbd")


if __name__ == "__main__":
    main()
