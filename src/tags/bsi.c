/*
 * bsi.c
 *		portrait.bsi: the values of a numeric tag as a bit-sliced index.
 *
 * A value is kept as the fixed-point integer v = round(x * 10^scale), half
 * away from zero as numeric round() does, with |v| <= 10^18.  The index holds
 * the ids with a value (E), the ids with a negative value (N) and one bitmap
 * per bit of |v|, for the non-negative values (P) and the negative ones (M).
 * A range condition is then a few dozen bitmap operations whatever the number
 * of customers (O'Neil and Quass's comparison, run on magnitudes), and it is
 * exact: a constant is compared with the stored integers without rounding.
 *
 * Flat form: a 4-byte header (format, scale, number of P slices, number of M
 * slices), then E, N, P[0..] and M[0..], each a uint32 byte count followed by
 * a Roaring portable serialisation.
 *
 * While bsi_agg runs, its state is an expanded object: the slices live in
 * CRoaring, and new (id, value) pairs wait in a buffer that is sorted and
 * added slice by slice (add_many on sorted ids) when it fills, so a row costs
 * a few stores rather than one bitmap insertion per bit.
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "port/pg_bitutils.h"
#include "utils/builtins.h"
#include "utils/expandeddatum.h"
#include "utils/fmgrprotos.h"
#include "utils/memutils.h"
#include "utils/numeric.h"

#include "portrait.h"
#include "tags.h"

PG_FUNCTION_INFO_V1(pp_bsi_in);
PG_FUNCTION_INFO_V1(pp_bsi_out);
PG_FUNCTION_INFO_V1(pp_bsi_recv);
PG_FUNCTION_INFO_V1(pp_bsi_send);
PG_FUNCTION_INFO_V1(pp_bsi_from_bytea);
PG_FUNCTION_INFO_V1(pp_bsi_to_bytea);
PG_FUNCTION_INFO_V1(pp_bsi_trans_float8);
PG_FUNCTION_INFO_V1(pp_bsi_trans_numeric);
PG_FUNCTION_INFO_V1(pp_bsi_trans_int8);
PG_FUNCTION_INFO_V1(pp_bsi_trans_int4);
PG_FUNCTION_INFO_V1(pp_bsi_merge_trans);
PG_FUNCTION_INFO_V1(pp_bsi_compare);
PG_FUNCTION_INFO_V1(pp_bsi_between);
PG_FUNCTION_INFO_V1(pp_bsi_ids);
PG_FUNCTION_INFO_V1(pp_bsi_count);
PG_FUNCTION_INFO_V1(pp_bsi_scale);
PG_FUNCTION_INFO_V1(pp_bsi_sum);
PG_FUNCTION_INFO_V1(pp_bsi_value);
PG_FUNCTION_INFO_V1(pp_bsi_values);

#define BSI_FORMAT 1
#define BSI_MAX_SCALE 12
#define BSI_SLICES 60			/* 10^18 < 2^60 */
#define BSI_LIMIT INT64CONST(1000000000000000000)
#define BSI_NEG UINT64CONST(0x8000000000000000)
#define BSI_BUFFER_MIN 256
#define BSI_BUFFER_MAX 65536

static const int64 pow10_table[BSI_MAX_SCALE + 1] = {
	1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000,
	1000000000, INT64CONST(10000000000), INT64CONST(100000000000), INT64CONST(1000000000000)
};

/* The bitmaps of an index; a slice past np / nm, or NULL, is empty. */
typedef struct Bsi
{
	int			scale;
	int			np;
	int			nm;
	roaring_bitmap_t *e;
	roaring_bitmap_t *n;
	roaring_bitmap_t *p[BSI_SLICES];
	roaring_bitmap_t *m[BSI_SLICES];
	const char *raw;			/* flat bytes of the slices not read yet, or NULL */
	uint32		off[2 * BSI_SLICES];	/* where slice p[i] (m[i] at BSI_SLICES + i) is */
	uint32		len[2 * BSI_SLICES];
} Bsi;

typedef struct BsiExpanded
{
	ExpandedObjectHeader hdr;
	Bsi			bsi;			/* bitmaps tied to hdr.eoh_context */
	int			scale_set;		/* false until a row has given the scale */
	int			npending;
	int			capacity;
	uint32	   *ids;
	uint64	   *vals;			/* |v|, with BSI_NEG set for a negative v */
} BsiExpanded;

static Size BsiFlatSize(ExpandedObjectHeader *eohptr);
static void BsiFlatten(ExpandedObjectHeader *eohptr, void *result, Size allocated_size);

static const ExpandedObjectMethods bsi_methods = {
	BsiFlatSize,
	BsiFlatten
};

static inline roaring_bitmap_t *
NewBitmap(MemoryContext cxt)
{
	return BitmapKeep(cxt, roaring_bitmap_create());
}

/* ---------- decimals at a fixed scale ---------- */

/*
 * A decimal at a scale: the magnitude truncated to an integer at that scale
 * and what was dropped (0 nothing, 1 under a half, 2 exactly a half, 3 over).
 */
typedef struct Fixed
{
	bool		neg;
	bool		over;			/* magnitude past BSI_LIMIT (or infinite) */
	int64		trunc;
	int			rem;
} Fixed;

/*
 * Read [-+]digits[.digits][e[-+]digits], or [-]Infinity, at scale.  False
 * when s is not such a number (NaN included).
 */
static bool
ParseFixed(const char *s, int scale, Fixed *f)
{
	const char *p = s;
	const char *digits;
	int			ndigits = 0;
	int			intdigits = -1;
	long		exp10 = 0;
	long		keep;
	int			i;
	bool		any_after = false;

	memset(f, 0, sizeof(*f));
	if (*p == '-' || *p == '+')
		f->neg = (*p++ == '-');
	if (strcmp(p, "Infinity") == 0)
	{
		f->over = true;
		return true;
	}
	digits = p;
	for (; *p; p++)
	{
		if (*p >= '0' && *p <= '9')
			ndigits++;
		else if (*p == '.' && intdigits < 0)
			intdigits = ndigits;
		else
			break;
	}
	if (ndigits == 0)
		return false;
	if (intdigits < 0)
		intdigits = ndigits;
	if (*p == 'e' || *p == 'E')
	{
		char	   *end;

		exp10 = strtol(p + 1, &end, 10);
		if (end == p + 1 || *end != '\0' || exp10 > 100000 || exp10 < -100000)
			return false;
		p = end;
	}
	if (*p != '\0')
		return false;

	/* the first keep digits make the integer at this scale */
	keep = intdigits + exp10 + scale;
	i = 0;
	for (p = digits; *p && (*p == '.' || (*p >= '0' && *p <= '9')); p++)
	{
		int			d;

		if (*p == '.')
			continue;
		d = *p - '0';
		if (i < keep)
		{
			if (!f->over)
			{
				if (f->trunc > BSI_LIMIT / 10)
					f->over = true;
				else
					f->trunc = f->trunc * 10 + d;
			}
		}
		else if (i == keep)
			f->rem = d > 5 ? 3 : d == 5 ? 2 : d > 0 ? 1 : 0;
		else if (d > 0)
			any_after = true;
		i++;
	}
	/* digits missing before the point are zeros */
	for (; i < keep && !f->over; i++)
	{
		if (f->trunc > BSI_LIMIT / 10)
			f->over = true;
		else
			f->trunc *= 10;
	}
	if (keep < 0)
		f->rem = (f->trunc != 0 || any_after || f->rem != 0) ? 1 : 0;
	else if (any_after)
		f->rem = f->rem == 2 ? 3 : f->rem == 0 ? 1 : f->rem;
	if (keep < 0)
		f->trunc = 0;
	if (f->trunc > BSI_LIMIT)
		f->over = true;
	return true;
}

