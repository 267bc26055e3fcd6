/*
 * logit.c
 *		Logistic regression for churn with labels: a Newton (IRLS) fit with an
 *		intercept, optional L2 penalty and standardisation (model kind
 *		"logit"), scoring, the coefficient table, and a trainer that runs
 *		each Newton step as one parallel aggregate scan.
 *
 * Both fitters share one driver (LogitNewton) that only needs, for given
 * coefficients, the sums X'WX, X'(y - p) and the log-likelihood over the
 * rows (LogitData); logit_fit computes them over its collected rows,
 * logit_train with the aggregate logit_step.  With standardisation the rows
 * are centred and scaled as they are read, and the iteration runs in those
 * "working" units theta; beta = J theta maps back to original units (J is
 * the identity without standardisation).  The L2 penalty applies to theta,
 * so to standardised coefficients when asked to.
 *
 * Convergence follows MADlib's IRLS: stop after the step whose starting
 * point changed the (penalised) log-likelihood by at most tol relative.  The
 * reported coefficients include that last step; the log-likelihood, the
 * standard errors and the condition number are those of the last Hessian
 * evaluated (at the step's starting point), as MADlib reports them.
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/tuplestore.h"

#include "portrait.h"

#define PORTRAIT_LOGIT_MAX_FEATURES 999 /* points rows hold label + features */
#define PORTRAIT_LOGIT_DEFAULT_MAX_ITER 100
#define PORTRAIT_LOGIT_MAX_MAX_ITER 10000
#define PORTRAIT_LOGIT_DEFAULT_TOL 1e-10
#define PORTRAIT_LOGIT_MAX_HALVINGS 40
/* a column whose 1 - R^2 against the earlier columns is below this is collinear */
#define PORTRAIT_LOGIT_PIVOT_TOL 1e-10
/* a row is "fitted exactly" when its residual is below this */
#define PORTRAIT_LOGIT_EXTREME 1e-10
#define PORTRAIT_LOGIT_MAX_OPTIONS_LEN 65536

/* Layout of the sums of one pass (also the value of logit_step). */
#define LOGIT_ACC_N 0			/* rows */
#define LOGIT_ACC_LL 1			/* log-likelihood */
#define LOGIT_ACC_WRONG 2		/* rows on the wrong side of (or on) eta = 0 */
#define LOGIT_ACC_EXTREME 3		/* rows fitted with probability 0 or 1 */
#define LOGIT_ACC_G 4			/* gradient X'(y - p), k values, then the */
								/* upper triangle of X'WX row by row */
#define LogitAccLen(k) (LOGIT_ACC_G + (k) + (k) * ((k) + 1) / 2)

PG_FUNCTION_INFO_V1(pp_logit_fit_trans);
PG_FUNCTION_INFO_V1(pp_logit_fit_trans_options);
PG_FUNCTION_INFO_V1(pp_logit_fit_combine);
PG_FUNCTION_INFO_V1(pp_logit_fit_final);
PG_FUNCTION_INFO_V1(pp_churn_risk_logit);
PG_FUNCTION_INFO_V1(pp_logit_coefficients);
PG_FUNCTION_INFO_V1(pp_logit_step_trans);
PG_FUNCTION_INFO_V1(pp_logit_step_combine);
PG_FUNCTION_INFO_V1(pp_logit_train_rel);
PG_FUNCTION_INFO_V1(pp_logit_train_query);

typedef struct LogitOptions
{
	double		lambda;			/* L2 penalty on the non-intercept coefficients */
	double		tol;
	int			max_iter;
	bool		standardize;
	int			nnames;			/* 0 or the number of features */
	char	  **names;
} LogitOptions;

/* What a fit produces (arrays of k = features + 1, intercept first). */
typedef struct LogitFit
{
	int			k;
	int64		n;
	int64		positives;
	double	   *coef;
	double	   *std_err;
	double	   *z;
	double	   *p_value;
	double	   *odds_ratio;
	double		log_likelihood;
	double		condition_number;
	int			iterations;
} LogitFit;

/*
 * Where a fit's rows come from.  pass: the sums (LOGIT_ACC_*) at
 * coefficients theta over the rows, each feature taken as (x - center) /
 * scale (as it is when center is NULL).  moments: each feature's mean and
 * population standard deviation.
 */
typedef struct LogitData
{
	void		(*pass) (void *arg, const double *theta, const double *center,
						 const double *scale, double *acc);
	void		(*moments) (void *arg, int p, double *mean, double *sd);
	void	   *arg;
} LogitData;

/* ---------- checks and reading arguments ---------- */

/*
 * Copy a float8[] argument into out (capacity max): the shared reader's
 * checks (one dimension, no NULLs, finite), and not empty.  Returns the
 * element count.
 */
static int
LogitReadArray(ArrayType *a, double *out, int max, const char *what)
{
	int			n;
	const double *v = PortraitFloatArray(a, &n, what);

	if (n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not be empty", what)));
	if (n > max)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s has %d elements, more than the %d allowed", what, n, max)));
	memcpy(out, v, sizeof(double) * n);
	return n;
}

/* A growable per-call buffer of doubles in fn_mcxt. */
static double *
LogitBuffer(FunctionCallInfo fcinfo, double **buf, int *cap, int need)
{
	if (*cap < need)
	{
		*buf = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, sizeof(double) * need);
		*cap = need;
	}
	return *buf;
}

/* ---------- options ---------- */

/* What LogitParseOptions's visitor needs. */
typedef struct LogitOptionArgs
{
	LogitOptions *opt;
	int			p;
} LogitOptionArgs;

