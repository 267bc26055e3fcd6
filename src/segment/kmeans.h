/*
 * kmeans.h
 *		The k-means family's private layouts and the functions its pieces
 *		share (options, fit, model, silhouette, trainer).  The distance
 *		kernels the inner loops call are inline here, so each piece's loops
 *		keep them inlined as they were in one file.
 */
#ifndef PORTRAIT_KMEANS_H
#define PORTRAIT_KMEANS_H

#include <float.h>
#include <math.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(PORTRAIT_NO_AVX2)
#include <immintrin.h>
#define KM_AVX2
#endif

#include "common/pg_prng.h"

#include "portrait.h"

#define PORTRAIT_KMEANS_MAX_K			10000
#define PORTRAIT_KMEANS_MAX_DIM			1000
#define PORTRAIT_KMEANS_DEFAULT_N_INIT	10
#define PORTRAIT_KMEANS_MAX_N_INIT		1000
#define PORTRAIT_KMEANS_DEFAULT_MAX_ITER 300
#define PORTRAIT_KMEANS_MAX_MAX_ITER	100000
#define PORTRAIT_KMEANS_DEFAULT_TOL		1e-4
#define PORTRAIT_KMEANS_LABEL_TERMS		3
/* bytes the fit needs per row besides the row itself: label, two bounds */
#define PORTRAIT_KMEANS_ROW_WORK		(sizeof(int32) + 2 * sizeof(double))
/* relative slack on Hamerly's bound tests, larger than their rounding error */
#define PORTRAIT_KMEANS_BOUND_SLACK		1e-9
#define PORTRAIT_SILHOUETTE_DEFAULT_EXACT 10000
#define PORTRAIT_SILHOUETTE_MAX_EXACT	100000
/* coordinates beyond these magnitudes are rescaled: their squares would overflow or underflow */
#define PORTRAIT_SILHOUETTE_SAFE_MAX	1e150
#define PORTRAIT_SILHOUETTE_SAFE_MIN	1e-150

#ifdef KM_AVX2
/* whether this CPU runs the AVX2 distance kernels (set at library load) */
extern bool km_avx2;
#define KmAvx2() km_avx2
#else
#define KmAvx2() false
#endif

typedef enum KmInit
{
	KM_INIT_PLUSPLUS,
	KM_INIT_RANDOM,
	KM_INIT_EXPLICIT
} KmInit;

typedef enum KmAlgorithm
{
	KM_ALG_HAMERLY,
	KM_ALG_LLOYD
} KmAlgorithm;

/* A fit's options, read from the canonical JSON text of its options argument. */
typedef struct KmOptions
{
	int64		seed;
	int			n_init;
	int			max_iter;
	double		tol;
	KmInit		init;
	double	   *init_centers;	/* rows x cols, original units */
	int			init_rows;
	int			init_cols;
	bool		standardize;
	int			nnames;
	char	  **names;
	KmAlgorithm algorithm;
	int64		sample_size;	/* kmeans_train only */
} KmOptions;

/* Everything one fit works on; the arrays live in the fit's memory context. */
typedef struct KmFit
{
	int64		n;
	int			d;
	int			k;
	double	   *x;				/* n x d, sorted, scaled when standardizing */
	double	   *mean;			/* population mean and sd of the raw features */
	double	   *sd;
	double	   *scale;			/* sd, or 1 where sd is 0 or not standardizing */
	double	   *shift;			/* mean, or 0 when not standardizing */
	double		tol_abs;
	int			max_iter;
	KmAlgorithm algorithm;
	pg_prng_state rng;
	int32	   *labels;
	double	   *upper;			/* Hamerly: bound on distance to own center */
	double	   *lower;			/* Hamerly: bound on distance to any other */
	double	   *sums;			/* k x d */
	int64	   *counts;
	double	   *drift;			/* k: how far each center has moved in this run */
	double	   *half_gap;		/* k: half the distance to the nearest other center */
	double	   *newc;			/* k x d */
	double	   *ct;				/* d x k: the centers transposed */
	double	   *dist;			/* k: scratch distances */
} KmFit;

/* Result of a fit, before it becomes a model. */
typedef struct KmResult
{
	double	   *centers;		/* k x d, scaled space */
	int64	   *sizes;
	double		inertia;
	int			iterations;
	bool		converged;
} KmResult;

/* A kmeans model parsed for scoring (cached per call site). */
typedef struct KmModel
{
	int			k;
	int			d;
	int64		n;
	double	   *ct;				/* d x k: centers (scaled space), transposed */
	double	   *shift;
	double	   *scale;
	double	   *row;			/* scratch: one scaled row */
	double	   *dist;			/* scratch: k distances */
} KmModel;

/* kmeans_options.c */
extern void PortraitKmeansInit(void);
extern void KmCheckK(int64 k);
extern void KmCheckDim(int d);
extern int64 KmMaxRows(int d);
extern void KmCheckFeatureRange(int j, double mean, double var);
extern void KmOverBudget(int64 n, int d) pg_attribute_noreturn();
extern void KmParseOptions(const char *text, KmOptions *o, bool train);
extern void KmCheckOptionShapes(const KmOptions *o, int k, int d);

/* kmeans_kernels.c */
extern void KmTranspose(const double *c, int m, int d, double *ct);
extern void KmScoreCandidates(KmFit *f, const double *cc, int trials, int tp, double *cpot);
#ifdef KM_AVX2
extern int64 KmPlainPassAvx2(KmFit *f) __attribute__((target("avx2")));
extern void KmDistManyAvx2(const double *x, const double *ct, int m, int d, double *out) __attribute__((target("avx2")));
extern double KmDistBoundAvx2(const double *a, const double *b, int d) __attribute__((target("avx2")));
#endif

