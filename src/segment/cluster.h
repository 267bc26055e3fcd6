/*
 * cluster.h
 *		What the density and hierarchical fits share: rows of their
 *		portrait.points state carry the customer's key before the features,
 *		so that the rows sort by key and labels come back per key.
 */
#ifndef PORTRAIT_CLUSTER_H
#define PORTRAIT_CLUSTER_H

#include "portrait.h"

/* a row of the state: the key's high and low 32 bits, then the features */
#define PORTRAIT_CLUSTER_KEY_VALUES	2
/* the most features a cluster fit takes (each fit may take fewer) */
#define PORTRAIT_CLUSTER_MAX_DIM	1000

/* Store key in row[0..1]: two doubles that hold 32 bits each exactly and sort as the key does. */
static inline void
ClusterPutKey(double *row, int64 key)
{
	row[0] = (double) (int32) (key >> 32);
	row[1] = (double) (uint32) ((uint64) key & 0xffffffff);
}

static inline int64
ClusterGetKey(const double *row)
{
	return (int64) (((uint64) (int64) row[0] << 32) | (uint64) (uint32) row[1]);
}

/* Scale of a feature: its sd, or 1 where it is 0 or when not standardizing (as kmeans_fit). */
static inline double
ClusterScale(bool standardize, double sd)
{
	return (standardize && sd > 0) ? sd : 1.0;
}

/* Squared Euclidean distance of two rows, the terms added in feature order. */
static inline double
ClusterDist2(const double *a, const double *b, int d)
{
	double		s = 0;

	for (int j = 0; j < d; j++)
	{
		double		t = a[j] - b[j];

		s += t * t;
	}
	return s;
}

extern PointsState *ClusterFitRow(FunctionCallInfo fcinfo, int optarg, int64 param, const char *settings,
								  int maxdim, const char *func, const double **row);
extern void ClusterBadModel(const char *detail) pg_attribute_noreturn();
extern void ClusterCheckState(const PointsState *ps, const char *func);
extern double *ClusterSortedRows(PointsState *ps, bool standardize, int64 **keys, double **mean, double **sd,
								 const char *func);

#endif							/* PORTRAIT_CLUSTER_H */
