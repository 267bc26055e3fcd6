/*
 * iforest.c
 *		The iforest_fit aggregate (model kind "isolation_forest"), its
 *		anomaly_score, and the robust z-scores that say why a customer is
 *		unusual (anomaly_robust_z, anomaly_reasons).
 *
 * The forest is Liu, Ting and Zhou's, as scikit-learn's IsolationForest
 * builds it: each tree grows on a sample of min(max_samples, n) rows drawn
 * without replacement, to depth ceil(log2(sample size)); a node splits on a
 * feature drawn at random among those not constant in it, at a threshold
 * drawn uniformly between the feature's minimum and maximum there.  A row's
 * path length in a tree is the depth of its leaf plus c(leaf size), the
 * expected depth of an unbuilt subtree; its score is 2^(-E[h] / c(psi)).
 *
 * The collected rows are sorted into their canonical order before sampling,
 * so the forest depends only on the multiset of rows and the seed, never on
 * row order or on how parallel workers split the input.
 */
#include "postgres.h"

#include <float.h>

#include "common/pg_prng.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "trees.h"
#include "kmeans.h"

PG_FUNCTION_INFO_V1(pp_iforest_fit_trans);
PG_FUNCTION_INFO_V1(pp_iforest_fit_combine);
PG_FUNCTION_INFO_V1(pp_iforest_fit_final);
PG_FUNCTION_INFO_V1(pp_anomaly_score);
PG_FUNCTION_INFO_V1(pp_anomaly_robust_z);
PG_FUNCTION_INFO_V1(pp_anomaly_reasons);

/* scikit-learn's: a feature whose range in a node is below it is constant there */
#define IF_FEATURE_THRESHOLD 1e-7
#define IF_EULER_GAMMA 0.5772156649015329
/* bytes of one node: feature, threshold, right child, size */
#define IF_NODE_BYTES (3 * sizeof(int64) + sizeof(double))

/* ---------- options ---------- */

typedef struct IfOptions
{
	int			n_trees;
	int			max_samples;
	int64		seed;
	int			nnames;
	char	  **names;
} IfOptions;

/* One options key into IfOptions (the visitor of PortraitForEachOption). */
static void
IfOption(const char *key, JsonbValue *vp, void *arg)
{
	IfOptions  *o = arg;

	if (strcmp(key, "n_trees") == 0 || strcmp(key, "n_estimators") == 0)
		o->n_trees = PortraitOptionInteger(vp, "iforest_fit", key, 1, PORTRAIT_IFOREST_MAX_TREES);
	else if (strcmp(key, "max_samples") == 0)
		o->max_samples = PortraitOptionInteger(vp, "iforest_fit", key, 2, PORTRAIT_IFOREST_MAX_SAMPLES);
	else if (strcmp(key, "seed") == 0)
		o->seed = PortraitOptionInteger(vp, "iforest_fit", key, PG_INT64_MIN / 2, PG_INT64_MAX / 2);
	else if (strcmp(key, "feature_names") == 0)
		o->names = PortraitOptionNames(vp, "iforest_fit", key, &o->nnames);
	else
		PortraitUnknownOption("iforest_fit", key, "n_trees, max_samples, seed and feature_names");
}

/* Options from their canonical JSON text (NULL: all defaults). */
static void
IfParseOptions(const char *text, IfOptions *o)
{
	memset(o, 0, sizeof(IfOptions));
	o->n_trees = PORTRAIT_IFOREST_DEFAULT_TREES;
	o->max_samples = PORTRAIT_IFOREST_DEFAULT_SAMPLES;
	if (text != NULL)
		PortraitForEachOption(DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(text))),
							  "iforest_fit", IfOption, o);
}

/* ---------- iforest_fit: transition and combine ---------- */

typedef struct IfTransCache
{
	PortraitOptionsCache opts;
	double		row[PORTRAIT_IFOREST_MAX_DIM];
} IfTransCache;

