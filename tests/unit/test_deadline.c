/*
 * test_deadline.c - unit tests for deadline.c: the monotonic clock in
 * milliseconds, deadlines built on it and the timeouts poll() gets.
 */
#include <limits.h>
#include <time.h>

#include "deadline.h"
#include "unit.h"

static void test_deadline_now_advances(void)
{
    struct timespec pause = { 0, 20000000 }; /* 20 ms */
    int64_t before = deadline_now();
    int64_t after;

    nanosleep(&pause, NULL);
    after = deadline_now();
    CU_ASSERT(before > 0);
    CU_ASSERT(after - before >= 19); /* both readings round down */
    CU_ASSERT(after - before < 1000);
}

static void test_deadline_after_nonpositive_is_none(void)
{
    ASSERT_EQ_INT(deadline_after(0), DEADLINE_NONE);
    ASSERT_EQ_INT(deadline_after(-1), DEADLINE_NONE);
    ASSERT_EQ_INT(deadline_after(INT_MIN), DEADLINE_NONE);
}

static void test_deadline_after_adds_ms(void)
{
    int64_t before = deadline_now();
    int64_t d = deadline_after(1500);
    int64_t after = deadline_now();

    CU_ASSERT(d >= before + 1500);
    CU_ASSERT(d <= after + 1500);
}

static void test_deadline_earlier_picks_sooner(void)
{
    ASSERT_EQ_INT(deadline_earlier(100, 200), 100);
    ASSERT_EQ_INT(deadline_earlier(200, 100), 100);
    ASSERT_EQ_INT(deadline_earlier(100, 100), 100);
}

static void test_deadline_earlier_none_is_latest(void)
{
    ASSERT_EQ_INT(deadline_earlier(DEADLINE_NONE, 100), 100);
    ASSERT_EQ_INT(deadline_earlier(100, DEADLINE_NONE), 100);
    ASSERT_EQ_INT(deadline_earlier(DEADLINE_NONE, DEADLINE_NONE),
                  DEADLINE_NONE);
}

static void test_deadline_poll_ms_none_waits_forever(void)
{
    ASSERT_EQ_INT(deadline_poll_ms(DEADLINE_NONE), -1);
}

static void test_deadline_poll_ms_passed_is_zero(void)
{
    ASSERT_EQ_INT(deadline_poll_ms(deadline_now()), 0);
    ASSERT_EQ_INT(deadline_poll_ms(deadline_now() - 1), 0);
    ASSERT_EQ_INT(deadline_poll_ms(1), 0);
}

static void test_deadline_poll_ms_counts_down(void)
{
    int ms = deadline_poll_ms(deadline_after(500));

    CU_ASSERT(ms > 400);
    CU_ASSERT(ms <= 500);
}

static void test_deadline_poll_ms_caps_at_int_max(void)
{
    int64_t far = deadline_now() + (int64_t)INT_MAX * 4;

    ASSERT_EQ_INT(deadline_poll_ms(far), INT_MAX);
}

static void test_deadline_timespec_splits_ms(void)
{
    struct timespec ts = deadline_timespec(12345678);

    ASSERT_EQ_INT(ts.tv_sec, 12345);
    ASSERT_EQ_INT(ts.tv_nsec, 678000000);
}

static void test_deadline_timespec_matches_monotonic_clock(void)
{
    struct timespec now;
    int64_t deadline = deadline_after(1000);
    struct timespec ts = deadline_timespec(deadline);

    clock_gettime(CLOCK_MONOTONIC, &now);
    CU_ASSERT(ts.tv_sec >= now.tv_sec && ts.tv_sec <= now.tv_sec + 2);
}

static CU_TestInfo deadline_tests[] = {
    { "now advances with the monotonic clock", test_deadline_now_advances },
    { "after(ms <= 0) means no deadline",
      test_deadline_after_nonpositive_is_none },
    { "after(ms) is ms past now", test_deadline_after_adds_ms },
    { "earlier picks the sooner deadline", test_deadline_earlier_picks_sooner },
    { "earlier treats NONE as later than any deadline",
      test_deadline_earlier_none_is_latest },
    { "poll_ms is -1 (forever) without a deadline",
      test_deadline_poll_ms_none_waits_forever },
    { "poll_ms is 0 once the deadline has passed",
      test_deadline_poll_ms_passed_is_zero },
    { "poll_ms is the milliseconds left", test_deadline_poll_ms_counts_down },
    { "poll_ms stops at INT_MAX for far deadlines",
      test_deadline_poll_ms_caps_at_int_max },
    { "timespec splits milliseconds into seconds and nanoseconds",
      test_deadline_timespec_splits_ms },
    { "timespec is on the monotonic clock",
      test_deadline_timespec_matches_monotonic_clock },
    CU_TEST_INFO_NULL,
};

int main(void)
{
    CU_SuiteInfo suites[] = {
        UNIT_SUITE("deadline", deadline_tests),
        CU_SUITE_INFO_NULL,
    };

    return unit_run(suites);
}
