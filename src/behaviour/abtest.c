/*
 * abtest.c
 *		A/B test readouts: conversion (two-proportion z-test with the lift's
 *		confidence interval) from counts or as an aggregate over (variant,
 *		converted) rows, and Welch's t-test as an aggregate over (variant,
 *		value) rows.
 *
 * Formulas (the textbook ones, as scipy.stats computes them):
 *	z		pooled two-proportion z statistic, two-sided normal p-value;
 *	diff	p_b - p_a with the unpooled Wald interval;
 *	lift	p_b / p_a - 1 with the Katz log interval of the ratio
 *			(scipy.stats.contingency.relative_risk);
 *	Welch	t = (mean_b - mean_a) / sqrt(s2_a/n_a + s2_b/n_b), Welch-
 *			Satterthwaite degrees of freedom, two-sided Student t p-value
 *			and interval.
 * Variants are labelled by text; of the two labels in a group, the one that
 * sorts first (byte order) is A, the control.
 *
 * The aggregate state keeps per variant (n, conversions, mean, M2), merged
 * with Chan et al.'s parallel update, so partial states combine exactly.
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "access/htup_details.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "portrait.h"

#define PORTRAIT_AB_MAX_LABEL 1000
#define PORTRAIT_AB_DEFAULT_ALPHA 0.05
/* below this the normal and t quantiles of alpha / 2 are not representable */
#define PORTRAIT_AB_MIN_ALPHA 1e-300

PG_FUNCTION_INFO_V1(pp_ab_test);
PG_FUNCTION_INFO_V1(pp_ab_state_in);
PG_FUNCTION_INFO_V1(pp_ab_state_out);
PG_FUNCTION_INFO_V1(pp_ab_conversion_trans);
PG_FUNCTION_INFO_V1(pp_ab_welch_trans);
PG_FUNCTION_INFO_V1(pp_ab_combine);
PG_FUNCTION_INFO_V1(pp_ab_conversion_final);
PG_FUNCTION_INFO_V1(pp_welch_test_final);

/* ---------- distributions ---------- */

/* Upper tail of the standard normal. */
static double
NormalSf(double z)
{
	return 0.5 * erfc(z / M_SQRT2);
}

/*
 * Standard normal quantile: Acklam's rational approximation refined by one
 * Halley step on erfc, which gives full double precision.
 */
