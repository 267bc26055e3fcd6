/*
 * optim.c
 *		The one numeric optimiser of the likelihood models, and the fit
 *		options they share.
 *
 * BFGS (Nocedal & Wright, Numerical Optimization, ch. 6) on an unconstrained
 * parameter vector: models pass log-parameters, so positivity needs no
 * constraint.  The line search backtracks with safeguarded quadratic
 * interpolation until the Armijo condition holds; the inverse Hessian
 * approximation is updated only when the curvature condition y's > 0 holds,
 * so it stays positive definite.  Gradients are the model's own or central
 * differences.  Everything is deterministic: the same start gives the same
 * iterates on every machine with IEEE doubles.
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "portrait.h"

#define OPTIM_ARMIJO_C1		1e-4
#define OPTIM_MAX_BACKTRACK 60
#define OPTIM_FD_STEP		6e-6	/* about the cube root of DBL_EPSILON */

/* Objective value (and gradient), +Infinity when not finite. */
static double
Evaluate(OptimObjective fn, void *arg, int n, const double *theta, double *grad,
		 bool numeric, OptimResult *res)
{
	double		f;

	res->evaluations++;
	if (!numeric)
	{
		f = fn(theta, grad, arg);
		if (!isfinite(f))
			return INFINITY;
		for (int i = 0; i < n; i++)
			if (!isfinite(grad[i]))
				return INFINITY;
		return f;
	}
	f = fn(theta, NULL, arg);
	if (!isfinite(f))
		return INFINITY;
	OptimNumericGradient(fn, arg, n, theta, grad);
	res->evaluations += 2 * n;
	for (int i = 0; i < n; i++)
		if (!isfinite(grad[i]))
			return INFINITY;
	return f;
}

/*
 * Central-difference gradient of fn at theta (2n evaluations), for models
 * without an analytic gradient and for testing analytic ones.
 */
void
OptimNumericGradient(OptimObjective fn, void *arg, int n, const double *theta, double *grad)
{
	double	   *t = palloc(sizeof(double) * n);

	memcpy(t, theta, sizeof(double) * n);
	for (int i = 0; i < n; i++)
	{
		double		h = OPTIM_FD_STEP * Max(1.0, fabs(theta[i]));
		double		fp;
		double		fm;

		t[i] = theta[i] + h;
		fp = fn(t, NULL, arg);
		t[i] = theta[i] - h;
		fm = fn(t, NULL, arg);
		t[i] = theta[i];
		grad[i] = (fp - fm) / (2 * h);
	}
	pfree(t);
}

/* Largest absolute value of v[0..n-1]. */
static inline double
MaxAbs(const double *v, int n)
{
	double		m = 0;

	for (int i = 0; i < n; i++)
		m = Max(m, fabs(v[i]));
	return m;
}

/* H = scale * identity (n x n, row-major). */
static void
SetIdentity(double *h, int n, double scale)
{
	memset(h, 0, sizeof(double) * n * n);
	for (int i = 0; i < n; i++)
		h[i * n + i] = scale;
}

/*
 * Minimise fn from theta (overwritten with the minimiser).  The result says
 * how many iterations ran, whether the gradient test passed and the final
 * value.  A start where fn is not finite is an error of the caller's data
 * and is reported as 22000.
 */