static void
ValueOutOfRange(const char *text, int scale)
{
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("value %s is out of range for a numeric tag", text),
			 errdetail("A numeric tag keeps values up to 10^18 in units of 10^-%d.", scale)));
}

/* The stored integer of a decimal text: rounded half away from zero. */
static uint64
FixedValue(const char *text, int scale)
{
	Fixed		f;
	int64		mag;

	if (!ParseFixed(text, scale, &f))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("value %s cannot be kept in a numeric tag", text),
				 errdetail("Numeric tag values must be finite numbers.")));
	if (f.over)
		ValueOutOfRange(text, scale);
	mag = f.trunc + (f.rem >= 2 ? 1 : 0);
	if (mag > BSI_LIMIT)
		ValueOutOfRange(text, scale);
	return mag == 0 ? 0 : ((uint64) mag | (f.neg ? BSI_NEG : 0));
}

/*
 * float8 at scale as numeric round(x::numeric, scale) gives it: the cast
 * keeps 15 significant digits, so the double product decides unless it lies
 * within its own rounding error of a half, where the decimal path decides.
 */
static uint64
Float8Value(double x, int scale)
{
	double		y,
				a,
				fl,
				r;
	char		buf[64];

	if (isnan(x) || isinf(x))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("value %g cannot be kept in a numeric tag", x),
				 errdetail("Numeric tag values must be finite numbers.")));
	y = x * (double) pow10_table[scale];
	a = fabs(y);
	if (a < 4.0e15)
	{
		fl = floor(a);
		r = a - fl;
		if (fabs(r - 0.5) > a * 4e-15 + 1e-300)
		{
			uint64		mag = (uint64) fl + (r > 0.5 ? 1 : 0);

			return mag == 0 ? 0 : (mag | (y < 0 ? BSI_NEG : 0));
		}
	}
	snprintf(buf, sizeof(buf), "%.*g", DBL_DIG, x);
	return FixedValue(buf, scale);
}

static uint64
Int64Value(int64 x, int scale)
{
	uint64		a = x < 0 ? -(uint64) x : (uint64) x;

	if (a > (uint64) (BSI_LIMIT / pow10_table[scale]))
	{
		char		buf[32];

		snprintf(buf, sizeof(buf), INT64_FORMAT, x);
		ValueOutOfRange(buf, scale);
	}
	a *= pow10_table[scale];
	return a == 0 ? 0 : (a | (x < 0 ? BSI_NEG : 0));
}

/* v at scale in decimal text. */
static void
AppendFixed(StringInfo buf, int128 v, int scale)
{
	char		digits[48];
	int			k = sizeof(digits);
	int			len;
	uint128		a = v < 0 ? -(uint128) v : (uint128) v;

	digits[--k] = '\0';
	do
	{
		digits[--k] = '0' + (int) (a % 10);
		a /= 10;
	} while (a != 0);
	len = sizeof(digits) - 1 - k;
	if (v < 0)
		appendStringInfoChar(buf, '-');
	if (scale == 0)
	{
		appendBinaryStringInfo(buf, digits + k, len);
		return;
	}
	if (len <= scale)
	{
		appendStringInfoString(buf, "0.");
		for (int i = len; i < scale; i++)
			appendStringInfoChar(buf, '0');
		appendBinaryStringInfo(buf, digits + k, len);
		return;
	}
	appendBinaryStringInfo(buf, digits + k, len - scale);
	appendStringInfoChar(buf, '.');
	appendBinaryStringInfo(buf, digits + k + len - scale, scale);
}

static Datum
FixedNumeric(int128 v, int scale)
{
	StringInfoData buf;

	initStringInfo(&buf);
	AppendFixed(&buf, v, scale);
	return DirectFunctionCall3(numeric_in, CStringGetDatum(buf.data),
							   ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
}

/* ---------- the flat form ---------- */

static void
BadBsi(const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
			 errmsg("invalid portrait.bsi value"),
			 errdetail("%s", detail)));
}

/*
 * The index in the len bytes at buf; checked deeply (every bitmap against
 * the Roaring format, slices inside their sign) when the bytes come from
 * outside, only structurally when they are a value we stored.  When lazy
 * (stored values only), the slices are located but read by BsiLoad, so a
 * reader pays only for the sign it compares with.
 */
static void
BsiParse(const char *buf, Size len, bool untrusted, bool lazy, Bsi *b)
{
	const unsigned char *u = (const unsigned char *) buf;
	Size		pos = 4;
	int			total;

	memset(b, 0, sizeof(*b));
	if (len < 4 || u[0] != BSI_FORMAT)
		BadBsi("The header is missing or of an unknown format.");
	b->scale = u[1];
	b->np = u[2];
	b->nm = u[3];
	if (b->scale > BSI_MAX_SCALE || b->np > BSI_SLICES || b->nm > BSI_SLICES)
		BadBsi("The header's scale or slice counts are out of range.");
	total = 2 + b->np + b->nm;
	for (int i = 0; i < total; i++)
	{
		uint32		sz;
		roaring_bitmap_t *rb;

		if (len - pos < 4)
			BadBsi("A bitmap length is missing.");
		memcpy(&sz, buf + pos, 4);
		pos += 4;
		if (sz > len - pos)
			BadBsi("A bitmap runs past the end of the value.");
		if (lazy && i >= 2)
		{
			b->off[i < 2 + b->np ? i - 2 : BSI_SLICES + i - 2 - b->np] = (uint32) pos;
			b->len[i < 2 + b->np ? i - 2 : BSI_SLICES + i - 2 - b->np] = sz;
			pos += sz;
			continue;
		}
		rb = untrusted ? BitmapReadChecked(buf + pos, sz) : BitmapDeserialize(buf + pos, sz);
		pos += sz;
		if (i == 0)
			b->e = rb;
		else if (i == 1)
			b->n = rb;
		else if (i < 2 + b->np)
			b->p[i - 2] = rb;
		else
			b->m[i - 2 - b->np] = rb;
	}
	if (pos != len)
		BadBsi("Bytes follow the last bitmap.");
	Assert(!(lazy && untrusted));
	if (lazy)
		b->raw = buf;
	if (untrusted)
	{
		roaring_bitmap_t *pos_ids = BitmapKeep(CurrentMemoryContext, roaring_bitmap_andnot(b->e, b->n));

		if (!roaring_bitmap_is_subset(b->n, b->e))
			BadBsi("Negative ids are not all ids with a value.");
		for (int i = 0; i < b->np; i++)
			if (!roaring_bitmap_is_subset(b->p[i], pos_ids))
				BadBsi("A slice of the non-negative values holds other ids.");
		for (int i = 0; i < b->nm; i++)
			if (!roaring_bitmap_is_subset(b->m[i], b->n))
				BadBsi("A slice of the negative values holds other ids.");
		if (b->nm > 0 && roaring_bitmap_is_empty(b->m[b->nm - 1]))
			BadBsi("The top slice of the negative values is empty.");
		if (b->np > 0 && roaring_bitmap_is_empty(b->p[b->np - 1]))
			BadBsi("The top slice of the non-negative values is empty.");
		if (!roaring_bitmap_is_empty(b->n))
		{
			/* every negative value has a bit set */
			roaring_bitmap_t *any = NewBitmap(CurrentMemoryContext);

			for (int i = 0; i < b->nm; i++)
				roaring_bitmap_or_inplace(any, b->m[i]);
			if (!roaring_bitmap_equals(any, b->n))
				BadBsi("A negative id has no magnitude.");
		}
	}
}

