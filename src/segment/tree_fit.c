/*
 * tree_fit.c
 *		Growing a CART tree in memory with exact thresholds, as
 *		scikit-learn's DecisionTreeClassifier / DecisionTreeRegressor do with
 *		the best splitter.
 *
 * Every feature's row numbers are sorted once by value (NULLs last); a node
 * is the same range of each of those lists, and a split partitions each
 * list's range stably, so the children's ranges stay sorted and no node
 * sorts again.  A node is a leaf at max_depth, below 2 * min_samples_leaf
 * rows, when pure (impurity <= DBL_EPSILON) or when no split leaves
 * min_samples_leaf rows on each side.  Otherwise it takes the split with the
 * largest impurity decrease, scikit-learn's rule: a numeric threshold lies
 * half-way between two consecutive distinct values (values closer than 1e-7
 * count as one), rows with x <= threshold go left, and the first feature
 * wins a tie.  A categorical feature orders its levels by the mean target
 * (regression), the share of the second class (two classes) or of the
 * node's majority class (more), and splits that order in two (Breiman's
 * ordering, exact for regression and two classes).  Rows without the
 * feature (NULL) do not count in its split; they go to the child that
 * received more of the rows that have it (left on a tie), in training and
 * in scoring.  Nodes are numbered in preorder, left child first, as
 * scikit-learn numbers them.
 */
#include "postgres.h"

#include <float.h>

#include "trees.h"

/* scikit-learn's: values closer than this are not split apart */
#define TREE_FEATURE_THRESHOLD 1e-7

typedef struct SortKey
{
	double		v;
	int64		row;
} SortKey;

/* NaN (a NULL feature) last, then by value, then by row. */
static inline int
CompareKeys(const SortKey *a, const SortKey *b)
{
	bool		na = isnan(a->v);
	bool		nb = isnan(b->v);

	if (na != nb)
		return na ? 1 : -1;
	if (!na && a->v != b->v)
		return a->v < b->v ? -1 : 1;
	return a->row < b->row ? -1 : (a->row > b->row);
}

#define ST_SORT SortKeys
#define ST_ELEMENT_TYPE SortKey
#define ST_COMPARE(a, b) CompareKeys(a, b)
#define ST_CHECK_FOR_INTERRUPTS
#define ST_SCOPE static
#define ST_DEFINE
#include "lib/sort_template.h"

/* A level of a categorical feature in a node, with its statistics. */
typedef struct Level
{
	double		value;
	double		key;
	int64		rows;
	double	   *stats;
} Level;

/* The best split of a node found so far. */
typedef struct Split
{
	int			feature;		/* -1: none */
	double		score;
	double		threshold;
	int			nlevels;		/* categorical: levels going left */
	double	   *levels;
	bool		missing_left;
} Split;

typedef struct Grower
{
	const TreeData *data;
	const TreeOptions *o;
	int			d;
	int			stride;
	int			nstats;			/* classes, or (weight, sum, sum of squares) */
	int64		msl;
	int64	  **idx;			/* per feature: row numbers sorted by value */
	int64	   *tmp;
	bool	   *goleft;
	double	   *w;				/* row weights */
	double		wtotal;
	double	   *nm;				/* statistics of the rows with the feature */
	double	   *left;
	double	   *right;
	Level	   *lv;				/* scratch for categorical levels */
	double	   *lvstats;
	int			maxlevels;
	double	   *best_levels;	/* room for maxlevels */
	double	   *cand_levels;
	TreeNodes	t;				/* the nodes */
} Grower;

/* Target of row r. */
static inline double
Target(const Grower *g, int64 r)
{
	return g->data->x[r * g->stride + g->d];
}

static inline double
X(const Grower *g, int64 r, int j)
{
	return g->data->x[r * g->stride + j];
}

/* Add row r to the statistics s. */
static inline void
StatsAdd(const Grower *g, double *s, int64 r)
{
	if (g->data->nclasses > 0)
		s[(int) Target(g, r)] += g->w[r];
	else
	{
		double		y = Target(g, r);

		s[0] += 1.0;
		s[1] += y;
		s[2] += y * y;
	}
}

/* Total weight of statistics s of nstats values (regression: its first). */
static inline double
CritWeight(TreeCriterion criterion, int nstats, const double *s)
{
	double		w = 0;

	if (criterion == TREE_SQUARED_ERROR)
		return s[0];
	for (int k = 0; k < nstats; k++)
		w += s[k];
	return w;
}

