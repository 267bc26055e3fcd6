/*
 * audience.c
 *		Audiences: expressions over the tag library (segment = 'Champions'
 *		AND NOT churn_risk >= 0.7 AS OF '2026-11-01'), parsed here by a
 *		recursive descent parser and evaluated on the tag bitmaps, and what
 *		is computed from their bitmaps: counts, overlaps and profiles.
 *
 * An expression is never turned into SQL: the tag bitmaps are read through
 * SPI with the tag, the value and the snapshot as parameters, with the
 * caller's privileges (the functions are SECURITY INVOKER).
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/varlena.h"

#include "portrait.h"
#include "tags.h"

/* Limits: nesting of NOT and parentheses, audiences of one overlap. */
#define PORTRAIT_AUDIENCE_MAX_DEPTH		200
#define PORTRAIT_AUDIENCE_MAX_OVERLAP	16
#define PORTRAIT_AUDIENCE_EXCERPT		24	/* characters shown around an error */
#define PORTRAIT_AUDIENCE_HINT_NAMES	5

PG_FUNCTION_INFO_V1(pp_audience);
PG_FUNCTION_INFO_V1(pp_audience_count);
PG_FUNCTION_INFO_V1(pp_audience_check);
PG_FUNCTION_INFO_V1(pp_audience_overlap);
PG_FUNCTION_INFO_V1(pp_audience_profile);

typedef enum TokKind
{
	T_EOF,
	T_IDENT,					/* unquoted: may be a keyword */
	T_QIDENT,					/* "double quoted" */
	T_STRING,
	T_NUMBER,
	T_LPAREN,
	T_RPAREN,
	T_COMMA,
	T_OP
} TokKind;

typedef struct Token
{
	TokKind		kind;
	int			off;			/* byte offset in the expression */
	char	   *text;			/* identifier, string or number, decoded */
	BsiOp		op;
} Token;

typedef enum LitKind
{
	LIT_STRING,
	LIT_NUMBER,
	LIT_BOOL
} LitKind;

typedef struct AudLit
{
	LitKind		kind;
	char	   *text;			/* the string, the number as written, true/false */
	int			off;
} AudLit;

typedef enum NodeKind
{
	N_AND,
	N_OR,
	N_NOT,
	N_COND
} NodeKind;

typedef enum CondKind
{
	C_CMP,						/* tag op literal */
	C_IN,						/* tag [NOT] IN (literals) */
	C_BETWEEN,					/* tag [NOT] BETWEEN lo AND hi */
	C_HAS,						/* has(tag) */
	C_BARE						/* a boolean tag alone */
} CondKind;

typedef struct AudTag
{
	char	   *name;
	char		type;			/* 'b'oolean, 'c'ategorical, 'n'umeric */
} AudTag;

typedef struct AudNode
{
	NodeKind	kind;
	int			nchildren;
	struct AudNode **children;
	/* conditions */
	CondKind	cond;
	bool		negated;		/* NOT IN, NOT BETWEEN */
	BsiOp		op;
	char	   *tagname;
	int			tagoff;
	AudTag	   *tag;
	int			nlits;
	AudLit	   *lits;
} AudNode;

typedef struct Parser
{
	const char *src;
	Token	   *toks;
	int			ntoks;
	int			pos;
	int			depth;
} Parser;

/* An expression being evaluated for one base and snapshot. */
typedef struct Audience
{
	const char *expr;
	AudNode    *root;
	bool		has_asof;
	DateADT		asof;
	text	   *base;
	DateADT		snapshot;
	roaring_bitmap_t *population;
	List	   *tags;			/* AudTag * */
	MemoryContext cxt;			/* the bitmaps */
} Audience;

/* ---------- errors ---------- */

/* 1-based character position of byte offset off of src. */
static int
CharPos(const char *src, int off)
{
	return pg_mbstrlen_with_len(src, off) + 1;
}

/* A few characters of src from byte offset off, cut at a character boundary. */
static char *
Excerpt(const char *src, int off)
{
	const char *p = src + off;
	int			len = strlen(p);
	int			cut = pg_mbcharcliplen(p, len, PORTRAIT_AUDIENCE_EXCERPT);

	if (len == 0)
		return pstrdup("end of expression");
	return psprintf("\"%.*s%s\"", cut, p, cut < len ? "..." : "");
}

static void
SyntaxError(const char *src, int off, const char *what) pg_attribute_noreturn();

/* 22P02 at byte offset off: the position in the message, an excerpt in the detail. */
static void
SyntaxError(const char *src, int off, const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("syntax error in audience expression at character %d: %s", CharPos(src, off), what),
			 errdetail("At %s.", Excerpt(src, off))));
}

/* ---------- lexer ---------- */

/* Unquoted tag names: letters, _ and non-ASCII bytes (UTF-8), then digits too. */
static inline bool
IdentStart(unsigned char c)
{
	return isalpha(c) || c == '_' || c >= 0x80;
}

static inline bool
IdentChar(unsigned char c)
{
	return IdentStart(c) || isdigit(c);
}

/* Read a quoted token from *p (quote q, doubled to escape it). */
static char *
ReadQuoted(const char *src, const char **p, char q, const char *what)
{
	StringInfoData buf;
	const char *start = *p;
	const char *s = *p + 1;

	initStringInfo(&buf);
	for (;;)
	{
		if (*s == '\0')
			SyntaxError(src, start - src, psprintf("unterminated %s", what));
		if (*s == q)
		{
			if (s[1] != q)
				break;
			s++;
		}
		appendStringInfoChar(&buf, *s);
		s++;
	}
	*p = s + 1;
	return buf.data;
}

