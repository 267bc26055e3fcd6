/*
 * optim.c
 *		The one numeric optimiser of the likelihood models.
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
