/*
 * hierarchical.c
 *		The hclust_fit aggregate (model kind "hierarchical"): exact
 *		agglomerative clustering with Ward, complete, average or single
 *		linkage; hclust_merges, hclust_cut and hclust_cut_height.
 *
 * Ward runs the nearest-neighbour chain on cluster centroids and sizes
 * (d(A, B) = sqrt(2 |A| |B| / (|A| + |B|)) ||c_A - c_B||, which equals the
 * Lance-Williams recurrence scipy uses), so it needs O(n) memory beyond the
 * data and O(n^2 d) time.  Single linkage is Prim's minimum spanning tree,
 * also O(n) memory.  Complete and average linkage have no such form: they
 * run the chain on the condensed distance matrix (n (n - 1) / 2 values),
 * which the fit memory budget bounds.
 *
 * The merge table follows scipy's linkage matrix: at step i (1-based) the
 * clusters cluster_a < cluster_b merge at height into a cluster of size
 * points, which gets the id n + i - 1; ids 0..n-1 are the rows in key order.
 * Steps are ordered by height (ties in the order the chain found them).
 */
#include "postgres.h"

#include <float.h>

#include "funcapi.h"
#include "utils/builtins.h"

#include "cluster.h"

PG_FUNCTION_INFO_V1(pp_hclust_fit_trans);
PG_FUNCTION_INFO_V1(pp_hclust_fit_trans_options);
PG_FUNCTION_INFO_V1(pp_hclust_fit_combine);
PG_FUNCTION_INFO_V1(pp_hclust_fit_final);
PG_FUNCTION_INFO_V1(pp_hclust_merges);
PG_FUNCTION_INFO_V1(pp_hclust_kmeans);
PG_FUNCTION_INFO_V1(pp_hclust_cut);
PG_FUNCTION_INFO_V1(pp_hclust_cut_height);

#define PORTRAIT_HCLUST_MAX_N		50000
#define PORTRAIT_HCLUST_MAX_DIM		1000

typedef enum HcMethod
{
	HC_WARD,
	HC_COMPLETE,
	HC_AVERAGE,
	HC_SINGLE
} HcMethod;

static const char *const hc_method_names[] = {"ward", "complete", "average", "single"};

/* One merge as the chain finds it: the slots (rows) that stand for the two clusters. */
typedef struct HcMerge
{
	int64		a;
	int64		b;
	double		height;
	int64		order;
} HcMerge;

static int
HcMethodByName(text *t)
{
	char	   *s = text_to_cstring(t);

	for (int i = 0; i < (int) lengthof(hc_method_names); i++)
		if (strcmp(s, hc_method_names[i]) == 0)
			return i;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown linkage method \"%s\"", s),
			 errhint("Use ward, complete, average or single.")));
}

/* 54000: more rows than the exact fit takes. */
static void
pg_attribute_noreturn()
HcTooMany(int64 n)
{
	ereport(ERROR,
			(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
			 errmsg("hclust_fit takes at most %d rows, not %lld", PORTRAIT_HCLUST_MAX_N, (long long) n),
			 errdetail("Exact agglomerative clustering takes time quadratic in the number of rows."),
			 errhint("Cluster k-means micro-clusters instead: hclust_kmeans(kmeans_fit(features, 2000), 'ward'), "
					 "then kmeans_assign and hclust_cut; see doc/clustering.md.")));
}

/*
 * 54000 unless complete or average linkage of n rows (dim values each in
 * the state, work bytes per row besides) and its condensed distance matrix
 * fit in portrait.fit_memory_limit; the hint gives the limit they need.
 */
static void
HcCheckMatrix(HcMethod method, int64 n, int dim, double work)
{
	double		need = (double) n * (dim * sizeof(double) + work) +
		(double) n * (n - 1) / 2 * sizeof(double);
	char		hint[512];

	snprintf(hint, sizeof(hint),
			 "%s linkage keeps the n (n - 1) / 2 distances between the rows. "
			 "Raise portrait.fit_memory_limit to at least %lld kB (SET portrait.fit_memory_limit = '%lldkB'), "
			 "or use the two-step form: hclust_kmeans(kmeans_fit(features, 2000), '%s'), "
			 "then kmeans_assign and hclust_cut; see doc/clustering.md.",
			 method == HC_COMPLETE ? "Complete" : "Average",
			 (long long) ceil(need / 1024), (long long) ceil(need / 1024), hc_method_names[method]);
	PortraitFitBudget(need, method == HC_COMPLETE ? "hclust_fit with complete linkage" :
					  "hclust_fit with average linkage", hint);
}