/* Split src into tokens (the last is T_EOF). */
static Token *
Tokenize(const char *src, int *ntoks)
{
	int			cap = 16;
	int			n = 0;
	Token	   *toks = palloc(sizeof(Token) * cap);
	const char *p = src;

	for (;;)
	{
		Token	   *t;
		unsigned char c;

		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\f' || *p == '\v')
			p++;
		if (n == cap)
		{
			cap *= 2;
			toks = repalloc(toks, sizeof(Token) * cap);
		}
		t = &toks[n++];
		memset(t, 0, sizeof(Token));
		t->off = p - src;
		c = (unsigned char) *p;
		if (c == '\0')
		{
			t->kind = T_EOF;
			break;
		}
		if (c == '(' || c == ')' || c == ',')
		{
			t->kind = c == '(' ? T_LPAREN : c == ')' ? T_RPAREN : T_COMMA;
			p++;
		}
		else if (c == '\'')
		{
			t->kind = T_STRING;
			t->text = ReadQuoted(src, &p, '\'', "string literal");
		}
		else if (c == '"')
		{
			t->kind = T_QIDENT;
			t->text = ReadQuoted(src, &p, '"', "quoted tag name");
			if (t->text[0] == '\0')
				SyntaxError(src, t->off, "a quoted tag name must not be empty");
		}
		else if (c == '=' || c == '<' || c == '>' || c == '!')
		{
			t->kind = T_OP;
			if (c == '=')
				t->op = BSI_EQ, p++;
			else if (c == '!' && p[1] == '=')
				t->op = BSI_NE, p += 2;
			else if (c == '<' && p[1] == '>')
				t->op = BSI_NE, p += 2;
			else if (c == '<' && p[1] == '=')
				t->op = BSI_LE, p += 2;
			else if (c == '>' && p[1] == '=')
				t->op = BSI_GE, p += 2;
			else if (c == '<')
				t->op = BSI_LT, p++;
			else if (c == '>')
				t->op = BSI_GT, p++;
			else
				SyntaxError(src, t->off, "unexpected character");
		}
		else if (isdigit(c) || c == '.' || ((c == '-' || c == '+') && (isdigit((unsigned char) p[1]) || p[1] == '.')))
		{
			/* a decimal constant: [sign] digits [. digits], or [sign] . digits */
			const char *s = p;
			bool		digits = false;

			if (*s == '-' || *s == '+')
				s++;
			while (isdigit((unsigned char) *s))
				s++, digits = true;
			if (*s == '.')
			{
				s++;
				while (isdigit((unsigned char) *s))
					s++, digits = true;
			}
			if (!digits || IdentChar((unsigned char) *s) || *s == '.')
				SyntaxError(src, t->off, "invalid number");
			t->kind = T_NUMBER;
			t->text = pnstrdup(p, s - p);
			p = s;
		}
		else if (IdentStart(c))
		{
			const char *s = p;

			while (IdentChar((unsigned char) *s))
				s++;
			t->kind = T_IDENT;
			t->text = pnstrdup(p, s - p);
			p = s;
		}
		else
			SyntaxError(src, t->off, "unexpected character");
	}
	*ntoks = n;
	return toks;
}

/* ---------- parser ---------- */

/* The token under the parser. */
static inline Token *
Cur(Parser *ps)
{
	return &ps->toks[ps->pos];
}

/* Whether t is keyword kw (unquoted, any case). */
static inline bool
IsKeyword(const Token *t, const char *kw)
{
	return t->kind == T_IDENT && pg_strcasecmp(t->text, kw) == 0;
}

/* A keyword an unquoted tag name cannot be. */
static bool
IsReserved(const Token *t)
{
	static const char *const words[] = {"and", "or", "not", "in", "between", "as", "of", "true", "false"};

	for (int i = 0; i < (int) lengthof(words); i++)
		if (IsKeyword(t, words[i]))
			return true;
	return false;
}

/* Step over a token of kind, or 22P02 saying what was expected. */
static void
Expect(Parser *ps, TokKind kind, const char *what)
{
	if (Cur(ps)->kind != kind)
		SyntaxError(ps->src, Cur(ps)->off, psprintf("expected %s", what));
	ps->pos++;
}

static AudNode *ParseOr(Parser *ps);

/* A literal: 'string', a number, true or false. */
static void
ParseLiteral(Parser *ps, AudLit *lit)
{
	Token	   *t = Cur(ps);

	lit->off = t->off;
	if (t->kind == T_STRING)
		lit->kind = LIT_STRING, lit->text = t->text;
	else if (t->kind == T_NUMBER)
		lit->kind = LIT_NUMBER, lit->text = t->text;
	else if (IsKeyword(t, "true") || IsKeyword(t, "false"))
		lit->kind = LIT_BOOL, lit->text = IsKeyword(t, "true") ? "true" : "false";
	else
		SyntaxError(ps->src, t->off, "expected a value (a 'string', a number, true or false)");
	ps->pos++;
}

/* A tag name: an identifier that is not a keyword, or a quoted name. */
static char *
ParseTagName(Parser *ps, int *off)
{
	Token	   *t = Cur(ps);

	if (t->kind == T_QIDENT || (t->kind == T_IDENT && !IsReserved(t)))
	{
		*off = t->off;
		ps->pos++;
		return t->text;
	}
	SyntaxError(ps->src, t->off, t->kind == T_IDENT ?
				psprintf("\"%s\" is a keyword: quote a tag of that name as \"%s\"", t->text, t->text) :
				"expected a tag name or \"(\"");
}

/* A new condition node on the tag named at byte offset tagoff. */
static AudNode *
NewCond(CondKind cond, char *tagname, int tagoff)
{
	AudNode    *n = palloc0(sizeof(AudNode));

	n->kind = N_COND;
	n->cond = cond;
	n->tagname = tagname;
	n->tagoff = tagoff;
	return n;
}

/* A condition on one tag. */
static AudNode *
ParseCondition(Parser *ps)
{
	Token	   *t = Cur(ps);
	AudNode    *n;
	char	   *name;
	int			off;

	if (IsKeyword(t, "has") && ps->toks[ps->pos + 1].kind == T_LPAREN)
	{
		ps->pos += 2;
		name = ParseTagName(ps, &off);
		Expect(ps, T_RPAREN, "\")\"");
		return NewCond(C_HAS, name, off);
	}
	name = ParseTagName(ps, &off);
	t = Cur(ps);
	if (t->kind == T_OP)
	{
		n = NewCond(C_CMP, name, off);
		n->op = t->op;
		ps->pos++;
		n->nlits = 1;
		n->lits = palloc(sizeof(AudLit));
		ParseLiteral(ps, &n->lits[0]);
		return n;
	}
	n = NewCond(C_BARE, name, off);
	if (IsKeyword(t, "not") && (IsKeyword(&ps->toks[ps->pos + 1], "in") ||
								IsKeyword(&ps->toks[ps->pos + 1], "between")))
	{
		n->negated = true;
		ps->pos++;
		t = Cur(ps);
	}
	if (IsKeyword(t, "in"))
	{
		int			cap = 4;

		n->cond = C_IN;
		ps->pos++;
		Expect(ps, T_LPAREN, "\"(\" after IN");
		n->lits = palloc(sizeof(AudLit) * cap);
		for (;;)
		{
			if (n->nlits == cap)
			{
				cap *= 2;
				n->lits = repalloc(n->lits, sizeof(AudLit) * cap);
			}
			ParseLiteral(ps, &n->lits[n->nlits++]);
			if (Cur(ps)->kind != T_COMMA)
				break;
			ps->pos++;
		}
		Expect(ps, T_RPAREN, "\",\" or \")\" in the IN list");
	}
	else if (IsKeyword(t, "between"))
	{
		n->cond = C_BETWEEN;
		ps->pos++;
		n->nlits = 2;
		n->lits = palloc(sizeof(AudLit) * 2);
		ParseLiteral(ps, &n->lits[0]);
		if (!IsKeyword(Cur(ps), "and"))
			SyntaxError(ps->src, Cur(ps)->off, "expected AND in BETWEEN");
		ps->pos++;
		ParseLiteral(ps, &n->lits[1]);
	}
	return n;
}

