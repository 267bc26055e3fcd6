#!/usr/bin/python3
"""Reference k-means results from scikit-learn for test/kmeans_reference.sql.

Writes, next to this script:
  points.csv     dataset,id,label,f   -- the synthetic data sets; label is
                                         scikit-learn's label (0-based) of the
                                         run from explicit initial centroids
  reference.csv  one row per data set: k, standardize, the explicit initial
                 centroids (original units), that run's final centroids (in
                 the space it clustered: z-scores when standardize), its
                 inertia and iterations, the best inertia of k-means++ with
                 n_init = 10, and the exact silhouette of the explicit run's
                 labels (synthetic sets only)

customers.csv holds log-RFM features of every 5th customer of the generated
sample data (test/data/sample.sql, 50000 customers, seed 42), exported with

  SET TimeZone = 'Asia/Shanghai';
  \\copy (SELECT customer_id, ARRAY[ln(1 + (date '2024-12-31' - max(ordered_at)::date)::float8),
          ln(count(*)::float8), ln(1 + greatest(coalesce(sum(amount), 0), 0)::float8)]
          FROM demo.orders WHERE customer_id % 5 = 0 GROUP BY customer_id ORDER BY customer_id)
          TO 'customers.csv' CSV HEADER

(the test recomputes the same features in SQL).  Its labels are not
written: only the inertia is compared there.

Explicit-init runs use tol = 0, so both implementations stop when the labels
no longer change; standardization is StandardScaler (population sd), which is
what kmeans_fit's standardize does.
"""
import csv
import json
import os

import numpy as np
from sklearn.cluster import KMeans
from sklearn.datasets import make_blobs
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import StandardScaler

HERE = os.path.dirname(os.path.abspath(__file__))


def datasets():
    blobs, _ = make_blobs(n_samples=2000, centers=4, n_features=3, cluster_std=1.0, random_state=1)
    yield "blobs", blobs, 4, False

    x, _ = make_blobs(n_samples=1500, centers=3, random_state=170)
    yield "anisotropic", x @ np.array([[0.6, -0.6], [-0.4, 0.8]]), 3, False

    rng = np.random.default_rng(5)
    big = rng.normal(0.0, 1.0, size=(1800, 2))
    small = [rng.normal(c, 0.5, size=(70, 2)) for c in ([6.0, 6.0], [-6.0, 5.0], [5.0, -6.0])]
    dom = np.vstack([big] + small)
    yield "dominant", dom, 4, False

    with open(os.path.join(HERE, "customers.csv")) as fh:
        rows = list(csv.DictReader(fh))
    cust = np.array([[float(v) for v in r["f"].strip("{}").split(",")] for r in rows])
    yield "customers", cust, 5, True


def fmt(v):
    return repr(float(v))


def main():
    points = []
    refs = []
    for name, x, k, standardize in datasets():
        xs = StandardScaler().fit_transform(x) if standardize else x
        init = x[:k]
        init_s = xs[:k]
        km = KMeans(n_clusters=k, init=init_s, n_init=1, tol=0.0, max_iter=300, algorithm="lloyd").fit(xs)
        pp = KMeans(n_clusters=k, init="k-means++", n_init=10, random_state=0, algorithm="lloyd").fit(xs)
        if name != "customers":
            for i, (row, lab) in enumerate(zip(x, km.labels_)):
                points.append([name, i + 1, int(lab), "{" + ",".join(fmt(v) for v in row) + "}"])
        refs.append([name, k, "true" if standardize else "false",
                     json.dumps([[float(v) for v in r] for r in init]),
                     json.dumps([[float(v) for v in r] for r in km.cluster_centers_]),
                     fmt(km.inertia_), km.n_iter_, fmt(pp.inertia_),
                     fmt(silhouette_score(xs, km.labels_)) if name != "customers" else ""])
        print(f"{name}: n={len(x)} k={k} explicit inertia={km.inertia_:.6f} ({km.n_iter_} iterations), "
              f"k-means++ n_init=10 inertia={pp.inertia_:.6f}")
    with open(os.path.join(HERE, "points.csv"), "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["dataset", "id", "label", "f"])
        w.writerows(points)
    with open(os.path.join(HERE, "reference.csv"), "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["dataset", "k", "standardize", "init", "centroids", "inertia", "n_iter", "pp_inertia",
                    "silhouette"])
        w.writerows(refs)


if __name__ == "__main__":
    main()
