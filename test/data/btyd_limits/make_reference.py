#!/usr/bin/python3
"""Reference values for test/btyd_limits.sql: BG/NBD expected purchases at
parameters near the boundary of the parameter space (r, alpha and b huge, a
tiny: a homogeneous Poisson buyer who hardly drops out), at a = 1 and next
to it, and at the CDNOW fit for comparison.

Each value is computed twice with mpmath at 40 digits and the two must
agree to 1e-12 relative:
  - by quadrature over the dropout probability p ~ Beta(a, b) of
    E[X(t) | p] = (1 - (alpha / (alpha + p t))^r) / p (the purchase rate
    lambda ~ Gamma(r, alpha) integrated out in closed form), as its value
    r t / alpha at p = 0 plus the integral of the difference to it;
  - by the closed form (a+b-1)/(a-1) [1 - (alpha/(alpha+t))^r
    2F1(r, b; a+b-1; t/(alpha+t))] (FHL 2005, eq. 9), where a != 1.
A customer with history (x, t_x, T) is the new customer of the posterior
(r+x, alpha+T, a, b+x) times P(alive) = 1 / (1 + [x>0] a/(b+x-1)
((alpha+T)/(alpha+t_x))^(r+x)).

Writes expected_reference.csv: r, alpha, a, b, t, x, t_x, T, expected.
Run from this directory: ./make_reference.py
"""
import csv

import mpmath as mp

mp.mp.dps = 40


def new_by_quadrature(r, alpha, a, b, t):
    r, alpha, a, b, t = map(mp.mpf, (r, alpha, a, b, t))
    lbeta = mp.log(mp.beta(a, b))

    g0 = r * t / alpha

    # E[X(t) | p] - E[X(t) | 0]: O(p), so a Beta with tiny a leaves no mass unseen at 0
    def f(p):
        if p == 0:
            return mp.mpf(0)
        cond = -mp.expm1(-r * mp.log1p(p * t / alpha)) / p - g0
        return cond * mp.exp((a - 1) * mp.log(p) + (b - 1) * mp.log1p(-p) - lbeta)

    # the Beta mass sits near a / (a + b): break the interval around it on a log scale
    centre = a / (a + b)
    pts = sorted({mp.mpf(0), mp.mpf(1)} | {min(mp.mpf(1) / 2, centre * mp.mpf(10) ** k) for k in range(-30, 31, 2)})
    pts = [p for p in pts if 0 <= p <= 1]
    if pts[-1] != 1:
        pts.append(mp.mpf(1))
    return g0 + mp.quad(f, pts)


def new_closed_form(r, alpha, a, b, t):
    r, alpha, a, b, t = map(mp.mpf, (r, alpha, a, b, t))
    z = t / (alpha + t)
    return (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * mp.hyp2f1(r, b, a + b - 1, z))


def expected(r, alpha, a, b, t, x, t_x, T):
    post = (r + x, alpha + T, a, b + x, t)
    q = new_by_quadrature(*post)
    if a != 1:
        c = new_closed_form(*post)
        assert abs(q / c - 1) < 1e-12, (r, alpha, a, b, t, x, q, c)
    if x > 0:
        odds = mp.mpf(a) / (b + x - 1) * ((mp.mpf(alpha) + T) / (mp.mpf(alpha) + t_x)) ** (r + x)
        q = q / (1 + odds)
    return q


PARAMS = [
    # the boundary fit of customers who all bought till the end
    (3.08e7, 3.285e8, 1.26e-12, 1.36e10),
    (1e4, 1e5, 0.5, 1e7),
    (2.0, 10.0, 1.0, 3.0),
    (2.0, 10.0, 1.0 + 1e-9, 3.0),
    (0.2426, 4.4136, 0.7929, 2.4259),
]
CUSTOMERS = [(0, 0, 0), (2, 20, 38), (3, 30, 30)]

with open("expected_reference.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["r", "alpha", "a", "b", "t", "x", "t_x", "T", "expected"])
    for r, alpha, a, b in PARAMS:
        for x, t_x, T in CUSTOMERS:
            for t in (1.0, 30.0):
                w.writerow([repr(r), repr(alpha), repr(a), repr(b), repr(t), x, t_x, T,
                            mp.nstr(expected(r, alpha, a, b, t, x, t_x, T), 17)])
