/*
 * build.c
 *		build_tags: every tag of the library built from a profile table or a
 *		query in one pass over it.
 *
 * One query reads the source joined to the key dictionary (a hash join, not
 * a lookup per row); its rows go straight to a receiver here, so the plan
 * may run in parallel workers and nothing is materialised.  Each row adds
 * its id to one bitmap per boolean or categorical tag (the bitmap of its
 * value, ids buffered and added in runs) and to the bit-sliced index of
 * each numeric tag.  A key the dictionary does not know yet gets a
 * provisional number during the scan; the new keys are assigned ids in
 * batches after it, and the provisional numbers replaced by their ids.  The
 * bitmaps are sets, so the order rows arrive in (serial or parallel) does
 * not change them.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "nodes/makefuncs.h"
#include "parser/parse_type.h"
#include "tcop/dest.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"

#include "portrait.h"
#include "tags.h"

PG_FUNCTION_INFO_V1(pp_build_tags);
PG_FUNCTION_INFO_V1(pp_build_tags_source);

#define PORTRAIT_BUILD_RUN 1024		/* ids buffered per bitmap before add_many */
/* new keys per dictionary_assign call: each call may scan the dictionary, so few and large */
#ifndef PORTRAIT_BUILD_ASSIGN_BATCH
#define PORTRAIT_BUILD_ASSIGN_BATCH 1048576
#endif

/*
 * Ids waiting to join a bitmap.  The buffer starts small and doubles up to
 * PORTRAIT_BUILD_RUN, so that a tag of many rare values costs little.
 */
typedef struct IdRun
{
	roaring_bitmap_t *rb;
	MemoryContext cxt;
	int			n;
	int			cap;
	uint32	   *ids;
} IdRun;

/* A value of a boolean or categorical tag: its text and its members. */
typedef struct ValueKey
{
	int			tag;
	int			len;
	const char *data;
} ValueKey;

typedef struct ValueEntry
{
	ValueKey	key;
	IdRun	   *known;			/* dictionary ids */
	IdRun	   *fresh;			/* provisional numbers of new keys */
} ValueEntry;

typedef enum TagKind
{
	TAG_BOOLEAN,
	TAG_CATEGORICAL,
	TAG_NUMERIC
} TagKind;

typedef struct BuildTag
{
	char	   *name;
	TagKind		kind;
	int			scale;
	Oid			type;			/* of a numeric tag's column in the query */
	BsiBuild   *bsi;
	uint32		nfresh;			/* (provisional number, value) pairs of new keys */
	uint64		capfresh;
	uint32	   *fresh_ids;
	uint64	   *fresh_vals;
} BuildTag;

typedef struct BuildState
{
	DestReceiver pub;
	MemoryContext cxt;
	int			ntags;
	BuildTag   *tags;
	HTAB	   *values;
	IdRun	   *everyone;		/* the population: known ids */
	IdRun	   *everyone_fresh;
	/* new keys, in provisional order: NUL-terminated texts one after the other */
	StringInfoData fresh_keys;
	uint64	   *fresh_offsets;
	uint32		nfresh;
	uint64		capfresh;
} BuildState;

/* Hash of a tag value (dynahash callback). */
static uint32
ValueHash(const void *key, Size keysize)
{
	const ValueKey *k = key;

	return hash_combine(hash_bytes((const unsigned char *) k->data, k->len), (uint32) k->tag);
}

/* Equality of tag values (dynahash callback: 0 when equal). */
static int
ValueMatch(const void *a, const void *b, Size keysize)
{
	const ValueKey *x = a;
	const ValueKey *y = b;

	return x->tag == y->tag && x->len == y->len && memcmp(x->data, y->data, x->len) == 0 ? 0 : 1;
}

/* A new, empty run of ids for a bitmap tied to cxt. */
static IdRun *
IdRunNew(MemoryContext cxt)
{
	IdRun	   *r = MemoryContextAlloc(cxt, sizeof(IdRun));

	r->rb = BitmapKeep(cxt, roaring_bitmap_create());
	r->cxt = cxt;
	r->n = 0;
	r->cap = 8;
	r->ids = MemoryContextAlloc(cxt, r->cap * sizeof(uint32));
	return r;
}