static void
LogitOption(const char *key, JsonbValue *vp, void *arg)
{
	LogitOptionArgs *a = arg;
	LogitOptions *opt = a->opt;
	JsonbValue	v = *vp;

	if (strcmp(key, "penalizer") == 0)
		opt->lambda = PortraitOptionRange(&v, "logit_fit", key, 0, INFINITY, false, "zero or positive");
	else if (strcmp(key, "tol") == 0)
		opt->tol = PortraitOptionRange(&v, "logit_fit", key, 0, 1, true, "between 0 and 1 (exclusive)");
	else if (strcmp(key, "max_iter") == 0)
		opt->max_iter = PortraitOptionInteger(&v, "logit_fit", key, 1, PORTRAIT_LOGIT_MAX_MAX_ITER);
	else if (strcmp(key, "standardize") == 0)
		opt->standardize = PortraitOptionBool(&v, "logit_fit", key);
	else if (strcmp(key, "feature_names") == 0)
	{
		opt->names = PortraitOptionNames(&v, "logit_fit", key, &opt->nnames);
		if (opt->nnames != a->p)
			PortraitBadOption("logit_fit", key, psprintf("an array of %d names, one per feature", a->p));
	}
	else
		PortraitUnknownOption("logit_fit", key, "penalizer (or lambda), tol, max_iter, standardize and feature_names");
}

/*
 * Options of a fit: lambda, tol, max_iter, standardize, feature_names (p
 * strings).  NULL means every default.
 */
static void
LogitParseOptions(Jsonb *jb, int p, LogitOptions *opt)
{
	LogitOptionArgs a = {opt, p};

	memset(opt, 0, sizeof(LogitOptions));
	opt->tol = PORTRAIT_LOGIT_DEFAULT_TOL;
	opt->max_iter = PORTRAIT_LOGIT_DEFAULT_MAX_ITER;
	if (jb == NULL)
		return;
	PortraitForEachOption(jb, "logit_fit", LogitOption, &a);
}

/* The name of coefficient j (0 is the intercept). */
static const char *
CoefName(const LogitOptions *opt, int j)
{
	if (j == 0)
		return "intercept";
	if (opt->nnames > 0)
		return opt->names[j - 1];
	return psprintf("x%d", j);
}

/* ---------- one row's contribution ---------- */

/* Add one row (label y, features x[0..k-2]) at coefficients beta to acc. */
static inline void
LogitAccumRow(double *acc, int k, const double *beta, bool y, const double *x)
{
	double		eta = beta[0];
	double		e;
	double		w;
	double		r;
	double	   *h = acc + LOGIT_ACC_G + k;

	for (int j = 1; j < k; j++)
		eta += beta[j] * x[j - 1];
	e = exp(-fabs(eta));
	w = e / ((1.0 + e) * (1.0 + e));
	/* residual y - p, computed without cancellation */
	if (y)
		r = eta >= 0 ? e / (1.0 + e) : 1.0 / (1.0 + e);
	else
		r = eta >= 0 ? -1.0 / (1.0 + e) : -e / (1.0 + e);

	acc[LOGIT_ACC_N] += 1.0;
	/* log p = -log(1 + exp(-eta)), log(1 - p) = -log(1 + exp(eta)) */
	acc[LOGIT_ACC_LL] -= (y ? Max(-eta, 0.0) : Max(eta, 0.0)) + log1p(e);
	acc[LOGIT_ACC_WRONG] += y ? (eta <= 0) : (eta >= 0);
	acc[LOGIT_ACC_EXTREME] += fabs(r) < PORTRAIT_LOGIT_EXTREME;
	acc[LOGIT_ACC_G] += r;
	for (int j = 1; j < k; j++)
		acc[LOGIT_ACC_G + j] += r * x[j - 1];
	/* row 0 of the upper triangle pairs the intercept with everything */
	*h++ += w;
	for (int b = 1; b < k; b++)
		*h++ += w * x[b - 1];
	for (int a = 1; a < k; a++)
	{
		double		wa = w * x[a - 1];

		for (int b = a; b < k; b++)
			*h++ += wa * x[b - 1];
	}
}

/* ---------- the Newton driver ---------- */

/*
 * The Hessian failed to factorise at column col (1-based): LAPACK's info
 * when LAPACK refused it, else 0 and the column's 1 - R^2 against the
 * earlier columns (its squared pivot relative to its diagonal).
 */
pg_attribute_noreturn()
static void
Collinear(const LogitOptions *opt, int col, int lapack_info, double residual, int k)
{
	if (lapack_info != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("the features are collinear: the Hessian X'WX is singular"),
				 errdetail("LAPACK dpotrf info %d: the %d x %d Hessian is not positive definite at column %d (%s).",
						   lapack_info, k, k, col, CoefName(opt, col - 1)),
				 errhint("Remove collinear features.")));
	ereport(ERROR,
			(errcode(ERRCODE_DATA_EXCEPTION),
			 errmsg("the features are collinear: the Hessian X'WX is singular"),
			 errdetail("LAPACK dpotrf info 0, but column %d (%s) of the %d x %d Hessian is a combination of the earlier columns to working precision (1 - R^2 = %.1e).",
					   col, CoefName(opt, col - 1), k, k, residual),
			 errhint("Remove collinear features.")));
}

/* Raise 22000 for complete or quasi-complete separation. */
pg_attribute_noreturn()
static void
Separated(bool complete, double extreme, int iterations)
{
	if (complete)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("the labels are perfectly separated by the features"),
				 errdetail_plural("After %d Newton step every row lies on the side of its label, so the likelihood has no maximum (the coefficients grow without bound).",
								  "After %d Newton steps every row lies on the side of its label, so the likelihood has no maximum (the coefficients grow without bound).",
								  iterations, iterations),
				 errhint("Remove the feature that predicts the label exactly, or add an L2 penalty with the option \"lambda\".")));
	ereport(ERROR,
			(errcode(ERRCODE_DATA_EXCEPTION),
			 errmsg("the labels are quasi-perfectly separated by the features"),
			 errdetail_plural("After %d Newton step %.0f rows are fitted with probability 0 or 1 and the coefficients keep growing, so the likelihood has no maximum.",
							 "After %d Newton steps %.0f rows are fitted with probability 0 or 1 and the coefficients keep growing, so the likelihood has no maximum.",
							 iterations, iterations, extreme),
			 errhint("Remove the feature that predicts the label exactly for some rows, or add an L2 penalty with the option \"lambda\".")));
}

