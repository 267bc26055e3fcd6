/*
 * common.c
 *		Conversions and text-form helpers shared by the modules.
 */
#include "postgres.h"

#include <math.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "common/shortest_dec.h"
#include "lib/stringinfo.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"

#include "portrait.h"

/* Every value finite, else 22000 naming the first that is not. */
static inline void
CheckFiniteValues(const double *v, int n, const char *what)
{
	int			i = 0;

#ifdef __SSE2__
	/* |x| < Infinity, two at a time (false for NaN) */
	const __m128d abs = _mm_castsi128_pd(_mm_set1_epi64x(PG_INT64_MAX));
	const __m128d inf = _mm_set1_pd(INFINITY);

	for (; i + 2 <= n; i += 2)
		if (unlikely(_mm_movemask_pd(_mm_cmplt_pd(_mm_and_pd(_mm_loadu_pd(v + i), abs), inf)) != 3))
			break;
#endif
	for (; i < n; i++)
		if (unlikely(!isfinite(v[i])))
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("%s must hold finite numbers, not %s", what,
							isnan(v[i]) ? "NaN" : (v[i] > 0 ? "Infinity" : "-Infinity")),
					 errdetail("Element %d is not finite.", i + 1)));
}

/*
 * The aggregate memory context of a transition or combine function.  They
 * are ordinary SQL functions, so a query can call one directly, outside its
 * aggregate: that is the caller's mistake (0A000), not an internal error.
 */
MemoryContext
PortraitAggContext(FunctionCallInfo fcinfo)
{
	MemoryContext aggcxt;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
	{
		Oid			fn = fcinfo->flinfo ? fcinfo->flinfo->fn_oid : InvalidOid;
		char	   *name = OidIsValid(fn) ? get_func_name(fn) : NULL;

		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("%s can only be called by an aggregate", name ? name : "this function"),
				 errdetail("It is the transition or combine function of an aggregate of pg_portrait."),
				 errhint("Call the aggregate instead.")));
	}
	return aggcxt;
}

/*
 * Raise 22004 when argument argno is NULL; for the arguments of a function
 * that is not strict because others may be NULL.  what names the argument.
 */
void
PortraitArgNotNull(FunctionCallInfo fcinfo, int argno, const char *what)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be NULL", what)));
}

/* A row that does not count: the state as it was (NULL before the first row). */
Datum
PortraitStateUnchanged(FunctionCallInfo fcinfo)
{
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	PG_RETURN_DATUM(PG_GETARG_DATUM(0));
}

/*
 * The values of a float8[] argument, read in place: it must be one-
 * dimensional (or empty), without NULLs, every element finite.  what names
 * the argument in messages.
 */
const double *
PortraitFloatArray(ArrayType *a, int *n, const char *what)
{
	const double *v;

	if (ARR_NDIM(a) == 0)
	{
		*n = 0;
		return NULL;
	}
	if (ARR_NDIM(a) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("%s must be a one-dimensional array, not %d-dimensional", what, ARR_NDIM(a))));
	if (ARR_HASNULL(a) && array_contains_nulls(a))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not contain NULL elements", what)));
	*n = ARR_DIMS(a)[0];
	v = (const double *) PortraitArrayData(a);
	CheckFiniteValues(v, *n, what);
	return v;
}

/*
 * PortraitFloatArray for the float8[] argument argno of a function called
 * once per row: the values are copied into buf (room for max of them) and
 * their count returned; with more than max values, the count is returned
 * and buf is left alone.  Small arrays in table rows have a one-byte
 * header; PG_GETARG_ARRAYTYPE_P would allocate and copy each of them to
 * give it a four-byte one, so a plain one-dimensional array without NULLs
 * in that form is read where it is.
 */