/* Add the buffered ids to the bitmap. */
static inline void
IdRunFlush(IdRun *r)
{
	if (r->n > 0)
		roaring_bitmap_add_many(r->rb, r->n, r->ids);
	r->n = 0;
}

static inline void
IdRunAdd(IdRun *r, uint32 id)
{
	if (r->n == r->cap)
	{
		if (r->cap < PORTRAIT_BUILD_RUN)
		{
			r->cap *= 2;
			r->ids = repalloc(r->ids, r->cap * sizeof(uint32));
		}
		else
			IdRunFlush(r);
	}
	r->ids[r->n++] = id;
}

/* Remember a key the dictionary does not know: its provisional number. */
static uint32
FreshKey(BuildState *st, Datum key)
{
	text	   *t = DatumGetTextPP(key);

	if (st->nfresh == PG_UINT32_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("build_tags: more than %u new customer keys in one build", PG_UINT32_MAX - 1)));
	if (st->nfresh == st->capfresh)
	{
		st->capfresh = st->capfresh == 0 ? 1024 : st->capfresh * 2;
		st->fresh_offsets = st->fresh_offsets == NULL ?
			MemoryContextAllocHuge(st->cxt, st->capfresh * sizeof(uint64)) :
			repalloc_huge(st->fresh_offsets, st->capfresh * sizeof(uint64));
	}
	st->fresh_offsets[st->nfresh] = st->fresh_keys.len;
	appendBinaryStringInfoNT(&st->fresh_keys, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
	appendStringInfoChar(&st->fresh_keys, '\0');
	return st->nfresh++;
}

/* Keep a numeric value of a new key until the key has its id. */
static void
FreshValue(BuildState *st, BuildTag *t, uint32 provisional, uint64 val)
{
	if (t->nfresh == t->capfresh)
	{
		t->capfresh = t->capfresh == 0 ? 1024 : t->capfresh * 2;
		t->fresh_ids = t->fresh_ids == NULL ?
			MemoryContextAllocHuge(st->cxt, t->capfresh * sizeof(uint32)) :
			repalloc_huge(t->fresh_ids, t->capfresh * sizeof(uint32));
		t->fresh_vals = t->fresh_vals == NULL ?
			MemoryContextAllocHuge(st->cxt, t->capfresh * sizeof(uint64)) :
			repalloc_huge(t->fresh_vals, t->capfresh * sizeof(uint64));
	}
	t->fresh_ids[t->nfresh] = provisional;
	t->fresh_vals[t->nfresh] = val;
	t->nfresh++;
}

/*
 * One row of the source: column 1 the dictionary id (NULL for a new key),
 * column 2 the key as text, then one column per tag.
 */
static bool
BuildReceive(TupleTableSlot *slot, DestReceiver *self)
{
	BuildState *st = (BuildState *) self;
	MemoryContext old = MemoryContextSwitchTo(st->cxt);
	bool		fresh;
	uint32		id;

	slot_getallattrs(slot);
	if (slot->tts_isnull[1])
	{
		MemoryContextSwitchTo(old);
		return true;			/* a row without a key belongs to no customer */
	}
	fresh = slot->tts_isnull[0];
	id = fresh ? FreshKey(st, slot->tts_values[1]) : (uint32) DatumGetInt64(slot->tts_values[0]);
	IdRunAdd(fresh ? st->everyone_fresh : st->everyone, id);
	for (int i = 0; i < st->ntags; i++)
	{
		BuildTag   *t = &st->tags[i];
		Datum		v = slot->tts_values[i + 2];
		ValueKey	key;
		ValueEntry *e;
		bool		found;

		if (slot->tts_isnull[i + 2])
			continue;
		if (t->kind == TAG_NUMERIC)
		{
			uint64		val = BsiBuildValue(v, t->type, t->scale);

			if (fresh)
				FreshValue(st, t, id, val);
			else
				BsiBuildAdd(t->bsi, id, val);
			continue;
		}
		key.tag = i;
		if (t->kind == TAG_BOOLEAN)
		{
			if (!DatumGetBool(v))
				continue;
			key.data = "true";
			key.len = 4;
		}
		else
		{
			text	   *s = DatumGetTextPP(v);

			key.data = VARDATA_ANY(s);
			key.len = VARSIZE_ANY_EXHDR(s);
		}
		e = hash_search(st->values, &key, HASH_ENTER, &found);
		if (!found)
		{
			char	   *copy = palloc(key.len + 1);

			memcpy(copy, key.data, key.len);
			copy[key.len] = '\0';
			e->key.data = copy;
			e->known = IdRunNew(st->cxt);
			e->fresh = IdRunNew(st->cxt);
		}
		IdRunAdd(fresh ? e->fresh : e->known, id);
	}
	MemoryContextSwitchTo(old);
	return true;
}