/* (state, key, features, method [, options]): collect one row. */
static Datum
HclustFitTrans(FunctionCallInfo fcinfo, bool has_options)
{
	int			method;
	PointsState *ps;
	const double *row;

	PortraitArgNotNull(fcinfo, 3, "method");
	method = HcMethodByName(PG_GETARG_TEXT_PP(3));
	ps = ClusterFitRow(fcinfo, has_options ? 4 : -1, method, "", PORTRAIT_HCLUST_MAX_DIM, "hclust_fit", &row);
	if (ps == NULL)
		return PortraitStateUnchanged(fcinfo);
	if (ps->n >= PORTRAIT_HCLUST_MAX_N)
		HcTooMany(ps->n + 1);
	PointsAppend(ps, row);
	PG_RETURN_DATUM(EOHPGetRWDatum(&ps->hdr));
}

Datum
pp_hclust_fit_trans(PG_FUNCTION_ARGS)
{
	return HclustFitTrans(fcinfo, false);
}

Datum
pp_hclust_fit_trans_options(PG_FUNCTION_ARGS)
{
	return HclustFitTrans(fcinfo, true);
}

/* Combine of hclust_fit: the rows of both states. */
Datum
pp_hclust_fit_combine(PG_FUNCTION_ARGS)
{
	PointsState *ps;
	Datum		r = PointsCombine(fcinfo);

	if (PG_ARGISNULL(0) && PG_ARGISNULL(1))
		return r;
	ps = PointsRead(r);
	if (ps->n > PORTRAIT_HCLUST_MAX_N)
		HcTooMany(ps->n);
	return r;
}

/* Condensed index of the pair i < j of n. */
static inline Size
HcPair(int64 n, int64 i, int64 j)
{
	if (i > j)
	{
		int64		t = i;

		i = j;
		j = t;
	}
	return (Size) (n * i - i * (i + 1) / 2 + j - i - 1);
}

/* The chain's state: active clusters in row order and what stands for them. */
typedef struct HcChain
{
	int64		n;
	int			d;
	HcMethod	method;
	double	   *x;				/* ward: centroids, in place of the rows */
	double	   *size;
	double	   *dm;				/* complete, average: condensed distances */
	int64	   *active;			/* slots of the active clusters, ascending */
	int64		nactive;
} HcChain;

/* What the chain compares for clusters a and b (ward: squared height; else the height). */
static inline double
HcKey(const HcChain *c, int64 a, int64 b)
{
	if (c->method == HC_WARD)
	{
		double		na = c->size[a];
		double		nb = c->size[b];

		return 2.0 * na * nb / (na + nb) * ClusterDist2(c->x + a * c->d, c->x + b * c->d, c->d);
	}
	return c->dm[HcPair(c->n, a, b)];
}

/* Merge b into a (both active), keeping a's slot. */
static void
HcJoin(HcChain *c, int64 a, int64 b)
{
	double		na = c->size[a];
	double		nb = c->size[b];
	int64		k = 0;

	if (c->method == HC_WARD)
	{
		double	   *ca = c->x + a * c->d;
		const double *cb = c->x + b * c->d;

		for (int j = 0; j < c->d; j++)
			ca[j] = (na * ca[j] + nb * cb[j]) / (na + nb);
	}
	else
		for (int64 t = 0; t < c->nactive; t++)
		{
			int64		j = c->active[t];
			double		da;
			double		db;

			if (j == a || j == b)
				continue;
			da = c->dm[HcPair(c->n, a, j)];
			db = c->dm[HcPair(c->n, b, j)];
			c->dm[HcPair(c->n, a, j)] = c->method == HC_COMPLETE ? Max(da, db) : (na * da + nb * db) / (na + nb);
		}
	c->size[a] = na + nb;
	for (int64 t = 0; t < c->nactive; t++)
		if (c->active[t] != b)
			c->active[k++] = c->active[t];
	c->nactive = k;
}