static inline double
StatsWeight(const Grower *g, const double *s)
{
	return CritWeight(g->o->criterion, g->nstats, s);
}

/* Node impurity of statistics of weight w (scikit-learn's formulas). */
double
TreeImpurity(TreeCriterion criterion, int nstats, const double *s, double w)
{
	double		r = 0;

	if (w <= 0)
		return 0;
	if (criterion == TREE_SQUARED_ERROR)
		return s[2] / w - (s[1] / w) * (s[1] / w);
	if (criterion == TREE_GINI)
	{
		for (int k = 0; k < nstats; k++)
			r += s[k] * s[k];
		return 1.0 - r / (w * w);
	}
	for (int k = 0; k < nstats; k++)
		if (s[k] > 0)
		{
			double		p = s[k] / w;

			r -= p * log2(p);
		}
	return r;
}

static inline double
Impurity(const Grower *g, const double *s, double w)
{
	return TreeImpurity(g->o->criterion, g->nstats, s, w);
}

/* scikit-learn's proxy of the impurity decrease of children l and r. */
double
TreeProxy(TreeCriterion criterion, int nstats, const double *l, const double *r)
{
	double		wl = CritWeight(criterion, nstats, l);
	double		wr = CritWeight(criterion, nstats, r);

	if (criterion == TREE_SQUARED_ERROR)
		return l[1] * l[1] / wl + r[1] * r[1] / wr;
	return -wr * TreeImpurity(criterion, nstats, r, wr) - wl * TreeImpurity(criterion, nstats, l, wl);
}

/* What the proxy lacks to be the decrease of weighted impurity of the rows s. */
double
TreeProxyBase(TreeCriterion criterion, int nstats, const double *s)
{
	double		w = CritWeight(criterion, nstats, s);

	if (criterion == TREE_SQUARED_ERROR)
		return -s[1] * s[1] / w;
	return w * TreeImpurity(criterion, nstats, s, w);
}

static inline double
Proxy(const Grower *g, const double *l, const double *r)
{
	return TreeProxy(g->o->criterion, g->nstats, l, r);
}

static inline double
ProxyBase(const Grower *g, const double *s)
{
	return TreeProxyBase(g->o->criterion, g->nstats, s);
}

/* right = total - left */
static inline void
StatsRest(const Grower *g, const double *total, const double *l, double *r)
{
	for (int k = 0; k < g->nstats; k++)
		r[k] = total[k] - l[k];
}

/* Rows of the node range [0, m) of list ix that have feature j (NULLs sort last). */
static int64
NonMissing(const Grower *g, const int64 *ix, int64 m, int j)
{
	while (m > 0 && isnan(X(g, ix[m - 1], j)))
		m--;
	return m;
}

/* The statistics of rows ix[0, m) into s. */
static void
StatsOf(const Grower *g, const int64 *ix, int64 m, double *s)
{
	memset(s, 0, sizeof(double) * g->nstats);
	for (int64 i = 0; i < m; i++)
		StatsAdd(g, s, ix[i]);
}

/* Best threshold of numeric feature j in the node's rows ix[0, m); updates best. */
static void
ScanNumeric(Grower *g, const int64 *ix, int64 m, int j, Split *best)
{
	int64		mm = NonMissing(g, ix, m, j);
	int64		p = 0;
	int64		q = 0;
	double		best_proxy = -INFINITY;
	double		thr = 0;
	int64		pos = -1;
	double		score;

	if (mm < 2 || X(g, ix[mm - 1], j) <= X(g, ix[0], j) + TREE_FEATURE_THRESHOLD)
		return;
	StatsOf(g, ix, mm, g->nm);
	memset(g->left, 0, sizeof(double) * g->nstats);
	while (p < mm)
	{
		double		proxy;

		while (p + 1 < mm && X(g, ix[p + 1], j) <= X(g, ix[p], j) + TREE_FEATURE_THRESHOLD)
			p++;
		p++;
		if (p >= mm)
			break;
		if (p < g->msl || mm - p < g->msl)
			continue;
		for (; q < p; q++)
			StatsAdd(g, g->left, ix[q]);
		StatsRest(g, g->nm, g->left, g->right);
		proxy = Proxy(g, g->left, g->right);
		if (proxy > best_proxy)
		{
			double		a = X(g, ix[p - 1], j);
			double		b = X(g, ix[p], j);

			best_proxy = proxy;
			thr = a / 2.0 + b / 2.0;
			if (thr == b || isinf(thr))
				thr = a;
			pos = p;
		}
	}
	if (pos < 0)
		return;
	score = best_proxy + ProxyBase(g, g->nm);
	if (best->feature < 0 || score > best->score)
	{
		best->feature = j;
		best->score = score;
		best->threshold = thr;
		best->nlevels = 0;
		best->missing_left = pos >= mm - pos;
	}
}

