/*
 * baskets.c
 *		portrait.basket_lines: the aggregate state of the market-basket
 *		aggregates, the (basket, item) rows they were given.
 *
 * Items are interned (text as its bytes, bigint items as their decimal
 * text) and text baskets too; a bigint basket is kept as its value, so a
 * line costs a bigint key and an int32 id, and a row of a bigint basket one
 * hash probe into the (small, cache-resident) item dictionary.  The lines are
 * grouped into baskets only in the final function, by a radix or counting
 * sort.  While an aggregate runs the state is an expanded object in the
 * aggregate context; its flat form has text I/O (JSON), so partial states
 * move between parallel workers and nodes.  Combining appends the lines, so
 * the grouping and every result are the same whatever the order of the rows.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "portrait.h"
#include "recommend.h"

PG_FUNCTION_INFO_V1(pp_basket_lines_in);
PG_FUNCTION_INFO_V1(pp_basket_lines_out);
PG_FUNCTION_INFO_V1(pp_basket_lines_combine);

#define PORTRAIT_BASKET_MIN_LINES 256
#define PORTRAIT_BASKET_HINT "Raise portrait.fit_memory_limit, or aggregate a sample of the baskets (TABLESAMPLE)."

/*
 * Flat form: this header, the lines' basket keys (int64), their items
 * (int32), the item keys, the text basket keys, the options.
 */
typedef struct BasketLinesFlat
{
	int32		vl_len_;
	int32		item_type;
	int32		basket_type;
	int32		nitems;
	int32		nbaskets;
	int32		optslen;
	int64		nlines;
	int64		itembytes;		/* of the (uint32 length, bytes) records */
	int64		basketbytes;
	char		data[FLEXIBLE_ARRAY_MEMBER];
} BasketLinesFlat;

static Size BasketFlatSize(ExpandedObjectHeader *eohptr);
static void BasketFlatten(ExpandedObjectHeader *eohptr, void *result, Size allocated_size);

static const ExpandedObjectMethods basket_methods = {
	BasketFlatSize,
	BasketFlatten
};

/* ---------- interned keys ---------- */

static void
DictInit(KeyDict *d, MemoryContext cxt)
{
	memset(d, 0, sizeof(KeyDict));
	d->cxt = cxt;
}

/* Bytes the dictionary holds. */
static double
DictBytes(const KeyDict *d)
{
	return (double) d->bufcap + (double) d->cap * (sizeof(Size) + 2 * sizeof(uint32)) +
		(double) d->nslots * sizeof(KeySlot);
}

static void
DictRehash(KeyDict *d, uint32 nslots)
{
	uint32		mask = nslots - 1;

	if (d->slots)
		pfree(d->slots);
	d->slots = MemoryContextAllocExtended(d->cxt, sizeof(KeySlot) * (Size) nslots, MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	d->nslots = nslots;
	for (int32 id = 0; id < d->n; id++)
	{
		uint32		i = d->hash[id] & mask;

		while (d->slots[i].id != 0)
			i = (i + 1) & mask;
		d->slots[i].hash = d->hash[id];
		d->slots[i].id = id + 1;
	}
}

/* The id of key (len bytes), added if new; budget counts the other parts of the state. */
static int32
DictIntern(KeyDict *d, const char *key, uint32 len, double budget)
{
	uint32		h = hash_bytes((const unsigned char *) key, (int) len);
	uint32		mask;
	uint32		i;
	int32		id;

	if ((uint64) d->n * 2 >= d->nslots)
	{
		uint32		nslots = d->nslots ? d->nslots * 2 : 1024;

		if (d->n >= PG_INT32_MAX / 2)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("too many distinct keys in one basket aggregate"),
					 errdetail("At most %d distinct baskets and %d distinct items are supported.",
							   PG_INT32_MAX / 2, PG_INT32_MAX / 2)));
		PortraitFitBudget(budget + DictBytes(d) + (double) nslots * 2 * sizeof(KeySlot) +
						  (double) nslots / 2 * (sizeof(Size) + 2 * sizeof(uint32)),
						  "the baskets collected by this aggregate", PORTRAIT_BASKET_HINT);
		DictRehash(d, nslots);
	}
	mask = d->nslots - 1;
	/* the key's bytes are read only when the hashes agree */
	for (i = h & mask; d->slots[i].id != 0; i = (i + 1) & mask)
	{
		if (d->slots[i].hash != h)
			continue;
		id = d->slots[i].id - 1;
		if (d->len[id] == len && memcmp(d->buf + d->off[id], key, len) == 0)
			return id;
	}
	if (d->n >= d->cap)
	{
		int32		cap = d->cap ? d->cap * 2 : 512;

		if (d->off == NULL)
		{
			d->off = MemoryContextAllocExtended(d->cxt, sizeof(Size) * cap, MCXT_ALLOC_HUGE);
			d->len = MemoryContextAllocExtended(d->cxt, sizeof(uint32) * cap, MCXT_ALLOC_HUGE);
			d->hash = MemoryContextAllocExtended(d->cxt, sizeof(uint32) * cap, MCXT_ALLOC_HUGE);
		}
		else
		{
			d->off = repalloc_huge(d->off, sizeof(Size) * cap);
			d->len = repalloc_huge(d->len, sizeof(uint32) * cap);
			d->hash = repalloc_huge(d->hash, sizeof(uint32) * cap);
		}
		d->cap = cap;
	}
	if (d->buflen + len + 1 > d->bufcap)
	{
		Size		cap = Max(d->bufcap * 2, d->buflen + len + 1);

		cap = Max(cap, 4096);
		PortraitFitBudget(budget + DictBytes(d) + (double) (cap - d->bufcap),
						  "the baskets collected by this aggregate", PORTRAIT_BASKET_HINT);
		d->buf = d->buf ? repalloc_huge(d->buf, cap) : MemoryContextAllocExtended(d->cxt, cap, MCXT_ALLOC_HUGE);
		d->bufcap = cap;
	}
	id = d->n++;
	d->off[id] = d->buflen;
	d->len[id] = len;
	d->hash[id] = h;
	memcpy(d->buf + d->buflen, key, len);
	d->buf[d->buflen + len] = '\0';
	d->buflen += len + 1;
	d->slots[i].hash = h;
	d->slots[i].id = id + 1;
	return id;
}