static Size
BsiBytes(const Bsi *b)
{
	Size		sz = 4;

	sz += 4 + roaring_bitmap_portable_size_in_bytes(b->e);
	sz += 4 + roaring_bitmap_portable_size_in_bytes(b->n);
	for (int i = 0; i < b->np; i++)
		sz += 4 + roaring_bitmap_portable_size_in_bytes(b->p[i]);
	for (int i = 0; i < b->nm; i++)
		sz += 4 + roaring_bitmap_portable_size_in_bytes(b->m[i]);
	return sz;
}

static void
BsiWrite(const Bsi *b, char *out)
{
	const roaring_bitmap_t *all[2 + 2 * BSI_SLICES];
	int			k = 0;

	out[0] = BSI_FORMAT;
	out[1] = (char) b->scale;
	out[2] = (char) b->np;
	out[3] = (char) b->nm;
	out += 4;
	all[k++] = b->e;
	all[k++] = b->n;
	for (int i = 0; i < b->np; i++)
		all[k++] = b->p[i];
	for (int i = 0; i < b->nm; i++)
		all[k++] = b->m[i];
	for (int i = 0; i < k; i++)
	{
		uint32		sz = (uint32) roaring_bitmap_portable_serialize(all[i], out + 4);

		memcpy(out, &sz, 4);
		out += 4 + sz;
	}
}

/* Empty slices at the top are dropped; every bitmap takes runs where smaller. */
static void
BsiTidy(Bsi *b)
{
	while (b->np > 0 && (b->p[b->np - 1] == NULL || roaring_bitmap_is_empty(b->p[b->np - 1])))
		b->np--;
	while (b->nm > 0 && (b->m[b->nm - 1] == NULL || roaring_bitmap_is_empty(b->m[b->nm - 1])))
		b->nm--;
	roaring_bitmap_run_optimize(b->e);
	roaring_bitmap_run_optimize(b->n);
	for (int i = 0; i < b->np; i++)
		roaring_bitmap_run_optimize(b->p[i]);
	for (int i = 0; i < b->nm; i++)
		roaring_bitmap_run_optimize(b->m[i]);
}

/* Missing slices below the top become empty bitmaps, so every slice can be read. */
static void
BsiFill(Bsi *b, MemoryContext cxt)
{
	for (int i = 0; i < b->np; i++)
		if (b->p[i] == NULL)
			b->p[i] = NewBitmap(cxt);
	for (int i = 0; i < b->nm; i++)
		if (b->m[i] == NULL)
			b->m[i] = NewBitmap(cxt);
}

static Datum
BsiFlatDatum(Bsi *b)
{
	Size		sz;
	struct varlena *v;

	BsiFill(b, CurrentMemoryContext);
	BsiTidy(b);
	sz = BsiBytes(b);
	if (sz > MaxAllocSize - VARHDRSZ)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("numeric tag index is too large to store")));
	v = palloc(VARHDRSZ + sz);
	SET_VARSIZE(v, VARHDRSZ + sz);
	BsiWrite(b, VARDATA(v));
	return PointerGetDatum(v);
}

/* ---------- the expanded state ---------- */

static inline bool
IsBsiExpanded(Datum d)
{
	return VARATT_IS_EXTERNAL_EXPANDED(DatumGetPointer(d)) &&
		DatumGetEOHP(d)->eoh_methods == &bsi_methods;
}

static BsiExpanded *
BsiExpandedNew(MemoryContext parent)
{
	MemoryContext cxt = AllocSetContextCreate(parent, "portrait bsi", ALLOCSET_DEFAULT_SIZES);
	BsiExpanded *be = MemoryContextAllocZero(cxt, sizeof(BsiExpanded));

	EOH_init_header(&be->hdr, &bsi_methods, cxt);
	be->bsi.e = NewBitmap(cxt);
	be->bsi.n = NewBitmap(cxt);
	return be;
}

/* Sort the buffer by id (LSD radix, a byte a pass). */
static void
SortPending(BsiExpanded *be, uint32 *ids, uint64 *vals)
{
	int			n = be->npending;
	uint32	   *si = be->ids,
			   *di = ids;
	uint64	   *sv = be->vals,
			   *dv = vals;

	for (int shift = 0; shift < 32; shift += 8)
	{
		int			count[257] = {0};

		for (int i = 0; i < n; i++)
			count[((si[i] >> shift) & 0xFF) + 1]++;
		if (count[((si[0] >> shift) & 0xFF) + 1] == n)
			continue;			/* every id shares this byte */
		for (int i = 0; i < 256; i++)
			count[i + 1] += count[i];
		for (int i = 0; i < n; i++)
		{
			int			k = count[(si[i] >> shift) & 0xFF]++;

			di[k] = si[i];
			dv[k] = sv[i];
		}
		{
			uint32	   *ti = si;
			uint64	   *tv = sv;

			si = di;
			sv = dv;
			di = ti;
			dv = tv;
		}
	}
	if (si != ids)
	{
		memcpy(ids, si, n * sizeof(uint32));
		memcpy(vals, sv, n * sizeof(uint64));
	}
}

static void
DuplicateId(uint32 id)
{
	ereport(ERROR,
			(errcode(ERRCODE_CARDINALITY_VIOLATION),
			 errmsg("id %u has more than one value in a numeric tag", id),
			 errhint("A numeric tag holds one value per customer: aggregate the rows per customer first.")));
}

