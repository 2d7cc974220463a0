/*
 * unit.h - shared by the CUnit tests: ASSERT_EQ_INT, _STR and _MEM print both
 * sides when they fail (as libuv's do), UNIT_SUITE puts a time limit on each
 * test, and unit_run runs the suites and returns main()'s exit status (or,
 * with UNIT_LIST set in the environment, lists the tests: the grader's
 * tests/grade/units.py learns from it what a run that crashed missed).
 */
#ifndef UNIT_H
#define UNIT_H

#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define UNIT_MSG_MAX   512 /* room for one failure message */
#define UNIT_TIMEOUT_S 5   /* SIGALRM ends a test that runs longer */

/* UNIT_CHECK_AT - record an assertion at line of the file, with a
 * printf-style message (for a helper that checks for its caller). */
#define UNIT_CHECK_AT(line, ok, ...)                                       \
    do {                                                                   \
        char m_[UNIT_MSG_MAX];                                             \
        int n_ = snprintf(m_, sizeof(m_), __VA_ARGS__);                    \
        CU_assertImplementation((ok), (unsigned)(line), n_ < 0 ? "?" : m_, \
                                __FILE__, "", CU_FALSE);                   \
    } while (0)

/* UNIT_CHECK - record an assertion, with a printf-style message. */
#define UNIT_CHECK(ok, ...) UNIT_CHECK_AT(__LINE__, ok, __VA_ARGS__)

#define ASSERT_EQ_INT(got, want)                                       \
    do {                                                               \
        long long g_ = (got), w_ = (want);                             \
        UNIT_CHECK(g_ == w_, "%s: got %lld, want %lld", #got, g_, w_); \
    } while (0)

#define ASSERT_EQ_STR(got, want)                                             \
    do {                                                                     \
        const char *g_ = (got), *w_ = (want);                                \
        UNIT_CHECK(g_ != NULL && strcmp(g_, w_) == 0, "%s: got %s, want %s", \
                   #got, g_ != NULL ? g_ : "NULL", w_);                      \
    } while (0)

#define ASSERT_EQ_MEM(got, want, n)                                          \
    do {                                                                     \
        const char *g_ = (const char *)(got), *w_ = (const char *)(want);    \
        size_t i_ = 0;                                                       \
        while (i_ < (size_t)(n) && g_[i_] == w_[i_]) {                       \
            i_++;                                                            \
        }                                                                    \
        UNIT_CHECK(i_ == (size_t)(n), "%s: byte %zu of %zu differs from %s", \
                   #got, i_, (size_t)(n), #want);                            \
    } while (0)

/* UNIT_SUITE - a CU_SuiteInfo whose tests get UNIT_TIMEOUT_S seconds each. */
#define UNIT_SUITE(name, tests)                                    \
    {                                                              \
        .pName = (name), .pSetUpFunc = unit_arm, .pTests = (tests) \
    }

static inline void unit_arm(void)
{
    alarm(UNIT_TIMEOUT_S);
}

/* unit_list - print each test of suites as "suite: test", one a line. */
static inline int unit_list(const CU_SuiteInfo *suites)
{
    for (; suites->pName != NULL; suites++) {
        for (const CU_TestInfo *t = suites->pTests; t->pName != NULL; t++) {
            printf("%s: %s\n", suites->pName, t->pName);
        }
    }
    return 0;
}

/* unit_run - run suites (ended by CU_SUITE_INFO_NULL); 0 if every
 * assertion held, else 1. With UNIT_LIST set, only list them. */
static inline int unit_run(CU_SuiteInfo *suites)
{
    int failed = 1;

    if (getenv("UNIT_LIST") != NULL) {
        return unit_list(suites);
    }

    setvbuf(stdout, NULL, _IONBF, 0); /* a hung test has printed its name */
    if (CU_initialize_registry() == CUE_SUCCESS &&
        CU_register_suites(suites) == CUE_SUCCESS) {
        CU_basic_set_mode(CU_BRM_VERBOSE);
        CU_basic_run_tests();
        failed = CU_get_number_of_failures() != 0;
    }
    alarm(0);
    CU_cleanup_registry();
    return failed;
}

#endif /* UNIT_H */