/* ---------- the expanded state ---------- */

/* Bytes of the whole state. */
double
BasketLinesBytes(const BasketLines *bl)
{
	return (double) bl->cap * (sizeof(int64) + sizeof(int32)) + DictBytes(&bl->items) + DictBytes(&bl->baskets);
}

static BasketLines *
BasketLinesNew(MemoryContext parent)
{
	MemoryContext cxt = AllocSetContextCreate(parent, "portrait basket lines", ALLOCSET_DEFAULT_SIZES);
	BasketLines *bl = MemoryContextAllocZero(cxt, sizeof(BasketLines));

	EOH_init_header(&bl->hdr, &basket_methods, cxt);
	DictInit(&bl->items, cxt);
	DictInit(&bl->baskets, cxt);
	return bl;
}

static inline bool
IsOurExpanded(Datum d)
{
	return VARATT_IS_EXTERNAL_EXPANDED(DatumGetPointer(d)) &&
		DatumGetEOHP(d)->eoh_methods == &basket_methods;
}

/* Room for more lines than the state has, at least twice as many. */
static void
GrowLines(BasketLines *bl, int64 more)
{
	int64		cap = Max(Max(bl->cap * 2, PORTRAIT_BASKET_MIN_LINES), bl->n + more);

	PortraitFitBudget(BasketLinesBytes(bl) + (double) (cap - bl->cap) * (sizeof(int64) + sizeof(int32)),
					  "the baskets collected by this aggregate", PORTRAIT_BASKET_HINT);
	if (bl->bkey == NULL)
	{
		bl->bkey = MemoryContextAllocExtended(bl->hdr.eoh_context, sizeof(int64) * (Size) cap, MCXT_ALLOC_HUGE);
		bl->item = MemoryContextAllocExtended(bl->hdr.eoh_context, sizeof(int32) * (Size) cap, MCXT_ALLOC_HUGE);
	}
	else
	{
		bl->bkey = repalloc_huge(bl->bkey, sizeof(int64) * (Size) cap);
		bl->item = repalloc_huge(bl->item, sizeof(int32) * (Size) cap);
	}
	bl->cap = cap;
}

/* Append one line (basket key, item id). */
static inline void
AppendLine(BasketLines *bl, int64 basket, int32 item)
{
	if (unlikely(bl->n >= bl->cap))
		GrowLines(bl, 1);
	bl->bkey[bl->n] = basket;
	bl->item[bl->n] = item;
	bl->n++;
}

static const char *
KeyTypeName(int32 t)
{
	return t == PORTRAIT_KEY_BIGINT ? "bigint" : "text";
}

/* Adopt the key types of a row or another state, or check they agree. */
static void
SetTypes(BasketLines *bl, int32 basket_type, int32 item_type)
{
	if (bl->item_type == 0)
	{
		bl->basket_type = basket_type;
		bl->item_type = item_type;
		return;
	}
	if (bl->basket_type != basket_type || bl->item_type != item_type)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("basket states of different key types cannot be combined"),
				 errdetail("One has (%s basket, %s item), the other (%s basket, %s item).",
						   KeyTypeName(bl->basket_type), KeyTypeName(bl->item_type),
						   KeyTypeName(basket_type), KeyTypeName(item_type))));
}