void
OptimMinimize(OptimObjective fn, void *arg, int n, double *theta,
			  const OptimSettings *settings, OptimResult *res)
{
	double	   *h = palloc(sizeof(double) * n * n);
	double	   *g = palloc(sizeof(double) * n);
	double	   *gnew = palloc(sizeof(double) * n);
	double	   *d = palloc(sizeof(double) * n);
	double	   *tnew = palloc(sizeof(double) * n);
	double	   *s = palloc(sizeof(double) * n);
	double	   *y = palloc(sizeof(double) * n);
	double	   *hy = palloc(sizeof(double) * n);
	bool		numeric = settings->numeric_gradient;
	bool		fresh = true;	/* h is a (scaled) identity */
	int			stalled = 0;	/* iterations without a decrease above rounding */
	double		f;

	memset(res, 0, sizeof(OptimResult));
	f = Evaluate(fn, arg, n, theta, g, numeric, res);
	if (!isfinite(f))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("the likelihood is not finite at the starting point"),
				 errhint("Check the input for extreme values.")));
	SetIdentity(h, n, 1.0);

	while (res->iterations < settings->max_iterations)
	{
		double		slope = 0;
		double		step;
		double		fnew = INFINITY;
		int			tries;
		double		ys = 0;
		double		yy = 0;
		double		yhy = 0;

		if (MaxAbs(g, n) <= settings->gtol)
		{
			res->converged = true;
			break;
		}
		CHECK_FOR_INTERRUPTS();
		res->iterations++;

		/* search direction d = -H g; fall back to steepest descent */
		for (int i = 0; i < n; i++)
		{
			d[i] = 0;
			for (int j = 0; j < n; j++)
				d[i] -= h[i * n + j] * g[j];
			slope += d[i] * g[i];
		}
		if (!(slope < 0))
		{
			SetIdentity(h, n, 1.0);
			fresh = true;
			slope = 0;
			for (int i = 0; i < n; i++)
			{
				d[i] = -g[i];
				slope -= g[i] * g[i];
			}
		}

		/* an unscaled first step must not leave the region of sane values */
		step = fresh ? Min(1.0, 1.0 / MaxAbs(d, n)) : 1.0;
		for (tries = 0; tries < OPTIM_MAX_BACKTRACK; tries++)
		{
			for (int i = 0; i < n; i++)
				tnew[i] = theta[i] + step * d[i];
			fnew = Evaluate(fn, arg, n, tnew, gnew, numeric, res);
			if (fnew <= f + OPTIM_ARMIJO_C1 * step * slope)
				break;
			if (isfinite(fnew))
			{
				/* minimiser of the quadratic through f, slope and fnew */
				double		q = -slope * step * step / (2 * (fnew - f - slope * step));

				step = Min(Max(q, 0.1 * step), 0.5 * step);
			}
			else
				step *= 0.1;
		}
		if (tries == OPTIM_MAX_BACKTRACK)
		{
			/* no decrease along d: retry once from steepest descent, else stop */
			if (!fresh)
			{
				SetIdentity(h, n, 1.0);
				fresh = true;
				continue;
			}
			/* at the limit of double precision near a minimum counts as converged */
			res->converged = MaxAbs(g, n) <= 1e3 * settings->gtol;
			break;
		}

		for (int i = 0; i < n; i++)
		{
			s[i] = tnew[i] - theta[i];
			y[i] = gnew[i] - g[i];
			ys += y[i] * s[i];
			yy += y[i] * y[i];
		}
		memcpy(theta, tnew, sizeof(double) * n);
		memcpy(g, gnew, sizeof(double) * n);
		stalled = (f - fnew <= 8 * DBL_EPSILON * fabs(f)) ? stalled + 1 : 0;
		f = fnew;
		if (stalled >= 3)
		{
			/* f no longer moves: at the minimum to double precision, or stuck */
			res->converged = MaxAbs(g, n) <= 1e3 * settings->gtol;
			break;
		}

		/* BFGS update of the inverse Hessian, skipped without curvature */
		if (ys > 1e-12 * sqrt(yy) * sqrt(MaxAbs(s, n) * MaxAbs(s, n) * n))
		{
			double		rho = 1.0 / ys;

			if (fresh)
			{
				SetIdentity(h, n, ys / yy);
				fresh = false;
			}
			for (int i = 0; i < n; i++)
			{
				hy[i] = 0;
				for (int j = 0; j < n; j++)
					hy[i] += h[i * n + j] * y[j];
				yhy += y[i] * hy[i];
			}
			/* H += (1 + rho y'Hy) rho s s' - rho (Hy s' + s y'H) */
			for (int i = 0; i < n; i++)
				for (int j = 0; j < n; j++)
					h[i * n + j] += (1 + rho * yhy) * rho * s[i] * s[j]
						- rho * (hy[i] * s[j] + s[i] * hy[j]);
		}
	}
	if (!res->converged && MaxAbs(g, n) <= settings->gtol)
		res->converged = true;
	res->value = f;
	res->grad_norm = MaxAbs(g, n);
	elog(DEBUG1, "optimiser: %d iterations, %d evaluations, f = %.17g, max |gradient| = %g, converged = %d",
		 res->iterations, res->evaluations, f, res->grad_norm, (int) res->converged);

	pfree(h);
	pfree(g);
	pfree(gnew);
	pfree(d);
	pfree(tnew);
	pfree(s);
	pfree(y);
	pfree(hy);
}