static double
NormalQuantile(double p)
{
	static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
	1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00};
	static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
	6.680131188771972e+01, -1.328068155288572e+01};
	static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
	-2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00};
	static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
	3.754408661907416e+00};
	double		q,
				r,
				x,
				e,
				u;

	if (p < 0.02425)
	{
		q = sqrt(-2 * log(p));
		x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
			((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
	}
	else if (p <= 1 - 0.02425)
	{
		q = p - 0.5;
		r = q * q;
		x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
			(((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
	}
	else
	{
		q = sqrt(-2 * log(1 - p));
		x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
			((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
	}
	for (int i = 0; i < 2; i++)
	{
		e = 0.5 * erfc(-x / M_SQRT2) - p;
		u = e * sqrt(2 * M_PI) * exp(x * x / 2);
		x = x - u / (1 + x * u / 2);
	}
	return x;
}

#define LENTZ_TINY 1e-300

/* One term aa of a modified-Lentz evaluation: updates c and d, returns the factor. */
static inline double
LentzStep(double aa, double *c, double *d)
{
	*d = 1 + aa * *d;
	if (fabs(*d) < LENTZ_TINY)
		*d = LENTZ_TINY;
	*c = 1 + aa / *c;
	if (fabs(*c) < LENTZ_TINY)
		*c = LENTZ_TINY;
	*d = 1 / *d;
	return *d * *c;
}

/* Continued fraction of the regularized incomplete beta (modified Lentz). */
static double
BetaContinuedFraction(double a, double b, double x)
{
	double		qab = a + b,
				qap = a + 1,
				qam = a - 1;
	double		c = 1,
				d = 1 - qab * x / qap,
				h;

	if (fabs(d) < LENTZ_TINY)
		d = LENTZ_TINY;
	d = 1 / d;
	h = d;
	for (int m = 1; m <= 10000; m++)
	{
		int			m2 = 2 * m;
		double		del;

		h *= LentzStep(m * (b - m) * x / ((qam + m2) * (a + m2)), &c, &d);
		del = LentzStep(-(a + m) * (qab + m) * x / ((a + m2) * (qap + m2)), &c, &d);
		h *= del;
		if (fabs(del - 1) < 1e-16)
			break;
	}
	return h;
}

/*
 * Regularized incomplete beta I_x(a, b), given x with log(x) and log(1 - x)
 * (the caller may know the logarithms where x itself underflows).
 */
static double
IncompleteBetaLog(double a, double b, double x, double logx, double log1mx)
{
	double		lbt;

	if (logx == -INFINITY)
		return 0;
	if (x >= 1)
		return 1;
	lbt = lgamma(a + b) - lgamma(a) - lgamma(b) + a * logx + b * log1mx;
	if (x < (a + 1) / (a + b + 2))
		return exp(lbt) * BetaContinuedFraction(a, b, x) / a;
	return 1 - exp(lbt) * BetaContinuedFraction(b, a, 1 - x) / b;
}

/* Regularized incomplete beta I_x(a, b). */
static double
IncompleteBeta(double a, double b, double x)
{
	if (x <= 0)
		return 0;
	return IncompleteBetaLog(a, b, x, log(x), log1p(-x));
}

/* |t| beyond this is squared through sqrt(df) / |t|: t * t would overflow */
#define STUDENT_LARGE_T 1e150

/* Two-sided p-value of Student's t with df degrees of freedom: P(|T| > |t|). */
static double
StudentTwoSided(double t, double df)
{
	double		r;

	if (fabs(t) <= STUDENT_LARGE_T)
		return IncompleteBeta(df / 2, 0.5, df / (df + t * t));
	/* x = df / (df + t^2) = r^2 / (1 + r^2), whose logarithm stays in range */
	r = sqrt(df) / fabs(t);
	return IncompleteBetaLog(df / 2, 0.5, r * r / (1 + r * r), 2 * log(r) - log1p(r * r), -log1p(r * r));
}

/* Upper quantile of Student's t: q with P(T > q) = p (0 < p < 0.5). */
static double
StudentUpperQuantile(double p, double df)
{
	double		lo = 0,
				hi = 1,
				x;

	/* bracket, then bisect to the last bit (the tail is monotone) */
	while (StudentTwoSided(hi, df) / 2 > p)
	{
		lo = hi;
		hi *= 2;
		if (hi > 1e300)
			return INFINITY;
	}
	for (int i = 0; i < 200; i++)
	{
		x = 0.5 * (lo + hi);
		if (x <= lo || x >= hi)
			break;
		if (StudentTwoSided(x, df) / 2 > p)
			lo = x;
		else
			hi = x;
	}
	return 0.5 * (lo + hi);
}

/* ---------- checks ---------- */

/* alpha at argno, or the default when the call has no such argument; 22023 outside (0, 1). */
static double
AbAlpha(FunctionCallInfo fcinfo, int argno)
{
	double		alpha;

	if (PG_NARGS() <= argno)
		return PORTRAIT_AB_DEFAULT_ALPHA;
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("alpha must not be NULL")));
	alpha = PG_GETARG_FLOAT8(argno);
	if (!(alpha > 0 && alpha < 1))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("alpha must be between 0 and 1 (exclusive), not %g", alpha)));
	if (alpha < PORTRAIT_AB_MIN_ALPHA)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("alpha %g is too small", alpha),
				 errdetail("The smallest alpha is %g: below it the quantile of the interval is out of the range of double precision.",
						   PORTRAIT_AB_MIN_ALPHA)));
	return alpha;
}

/* 22023 unless 0 <= conv <= n and n > 0. */
static void
AbCheckCounts(int64 conv, int64 n, const char *variant)
{
	if (n <= 0 || conv < 0 || conv > n)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("variant %s needs 0 <= conversions <= n and n > 0, got %lld of %lld",
						variant, (long long) conv, (long long) n)));
}

/*
 * The conversion readout as a composite of the function's result type:
 * rate_a, rate_b, diff, diff_low, diff_high, lift, lift_low, lift_high, z,
 * p_value, significant, variant_a, variant_b (labels, NULL for the counts
 * form).  NULL where undefined (e.g. lift when rate_a is 0).
 */
