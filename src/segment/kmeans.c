/*
 * kmeans.c
 *		K-means segmentation: the kmeans_fit aggregate (model kind "kmeans"),
 *		assignment and distance scoring, centroid profiles, the silhouette
 *		aggregate and the per-iteration step of the streaming trainer.
 *
 * kmeans_fit collects its rows in a portrait.points state and fits in the
 * final function: rows are sorted lexicographically first, so the model does
 * not depend on row order or on how parallel workers split the input.  The
 * fit is exact Lloyd (scikit-learn's semantics for tol, n_init, k-means++
 * and the final assignment step), accelerated with Hamerly's bounds, which
 * skip distance computations that provably cannot change an assignment.
 *
 * Clusters are numbered 1..k: by size, largest first (ties by centroid),
 * except with explicit initial centroids, where cluster j is the one that
 * started from the j-th given centroid.
 */
#include "postgres.h"

#include <ctype.h>
#include <float.h>
#include <math.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(PORTRAIT_NO_AVX2)
#include <immintrin.h>
#define KM_AVX2
#endif

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "common/pg_prng.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/regproc.h"

#include "portrait.h"

#define PORTRAIT_KMEANS_MAX_K			10000
#define PORTRAIT_KMEANS_MAX_DIM			1000
#define PORTRAIT_KMEANS_DEFAULT_N_INIT	10
#define PORTRAIT_KMEANS_MAX_N_INIT		1000
#define PORTRAIT_KMEANS_DEFAULT_MAX_ITER 300
#define PORTRAIT_KMEANS_MAX_MAX_ITER	100000
#define PORTRAIT_KMEANS_DEFAULT_TOL		1e-4
#define PORTRAIT_KMEANS_LABEL_TERMS		3
/* bytes the fit needs per row besides the row itself: label, two bounds */
#define PORTRAIT_KMEANS_ROW_WORK		(sizeof(int32) + 2 * sizeof(double))
/* relative slack on Hamerly's bound tests, larger than their rounding error */
#define PORTRAIT_KMEANS_BOUND_SLACK		1e-9
#define PORTRAIT_SILHOUETTE_DEFAULT_EXACT 10000
#define PORTRAIT_SILHOUETTE_MAX_EXACT	100000
/* coordinates beyond these magnitudes are rescaled: their squares would overflow or underflow */
#define PORTRAIT_SILHOUETTE_SAFE_MAX	1e150
#define PORTRAIT_SILHOUETTE_SAFE_MIN	1e-150

/* portrait.kmeans_memory_limit, in kB */
static int	kmeans_memory_limit = 1024 * 1024;

#ifdef KM_AVX2
/* whether this CPU runs the AVX2 distance kernels */
static bool km_avx2 = false;
#define KmAvx2() km_avx2
#else
#define KmAvx2() false
#endif

typedef enum KmInit
{
	KM_INIT_PLUSPLUS,
	KM_INIT_RANDOM,
	KM_INIT_EXPLICIT
} KmInit;

typedef enum KmAlgorithm
{
	KM_ALG_HAMERLY,
	KM_ALG_LLOYD
} KmAlgorithm;

static const char *const init_names[] = {"k-means++", "random", "explicit"};
static const char *const algorithm_names[] = {"hamerly", "lloyd"};

typedef struct KmOptions
{
	int64		seed;
	int			n_init;
	int			max_iter;
	double		tol;
	KmInit		init;
	double	   *init_centers;	/* rows x cols, original units */
	int			init_rows;
	int			init_cols;
	bool		standardize;
	int			nnames;
	char	  **names;
	KmAlgorithm algorithm;
	int64		sample_size;	/* kmeans_train only */
} KmOptions;

/* Everything one fit works on; the arrays live in the fit's memory context. */
typedef struct KmFit
{
	int64		n;
	int			d;
	int			k;
	double	   *x;				/* n x d, sorted, scaled when standardizing */
	double	   *mean;			/* population mean and sd of the raw features */
	double	   *sd;
	double	   *scale;			/* sd, or 1 where sd is 0 or not standardizing */
	double	   *shift;			/* mean, or 0 when not standardizing */
	double		tol_abs;
	int			max_iter;
	KmAlgorithm algorithm;
	pg_prng_state rng;
	int32	   *labels;
	double	   *upper;			/* Hamerly: bound on distance to own center */
	double	   *lower;			/* Hamerly: bound on distance to any other */
	double	   *sums;			/* k x d */
	int64	   *counts;
	double	   *drift;			/* k: how far each center has moved in this run */
	double	   *half_gap;		/* k: half the distance to the nearest other center */
	double	   *newc;			/* k x d */
	double	   *ct;				/* d x k: the centers transposed */
	double	   *dist;			/* k: scratch distances */
} KmFit;

PG_FUNCTION_INFO_V1(pp_kmeans_fit_trans);
PG_FUNCTION_INFO_V1(pp_kmeans_fit_trans_opts);
PG_FUNCTION_INFO_V1(pp_kmeans_fit_combine);
PG_FUNCTION_INFO_V1(pp_kmeans_fit_final);
PG_FUNCTION_INFO_V1(pp_kmeans_assign);
PG_FUNCTION_INFO_V1(pp_kmeans_distance);
PG_FUNCTION_INFO_V1(pp_kmeans_centroids);
PG_FUNCTION_INFO_V1(pp_kmeans_scale);
PG_FUNCTION_INFO_V1(pp_kmeans_stats_trans);
PG_FUNCTION_INFO_V1(pp_kmeans_stats_combine);
PG_FUNCTION_INFO_V1(pp_kmeans_step_trans);
PG_FUNCTION_INFO_V1(pp_kmeans_step_combine);
PG_FUNCTION_INFO_V1(pp_kmeans_sample);
PG_FUNCTION_INFO_V1(pp_kmeans_train_init);
PG_FUNCTION_INFO_V1(pp_kmeans_train_update);
PG_FUNCTION_INFO_V1(pp_kmeans_train_query);
PG_FUNCTION_INFO_V1(pp_kmeans_train_table);
PG_FUNCTION_INFO_V1(pp_silhouette_trans);
PG_FUNCTION_INFO_V1(pp_silhouette_trans_sample);
PG_FUNCTION_INFO_V1(pp_silhouette_combine);
PG_FUNCTION_INFO_V1(pp_silhouette_final);

/* Settings of the k-means module. */
void
PortraitKmeansInit(void)
{
	DefineCustomIntVariable("portrait.kmeans_memory_limit",
							"Memory kmeans_fit may use for its rows and working arrays.",
							"Above it kmeans_fit stops with an error that points to kmeans_train.",
							&kmeans_memory_limit,
							1024 * 1024, 64, MAX_KILOBYTES,
							PGC_USERSET, GUC_UNIT_KB,
							NULL, NULL, NULL);
#ifdef KM_AVX2
	__builtin_cpu_init();
	km_avx2 = __builtin_cpu_supports("avx2");
#endif
}

/* ---------- checks ---------- */

static void
CheckK(int64 k)
{
	if (k < 1 || k > PORTRAIT_KMEANS_MAX_K)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("k must be between 1 and %d, not %lld", PORTRAIT_KMEANS_MAX_K, (long long) k),
				 errhint("Choose k between 2 and the number of distinct customers; compare several with portrait.silhouette.")));
}

static void
CheckDim(int d)
{
	if (d < 1 || d > PORTRAIT_KMEANS_MAX_DIM)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("features must hold between 1 and %d values, not %d", PORTRAIT_KMEANS_MAX_DIM, d)));
}

/* Rows the memory budget allows for rows of d features. */
static int64
MaxRows(int d)
{
	Size		limit = (Size) kmeans_memory_limit * 1024;

	return (int64) (limit / (sizeof(double) * d + PORTRAIT_KMEANS_ROW_WORK));
}

static void
pg_attribute_noreturn()
OverBudget(int64 n, int d)
{
	ereport(ERROR,
			(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
			 errmsg("kmeans_fit needs more memory than portrait.kmeans_memory_limit allows"),
			 errdetail("%lld rows of %d features need %zu kB; the limit is %d kB.",
					   (long long) n, d,
					   (size_t) (mul_size(n, sizeof(double) * d + PORTRAIT_KMEANS_ROW_WORK) / 1024),
					   kmeans_memory_limit),
			 errhint("Use portrait.kmeans_train, which streams the rows, or raise portrait.kmeans_memory_limit.")));
}

/* ---------- options ---------- */

/* Explicit initial centroids: an array of k arrays of d numbers. */
static void
ParseInitCenters(JsonbValue *v, KmOptions *o, const char *func)
{
	static const char *const should = "\"k-means++\", \"random\" or an array of centroids (arrays of numbers, one per cluster)";
	int			rows;
	JsonbValue *r = PortraitOptionArray(v, func, "init", should, &rows);

	if (rows < 1)
		PortraitBadOption(func, "init", should);
	for (int i = 0; i < rows; i++)
	{
		int			cols;
		JsonbValue *c;

		if (r[i].type != jbvBinary)
			PortraitBadOption(func, "init", should);
		c = PortraitOptionArray(&r[i], func, "init", should, &cols);
		if (i == 0)
		{
			o->init_cols = cols;
			o->init_centers = palloc(sizeof(double) * rows * Max(cols, 1));
		}
		else if (cols != o->init_cols)
			PortraitBadOption(func, "init", psprintf("centroids of one length (centroid %d has %d values, the first %d)",
													 i + 1, cols, o->init_cols));
		for (int j = 0; j < cols; j++)
			o->init_centers[i * cols + j] = PortraitOptionFloat(&c[j], func, "init");
	}
	o->init_rows = rows;
	o->init = KM_INIT_EXPLICIT;
}

/* What ParseOptions's visitor needs. */
typedef struct KmOptionArgs
{
	KmOptions  *o;
	bool		train;
} KmOptionArgs;