/*
 * Solve h x = b (k x k, symmetric) through LAPACK's Cholesky, work holding
 * the factor.  Besides LAPACK's own failure (*lapack_info > 0), a column
 * whose squared pivot is below PORTRAIT_LOGIT_PIVOT_TOL of its diagonal (it
 * is numerically a combination of the earlier columns) counts as failure;
 * *residual is then that ratio.  Returns 0 or the failing column, 1-based.
 */
static int
LogitSolve(int k, const double *h, double *b, double *work, int *lapack_info, double *residual)
{
	memcpy(work, h, sizeof(double) * k * k);
	*lapack_info = LinalgCholeskySolve(k, work, b, 1);
	*residual = 0;
	if (*lapack_info != 0)
		return *lapack_info;
	for (int j = 0; j < k; j++)
	{
		double		l = work[j + j * k];

		if (l * l < PORTRAIT_LOGIT_PIVOT_TOL * h[j + j * k])
		{
			*residual = l * l / h[j + j * k];
			return j + 1;
		}
	}
	return 0;
}

/* out = op(a) op(b) for k x k row-major matrices, op transposing when asked. */
static void
MatMul(int k, const double *a, bool ta, const double *b, bool tb, double *out)
{
	for (int i = 0; i < k; i++)
		for (int j = 0; j < k; j++)
		{
			double		s = 0;

			for (int l = 0; l < k; l++)
				s += (ta ? a[l * k + i] : a[i * k + l]) * (tb ? b[j * k + l] : b[l * k + j]);
			out[i * k + j] = s;
		}
}

/*
 * Fit from the sums a pass gives.  Returns false when there are no rows.
 * Everything in fit must be allocated by the caller (k values per array).
 */
static bool
LogitNewton(int p, const LogitOptions *opt, const LogitData *data, LogitFit *fit)
{
	int			k = p + 1;
	double	   *acc = palloc0(sizeof(double) * LogitAccLen(k));
	double	   *hb = palloc(sizeof(double) * k * k);	/* X'WX, working units */
	double	   *ht = palloc(sizeof(double) * k * k);	/* working units, penalised */
	double	   *jac = palloc0(sizeof(double) * k * k);	/* beta = jac theta */
	double	   *tmp = palloc(sizeof(double) * k * k);
	double	   *work = palloc(sizeof(double) * k * k);
	double	   *gt = palloc(sizeof(double) * k);
	double	   *theta = palloc0(sizeof(double) * k);
	double	   *theta_prev = palloc0(sizeof(double) * k);
	double	   *center = NULL;
	double	   *scale = NULL;
	double		f = 0;
	double		f_prev = 0;
	int			iter = 0;
	int			halvings = 0;
	int			info;
	int			col;
	double		residual;
	double		n;
	double		positives;

	data->pass(data->arg, theta, NULL, NULL, acc);
	n = acc[LOGIT_ACC_N];
	if (n == 0)
		return false;
	/* at beta = 0 the gradient's first entry is positives - n / 2 */
	positives = rint(acc[LOGIT_ACC_G] + n / 2);
	if (n < k + 1)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("too few rows to fit a logistic regression: %.0f rows for %d coefficients", n, k),
				 errhint("A fit needs more rows than coefficients (features + 1).")));
	if (positives == 0 || positives == n)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("all %.0f labels are %s", n, positives == 0 ? "false" : "true"),
				 errdetail("A logistic regression needs rows of both classes."),
				 errhint("Check the label expression, or fit on a sample with both outcomes.")));

	for (int i = 0; i < k; i++)
		jac[i * k + i] = 1.0;
	if (opt->standardize)
	{
		/*
		 * Fit on (x - mean) / sd, computed as the rows are read: centring
		 * before summing keeps features with a large offset (epoch seconds,
		 * say) from cancelling out in X'WX.
		 */
		center = palloc(sizeof(double) * p);
		scale = palloc(sizeof(double) * p);
		data->moments(data->arg, p, center, scale);
		for (int j = 0; j < p; j++)
		{
			CheckFinite(center[j], "features");
			if (!(scale[j] > 1e-12 * fabs(center[j])))
				ereport(ERROR,
						(errcode(ERRCODE_DATA_EXCEPTION),
						 errmsg("the features are collinear: feature \"%s\" is constant", CoefName(opt, j + 1)),
						 errdetail("A constant feature is a multiple of the intercept, so it cannot be standardised and the Hessian is singular."),
						 errhint("Remove collinear features.")));
			/* beta_j = theta_j / sd_j; the intercept absorbs the centring */
			jac[(j + 1) * k + j + 1] = 1.0 / scale[j];
			jac[0 * k + j + 1] = -center[j] / scale[j];
		}
		data->pass(data->arg, theta, center, scale, acc);
	}

	for (;;)
	{
		double	   *g = acc + LOGIT_ACC_G;
		double	   *h = acc + LOGIT_ACC_G + k;
		double		penalty = 0;
		double		change;
		bool		converged;

		/* unpack the upper triangle */
		for (int a = 0; a < k; a++)
			for (int b = a; b < k; b++)
			{
				hb[a * k + b] = hb[b * k + a] = *h;
				h++;
			}
		for (int j = 1; j < k; j++)
			penalty += theta[j] * theta[j];
		f = acc[LOGIT_ACC_LL] - opt->lambda / 2 * penalty;

		if (iter > 0 && f < f_prev - 1e-12 * fabs(f_prev))
		{
			/* the full step went too far: halve it */
			if (++halvings > PORTRAIT_LOGIT_MAX_HALVINGS)
			{
				if (opt->lambda == 0 && acc[LOGIT_ACC_EXTREME] > 0)
					Separated(false, acc[LOGIT_ACC_EXTREME], iter);
				ereport(ERROR,
						(errcode(ERRCODE_DATA_EXCEPTION),
						 errmsg("logistic regression did not converge: no step improves the log-likelihood after %d iterations", iter),
						 errhint("Standardise the features (option \"standardize\") or add an L2 penalty (option \"lambda\").")));
			}
			for (int j = 0; j < k; j++)
				theta[j] = theta_prev[j] + 0.5 * (theta[j] - theta_prev[j]);
		}
		else
		{
			halvings = 0;
			if (opt->lambda == 0 && acc[LOGIT_ACC_WRONG] == 0)
				Separated(true, 0, iter);

			/* the Newton system in working units, penalised */
			memcpy(ht, hb, sizeof(double) * k * k);
			memcpy(gt, g, sizeof(double) * k);
			for (int j = 1; j < k; j++)
			{
				ht[j * k + j] += opt->lambda;
				gt[j] -= opt->lambda * theta[j];
			}
			col = LogitSolve(k, ht, gt, work, &info, &residual);
			if (col != 0)
			{
				if (iter > 0 && opt->lambda == 0 && acc[LOGIT_ACC_EXTREME] > 0)
					Separated(false, acc[LOGIT_ACC_EXTREME], iter);
				Collinear(opt, col, info, residual, k);
			}

			change = iter > 0 ? fabs(f - f_prev) / Max(fabs(f_prev), DBL_MIN) : INFINITY;
			converged = change <= opt->tol;
			memcpy(theta_prev, theta, sizeof(double) * k);
			f_prev = f;
			for (int j = 0; j < k; j++)
				theta[j] += gt[j];
			iter++;
			if (converged)
				break;
			if (iter >= opt->max_iter)
			{
				if (opt->lambda == 0 && acc[LOGIT_ACC_EXTREME] > 0)
					Separated(false, acc[LOGIT_ACC_EXTREME], iter);
				ereport(ERROR,
						(errcode(ERRCODE_DATA_EXCEPTION),
						 errmsg("logistic regression did not converge in %d iterations", iter),
						 errdetail("The log-likelihood still changed by %g (relative) in the last step; the tolerance is %g.",
								   change, opt->tol),
						 errhint("Raise the option \"max_iter\" or \"tol\", or add an L2 penalty (option \"lambda\").")));
			}
		}
		CHECK_FOR_INTERRUPTS();
		data->pass(data->arg, theta, center, scale, acc);
	}

	/* statistics from the last Hessian: covariance = J ht^-1 J' */
	memcpy(work, ht, sizeof(double) * k * k);
	info = LinalgCholeskyInverse(k, work);
	if (info != 0)
		Collinear(opt, info, info, 0, k);
	MatMul(k, jac, false, work, false, ht);
	MatMul(k, ht, false, jac, true, tmp);

	fit->k = k;
	fit->n = (int64) n;
	fit->positives = (int64) positives;
	fit->iterations = iter;
	fit->log_likelihood = acc[LOGIT_ACC_LL];
	fit->condition_number = sqrt(LinalgConditionNumber(k, hb));
	for (int i = 0; i < k; i++)
	{
		double		s = 0;

		for (int l = 0; l < k; l++)
			s += jac[i * k + l] * theta[l];
		fit->coef[i] = s;
		fit->std_err[i] = sqrt(tmp[i * k + i]);
		fit->z[i] = fit->coef[i] / fit->std_err[i];
		fit->p_value[i] = erfc(fabs(fit->z[i]) / M_SQRT2);
		fit->odds_ratio[i] = exp(fit->coef[i]);
	}
	return true;
}

