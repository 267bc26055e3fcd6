/*
 * pareto_nbd.c
 *		The Pareto/NBD model of Schmittlein, Morrison & Colombo ("Counting
 *		your customers: who are they and what will they do next?",
 *		Management Science 33(1), 1987), in the forms of Fader & Hardie's
 *		note "A Note on Deriving the Pareto/NBD Model and Related
 *		Expressions" (2005): maximum-likelihood fit from (x, t_x, T) (model
 *		kind "pareto_nbd"), its log-likelihood, P(alive) and expected
 *		purchases, which bgnbd.c's scoring functions call for this kind.
 *
 * While alive a customer buys at Poisson rate lambda ~ Gamma(r, alpha); her
 * lifetime is exponential with rate mu ~ Gamma(s, beta), so she may leave
 * at any time, also before a first repeat purchase.
 */
#include "postgres.h"

#include <math.h>

#include "miscadmin.h"

#include "portrait.h"
#include "bgnbd.h"

#define PARETO_NPARAMS 4
/*
 * The objective's gradient is by central differences (the likelihood's
 * 2F1 has no cheap derivative in its parameters), good to about 1e-10.
 */
#define PARETO_GTOL 1e-8
#define PORTRAIT_PARETO_MAX_PARAM 1e8

PG_FUNCTION_INFO_V1(pp_pareto_nbd_fit_trans);
PG_FUNCTION_INFO_V1(pp_pareto_nbd_fit_trans_options);
PG_FUNCTION_INFO_V1(pp_pareto_nbd_fit_final);

/* ---------- the likelihood ---------- */

/* log(1 - e^v) for v <= 0, accurate at both ends. */
static inline double
Log1mExp(double v)
{
	return v > -M_LN2 ? log(-expm1(v)) : log1p(-exp(v));
}

/*
 * ln F(t) of the lifetime term: with m = r+s+x,
 *   alpha >= beta: 2F1(m, s+1; m+1; (alpha-beta)/(alpha+t)) / (alpha+t)^m
 *   alpha <  beta: 2F1(m, r+x; m+1; (beta-alpha)/(beta+t)) / (beta+t)^m
 * (Fader & Hardie's note, eq. 18-19), so that the 2F1 argument is in [0, 1).
 */
static double
LogLifetimeTerm(const BgnbdParams *p, double x, double t)
{
	double		m = p->r + p->s + x;
	int			sign;

	if (p->alpha >= p->beta)
		return PortraitLogHyp2f1(m, p->s + 1, m + 1, (p->alpha - p->beta) / (p->alpha + t), &sign)
			- m * log(p->alpha + t);
	return PortraitLogHyp2f1(m, p->r + x, m + 1, (p->beta - p->alpha) / (p->beta + t), &sign)
		- m * log(p->beta + t);
}

/*
 * ln A0 = ln(F(t_x) - F(T)): the (scaled) probability of having left between
 * the last purchase and T.  -Infinity when t_x = T.
 */
static double
LogA0(const BgnbdParams *p, double x, double t_x, double T)
{
	double		l1;
	double		l2;

	if (!(t_x < T))
		return -INFINITY;
	l1 = LogLifetimeTerm(p, x, t_x);
	l2 = LogLifetimeTerm(p, x, T);
	/* F decreases in t; rounding at t_x close to T may say otherwise */
	if (!(l2 < l1))
		return -INFINITY;
	return l1 + Log1mExp(l2 - l1);
}

/*
 * ln of the two parts of the likelihood after the constant: alive at T
 * (lalive) and left in (t_x, T] (ldead).
 */
static inline void
ParetoParts(const BgnbdParams *p, double x, double t_x, double T, double *lalive, double *ldead)
{
	*lalive = -(p->r + x) * log(p->alpha + T) - p->s * log(p->beta + T);
	*ldead = log(p->s) - log(p->r + p->s + x) + LogA0(p, x, t_x, T);
}

/* log(e^a + e^b) */
static inline double
LogAddExp(double a, double b)
{
	double		m = Max(a, b);

	if (m == -INFINITY)
		return m;
	return m + log(exp(a - m) + exp(b - m));
}

/*
 * One customer's log-likelihood:
 *
 *   lnG(r+x) - lnG(r) + r ln alpha + s ln beta
 *     + ln( (alpha+T)^-(r+x) (beta+T)^-s + s/(r+s+x) A0 )
 */
double
ParetoNbdLoglik(const BgnbdParams *p, double x, double t_x, double T)
{
	double		la;
	double		ld;

	ParetoParts(p, x, t_x, T, &la, &ld);
	return PortraitLogGammaRatio(p->r, x) + p->r * log(p->alpha) + p->s * log(p->beta)
		+ LogAddExp(la, ld);
}

/* ln P(dead) / P(alive) = ln( s/(r+s+x) (alpha+T)^(r+x) (beta+T)^s A0 ). */
double
ParetoNbdLogDeadOdds(const BgnbdParams *p, double x, double t_x, double T)
{
	double		la;
	double		ld;

	ParetoParts(p, x, t_x, T, &la, &ld);
	return ld - la;
}