static void
KmOption(const char *key, JsonbValue *vp, void *arg)
{
	KmOptionArgs *a = arg;
	KmOptions  *o = a->o;
	const char *func = a->train ? "kmeans_train" : "kmeans_fit";
	JsonbValue	v = *vp;

	if (strcmp(key, "seed") == 0)
		o->seed = PortraitOptionInteger(&v, func, key, PG_INT64_MIN / 2, PG_INT64_MAX / 2);
	else if (strcmp(key, "n_init") == 0)
		o->n_init = PortraitOptionInteger(&v, func, key, 1, PORTRAIT_KMEANS_MAX_N_INIT);
	else if (strcmp(key, "max_iter") == 0)
		o->max_iter = PortraitOptionInteger(&v, func, key, 1, PORTRAIT_KMEANS_MAX_MAX_ITER);
	else if (strcmp(key, "tol") == 0)
		o->tol = PortraitOptionRange(&v, func, key, 0, INFINITY, false, "zero or positive");
	else if (strcmp(key, "init") == 0)
	{
		if (v.type == jbvString)
		{
			char	   *s = pnstrdup(v.val.string.val, v.val.string.len);

			if (strcmp(s, "k-means++") == 0)
				o->init = KM_INIT_PLUSPLUS;
			else if (strcmp(s, "random") == 0)
				o->init = KM_INIT_RANDOM;
			else
				PortraitBadOption(func, key, "\"k-means++\", \"random\" or an array of centroids");
		}
		else
			ParseInitCenters(&v, o, func);
	}
	else if (strcmp(key, "standardize") == 0)
		o->standardize = PortraitOptionBool(&v, func, key);
	else if (strcmp(key, "feature_names") == 0)
		o->names = PortraitOptionNames(&v, func, key, &o->nnames);
	else if (strcmp(key, "algorithm") == 0)
	{
		char	   *s = PortraitOptionString(&v, func, key, "\"hamerly\" or \"lloyd\"");

		if (strcmp(s, "hamerly") == 0)
			o->algorithm = KM_ALG_HAMERLY;
		else if (strcmp(s, "lloyd") == 0)
			o->algorithm = KM_ALG_LLOYD;
		else
			PortraitBadOption(func, key, "\"hamerly\" or \"lloyd\"");
	}
	else if (a->train && strcmp(key, "sample_size") == 0)
		o->sample_size = PortraitOptionInteger(&v, func, key, 1000, PG_INT32_MAX);
	else if (a->train)
		PortraitUnknownOption(func, key, "seed, n_init, max_iter, tol, init, standardize, feature_names, algorithm and sample_size");
	else
		PortraitUnknownOption(func, key, "seed, n_init, max_iter, tol, init, standardize, feature_names and algorithm");
}

/* Options from their canonical JSON text (NULL: all defaults). */
static void
ParseOptions(const char *text, KmOptions *o, bool train)
{
	KmOptionArgs a = {o, train};

	memset(o, 0, sizeof(KmOptions));
	o->n_init = PORTRAIT_KMEANS_DEFAULT_N_INIT;
	o->max_iter = PORTRAIT_KMEANS_DEFAULT_MAX_ITER;
	o->tol = PORTRAIT_KMEANS_DEFAULT_TOL;
	o->init = KM_INIT_PLUSPLUS;
	o->standardize = true;
	o->algorithm = KM_ALG_HAMERLY;
	o->sample_size = 100000;
	if (text == NULL)
		return;
	PortraitForEachOption(DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(text))),
						  train ? "kmeans_train" : "kmeans_fit", KmOption, &a);
	if (o->init == KM_INIT_EXPLICIT)
		o->n_init = 1;
}

/* Options given with k rows of d features: the shapes must agree. */
static void
CheckOptionShapes(const KmOptions *o, int k, int d)
{
	if (o->init == KM_INIT_EXPLICIT && (o->init_rows != k || o->init_cols != d))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("initial centroids must be %d rows of %d values, not %d rows of %d",
						k, d, o->init_rows, o->init_cols),
				 errhint("Give one initial centroid per cluster, each with one value per feature.")));
	if (o->names != NULL && o->nnames != d)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("feature_names must hold %d names, not %d", d, o->nnames)));
}

/* ---------- kmeans_fit: transition ---------- */

/* Per-call-site cache: the last options value and its canonical text. */
typedef struct KmTransCache
{
	PortraitOptionsCache opts;
	int			k;
	double		row[PORTRAIT_KMEANS_MAX_DIM];	/* the row being added */
} KmTransCache;

/* The transition's per-call-site cache, created on the first row. */
static KmTransCache *
TransCache(FunctionCallInfo fcinfo)
{
	if (fcinfo->flinfo->fn_extra == NULL)
		fcinfo->flinfo->fn_extra = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(KmTransCache));
	return fcinfo->flinfo->fn_extra;
}

/*
 * The options text for this row, parsed and checked once per distinct
 * options value (normally once per query).
 */
static const char *
OptionsText(FunctionCallInfo fcinfo, int argno, int k)
{
	KmTransCache *c = TransCache(fcinfo);
	KmOptions	o;

	if (PG_ARGISNULL(argno))
		return "{}";
	if (!PortraitOptionsChanged(&c->opts, fcinfo->flinfo->fn_mcxt, PG_GETARG_JSONB_P(argno)) && c->k == k)
		return c->opts.text;
	c->k = k;

	/* early errors: the options are checked before any row is collected */
	ParseOptions(c->opts.text, &o, false);
	if (o.init == KM_INIT_EXPLICIT && o.init_rows != k)
		CheckOptionShapes(&o, k, o.init_cols);
	return c->opts.text;
}

/* (state, features, k [, options]): collect one row. */
static Datum
KmeansFitTrans(FunctionCallInfo fcinfo, bool has_options)
{
	const double *v;
	int			d;
	int			k;
	const char *opts;
	PointsState *ps;

	if (PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("k must not be NULL")));
	k = PG_GETARG_INT32(2);
	CheckK(k);
	/* a NULL features array is a row without data: skipped */
	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	opts = has_options ? OptionsText(fcinfo, 3, k) : NULL;
	v = TransCache(fcinfo)->row;
	d = PortraitFloatArg(fcinfo, 1, TransCache(fcinfo)->row, PORTRAIT_KMEANS_MAX_DIM, "features");
	CheckDim(d);
	ps = PointsGetState(fcinfo, 0, d, k);
	if (opts != NULL)
		PointsSetAux(ps, opts, strlen(opts));
	if (unlikely(ps->n >= MaxRows(d)))
		OverBudget(ps->n + 1, d);
	PointsAppend(ps, v);
	PG_RETURN_DATUM(EOHPGetRWDatum(&ps->hdr));
}

Datum
pp_kmeans_fit_trans(PG_FUNCTION_ARGS)
{
	return KmeansFitTrans(fcinfo, false);
}

Datum
pp_kmeans_fit_trans_opts(PG_FUNCTION_ARGS)
{
	return KmeansFitTrans(fcinfo, true);
}

Datum
pp_kmeans_fit_combine(PG_FUNCTION_ARGS)
{
	return PointsCombine(fcinfo);
}

/* ---------- the fit ---------- */

static inline double
Dist2(const double *a, const double *b, int d)
{
	double		s = 0;
	int			j = 0;

	/* unrolled by four; the terms are still added in feature order */
	for (; j + 4 <= d; j += 4)
	{
		double		t0 = a[j] - b[j];
		double		t1 = a[j + 1] - b[j + 1];
		double		t2 = a[j + 2] - b[j + 2];
		double		t3 = a[j + 3] - b[j + 3];

		s += t0 * t0;
		s += t1 * t1;
		s += t2 * t2;
		s += t3 * t3;
	}
	for (; j < d; j++)
	{
		double		t = a[j] - b[j];

		s += t * t;
	}
	return s;
}

/* s += x over d values (each sum gets the same single addition as a scalar loop's). */
static inline void
AddRow(double *s, const double *x, int d)
{
	int			j = 0;

#ifdef __SSE2__
	for (; j + 4 <= d; j += 4)
	{
		_mm_storeu_pd(s + j, _mm_add_pd(_mm_loadu_pd(s + j), _mm_loadu_pd(x + j)));
		_mm_storeu_pd(s + j + 2, _mm_add_pd(_mm_loadu_pd(s + j + 2), _mm_loadu_pd(x + j + 2)));
	}
#endif
	for (; j < d; j++)
		s[j] += x[j];
}

/* Centers m x d into ct, d x m (each feature's values of all centers together). */
static void
Transpose(const double *c, int m, int d, double *ct)
{
	for (int j = 0; j < m; j++)
		for (int i = 0; i < d; i++)
			ct[(Size) i * m + j] = c[(Size) j * d + i];
}

/*
 * Squared distances from x to centers c..m-1 given transposed (ct, d x m).
 * Each distance sums the same terms in the same order as Dist2, so the
 * values are Dist2's; SSE2 just computes two centers per instruction.
 */
static inline void
DistManyFrom(const double *x, const double *ct, int m, int c, int d, double *out)
{
#ifdef __SSE2__
	for (; c + 2 <= m; c += 2)
	{
		__m128d		s0 = _mm_setzero_pd();

		for (int j = 0; j < d; j++)
		{
			__m128d		t0 = _mm_sub_pd(_mm_set1_pd(x[j]), _mm_loadu_pd(ct + (Size) j * m + c));

			s0 = _mm_add_pd(s0, _mm_mul_pd(t0, t0));
		}
		_mm_storeu_pd(out + c, s0);
	}
#endif
	for (; c < m; c++)
	{
		double		s = 0;

		for (int j = 0; j < d; j++)
		{
			double		t = x[j] - ct[(Size) j * m + c];

			s += t * t;
		}
		out[c] = s;
	}
}

#ifdef KM_AVX2
/*
 * DistMany with AVX2, four centers per instruction.  Multiplications and
 * additions stay separate instructions (no FMA), so the values are exactly
 * the portable kernel's.
 */
__attribute__((target("avx2")))
static void
DistManyAvx2(const double *x, const double *ct, int m, int d, double *out)
{
	int			c = 0;

	for (; c + 8 <= m; c += 8)
	{
		__m256d		s0 = _mm256_setzero_pd();
		__m256d		s1 = _mm256_setzero_pd();

		for (int j = 0; j < d; j++)
		{
			__m256d		xj = _mm256_broadcast_sd(x + j);
			__m256d		t0 = _mm256_sub_pd(xj, _mm256_loadu_pd(ct + (Size) j * m + c));
			__m256d		t1 = _mm256_sub_pd(xj, _mm256_loadu_pd(ct + (Size) j * m + c + 4));

			s0 = _mm256_add_pd(s0, _mm256_mul_pd(t0, t0));
			s1 = _mm256_add_pd(s1, _mm256_mul_pd(t1, t1));
		}
		_mm256_storeu_pd(out + c, s0);
		_mm256_storeu_pd(out + c + 4, s1);
	}
	for (; c + 4 <= m; c += 4)
	{
		__m256d		s0 = _mm256_setzero_pd();

		for (int j = 0; j < d; j++)
		{
			__m256d		t0 = _mm256_sub_pd(_mm256_broadcast_sd(x + j), _mm256_loadu_pd(ct + (Size) j * m + c));

			s0 = _mm256_add_pd(s0, _mm256_mul_pd(t0, t0));
		}
		_mm256_storeu_pd(out + c, s0);
	}
	DistManyFrom(x, ct, m, c, d, out);
}
#endif

#ifdef KM_AVX2
/* DistBound with AVX2 (the terms added four at a time). */
__attribute__((target("avx2")))
static double
DistBoundAvx2(const double *a, const double *b, int d)
{
	__m256d		s4 = _mm256_setzero_pd();
	__m128d		s2;
	double		s;
	int			j = 0;

	for (; j + 4 <= d; j += 4)
	{
		__m256d		t = _mm256_sub_pd(_mm256_loadu_pd(a + j), _mm256_loadu_pd(b + j));

		s4 = _mm256_add_pd(s4, _mm256_mul_pd(t, t));
	}
	s2 = _mm_add_pd(_mm256_castpd256_pd128(s4), _mm256_extractf128_pd(s4, 1));
	s = _mm_cvtsd_f64(_mm_add_sd(s2, _mm_unpackhi_pd(s2, s2)));
	for (; j < d; j++)
	{
		double		t = a[j] - b[j];

		s += t * t;
	}
	return s;
}
#endif

