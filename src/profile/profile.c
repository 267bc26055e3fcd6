/*
 * profile.c
 *		The difference behind refresh_profile.
 *
 * The profile table and the source query are each read once, as a stream,
 * and matched on the key in a hash table of the profile's rows.  Only the
 * differences are returned, so what refresh_profile writes afterwards scales
 * with the changes, and neither side is copied into a table first.
 */
#include "postgres.h"

#ifndef WIN32
#include <sys/mman.h>
#endif

#include "access/htup_details.h"
#include "access/relation.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/sequence.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "storage/lmgr.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/plancache.h"
#include "utils/rel.h"
#include "utils/syscache.h"
#include "utils/typcache.h"

#include "portrait.h"

#if PG_VERSION_NUM < 140000
#include "tcop/pquery.h"
#endif

PG_FUNCTION_INFO_V1(pp_profile_diff);
PG_FUNCTION_INFO_V1(pp_profile_run_open);
PG_FUNCTION_INFO_V1(pp_profile_run_is_open);
PG_FUNCTION_INFO_V1(pp_profile_run_close);

#define DIFF_BATCH 32

#if defined(__GNUC__) || defined(__clang__)
#define DiffPrefetch(p) __builtin_prefetch(p)
#else
#define DiffPrefetch(p) ((void) 0)
#endif

/* One profile row, or (row NULL) a key first seen in the source. */
typedef struct DiffEntry
{
	Datum		key;
	MinimalTuple row;			/* tableoid, ctid, key, compared columns */
	uint32		hash;
	char		status;
	bool		seen;			/* matched by a source row */
} DiffEntry;

typedef struct DiffState
{
	DestReceiver pub;			/* first: the receivers are a DiffState */
	MemoryContext cxt;			/* everything below; its deletion frees the arena */
	struct DiffChunk *arena;	/* the table and the profile rows */
	MemoryContextCallback release;
	MemoryContext rowcxt;		/* reset for each returned row */
	struct diffhash_hash *table;
	int			ncols;			/* key and compared columns */
	int		   *attno;			/* their positions in the target's row type */
	Oid			key_type;
	FmgrInfo	key_hash;
	FmgrInfo   *eq;				/* per column; fn_oid invalid: compare images */
	Oid		   *coll;
	int16	   *typlen;
	bool	   *typbyval;
	TupleTableSlot *profile;	/* deforms stored profile rows */
	TupleDesc	rowdesc;		/* the target's row type */
	const char *relname;		/* qualified, quoted */
	Tuplestorestate *out;
	TupleDesc	outdesc;
	int64		unchanged;

	/*
	 * Profile rows wait in batches so that the hash buckets they go to are
	 * prefetched together: a random access to a table of a million rows
	 * misses the cache, and misses overlap only when issued ahead.  (Source
	 * rows are matched at once: copying them to batch them costs more.)
	 */
	int			nbatch;
	uint32		bhash[DIFF_BATCH];
	Datum		bkey[DIFF_BATCH];
	MinimalTuple brow[DIFF_BATCH];
} DiffState;

/*
 * The profile rows and the hash table live in an arena of anonymous
 * mappings advised for transparent huge pages.  A refresh of a million rows
 * copies some 100 MB; faulting that in 4 kB pages costs more than the
 * copying itself on virtual machines, in 2 MB pages next to nothing.  Where
 * mappings are not available the arena takes memory from palloc.
 */
#define DIFF_CHUNK ((Size) 32 * 1024 * 1024)
#define DIFF_HUGE ((Size) 2 * 1024 * 1024)

typedef struct DiffChunk
{
	struct DiffChunk *next;
	void	   *map;			/* the mapping (NULL: palloc'd) */
	Size		maplen;
	char	   *free;
	char	   *end;
} DiffChunk;

static void
DiffArenaRelease(void *arg)
{
	DiffChunk **head = arg;

	for (DiffChunk *c = *head, *next; c != NULL; c = next)
	{
		next = c->next;
#if defined(MAP_ANONYMOUS) && defined(MADV_HUGEPAGE)
		if (c->map != NULL)
			munmap(c->map, c->maplen);
#endif
	}
	*head = NULL;
}

