/*
 * special.c
 *		Special functions of the likelihood models: digamma, differences of
 *		log-gamma and digamma values, and the Gauss hypergeometric function.
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "miscadmin.h"

#include "portrait.h"

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
#define HYP2F1_EXCESS_MAX_TERMS 100000

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

/*
 * The excess of 2F1 over its first term, scaled by that term's successor:
 * (2F1(a, b; c; z) - 1) c / (a b z) = sum_k (a+1)_k (b+1)_k / ((c+1)_k (k+1)!) z^k,
 * for |z| < 1 and c > 0.  Where 2F1 is within rounding of 1 (huge c, or a
 * prefactor that cancels it) the difference 2F1 - 1 has no digits left, the
 * series keeps them all.  False when the series would lose more than 8
 * digits to alternating terms or needs too many of them; the caller then
 * has to use another form.
 */
bool
PortraitHyp2f1Excess(double a, double b, double c, double z, double *excess)
{
	double		sum = 1;
	double		term = 1;
	double		largest = 1;

	if (!(fabs(z) < 1) || !(c > 0))
		return false;
	for (int64 k = 0;; k++)
	{
		double		ratio = (a + 1 + k) * (b + 1 + k) / ((c + 1 + k) * (k + 2)) * z;

		term *= ratio;
		sum += term;
		largest = Max(largest, fabs(term));
		if (term == 0 || (fabs(ratio) < 1 &&
						  fabs(term) / (1 - fabs(ratio)) <= DBL_EPSILON * 0.5 * fabs(sum)))
			break;
		if (k >= HYP2F1_EXCESS_MAX_TERMS || largest > 1e8 * fabs(sum))
			return false;
	}
	if (largest > 1e8 * fabs(sum))
		return false;
	*excess = sum;
	return true;
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
