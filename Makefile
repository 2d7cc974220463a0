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
#   make fuzz              fuzz the parsers, FUZZ_SECONDS per target (60)
#   make slowloris         a legitimate client is served while 500 slow
#                          clients hold connections (docs/HARDENING.md)
# Variables: SOL=1 uses solutions/ instead of labs/; SAN=asan|tsan builds a
# sanitizer variant; V=1 makes the grader verbose; T=name runs one test;
# STRETCH=2 doubles every time limit (a slow machine);
# JSON=file writes Gradescope results; VALGRIND=1 grades under memcheck;
# GIVEN=K builds stages 1..K from solutions/ and the later ones from labs/
# (an instructor releasing the reference of stages a student missed).
# `make -s path LAB=N [SOL=1] [SAN=...]` prints the program's path.

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

PYTHON   ?= python3
SRC      := $(if $(SOL),solutions,labs)
BUILD    := build/$(or $(SAN),debug)
BIN      := $(BUILD)/bin/$(SRC)$(if $(GIVEN),-given$(GIVEN))

# The stages, named after their directories: 01-echo 02-forward ...
STAGES   := $(notdir $(wildcard labs/[0-9][0-9]-*))
LAST     := $(words $(STAGES))
LAB_NAME := $(if $(LAB),$(filter $(shell printf '%02d' '$(LAB)' 2>/dev/null)-%,$(STAGES)))
ifneq ($(filter lab path grade diff,$(MAKECMDGOALS)),)
ifeq ($(LAB_NAME),)
$(error say which stage: LAB=1 to LAB=$(LAST))
endif
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
UNIT_SRCS  := $(wildcard tests/unit/test_*.c)
UNITS      := $(patsubst tests/unit/%.c,$(BUILD)/tests/$(SRC)/%,$(UNIT_SRCS))
module_src  = $(lastword $(wildcard $(SRC)/[0-9][0-9]-*/$(1).c))

.PHONY: all lab path run unit grade test check check-grader kitcheck deps \
        diff fuzz slowloris format \
        format-check tidy clean
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
	@sh tests/deps.sh

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