static Datum
AbConversionResult(FunctionCallInfo fcinfo, int64 ca, int64 na, int64 cb, int64 nb, double alpha,
				   const char *label_a, const char *label_b)
{
	TupleDesc	tupdesc;
	Datum		v[13];
	bool		nulls[13] = {0};
	double		pa = (double) ca / na;
	double		pb = (double) cb / nb;
	/* the lower tail keeps its precision for small alpha; 1 - alpha / 2 would round to 1 */
	double		zq = -NormalQuantile(alpha / 2);
	double		pool = ((double) ca + (double) cb) / ((double) na + (double) nb);
	double		sez = sqrt(pool * (1 - pool) * (1.0 / na + 1.0 / nb));
	double		sed = sqrt(pa * (1 - pa) / na + pb * (1 - pb) / nb);
	double		z = 0,
				p = 1;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "ab_test must return a composite type");
	v[0] = Float8GetDatum(pa);
	v[1] = Float8GetDatum(pb);
	v[2] = Float8GetDatum(pb - pa);
	v[3] = Float8GetDatum(pb - pa - zq * sed);
	v[4] = Float8GetDatum(pb - pa + zq * sed);
	if (ca > 0 && cb > 0)
	{
		double		se = sqrt(1.0 / ca - 1.0 / na + 1.0 / cb - 1.0 / nb);
		double		lr = log(pb / pa);

		v[5] = Float8GetDatum(pb / pa - 1);
		v[6] = Float8GetDatum(exp(lr - zq * se) - 1);
		v[7] = Float8GetDatum(exp(lr + zq * se) - 1);
	}
	else
	{
		nulls[6] = nulls[7] = true;
		if (ca > 0)
			v[5] = Float8GetDatum(pb / pa - 1);
		else
			nulls[5] = true;
	}
	if (sez > 0)
	{
		z = (pb - pa) / sez;
		p = 2 * NormalSf(fabs(z));
		v[8] = Float8GetDatum(z);
		v[9] = Float8GetDatum(p);
		v[10] = BoolGetDatum(p < alpha);
	}
	else
	{
		/* both rates 0 or both 1: no evidence either way */
		nulls[8] = true;
		v[9] = Float8GetDatum(1.0);
		v[10] = BoolGetDatum(false);
	}
	nulls[11] = label_a == NULL;
	nulls[12] = label_b == NULL;
	if (label_a)
		v[11] = CStringGetTextDatum(label_a);
	if (label_b)
		v[12] = CStringGetTextDatum(label_b);
	return HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(tupdesc), v, nulls));
}

/* ab_test(conversions_a, n_a, conversions_b, n_b [, alpha]) */
Datum
pp_ab_test(PG_FUNCTION_ARGS)
{
	int64		ca,
				na,
				cb,
				nb;
	double		alpha;

	for (int i = 0; i < 4; i++)
		if (PG_ARGISNULL(i))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("ab_test counts must not be NULL")));
	ca = PG_GETARG_INT64(0);
	na = PG_GETARG_INT64(1);
	cb = PG_GETARG_INT64(2);
	nb = PG_GETARG_INT64(3);
	alpha = AbAlpha(fcinfo, 4);
	AbCheckCounts(ca, na, "A");
	AbCheckCounts(cb, nb, "B");
	PG_RETURN_DATUM(AbConversionResult(fcinfo, ca, na, cb, nb, alpha, NULL, NULL));
}

/* ---------- aggregate state ---------- */

typedef struct AbVariant
{
	int64		n;
	int64		successes;
	double		mean;
	double		m2;
} AbVariant;

/*
 * State of the A/B aggregates: up to two labelled variants and alpha.
 * Labels follow the fixed part as NUL-terminated strings.  A third label is
 * an error, so the state is replaced at most twice and modified in place
 * otherwise.
 */
typedef struct AbState
{
	int32		vl_len_;
	int32		nvariants;
	double		alpha;
	AbVariant	v[2];
	int32		labellen[2];
	char		labels[FLEXIBLE_ARRAY_MEMBER];
} AbState;

/* Label of variant i (NUL-terminated). */
static inline const char *
AbLabel(const AbState *s, int i)
{
	return s->labels + (i == 0 ? 0 : s->labellen[0] + 1);
}

/* A copy of s (or a new state) with label added as variant s->nvariants. */
static AbState *
AbStateAdd(const AbState *s, double alpha, const char *label, int len)
{
	int			old = s ? s->labellen[0] + 1 + (s->nvariants > 1 ? s->labellen[1] + 1 : 0) : 0;
	Size		sz = offsetof(AbState, labels) + old + len + 1;
	AbState    *r = palloc0(sz);

	SET_VARSIZE(r, sz);
	if (s)
	{
		memcpy(r, s, offsetof(AbState, labels) + old);
		SET_VARSIZE(r, sz);
	}
	else
		r->alpha = alpha;
	if (r->nvariants >= 2)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("an A/B test compares two variants, found a third: \"%.*s\"", len, label),
				 errhint("Filter the rows to two variants.")));
	memcpy(r->labels + old, label, len);
	r->labels[old + len] = '\0';
	r->labellen[r->nvariants] = len;
	r->v[r->nvariants].n = 0;
	r->nvariants++;
	return r;
}

