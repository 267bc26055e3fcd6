/*
 * bitmap.c
 *		portrait.bitmap: a set of dense 32-bit customer ids, held by CRoaring.
 *
 * The flat form is a varlena whose payload is Roaring's portable
 * serialisation, exactly, so send/recv and the bytea cast exchange bitmaps
 * with the other Roaring implementations (Java, Go, ClickHouse, Doris).
 * While an aggregate runs, the state is an expanded object in the aggregate
 * context holding the live roaring_bitmap_t, so adding an id neither copies
 * nor re-serialises the state.  CRoaring allocates with malloc; every bitmap
 * we hold is tied to a memory context by a reset callback, so an error
 * between its creation and its end frees it with the context.
 */
#include "postgres.h"

#include <roaring/roaring.h>

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "port/pg_bitutils.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/expandeddatum.h"
#include "utils/memutils.h"

#include "portrait.h"
#include "tags.h"

PG_FUNCTION_INFO_V1(pp_bitmap_in);
PG_FUNCTION_INFO_V1(pp_bitmap_out);
PG_FUNCTION_INFO_V1(pp_bitmap_recv);
PG_FUNCTION_INFO_V1(pp_bitmap_send);
PG_FUNCTION_INFO_V1(pp_bitmap_from_bytea);
PG_FUNCTION_INFO_V1(pp_bitmap_to_bytea);
PG_FUNCTION_INFO_V1(pp_bitmap_cardinality);
PG_FUNCTION_INFO_V1(pp_bitmap_contains);
PG_FUNCTION_INFO_V1(pp_bitmap_and);
PG_FUNCTION_INFO_V1(pp_bitmap_or);
PG_FUNCTION_INFO_V1(pp_bitmap_andnot);
PG_FUNCTION_INFO_V1(pp_bitmap_xor);
PG_FUNCTION_INFO_V1(pp_bitmap_eq);
PG_FUNCTION_INFO_V1(pp_bitmap_to_array);
PG_FUNCTION_INFO_V1(pp_bitmap_unnest);
PG_FUNCTION_INFO_V1(pp_bitmap_of);
PG_FUNCTION_INFO_V1(pp_bitmap_add_trans);
PG_FUNCTION_INFO_V1(pp_bitmap_add_trans_int4);
PG_FUNCTION_INFO_V1(pp_bitmap_or_trans);

/* A bitmap owned by a memory context: freed when the context goes. */
typedef struct BitmapHold
{
	MemoryContextCallback cb;
	roaring_bitmap_t *rb;
} BitmapHold;

/* The expanded (in-memory, writable) form of a portrait.bitmap. */
typedef struct BitmapExpanded
{
	ExpandedObjectHeader hdr;
	BitmapHold *hold;
} BitmapExpanded;

static Size BitmapFlatSize(ExpandedObjectHeader *eohptr);
static void BitmapFlatten(ExpandedObjectHeader *eohptr, void *result, Size allocated_size);

static const ExpandedObjectMethods bitmap_methods = {
	BitmapFlatSize,
	BitmapFlatten
};

static void
BitmapHoldFree(void *arg)
{
	BitmapHold *h = arg;

	if (h->rb != NULL)
		roaring_bitmap_free(h->rb);
	h->rb = NULL;
}

/* Tie rb (fresh from CRoaring; NULL means its malloc failed) to context cxt. */
roaring_bitmap_t *
BitmapKeep(MemoryContext cxt, roaring_bitmap_t *rb)
{
	BitmapHold *h;

	if (rb == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory"),
				 errdetail("A Roaring bitmap could not be allocated.")));
	PG_TRY();
	{
		h = MemoryContextAllocZero(cxt, sizeof(BitmapHold));
	}
	PG_CATCH();
	{
		roaring_bitmap_free(rb);
		PG_RE_THROW();
	}
	PG_END_TRY();
	h->rb = rb;
	h->cb.func = BitmapHoldFree;
	h->cb.arg = h;
	MemoryContextRegisterResetCallback(cxt, &h->cb);
	return rb;
}

/* 22003 unless id fits a dense 32-bit customer id. */
uint32
BitmapCheckId(int64 id)
{
	if (id < 0 || id > (int64) PG_UINT32_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("bitmap id %lld is out of range", (long long) id),
				 errdetail("Bitmap ids are unsigned 32-bit integers, 0 to 4294967295."),
				 errhint("Map customer keys to dense ids with the key dictionary.")));
	return (uint32) id;
}

