/*
 * kmeans_train.c
 *		kmeans_train: the kmeans_stats and kmeans_step aggregates, the sample,
 *		and the driver that runs them over a query or a relation.
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "kmeans.h"

PG_FUNCTION_INFO_V1(pp_kmeans_stats_trans);
PG_FUNCTION_INFO_V1(pp_kmeans_stats_combine);
PG_FUNCTION_INFO_V1(pp_kmeans_step_trans);
PG_FUNCTION_INFO_V1(pp_kmeans_step_combine);
PG_FUNCTION_INFO_V1(pp_kmeans_sample);
PG_FUNCTION_INFO_V1(pp_kmeans_train_init);
PG_FUNCTION_INFO_V1(pp_kmeans_train_update);
PG_FUNCTION_INFO_V1(pp_kmeans_train_query);
PG_FUNCTION_INFO_V1(pp_kmeans_train_table);

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

/* The length of a kmeans_step state, checked against the k and d it holds. */
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

/* Row counts in float8 states are exact integers up to 2^53. */
#define KM_MAX_EXACT_COUNT	9007199254740992.0

/*
 * The dimension of a kmeans_stats state, checked against its length before
 * anything is read or written (a user's aggregate can pass any float8[]).
 */
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

/* (state, features): the count, means and squared deviations of every feature. */
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
	KmCheckDim(d);
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

/* Combine of kmeans_stats: Chan's merge of the moments. */
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
	KmScaledArg(fcinfo, 1, km, "kmeans_step");
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
	a = KmNearest1(km->row, km->ct, km->k, d, km->dist, &d2);
	s[2] += d2;
	s[3 + a] += 1;
	for (int j = 0; j < d; j++)
		s[3 + km->k + (Size) a * d + j] += km->row[j];
	PG_RETURN_ARRAYTYPE_P(st);
}

/* Combine of kmeans_step: counts, sums and inertia added. */
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
	names = KmFeatureNames(m, f->d, &given);
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
	KmParseOptions(opts, &o, true);
	memset(&f, 0, sizeof(f));
	f.d = (int) st[0];
	f.n = (int64) st[1];
	f.k = ModelGetInt(sm, "k");
	c = ModelGetFloatMatrix(sm, "centroids", &rows, &cols);
	if (cols != f.d || ARR_DIMS(PG_GETARG_ARRAYTYPE_P(0))[0] != STATS_LEN(f.d))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the sample model and the statistics have different feature counts")));
	KmCheckOptionShapes(&o, f.k, f.d);
	f.mean = palloc(sizeof(double) * f.d);
	f.sd = palloc(sizeof(double) * f.d);
	f.scale = palloc(sizeof(double) * f.d);
	f.shift = palloc(sizeof(double) * f.d);
	for (int j = 0; j < f.d; j++)
	{
		f.mean[j] = st[2 + j];
		KmCheckFeatureRange(j, f.mean[j], st[2 + f.d + j]);
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
	KmParseOptions(opts, &o, true);
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

	KmCheckK(k);
	KmParseOptions(JsonbToCString(NULL, &options->root, VARSIZE(options)), &o, true);
	if (o.init == KM_INIT_EXPLICIT)
		KmCheckOptionShapes(&o, k, o.init_cols);

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