/*
 * Distance (not squared) for Hamerly's upper bounds, where only accuracy
 * matters, not which order the terms are added in: the bound tests allow
 * for far more than the rounding differences.
 */
static inline double
DistBound(const double *a, const double *b, int d)
{
#ifdef KM_AVX2
	if (km_avx2)
		return sqrt(DistBoundAvx2(a, b, d));
#endif
	return sqrt(Dist2(a, b, d));
}

/* Squared distances from x to the m centers given transposed (ct, d x m). */
static inline void
DistMany(const double *x, const double *ct, int m, int d, double *out)
{
#ifdef KM_AVX2
	if (km_avx2)
	{
		DistManyAvx2(x, ct, m, d, out);
		return;
	}
#endif
	DistManyFrom(x, ct, m, 0, d, out);
}

/*
 * Nearest center of x (lowest index on ties) given the transposed centers;
 * its and the runner-up's squared distance.  dist is scratch for k values.
 */
static inline int
Nearest2(const double *x, const double *ct, int k, int d, double *dist, double *best, double *second)
{
	int			a = 0;
	double		b1 = DBL_MAX;
	double		b2 = DBL_MAX;

	DistMany(x, ct, k, d, dist);
	for (int j = 0; j < k; j++)
	{
		double		t = dist[j];

		if (t < b1)
		{
			b2 = b1;
			b1 = t;
			a = j;
		}
		else if (t < b2)
			b2 = t;
	}
	*best = b1;
	*second = b2;
	return a;
}

/* Nearest center of x (lowest index on ties) and its squared distance. */
static inline int
Nearest1(const double *x, const double *ct, int k, int d, double *dist, double *best)
{
	int			a = 0;
	double		b1;

	DistMany(x, ct, k, d, dist);
	b1 = dist[0];
	for (int j = 1; j < k; j++)
		if (dist[j] < b1)
		{
			b1 = dist[j];
			a = j;
		}
	*best = b1;
	return a;
}

static int
CmpInt64(const void *a, const void *b)
{
	int64		x = *(const int64 *) a;
	int64		y = *(const int64 *) b;

	return (x > y) - (x < y);
}

/* Rows that differ from their predecessor in the sorted data. */
static int64
CountDistinct(const double *x, int64 n, int d)
{
	int64		m = n > 0 ? 1 : 0;

	for (int64 i = 1; i < n; i++)
		if (PointsCompareRows(x + (i - 1) * d, x + i * d, &d) != 0)
			m++;
	return m;
}

/*
 * Population mean and sd of each feature; with standardize, replace the
 * data by z-scores (a constant feature has scale 1 and becomes 0).  The
 * absolute tolerance is tol times the mean variance of the data clustered.
 */
static void
Standardize(KmFit *f, bool standardize, double tol)
{
	int			d = f->d;
	double		varsum = 0;

	double	   *var = palloc(sizeof(double) * d);

	PortraitColumnMoments(f->x, f->n, d, 0, d, f->mean, var);
	for (int j = 0; j < d; j++)
	{
		f->sd[j] = sqrt(var[j]);
		f->scale[j] = (standardize && f->sd[j] > 0) ? f->sd[j] : 1.0;
		f->shift[j] = standardize ? f->mean[j] : 0.0;
		varsum += var[j] / (f->scale[j] * f->scale[j]);
	}
	pfree(var);
	if (standardize)
		for (int64 i = 0; i < f->n; i++)
			for (int j = 0; j < d; j++)
				f->x[i * d + j] = (f->x[i * d + j] - f->shift[j]) / f->scale[j];
	f->tol_abs = tol * varsum / d;
}

#ifdef KM_AVX2
/* ScoreCandidates with AVX2: four candidates per instruction, lane by lane the same sums. */
__attribute__((target("avx2")))
static void
ScoreCandidatesAvx2(const KmFit *f, const double *cc, int tp, double *cpot)
{
	int			d = f->d;
	const double *ct = f->ct;
	const __m256d four = _mm256_set1_pd(4);
	const __m256d slack = _mm256_set1_pd(1 + PORTRAIT_KMEANS_BOUND_SLACK);

	for (int b = 0; b < tp; b += 4)
	{
		__m256d		acc = _mm256_setzero_pd();

		for (int64 i = 0; i < f->n; i++)
		{
			const double *xi = f->x + i * d;
			__m256d		cl;
			__m256d		far;
			__m256d		g;

			PORTRAIT_ROW_INTERRUPTS(i);
			cl = _mm256_broadcast_sd(f->upper + i);
			far = _mm256_mul_pd(_mm256_mul_pd(four, cl), slack);
			g = _mm256_loadu_pd(cc + (Size) f->labels[i] * tp + b);

			if (_mm256_movemask_pd(_mm256_cmp_pd(g, far, _CMP_GE_OQ)) != 0xF)
			{
				__m256d		s = _mm256_setzero_pd();

				for (int j = 0; j < d; j++)
				{
					__m256d		t = _mm256_sub_pd(_mm256_broadcast_sd(xi + j),
												  _mm256_loadu_pd(ct + (Size) j * tp + b));

					s = _mm256_add_pd(s, _mm256_mul_pd(t, t));
				}
				cl = _mm256_min_pd(cl, s);
			}
			acc = _mm256_add_pd(acc, cl);
		}
		_mm256_storeu_pd(cpot + b, acc);
	}
}
#endif

/*
 * The potential of each k-means++ candidate: the sum over the rows of
 * min(closest, squared distance to the candidate).  The candidates are in
 * f->ct (d x tp), cc holds their squared distances to the chosen centers
 * (row stride tp), closest and nearest center are f->upper and f->labels.
 *
 * Most distances need not be computed: if a candidate is at least twice as
 * far from a row's nearest center as the row is, the triangle inequality
 * says the candidate cannot come closer to the row than that center, so
 * the term is closest whatever the distance.  The test keeps a relative
 * margin far above rounding error, so every sum is the full computation's.
 */
static void
ScoreCandidates(KmFit *f, const double *cc, int trials, int tp, double *cpot)
{
#ifdef KM_AVX2
	if (km_avx2)
	{
		ScoreCandidatesAvx2(f, cc, tp, cpot);
		return;
	}
#endif
	for (int t = 0; t < trials; t++)
		cpot[t] = 0;
	for (int64 i = 0; i < f->n; i++)
	{
		const double *g = cc + f->labels[i] * tp;
		double		cl = f->upper[i];
		double		far = 4 * cl * (1 + PORTRAIT_KMEANS_BOUND_SLACK);
		int			t = 0;

		PORTRAIT_ROW_INTERRUPTS(i);
		while (t < trials && g[t] >= far)
			t++;
		if (t == trials)
		{
			for (t = 0; t < trials; t++)
				cpot[t] += cl;
			continue;
		}
		DistMany(f->x + i * f->d, f->ct, tp, f->d, f->dist);
		for (t = 0; t < trials; t++)
			cpot[t] += Min(cl, f->dist[t]);
	}
}

/*
 * Greedy k-means++ (scikit-learn's: 2 + ln k candidates per center, the one
 * that lowers the potential most wins).  All candidates of a step are
 * scored in one pass over the rows.  On return labels[i] is the row's
 * nearest center (the lowest on ties) and upper[i] its squared distance,
 * which is the first Lloyd assignment.
 */
static void
SeedPlusPlus(KmFit *f, double *centers)
{
	int64		n = f->n;
	int			d = f->d;
	int			trials = 2 + (int) log(f->k);
	/* candidates padded to whole vectors for the AVX2 kernel */
	int			tp = KmAvx2() ? (trials + 3) / 4 * 4 : trials;
	double	   *closest = f->upper;
	double	   *cum = f->lower;
	int32	   *near = f->labels;
	int64	   *cand = palloc(sizeof(int64) * trials);
	double	   *cpot = palloc(sizeof(double) * tp);
	/* squared distances between the centers chosen so far and the candidates */
	double	   *cc = palloc(sizeof(double) * f->k * tp);
	int64		first = (int64) pg_prng_uint64_range(&f->rng, 0, n - 1);
	double		acc = 0;

	memcpy(centers, f->x + first * d, sizeof(double) * d);
	for (int64 i = 0; i < n; i++)
	{
		closest[i] = Dist2(f->x + i * d, centers, d);
		near[i] = 0;
		acc += closest[i];
		cum[i] = acc;
	}
	for (int c = 1; c < f->k; c++)
	{
		int			best = 0;
		const double *bx;

		CHECK_FOR_INTERRUPTS();
		for (int t = 0; t < trials; t++)
		{
			double		r = pg_prng_double(&f->rng) * acc;
			int64		lo = 0;
			int64		hi = n - 1;

			/* first row whose cumulative weight exceeds r */
			while (lo < hi)
			{
				int64		mid = lo + (hi - lo) / 2;

				if (cum[mid] > r)
					hi = mid;
				else
					lo = mid + 1;
			}
			while (lo > 0 && closest[lo] == 0)
				lo--;
			cand[t] = lo;
		}
		/* padding lanes: a copy of the first candidate, never computed */
		for (int j = 0; j < c; j++)
			for (int t = 0; t < tp; t++)
				cc[j * tp + t] = t < trials ?
					Dist2(centers + (Size) j * d, f->x + cand[t] * d, d) : DBL_MAX;
		for (int t = 0; t < tp; t++)
			for (int j = 0; j < d; j++)
				f->ct[(Size) j * tp + t] = f->x[cand[t < trials ? t : 0] * d + j];
		ScoreCandidates(f, cc, trials, tp, cpot);
		for (int t = 1; t < trials; t++)
			if (cpot[t] < cpot[best])
				best = t;
		bx = f->x + cand[best] * d;
		memcpy(centers + (Size) c * d, bx, sizeof(double) * d);
		acc = 0;
		for (int64 i = 0; i < n; i++)
		{
			if (cc[near[i] * tp + best] < 4 * closest[i] * (1 + PORTRAIT_KMEANS_BOUND_SLACK))
			{
				double		t = Dist2(f->x + i * d, bx, d);

				if (t < closest[i])
				{
					closest[i] = t;
					near[i] = c;
				}
			}
			acc += closest[i];
			cum[i] = acc;
		}
	}
	pfree(cand);
	pfree(cpot);
	pfree(cc);
}

/* k distinct rows chosen uniformly among the distinct rows. */
static void
SeedRandom(KmFit *f, double *centers)
{
	int32	   *idx = f->labels;
	int64		m = 0;

	for (int64 i = 0; i < f->n; i++)
		if (i == 0 || PointsCompareRows(f->x + (i - 1) * f->d, f->x + i * f->d, &f->d) != 0)
			idx[m++] = (int32) i;
	for (int c = 0; c < f->k; c++)
	{
		int64		j = (int64) pg_prng_uint64_range(&f->rng, c, m - 1);
		int32		t = idx[c];

		idx[c] = idx[j];
		idx[j] = t;
		memcpy(centers + (Size) c * f->d, f->x + (int64) idx[c] * f->d, sizeof(double) * f->d);
	}
}