static DiffChunk *
DiffChunkNew(MemoryContext cxt, Size need)
{
	Size		size = Max(DIFF_CHUNK, TYPEALIGN(DIFF_HUGE, need + MAXALIGN(sizeof(DiffChunk))));
	DiffChunk  *c;
	char	   *base = NULL;
	void	   *map = NULL;

#if defined(MAP_ANONYMOUS) && defined(MADV_HUGEPAGE)
	{
		void	   *m = mmap(NULL, size + DIFF_HUGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (m != MAP_FAILED)
		{
			map = m;
			base = (char *) TYPEALIGN(DIFF_HUGE, m);
			(void) madvise(base, size, MADV_HUGEPAGE);
		}
	}
#endif
	if (map == NULL)
		base = MemoryContextAllocExtended(cxt, size, MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO);
	c = (DiffChunk *) base;
	c->map = map;
	c->maplen = size + DIFF_HUGE;
	c->free = base + MAXALIGN(sizeof(DiffChunk));
	c->end = base + size;
	return c;
}

/* Zeroed memory (fresh mappings are) that lasts until the arena goes. */
static void *
DiffAlloc(DiffState *st, Size size)
{
	DiffChunk  *c = st->arena;
	void	   *p;

	size = MAXALIGN(size);
	if (c == NULL || (Size) (c->end - c->free) < size)
	{
		c = DiffChunkNew(st->cxt, size);
		c->next = st->arena;
		st->arena = c;
	}
	p = c->free;
	c->free += size;
	return p;
}

static inline uint32
DiffHashKey(DiffState *st, Datum key)
{
	return DatumGetUInt32(FunctionCall1Coll(&st->key_hash, st->coll[0], key));
}

static inline bool
DiffKeyEqual(DiffState *st, Datum a, Datum b)
{
	return DatumGetBool(FunctionCall2Coll(&st->eq[0], st->coll[0], a, b));
}

#define SH_PREFIX diffhash
#define SH_ELEMENT_TYPE DiffEntry
#define SH_KEY_TYPE Datum
#define SH_KEY key
#define SH_HASH_KEY(tb, k) DiffHashKey((DiffState *) (tb)->private_data, k)
#define SH_EQUAL(tb, a, b) DiffKeyEqual((DiffState *) (tb)->private_data, a, b)
#define SH_STORE_HASH
#define SH_GET_HASH(tb, a) (a)->hash
#define SH_SCOPE static inline
#define SH_USE_NONDEFAULT_ALLOCATOR
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

static inline void *
diffhash_allocate(diffhash_hash *tb, Size size)
{
	return DiffAlloc((DiffState *) tb->private_data, size);
}

/* a grown table leaves the old one in the arena until it goes */
static inline void
diffhash_free(diffhash_hash *tb, void *pointer)
{
}

/* Append one result row: op, n, rel, tid, changed and the source's row (or NULLs). */
static void
DiffEmit(DiffState *st, char op, int64 n, TupleTableSlot *profile, ArrayType *changed, TupleTableSlot *source)
{
	Datum		values[6];
	bool		nulls[6] = {false, n < 0, profile == NULL, profile == NULL, changed == NULL, source == NULL};
	MemoryContext old = MemoryContextSwitchTo(st->rowcxt);

	values[0] = CharGetDatum(op);
	values[1] = Int64GetDatum(n);
	values[2] = profile ? slot_getattr(profile, 1, &nulls[2]) : (Datum) 0;
	values[3] = profile ? slot_getattr(profile, 2, &nulls[3]) : (Datum) 0;
	values[4] = PointerGetDatum(changed);
	values[5] = (Datum) 0;
	if (source)
	{
		int			natts = st->rowdesc->natts;
		Datum	   *rv = palloc0(sizeof(Datum) * natts);
		bool	   *rn = palloc(sizeof(bool) * natts);

		memset(rn, true, sizeof(bool) * natts);
		slot_getallattrs(source);
		for (int j = 0; j < st->ncols; j++)
		{
			rv[st->attno[j]] = source->tts_values[j];
			rn[st->attno[j]] = source->tts_isnull[j];
		}
		values[5] = HeapTupleGetDatum(heap_form_tuple(st->rowdesc, rv, rn));
	}
	else if (op == 'd')
	{
		/* the key alone: where a tid cannot name the row (a distributed table) */
		int			natts = st->rowdesc->natts;
		Datum	   *rv = palloc0(sizeof(Datum) * natts);
		bool	   *rn = palloc(sizeof(bool) * natts);

		memset(rn, true, sizeof(bool) * natts);
		rv[st->attno[0]] = slot_getattr(profile, 3, &rn[st->attno[0]]);
		values[5] = HeapTupleGetDatum(heap_form_tuple(st->rowdesc, rv, rn));
		nulls[5] = false;
	}
	tuplestore_putvalues(st->out, st->outdesc, values, nulls);
	MemoryContextSwitchTo(old);
	MemoryContextReset(st->rowcxt);
}

static void
DiffProfileStartup(DestReceiver *self, int operation, TupleDesc desc)
{
	DiffState  *st = (DiffState *) self;
	MemoryContext old = MemoryContextSwitchTo(st->cxt);

	st->profile = MakeSingleTupleTableSlot(CreateTupleDescCopy(desc), &TTSOpsMinimalTuple);
	MemoryContextSwitchTo(old);
}

static void
DiffProfileFlush(DiffState *st)
{
	for (int i = 0; i < st->nbatch; i++)
	{
		bool		found;
		DiffEntry  *e = diffhash_insert_hash(st->table, st->bkey[i], st->bhash[i], &found);

		if (found)
			ereport(ERROR,
					(errcode(ERRCODE_CARDINALITY_VIOLATION),
					 errmsg("the key column of %s is not unique", st->relname),
					 errhint("Give the key column a primary key or unique constraint.")));
		e->row = st->brow[i];
		e->seen = false;
	}
	st->nbatch = 0;
}

static bool
DiffProfileRow(TupleTableSlot *slot, DestReceiver *self)
{
	DiffState  *st = (DiffState *) self;
	MemoryContext old;
	MinimalTuple mt;
	bool		isnull;
	Datum		key = slot_getattr(slot, 3, &isnull);
	int			i;

	/* a NULL key matches no source row: the row goes */
	if (isnull)
	{
		ExecStoreMinimalTuple(ExecCopySlotMinimalTuple(slot), st->profile, true);
		DiffEmit(st, 'd', -1, st->profile, NULL, NULL);
		return true;
	}
	/* formed in reused memory, then copied to the arena */
	old = MemoryContextSwitchTo(st->rowcxt);
	mt = ExecCopySlotMinimalTuple(slot);
	MemoryContextSwitchTo(old);
	i = st->nbatch++;
	st->brow[i] = DiffAlloc(st, mt->t_len);
	memcpy(st->brow[i], mt, mt->t_len);
	MemoryContextReset(st->rowcxt);
	if (!st->typbyval[0])
	{
		ExecStoreMinimalTuple(st->brow[i], st->profile, false);
		key = slot_getattr(st->profile, 3, &isnull);
	}
	st->bkey[i] = key;
	st->bhash[i] = DiffHashKey(st, key);
	DiffPrefetch(&st->table->data[st->bhash[i] & st->table->sizemask]);
	if (st->nbatch == DIFF_BATCH)
		DiffProfileFlush(st);
	return true;
}

static void
DiffProfileShutdown(DestReceiver *self)
{
	DiffProfileFlush((DiffState *) self);
}

/* The source's columns are the key and the compared columns, cast to their types. */
static void
DiffSourceStartup(DestReceiver *self, int operation, TupleDesc desc)
{
	Assert(desc->natts == ((DiffState *) self)->ncols);
}

/* Column j IS DISTINCT FROM in the two rows (the profile's has two more in front). */
static inline bool
DiffColumnChanged(DiffState *st, int j, TupleTableSlot *source, TupleTableSlot *profile)
{
	bool		snull = source->tts_isnull[j];
	bool		pnull = profile->tts_isnull[j + 2];
	Datum		s = source->tts_values[j];
	Datum		p = profile->tts_values[j + 2];

	if (snull || pnull)
		return snull != pnull;
	if (OidIsValid(st->eq[j].fn_oid))
		return !DatumGetBool(FunctionCall2Coll(&st->eq[j], st->coll[j], s, p));
	/* a type without equality (json, point): changed when its bytes are */
	return !datum_image_eq(s, p, st->typbyval[j], st->typlen[j]);
}

/* The names of the changed columns as text[], or NULL when none changed. */
static ArrayType *
DiffChangedColumns(DiffState *st, TupleTableSlot *source, TupleTableSlot *profile)
{
	int			j = 1;
	int			n = 0;
	Datum	   *names;

	while (j < st->ncols && !DiffColumnChanged(st, j, source, profile))
		j++;
	if (j == st->ncols)
		return NULL;
	names = palloc(sizeof(Datum) * st->ncols);
	for (; j < st->ncols; j++)
		if (DiffColumnChanged(st, j, source, profile))
			names[n++] = CStringGetTextDatum(NameStr(TupleDescAttr(st->rowdesc, st->attno[j])->attname));
	return construct_array(names, n, TEXTOID, -1, false, TYPALIGN_INT);
}

static void
DiffSourceOne(DiffState *st, TupleTableSlot *slot, uint32 hash)
{
	DiffEntry  *e = diffhash_lookup_hash(st->table, slot->tts_values[0], hash);
	ArrayType  *changed;
	MemoryContext old;
	bool		found;

	if (e == NULL)
	{
		/* a new key, remembered so that a second row with it is caught */
		old = MemoryContextSwitchTo(st->cxt);

		e = diffhash_insert_hash(st->table, datumCopy(slot->tts_values[0], st->typbyval[0], st->typlen[0]),
								 hash, &found);
		e->row = NULL;
		e->seen = true;
		MemoryContextSwitchTo(old);
		DiffEmit(st, 'i', -1, NULL, NULL, slot);
		return;
	}
	if (e->seen)
	{
		Oid			out;
		bool		varlena;

		getTypeOutputInfo(st->key_type, &out, &varlena);
		ereport(ERROR,
				(errcode(ERRCODE_CARDINALITY_VIOLATION),
				 errmsg("the source returns a key more than once"),
				 errdetail("Key %s is returned more than once.",
						   quote_literal_cstr(OidOutputFunctionCall(out, slot->tts_values[0]))),
				 errhint("The source must return one row per key.")));
	}
	e->seen = true;
	ExecStoreMinimalTuple(e->row, st->profile, false);
	slot_getallattrs(st->profile);
	/* in the per-row context, which DiffEmit resets */
	old = MemoryContextSwitchTo(st->rowcxt);
	changed = DiffChangedColumns(st, slot, st->profile);
	MemoryContextSwitchTo(old);
	if (changed != NULL)
		DiffEmit(st, 'u', -1, st->profile, changed, slot);
	else
		st->unchanged++;
}

static bool
DiffSourceRow(TupleTableSlot *slot, DestReceiver *self)
{
	DiffState  *st = (DiffState *) self;

	slot_getallattrs(slot);
	if (slot->tts_isnull[0])
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("the source returns a NULL key")));
	DiffSourceOne(st, slot, DiffHashKey(st, slot->tts_values[0]));
	return true;
}