/* (state, features [, options]): collect one row; a NULL features array is skipped. */
static Datum
IforestFitTrans(FunctionCallInfo fcinfo, bool has_options)
{
	IfTransCache *c = fcinfo->flinfo->fn_extra;
	PointsState *ps;
	int			d;

	if (c == NULL)
		c = fcinfo->flinfo->fn_extra = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(IfTransCache));
	if (PG_ARGISNULL(1))
		return PortraitStateUnchanged(fcinfo);
	d = PortraitFloatArg(fcinfo, 1, c->row, PORTRAIT_IFOREST_MAX_DIM, "features");
	if (d < 1 || d > PORTRAIT_IFOREST_MAX_DIM)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("features must hold between 1 and %d values, not %d", PORTRAIT_IFOREST_MAX_DIM, d)));
	ps = PointsGetState(fcinfo, 0, d, 0);
	if (has_options && !PG_ARGISNULL(2))
	{
		if (PortraitOptionsChanged(&c->opts, fcinfo->flinfo->fn_mcxt, PG_GETARG_JSONB_P(2)))
		{
			IfOptions	o;

			/* errors in the options come before any row is collected */
			IfParseOptions(c->opts.text, &o);
		}
		PointsSetAux(ps, c->opts.text, strlen(c->opts.text));
	}
	PointsAppend(ps, c->row);
	PG_RETURN_DATUM(EOHPGetRWDatum(&ps->hdr));
}

/* iforest_fit's transition, with or without options. */
Datum
pp_iforest_fit_trans(PG_FUNCTION_ARGS)
{
	return IforestFitTrans(fcinfo, PG_NARGS() > 2);
}

/* Combine of iforest_fit: the rows of both states. */
Datum
pp_iforest_fit_combine(PG_FUNCTION_ARGS)
{
	return PointsCombine(fcinfo);
}

/* ---------- the fit ---------- */

/* c(n): the average path length of an unsuccessful search in a binary search tree of n keys. */
static double
AveragePathLength(double n)
{
	if (n <= 1)
		return 0.0;
	if (n <= 2)
		return 1.0;
	return 2.0 * (log(n - 1.0) + IF_EULER_GAMMA) - 2.0 * (n - 1.0) / n;
}

/* The nodes of the forest as they are built, in preorder (left child = next node). */
typedef struct IfBuild
{
	const double *x;			/* n rows of d, canonical order */
	int			d;
	int			max_depth;
	pg_prng_state rng;
	int		   *features;		/* scratch: the features still to try */
	int64		nnodes;
	int64		cap;
	int64	   *feature;		/* -1 for a leaf */
	double	   *threshold;
	int64	   *right;			/* index of the right child, -1 for a leaf */
	int64	   *size;			/* rows of the sample in the node */
} IfBuild;

/* A new node; its index. */
static int64
NewNode(IfBuild *b, int64 size)
{
	if (b->nnodes == b->cap)
	{
		b->cap *= 2;
		b->feature = repalloc_huge(b->feature, sizeof(int64) * b->cap);
		b->threshold = repalloc_huge(b->threshold, sizeof(double) * b->cap);
		b->right = repalloc_huge(b->right, sizeof(int64) * b->cap);
		b->size = repalloc_huge(b->size, sizeof(int64) * b->cap);
	}
	b->feature[b->nnodes] = -1;
	b->threshold[b->nnodes] = 0;
	b->right[b->nnodes] = -1;
	b->size[b->nnodes] = size;
	return b->nnodes++;
}

/* Grow the subtree of the m sample rows idx (reordered in place) at depth. */
static void
GrowNode(IfBuild *b, int64 *idx, int64 m, int depth)
{
	int64		node = NewNode(b, m);
	int			left = b->d;
	int			f = -1;
	double		lo = 0;
	double		hi = 0;
	double		t;
	int64		nl = 0;

	if (depth >= b->max_depth || m <= 1)
		return;
	/* draw features without replacement until one is not constant here */
	for (int j = 0; j < b->d; j++)
		b->features[j] = j;
	while (left > 0)
	{
		int			pick = (int) pg_prng_uint64_range(&b->rng, 0, left - 1);
		int			j = b->features[pick];

		b->features[pick] = b->features[--left];
		lo = hi = b->x[idx[0] * b->d + j];
		for (int64 i = 1; i < m; i++)
		{
			double		v = b->x[idx[i] * b->d + j];

			lo = Min(lo, v);
			hi = Max(hi, v);
		}
		if (hi > lo + IF_FEATURE_THRESHOLD)
		{
			f = j;
			break;
		}
	}
	if (f < 0)
		return;					/* every feature is constant: a leaf of m rows */
	t = lo + (hi - lo) * pg_prng_double(&b->rng);
	if (t >= hi)
		t = lo;
	/* rows with x <= t first */
	for (int64 i = 0; i < m; i++)
		if (b->x[idx[i] * b->d + f] <= t)
		{
			int64		tmp = idx[i];

			idx[i] = idx[nl];
			idx[nl++] = tmp;
		}
	b->feature[node] = f;
	b->threshold[node] = t;
	GrowNode(b, idx, nl, depth + 1);
	b->right[node] = b->nnodes;
	GrowNode(b, idx + nl, m - nl, depth + 1);
}