/*
 * An empty cluster gets the row farthest from its own center (scikit-learn's
 * rule); that row leaves its old cluster's sums.  Rare, so the exact
 * distances are recomputed here.
 */
static void
RelocateEmpty(KmFit *f, const double *centers)
{
	int			d = f->d;

	for (int j = 0; j < f->k; j++)
	{
		int64		far = -1;
		double		fard = -1;

		if (f->counts[j] > 0)
			continue;
		for (int64 i = 0; i < f->n; i++)
		{
			int			a = f->labels[i];
			double		t;

			PORTRAIT_ROW_INTERRUPTS(i);
			if (f->counts[a] <= 1)
				continue;
			t = Dist2(f->x + i * d, centers + (Size) a * d, d);
			if (t > fard)
			{
				fard = t;
				far = i;
			}
		}
		if (far < 0)
			continue;
		for (int c = 0; c < d; c++)
		{
			f->sums[(Size) f->labels[far] * d + c] -= f->x[far * d + c];
			f->sums[(Size) j * d + c] = f->x[far * d + c];
		}
		f->counts[f->labels[far]]--;
		f->counts[j] = 1;
	}
}

/* Half the distance from each center to its nearest other center. */
static void
HalfGaps(KmFit *f, const double *centers)
{
	for (int j = 0; j < f->k; j++)
		f->half_gap[j] = DBL_MAX;
	for (int j = 0; j < f->k; j++)
		for (int l = j + 1; l < f->k; l++)
		{
			double		g = 0.5 * sqrt(Dist2(centers + (Size) j * f->d, centers + (Size) l * f->d, f->d));

			f->half_gap[j] = Min(f->half_gap[j], g);
			f->half_gap[l] = Min(f->half_gap[l], g);
		}
}

/*
 * The assignment step of one Lloyd iteration, and each row added to its
 * cluster's sums (f->sums and f->counts, zeroed by the caller) in row
 * order.  Returns how many rows changed cluster.
 *
 * With Hamerly's bounds a row whose bounds prove its center nearest keeps
 * it without computing every distance.  The bounds are kept relative to
 * how far the centers have moved since the start (f->drift[j]: center j's
 * total move; drift: the total of each update's largest move), so a row
 * whose bounds settle it is only read, not written: its upper bound is
 * upper[i] + f->drift[a], its lower bound lower[i] - drift.  (Hamerly
 * lowers the lower bound of the rows of the center that moved most by the
 * second largest move only; the largest for all is looser but as valid.)
 * Always inlined with a constant flag, so each case gets a loop of its own;
 * the arrays are read through locals because the compiler cannot assume
 * stores to them leave f alone.
 */
static pg_attribute_always_inline int64
LloydPass(KmFit *f, const double *centers, bool hamerly, double drift)
{
	const int64 n = f->n;
	const int	d = f->d;
	const int	k = f->k;
	const double *x = f->x;
	const double *ct = f->ct;
	const double *moved = f->drift;
	const double *half_gap = f->half_gap;
	int32	   *labels = f->labels;
	double	   *upper = f->upper;
	double	   *lower = f->lower;
	double	   *sums = f->sums;
	int64	   *counts = f->counts;
	double	   *dist = f->dist;
	int64		changed = 0;

	for (int64 i = 0; i < n; i++)
	{
		const double *xi = x + i * d;
		int			a = labels[i];
		double		b1;
		double		b2;
		int			na;

		PORTRAIT_ROW_INTERRUPTS(i);
		if (hamerly && a >= 0)
		{
			double		u = upper[i] + moved[a];
			double		m = Max(half_gap[a], lower[i] - drift);

			if (u * (1 + PORTRAIT_KMEANS_BOUND_SLACK) < m)
				goto add;
			u = DistBound(xi, centers + (Size) a * d, d);
			upper[i] = u - moved[a];
			if (u * (1 + PORTRAIT_KMEANS_BOUND_SLACK) < m)
				goto add;
		}
		na = Nearest2(xi, ct, k, d, dist, &b1, &b2);
		if (na != a)
		{
			changed++;
			labels[i] = a = na;
		}
		if (hamerly)
		{
			upper[i] = sqrt(b1) - moved[a];
			lower[i] = sqrt(b2) + drift;
		}
add:
		AddRow(sums + (Size) a * d, xi, d);
		counts[a]++;
	}
	return changed;
}

/*
 * Lloyd iterations from the given centers, updated in place.  Returns the
 * iterations run; *converged says whether tol (or unchanged labels) ended
 * them.  Hamerly's bounds only skip work: assignments equal plain Lloyd's.
 *
 * One pass over the rows per iteration (LloydPass): each row's assignment
 * is checked and the row added to its cluster's sums, which therefore still
 * add up the rows in row order.  On return the bounds are absolute again.
 */
static int
Lloyd(KmFit *f, double *centers, bool seeded, bool *converged)
{
	int64		n = f->n;
	int			d = f->d;
	int			k = f->k;
	bool		hamerly = f->algorithm == KM_ALG_HAMERLY && k > 1;
	int			it;
	double		drift = 0;

	*converged = false;
	memset(f->drift, 0, sizeof(double) * k);
	if (hamerly && seeded)
	{
		/* k-means++ left each row's nearest center and squared distance */
		for (int64 i = 0; i < n; i++)
		{
			f->upper[i] = sqrt(f->upper[i]);
			f->lower[i] = 0;
		}
	}
	else
		for (int64 i = 0; i < n; i++)
			f->labels[i] = -1;
	for (it = 0; it < f->max_iter; it++)
	{
		int64		changed;
		double		shift = 0;
		double		max1 = 0;

		CHECK_FOR_INTERRUPTS();
		Transpose(centers, k, d, f->ct);
		if (hamerly)
			HalfGaps(f, centers);
		memset(f->sums, 0, sizeof(double) * k * d);
		memset(f->counts, 0, sizeof(int64) * k);
		if (hamerly)
			changed = LloydPass(f, centers, true, drift);
		else
			changed = LloydPass(f, centers, false, 0);

		/* new centers: means of the clusters */
		for (int j = 0; j < k; j++)
			if (f->counts[j] == 0)
			{
				RelocateEmpty(f, centers);
				break;
			}
		for (int j = 0; j < k; j++)
		{
			double	   *nc = f->newc + (Size) j * d;
			double		mv;

			if (f->counts[j] == 0)
				memcpy(nc, centers + (Size) j * d, sizeof(double) * d);
			else
				for (int c = 0; c < d; c++)
					nc[c] = f->sums[(Size) j * d + c] / f->counts[j];
			mv = Dist2(nc, centers + (Size) j * d, d);
			shift += mv;
			mv = sqrt(mv);
			f->drift[j] += mv;
			max1 = Max(max1, mv);
		}
		drift += max1;
		memcpy(centers, f->newc, sizeof(double) * k * d);

		/* scikit-learn's tests: unchanged labels, or total squared shift <= tol */
		if ((it > 0 && changed == 0) || shift <= f->tol_abs)
		{
			*converged = true;
			it++;
			break;
		}
	}
	/* the bounds back in absolute terms, for AssignAll */
	if (hamerly)
		for (int64 i = 0; i < n; i++)
		{
			f->upper[i] += f->drift[f->labels[i]];
			f->lower[i] -= drift;
		}
	return it;
}

/*
 * Final assignment: labels, sizes and inertia of the given centers.  With
 * Hamerly's bounds (current for these centers after Lloyd) a row whose
 * bounds prove its center nearest only needs that one distance.
 */
static double
AssignAll(KmFit *f, const double *centers)
{
	double		inertia = 0;
	bool		hamerly = f->algorithm == KM_ALG_HAMERLY && f->k > 1;

	if (hamerly)
		HalfGaps(f, centers);
	Transpose(centers, f->k, f->d, f->ct);
	memset(f->counts, 0, sizeof(int64) * f->k);
	for (int64 i = 0; i < f->n; i++)
	{
		const double *xi = f->x + i * f->d;
		double		b1;
		int			a = f->labels[i];

		CHECK_FOR_INTERRUPTS();
		if (hamerly)
		{
			double		m = Max(f->half_gap[a], f->lower[i]);

			b1 = Dist2(xi, centers + (Size) a * f->d, f->d);
			if (Min(f->upper[i], sqrt(b1)) * (1 + PORTRAIT_KMEANS_BOUND_SLACK) >= m)
				a = Nearest1(xi, f->ct, f->k, f->d, f->dist, &b1);
		}
		else
			a = Nearest1(xi, f->ct, f->k, f->d, f->dist, &b1);
		f->labels[i] = a;
		f->counts[a]++;
		inertia += b1;
	}
	return inertia;
}

/* Cluster order for numbering: larger first, then by centroid. */
typedef struct KmOrder
{
	int64		size;
	const double *c;
	int			d;
	int			j;
} KmOrder;

static int
CmpClusters(const void *a, const void *b)
{
	const KmOrder *x = a;
	const KmOrder *y = b;
	int			d = x->d;
	int			r;

	if (x->size != y->size)
		return x->size > y->size ? -1 : 1;
	r = PointsCompareRows(x->c, y->c, &d);
	if (r != 0)
		return r;
	return (x->j > y->j) - (x->j < y->j);
}

/* Result of a fit, before it becomes a model. */
typedef struct KmResult
{
	double	   *centers;		/* k x d, scaled space */
	int64	   *sizes;
	double		inertia;
	int			iterations;
	bool		converged;
} KmResult;

/*
 * Fit k clusters to the n x d rows at x (sorted and standardized here, in
 * place).  The caller has checked the memory budget.
 */
