/*
 * kdtree.h
 *		A k-d tree over points in memory, for the radius and nearest-point
 *		queries of density clustering: each query visits only the nodes whose
 *		bounding boxes come within the radius, not all n points, and a caller
 *		may take a node that lies entirely within the radius as a whole.
 */
#ifndef PORTRAIT_KDTREE_H
#define PORTRAIT_KDTREE_H

#include "miscadmin.h"

#include "portrait.h"

/* points per leaf: small enough to prune well, large enough to scan fast */
#define PORTRAIT_KDTREE_LEAF	32
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
	KdNode	   *nodes;			/* in preorder: a parent before its children */
	double	   *box;			/* per node: d minima, then d maxima */
	int64		nnodes;
	int64		work;			/* values scanned since the last interrupt check */
	int64	   *stack;			/* traversal scratch */
} KdTree;

/* What a search does with a node or a point. */
typedef enum KdStep
{
	KD_NEXT,					/* go on (a node: look into it) */
	KD_SKIP,					/* a node: done with it; a point: done with its leaf */
	KD_STOP						/* end the search */
} KdStep;

/*
 * A radius search around q: node is called for each node that comes within
 * the radius (inside: its whole box lies within it), point for each point
 * within the radius of a leaf or inside node looked into, by tree position;
 * mask, when set, limits these to the points with mask[pos].
 */
typedef struct KdSearch
{
	const double *q;
	double		r2;				/* squared radius: distance <= radius */
	const bool *mask;
	KdStep		(*node) (KdTree *t, int64 k, bool inside, void *arg);
	KdStep		(*point) (KdTree *t, int64 pos, void *arg);
	void	   *arg;
} KdSearch;

/* Bytes a tree of n points of d values needs (for the fit memory budget). */
#define KdTreeBytesPerPoint(d) \
	((Size) (d) * sizeof(double) + sizeof(int64) + \
	 4 * (sizeof(KdNode) + 2 * (Size) (d) * sizeof(double)) / PORTRAIT_KDTREE_LEAF + 1)
/* The most nodes a tree of n points gets. */
#define KdTreeMaxNodes(n)	(4 * ((n) / PORTRAIT_KDTREE_LEAF + 1))

/*
 * Count work (points scanned or nodes visited, times the dimensions) and
 * check for interrupts every few million values: a few milliseconds.
 */
static inline void
KdWork(KdTree *t, int64 points)
{
	t->work += (points + 1) * t->d;
	if (unlikely(t->work >= (1 << 22)))
	{
		t->work = 0;
		CHECK_FOR_INTERRUPTS();
	}
}

extern KdTree *KdTreeBuild(const double *x, int64 n, int d);
extern void KdTreeSearch(KdTree *t, const KdSearch *s);
extern double KdTreeDiameter2(const KdTree *t, int64 k);
extern int64 KdTreeNearest(KdTree *t, const double *q, double r2, double *best);

#endif							/* PORTRAIT_KDTREE_H */