/* Median of n values (v is reordered); the mean of the middle two for even n. */
static double
Median(double *v, int64 n)
{
	size_t		ks[2] = {(size_t) (n - 1) / 2, (size_t) n / 2};

	PortraitSelectDoubles(v, n, ks, ks[0] == ks[1] ? 1 : 2);
	return v[ks[0]] / 2.0 + v[ks[1]] / 2.0;
}

/*
 * Per-feature median and robust scale: 1.4826 MAD, or 1.253314 times the
 * mean absolute deviation from the median where the MAD is 0 (more than half
 * the rows share one value); 0 only for a constant feature.
 */
static void
RobustScales(const double *x, int64 n, int d, double *median, double *scale)
{
	double	   *col = palloc_extended(sizeof(double) * n, MCXT_ALLOC_HUGE);

	for (int j = 0; j < d; j++)
	{
		double		mad;
		KahanSum	s = {0, 0};

		for (int64 i = 0; i < n; i++)
			col[i] = x[i * d + j];
		median[j] = Median(col, n);
		for (int64 i = 0; i < n; i++)
		{
			col[i] = fabs(col[i] - median[j]);
			KahanAdd(&s, col[i]);
		}
		mad = Median(col, n);
		scale[j] = mad > 0 ? PORTRAIT_ROBUST_MAD_SCALE * mad :
			PORTRAIT_ROBUST_MEANAD_SCALE * KahanValue(&s) / n;
		if (!isfinite(scale[j]))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("feature %d is out of range for iforest_fit", j + 1),
					 errdetail("The spread of its values overflows double precision."),
					 errhint("Scale the feature, for example with ln(1 + x).")));
		CHECK_FOR_INTERRUPTS();
	}
	pfree(col);
}