/* Add the buffered pairs to the slices. */
static void
BsiFlush(BsiExpanded *be)
{
	MemoryContext cxt = be->hdr.eoh_context;
	int			n = be->npending;
	uint32	   *ids;
	uint64	   *vals;
	uint32	   *sel;
	roaring_bitmap_t *chunk;
	int			k;

	if (n == 0)
		return;
	ids = palloc(n * sizeof(uint32));
	vals = palloc(n * sizeof(uint64));
	sel = palloc(n * sizeof(uint32));
	SortPending(be, ids, vals);
	for (int i = 1; i < n; i++)
		if (ids[i] == ids[i - 1])
			DuplicateId(ids[i]);
	chunk = BitmapKeep(CurrentMemoryContext, roaring_bitmap_of_ptr(n, ids));
	if (roaring_bitmap_intersect(be->bsi.e, chunk))
	{
		roaring_bitmap_t *both = BitmapKeep(CurrentMemoryContext, roaring_bitmap_and(be->bsi.e, chunk));

		DuplicateId(roaring_bitmap_minimum(both));
	}
	roaring_bitmap_or_inplace(be->bsi.e, chunk);
	k = 0;
	for (int i = 0; i < n; i++)
		if (vals[i] & BSI_NEG)
			sel[k++] = ids[i];
	if (k > 0)
		roaring_bitmap_add_many(be->bsi.n, k, sel);

	/* one walk over the set bits of every value gives each slice its sorted ids */
	{
		int			count[2][BSI_SLICES] = {{0}};
		uint32	   *slot[2][BSI_SLICES];
		int			fill[2][BSI_SLICES] = {{0}};

		for (int i = 0; i < n; i++)
		{
			uint64		v = vals[i] & ~BSI_NEG;
			int			neg = (vals[i] & BSI_NEG) != 0;

			while (v != 0)
			{
				count[neg][pg_rightmost_one_pos64(v)]++;
				v &= v - 1;
			}
		}
		for (int neg = 0; neg < 2; neg++)
			for (int bit = 0; bit < BSI_SLICES; bit++)
				slot[neg][bit] = count[neg][bit] ? palloc(count[neg][bit] * sizeof(uint32)) : NULL;
		for (int i = 0; i < n; i++)
		{
			uint64		v = vals[i] & ~BSI_NEG;
			int			neg = (vals[i] & BSI_NEG) != 0;

			while (v != 0)
			{
				int			bit = pg_rightmost_one_pos64(v);

				slot[neg][bit][fill[neg][bit]++] = ids[i];
				v &= v - 1;
			}
		}
		for (int neg = 0; neg < 2; neg++)
		{
			roaring_bitmap_t **slices = neg ? be->bsi.m : be->bsi.p;
			int		   *top = neg ? &be->bsi.nm : &be->bsi.np;

			for (int bit = 0; bit < BSI_SLICES; bit++)
			{
				if (count[neg][bit] == 0)
					continue;
				if (slices[bit] == NULL)
					slices[bit] = NewBitmap(cxt);
				roaring_bitmap_add_many(slices[bit], count[neg][bit], slot[neg][bit]);
				pfree(slot[neg][bit]);
				if (*top < bit + 1)
					*top = bit + 1;
			}
		}
	}
	be->npending = 0;
	pfree(ids);
	pfree(vals);
	pfree(sel);
}

static Size
BsiFlatSize(ExpandedObjectHeader *eohptr)
{
	BsiExpanded *be = (BsiExpanded *) eohptr;
	Size		sz;

	BsiFlush(be);
	BsiFill(&be->bsi, be->hdr.eoh_context);
	BsiTidy(&be->bsi);
	sz = BsiBytes(&be->bsi);
	if (sz > MaxAllocSize - VARHDRSZ)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("numeric tag index of %llu ids is too large to store",
						(unsigned long long) roaring_bitmap_get_cardinality(be->bsi.e))));
	return VARHDRSZ + sz;
}

static void
BsiFlatten(ExpandedObjectHeader *eohptr, void *result, Size allocated_size)
{
	BsiExpanded *be = (BsiExpanded *) eohptr;

	SET_VARSIZE(result, allocated_size);
	BsiWrite(&be->bsi, VARDATA(result));
}

/* The slices of one sign of a lazily parsed index, read where not yet. */
static void
BsiLoad(Bsi *b, bool neg)
{
	int			ns = neg ? b->nm : b->np;
	roaring_bitmap_t **s = neg ? b->m : b->p;

	if (b->raw == NULL)
		return;
	for (int i = 0; i < ns; i++)
	{
		int			k = neg ? BSI_SLICES + i : i;

		if (s[i] == NULL)
			s[i] = BitmapDeserialize(b->raw + b->off[k], b->len[k]);
	}
}

/*
 * The index of a datum, for reading: the live slices of our expanded object
 * (its buffer added first), else the flat value parsed in the current context
 * (its slices left to BsiLoad when lazy).
 */
static Bsi *
BsiRead(Datum d, bool lazy)
{
	Bsi		   *b;
	struct varlena *v;

	if (IsBsiExpanded(d))
	{
		BsiExpanded *be = (BsiExpanded *) DatumGetEOHP(d);

		BsiFlush(be);
		BsiFill(&be->bsi, be->hdr.eoh_context);
		return &be->bsi;
	}
	b = palloc(sizeof(Bsi));
	v = PG_DETOAST_DATUM(d);
	BsiParse(VARDATA(v), VARSIZE(v) - VARHDRSZ, false, lazy, b);
	return b;
}

/* The index of a datum with every slice read. */
static Bsi *
BsiGet(Datum d)
{
	return BsiRead(d, false);
}

/* The writable state at argno in the aggregate context (NULL when the argument is). */
static BsiExpanded *
BsiState(FunctionCallInfo fcinfo, int argno)
{
	MemoryContext aggcxt = PortraitAggContext(fcinfo);
	Datum		d;
	Bsi		   *src;
	BsiExpanded *be;
	MemoryContext old;

	if (PG_ARGISNULL(argno))
		return NULL;
	d = PG_GETARG_DATUM(argno);
	if (IsBsiExpanded(d) && DatumGetEOHP(d)->eoh_context->parent == aggcxt)
		return (BsiExpanded *) DatumGetEOHP(d);
	src = BsiGet(d);
	be = BsiExpandedNew(aggcxt);
	old = MemoryContextSwitchTo(be->hdr.eoh_context);
	be->bsi.scale = src->scale;
	be->scale_set = true;
	be->bsi.np = src->np;
	be->bsi.nm = src->nm;
	roaring_bitmap_or_inplace(be->bsi.e, src->e);
	roaring_bitmap_or_inplace(be->bsi.n, src->n);
	for (int i = 0; i < src->np; i++)
		be->bsi.p[i] = BitmapKeep(be->hdr.eoh_context, roaring_bitmap_copy(src->p[i]));
	for (int i = 0; i < src->nm; i++)
		be->bsi.m[i] = BitmapKeep(be->hdr.eoh_context, roaring_bitmap_copy(src->m[i]));
	MemoryContextSwitchTo(old);
	return be;
}

static void
CheckScale(int scale)
{
	if (scale < 0 || scale > BSI_MAX_SCALE)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("scale of a numeric tag must be between 0 and %d, not %d", BSI_MAX_SCALE, scale)));
}