/* ---------- fit options of the likelihood models ---------- */

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

/* 22023 for an option value of the wrong type or range. */
static void
pg_attribute_noreturn()
BadOption(const char *func, const char *key, const char *should)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("option \"%s\" of %s must be %s", key, func, should)));
}

/* A finite number option value. */
static double
OptionNumber(JsonbValue *v, const char *func, const char *key)
{
	double		d;

	if (v->type != jbvNumeric)
		BadOption(func, key, "a number");
	d = DatumGetFloat8(DirectFunctionCall1(numeric_float8, NumericGetDatum(v->val.numeric)));
	if (!isfinite(d))
		BadOption(func, key, "a finite number");
	return d;
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
 * Read a fit options object: penalizer (>= 0), max_iterations (1 ..
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
	{
		o->penalizer = OptionNumber(&v, func, key);
		if (o->penalizer < 0)
			BadOption(func, key, "zero or positive");
	}
	else if (strcmp(key, "max_iterations") == 0)
	{
		double		d = OptionNumber(&v, func, key);

		if (d != floor(d) || d < 1 || d > PORTRAIT_FIT_MAX_ITERATIONS)
			BadOption(func, key, "an integer from 1 to " CppAsString2(PORTRAIT_FIT_MAX_ITERATIONS));
		o->max_iterations = (int) d;
	}
	else if (strcmp(key, "gradient") == 0)
	{
		char	   *kind;

		if (v.type != jbvString)
			BadOption(func, key, "'analytic' or 'numeric'");
		kind = pnstrdup(v.val.string.val, v.val.string.len);
		if (strcmp(kind, "numeric") == 0)
			o->numeric_gradient = true;
		else if (strcmp(kind, "analytic") != 0)
			BadOption(func, key, "'analytic' or 'numeric'");
	}
	else if (a->with_unit && strcmp(key, "unit") == 0)
	{
		char	   *name;

		if (v.type != jbvString)
			BadOption(func, key, "one of 'days', 'weeks', 'months', 'hours'");
		name = pnstrdup(v.val.string.val, v.val.string.len);
		o->unit = FitTimeUnitByName(name);
		if (o->unit < 0)
			BadOption(func, key, "one of 'days', 'weeks', 'months', 'hours'");
	}
	else
		PortraitUnknownOption(func, key, a->with_unit ? "penalizer, max_iterations, gradient and unit"
							  : "penalizer, max_iterations and gradient");
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
	Size		len;
	char	   *bytes;
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

	if (c != NULL && VARSIZE(jb) == c->len && memcmp(jb, c->bytes, c->len) == 0)
		return &c->opts;
	if (c == NULL)
	{
		c = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(FitOptionsCache));
		fcinfo->flinfo->fn_extra = c;
	}
	FitOptionsParse(jb, with_unit, func, &c->opts);
	/* the canonical text rides in the aggregate state to the final function */
	c->opts.text = MemoryContextStrdup(fcinfo->flinfo->fn_mcxt,
									   JsonbToCString(NULL, &jb->root, VARSIZE(jb)));
	if (c->bytes)
		pfree(c->bytes);
	c->len = VARSIZE(jb);
	c->bytes = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, c->len);
	memcpy(c->bytes, jb, c->len);
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
	Size		bytes = mul_size(mul_size(sizeof(double), ps->dim), Max(ps->n, 1));
	double	   *rows = palloc_extended(bytes, MCXT_ALLOC_HUGE);

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