/* Final of iforest_fit: sort the rows, grow the trees, write the model. */
Datum
pp_iforest_fit_final(PG_FUNCTION_ARGS)
{
	PointsState *ps = PointsRead(PG_GETARG_DATUM(0));
	IfOptions	o;
	IfBuild		b;
	int64		n = ps->n;
	int			d = ps->dim;
	int64		psi;
	double		forest;
	int64	   *perm;
	int64	   *sample;
	int64	   *tree_start;
	double	   *median;
	double	   *scale;
	ModelBuilder *mb;

	IfParseOptions(ps->aux, &o);
	if (o.names != NULL && o.nnames != d)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("feature_names must hold %d names, not %d", d, o.nnames)));
	if (n < 2)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("iforest_fit needs at least 2 rows, not %lld", (long long) n)));
	/*
	 * Sort keys, the permutation and a column copy per row, and the forest:
	 * at most 2 psi - 1 nodes a tree, each a feature, a threshold, a child
	 * and a size (twice: built, then copied into the model).
	 */
	psi = Min((int64) o.max_samples, n);
	forest = (double) o.n_trees * (2 * psi - 1) * IF_NODE_BYTES * 2;
	if (forest > MaxAllocSize)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("an isolation forest of %d trees of %lld rows is too large", o.n_trees, (long long) psi),
				 errdetail("Its nodes may need up to %.0f MB; a model holds at most 1 GB.", forest / 2 / (1024 * 1024)),
				 errhint("Use fewer trees or a smaller max_samples.")));
	PointsCheckFit(ps, PORTRAIT_POINTS_SORT_BYTES + 2 * sizeof(int64) + sizeof(double) + (Size) ceil(forest / n));
	PointsSortRows(ps->values, n, d);

	memset(&b, 0, sizeof(b));
	b.x = ps->values;
	b.d = d;
	b.max_depth = (int) ceil(log2((double) psi));
	pg_prng_seed(&b.rng, (uint64) o.seed);
	b.features = palloc(sizeof(int) * d);
	b.cap = 1024;
	b.feature = palloc(sizeof(int64) * b.cap);
	b.threshold = palloc(sizeof(double) * b.cap);
	b.right = palloc(sizeof(int64) * b.cap);
	b.size = palloc(sizeof(int64) * b.cap);
	perm = palloc_extended(sizeof(int64) * n, MCXT_ALLOC_HUGE);
	for (int64 i = 0; i < n; i++)
		perm[i] = i;
	sample = palloc(sizeof(int64) * psi);
	tree_start = palloc(sizeof(int64) * (o.n_trees + 1));
	for (int t = 0; t < o.n_trees; t++)
	{
		/* a partial Fisher-Yates shuffle: perm stays a permutation, its head is a fresh sample */
		for (int64 i = 0; i < psi; i++)
		{
			int64		j = (int64) pg_prng_uint64_range(&b.rng, i, n - 1);
			int64		tmp = perm[i];

			perm[i] = perm[j];
			perm[j] = tmp;
			sample[i] = perm[i];
		}
		tree_start[t] = b.nnodes;
		GrowNode(&b, sample, psi, 0);
		CHECK_FOR_INTERRUPTS();
	}
	tree_start[o.n_trees] = b.nnodes;

	median = palloc(sizeof(double) * d);
	scale = palloc(sizeof(double) * d);
	RobustScales(ps->values, n, d, median, scale);

	mb = ModelBuild(PORTRAIT_KIND_ISOLATION_FOREST);
	ModelPutInt(mb, "dim", d);
	ModelPutInt(mb, "n", n);
	ModelPutInt(mb, "n_trees", o.n_trees);
	ModelPutInt(mb, "max_samples", psi);
	ModelPutInt(mb, "seed", o.seed);
	if (o.names != NULL)
		ModelPutTextArray(mb, "feature_names", (const char *const *) o.names, o.nnames);
	ModelPutFloatArray(mb, "median", median, d);
	ModelPutFloatArray(mb, "scale", scale, d);
	ModelPutIntArray(mb, "tree_start", tree_start, o.n_trees + 1);
	ModelPutIntArray(mb, "node_feature", b.feature, b.nnodes);
	ModelPutFloatArray(mb, "node_threshold", b.threshold, b.nnodes);
	ModelPutIntArray(mb, "node_right", b.right, b.nnodes);
	ModelPutIntArray(mb, "node_size", b.size, b.nnodes);
	PG_RETURN_POINTER(ModelFinish(mb));
}

/* ---------- the model ---------- */

static const ModelFieldSpec iforest_fields[] = {
	{"dim", MF_INT, true},
	{"n", MF_INT, true},
	{"n_trees", MF_INT, true},
	{"max_samples", MF_INT, true},
	{"seed", MF_INT, false},
	{"feature_names", MF_TEXT_ARRAY, false},
	{"median", MF_FLOAT_ARRAY, true},
	{"scale", MF_FLOAT_ARRAY, true},
	{"tree_start", MF_INT_ARRAY, true},
	{"node_feature", MF_INT_ARRAY, true},
	{"node_threshold", MF_FLOAT_ARRAY, true},
	{"node_right", MF_INT_ARRAY, true},
	{"node_size", MF_INT_ARRAY, true},
};

/* 22P02 for an isolation_forest model whose fields do not fit together. */
static void
pg_attribute_noreturn()
BadIforestModel(const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid portrait.model"),
			 errdetail("%s", detail)));
}

/*
 * Cross-field checks: every tree a preorder run of nodes whose children
 * come after them inside the tree, so scoring always ends at a leaf.
 */