/* Ward, complete, average: the nearest-neighbour chain; fills n - 1 merges. */
static void
HcNnChain(HcChain *c, HcMerge *merges)
{
	int64	   *chain = palloc_extended(mul_size(sizeof(int64), c->n), MCXT_ALLOC_HUGE);
	int64		len = 0;
	int64		nm = 0;

	while (c->nactive > 1)
	{
		int64		a;
		int64		prev;
		int64		bi;
		double		best;

		CHECK_FOR_INTERRUPTS();
		if (len == 0)
			chain[len++] = c->active[0];
		a = chain[len - 1];
		prev = len >= 2 ? chain[len - 2] : -1;
		/* the nearest other cluster; on ties the chain's previous one, else the first */
		best = prev >= 0 ? HcKey(c, a, prev) : DBL_MAX;
		bi = prev;
		for (int64 t = 0; t < c->nactive; t++)
		{
			int64		j = c->active[t];
			double		k;

			if (j == a)
				continue;
			k = HcKey(c, a, j);
			if (k < best || bi < 0)
			{
				best = k;
				bi = j;
			}
		}
		if (bi == prev)
		{
			int64		lo = Min(a, prev);
			int64		hi = Max(a, prev);

			len -= 2;
			merges[nm].a = lo;
			merges[nm].b = hi;
			merges[nm].height = c->method == HC_WARD ? sqrt(best) : best;
			merges[nm].order = nm;
			nm++;
			HcJoin(c, lo, hi);
		}
		else
			chain[len++] = bi;
	}
	pfree(chain);
}

