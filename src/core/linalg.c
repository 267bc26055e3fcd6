/*
 * linalg.c
 *		The only place that calls LAPACK.  Matrices are column-major n x n
 *		(symmetric ones may equally be read row-major), workspaces palloc'd.
 */
#include "postgres.h"

#include <math.h>

#include "portrait.h"

/* Fortran LAPACK entry points (reference LAPACK / OpenBLAS ABI). */
extern void dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info);
extern void dpotrs_(const char *uplo, const int *n, const int *nrhs, const double *a,
					const int *lda, double *b, const int *ldb, int *info);
extern void dpotri_(const char *uplo, const int *n, double *a, const int *lda, int *info);
extern void dsyev_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda,
				   double *w, double *work, const int *lwork, int *info);
extern void dgesv_(const int *n, const int *nrhs, double *a, const int *lda, int *ipiv, double *b,
				   const int *ldb, int *info);

/*
 * Solve A X = B for symmetric positive definite A (overwritten by its
 * Cholesky factor), B n x nrhs overwritten by X.  Returns LAPACK's info:
 * 0 on success, > 0 when A is not positive definite.
 */
int
LinalgCholeskySolve(int n, double *a, double *b, int nrhs)
{
	int			info = 0;

	dpotrf_("L", &n, a, &n, &info);
	if (info != 0)
		return info;
	dpotrs_("L", &n, &nrhs, a, &n, b, &n, &info);
	return info;
}

/*
 * Invert symmetric positive definite A in place (both triangles filled).
 * Returns LAPACK's info.
 */
int
LinalgCholeskyInverse(int n, double *a)
{
	int			info = 0;

	dpotrf_("L", &n, a, &n, &info);
	if (info != 0)
		return info;
	dpotri_("L", &n, a, &n, &info);
	if (info != 0)
		return info;
	for (int j = 0; j < n; j++)
		for (int i = 0; i < j; i++)
			a[i + j * n] = a[j + i * n];
	return 0;
}

/*
 * 2-norm condition number of symmetric A (largest / smallest absolute
 * eigenvalue); Infinity when singular, NaN when LAPACK fails.
 */
double
LinalgConditionNumber(int n, const double *a)
{
	double	   *work_a = palloc(sizeof(double) * n * n);
	double	   *w = palloc(sizeof(double) * n);
	double		query;
	int			lwork = -1;
	int			info = 0;
	double	   *work;
	double		lo = INFINITY;
	double		hi = 0;

	memcpy(work_a, a, sizeof(double) * n * n);
	dsyev_("N", "L", &n, work_a, &n, w, &query, &lwork, &info);
	if (info != 0)
		return NAN;
	lwork = (int) query;
	work = palloc(sizeof(double) * lwork);
	dsyev_("N", "L", &n, work_a, &n, w, work, &lwork, &info);
	if (info != 0)
		return NAN;
	for (int i = 0; i < n; i++)
	{
		lo = Min(lo, fabs(w[i]));
		hi = Max(hi, fabs(w[i]));
	}
	pfree(work);
	pfree(work_a);
	pfree(w);
	return lo > 0 ? hi / lo : INFINITY;
}

/*
 * Solve A X = B for general square A (overwritten by its LU factors, with
 * partial pivoting), B n x nrhs overwritten by X.  Returns LAPACK's info:
 * 0 on success, > 0 when A is exactly singular.
 */
int
LinalgSolve(int n, double *a, double *b, int nrhs)
{
	int		   *ipiv = palloc(sizeof(int) * Max(n, 1));
	int			info = 0;

	dgesv_(&n, &nrhs, a, &n, ipiv, b, &n, &info);
	pfree(ipiv);
	return info;
}
