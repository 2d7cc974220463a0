/*
 * test_pool.c - unit tests for pool.c: idle origin connections taken and
 * given back by origin, newest first, within the per-origin and total
 * limits and the idle timeout, and never one the origin has closed.
 *
 * Each connection is one end of a socketpair; the test keeps the other
 * end, the "origin's". What the origin's end reads tells whether the pool
 * closed its connection (end of file) or still holds it (nothing yet).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "pool.h"
#include "unit.h"

#define HOST       "example.com"
#define OTHER_HOST "example.org"
#define PORT       "80"
#define OTHER_PORT "8080"
#define IDLE_MS    60000 /* longer than any test: nothing expires */
#define SHORT_MS   40    /* the idle timeout of the expiry tests */
#define THREADS    4
#define TURNS      2000

/* A connection: the pool's end and the origin's. */
struct conn {
    int fd;     /* given to the pool */
    int origin; /* kept by the test */
};

static struct pool *make_pool(size_t per_origin, size_t total, int idle_ms)
{
    struct pool_config cfg = { per_origin, total, idle_ms };
    struct pool *pool = pool_new(&cfg);

    CU_ASSERT_FATAL(pool != NULL);
    return pool;
}

static struct conn make_conn(void)
{
    int fds[2];

    CU_ASSERT_FATAL(socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
    return (struct conn){ fds[0], fds[1] };
}

/* origin_sees_close - whether the pool's end of c was closed: the
 * origin's end reads end of file at once (or a reset, when bytes were
 * left unread on the pool's end). */
static bool origin_sees_close(const struct conn *c)
{
    char byte;
    ssize_t n = recv(c->origin, &byte, 1, MSG_DONTWAIT);

    return n == 0 || (n < 0 && errno == ECONNRESET);
}

/* expect_closed, expect_open - record whether the pool closed c. */
#define expect_closed(c)                           \
    UNIT_CHECK(origin_sees_close(c),               \
               "the connection %s is still open: " \
               "the pool should have closed it",   \
               #c)
#define expect_open(c)                              \
    UNIT_CHECK(!origin_sees_close(c),               \
               "the connection %s was closed: the " \
               "pool should still hold it",         \
               #c)

/* expect_take - record that taking from pool for host, port gives c's
 * connection (or none, when c is NULL). */
#define expect_take(pool, host, port, c)                                   \
    do {                                                                   \
        int got_ = pool_take((pool), (host), (port));                      \
        int want_ = (c) != NULL ? ((const struct conn *)(c))->fd : -1;     \
        UNIT_CHECK(got_ == want_, "pool_take(%s, %s): got fd %d, want %d", \
                   (host), (port), got_, want_);                           \
    } while (0)

static void close_conn(const struct conn *c)
{
    close(c->fd);
    close(c->origin);
}

/* origin_only - close just the origin's end (its fd stays the pool's). */
static void origin_only(const struct conn *c)
{
    close(c->origin);
}

static void sleep_ms(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

    nanosleep(&ts, NULL);
}

static void expect_invalid(size_t per_origin, size_t total, int idle_ms)
{
    struct pool_config cfg = { per_origin, total, idle_ms };
    struct pool *pool;

    errno = 0;
    pool = pool_new(&cfg);
    UNIT_CHECK(pool == NULL && errno == EINVAL,
               "pool_new(per_origin %zu, total %zu, idle_ms %d): want NULL "
               "and EINVAL, got %s (errno %d)",
               per_origin, total, idle_ms, pool != NULL ? "a pool" : "NULL",
               errno);
    pool_free(pool);
}

static void test_pool_new_rejects_limits(void)
{
    expect_invalid(0, 4, IDLE_MS);
    expect_invalid(5, 4, IDLE_MS);
    expect_invalid(1, POOL_MAX_TOTAL + 1, IDLE_MS);
    expect_invalid(1, 4, 0);
    expect_invalid(1, 4, -1);
}

static void test_pool_empty_has_none(void)
{
    struct pool *pool = make_pool(2, 4, IDLE_MS);

    expect_take(pool, HOST, PORT, NULL);
    ASSERT_EQ_INT(pool_idle(pool, NULL, NULL), 0);
    pool_free(pool);
}

static void test_pool_give_then_take(void)
{
    struct pool *pool = make_pool(2, 4, IDLE_MS);
    struct conn a = make_conn();

    pool_give(pool, HOST, PORT, a.fd);
    ASSERT_EQ_INT(pool_idle(pool, HOST, PORT), 1);
    expect_take(pool, HOST, PORT, &a);
    expect_open(&a);
    ASSERT_EQ_INT(pool_idle(pool, HOST, PORT), 0);
    expect_take(pool, HOST, PORT, NULL);
    pool_free(pool);
    close_conn(&a);
}

static void test_pool_other_origin_has_none(void)
{
    struct pool *pool = make_pool(2, 4, IDLE_MS);
    struct conn a = make_conn();

    pool_give(pool, HOST, PORT, a.fd);
    expect_take(pool, OTHER_HOST, PORT, NULL);
    expect_take(pool, HOST, OTHER_PORT, NULL);
    expect_take(pool, "example.co", PORT, NULL);
    expect_take(pool, HOST, "8", NULL);
    ASSERT_EQ_INT(pool_idle(pool, HOST, PORT), 1);
    expect_take(pool, HOST, PORT, &a);
    pool_free(pool);
    close_conn(&a);
}

static void test_pool_newest_first(void)
{
    struct pool *pool = make_pool(4, 4, IDLE_MS);
    struct conn a = make_conn();
    struct conn b = make_conn();
    struct conn c = make_conn();

    pool_give(pool, HOST, PORT, a.fd);
    pool_give(pool, HOST, PORT, b.fd);
    pool_give(pool, OTHER_HOST, PORT, c.fd);
    expect_take(pool, HOST, PORT, &b);
    expect_take(pool, HOST, PORT, &a);
    expect_take(pool, HOST, PORT, NULL);
    expect_take(pool, OTHER_HOST, PORT, &c);
    pool_free(pool);
    close_conn(&a);
    close_conn(&b);
    close_conn(&c);
}

static void test_pool_per_origin_limit(void)
{
    struct pool *pool = make_pool(2, 8, IDLE_MS);
    struct conn a = make_conn();
    struct conn b = make_conn();
    struct conn c = make_conn();
    struct conn other = make_conn();

    pool_give(pool, HOST, PORT, a.fd);
    pool_give(pool, OTHER_HOST, PORT, other.fd);
    pool_give(pool, HOST, PORT, b.fd);
    pool_give(pool, HOST, PORT, c.fd); /* a, the origin's oldest, goes */
    expect_closed(&a);
    expect_open(&other);
    ASSERT_EQ_INT(pool_idle(pool, HOST, PORT), 2);
    ASSERT_EQ_INT(pool_idle(pool, NULL, NULL), 3);
    expect_take(pool, HOST, PORT, &c);
    expect_take(pool, HOST, PORT, &b);
    expect_take(pool, HOST, PORT, NULL);
    pool_free(pool);
    origin_only(&a);
    close_conn(&b);
    close_conn(&c);
    close_conn(&other);
}

static void test_pool_total_limit(void)
{
    struct pool *pool = make_pool(2, 3, IDLE_MS);
    struct conn x = make_conn();
    struct conn y = make_conn();
    struct conn y2 = make_conn();
    struct conn z = make_conn();

    pool_give(pool, HOST, PORT, x.fd);
    pool_give(pool, OTHER_HOST, PORT, y.fd);
    pool_give(pool, OTHER_HOST, PORT, y2.fd);
    pool_give(pool, HOST, OTHER_PORT, z.fd); /* x, the oldest, goes */
    expect_closed(&x);
    expect_open(&y);
    ASSERT_EQ_INT(pool_idle(pool, NULL, NULL), 3);
    expect_take(pool, HOST, PORT, NULL);
    expect_take(pool, HOST, OTHER_PORT, &z);
    expect_take(pool, OTHER_HOST, PORT, &y2);
    pool_free(pool);
    origin_only(&x);
    close_conn(&y);
    close_conn(&y2);
    close_conn(&z);
}

static void test_pool_skips_closed_by_origin(void)
{
    struct pool *pool = make_pool(4, 4, IDLE_MS);
    struct conn a = make_conn();
    struct conn b = make_conn();

    pool_give(pool, HOST, PORT, a.fd);
    pool_give(pool, HOST, PORT, b.fd);
    origin_only(&b); /* the newest: its origin closed it while idle */
    expect_take(pool, HOST, PORT, &a);
    ASSERT_EQ_INT(pool_idle(pool, NULL, NULL), 0);
    pool_free(pool);
    close_conn(&a);
}

static void test_pool_skips_bytes_unasked(void)
{
    struct pool *pool = make_pool(4, 4, IDLE_MS);
    struct conn a = make_conn();
    struct conn b = make_conn();

    pool_give(pool, HOST, PORT, a.fd);
    pool_give(pool, HOST, PORT, b.fd);
    CU_ASSERT_FATAL(write(b.origin, "HTTP/1.1 200 OK\r\n", 17) == 17);
    expect_take(pool, HOST, PORT, &a);
    expect_closed(&b);
    expect_take(pool, HOST, PORT, NULL);
    pool_free(pool);
    close_conn(&a);
    origin_only(&b);
}

static void test_pool_all_closed_by_origin(void)
{
    struct pool *pool = make_pool(4, 4, IDLE_MS);
    struct conn a = make_conn();
    struct conn b = make_conn();

    pool_give(pool, HOST, PORT, a.fd);
    pool_give(pool, HOST, PORT, b.fd);
    origin_only(&a);
    origin_only(&b);
    expect_take(pool, HOST, PORT, NULL);
    ASSERT_EQ_INT(pool_idle(pool, NULL, NULL), 0);
    pool_free(pool);
}

static void test_pool_take_skips_expired(void)
{
    struct pool *pool = make_pool(4, 4, SHORT_MS);
    struct conn a = make_conn();

    pool_give(pool, HOST, PORT, a.fd);
    sleep_ms(SHORT_MS * 2);
    expect_take(pool, HOST, PORT, NULL);
    expect_closed(&a);
    pool_free(pool);
    origin_only(&a);
}

static void test_pool_give_closes_expired(void)
{
    struct pool *pool = make_pool(4, 4, SHORT_MS);
    struct conn a = make_conn();
    struct conn b = make_conn();

    pool_give(pool, HOST, PORT, a.fd);
    sleep_ms(SHORT_MS * 2);
    pool_give(pool, OTHER_HOST, PORT, b.fd); /* any origin's go */
    expect_closed(&a);
    expect_open(&b);
    ASSERT_EQ_INT(pool_idle(pool, NULL, NULL), 1);
    pool_free(pool);
    origin_only(&a);
    origin_only(&b);
}

static void test_pool_fresh_within_idle(void)
{
    struct pool *pool = make_pool(4, 4, 10 * SHORT_MS);
    struct conn a = make_conn();

    pool_give(pool, HOST, PORT, a.fd);
    sleep_ms(SHORT_MS);
    expect_take(pool, HOST, PORT, &a);
    pool_free(pool);
    close_conn(&a);
}

static void test_pool_host_too_long_closes(void)
{
    struct pool *pool = make_pool(4, 4, IDLE_MS);
    struct conn a = make_conn();
    char host[300];

    memset(host, 'a', sizeof(host) - 1);
    host[sizeof(host) - 1] = '\0';
    pool_give(pool, host, PORT, a.fd);
    expect_closed(&a);
    ASSERT_EQ_INT(pool_idle(pool, NULL, NULL), 0);
    pool_free(pool);
    origin_only(&a);
}

static void test_pool_free_closes_idle(void)
{
    struct pool *pool = make_pool(4, 4, IDLE_MS);
    struct conn a = make_conn();
    struct conn b = make_conn();

    pool_give(pool, HOST, PORT, a.fd);
    pool_give(pool, OTHER_HOST, PORT, b.fd);
    pool_free(pool);
    expect_closed(&a);
    expect_closed(&b);
    origin_only(&a);
    origin_only(&b);
    pool_free(NULL);
}

/* churn - take a connection (or make one), give it back, TURNS times. */
static void *churn(void *arg)
{
    struct pool *pool = arg;
    bool ok = true;

    for (int i = 0; i < TURNS && ok; i++) {
        int fd = pool_take(pool, HOST, i % 2 == 0 ? PORT : OTHER_PORT);

        if (fd < 0) {
            int fds[2];

            ok = socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0;
            if (!ok) {
                break;
            }
            close(fds[1]); /* an origin that closed: taking skips it */
            fd = fds[0];
            if (i % 3 != 0) {
                pool_give(pool, HOST, i % 2 == 0 ? PORT : OTHER_PORT, fd);
                continue;
            }
        }
        close(fd);
    }
    return ok ? pool : NULL;
}

static void test_pool_threads(void)
{
    struct pool *pool = make_pool(3, 5, IDLE_MS);
    pthread_t threads[THREADS];
    int ok = 0;

    for (int i = 0; i < THREADS; i++) {
        CU_ASSERT_FATAL(pthread_create(&threads[i], NULL, churn, pool) == 0);
    }
    for (int i = 0; i < THREADS; i++) {
        void *result;

        pthread_join(threads[i], &result);
        ok += result == pool;
    }
    ASSERT_EQ_INT(ok, THREADS);
    UNIT_CHECK(pool_idle(pool, NULL, NULL) <= 5,
               "pool_idle: %zu connections idle, more than the total 5",
               pool_idle(pool, NULL, NULL));
    pool_free(pool);
}

static CU_TestInfo pool_tests[] = {
    { "pool_new: limits out of range are EINVAL",
      test_pool_new_rejects_limits },
    { "pool_take: an empty pool has none", test_pool_empty_has_none },
    { "pool_take: gives back what pool_give kept", test_pool_give_then_take },
    { "pool_take: another host or port has none",
      test_pool_other_origin_has_none },
    { "pool_take: the newest first", test_pool_newest_first },
    { "pool_give: per_origin closes the origin's oldest",
      test_pool_per_origin_limit },
    { "pool_give: total closes the oldest of all", test_pool_total_limit },
    { "pool_take: skips one its origin closed",
      test_pool_skips_closed_by_origin },
    { "pool_take: skips one with bytes nobody asked for",
      test_pool_skips_bytes_unasked },
    { "pool_take: all closed by their origin gives none",
      test_pool_all_closed_by_origin },
    { "pool_take: idle longer than idle_ms is closed, not taken",
      test_pool_take_skips_expired },
    { "pool_give: closes every origin's expired ones",
      test_pool_give_closes_expired },
    { "pool_take: idle less than idle_ms is taken",
      test_pool_fresh_within_idle },
    { "pool_give: a host too long is closed", test_pool_host_too_long_closes },
    { "pool_free: closes every idle connection", test_pool_free_closes_idle },
    { "pool: threads taking and giving at once", test_pool_threads },
    CU_TEST_INFO_NULL,
};

int main(void)
{
    CU_SuiteInfo suites[] = {
        UNIT_SUITE("pool", pool_tests),
        CU_SUITE_INFO_NULL,
    };

    signal(SIGPIPE, SIG_IGN); /* a connection closed too soon is a failure */
    return unit_run(suites);
}
