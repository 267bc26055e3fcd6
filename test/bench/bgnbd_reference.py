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


def simulate(n, seed):
    rng = np.random.default_rng(seed)
    lam = rng.gamma(TRUE["r"], 1 / TRUE["alpha"], n)
    p = rng.beta(TRUE["a"], TRUE["b"], n)
    T = rng.integers(1, 366, n).astype(float)
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
    args = arguments(250000)
    x, tx, T = simulate(args.customers, args.seed)
    cur = store(args.db, "bench_bgnbd", x, tx, T)
    print(f"simulated with r={TRUE['r']}, alpha={TRUE['alpha']}, a={TRUE['a']}, b={TRUE['b']} (days)")

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
    print()
    for method, (ft, par, ll, nfev) in results.items():
        rel = np.abs(par / ours_p - 1)
        print(f"max relative parameter difference, scipy {method} vs bgnbd_fit: {rel.max():.2e}; "
              f"log-likelihood difference: {abs(ll - model['log_likelihood']):.2e}")
    cur.execute("DROP TABLE bench_bgnbd")


if __name__ == "__main__":
    main()
