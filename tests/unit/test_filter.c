/*
 * test_filter.c - unit tests for filter.c: the blocklist of stage 06 that
 * worker threads check while a reload replaces it.
 *
 * Lists are built with blocklist_parse from the texts below. The last test
 * runs 4 checking threads while a fifth replaces the list back and forth,
 * and checks that every answer is one of the two lists' answers; run it
 * under `make SAN=tsan unit`, and the others under SAN=asan, which finds
 * a list that is never freed or freed while in use. Every wait has a time
 * limit: stuck threads are reported and left behind.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "blocklist.h"
#include "deadline.h"
#include "filter.h"
#include "unit.h"

#define REPLACES 200 /* replacements in a row, single-threaded */

#define STRESS_CHECKERS 4
#define STRESS_REPLACES 10000  /* replacements the fifth thread makes */
#define STRESS_CHECKS   200000 /* most checks one checker makes */
#define STRESS_MS       4000   /* limit for the threads to finish */

/* The two lists the stress test swaps: each host is blocked by a
 * different rule, or not at all, in each. */
static const char list_one[] = "one.test\n*.shared.test\n";
static const char list_two[] = "two.test\n*.shared.test:80\nx.shared.test\n";

/* A host the stress test checks, and the rule each list blocks it by. */
struct probe {
    const char *host;
    const char *port;
    const char *rule_one; /* NULL: list_one lets it through */
    const char *rule_two;
};

static const struct probe probes[] = {
    { "one.test", "80", "one.test", NULL },
    { "two.test", "443", NULL, "two.test" },
    { "x.shared.test", "80", "*.shared.test", "x.shared.test" },
    { "y.shared.test", "443", "*.shared.test", NULL },
    { "y.shared.test", "80", "*.shared.test", "*.shared.test:80" },
    { "free.test", "80", NULL, NULL },
};

#define NPROBES (sizeof(probes) / sizeof(probes[0]))

/* list - a blocklist parsed from text (the test ends if it is NULL). */
static struct blocklist *list(const char *text)
{
    size_t bad_line = 0;
    struct blocklist *bl = blocklist_parse(text, strlen(text), &bad_line);

    CU_ASSERT_PTR_NOT_NULL_FATAL(bl);
    return bl;
}

/* new_filter - a filter over a list parsed from text (or the test ends). */
static struct filter *new_filter(const char *text)
{
    struct filter *filter = filter_new(list(text));

    CU_ASSERT_PTR_NOT_NULL_FATAL(filter);
    return filter;
}

/* is_answer - whether blocked and rule are the answer want stands for (a
 * rule, or NULL: not blocked). */
static bool is_answer(bool blocked, const char *rule, const char *want)
{
    return want == NULL ? !blocked : blocked && strcmp(rule, want) == 0;
}

/* answers - whether filter_check gives want for host on port. */
static bool answers(struct filter *filter, const char *host, const char *port,
                    const char *want)
{
    char rule[BLOCKLIST_MAXRULE] = "";
    bool blocked = filter_check(filter, host, port, rule, sizeof(rule));

    return is_answer(blocked, rule, want);
}

/* expect_check - filter_check gives want for host on port. */
static void expect_check(struct filter *filter, const char *host,
                         const char *port, const char *want)
{
    UNIT_CHECK(answers(filter, host, port, want), "check %s port %s: want %s",
               host, port, want != NULL ? want : "not blocked");
}

static void test_filter_checks_its_list(void)
{
    struct filter *filter = new_filter(list_one);

    expect_check(filter, "one.test", "80", "one.test");
    expect_check(filter, "a.shared.test", "443", "*.shared.test");
    expect_check(filter, "two.test", "80", NULL);
    expect_check(filter, "shared.test", "80", NULL);
    filter_free(filter);
}

static void test_filter_empty_list_blocks_nothing(void)
{
    struct filter *filter = new_filter("");

    expect_check(filter, "one.test", "80", NULL);
    filter_free(filter);
}

