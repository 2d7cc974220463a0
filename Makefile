# Makefile - build, test and grade the ProxyLab kit (the only Makefile).
#
# Everyday targets (LAB is a stage number, 1 to 6):
#   make lab LAB=N         build your program for stage N
#   make grade LAB=N       grade stage N (and, cumulatively, stages 1..N-1)
#   make unit              build and run the unit tests
#   make run               start the most advanced reference program on :8080
#   make test              everything CI checks (see docs/ARCHITECTURE.md)
#   make diff LAB=N        what the reference of stage N adds over N-1
#   make check-grader      the grader catches every known-buggy variant
#   make bench             the reference against direct, tinyproxy and squid
#                          (docs/performance.md; FULL=1 adds 1 and 128
#                          connections); make bench-deps installs what it uses
#   make slides            render the lecture decks into build/slides/
#                          (HTML; PDF too where Chromium is installed)
#   make slides-check      render every deck and check its images and slides
#   make fuzz              fuzz the parsers, FUZZ_SECONDS per target (60)
#   make slowloris         a legitimate client is served while 500 slow
#                          clients hold connections (docs/HARDENING.md)
# Variables: SOL=1 uses solutions/ instead of labs/; SAN=asan|tsan builds a
# sanitizer variant; V=1 makes the grader verbose; T=name runs one test;
# STRETCH=2 doubles every time limit (a slow machine);
# JSON=file writes Gradescope results; AUTOLAB=1 ends with Autolab's score
# line; VALGRIND=1 grades under memcheck;
# GIVEN=K builds stages 1..K from solutions/ and the later ones from labs/
# (an instructor releasing the reference of stages a student missed).
# `make -s path LAB=N [SOL=1] [SAN=...]` prints the program's path.
#   make handin [LAB=N]    pack your files and NOTES.md to hand in
# Instructor targets (INSTRUCTORS.md; they need the full kit, solutions/ too):
#   make handout [LAB=N]   the students' tarball: stages 1..N, no reference
#   make release LAB=K     the reference of stages 1..K, for students
#   make gradescope LAB=N  Gradescope's autograder zip for lab N
#   make batch DIR=d [LAB=N] [JOBS=2]   grade a folder of submissions to a CSV
#   make check-handout     the handout holds no solution, builds, scores 0
#   make check-gradescope  run_autograder on sample submissions (LAB=2 default)
#   make check-batch       batch grading of samples, sandboxed (as root)

ifneq ($(shell uname -s),Linux)
$(error the kit needs Linux (sockets, /proc, Debian packages); this is $(shell uname -s))
endif

CC       ?= cc
CPPFLAGS  = -D_POSIX_C_SOURCE=200809L -Icommon -Icommon/stage -MMD -MP
CFLAGS    = -std=c11 -g -O1 -pthread -Wall -Wextra -Werror \
            -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wformat=2 -Wvla -Wpedantic
LDFLAGS   = -pthread
LDLIBS    =

ifeq ($(SAN),asan)
SANFLAGS  = -fsanitize=address,undefined -fno-sanitize-recover=all \
            -fno-omit-frame-pointer
else ifeq ($(SAN),tsan)
SANFLAGS  = -fsanitize=thread
else ifneq ($(SAN),)
$(error SAN must be asan or tsan, not '$(SAN)')
endif
CFLAGS   += $(SANFLAGS)
LDFLAGS  += $(SANFLAGS)

# The kit's Python: Debian's own, whatever else is first on PATH (3.9 or
# later; make deps checks). PYTHON=... runs the kit with another one.
PYTHON   ?= /usr/bin/python3
SRC      := $(if $(SOL),solutions,labs)
BUILD    := build/$(or $(SAN),debug)
BIN      := $(BUILD)/bin/$(SRC)$(if $(GIVEN),-given$(GIVEN))

