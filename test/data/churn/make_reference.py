#!/usr/bin/python3
"""Reference values for the MBG/NBD and Pareto/NBD tests, from scipy (Debian's python3-scipy).

Maximises the MBG/NBD (Batislam, Denizel & Filiztekin 2007) and Pareto/NBD
(Schmittlein, Morrison & Colombo 1987; Fader & Hardie's note on its
likelihood) log-likelihoods on the CDNOW calibration summaries
(../cdnow/cdnow_customers_summary_with_transactions.csv, weeks) with
scipy.optimize (BFGS on log-parameters, then Nelder-Mead from there), and
writes

  fit_reference.csv       model, r, alpha, a_or_s, b_or_beta, log_likelihood
  score_reference.csv     model, x, t_x, T, t, p_alive, expected (E[Y(t) | x, t_x, T])
  new_reference.csv       model, t, expected (E[X(t)] of a new customer)
  loglik_reference.csv    r, alpha, s, beta, x, t_x, T, log_likelihood: Pareto/NBD
                          log-likelihoods by numerical integration of the
                          lifetime term (no 2F1), at extreme parameters too

Scores are computed at the fitted parameters.  Run from this directory: ./make_reference.py (test/bench/churn_reference.py imports
its likelihoods)
"""
import csv

import numpy as np
from scipy.integrate import quad
from scipy.optimize import minimize
from scipy.special import gammaln, hyp2f1

def mbg_ll(p, x, tx, T):
    r, alpha, a, b = p
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = gammaln(a + b) + gammaln(b + x + 1) - gammaln(b) - gammaln(a + b + x + 1)
    a3 = -(r + x) * np.log(alpha + T)
    a4 = np.log(a) - np.log(b + x) - (r + x) * np.log(alpha + tx)
    return a1 + a2 + np.logaddexp(a3, a4)


def pnbd_parts(p, x, tx, T):
    r, alpha, s, beta = p
    m = r + s + x
    if alpha >= beta:
        f = lambda t: np.log(hyp2f1(m, s + 1, m + 1, (alpha - beta) / (alpha + t))) - m * np.log(alpha + t)
    else:
        f = lambda t: np.log(hyp2f1(m, r + x, m + 1, (beta - alpha) / (beta + t))) - m * np.log(beta + t)
    l1 = f(tx)
    l2 = f(T)
    with np.errstate(divide="ignore", invalid="ignore"):
        la0 = np.where(tx < T, l1 + np.log1p(-np.exp(np.minimum(l2 - l1, 0))), -np.inf)
    lalive = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
    ldead = np.log(s) - np.log(r + s + x) + la0
    return lalive, ldead


def pnbd_ll(p, x, tx, T):
    r, alpha, s, beta = p
    la, ld = pnbd_parts(p, x, tx, T)
    return gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta) + np.logaddexp(la, ld)


def fit(ll, X, TX, TT):
    f = lambda th: -ll(np.exp(th), X, TX, TT).sum()
    th = np.log([1.0, TT.mean(), 1.0, TT.mean()])
    res = minimize(f, th, method="BFGS", options={"gtol": 1e-8})
    res = minimize(f, res.x, method="Nelder-Mead", options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 20000})
    return np.exp(res.x), -res.fun


def mbg_palive(p, x, tx, T):
    r, alpha, a, b = p
    return 1 / (1 + a / (b + x) * ((alpha + T) / (alpha + tx)) ** (r + x))


def mbg_cond(p, t, x, tx, T):
    r, alpha, a, b = p
    z = t / (alpha + T + t)
    br = 1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp2f1(r + x, b + x + 1, a + b + x, z)
    return (a + b + x) / (a - 1) * br * mbg_palive(p, x, tx, T)


def mbg_new(p, t):
    r, alpha, a, b = p
    return b / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp2f1(r, b + 1, a + b, t / (alpha + t)))


def pnbd_palive(p, x, tx, T):
    la, ld = pnbd_parts(p, np.float64(x), np.float64(tx), np.float64(T))
    return 1 / (1 + np.exp(ld - la))