/* Room for the k-value arrays of a fit, in the current context. */
static void
LogitFitAlloc(LogitFit *fit, int k)
{
	memset(fit, 0, sizeof(LogitFit));
	fit->coef = palloc(sizeof(double) * k);
	fit->std_err = palloc(sizeof(double) * k);
	fit->z = palloc(sizeof(double) * k);
	fit->p_value = palloc(sizeof(double) * k);
	fit->odds_ratio = palloc(sizeof(double) * k);
}

/* ---------- the model ---------- */

static const ModelFieldSpec logit_fields[] = {
	{"n", MF_INT, true},
	{"positives", MF_INT, true},
	{"feature_names", MF_TEXT_ARRAY, true},
	{"coef", MF_FLOAT_ARRAY, true},
	{"std_err", MF_FLOAT_ARRAY, true},
	{"z", MF_FLOAT_ARRAY, true},
	{"p_value", MF_FLOAT_ARRAY, true},
	{"odds_ratio", MF_FLOAT_ARRAY, false},	/* absent when an exp(coef) overflows */
	{"log_likelihood", MF_FLOAT, true},
	{"aic", MF_FLOAT, true},
	{"iterations", MF_INT, true},
	{"condition_number", MF_FLOAT, true},
	{"lambda", MF_FLOAT, true},
	{"standardize", MF_BOOL, true},
	{"tol", MF_FLOAT, true},
	{"max_iter", MF_INT, true},
};

/* Cross-field checks of a logit model: one value per coefficient everywhere. */
static void
LogitValidate(const PortraitModel *m)
{
	static const char *const arrays[] = {"coef", "std_err", "z", "p_value", "odds_ratio"};
	int			p;
	int			n;
	bool		optional;

	ModelGetTextArray(m, "feature_names", &p);
	if (p < 1 || p > PORTRAIT_LOGIT_MAX_FEATURES || ModelGetInt(m, "n") < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid portrait.model"),
				 errdetail("A logit model needs 1 to %d feature names and n >= 1.", PORTRAIT_LOGIT_MAX_FEATURES)));
	for (int i = 0; i < (int) lengthof(arrays); i++)
	{
		optional = ModelGetFloatArray(m, arrays[i], &n) == NULL && strcmp(arrays[i], "odds_ratio") == 0;
		if (n != p + 1 && !optional)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("invalid portrait.model"),
					 errdetail("Field \"%s\" must hold one value per feature plus the intercept (%d), not %d.",
							   arrays[i], p + 1, n)));
	}
}

const ModelKindSpec LogitModelKind = {
	PORTRAIT_KIND_LOGIT, "logit", logit_fields, lengthof(logit_fields), LogitValidate
};

