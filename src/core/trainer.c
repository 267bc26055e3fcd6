/*
 * trainer.c
 *		What the streaming trainers (kmeans_train, logit_train) share: the
 *		caller's source as a FROM item, and their internal queries, checked
 *		before anything of them runs.
 *
 * The source is the caller's text and runs with the caller's rights and
 * search_path; everything the trainers add around it is schema-qualified
 * (operators as OPERATOR(pg_catalog.x), arguments cast to exact types), so
 * that an object planted on the caller's search_path is never called by
 * our part of the query.
 */
#include "postgres.h"

#include <ctype.h>

#include "catalog/namespace.h"
#include "executor/spi.h"
#include "nodes/parsenodes.h"
#include "parser/parser.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/plancache.h"
#include "utils/regproc.h"

#include "portrait.h"

/* Whether source looks like a query (else it names a relation). */
static bool
LooksLikeQuery(const char *s)
{
	static const char *const words[] = {"select", "with", "values", "table"};

	for (;;)
	{
		while (isspace((unsigned char) *s))
			s++;
		if (s[0] == '-' && s[1] == '-')
			s += strcspn(s, "\n");
		else if (s[0] == '/' && s[1] == '*' && strstr(s + 2, "*/") != NULL)
			s = strstr(s + 2, "*/") + 2;
		else
			break;
	}
	if (*s == '(' || *s == '\0')
		return true;
	for (int i = 0; i < (int) lengthof(words); i++)
	{
		size_t		len = strlen(words[i]);

		if (pg_strncasecmp(s, words[i], len) == 0 &&
			(s[len] == '\0' || isspace((unsigned char) s[len]) || s[len] == '('))
			return true;
	}
	return false;
}

/* A relation as a FROM item: its quoted, schema-qualified name. */
char *
TrainerRelationFrom(Oid relid)
{
	char	   *rel = get_rel_name(relid);

	if (rel == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", relid)));
	return quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)), rel);
}

typedef struct SourceErrorArg
{
	const char *source;
	const char *func;
} SourceErrorArg;

/* A syntax error in the source points into the source, not the caller's statement. */
static void
SourceErrorCallback(void *arg)
{
	SourceErrorArg *a = arg;
	int			pos = geterrposition();

	if (pos > 0)
	{
		errposition(0);
		internalerrposition(pos);
		internalerrquery(a->source);
	}
	errcontext("source of %s", a->func);
}

/*
 * The text of the one query in source, or an error (42601) if source is not
 * exactly one SELECT (VALUES, TABLE and WITH ... SELECT are SELECTs too).
 * The text returned is that statement alone, without a trailing semicolon,
 * so that it can stand in parentheses as a subquery: a source that parses as
 * one query by itself cannot close the parentheses around it.
 */
char *
TrainerSingleQuery(const char *source, const char *func)
{
	SourceErrorArg arg = {source, func};
	ErrorContextCallback cb = {error_context_stack, SourceErrorCallback, &arg};
	List	   *raw;
	RawStmt    *rs;
	int			len;

	error_context_stack = &cb;
	raw = raw_parser(source, RAW_PARSE_DEFAULT);
	error_context_stack = cb.previous;

	if (list_length(raw) != 1 || !IsA(((RawStmt *) linitial(raw))->stmt, SelectStmt) ||
		((SelectStmt *) ((RawStmt *) linitial(raw))->stmt)->intoClause != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_SYNTAX_ERROR),
				 errmsg("the source of %s must be a single query", func),
				 errdetail("The source holds %s.",
						   list_length(raw) == 0 ? "no statement" :
						   list_length(raw) > 1 ? "more than one statement" : "a statement that is not a plain SELECT"),
				 errhint("Pass one SELECT (or VALUES, TABLE, WITH ... SELECT).")));
	rs = linitial(raw);
	len = rs->stmt_len > 0 ? rs->stmt_len : (int) strlen(source) - rs->stmt_location;
	return pnstrdup(source + rs->stmt_location, len);
}

/*
 * The FROM item of a trainer's text source: a single query in parentheses
 * with an alias, or the relation it names.
 */
char *
TrainerSourceFrom(const char *source, const char *func)
{
	if (LooksLikeQuery(source))
		return psprintf("(%s\n) AS portrait_source", TrainerSingleQuery(source, func));
	return TrainerRelationFrom(RangeVarGetRelid(makeRangeVarFromNameList(stringToQualifiedNameList(source)),
												NoLock, false));
}

/*
 * The columns of a source (a FROM item from TrainerSourceFrom or
 * TrainerRelationFrom): its row type, copied into the current memory
 * context.  SPI must be connected.
 */