static int
CompareLevels(const void *a, const void *b)
{
	const Level *x = a;
	const Level *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->value < y->value ? -1 : (x->value > y->value);
}

static int
CompareDoubles(const void *a, const void *b)
{
	double		x = *(const double *) a;
	double		y = *(const double *) b;

	return x < y ? -1 : (x > y);
}

/* Best two-way grouping of the levels of categorical feature j; updates best. */
static void
ScanCategorical(Grower *g, const int64 *ix, int64 m, int j, const double *node, Split *best)
{
	int64		mm = NonMissing(g, ix, m, j);
	int			L = 0;
	int			major = 0;
	int64		rows = 0;
	double		best_proxy = -INFINITY;
	int			bestk = -1;
	double		score;

	if (mm < 2)
		return;
	/* the node's majority class orders the levels of more than two classes */
	for (int k = 1; k < g->data->nclasses; k++)
		if (node[k] > node[major])
			major = k;
	for (int64 i = 0; i < mm; i++)
	{
		double		v = X(g, ix[i], j);

		if (L == 0 || v != g->lv[L - 1].value)
		{
			g->lv[L].value = v;
			g->lv[L].rows = 0;
			g->lv[L].stats = g->lvstats + (Size) L * g->nstats;
			memset(g->lv[L].stats, 0, sizeof(double) * g->nstats);
			L++;
		}
		g->lv[L - 1].rows++;
		StatsAdd(g, g->lv[L - 1].stats, ix[i]);
	}
	if (L < 2)
		return;
	for (int l = 0; l < L; l++)
	{
		double	   *s = g->lv[l].stats;
		double		w = StatsWeight(g, s);

		if (g->data->nclasses == 0)
			g->lv[l].key = s[1] / w;
		else
			g->lv[l].key = s[g->data->nclasses == 2 ? 1 : major] / w;
	}
	qsort(g->lv, L, sizeof(Level), CompareLevels);
	StatsOf(g, ix, mm, g->nm);
	memset(g->left, 0, sizeof(double) * g->nstats);
	for (int k = 1; k < L; k++)
	{
		double		proxy;

		for (int s = 0; s < g->nstats; s++)
			g->left[s] += g->lv[k - 1].stats[s];
		rows += g->lv[k - 1].rows;
		if (rows < g->msl || mm - rows < g->msl)
			continue;
		StatsRest(g, g->nm, g->left, g->right);
		proxy = Proxy(g, g->left, g->right);
		if (proxy > best_proxy)
		{
			best_proxy = proxy;
			bestk = k;
		}
	}
	if (bestk < 0)
		return;
	score = best_proxy + ProxyBase(g, g->nm);
	if (best->feature < 0 || score > best->score)
	{
		int64		lrows = 0;

		for (int l = 0; l < bestk; l++)
		{
			g->cand_levels[l] = g->lv[l].value;
			lrows += g->lv[l].rows;
		}
		qsort(g->cand_levels, bestk, sizeof(double), CompareDoubles);
		/* swap the buffers: best->levels keeps the winner */
		best->levels = g->cand_levels;
		g->cand_levels = g->best_levels;
		g->best_levels = best->levels;
		best->feature = j;
		best->score = score;
		best->threshold = 0;
		best->nlevels = bestk;
		best->missing_left = lrows >= mm - lrows;
	}
}

/* Whether value v of a split's feature goes left. */
static inline bool
GoesLeft(const Split *s, double v)
{
	if (isnan(v))
		return s->missing_left;
	if (s->nlevels == 0)
		return v <= s->threshold;
	for (int l = 0; l < s->nlevels; l++)
		if (s->levels[l] == v)
			return true;
	return false;
}

