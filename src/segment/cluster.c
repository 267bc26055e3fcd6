/*
 * cluster.c
 *		The rows of a density or hierarchical fit: sorted by key, split into
 *		keys and features, standardized with the population scaler.
 */
#include "postgres.h"

#include "utils/jsonb.h"

#include "cluster.h"

/* Per-call-site cache of a cluster fit's transition function. */
typedef struct ClusterTransCache
{
	PortraitOptionsCache opts;
	bool		standardize;
	double		row[PORTRAIT_CLUSTER_KEY_VALUES + PORTRAIT_CLUSTER_MAX_DIM];
} ClusterTransCache;

typedef struct ClusterOptionArg
{
	const char *func;
	bool	   *standardize;
} ClusterOptionArg;

/* The options visitor: standardize is the only option. */
static void
ClusterOption(const char *key, JsonbValue *v, void *arg)
{
	ClusterOptionArg *a = arg;

	if (strcmp(key, "standardize") == 0)
		*a->standardize = PortraitOptionBool(v, a->func, key);
	else
		PortraitUnknownOption(a->func, key, "standardize");
}

/*
 * The state with one more row of (state, key, features, ...), its options
 * at argument optarg (-1: none), or NULL when the features are NULL (the
 * row is skipped).  param and settings are the fit's constant arguments,
 * kept in the state with the standardize flag: every row must pass the
 * same.  The caller appends *row.
 */
PointsState *
ClusterFitRow(FunctionCallInfo fcinfo, int optarg, int64 param, const char *settings, int maxdim,
			  const char *func, const double **row)
{
	ClusterTransCache *c = fcinfo->flinfo->fn_extra;
	int			d;
	PointsState *ps;
	char		aux[128];

	if (c == NULL)
	{
		c = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(ClusterTransCache));
		c->standardize = true;
		fcinfo->flinfo->fn_extra = c;
	}
	if (optarg >= 0 && !PG_ARGISNULL(optarg) &&
		PortraitOptionsChanged(&c->opts, fcinfo->flinfo->fn_mcxt, PG_GETARG_JSONB_P(optarg)))
	{
		ClusterOptionArg a = {func, &c->standardize};

		c->standardize = true;
		PortraitForEachOption(PG_GETARG_JSONB_P(optarg), func, ClusterOption, &a);
	}
	if (PG_ARGISNULL(2))
		return NULL;
	PortraitArgNotNull(fcinfo, 1, "key");
	d = PortraitFloatArg(fcinfo, 2, c->row + PORTRAIT_CLUSTER_KEY_VALUES, maxdim, "features");
	if (d < 1 || d > maxdim)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("features must have between 1 and %d values, not %d", maxdim, d)));
	ClusterPutKey(c->row, PG_GETARG_INT64(1));
	ps = PointsGetState(fcinfo, 0, d + PORTRAIT_CLUSTER_KEY_VALUES, param);
	snprintf(aux, sizeof(aux), "%s%s%d", settings, settings[0] ? " " : "", (int) c->standardize);
	PointsSetAux(ps, aux, strlen(aux));
	*row = c->row;
	return ps;
}

/* 22P02 for a model whose fields do not fit together (detail says how). */
void
ClusterBadModel(const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid portrait.model"),
			 errdetail("%s", detail)));
}

/* 22023 for a state (perhaps typed in as text) that no transition function made. */
static void
pg_attribute_noreturn()
BadState(const char *func, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("malformed %s state", func),
			 errdetail("%s", detail)));
}

/* Check a state's shape and keys before a final function trusts them. */
void
ClusterCheckState(const PointsState *ps, const char *func)
{
	int			stride = ps->dim;

	if (stride <= PORTRAIT_CLUSTER_KEY_VALUES)
		BadState(func, "Its rows hold no features.");
	for (int64 i = 0; i < ps->n; i++)
	{
		const double *r = ps->values + i * stride;

		if (!(r[0] >= PG_INT32_MIN && r[0] <= PG_INT32_MAX && r[0] == floor(r[0]) &&
			  r[1] >= 0 && r[1] <= PG_UINT32_MAX && r[1] == floor(r[1])))
			BadState(func, "A row's key is not a bigint.");
		for (int j = PORTRAIT_CLUSTER_KEY_VALUES; j < stride; j++)
			if (!isfinite(r[j]))
				BadState(func, "A row has a feature that is not finite.");
	}
}

/*
 * Sort the state's rows (checked with ClusterCheckState; by key, then features), return the n x d features
 * (z-scores when standardizing) and set the keys and the features' mean and
 * population sd, all allocated in the current context.
 */
double *
ClusterSortedRows(PointsState *ps, bool standardize, int64 **keys, double **mean, double **sd,
				  const char *func)
{
	int			stride = ps->dim;
	int			d = stride - PORTRAIT_CLUSTER_KEY_VALUES;
	int64		n = ps->n;
	double	   *x;
	double	   *var;

	PointsSortRows(ps->values, n, stride);
	x = palloc_extended(mul_size(mul_size(sizeof(double), d), n), MCXT_ALLOC_HUGE);
	*keys = palloc_extended(mul_size(sizeof(int64), n), MCXT_ALLOC_HUGE);
	for (int64 i = 0; i < n; i++)
	{
		(*keys)[i] = ClusterGetKey(ps->values + i * stride);
		memcpy(x + i * d, ps->values + i * stride + PORTRAIT_CLUSTER_KEY_VALUES, sizeof(double) * d);
	}
	*mean = palloc(sizeof(double) * d);
	*sd = palloc(sizeof(double) * d);
	var = palloc(sizeof(double) * d);
	PortraitColumnMoments(x, n, d, 0, d, *mean, var);
	for (int j = 0; j < d; j++)
	{
		if (!isfinite((*mean)[j]) || !isfinite(var[j]))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("feature %d is out of range for %s", j + 1, func),
					 errhint("Scale the feature, for example with ln(1 + x), so that its values stay well below 1e150.")));
		(*sd)[j] = sqrt(var[j]);
	}
	pfree(var);
	if (standardize)
		for (int64 i = 0; i < n; i++)
		{
			PORTRAIT_ROW_INTERRUPTS(i);
			for (int j = 0; j < d; j++)
				x[i * d + j] = (x[i * d + j] - (*mean)[j]) / ClusterScale(true, (*sd)[j]);
		}
	return x;
}
