#!/usr/bin/python3
"""Reference values for the BG/NBD tests, from scipy (Debian's python3-scipy).

Writes hyp2f1_reference.csv (Gauss hypergeometric function at points that
exercise the plain series, the Euler and Pfaff transformations, z = 1 and
terminating series) and expected_reference.csv (E[X(t)] of a new customer
with the CDNOW maximum-likelihood parameters, computed with scipy's hyp2f1).
Run from this directory: ./make_reference.py
"""
import csv

import numpy as np
from scipy.special import hyp2f1

cases = [
    # plain series, small z
    (1.0, 1.0, 2.0, 0.5),
    (0.243, 2.426, 2.219, 0.3),
    # z near 1, a + b > c: Euler transformation
    (1.5, 2.5, 0.7, 0.99),
    (20.5, 22.3, 24.1, 0.95),
    (200.25, 202.5, 201.3, 0.6),
    # z near 1, a + b < c: plain series, slow
    (0.3, 0.4, 3.0, 0.9),
    # z > 0.9: the connection formula to 1 - z
    (0.243, 2.426, 2.219, 0.999),
    (1.976, -0.207, 2.219, 0.9999999),
    (2.5, 3.5, 4.1, 0.95),
    (20.5, 22.3, 24.1, 0.99),
    (0.5, 1.5, 3.2, 0.97),
    (7.243, 9.426, 15.219, 0.9995),
    # z > 0.9 with c - a - b an integer: series after all
    (1.0, 1.0, 2.0, 0.95),
    # z = 1, Gauss's theorem
    (0.3, 0.4, 3.0, 1.0),
    # z < 0: Pfaff transformation, including |z| > 1
    (1.5, 2.5, 0.7, -5.0),
    (0.5, 0.5, 1.5, -0.25),
    (2.0, 3.0, 4.5, -40.0),
    # terminating series (a non-positive integer)
    (-3.0, 2.0, 1.5, -7.0),
    (-2.0, 1.5, 0.5, 0.8),
]
with open("hyp2f1_reference.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["a", "b", "c", "z", "value"])
    for a, b, c, z in cases:
        w.writerow([repr(a), repr(b), repr(c), repr(z), repr(float(hyp2f1(a, b, c, z)))])

# CDNOW maximum-likelihood parameters (weeks), fitted with scipy below.
data = np.genfromtxt("../cdnow/cdnow_customers_summary_with_transactions.csv", delimiter=",",
                     names=True)
x, tx, T = data["x"], data["t_x"], data["T"]

from scipy.optimize import minimize
from scipy.special import gammaln


def negll(theta):
    r, alpha, a, b = np.exp(theta)
    a3 = -(r + x) * np.log(alpha + T)
    with np.errstate(divide="ignore"):
        a4 = np.where(x > 0, np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)) - (r + x) * np.log(alpha + tx),
                      -np.inf)
    ll = (gammaln(r + x) - gammaln(r) + r * np.log(alpha) + gammaln(a + b) + gammaln(b + x) - gammaln(b)
          - gammaln(a + b + x) + np.logaddexp(a3, a4))
    return -ll.sum() / len(x)


res = minimize(negll, np.log([1.0, 30.0, 1.0, 1.0]), method="Nelder-Mead",
               options={"xatol": 1e-10, "fatol": 1e-14, "maxiter": 20000, "maxfev": 40000})
r, alpha, a, b = np.exp(res.x)
with open("expected_reference.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["t", "value"])
    for t in [0.1429, 1.0, 3.0, 31.8571, 32.0, 78.0]:
        v = (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1, t / (alpha + t)))
        w.writerow([repr(t), repr(float(v))])
with open("cdnow_fit_reference.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["r", "alpha", "a", "b", "log_likelihood"])
    w.writerow([repr(float(v)) for v in (r, alpha, a, b, -res.fun * len(x))])

# Gamma-Gamma on the 946 repeat buyers, and CLV of the first customers with both models,
# by the discounted monthly sum of lifetimes' customer_lifetime_value (weeks: 4.345 a month).
zbar = data["zbar"]
rep = x > 0
xr, mr = x[rep], zbar[rep]


def gg_negll(theta):
    p, q, v = np.exp(theta)
    return -(gammaln(p * xr + q) - gammaln(p * xr) - gammaln(q) + q * np.log(v) + (p * xr - 1) * np.log(mr)
             + p * xr * np.log(xr) - (p * xr + q) * np.log(xr * mr + v)).mean()


gres = minimize(gg_negll, np.zeros(3), method="Nelder-Mead",
                options={"xatol": 1e-12, "fatol": 1e-14, "maxiter": 20000, "maxfev": 40000})
p, q, v = np.exp(gres.x)
with open("gamma_gamma_fit_reference.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["p", "q", "gamma", "log_likelihood"])
    w.writerow([repr(float(u)) for u in (p, q, v, -gres.fun * len(xr))])


def cond_expected(t, xi, txi, Ti):
    big = alpha + Ti + t
    ey = ((a + b + xi - 1) / (a - 1)
          * (1 - ((alpha + Ti) / big) ** (r + xi) * hyp2f1(r + xi, b + xi, a + b + xi - 1, t / big)))
    if xi > 0:
        ey /= 1 + a / (b + xi - 1) * ((alpha + Ti) / (alpha + txi)) ** (r + xi)
    return ey


with open("clv_reference.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["customer_id", "expected_avg_value", "clv"])
    for i in range(10):
        xi, txi, Ti, mi = x[i], tx[i], T[i], zbar[i]
        em = p * v / (q - 1) if xi == 0 else (v + xi * mi) * p / (p * xi + q - 1)
        clv, prev = 0.0, 0.0
        for month in range(1, 13):
            cur = cond_expected(month * 4.345, xi, txi, Ti)
            clv += em * (cur - prev) / 1.01 ** month
            prev = cur
        w.writerow([int(data["ID"][i]), repr(float(em)), repr(float(clv))])
