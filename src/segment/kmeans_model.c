/*
 * kmeans_model.c
 *		The kmeans model: its fields, its checks, building it from a fit, and
 *		kmeans_assign, kmeans_distance, kmeans_scale and kmeans_centroids.
 */
#include "postgres.h"

#include "funcapi.h"
#include "utils/builtins.h"

#include "kmeans.h"

PG_FUNCTION_INFO_V1(pp_kmeans_assign);
PG_FUNCTION_INFO_V1(pp_kmeans_distance);
PG_FUNCTION_INFO_V1(pp_kmeans_centroids);
PG_FUNCTION_INFO_V1(pp_kmeans_scale);

/* ---------- the model ---------- */

/* The model's text for KmInit and KmAlgorithm, in their order. */
static const char *const init_names[] = {"k-means++", "random", "explicit"};
static const char *const algorithm_names[] = {"hamerly", "lloyd"};

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

/* 22000 for a kmeans model whose fields do not fit together. */
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
PortraitModel *
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

/* ---------- using a model ---------- */

/* A model's centers (transposed), shift and scale, parsed once per call site. */
void *
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
	KmTranspose(c, rows, cols, km->ct);
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
const double *
KmScaledArg(FunctionCallInfo fcinfo, int argno, KmModel *km, const char *func)
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

	return KmNearest1(KmScaledArg(fcinfo, 0, km, func), km->ct, km->k, km->d, km->dist, d2);
}

/* The cluster (1..k) nearest to the features. */
Datum
pp_kmeans_assign(PG_FUNCTION_ARGS)
{
	double		d2;

	PG_RETURN_INT32(AssignArg(fcinfo, "kmeans_assign", &d2) + 1);
}

/* The distance from the features to their nearest cluster's center, in the model's space. */
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

	PG_RETURN_DATUM(PortraitFloat8ArrayDatum(KmScaledArg(fcinfo, 0, km, "kmeans_scale"), km->d));
}

/*
 * The d feature names of a model (f1, f2, ... when it has none); *given
 * says whether the model has names.
 */
const char **
KmFeatureNames(const PortraitModel *m, int d, bool *given)
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
	names = KmFeatureNames(m, d, NULL);
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