/* Attach the options, or check they are the ones every earlier row had. */
static void
SetOptions(BasketLines *bl, const char *opts, Size len)
{
	if (bl->opts == NULL)
	{
		bl->opts = MemoryContextAlloc(bl->hdr.eoh_context, len);
		memcpy(bl->opts, opts, len);
		bl->optslen = len;
		return;
	}
	if (len != bl->optslen || memcmp(opts, bl->opts, len) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("aggregate options must be the same for all rows of a group")));
}

/* The options of a state (an empty object when it has none). */
Jsonb *
BasketLinesOptions(const BasketLines *bl)
{
	Jsonb	   *jb;

	if (bl->opts == NULL)
		return DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum("{}")));
	jb = palloc(bl->optslen);
	memcpy(jb, bl->opts, bl->optslen);
	return jb;
}

static Size
FlatBytes(const BasketLines *bl)
{
	Size		sz = offsetof(BasketLinesFlat, data);

	sz = add_size(sz, mul_size(sizeof(int64) + sizeof(int32), bl->n));
	sz = add_size(sz, add_size(bl->items.buflen, mul_size(sizeof(uint32), bl->items.n)));
	sz = add_size(sz, add_size(bl->baskets.buflen, mul_size(sizeof(uint32), bl->baskets.n)));
	return add_size(sz, bl->optslen);
}

static Size
BasketFlatSize(ExpandedObjectHeader *eohptr)
{
	Size		sz = FlatBytes((BasketLines *) eohptr);

	if (sz > MaxAllocSize)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("basket aggregate state of %lld lines is too large to pass between processes",
						(long long) ((BasketLines *) eohptr)->n),
				 errhint("Disable parallel aggregation for this query, or aggregate fewer baskets.")));
	return sz;
}

/* (uint32 length, bytes without the NUL) per key; returns the end. */
static char *
FlattenDict(const KeyDict *d, char *p)
{
	for (int32 id = 0; id < d->n; id++)
	{
		uint32		len = d->len[id];

		memcpy(p, &len, sizeof(uint32));
		p += sizeof(uint32);
		memcpy(p, d->buf + d->off[id], len);
		p += len;
	}
	return p;
}

static void
BasketFlatten(ExpandedObjectHeader *eohptr, void *result, Size allocated_size)
{
	BasketLines *bl = (BasketLines *) eohptr;
	BasketLinesFlat *f = result;
	char	   *p;
	char	   *q;

	memset(f, 0, offsetof(BasketLinesFlat, data));
	SET_VARSIZE(f, allocated_size);
	f->item_type = bl->item_type;
	f->basket_type = bl->basket_type;
	f->nitems = bl->items.n;
	f->nbaskets = bl->baskets.n;
	f->optslen = (int32) bl->optslen;
	f->nlines = bl->n;
	p = f->data;
	if (bl->n > 0)
	{
		memcpy(p, bl->bkey, sizeof(int64) * bl->n);
		memcpy(p + sizeof(int64) * bl->n, bl->item, sizeof(int32) * bl->n);
	}
	p += (sizeof(int64) + sizeof(int32)) * bl->n;
	q = FlattenDict(&bl->items, p);
	f->itembytes = q - p;
	p = FlattenDict(&bl->baskets, q);
	f->basketbytes = p - q;
	if (bl->optslen > 0)
		memcpy(p, bl->opts, bl->optslen);
}

/* Intern n (length, bytes) records at p into d, the ids into map; returns the end. */
static const char *
ReadDict(KeyDict *d, const char *p, const char *end, int32 n, int32 *map, double budget)
{
	for (int32 i = 0; i < n; i++)
	{
		uint32		len;

		if (end - p < (ptrdiff_t) sizeof(uint32))
			elog(ERROR, "corrupt basket_lines state");
		memcpy(&len, p, sizeof(uint32));
		p += sizeof(uint32);
		if ((Size) (end - p) < len)
			elog(ERROR, "corrupt basket_lines state");
		map[i] = DictIntern(d, p, len, budget);
		p += len;
	}
	return p;
}

/*
 * Append n lines (basket keys bkey, items item) of another state to bl, its
 * item ids and text basket ids mapped by imap and bmap (nitems, nbaskets of
 * them); checked when the lines come from a flat form.
 */
static void
AppendLines(BasketLines *bl, const int64 *bkey, const int32 *item, int64 n,
			const int32 *imap, int32 nitems, const int32 *bmap, int32 nbaskets, bool check)
{
	bool		text = bl->basket_type == PORTRAIT_KEY_TEXT;

	if (bl->n + n > bl->cap)
		GrowLines(bl, n);
	for (int64 i = 0; i < n; i++)
	{
		int64		b;
		int32		it;

		memcpy(&b, bkey + i, sizeof(int64));
		memcpy(&it, item + i, sizeof(int32));
		if (check && (it < 0 || it >= nitems || (text && (b < 0 || b >= nbaskets))))
			elog(ERROR, "corrupt basket_lines state");
		bl->bkey[bl->n + i] = text ? bmap[b] : b;
		bl->item[bl->n + i] = imap[it];
	}
	bl->n += n;
}