/* Receiver callbacks with nothing to do. */
static void
BuildStartup(DestReceiver *self, int operation, TupleDesc typeinfo)
{
}

static void
BuildShutdown(DestReceiver *self)
{
}

/*
 * Give the new keys their dictionary ids, in batches: the id of each
 * provisional number, in a palloc'd array.
 */
static uint32 *
AssignFresh(BuildState *st, Datum base)
{
	uint32	   *map;
	Oid			types[2] = {TEXTOID, TEXTARRAYOID};
	SPIPlanPtr	assign,
				lookup;

	if (st->nfresh == 0)
		return NULL;
	map = MemoryContextAllocHuge(st->cxt, (Size) st->nfresh * sizeof(uint32));
	assign = SPI_prepare("SELECT portrait.dictionary_assign($1, $2)", 2, types);
	lookup = SPI_prepare("SELECT u.j, d.id FROM pg_catalog.unnest($2) WITH ORDINALITY AS u(k, j) "
						 "JOIN portrait.key_dictionary d ON d.base OPERATOR(pg_catalog.=) $1 "
						 "AND d.key OPERATOR(pg_catalog.=) u.k", 2, types);
	if (assign == NULL || lookup == NULL)
		elog(ERROR, "could not prepare the dictionary queries of build_tags: %s",
			 SPI_result_code_string(SPI_result));
	for (uint64 start = 0; start < st->nfresh; start += PORTRAIT_BUILD_ASSIGN_BATCH)
	{
		uint32		n = Min(st->nfresh - start, PORTRAIT_BUILD_ASSIGN_BATCH);
		Datum	   *keys = palloc(n * sizeof(Datum));
		Datum		args[2];
		ArrayType  *arr;
		uint64		got = 0;

		CHECK_FOR_INTERRUPTS();
		for (uint32 i = 0; i < n; i++)
			keys[i] = CStringGetTextDatum(st->fresh_keys.data + st->fresh_offsets[start + i]);
		arr = construct_array(keys, n, TEXTOID, -1, false, TYPALIGN_INT);
		args[0] = base;
		args[1] = PointerGetDatum(arr);
		if (SPI_execute_plan(assign, args, NULL, false, 0) != SPI_OK_SELECT)
			elog(ERROR, "dictionary_assign failed in build_tags");
		if (SPI_execute_plan(lookup, args, NULL, false, 0) != SPI_OK_SELECT)
			elog(ERROR, "the dictionary lookup of build_tags failed");
		for (uint64 r = 0; r < SPI_processed; r++)
		{
			bool		null1,
						null2;
			int64		j = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 1, &null1));
			int64		id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 2, &null2));

			if (null1 || null2 || j < 1 || j > n)
				elog(ERROR, "the dictionary lookup of build_tags returned an unexpected row");
			map[start + j - 1] = (uint32) id;
			got++;
		}
		if (got != n)
			elog(ERROR, "build_tags found %llu of %u new keys in the dictionary",
				 (unsigned long long) got, n);
		SPI_freetuptable(SPI_tuptable);
		for (uint32 i = 0; i < n; i++)
			pfree(DatumGetPointer(keys[i]));
		pfree(keys);
		pfree(arr);
	}
	return map;
}