/* Variant index of label in s, or -1. */
static int
AbFind(const AbState *s, const char *label, int len)
{
	for (int i = 0; s && i < s->nvariants; i++)
		if (s->labellen[i] == len && memcmp(AbLabel(s, i), label, len) == 0)
			return i;
	return -1;
}

/*
 * The moments of a variant: its layout (n, successes, mean, m2) is the
 * stored form of the state, so they are read out and written back.
 */
static inline PortraitMoments
AbMoments(const AbVariant *v)
{
	PortraitMoments m = {v->n, v->mean, v->m2};

	return m;
}

static inline void
AbSetMoments(AbVariant *v, const PortraitMoments *m)
{
	v->n = m->n;
	v->mean = m->mean;
	v->m2 = m->m2;
}

/* One value more. */
static inline void
AbAddValue(AbVariant *v, double x)
{
	PortraitMoments m = AbMoments(v);

	MomentsAdd(&m, x);
	AbSetMoments(v, &m);
}

/* b merged into a. */
static void
AbMerge(AbVariant *a, const AbVariant *b)
{
	PortraitMoments ma = AbMoments(a);
	PortraitMoments mb = AbMoments(b);

	MomentsMerge(&ma, &mb);
	AbSetMoments(a, &ma);
	a->successes += b->successes;
}

/*
 * Shared transition: (state, variant, value-or-converted, [alpha]).  Rows
 * with a NULL variant or value are skipped.
 */
static AbVariant *
AbTransVariant(FunctionCallInfo fcinfo, AbState **sp, int alphaarg)
{
	MemoryContext aggcxt;
	AbState    *s = PG_ARGISNULL(0) ? NULL : (AbState *) PG_GETARG_POINTER(0);
	double		alpha = AbAlpha(fcinfo, alphaarg);
	text	   *label;
	int			len;
	int			i;

	aggcxt = PortraitAggContext(fcinfo);
	if (s && s->alpha != alpha)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("alpha must be the same for all rows of a group")));
	*sp = s;
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		return NULL;
	label = PG_GETARG_TEXT_PP(1);
	len = VARSIZE_ANY_EXHDR(label);
	if (len > PORTRAIT_AB_MAX_LABEL)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("variant label longer than %d bytes", PORTRAIT_AB_MAX_LABEL)));
	i = AbFind(s, VARDATA_ANY(label), len);
	if (i < 0)
	{
		MemoryContext old = MemoryContextSwitchTo(aggcxt);

		s = AbStateAdd(s, alpha, VARDATA_ANY(label), len);
		MemoryContextSwitchTo(old);
		i = s->nvariants - 1;
		*sp = s;
	}
	return &s->v[i];
}

/* Transition body: one converted flag (conversion) or one value (Welch). */
static Datum
AbTrans(FunctionCallInfo fcinfo, bool conversion)
{
	AbState    *s;
	AbVariant  *v = AbTransVariant(fcinfo, &s, 3);

	if (v)
	{
		double		x;

		if (conversion)
		{
			x = PG_GETARG_BOOL(2) ? 1.0 : 0.0;
			v->successes += PG_GETARG_BOOL(2) ? 1 : 0;
		}
		else
		{
			x = PG_GETARG_FLOAT8(2);
			CheckFinite(x, "welch_test value");
		}
		AbAddValue(v, x);
	}
	if (s == NULL)
		PG_RETURN_NULL();
	PG_RETURN_POINTER(s);
}

/* ab_test aggregate transition. */
Datum
pp_ab_conversion_trans(PG_FUNCTION_ARGS)
{
	return AbTrans(fcinfo, true);
}

/* welch_test transition. */
Datum
pp_ab_welch_trans(PG_FUNCTION_ARGS)
{
	return AbTrans(fcinfo, false);
}