/* Append the lines of flat state f to bl (its keys re-interned). */
static void
MergeFlat(BasketLines *bl, const BasketLinesFlat *f)
{
	const char *end = (const char *) f + VARSIZE(f);
	const char *p = f->data;
	const int64 *bkey = (const int64 *) p;
	const int32 *item;
	int32	   *imap;
	int32	   *bmap;

	if (f->nlines == 0)
		return;
	if (f->nlines < 0 || (Size) (end - p) / (sizeof(int64) + sizeof(int32)) < (Size) f->nlines ||
		f->nitems < 0 || f->nbaskets < 0)
		elog(ERROR, "corrupt basket_lines state");
	SetTypes(bl, f->basket_type, f->item_type);
	imap = palloc_extended(sizeof(int32) * Max(f->nitems, 1), MCXT_ALLOC_HUGE);
	bmap = palloc_extended(sizeof(int32) * Max(f->nbaskets, 1), MCXT_ALLOC_HUGE);
	p += sizeof(int64) * f->nlines;
	item = (const int32 *) p;
	p += sizeof(int32) * f->nlines;
	p = ReadDict(&bl->items, p, end, f->nitems, imap, BasketLinesBytes(bl));
	p = ReadDict(&bl->baskets, p, end, f->nbaskets, bmap, BasketLinesBytes(bl));
	if (f->optslen > 0)
	{
		if (end - p < f->optslen)
			elog(ERROR, "corrupt basket_lines state");
		SetOptions(bl, p, f->optslen);
	}
	AppendLines(bl, bkey, item, f->nlines, imap, f->nitems, bmap, f->nbaskets, true);
	pfree(imap);
	pfree(bmap);
}

/* Append the lines of expanded state o to bl. */
static void
MergeExpanded(BasketLines *bl, const BasketLines *o)
{
	int32	   *imap;
	int32	   *bmap;

	if (o->n == 0)
		return;
	SetTypes(bl, o->basket_type, o->item_type);
	if (o->opts != NULL)
		SetOptions(bl, o->opts, o->optslen);
	imap = palloc_extended(sizeof(int32) * Max(o->items.n, 1), MCXT_ALLOC_HUGE);
	bmap = palloc_extended(sizeof(int32) * Max(o->baskets.n, 1), MCXT_ALLOC_HUGE);
	for (int32 i = 0; i < o->items.n; i++)
		imap[i] = DictIntern(&bl->items, o->items.buf + o->items.off[i], o->items.len[i], BasketLinesBytes(bl));
	for (int32 i = 0; i < o->baskets.n; i++)
		bmap[i] = DictIntern(&bl->baskets, o->baskets.buf + o->baskets.off[i], o->baskets.len[i],
							 BasketLinesBytes(bl));
	AppendLines(bl, o->bkey, o->item, o->n, imap, o->items.n, bmap, o->baskets.n, false);
	pfree(imap);
	pfree(bmap);
}

/* Read-only view of a state datum, expanded or flat (flat is expanded here). */
BasketLines *
BasketLinesRead(Datum d)
{
	BasketLines *bl;

	if (IsOurExpanded(d))
		return (BasketLines *) DatumGetEOHP(d);
	bl = BasketLinesNew(CurrentMemoryContext);
	MergeFlat(bl, (BasketLinesFlat *) PG_DETOAST_DATUM(d));
	return bl;
}

/* The state at argno for writing, made in the aggregate context. */
static BasketLines *
StateArg(FunctionCallInfo fcinfo, int argno, MemoryContext aggcxt)
{
	BasketLines *bl;
	MemoryContext old;

	if (PG_ARGISNULL(argno))
		return BasketLinesNew(aggcxt);
	if (IsOurExpanded(PG_GETARG_DATUM(argno)))
		return (BasketLines *) DatumGetEOHP(PG_GETARG_DATUM(argno));
	old = MemoryContextSwitchTo(aggcxt);
	bl = BasketLinesRead(PG_GETARG_DATUM(argno));
	MemoryContextSwitchTo(old);
	return bl;
}

/* Key types of the transition function's arguments, found once per call site. */
typedef struct TransTypes
{
	int32		basket_type;
	int32		item_type;
} TransTypes;

static int32
KeyTypeOf(Oid typid)
{
	if (typid == INT8OID)
		return PORTRAIT_KEY_BIGINT;
	if (typid == TEXTOID || typid == VARCHAROID || typid == BPCHAROID)
		return PORTRAIT_KEY_TEXT;
	ereport(ERROR,
			(errcode(ERRCODE_DATATYPE_MISMATCH),
			 errmsg("basket and item keys must be text or bigint"),
			 errhint("Cast the key to text or bigint.")));
	return 0;
}