int
PortraitFloatArg(FunctionCallInfo fcinfo, int argno, double *buf, int max, const char *what)
{
	struct varlena *raw = (struct varlena *) DatumGetPointer(PG_GETARG_DATUM(argno));
	const double *v;
	int			n;

	if (VARATT_IS_SHORT(raw))
	{
		/* the bytes after the header are those after a four-byte header */
		const char *p = VARDATA_SHORT(raw);
		int32		ndim;
		int32		dataoffset;
		int32		dim;

		memcpy(&ndim, p + offsetof(ArrayType, ndim) - VARHDRSZ, sizeof(int32));
		memcpy(&dataoffset, p + offsetof(ArrayType, dataoffset) - VARHDRSZ, sizeof(int32));
		memcpy(&dim, p + sizeof(ArrayType) - VARHDRSZ, sizeof(int32));
		if (ndim == 1 && dataoffset == 0 && dim >= 0 && dim <= max &&
			VARSIZE_SHORT(raw) - VARHDRSZ_SHORT == ARR_OVERHEAD_NONULLS(1) - VARHDRSZ + sizeof(double) * dim)
		{
			memcpy(buf, p + ARR_OVERHEAD_NONULLS(1) - VARHDRSZ, sizeof(double) * dim);
			CheckFiniteValues(buf, dim, what);
			return dim;
		}
	}
	v = PortraitFloatArray(PG_GETARG_ARRAYTYPE_P(argno), &n, what);
	if (n <= max && n > 0)
		memcpy(buf, v, sizeof(double) * n);
	return n;
}

/*
 * Mean and population variance of p columns of n rows (stride values a row,
 * the columns from first on), in two passes: the deviations are taken from
 * the mean, so a large common offset costs no precision.
 */
void
PortraitColumnMoments(const double *rows, int64 n, int stride, int first, int p, double *mean, double *var)
{
	memset(mean, 0, sizeof(double) * p);
	memset(var, 0, sizeof(double) * p);
	for (int64 i = 0; i < n; i++)
		for (int j = 0; j < p; j++)
			mean[j] += rows[i * stride + first + j];
	for (int j = 0; j < p; j++)
		mean[j] /= n;
	for (int64 i = 0; i < n; i++)
		for (int j = 0; j < p; j++)
		{
			double		t = rows[i * stride + first + j] - mean[j];

			var[j] += t * t;
		}
	for (int j = 0; j < p; j++)
		var[j] /= n;
}

/*
 * A short readable profile of a segment from its features' deviations from
 * the population in standard units (z): up to maxterms of the strongest
 * deviations of at least PORTRAIT_PROFILE_MIN_Z, strongest first, as
 * "high monetary, recent" (a recency feature reads "recent" or "lapsed");
 * "typical" when none stands out.
 */
char *
PortraitProfileLabel(const double *z, const char *const *names, int d, int maxterms)
{
	StringInfoData buf;
	bool	   *used = palloc0(sizeof(bool) * Max(d, 1));

	initStringInfo(&buf);
	for (int t = 0; t < maxterms; t++)
	{
		int			best = -1;

		/* ties go to the earlier feature, so labels are deterministic */
		for (int j = 0; j < d; j++)
			if (!used[j] && fabs(z[j]) >= PORTRAIT_PROFILE_MIN_Z &&
				(best < 0 || fabs(z[j]) > fabs(z[best])))
				best = j;
		if (best < 0)
			break;
		used[best] = true;
		if (buf.len > 0)
			appendStringInfoString(&buf, ", ");
		/*
		 * "low recency" reads both ways (recent? or long ago?): a recency
		 * feature, days since the last purchase, is said in words
		 */
		if (strncmp(names[best], "recency", 7) == 0)
			appendStringInfo(&buf, "%s%s",
							 fabs(z[best]) >= PORTRAIT_PROFILE_STRONG_Z ? "very " : "",
							 z[best] > 0 ? "lapsed" : "recent");
		else
			appendStringInfo(&buf, "%s%s %s",
							 fabs(z[best]) >= PORTRAIT_PROFILE_STRONG_Z ? "very " : "",
							 z[best] > 0 ? "high" : "low", names[best]);
	}
	if (buf.len == 0)
		appendStringInfoString(&buf, "typical");
	pfree(used);
	return buf.data;
}

/*
 * The on-disk layout of numeric (see PostgreSQL's numeric.c).  It is a
 * storage format and cannot change between releases, so reading it directly
 * is safe; it saves a text round trip per row in the aggregates.
 */
#define NUM_SIGN_MASK		0xC000
#define NUM_NEG				0x4000
#define NUM_SHORT			0x8000
#define NUM_SPECIAL			0xC000
#define NUM_SHORT_SIGN		0x2000
#define NUM_SHORT_WSIGN		0x0040
#define NUM_SHORT_WMASK		0x003F
#define NUM_SHORT_DSCALE_MASK	0x1F80
#define NUM_SHORT_DSCALE_SHIFT	7
#define NUM_DSCALE_MASK		0x3FFF
#define NUM_NBASE			10000