/* The portrait.model of a fit and the options that made it. */
static PortraitModel *
LogitToModel(const LogitFit *fit, const LogitOptions *opt)
{
	ModelBuilder *mb = ModelBuild(PORTRAIT_KIND_LOGIT);
	int			p = fit->k - 1;
	const char **names = palloc(sizeof(char *) * p);
	bool		finite_odds = true;

	for (int j = 0; j < p; j++)
		names[j] = CoefName(opt, j + 1);
	ModelPutInt(mb, "n", fit->n);
	ModelPutInt(mb, "positives", fit->positives);
	ModelPutTextArray(mb, "feature_names", names, p);
	ModelPutFloatArray(mb, "coef", fit->coef, fit->k);
	ModelPutFloatArray(mb, "std_err", fit->std_err, fit->k);
	ModelPutFloatArray(mb, "z", fit->z, fit->k);
	ModelPutFloatArray(mb, "p_value", fit->p_value, fit->k);
	for (int j = 0; j < fit->k; j++)
		finite_odds &= isfinite(fit->odds_ratio[j]);
	if (finite_odds)
		ModelPutFloatArray(mb, "odds_ratio", fit->odds_ratio, fit->k);
	ModelPutFloat(mb, "log_likelihood", fit->log_likelihood);
	ModelPutFloat(mb, "aic", 2.0 * fit->k - 2.0 * fit->log_likelihood);
	ModelPutInt(mb, "iterations", fit->iterations);
	ModelPutFloat(mb, "condition_number", fit->condition_number);
	ModelPutFloat(mb, "lambda", opt->lambda);
	ModelPutBool(mb, "standardize", opt->standardize);
	ModelPutFloat(mb, "tol", opt->tol);
	ModelPutInt(mb, "max_iter", opt->max_iter);
	return ModelFinish(mb);
}

/* ---------- logit_fit: the collected-rows aggregate ---------- */

/*
 * The state is portrait.points with rows (label, features...).  The options
 * must reach the final function, which sees only the state: their text rides
 * in the state's aux text (kept through the text form and combine).  param
 * is a hash of the options, so all rows of a group must share them.
 */
typedef struct LogitTransCache
{
	double	   *row;
	int			rowcap;
	PortraitOptionsCache opts;	/* the last options seen */
	int64		opthash;
} LogitTransCache;

/* Transition of logit_fit: append (label, features), skipping NULL rows. */
static Datum
LogitFitTrans(FunctionCallInfo fcinfo, bool with_options)
{
	LogitTransCache *c = fcinfo->flinfo->fn_extra;
	PointsState *ps;
	int			p;
	int64		param = 0;
	bool		fresh = PG_ARGISNULL(0);

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		return PortraitStateUnchanged(fcinfo);
	if (c == NULL)
	{
		c = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(LogitTransCache));
		fcinfo->flinfo->fn_extra = c;
	}
	LogitBuffer(fcinfo, &c->row, &c->rowcap, PORTRAIT_LOGIT_MAX_FEATURES + 1);
	p = LogitReadArray(PG_GETARG_ARRAYTYPE_P(2), c->row + 1, PORTRAIT_LOGIT_MAX_FEATURES, "features");
	c->row[0] = PG_GETARG_BOOL(1) ? 1.0 : 0.0;

	if (with_options && !PG_ARGISNULL(3))
	{
		if (PortraitOptionsChanged(&c->opts, fcinfo->flinfo->fn_mcxt, PG_GETARG_JSONB_P(3)))
		{
			LogitOptions opt;
			const char *text = c->opts.text;

			LogitParseOptions(PG_GETARG_JSONB_P(3), p, &opt);
			if (strlen(text) > PORTRAIT_LOGIT_MAX_OPTIONS_LEN)
				ereport(ERROR,
						(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
						 errmsg("options are longer than %d bytes", PORTRAIT_LOGIT_MAX_OPTIONS_LEN)));
			/* the state's parameter: options that differ between rows of a group are refused */
			c->opthash = (int64) hash_bytes_extended((const unsigned char *) text, strlen(text), 0);
			if (c->opthash == 0)
				c->opthash = 1;
		}
		param = c->opthash;
	}

	if (!fresh)
	{
		PointsState *cur = PointsRead(PG_GETARG_DATUM(0));

		if (cur->dim != p + 1)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("all feature arrays of a fit must have the same length"),
					 errdetail("A row has %d features where earlier rows had %d.", p, cur->dim - 1)));
		if (cur->param != param)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("options must be the same for every row of a group")));
	}
	ps = PointsGetState(fcinfo, 0, p + 1, param);
	if (fresh && param != 0)
		PointsSetAux(ps, c->opts.text, strlen(c->opts.text));
	PointsAppend(ps, c->row);
	PG_RETURN_DATUM(EOHPGetRWDatum(&ps->hdr));
}

/* logit_fit(label, features) transition. */
Datum
pp_logit_fit_trans(PG_FUNCTION_ARGS)
{
	return LogitFitTrans(fcinfo, false);
}

/* logit_fit(label, features, options) transition. */
Datum
pp_logit_fit_trans_options(PG_FUNCTION_ARGS)
{
	return LogitFitTrans(fcinfo, true);
}

/* Combine of logit_fit: the rows of both states (options must agree). */
Datum
pp_logit_fit_combine(PG_FUNCTION_ARGS)
{
	return PointsCombine(fcinfo);
}

/*
 * Canonical order of the collected rows: by a 64-bit hash of each row's
 * bytes, ties (equal rows, or in theory a collision) by the values.  Any
 * order that depends only on the multiset of rows makes the fit independent
 * of scan order and parallel plans; hashing avoids comparing rows through
 * pointers, which made a lexicographic sort of the rows slow.
 */
typedef struct RowKey
{
	uint64		hash;
	const double *row;
} RowKey;

/* Order of two row keys of rows of *dim values. */
static inline int
RowKeyCompare(const RowKey *a, const RowKey *b, const int *dim)
{
	if (a->hash != b->hash)
		return a->hash < b->hash ? -1 : 1;
	for (int j = 0; j < *dim; j++)
	{
		if (a->row[j] < b->row[j])
			return -1;
		if (a->row[j] > b->row[j])
			return 1;
	}
	return 0;
}

#define ST_SORT SortRowKeys
#define ST_ELEMENT_TYPE RowKey
#define ST_COMPARE(a, b, dim) RowKeyCompare(a, b, dim)
#define ST_COMPARE_ARG_TYPE const int
#define ST_CHECK_FOR_INTERRUPTS
#define ST_SCOPE static
#define ST_DEFINE
#include "lib/sort_template.h"

