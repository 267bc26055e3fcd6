#!/usr/bin/python3
"""Reference results from scikit-learn for test/iforest.sql and test/decision_tree.sql.

Writes, next to this script:
  iforest_points.csv   id,anomaly,f   -- 3000 customers with 4 features:
                       2940 from two correlated Gaussian groups, 60 planted
                       anomalies (each pushed out along one or two features by
                       2.5 to 4.5 standard deviations, so that some are hard)
  iforest_reference.csv  n_trees, max_samples and the AUC of scikit-learn's
                       IsolationForest scores against the planted labels
                       (-score_samples, averaged over seeds 0..9, and the
                       smallest and largest of the ten)
  tree_points.csv      id,label,y,f   -- 1500 rows with 4 continuous features
                       (no two rows share a value of a feature, so no two
                       splits tie; every value exact in float32, which is
                       what scikit-learn's trees split), a three-class label
                       and a regression target
  tree_reference.csv   one row per (setting, node) of the fitted
                       DecisionTreeClassifier / DecisionTreeRegressor, in
                       scikit-learn's node order (preorder, left first):
                       depth, feature (1-based, 0 for a leaf), threshold, the
                       node's row count and its predicted class or value

Run with /usr/bin/python3 (scikit-learn 1.2.1).
"""
import csv
import os

import numpy as np
from sklearn.ensemble import IsolationForest
from sklearn.metrics import roc_auc_score
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

HERE = os.path.dirname(os.path.abspath(__file__))
N_TREES = 100
MAX_SAMPLES = 256


def fmt(v):
    return repr(float(v))


def iforest():
    rng = np.random.default_rng(18)
    cov = np.array([[1.0, 0.6, 0.0, 0.2], [0.6, 1.0, 0.1, 0.0], [0.0, 0.1, 1.0, 0.3], [0.2, 0.0, 0.3, 1.0]])
    a = rng.multivariate_normal([0, 0, 0, 0], cov, size=1960)
    b = rng.multivariate_normal([3, -1, 2, 0], cov, size=980)
    normal = np.vstack([a, b])
    base = normal[rng.choice(len(normal), size=60, replace=False)].copy()
    for row in base:
        feats = rng.choice(4, size=rng.integers(1, 3), replace=False)
        for j in feats:
            row[j] += rng.choice([-1, 1]) * rng.uniform(2.5, 4.5)
    x = np.vstack([normal, base])
    y = np.r_[np.zeros(len(normal), bool), np.ones(len(base), bool)]
    perm = rng.permutation(len(x))
    x, y = x[perm], y[perm]
    aucs = []
    for seed in range(10):
        m = IsolationForest(n_estimators=N_TREES, max_samples=MAX_SAMPLES, random_state=seed).fit(x)
        aucs.append(roc_auc_score(y, -m.score_samples(x)))
    with open(os.path.join(HERE, "iforest_points.csv"), "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "anomaly", "f"])
        for i, (row, lab) in enumerate(zip(x, y)):
            w.writerow([i + 1, "t" if lab else "f", "{" + ",".join(fmt(v) for v in row) + "}"])
    with open(os.path.join(HERE, "iforest_reference.csv"), "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["n_trees", "max_samples", "auc", "auc_min", "auc_max"])
        w.writerow([N_TREES, MAX_SAMPLES, fmt(np.mean(aucs)), fmt(min(aucs)), fmt(max(aucs))])


TREE_SETTINGS = [
    # name, kind, options for both
    ("gini_d4", "classifier", dict(criterion="gini", max_depth=4, min_samples_leaf=1)),
    ("entropy_d5_leaf20", "classifier", dict(criterion="entropy", max_depth=5, min_samples_leaf=20)),
    ("gini_d3_weighted", "classifier", dict(criterion="gini", max_depth=3, min_samples_leaf=5,
                                            class_weight={"a": 1.0, "b": 2.0, "c": 0.5})),
    ("mse_d4_leaf10", "regressor", dict(criterion="squared_error", max_depth=4, min_samples_leaf=10)),
]


def trees():
    rng = np.random.default_rng(12)
    n = 1500
    # distinct values per feature: a random permutation of a fine grid plus jitter
    x = np.column_stack([rng.permutation(n) / 10.0 + rng.uniform(0, 0.05, n) for _ in range(4)])
    x[:, 1] = x[:, 1] * 3.0 - 500.0
    # scikit-learn's trees split float32 copies of the features: values that
    # float32 holds exactly give the same midpoints in both implementations
    x = x.astype(np.float32).astype(np.float64)
    score = 0.01 * x[:, 0] - 0.004 * x[:, 1] + 0.5 * np.sin(x[:, 2] / 20.0) + rng.normal(0, 0.6, n)
    label = np.where(score < 0.0, "a", np.where(score < 1.0, "b", "c"))
    y = 2.0 * np.sin(x[:, 0] / 25.0) + 0.01 * x[:, 3] + rng.normal(0, 0.3, n)
    with open(os.path.join(HERE, "tree_points.csv"), "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "label", "y", "f"])
        for i in range(n):
            w.writerow([i + 1, label[i], fmt(y[i]), "{" + ",".join(fmt(v) for v in x[i]) + "}"])
    with open(os.path.join(HERE, "tree_reference.csv"), "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["setting", "node", "depth", "feature", "threshold", "n", "prediction"])
        for name, kind, opts in TREE_SETTINGS:
            if kind == "classifier":
                m = DecisionTreeClassifier(random_state=0, **opts).fit(x, label)
            else:
                m = DecisionTreeRegressor(random_state=0, **opts).fit(x, y)
            t = m.tree_
            depth = np.zeros(t.node_count, int)
            for i in range(t.node_count):
                if t.children_left[i] >= 0:
                    depth[t.children_left[i]] = depth[t.children_right[i]] = depth[i] + 1
            for i in range(t.node_count):
                leaf = t.children_left[i] < 0
                if kind == "classifier":
                    pred = m.classes_[int(np.argmax(t.value[i][0]))]
                else:
                    pred = fmt(t.value[i][0][0])
                w.writerow([name, i, depth[i], 0 if leaf else t.feature[i] + 1,
                            "" if leaf else fmt(t.threshold[i]), t.n_node_samples[i], pred])


if __name__ == "__main__":
    iforest()
    trees()
