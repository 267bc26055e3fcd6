/*
 * fit.c
 *		What the likelihood fits (BG/NBD, Gamma-Gamma) share: their options,
 *		the rows their aggregates collect, and the penalised objective.
 */
#include "postgres.h"

#include <math.h>

#include "utils/builtins.h"
#include "utils/jsonb.h"

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
			memmove(rows + k * dim, r, sizeof(double) * dim);
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
