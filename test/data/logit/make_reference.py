#!/usr/bin/python3
"""Generate the churn fixture for the logistic regression tests and the
scikit-learn reference coefficients.

Writes, next to this script:
  churn.csv              id, churned, tenure_months, monthly_spend, support_calls,
                         discount_rate, mobile_app (2,000 synthetic customers)
  sklearn_reference.csv  fit, term, coef: scikit-learn's fits of churned on the
                         five features with an intercept

Fits (all with the intercept unpenalised, scikit-learn's convention):
  none      penalty=None                            -> logit_fit default
  l2        penalty='l2', C = 0.5 (lambda = 1/C = 2) -> {"lambda": 2}
  l2_std    StandardScaler then penalty='l2', C = 0.5, coefficients mapped back
            to original units                        -> {"lambda": 2, "standardize": true}

Run with Debian's python3-sklearn (1.2.1 was used): /usr/bin/python3 make_reference.py
"""
import csv
import os

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

HERE = os.path.dirname(os.path.abspath(__file__))
FEATURES = ["tenure_months", "monthly_spend", "support_calls", "discount_rate", "mobile_app"]

rng = np.random.default_rng(20241125)
n = 2000
tenure = rng.integers(1, 73, n).astype(float)
spend = np.round(rng.gamma(4.0, 20.0, n), 2)
calls = rng.poisson(1.5, n).astype(float)
discount = np.round(rng.uniform(0, 0.3, n), 3)
mobile = (rng.random(n) < 0.55).astype(float)
X = np.column_stack([tenure, spend, calls, discount, mobile])
eta = 0.4 - 0.045 * tenure + 0.006 * spend + 0.35 * calls - 2.0 * discount - 0.5 * mobile
y = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(int)

with open(os.path.join(HERE, "churn.csv"), "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["id", "churned"] + FEATURES)
    for i in range(n):
        w.writerow([i + 1, y[i]] + [repr(float(v)) if j in (1, 3) else int(v) for j, v in enumerate(X[i])])

# read back what was written, so the fits see exactly the fixture's numbers
data = np.loadtxt(os.path.join(HERE, "churn.csv"), delimiter=",", skiprows=1)
y = data[:, 1].astype(int)
X = data[:, 2:]

fits = {}
m = LogisticRegression(penalty=None, solver="newton-cholesky", tol=1e-12, max_iter=1000).fit(X, y)
fits["none"] = np.concatenate([m.intercept_, m.coef_[0]])
m = LogisticRegression(penalty="l2", C=0.5, solver="newton-cholesky", tol=1e-12, max_iter=1000).fit(X, y)
fits["l2"] = np.concatenate([m.intercept_, m.coef_[0]])
sc = StandardScaler().fit(X)
m = LogisticRegression(penalty="l2", C=0.5, solver="newton-cholesky", tol=1e-12, max_iter=1000).fit(sc.transform(X), y)
coef = m.coef_[0] / sc.scale_
fits["l2_std"] = np.concatenate([m.intercept_ - [np.sum(m.coef_[0] * sc.mean_ / sc.scale_)], coef])

with open(os.path.join(HERE, "sklearn_reference.csv"), "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["fit", "term", "coef"])
    for name, c in fits.items():
        for term, v in zip(["intercept"] + FEATURES, c):
            w.writerow([name, term, repr(float(v))])
print("positives", int(y.sum()), "of", n)
for name, c in fits.items():
    print(name, c)