/* Single linkage: Prim's minimum spanning tree of the rows; fills n - 1 merges. */
static void
HcPrim(const double *x, int64 n, int d, HcMerge *merges)
{
	double	   *dmin = palloc_extended(mul_size(sizeof(double), n), MCXT_ALLOC_HUGE);
	int64	   *from = palloc_extended(mul_size(sizeof(int64), n), MCXT_ALLOC_HUGE);
	bool	   *in = palloc_extended(n, MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	int64		last = 0;

	for (int64 i = 0; i < n; i++)
	{
		dmin[i] = DBL_MAX;
		from[i] = -1;
	}
	in[0] = true;
	for (int64 step = 0; step < n - 1; step++)
	{
		int64		next = -1;

		CHECK_FOR_INTERRUPTS();
		for (int64 i = 0; i < n; i++)
		{
			double		t;

			if (in[i])
				continue;
			t = ClusterDist2(x + last * d, x + i * d, d);
			if (t < dmin[i])
			{
				dmin[i] = t;
				from[i] = last;
			}
			if (next < 0 || dmin[i] < dmin[next])
				next = i;
		}
		in[next] = true;
		merges[step].a = Min(from[next], next);
		merges[step].b = Max(from[next], next);
		merges[step].height = sqrt(dmin[next]);
		merges[step].order = step;
		last = next;
	}
	pfree(dmin);
	pfree(from);
	pfree(in);
}

static int
HcMergeCmp(const void *pa, const void *pb)
{
	const HcMerge *a = pa;
	const HcMerge *b = pb;

	if (a->height != b->height)
		return a->height < b->height ? -1 : 1;
	return a->order < b->order ? -1 : (a->order > b->order);
}

static int64
HcFind(int64 *parent, int64 i)
{
	int64		r = i;

	while (parent[r] != r)
		r = parent[r];
	while (parent[i] != r)
	{
		int64		nx = parent[i];

		parent[i] = r;
		i = nx;
	}
	return r;
}

/*
 * scipy's linkage matrix from the merges: sorted by height, each row naming
 * the current clusters of its two slots (ids n + step for merged ones).
 */
static double *
HcLinkage(HcMerge *merges, int64 n, const double *w)
{
	int64		m = n - 1;
	double	   *z = palloc_extended(mul_size(mul_size(sizeof(double), 4), Max(m, 1)), MCXT_ALLOC_HUGE);
	int64	   *parent = palloc_extended(mul_size(sizeof(int64), 2 * n), MCXT_ALLOC_HUGE);
	double	   *size = palloc_extended(mul_size(sizeof(double), 2 * n), MCXT_ALLOC_HUGE);

	qsort(merges, m, sizeof(HcMerge), HcMergeCmp);
	for (int64 i = 0; i < 2 * n; i++)
	{
		parent[i] = i;
		size[i] = (w && i < n) ? w[i] : 1;
	}
	for (int64 i = 0; i < m; i++)
	{
		int64		x = HcFind(parent, merges[i].a);
		int64		y = HcFind(parent, merges[i].b);

		parent[x] = parent[y] = n + i;
		size[n + i] = size[x] + size[y];
		z[i * 4] = Min(x, y);
		z[i * 4 + 1] = Max(x, y);
		z[i * 4 + 2] = merges[i].height;
		z[i * 4 + 3] = size[n + i];
	}
	pfree(parent);
	pfree(size);
	return z;
}

/*
 * The linkage matrix of the n rows of d values at x (ward overwrites them
 * with centroids); w, when not NULL, gives each row's weight (the size of
 * the micro-cluster it stands for, Ward only).
 */
static double *
HcRun(double *x, int64 n, int d, HcMethod method, const double *w)
{
	HcMerge    *merges = palloc_extended(mul_size(sizeof(HcMerge), Max(n - 1, 1)), MCXT_ALLOC_HUGE);
	if (method == HC_SINGLE)
		HcPrim(x, n, d, merges);
	else if (n > 1)
	{
		HcChain		c;

		c.n = n;
		c.d = d;
		c.method = method;
		c.x = x;
		c.dm = NULL;
		c.size = palloc_extended(mul_size(sizeof(double), n), MCXT_ALLOC_HUGE);
		c.active = palloc_extended(mul_size(sizeof(int64), n), MCXT_ALLOC_HUGE);
		c.nactive = n;
		for (int64 i = 0; i < n; i++)
		{
			c.size[i] = w ? w[i] : 1;
			c.active[i] = i;
		}
		if (method != HC_WARD)
		{
			c.dm = palloc_extended(mul_size(sizeof(double), (Size) n * (n - 1) / 2), MCXT_ALLOC_HUGE);
			for (int64 i = 0; i < n; i++)
			{
				CHECK_FOR_INTERRUPTS();
				for (int64 j = i + 1; j < n; j++)
					c.dm[HcPair(n, i, j)] = sqrt(ClusterDist2(x + i * d, x + j * d, d));
			}
		}
		HcNnChain(&c, merges);
	}
	return HcLinkage(merges, n, w);
}

static const ModelFieldSpec hclust_fields[] = {
	{"dim", MF_INT, true},
	{"n", MF_INT, true},
	{"method", MF_TEXT, true},
	{"standardize", MF_BOOL, true},
	{"mean", MF_FLOAT_ARRAY, true},
	{"sd", MF_FLOAT_ARRAY, true},
	{"keys", MF_INT_ARRAY, true},
	{"merges", MF_FLOAT_MATRIX, true},
	{"weights", MF_FLOAT_ARRAY, false},
};

/* Cross-field checks of a hierarchical model: a well-formed linkage matrix. */
static void
HclustValidate(const PortraitModel *m)
{
	int64		d = ModelGetInt(m, "dim");
	int64		n = ModelGetInt(m, "n");
	const char *method = ModelGetText(m, "method");
	bool		known = false;
	int			len;
	int			rows;
	int			cols;
	const double *z;

	for (int i = 0; i < (int) lengthof(hc_method_names); i++)
		known |= strcmp(method, hc_method_names[i]) == 0;
	if (d < 1 || d > PORTRAIT_HCLUST_MAX_DIM || n < 1 || !known)
		ClusterBadModel("A hierarchical model needs 1 <= dim <= 1000, n >= 1 and method ward, complete, average or single.");
	ModelGetFloatArray(m, "mean", &len);
	if (len != d)
		ClusterBadModel("Field \"mean\" must hold dim numbers.");
	ModelGetFloatArray(m, "sd", &len);
	if (len != d)
		ClusterBadModel("Field \"sd\" must hold dim numbers.");
	ModelGetIntArray(m, "keys", &len);
	if (len != n)
		ClusterBadModel("Field \"keys\" must hold n keys.");
	z = ModelGetFloatMatrix(m, "merges", &rows, &cols);
	if (rows != n - 1 || (rows > 0 && cols != 4))
		ClusterBadModel("Field \"merges\" must have n - 1 rows of 4 numbers.");
	for (int i = 0; i < rows; i++)
	{
		const double *r = z + (Size) i * 4;

		if (!(r[0] >= 0 && r[0] < r[1] && r[1] < n + i && r[0] == floor(r[0]) && r[1] == floor(r[1]) &&
			  r[2] >= 0 && isfinite(r[2]) && r[3] > 0 && isfinite(r[3])))
			ClusterBadModel("Each row of \"merges\" must be cluster_a < cluster_b < n + step, a height >= 0 and a size.");
	}
}

const ModelKindSpec HclustModelKind = {
	PORTRAIT_KIND_HIERARCHICAL, "hierarchical", hclust_fields, lengthof(hclust_fields), HclustValidate
};

/* Final function: the merges of the collected rows as a hierarchical model. */
Datum
pp_hclust_fit_final(PG_FUNCTION_ARGS)
{
	PointsState *ps = PointsRead(PG_GETARG_DATUM(0));
	int			d = ps->dim - PORTRAIT_CLUSTER_KEY_VALUES;
	int64		n = ps->n;
	HcMethod	method = (HcMethod) ps->param;
	bool		standardize;
	double		work;
	MemoryContext fitcxt;
	MemoryContext old;
	double	   *x;
	int64	   *keys;
	double	   *mean;
	double	   *sd;
	double	   *z;
	ModelBuilder *mb;
	PortraitModel *model;

	if (ps->aux == NULL || ps->param < HC_WARD || ps->param > HC_SINGLE)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("malformed hclust_fit state"),
				 errdetail("It has no linkage method or options.")));
	standardize = ps->aux[0] == '1';
	if (n == 0)
		PG_RETURN_NULL();
	if (n > PORTRAIT_HCLUST_MAX_N)
		HcTooMany(n);
	ClusterCheckState(ps, "hclust_fit");
	/* per row: keys, features, merges, the chain's arrays; the matrix for complete and average */
	work = (double) (sizeof(int64) + d * sizeof(double) + sizeof(HcMerge) + 4 * sizeof(double) + 6 * sizeof(int64));
	if (method == HC_COMPLETE || method == HC_AVERAGE)
		HcCheckMatrix(method, n, ps->dim, work);
	PointsCheckFit(ps, (Size) work);

	fitcxt = AllocSetContextCreate(CurrentMemoryContext, "portrait hclust", ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(fitcxt);
	x = ClusterSortedRows(ps, standardize, &keys, &mean, &sd, "hclust_fit");
	z = HcRun(x, n, d, method, NULL);

	MemoryContextSwitchTo(old);
	mb = ModelBuild(PORTRAIT_KIND_HIERARCHICAL);
	ModelPutInt(mb, "dim", d);
	ModelPutInt(mb, "n", n);
	ModelPutText(mb, "method", hc_method_names[method]);
	ModelPutBool(mb, "standardize", standardize);
	ModelPutFloatArray(mb, "mean", mean, d);
	ModelPutFloatArray(mb, "sd", sd, d);
	ModelPutIntArray(mb, "keys", keys, (int) n);
	ModelPutFloatMatrix(mb, "merges", z, (int) (n - 1), n > 1 ? 4 : 1);
	model = ModelFinish(mb);
	MemoryContextDelete(fitcxt);
	PG_RETURN_POINTER(model);
}

