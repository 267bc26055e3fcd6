/*
 * fit.c
 *		What the likelihood fits (BG/NBD, MBG/NBD, Pareto/NBD, Gamma-Gamma)
 *		share: their options, the rows their aggregates collect, the
 *		penalised objective, and the one driver that turns a model's FitSpec
 *		into a transition and a final function.
 */
#include "postgres.h"

#include <math.h>

#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "portrait.h"

static const char *const time_unit_names[] = {"days", "weeks", "months", "hours"};

/* Days, weeks, months (30 days) or hours per month, for monthly sums. */
static const double time_units_per_month[] = {30.0, 4.345, 1.0, 720.0};

/* The name of a FitTimeUnit, as the model stores it. */
const char *
FitTimeUnitName(int unit)
{
	return (unit >= 0 && unit < (int) lengthof(time_unit_names)) ? time_unit_names[unit] : "?";
}

/* The unit code of a name, -1 when unknown. */
int
FitTimeUnitByName(const char *name)
{
	for (int i = 0; i < (int) lengthof(time_unit_names); i++)
		if (strcmp(time_unit_names[i], name) == 0)
			return i;
	return -1;
}

/* Time units in a month, for monthly sums such as clv. */
double
FitTimeUnitsPerMonth(int unit)
{
	return time_units_per_month[unit];
}

/* The options of a fit without an options argument. */
void
FitOptionsDefault(FitOptions *o)
{
	o->penalizer = 0;
	o->max_iterations = PORTRAIT_FIT_DEFAULT_MAX_ITERATIONS;
	o->unit = FIT_UNIT_DAYS;
	o->numeric_gradient = false;
	o->text = NULL;
}

/*
 * Read a fit options object: penalizer (>= 0), max_iter (alias max_iterations; 1 ..
 * PORTRAIT_FIT_MAX_ITERATIONS), gradient ('analytic' or 'numeric': central
 * differences, slower, to cross-check) and, when with_unit, unit.  Keys not listed
 * are refused (0A000) so that a misspelt option is not silently ignored.
 */
/* What FitOptionsParse's visitor needs. */
typedef struct FitOptionsArgs
{
	FitOptions *o;
	bool		with_unit;
	const char *func;
} FitOptionsArgs;

static void
FitOption(const char *key, JsonbValue *vp, void *arg)
{
	FitOptionsArgs *a = arg;
	FitOptions *o = a->o;
	const char *func = a->func;
	JsonbValue	v = *vp;

	if (strcmp(key, "penalizer") == 0)
		o->penalizer = PortraitOptionRange(&v, func, key, 0, INFINITY, false, "zero or positive");
	else if (strcmp(key, "max_iter") == 0)
		o->max_iterations = PortraitOptionInteger(&v, func, key, 1, PORTRAIT_FIT_MAX_ITERATIONS);
	else if (strcmp(key, "gradient") == 0)
	{
		char	   *kind = PortraitOptionString(&v, func, key, "'analytic' or 'numeric'");

		if (strcmp(kind, "numeric") == 0)
			o->numeric_gradient = true;
		else if (strcmp(kind, "analytic") != 0)
			PortraitBadOption(func, key, "'analytic' or 'numeric'");
	}
	else if (a->with_unit && strcmp(key, "unit") == 0)
	{
		char	   *name = PortraitOptionString(&v, func, key, "one of 'days', 'weeks', 'months', 'hours'");

		o->unit = FitTimeUnitByName(name);
		if (o->unit < 0)
			PortraitBadOption(func, key, "one of 'days', 'weeks', 'months', 'hours'");
	}
	else
		PortraitUnknownOption(func, key, a->with_unit ? "penalizer, max_iter (or max_iterations), gradient and unit"
							  : "penalizer, max_iter (or max_iterations) and gradient");
}

void
FitOptionsParse(Jsonb *opts, bool with_unit, const char *func, FitOptions *o)
{
	FitOptionsArgs a = {o, with_unit, func};

	FitOptionsDefault(o);
	PortraitForEachOption(opts, func, FitOption, &a);
}

/*
 * Per-call-site cache of parsed options: the jsonb is parsed once per
 * distinct value, not once per row.  NULL options are an error (22004).
 */
typedef struct FitOptionsCache
{
	PortraitOptionsCache raw;
	FitOptions	opts;
} FitOptionsCache;

const FitOptions *
FitOptionsCached(FunctionCallInfo fcinfo, int argno, bool with_unit, const char *func)
{
	FitOptionsCache *c = fcinfo->flinfo->fn_extra;
	Jsonb	   *jb;

	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("options of %s must not be NULL", func),
				 errhint("Pass '{}' for the defaults.")));
	jb = PG_GETARG_JSONB_P(argno);
	if (c == NULL)
	{
		c = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(FitOptionsCache));
		fcinfo->flinfo->fn_extra = c;
	}
	if (PortraitOptionsChanged(&c->raw, fcinfo->flinfo->fn_mcxt, jb))
	{
		FitOptionsParse(jb, with_unit, func, &c->opts);
		/* the canonical text rides in the aggregate state to the final function */
		c->opts.text = c->raw.text;
	}
	return &c->opts;
}