/* Roaring's portable format (RoaringFormatSpec) */
#define PORTRAIT_ROARING_COOKIE_NORUN 12346
#define PORTRAIT_ROARING_COOKIE_RUN 12347
#define PORTRAIT_ROARING_NO_OFFSET_THRESHOLD 4
#define PORTRAIT_ROARING_ARRAY_MAX 4096
#define PORTRAIT_ROARING_BITMAP_BYTES 8192

static void
InvalidBlob(const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
			 errmsg("invalid Roaring bitmap serialisation"),
			 errdetail("%s", detail),
			 errhint("A portrait.bitmap in binary form is a Roaring portable serialisation (RoaringFormatSpec).")));
}

static inline uint16
ReadU16(const unsigned char *p)
{
	return (uint16) (p[0] | (p[1] << 8));
}

static inline uint32
ReadU32(const unsigned char *p)
{
	return (uint32) p[0] | ((uint32) p[1] << 8) | ((uint32) p[2] << 16) | ((uint32) p[3] << 24);
}

/*
 * 22P03 unless buf[0..len) is exactly one well-formed portable
 * serialisation: known cookie, keys strictly increasing, every container
 * inside the blob and consistent with its stated cardinality, offsets (when
 * present) pointing at their containers, no trailing bytes.  CRoaring's own
 * safe reader only bounds its reads; this also rejects blobs that would
 * give a bitmap breaking CRoaring's invariants.
 */
static void
ValidatePortable(const unsigned char *buf, size_t len)
{
	uint32		cookie;
	uint32		n;
	size_t		pos;
	const unsigned char *runflags = NULL;
	const unsigned char *desc;
	const unsigned char *offsets = NULL;

	if (len < 4)
		InvalidBlob("The value is shorter than a Roaring cookie.");
	cookie = ReadU32(buf);
	if ((cookie & 0xFFFF) == PORTRAIT_ROARING_COOKIE_RUN)
	{
		n = (cookie >> 16) + 1;
		pos = 4;
		if (len - pos < (n + 7) / 8)
			InvalidBlob("The value ends inside the run-container flags.");
		runflags = buf + pos;
		pos += (n + 7) / 8;
	}
	else if (cookie == PORTRAIT_ROARING_COOKIE_NORUN)
	{
		if (len < 8)
			InvalidBlob("The value ends inside the container count.");
		n = ReadU32(buf + 4);
		if (n > 65536)
			InvalidBlob("The container count is larger than 65536.");
		pos = 8;
	}
	else
		InvalidBlob("The value does not start with a Roaring cookie (12346 or 12347).");

	if ((len - pos) / 4 < n)
		InvalidBlob("The value ends inside the container descriptions.");
	desc = buf + pos;
	pos += (size_t) n * 4;
	if (runflags == NULL || n >= PORTRAIT_ROARING_NO_OFFSET_THRESHOLD)
	{
		if ((len - pos) / 4 < n)
			InvalidBlob("The value ends inside the container offsets.");
		offsets = buf + pos;
		pos += (size_t) n * 4;
	}

	for (uint32 i = 0; i < n; i++)
	{
		uint16		key = ReadU16(desc + 4 * i);
		uint32		card = (uint32) ReadU16(desc + 4 * i + 2) + 1;

		if (i > 0 && key <= ReadU16(desc + 4 * (i - 1)))
			InvalidBlob("The container keys are not strictly increasing.");
		if (offsets != NULL && ReadU32(offsets + 4 * i) != pos)
			InvalidBlob("A container offset does not point at its container.");

		if (runflags != NULL && (runflags[i / 8] & (1 << (i % 8))))
		{
			uint32		nruns;
			uint32		total = 0;
			int64		prev_end = -2;

			if (len - pos < 2)
				InvalidBlob("The value ends inside a run container.");
			nruns = ReadU16(buf + pos);
			pos += 2;
			if (nruns == 0)
				InvalidBlob("A run container is empty.");
			if ((len - pos) / 4 < nruns)
				InvalidBlob("The value ends inside a run container.");
			for (uint32 j = 0; j < nruns; j++)
			{
				uint32		start = ReadU16(buf + pos + 4 * j);
				uint32		length = ReadU16(buf + pos + 4 * j + 2);

				if (start + length > 65535)
					InvalidBlob("A run goes past the end of its container.");
				if ((int64) start <= prev_end + 1)
					InvalidBlob("The runs of a run container overlap or are not sorted.");
				prev_end = start + length;
				total += length + 1;
			}
			if (total != card)
				InvalidBlob("A run container's runs do not add up to its cardinality.");
			pos += (size_t) nruns * 4;
		}
		else if (card > PORTRAIT_ROARING_ARRAY_MAX)
		{
			uint32		bits = 0;

			if (len - pos < PORTRAIT_ROARING_BITMAP_BYTES)
				InvalidBlob("The value ends inside a bitmap container.");
			for (int j = 0; j < PORTRAIT_ROARING_BITMAP_BYTES; j += 8)
			{
				uint64		w;

				memcpy(&w, buf + pos + j, 8);
				bits += pg_popcount64(w);
			}
			if (bits != card)
				InvalidBlob("A bitmap container's bits do not match its cardinality.");
			pos += PORTRAIT_ROARING_BITMAP_BYTES;
		}
		else
		{
			if ((len - pos) / 2 < card)
				InvalidBlob("The value ends inside an array container.");
			for (uint32 j = 1; j < card; j++)
				if (ReadU16(buf + pos + 2 * j) <= ReadU16(buf + pos + 2 * (j - 1)))
					InvalidBlob("The values of an array container are not strictly increasing.");
			pos += (size_t) card * 2;
		}
	}
	if (pos != len)
		InvalidBlob("The value has bytes after its last container.");
}