static void
IforestValidate(const PortraitModel *m)
{
	int64		d = ModelGetInt(m, "dim");
	int64		ntrees = ModelGetInt(m, "n_trees");
	int			len;
	int			nn;
	const int64 *start = ModelGetIntArray(m, "tree_start", &len);
	const int64 *feature = ModelGetIntArray(m, "node_feature", &nn);
	const double *thr;
	const int64 *right;
	const int64 *size;
	const double *scale;

	if (d < 1 || d > PORTRAIT_IFOREST_MAX_DIM || ntrees < 1 || ntrees > PORTRAIT_IFOREST_MAX_TREES ||
		ModelGetInt(m, "max_samples") < 2 || ModelGetInt(m, "n") < ModelGetInt(m, "max_samples"))
		BadIforestModel("An isolation_forest model needs 1 <= dim <= 1000, 1 <= n_trees <= 10000 and 2 <= max_samples <= n.");
	if (len != ntrees + 1)
		BadIforestModel("Field \"tree_start\" must hold n_trees + 1 node numbers.");
	ModelGetFloatArray(m, "median", &len);
	if (len != d)
		BadIforestModel("Field \"median\" must hold dim numbers.");
	scale = ModelGetFloatArray(m, "scale", &len);
	if (len != d)
		BadIforestModel("Field \"scale\" must hold dim numbers.");
	for (int j = 0; j < d; j++)
		if (!(scale[j] >= 0) || !isfinite(scale[j]))
			BadIforestModel("Field \"scale\" must hold finite numbers that are not negative.");
	thr = ModelGetFloatArray(m, "node_threshold", &len);
	if (len != nn)
		BadIforestModel("Field \"node_threshold\" must hold one number per node.");
	right = ModelGetIntArray(m, "node_right", &len);
	if (len != nn)
		BadIforestModel("Field \"node_right\" must hold one number per node.");
	size = ModelGetIntArray(m, "node_size", &len);
	if (len != nn)
		BadIforestModel("Field \"node_size\" must hold one number per node.");
	if (start[0] != 0 || start[ntrees] != nn)
		BadIforestModel("Field \"tree_start\" must run from 0 to the number of nodes.");
	for (int t = 0; t < ntrees; t++)
	{
		if (start[t + 1] <= start[t])
			BadIforestModel("Every tree must have at least one node.");
		for (int64 i = start[t]; i < start[t + 1]; i++)
		{
			if (size[i] < 0 || !isfinite(thr[i]))
				BadIforestModel("Node sizes must not be negative and thresholds must be finite.");
			if (feature[i] == -1)
				continue;
			if (feature[i] < 0 || feature[i] >= d || i + 1 >= start[t + 1] ||
				right[i] <= i + 1 || right[i] >= start[t + 1])
				BadIforestModel("A split node must name a feature and have both children after it in its tree.");
		}
	}
	if (ModelGetField(m, "feature_names") != NULL && ModelGetField(m, "feature_names")->rows != d)
		BadIforestModel("Field \"feature_names\" must hold dim names.");
}

const ModelKindSpec IforestModelKind = {
	PORTRAIT_KIND_ISOLATION_FOREST, "isolation_forest", iforest_fields, lengthof(iforest_fields),
	IforestValidate
};

/* ---------- using a model ---------- */

/* A forest as scoring needs it, parsed once per call site. */
typedef struct IfModel
{
	int			d;
	int			ntrees;
	double		cpsi;			/* c(max_samples) */
	const int64 *start;
	const int64 *feature;
	const double *threshold;
	const int64 *right;
	double	   *leaf;			/* depth + c(size) of each leaf */
	const double *median;
	const double *scale;
	const char **names;
	double	   *row;
} IfModel;

static void *
IforestParse(const PortraitModel *m, MemoryContext cxt)
{
	IfModel    *im = MemoryContextAllocZero(cxt, sizeof(IfModel));
	int			nn;
	int			len;
	const int64 *size;
	int		   *depth;
	MemoryContext old;

	im->d = ModelGetInt(m, "dim");
	im->ntrees = ModelGetInt(m, "n_trees");
	im->cpsi = AveragePathLength((double) ModelGetInt(m, "max_samples"));
	im->start = ModelGetIntArray(m, "tree_start", &len);
	im->feature = ModelGetIntArray(m, "node_feature", &nn);
	im->threshold = ModelGetFloatArray(m, "node_threshold", &len);
	im->right = ModelGetIntArray(m, "node_right", &len);
	im->median = ModelGetFloatArray(m, "median", &len);
	im->scale = ModelGetFloatArray(m, "scale", &len);
	size = ModelGetIntArray(m, "node_size", &len);
	im->leaf = MemoryContextAlloc(cxt, sizeof(double) * Max(nn, 1));
	im->row = MemoryContextAlloc(cxt, sizeof(double) * im->d);
	/* parents come before their children, so one pass in node order gives the depths */
	depth = palloc0(sizeof(int) * Max(nn, 1));
	for (int64 i = 0; i < nn; i++)
	{
		if (im->feature[i] >= 0)
			depth[i + 1] = depth[im->right[i]] = depth[i] + 1;
		else
			im->leaf[i] = depth[i] + AveragePathLength((double) size[i]);
	}
	pfree(depth);
	old = MemoryContextSwitchTo(cxt);
	im->names = KmFeatureNames(m, im->d, NULL);
	MemoryContextSwitchTo(old);
	return im;
}