/* The ids of a run of provisional numbers, added to the run of known ids. */
static void
MergeFresh(IdRun *known, IdRun *fresh, const uint32 *map)
{
	roaring_uint32_iterator_t it;

	IdRunFlush(fresh);
	IdRunFlush(known);
	roaring_init_iterator(fresh->rb, &it);
	while (it.has_value)
	{
		IdRunAdd(known, map[it.current_value]);
		roaring_advance_uint32_iterator(&it);
	}
	IdRunFlush(known);
}

/* The OID of a portrait type. */
static Oid
PortraitType(const char *name)
{
	return typenameTypeId(NULL, makeTypeNameFromNameList(list_make2(makeString("portrait"), makeString(pstrdup(name)))));
}

/* The query's expression of a tag's column: cast to what the build reads. */
static const char *
TagColumn(BuildTag *t, const char *column, Oid coltype)
{
	const char *col = quote_identifier(column);

	switch (t->kind)
	{
		case TAG_BOOLEAN:
			return psprintf("s.%s::pg_catalog.bool", col);
		case TAG_CATEGORICAL:
			return psprintf("s.%s::pg_catalog.text", col);
		case TAG_NUMERIC:
			if (coltype == INT2OID || coltype == INT4OID || coltype == INT8OID)
				t->type = INT8OID;
			else if (coltype == FLOAT4OID || coltype == FLOAT8OID)
				t->type = FLOAT8OID;
			else
				t->type = NUMERICOID;
			return psprintf("s.%s::pg_catalog.%s", col,
							t->type == INT8OID ? "int8" : t->type == FLOAT8OID ? "float8" : "numeric");
	}
	return NULL;
}

/* Run a statement of the build's writes with the given arguments. */
static uint64
BuildWrite(SPIPlanPtr plan, Datum *args, int expect)
{
	int			rc = SPI_execute_plan(plan, args, NULL, false, 0);

	if (rc != expect)
		elog(ERROR, "a write of build_tags failed: %s", SPI_result_code_string(rc));
	return SPI_processed;
}

/* Prepare one of the build's writes, or an internal error. */
static SPIPlanPtr
BuildPrepare(const char *sql, int nargs, Oid *types)
{
	SPIPlanPtr	plan = SPI_prepare(sql, nargs, types);

	if (plan == NULL)
		elog(ERROR, "could not prepare a write of build_tags: %s", SPI_result_code_string(SPI_result));
	return plan;
}

/* A text[] of names. */
static Datum
NameArray(List *names)
{
	int			n = list_length(names);
	Datum	   *d = palloc((n + 1) * sizeof(Datum));
	int			i = 0;
	ListCell   *lc;

	foreach(lc, names)
		d[i++] = CStringGetTextDatum((char *) lfirst(lc));
	return PointerGetDatum(construct_array(d, n, TEXTOID, -1, false, TYPALIGN_INT));
}

/*
 * The build from a FROM item (a relation or a query in parentheses): what
 * build_tags returns, the number of tag bitmaps and numeric indexes written.
 */