static void test_filter_replace_takes_effect(void)
{
    struct filter *filter = new_filter(list_one);

    ASSERT_EQ_INT(filter_replace(filter, list(list_two)), 0);
    expect_check(filter, "one.test", "80", NULL);
    expect_check(filter, "two.test", "80", "two.test");
    expect_check(filter, "x.shared.test", "443", "x.shared.test");
    ASSERT_EQ_INT(filter_replace(filter, list(list_one)), 0);
    expect_check(filter, "one.test", "80", "one.test");
    expect_check(filter, "two.test", "80", NULL);
    filter_free(filter);
}

static void test_filter_replace_many_times(void)
{
    struct filter *filter = new_filter(list_one);
    int replaced = 0;
    int right = 0;

    /* Under ASan, a list that is not freed when replaced is a leak. */
    for (int i = 0; i < REPLACES; i++) {
        bool two = i % 2 == 0;

        replaced +=
            filter_replace(filter, list(two ? list_two : list_one)) == 0;
        right += answers(filter, "one.test", "80", two ? NULL : "one.test");
    }
    ASSERT_EQ_INT(replaced, REPLACES);
    ASSERT_EQ_INT(right, REPLACES);
    filter_free(filter);
}

static void test_filter_rule_truncated(void)
{
    struct filter *filter = new_filter("*.Example.COM:8080\n");
    char rule[16];

    /* 8 bytes: 7 of the rule and its NUL; the rest is not touched. */
    memset(rule, 'X', sizeof(rule));
    CU_ASSERT_TRUE(filter_check(filter, "a.example.com", "8080", rule, 8));
    ASSERT_EQ_STR(rule, "*.examp");
    ASSERT_EQ_MEM(rule + 8, "XXXXXXXX", 8);
    CU_ASSERT_TRUE(
        filter_check(filter, "a.example.com", "8080", rule, sizeof(rule)));
    ASSERT_EQ_STR(rule, "*.example.com:8");
    filter_free(filter);
}

static void test_filter_rule_copied(void)
{
    struct filter *filter = new_filter(list_one);
    char rule[BLOCKLIST_MAXRULE];

    /* The copy outlives the list it came from. */
    CU_ASSERT_TRUE(filter_check(filter, "one.test", "80", rule, sizeof(rule)));
    ASSERT_EQ_INT(filter_replace(filter, list(list_two)), 0);
    filter_free(filter);
    ASSERT_EQ_STR(rule, "one.test");
}

/* ---- threads checking while the list is replaced ---- */

struct stress;

/* One checking thread and what it saw. */
struct checker {
    pthread_t thread;
    struct stress *stress;
    long checks;
    long wrong; /* answers neither list gives */
};

/* Threads sharing one filter. */
struct stress {
    struct filter *filter;
    pthread_t replacer;
    long replaced;   /* replacements that succeeded */
    atomic_bool end; /* set when the replacer is done */
    atomic_int finished;
    struct checker checker[STRESS_CHECKERS];
};

/* checker_run - check every probe in turn until the replacer ends; each
 * answer must be what one of the two lists says. */
static void *checker_run(void *arg)
{
    struct checker *c = arg;
    struct filter *filter = c->stress->filter;

    while (!atomic_load(&c->stress->end) && c->checks < STRESS_CHECKS) {
        const struct probe *p = &probes[c->checks % NPROBES];
        char rule[BLOCKLIST_MAXRULE] = "";
        bool blocked =
            filter_check(filter, p->host, p->port, rule, sizeof(rule));

        c->wrong += !is_answer(blocked, rule, p->rule_one) &&
                    !is_answer(blocked, rule, p->rule_two);
        c->checks++;
    }
    atomic_fetch_add(&c->stress->finished, 1);
    return NULL;
}