/* rShutdown of the source, rDestroy of both: nothing to do */
static void
DiffDone(DestReceiver *self)
{
}

/* A plan of sql, which must be one query (the source is text from the caller). */
static SPIPlanPtr
DiffPrepare(const char *sql)
{
	SPIPlanPtr	plan = SPI_prepare_cursor(sql, 0, NULL, CURSOR_OPT_PARALLEL_OK);

	if (plan == NULL)
		elog(ERROR, "SPI_prepare_cursor failed: %s", SPI_result_code_string(SPI_result));
	if (list_length(SPI_plan_get_plan_sources(plan)) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_SYNTAX_ERROR),
				 errmsg("the source must be a single query")));
	return plan;
}

/*
 * The source must return the target's columns by name, in any order: checked
 * on its plan, before anything runs.
 */
static void
DiffCheckSourceNames(DiffState *st, const char *source)
{
	StringInfoData sql;
	TupleDesc	desc;

	initStringInfo(&sql);
	appendStringInfo(&sql, "SELECT * FROM (%s\n) s", source);
	desc = ((CachedPlanSource *) linitial(SPI_plan_get_plan_sources(DiffPrepare(sql.data))))->resultDesc;
	for (int k = 1; k <= st->ncols; k++)
	{
		const char *name = NameStr(TupleDescAttr(st->rowdesc, st->attno[k % st->ncols])->attname);
		bool		found = false;

		for (int i = 0; i < desc->natts && !found; i++)
			found = strcmp(NameStr(TupleDescAttr(desc, i)->attname), name) == 0;
		if (!found)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("the source has no column \"%s\"", name),
					 errdetail("The source must return the columns of %s by name.", st->relname)));
	}
	for (int i = 0; i < desc->natts; i++)
	{
		const char *name = NameStr(TupleDescAttr(desc, i)->attname);
		bool		found = false;

		for (int j = 0; j < st->ncols && !found; j++)
			found = strcmp(NameStr(TupleDescAttr(st->rowdesc, st->attno[j])->attname), name) == 0;
		if (!found)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("the source column \"%s\" is not a column of %s", name, st->relname)));
	}
}