/* 54001 past the nesting limit; the stack is checked as well. */
static void
Enter(Parser *ps)
{
	if (++ps->depth > PORTRAIT_AUDIENCE_MAX_DEPTH)
		ereport(ERROR,
				(errcode(ERRCODE_STATEMENT_TOO_COMPLEX),
				 errmsg("audience expression is nested too deeply at character %d",
						CharPos(ps->src, Cur(ps)->off)),
				 errdetail("At most %d levels of parentheses and NOT are allowed.", PORTRAIT_AUDIENCE_MAX_DEPTH)));
	check_stack_depth();
}

/* NOT primary, ( or-list ), or a condition. */
static AudNode *
ParsePrimary(Parser *ps)
{
	AudNode    *n;

	if (IsKeyword(Cur(ps), "not"))
	{
		Enter(ps);
		ps->pos++;
		n = palloc0(sizeof(AudNode));
		n->kind = N_NOT;
		n->nchildren = 1;
		n->children = palloc(sizeof(AudNode *));
		n->children[0] = ParsePrimary(ps);
		ps->depth--;
		return n;
	}
	if (Cur(ps)->kind == T_LPAREN)
	{
		Enter(ps);
		ps->pos++;
		n = ParseOr(ps);
		Expect(ps, T_RPAREN, "\")\"");
		ps->depth--;
		return n;
	}
	return ParseCondition(ps);
}

/* A list of operands joined by keyword kw (AND or OR): one n-ary node. */
static AudNode *
ParseList(Parser *ps, const char *kw, NodeKind kind, AudNode *(*operand) (Parser *))
{
	AudNode    *first = operand(ps);
	AudNode    *n;
	int			cap = 4;

	if (!IsKeyword(Cur(ps), kw))
		return first;
	n = palloc0(sizeof(AudNode));
	n->kind = kind;
	n->children = palloc(sizeof(AudNode *) * cap);
	n->children[n->nchildren++] = first;
	while (IsKeyword(Cur(ps), kw))
	{
		ps->pos++;
		if (n->nchildren == cap)
		{
			cap *= 2;
			n->children = repalloc(n->children, sizeof(AudNode *) * cap);
		}
		n->children[n->nchildren++] = operand(ps);
	}
	return n;
}

/* Operands joined by AND (tighter than OR). */
static AudNode *
ParseAnd(Parser *ps)
{
	return ParseList(ps, "and", N_AND, ParsePrimary);
}

/* Operands joined by OR. */
static AudNode *
ParseOr(Parser *ps)
{
	return ParseList(ps, "or", N_OR, ParseAnd);
}

/* Parse the whole expression: a condition tree and an optional AS OF date. */
static void
ParseAudience(Audience *aud)
{
	Parser		ps;
	const char *p = aud->expr;

	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\f' || *p == '\v')
		p++;
	if (*p == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("audience expression is empty"),
				 errhint("Write tag conditions, e.g. segment = 'Champions' AND has(vip).")));
	memset(&ps, 0, sizeof(ps));
	ps.src = aud->expr;
	ps.toks = Tokenize(aud->expr, &ps.ntoks);
	aud->root = ParseOr(&ps);
	if (IsKeyword(Cur(&ps), "as"))
	{
		Token	   *t;

		ps.pos++;
		if (!IsKeyword(Cur(&ps), "of"))
			SyntaxError(ps.src, Cur(&ps)->off, "expected OF after AS");
		ps.pos++;
		t = Cur(&ps);
		if (t->kind != T_STRING)
			SyntaxError(ps.src, t->off, "expected a date literal after AS OF, e.g. '2026-11-01'");
		aud->asof = DatumGetDateADT(DirectFunctionCall1(date_in, CStringGetDatum(t->text)));
		if (DATE_NOT_FINITE(aud->asof))
			SyntaxError(ps.src, t->off, "AS OF needs a finite date");
		aud->has_asof = true;
		ps.pos++;
	}
	if (Cur(&ps)->kind != T_EOF)
		SyntaxError(ps.src, Cur(&ps)->off,
					Cur(&ps)->kind == T_RPAREN ? "unbalanced \")\"" : "expected AND, OR, AS OF or the end");
}

/* ---------- the tag catalogue and the bitmaps, through SPI ---------- */

/* A date as YYYY-MM-DD, whatever DateStyle says. */
static const char *
DateText(DateADT d)
{
	int			y,
				m,
				day;

	if (DATE_NOT_FINITE(d))
		return DatumGetCString(DirectFunctionCall1(date_out, DateADTGetDatum(d)));
	j2date(d + POSTGRES_EPOCH_JDATE, &y, &m, &day);
	return psprintf("%04d-%02d-%02d", y, m, day);
}

/* Run a read-only query with parameters; SPI_tuptable holds the rows. */
static void
RunQuery(const char *sql, int nargs, Oid *types, Datum *values)
{
	int			rc = SPI_execute_with_args(sql, nargs, types, values, NULL, true, 0);

	if (rc != SPI_OK_SELECT)
		elog(ERROR, "audience query failed: %s", SPI_result_code_string(rc));
}

/*
 * Some of names for a hint, comma-separated and quoted as identifiers ("")
 * or literals (''): the closest to word first (word NULL: in their order),
 * with how many there are in all.
 */