/*
 * Copy one row of dim values to an earlier place that it does not overlap:
 * the fits' rows have two or three values, for which a call of memmove
 * costs more than the copy.
 */
static inline void
CopyRow(double *dst, const double *src, int dim)
{
	switch (dim)
	{
		case 3:
			dst[2] = src[2];
			/* FALLTHROUGH */
		case 2:
			dst[1] = src[1];
			/* FALLTHROUGH */
		case 1:
			dst[0] = src[0];
			break;
		default:
			memcpy(dst, src, sizeof(double) * dim);
	}
}

/*
 * Sort n rows of dim values lexicographically and merge equal ones in
 * place: returns the number of distinct rows, w[k] (n entries allocated by
 * the caller) is how many input rows row k stands for.  The likelihood fits
 * run on this, so they see the same sequence whatever the row order or
 * parallel plan was, and each distinct summary is evaluated once.
 */
int64
FitSortUnique(double *rows, int64 n, int dim, double *w)
{
	int64		k = -1;

	PointsSortRows(rows, n, dim);
	for (int64 i = 0; i < n; i++)
	{
		const double *r = rows + i * dim;

		if (k >= 0 && PointsCompareRows(r, rows + k * dim, &dim) == 0)
		{
			w[k] += 1;
			continue;
		}
		k++;
		if (k != i)
			CopyRow(rows + k * dim, r, dim);
		w[k] = 1;
	}
	return k + 1;
}

/*
 * The objective of a fit on log-parameters: the mean negative
 * log-likelihood plus penalizer * sum(param^2) (the L2 penalty of the
 * lifetimes library, on the natural parameters).  gsum is the gradient of
 * the log-likelihood sum in the natural parameters pv; grad (if not NULL)
 * receives the gradient of the objective in log(pv).
 */
double
FitPenalizedObjective(double ll, const double *gsum, const double *pv, int np, double nobs,
					  double penalizer, double *grad)
{
	double		pen = 0;

	for (int j = 0; j < np; j++)
		pen += pv[j] * pv[j];
	if (grad)
		for (int j = 0; j < np; j++)
			grad[j] = pv[j] * (-gsum[j] / nobs + 2 * penalizer * pv[j]);
	return -ll / nobs + penalizer * pen;
}

/*
 * The points state of a likelihood fit's transition function (state at
 * argument 0) with dim values per row; the options (o, or NULL for the
 * defaults) travel in the state's aux text, so all rows of a group must share
 * them.
 */
PointsState *
FitPointsState(FunctionCallInfo fcinfo, int dim, const FitOptions *o)
{
	PointsState *ps = PointsGetState(fcinfo, 0, dim, 0);

	if (o != NULL && o->text != NULL)
		PointsSetAux(ps, o->text, strlen(o->text));
	return ps;
}

/*
 * The rows of a fit's final state (a palloc'd copy, *n of them) and the
 * options they were collected with.
 */
double *
FitPointsRows(PointsState *ps, bool with_unit, const char *func, FitOptions *o, int64 *n)
{
	Size		bytes;
	double	   *rows;

	/* the copy, FitSortUnique's sort keys and its weights */
	PointsCheckFit(ps, sizeof(double) * ps->dim + PORTRAIT_POINTS_SORT_BYTES + sizeof(double));
	bytes = mul_size(mul_size(sizeof(double), ps->dim), Max(ps->n, 1));
	rows = palloc_extended(bytes, MCXT_ALLOC_HUGE);

	if (ps->aux != NULL)
		FitOptionsParse(DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(ps->aux))),
						with_unit, func, o);
	else
		FitOptionsDefault(o);
	if (ps->n > 0)
		memcpy(rows, ps->values, sizeof(double) * ps->dim * ps->n);
	*n = ps->n;
	return rows;
}

/* ---------- the driver of the likelihood fits ---------- */

/*
 * Transition of a fit aggregate whose dim float8 arguments follow the
 * state: a row with a NULL is skipped, check (which may also normalise the
 * row) raises for a bad one, the others are collected.
 */