/*
 * Transition function body of the basket aggregates: (state, basket, item,
 * options).  A row whose basket or item is NULL is skipped; check validates
 * the options when the state first sees them.
 */
Datum
BasketLinesTrans(FunctionCallInfo fcinfo, BasketOptionsCheck check)
{
	MemoryContext aggcxt = PortraitAggContext(fcinfo);
	TransTypes *tt = fcinfo->flinfo->fn_extra;
	BasketLines *bl;
	Jsonb	   *opts;
	char		buf[MAXINT8LEN + 1];
	const char *key;
	uint32		len;
	int64		b;
	int32		it;

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2))
		return PortraitStateUnchanged(fcinfo);
	PortraitArgNotNull(fcinfo, 3, "options");
	if (tt == NULL)
	{
		tt = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, sizeof(TransTypes));
		tt->basket_type = KeyTypeOf(get_fn_expr_argtype(fcinfo->flinfo, 1));
		tt->item_type = KeyTypeOf(get_fn_expr_argtype(fcinfo->flinfo, 2));
		fcinfo->flinfo->fn_extra = tt;
	}
	bl = StateArg(fcinfo, 0, aggcxt);
	opts = PG_GETARG_JSONB_P(3);
	if (bl->opts == NULL)
		check(opts);
	SetOptions(bl, (const char *) opts, VARSIZE(opts));
	SetTypes(bl, tt->basket_type, tt->item_type);

	if (tt->basket_type == PORTRAIT_KEY_BIGINT)
		b = PG_GETARG_INT64(1);
	else
	{
		text	   *t = PG_GETARG_TEXT_PP(1);

		b = DictIntern(&bl->baskets, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), BasketLinesBytes(bl));
	}
	if (tt->item_type == PORTRAIT_KEY_BIGINT)
	{
		len = pg_lltoa(PG_GETARG_INT64(2), buf);
		key = buf;
	}
	else
	{
		text	   *t = PG_GETARG_TEXT_PP(2);

		key = VARDATA_ANY(t);
		len = VARSIZE_ANY_EXHDR(t);
	}
	it = DictIntern(&bl->items, key, len, BasketLinesBytes(bl));
	AppendLine(bl, b, it);
	PG_RETURN_DATUM(EOHPGetRWDatum(&bl->hdr));
}

/* Combine function of every basket aggregate: the second state's lines appended to the first's. */
Datum
pp_basket_lines_combine(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt = PortraitAggContext(fcinfo);
	BasketLines *a;
	Datum		bd;

	if (PG_ARGISNULL(1))
		return PortraitStateUnchanged(fcinfo);
	a = StateArg(fcinfo, 0, aggcxt);
	bd = PG_GETARG_DATUM(1);
	if (IsOurExpanded(bd))
		MergeExpanded(a, (BasketLines *) DatumGetEOHP(bd));
	else
		MergeFlat(a, (BasketLinesFlat *) PG_DETOAST_DATUM(bd));
	PG_RETURN_DATUM(EOHPGetRWDatum(&a->hdr));
}

/* ---------- grouping ---------- */

/*
 * Grouping works on packed lines, a basket number in the upper half and the
 * item id in the lower: one 8-byte array, sorted in place of the two arrays
 * of the state, so the final function touches little fresh memory.
 */
#define PACK(b, it)		(((uint64) (b) << 32) | (uint32) (it))

/*
 * Stable LSD radix sort of n packed lines by their upper half, a byte a
 * pass through tmp, only over the bytes where the lines differ; returns the
 * array holding the result (v or tmp).
 */
static uint64 *
RadixByBasket(uint64 *v, uint64 *tmp, int64 n)
{
	uint64		any = 0;
	uint64		all = ~(uint64) 0;
	int64	   *h = palloc(sizeof(int64) * 256);

	for (int64 i = 0; i < n; i++)
	{
		any |= v[i];
		all &= v[i];
	}
	for (int shift = 32; shift < 64; shift += 8)
	{
		int64		sum = 0;
		uint64	   *t;

		if ((((any ^ all) >> shift) & 0xff) == 0)
			continue;
		CHECK_FOR_INTERRUPTS();
		memset(h, 0, sizeof(int64) * 256);
		for (int64 i = 0; i < n; i++)
			h[(v[i] >> shift) & 0xff]++;
		for (int d = 0; d < 256; d++)
		{
			int64		c = h[d];

			h[d] = sum;
			sum += c;
		}
		for (int64 i = 0; i < n; i++)
			tmp[h[(v[i] >> shift) & 0xff]++] = v[i];
		t = v;
		v = tmp;
		tmp = t;
	}
	pfree(h);
	return v;
}

/*
 * The lines packed by a counting sort of dense basket numbers num (nnum of
 * them) into v.
 */