TupleDesc
TrainerSourceColumns(const char *from)
{
	SPIPlanPtr	plan = SPI_prepare(psprintf("SELECT * FROM %s LIMIT 0", from), 0, NULL);
	List	   *sources;
	CachedPlanSource *ps;
	TupleDesc	desc;

	if (plan == NULL)
		elog(ERROR, "could not prepare the columns of a source: %s", SPI_result_code_string(SPI_result));
	sources = SPI_plan_get_plan_sources(plan);
	ps = list_length(sources) == 1 ? linitial(sources) : NULL;
	if (ps == NULL || ps->resultDesc == NULL)
		elog(ERROR, "a source does not have the shape of a query");
	desc = CreateTupleDescCopy(ps->resultDesc);
	SPI_freeplan(plan);
	return desc;
}

/* SPI_connect, or an internal error. */
void
TrainerConnect(void)
{
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
}

/* Whether desc has natts columns, each of type types[i] (types[0] for all when ntypes is 1). */
static bool
ShapeIs(TupleDesc desc, int natts, const Oid *types, int ntypes)
{
	if (desc == NULL || desc->natts != natts)
		return false;
	for (int i = 0; i < natts; i++)
		if (TupleDescAttr(desc, i)->atttypid != types[ntypes == 1 ? 0 : i])
			return false;
	return true;
}

/*
 * Prepare one of a trainer's internal queries: it must plan to a single
 * SELECT whose result has natts columns of the given types (one type for
 * all when ntypes is 1), else an internal error: the source was checked
 * before, so anything else means the query is not what it was built to be.
 */
SPIPlanPtr
TrainerPrepare(const char *sql, int nargs, Oid *argtypes, int natts, const Oid *types, int ntypes)
{
	SPIPlanPtr	plan = SPI_prepare_cursor(sql, nargs, argtypes, CURSOR_OPT_PARALLEL_OK);
	List	   *sources;
	CachedPlanSource *ps;

	if (plan == NULL)
		elog(ERROR, "could not prepare a trainer query: %s", SPI_result_code_string(SPI_result));
	sources = SPI_plan_get_plan_sources(plan);
	ps = list_length(sources) == 1 ? linitial(sources) : NULL;
	if (ps == NULL || ps->commandTag != CMDTAG_SELECT || !ShapeIs(ps->resultDesc, natts, types, ntypes))
		elog(ERROR, "a trainer query does not have the expected shape");
	return plan;
}

/*
 * Run a prepared trainer query and check that it returned one row of the
 * prepared shape (the plan may have been re-planned since it was prepared).
 */
HeapTuple
TrainerRun(SPIPlanPtr plan, Datum *values, int natts, const Oid *types, int ntypes, TupleDesc *desc)
{
	int			rc = SPI_execute_plan(plan, values, NULL, true, 0);

	if (rc != SPI_OK_SELECT || SPI_processed != 1 || SPI_tuptable == NULL ||
		!ShapeIs(SPI_tuptable->tupdesc, natts, types, ntypes))
		elog(ERROR, "a trainer query returned an unexpected result: %s", SPI_result_code_string(rc));
	*desc = SPI_tuptable->tupdesc;
	return SPI_tuptable->vals[0];
}

/* TrainerRun of a one-column query: its value (isnull set). */
Datum
TrainerRunValue(SPIPlanPtr plan, Datum *values, Oid type, bool *isnull)
{
	TupleDesc	desc;
	HeapTuple	tup = TrainerRun(plan, values, 1, &type, 1, &desc);

	return SPI_getbinval(tup, desc, 1, isnull);
}

/* A float8[] datum of n values. */
Datum
PortraitFloat8ArrayDatum(const double *v, int n)
{
	Datum	   *elems = palloc(sizeof(Datum) * n);

	for (int i = 0; i < n; i++)
		elems[i] = Float8GetDatum(v[i]);
	return PointerGetDatum(construct_array(elems, n, FLOAT8OID, sizeof(double),
										   FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

/*
 * A float8[] of len zeros in the aggregate context: the state of the
 * trainers' per-scan aggregates (kmeans_stats, kmeans_step, logit_step),
 * added to in place row by row, a real SQL type that partial aggregation
 * can pass as text.
 */
ArrayType *
TrainerSumsNew(FunctionCallInfo fcinfo, int len)
{
	MemoryContext old = MemoryContextSwitchTo(PortraitAggContext(fcinfo));
	Datum	   *zeros = palloc0(sizeof(Datum) * len);
	ArrayType  *a;

	for (int i = 0; i < len; i++)
		zeros[i] = Float8GetDatum(0.0);
	a = construct_array(zeros, len, FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE);
	MemoryContextSwitchTo(old);
	pfree(zeros);
	return a;
}