static int64
BuildTags(Datum base, const char *from, const char *shown, const char *key_column,
		  Datum snapshot, int32 keep, bool has_keep)
{
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "portrait build_tags",
											  ALLOCSET_DEFAULT_SIZES);
	MemoryContext old;
	BuildState *st;
	TupleDesc	cols;
	int			keyatt = -1;
	StringInfoData sql;
	List	   *cat_names = NIL,
			   *num_names = NIL;
	Oid			basetype = TEXTOID;
	SPIPlanPtr	plan;
	SPIExecuteOptions opts;
	ParamListInfo params;
	HASHCTL		hctl;
	uint32	   *map;
	int64		written = 0;
	Oid			bitmaptype,
				bsitype;

	TrainerConnect();
	old = MemoryContextSwitchTo(cxt);
	cols = TrainerSourceColumns(from);
	for (int i = 0; i < cols->natts; i++)
		if (!TupleDescAttr(cols, i)->attisdropped &&
			strcmp(NameStr(TupleDescAttr(cols, i)->attname), key_column) == 0)
			keyatt = i;
	if (keyatt < 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("column \"%s\" does not exist in the source of build_tags", key_column),
				 errdetail("The source is %s.", shown)));

	st = palloc0(sizeof(BuildState));
	st->cxt = cxt;
	st->pub.receiveSlot = BuildReceive;
	st->pub.rStartup = BuildStartup;
	st->pub.rShutdown = BuildShutdown;
	st->pub.rDestroy = BuildShutdown;
	st->pub.mydest = DestTuplestore;	/* as RETURN QUERY's: SPI keeps no tuples */
	initStringInfo(&st->fresh_keys);

	/* the tags of the library whose column the source has */
	if (SPI_execute("SELECT t.name, t.value_type, t.source_column, t.scale FROM portrait.tag t "
					"ORDER BY t.name COLLATE \"C\"", true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the tag library");
	st->tags = palloc0((SPI_processed + 1) * sizeof(BuildTag));
	initStringInfo(&sql);
	appendStringInfo(&sql, "SELECT d.id, s.%s::pg_catalog.text", quote_identifier(key_column));
	for (uint64 r = 0; r < SPI_processed; r++)
	{
		HeapTuple	tup = SPI_tuptable->vals[r];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		char	   *column = SPI_getvalue(tup, desc, 3);
		char	   *type = SPI_getvalue(tup, desc, 2);
		BuildTag   *t = &st->tags[st->ntags];
		Oid			coltype = InvalidOid;
		bool		null;

		for (int i = 0; i < cols->natts; i++)
			if (!TupleDescAttr(cols, i)->attisdropped &&
				strcmp(NameStr(TupleDescAttr(cols, i)->attname), column) == 0)
				coltype = TupleDescAttr(cols, i)->atttypid;
		if (coltype == InvalidOid)
			continue;
		t->name = SPI_getvalue(tup, desc, 1);
		t->kind = strcmp(type, "boolean") == 0 ? TAG_BOOLEAN :
			strcmp(type, "categorical") == 0 ? TAG_CATEGORICAL : TAG_NUMERIC;
		t->scale = DatumGetInt32(SPI_getbinval(tup, desc, 4, &null));
		appendStringInfo(&sql, ", %s", TagColumn(t, column, coltype));
		if (t->kind == TAG_NUMERIC)
		{
			t->bsi = BsiBuildNew(cxt, t->scale);
			num_names = lappend(num_names, t->name);
		}
		else
			cat_names = lappend(cat_names, t->name);
		st->ntags++;
	}
	SPI_freetuptable(SPI_tuptable);
	if (st->ntags == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("build_tags: no tag of the library is built from a column of the source"),
				 errdetail("The source is %s.", shown),
				 errhint("Define tags in portrait.tag whose source_column is a column of the source.")));
	appendStringInfo(&sql, " FROM (SELECT * FROM %s) s LEFT JOIN portrait.key_dictionary d "
					 "ON d.base OPERATOR(pg_catalog.=) $1 AND d.key OPERATOR(pg_catalog.=) s.%s::pg_catalog.text",
					 from, quote_identifier(key_column));

	memset(&hctl, 0, sizeof(hctl));
	hctl.keysize = sizeof(ValueKey);
	hctl.entrysize = sizeof(ValueEntry);
	hctl.hash = ValueHash;
	hctl.match = ValueMatch;
	hctl.hcxt = cxt;
	st->values = hash_create("portrait build_tags values", 256, &hctl,
							 HASH_ELEM | HASH_FUNCTION | HASH_COMPARE | HASH_CONTEXT);
	st->everyone = IdRunNew(cxt);
	st->everyone_fresh = IdRunNew(cxt);

	/* the one pass */
	plan = SPI_prepare_cursor(sql.data, 1, &basetype, CURSOR_OPT_PARALLEL_OK);
	if (plan == NULL)
		elog(ERROR, "could not prepare the scan of build_tags: %s", SPI_result_code_string(SPI_result));
	params = makeParamList(1);
	params->params[0].value = base;
	params->params[0].isnull = false;
	params->params[0].pflags = PARAM_FLAG_CONST;
	params->params[0].ptype = TEXTOID;
	memset(&opts, 0, sizeof(opts));
	opts.params = params;
	opts.read_only = true;
	opts.dest = &st->pub;
	if (SPI_execute_plan_extended(plan, &opts) != SPI_OK_SELECT)
		elog(ERROR, "the scan of build_tags failed");

	/* new keys get their ids; provisional numbers become ids */
	map = AssignFresh(st, base);
	if (map != NULL)
	{
		HASH_SEQ_STATUS seq;
		ValueEntry *e;

		MergeFresh(st->everyone, st->everyone_fresh, map);
		hash_seq_init(&seq, st->values);
		while ((e = hash_seq_search(&seq)) != NULL)
			MergeFresh(e->known, e->fresh, map);
		for (int i = 0; i < st->ntags; i++)
			for (uint32 k = 0; k < st->tags[i].nfresh; k++)
				BsiBuildAdd(st->tags[i].bsi, map[st->tags[i].fresh_ids[k]], st->tags[i].fresh_vals[k]);
	}
	IdRunFlush(st->everyone);

	/* the writes: this snapshot's bitmaps and indexes of the tags built replace the old */
	bitmaptype = PortraitType("bitmap");
	bsitype = PortraitType("bsi");
	{
		Oid			deltypes[3] = {TEXTOID, DATEOID, TEXTARRAYOID};
		Oid			instypes[5] = {TEXTOID, TEXTOID, TEXTOID, DATEOID, bitmaptype};
		Oid			numtypes[4] = {TEXTOID, TEXTOID, DATEOID, bsitype};
		Oid			poptypes[3] = {TEXTOID, DATEOID, bitmaptype};
		SPIPlanPtr	del_bitmaps = BuildPrepare("DELETE FROM portrait.tag_bitmap b WHERE b.base OPERATOR(pg_catalog.=) $1 "
											   "AND b.snapshot OPERATOR(pg_catalog.=) $2 AND b.tag OPERATOR(pg_catalog.=) ANY ($3)",
											   3, deltypes);
		SPIPlanPtr	del_numeric = BuildPrepare("DELETE FROM portrait.tag_numeric n WHERE n.base OPERATOR(pg_catalog.=) $1 "
											   "AND n.snapshot OPERATOR(pg_catalog.=) $2 AND n.tag OPERATOR(pg_catalog.=) ANY ($3)",
											   3, deltypes);
		SPIPlanPtr	ins_bitmap = BuildPrepare("INSERT INTO portrait.tag_bitmap (base, tag, value, snapshot, members) "
											  "VALUES ($1, $2, $3, $4, $5)", 5, instypes);
		SPIPlanPtr	ins_numeric = BuildPrepare("INSERT INTO portrait.tag_numeric (base, tag, snapshot, members) "
											   "VALUES ($1, $2, $3, $4)", 4, numtypes);
		SPIPlanPtr	ins_pop = BuildPrepare("INSERT INTO portrait.tag_snapshot AS t (base, snapshot, members) VALUES ($1, $2, $3) "
										   "ON CONFLICT (base, snapshot) DO UPDATE SET members = excluded.members, "
										   "built = pg_catalog.now()", 3, poptypes);
		Datum		args[5];
		HASH_SEQ_STATUS seq;
		ValueEntry *e;

		args[0] = base;
		args[1] = snapshot;
		args[2] = NameArray(cat_names);
		BuildWrite(del_bitmaps, args, SPI_OK_DELETE);
		args[2] = NameArray(num_names);
		BuildWrite(del_numeric, args, SPI_OK_DELETE);

		hash_seq_init(&seq, st->values);
		while ((e = hash_seq_search(&seq)) != NULL)
		{
			MemoryContext row = AllocSetContextCreate(cxt, "portrait build_tags row", ALLOCSET_DEFAULT_SIZES);
			MemoryContext prev = MemoryContextSwitchTo(row);

			CHECK_FOR_INTERRUPTS();
			IdRunFlush(e->known);
			args[0] = base;
			args[1] = CStringGetTextDatum(st->tags[e->key.tag].name);
			args[2] = CStringGetTextDatum(e->key.data);
			args[3] = snapshot;
			args[4] = BitmapResult(e->known->rb);
			written += BuildWrite(ins_bitmap, args, SPI_OK_INSERT);
			MemoryContextSwitchTo(prev);
			MemoryContextDelete(row);
		}
		for (int i = 0; i < st->ntags; i++)
		{
			if (st->tags[i].kind != TAG_NUMERIC)
				continue;
			CHECK_FOR_INTERRUPTS();
			args[0] = base;
			args[1] = CStringGetTextDatum(st->tags[i].name);
			args[2] = snapshot;
			args[3] = BsiBuildResult(st->tags[i].bsi);
			written += BuildWrite(ins_numeric, args, SPI_OK_INSERT);
		}
		args[0] = base;
		args[1] = snapshot;
		args[2] = BitmapResult(st->everyone->rb);
		BuildWrite(ins_pop, args, SPI_OK_INSERT);
	}

	/* retention: the newest keep snapshots of the base */
	if (has_keep)
	{
		static const char *const tables[] = {"tag_bitmap", "tag_numeric", "tag_snapshot"};
		Oid			keeptypes[2] = {TEXTOID, INT4OID};
		Datum		args[2] = {base, Int32GetDatum(keep)};

		for (int i = 0; i < (int) lengthof(tables); i++)
		{
			SPIPlanPtr	p = BuildPrepare(psprintf("DELETE FROM portrait.%s x WHERE x.base OPERATOR(pg_catalog.=) $1 "
												  "AND x.snapshot OPERATOR(pg_catalog.<) ALL (SELECT s.snapshot FROM "
												  "(SELECT DISTINCT c.snapshot FROM portrait.tag_snapshot c "
												  "WHERE c.base OPERATOR(pg_catalog.=) $1 ORDER BY c.snapshot DESC LIMIT $2) s)",
												  tables[i]), 2, keeptypes);

			BuildWrite(p, args, SPI_OK_DELETE);
		}
	}

	MemoryContextSwitchTo(old);
	SPI_finish();
	MemoryContextDelete(cxt);
	return written;
}