/*
 * Read Roaring's portable serialisation of len bytes, or raise 22P03: the
 * size the header announces is checked against the bytes we have before
 * CRoaring reads the containers.
 */
roaring_bitmap_t *
BitmapDeserialize(const char *buf, Size len)
{
	size_t		need;
	roaring_bitmap_t *rb;

	need = roaring_bitmap_portable_deserialize_size(buf, len);
	if (need == 0 || need != len)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid Roaring bitmap serialisation"),
				 need == 0 ?
				 errdetail("The %zu bytes are not a complete portable Roaring bitmap.", (size_t) len) :
				 errdetail("The serialisation has %zu bytes where %zu were given.", need, (size_t) len)));
	rb = roaring_bitmap_portable_deserialize_safe(buf, len);
	if (rb == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid Roaring bitmap serialisation")));
	return BitmapKeep(CurrentMemoryContext, rb);
}

static inline bool
IsOurExpanded(Datum d)
{
	return VARATT_IS_EXTERNAL_EXPANDED(DatumGetPointer(d)) &&
		DatumGetEOHP(d)->eoh_methods == &bitmap_methods;
}

/* Read-only roaring view of a bitmap datum (valid in the current context). */
const roaring_bitmap_t *
BitmapRead(Datum d)
{
	struct varlena *v;

	if (IsOurExpanded(d))
		return ((BitmapExpanded *) DatumGetEOHP(d))->hold->rb;
	v = PG_DETOAST_DATUM(d);
	return BitmapDeserialize(VARDATA(v), VARSIZE(v) - VARHDRSZ);
}

#define PG_GETARG_ROARING(n) BitmapRead(PG_GETARG_DATUM(n))

static Size
BitmapFlatSize(ExpandedObjectHeader *eohptr)
{
	BitmapExpanded *be = (BitmapExpanded *) eohptr;
	size_t		sz;

	/* runs are part of the canonical form; converting first also shrinks */
	roaring_bitmap_run_optimize(be->hold->rb);
	sz = roaring_bitmap_portable_size_in_bytes(be->hold->rb);
	if (sz > MaxAllocSize - VARHDRSZ)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("bitmap of %llu ids is too large to store",
						(unsigned long long) roaring_bitmap_get_cardinality(be->hold->rb))));
	return VARHDRSZ + sz;
}

static void
BitmapFlatten(ExpandedObjectHeader *eohptr, void *result, Size allocated_size)
{
	BitmapExpanded *be = (BitmapExpanded *) eohptr;

	SET_VARSIZE(result, allocated_size);
	roaring_bitmap_portable_serialize(be->hold->rb, VARDATA(result));
}

