/*
 * dbscan.c
 *		The dbscan_fit aggregate (model kind "dbscan"), dbscan_labels and
 *		dbscan_assign: density clustering with scikit-learn's semantics.
 *
 * A point is a core point when at least min_samples points, itself
 * included, lie within eps of it (Euclidean, distance <= eps, in standard
 * units when standardizing).  Core points within eps of each other share a
 * cluster; a non-core point within eps of a core point is a border point of
 * that core point's cluster; every other point is noise (-1).
 *
 * Order: the rows are sorted by key (then features) first, so nothing
 * depends on row order or on the plan.  Clusters are numbered 1, 2, ... in
 * the order of their first core point in key order -- the order in which
 * scikit-learn, given the rows in that order, expands them.  A border point
 * within eps of core points of several clusters belongs to the one with the
 * lowest number: scikit-learn expands each cluster completely before it
 * starts the next, so the first cluster to reach the point keeps it.
 *
 * The neighbourhoods come from a k-d tree (no n x n distances) and are
 * never stored.  The passes work in the tree's order of the points:
 *  1. core points: a search per point counts neighbours and stops at
 *     min_samples; a node inside the radius counts whole, and the points
 *     of a node of at least min_samples points whose box diagonal is within
 *     eps are core without a search;
 *  2. clusters: a union-find over core points; each core point searches
 *     for core points after it in tree order (the pairs are symmetric) and
 *     skips every node whose core points are known to be in its cluster
 *     already -- in dense regions most of them, so the pass costs far less
 *     than the sum of the neighbourhoods;
 *  3. border points: a search per non-core point (fewer than min_samples
 *     neighbours, so a cheap one) for the lowest cluster among core points.
 * Which points are looked at never changes what is found: the labels are
 * those of the plain definition.
 */
#include "postgres.h"

#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "cluster.h"
#include "kdtree.h"

PG_FUNCTION_INFO_V1(pp_dbscan_fit_trans);
PG_FUNCTION_INFO_V1(pp_dbscan_fit_trans_options);
PG_FUNCTION_INFO_V1(pp_dbscan_fit_combine);
PG_FUNCTION_INFO_V1(pp_dbscan_fit_final);
PG_FUNCTION_INFO_V1(pp_dbscan_assign);
PG_FUNCTION_INFO_V1(pp_dbscan_labels);

#define PORTRAIT_DBSCAN_MAX_DIM		100
#define PORTRAIT_DBSCAN_NOISE		(-1)
/* bytes the fit needs per row besides the row: tree, labels, union-find, node flags */
#define PORTRAIT_DBSCAN_ROW_WORK(d) \
	(KdTreeBytesPerPoint(d) + (Size) (d) * sizeof(double) + 6 * sizeof(int64) + 1 + \
	 4 * (sizeof(int64) + 1) / PORTRAIT_KDTREE_LEAF + 1)

/* Settings of one fit, from the aggregate's constant arguments. */
typedef struct DbSettings
{
	double		eps;
	int			min_samples;
	bool		standardize;
} DbSettings;

/* ---------- checks ---------- */

static void
DbCheckEps(double eps)
{
	if (!(eps > 0) || isinf(eps))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("eps must be a positive finite number, not %g", eps),
				 errhint("eps is the neighbourhood radius, in standard units when the features are standardized.")));
}

static void
DbCheckMinSamples(int64 m)
{
	if (m < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("min_samples must be at least 1, not %lld", (long long) m),
				 errdetail("min_samples counts the point itself.")));
}

/* ---------- dbscan_fit ---------- */