/* A new node with the statistics s of its rows ix[0, m); its number. */
static int64
NewNode(Grower *g, const double *s, int64 m, const int64 *ix)
{
	double		w = StatsWeight(g, s);
	int			nc = g->data->nclasses;
	double	   *rc = g->t.scratch;

	if (nc == 0)
		return TreeNodesAdd(&g->t, m, w, Impurity(g, s, w), &(double) {s[1] / s[0]}, NULL);
	memset(rc, 0, sizeof(double) * nc);
	for (int64 i = 0; i < m; i++)
		rc[(int) Target(g, ix[i])] += 1;
	return TreeNodesAdd(&g->t, m, w, Impurity(g, s, w), s, rc);
}

/* Grow the subtree of the rows in range [start, end) of the sorted lists; its root. */
static int64
GrowNode(Grower *g, int64 start, int64 end, int depth)
{
	int64		m = end - start;
	double	   *s = palloc(sizeof(double) * g->nstats);
	int64		id;
	Split		best = {-1, 0, 0, 0, NULL, false};
	int64		nl = 0;
	int64		child;

	CHECK_FOR_INTERRUPTS();
	StatsOf(g, g->idx[0] + start, m, s);
	id = NewNode(g, s, m, g->idx[0] + start);
	if (depth >= g->o->max_depth || m < 2 || m < 2 * g->msl || g->t.impurity[id] <= DBL_EPSILON)
	{
		pfree(s);
		return id;
	}
	for (int j = 0; j < g->d; j++)
	{
		CHECK_FOR_INTERRUPTS();
		if (g->data->categorical[j])
			ScanCategorical(g, g->idx[j] + start, m, j, s, &best);
		else
			ScanNumeric(g, g->idx[j] + start, m, j, &best);
	}
	pfree(s);
	if (best.feature < 0)
		return id;

	/* before the partition, which leaves NULLs last in each child's part only */
	g->t.nmissing[id] = m - NonMissing(g, g->idx[best.feature] + start, m, best.feature);
	/* the split: flag the rows, then partition every list's range stably */
	for (int64 i = start; i < end; i++)
	{
		int64		r = g->idx[0][i];

		g->goleft[r] = GoesLeft(&best, X(g, r, best.feature));
		nl += g->goleft[r];
	}
	for (int j = 0; j < g->d; j++)
	{
		int64	   *ix = g->idx[j];
		int64		a = 0;
		int64		b = nl;

		for (int64 i = start; i < end; i++)
			g->tmp[g->goleft[ix[i]] ? a++ : b++] = ix[i];
		memcpy(ix + start, g->tmp, sizeof(int64) * m);
	}
	g->t.feature[id] = best.feature;
	g->t.threshold[id] = best.threshold;
	g->t.missing_left[id] = best.missing_left;
	if (best.nlevels > 0)
		TreeNodesSetLevels(&g->t, id, best.levels, best.nlevels);
	/* the children may move the node arrays: assign after each call returns */
	child = GrowNode(g, start, start + nl, depth + 1);
	g->t.lchild[id] = child;
	child = GrowNode(g, start + nl, end, depth + 1);
	g->t.rchild[id] = child;
	return id;
}

/* 54000: a categorical feature with more levels than a split considers. */
static void
CheckLevels(Grower *g, int j)
{
	const int64 *ix = g->idx[j];
	int64		levels = 0;

	for (int64 i = 0; i < g->data->n && !isnan(X(g, ix[i], j)); i++)
		if (i == 0 || X(g, ix[i], j) != X(g, ix[i - 1], j))
			levels++;
	if (levels > PORTRAIT_TREE_MAX_LEVELS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("categorical feature %d has %lld levels; a tree handles at most %d",
						j + 1, (long long) levels, PORTRAIT_TREE_MAX_LEVELS),
				 errhint("Group rare levels into one, or pass the feature as a number (not categorical).")));
	g->maxlevels = Max(g->maxlevels, (int) levels);
}

/* ---------- the nodes of a tree as it grows ---------- */

/* An empty node store for a tree of nclasses classes (0: regression). */
void
TreeNodesInit(TreeNodes *t, int nclasses)
{
	memset(t, 0, sizeof(TreeNodes));
	t->nclasses = nclasses;
	t->nvalue = Max(nclasses, 1);
	t->cap = 64;
	t->feature = palloc(sizeof(int64) * t->cap);
	t->threshold = palloc(sizeof(double) * t->cap);
	t->lchild = palloc(sizeof(int64) * t->cap);
	t->rchild = palloc(sizeof(int64) * t->cap);
	t->missing_left = palloc(sizeof(int64) * t->cap);
	t->nmissing = palloc(sizeof(int64) * t->cap);
	t->nrows = palloc(sizeof(int64) * t->cap);
	t->weight = palloc(sizeof(double) * t->cap);
	t->impurity = palloc(sizeof(double) * t->cap);
	t->value = palloc(sizeof(double) * t->cap * t->nvalue);
	t->rowcounts = palloc(sizeof(double) * t->cap * t->nvalue);
	t->cat_start = palloc(sizeof(int64) * (t->cap + 1));
	t->cat_start[0] = 0;
	t->levcap = 16;
	t->levels = palloc(sizeof(double) * t->levcap);
	t->scratch = palloc(sizeof(double) * t->nvalue);
}