/* Run one SELECT to completion into the receiver; parallel plans allowed. */
static void
DiffRun(DiffState *st, const char *sql)
{
	SPIPlanPtr	plan = DiffPrepare(sql);
	int			ret;

#if PG_VERSION_NUM >= 140000
	{
		SPIExecuteOptions opt = {0};

		opt.dest = &st->pub;
		ret = SPI_execute_plan_extended(plan, &opt);
	}
#else
	{
		Portal		portal = SPI_cursor_open(NULL, plan, NULL, NULL, false);

		PortalRunFetch(portal, FETCH_FORWARD, FETCH_ALL, &st->pub);
		SPI_cursor_close(portal);
		ret = SPI_OK_SELECT;
	}
#endif
	if (ret < 0)
		elog(ERROR, "SPI_execute_plan failed: %s", SPI_result_code_string(ret));
}

/*
 * profile_diff(target regclass, source text, key name): the rows that make
 * target equal to the source query's result, as (op, n, rel, tid, changed,
 * src): 'i' a key new in the source, 'u' a row with changed columns (named
 * in changed), 'd' a row whose key the source lacks (rel and tid name the
 * row, src is the source's row cast to the target's row type), then one '='
 * row whose n counts the rows left as they are.  The caller sets the
 * search_path the source needs.
 */
