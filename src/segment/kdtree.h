/*
 * kdtree.h
 *		A k-d tree over points in memory, for the radius and nearest-point
 *		queries of density clustering: each query visits only the leaves whose
 *		bounding boxes come within the radius, not all n points.
 */
#ifndef PORTRAIT_KDTREE_H
#define PORTRAIT_KDTREE_H

#include "portrait.h"

/* points per leaf: small enough to prune well, large enough to scan fast */
#define PORTRAIT_KDTREE_LEAF	16
/* deeper than any tree of median splits gets */
#define PORTRAIT_KDTREE_STACK	256

typedef struct KdNode
{
	int64		lo;				/* the node's points are tree order lo..hi-1 */
	int64		hi;
	int64		left;			/* child nodes, -1 for a leaf */
	int64		right;
} KdNode;

typedef struct KdTree
{
	int			d;
	int64		n;
	double	   *pts;			/* n x d, in tree order */
	int64	   *idx;			/* tree position -> index of the point given */
	KdNode	   *nodes;
	double	   *box;			/* per node: d minima, then d maxima */
	int64		nnodes;
	int64	   *stack;			/* traversal scratch */
} KdTree;

/* Called for each point within the radius: its index and squared distance; true stops. */
typedef bool (*KdVisit) (int64 i, double d2, void *arg);

/* Bytes a tree of n points of d values needs (for the fit memory budget). */
#define KdTreeBytesPerPoint(d) \
	((Size) (d) * sizeof(double) + sizeof(int64) + \
	 4 * (sizeof(KdNode) + 2 * (Size) (d) * sizeof(double)) / PORTRAIT_KDTREE_LEAF + 1)

extern KdTree *KdTreeBuild(const double *x, int64 n, int d);
extern void KdTreeRadius(KdTree *t, const double *q, double r2, KdVisit visit, void *arg);
extern int64 KdTreeNearest(KdTree *t, const double *q, double r2, double *best);

#endif							/* PORTRAIT_KDTREE_H */
