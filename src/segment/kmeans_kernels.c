/*
 * kmeans_kernels.c
 *		The distance kernels that are not inlined: transposing the centers,
 *		the AVX2 variants and the scoring of k-means++ candidates.
 */
#include "postgres.h"

#include "kmeans.h"

#ifdef KM_AVX2
bool		km_avx2 = false;
#endif

/* Centers m x d into ct, d x m (each feature's values of all centers together). */
void
KmTranspose(const double *c, int m, int d, double *ct)
{
	for (int j = 0; j < m; j++)
		for (int i = 0; i < d; i++)
			ct[(Size) i * m + j] = c[(Size) j * d + i];
}

#ifdef KM_AVX2
/*
 * KmDistMany with AVX2, four centers per instruction.  Multiplications and
 * additions stay separate instructions (no FMA), so the values are exactly
 * the portable kernel's.
 */
static pg_attribute_always_inline __attribute__((target("avx2")))
void
DistManyAvx2(const double *x, const double *ct, int m, int d, double *out)
{
	int			c = 0;

	for (; c + 8 <= m; c += 8)
	{
		__m256d		s0 = _mm256_setzero_pd();
		__m256d		s1 = _mm256_setzero_pd();

		for (int j = 0; j < d; j++)
		{
			__m256d		xj = _mm256_broadcast_sd(x + j);
			__m256d		t0 = _mm256_sub_pd(xj, _mm256_loadu_pd(ct + (Size) j * m + c));
			__m256d		t1 = _mm256_sub_pd(xj, _mm256_loadu_pd(ct + (Size) j * m + c + 4));

			s0 = _mm256_add_pd(s0, _mm256_mul_pd(t0, t0));
			s1 = _mm256_add_pd(s1, _mm256_mul_pd(t1, t1));
		}
		_mm256_storeu_pd(out + c, s0);
		_mm256_storeu_pd(out + c + 4, s1);
	}
	for (; c + 4 <= m; c += 4)
	{
		__m256d		s0 = _mm256_setzero_pd();

		for (int j = 0; j < d; j++)
		{
			__m256d		t0 = _mm256_sub_pd(_mm256_broadcast_sd(x + j), _mm256_loadu_pd(ct + (Size) j * m + c));

			s0 = _mm256_add_pd(s0, _mm256_mul_pd(t0, t0));
		}
		_mm256_storeu_pd(out + c, s0);
	}
	KmDistManyFrom(x, ct, m, c, d, out);
}

/* The out-of-line form, for the callers compiled without AVX2. */
__attribute__((target("avx2")))
void
KmDistManyAvx2(const double *x, const double *ct, int m, int d, double *out)
{
	DistManyAvx2(x, ct, m, d, out);
}
#endif

#ifdef KM_AVX2
/*
 * The assignment step of plain Lloyd with AVX2, as LloydPass without
 * bounds: each row's nearest center (lowest index on ties) from all k
 * distances, the row added to its cluster's sums in row order.  The kernel
 * is inlined and the minimum taken without branches, so a row
 * costs a few dozen instructions and no mispredicted jump when clusters
 * overlap.  Returns how many rows changed cluster.
 */
__attribute__((target("avx2")))
int64
KmPlainPassAvx2(KmFit *f)
{
	const int	d = f->d;
	const int	k = f->k;
	const double *xi = f->x;
	int64		changed = 0;
	double		dist[64];		/* k * d <= 64, so k <= 64 (see UseBounds) */

	if (k > (int) lengthof(dist))
		elog(ERROR, "the plain k-means pass holds at most %d centers", (int) lengthof(dist));
	for (int64 i = 0; i < f->n; i++, xi += d)
	{
		int			a = 0;
		double		b1;

		PORTRAIT_ROW_INTERRUPTS(i);
		DistManyAvx2(xi, f->ct, k, d, dist);
		b1 = dist[0];
		for (int j = 1; j < k; j++)
		{
			bool		closer = dist[j] < b1;

			a = closer ? j : a;
			b1 = closer ? dist[j] : b1;
		}
		changed += (f->labels[i] != a);
		f->labels[i] = a;
		KmAddRow(f->sums + (Size) a * d, xi, d);
		f->counts[a]++;
	}
	return changed;
}
#endif