static void
CountingByBasket(const BasketLines *bl, const int32 *num, int32 nnum, uint64 *v)
{
	int64	   *pos = palloc_extended(sizeof(int64) * ((Size) nnum + 1), MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);

	for (int64 i = 0; i < bl->n; i++)
		pos[num[i] + 1]++;
	for (int32 b = 0; b < nnum; b++)
		pos[b + 1] += pos[b];
	for (int64 i = 0; i < bl->n; i++)
		v[pos[num[i]]++] = PACK(num[i], bl->item[i]);
	pfree(pos);
}

/*
 * The distinct items of each basket (a repeated line counts once), checking
 * the working memory first: what and hint name the caller's fit.  Text
 * baskets are dense ids already, put in order by a counting sort; bigint
 * baskets spanning less than 2^32 are radix-sorted by their offset from the
 * least, wider ones numbered through a hash first.  If owner is not NULL it
 * receives each group's basket key (a text basket's id).
 */
static void
GroupLines(const BasketLines *bl, BasketGroups *g, int64 **owner, const char *what, const char *hint)
{
	int64		n = bl->n;
	uint64	   *v;
	uint64	   *tmp = NULL;
	uint64	   *sorted;
	int32	   *num = NULL;
	int64	   *numkey = NULL;	/* wide bigint baskets: number -> value */
	int64		lo = 0;
	int32	   *seen;
	int32	   *items;
	int64		nb = 0;
	int64		out = 0;
	uint64		prev = 0;

	PortraitFitBudget(BasketLinesBytes(bl) + (double) n * (2 * sizeof(uint64) + sizeof(int32)) +
					  (double) bl->items.n * sizeof(int32) +
					  (double) Max(bl->baskets.n, 1) * sizeof(int64) * 2, what, hint);
	v = palloc_extended(sizeof(uint64) * Max(n, 1), MCXT_ALLOC_HUGE);
	if (bl->basket_type == PORTRAIT_KEY_TEXT)
	{
		num = palloc_extended(sizeof(int32) * Max(n, 1), MCXT_ALLOC_HUGE);
		for (int64 i = 0; i < n; i++)
			num[i] = (int32) bl->bkey[i];
		CountingByBasket(bl, num, bl->baskets.n, v);
		sorted = v;
	}
	else
	{
		int64		hi = 0;

		for (int64 i = 0; i < n; i++)
		{
			if (i == 0 || bl->bkey[i] < lo)
				lo = bl->bkey[i];
			if (i == 0 || bl->bkey[i] > hi)
				hi = bl->bkey[i];
		}
		if (n == 0 || (uint64) hi - (uint64) lo <= PG_UINT32_MAX)
		{
			for (int64 i = 0; i < n; i++)
				v[i] = PACK((uint64) bl->bkey[i] - (uint64) lo, bl->item[i]);
			tmp = palloc_extended(sizeof(uint64) * Max(n, 1), MCXT_ALLOC_HUGE);
			sorted = RadixByBasket(v, tmp, n);
		}
		else
		{
			KeyDict		d;

			DictInit(&d, CurrentMemoryContext);
			num = palloc_extended(sizeof(int32) * n, MCXT_ALLOC_HUGE);
			for (int64 i = 0; i < n; i++)
				num[i] = DictIntern(&d, (const char *) &bl->bkey[i], sizeof(int64),
									BasketLinesBytes(bl) + (double) n * (sizeof(uint64) + sizeof(int32)));
			numkey = palloc_extended(sizeof(int64) * Max(d.n, 1), MCXT_ALLOC_HUGE);
			for (int32 b = 0; b < d.n; b++)
				memcpy(&numkey[b], d.buf + d.off[b], sizeof(int64));
			CountingByBasket(bl, num, d.n, v);
			sorted = v;
		}
	}
	for (int64 i = 0; i < n; i++)
		if (i == 0 || (sorted[i] >> 32) != (sorted[i - 1] >> 32))
			nb++;
	if (nb >= PG_INT32_MAX / 2)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many distinct baskets in one basket aggregate"),
				 errdetail("At most %d distinct baskets are supported.", PG_INT32_MAX / 2)));
	g->start = palloc_extended(sizeof(int64) * (nb + 1), MCXT_ALLOC_HUGE);
	if (owner)
		*owner = palloc_extended(sizeof(int64) * Max(nb, 1), MCXT_ALLOC_HUGE);
	/* seen[item]: the last group the item was kept in, so a repeat is dropped */
	seen = palloc_extended(sizeof(int32) * Max(bl->items.n, 1), MCXT_ALLOC_HUGE);
	memset(seen, 0xff, sizeof(int32) * Max(bl->items.n, 1));
	/* the items overwrite the packed lines: item out lands before line i is passed */
	items = (int32 *) sorted;
	nb = 0;
	for (int64 i = 0; i < n; i++)
	{
		uint64		line = sorted[i];
		int32		it = (int32) (line & PG_UINT32_MAX);

		if (i == 0 || (line >> 32) != prev)
		{
			prev = line >> 32;
			if (owner)
				(*owner)[nb] = numkey ? numkey[prev] :
					(bl->basket_type == PORTRAIT_KEY_TEXT ? (int64) prev : (int64) (prev + (uint64) lo));
			g->start[nb++] = out;
		}
		if (seen[it] == nb - 1)
			continue;
		seen[it] = (int32) (nb - 1);
		items[out++] = it;
	}
	g->start[nb] = out;
	g->nbaskets = (int32) nb;
	g->nlines = out;
	g->items = items;
	pfree(seen);
	if (num)
		pfree(num);
	if (numkey)
		pfree(numkey);
	if (tmp)
		pfree(sorted == v ? tmp : v);
}