static const double pow10tab[] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22
};

/*
 * numeric -> float8, the same value numeric_float8 gives.  Values with at
 * most 15 significant digits and a small exponent take an exact fast path
 * (an integer mantissa times an exact power of ten is correctly rounded by
 * one IEEE operation); anything else goes through numeric_float8.
 */
double
PortraitNumericToDouble(Datum num, const char *what)
{
	struct varlena *v = (struct varlena *) DatumGetPointer(num);
	const uint8 *p;
	uint16		header;
	int			hdrlen;
	int			ndigits;
	int			weight;
	bool		neg;
	uint64		mant = 0;
	int			i;
	int			exp10;
	double		r;

	/* short (1-byte header) values from tuples are fine; toasted ones are not */
	if (VARATT_IS_EXTERNAL(v) || VARATT_IS_COMPRESSED(v))
		goto slow;

	p = (const uint8 *) VARDATA_ANY(v);
	memcpy(&header, p, sizeof(uint16));
	if ((header & NUM_SIGN_MASK) == NUM_SPECIAL)
		goto slow;
	if ((header & NUM_SIGN_MASK) == NUM_SHORT)
	{
		hdrlen = sizeof(uint16);
		neg = (header & NUM_SHORT_SIGN) != 0;
		weight = (header & NUM_SHORT_WSIGN) ? (int) (~NUM_SHORT_WMASK | (header & NUM_SHORT_WMASK))
			: (int) (header & NUM_SHORT_WMASK);
	}
	else
	{
		int16		w;

		hdrlen = sizeof(uint16) + sizeof(int16);
		neg = (header & NUM_SIGN_MASK) == NUM_NEG;
		memcpy(&w, p + sizeof(uint16), sizeof(int16));
		weight = w;
	}
	ndigits = (VARSIZE_ANY_EXHDR(v) - hdrlen) / sizeof(int16);
	if (ndigits == 0)
		return 0.0;
	if (ndigits > 4)
		goto slow;

	for (i = 0; i < ndigits; i++)
	{
		int16		d;

		memcpy(&d, p + hdrlen + i * sizeof(int16), sizeof(int16));
		mant = mant * NUM_NBASE + (uint64) d;
	}
	/* value = mant * NBASE^(weight - ndigits + 1) */
	exp10 = 4 * (weight - ndigits + 1);
	if (mant >= (UINT64CONST(1) << 53) || exp10 < -22 || exp10 > 22)
		goto slow;
	r = exp10 >= 0 ? (double) mant * pow10tab[exp10] : (double) mant / pow10tab[-exp10];
	return neg ? -r : r;

slow:
	r = DatumGetFloat8(DirectFunctionCall1(numeric_float8, num));
	CheckFinite(r, what);
	return r;
}

/*
 * The display scale (digits after the decimal point) of a numeric, read from
 * its header like PortraitNumericToDouble: the money sums of rfm_summary are
 * rounded to the largest scale of their inputs.  NaN and infinities, which
 * the conversion refuses anyway, give 0.
 */
int
PortraitNumericScale(Datum num)
{
	struct varlena *v = (struct varlena *) DatumGetPointer(num);
	uint16		header;

	if (VARATT_IS_EXTERNAL(v) || VARATT_IS_COMPRESSED(v))
		v = PG_DETOAST_DATUM_PACKED(num);
	memcpy(&header, VARDATA_ANY(v), sizeof(uint16));
	if ((header & NUM_SIGN_MASK) == NUM_SPECIAL)
		return 0;
	if ((header & NUM_SIGN_MASK) == NUM_SHORT)
		return (header & NUM_SHORT_DSCALE_MASK) >> NUM_SHORT_DSCALE_SHIFT;
	return header & NUM_DSCALE_MASK;
}

/* Append x in the shortest form that reads back to the same double. */
void
PortraitFormatDouble(StringInfo buf, double x)
{
	char		tmp[DOUBLE_SHORTEST_DECIMAL_LEN];

	if (isnan(x))
		appendStringInfoString(buf, "NaN");
	else if (isinf(x))
		appendStringInfoString(buf, x > 0 ? "Infinity" : "-Infinity");
	else
	{
		double_to_shortest_decimal_buf(x, tmp);
		appendStringInfoString(buf, tmp);
	}
}

