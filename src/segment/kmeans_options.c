/*
 * kmeans_options.c
 *		The k-means family's settings, its argument checks and its options.
 */
#include "postgres.h"

#include "executor/spi.h"
#include "utils/builtins.h"

#include "kmeans.h"

/* portrait.kmeans_memory_limit, in kB */
static int	kmeans_memory_limit = 1024 * 1024;

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

/* 22023 unless 1 <= k <= PORTRAIT_KMEANS_MAX_K. */
void
KmCheckK(int64 k)
{
	if (k < 1 || k > PORTRAIT_KMEANS_MAX_K)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("k must be between 1 and %d, not %lld", PORTRAIT_KMEANS_MAX_K, (long long) k),
				 errhint("Choose k between 2 and the number of distinct customers; compare several with portrait.silhouette.")));
}

/* 22023 unless the row width is between 1 and PORTRAIT_KMEANS_MAX_DIM. */
void
KmCheckDim(int d)
{
	if (d < 1 || d > PORTRAIT_KMEANS_MAX_DIM)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("features must hold between 1 and %d values, not %d", PORTRAIT_KMEANS_MAX_DIM, d)));
}

/* Rows the memory budget allows for rows of d features. */
int64
KmMaxRows(int d)
{
	Size		limit = (Size) kmeans_memory_limit * 1024;

	return (int64) (limit / (sizeof(double) * d + PORTRAIT_KMEANS_ROW_WORK));
}

/* 54000: n rows of d features do not fit portrait.kmeans_memory_limit. */
void
KmOverBudget(int64 n, int d)
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

/* What KmParseOptions's visitor needs. */
typedef struct KmOptionArgs
{
	KmOptions  *o;
	bool		train;
} KmOptionArgs;

/* One options key into KmOptions (the visitor of PortraitForEachOption). */
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
void
KmParseOptions(const char *text, KmOptions *o, bool train)
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
void
KmCheckOptionShapes(const KmOptions *o, int k, int d)
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