/* The distinct items of each basket; what and hint name the caller's fit. */
void
BasketLinesGroup(const BasketLines *bl, BasketGroups *g, const char *what, const char *hint)
{
	GroupLines(bl, g, NULL, what, hint);
}

/* ---------- text form ---------- */

/* Groups by their bigint basket's value (arg: the groups' keys). */
static int
CompareOwnerValues(const void *a, const void *b, void *arg)
{
	int64		x = ((const int64 *) arg)[*(const int32 *) a];
	int64		y = ((const int64 *) arg)[*(const int32 *) b];

	return (x > y) - (x < y);
}

/* Key ids in the byte order of their keys (arg: the dictionary). */
static int
CompareKeyIds(const void *a, const void *b, void *arg)
{
	return KeyDictCompare(arg, *(const int32 *) a, *(const int32 *) b);
}

/*
 * Text form, JSON: {"basket_type": ..., "item_type": ..., "options": {...},
 * "baskets": [[basket, [item, ...]], ...]} with each basket's distinct items;
 * baskets and items in the order of their keys, so the text depends only on
 * the lines, not on the order they came in.
 */
Datum
pp_basket_lines_out(PG_FUNCTION_ARGS)
{
	BasketLines *bl = BasketLinesRead(PG_GETARG_DATUM(0));
	BasketGroups g;
	StringInfoData buf;
	Jsonb	   *opts = BasketLinesOptions(bl);
	int64	   *owner;
	int32	   *order;

	GroupLines(bl, &g, &owner, "the text form of a basket state", PORTRAIT_BASKET_HINT);
	/* bigint baskets by value, text ones by name */
	order = palloc_extended(sizeof(int32) * Max(g.nbaskets, 1), MCXT_ALLOC_HUGE);
	for (int32 b = 0; b < g.nbaskets; b++)
		order[b] = b;
	if (bl->basket_type != PORTRAIT_KEY_TEXT)
		qsort_arg(order, g.nbaskets, sizeof(int32), CompareOwnerValues, owner);
	else
	{
		int32		nids = bl->baskets.n;
		int32	   *ids = palloc_extended(sizeof(int32) * Max(nids, 1), MCXT_ALLOC_HUGE);
		int32	   *groupof = palloc_extended(sizeof(int32) * Max(nids, 1), MCXT_ALLOC_HUGE);
		int32		r = 0;

		for (int32 i = 0; i < nids; i++)
		{
			ids[i] = i;
			groupof[i] = -1;
		}
		for (int32 b = 0; b < g.nbaskets; b++)
			groupof[owner[b]] = b;
		qsort_arg(ids, nids, sizeof(int32), CompareKeyIds, &bl->baskets);
		for (int32 i = 0; i < nids; i++)
			if (groupof[ids[i]] >= 0)
				order[r++] = groupof[ids[i]];
		pfree(ids);
		pfree(groupof);
	}
	initStringInfo(&buf);
	appendStringInfo(&buf, "{\"basket_type\": \"%s\", \"item_type\": \"%s\", \"options\": %s, \"baskets\": [",
					 bl->item_type ? KeyTypeName(bl->basket_type) : "text",
					 bl->item_type ? KeyTypeName(bl->item_type) : "text",
					 JsonbToCString(NULL, &opts->root, VARSIZE(opts)));
	for (int32 r = 0; r < g.nbaskets; r++)
	{
		int32		b = order[r];
		int32	   *its = g.items + g.start[b];
		int64		nits = g.start[b + 1] - g.start[b];

		if (r > 0)
			appendStringInfoString(&buf, ", ");
		appendStringInfoChar(&buf, '[');
		if (bl->basket_type == PORTRAIT_KEY_BIGINT)
			appendStringInfo(&buf, INT64_FORMAT, owner[b]);
		else
			escape_json(&buf, bl->baskets.buf + bl->baskets.off[owner[b]]);
		appendStringInfoString(&buf, ", [");
		qsort_arg(its, nits, sizeof(int32), CompareKeyIds, &bl->items);
		for (int64 k = 0; k < nits; k++)
		{
			if (k > 0)
				appendStringInfoString(&buf, ", ");
			escape_json(&buf, bl->items.buf + bl->items.off[its[k]]);
		}
		appendStringInfoString(&buf, "]]");
	}
	appendStringInfoString(&buf, "]}");
	PG_RETURN_CSTRING(buf.data);
}