/*
 * A new leaf of m rows, weight w and the impurity: value is its nvalue
 * weighted class counts (or its mean), rows its row counts per class (NULL
 * for regression).  Its number.
 */
int64
TreeNodesAdd(TreeNodes *t, int64 m, double w, double impurity, const double *value, const double *rows)
{
	int64		id = t->nnodes;

	if (t->nnodes == t->cap)
	{
		t->cap *= 2;
		t->feature = repalloc_huge(t->feature, sizeof(int64) * t->cap);
		t->threshold = repalloc_huge(t->threshold, sizeof(double) * t->cap);
		t->lchild = repalloc_huge(t->lchild, sizeof(int64) * t->cap);
		t->rchild = repalloc_huge(t->rchild, sizeof(int64) * t->cap);
		t->missing_left = repalloc_huge(t->missing_left, sizeof(int64) * t->cap);
		t->nmissing = repalloc_huge(t->nmissing, sizeof(int64) * t->cap);
		t->nrows = repalloc_huge(t->nrows, sizeof(int64) * t->cap);
		t->weight = repalloc_huge(t->weight, sizeof(double) * t->cap);
		t->impurity = repalloc_huge(t->impurity, sizeof(double) * t->cap);
		t->value = repalloc_huge(t->value, sizeof(double) * t->cap * t->nvalue);
		t->rowcounts = repalloc_huge(t->rowcounts, sizeof(double) * t->cap * t->nvalue);
		t->cat_start = repalloc_huge(t->cat_start, sizeof(int64) * (t->cap + 1));
	}
	t->feature[id] = -1;
	t->threshold[id] = 0;
	t->lchild[id] = t->rchild[id] = -1;
	t->missing_left[id] = 0;
	t->nmissing[id] = 0;
	t->nrows[id] = m;
	t->weight[id] = w;
	t->impurity[id] = impurity;
	t->cat_start[id] = t->cat_start[id + 1] = t->nlevels;
	memcpy(t->value + id * t->nvalue, value, sizeof(double) * t->nvalue);
	if (rows != NULL)
		memcpy(t->rowcounts + id * t->nvalue, rows, sizeof(double) * t->nvalue);
	t->nnodes++;
	return id;
}

/* The levels a categorical split of node id (the last node with levels) sends left. */
void
TreeNodesSetLevels(TreeNodes *t, int64 id, const double *levels, int n)
{
	if (t->nlevels + n > t->levcap)
	{
		t->levcap = Max(t->levcap * 2, t->nlevels + n);
		t->levels = repalloc_huge(t->levels, sizeof(double) * t->levcap);
	}
	memcpy(t->levels + t->nlevels, levels, sizeof(double) * n);
	t->nlevels += n;
	t->cat_start[id + 1] = t->nlevels;
}

static const char *const criterion_names[] = {"gini", "entropy", "squared_error"};

/*
 * The nodes as a decision_tree model: data gives the shape (d, n, classes
 * and their weights), o the settings, cat the 1-based categorical features;
 * trainer names a streaming trainer, or NULL.
 */