/*
 * Put n rows of dim doubles in the canonical order, in place: sort keys,
 * then follow the permutation's cycles, so that only the keys (16 bytes a
 * row) and one row are needed on top of the rows.
 */
static void
SortRows(double *rows, int64 n, int dim)
{
	Size		rowbytes = sizeof(double) * dim;
	RowKey	   *keys;
	double	   *saved;

	if (n < 2)
		return;
	keys = MemoryContextAllocHuge(CurrentMemoryContext, mul_size(sizeof(RowKey), n));
	saved = palloc(rowbytes);
	for (int64 i = 0; i < n; i++)
	{
		keys[i].row = rows + i * dim;
		keys[i].hash = hash_bytes_extended((const unsigned char *) keys[i].row, rowbytes, 0);
	}
	SortRowKeys(keys, n, &dim);
	/* position i takes the row keys[i].row points at; NULL marks a placed row */
	for (int64 i = 0; i < n; i++)
	{
		int64		j = i;

		if (keys[i].row == NULL)
			continue;
		memcpy(saved, rows + i * dim, rowbytes);
		for (;;)
		{
			int64		src = (keys[j].row - rows) / dim;

			keys[j].row = NULL;
			if (src == i)
			{
				memcpy(rows + j * dim, saved, rowbytes);
				break;
			}
			memcpy(rows + j * dim, rows + src * dim, rowbytes);
			j = src;
		}
	}
	pfree(saved);
	pfree(keys);
}

typedef struct LogitRows
{
	const double *rows;
	int64		n;
	int			dim;
} LogitRows;

/* A pass of logit_fit: the sums over the collected rows in canonical order. */
static void
LogitRowsPass(void *arg, const double *theta, const double *center, const double *scale, double *acc)
{
	LogitRows  *lr = arg;
	int			k = lr->dim;
	double	   *x = palloc(sizeof(double) * k);

	memset(acc, 0, sizeof(double) * LogitAccLen(k));
	for (int64 i = 0; i < lr->n; i++)
	{
		const double *r = lr->rows + i * lr->dim;
		const double *f = r + 1;

		CHECK_FOR_INTERRUPTS();
		if (center != NULL)
		{
			for (int j = 0; j < k - 1; j++)
				x[j] = (f[j] - center[j]) / scale[j];
			f = x;
		}
		LogitAccumRow(acc, k, theta, r[0] != 0, f);
	}
	pfree(x);
}

/* Means and population standard deviations of the collected features (two passes). */
static void
LogitRowsMoments(void *arg, int p, double *mean, double *sd)
{
	LogitRows  *lr = arg;

	PortraitColumnMoments(lr->rows, lr->n, lr->dim, 1, p, mean, sd);
	for (int j = 0; j < p; j++)
		sd[j] = sqrt(sd[j]);
}

/* Final function of logit_fit (modifies the state: reorders its rows). */
Datum
pp_logit_fit_final(PG_FUNCTION_ARGS)
{
	PointsState *ps = PointsRead(PG_GETARG_DATUM(0));
	int			dim = ps->dim;
	LogitOptions opt;
	LogitRows	lr;
	LogitData	data;
	LogitFit	fit;

	if (ps->n == 0)
		PG_RETURN_NULL();
	SortRows(ps->values, ps->n, dim);
	if (ps->aux != NULL)
		LogitParseOptions(DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(ps->aux))),
						  dim - 1, &opt);
	else
		LogitParseOptions(NULL, dim - 1, &opt);

	lr.rows = ps->values;
	lr.n = ps->n;
	lr.dim = dim;
	LogitFitAlloc(&fit, dim);
	data.pass = LogitRowsPass;
	data.moments = LogitRowsMoments;
	data.arg = &lr;
	if (!LogitNewton(dim - 1, &opt, &data, &fit))
		PG_RETURN_NULL();
	PG_RETURN_POINTER(LogitToModel(&fit, &opt));
}

/* ---------- scoring and the coefficient table ---------- */

typedef struct LogitParsed
{
	int			k;
	double	   *coef;
	double	   *x;				/* scratch for the features */
} LogitParsed;

/* Parsed form of a logit model for churn_risk: the coefficients. */
static void *
LogitParseModel(const PortraitModel *m, MemoryContext cxt)
{
	LogitParsed *lp = MemoryContextAllocZero(cxt, sizeof(LogitParsed));
	const double *coef = ModelGetFloatArray(m, "coef", &lp->k);

	lp->coef = MemoryContextAlloc(cxt, sizeof(double) * lp->k);
	memcpy(lp->coef, coef, sizeof(double) * lp->k);
	lp->x = MemoryContextAlloc(cxt, sizeof(double) * lp->k);
	return lp;
}

/* churn_risk(features float8[], model): the fitted probability of true. */
Datum
pp_churn_risk_logit(PG_FUNCTION_ARGS)
{
	ArrayType  *a = PG_GETARG_ARRAYTYPE_P(0);
	LogitParsed *lp = ModelCached(fcinfo, &fcinfo->flinfo->fn_extra, 1, PORTRAIT_KIND_LOGIT,
								  "churn_risk", LogitParseModel);
	int			n = ArrayGetNItems(ARR_NDIM(a), ARR_DIMS(a));
	double		eta;

	if (n != lp->k - 1 && ARR_NDIM(a) <= 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("features has %d values but the model has %d features", n, lp->k - 1),
				 errhint("Pass the features in the order and number used to fit the model.")));
	LogitReadArray(a, lp->x, lp->k - 1, "features");
	eta = lp->coef[0];
	for (int j = 1; j < lp->k; j++)
		eta += lp->coef[j] * lp->x[j - 1];
	PG_RETURN_FLOAT8(CheckScore(eta >= 0 ? 1.0 / (1.0 + exp(-eta)) : exp(eta) / (1.0 + exp(eta)), "churn_risk"));
}

