/*
 * pg_portrait.c
 *		The library's entry: its magic block and the load-time set-up of each
 *		family.  It is the one file that knows every family, so the core and
 *		the families need not know each other to be initialised.
 */
#include "postgres.h"

#include "fmgr.h"

#include "portrait.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/* Library load: each family that has settings defines them. */
void
_PG_init(void)
{
	PortraitKmeansInit();
	PortraitPointsInit();
}