static void
FitKmeans(KmFit *f, const KmOptions *o, KmResult *res)
{
	int			k = f->k;
	int			d = f->d;
	double	   *centers = palloc(sizeof(double) * k * d);
	int64		distinct;

	PointsSortRows(f->x, f->n, f->d);
	distinct = CountDistinct(f->x, f->n, d);
	if (k > distinct)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("k = %d is larger than the number of distinct rows, %lld", k, (long long) distinct),
				 errhint("Choose a k no larger than the number of distinct feature vectors.")));

	f->mean = palloc(sizeof(double) * d);
	f->sd = palloc(sizeof(double) * d);
	f->scale = palloc(sizeof(double) * d);
	f->shift = palloc(sizeof(double) * d);
	Standardize(f, o->standardize, o->tol);
	f->max_iter = o->max_iter;
	f->algorithm = o->algorithm;
	pg_prng_seed(&f->rng, (uint64) o->seed);

	f->labels = palloc_extended(mul_size(sizeof(int32), f->n), MCXT_ALLOC_HUGE);
	f->upper = palloc_extended(mul_size(sizeof(double), f->n), MCXT_ALLOC_HUGE);
	f->lower = palloc_extended(mul_size(sizeof(double), f->n), MCXT_ALLOC_HUGE);
	f->sums = palloc(sizeof(double) * k * d);
	f->newc = palloc(sizeof(double) * k * d);
	f->counts = palloc(sizeof(int64) * k);
	f->drift = palloc(sizeof(double) * k);
	f->half_gap = palloc(sizeof(double) * k);
	f->ct = palloc(sizeof(double) * (k + 16) * d);
	f->dist = palloc(sizeof(double) * (k + 16));

	res->centers = palloc(sizeof(double) * k * d);
	res->sizes = palloc(sizeof(int64) * k);
	res->inertia = DBL_MAX;
	res->iterations = 0;
	res->converged = false;
	for (int run = 0; run < o->n_init; run++)
	{
		bool		conv;
		int			iters;
		double		inertia;

		if (o->init == KM_INIT_EXPLICIT)
		{
			for (int j = 0; j < k; j++)
				for (int c = 0; c < d; c++)
					centers[j * d + c] = (o->init_centers[j * d + c] - f->shift[c]) / f->scale[c];
		}
		else if (o->init == KM_INIT_RANDOM)
			SeedRandom(f, centers);
		else
			SeedPlusPlus(f, centers);
		iters = Lloyd(f, centers, o->init == KM_INIT_PLUSPLUS, &conv);
		inertia = AssignAll(f, centers);
		/* the first run with the lowest inertia wins */
		if (inertia < res->inertia)
		{
			res->inertia = inertia;
			res->iterations = iters;
			res->converged = conv;
			memcpy(res->centers, centers, sizeof(double) * k * d);
			memcpy(res->sizes, f->counts, sizeof(int64) * k);
		}
	}

	if (o->init != KM_INIT_EXPLICIT)
	{
		KmOrder    *ord = palloc(sizeof(KmOrder) * k);

		for (int j = 0; j < k; j++)
		{
			ord[j].size = res->sizes[j];
			ord[j].c = res->centers + (Size) j * d;
			ord[j].d = d;
			ord[j].j = j;
		}
		qsort(ord, k, sizeof(KmOrder), CmpClusters);
		for (int j = 0; j < k; j++)
		{
			memcpy(centers + (Size) j * d, ord[j].c, sizeof(double) * d);
			f->counts[j] = ord[j].size;
		}
		memcpy(res->centers, centers, sizeof(double) * k * d);
		memcpy(res->sizes, f->counts, sizeof(int64) * k);
	}
}

/* ---------- the model ---------- */

static const ModelFieldSpec kmeans_fields[] = {
	{"k", MF_INT, true},
	{"dim", MF_INT, true},
	{"n", MF_INT, true},
	{"feature_names", MF_TEXT_ARRAY, false},
	{"standardize", MF_BOOL, true},
	{"mean", MF_FLOAT_ARRAY, true},
	{"sd", MF_FLOAT_ARRAY, true},
	{"centroids", MF_FLOAT_MATRIX, true},
	{"centroids_scaled", MF_FLOAT_MATRIX, true},
	{"sizes", MF_INT_ARRAY, true},
	{"inertia", MF_FLOAT, true},
	{"iterations", MF_INT, true},
	{"converged", MF_BOOL, true},
	{"seed", MF_INT, false},
	{"n_init", MF_INT, false},
	{"init", MF_TEXT, false},
	{"algorithm", MF_TEXT, false},
	{"trainer", MF_TEXT, false},
};

static void
pg_attribute_noreturn()
BadKmeansModel(const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid portrait.model"),
			 errdetail("%s", detail)));
}

/* Cross-field checks of a kmeans model. */
static void
KmeansValidate(const PortraitModel *m)
{
	int64		k = ModelGetInt(m, "k");
	int64		d = ModelGetInt(m, "dim");
	int64		n = ModelGetInt(m, "n");
	int			rows;
	int			cols;
	int			len;
	const int64 *sizes;
	const double *sd;
	int64		total = 0;

	if (k < 1 || k > PORTRAIT_KMEANS_MAX_K || d < 1 || d > PORTRAIT_KMEANS_MAX_DIM || n < k)
		BadKmeansModel("A kmeans model needs 1 <= k <= n and 1 <= dim <= 1000.");
	ModelGetFloatMatrix(m, "centroids", &rows, &cols);
	if (rows != k || cols != d)
		BadKmeansModel("Field \"centroids\" must be k rows of dim numbers.");
	ModelGetFloatMatrix(m, "centroids_scaled", &rows, &cols);
	if (rows != k || cols != d)
		BadKmeansModel("Field \"centroids_scaled\" must be k rows of dim numbers.");
	ModelGetFloatArray(m, "mean", &len);
	if (len != d)
		BadKmeansModel("Field \"mean\" must hold dim numbers.");
	sd = ModelGetFloatArray(m, "sd", &len);
	if (len != d)
		BadKmeansModel("Field \"sd\" must hold dim numbers.");
	for (int j = 0; j < d; j++)
		if (sd[j] < 0)
			BadKmeansModel("Field \"sd\" must not hold negative numbers.");
	sizes = ModelGetIntArray(m, "sizes", &len);
	if (len != k)
		BadKmeansModel("Field \"sizes\" must hold k counts.");
	for (int j = 0; j < k; j++)
	{
		if (sizes[j] < 0)
			BadKmeansModel("Field \"sizes\" must not hold negative counts.");
		total += sizes[j];
	}
	if (total != n)
		BadKmeansModel("Field \"sizes\" must add up to n.");
	if (ModelGetField(m, "feature_names") != NULL &&
		ModelGetField(m, "feature_names")->rows != d)
		BadKmeansModel("Field \"feature_names\" must hold dim names.");
	if (ModelGetFloat(m, "inertia") < 0)
		BadKmeansModel("Field \"inertia\" must not be negative.");
}

const ModelKindSpec KmeansModelKind = {
	PORTRAIT_KIND_KMEANS, "kmeans", kmeans_fields, lengthof(kmeans_fields), KmeansValidate
};

/* Build the model of a fit (centroids_scaled as fitted, centroids in original units). */
static PortraitModel *
KmeansToModel(const KmFit *f, const KmOptions *o, const KmResult *r, const char *trainer)
{
	ModelBuilder *mb = ModelBuild(PORTRAIT_KIND_KMEANS);
	int			k = f->k;
	int			d = f->d;
	double	   *orig = palloc(sizeof(double) * k * d);

	for (int j = 0; j < k; j++)
		for (int c = 0; c < d; c++)
			orig[j * d + c] = r->centers[j * d + c] * f->scale[c] + f->shift[c];
	ModelPutInt(mb, "k", k);
	ModelPutInt(mb, "dim", d);
	ModelPutInt(mb, "n", f->n);
	if (o->names != NULL)
		ModelPutTextArray(mb, "feature_names", (const char *const *) o->names, o->nnames);
	ModelPutBool(mb, "standardize", o->standardize);
	ModelPutFloatArray(mb, "mean", f->mean, d);
	ModelPutFloatArray(mb, "sd", f->sd, d);
	ModelPutFloatMatrix(mb, "centroids", orig, k, d);
	ModelPutFloatMatrix(mb, "centroids_scaled", r->centers, k, d);
	ModelPutIntArray(mb, "sizes", r->sizes, k);
	ModelPutFloat(mb, "inertia", r->inertia);
	ModelPutInt(mb, "iterations", r->iterations);
	ModelPutBool(mb, "converged", r->converged);
	ModelPutInt(mb, "seed", o->seed);
	ModelPutInt(mb, "n_init", o->n_init);
	ModelPutText(mb, "init", init_names[o->init]);
	ModelPutText(mb, "algorithm", algorithm_names[o->algorithm]);
	ModelPutText(mb, "trainer", trainer);
	return ModelFinish(mb);
}

/*
 * Final function: sort, standardize and fit in a context of its own (the
 * rows are sorted in place: the aggregate is FINALFUNC_MODIFY = READ_WRITE).
 */
Datum
pp_kmeans_fit_final(PG_FUNCTION_ARGS)
{
	PointsState *ps;
	KmOptions	o;
	KmFit		f;
	KmResult	r;
	MemoryContext cxt;
	MemoryContext old;
	PortraitModel *m;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	ps = PointsRead(PG_GETARG_DATUM(0));
	if (ps->n == 0)
		PG_RETURN_NULL();
	if (ps->n > MaxRows(ps->dim))
		OverBudget(ps->n, ps->dim);
	/* sort keys, then labels and Hamerly's two bounds */
	PointsCheckFit(ps, PORTRAIT_POINTS_SORT_BYTES + sizeof(int32) + 2 * sizeof(double));

	cxt = AllocSetContextCreate(CurrentMemoryContext, "kmeans_fit", ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(cxt);
	ParseOptions(ps->aux, &o, false);
	CheckOptionShapes(&o, (int) ps->param, ps->dim);
	memset(&f, 0, sizeof(f));
	f.n = ps->n;
	f.d = ps->dim;
	f.k = (int) ps->param;
	f.x = ps->values;
	FitKmeans(&f, &o, &r);
	MemoryContextSwitchTo(old);
	m = KmeansToModel(&f, &o, &r, "kmeans_fit");
	MemoryContextDelete(cxt);
	PG_RETURN_POINTER(m);
}

/* ---------- using a model ---------- */

typedef struct KmModel
{
	int			k;
	int			d;
	int64		n;
	double	   *ct;				/* d x k: centers (scaled space), transposed */
	double	   *shift;
	double	   *scale;
	double	   *row;			/* scratch: one scaled row */
	double	   *dist;			/* scratch: k distances */
} KmModel;

static void *
KmeansParse(const PortraitModel *m, MemoryContext cxt)
{
	KmModel    *km = MemoryContextAllocZero(cxt, sizeof(KmModel));
	bool		standardize = ModelGetBool(m, "standardize");
	int			rows;
	int			cols;
	int			len;
	const double *mean = ModelGetFloatArray(m, "mean", &len);
	const double *sd = ModelGetFloatArray(m, "sd", &len);
	const double *c = ModelGetFloatMatrix(m, "centroids_scaled", &rows, &cols);

	km->k = rows;
	km->d = cols;
	km->n = ModelGetInt(m, "n");
	km->ct = MemoryContextAlloc(cxt, sizeof(double) * rows * cols);
	Transpose(c, rows, cols, km->ct);
	km->dist = MemoryContextAlloc(cxt, sizeof(double) * rows);
	km->shift = MemoryContextAlloc(cxt, sizeof(double) * cols);
	km->scale = MemoryContextAlloc(cxt, sizeof(double) * cols);
	km->row = MemoryContextAlloc(cxt, sizeof(double) * cols);
	for (int j = 0; j < cols; j++)
	{
		km->shift[j] = standardize ? mean[j] : 0.0;
		km->scale[j] = (standardize && sd[j] > 0) ? sd[j] : 1.0;
	}
	return km;
}

/* x = (x - shift) / scale, elementwise (SSE2 two at a time, the same values). */
static inline void
ScaleRow(double *x, const double *shift, const double *scale, int d)
{
	int			j = 0;

#ifdef __SSE2__
	for (; j + 2 <= d; j += 2)
		_mm_storeu_pd(x + j, _mm_div_pd(_mm_sub_pd(_mm_loadu_pd(x + j), _mm_loadu_pd(shift + j)),
										_mm_loadu_pd(scale + j)));
#endif
	for (; j < d; j++)
		x[j] = (x[j] - shift[j]) / scale[j];
}

/*
 * The features argument at argno in the model's space, in km->row; the
 * model must have been fitted on as many features.  func names the caller
 * in messages.
 */
static const double *
ScaledArg(FunctionCallInfo fcinfo, int argno, KmModel *km, const char *func)
{
	int			d = PortraitFloatArg(fcinfo, argno, km->row, km->d, "features");

	if (d != km->d)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("features has %d values but the model was fitted on %d", d, km->d),
				 errhint("Pass the same features, in the same order, as to kmeans_fit.")));
	ScaleRow(km->row, km->shift, km->scale, d);
	for (int j = 0; j < d; j++)
		(void) CheckScore(km->row[j], func);
	return km->row;
}