/* replacer_run - swap list_two and list_one in, STRESS_REPLACES times. */
static void *replacer_run(void *arg)
{
    struct stress *st = arg;

    for (int i = 0; i < STRESS_REPLACES; i++) {
        size_t bad_line = 0;
        const char *text = i % 2 == 0 ? list_two : list_one;
        struct blocklist *bl = blocklist_parse(text, strlen(text), &bad_line);

        st->replaced += bl != NULL && filter_replace(st->filter, bl) == 0;
    }
    atomic_store(&st->end, true);
    atomic_fetch_add(&st->finished, 1);
    return NULL;
}

/* stress_wait - wait up to STRESS_MS for every thread, then join them; a
 * stuck one is detached and false returned. */
static bool stress_wait(struct stress *st)
{
    int64_t deadline = deadline_after(STRESS_MS);
    struct timespec nap = { 0, 2000000 };
    bool done;

    while (atomic_load(&st->finished) < STRESS_CHECKERS + 1 &&
           deadline_now() < deadline) {
        nanosleep(&nap, NULL);
    }
    done = atomic_load(&st->finished) == STRESS_CHECKERS + 1;
    UNIT_CHECK(done, "threads still running after %d ms", STRESS_MS);
    for (int i = 0; i <= STRESS_CHECKERS; i++) {
        pthread_t t =
            i < STRESS_CHECKERS ? st->checker[i].thread : st->replacer;

        if (done) {
            pthread_join(t, NULL);
        } else {
            pthread_detach(t);
        }
    }
    return done;
}

static void test_filter_stress(void)
{
    struct stress *st = calloc(1, sizeof(*st));
    long checks = 0;
    long wrong = 0;

    CU_ASSERT_PTR_NOT_NULL(st);
    if (st == NULL) {
        return;
    }
    st->filter = filter_new(list(list_one));
    if (st->filter == NULL) {
        free(st);
        CU_FAIL("filter_new failed: no stress run");
        return;
    }
    atomic_init(&st->end, false);
    atomic_init(&st->finished, 0);
    for (int i = 0; i < STRESS_CHECKERS; i++) {
        st->checker[i].stress = st;
        CU_ASSERT_FATAL(pthread_create(&st->checker[i].thread, NULL,
                                       checker_run, &st->checker[i]) == 0);
    }
    CU_ASSERT_FATAL(pthread_create(&st->replacer, NULL, replacer_run, st) == 0);
    if (!stress_wait(st)) {
        return; /* st stays allocated for the stuck threads */
    }
    for (int i = 0; i < STRESS_CHECKERS; i++) {
        checks += st->checker[i].checks;
        wrong += st->checker[i].wrong;
    }
    UNIT_CHECK(checks > 0, "no checks were made");
    ASSERT_EQ_INT(wrong, 0);
    ASSERT_EQ_INT(st->replaced, STRESS_REPLACES);
    expect_check(st->filter, "one.test", "80", "one.test"); /* the last */
    filter_free(st->filter);
    free(st);
}

static CU_TestInfo filter_tests[] = {
    { "check answers with the rule of the filter's list",
      test_filter_checks_its_list },
    { "a filter over an empty list blocks nothing",
      test_filter_empty_list_blocks_nothing },
    { "replace takes effect for the next check",
      test_filter_replace_takes_effect },
    { "200 replacements in a row, each one seen (old lists freed)",
      test_filter_replace_many_times },
    { "the rule is truncated to rulesize, NUL-terminated",
      test_filter_rule_truncated },
    { "the rule is a copy that outlives its list", test_filter_rule_copied },
    { "4 threads check while a fifth replaces 10000 times: every answer "
      "is one list's",
      test_filter_stress },
    CU_TEST_INFO_NULL,
};

int main(void)
{
    CU_SuiteInfo suites[] = {
        UNIT_SUITE("filter", filter_tests),
        CU_SUITE_INFO_NULL,
    };

    return unit_run(suites);
}