/* (state, key, features, eps, min_samples [, options]): collect one row. */
static Datum
DbscanFitTrans(FunctionCallInfo fcinfo, bool has_options)
{
	double		eps;
	int			min_samples;
	PointsState *ps;
	const double *row;
	char		settings[64];

	PortraitArgNotNull(fcinfo, 3, "eps");
	PortraitArgNotNull(fcinfo, 4, "min_samples");
	eps = PG_GETARG_FLOAT8(3);
	min_samples = PG_GETARG_INT32(4);
	DbCheckEps(eps);
	DbCheckMinSamples(min_samples);
	snprintf(settings, sizeof(settings), "%.17g", eps);
	ps = ClusterFitRow(fcinfo, has_options ? 5 : -1, min_samples, settings, PORTRAIT_DBSCAN_MAX_DIM,
					   "dbscan_fit", &row);
	if (ps == NULL)
		return PortraitStateUnchanged(fcinfo);
	PointsAppend(ps, row);
	PG_RETURN_DATUM(EOHPGetRWDatum(&ps->hdr));
}

Datum
pp_dbscan_fit_trans(PG_FUNCTION_ARGS)
{
	return DbscanFitTrans(fcinfo, false);
}

Datum
pp_dbscan_fit_trans_options(PG_FUNCTION_ARGS)
{
	return DbscanFitTrans(fcinfo, true);
}

/* Combine of dbscan_fit: the rows of both states. */
Datum
pp_dbscan_fit_combine(PG_FUNCTION_ARGS)
{
	return PointsCombine(fcinfo);
}

/*
 * State of the searches of the fit.  Everything is by tree position (the
 * points in the k-d tree's order) and by tree node.
 */
typedef struct DbPass
{
	int64		count;			/* neighbours seen */
	int64		stop;			/* stop counting here */
	int64		self;			/* the point searched from */
	int64	   *parent;			/* union-find over core points */
	int64	   *rep;			/* per node: a core point joined to all its core points, or -1 */
	const bool *core;
	const bool *hascore;		/* per node: it holds a core point */
	const int64 *label;
	int64		best;			/* lowest cluster among core neighbours */
} DbPass;

/* Counting: a node inside the radius counts whole. */
static KdStep
DbCountNode(KdTree *t, int64 k, bool inside, void *arg)
{
	DbPass	   *p = arg;

	if (!inside)
		return KD_NEXT;
	p->count += t->nodes[k].hi - t->nodes[k].lo;
	return p->count >= p->stop ? KD_STOP : KD_SKIP;
}

static KdStep
DbCountPoint(KdTree *t, int64 pos, void *arg)
{
	DbPass	   *p = arg;

	return ++p->count >= p->stop ? KD_STOP : KD_NEXT;
}

static inline int64
DbFind(int64 *parent, int64 i)
{
	while (parent[i] != i)
	{
		parent[i] = parent[parent[i]];
		i = parent[i];
	}
	return i;
}

/* Join the clusters of two core points. */
static inline void
DbJoin(int64 *parent, int64 a, int64 b)
{
	a = DbFind(parent, a);
	b = DbFind(parent, b);
	if (a < b)
		parent[b] = a;
	else if (b < a)
		parent[a] = b;
}

/*
 * A core point joined to all core points of node k (they are one cluster
 * by now), or -1.  Once found it stays true: clusters only grow.
 */
static int64
DbRep(KdTree *t, DbPass *p, int64 k)
{
	const KdNode *node = &t->nodes[k];
	int64		r = p->rep[k];

	if (r >= 0)
		return r;
	if (node->left >= 0)
	{
		/* both children's core points one cluster, and the same one */
		int64		a = p->hascore[node->left] ? p->rep[node->left] : p->rep[node->right];
		int64		b = p->hascore[node->right] ? p->rep[node->right] : a;

		if (a >= 0 && b >= 0 && DbFind(p->parent, a) == DbFind(p->parent, b))
			r = a;
	}
	else
	{
		int64		root = -1;

		for (int64 j = node->lo; j < node->hi; j++)
		{
			if (!p->core[j])
				continue;
			if (r < 0)
			{
				r = j;
				root = DbFind(p->parent, j);
			}
			else if (DbFind(p->parent, j) != root)
				return -1;
		}
	}
	p->rep[k] = r;
	return r;
}