/* Combine: merge the variants of b into a by label. */
Datum
pp_ab_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	MemoryContext old;
	AbState    *a;
	AbState    *b;

	aggcxt = PortraitAggContext(fcinfo);
	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	b = (AbState *) PG_DETOAST_DATUM(PG_GETARG_DATUM(1));
	a = PG_ARGISNULL(0) ? NULL : (AbState *) PG_DETOAST_DATUM(PG_GETARG_DATUM(0));
	if (a && a->alpha != b->alpha)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("alpha must be the same for all rows of a group")));
	old = MemoryContextSwitchTo(aggcxt);
	for (int j = 0; j < b->nvariants; j++)
	{
		int			i = AbFind(a, AbLabel(b, j), b->labellen[j]);

		if (i < 0)
		{
			a = AbStateAdd(a, b->alpha, AbLabel(b, j), b->labellen[j]);
			i = a->nvariants - 1;
		}
		AbMerge(&a->v[i], &b->v[j]);
	}
	MemoryContextSwitchTo(old);
	if (a == NULL)
		PG_RETURN_NULL();
	PG_RETURN_POINTER(a);
}

/* Indices of A (the label sorting first) and B; 22000 unless there are two variants. */
static void
AbOrder(const AbState *s, int *ia, int *ib, int minn)
{
	if (s->nvariants != 2)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("an A/B test needs rows of two variants, found %d", s->nvariants),
				 errdetail("Only variant \"%s\" has rows with a value.", AbLabel(s, 0)),
				 errhint("Check the variant column and the filter of the query.")));
	*ia = strcmp(AbLabel(s, 0), AbLabel(s, 1)) <= 0 ? 0 : 1;
	*ib = 1 - *ia;
	for (int i = 0; i < 2; i++)
		if (s->v[i].n < minn)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("variant \"%s\" has %lld rows, at least %d are needed",
							AbLabel(s, i), (long long) s->v[i].n, minn)));
}

/* ab_test aggregate final: the readout of A (first label) against B. */
Datum
pp_ab_conversion_final(PG_FUNCTION_ARGS)
{
	AbState    *s = (AbState *) PG_DETOAST_DATUM(PG_GETARG_DATUM(0));
	int			a,
				b;

	AbOrder(s, &a, &b, 1);
	PG_RETURN_DATUM(AbConversionResult(fcinfo, s->v[a].successes, s->v[a].n,
									   s->v[b].successes, s->v[b].n, s->alpha,
									   AbLabel(s, a), AbLabel(s, b)));
}

/* 22003 unless the mean and variance of variant i are finite (values near 1e308 overflow). */
static void
WelchCheckVariant(const AbState *s, int i)
{
	const AbVariant *v = &s->v[i];

	if (!isfinite(v->mean) || !isfinite(v->m2 / (v->n - 1)))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("welch_test values of variant \"%s\" are out of range", AbLabel(s, i)),
				 errdetail("Their %s overflows double precision.", isfinite(v->mean) ? "variance" : "mean"),
				 errhint("Rescale the values, for example to thousands.")));
}

/* 22003 unless x, a derived figure of the readout, is finite; hint may be NULL. */
static void
WelchCheckResult(double x, const char *what, const char *detail, const char *hint)
{
	if (!isfinite(x))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("welch_test %s is out of range", what),
				 errdetail("%s", detail),
				 hint ? errhint("%s", hint) : 0));
}

/*
 * Welch's t-test readout: variant labels, n, mean and sample variance of
 * each, diff = mean_b - mean_a with its interval, t, df, p_value,
 * significant.
 */
Datum
pp_welch_test_final(PG_FUNCTION_ARGS)
{
	AbState    *s = (AbState *) PG_DETOAST_DATUM(PG_GETARG_DATUM(0));
	TupleDesc	tupdesc;
	Datum		v[15];
	bool		nulls[15] = {0};
	int			a,
				b;
	double		va,
				vb,
				sa,
				sb,
				se,
				diff,
				t,
				df,
				p,
				q;

	AbOrder(s, &a, &b, 2);
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "welch_test must return a composite type");
	WelchCheckVariant(s, a);
	WelchCheckVariant(s, b);
	va = s->v[a].m2 / (s->v[a].n - 1);
	vb = s->v[b].m2 / (s->v[b].n - 1);
	sa = va / s->v[a].n;
	sb = vb / s->v[b].n;
	se = sqrt(sa + sb);
	diff = s->v[b].mean - s->v[a].mean;
	if (!(se > 0))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("welch_test needs some variation in the values"),
				 errdetail("Both variants have constant values, or values so small that their variance underflows double precision.")));
	t = diff / se;
	df = (sa + sb) * (sa + sb) /
		(sa * sa / (s->v[a].n - 1) + sb * sb / (s->v[b].n - 1));
	p = StudentTwoSided(t, df);
	q = StudentUpperQuantile(s->alpha / 2, df);
	WelchCheckResult(diff, "difference of the means", "The means are too far apart for double precision.", NULL);
	WelchCheckResult(t, "t statistic", "The standard error is too small next to the difference of the means.", NULL);
	WelchCheckResult(df, "degrees of freedom", "The variances are too far apart for double precision.", NULL);
	WelchCheckResult(q * se, "interval", "Its half-width, the t quantile of alpha / 2 times the standard error, overflows double precision.",
					 "Use a larger alpha.");
	v[0] = CStringGetTextDatum(AbLabel(s, a));
	v[1] = CStringGetTextDatum(AbLabel(s, b));
	v[2] = Int64GetDatum(s->v[a].n);
	v[3] = Int64GetDatum(s->v[b].n);
	v[4] = Float8GetDatum(s->v[a].mean);
	v[5] = Float8GetDatum(s->v[b].mean);
	v[6] = Float8GetDatum(va);
	v[7] = Float8GetDatum(vb);
	v[8] = Float8GetDatum(diff);
	v[9] = Float8GetDatum(diff - q * se);
	v[10] = Float8GetDatum(diff + q * se);
	v[11] = Float8GetDatum(t);
	v[12] = Float8GetDatum(df);
	v[13] = Float8GetDatum(p);
	v[14] = BoolGetDatum(p < s->alpha);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(tupdesc), v, nulls)));
}