/* logit_coefficients(model): name, coef, std_err, z, p_value, odds_ratio. */
Datum
pp_logit_coefficients(PG_FUNCTION_ARGS)
{
	PortraitModel *m = PG_GETARG_PORTRAIT_MODEL(0);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	static const char *const cols[] = {"coef", "std_err", "z", "p_value"};
	const double *v[4];
	const char *name;
	int			k;
	int			p;

	ModelCheckKind(m, PORTRAIT_KIND_LOGIT, "logit_coefficients");
	InitMaterializedSRF(fcinfo, 0);
	name = ModelGetTextArray(m, "feature_names", &p);
	for (int i = 0; i < 4; i++)
		v[i] = ModelGetFloatArray(m, cols[i], &k);
	for (int j = 0; j < k; j++)
	{
		Datum		values[6];
		bool		nulls[6] = {0};

		if (j == 0)
			values[0] = CStringGetTextDatum("intercept");
		else
		{
			values[0] = CStringGetTextDatum(name);
			name += strlen(name) + 1;
		}
		for (int i = 0; i < 4; i++)
			values[i + 1] = Float8GetDatum(v[i][j]);
		/* exp(coef), Infinity where it overflows (the model then omits the field) */
		values[5] = Float8GetDatum(exp(v[0][j]));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/* ---------- logit_step: one Newton step's sums as an aggregate ---------- */

typedef struct LogitStepCache
{
	double	   *x;
	int			xcap;
	double	   *beta;
	int			betacap;
} LogitStepCache;

/* Check that a float8[] state is a plain vector of len values. */
static double *
StepValues(ArrayType *a, int len)
{
	if (ARR_NDIM(a) != 1 || ARR_HASNULL(a) || ARR_ELEMTYPE(a) != FLOAT8OID ||
		ArrayGetNItems(1, ARR_DIMS(a)) != len)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("logit_step states have different lengths"),
				 errdetail("Every row must have the same number of features.")));
	return (double *) PortraitArrayData(a);
}

/* Number of coefficients k of a logit_step state of len values, or -1. */
static int
StepK(int len)
{
	for (int k = 2; LogitAccLen(k) <= len; k++)
		if (LogitAccLen(k) == len)
			return k;
	return -1;
}

/* Transition of logit_step: add one row's terms at the given coefficients. */
Datum
pp_logit_step_trans(PG_FUNCTION_ARGS)
{
	LogitStepCache *c = fcinfo->flinfo->fn_extra;
	ArrayType  *state;
	int			p;
	int			k;

	/* the state is updated in place: only an aggregate's own copy may be */
	(void) PortraitAggContext(fcinfo);
	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		return PortraitStateUnchanged(fcinfo);
	if (PG_ARGISNULL(3))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("coefs must not be NULL")));
	if (c == NULL)
	{
		c = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(LogitStepCache));
		fcinfo->flinfo->fn_extra = c;
	}
	LogitBuffer(fcinfo, &c->x, &c->xcap, PORTRAIT_LOGIT_MAX_FEATURES);
	LogitBuffer(fcinfo, &c->beta, &c->betacap, PORTRAIT_LOGIT_MAX_FEATURES + 1);
	p = LogitReadArray(PG_GETARG_ARRAYTYPE_P(2), c->x, PORTRAIT_LOGIT_MAX_FEATURES, "features");
	k = LogitReadArray(PG_GETARG_ARRAYTYPE_P(3), c->beta, PORTRAIT_LOGIT_MAX_FEATURES + 1, "coefs");
	if (k != p + 1)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("coefs has %d values for %d features", k, p),
				 errhint("coefs holds the intercept first, then one coefficient per feature.")));

	if (PG_ARGISNULL(0))
		state = TrainerSumsNew(fcinfo, LogitAccLen(k));
	else
		state = PG_GETARG_ARRAYTYPE_P(0);
	LogitAccumRow(StepValues(state, LogitAccLen(k)), k, c->beta, PG_GETARG_BOOL(1), c->x);
	PG_RETURN_ARRAYTYPE_P(state);
}

/* Combine (strict): add the second state's sums to the first's. */
Datum
pp_logit_step_combine(PG_FUNCTION_ARGS)
{
	ArrayType  *a = PG_GETARG_ARRAYTYPE_P(0);
	ArrayType  *b = PG_GETARG_ARRAYTYPE_P(1);
	int			len = ARR_NDIM(b) == 1 ? ArrayGetNItems(1, ARR_DIMS(b)) : 0;
	double	   *bv = StepValues(b, len);
	double	   *av;

	if (StepK(len) < 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("malformed logit_step state of %d values", len)));
	if (!AggCheckCallContext(fcinfo, NULL))
		a = PG_GETARG_ARRAYTYPE_P_COPY(0);
	av = StepValues(a, len);
	for (int i = 0; i < len; i++)
		av[i] += bv[i];
	PG_RETURN_ARRAYTYPE_P(a);
}

/* ---------- logit_train: one aggregate scan per Newton step ---------- */

typedef struct LogitTrainPass
{
	int			k;
	SPIPlanPtr	plan;			/* logit_step over the features as they are */
	SPIPlanPtr	std_plan;		/* ... over (x - $2[j]) / $3[j] */
	SPIPlanPtr	moments_plan;	/* avg and stddev_pop of every feature */
} LogitTrainPass;

/* A pass of logit_train: run the logit_step query at theta. */
static void
LogitTrainRunPass(void *arg, const double *theta, const double *center, const double *scale, double *acc)
{
	LogitTrainPass *tp = arg;
	int			len = LogitAccLen(tp->k);
	Oid			statetype = FLOAT8ARRAYOID;
	Datum		values[3];
	bool		isnull;
	Datum		d;

	values[0] = PortraitFloat8ArrayDatum(theta, tp->k);
	if (center != NULL)
	{
		values[1] = PortraitFloat8ArrayDatum(center, tp->k - 1);
		values[2] = PortraitFloat8ArrayDatum(scale, tp->k - 1);
	}
	d = TrainerRunValue(center != NULL ? tp->std_plan : tp->plan, values, statetype, &isnull);
	if (isnull)
		memset(acc, 0, sizeof(double) * len);
	else
		memcpy(acc, StepValues(DatumGetArrayTypeP(d), len), sizeof(double) * len);
	SPI_freetuptable(SPI_tuptable);
}