# The stages, named after their directories: 01-echo 02-forward ...
STAGES   := $(notdir $(wildcard labs/[0-9][0-9]-*))
LAST     := $(words $(STAGES))
LAB_NAME := $(if $(LAB),$(filter $(shell printf '%02d' '$(LAB)' 2>/dev/null)-%,$(STAGES)))
ifneq ($(filter lab path grade diff release gradescope,$(MAKECMDGOALS)),)
ifeq ($(LAB_NAME),)
$(error say which stage: LAB=1 to LAB=$(LAST))
endif
endif

# What needs the reference in solutions/. A handout has none: students get
# stages 1..K of it from an instructor's `make release LAB=K`.
INSTRUCTOR_GOALS := run test check-grader kitcheck check handout release \
                    gradescope batch check-handout check-gradescope \
                    check-batch
sol_upto    = $(wordlist 1,$(or $(1),$(LAST)),$(STAGES))
SOL_NEEDED := $(sort $(if $(filter $(INSTRUCTOR_GOALS),$(MAKECMDGOALS)),$(STAGES)) \
                $(if $(SOL),$(call sol_upto,$(LAB))) \
                $(if $(GIVEN),$(call sol_upto,$(GIVEN))) \
                $(if $(filter diff,$(MAKECMDGOALS)),$(LAB_NAME)))