Datum
pp_profile_diff(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MemoryContext old;
	DiffState  *st;
	Oid			relid;
	Relation	rel;
	TupleDesc	desc;
	const char *key;
	const char *source;
	StringInfoData profile_sql;
	StringInfoData source_sql;
	int			keyatt = -1;
	double		expected;
	diffhash_iterator it;
	DiffEntry  *e;

	PortraitArgNotNull(fcinfo, 0, "target");
	PortraitArgNotNull(fcinfo, 1, "source");
	PortraitArgNotNull(fcinfo, 2, "key");
	relid = PG_GETARG_OID(0);
	key = NameStr(*PG_GETARG_NAME(2));

	if (rsinfo == NULL || !IsA(rsinfo, ReturnSetInfo) || !(rsinfo->allowedModes & SFRM_Materialize)
		|| rsinfo->expectedDesc == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("profile_diff must be called in FROM with a column definition list")));

	/* no lock on a table the caller may not read */
	if (!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(relid)))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", relid)));
	if (pg_class_aclcheck(relid, GetUserId(), ACL_SELECT) != ACLCHECK_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied for table %s", get_rel_name(relid))));
	rel = try_relation_open(relid, AccessShareLock);
	if (rel == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", relid)));
	if (rel->rd_rel->relkind != RELKIND_RELATION && rel->rd_rel->relkind != RELKIND_PARTITIONED_TABLE)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("refresh_profile target %s is not a table", RelationGetRelationName(rel))));
	desc = RelationGetDescr(rel);

	old = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);
	st = palloc0(sizeof(DiffState));
	st->rowdesc = CreateTupleDescCopy(desc);
	st->outdesc = CreateTupleDescCopy(rsinfo->expectedDesc);
	if (st->outdesc->natts != 6
		|| TupleDescAttr(st->outdesc, 0)->atttypid != CHAROID
		|| TupleDescAttr(st->outdesc, 1)->atttypid != INT8OID
		|| TupleDescAttr(st->outdesc, 2)->atttypid != OIDOID
		|| TupleDescAttr(st->outdesc, 3)->atttypid != TIDOID
		|| TupleDescAttr(st->outdesc, 4)->atttypid != TEXTARRAYOID
		|| TupleDescAttr(st->outdesc, 5)->atttypid != desc->tdtypeid)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("profile_diff returns (op \"char\", n bigint, rel oid, tid tid, changed text[], src %s)",
						format_type_be(desc->tdtypeid))));
	st->out = tuplestore_begin_heap(true, false, work_mem);
	rsinfo->returnMode = SFRM_Materialize;
	rsinfo->setResult = st->out;
	rsinfo->setDesc = st->outdesc;

	/* the key, then every other stored column, in the target's order */
	st->attno = palloc(sizeof(int) * desc->natts);
	st->coll = palloc(sizeof(Oid) * desc->natts);
	st->typlen = palloc(sizeof(int16) * desc->natts);
	st->typbyval = palloc(sizeof(bool) * desc->natts);
	st->eq = palloc0(sizeof(FmgrInfo) * desc->natts);
	for (int i = 0; i < desc->natts; i++)
		if (!TupleDescAttr(desc, i)->attisdropped && strcmp(NameStr(TupleDescAttr(desc, i)->attname), key) == 0)
			keyatt = i;
	if (keyatt < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("key column \"%s\" is not a column of %s", key, RelationGetRelationName(rel))));
	initStringInfo(&profile_sql);
	initStringInfo(&source_sql);
	appendStringInfoString(&profile_sql, "SELECT tableoid, ctid");
	appendStringInfoString(&source_sql, "SELECT ");
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < desc->natts; i++)
		{
			Form_pg_attribute a = TupleDescAttr(desc, i);
			const char *name = quote_identifier(NameStr(a->attname));
			TypeCacheEntry *tc;
			int			j = st->ncols;

			if ((pass == 0) != (i == keyatt) || a->attisdropped || a->attgenerated)
				continue;
			st->attno[j] = i;
			st->coll[j] = a->attcollation;
			st->typlen[j] = a->attlen;
			st->typbyval[j] = a->attbyval;
			tc = lookup_type_cache(a->atttypid, TYPECACHE_EQ_OPR_FINFO | (j == 0 ? TYPECACHE_HASH_PROC_FINFO : 0));
			if (OidIsValid(tc->eq_opr_finfo.fn_oid))
				fmgr_info_copy(&st->eq[j], &tc->eq_opr_finfo, CurrentMemoryContext);
			if (j == 0)
			{
				if (!OidIsValid(tc->eq_opr_finfo.fn_oid) || !OidIsValid(tc->hash_proc_finfo.fn_oid))
					ereport(ERROR,
							(errcode(ERRCODE_UNDEFINED_FUNCTION),
							 errmsg("the key column type %s has no hash function", format_type_be(a->atttypid))));
				fmgr_info_copy(&st->key_hash, &tc->hash_proc_finfo, CurrentMemoryContext);
				st->key_type = a->atttypid;
			}
			appendStringInfo(&profile_sql, ", %s", name);
			appendStringInfo(&source_sql, "%ss.%s::%s AS %s", j ? ", " : "", name,
							 format_type_extended(a->atttypid, a->atttypmod,
												  FORMAT_TYPE_TYPEMOD_GIVEN | FORMAT_TYPE_FORCE_QUALIFY), name);
			st->ncols++;
		}
	st->relname = quote_qualified_identifier(get_namespace_name(RelationGetNamespace(rel)),
											 RelationGetRelationName(rel));
	appendStringInfo(&profile_sql, " FROM %s", st->relname);
	source = TrainerSingleQuery(text_to_cstring(PG_GETARG_TEXT_PP(1)), "refresh_profile");
	appendStringInfo(&source_sql, " FROM (%s\n) s", source);
	/* sized for the rows the table had when last analyzed, to spare regrowing */
	expected = rel->rd_rel->reltuples;
	/* the lock stays until the transaction ends, so the columns cannot change under the queries */
	relation_close(rel, NoLock);

	st->cxt = AllocSetContextCreate(CurrentMemoryContext, "profile_diff", ALLOCSET_DEFAULT_SIZES);
	st->release.func = DiffArenaRelease;
	st->release.arg = &st->arena;
	MemoryContextRegisterResetCallback(st->cxt, &st->release);
	st->rowcxt = AllocSetContextCreate(st->cxt, "profile_diff row", ALLOCSET_DEFAULT_SIZES);
	st->table = diffhash_create(st->cxt, (uint32) Min(Max(expected * 1.1, 1024), 64 * 1024 * 1024), st);
	st->pub.rDestroy = DiffDone;
	st->pub.mydest = DestNone;
	MemoryContextSwitchTo(old);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	DiffCheckSourceNames(st, source);
	st->pub.rStartup = DiffProfileStartup;
	st->pub.receiveSlot = DiffProfileRow;
	st->pub.rShutdown = DiffProfileShutdown;
	DiffRun(st, profile_sql.data);
	st->pub.rStartup = DiffSourceStartup;
	st->pub.receiveSlot = DiffSourceRow;
	st->pub.rShutdown = DiffDone;
	DiffRun(st, source_sql.data);
	SPI_finish();

	diffhash_start_iterate(st->table, &it);
	while ((e = diffhash_iterate(st->table, &it)) != NULL)
	{
		CHECK_FOR_INTERRUPTS();
		if (!e->seen)
		{
			ExecStoreMinimalTuple(e->row, st->profile, false);
			DiffEmit(st, 'd', -1, st->profile, NULL, NULL);
		}
	}
	DiffEmit(st, '=', st->unchanged, NULL, NULL, NULL);
	MemoryContextDelete(st->cxt);
	return (Datum) 0;
}