/*
 * Join the core points within eps of each other inside each leaf: cheap
 * (a few dozen pairs per point), and it makes most leaves of a dense
 * region one cluster before the searches, so that a search which reaches
 * one of their core points can skip them from then on.
 */
static void
DbLeafPairs(KdTree *t, DbPass *p, double r2)
{
	int			d = t->d;

	for (int64 k = 0; k < t->nnodes; k++)
	{
		const KdNode *node = &t->nodes[k];

		if (node->left >= 0 || !p->hascore[k] || p->rep[k] >= 0)
			continue;
		KdWork(t, (node->hi - node->lo) * (node->hi - node->lo) / 2);
		for (int64 i = node->lo; i < node->hi; i++)
		{
			if (!p->core[i])
				continue;
			for (int64 j = i + 1; j < node->hi; j++)
				if (p->core[j] && ClusterDist2(t->pts + i * d, t->pts + j * d, d) <= r2)
					DbJoin(p->parent, i, j);
		}
	}
}

/*
 * Joining: the search from core point p->self visits the nodes within eps
 * that hold core points after it in tree order (pairs with earlier points
 * were joined from the other side).  A node whose core points are one
 * cluster with self's is done; one inside the radius is joined at once (all
 * its core points, the first time, after which they are one cluster).
 */
static KdStep
DbUnionNode(KdTree *t, int64 k, bool inside, void *arg)
{
	DbPass	   *p = arg;
	const KdNode *node = &t->nodes[k];
	int64		r;

	if (!p->hascore[k] || node->hi <= p->self)
		return KD_SKIP;
	r = DbRep(t, p, k);
	if (r >= 0)
	{
		if (DbFind(p->parent, r) == DbFind(p->parent, p->self))
			return KD_SKIP;
		if (inside)
		{
			DbJoin(p->parent, p->self, r);
			return KD_SKIP;
		}
		/* what holds for a node holds for its children */
		if (node->left >= 0)
		{
			if (p->rep[node->left] < 0)
				p->rep[node->left] = r;
			if (p->rep[node->right] < 0)
				p->rep[node->right] = r;
		}
		return KD_NEXT;
	}
	if (!inside)
		return KD_NEXT;
	for (int64 j = node->lo; j < node->hi; j++)
		if (p->core[j])
			DbJoin(p->parent, p->self, j);
	p->rep[k] = p->self;
	return KD_SKIP;
}

static KdStep
DbUnionPoint(KdTree *t, int64 pos, void *arg)
{
	DbPass	   *p = arg;

	if (pos > p->self)
		DbJoin(p->parent, p->self, pos);
	return KD_NEXT;
}

/* Border labels: a node of one cluster inside the radius gives its cluster at once. */
static KdStep
DbBorderNode(KdTree *t, int64 k, bool inside, void *arg)
{
	DbPass	   *p = arg;

	if (!p->hascore[k])
		return KD_SKIP;
	if (inside && p->rep[k] >= 0)
	{
		int64		c = p->label[p->rep[k]];

		if (p->best < 0 || c < p->best)
			p->best = c;
		return p->best == 1 ? KD_STOP : KD_SKIP;
	}
	return KD_NEXT;
}

static KdStep
DbBorderPoint(KdTree *t, int64 pos, void *arg)
{
	DbPass	   *p = arg;

	if (p->best < 0 || p->label[pos] < p->best)
		p->best = p->label[pos];
	return p->best == 1 ? KD_STOP : KD_NEXT;
}

/*
 * Nodes whose box diagonal is within eps: every two of their points are
 * neighbours.  fn(t, k, arg) is called for each topmost such node k of
 * at least min points.
 */