/* Moments of logit_train's features: one aggregate query. */
static void
LogitTrainMoments(void *arg, int p, double *mean, double *sd)
{
	LogitTrainPass *tp = arg;
	Oid			float8type = FLOAT8OID;
	TupleDesc	desc;
	HeapTuple	tup = TrainerRun(tp->moments_plan, NULL, 2 * p, &float8type, 1, &desc);

	for (int j = 0; j < p; j++)
	{
		bool		n1;
		bool		n2;

		mean[j] = DatumGetFloat8(SPI_getbinval(tup, desc, 2 * j + 1, &n1));
		sd[j] = DatumGetFloat8(SPI_getbinval(tup, desc, 2 * j + 2, &n2));
		if (n1 || n2)
			mean[j] = sd[j] = 0;	/* no values: reported as a constant feature */
	}
	SPI_freetuptable(SPI_tuptable);
}

/* The logit_step query; standardised reads (x - $2[j]) / $3[j]. */
static char *
StepQuery(const char *schema, const char *label, char **cols, int p, const char *from, bool standardised)
{
	StringInfoData sql;

	initStringInfo(&sql);
	appendStringInfo(&sql, "SELECT %s.logit_step((%s)::pg_catalog.bool, ARRAY[", schema, label);
	for (int j = 0; j < p; j++)
	{
		if (standardised)
			appendStringInfo(&sql, "%s((%s)::pg_catalog.float8 OPERATOR(pg_catalog.-) $2[%d]) OPERATOR(pg_catalog./) $3[%d]",
							 j > 0 ? ", " : "", cols[j], j + 1, j + 1);
		else
			appendStringInfo(&sql, "%s(%s)::pg_catalog.float8", j > 0 ? ", " : "", cols[j]);
	}
	appendStringInfo(&sql, "]::pg_catalog.float8[], $1) FROM %s", from);
	return sql.data;
}

/*
 * The shared body of both logit_train forms: from is the FROM item (a
 * quoted table name or a parenthesised query with an alias).
 */
static Datum
LogitTrain(FunctionCallInfo fcinfo, const char *from)
{
	char	   *label;
	ArrayType  *fa;
	Datum	   *fd;
	bool	   *fnulls;
	char	  **cols;
	int			p;
	LogitOptions opt;
	LogitFit	fit;
	LogitTrainPass tp;
	LogitData	data;
	StringInfoData sql;
	Oid			argtypes[3] = {FLOAT8ARRAYOID, FLOAT8ARRAYOID, FLOAT8ARRAYOID};
	Oid			float8type = FLOAT8OID;
	char	   *schema;
	bool		ok;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("label and features must not be NULL")));
	label = pstrdup(quote_identifier(text_to_cstring(PG_GETARG_TEXT_PP(1))));
	fa = PG_GETARG_ARRAYTYPE_P(2);
	if (ARR_NDIM(fa) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("features must be a one-dimensional array of column names")));
	deconstruct_array(fa, TEXTOID, -1, false, TYPALIGN_INT, &fd, &fnulls, &p);
	if (p == 0 || p > PORTRAIT_LOGIT_MAX_FEATURES)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("features must name 1 to %d columns, not %d", PORTRAIT_LOGIT_MAX_FEATURES, p)));
	cols = palloc(sizeof(char *) * p);
	for (int j = 0; j < p; j++)
	{
		if (fnulls[j])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("features must not contain NULL elements")));
		cols[j] = pstrdup(quote_identifier(TextDatumGetCString(fd[j])));
	}

	LogitParseOptions(PG_ARGISNULL(3) ? NULL : PG_GETARG_JSONB_P(3), p, &opt);
	if (opt.nnames == 0)
	{
		opt.names = palloc(sizeof(char *) * p);
		for (int j = 0; j < p; j++)
			opt.names[j] = TextDatumGetCString(fd[j]);
		opt.nnames = p;
	}

	schema = pstrdup(quote_identifier(get_namespace_name(get_func_namespace(fcinfo->flinfo->fn_oid))));
	/* the rows logit_step counts: those with a label */
	initStringInfo(&sql);
	appendStringInfoString(&sql, "SELECT ");
	for (int j = 0; j < p; j++)
		appendStringInfo(&sql, "%spg_catalog.avg((%s)::pg_catalog.float8), pg_catalog.stddev_pop((%s)::pg_catalog.float8)",
						 j > 0 ? ", " : "", cols[j], cols[j]);
	appendStringInfo(&sql, " FROM %s WHERE (%s)::pg_catalog.bool IS NOT NULL", from, label);
	tp.k = p + 1;

	/* results live in the caller's context: SPI's go away at SPI_finish */
	LogitFitAlloc(&fit, p + 1);
	TrainerConnect();
	tp.moments_plan = TrainerPrepare(sql.data, 0, NULL, 2 * p, &float8type, 1);
	tp.plan = TrainerPrepare(StepQuery(schema, label, cols, p, from, false), 1, argtypes, 1, argtypes, 1);
	tp.std_plan = !opt.standardize ? NULL :
		TrainerPrepare(StepQuery(schema, label, cols, p, from, true), 3, argtypes, 1, argtypes, 1);
	data.pass = LogitTrainRunPass;
	data.moments = LogitTrainMoments;
	data.arg = &tp;
	ok = LogitNewton(p, &opt, &data, &fit);
	SPI_finish();
	if (!ok)
		PG_RETURN_NULL();
	PG_RETURN_POINTER(LogitToModel(&fit, &opt));
}

/* logit_train(source regclass, label, features, options) */
Datum
pp_logit_train_rel(PG_FUNCTION_ARGS)
{
	PortraitArgNotNull(fcinfo, 0, "source");
	return LogitTrain(fcinfo, TrainerRelationFrom(PG_GETARG_OID(0)));
}

/* logit_train(source text, label, features, options): a query or a relation name */
Datum
pp_logit_train_query(PG_FUNCTION_ARGS)
{
	PortraitArgNotNull(fcinfo, 0, "source");
	return LogitTrain(fcinfo, TrainerSourceFrom(text_to_cstring(PG_GETARG_TEXT_PP(0)), "logit_train"));
}