/* The common transition: the state, its scale checked, with room for one more pair. */
static BsiExpanded *
BsiTransBegin(FunctionCallInfo fcinfo)
{
	BsiExpanded *be = BsiState(fcinfo, 0);
	int			scale;

	if (PG_ARGISNULL(3))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("bsi_agg: scale must not be NULL")));
	scale = PG_GETARG_INT32(3);
	CheckScale(scale);
	if (be == NULL)
		be = BsiExpandedNew(PortraitAggContext(fcinfo));
	if (!be->scale_set)
	{
		be->bsi.scale = scale;
		be->scale_set = true;
	}
	else if (be->bsi.scale != scale)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("bsi_agg: scale changed from %d to %d", be->bsi.scale, scale),
				 errdetail("Every row of one index must give the same scale.")));
	return be;
}

/* Buffer one (id, stored value) pair of an index being built. */
static void
BsiPush(BsiExpanded *be, uint32 id, uint64 val)
{
	if (be->npending == be->capacity)
	{
		if (be->capacity == BSI_BUFFER_MAX)
			BsiFlush(be);
		else
		{
			int			cap = be->capacity == 0 ? BSI_BUFFER_MIN : be->capacity * 2;

			be->ids = be->ids ? repalloc(be->ids, cap * sizeof(uint32)) :
				MemoryContextAlloc(be->hdr.eoh_context, cap * sizeof(uint32));
			be->vals = be->vals ? repalloc(be->vals, cap * sizeof(uint64)) :
				MemoryContextAlloc(be->hdr.eoh_context, cap * sizeof(uint64));
			be->capacity = cap;
		}
	}
	be->ids[be->npending] = id;
	be->vals[be->npending] = val;
	be->npending++;
}

static Datum
BsiTransAdd(BsiExpanded *be, int64 id, uint64 val)
{
	BsiPush(be, BitmapCheckId(id), val);
	return EOHPGetRWDatum(&be->hdr);
}

/* ---------- an index built outside an aggregate (build_tags) ---------- */

/* An empty index at scale, its memory a child of parent. */
BsiBuild *
BsiBuildNew(MemoryContext parent, int scale)
{
	BsiExpanded *be;

	CheckScale(scale);
	be = BsiExpandedNew(parent);
	be->bsi.scale = scale;
	be->scale_set = true;
	return (BsiBuild *) be;
}

/*
 * The stored integer of a value at scale, the same as bsi_agg keeps: value
 * is an int8 (INT8OID), a float8 (FLOAT8OID) or a numeric (NUMERICOID).
 */
uint64
BsiBuildValue(Datum value, Oid type, int scale)
{
	char	   *text;
	uint64		val;

	if (type == INT8OID)
		return Int64Value(DatumGetInt64(value), scale);
	if (type == FLOAT8OID)
		return Float8Value(DatumGetFloat8(value), scale);
	if (type != NUMERICOID)
		elog(ERROR, "a numeric tag value of type %u", type);
	text = DatumGetCString(DirectFunctionCall1(numeric_out, value));
	val = FixedValue(text, scale);
	pfree(text);
	return val;
}

/* Add id with a value from BsiBuildValue (21000 at the end when an id comes twice). */
void
BsiBuildAdd(BsiBuild *b, uint32 id, uint64 val)
{
	BsiPush((BsiExpanded *) b, id, val);
}

/* The flat portrait.bsi of an index built, in the current memory context. */
Datum
BsiBuildResult(BsiBuild *b)
{
	ExpandedObjectHeader *eoh = &((BsiExpanded *) b)->hdr;
	Size		sz = EOH_get_flat_size(eoh);
	void	   *v = palloc(sz);

	EOH_flatten_into(eoh, v, sz);
	return PointerGetDatum(v);
}

#define BSI_TRANS_SKIP(be) \
	do { \
		if (PG_ARGISNULL(1) || PG_ARGISNULL(2)) \
			PG_RETURN_DATUM(EOHPGetRWDatum(&(be)->hdr)); \
	} while (0)

Datum
pp_bsi_trans_float8(PG_FUNCTION_ARGS)
{
	BsiExpanded *be = BsiTransBegin(fcinfo);

	BSI_TRANS_SKIP(be);
	PG_RETURN_DATUM(BsiTransAdd(be, PG_GETARG_INT64(1), Float8Value(PG_GETARG_FLOAT8(2), be->bsi.scale)));
}

Datum
pp_bsi_trans_numeric(PG_FUNCTION_ARGS)
{
	BsiExpanded *be = BsiTransBegin(fcinfo);
	char	   *text;
	uint64		val;

	BSI_TRANS_SKIP(be);
	text = DatumGetCString(DirectFunctionCall1(numeric_out, PG_GETARG_DATUM(2)));
	val = FixedValue(text, be->bsi.scale);
	pfree(text);
	PG_RETURN_DATUM(BsiTransAdd(be, PG_GETARG_INT64(1), val));
}

Datum
pp_bsi_trans_int8(PG_FUNCTION_ARGS)
{
	BsiExpanded *be = BsiTransBegin(fcinfo);

	BSI_TRANS_SKIP(be);
	PG_RETURN_DATUM(BsiTransAdd(be, PG_GETARG_INT64(1), Int64Value(PG_GETARG_INT64(2), be->bsi.scale)));
}

Datum
pp_bsi_trans_int4(PG_FUNCTION_ARGS)
{
	BsiExpanded *be = BsiTransBegin(fcinfo);

	BSI_TRANS_SKIP(be);
	PG_RETURN_DATUM(BsiTransAdd(be, PG_GETARG_INT64(1), Int64Value(PG_GETARG_INT32(2), be->bsi.scale)));
}

/* Combine function of bsi_agg: the union of two indexes over disjoint ids. */
Datum
pp_bsi_merge_trans(PG_FUNCTION_ARGS)
{
	BsiExpanded *be;
	Bsi		   *o;

	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		be = BsiState(fcinfo, 0);
		PG_RETURN_DATUM(EOHPGetRWDatum(&be->hdr));
	}
	if (PG_ARGISNULL(0))
	{
		be = BsiState(fcinfo, 1);
		PG_RETURN_DATUM(EOHPGetRWDatum(&be->hdr));
	}
	be = BsiState(fcinfo, 0);
	BsiFlush(be);
	o = BsiGet(PG_GETARG_DATUM(1));
	if (roaring_bitmap_is_empty(o->e))
		PG_RETURN_DATUM(EOHPGetRWDatum(&be->hdr));
	if (roaring_bitmap_is_empty(be->bsi.e))
		be->bsi.scale = o->scale;
	else if (be->bsi.scale != o->scale)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot merge numeric tag indexes of scales %d and %d", be->bsi.scale, o->scale)));
	if (roaring_bitmap_intersect(be->bsi.e, o->e))
	{
		roaring_bitmap_t *both = BitmapKeep(CurrentMemoryContext, roaring_bitmap_and(be->bsi.e, o->e));

		DuplicateId(roaring_bitmap_minimum(both));
	}
	roaring_bitmap_or_inplace(be->bsi.e, o->e);
	roaring_bitmap_or_inplace(be->bsi.n, o->n);
	for (int i = 0; i < o->np; i++)
	{
		if (be->bsi.p[i] == NULL)
			be->bsi.p[i] = NewBitmap(be->hdr.eoh_context);
		roaring_bitmap_or_inplace(be->bsi.p[i], o->p[i]);
	}
	for (int i = 0; i < o->nm; i++)
	{
		if (be->bsi.m[i] == NULL)
			be->bsi.m[i] = NewBitmap(be->hdr.eoh_context);
		roaring_bitmap_or_inplace(be->bsi.m[i], o->m[i]);
	}
	be->bsi.np = Max(be->bsi.np, o->np);
	be->bsi.nm = Max(be->bsi.nm, o->nm);
	PG_RETURN_DATUM(EOHPGetRWDatum(&be->hdr));
}