static void
DbTightNodes(KdTree *t, double r2, int64 min, void (*fn) (KdTree *t, int64 k, void *arg), void *arg)
{
	int64		covered = 0;

	/* in preorder a node whose range starts below covered is inside one already taken */
	for (int64 k = 0; k < t->nnodes; k++)
	{
		const KdNode *node = &t->nodes[k];

		if (node->lo < covered || node->hi - node->lo < min)
			continue;
		if (KdTreeDiameter2(t, k) <= r2 * (1 - 1e-12))
		{
			fn(t, k, arg);
			covered = node->hi;
		}
	}
}

/* A dense tight node: all its points are core points. */
static void
DbTightCore(KdTree *t, int64 k, void *arg)
{
	DbPass	   *p = arg;

	memset((bool *) p->core + t->nodes[k].lo, true, t->nodes[k].hi - t->nodes[k].lo);
}

/* A tight node: its core points are one cluster. */
static void
DbTightJoin(KdTree *t, int64 k, void *arg)
{
	DbPass	   *p = arg;
	int64		first = -1;

	if (!p->hascore[k])
		return;
	for (int64 j = t->nodes[k].lo; j < t->nodes[k].hi; j++)
	{
		if (!p->core[j])
			continue;
		if (first < 0)
			first = j;
		else
			DbJoin(p->parent, first, j);
	}
	p->rep[k] = first;
}

/* The fit's model kind: its fields and checks. */
static const ModelFieldSpec dbscan_fields[] = {
	{"dim", MF_INT, true},
	{"n", MF_INT, true},
	{"eps", MF_FLOAT, true},
	{"min_samples", MF_INT, true},
	{"standardize", MF_BOOL, true},
	{"mean", MF_FLOAT_ARRAY, true},
	{"sd", MF_FLOAT_ARRAY, true},
	{"n_clusters", MF_INT, true},
	{"n_noise", MF_INT, true},
	{"core_points", MF_FLOAT_MATRIX, true},
	{"core_labels", MF_INT_ARRAY, true},
	{"keys", MF_INT_ARRAY, true},
	{"labels", MF_INT_ARRAY, true},
	{"core", MF_INT_ARRAY, true},
};

/* Cross-field checks of a dbscan model. */
static void
DbscanValidate(const PortraitModel *m)
{
	int64		d = ModelGetInt(m, "dim");
	int64		n = ModelGetInt(m, "n");
	int64		k = ModelGetInt(m, "n_clusters");
	double		eps = ModelGetFloat(m, "eps");
	int			len;
	int			rows;
	int			cols;
	int			ncore;
	const int64 *cl;

	if (d < 1 || d > PORTRAIT_DBSCAN_MAX_DIM || n < 0 || k < 0 || ModelGetInt(m, "min_samples") < 1 ||
		!(eps > 0) || isinf(eps))
		ClusterBadModel("A dbscan model needs 1 <= dim <= 100, n >= 0, min_samples >= 1 and eps > 0.");
	ModelGetFloatArray(m, "mean", &len);
	if (len != d)
		ClusterBadModel("Field \"mean\" must hold dim numbers.");
	ModelGetFloatArray(m, "sd", &len);
	if (len != d)
		ClusterBadModel("Field \"sd\" must hold dim numbers.");
	ModelGetFloatMatrix(m, "core_points", &rows, &cols);
	cl = ModelGetIntArray(m, "core_labels", &ncore);
	if (ncore != rows || (rows > 0 && cols != d))
		ClusterBadModel("Fields \"core_points\" and \"core_labels\" must have a row per core point, of dim numbers.");
	for (int i = 0; i < ncore; i++)
		if (cl[i] < 1 || cl[i] > k)
			ClusterBadModel("Field \"core_labels\" must hold cluster numbers 1..n_clusters.");
	ModelGetIntArray(m, "keys", &len);
	if (len != n)
		ClusterBadModel("Field \"keys\" must hold n keys.");
	ModelGetIntArray(m, "labels", &len);
	if (len != n)
		ClusterBadModel("Field \"labels\" must hold n labels.");
	ModelGetIntArray(m, "core", &len);
	if (len != n)
		ClusterBadModel("Field \"core\" must hold n flags.");
}

