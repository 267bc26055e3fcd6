# pg_portrait: PGXS build.  `make demo` and `make test` also do the machine
# set-up (see README.md); everything else is the usual `make && make install`.

EXTENSION  = pg_portrait
EXTVERSION = 0.5.0

MODULE_big = pg_portrait
OBJS = \
	src/common.o \
	src/model.o \
	src/points.o \
	src/linalg.o \
	src/optim.o \
	src/rfm.o \
	src/kmeans.o \
	src/tgi.o \
	src/bgnbd.o \
	src/gamma_gamma.o \
	src/logit.o \
	src/events.o \
	src/funnel.o \
	src/retention.o \
	src/sequence.o \
	src/abtest.o \
	src/profile.o \
	src/trainer.o

# The install script is assembled from the per-module SQL next to the C code,
# in this order (types and shared functions first).
SQL_MODULES = \
	src/header.sql \
	src/model.sql \
	src/points.sql \
	src/rfm.sql \
	src/kmeans.sql \
	src/tgi.sql \
	src/bgnbd.sql \
	src/gamma_gamma.sql \
	src/logit.sql \
	src/events.sql \
	src/funnel.sql \
	src/retention.sql \
	src/sequence.sql \
	src/abtest.sql \
	src/profile.sql

DATA_built = $(EXTENSION)--$(EXTVERSION).sql
# Released install scripts, kept as they shipped, and the update scripts
# between releases (ALTER EXTENSION pg_portrait UPDATE).
DATA = $(wildcard update/$(EXTENSION)--*.sql)

REGRESS = model rfm_summary rfm_score rfm_segment kmeans tgi bgnbd gamma_gamma logit funnel retention sequence abtest lifecycle refresh_profile
REGRESS_OPTS = --inputdir=. --load-extension=pg_portrait

SHLIB_LINK += -llapack -lblas -lm
PG_CFLAGS += -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers

EXTRA_CLEAN = results regression.diffs regression.out

PG_CONFIG ?= $(firstword $(wildcard /usr/lib/postgresql/15/bin/pg_config) pg_config)
PGXS := $(shell $(PG_CONFIG) --pgxs 2>/dev/null)

ifneq ($(wildcard $(PGXS)),)
include $(PGXS)
else
# No server development files yet: only the set-up targets below work.
all:
	@echo "PostgreSQL server headers not found: run 'make test' or 'make demo' as root, or install postgresql-server-dev-15" >&2
	@exit 1
endif

$(EXTENSION)--$(EXTVERSION).sql: $(SQL_MODULES)
	cat $^ > $@

.PHONY: demo test bench sanitize sqlsmith

# Main job: set up, build, start a throwaway cluster, print the demo portrait.
demo:
	./test/portrait.sh demo

# Every pg_regress and pgTAP suite on a throwaway cluster.
test:
	./test/portrait.sh test

# Every suite again with the extension built with AddressSanitizer and
# UndefinedBehaviorSanitizer (doc/hardening-sanitize.md); reports count as failures.
sanitize:
	PORTRAIT_SANITIZE=1 ./test/portrait.sh test

# The long random-SQL run for release checks (SQLSMITH_QUERIES, SQLSMITH_SEED).
sqlsmith:
	./test/portrait.sh sqlsmith

# Benchmarks (not part of the tests): ./test/portrait.sh bench [NAME]
bench:
	./test/portrait.sh bench