/* ---------- comparisons ---------- */

/*
 * Over the ids of x, those whose magnitude (slices s[0..ns-1]) is below,
 * equal to and above c: bits from the top, the ids still equal so far in eq.
 * x is taken over (it becomes eq), which spares a copy of its ids; lt or gt
 * NULL when not wanted, which spares the steps that would build it.  The
 * three always split x, so a side wanted alone is derived from the other one
 * when that takes fewer steps (a one bit of c adds to lt, a zero bit to gt).
 */
static void
MagnitudeCompare(roaring_bitmap_t *x, roaring_bitmap_t *const *s, int ns, uint64 c,
				 roaring_bitmap_t **lt, roaring_bitmap_t **eq, roaring_bitmap_t **gt)
{
	MemoryContext cxt = CurrentMemoryContext;
	roaring_bitmap_t *e = x;
	roaring_bitmap_t *all = NULL;
	roaring_bitmap_t *l;
	roaring_bitmap_t *g;
	bool		build_l = lt != NULL;
	bool		build_g = gt != NULL;
	int			top = ns;
	int			ones = pg_popcount64(c);

	while (top < 64 && (c >> top) != 0)
		top++;
	if (build_l != build_g && (build_g ? ones < top - ones : top - ones < ones))
	{
		all = BitmapKeep(cxt, roaring_bitmap_copy(x));
		build_l = !build_l;
		build_g = !build_g;
	}
	l = build_l ? NewBitmap(cxt) : NULL;
	g = build_g ? NewBitmap(cxt) : NULL;
	for (int i = top - 1; i >= 0 && !roaring_bitmap_is_empty(e); i--)
	{
		const roaring_bitmap_t *si = i < ns ? s[i] : NULL;
		roaring_bitmap_t *t;

		if ((c >> i) & 1)
		{
			if (si == NULL)
			{
				if (l)
					roaring_bitmap_or_inplace(l, e);
				roaring_bitmap_clear(e);
				break;
			}
			if (l)
			{
				t = roaring_bitmap_andnot(e, si);
				roaring_bitmap_or_inplace(l, t);
				roaring_bitmap_free(t);
			}
			roaring_bitmap_and_inplace(e, si);
		}
		else if (si != NULL)
		{
			if (g)
			{
				t = roaring_bitmap_and(e, si);
				roaring_bitmap_or_inplace(g, t);
				roaring_bitmap_free(t);
			}
			roaring_bitmap_andnot_inplace(e, si);
		}
	}
	if (all)
	{
		roaring_bitmap_andnot_inplace(all, e);
		roaring_bitmap_andnot_inplace(all, build_l ? l : g);
		if (build_l)
			g = all;
		else
			l = all;
	}
	if (lt)
		*lt = l;
	*eq = e;
	if (gt)
		*gt = g;
}

/*
 * The ids (of within, else all) whose value is below, equal to and above the
 * integer t (lt, gt NULL when not wanted); only the slices of t's sign are read.
 */
static void
SignedCompare(Bsi *b, const roaring_bitmap_t *within, int64 t,
			  roaring_bitmap_t **lt, roaring_bitmap_t **eq, roaring_bitmap_t **gt)
{
	MemoryContext cxt = CurrentMemoryContext;
	const roaring_bitmap_t *ids = within ? within : b->e;
	roaring_bitmap_t *pos = BitmapKeep(cxt, roaring_bitmap_andnot(ids, b->n));
	roaring_bitmap_t *neg = BitmapKeep(cxt, within ? roaring_bitmap_and(within, b->n) : roaring_bitmap_copy(b->n));

	BsiLoad(b, t < 0);
	if (t >= 0)
	{
		MagnitudeCompare(pos, b->p, b->np, (uint64) t, lt, eq, gt);
		if (lt)
			roaring_bitmap_or_inplace(*lt, neg);
	}
	else
	{
		/* a larger magnitude is a smaller value */
		MagnitudeCompare(neg, b->m, b->nm, -(uint64) t, gt, eq, lt);
		if (gt)
			roaring_bitmap_or_inplace(*gt, pos);
	}
}

/* The integer bounds of a constant: floor and ceiling at the scale, kept past every value. */
static void
ConstantBounds(const char *c, int scale, int64 *floor_v, int64 *ceil_v, bool *exact)
{
	Fixed		f;
	int64		lo,
				hi;

	if (!ParseFixed(c, scale, &f))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot compare a numeric tag with %s", c)));
	if (f.over)
	{
		*exact = false;
		*floor_v = *ceil_v = f.neg ? -(BSI_LIMIT + 1) : BSI_LIMIT + 1;
		return;
	}
	lo = f.trunc;
	hi = f.trunc + (f.rem > 0 ? 1 : 0);
	*exact = f.rem == 0;
	*floor_v = f.neg ? -hi : lo;
	*ceil_v = f.neg ? -lo : hi;
}

/* The ids (of within, else all) whose value satisfies op. */
static roaring_bitmap_t *
BsiCompareParsed(Bsi *b, const roaring_bitmap_t *within, BsiOp op, const char *lo, const char *hi)
{
	int64		fl,
				ce;
	bool		exact;
	roaring_bitmap_t *lt,
			   *eq,
			   *gt;

	if (op == BSI_BETWEEN)
	{
		/* the upper bound is tested only on the ids past the lower one */
		return BsiCompareParsed(b, BsiCompareParsed(b, within, BSI_GE, lo, NULL), BSI_LE, hi, NULL);
	}
	ConstantBounds(lo, b->scale, &fl, &ce, &exact);
	switch (op)
	{
		case BSI_LT:
			SignedCompare(b, within, ce, &lt, &eq, NULL);
			return lt;
		case BSI_LE:
			SignedCompare(b, within, fl, &lt, &eq, NULL);
			roaring_bitmap_or_inplace(lt, eq);
			return lt;
		case BSI_GT:
			SignedCompare(b, within, fl, NULL, &eq, &gt);
			return gt;
		case BSI_GE:
			SignedCompare(b, within, ce, NULL, &eq, &gt);
			roaring_bitmap_or_inplace(gt, eq);
			return gt;
		case BSI_EQ:
		case BSI_NE:
			if (exact)
				SignedCompare(b, within, fl, NULL, &eq, NULL);
			else
				eq = NewBitmap(CurrentMemoryContext);
			if (op == BSI_EQ)
				return eq;
			return BitmapKeep(CurrentMemoryContext, roaring_bitmap_andnot(within ? within : b->e, eq));
		default:
			elog(ERROR, "unknown numeric tag comparison %d", (int) op);
	}
	return NULL;				/* keep the compiler quiet */
}