/* Nearest cluster (0-based) of a features argument; *d2 its squared distance. */
static int
AssignArg(FunctionCallInfo fcinfo, const char *func, double *d2)
{
	KmModel    *km = ModelCached(fcinfo, &fcinfo->flinfo->fn_extra, 1, PORTRAIT_KIND_KMEANS,
								 func, KmeansParse);

	return Nearest1(ScaledArg(fcinfo, 0, km, func), km->ct, km->k, km->d, km->dist, d2);
}

Datum
pp_kmeans_assign(PG_FUNCTION_ARGS)
{
	double		d2;

	PG_RETURN_INT32(AssignArg(fcinfo, "kmeans_assign", &d2) + 1);
}

Datum
pp_kmeans_distance(PG_FUNCTION_ARGS)
{
	double		d2;

	AssignArg(fcinfo, "kmeans_distance", &d2);
	PG_RETURN_FLOAT8(CheckScore(sqrt(d2), "kmeans_distance"));
}


/* The features in the space the model clusters in (z-scores when it standardizes). */
Datum
pp_kmeans_scale(PG_FUNCTION_ARGS)
{
	KmModel    *km = ModelCached(fcinfo, &fcinfo->flinfo->fn_extra, 1, PORTRAIT_KIND_KMEANS,
								 "kmeans_scale", KmeansParse);

	PG_RETURN_DATUM(PortraitFloat8ArrayDatum(ScaledArg(fcinfo, 0, km, "kmeans_scale"), km->d));
}


/*
 * The d feature names of a model (f1, f2, ... when it has none); *given
 * says whether the model has names.
 */
static const char **
FeatureNames(const PortraitModel *m, int d, bool *given)
{
	int			n;
	const char *s = ModelGetTextArray(m, "feature_names", &n);
	const char **names = palloc(sizeof(char *) * d);

	for (int j = 0; j < d; j++)
	{
		names[j] = s != NULL ? s : psprintf("f%d", j + 1);
		if (s != NULL)
			s += strlen(s) + 1;
	}
	if (given)
		*given = s != NULL;
	return names;
}

/* One row per cluster: size, share, centroid, deviations and a label. */
Datum
pp_kmeans_centroids(PG_FUNCTION_ARGS)
{
	PortraitModel *m = PG_GETARG_PORTRAIT_MODEL(0);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int			k;
	int			d;
	int			len;
	const double *c;
	const double *mean;
	const double *sd;
	const int64 *sizes;
	int64		n;
	const char **names;
	double	   *z;

	ModelCheckKind(m, PORTRAIT_KIND_KMEANS, "kmeans_centroids");
	InitMaterializedSRF(fcinfo, 0);
	c = ModelGetFloatMatrix(m, "centroids", &k, &d);
	mean = ModelGetFloatArray(m, "mean", &len);
	sd = ModelGetFloatArray(m, "sd", &len);
	sizes = ModelGetIntArray(m, "sizes", &len);
	n = ModelGetInt(m, "n");
	names = FeatureNames(m, d, NULL);
	z = palloc(sizeof(double) * d);
	for (int j = 0; j < k; j++)
	{
		Datum		values[6];
		bool		nulls[6] = {0};

		for (int c2 = 0; c2 < d; c2++)
			z[c2] = sd[c2] > 0 ? (c[j * d + c2] - mean[c2]) / sd[c2] : 0.0;
		values[0] = Int32GetDatum(j + 1);
		values[1] = Int64GetDatum(sizes[j]);
		values[2] = Float8GetDatum((double) sizes[j] / n);
		values[3] = PortraitFloat8ArrayDatum(c + (Size) j * d, d);
		values[4] = PortraitFloat8ArrayDatum(z, d);
		values[5] = CStringGetTextDatum(PortraitProfileLabel(z, names, d, PORTRAIT_KMEANS_LABEL_TERMS));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/* ---------- silhouette ---------- */

/*
 * (state, features, cluster [, max_exact]): collect the row with its cluster
 * as one more column.  Rows with NULL features or cluster are skipped.
 */
static Datum
SilhouetteTrans(FunctionCallInfo fcinfo, int64 max_exact)
{
	const double *v;
	int			d;
	PointsState *ps;
	double	   *row;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	v = PortraitFloatArray(PG_GETARG_ARRAYTYPE_P(1), &d, "features");
	CheckDim(d);
	ps = PointsGetState(fcinfo, 0, d + 1, max_exact);
	if (unlikely(ps->n >= MaxRows(d + 1)))
		OverBudget(ps->n + 1, d + 1);
	row = fcinfo->flinfo->fn_extra;
	if (row == NULL)
		row = fcinfo->flinfo->fn_extra =
			MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, sizeof(double) * (PORTRAIT_KMEANS_MAX_DIM + 1));
	memcpy(row, v, sizeof(double) * d);
	row[d] = PG_GETARG_INT32(2);
	PointsAppend(ps, row);
	PG_RETURN_DATUM(EOHPGetRWDatum(&ps->hdr));
}

Datum
pp_silhouette_trans(PG_FUNCTION_ARGS)
{
	return SilhouetteTrans(fcinfo, PORTRAIT_SILHOUETTE_DEFAULT_EXACT);
}

Datum
pp_silhouette_trans_sample(PG_FUNCTION_ARGS)
{
	int64		max_exact;

	if (PG_ARGISNULL(3))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("max_exact must not be NULL")));
	max_exact = PG_GETARG_INT32(3);
	if (max_exact < 2 || max_exact > PORTRAIT_SILHOUETTE_MAX_EXACT)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("max_exact must be between 2 and %d, not %lld",
						PORTRAIT_SILHOUETTE_MAX_EXACT, (long long) max_exact),
				 errhint("The exact silhouette takes time quadratic in the rows; larger inputs use a seeded sample of max_exact rows.")));
	return SilhouetteTrans(fcinfo, max_exact);
}

Datum
pp_silhouette_combine(PG_FUNCTION_ARGS)
{
	return PointsCombine(fcinfo);
}

/*
 * The mean silhouette (Rousseeuw 1987) with Euclidean distances: for each
 * row, a = mean distance to the rest of its cluster, b = the smallest mean
 * distance to another cluster, s = (b - a) / max(a, b), and s = 0 for a
 * cluster of one (scikit-learn's convention).  Above max_exact rows it is
 * computed on a sample of max_exact rows drawn with a fixed seed from the
 * sorted rows, so it still does not depend on row order.
 */
Datum
pp_silhouette_final(PG_FUNCTION_ARGS)
{
	PointsState *ps;
	TupleDesc	tupdesc;
	Datum		values[4];
	bool		nulls[4] = {0};
	int			w;
	int			d;
	int64		n;
	int64		s;
	int64	   *idx;
	double	   *labels;
	int			m = 0;
	int		   *cl;
	int64	   *size;
	double	   *sum;
	double		total = 0;
	double		maxabs = 0;
	const double *rows;
	pg_prng_state rng;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	ps = PointsRead(PG_GETARG_DATUM(0));
	n = ps->n;
	if (n == 0)
		PG_RETURN_NULL();
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "silhouette must return a composite type");
	w = ps->dim;
	d = w - 1;
	PointsCheckFit(ps, PORTRAIT_POINTS_SORT_BYTES + sizeof(int64));	/* sort keys, sample order */
	PointsSortRows(ps->values, n, w);

	/* the rows used: all, or a seeded sample in sorted order */
	s = Min(n, ps->param);
	idx = palloc_extended(mul_size(sizeof(int64), n), MCXT_ALLOC_HUGE);
	for (int64 i = 0; i < n; i++)
		idx[i] = i;
	if (s < n)
	{
		pg_prng_seed(&rng, 0);
		for (int64 i = 0; i < s; i++)
		{
			int64		j = (int64) pg_prng_uint64_range(&rng, i, n - 1);
			int64		t = idx[i];

			idx[i] = idx[j];
			idx[j] = t;
		}
		qsort(idx, s, sizeof(int64), CmpInt64);
	}

	/* dense cluster numbers 0..m-1 */
	labels = palloc(sizeof(double) * s);
	for (int64 i = 0; i < s; i++)
		labels[i] = ps->values[idx[i] * w + d];
	PortraitSortDoubles(labels, s);
	for (int64 i = 0; i < s; i++)
		if (i == 0 || labels[i] != labels[i - 1])
			labels[m++] = labels[i];
	if (m < 2)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("silhouette needs at least 2 clusters, not %d", m),
				 errhint("Assign the rows to two or more clusters, for example with kmeans_assign.")));
	cl = palloc(sizeof(int) * s);
	size = palloc0(sizeof(int64) * m);
	for (int64 i = 0; i < s; i++)
	{
		double		c = ps->values[idx[i] * w + d];
		int			lo = 0;
		int			hi = m - 1;

		while (lo < hi)
		{
			int			mid = (lo + hi) / 2;

			if (labels[mid] < c)
				lo = mid + 1;
			else
				hi = mid;
		}
		cl[i] = lo;
		size[lo]++;
	}

	/*
	 * s = (b - a) / max(a, b) does not change when every point is scaled by
	 * one factor, so coordinates whose squares would overflow (or vanish)
	 * are divided by the largest magnitude first; others are used as they are
	 */
	rows = ps->values;
	for (int64 i = 0; i < s; i++)
		for (int k = 0; k < d; k++)
			maxabs = Max(maxabs, fabs(ps->values[idx[i] * w + k]));
	if (maxabs > PORTRAIT_SILHOUETTE_SAFE_MAX || (maxabs > 0 && maxabs < PORTRAIT_SILHOUETTE_SAFE_MIN))
	{
		double	   *scaled = palloc_extended(mul_size(mul_size(sizeof(double), s), w), MCXT_ALLOC_HUGE);

		for (int64 i = 0; i < s; i++)
		{
			for (int k = 0; k < d; k++)
				scaled[i * w + k] = ps->values[idx[i] * w + k] / maxabs;
			scaled[i * w + d] = ps->values[idx[i] * w + d];
			idx[i] = i;
		}
		rows = scaled;
	}

	sum = palloc(sizeof(double) * m);
	for (int64 i = 0; i < s; i++)
	{
		const double *xi = rows + idx[i] * w;
		double		a;
		double		b = DBL_MAX;

		CHECK_FOR_INTERRUPTS();
		if (size[cl[i]] == 1)
			continue;
		memset(sum, 0, sizeof(double) * m);
		for (int64 j = 0; j < s; j++)
			sum[cl[j]] += sqrt(Dist2(xi, rows + idx[j] * w, d));
		a = sum[cl[i]] / (size[cl[i]] - 1);
		for (int c = 0; c < m; c++)
			if (c != cl[i])
				b = Min(b, sum[c] / size[c]);
		if (Max(a, b) > 0)
			total += (b - a) / Max(a, b);
	}

	tupdesc = BlessTupleDesc(tupdesc);
	values[0] = Float8GetDatum(total / s);
	values[1] = Int64GetDatum(n);
	values[2] = Int64GetDatum(s);
	values[3] = BoolGetDatum(s == n);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/* ---------- kmeans_train: the streaming trainer's steps ---------- */