static char *
SomeNames(const char *word, List *names, bool identifiers)
{
	StringInfoData buf;
	int			n = list_length(names);
	int		   *dist = palloc(sizeof(int) * Max(n, 1));
	char	  **arr = palloc(sizeof(char *) * Max(n, 1));
	int			shown = Min(n, PORTRAIT_AUDIENCE_HINT_NAMES);

	for (int i = 0; i < n; i++)
	{
		arr[i] = list_nth(names, i);
		dist[i] = word == NULL ? 0 :
			varstr_levenshtein_less_equal(word, strlen(word), arr[i], strlen(arr[i]), 1, 1, 1, 255, true);
	}
	/* a stable insertion sort by distance keeps the given order among equals */
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && dist[j] < dist[j - 1]; j--)
		{
			int			d = dist[j];
			char	   *s = arr[j];

			dist[j] = dist[j - 1], arr[j] = arr[j - 1];
			dist[j - 1] = d, arr[j - 1] = s;
		}
	initStringInfo(&buf);
	for (int i = 0; i < shown; i++)
		appendStringInfo(&buf, identifiers ? "%s\"%s\"" : "%s%s", i > 0 ? ", " : "",
						 identifiers ? arr[i] : quote_literal_cstr(arr[i]));
	if (n > shown)
		appendStringInfo(&buf, " (of %d)", n);
	return buf.data;
}

/* The text values of column 1 of SPI_tuptable, in a list. */
static List *
TextColumn(void)
{
	List	   *out = NIL;

	for (uint64 i = 0; i < SPI_processed; i++)
	{
		char	   *v = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);

		if (v != NULL)
			out = lappend(out, v);
	}
	return out;
}

/* The catalogue entry of a tag (22023 with the closest names if unknown). */
static AudTag *
LookupTag(Audience *aud, const char *name, int off)
{
	ListCell   *lc;
	Oid			types[1] = {TEXTOID};
	Datum		values[1];
	AudTag	   *t;
	char	   *vt;

	foreach(lc, aud->tags)
	{
		t = lfirst(lc);
		if (strcmp(t->name, name) == 0)
			return t;
	}
	values[0] = CStringGetTextDatum(name);
	RunQuery("SELECT t.value_type FROM portrait.tag t WHERE t.name OPERATOR(pg_catalog.=) $1", 1, types, values);
	if (SPI_processed == 0)
	{
		List	   *names;
		char	   *near;

		RunQuery("SELECT t.name FROM portrait.tag t ORDER BY t.name COLLATE \"C\"", 0, NULL, NULL);
		names = TextColumn();
		near = names != NIL ? SomeNames(name, names, true) : NULL;
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown tag \"%s\" in audience expression at character %d",
						name, CharPos(aud->expr, off)),
				 near ? errhint("The closest tags are %s.", near) :
				 errhint("The tag library portrait.tag is empty.")));
	}
	vt = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	t = palloc(sizeof(AudTag));
	t->name = pstrdup(name);
	t->type = vt[0];
	aud->tags = lappend(aud->tags, t);
	return t;
}

static void
TypeMismatch(Audience *aud, AudNode *n, int off, const char *what, const char *hint) pg_attribute_noreturn();

/* 42804: a condition that does not fit its tag's value type. */
static void
TypeMismatch(Audience *aud, AudNode *n, int off, const char *what, const char *hint)
{
	static const char *const typenames[] = {"boolean", "categorical", "numeric"};
	const char *tn = typenames[n->tag->type == 'b' ? 0 : n->tag->type == 'c' ? 1 : 2];

	ereport(ERROR,
			(errcode(ERRCODE_DATATYPE_MISMATCH),
			 errmsg("%s tag \"%s\" %s (audience expression at character %d)",
					tn, n->tagname, what, CharPos(aud->expr, off)),
			 errhint("%s", hint)));
}

/* Resolve every tag of the tree and check each condition against its tag's type. */
static void
CheckTree(Audience *aud, AudNode *n)
{
	check_stack_depth();
	if (n->kind != N_COND)
	{
		for (int i = 0; i < n->nchildren; i++)
			CheckTree(aud, n->children[i]);
		return;
	}
	n->tag = LookupTag(aud, n->tagname, n->tagoff);
	if (n->cond == C_HAS)
		return;
	switch (n->tag->type)
	{
		case 'b':
			if (n->cond == C_BARE)
				return;
			if (n->cond != C_CMP || (n->op != BSI_EQ && n->op != BSI_NE))
				TypeMismatch(aud, n, n->tagoff, "is compared only with = or <>",
							 "Write vip, vip = true, vip = false or has(vip).");
			if (n->lits[0].kind == LIT_BOOL ||
				(n->lits[0].kind == LIT_STRING &&
				 (strcmp(n->lits[0].text, "true") == 0 || strcmp(n->lits[0].text, "false") == 0)))
				return;
			TypeMismatch(aud, n, n->lits[0].off, "is compared with true or false",
						 "Write vip = true or vip = false.");
			break;
		case 'c':
			if (n->cond == C_BARE)
				TypeMismatch(aud, n, n->tagoff, "is not a condition by itself",
							 "Compare it with a value (segment = 'Champions') or write has(segment).");
			if (n->cond == C_BETWEEN || (n->cond == C_CMP && n->op != BSI_EQ && n->op != BSI_NE))
				TypeMismatch(aud, n, n->tagoff, "has no order",
							 "Use =, <>, IN or NOT IN with its values.");
			for (int i = 0; i < n->nlits; i++)
				if (n->lits[i].kind != LIT_STRING)
					TypeMismatch(aud, n, n->lits[i].off, "is compared with string values",
								 "Quote the value as a string literal, e.g. '1'.");
			break;
		default:
			if (n->cond == C_BARE)
				TypeMismatch(aud, n, n->tagoff, "is not a condition by itself",
							 "Compare it with a number (churn_risk >= 0.7) or write has(churn_risk).");
			for (int i = 0; i < n->nlits; i++)
				if (n->lits[i].kind != LIT_NUMBER)
					TypeMismatch(aud, n, n->lits[i].off, "is compared with numbers",
								 "Write the value as a number without quotes, e.g. 0.7.");
			break;
	}
}