Datum
FitTrans(FunctionCallInfo fcinfo, int dim, FitRowCheck check, const FitOptions *o)
{
	double		row[PORTRAIT_FIT_MAX_DIM];
	PointsState *ps;

	Assert(dim <= PORTRAIT_FIT_MAX_DIM);
	for (int i = 0; i < dim; i++)
	{
		if (PG_ARGISNULL(i + 1))
		{
			if (PG_ARGISNULL(0))
				PG_RETURN_NULL();
			PG_RETURN_DATUM(PG_GETARG_DATUM(0));
		}
		row[i] = PG_GETARG_FLOAT8(i + 1);
	}
	check(row);
	ps = FitPointsState(fcinfo, dim, o);
	PointsAppend(ps, row);
	PG_RETURN_DATUM(EOHPGetRWDatum(&ps->hdr));
}

/*
 * Fit spec's model to n collected rows (sorted and merged in place by the
 * spec's prepare): start, optimise, report.  Runs in the caller's memory
 * context; raises 22000 when the fit ends at parameters that are not finite.
 */
void
FitRun(const FitSpec *spec, double *rows, int64 n, const FitOptions *o, FitResult *out)
{
	double		theta[PORTRAIT_FIT_MAX_PARAMS];
	OptimSettings settings;
	bool		finite = true;

	Assert(spec->nparams <= PORTRAIT_FIT_MAX_PARAMS);
	memset(out, 0, sizeof(FitResult));
	out->n = n;
	out->data = spec->prepare(rows, n, o, theta, &out->nobs);

	settings.max_iterations = o->max_iterations;
	settings.gtol = spec->gtol;
	settings.numeric_gradient = o->numeric_gradient || spec->numeric_gradient;
	OptimMinimize(spec->objective, out->data, spec->nparams, theta, &settings, &out->optim);

	for (int j = 0; j < spec->nparams; j++)
	{
		out->params[j] = exp(theta[j]);
		if (!isfinite(out->params[j]) || out->params[j] == 0)
			finite = false;
	}
	out->log_likelihood = spec->loglik(out->data, out->params, &out->optim, o);
	if (!isfinite(out->log_likelihood) || !finite)
	{
		StringInfoData detail;

		initStringInfo(&detail);
		appendStringInfo(&detail, "After %d iterations", out->optim.iterations);
		for (int j = 0; j < spec->nparams; j++)
			appendStringInfo(&detail, "%s %s = %g", j == 0 ? "" : ",", spec->param_names[j],
							 out->params[j]);
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("%s fit did not converge to finite parameters", spec->label),
				 errdetail("%s.", detail.data),
				 errhint("Add a penalizer, e.g. '{\"penalizer\": 0.001}', or check that the data follow the model.")));
	}

	/*
	 * When the likelihood keeps rising towards infinite parameters the
	 * gradient vanishes without a maximum being reached; that is not a fit.
	 */
	out->converged = out->optim.converged;
	if (spec->max_param > 0)
		for (int j = 0; j < spec->nparams; j++)
			if (!(out->params[j] < spec->max_param))
				out->converged = false;
}

/* The fitted model of a FitRun: parameters, unit, fit report, the spec's extras. */
PortraitModel *
FitModel(const FitSpec *spec, const FitResult *fr, const FitOptions *o)
{
	ModelBuilder *mb = ModelBuild(spec->kind);

	for (int j = 0; j < spec->nparams; j++)
		ModelPutFloat(mb, spec->param_names[j], fr->params[j]);
	if (spec->with_unit)
		ModelPutText(mb, "unit", FitTimeUnitName(o->unit));
	ModelPutFloat(mb, "log_likelihood", fr->log_likelihood);
	ModelPutInt(mb, "n", fr->nobs);
	ModelPutFloat(mb, "penalizer", o->penalizer);
	ModelPutInt(mb, "iterations", fr->optim.iterations);
	ModelPutBool(mb, "converged", fr->converged);
	if (spec->put)
		spec->put(mb, fr);
	return ModelFinish(mb);
}

/*
 * The final function of a likelihood fit aggregate (points state in
 * argument 0): NULL for no rows, else the fitted model.  The work runs in
 * its own memory context, deleted before returning.
 */
Datum
FitFinal(FunctionCallInfo fcinfo, const FitSpec *spec)
{
	PointsState *ps;
	FitOptions	o;
	double	   *rows;
	int64		n;
	FitResult	fr;
	MemoryContext fitcxt;
	MemoryContext old;
	PortraitModel *model;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	ps = PointsRead(PG_GETARG_DATUM(0));

	fitcxt = AllocSetContextCreate(CurrentMemoryContext, "likelihood fit", ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(fitcxt);
	rows = FitPointsRows(ps, spec->with_unit, spec->func, &o, &n);
	if (n == 0)
	{
		MemoryContextSwitchTo(old);
		MemoryContextDelete(fitcxt);
		PG_RETURN_NULL();
	}
	FitRun(spec, rows, n, &o, &fr);
	MemoryContextSwitchTo(old);
	model = FitModel(spec, &fr, &o);
	MemoryContextDelete(fitcxt);
	PG_RETURN_POINTER(model);
}