/* A new expanded bitmap owning rb, in a child context of parent. */
static BitmapExpanded *
BitmapWrap(MemoryContext parent, roaring_bitmap_t *rb)
{
	MemoryContext cxt = AllocSetContextCreate(parent, "portrait bitmap", ALLOCSET_SMALL_SIZES);
	BitmapExpanded *be = MemoryContextAllocZero(cxt, sizeof(BitmapExpanded));

	EOH_init_header(&be->hdr, &bitmap_methods, cxt);
	be->hold = MemoryContextAllocZero(cxt, sizeof(BitmapHold));
	be->hold->rb = rb;
	be->hold->cb.func = BitmapHoldFree;
	be->hold->cb.arg = be->hold;
	MemoryContextRegisterResetCallback(cxt, &be->hold->cb);
	return be;
}

/* The flat varlena of rb, for results of ordinary functions. */
Datum
BitmapResult(const roaring_bitmap_t *rb)
{
	roaring_bitmap_t *c = BitmapKeep(CurrentMemoryContext, roaring_bitmap_copy(rb));
	size_t		sz;
	struct varlena *v;

	roaring_bitmap_run_optimize(c);
	sz = roaring_bitmap_portable_size_in_bytes(c);
	if (sz > MaxAllocSize - VARHDRSZ)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("bitmap is too large to store")));
	v = palloc(VARHDRSZ + sz);
	SET_VARSIZE(v, VARHDRSZ + sz);
	roaring_bitmap_portable_serialize(c, VARDATA(v));
	return PointerGetDatum(v);
}

/* Text input: {id, id, ...}, ids 0 .. 2^32-1 in any order, duplicates allowed. */
Datum
pp_bitmap_in(PG_FUNCTION_ARGS)
{
	const char *input = PG_GETARG_CSTRING(0);
	const char *p = input;
	roaring_bitmap_t *rb = BitmapKeep(CurrentMemoryContext, roaring_bitmap_create());

	while (isspace((unsigned char) *p))
		p++;
	PortraitExpectChar(&p, '{', "portrait.bitmap", input);
	while (isspace((unsigned char) *p))
		p++;
	if (*p != '}')
	{
		for (;;)
		{
			roaring_bitmap_add(rb, BitmapCheckId(PortraitParseInt64(&p, "portrait.bitmap", input)));
			while (isspace((unsigned char) *p))
				p++;
			if (*p != ',')
				break;
			p++;
		}
	}
	PortraitExpectChar(&p, '}', "portrait.bitmap", input);
	while (isspace((unsigned char) *p))
		p++;
	if (*p != '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type %s: \"%s\"", "portrait.bitmap", input),
				 errdetail("Unexpected text after the closing brace.")));
	PG_RETURN_DATUM(BitmapResult(rb));
}

static bool
AppendId(uint32 value, void *arg)
{
	StringInfo	buf = arg;

	if (buf->len > 1)
		appendStringInfoChar(buf, ',');
	appendStringInfo(buf, "%u", value);
	return true;
}

/* Text output: the ids in ascending order, {1,2,3}. */
Datum
pp_bitmap_out(PG_FUNCTION_ARGS)
{
	const roaring_bitmap_t *rb = PG_GETARG_ROARING(0);
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	roaring_iterate(rb, AppendId, &buf);
	appendStringInfoChar(&buf, '}');
	PG_RETURN_CSTRING(buf.data);
}

/* The bitmap of len bytes from outside: checked against the format, then read. */
roaring_bitmap_t *
BitmapReadChecked(const char *buf, Size len)
{
	ValidatePortable((const unsigned char *) buf, len);
	return BitmapDeserialize(buf, len);
}

/* A validated bitmap datum holding exactly the len bytes at buf. */
static Datum
BitmapFromBytes(const char *buf, Size len)
{
	struct varlena *v;

	BitmapReadChecked(buf, len);
	v = palloc(VARHDRSZ + len);
	SET_VARSIZE(v, VARHDRSZ + len);
	memcpy(VARDATA(v), buf, len);
	return PointerGetDatum(v);
}

/* Binary input: Roaring's portable serialisation, validated. */
Datum
pp_bitmap_recv(PG_FUNCTION_ARGS)
{
	StringInfo	msg = (StringInfo) PG_GETARG_POINTER(0);
	Datum		d = BitmapFromBytes(msg->data + msg->cursor, msg->len - msg->cursor);

	msg->cursor = msg->len;
	PG_RETURN_DATUM(d);
}

/* The portable serialisation of a bitmap datum, as a bytea. */
static bytea *
BitmapBytes(Datum d)
{
	/* detoasting an expanded bitmap flattens it */
	return (bytea *) PG_DETOAST_DATUM_COPY(d);
}