/* kmeans_model.c */
extern void *KmeansParse(const PortraitModel *m, MemoryContext cxt);
extern PortraitModel *KmeansToModel(const KmFit *f, const KmOptions *o, const KmResult *r, const char *trainer);
extern const double *KmScaledArg(FunctionCallInfo fcinfo, int argno, KmModel *km, const char *func);
extern const char **KmFeatureNames(const PortraitModel *m, int d, bool *given);

/* ---------- the inline distance kernels ---------- */

/* Squared distance of two rows, the terms added in feature order. */
static inline double
KmDist2(const double *a, const double *b, int d)
{
	double		s = 0;
	int			j = 0;

	/* unrolled by four; the terms are still added in feature order */
	for (; j + 4 <= d; j += 4)
	{
		double		t0 = a[j] - b[j];
		double		t1 = a[j + 1] - b[j + 1];
		double		t2 = a[j + 2] - b[j + 2];
		double		t3 = a[j + 3] - b[j + 3];

		s += t0 * t0;
		s += t1 * t1;
		s += t2 * t2;
		s += t3 * t3;
	}
	for (; j < d; j++)
	{
		double		t = a[j] - b[j];

		s += t * t;
	}
	return s;
}

/* s += x over d values (each sum gets the same single addition as a scalar loop's). */
static inline void
KmAddRow(double *s, const double *x, int d)
{
	int			j = 0;

#ifdef __SSE2__
	for (; j + 4 <= d; j += 4)
	{
		_mm_storeu_pd(s + j, _mm_add_pd(_mm_loadu_pd(s + j), _mm_loadu_pd(x + j)));
		_mm_storeu_pd(s + j + 2, _mm_add_pd(_mm_loadu_pd(s + j + 2), _mm_loadu_pd(x + j + 2)));
	}
#endif
	for (; j < d; j++)
		s[j] += x[j];
}

/*
 * Squared distances from x to centers c..m-1 given transposed (ct, d x m).
 * Each distance sums the same terms in the same order as KmDist2, so the
 * values are KmDist2's; SSE2 just computes two centers per instruction.
 */
static inline void
KmDistManyFrom(const double *x, const double *ct, int m, int c, int d, double *out)
{
#ifdef __SSE2__
	for (; c + 2 <= m; c += 2)
	{
		__m128d		s0 = _mm_setzero_pd();

		for (int j = 0; j < d; j++)
		{
			__m128d		t0 = _mm_sub_pd(_mm_set1_pd(x[j]), _mm_loadu_pd(ct + (Size) j * m + c));

			s0 = _mm_add_pd(s0, _mm_mul_pd(t0, t0));
		}
		_mm_storeu_pd(out + c, s0);
	}
#endif
	for (; c < m; c++)
	{
		double		s = 0;

		for (int j = 0; j < d; j++)
		{
			double		t = x[j] - ct[(Size) j * m + c];

			s += t * t;
		}
		out[c] = s;
	}
}

/*
 * Distance (not squared) for Hamerly's upper bounds, where only accuracy
 * matters, not which order the terms are added in: the bound tests allow
 * for far more than the rounding differences.
 */
static inline double
KmDistBound(const double *a, const double *b, int d)
{
#ifdef KM_AVX2
	/* a few features are summed faster inline than through the call */
	if (km_avx2 && d > 8)
		return sqrt(KmDistBoundAvx2(a, b, d));
#endif
	return sqrt(KmDist2(a, b, d));
}

/* Squared distances from x to the m centers given transposed (ct, d x m). */
static inline void
KmDistMany(const double *x, const double *ct, int m, int d, double *out)
{
#ifdef KM_AVX2
	if (km_avx2)
	{
		KmDistManyAvx2(x, ct, m, d, out);
		return;
	}
#endif
	KmDistManyFrom(x, ct, m, 0, d, out);
}

/*
 * Nearest center of x (lowest index on ties) given the transposed centers;
 * its and the runner-up's squared distance.  dist is scratch for k values.
 */
static inline int
KmNearest2(const double *x, const double *ct, int k, int d, double *dist, double *best, double *second)
{
	int			a = 0;
	double		b1 = DBL_MAX;
	double		b2 = DBL_MAX;

	KmDistMany(x, ct, k, d, dist);

	/*
	 * Without branches (min, max and a conditional move): when clusters
	 * overlap, which center is nearest is unpredictable.  The runner-up is
	 * min(b2, max(b1, t)), the same value as the branching form's.
	 */
	for (int j = 0; j < k; j++)
	{
		double		t = dist[j];
		bool		closer = t < b1;

		b2 = Min(b2, Max(b1, t));
		a = closer ? j : a;
		b1 = closer ? t : b1;
	}
	*best = b1;
	*second = b2;
	return a;
}

/* Nearest center of x (lowest index on ties) and its squared distance. */
static inline int
KmNearest1(const double *x, const double *ct, int k, int d, double *dist, double *best)
{
	int			a = 0;
	double		b1;

	KmDistMany(x, ct, k, d, dist);
	b1 = dist[0];
	for (int j = 1; j < k; j++)
		if (dist[j] < b1)
		{
			b1 = dist[j];
			a = j;
		}
	*best = b1;
	return a;
}

#endif							/* PORTRAIT_KMEANS_H */