PortraitModel *
TreeNodesModel(const TreeNodes *t, const TreeData *data, const TreeOptions *o, const int64 *cat, int ncat,
			   const char *trainer)
{
	ModelBuilder *mb = ModelBuild(PORTRAIT_KIND_DECISION_TREE);

	ModelPutText(mb, "task", data->nclasses > 0 ? "classification" : "regression");
	ModelPutText(mb, "criterion", criterion_names[o->criterion]);
	ModelPutInt(mb, "dim", data->d);
	ModelPutInt(mb, "n", data->n);
	ModelPutInt(mb, "max_depth", o->max_depth);
	ModelPutInt(mb, "min_samples_leaf", Max(o->min_samples_leaf, 1));
	if (o->names != NULL)
		ModelPutTextArray(mb, "feature_names", (const char *const *) o->names, o->nnames);
	if (ncat > 0)
		ModelPutIntArray(mb, "categorical", cat, ncat);
	if (data->nclasses > 0)
	{
		ModelPutTextArray(mb, "classes", data->classes, data->nclasses);
		ModelPutFloatArray(mb, "class_weight", data->class_weight, data->nclasses);
	}
	ModelPutIntArray(mb, "node_feature", t->feature, t->nnodes);
	ModelPutFloatArray(mb, "node_threshold", t->threshold, t->nnodes);
	ModelPutIntArray(mb, "node_left", t->lchild, t->nnodes);
	ModelPutIntArray(mb, "node_right", t->rchild, t->nnodes);
	ModelPutIntArray(mb, "node_missing_left", t->missing_left, t->nnodes);
	ModelPutIntArray(mb, "node_missing", t->nmissing, t->nnodes);
	ModelPutIntArray(mb, "node_n", t->nrows, t->nnodes);
	ModelPutFloatArray(mb, "node_weight", t->weight, t->nnodes);
	ModelPutFloatArray(mb, "node_impurity", t->impurity, t->nnodes);
	ModelPutFloatMatrix(mb, "node_value", t->value, t->nnodes, t->nvalue);
	if (data->nclasses > 0)
		ModelPutFloatMatrix(mb, "node_rows", t->rowcounts, t->nnodes, data->nclasses);
	ModelPutIntArray(mb, "node_levels_start", t->cat_start, t->nnodes + 1);
	ModelPutFloatArray(mb, "levels", t->levels, t->nlevels);
	if (trainer != NULL)
	{
		ModelPutInt(mb, "max_bins", o->max_bins);
		ModelPutText(mb, "trainer", trainer);
	}
	return ModelFinish(mb);
}

/* Grow the tree of the rows and write it as a decision_tree model. */
PortraitModel *
TreeGrow(const TreeData *data, const TreeOptions *o)
{
	Grower		g;
	int64		n = data->n;
	int			d = data->d;
	SortKey    *keys = palloc_extended(sizeof(SortKey) * n, MCXT_ALLOC_HUGE);
	int64	   *cat = palloc(sizeof(int64) * d);
	int			ncat = 0;

	memset(&g, 0, sizeof(g));
	g.data = data;
	g.o = o;
	g.d = d;
	g.stride = d + 1;
	g.nstats = data->nclasses > 0 ? data->nclasses : 3;
	g.t.nvalue = data->nclasses > 0 ? data->nclasses : 1;
	g.msl = Max(o->min_samples_leaf, 1);
	g.w = palloc_extended(sizeof(double) * n, MCXT_ALLOC_HUGE);
	for (int64 i = 0; i < n; i++)
		g.w[i] = data->nclasses > 0 ? data->class_weight[(int) data->x[i * g.stride + d]] : 1.0;
	g.idx = palloc(sizeof(int64 *) * d);
	for (int j = 0; j < d; j++)
	{
		for (int64 i = 0; i < n; i++)
		{
			keys[i].v = data->x[i * g.stride + j];
			keys[i].row = i;
		}
		SortKeys(keys, n);
		g.idx[j] = palloc_extended(sizeof(int64) * n, MCXT_ALLOC_HUGE);
		for (int64 i = 0; i < n; i++)
			g.idx[j][i] = keys[i].row;
		if (data->categorical[j])
		{
			CheckLevels(&g, j);
			cat[ncat++] = j + 1;
		}
	}
	pfree(keys);
	g.tmp = palloc_extended(sizeof(int64) * n, MCXT_ALLOC_HUGE);
	g.goleft = palloc_extended(sizeof(bool) * n, MCXT_ALLOC_HUGE);
	g.nm = palloc(sizeof(double) * g.nstats);
	g.left = palloc(sizeof(double) * g.nstats);
	g.right = palloc(sizeof(double) * g.nstats);
	if (g.maxlevels > 0)
	{
		g.lv = palloc(sizeof(Level) * g.maxlevels);
		g.lvstats = palloc(sizeof(double) * g.maxlevels * g.nstats);
		g.best_levels = palloc(sizeof(double) * g.maxlevels);
		g.cand_levels = palloc(sizeof(double) * g.maxlevels);
	}
	TreeNodesInit(&g.t, data->nclasses);

	GrowNode(&g, 0, n, 0);

	return TreeNodesModel(&g.t, data, o, cat, ncat, NULL);
}