/*
 * The run a refresh has open in this transaction: the write policies of
 * profile_run and profile_history accept rows of this run only.  It lives
 * in backend memory, where no SQL can set it but profile_run_open, and
 * closes when the transaction (or the subtransaction that opened it) ends.
 */
static struct
{
	Oid			target;
	int64		run;
	int			nest_level;
}			open_run;

static void
RunXactCallback(XactEvent event, void *arg)
{
	open_run.target = InvalidOid;
}

static void
RunSubXactCallback(SubXactEvent event, SubTransactionId mySubid, SubTransactionId parentSubid, void *arg)
{
	if (event == SUBXACT_EVENT_ABORT_SUB && GetCurrentTransactionNestLevel() <= open_run.nest_level)
		open_run.target = InvalidOid;
}

/*
 * profile_run_open(target regclass, wait boolean): the rights a refresh
 * needs, the one-refresh-per-target lock, and a new run number whose rows
 * the write policies accept until the transaction ends.  The lock is an
 * object lock on (profile_run, target), which no SQL function takes: an
 * advisory key would be open to any role, and a self-conflicting mode on
 * the table itself would also collide with autovacuum.
 */
Datum
pp_profile_run_open(PG_FUNCTION_ARGS)
{
	static bool registered = false;
	Oid			relid = PG_GETARG_OID(0);
	bool		wait = PG_GETARG_BOOL(1);
	static const AclMode need[] = {ACL_SELECT, ACL_INSERT, ACL_UPDATE, ACL_DELETE};
	char	   *name = get_rel_name(relid);
	Oid			nsp = get_func_namespace(fcinfo->flinfo->fn_oid);
	Oid			runs = get_relname_relid("profile_run", nsp);
	Oid			seq = get_relname_relid("profile_run_run_id_seq", nsp);

	if (name == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", relid)));
	if (!OidIsValid(runs) || !OidIsValid(seq))
		elog(ERROR, "the run table of refresh_profile is missing");
	name = quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)), name);
	for (int i = 0; i < (int) lengthof(need); i++)
		if (pg_class_aclcheck(relid, GetUserId(), need[i]) != ACLCHECK_OK)
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("permission denied to refresh %s", name),
					 errdetail("refresh_profile needs SELECT, INSERT, UPDATE and DELETE on the profile table.")));
	if (wait)
		LockDatabaseObject(runs, relid, 0, ExclusiveLock);
	else if (!ConditionalLockDatabaseObject(runs, relid, 0, ExclusiveLock))
		ereport(ERROR,
				(errcode(ERRCODE_LOCK_NOT_AVAILABLE),
				 errmsg("a refresh of %s is already running", name),
				 errdetail("Another session is refreshing the table; this refresh does not queue behind it."),
				 errhint("Retry later, or pass {\"wait\": true} to wait for it.")));
	if (!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(relid)))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation %s was dropped while the refresh waited for it", name)));

	if (!registered)
	{
		RegisterXactCallback(RunXactCallback, NULL);
		RegisterSubXactCallback(RunSubXactCallback, NULL);
		registered = true;
	}
	open_run.run = nextval_internal(seq, true);
	open_run.target = relid;
	open_run.nest_level = GetCurrentTransactionNestLevel();
	PG_RETURN_INT64(open_run.run);
}

/* profile_run_is_open(target regclass, run_id bigint) */
Datum
pp_profile_run_is_open(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(OidIsValid(open_run.target) && open_run.target == PG_GETARG_OID(0) &&
				   open_run.run == PG_GETARG_INT64(1));
}

/* profile_run_close(): the open run takes no more rows */
Datum
pp_profile_run_close(PG_FUNCTION_ARGS)
{
	open_run.target = InvalidOid;
	PG_RETURN_VOID();
}
