/*
 * recommend.h
 *		What the recommend family's files share: the basket_lines aggregate
 *		state ((basket, item) rows with both keys interned) and its grouping
 *		into baskets.
 */
#ifndef PORTRAIT_RECOMMEND_H
#define PORTRAIT_RECOMMEND_H

#include "portrait.h"

/* Key types of a basket_lines state (0: no row yet). */
#define PORTRAIT_KEY_TEXT	1
#define PORTRAIT_KEY_BIGINT 2

/* A slot of a key hash: the key's hash beside its id, so a probe reads one array. */
typedef struct KeySlot
{
	uint32		hash;
	int32		id;				/* id + 1, 0 empty */
} KeySlot;

/* Interned byte strings: id -> bytes (NUL-terminated copy), bytes -> id. */
typedef struct KeyDict
{
	MemoryContext cxt;
	char	   *buf;			/* the keys, each followed by a NUL */
	Size		buflen;
	Size		bufcap;
	Size	   *off;			/* per id: offset in buf */
	uint32	   *len;			/* per id: bytes, without the NUL */
	uint32	   *hash;			/* per id: hash of the bytes */
	int32		n;
	int32		cap;
	KeySlot    *slots;			/* open addressing */
	uint32		nslots;			/* a power of two */
} KeyDict;

/*
 * The state while an aggregate runs: an expanded object in its context.  A
 * line is its basket key (a bigint basket's value, a text basket's id in
 * baskets) and its item's id in items.
 */
typedef struct BasketLines
{
	ExpandedObjectHeader hdr;
	int32		item_type;
	int32		basket_type;
	KeyDict		items;
	KeyDict		baskets;		/* text baskets only */
	int64		n;				/* lines */
	int64		cap;
	int64	   *bkey;			/* per line: basket key */
	int32	   *item;			/* per line: item id */
	char	   *opts;			/* the options' jsonb bytes, or NULL */
	Size		optslen;
} BasketLines;

/* The lines grouped by basket: each basket's distinct items (in no particular order). */
typedef struct BasketGroups
{
	int32		nbaskets;
	int64		nlines;			/* distinct (basket, item) pairs */
	int64	   *start;			/* nbaskets + 1 offsets into items */
	int32	   *items;
} BasketGroups;

typedef void (*BasketOptionsCheck) (Jsonb *opts);

extern Datum BasketLinesTrans(FunctionCallInfo fcinfo, BasketOptionsCheck check);
extern BasketLines *BasketLinesRead(Datum d);
extern Jsonb *BasketLinesOptions(const BasketLines *bl);
extern void BasketLinesGroup(const BasketLines *bl, BasketGroups *g, const char *what, const char *hint);
extern double BasketLinesBytes(const BasketLines *bl);

/* The bytes of item id (NUL-terminated), *len without the NUL. */
static inline const char *
BasketItemName(const BasketLines *bl, int32 id, uint32 *len)
{
	*len = bl->items.len[id];
	return bl->items.buf + bl->items.off[id];
}

/* Byte order of two keys of a dictionary (shorter first on a common prefix). */
static inline int
KeyDictCompare(const KeyDict *d, int32 a, int32 b)
{
	uint32		la = d->len[a];
	uint32		lb = d->len[b];
	int			c = memcmp(d->buf + d->off[a], d->buf + d->off[b], Min(la, lb));

	if (c != 0)
		return c;
	return la < lb ? -1 : (la > lb ? 1 : 0);
}

/* Byte order of two items' names. */
static inline int
BasketItemCompare(const BasketLines *bl, int32 a, int32 b)
{
	return KeyDictCompare(&bl->items, a, b);
}

/* similarity.c: the item_similarity model kind, registered by the entry file */
extern const ModelKindSpec ItemSimilarityModelKind;

#endif							/* PORTRAIT_RECOMMEND_H */