/* ---------- text I/O of the state ---------- */

/* Text form: alpha;nvariants then per variant ;len:label;n;successes;mean;m2 */
Datum
pp_ab_state_out(PG_FUNCTION_ARGS)
{
	AbState    *s = (AbState *) PG_DETOAST_DATUM(PG_GETARG_DATUM(0));
	StringInfoData buf;

	initStringInfo(&buf);
	PortraitFormatDouble(&buf, s->alpha);
	appendStringInfo(&buf, ";%d", s->nvariants);
	for (int i = 0; i < s->nvariants; i++)
	{
		appendStringInfo(&buf, ";%d:", s->labellen[i]);
		appendBinaryStringInfo(&buf, AbLabel(s, i), s->labellen[i]);
		appendStringInfo(&buf, ";%lld;%lld;", (long long) s->v[i].n, (long long) s->v[i].successes);
		PortraitFormatDouble(&buf, s->v[i].mean);
		appendStringInfoChar(&buf, ';');
		PortraitFormatDouble(&buf, s->v[i].m2);
	}
	PG_RETURN_CSTRING(buf.data);
}

/* Text input of portrait.ab_state; every field is checked. */
Datum
pp_ab_state_in(PG_FUNCTION_ARGS)
{
	const char *input = PG_GETARG_CSTRING(0);
	const char *p = input;
	const char *tn = "portrait.ab_state";
	double		alpha;
	int64		nv;
	AbState    *s = NULL;

	alpha = PortraitParseDouble(&p, tn, input);
	PortraitExpectChar(&p, ';', tn, input);
	nv = PortraitParseInt64(&p, tn, input);
	if (!(alpha > 0 && alpha < 1) || nv < 1 || nv > 2)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type %s: \"%s\"", tn, input)));
	for (int i = 0; i < nv; i++)
	{
		int64		len;
		AbVariant	v;

		PortraitExpectChar(&p, ';', tn, input);
		len = PortraitParseInt64(&p, tn, input);
		PortraitExpectChar(&p, ':', tn, input);
		if (len < 0 || len > PORTRAIT_AB_MAX_LABEL || len > (int64) strlen(p) ||
			memchr(p, '\0', len) != NULL || AbFind(s, p, (int) len) >= 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("invalid input syntax for type %s: \"%s\"", tn, input)));
		s = AbStateAdd(s, alpha, p, (int) len);
		p += len;
		PortraitExpectChar(&p, ';', tn, input);
		v.n = PortraitParseInt64(&p, tn, input);
		PortraitExpectChar(&p, ';', tn, input);
		v.successes = PortraitParseInt64(&p, tn, input);
		PortraitExpectChar(&p, ';', tn, input);
		v.mean = PortraitParseDouble(&p, tn, input);
		PortraitExpectChar(&p, ';', tn, input);
		v.m2 = PortraitParseDouble(&p, tn, input);
		if (v.n < 0 || v.successes < 0 || v.successes > v.n || v.m2 < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("invalid input syntax for type %s: \"%s\"", tn, input)));
		s->v[i] = v;
	}
	if (*p != '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type %s: \"%s\"", tn, input)));
	PG_RETURN_POINTER(s);
}
