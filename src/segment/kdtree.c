/*
 * kdtree.c
 *		A k-d tree of median splits on the widest dimension, with bounding
 *		boxes per node.  Queries are exact: the tree only decides which points
 *		are looked at, never which are found, so results do not depend on how
 *		it is built.
 */
#include "postgres.h"

#include <float.h>

#include "cluster.h"
#include "kdtree.h"

/* Swap the points at tree positions a and b. */
static inline void
KdSwap(KdTree *t, int64 a, int64 b)
{
	int			d = t->d;
	int64		ti;

	for (int j = 0; j < d; j++)
	{
		double		v = t->pts[a * d + j];

		t->pts[a * d + j] = t->pts[b * d + j];
		t->pts[b * d + j] = v;
	}
	ti = t->idx[a];
	t->idx[a] = t->idx[b];
	t->idx[b] = ti;
}

/* Put the points lo..hi-1 in order so that position k holds the k-th smallest in dimension j. */
static void
KdSelect(KdTree *t, int64 lo, int64 hi, int64 k, int j)
{
	int			d = t->d;

	hi--;
	while (lo < hi)
	{
		double		pivot = t->pts[((lo + hi) / 2) * d + j];
		int64		a = lo;
		int64		b = hi;

		while (a <= b)
		{
			while (t->pts[a * d + j] < pivot)
				a++;
			while (t->pts[b * d + j] > pivot)
				b--;
			if (a <= b)
			{
				KdSwap(t, a, b);
				a++;
				b--;
			}
		}
		if (k <= b)
			hi = b;
		else if (k >= a)
			lo = a;
		else
			return;
	}
}

/* Build the node over lo..hi-1 and its subtree; returns its number. */
static int64
KdBuildNode(KdTree *t, int64 lo, int64 hi, int depth)
{
	int			d = t->d;
	int64		me = t->nnodes++;
	KdNode	   *node = &t->nodes[me];
	double	   *mn = t->box + me * 2 * d;
	double	   *mx = mn + d;
	int			widest = 0;

	if (depth % 8 == 0)
		CHECK_FOR_INTERRUPTS();
	node->lo = lo;
	node->hi = hi;
	node->left = node->right = -1;
	for (int j = 0; j < d; j++)
	{
		mn[j] = DBL_MAX;
		mx[j] = -DBL_MAX;
	}
	for (int64 i = lo; i < hi; i++)
		for (int j = 0; j < d; j++)
		{
			double		v = t->pts[i * d + j];

			mn[j] = Min(mn[j], v);
			mx[j] = Max(mx[j], v);
		}
	for (int j = 1; j < d; j++)
		if (mx[j] - mn[j] > mx[widest] - mn[widest])
			widest = j;
	if (hi - lo > PORTRAIT_KDTREE_LEAF && mx[widest] > mn[widest] &&
		depth < PORTRAIT_KDTREE_STACK / 2 - 2)
	{
		int64		mid = lo + (hi - lo) / 2;
		int64		l;
		int64		r;

		KdSelect(t, lo, hi, mid, widest);
		l = KdBuildNode(t, lo, mid, depth + 1);
		r = KdBuildNode(t, mid, hi, depth + 1);
		/* the array may not move, but the pointer is re-read for clarity */
		t->nodes[me].left = l;
		t->nodes[me].right = r;
	}
	return me;
}

/* A tree over the n points of d values at x (copied; point i keeps index i). */
KdTree *
KdTreeBuild(const double *x, int64 n, int d)
{
	KdTree	   *t = palloc0(sizeof(KdTree));
	int64		maxnodes = KdTreeMaxNodes(n);

	t->d = d;
	t->n = n;
	t->pts = palloc_extended(mul_size(mul_size(sizeof(double), d), Max(n, 1)), MCXT_ALLOC_HUGE);
	t->idx = palloc_extended(mul_size(sizeof(int64), Max(n, 1)), MCXT_ALLOC_HUGE);
	t->nodes = palloc_extended(mul_size(sizeof(KdNode), maxnodes), MCXT_ALLOC_HUGE);
	t->box = palloc_extended(mul_size(mul_size(sizeof(double), 2 * d), maxnodes), MCXT_ALLOC_HUGE);
	t->stack = palloc(sizeof(int64) * PORTRAIT_KDTREE_STACK);
	if (n > 0)
		memcpy(t->pts, x, sizeof(double) * d * n);
	for (int64 i = 0; i < n; i++)
		t->idx[i] = i;
	if (n > 0)
		KdBuildNode(t, 0, n, 0);
	return t;
}

/*
 * Relative margin of the whole-box tests: a box is taken as inside or
 * outside the radius only when it is so by more than any rounding of the
 * point distances, so that a search finds exactly the points whose computed
 * distance is within the radius.
 */
#define KD_MARGIN	1e-12