/* ---------- special functions of the likelihood models ---------- */

/*
 * Digamma psi(x) = d/dx log Gamma(x): the recurrence psi(x) = psi(x + 1) -
 * 1/x up to x >= 10, then the asymptotic series (Abramowitz & Stegun
 * 6.3.18), accurate to a few ulps there.  Negative x by reflection.
 */
double
PortraitDigamma(double x)
{
	double		r = 0;
	double		f;

	if (isnan(x) || (x <= 0 && x == floor(x)))
		return NAN;
	if (x < 0)
		return PortraitDigamma(1 - x) - M_PI / tan(M_PI * x);
	while (x < 10)
	{
		r -= 1 / x;
		x += 1;
	}
	f = 1 / (x * x);
	r += log(x) - 0.5 / x
		- f * (1.0 / 12 - f * (1.0 / 120 - f * (1.0 / 252 - f * (1.0 / 240 - f * (1.0 / 132 - f * (691.0 / 32760))))));
	return r;
}

/* Above this, differences of lgamma and digamma values lose their digits. */
#define RATIO_ASYMPTOTIC 1e4

/*
 * lgamma(z + x) - lgamma(z) for z > 0, x >= 0.  For large z the two lgamma
 * values are huge and nearly equal, so the difference is taken inside
 * Stirling's series instead: (z - 1/2) log1p(x/z) + x log(z + x) - x +
 * 1/(12 (z+x)) - 1/(12 z), whose next term is below 1e-14 there.  The
 * likelihoods need this when a fit drifts towards a boundary (a, b of
 * BG/NBD growing without bound).
 */
double
PortraitLogGammaRatio(double z, double x)
{
	if (x == 0)
		return 0;
	if (z < RATIO_ASYMPTOTIC)
		return lgamma(z + x) - lgamma(z);
	return (z - 0.5) * log1p(x / z) + x * log(z + x) - x - x / (12 * z * (z + x));
}

/* digamma(z + x) - digamma(z) for z > 0, x >= 0, stable for large z likewise. */
double
PortraitDigammaRatio(double z, double x)
{
	double		zx = z + x;

	if (x == 0)
		return 0;
	if (z < RATIO_ASYMPTOTIC)
		return PortraitDigamma(zx) - PortraitDigamma(z);
	return log1p(x / z) + x / (2 * z * zx) + x * (z + zx) / (12 * z * z * zx * zx);
}

#define PORTRAIT_HYP2F1_MAX_TERMS 10000000
#define HYP2F1_RESCALE 1e250
#define HYP2F1_NEAR_ONE 0.9

/* 22023 for arguments where 2F1 is not defined (as a real series). */
static void
pg_attribute_noreturn()
Hyp2f1Error(const char *msg, double a, double b, double c, double z)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("hypergeometric function 2F1(%g, %g; %g; %.15g) %s", a, b, c, z, msg)));
}

/*
 * log |sum_k (a)_k (b)_k / ((c)_k k!) z^k| for 0 <= z < 1 (sign in *sign).
 * Terms are rescaled when they grow large, so huge parameters do not
 * overflow.  The sum stops when the remaining tail, bounded by the last
 * term times 1 / (1 - ratio) once the term ratio is below 1, no longer
 * changes the sum; a terminating series (a or b a non-positive integer)
 * stops at its last term.
 */
