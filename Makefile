# Makefile - the students' commands: build, run and grade a stage. `make
# help` lists them; the instructors' and the kit's own are in tools/kit.mk.
# LAB=N a stage; SOL=1 the reference (solutions/) instead of your files
# (labs/); GIVEN=K stages 1..K from a reference an instructor released;
# SAN=asan|tsan a sanitizer build. make grade: T=name one test, V=1 each
# step as it happens, TRACE=1 a timeline of each test (build/trace/),
# VALGRIND=1, OWN=1 stage N's tests only, STRETCH=2 doubled time limits,
# JSON=file Gradescope's results, PL=file PrairieLearn's, AUTOLAB=1
# Autolab's score line (with any of these three a failed build is graded
# too: every test at 0).

$(if $(filter Linux,$(shell uname -s)),,$(error the kit needs Linux (sockets, /proc, Debian packages)))

CC       ?= cc
CPPFLAGS  = -D_POSIX_C_SOURCE=200809L -Icommon -Icommon/stage -MMD -MP
CFLAGS    = -std=c11 -g -O1 -pthread -Wall -Wextra -Werror -Wshadow \
            -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wvla -Wpedantic
LDFLAGS   = -pthread
SAN_asan  = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
SAN_tsan  = -fsanitize=thread
$(if $(filter-out asan tsan,$(SAN)),$(error SAN must be asan or tsan, not '$(SAN)'))
CFLAGS   += $(SAN_$(SAN))
LDFLAGS  += $(SAN_$(SAN))
# Debian's own Python (3.9 or later), whatever else is first on PATH
PYTHON   ?= /usr/bin/python3

STAGES   := $(notdir $(wildcard labs/[0-9][0-9]-*))
LAB_NAME := $(filter $(shell printf '%02d' '$(LAB)' 2>/dev/null)-%,$(STAGES))
$(if $(filter lab path grade diff gradescope prairielearn autolab,$(MAKECMDGOALS)),$(if $(LAB_NAME),,\
    $(error say which stage: LAB=1 to LAB=$(words $(STAGES)))))
SRC      := $(if $(SOL),solutions,labs)
BUILD    := build/$(or $(SAN),debug)
TREE     := $(SRC)$(if $(GIVEN),-given$(GIVEN))
BIN      := $(BUILD)/bin/$(TREE)
REFERENCE = $(BUILD)/bin/solutions/$(lastword $(STAGES))

# A program is build/debug/bin/TREE/STAGE, TREE labs, solutions or labs-givenK
# (stages 1..K from solutions/). Stage 01 is echo.c and echo_main.c; stage N
# is the student files of stages 02..N, its table stageNN.c, the glue library
# (the linker takes the parts the table names) and libcommon.
given_of  = $(wordlist 1,$(or $(patsubst labs-given%,%,$(filter labs-given%,$(1))),0),$(STAGES))
root_of   = $(if $(filter solutions,$(1))$(filter $(2),$(call given_of,$(1))),solutions,labs)
num_of    = $(patsubst 0%,%,$(firstword $(subst -, ,$(1))))
stages_of = $(if $(filter 01-%,$(1)),$(1),$(wordlist 2,$(call num_of,$(1)),$(STAGES)))
objs      = $(patsubst %.c,$(BUILD)/%.o,$(1))
prog_objs = $(call objs,$(foreach s,$(call stages_of,$(2)),$(wildcard $(call root_of,$(1),$(s))/$(s)/*.c)) \
              $(if $(filter 01-%,$(2)),common/stage/echo_main.c,common/stage/stage$(firstword $(subst -, ,$(2))).c))
prog_libs = $(if $(filter 01-%,$(1)),,$(BUILD)/libproxy.a) $(BUILD)/libcommon.a

# Unit tests: tests/unit/test_X.c tests common/X.c, the student module X.c
# (from the tree the programs come from, GIVEN included), or the glue's
# common/stage/proxy_X.c, with the modules test_X_needs.
test_freshness_needs := http
test_filter_needs    := blocklist
test_anonymity_needs := http
test_persist_needs   := http chunked
test_upstream_needs  := http chunked
UNITS        := $(patsubst tests/unit/%.c,$(BUILD)/tests/$(TREE)/%,$(wildcard tests/unit/test_*.c))
module_stage  = $(notdir $(patsubst %/,%,$(dir $(wildcard labs/[0-9][0-9]-*/$(1).c))))
module_src    = $(if $(call module_stage,$(1)),$(call root_of,$(TREE),$(call module_stage,$(1)))/$(call module_stage,$(1))/$(1).c,$(wildcard common/stage/proxy_$(1).c))

.PHONY: all lab path run unit grade origin format handin deps help clean
.DELETE_ON_ERROR:
.SECONDARY:

# --- Building, running and grading your stage
all: $(addprefix $(BIN)/,$(STAGES)) $(UNITS) ## build every stage and unit test

lab: $(BIN)/$(LAB_NAME) ## build your program for stage LAB

