#!/usr/bin/python3
"""Reference answers for ab_test and welch_test from scipy.stats.

Writes next to this script:
  ab_counts.csv        conversion cases with scipy's answers
  welch_values.csv     (dataset, variant, value) rows
  welch_expected.csv   scipy.stats.ttest_ind(equal_var=False) per dataset,
                       with the Welch interval from the t quantile solved
                       on scipy.stats.t.sf (scipy 1.10's t.ppf is only good
                       to about 3e-9 relative: for df = 42.1488..., p = 0.95
                       it gives 1.68181840770 where the quantile is
                       1.68181840920, checked with mpmath at 40 digits)
Run: /usr/bin/python3 make_abtest_reference.py  (Debian's python3-scipy)
"""
import csv
import math
import os

import numpy as np
from scipy import optimize, stats
from scipy.stats.contingency import relative_risk

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(20240602)


def r(x):
    return repr(float(x)) if x is not None else ''


with open(os.path.join(HERE, 'ab_counts.csv'), 'w', newline='') as f:
    w = csv.writer(f)
    for case in range(60):
        na = int(rng.integers(20, 200000))
        nb = int(rng.integers(20, 200000))
        pa = float(rng.uniform(0.001, 0.6))
        pb = pa * float(rng.uniform(0.7, 1.4))
        ca = int(rng.binomial(na, pa))
        cb = int(rng.binomial(nb, min(pb, 0.99)))
        if ca == 0 or cb == 0:
            ca, cb = max(ca, 1), max(cb, 1)
        alpha = [0.05, 0.01, 0.1][case % 3]
        ra, rb = ca / na, cb / nb
        zq = stats.norm.ppf(1 - alpha / 2)
        pool = (ca + cb) / (na + nb)
        z = (rb - ra) / math.sqrt(pool * (1 - pool) * (1 / na + 1 / nb))
        p = 2 * stats.norm.sf(abs(z))
        sed = math.sqrt(ra * (1 - ra) / na + rb * (1 - rb) / nb)
        rr = relative_risk(cb, nb, ca, na)
        ci = rr.confidence_interval(confidence_level=1 - alpha)
        w.writerow([case, ca, na, cb, nb, alpha, r(ra), r(rb), r(rb - ra), r(rb - ra - zq * sed),
                    r(rb - ra + zq * sed), r(rr.relative_risk - 1), r(ci.low - 1), r(ci.high - 1),
                    r(z), r(p)])

with open(os.path.join(HERE, 'welch_values.csv'), 'w', newline='') as fv, \
     open(os.path.join(HERE, 'welch_expected.csv'), 'w', newline='') as fx:
    wv, wx = csv.writer(fv), csv.writer(fx)
    for ds in range(40):
        na = int(rng.integers(2, 1000))
        nb = int(rng.integers(2, 1000))
        scale_a = float(rng.uniform(1, 200))
        scale_b = scale_a * float(rng.uniform(0.3, 3))
        a = np.round(rng.lognormal(np.log(scale_a), 1.0, na) * (rng.random(na) < 0.7), 2)
        b = np.round(rng.lognormal(np.log(scale_b), 1.0, nb) * (rng.random(nb) < 0.6), 2)
        if a.std() == 0 and b.std() == 0:
            a[0] += 1
        alpha = [0.05, 0.01, 0.1][ds % 3]
        for x in a:
            wv.writerow([ds, 'control', r(x)])
        for x in b:
            wv.writerow([ds, 'treatment', r(x)])
        res = stats.ttest_ind(b, a, equal_var=False)
        va, vb = a.var(ddof=1), b.var(ddof=1)
        sa, sb = va / na, vb / nb
        df = (sa + sb) ** 2 / (sa ** 2 / (na - 1) + sb ** 2 / (nb - 1))
        q = optimize.brentq(lambda x: stats.t.sf(x, df) - alpha / 2, 0, 1e3,
                            xtol=1e-300, rtol=1e-15, maxiter=1000)
        diff = b.mean() - a.mean()
        se = math.sqrt(sa + sb)
        wx.writerow([ds, alpha, na, nb, r(a.mean()), r(b.mean()), r(va), r(vb), r(diff),
                     r(diff - q * se), r(diff + q * se), r(res.statistic), r(df), r(res.pvalue)])