def pnbd_cond(p, t, x, tx, T):
    r, alpha, s, beta = p
    return ((r + x) * (beta + T) / ((alpha + T) * (s - 1)) * (1 - ((beta + T) / (beta + T + t)) ** (s - 1))
            * pnbd_palive(p, x, tx, T))


def pnbd_new(p, t):
    r, alpha, s, beta = p
    return r * beta / (alpha * (s - 1)) * (1 - (beta / (beta + t)) ** (s - 1))


def pnbd_ll_quad(r, alpha, s, beta, x, tx, T):
    """ln L with the lifetime term integrated numerically, scaled at t_x."""
    c = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
    la = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
    if tx == T:
        return c + la
    k = -(r + x) * np.log(alpha + tx) - (s + 1) * np.log(beta + tx)
    a0, _ = quad(lambda t: np.exp(-(r + x) * np.log(alpha + t) - (s + 1) * np.log(beta + t) - k), tx, T,
                 epsabs=0, epsrel=1e-13, limit=200)
    return c + np.logaddexp(la, np.log(s) + k + np.log(a0))




CUSTOMERS = [(0, 0, 38.86), (0, 0, 10.0), (1, 30.43, 38.86), (2, 30.43, 38.86), (2, 5.0, 38.86),
             (7, 35.0, 38.86), (20, 38.0, 39.0), (40, 20.0, 78.0)]
TIMES = [0.1429, 1.0, 3.0, 31.8571, 32.0, 39.0, 78.0]

LL_CASES = [
    # lifetimes' overflow case (ParetoNBDFitter tests)
    (10.465, 7.98565181e-03, 3.0516, 2.820, 400, 5, 6),
    (10.465, 7.98565181e-03, 3.0516, 2.820, 500, 1, 37),
    (10.465, 7.98565181e-03, 3.0516, 2.820, 500, 4, 37),
    # alpha > beta and alpha < beta, z near 1
    (0.55, 10.58, 0.61, 11.67, 2, 30.43, 38.86),
    (0.55, 300.0, 0.61, 0.5, 3, 10, 40),
    (0.55, 0.5, 0.61, 300.0, 3, 10, 40),
    (2.0, 50.0, 1.0, 2.0, 0, 0, 100),
    (0.3, 5.0, 2.5, 80.0, 12, 60.5, 61),
]


def main():
    rows = list(csv.DictReader(open("../cdnow/cdnow_customers_summary_with_transactions.csv")))
    X = np.array([float(r["x"]) for r in rows])
    TX = np.array([float(r["t_x"]) for r in rows])
    TT = np.array([float(r["T"]) for r in rows])
    fits = {"mbgnbd": fit(mbg_ll, X, TX, TT), "pareto_nbd": fit(pnbd_ll, X, TX, TT)}
    with open("fit_reference.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["model", "r", "alpha", "a_or_s", "b_or_beta", "log_likelihood"])
        for name, (p, ll) in fits.items():
            w.writerow([name] + [repr(float(v)) for v in p] + [repr(float(ll))])
    score = {"mbgnbd": (mbg_palive, mbg_cond, mbg_new), "pareto_nbd": (pnbd_palive, pnbd_cond, pnbd_new)}
    with open("score_reference.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["model", "x", "t_x", "T", "t", "p_alive", "expected"])
        for name, (p, _) in fits.items():
            pa, cond, _ = score[name]
            for x, tx, T in CUSTOMERS:
                w.writerow([name, x, tx, T, 39.0, repr(float(pa(p, x, tx, T))), repr(float(cond(p, 39.0, x, tx, T)))])
    with open("new_reference.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["model", "t", "expected"])
        for name, (p, _) in fits.items():
            for t in TIMES:
                w.writerow([name, t, repr(float(score[name][2](p, t)))])
    for name, (p, ll) in fits.items():
        print(name, p, ll)
    with open("loglik_reference.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["r", "alpha", "s", "beta", "x", "t_x", "T", "log_likelihood"])
        for case in LL_CASES:
            w.writerow(list(case) + [repr(float(pnbd_ll_quad(*case)))])


if __name__ == "__main__":
    main()