static double
Hyp2f1LogSeries(double a, double b, double c, double z, int *sign)
{
	double		sum = 1;
	double		term = 1;
	double		logscale = 0;

	for (int64 k = 0;; k++)
	{
		double		ratio = (a + k) * (b + k) / ((c + k) * (k + 1)) * z;

		term *= ratio;
		sum += term;
		if (term == 0)
			break;
		if (fabs(ratio) < 1 &&
			fabs(term) / (1 - fabs(ratio)) <= DBL_EPSILON * 0.5 * fabs(sum))
			break;
		if (fabs(term) > HYP2F1_RESCALE || fabs(sum) > HYP2F1_RESCALE)
		{
			term /= HYP2F1_RESCALE;
			sum /= HYP2F1_RESCALE;
			logscale += log(HYP2F1_RESCALE);
		}
		if (k >= PORTRAIT_HYP2F1_MAX_TERMS)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("hypergeometric function 2F1(%g, %g; %g; %.15g) did not converge in %d terms",
							a, b, c, z, PORTRAIT_HYP2F1_MAX_TERMS),
					 errhint("The argument z is too close to 1; use a shorter horizon.")));
		if ((k & 0xFFFFF) == 0xFFFFF)
			CHECK_FOR_INTERRUPTS();
	}
	*sign = sum < 0 ? -1 : (sum > 0 ? 1 : 0);
	return logscale + log(fabs(sum));
}

/* log |Gamma(v)| with its sign; sign 0 at the poles (1/Gamma = 0 there). */
static double
LogGammaSigned(double v, int *sign)
{
	if (v <= 0 && v == floor(v))
	{
		*sign = 0;
		return INFINITY;
	}
	return lgamma_r(v, sign);
}

/*
 * log |s1 e^l1 + s2 e^l2| and its sign, for terms given as sign and log
 * magnitude (a zero sign is a zero term).
 */
static double
LogAddSigned(double l1, int s1, double l2, int s2, int *sign)
{
	double		m;
	double		v;

	if (s1 == 0 || s2 == 0)
	{
		*sign = s1 != 0 ? s1 : s2;
		return s1 != 0 ? l1 : (s2 != 0 ? l2 : -INFINITY);
	}
	m = Max(l1, l2);
	v = s1 * exp(l1 - m) + s2 * exp(l2 - m);
	*sign = v > 0 ? 1 : (v < 0 ? -1 : 0);
	return m + log(fabs(v));
}

/*
 * 2F1 near z = 1 by the connection formula to 1 - z (Abramowitz & Stegun
 * 15.3.6), valid when s = c - a - b is not an integer:
 *
 *   Gamma(c) Gamma(s) / (Gamma(c-a) Gamma(c-b)) 2F1(a, b; 1-s; 1-z)
 *   + (1-z)^s Gamma(c) Gamma(-s) / (Gamma(a) Gamma(b)) 2F1(c-a, c-b; 1+s; 1-z)
 *
 * Both series then run at 1 - z, where they converge fast.
 */
static double
Hyp2f1LogNearOne(double a, double b, double c, double z, int *sign)
{
	double		s = c - a - b;
	double		w = 1 - z;
	int			gc,
				gs,
				gca,
				gcb,
				gms,
				ga,
				gb,
				f1,
				f2;
	double		lc = LogGammaSigned(c, &gc);
	double		l1;
	double		l2;

	l1 = lc + LogGammaSigned(s, &gs) - LogGammaSigned(c - a, &gca) - LogGammaSigned(c - b, &gcb);
	l2 = s * log(w) + lc + LogGammaSigned(-s, &gms) - LogGammaSigned(a, &ga) - LogGammaSigned(b, &gb);
	/* 1/Gamma at a pole is 0: that term vanishes */
	if (gca != 0 && gcb != 0)
		l1 += Hyp2f1LogSeries(a, b, 1 - s, w, &f1);
	else
		f1 = 0;
	if (ga != 0 && gb != 0)
		l2 += Hyp2f1LogSeries(c - a, c - b, 1 + s, w, &f2);
	else
		f2 = 0;
	return LogAddSigned(l1, gc * gs * gca * gcb * f1, l2, gc * gms * ga * gb * f2, sign);
}

/* True when v is zero or a negative integer. */
static inline bool
NonPositiveInteger(double v)
{
	return v <= 0 && v == floor(v);
}