/* hclust_merges(model): the linkage matrix as rows (step, cluster_a, cluster_b, height, size). */
Datum
pp_hclust_merges(PG_FUNCTION_ARGS)
{
	PortraitModel *m = PG_GETARG_PORTRAIT_MODEL(0);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	const double *z;
	int			rows;
	int			cols;

	ModelCheckKind(m, PORTRAIT_KIND_HIERARCHICAL, "hclust_merges");
	z = ModelGetFloatMatrix(m, "merges", &rows, &cols);
	InitMaterializedSRF(fcinfo, 0);
	for (int i = 0; i < rows; i++)
	{
		Datum		values[5];
		bool		nulls[5] = {false, false, false, false, false};

		values[0] = Int32GetDatum(i + 1);
		values[1] = Int64GetDatum((int64) z[i * 4]);
		values[2] = Int64GetDatum((int64) z[i * 4 + 1]);
		values[3] = Float8GetDatum(z[i * 4 + 2]);
		values[4] = Int64GetDatum((int64) z[i * 4 + 3]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/*
 * (key, cluster) of every row after the first steps merges: clusters
 * numbered 1, 2, ... in the order of their lowest key.
 */
static Datum
HcCut(FunctionCallInfo fcinfo, const PortraitModel *m, int64 steps)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int			n;
	const int64 *keys = ModelGetIntArray(m, "keys", &n);
	int			rows;
	int			cols;
	const double *z = ModelGetFloatMatrix(m, "merges", &rows, &cols);
	int64	   *parent = palloc(sizeof(int64) * 2 * n);
	int32	   *label = palloc0(sizeof(int32) * 2 * n);
	int32		next = 0;

	for (int64 i = 0; i < 2 * n; i++)
		parent[i] = i;
	for (int64 i = 0; i < steps; i++)
		parent[(int64) z[i * 4]] = parent[(int64) z[i * 4 + 1]] = n + i;
	InitMaterializedSRF(fcinfo, 0);
	for (int i = 0; i < n; i++)
	{
		Datum		values[2];
		bool		nulls[2] = {false, false};
		int64		r = HcFind(parent, i);

		PORTRAIT_ROW_INTERRUPTS(i);
		if (label[r] == 0)
			label[r] = ++next;
		values[0] = Int64GetDatum(keys[i]);
		values[1] = Int32GetDatum(label[r]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/* hclust_cut(model, k): labels of the rows cut into k clusters. */
Datum
pp_hclust_cut(PG_FUNCTION_ARGS)
{
	PortraitModel *m = PG_GETARG_PORTRAIT_MODEL(0);
	int32		k = PG_GETARG_INT32(1);
	int64		n;

	ModelCheckKind(m, PORTRAIT_KIND_HIERARCHICAL, "hclust_cut");
	n = ModelGetInt(m, "n");
	if (k < 1 || k > n)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("k must be between 1 and the model's %lld rows, not %d", (long long) n, k)));
	return HcCut(fcinfo, m, n - k);
}

/* hclust_cut_height(model, height): labels of the clusters joined at heights <= height. */
Datum
pp_hclust_cut_height(PG_FUNCTION_ARGS)
{
	PortraitModel *m = PG_GETARG_PORTRAIT_MODEL(0);
	double		h = PG_GETARG_FLOAT8(1);
	int			rows;
	int			cols;
	const double *z;
	int64		steps = 0;

	ModelCheckKind(m, PORTRAIT_KIND_HIERARCHICAL, "hclust_cut_height");
	CheckFinite(h, "height");
	z = ModelGetFloatMatrix(m, "merges", &rows, &cols);
	while (steps < rows && z[steps * 4 + 2] <= h)
		steps++;
	return HcCut(fcinfo, m, steps);
}

/*
 * hclust_kmeans(kmeans model, method): the two-step form for tables above
 * the exact limit.  The k-means clusters are the rows (keys 1..k, their
 * cluster numbers), each weighted by its size: Ward's height of two groups
 * is that of their points all at the group's centroid.
 */
Datum
pp_hclust_kmeans(PG_FUNCTION_ARGS)
{
	PortraitModel *km = PG_GETARG_PORTRAIT_MODEL(0);
	HcMethod	method = (HcMethod) HcMethodByName(PG_GETARG_TEXT_PP(1));
	int64		k;
	int			d;
	int			rows;
	int			cols;
	int			len;
	const double *cs;
	const int64 *sizes;
	double	   *x;
	double	   *w;
	int64	   *keys;
	double	   *z;
	const double *mean;
	const double *sd;
	ModelBuilder *mb;

	ModelCheckKind(km, PORTRAIT_KIND_KMEANS, "hclust_kmeans");
	k = ModelGetInt(km, "k");
	cs = ModelGetFloatMatrix(km, "centroids_scaled", &rows, &cols);
	d = cols;
	sizes = ModelGetIntArray(km, "sizes", &len);
	if (k > PORTRAIT_HCLUST_MAX_N)
		HcTooMany(k);
	x = palloc(sizeof(double) * d * k);
	memcpy(x, cs, sizeof(double) * d * k);
	w = palloc(sizeof(double) * k);
	keys = palloc(sizeof(int64) * k);
	for (int64 i = 0; i < k; i++)
	{
		if (sizes[i] < 1)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("cluster %lld of the kmeans model is empty", (long long) i + 1),
					 errhint("Fit the kmeans model with fewer clusters.")));
		w[i] = (double) sizes[i];
		keys[i] = i + 1;
	}
	z = HcRun(x, k, d, method, w);
	mean = ModelGetFloatArray(km, "mean", &len);
	sd = ModelGetFloatArray(km, "sd", &len);
	mb = ModelBuild(PORTRAIT_KIND_HIERARCHICAL);
	ModelPutInt(mb, "dim", d);
	ModelPutInt(mb, "n", k);
	ModelPutText(mb, "method", hc_method_names[method]);
	ModelPutBool(mb, "standardize", ModelGetBool(km, "standardize"));
	ModelPutFloatArray(mb, "mean", mean, d);
	ModelPutFloatArray(mb, "sd", sd, d);
	ModelPutIntArray(mb, "keys", keys, (int) k);
	ModelPutFloatMatrix(mb, "merges", z, (int) (k - 1), k > 1 ? 4 : 1);
	ModelPutFloatArray(mb, "weights", w, (int) k);
	PG_RETURN_POINTER(ModelFinish(mb));
}