path: ## print the program's path: $(make -s path LAB=N) 8080 runs it
	@echo $(BIN)/$(LAB_NAME)

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(BUILD)/libcommon.a: $(call objs,$(wildcard common/*.c))
	$(AR) rcs $@ $^

$(BUILD)/libproxy.a: $(call objs,$(wildcard common/stage/proxy*.c))
	$(AR) rcs $@ $^

.SECONDEXPANSION:
$(BUILD)/bin/%: $$(call prog_objs,$$(*D),$$(*F)) $$(call prog_libs,$$(*F))
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) $^ -o $@

$(BUILD)/tests/$(TREE)/test_%: $(BUILD)/tests/unit/test_%.o \
        $$(call objs,$$(foreach m,$$* $$(test_$$*_needs),$$(call module_src,$$m))) \
        $(BUILD)/libcommon.a
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) $^ -lcunit -o $@

# make unit LAB=N: the suites of the given modules and of stages 1..N only.
unit_in_lab = $(if $(call module_stage,$(1)),$(filter $(call module_stage,$(1)),$(wordlist 1,$(LAB),$(STAGES))),given)
LAB_UNITS   = $(if $(LAB),$(foreach u,$(UNITS),$(if $(call unit_in_lab,$(patsubst test_%,%,$(notdir $(u)))),$(u))),$(UNITS))

unit: $$(LAB_UNITS) ## run the unit tests against your files (LAB=N: stages 1..N)
	@$(PYTHON) tests/unit/run.py $^

GRADE_FLAGS = $(if $(SAN),--sanitizer $(SAN)) $(if $(VALGRIND),--valgrind) \
              $(if $(T),--only $(T)) $(if $(JSON),--json $(JSON)) \
              $(if $(PL),--prairielearn $(PL)) \
              $(if $(OWN),--own) $(if $(FULL),--require-full) $(if $(V),-v) \
              $(if $(AUTOLAB),--autolab) $(if $(STRETCH),--stretch $(STRETCH)) \
              $(if $(TRACE),--trace build/trace) \
              $(if $(SOL)$(GIVEN),--make-flags '$(strip $(if $(SOL),SOL=1) \
                  $(if $(GIVEN),GIVEN=$(GIVEN)))')
GRADE_PROGS = $(addprefix $(BIN)/,$(wordlist 1,$(or $(call num_of,$(LAB_NAME)),1),$(STAGES)))
GRADE       = $(PYTHON) tests/grade/grade.py --lab $(LAB) --bin-dir $(BIN) $(strip $(GRADE_FLAGS))
BUILD_LOG   = $(BUILD)/grade-build.log
ifeq ($(JSON)$(PL)$(AUTOLAB),)
grade: $(GRADE_PROGS) ## grade stage LAB and the stages before it (OWN=1: its own tests, out of 100)
	$(GRADE)
else
# A platform reads the results (JSON=, PL=, AUTOLAB=1), so a build that
# fails is graded too: every test at 0, the compiler's messages once.
grade:
	@mkdir -p $(BUILD); \
	if $(MAKE) --no-print-directory $(GRADE_PROGS) >$(BUILD_LOG) 2>&1; then \
	    cat $(BUILD_LOG); $(GRADE); \
	else $(GRADE) --build-failed $(BUILD_LOG); fi
endif

run: deps $(REFERENCE) ## start the most advanced reference on 127.0.0.1:8080 (the kit with solutions/)
	@printf '%s\n' "Starting $(REFERENCE) on 127.0.0.1:8080; Ctrl-C stops it." \
	    "Try it from another terminal: curl -x http://127.0.0.1:8080 http://example.org/" \
	    "No network? Serve this folder: python3 -m http.server -b 127.0.0.1 8000, then" \
	    "curl -x http://127.0.0.1:8080 http://127.0.0.1:8000/README.md"
	@exec $(REFERENCE) 8080

C_FILES = $(or $(shell git ls-files '*.[ch]' 2>/dev/null),$(wildcard \
            common/*.[ch] common/stage/*.[ch] */[0-9][0-9]-*/*.c tests/*/*.[ch]))
origin: ## the graded tests' scripted origin on 127.0.0.1:8000 (PORT=N), for their reproduce lines
	$(PYTHON) tests/grade/origin_tool.py --port $(or $(PORT),8000)

format: ## format the C files in the house style (clang-format)
	clang-format -i $(C_FILES)

handin: ## pack your files and NOTES.md to hand in (LAB=N: stages 1..N; GIVEN=K: K+1..N)
	@$(PYTHON) tools/handin.py $(if $(LAB),--lab $(LAB)) $(if $(GIVEN),--given $(GIVEN))

deps: ## install the Debian packages the kit needs, if any are missing
	@PYTHON=$(PYTHON) sh tools/deps.sh

help: ## list the commands
	@awk -F':.*## ' '/^[a-z-]+:.*## / { printf "  make %-17s %s\n", $$1, $$2 } \
	    /^# --- / { print "\n" substr($$0, 7) }' $(MAKEFILE_LIST)

clean: ## remove build/
	rm -rf build

include tools/kit.mk
-include $(shell find build -name '*.d' 2>/dev/null)