roaring_bitmap_t *
BsiCompare(Datum bsi, BsiOp op, const char *lo, const char *hi)
{
	return BsiCompareParsed(BsiRead(bsi, true), NULL, op, lo, hi);
}

roaring_bitmap_t *
BsiExistence(Datum bsi)
{
	return BitmapKeep(CurrentMemoryContext, roaring_bitmap_copy(BsiRead(bsi, true)->e));
}

static BsiOp
ParseOp(const char *op)
{
	static const struct
	{
		const char *name;
		BsiOp		op;
	}			ops[] = {
		{"=", BSI_EQ}, {"<>", BSI_NE}, {"!=", BSI_NE}, {"<", BSI_LT},
		{"<=", BSI_LE}, {">", BSI_GT}, {">=", BSI_GE}
	};

	for (size_t i = 0; i < lengthof(ops); i++)
		if (strcmp(op, ops[i].name) == 0)
			return ops[i].op;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown comparison \"%s\"", op),
			 errhint("Use one of =, <>, !=, <, <=, >, >=.")));
	return BSI_EQ;				/* keep the compiler quiet */
}

static char *
NumericText(FunctionCallInfo fcinfo, int argno)
{
	return DatumGetCString(DirectFunctionCall1(numeric_out, PG_GETARG_DATUM(argno)));
}

Datum
pp_bsi_compare(PG_FUNCTION_ARGS)
{
	char	   *op = text_to_cstring(PG_GETARG_TEXT_PP(1));

	PG_RETURN_DATUM(BitmapResult(BsiCompare(PG_GETARG_DATUM(0), ParseOp(op), NumericText(fcinfo, 2), NULL)));
}

Datum
pp_bsi_between(PG_FUNCTION_ARGS)
{
	PG_RETURN_DATUM(BitmapResult(BsiCompare(PG_GETARG_DATUM(0), BSI_BETWEEN,
											NumericText(fcinfo, 1), NumericText(fcinfo, 2))));
}

Datum
pp_bsi_ids(PG_FUNCTION_ARGS)
{
	PG_RETURN_DATUM(BitmapResult(BsiRead(PG_GETARG_DATUM(0), true)->e));
}

Datum
pp_bsi_count(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64((int64) roaring_bitmap_get_cardinality(BsiRead(PG_GETARG_DATUM(0), true)->e));
}

Datum
pp_bsi_scale(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(BsiRead(PG_GETARG_DATUM(0), true)->scale);
}

/* Exact sum of the values (of the ids in the filter, when one is given). */
Datum
pp_bsi_sum(PG_FUNCTION_ARGS)
{
	Bsi		   *b = BsiGet(PG_GETARG_DATUM(0));
	const roaring_bitmap_t *f = PG_NARGS() > 1 ? BitmapRead(PG_GETARG_DATUM(1)) : NULL;
	int128		sum = 0;

	for (int i = 0; i < b->np; i++)
		sum += (int128) (f ? roaring_bitmap_and_cardinality(b->p[i], f) :
						 roaring_bitmap_get_cardinality(b->p[i])) << i;
	for (int i = 0; i < b->nm; i++)
		sum -= (int128) (f ? roaring_bitmap_and_cardinality(b->m[i], f) :
						 roaring_bitmap_get_cardinality(b->m[i])) << i;
	PG_RETURN_DATUM(FixedNumeric(sum, b->scale));
}

Datum
pp_bsi_value(PG_FUNCTION_ARGS)
{
	Bsi		   *b = BsiGet(PG_GETARG_DATUM(0));
	int64		id = PG_GETARG_INT64(1);
	uint64		a = 0;
	bool		neg;

	if (id < 0 || id > (int64) PG_UINT32_MAX || !roaring_bitmap_contains(b->e, (uint32) id))
		PG_RETURN_NULL();
	neg = roaring_bitmap_contains(b->n, (uint32) id);
	for (int i = 0; i < (neg ? b->nm : b->np); i++)
		if (roaring_bitmap_contains(neg ? b->m[i] : b->p[i], (uint32) id))
			a |= UINT64CONST(1) << i;
	PG_RETURN_DATUM(FixedNumeric(neg ? -(int64) a : (int64) a, b->scale));
}

/* Every id and its value, by ascending id: one merge walk per slice. */
static void
BsiDecode(const Bsi *b, uint32 **ids_out, int64 **vals_out, uint64 *n_out)
{
	uint64		n = roaring_bitmap_get_cardinality(b->e);
	uint32	   *ids = palloc_extended(Max(n, 1) * sizeof(uint32), MCXT_ALLOC_HUGE);
	int64	   *vals = palloc_extended(Max(n, 1) * sizeof(int64), MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);

	roaring_bitmap_to_uint32_array(b->e, ids);
	for (int neg = 0; neg < 2; neg++)
	{
		for (int i = 0; i < (neg ? b->nm : b->np); i++)
		{
			const roaring_bitmap_t *s = neg ? b->m[i] : b->p[i];
			uint64		ns = roaring_bitmap_get_cardinality(s);
			uint32	   *sids;
			uint64		k = 0;

			if (ns == 0)
				continue;
			sids = palloc_extended(ns * sizeof(uint32), MCXT_ALLOC_HUGE);
			roaring_bitmap_to_uint32_array(s, sids);
			for (uint64 j = 0; j < ns; j++)
			{
				while (ids[k] != sids[j])
					k++;
				vals[k] |= INT64CONST(1) << i;
			}
			pfree(sids);
			CHECK_FOR_INTERRUPTS();
		}
	}
	if (!roaring_bitmap_is_empty(b->n))
	{
		uint64		k = 0;
		uint64		nn = roaring_bitmap_get_cardinality(b->n);
		uint32	   *nids = palloc_extended(nn * sizeof(uint32), MCXT_ALLOC_HUGE);

		roaring_bitmap_to_uint32_array(b->n, nids);
		for (uint64 j = 0; j < nn; j++)
		{
			while (ids[k] != nids[j])
				k++;
			vals[k] = -vals[k];
		}
		pfree(nids);
	}
	*ids_out = ids;
	*vals_out = vals;
	*n_out = n;
}

typedef struct BsiValuesCtx
{
	uint32	   *ids;
	int64	   *vals;
	uint64		n;
	int			scale;
} BsiValuesCtx;