#ifdef KM_AVX2
/* KmDistBound with AVX2 (the terms added four at a time). */
__attribute__((target("avx2")))
double
KmDistBoundAvx2(const double *a, const double *b, int d)
{
	__m256d		s4 = _mm256_setzero_pd();
	__m128d		s2;
	double		s;
	int			j = 0;

	for (; j + 4 <= d; j += 4)
	{
		__m256d		t = _mm256_sub_pd(_mm256_loadu_pd(a + j), _mm256_loadu_pd(b + j));

		s4 = _mm256_add_pd(s4, _mm256_mul_pd(t, t));
	}
	s2 = _mm_add_pd(_mm256_castpd256_pd128(s4), _mm256_extractf128_pd(s4, 1));
	s = _mm_cvtsd_f64(_mm_add_sd(s2, _mm_unpackhi_pd(s2, s2)));
	for (; j < d; j++)
	{
		double		t = a[j] - b[j];

		s += t * t;
	}
	return s;
}
#endif

#ifdef KM_AVX2
/* KmScoreCandidates with AVX2: four candidates per instruction, lane by lane the same sums. */
__attribute__((target("avx2")))
static void
ScoreCandidatesAvx2(const KmFit *f, const double *cc, int tp, double *cpot)
{
	int			d = f->d;
	const double *ct = f->ct;
	const __m256d four = _mm256_set1_pd(4);
	const __m256d slack = _mm256_set1_pd(1 + PORTRAIT_KMEANS_BOUND_SLACK);

	for (int b = 0; b < tp; b += 4)
	{
		__m256d		acc = _mm256_setzero_pd();

		for (int64 i = 0; i < f->n; i++)
		{
			const double *xi = f->x + i * d;
			__m256d		cl;
			__m256d		far;
			__m256d		g;

			PORTRAIT_ROW_INTERRUPTS(i);
			cl = _mm256_broadcast_sd(f->upper + i);
			far = _mm256_mul_pd(_mm256_mul_pd(four, cl), slack);
			g = _mm256_loadu_pd(cc + (Size) f->labels[i] * tp + b);

			if (_mm256_movemask_pd(_mm256_cmp_pd(g, far, _CMP_GE_OQ)) != 0xF)
			{
				__m256d		s = _mm256_setzero_pd();

				for (int j = 0; j < d; j++)
				{
					__m256d		t = _mm256_sub_pd(_mm256_broadcast_sd(xi + j),
												  _mm256_loadu_pd(ct + (Size) j * tp + b));

					s = _mm256_add_pd(s, _mm256_mul_pd(t, t));
				}
				cl = _mm256_min_pd(cl, s);
			}
			acc = _mm256_add_pd(acc, cl);
		}
		_mm256_storeu_pd(cpot + b, acc);
	}
}
#endif

/*
 * The potential of each k-means++ candidate: the sum over the rows of
 * min(closest, squared distance to the candidate).  The candidates are in
 * f->ct (d x tp), cc holds their squared distances to the chosen centers
 * (row stride tp), closest and nearest center are f->upper and f->labels.
 *
 * Most distances need not be computed: if a candidate is at least twice as
 * far from a row's nearest center as the row is, the triangle inequality
 * says the candidate cannot come closer to the row than that center, so
 * the term is closest whatever the distance.  The test keeps a relative
 * margin far above rounding error, so every sum is the full computation's.
 */
void
KmScoreCandidates(KmFit *f, const double *cc, int trials, int tp, double *cpot)
{
#ifdef KM_AVX2
	if (km_avx2)
	{
		ScoreCandidatesAvx2(f, cc, tp, cpot);
		return;
	}
#endif
	for (int t = 0; t < trials; t++)
		cpot[t] = 0;
	for (int64 i = 0; i < f->n; i++)
	{
		const double *g = cc + f->labels[i] * tp;
		double		cl = f->upper[i];
		double		far = 4 * cl * (1 + PORTRAIT_KMEANS_BOUND_SLACK);
		int			t = 0;

		PORTRAIT_ROW_INTERRUPTS(i);
		while (t < trials && g[t] >= far)
			t++;
		if (t == trials)
		{
			for (t = 0; t < trials; t++)
				cpot[t] += cl;
			continue;
		}
		KmDistMany(f->x + i * f->d, f->ct, tp, f->d, f->dist);
		for (t = 0; t < trials; t++)
			cpot[t] += Min(cl, f->dist[t]);
	}
}