const ModelKindSpec DbscanModelKind = {
	PORTRAIT_KIND_DBSCAN, "dbscan", dbscan_fields, lengthof(dbscan_fields), DbscanValidate
};

/* Final function: sort, standardize, the three passes, the model. */
Datum
pp_dbscan_fit_final(PG_FUNCTION_ARGS)
{
	PointsState *ps = PointsRead(PG_GETARG_DATUM(0));
	int			d = ps->dim - PORTRAIT_CLUSTER_KEY_VALUES;
	int64		n = ps->n;
	DbSettings	s;
	int			standardize;
	MemoryContext fitcxt;
	MemoryContext old;
	double	   *x;
	double	   *mean;
	double	   *sd;
	int64	   *keys;
	int64	   *label;
	int64	   *parent;
	int64	   *rep;
	int64	   *inv;
	int64	   *outlabel;
	bool	   *core;
	bool	   *hascore;
	KdTree	   *tree;
	int64		nn;
	DbPass		p;
	KdSearch	q;
	int64		k = 0;
	int64		ncore = 0;
	int64		nnoise = 0;
	double		r2;
	double	   *cp;
	int64	   *cl;
	int64	   *coreflag;
	ModelBuilder *mb;
	PortraitModel *model;

	if (ps->aux == NULL || sscanf(ps->aux, "%lf %d", &s.eps, &standardize) != 2)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("malformed dbscan_fit state"),
				 errdetail("It has no eps and standardize.")));
	s.min_samples = (int) Min(ps->param, PG_INT32_MAX);
	s.standardize = standardize != 0;
	DbCheckEps(s.eps);
	DbCheckMinSamples(ps->param);
	if (n == 0)
		PG_RETURN_NULL();
	ClusterCheckState(ps, "dbscan_fit");
	PointsCheckFit(ps, PORTRAIT_DBSCAN_ROW_WORK(d));

	fitcxt = AllocSetContextCreate(CurrentMemoryContext, "portrait dbscan", ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(fitcxt);
	x = ClusterSortedRows(ps, s.standardize, &keys, &mean, &sd, "dbscan_fit");

	tree = KdTreeBuild(x, n, d);
	nn = tree->nnodes;
	inv = palloc_extended(mul_size(sizeof(int64), n), MCXT_ALLOC_HUGE);
	for (int64 i = 0; i < n; i++)
		inv[tree->idx[i]] = i;
	r2 = s.eps * s.eps;
	core = palloc_extended(n, MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	hascore = palloc_extended(nn, MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	label = palloc_extended(mul_size(sizeof(int64), n), MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	parent = palloc_extended(mul_size(sizeof(int64), n), MCXT_ALLOC_HUGE);
	rep = palloc_extended(mul_size(sizeof(int64), nn), MCXT_ALLOC_HUGE);
	memset(&p, 0, sizeof(p));
	p.stop = s.min_samples;
	p.parent = parent;
	p.rep = rep;
	p.core = core;
	p.hascore = hascore;
	p.label = label;
	memset(&q, 0, sizeof(q));
	q.r2 = r2;
	q.arg = &p;

	/* pass 1: core points; those of dense nodes narrower than eps without a search */
	DbTightNodes(tree, r2, s.min_samples, DbTightCore, &p);
	q.node = DbCountNode;
	q.point = DbCountPoint;
	for (int64 i = 0; i < n; i++)
	{
		if ((i & 255) == 0)
			CHECK_FOR_INTERRUPTS();
		parent[i] = i;
		if (!core[i])
		{
			p.count = 0;
			q.q = tree->pts + i * d;
			KdTreeSearch(tree, &q);
			core[i] = p.count >= s.min_samples;
		}
		ncore += core[i];
	}

	/* pass 2: clusters of core points; only nodes holding core points are searched */
	for (int64 k = nn - 1; k >= 0; k--)
	{
		const KdNode *node = &tree->nodes[k];

		rep[k] = -1;
		if (node->left >= 0)
			hascore[k] = hascore[node->left] || hascore[node->right];
		else
			for (int64 j = node->lo; j < node->hi && !hascore[k]; j++)
				hascore[k] = core[j];
	}
	DbTightNodes(tree, r2, 2, DbTightJoin, &p);
	DbLeafPairs(tree, &p, r2);
	q.mask = core;
	q.node = DbUnionNode;
	q.point = DbUnionPoint;
	for (int64 i = 0; i < n; i++)
	{
		if ((i & 255) == 0)
			CHECK_FOR_INTERRUPTS();
		if (!core[i])
			continue;
		p.self = i;
		q.q = tree->pts + i * d;
		KdTreeSearch(tree, &q);
	}
	/* clusters numbered in the order of their first core point in key order */
	for (int64 i = 0; i < n; i++)
	{
		int64		pos = inv[i];
		int64		r;

		if (!core[pos])
			continue;
		r = DbFind(parent, pos);
		if (label[r] == 0)
			label[r] = ++k;
		label[pos] = label[r];
	}

	/* pass 3: border points go to the lowest-numbered cluster that reaches them */
	q.mask = core;
	q.node = DbBorderNode;
	q.point = DbBorderPoint;
	for (int64 i = 0; i < n; i++)
	{
		if ((i & 255) == 0)
			CHECK_FOR_INTERRUPTS();
		if (core[i])
			continue;
		p.best = -1;
		q.q = tree->pts + i * d;
		KdTreeSearch(tree, &q);
		label[i] = p.best > 0 ? p.best : PORTRAIT_DBSCAN_NOISE;
		nnoise += p.best < 0;
	}

	/* back to key order */
	cp = palloc_extended(mul_size(mul_size(sizeof(double), d), Max(ncore, 1)), MCXT_ALLOC_HUGE);
	cl = palloc_extended(mul_size(sizeof(int64), Max(ncore, 1)), MCXT_ALLOC_HUGE);
	outlabel = parent;			/* no longer needed as the union-find */
	coreflag = palloc_extended(mul_size(sizeof(int64), n), MCXT_ALLOC_HUGE);
	for (int64 i = 0, c = 0; i < n; i++)
	{
		int64		pos = inv[i];

		outlabel[i] = label[pos];
		coreflag[i] = core[pos];
		if (!core[pos])
			continue;
		memcpy(cp + c * d, x + i * d, sizeof(double) * d);
		cl[c++] = label[pos];
	}

	MemoryContextSwitchTo(old);
	mb = ModelBuild(PORTRAIT_KIND_DBSCAN);
	ModelPutInt(mb, "dim", d);
	ModelPutInt(mb, "n", n);
	ModelPutFloat(mb, "eps", s.eps);
	ModelPutInt(mb, "min_samples", s.min_samples);
	ModelPutBool(mb, "standardize", s.standardize);
	ModelPutFloatArray(mb, "mean", mean, d);
	ModelPutFloatArray(mb, "sd", sd, d);
	ModelPutInt(mb, "n_clusters", k);
	ModelPutInt(mb, "n_noise", nnoise);
	ModelPutFloatMatrix(mb, "core_points", cp, (int) ncore, ncore > 0 ? d : 1);
	ModelPutIntArray(mb, "core_labels", cl, (int) ncore);
	ModelPutIntArray(mb, "keys", keys, (int) n);
	ModelPutIntArray(mb, "labels", outlabel, (int) n);
	ModelPutIntArray(mb, "core", coreflag, (int) n);
	model = ModelFinish(mb);
	MemoryContextDelete(fitcxt);
	PG_RETURN_POINTER(model);
}

/* ---------- dbscan_assign ---------- */

/* A dbscan model parsed for scoring: the scaler and a tree of its core points. */
typedef struct DbModel
{
	int			d;
	double		r2;
	double	   *shift;
	double	   *scale;
	const int64 *core_labels;
	KdTree	   *tree;
	double	   *row;
} DbModel;

static void *
DbscanParse(const PortraitModel *m, MemoryContext cxt)
{
	MemoryContext old = MemoryContextSwitchTo(cxt);
	DbModel    *dm = palloc0(sizeof(DbModel));
	bool		standardize = ModelGetBool(m, "standardize");
	const double *mean;
	const double *sd;
	const double *cp;
	const int64 *cl;
	int			len;
	int			rows;
	int			cols;
	int64	   *labels;

	dm->d = (int) ModelGetInt(m, "dim");
	dm->r2 = ModelGetFloat(m, "eps") * ModelGetFloat(m, "eps");
	mean = ModelGetFloatArray(m, "mean", &len);
	sd = ModelGetFloatArray(m, "sd", &len);
	dm->shift = palloc(sizeof(double) * dm->d);
	dm->scale = palloc(sizeof(double) * dm->d);
	for (int j = 0; j < dm->d; j++)
	{
		dm->shift[j] = standardize ? mean[j] : 0.0;
		dm->scale[j] = ClusterScale(standardize, sd[j]);
	}
	cp = ModelGetFloatMatrix(m, "core_points", &rows, &cols);
	cl = ModelGetIntArray(m, "core_labels", &len);
	labels = palloc(sizeof(int64) * Max(len, 1));
	if (len > 0)
		memcpy(labels, cl, sizeof(int64) * len);
	dm->core_labels = labels;
	dm->tree = KdTreeBuild(cp, rows, dm->d);
	dm->row = palloc(sizeof(double) * dm->d);
	MemoryContextSwitchTo(old);
	return dm;
}

/* dbscan_assign(features, model): the cluster of the nearest core point within eps, else -1. */
Datum
pp_dbscan_assign(PG_FUNCTION_ARGS)
{
	DbModel    *dm = ModelCached(fcinfo, &fcinfo->flinfo->fn_extra, 1, PORTRAIT_KIND_DBSCAN,
								 "dbscan_assign", DbscanParse);
	int			n;
	const double *v = PortraitFloatArray(PG_GETARG_ARRAYTYPE_P(0), &n, "features");
	double		best;
	int64		c;

	if (n != dm->d)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("features have %d values but the model has %d", n, dm->d)));
	for (int j = 0; j < n; j++)
		dm->row[j] = (v[j] - dm->shift[j]) / dm->scale[j];
	c = KdTreeNearest(dm->tree, dm->row, dm->r2, &best);
	PG_RETURN_INT32(c < 0 ? PORTRAIT_DBSCAN_NOISE : (int32) dm->core_labels[c]);
}

/* ---------- dbscan_labels ---------- */

/* dbscan_labels(model): (key, cluster, core) of every row the model was fitted on. */
Datum
pp_dbscan_labels(PG_FUNCTION_ARGS)
{
	PortraitModel *m = PG_GETARG_PORTRAIT_MODEL(0);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	const int64 *keys;
	const int64 *labels;
	const int64 *core;
	int			n;

	ModelCheckKind(m, PORTRAIT_KIND_DBSCAN, "dbscan_labels");
	keys = ModelGetIntArray(m, "keys", &n);
	labels = ModelGetIntArray(m, "labels", &n);
	core = ModelGetIntArray(m, "core", &n);
	InitMaterializedSRF(fcinfo, 0);
	for (int i = 0; i < n; i++)
	{
		Datum		values[3];
		bool		nulls[3] = {false, false, false};

		PORTRAIT_ROW_INTERRUPTS(i);
		values[0] = Int64GetDatum(keys[i]);
		values[1] = Int32GetDatum((int32) labels[i]);
		values[2] = BoolGetDatum(core[i] != 0);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