Datum
pp_bsi_values(PG_FUNCTION_ARGS)
{
	FuncCallContext *fctx;
	BsiValuesCtx *ctx;

	if (SRF_IS_FIRSTCALL())
	{
		MemoryContext old;
		TupleDesc	tupdesc;

		fctx = SRF_FIRSTCALL_INIT();
		old = MemoryContextSwitchTo(fctx->multi_call_memory_ctx);
		if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
			elog(ERROR, "bsi_values must return a composite type");
		fctx->tuple_desc = BlessTupleDesc(tupdesc);
		ctx = palloc(sizeof(BsiValuesCtx));
		{
			Bsi		   *b = BsiGet(PG_GETARG_DATUM(0));

			ctx->scale = b->scale;
			BsiDecode(b, &ctx->ids, &ctx->vals, &ctx->n);
		}
		fctx->user_fctx = ctx;
		MemoryContextSwitchTo(old);
	}
	fctx = SRF_PERCALL_SETUP();
	ctx = fctx->user_fctx;
	if (fctx->call_cntr < ctx->n)
	{
		Datum		values[2];
		bool		nulls[2] = {false, false};

		values[0] = Int64GetDatum((int64) ctx->ids[fctx->call_cntr]);
		values[1] = FixedNumeric(ctx->vals[fctx->call_cntr], ctx->scale);
		SRF_RETURN_NEXT(fctx, HeapTupleGetDatum(heap_form_tuple(fctx->tuple_desc, values, nulls)));
	}
	SRF_RETURN_DONE(fctx);
}

/* ---------- I/O ---------- */

/* Text output: {id:value,...} by ascending id, every value with scale decimals. */
Datum
pp_bsi_out(PG_FUNCTION_ARGS)
{
	Bsi		   *b = BsiGet(PG_GETARG_DATUM(0));
	uint32	   *ids;
	int64	   *vals;
	uint64		n;
	StringInfoData buf;

	BsiDecode(b, &ids, &vals, &n);
	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	for (uint64 i = 0; i < n; i++)
	{
		if (i > 0)
			appendStringInfoChar(&buf, ',');
		appendStringInfo(&buf, "%u:", ids[i]);
		AppendFixed(&buf, vals[i], b->scale);
	}
	appendStringInfoChar(&buf, '}');
	PG_RETURN_CSTRING(buf.data);
}

static void
BadText(const char *input, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid input syntax for type portrait.bsi: \"%s\"", input),
			 errdetail("%s", detail)));
}

/*
 * Text input: {id:value,...}; the scale is the largest number of decimals
 * among the values (output writes every value with the index's scale).
 */
Datum
pp_bsi_in(PG_FUNCTION_ARGS)
{
	const char *input = PG_GETARG_CSTRING(0);
	const char *p = input;
	int64	   *ids = NULL;
	char	  **texts = NULL;
	Size		n = 0,
				cap = 0;
	int			scale = 0;
	BsiExpanded *be;
	Datum		flat;

	while (*p == ' ')
		p++;
	if (*p++ != '{')
		BadText(input, "A numeric tag index is written {id:value,...}.");
	while (*p == ' ')
		p++;
	while (*p != '}')
	{
		int64		id = PortraitParseInt64(&p, "portrait.bsi", input);
		const char *start;
		const char *dot = NULL;
		char	   *val;

		while (*p == ' ')
			p++;
		if (*p++ != ':')
			BadText(input, "Each id is followed by a colon and its value.");
		while (*p == ' ')
			p++;
		start = p;
		while (*p == '-' || *p == '+' || *p == '.' || (*p >= '0' && *p <= '9'))
		{
			if (*p == '.')
				dot = p;
			p++;
		}
		if (p == start)
			BadText(input, "A value is missing.");
		val = pnstrdup(start, p - start);
		if (dot != NULL)
			scale = Max(scale, (int) (p - dot - 1));
		if (n == cap)
		{
			cap = cap == 0 ? 64 : cap * 2;
			ids = ids ? repalloc_huge(ids, cap * sizeof(int64)) : palloc(cap * sizeof(int64));
			texts = texts ? repalloc_huge(texts, cap * sizeof(char *)) : palloc(cap * sizeof(char *));
		}
		ids[n] = id;
		texts[n++] = val;
		while (*p == ' ')
			p++;
		if (*p == ',')
		{
			p++;
			while (*p == ' ')
				p++;
			if (*p == '}')
				BadText(input, "A value is missing after the last comma.");
		}
		else if (*p != '}')
			BadText(input, "Values are separated by commas.");
	}
	p++;
	while (*p == ' ')
		p++;
	if (*p != '\0')
		BadText(input, "Text follows the closing brace.");
	if (scale > BSI_MAX_SCALE)
		BadText(input, "A value has more than 12 decimals.");

	be = BsiExpandedNew(CurrentMemoryContext);
	be->bsi.scale = scale;
	be->scale_set = true;
	for (Size i = 0; i < n; i++)
	{
		Fixed		f;

		if (!ParseFixed(texts[i], scale, &f))
			BadText(input, "A value is not a decimal number.");
		BsiTransAdd(be, ids[i], FixedValue(texts[i], scale));
	}
	BsiFlush(be);
	flat = BsiFlatDatum(&be->bsi);
	PG_RETURN_DATUM(flat);
}

/* A validated bsi datum holding exactly the len bytes at buf. */
static Datum
BsiFromBytes(const char *buf, Size len)
{
	Bsi			b;
	struct varlena *v;

	BsiParse(buf, len, true, false, &b);
	v = palloc(VARHDRSZ + len);
	SET_VARSIZE(v, VARHDRSZ + len);
	memcpy(VARDATA(v), buf, len);
	return PointerGetDatum(v);
}

/* The flat form of a bsi datum (detoasting flattens our expanded state). */
static struct varlena *
BsiFlatCopy(Datum d)
{
	return PG_DETOAST_DATUM_COPY(d);
}

/* Binary input: the flat form, every bitmap checked against the Roaring format. */
Datum
pp_bsi_recv(PG_FUNCTION_ARGS)
{
	StringInfo	msg = (StringInfo) PG_GETARG_POINTER(0);
	Datum		d = BsiFromBytes(msg->data + msg->cursor, msg->len - msg->cursor);

	msg->cursor = msg->len;
	PG_RETURN_DATUM(d);
}

Datum
pp_bsi_send(PG_FUNCTION_ARGS)
{
	struct varlena *v = BsiFlatCopy(PG_GETARG_DATUM(0));
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendbytes(&buf, VARDATA(v), VARSIZE(v) - VARHDRSZ);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

Datum
pp_bsi_from_bytea(PG_FUNCTION_ARGS)
{
	bytea	   *b = PG_GETARG_BYTEA_PP(0);

	PG_RETURN_DATUM(BsiFromBytes(VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b)));
}

Datum
pp_bsi_to_bytea(PG_FUNCTION_ARGS)
{
	PG_RETURN_BYTEA_P((bytea *) BsiFlatCopy(PG_GETARG_DATUM(0)));
}