/*
 * States of kmeans_stats and kmeans_step are float8[] (movable as text
 * between nodes), allocated once in the aggregate context and then updated
 * in place.
 *
 * kmeans_stats: [d, n, mean 1..d, m2 1..d] (Welford; Chan et al. to combine)
 * kmeans_step:  [k, d, inertia, counts 1..k, sums k x d] in the model's space
 */
#define STATS_LEN(d)		(2 + 2 * (d))
#define STATE_DATA(a)		((double *) PortraitArrayData(a))
#define STEP_LEN(k, d)		(3 + (k) + (k) * (d))

/* The values of a state array, checked to be a state of the given length. */
static double *
StateValues(ArrayType *a, int expect, const char *what)
{
	if (ARR_NDIM(a) != 1 || ARR_HASNULL(a) || ARR_DIMS(a)[0] < 3 ||
		(expect >= 0 && ARR_DIMS(a)[0] != expect))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid %s state", what)));
	return STATE_DATA(a);
}

static int
StepLenOf(ArrayType *a)
{
	double	   *v = StateValues(a, -1, "kmeans_step");

	if (v[0] < 1 || v[0] > PORTRAIT_KMEANS_MAX_K || v[1] < 1 || v[1] > PORTRAIT_KMEANS_MAX_DIM ||
		ARR_DIMS(a)[0] != STEP_LEN((int) v[0], (int) v[1]))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid kmeans_step state")));
	return ARR_DIMS(a)[0];
}

/*
 * The dimension of a kmeans_stats state, checked against its length before
 * anything is read or written (a user's aggregate can pass any float8[]).
 */
/* Row counts in float8 states are exact integers up to 2^53. */
#define KM_MAX_EXACT_COUNT	9007199254740992.0

static int
StatsDimOf(ArrayType *a)
{
	double	   *v = StateValues(a, -1, "kmeans_stats");

	if (!(v[0] >= 1 && v[0] <= PORTRAIT_KMEANS_MAX_DIM) || v[0] != floor(v[0]) ||
		!(v[1] >= 0 && v[1] <= KM_MAX_EXACT_COUNT) || ARR_DIMS(a)[0] != STATS_LEN((int) v[0]))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid kmeans_stats state")));
	return (int) v[0];
}

/* 22003 when feature j's mean or sum of squared deviations left the range of double precision. */
static inline void
StatsCheckFinite(const double *s, int d, int j)
{
	if (unlikely(!isfinite(s[2 + j]) || !isfinite(s[2 + d + j])))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("kmeans_stats: the variance of feature %d is out of range", j + 1),
				 errdetail("The squared deviations of its values overflow double precision."),
				 errhint("Rescale the feature, for example to thousands.")));
}

Datum
pp_kmeans_stats_trans(PG_FUNCTION_ARGS)
{
	ArrayType  *st;
	double	   *s;
	const double *v;
	int			d;
	int			sd;

	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	/* the state is updated in place: only an aggregate's own copy may be */
	(void) PortraitAggContext(fcinfo);
	v = PortraitFloatArray(PG_GETARG_ARRAYTYPE_P(1), &d, "features");
	CheckDim(d);
	if (PG_ARGISNULL(0))
	{
		st = TrainerSumsNew(fcinfo, STATS_LEN(d));
		STATE_DATA(st)[0] = d;
	}
	else
		st = PG_GETARG_ARRAYTYPE_P(0);
	sd = StatsDimOf(st);
	s = STATE_DATA(st);
	if (sd != d)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("all rows must have the same number of values"),
				 errdetail("A row has %d values where earlier rows had %d.", d, sd)));
	for (int j = 0; j < d; j++)
	{
		PortraitMoments m = {(int64) s[1], s[2 + j], s[2 + d + j]};

		MomentsAdd(&m, v[j]);
		s[2 + j] = m.mean;
		s[2 + d + j] = m.m2;
		StatsCheckFinite(s, d, j);
	}
	s[1] += 1;
	PG_RETURN_ARRAYTYPE_P(st);
}

Datum
pp_kmeans_stats_combine(PG_FUNCTION_ARGS)
{
	ArrayType  *a;
	double	   *x;
	const double *y;
	int			d;

	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	(void) PortraitAggContext(fcinfo);
	d = StatsDimOf(PG_GETARG_ARRAYTYPE_P(1));
	y = STATE_DATA(PG_GETARG_ARRAYTYPE_P(1));
	if (PG_ARGISNULL(0))
	{
		a = TrainerSumsNew(fcinfo, STATS_LEN(d));
		memcpy(STATE_DATA(a), y, sizeof(double) * STATS_LEN(d));
		PG_RETURN_ARRAYTYPE_P(a);
	}
	a = PG_GETARG_ARRAYTYPE_P(0);
	if (StatsDimOf(a) != d)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("all rows must have the same number of values")));
	x = STATE_DATA(a);
	for (int j = 0; j < d; j++)
	{
		PortraitMoments mx = {(int64) x[1], x[2 + j], x[2 + d + j]};
		PortraitMoments my = {(int64) y[1], y[2 + j], y[2 + d + j]};

		MomentsMerge(&mx, &my);
		x[2 + j] = mx.mean;
		x[2 + d + j] = mx.m2;
		StatsCheckFinite(x, d, j);
	}
	x[1] += y[1];
	PG_RETURN_ARRAYTYPE_P(a);
}

/* (state, features, model): counts, sums and inertia of the model's assignment. */
Datum
pp_kmeans_step_trans(PG_FUNCTION_ARGS)
{
	KmModel    *km;
	ArrayType  *st;
	double	   *s;
	int			d;
	int			a;
	double		d2;

	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	(void) PortraitAggContext(fcinfo);
	PortraitArgNotNull(fcinfo, 2, "model");
	km = ModelCached(fcinfo, &fcinfo->flinfo->fn_extra, 2, PORTRAIT_KIND_KMEANS, "kmeans_step", KmeansParse);
	ScaledArg(fcinfo, 1, km, "kmeans_step");
	d = km->d;
	if (PG_ARGISNULL(0))
	{
		st = TrainerSumsNew(fcinfo, STEP_LEN(km->k, d));
		STATE_DATA(st)[0] = km->k;
		STATE_DATA(st)[1] = d;
	}
	else
		st = PG_GETARG_ARRAYTYPE_P(0);
	if (StepLenOf(st) != STEP_LEN(km->k, d) || STATE_DATA(st)[0] != km->k || STATE_DATA(st)[1] != d)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the kmeans_step state does not belong to this model")));
	s = STATE_DATA(st);
	a = Nearest1(km->row, km->ct, km->k, d, km->dist, &d2);
	s[2] += d2;
	s[3 + a] += 1;
	for (int j = 0; j < d; j++)
		s[3 + km->k + (Size) a * d + j] += km->row[j];
	PG_RETURN_ARRAYTYPE_P(st);
}

Datum
pp_kmeans_step_combine(PG_FUNCTION_ARGS)
{
	ArrayType  *a;
	double	   *x;
	const double *y;
	int			len;

	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	(void) PortraitAggContext(fcinfo);
	len = StepLenOf(PG_GETARG_ARRAYTYPE_P(1));
	y = STATE_DATA(PG_GETARG_ARRAYTYPE_P(1));
	if (PG_ARGISNULL(0))
	{
		a = TrainerSumsNew(fcinfo, len);
		memcpy(STATE_DATA(a), y, sizeof(double) * len);
		PG_RETURN_ARRAYTYPE_P(a);
	}
	a = PG_GETARG_ARRAYTYPE_P(0);
	x = StateValues(a, len, "kmeans_step");
	if (x[0] != y[0] || x[1] != y[1])
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("kmeans_step states of different shapes cannot be combined")));
	for (int i = 2; i < len; i++)
		x[i] += y[i];
	PG_RETURN_ARRAYTYPE_P(a);
}

/*
 * A number in [0, 1) from the row's values and a seed: rows with
 * kmeans_sample(f, seed) < p are a sample of about p of the rows that does
 * not depend on row order or on the plan.
 */
Datum
pp_kmeans_sample(PG_FUNCTION_ARGS)
{
	int			d;
	const double *v = PortraitFloatArray(PG_GETARG_ARRAYTYPE_P(0), &d, "features");
	uint64		h = hash_bytes_extended((const unsigned char *) v, sizeof(double) * d,
										(uint64) PG_GETARG_INT64(1));

	PG_RETURN_FLOAT8((double) (h >> 11) * (1.0 / 9007199254740992.0));
}

/* Fit state of a kmeans model, for building its successor. */
static void
ModelToFit(const PortraitModel *m, KmFit *f, KmOptions *o, KmResult *r)
{
	int			len;
	int			rows;
	int			cols;
	const char **names;
	bool		given;

	memset(f, 0, sizeof(KmFit));
	memset(o, 0, sizeof(KmOptions));
	memset(r, 0, sizeof(KmResult));
	f->k = ModelGetInt(m, "k");
	f->d = ModelGetInt(m, "dim");
	f->n = ModelGetInt(m, "n");
	o->standardize = ModelGetBool(m, "standardize");
	f->mean = (double *) ModelGetFloatArray(m, "mean", &len);
	f->sd = (double *) ModelGetFloatArray(m, "sd", &len);
	f->scale = palloc(sizeof(double) * f->d);
	f->shift = palloc(sizeof(double) * f->d);
	for (int j = 0; j < f->d; j++)
	{
		f->scale[j] = (o->standardize && f->sd[j] > 0) ? f->sd[j] : 1.0;
		f->shift[j] = o->standardize ? f->mean[j] : 0.0;
	}
	names = FeatureNames(m, f->d, &given);
	o->names = given ? (char **) names : NULL;
	o->nnames = given ? f->d : 0;
	o->seed = ModelGetInt(m, "seed");
	o->n_init = ModelGetInt(m, "n_init");
	o->init = KM_INIT_PLUSPLUS;
	o->algorithm = KM_ALG_LLOYD;
	r->centers = palloc(sizeof(double) * f->k * f->d);
	memcpy(r->centers, ModelGetFloatMatrix(m, "centroids_scaled", &rows, &cols), sizeof(double) * f->k * f->d);
	r->sizes = palloc(sizeof(int64) * f->k);
	memcpy(r->sizes, ModelGetIntArray(m, "sizes", &len), sizeof(int64) * f->k);
	r->inertia = ModelGetFloat(m, "inertia");
	r->iterations = ModelGetInt(m, "iterations");
	r->converged = ModelGetBool(m, "converged");
}