static void
BadInput(const char *typname, const char *input)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid input syntax for type %s: \"%s\"", typname, input)));
}

/* Read a float8 at *pos (finite values only) and advance past it. */
double
PortraitParseDouble(const char **pos, const char *typname, const char *input)
{
	char	   *end;
	double		v;

	errno = 0;
	v = strtod(*pos, &end);
	if (end == *pos || errno == ERANGE || isnan(v) || isinf(v))
		BadInput(typname, input);
	*pos = end;
	return v;
}

/* Read an int64 at *pos and advance past it. */
int64
PortraitParseInt64(const char **pos, const char *typname, const char *input)
{
	char	   *end;
	long long	v;

	errno = 0;
	v = strtoll(*pos, &end, 10);
	if (end == *pos || errno == ERANGE)
		BadInput(typname, input);
	*pos = end;
	return (int64) v;
}

/* Require the character c at *pos and advance past it. */
void
PortraitExpectChar(const char **pos, char c, const char *typname, const char *input)
{
	if (**pos != c)
		BadInput(typname, input);
	(*pos)++;
}

/* Ascending in-place sort of doubles (no NaNs). */
#if PG_VERSION_NUM >= 140000
/* inlined comparisons through the sort template (PostgreSQL 14 and later) */
#define ST_SORT SortDoublesImpl
#define ST_ELEMENT_TYPE double
#define ST_COMPARE(a, b) ((*(a) > *(b)) - (*(a) < *(b)))
#define ST_CHECK_FOR_INTERRUPTS
#define ST_SCOPE static
#define ST_DEFINE
#include "lib/sort_template.h"
#else
static int
CmpDouble(const void *a, const void *b)
{
	double		x = *(const double *) a;
	double		y = *(const double *) b;

	return (x > y) - (x < y);
}

static void
SortDoublesImpl(double *v, size_t n)
{
	qsort(v, n, sizeof(double), CmpDouble);
}
#endif

void
PortraitSortDoubles(double *v, size_t n)
{
	SortDoublesImpl(v, n);
}

/*
 * Order statistics of v: afterwards v[ks[i]] holds the value a full sort
 * would put there, for each of the nk ascending, distinct positions ks.
 * Quickselect with a three-way partition (heavily tied columns, such as
 * order counts, stay linear) that recurses only into the sides holding a
 * wanted position; a range that keeps partitioning badly is sorted instead.
 */
static void
SelectRange(double *v, size_t lo, size_t hi, const size_t *ks, int nk, int depth)
{
	while (nk > 0 && hi - lo > 16 && depth > 0)
	{
		double		a = v[lo];
		double		b = v[lo + (hi - lo) / 2];
		double		c = v[hi - 1];
		double		pivot = Max(Min(a, b), Min(Max(a, b), c));	/* median of three */
		size_t		lt = lo;
		size_t		gt = hi;
		size_t		i = lo;
		int			below = 0;
		int			above;

		/* v[lo, lt) < pivot, v[lt, i) == pivot, v[gt, hi) > pivot */
		while (i < gt)
		{
			double		x = v[i];

			if (x < pivot)
			{
				v[i++] = v[lt];
				v[lt++] = x;
			}
			else if (x > pivot)
			{
				v[i] = v[--gt];
				v[gt] = x;
			}
			else
				i++;
		}
		while (below < nk && ks[below] < lt)
			below++;
		above = below;
		while (above < nk && ks[above] < gt)
			above++;
		depth--;
		/* recurse into the smaller side, loop on the other */
		if (lt - lo < hi - gt)
		{
			SelectRange(v, lo, lt, ks, below, depth);
			ks += above;
			nk -= above;
			lo = gt;
		}
		else
		{
			SelectRange(v, gt, hi, ks + above, nk - above, depth);
			nk = below;
			hi = lt;
		}
		CHECK_FOR_INTERRUPTS();
	}
	if (nk > 0 && hi > lo)
		SortDoublesImpl(v + lo, hi - lo);
}

void
PortraitSelectDoubles(double *v, size_t n, const size_t *ks, int nk)
{
	int			depth = 8;

	for (size_t m = n; m > 1; m >>= 1)
		depth += 2;
	SelectRange(v, 0, n, ks, nk, depth);
}
