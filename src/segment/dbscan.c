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
 * never stored: one pass counts neighbours (stopping at min_samples), one
 * joins core points into clusters with a union-find, one gives each border
 * point its cluster.
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
/* bytes the fit needs per row besides the row: tree, labels, union-find */
#define PORTRAIT_DBSCAN_ROW_WORK(d) \
	(KdTreeBytesPerPoint(d) + (Size) (d) * sizeof(double) + 4 * sizeof(int64) + 1)

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

/* State of the passes over the neighbourhoods. */
typedef struct DbPass
{
	int64		count;			/* neighbours seen */
	int64		stop;			/* stop counting here */
	int64		self;
	int64	   *parent;			/* union-find over core points */
	const bool *core;
	const int64 *label;
	int64		best;			/* lowest cluster among core neighbours */
} DbPass;

static bool
DbCount(int64 i, double d2, void *arg)
{
	DbPass	   *p = arg;

	(void) i;
	(void) d2;
	return ++p->count >= p->stop;
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

/* Join the clusters of two core points; the root is the lower index. */
static bool
DbUnion(int64 j, double d2, void *arg)
{
	DbPass	   *p = arg;
	int64		a;
	int64		b;

	(void) d2;
	if (!p->core[j] || j == p->self)
		return false;
	a = DbFind(p->parent, p->self);
	b = DbFind(p->parent, j);
	if (a < b)
		p->parent[b] = a;
	else if (b < a)
		p->parent[a] = b;
	return false;
}

static bool
DbBorder(int64 j, double d2, void *arg)
{
	DbPass	   *p = arg;

	(void) d2;
	if (p->core[j] && (p->best < 0 || p->label[j] < p->best))
		p->best = p->label[j];
	return false;
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
	bool	   *core;
	KdTree	   *tree;
	DbPass		p;
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
	r2 = s.eps * s.eps;
	core = palloc_extended(n, MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	label = palloc_extended(mul_size(sizeof(int64), n), MCXT_ALLOC_HUGE);
	parent = palloc_extended(mul_size(sizeof(int64), n), MCXT_ALLOC_HUGE);
	memset(&p, 0, sizeof(p));
	p.stop = s.min_samples;
	p.parent = parent;
	p.core = core;
	p.label = label;

	/* pass 1: core points */
	for (int64 i = 0; i < n; i++)
	{
		if ((i & 255) == 0)
			CHECK_FOR_INTERRUPTS();
		p.count = 0;
		KdTreeRadius(tree, x + i * d, r2, DbCount, &p);
		core[i] = p.count >= s.min_samples;
		parent[i] = i;
		ncore += core[i];
	}
	/* pass 2: clusters of core points, each rooted at its lowest index */
	for (int64 i = 0; i < n; i++)
	{
		if ((i & 255) == 0)
			CHECK_FOR_INTERRUPTS();
		if (!core[i])
			continue;
		p.self = i;
		KdTreeRadius(tree, x + i * d, r2, DbUnion, &p);
	}
	for (int64 i = 0; i < n; i++)
	{
		label[i] = PORTRAIT_DBSCAN_NOISE;
		if (!core[i])
			continue;
		if (DbFind(parent, i) == i)
			label[i] = ++k;
		else
			label[i] = label[DbFind(parent, i)];
	}
	/* pass 3: border points go to the lowest-numbered cluster that reaches them */
	for (int64 i = 0; i < n; i++)
	{
		if ((i & 255) == 0)
			CHECK_FOR_INTERRUPTS();
		if (core[i])
			continue;
		p.best = -1;
		KdTreeRadius(tree, x + i * d, r2, DbBorder, &p);
		if (p.best > 0)
			label[i] = p.best;
		else
			nnoise++;
	}

	cp = palloc_extended(mul_size(mul_size(sizeof(double), d), Max(ncore, 1)), MCXT_ALLOC_HUGE);
	cl = palloc_extended(mul_size(sizeof(int64), Max(ncore, 1)), MCXT_ALLOC_HUGE);
	coreflag = parent;			/* no longer needed as the union-find */
	for (int64 i = 0, c = 0; i < n; i++)
	{
		coreflag[i] = core[i];
		if (!core[i])
			continue;
		memcpy(cp + c * d, x + i * d, sizeof(double) * d);
		cl[c++] = label[i];
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
	ModelPutIntArray(mb, "labels", label, (int) n);
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