/* Binary output: Roaring's portable serialisation. */
Datum
pp_bitmap_send(PG_FUNCTION_ARGS)
{
	bytea	   *v = BitmapBytes(PG_GETARG_DATUM(0));
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendbytes(&buf, VARDATA(v), VARSIZE(v) - VARHDRSZ);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* bytea → bitmap: the bytes must be a portable Roaring serialisation. */
Datum
pp_bitmap_from_bytea(PG_FUNCTION_ARGS)
{
	bytea	   *b = PG_GETARG_BYTEA_PP(0);

	PG_RETURN_DATUM(BitmapFromBytes(VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b)));
}

/* bitmap → bytea: its portable Roaring serialisation. */
Datum
pp_bitmap_to_bytea(PG_FUNCTION_ARGS)
{
	PG_RETURN_BYTEA_P(BitmapBytes(PG_GETARG_DATUM(0)));
}

Datum
pp_bitmap_cardinality(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64((int64) roaring_bitmap_get_cardinality(PG_GETARG_ROARING(0)));
}

/* Whether the bitmap holds id; an id outside 0 .. 2^32-1 is never held. */
Datum
pp_bitmap_contains(PG_FUNCTION_ARGS)
{
	int64		id = PG_GETARG_INT64(1);

	if (id < 0 || id > (int64) PG_UINT32_MAX)
		PG_RETURN_BOOL(false);
	PG_RETURN_BOOL(roaring_bitmap_contains(PG_GETARG_ROARING(0), (uint32) id));
}

typedef roaring_bitmap_t *(*BitmapBinary) (const roaring_bitmap_t *, const roaring_bitmap_t *);

static Datum
BitmapApply(FunctionCallInfo fcinfo, BitmapBinary op)
{
	const roaring_bitmap_t *a = PG_GETARG_ROARING(0);
	const roaring_bitmap_t *b = PG_GETARG_ROARING(1);

	return BitmapResult(BitmapKeep(CurrentMemoryContext, op(a, b)));
}

Datum
pp_bitmap_and(PG_FUNCTION_ARGS)
{
	return BitmapApply(fcinfo, roaring_bitmap_and);
}

Datum
pp_bitmap_or(PG_FUNCTION_ARGS)
{
	return BitmapApply(fcinfo, roaring_bitmap_or);
}

Datum
pp_bitmap_andnot(PG_FUNCTION_ARGS)
{
	return BitmapApply(fcinfo, roaring_bitmap_andnot);
}

Datum
pp_bitmap_xor(PG_FUNCTION_ARGS)
{
	return BitmapApply(fcinfo, roaring_bitmap_xor);
}

/* Same set of ids (whatever the containers). */
Datum
pp_bitmap_eq(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(roaring_bitmap_equals(PG_GETARG_ROARING(0), PG_GETARG_ROARING(1)));
}