/* Choose the snapshot (explicit, AS OF, or the base's latest) and read its population. */
static void
LoadSnapshot(Audience *aud, bool have_snapshot, DateADT snapshot)
{
	Oid			types[2] = {TEXTOID, DATEOID};
	Datum		values[2];
	bool		isnull;
	MemoryContext old;

	if (have_snapshot && aud->has_asof && snapshot != aud->asof)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("audience expression says AS OF %s but the snapshot %s was asked for",
						DateText(aud->asof), DateText(snapshot)),
				 errhint("Leave AS OF out of the expression, or the snapshot argument.")));
	if (aud->has_asof)
		snapshot = aud->asof, have_snapshot = true;
	values[0] = PointerGetDatum(aud->base);
	values[1] = DateADTGetDatum(snapshot);
	if (have_snapshot)
		RunQuery("SELECT s.snapshot, s.members FROM portrait.tag_snapshot s "
			  "WHERE s.base OPERATOR(pg_catalog.=) $1 AND s.snapshot OPERATOR(pg_catalog.=) $2", 2, types, values);
	else
		RunQuery("SELECT s.snapshot, s.members FROM portrait.tag_snapshot s "
			  "WHERE s.base OPERATOR(pg_catalog.=) $1 ORDER BY s.snapshot DESC LIMIT 1", 1, types, values);
	if (SPI_processed == 0)
	{
		char	   *base = text_to_cstring(aud->base);
		char	   *near;

		if (!have_snapshot)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("customer base %s has no tag snapshot", quote_literal_cstr(base)),
					 errhint("Build its tags first with portrait.build_tags.")));
		RunQuery("SELECT pg_catalog.to_char(s.snapshot, 'YYYY-MM-DD') FROM portrait.tag_snapshot s WHERE s.base OPERATOR(pg_catalog.=) $1 "
			  "ORDER BY abs(s.snapshot OPERATOR(pg_catalog.-) $2), s.snapshot", 2, types, values);
		near = SPI_processed > 0 ? SomeNames(NULL, TextColumn(), false) : NULL;
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("customer base %s has no tag snapshot of %s", quote_literal_cstr(base), DateText(snapshot)),
				 near ? errhint("The nearest snapshots are %s.", near) :
				 errhint("Build its tags first with portrait.build_tags.")));
	}
	aud->snapshot = DatumGetDateADT(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	old = MemoryContextSwitchTo(aud->cxt);
	aud->population = BitmapKeep(aud->cxt, roaring_bitmap_copy(
		BitmapRead(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull))));
	MemoryContextSwitchTo(old);
}

/* A new empty bitmap of the audience. */
static roaring_bitmap_t *
NewBitmap(Audience *aud)
{
	return BitmapKeep(aud->cxt, roaring_bitmap_create());
}

/* Or every members column (column 1) of SPI_tuptable into acc. */
static void
OrRows(Audience *aud, roaring_bitmap_t *acc)
{
	MemoryContext old = MemoryContextSwitchTo(aud->cxt);

	for (uint64 i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		Datum		d = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull);

		if (!isnull)
			roaring_bitmap_or_inplace(acc, BitmapRead(d));
	}
	MemoryContextSwitchTo(old);
}

/* Or the bitmap of one categorical value into acc; 22023 if no snapshot has the value. */
static void
OrValue(Audience *aud, AudNode *n, const AudLit *lit, roaring_bitmap_t *acc)
{
	Oid			types[4] = {TEXTOID, TEXTOID, DATEOID, TEXTOID};
	Datum		values[4];

	values[0] = PointerGetDatum(aud->base);
	values[1] = CStringGetTextDatum(n->tag->name);
	values[2] = DateADTGetDatum(aud->snapshot);
	values[3] = CStringGetTextDatum(lit->text);
	RunQuery("SELECT b.members FROM portrait.tag_bitmap b WHERE b.base OPERATOR(pg_catalog.=) $1 "
		  "AND b.tag OPERATOR(pg_catalog.=) $2 AND b.snapshot OPERATOR(pg_catalog.=) $3 "
		  "AND b.value OPERATOR(pg_catalog.=) $4", 4, types, values);
	if (SPI_processed > 0)
	{
		OrRows(aud, acc);
		return;
	}
	/* a value no snapshot has is a typing error; one this snapshot lacks has no members */
	RunQuery("SELECT 1 FROM portrait.tag_bitmap b WHERE b.base OPERATOR(pg_catalog.=) $1 "
		  "AND b.tag OPERATOR(pg_catalog.=) $2 AND b.value OPERATOR(pg_catalog.=) $4 LIMIT 1", 4, types, values);
	if (SPI_processed == 0)
	{
		List	   *names;
		char	   *near;

		RunQuery("SELECT DISTINCT b.value COLLATE \"C\" FROM portrait.tag_bitmap b WHERE b.base OPERATOR(pg_catalog.=) $1 "
			  "AND b.tag OPERATOR(pg_catalog.=) $2 AND b.snapshot OPERATOR(pg_catalog.=) $3 "
			  "ORDER BY 1", 3, types, values);
		names = TextColumn();
		near = names != NIL ? SomeNames(lit->text, names, false) : NULL;
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("tag \"%s\" has no value %s (audience expression at character %d)",
						n->tag->name, quote_literal_cstr(lit->text),
						CharPos(aud->expr, lit->off)),
				 near ? errhint("Its closest values are %s.", near) :
				 errhint("The tag has no bitmap in this snapshot: build it with portrait.build_tags.")));
	}
}

/* Or every value of a categorical or boolean tag (has(tag)) into acc. */
static void
OrAllValues(Audience *aud, AudNode *n, roaring_bitmap_t *acc)
{
	Oid			types[3] = {TEXTOID, TEXTOID, DATEOID};
	Datum		values[3];

	values[0] = PointerGetDatum(aud->base);
	values[1] = CStringGetTextDatum(n->tag->name);
	values[2] = DateADTGetDatum(aud->snapshot);
	RunQuery(n->tag->type == 'b' ?
		  "SELECT b.members FROM portrait.tag_bitmap b WHERE b.base OPERATOR(pg_catalog.=) $1 "
		  "AND b.tag OPERATOR(pg_catalog.=) $2 AND b.snapshot OPERATOR(pg_catalog.=) $3 "
		  "AND b.value OPERATOR(pg_catalog.=) 'true'" :
		  "SELECT b.members FROM portrait.tag_bitmap b WHERE b.base OPERATOR(pg_catalog.=) $1 "
		  "AND b.tag OPERATOR(pg_catalog.=) $2 AND b.snapshot OPERATOR(pg_catalog.=) $3",
		  3, types, values);
	OrRows(aud, acc);
}

static roaring_bitmap_t *EvalNumeric(Audience *aud, AudNode *n);