SOL_MISSING := $(strip $(foreach s,$(SOL_NEEDED),$(if $(wildcard solutions/$(s)/*.c),,$(s))))
ifneq ($(SOL_MISSING),)
$(error this needs the reference of $(SOL_MISSING) in solutions/, which this copy of the kit does not have (INSTRUCTORS.md, "Releasing a solution"))
endif

# The sources of stage NN's program. Stage 01 is a program of its own. The
# proxy of stage N >= 2 is built from the .c files of stages 02..N, a later
# stage's file replacing an earlier one of the same name, plus the given
# glue: the shared proxy_*.c, the stage's table stageNN.c, and the glue of
# stages up to N (proxyKK_*.c).
stage_num   = $(patsubst 0%,%,$(firstword $(subst -, ,$(1))))
GIVEN_NUMS := $(wordlist 1,$(or $(GIVEN),0),1 2 3 4 5 6 7 8 9)
stage_root  = $(if $(filter $(call stage_num,$(1)),$(GIVEN_NUMS)),solutions,$(SRC))
stage_dirs  = $(foreach d,$(wordlist 2,$(call stage_num,$(1)),$(STAGES)),$(call stage_root,$(d))/$(d))
stage_srcs  = $(foreach f,$(sort $(notdir $(wildcard $(addsuffix /*.c,$(call stage_dirs,$(1)))))),\
                $(lastword $(wildcard $(addsuffix /$(f),$(call stage_dirs,$(1))))))
glue_srcs   = $(if $(filter 01-%,$(1)),common/stage/echo_main.c,\
                $(wildcard common/stage/proxy_*.c) common/stage/stage$(firstword $(subst -, ,$(1))).c \
                $(call staged_glue,$(call stage_num,$(1))))
# Glue that a stage brings, common/stage/proxyKK_*.c, joins from stage KK on.
glue_num    = $(firstword $(subst _, ,$(patsubst common/stage/proxy%,%,$(1))))
staged_glue = $(foreach f,$(wildcard common/stage/proxy[0-9][0-9]_*.c),\
                $(if $(filter $(call glue_num,$(f)),$(wordlist 1,$(1),01 02 03 04 05 06 07 08 09)),$(f)))
prog_srcs   = $(if $(filter 01-%,$(1)),$(wildcard $(call stage_root,$(1))/$(1)/*.c),$(call stage_srcs,$(1))) \
              $(call glue_srcs,$(1))
objs        = $(patsubst %.c,$(BUILD)/%.o,$(1))

LIBCOMMON  := $(BUILD)/libcommon.a
COMMON_OBJ := $(call objs,$(wildcard common/*.c))

# Unit tests: tests/unit/test_X.c tests common/X.c, or the student module
# X.c of the latest stage that has one (from labs/ or solutions/), plus the
# modules named in test_X_needs.
test_freshness_needs := http
test_filter_needs    := blocklist
test_anonymity_needs := http
UNIT_SRCS  := $(wildcard tests/unit/test_*.c)
UNITS      := $(patsubst tests/unit/%.c,$(BUILD)/tests/$(SRC)/%,$(UNIT_SRCS))
module_src  = $(lastword $(wildcard $(SRC)/[0-9][0-9]-*/$(1).c))

.PHONY: all lab path run unit grade test check check-grader kitcheck deps \
        bench bench-deps diff fuzz slowloris slides slides-check format \
        format-check tidy clean handin handout release gradescope batch \
        check-handout check-gradescope check-batch
.DELETE_ON_ERROR:
.SECONDARY:

all: $(addprefix $(BIN)/,$(STAGES)) $(UNITS)

lab: $(BIN)/$(LAB_NAME)

path:
	@echo $(BIN)/$(LAB_NAME)

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(LIBCOMMON): $(COMMON_OBJ)
	$(AR) rcs $@ $^

.SECONDEXPANSION:
$(BIN)/%: $$(call objs,$$(call prog_srcs,$$*)) $(LIBCOMMON)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/tests/$(SRC)/test_%: $(BUILD)/tests/unit/test_%.o \
        $$(call objs,$$(foreach m,$$* $$(test_$$*_needs),$$(call module_src,$$m))) \
        $(LIBCOMMON)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -lcunit -o $@

# Run every unit test program; each exits non-zero if an assertion failed.
unit: $(UNITS)
	@$(PYTHON) tests/unit/run.py $^

# Grade stage LAB: build the programs of stages 1..LAB, then run the grader.
GRADE_FLAGS = $(if $(SAN),--sanitizer $(SAN)) $(if $(VALGRIND),--valgrind) \
              $(if $(T),--only $(T)) $(if $(JSON),--json $(JSON)) \
              $(if $(OWN),--own) $(if $(FULL),--require-full) $(if $(V),-v) \
              $(if $(AUTOLAB),--autolab) \
              $(if $(STRETCH),--stretch $(STRETCH)) \
              $(if $(SOL)$(GIVEN),--make-flags '$(strip $(if $(SOL),SOL=1) \
                  $(if $(GIVEN),GIVEN=$(GIVEN)))')
grade: $(addprefix $(BIN)/,$(wordlist 1,$(or $(LAB),1),$(STAGES)))
	$(PYTHON) tests/grade/grade.py --lab $(LAB) --bin-dir $(BIN) $(strip $(GRADE_FLAGS))

# What the reference of stage LAB adds over the stage before: the change to
# the stage's table (from stage 03 on), then its files, as a unified diff.
PREV_TABLE = common/stage/stage$(shell printf '%02d' $$(($(LAB) - 1))).c
LAB_TABLE  = common/stage/stage$(firstword $(subst -, ,$(LAB_NAME))).c
diff:
	@if [ -f $(PREV_TABLE) ] && [ -f $(LAB_TABLE) ]; then \
	    diff -u $(PREV_TABLE) $(LAB_TABLE) || true; fi
	@for f in solutions/$(LAB_NAME)/*.c; do \
	    diff -u --label /dev/null --label $$f /dev/null $$f || true; done

# Lecture decks: every slides/NN-name.md, rendered by Marp (its version
# pinned in slides/package-lock.json, installed by npm ci) into
# build/slides/ as HTML, and as PDF where Chromium is installed. The
# diagrams, slides/diagrams/*.dot, are drawn by Graphviz into
# build/slides/diagrams/*.svg, beside the decks that show them. Each deck
# is copied there too, since Marp finds a PDF's images beside its source.
SLIDES_OUT := build/slides
DECKS      := $(notdir $(wildcard slides/[0-9][0-9]-*.md))
DIAGRAMS   := $(patsubst slides/%.dot,$(SLIDES_OUT)/%.svg,$(wildcard slides/diagrams/*.dot))
MARP_STAMP := slides/node_modules/.package-lock.json
MARP       := slides/node_modules/.bin/marp --theme slides/theme.css
CHROMIUM   ?= /usr/bin/chromium
SLIDES_PDF := $(if $(wildcard $(CHROMIUM)),$(DECKS:%.md=$(SLIDES_OUT)/%.pdf))
DOT_STYLE  := -Gfontname=Helvetica -Nfontname=Helvetica -Efontname=Helvetica \
              -Gbgcolor=transparent -Nshape=box -Nstyle=rounded,filled \
              -Nfillcolor='\#e8eef6' -Ncolor='\#224466' -Ecolor='\#333333'

slides: $(DECKS:%.md=$(SLIDES_OUT)/%.html) $(SLIDES_PDF)
	@echo "slides: $(words $(DECKS)) decks in $(SLIDES_OUT)/$(if $(SLIDES_PDF),, as HTML only: no PDF without Chromium ($(CHROMIUM)); apt-get install chromium)"

$(MARP_STAMP): slides/package.json slides/package-lock.json | deps
	cd slides && npm ci --no-audit --no-fund --loglevel=error

$(SLIDES_OUT)/diagrams/%.svg: slides/diagrams/%.dot | deps
	@mkdir -p $(@D)
	dot $(DOT_STYLE) -Tsvg $< -o $@

$(SLIDES_OUT)/%.md: slides/%.md
	@mkdir -p $(@D)
	cp $< $@

$(SLIDES_OUT)/%.html: $(SLIDES_OUT)/%.md slides/theme.css $(DIAGRAMS) $(MARP_STAMP)
	$(MARP) $< -o $@

$(SLIDES_OUT)/%.pdf: $(SLIDES_OUT)/%.md slides/theme.css $(DIAGRAMS) $(MARP_STAMP)
	CHROME_PATH=$(CHROMIUM) $(MARP) --pdf --allow-local-files $< -o $@

# Render every deck afresh and check it: no missing or unrendered image, no
# empty slide, no deck that fails to render. The checker's own tests first.
slides-check: $(DIAGRAMS) $(MARP_STAMP)
	$(PYTHON) -m unittest tests/test_check_slides.py
	$(PYTHON) tests/check_slides.py --marp '$(MARP)' \
	    --diagrams $(SLIDES_OUT)/diagrams $(addprefix slides/,$(DECKS))

# Start the most advanced reference program on 127.0.0.1:8080.
REFERENCE := $(BUILD)/bin/solutions/$(lastword $(STAGES))
TRY_ECHO  := curl telnet://127.0.0.1:8080   (type lines; Ctrl-C ends)
TRY_PROXY := curl -x http://127.0.0.1:8080 http://example.org/   (no network? serve \
             this folder with: python3 -m http.server -b 127.0.0.1 8000, then \
             curl -x http://127.0.0.1:8080 http://127.0.0.1:8000/README.md)
run: deps
	@$(MAKE) --no-print-directory -s SOL=1 LAB=$(LAST) lab
	@echo "Starting $(REFERENCE) on 127.0.0.1:8080; Ctrl-C stops it."
	@echo "Try it from another terminal: $(if $(filter 01-%,$(lastword $(STAGES))),$(TRY_ECHO),$(TRY_PROXY))"
	@exec $(REFERENCE) 8080

# Everything CI checks: see docs/ARCHITECTURE.md, "What make test runs".
test: deps
	$(PYTHON) tests/run_all.py

# The grader's own check: every known-buggy variant in tests/mutants is
# caught, and the reference passes RUNS times (default 5) without a flake.
check-grader:
	$(PYTHON) tests/check_grader.py $(if $(RUNS),--runs $(RUNS))

# The kit check alone: starters build, score 0 and fail fast with TODOs.
kitcheck check:
	$(PYTHON) tests/kitcheck.py

deps:
	@PYTHON=$(PYTHON) sh tests/deps.sh

# The benchmark: wrk, nginx, tinyproxy and squid, then about 5 minutes of
# measuring on two cores; it rewrites docs/performance.md and .svg.
bench-deps:
	@PYTHON=$(PYTHON) sh tests/deps.sh bench

bench:
	$(PYTHON) bench/bench.py $(if $(FULL),--full)

# Hand in: the files you write and NOTES.md, with a MANIFEST.
handin:
	@$(PYTHON) tests/handin.py $(if $(LAB),--lab $(LAB))

# Instructor tools: what students get, and grading at scale.
handout:
	$(PYTHON) tests/handout.py $(if $(LAB),--lab $(LAB))

release:
	$(PYTHON) tests/release.py --lab $(LAB)

gradescope:
	$(PYTHON) tests/gradescope_zip.py --lab $(LAB)

batch:
	$(PYTHON) tests/batch.py $(or $(DIR),$(error say which folder: DIR=submissions/)) \
	    $(if $(LAB),--lab $(LAB)) $(if $(JOBS),--jobs $(JOBS))

check-handout:
	$(PYTHON) tests/check_handout.py

check-gradescope:
	$(PYTHON) tests/check_gradescope.py $(if $(LAB),--lab $(LAB))

check-batch:
	$(PYTHON) tests/check_batch.py $(if $(LAB),--lab $(LAB))

# Fuzzing (docs/HARDENING.md): each libFuzzer target in tests/fuzz links
# only the parsers it feeds (yours, or the reference's with SOL=1), and
# runs FUZZ_SECONDS from the seed corpus in tests/fuzz/corpus, keeping
# what it finds in build/fuzz/SRC/corpus and a crashing input beside it.
# FUZZ_CC=afl-clang-fast builds the same targets for AFL++.
FUZZ_SECONDS ?= 60
FUZZ_CC      ?= clang
FUZZ_DIR     := build/fuzz/$(SRC)
FUZZ_FLAGS    = -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_NAMES   := request response authority
fuzz_request_srcs   = $(call module_src,http) common/log.c
fuzz_response_srcs  = $(call module_src,http) common/log.c
fuzz_authority_srcs = $(call module_src,http) $(call module_src,tunnel) \
                      common/log.c common/net.c common/rio.c common/deadline.c

$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $$(fuzz_$$*_srcs)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(filter-out -MMD -MP,$(CPPFLAGS)) $(CFLAGS) $(FUZZ_FLAGS) \
	    $(filter %.c,$^) -o $@

fuzz: $(FUZZ_NAMES:%=$(FUZZ_DIR)/fuzz_%)
	@for name in $(FUZZ_NAMES); do \
	    mkdir -p $(FUZZ_DIR)/corpus/$$name; \
	    echo "fuzz_$$name: $(FUZZ_SECONDS) s"; \
	    $(FUZZ_DIR)/fuzz_$$name -max_total_time=$(FUZZ_SECONDS) \
	        -max_len=16384 -timeout=10 -print_final_stats=1 \
	        -artifact_prefix=$(FUZZ_DIR)/crash-$$name- \
	        $(FUZZ_DIR)/corpus/$$name tests/fuzz/corpus/$$name \
	        2>$(FUZZ_DIR)/fuzz_$$name.log || \
	        { tail -40 $(FUZZ_DIR)/fuzz_$$name.log; exit 1; }; \
	    grep -E '^(Done|stat::number_of_executed_units)' \
	        $(FUZZ_DIR)/fuzz_$$name.log; \
	done

# The slow-client check: 500 slowloris connections and a legitimate
# client that must still get its 200 within a second.
slowloris:
	@$(MAKE) --no-print-directory SOL=1 LAB=$(LAST) lab
	$(PYTHON) tests/slowloris.py --proxy $(REFERENCE)

C_FILES = $(shell git ls-files '*.c' '*.h' 2>/dev/null || find common labs solutions tests -name '*.[ch]')

format:
	clang-format -i $(C_FILES)

format-check:
	clang-format --dry-run -Werror $(C_FILES)

tidy:
	clang-tidy $(filter %.c,$(C_FILES)) -- $(filter-out -MMD -MP,$(CPPFLAGS)) -std=c11

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