/* The arguments every form of build_tags checks. */
static void
BuildArgs(FunctionCallInfo fcinfo, const char *source_arg)
{
	for (int i = 0; i < 4; i++)
		if (PG_ARGISNULL(i))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("build_tags: base, %s, key_column and snapshot must not be NULL", source_arg)));
	if (!PG_ARGISNULL(4) && PG_GETARG_INT32(4) < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("build_tags: keep_snapshots must be at least 1")));
}

/* build_tags(base, profile regclass, key_column, snapshot, keep_snapshots) */
Datum
pp_build_tags(PG_FUNCTION_ARGS)
{
	char	   *from;

	BuildArgs(fcinfo, "profile");
	from = TrainerRelationFrom(PG_GETARG_OID(1));
	PG_RETURN_INT64(BuildTags(PG_GETARG_DATUM(0), from, from, text_to_cstring(PG_GETARG_TEXT_PP(2)),
							  PG_GETARG_DATUM(3), PG_ARGISNULL(4) ? 0 : PG_GETARG_INT32(4), !PG_ARGISNULL(4)));
}

/* build_tags(base, source text: a relation's name or a query, key_column, snapshot, keep_snapshots) */
Datum
pp_build_tags_source(PG_FUNCTION_ARGS)
{
	char	   *source;

	BuildArgs(fcinfo, "source");
	source = text_to_cstring(PG_GETARG_TEXT_PP(1));
	PG_RETURN_INT64(BuildTags(PG_GETARG_DATUM(0), TrainerSourceFrom(source, "build_tags"), source,
							  text_to_cstring(PG_GETARG_TEXT_PP(2)),
							  PG_GETARG_DATUM(3), PG_ARGISNULL(4) ? 0 : PG_GETARG_INT32(4), !PG_ARGISNULL(4)));
}