/* The ids of a condition: a new bitmap in the audience's context. */
static roaring_bitmap_t *
EvalCond(Audience *aud, AudNode *n)
{
	roaring_bitmap_t *acc;
	roaring_bitmap_t *all;

	if (n->tag->type == 'n')
		return EvalNumeric(aud, n);
	acc = NewBitmap(aud);
	if (n->cond == C_HAS)
	{
		OrAllValues(aud, n, acc);
		return acc;
	}
	if (n->tag->type == 'b')
	{
		bool		want = n->cond == C_BARE || strcmp(n->lits[0].text, "true") == 0;

		if (n->cond == C_CMP && n->op == BSI_NE)
			want = !want;
		OrAllValues(aud, n, acc);
		if (!want)
		{
			/* false is "not true": a NULL and a false value are both outside the bitmap */
			all = BitmapKeep(aud->cxt, roaring_bitmap_copy(aud->population));
			roaring_bitmap_andnot_inplace(all, acc);
			return all;
		}
		return acc;
	}
	for (int i = 0; i < n->nlits; i++)
		OrValue(aud, n, &n->lits[i], acc);
	if (n->negated || (n->cond == C_CMP && n->op == BSI_NE))
	{
		/* <> and NOT IN: the customers with another value, as in SQL */
		all = NewBitmap(aud);
		OrAllValues(aud, n, all);
		roaring_bitmap_andnot_inplace(all, acc);
		return all;
	}
	return acc;
}

/* The ids of a node of the tree. */
static roaring_bitmap_t *
Eval(Audience *aud, AudNode *n)
{
	roaring_bitmap_t *acc;

	check_stack_depth();
	CHECK_FOR_INTERRUPTS();
	switch (n->kind)
	{
		case N_COND:
			return EvalCond(aud, n);
		case N_NOT:
			acc = BitmapKeep(aud->cxt, roaring_bitmap_copy(aud->population));
			roaring_bitmap_andnot_inplace(acc, Eval(aud, n->children[0]));
			return acc;
		case N_AND:
			/* no short cut: every condition is checked, whatever the data */
			acc = Eval(aud, n->children[0]);
			for (int i = 1; i < n->nchildren; i++)
				roaring_bitmap_and_inplace(acc, Eval(aud, n->children[i]));
			return acc;
		case N_OR:
			acc = Eval(aud, n->children[0]);
			for (int i = 1; i < n->nchildren; i++)
				roaring_bitmap_or_inplace(acc, Eval(aud, n->children[i]));
			return acc;
	}
	elog(ERROR, "unknown audience node %d", (int) n->kind);
	return NULL;
}

/* A number of the expression in numeric_out's form, which BsiCompare reads. */
static const char *
Decimal(const AudLit *lit)
{
	Datum		d = DirectFunctionCall3(numeric_in, CStringGetDatum(lit->text),
										ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));

	return DatumGetCString(DirectFunctionCall1(numeric_out, d));
}

/*
 * The ids of a condition on a numeric tag, from its bit-sliced index in the
 * snapshot (none when the snapshot has no index of the tag).
 */
static roaring_bitmap_t *
EvalNumeric(Audience *aud, AudNode *n)
{
	Oid			types[3] = {TEXTOID, TEXTOID, DATEOID};
	Datum		values[3];
	Datum		bsi;
	bool		isnull;
	roaring_bitmap_t *acc;
	MemoryContext old;

	values[0] = PointerGetDatum(aud->base);
	values[1] = CStringGetTextDatum(n->tag->name);
	values[2] = DateADTGetDatum(aud->snapshot);
	RunQuery("SELECT n.members FROM portrait.tag_numeric n WHERE n.base OPERATOR(pg_catalog.=) $1 "
			 "AND n.tag OPERATOR(pg_catalog.=) $2 AND n.snapshot OPERATOR(pg_catalog.=) $3", 3, types, values);
	if (SPI_processed == 0)
		return NewBitmap(aud);
	bsi = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	old = MemoryContextSwitchTo(aud->cxt);
	/* fetched once for every literal of an IN list and the ids of a NOT */
	bsi = PointerGetDatum(PG_DETOAST_DATUM(bsi));
	switch (n->cond)
	{
		case C_HAS:
			acc = BsiExistence(bsi);
			break;
		case C_CMP:
			acc = BsiCompare(bsi, n->op, Decimal(&n->lits[0]), NULL);
			break;
		case C_BETWEEN:
			acc = BsiCompare(bsi, BSI_BETWEEN, Decimal(&n->lits[0]), Decimal(&n->lits[1]));
			break;
		default:
			acc = NewBitmap(aud);
			for (int i = 0; i < n->nlits; i++)
				roaring_bitmap_or_inplace(acc, BsiCompare(bsi, BSI_EQ, Decimal(&n->lits[i]), NULL));
			break;
	}
	if (n->negated)
	{
		/* NOT IN, NOT BETWEEN: the ids with another value */
		roaring_bitmap_t *all = BsiExistence(bsi);

		roaring_bitmap_andnot_inplace(all, acc);
		acc = all;
	}
	MemoryContextSwitchTo(old);
	return acc;
}

/* ---------- entry points ---------- */

/* 22004 unless argument argno is given. */
static void
NotNull(FunctionCallInfo fcinfo, int argno, const char *func, const char *what)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s: %s must not be NULL", func, what)));
}

/*
 * Parse, check and evaluate expr for base at snapshot (NULL: AS OF or the
 * latest), inside SPI; the result lives in aud->cxt, a child of the caller's
 * context.
 */
static roaring_bitmap_t *
AudienceEval(Audience *aud, text *base, const char *expr, bool have_snapshot, DateADT snapshot, bool saved)
{
	memset(aud, 0, sizeof(Audience));
	aud->expr = expr;
	aud->base = base;
	aud->cxt = AllocSetContextCreate(CurrentMemoryContext, "audience", ALLOCSET_DEFAULT_SIZES);
	ParseAudience(aud);
	if (saved && aud->has_asof)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a saved audience keeps its snapshot apart from its expression"),
				 errhint("Leave AS OF out and pass the date as the snapshot argument of audience_save.")));
	CheckTree(aud, aud->root);
	LoadSnapshot(aud, have_snapshot, snapshot);
	return Eval(aud, aud->root);
}

/* The arguments (base, expr, snapshot) of the audience functions, evaluated. */
static roaring_bitmap_t *
AudienceFromArgs(FunctionCallInfo fcinfo, Audience *aud, const char *func, bool saved)
{
	NotNull(fcinfo, 0, func, "base");
	NotNull(fcinfo, 1, func, "expression");
	return AudienceEval(aud, PG_GETARG_TEXT_PP(0), text_to_cstring(PG_GETARG_TEXT_PP(1)),
						PG_NARGS() > 2 && !PG_ARGISNULL(2),
						PG_NARGS() > 2 && !PG_ARGISNULL(2) ? PG_GETARG_DATEADT(2) : 0, saved);
}

/* The size of the audience of the arguments. */
static int64
AudienceCount(FunctionCallInfo fcinfo, const char *func, bool saved)
{
	Audience	aud;
	uint64		n;

	SPI_connect();
	n = roaring_bitmap_get_cardinality(AudienceFromArgs(fcinfo, &aud, func, saved));
	MemoryContextDelete(aud.cxt);
	SPI_finish();
	return (int64) n;
}