/* The model at argno (parsed once) and the features at argno + 1 in im->row. */
static IfModel *
IforestArgs(FunctionCallInfo fcinfo, const char *func)
{
	IfModel    *im = ModelCached(fcinfo, &fcinfo->flinfo->fn_extra, 0, PORTRAIT_KIND_ISOLATION_FOREST,
								 func, IforestParse);
	int			d = PortraitFloatArg(fcinfo, 1, im->row, im->d, "features");

	if (d != im->d)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("features has %d values but the model was fitted on %d", d, im->d),
				 errhint("Pass the same features, in the same order, as to iforest_fit.")));
	return im;
}

/* anomaly_score(model, features): 2^(-mean path length / c(max_samples)), in (0, 1]. */
Datum
pp_anomaly_score(PG_FUNCTION_ARGS)
{
	IfModel    *im = IforestArgs(fcinfo, "anomaly_score");
	double		h = 0;

	for (int t = 0; t < im->ntrees; t++)
	{
		int64		i = im->start[t];

		while (im->feature[i] >= 0)
			i = im->row[im->feature[i]] <= im->threshold[i] ? i + 1 : im->right[i];
		h += im->leaf[i];
	}
	PG_RETURN_FLOAT8(CheckScore(pow(2.0, -(h / im->ntrees) / im->cpsi), "anomaly_score"));
}

/* Robust z of feature j of im->row; false (no z) for a feature constant in training. */
static bool
RobustZ(const IfModel *im, int j, double *z)
{
	if (im->scale[j] <= 0)
		return false;
	*z = CheckScore((im->row[j] - im->median[j]) / im->scale[j], "anomaly_robust_z");
	return true;
}

/* anomaly_robust_z(model, features): (x - median) / (1.4826 MAD) per feature. */
Datum
pp_anomaly_robust_z(PG_FUNCTION_ARGS)
{
	IfModel    *im = IforestArgs(fcinfo, "anomaly_robust_z");
	Datum	   *values = palloc(sizeof(Datum) * im->d);
	bool	   *nulls = palloc(sizeof(bool) * im->d);
	int			dims[1] = {im->d};
	int			lbs[1] = {1};

	for (int j = 0; j < im->d; j++)
	{
		double		z;

		nulls[j] = !RobustZ(im, j, &z);
		values[j] = Float8GetDatum(nulls[j] ? 0 : z);
	}
	PG_RETURN_ARRAYTYPE_P(construct_md_array(values, nulls, 1, dims, lbs, FLOAT8OID, sizeof(double),
											 FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

/*
 * anomaly_reasons(model, features [, top]): the features whose robust z is
 * at least 2 in absolute value, strongest first (ties: the earlier feature),
 * at most top of them, each with a sentence.
 */
Datum
pp_anomaly_reasons(PG_FUNCTION_ARGS)
{
	IfModel    *im = IforestArgs(fcinfo, "anomaly_reasons");
	int			top = PG_GETARG_INT32(2);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	double	   *z = palloc(sizeof(double) * im->d);
	bool	   *used = palloc0(sizeof(bool) * im->d);

	if (top < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("top must not be negative, not %d", top)));
	for (int j = 0; j < im->d; j++)
		if (!RobustZ(im, j, &z[j]))
			used[j] = true;		/* a constant feature has no robust z */
	InitMaterializedSRF(fcinfo, 0);
	for (int r = 0; r < top; r++)
	{
		int			best = -1;
		Datum		values[6];
		bool		nulls[6] = {0};
		double		a;

		for (int j = 0; j < im->d; j++)
			if (!used[j] && fabs(z[j]) >= PORTRAIT_IFOREST_REASON_Z && (best < 0 || fabs(z[j]) > fabs(z[best])))
				best = j;
		if (best < 0)
			break;
		used[best] = true;
		a = fabs(z[best]);
		values[0] = Int32GetDatum(r + 1);
		values[1] = CStringGetTextDatum(im->names[best]);
		values[2] = Float8GetDatum(im->row[best]);
		values[3] = Float8GetDatum(im->median[best]);
		values[4] = Float8GetDatum(z[best]);
		values[5] = CStringGetTextDatum(psprintf(a >= 10 ? "%s %.0f MAD %s the median" : "%s %.1f MAD %s the median",
												 im->names[best], a, z[best] > 0 ? "above" : "below"));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