/*
 * log |2F1(a, b; c; z)| of the Gauss hypergeometric function, sign in *sign.
 *
 * The series converges for |z| < 1, at z = 1 only when c - a - b > 0 (then
 * Gauss's theorem gives Gamma(c) Gamma(c-a-b) / (Gamma(c-a) Gamma(c-b))),
 * and is undefined when c is zero or a negative integer; z > 1 is on the
 * branch cut and refused.  For z < 0 the Pfaff transformation
 * 2F1(a,b;c;z) = (1-z)^-a 2F1(a, c-b; c; z/(z-1)) moves z into [0, 1),
 * where the series has no cancellation of alternating terms.  On [0, 1),
 * when a + b > c the terms first grow like k^(a+b-c-1) before z^k tames
 * them; the Euler transformation 2F1(a,b;c;z) = (1-z)^(c-a-b)
 * 2F1(c-a, c-b; c; z) then gives a series whose terms decay from the start
 * (and whose prefactor carries the singularity at z = 1 exactly).  Above
 * z = 0.9 the series need ever more terms (about 36 / (1 - z)); there the
 * connection formula to 1 - z is used instead, unless c - a - b is within
 * 1e-3 of an integer, where its two terms cancel and the series (Euler's if
 * a + b > c) is summed after all, up to PORTRAIT_HYP2F1_MAX_TERMS terms.
 */
double
PortraitLogHyp2f1(double a, double b, double c, double z, int *sign)
{
	if (isnan(a) || isnan(b) || isnan(c) || isnan(z) || isinf(a) || isinf(b) || isinf(c) || isinf(z))
		Hyp2f1Error("needs finite arguments", a, b, c, z);
	if (NonPositiveInteger(c))
		Hyp2f1Error("is undefined when c is zero or a negative integer", a, b, c, z);
	if (z > 1)
		Hyp2f1Error("is not real-valued for z > 1", a, b, c, z);
	if (z == 0 || a == 0 || b == 0)
	{
		*sign = 1;
		return 0;
	}
	if (z == 1)
	{
		int			s1,
					s2,
					s3,
					s4;
		double		r;

		if (!(c - a - b > 0))
			Hyp2f1Error("diverges at z = 1 unless c > a + b", a, b, c, z);
		if (NonPositiveInteger(c - a) || NonPositiveInteger(c - b))
		{
			*sign = 0;
			return -INFINITY;
		}
		r = lgamma_r(c, &s1) + lgamma_r(c - a - b, &s2) - lgamma_r(c - a, &s3) - lgamma_r(c - b, &s4);
		*sign = s1 * s2 * s3 * s4;
		return r;
	}
	if (z < 0)
	{
		double		w = z / (z - 1);

		/* a terminating series needs no transformation */
		if (NonPositiveInteger(a) || NonPositiveInteger(b))
			return Hyp2f1LogSeries(a, b, c, z, sign);
		return -a * log1p(-z) + PortraitLogHyp2f1(a, c - b, c, w, sign);
	}
	if (NonPositiveInteger(a) || NonPositiveInteger(b))
		return Hyp2f1LogSeries(a, b, c, z, sign);
	/* close to 1 the series crawl; switch to 1 - z unless c - a - b is nearly an integer */
	if (z > HYP2F1_NEAR_ONE && fabs((c - a - b) - rint(c - a - b)) > 1e-3)
		return Hyp2f1LogNearOne(a, b, c, z, sign);
	if (a + b > c)
		return (c - a - b) * log1p(-z) + Hyp2f1LogSeries(c - a, c - b, c, z, sign);
	return Hyp2f1LogSeries(a, b, c, z, sign);
}

/* 2F1(a, b; c; z) itself; 22003 when it does not fit a double. */
double
PortraitHyp2f1(double a, double b, double c, double z)
{
	int			sign;
	double		l = PortraitLogHyp2f1(a, b, c, z, &sign);

	if (l > 709.78)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("hypergeometric function 2F1(%g, %g; %g; %.15g) is out of range for type double precision",
						a, b, c, z)));
	return sign * exp(l);
}