/* audience(base, expr, snapshot): the members as a bitmap. */
Datum
pp_audience(PG_FUNCTION_ARGS)
{
	MemoryContext caller = CurrentMemoryContext;
	Audience	aud;
	roaring_bitmap_t *rb;
	Datum		result;

	SPI_connect();
	rb = AudienceFromArgs(fcinfo, &aud, "audience", false);
	MemoryContextSwitchTo(caller);
	result = BitmapResult(rb);
	MemoryContextDelete(aud.cxt);
	SPI_finish();
	PG_RETURN_DATUM(result);
}

/* audience_count(base, expr, snapshot): the number of members. */
Datum
pp_audience_count(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64(AudienceCount(fcinfo, "audience_count", false));
}

/*
 * audience_check(base, expr, snapshot): the count, or the error of an
 * expression audience_save must refuse; saved expressions keep their
 * snapshot outside.
 */
Datum
pp_audience_check(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64(AudienceCount(fcinfo, "audience_save", true));
}

/*
 * audience_overlap(base, exprs): the Venn regions of several audiences, each
 * the customers in exactly the audiences listed (1-based positions) and in
 * none of the others, by splitting the union audience by audience.
 */
Datum
pp_audience_overlap(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MemoryContext caller = CurrentMemoryContext;
	MemoryContext cxt;
	ArrayType  *arr;
	Datum	   *elems;
	bool	   *nulls;
	int			k;
	roaring_bitmap_t **sets;
	roaring_bitmap_t **pieces;
	uint32	   *masks;
	int			npieces = 1;
	text	   *base;

	NotNull(fcinfo, 0, "audience_overlap", "base");
	NotNull(fcinfo, 1, "audience_overlap", "expressions");
	base = PG_GETARG_TEXT_PP(0);
	arr = PG_GETARG_ARRAYTYPE_P(1);
	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("audience_overlap: expressions must be a one-dimensional array")));
	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &k);
	if (k < 1 || k > PORTRAIT_AUDIENCE_MAX_OVERLAP)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("audience_overlap needs 1 to %d expressions, not %d", PORTRAIT_AUDIENCE_MAX_OVERLAP, k)));
	for (int i = 0; i < k; i++)
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("audience_overlap: expression %d is NULL", i + 1)));
	InitMaterializedSRF(fcinfo, 0);

	SPI_connect();
	cxt = AllocSetContextCreate(caller, "audience overlap", ALLOCSET_DEFAULT_SIZES);
	sets = MemoryContextAlloc(cxt, sizeof(roaring_bitmap_t *) * k);
	for (int i = 0; i < k; i++)
	{
		Audience	aud;
		roaring_bitmap_t *rb = AudienceEval(&aud, base, TextDatumGetCString(elems[i]), false, 0, false);

		sets[i] = BitmapKeep(cxt, roaring_bitmap_copy(rb));
		MemoryContextDelete(aud.cxt);
	}
	SPI_finish();

	/* pieces of the union, refined by each audience; empty pieces dropped */
	pieces = MemoryContextAlloc(cxt, sizeof(roaring_bitmap_t *) * 2);
	masks = MemoryContextAlloc(cxt, sizeof(uint32) * 2);
	pieces[0] = BitmapKeep(cxt, roaring_bitmap_or_many(k, (const roaring_bitmap_t **) sets));
	masks[0] = 0;
	for (int i = 0; i < k; i++)
	{
		roaring_bitmap_t **next = MemoryContextAlloc(cxt, sizeof(roaring_bitmap_t *) * npieces * 2);
		uint32	   *nmask = MemoryContextAlloc(cxt, sizeof(uint32) * npieces * 2);
		int			m = 0;

		CHECK_FOR_INTERRUPTS();
		for (int j = 0; j < npieces; j++)
		{
			roaring_bitmap_t *in = BitmapKeep(cxt, roaring_bitmap_and(pieces[j], sets[i]));
			roaring_bitmap_t *out = BitmapKeep(cxt, roaring_bitmap_andnot(pieces[j], sets[i]));

			if (!roaring_bitmap_is_empty(in))
				next[m] = in, nmask[m++] = masks[j] | (1u << i);
			if (!roaring_bitmap_is_empty(out))
				next[m] = out, nmask[m++] = masks[j];
		}
		pieces = next;
		masks = nmask;
		npieces = m;
	}

	/* regions in the order of their masks read as binary numbers, audience 1 first */
	for (int j = 0; j < npieces; j++)
		for (int l = j; l > 0; l--)
		{
			uint32		a = masks[l - 1];
			uint32		b = masks[l];
			bool		later = false;

			for (int i = 0; i < k; i++)
				if (((a >> i) & 1) != ((b >> i) & 1))
				{
					later = !((a >> i) & 1);
					break;
				}
			if (!later)
				break;
			masks[l - 1] = b, masks[l] = a;
			{
				roaring_bitmap_t *t = pieces[l - 1];

				pieces[l - 1] = pieces[l], pieces[l] = t;
			}
		}
	for (int j = 0; j < npieces; j++)
	{
		Datum		values[3];
		bool		isnull[3] = {false, false, false};
		Datum	   *which = palloc(sizeof(Datum) * k);
		int			nw = 0;
		bool	   *in = palloc(sizeof(bool) * k);

		for (int i = 0; i < k; i++)
		{
			in[i] = (masks[j] >> i) & 1;
			if (in[i])
				which[nw++] = Int32GetDatum(i + 1);
		}
		values[0] = PointerGetDatum(construct_array(which, nw, INT4OID, 4, true, TYPALIGN_INT));
		for (int i = 0; i < k; i++)
			which[i] = BoolGetDatum(in[i]);
		values[1] = PointerGetDatum(construct_array(which, k, BOOLOID, 1, true, TYPALIGN_CHAR));
		values[2] = Int64GetDatum((int64) roaring_bitmap_get_cardinality(pieces[j]));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, isnull);
	}
	MemoryContextDelete(cxt);
	return (Datum) 0;
}