/*
 * E[Y(t) | x, t_x, T] (Fader & Hardie's note, eq. 22):
 *
 *   (r+x)(beta+T) / ((alpha+T)(s-1)) [1 - ((beta+T)/(beta+T+t))^(s-1)] P(alive)
 *
 * The bracket over s - 1 is -expm1(-(s-1) L)/(s-1), L = ln(1 + t/(beta+T)),
 * whose limit at s = 1 is L.  A new customer is x = t_x = T = 0.
 */
double
ParetoNbdExpectedPurchases(const BgnbdParams *p, double t, double x, double t_x, double T)
{
	double		L = log1p(t / (p->beta + T));
	double		sm1 = p->s - 1;
	double		f = fabs(sm1 * L) < 1e-12 ? L : -expm1(-sm1 * L) / sm1;

	return (p->r + x) * (p->beta + T) / (p->alpha + T) * f
		* BtydLogistic(ParetoNbdLogDeadOdds(p, x, t_x, T));
}

/*
 * Mean negative log-likelihood plus penalizer * (r^2 + alpha^2 + s^2 +
 * beta^2) at theta = log(r, alpha, s, beta), over bgnbd.c's distinct rows
 * grouped by x; grad is always NULL (the optimiser differentiates
 * numerically).
 */
static double
ParetoObjective(const double *theta, double *grad, void *arg)
{
	const BgnbdData *d = arg;
	BgnbdParams p = {0};
	KahanSum	ll = {0};
	double		pv[PARETO_NPARAMS];

	p.r = pv[0] = exp(theta[0]);
	p.alpha = pv[1] = exp(theta[1]);
	p.s = pv[2] = exp(theta[2]);
	p.beta = pv[3] = exp(theta[3]);
	p.kind = PORTRAIT_KIND_PARETO_NBD;
	for (int64 k = 0; k < d->ngroups; k++)
	{
		double		x = d->x[d->group_start[k]];
		double		lconst = PortraitLogGammaRatio(p.r, x) + p.r * log(p.alpha) + p.s * log(p.beta);

		CHECK_FOR_INTERRUPTS();
		for (int64 i = d->group_start[k]; i < d->group_start[k + 1]; i++)
		{
			double		la;
			double		ld;

			PORTRAIT_ROW_INTERRUPTS(i);
			ParetoParts(&p, x, d->t_x[i], d->T[i], &la, &ld);
			KahanAdd(&ll, d->w[i] * (lconst + LogAddExp(la, ld)));
		}
	}
	return FitPenalizedObjective(KahanValue(&ll), NULL, pv, PARETO_NPARAMS, d->n, d->penalizer, NULL);
}

/*
 * The fit's data: bgnbd.c's (distinct rows, too few customers refused);
 * the start r = s = 1 and alpha = beta of the order of the observation
 * times.
 */
static void *
ParetoPrepare(double *rows, int64 n, const FitOptions *o, double *theta, int64 *nobs)
{
	void	   *d = BgnbdFitPrepare(rows, n, o, theta, nobs, PORTRAIT_KIND_PARETO_NBD);

	theta[2] = 0;
	theta[3] = theta[1];
	return d;
}

static const char *const pareto_param_names[] = {"r", "alpha", "s", "beta"};

const FitSpec ParetoNbdFitSpec = {
	"pareto_nbd_fit", "Pareto/NBD", PORTRAIT_KIND_PARETO_NBD, PARETO_NPARAMS, pareto_param_names,
	true, PARETO_GTOL, true, PORTRAIT_PARETO_MAX_PARAM, ParetoPrepare, ParetoObjective,
	BtydSpecLoglik, NULL
};

/* ---------- the model ---------- */

static const ModelFieldSpec pareto_fields[] = {
	{"r", MF_FLOAT, true},
	{"alpha", MF_FLOAT, true},
	{"s", MF_FLOAT, true},
	{"beta", MF_FLOAT, true},
	{"unit", MF_TEXT, false},
	{"log_likelihood", MF_FLOAT, false},
	{"n", MF_INT, false},
	{"penalizer", MF_FLOAT, false},
	{"iterations", MF_INT, false},
	{"converged", MF_BOOL, false},
};

const ModelKindSpec ParetoNbdModelKind = {
	PORTRAIT_KIND_PARETO_NBD, "pareto_nbd", pareto_fields, lengthof(pareto_fields), BtydValidate
};

/* ---------- the aggregate ---------- */

/* pareto_nbd_fit(x, t_x, T) transition. */
Datum
pp_pareto_nbd_fit_trans(PG_FUNCTION_ARGS)
{
	return BtydTrans(fcinfo, NULL);
}

/* pareto_nbd_fit(x, t_x, T, options) transition. */
Datum
pp_pareto_nbd_fit_trans_options(PG_FUNCTION_ARGS)
{
	return BtydTrans(fcinfo, FitOptionsCached(fcinfo, 4, true, "pareto_nbd_fit"));
}

/* Final function of pareto_nbd_fit: the maximum-likelihood fit as a model. */
Datum
pp_pareto_nbd_fit_final(PG_FUNCTION_ARGS)
{
	return FitFinal(fcinfo, &ParetoNbdFitSpec);
}