static void
BadState(const char *input)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid input syntax for type %s: \"%.200s\"", "portrait.basket_lines", input)));
}

/* A value of an object by key, or NULL. */
static JsonbValue *
ObjectKey(JsonbContainer *c, const char *key)
{
	return getKeyJsonValueFromContainer(c, key, strlen(key), NULL);
}

static int32
KeyTypeByName(JsonbValue *v, const char *input)
{
	if (v == NULL || v->type != jbvString)
		BadState(input);
	if (v->val.string.len == 6 && memcmp(v->val.string.val, "bigint", 6) == 0)
		return PORTRAIT_KEY_BIGINT;
	if (v->val.string.len == 4 && memcmp(v->val.string.val, "text", 4) == 0)
		return PORTRAIT_KEY_TEXT;
	BadState(input);
	return 0;
}

Datum
pp_basket_lines_in(PG_FUNCTION_ARGS)
{
	char	   *input = PG_GETARG_CSTRING(0);
	Jsonb	   *jb = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(input)));
	BasketLines *bl = BasketLinesNew(CurrentMemoryContext);
	JsonbValue *v;
	JsonbIterator *it;
	JsonbValue	e;
	JsonbIteratorToken tok;
	int32		btype;
	int32		itype;

	if (!JB_ROOT_IS_OBJECT(jb))
		BadState(input);
	btype = KeyTypeByName(ObjectKey(&jb->root, "basket_type"), input);
	itype = KeyTypeByName(ObjectKey(&jb->root, "item_type"), input);
	v = ObjectKey(&jb->root, "options");
	if (v == NULL || v->type != jbvBinary || !JsonContainerIsObject(v->val.binary.data))
		BadState(input);
	{
		Jsonb	   *o = JsonbValueToJsonb(v);

		SetOptions(bl, (const char *) o, VARSIZE(o));
	}
	v = ObjectKey(&jb->root, "baskets");
	if (v == NULL || v->type != jbvBinary || !JsonContainerIsArray(v->val.binary.data))
		BadState(input);
	it = JsonbIteratorInit(v->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &e, true)) != WJB_DONE)
	{
		JsonbValue *key;
		JsonbValue *items;
		int64		b;
		JsonbIterator *it2;
		JsonbValue	ie;
		JsonbIteratorToken tok2;

		if (tok != WJB_ELEM)
			continue;
		if (e.type != jbvBinary || !JsonContainerIsArray(e.val.binary.data) ||
			JsonContainerSize(e.val.binary.data) != 2)
			BadState(input);
		key = getIthJsonbValueFromContainer(e.val.binary.data, 0);
		items = getIthJsonbValueFromContainer(e.val.binary.data, 1);
		if (btype == PORTRAIT_KEY_BIGINT)
		{
			if (key->type != jbvNumeric)
				BadState(input);
			b = DatumGetInt64(DirectFunctionCall1(numeric_int8, NumericGetDatum(key->val.numeric)));
		}
		else
		{
			if (key->type != jbvString)
				BadState(input);
			b = DictIntern(&bl->baskets, key->val.string.val, key->val.string.len, BasketLinesBytes(bl));
		}
		if (items->type != jbvBinary || !JsonContainerIsArray(items->val.binary.data))
			BadState(input);
		it2 = JsonbIteratorInit(items->val.binary.data);
		while ((tok2 = JsonbIteratorNext(&it2, &ie, true)) != WJB_DONE)
		{
			if (tok2 != WJB_ELEM)
				continue;
			if (ie.type != jbvString)
				BadState(input);
			SetTypes(bl, btype, itype);
			if (itype == PORTRAIT_KEY_BIGINT)
			{
				/* the canonical decimal text, as the transition function interns it */
				char	   *s = pnstrdup(ie.val.string.val, ie.val.string.len);
				char		num[MAXINT8LEN + 1];
				int			len;

				len = pg_lltoa(DatumGetInt64(DirectFunctionCall1(int8in, CStringGetDatum(s))), num);
				AppendLine(bl, b, DictIntern(&bl->items, num, len, BasketLinesBytes(bl)));
				pfree(s);
			}
			else
				AppendLine(bl, b, DictIntern(&bl->items, ie.val.string.val, ie.val.string.len,
											 BasketLinesBytes(bl)));
		}
	}
	{
		Size		sz = EOH_get_flat_size(&bl->hdr);
		void	   *flat = palloc(sz);

		EOH_flatten_into(&bl->hdr, flat, sz);
		PG_RETURN_POINTER(flat);
	}
}