/* One row of an audience profile. */
static void
ProfileRow(ReturnSetInfo *rsinfo, const char *tag, const char *value, int64 a, int64 ng, int64 A, int64 N)
{
	PortraitShareStats s;
	Datum		values[13];
	bool		isnull[13];
	double		stats[7];

	PortraitShareCompare(a, ng, A, N, &s);
	stats[0] = s.share, stats[1] = s.pop_share, stats[2] = s.tgi, stats[3] = s.tgi_low;
	stats[4] = s.tgi_high, stats[5] = s.z, stats[6] = s.effect;
	memset(isnull, 0, sizeof(isnull));
	values[0] = CStringGetTextDatum(tag);
	values[1] = CStringGetTextDatum(value);
	values[2] = Int64GetDatum(a);
	values[4] = Int64GetDatum(A);
	for (int i = 0; i < 7; i++)
	{
		/* columns 3, 5, 6 ... 10: shares, TGI, interval, z, effect */
		int			col = i == 0 ? 3 : i == 1 ? 5 : i + 4;

		values[col] = Float8GetDatum(stats[i]);
		isnull[col] = isnan(stats[i]);
	}
	isnull[11] = isnull[12] = true;
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, isnull);
}

/*
 * The rows of the numeric tags of the snapshot: how many of the audience
 * and of the population have a value, and the mean of each, from sums over
 * the bit-sliced index filtered by the two bitmaps.
 */
static void
ProfileNumeric(ReturnSetInfo *rsinfo, Audience *aud, const roaring_bitmap_t *rb)
{
	Oid			types[4] = {TEXTOID, DATEOID, BYTEAOID, BYTEAOID};
	Datum		args[4];

	args[0] = PointerGetDatum(aud->base);
	args[1] = DateADTGetDatum(aud->snapshot);
	args[2] = BitmapResult(rb);
	args[3] = BitmapResult(aud->population);
	RunQuery("SELECT n.tag, portrait.bitmap_cardinality(portrait.bitmap_and(x.i, x.a)), "
			 "portrait.bitmap_cardinality(portrait.bitmap_and(x.i, x.p)), "
			 "portrait.bsi_sum(n.members, x.a)::pg_catalog.float8, portrait.bsi_sum(n.members, x.p)::pg_catalog.float8 "
			 "FROM portrait.tag_numeric n JOIN portrait.tag t ON t.name OPERATOR(pg_catalog.=) n.tag "
			 "CROSS JOIN LATERAL (SELECT portrait.bsi_ids(n.members) AS i, $3::portrait.bitmap AS a, "
			 "$4::portrait.bitmap AS p) x "
			 "WHERE n.base OPERATOR(pg_catalog.=) $1 AND n.snapshot OPERATOR(pg_catalog.=) $2 "
			 "AND t.value_type OPERATOR(pg_catalog.=) 'numeric' ORDER BY n.tag COLLATE \"C\"", 4, types, args);
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		Datum		values[13];
		bool		isnull[13];
		bool		nul,
					nula,
					nulp;
		int64		a = DatumGetInt64(SPI_getbinval(tup, desc, 2, &nul));
		int64		A = DatumGetInt64(SPI_getbinval(tup, desc, 3, &nul));
		Datum		sa = SPI_getbinval(tup, desc, 4, &nula);
		Datum		sp = SPI_getbinval(tup, desc, 5, &nulp);

		for (int c = 0; c < 13; c++)
			isnull[c] = true;
		values[0] = CStringGetTextDatum(SPI_getvalue(tup, desc, 1));
		values[2] = Int64GetDatum(a);
		values[4] = Int64GetDatum(A);
		isnull[0] = isnull[2] = isnull[4] = false;
		isnull[11] = a == 0 || nula;
		isnull[12] = A == 0 || nulp;
		values[11] = isnull[11] ? (Datum) 0 : Float8GetDatum(DatumGetFloat8(sa) / a);
		values[12] = isnull[12] ? (Datum) 0 : Float8GetDatum(DatumGetFloat8(sp) / A);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, isnull);
	}
}

/*
 * audience_profile(base, expr, snapshot): the audience against the
 * snapshot's population on every boolean and categorical tag value, from
 * bitmap intersection counts, with the statistics of the segment profiles.
 */
Datum
pp_audience_profile(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Audience	aud;
	roaring_bitmap_t *rb;
	int64		ng;
	int64		N;
	Oid			types[2] = {TEXTOID, DATEOID};
	Datum		values[2];
	Portal		portal;
	MemoryContext rowcxt;

	InitMaterializedSRF(fcinfo, 0);
	SPI_connect();
	rb = AudienceFromArgs(fcinfo, &aud, "audience_profile", false);
	roaring_bitmap_and_inplace(rb, aud.population);
	ng = roaring_bitmap_get_cardinality(rb);
	N = roaring_bitmap_get_cardinality(aud.population);
	rowcxt = AllocSetContextCreate(aud.cxt, "audience profile row", ALLOCSET_DEFAULT_SIZES);
	values[0] = PointerGetDatum(aud.base);
	values[1] = DateADTGetDatum(aud.snapshot);
	portal = SPI_cursor_open_with_args(NULL,
									   "SELECT b.tag, b.value, b.members FROM portrait.tag_bitmap b "
									   "JOIN portrait.tag t ON t.name OPERATOR(pg_catalog.=) b.tag "
									   "WHERE b.base OPERATOR(pg_catalog.=) $1 AND b.snapshot OPERATOR(pg_catalog.=) $2 "
									   "AND t.value_type OPERATOR(pg_catalog.<>) 'numeric' "
									   "ORDER BY b.tag COLLATE \"C\", b.value COLLATE \"C\"",
									   2, types, values, NULL, true, 0);
	for (;;)
	{
		SPI_cursor_fetch(portal, true, 64);
		if (SPI_processed == 0)
			break;
		for (uint64 i = 0; i < SPI_processed; i++)
		{
			HeapTuple	tup = SPI_tuptable->vals[i];
			TupleDesc	desc = SPI_tuptable->tupdesc;
			bool		isnull;
			MemoryContext old = MemoryContextSwitchTo(rowcxt);
			const roaring_bitmap_t *v = BitmapRead(SPI_getbinval(tup, desc, 3, &isnull));
			int64		a = roaring_bitmap_and_cardinality(v, rb);
			int64		A = roaring_bitmap_and_cardinality(v, aud.population);

			ProfileRow(rsinfo, SPI_getvalue(tup, desc, 1), SPI_getvalue(tup, desc, 2), a, ng, A, N);
			MemoryContextSwitchTo(old);
			MemoryContextReset(rowcxt);
		}
		CHECK_FOR_INTERRUPTS();
		SPI_freetuptable(SPI_tuptable);
	}
	SPI_cursor_close(portal);
	ProfileNumeric(rsinfo, &aud, rb);
	MemoryContextDelete(aud.cxt);
	SPI_finish();
	return (Datum) 0;
}