/*
 * kmeans_train_init(stats, sample_model, options): the trainer's first
 * model: the whole input's scaler (from kmeans_stats) and the centroids of
 * a kmeans_fit on a sample, moved into that scaler's units.
 */
Datum
pp_kmeans_train_init(PG_FUNCTION_ARGS)
{
	const double *st;
	PortraitModel *sm;
	char	   *opts;
	KmOptions	o;
	KmFit		f;
	KmResult	r;
	int			rows;
	int			cols;
	const double *c;

	/* not strict: only the options may be NULL */
	PortraitArgNotNull(fcinfo, 0, "stats");
	PortraitArgNotNull(fcinfo, 1, "sample_model");
	(void) StatsDimOf(PG_GETARG_ARRAYTYPE_P(0));
	st = STATE_DATA(PG_GETARG_ARRAYTYPE_P(0));
	sm = PG_GETARG_PORTRAIT_MODEL(1);
	opts = PG_ARGISNULL(2) ? NULL :
		JsonbToCString(NULL, &PG_GETARG_JSONB_P(2)->root, VARSIZE(PG_GETARG_JSONB_P(2)));
	ModelCheckKind(sm, PORTRAIT_KIND_KMEANS, "kmeans_train_init");
	ParseOptions(opts, &o, true);
	memset(&f, 0, sizeof(f));
	f.d = (int) st[0];
	f.n = (int64) st[1];
	f.k = ModelGetInt(sm, "k");
	c = ModelGetFloatMatrix(sm, "centroids", &rows, &cols);
	if (cols != f.d || ARR_DIMS(PG_GETARG_ARRAYTYPE_P(0))[0] != STATS_LEN(f.d))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the sample model and the statistics have different feature counts")));
	CheckOptionShapes(&o, f.k, f.d);
	f.mean = palloc(sizeof(double) * f.d);
	f.sd = palloc(sizeof(double) * f.d);
	f.scale = palloc(sizeof(double) * f.d);
	f.shift = palloc(sizeof(double) * f.d);
	for (int j = 0; j < f.d; j++)
	{
		f.mean[j] = st[2 + j];
		f.sd[j] = sqrt(Max(st[2 + f.d + j], 0) / f.n);
		f.scale[j] = (o.standardize && f.sd[j] > 0) ? f.sd[j] : 1.0;
		f.shift[j] = o.standardize ? f.mean[j] : 0.0;
	}
	r.centers = palloc(sizeof(double) * f.k * f.d);
	for (int j = 0; j < f.k; j++)
		for (int i = 0; i < f.d; i++)
			r.centers[j * f.d + i] = (c[j * f.d + i] - f.shift[i]) / f.scale[i];
	r.sizes = palloc0(sizeof(int64) * f.k);
	r.sizes[0] = f.n;			/* provisional: the first step counts them */
	r.inertia = 0;
	r.iterations = 0;
	r.converged = false;
	o.algorithm = KM_ALG_LLOYD;
	PG_RETURN_POINTER(KmeansToModel(&f, &o, &r, "kmeans_train"));
}

/*
 * kmeans_train_update(model, step, options, final): one Lloyd update from a
 * kmeans_step over the whole input.  A cluster that got no rows keeps its
 * centroid.  Converged when the total squared shift is at most tol times
 * the mean feature variance.  With final, only sizes and inertia are taken
 * from the step (the centroids stay).
 */
Datum
pp_kmeans_train_update(PG_FUNCTION_ARGS)
{
	PortraitModel *m;
	const double *st;
	char	   *opts;
	bool		final;
	KmOptions	o;
	KmOptions	mo;
	KmFit		f;
	KmResult	r;
	double		shift = 0;
	double		varsum = 0;
	int			k;
	int			d;

	/* not strict: only the options may be NULL */
	PortraitArgNotNull(fcinfo, 0, "model");
	PortraitArgNotNull(fcinfo, 1, "step");
	PortraitArgNotNull(fcinfo, 3, "final");
	m = PG_GETARG_PORTRAIT_MODEL(0);
	opts = PG_ARGISNULL(2) ? NULL :
		JsonbToCString(NULL, &PG_GETARG_JSONB_P(2)->root, VARSIZE(PG_GETARG_JSONB_P(2)));
	final = PG_GETARG_BOOL(3);
	ModelCheckKind(m, PORTRAIT_KIND_KMEANS, "kmeans_train_update");
	ParseOptions(opts, &o, true);
	ModelToFit(m, &f, &mo, &r);
	k = f.k;
	d = f.d;
	st = StateValues(PG_GETARG_ARRAYTYPE_P(1), STEP_LEN(k, d), "kmeans_step");
	if (st[0] != k || st[1] != d)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the kmeans_step state does not belong to this model")));
	f.n = 0;
	for (int j = 0; j < k; j++)
	{
		/* the state may come from anywhere: counts must be whole numbers */
		if (!(st[3 + j] >= 0 && st[3 + j] <= KM_MAX_EXACT_COUNT - f.n) || st[3 + j] != floor(st[3 + j]))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid kmeans_step state"),
					 errdetail("Cluster %d has a count of %g.", j + 1, st[3 + j])));
		r.sizes[j] = (int64) st[3 + j];
		f.n += r.sizes[j];
	}
	r.inertia = st[2];
	if (!final)
	{
		for (int j = 0; j < k; j++)
		{
			if (r.sizes[j] == 0)
				continue;
			for (int i = 0; i < d; i++)
			{
				double		c = st[3 + k + (Size) j * d + i] / r.sizes[j];
				double		t = c - r.centers[j * d + i];

				shift += t * t;
				r.centers[j * d + i] = c;
			}
		}
		for (int i = 0; i < d; i++)
			varsum += f.sd[i] * f.sd[i] / (f.scale[i] * f.scale[i]);
		r.iterations++;
		r.converged = shift <= o.tol * varsum / d;
	}
	PG_RETURN_POINTER(KmeansToModel(&f, &mo, &r, "kmeans_train"));
}

/*
 * The driver of kmeans_train.  from is a FROM item (a quoted relation name
 * or a parenthesised single query with an alias) and col the quoted features
 * column; both run with the caller's privileges and search_path.  Our part
 * of each query is schema-qualified and typed exactly (trainer.c).
 */
static Datum
TrainDriver(FunctionCallInfo fcinfo, const char *from, const char *col, int k, Jsonb *options)
{
	Oid			fn = fcinfo->flinfo->fn_oid;
	Oid			modeltype = get_func_rettype(fn);
	Oid			statetype = FLOAT8ARRAYOID;
	const char *nsp = quote_identifier(get_namespace_name(get_func_namespace(fn)));
	char	   *x = psprintf("(%s)::pg_catalog.float8[]", col);
	KmOptions	o;
	Datum		opts = JsonbPGetDatum(options);
	Datum		fitopts;
	Datum		stats;
	Datum		model;
	Datum		step;
	bool		isnull;
	int64		n;
	double		fraction;
	SPIPlanPtr	plan;
	Oid			fitargt[4] = {INT4OID, JSONBOID, FLOAT8OID, INT8OID};
	Datum		fitargs[4];
	int			iter;

	CheckK(k);
	ParseOptions(JsonbToCString(NULL, &options->root, VARSIZE(options)), &o, true);
	if (o.init == KM_INIT_EXPLICIT)
		CheckOptionShapes(&o, k, o.init_cols);

	TrainerConnect();

	/* the scaler: one scan */
	plan = TrainerPrepare(psprintf("SELECT %s.kmeans_stats(%s) FROM %s", nsp, x, from),
						  0, NULL, 1, &statetype, 1);
	stats = TrainerRunValue(plan, NULL, statetype, &isnull);
	if (isnull)
	{
		SPI_finish();
		PG_RETURN_NULL();
	}
	n = (int64) STATE_DATA(DatumGetArrayTypeP(stats))[1];

	/* the start: kmeans_fit (k-means++, n_init restarts) on a seeded sample */
	fitopts = DirectFunctionCall2(jsonb_delete, opts, CStringGetTextDatum("sample_size"));
	fitopts = DirectFunctionCall2(jsonb_delete, fitopts, CStringGetTextDatum("max_iter"));
	fitopts = DirectFunctionCall2(jsonb_delete, fitopts, CStringGetTextDatum("tol"));
	fraction = (double) o.sample_size / n;
	fitargs[0] = Int32GetDatum(k);
	fitargs[1] = fitopts;
	fitargs[2] = Float8GetDatum(fraction);
	fitargs[3] = Int64GetDatum(o.seed);
	plan = TrainerPrepare(fraction >= 1 ?
						  psprintf("SELECT %s.kmeans_fit(%s, $1, $2) FROM %s", nsp, x, from) :
						  psprintf("SELECT %s.kmeans_fit(%s, $1, $2) FROM %s "
								   "WHERE %s.kmeans_sample(%s, $4) OPERATOR(pg_catalog.<) $3",
								   nsp, x, from, nsp, x),
						  4, fitargt, 1, &modeltype, 1);
	model = TrainerRunValue(plan, fitargs, modeltype, &isnull);
	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("kmeans_train's sample is empty"),
				 errhint("Raise the sample_size option.")));
	model = DirectFunctionCall3(pp_kmeans_train_init, stats, model, opts);

	/* Lloyd iterations: one parallel-safe aggregate scan each */
	plan = TrainerPrepare(psprintf("SELECT %s.kmeans_step(%s, $1) FROM %s", nsp, x, from),
						  1, &modeltype, 1, &statetype, 1);
	for (iter = 0; iter <= o.max_iter; iter++)
	{
		bool		last;

		CHECK_FOR_INTERRUPTS();
		step = TrainerRunValue(plan, &model, statetype, &isnull);
		if (isnull)
			elog(ERROR, "kmeans_train: the input changed during training");
		/* after convergence or max_iter, one more scan gives sizes and inertia */
		last = iter == o.max_iter || ModelGetBool(DatumGetPortraitModel(model), "converged");
		model = DirectFunctionCall4(pp_kmeans_train_update, model, step, opts, BoolGetDatum(last));
		if (last)
			break;
	}
	model = SPI_datumTransfer(model, false, -1);
	SPI_finish();
	return model;
}

/* kmeans_train(source text, features, k, options): a query or a relation name. */
Datum
pp_kmeans_train_query(PG_FUNCTION_ARGS)
{
	return TrainDriver(fcinfo, TrainerSourceFrom(text_to_cstring(PG_GETARG_TEXT_PP(0)), "kmeans_train"),
					   quote_identifier(text_to_cstring(PG_GETARG_TEXT_PP(1))),
					   PG_GETARG_INT32(2), PG_GETARG_JSONB_P(3));
}

/* kmeans_train(source regclass, features, k, options) */
Datum
pp_kmeans_train_table(PG_FUNCTION_ARGS)
{
	return TrainDriver(fcinfo, TrainerRelationFrom(PG_GETARG_OID(0)),
					   quote_identifier(text_to_cstring(PG_GETARG_TEXT_PP(1))),
					   PG_GETARG_INT32(2), PG_GETARG_JSONB_P(3));
}