/* Squared distances from q to the nearest (*near) and the farthest (*far) point of node k's box. */
static inline void
KdBoxDist2(const KdTree *t, int64 k, const double *q, double *near, double *far)
{
	int			d = t->d;
	const double *mn = t->box + k * 2 * d;
	const double *mx = mn + d;
	double		s = 0;
	double		m = 0;

	for (int j = 0; j < d; j++)
	{
		double		above = q[j] - mx[j];
		double		below = mn[j] - q[j];
		double		e = above > 0 ? above : (below > 0 ? below : 0);
		double		f = Max(q[j] - mn[j], mx[j] - q[j]);

		s += e * e;
		m += f * f;
	}
	*near = s;
	*far = m;
}

/* Squared length of the diagonal of node k's box: no two of its points are farther apart. */
double
KdTreeDiameter2(const KdTree *t, int64 k)
{
	const double *mn = t->box + k * 2 * t->d;
	const double *mx = mn + t->d;
	double		s = 0;

	for (int j = 0; j < t->d; j++)
		s += (mx[j] - mn[j]) * (mx[j] - mn[j]);
	return s;
}

/*
 * Call s->point for each point of node k (all of it inside the radius);
 * false when the search is to stop.
 */
static bool
KdScanInside(KdTree *t, const KdSearch *s, int64 k)
{
	const KdNode *node = &t->nodes[k];

	KdWork(t, node->hi - node->lo);
	for (int64 i = node->lo; i < node->hi; i++)
	{
		KdStep		step;

		if (s->mask && !s->mask[i])
			continue;
		step = s->point(t, i, s->arg);
		if (step == KD_SKIP)
			break;
		if (step == KD_STOP)
			return false;
	}
	return true;
}

/* The radius search s (see kdtree.h); nearer children are looked into first. */
void
KdTreeSearch(KdTree *t, const KdSearch *s)
{
	int			d = t->d;
	int			top = 0;
	double		in2 = s->r2 * (1 - KD_MARGIN);
	double		out2 = s->r2 * (1 + KD_MARGIN);
	double		near;
	double		far;

	if (t->n == 0)
		return;
	KdBoxDist2(t, 0, s->q, &near, &far);
	if (near > out2)
		return;
	/* stack entries: node number times 2, plus 1 when its box is inside */
	t->stack[top++] = far <= in2;
	while (top > 0)
	{
		int64		e = t->stack[--top];
		int64		k = e >> 1;
		bool		inside = (e & 1) != 0;
		const KdNode *node = &t->nodes[k];
		KdStep		step;

		KdWork(t, 0);
		step = s->node ? s->node(t, k, inside, s->arg) : KD_NEXT;

		if (step == KD_SKIP)
			continue;
		if (step == KD_STOP)
			return;
		if (inside)
		{
			if (!KdScanInside(t, s, k))
				return;
			continue;
		}
		else if (node->left < 0)
		{
			KdWork(t, node->hi - node->lo);
			for (int64 i = node->lo; i < node->hi; i++)
			{
				if (s->mask && !s->mask[i])
					continue;
				if (ClusterDist2(s->q, t->pts + i * d, d) <= s->r2)
				{
					step = s->point(t, i, s->arg);
					if (step == KD_SKIP)
						break;
					if (step == KD_STOP)
						return;
				}
			}
			continue;
		}
		{
			double		nl;
			double		fl;
			double		nr;
			double		fr;
			bool		l_in;
			bool		r_in;

			KdBoxDist2(t, node->left, s->q, &nl, &fl);
			KdBoxDist2(t, node->right, s->q, &nr, &fr);
			l_in = nl <= out2;
			r_in = nr <= out2;
			/* the farther child goes on the stack first, so the nearer is searched first */
			if (nl <= nr)
			{
				if (r_in)
					t->stack[top++] = node->right * 2 + (fr <= in2);
				if (l_in)
					t->stack[top++] = node->left * 2 + (fl <= in2);
			}
			else
			{
				if (l_in)
					t->stack[top++] = node->left * 2 + (fl <= in2);
				if (r_in)
					t->stack[top++] = node->right * 2 + (fr <= in2);
			}
		}
	}
}

/*
 * Index of the point nearest to q within squared distance r2 (the lowest
 * index among equally near ones), or -1; *best gets its squared distance.
 */
int64
KdTreeNearest(KdTree *t, const double *q, double r2, double *best)
{
	int			d = t->d;
	int			top = 0;
	int64		found = -1;
	double		bound = r2;

	if (t->n > 0)
		t->stack[top++] = 0;
	while (top > 0)
	{
		int64		k = t->stack[--top];
		const KdNode *node = &t->nodes[k];
		double		near;
		double		far;

		KdBoxDist2(t, k, q, &near, &far);
		if (near > bound)
			continue;
		if (node->left < 0)
		{
			KdWork(t, node->hi - node->lo);
			for (int64 i = node->lo; i < node->hi; i++)
			{
				double		d2 = ClusterDist2(q, t->pts + i * d, d);

				if (d2 < bound || (d2 == bound && (found < 0 || t->idx[i] < found)))
				{
					bound = d2;
					found = t->idx[i];
				}
			}
			continue;
		}
		t->stack[top++] = node->right;
		t->stack[top++] = node->left;
	}
	*best = bound;
	return found;
}