/* The ids in ascending order as bigint[] (54000 past the array size limit). */
Datum
pp_bitmap_to_array(PG_FUNCTION_ARGS)
{
	const roaring_bitmap_t *rb = PG_GETARG_ROARING(0);
	uint64		n = roaring_bitmap_get_cardinality(rb);
	uint32	   *ids;
	Datum	   *elems;
	uint64		i;

	if (n > MaxAllocSize / sizeof(Datum))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("bitmap of %llu ids is too large for an array", (unsigned long long) n),
				 errhint("Use bitmap_unnest to read the ids as rows.")));
	ids = palloc(sizeof(uint32) * Max(n, 1));
	roaring_bitmap_to_uint32_array(rb, ids);
	elems = palloc(sizeof(Datum) * Max(n, 1));
	for (i = 0; i < n; i++)
		elems[i] = Int64GetDatum((int64) ids[i]);
	pfree(ids);
	PG_RETURN_ARRAYTYPE_P(construct_array(elems, (int) n, INT8OID, sizeof(int64), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

/* The ids of a bitmap as rows, ascending, read a block at a time. */
Datum
pp_bitmap_unnest(PG_FUNCTION_ARGS)
{
	FuncCallContext *fc;
	roaring_uint32_iterator_t *it;

	if (SRF_IS_FIRSTCALL())
	{
		MemoryContext old;
		const roaring_bitmap_t *rb;

		fc = SRF_FIRSTCALL_INIT();
		old = MemoryContextSwitchTo(fc->multi_call_memory_ctx);
		rb = PG_GETARG_ROARING(0);
		it = palloc(sizeof(roaring_uint32_iterator_t));
		roaring_init_iterator(rb, it);
		fc->user_fctx = it;
		MemoryContextSwitchTo(old);
	}
	fc = SRF_PERCALL_SETUP();
	it = fc->user_fctx;
	if (it->has_value)
	{
		int64		v = it->current_value;

		roaring_advance_uint32_iterator(it);
		SRF_RETURN_NEXT(fc, Int64GetDatum(v));
	}
	SRF_RETURN_DONE(fc);
}

/* A bitmap of the ids of a bigint[] (NULL elements skipped). */
Datum
pp_bitmap_of(PG_FUNCTION_ARGS)
{
	ArrayType  *a = PG_GETARG_ARRAYTYPE_P(0);
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	int			i;
	roaring_bitmap_t *rb = BitmapKeep(CurrentMemoryContext, roaring_bitmap_create());

	deconstruct_array(a, INT8OID, sizeof(int64), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &elems, &nulls, &n);
	for (i = 0; i < n; i++)
		if (!nulls[i])
			roaring_bitmap_add(rb, BitmapCheckId(DatumGetInt64(elems[i])));
	PG_RETURN_DATUM(BitmapResult(rb));
}

/*
 * The writable state at argno in the aggregate context: created on the
 * first row, taken as it is when it is our expanded object, else (a state
 * read back from text or a worker) expanded into the aggregate context.
 */
static BitmapExpanded *
BitmapState(FunctionCallInfo fcinfo, int argno)
{
	MemoryContext aggcxt = PortraitAggContext(fcinfo);
	Datum		d;
	roaring_bitmap_t *rb;
	struct varlena *v;

	if (PG_ARGISNULL(argno))
		return NULL;
	d = PG_GETARG_DATUM(argno);
	if (IsOurExpanded(d) && DatumGetEOHP(d)->eoh_context->parent == aggcxt)
		return (BitmapExpanded *) DatumGetEOHP(d);
	if (IsOurExpanded(d))
		rb = roaring_bitmap_copy(((BitmapExpanded *) DatumGetEOHP(d))->hold->rb);
	else
	{
		v = PG_DETOAST_DATUM(d);
		rb = roaring_bitmap_copy(BitmapDeserialize(VARDATA(v), VARSIZE(v) - VARHDRSZ));
	}
	if (rb == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory")));
	return BitmapWrap(aggcxt, rb);
}

static BitmapExpanded *
BitmapStateNew(FunctionCallInfo fcinfo)
{
	roaring_bitmap_t *rb = roaring_bitmap_create();

	if (rb == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory")));
	return BitmapWrap(PortraitAggContext(fcinfo), rb);
}

/* bitmap_agg transition: add id (skipped when isnull). */
static Datum
BitmapAddTrans(FunctionCallInfo fcinfo, int64 id, bool isnull)
{
	BitmapExpanded *be = BitmapState(fcinfo, 0);

	if (be == NULL)
		be = BitmapStateNew(fcinfo);
	if (!isnull)
		roaring_bitmap_add(be->hold->rb, BitmapCheckId(id));
	PG_RETURN_DATUM(EOHPGetRWDatum(&be->hdr));
}

Datum
pp_bitmap_add_trans(PG_FUNCTION_ARGS)
{
	return BitmapAddTrans(fcinfo, PG_ARGISNULL(1) ? 0 : PG_GETARG_INT64(1), PG_ARGISNULL(1));
}

Datum
pp_bitmap_add_trans_int4(PG_FUNCTION_ARGS)
{
	return BitmapAddTrans(fcinfo, PG_ARGISNULL(1) ? 0 : PG_GETARG_INT32(1), PG_ARGISNULL(1));
}

/* Combine function of bitmap_agg and transition of bitmap_or_agg: union. */
Datum
pp_bitmap_or_trans(PG_FUNCTION_ARGS)
{
	BitmapExpanded *be;

	/* a NULL input leaves the state as it is, so no rows stay NULL */
	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		be = BitmapState(fcinfo, 0);
		PG_RETURN_DATUM(EOHPGetRWDatum(&be->hdr));
	}
	be = BitmapState(fcinfo, 0);
	if (be == NULL)
		be = BitmapStateNew(fcinfo);
	roaring_bitmap_or_inplace(be->hold->rb, PG_GETARG_ROARING(1));
	PG_RETURN_DATUM(EOHPGetRWDatum(&be->hdr));
}
