/*
 * test_sink.c - unit tests for sink.c: a sink passes every byte to its
 * callback, and sink_to_rio's sink writes them to the connection.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rio.h"
#include "sink.h"
#include "unit.h"

/* A callback that records what it was given, for sink_write's tests. */
struct record {
    char bytes[64];
    size_t len;
    int calls;
};

static ssize_t write_to_record(struct sink *sink, const void *buf, size_t n)
{
    struct record *record = sink->arg;

    memcpy(record->bytes + record->len, buf, n);
    record->len += n;
    record->calls++;
    return (ssize_t)n;
}

static ssize_t write_fails(struct sink *sink, const void *buf, size_t n)
{
    (void)sink;
    (void)buf;
    (void)n;
    errno = EPIPE;
    return -1;
}

static void test_sink_write_calls_the_callback(void)
{
    struct record record = { .len = 0 };
    struct sink sink = { .write = write_to_record, .arg = &record };

    ASSERT_EQ_INT(sink_write(&sink, "ab\0c", 4), 4);
    ASSERT_EQ_INT(sink_write(&sink, "de", 2), 2);
    ASSERT_EQ_INT(record.calls, 2);
    ASSERT_EQ_INT(record.len, 6);
    ASSERT_EQ_MEM(record.bytes, "ab\0cde", 6);
}

static void test_sink_write_passes_failures_on(void)
{
    struct sink sink = { .write = write_fails, .arg = NULL };

    errno = 0;
    ASSERT_EQ_INT(sink_write(&sink, "x", 1), -1);
    ASSERT_EQ_INT(errno, EPIPE);
}

static void test_sink_to_rio_writes_to_the_connection(void)
{
    char got[16] = "";
    struct rio rio;
    struct sink sink;
    int fds[2];

    CU_ASSERT_FATAL(socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
    rio_init(&rio, fds[0]);
    sink = sink_to_rio(&rio);
    ASSERT_EQ_INT(sink_write(&sink, "a\0b\n", 4), 4);
    ASSERT_EQ_INT(read(fds[1], got, sizeof(got)), 4);
    ASSERT_EQ_MEM(got, "a\0b\n", 4);
    close(fds[0]);
    close(fds[1]);
}

static void test_sink_to_rio_reports_a_closed_peer(void)
{
    struct rio rio;
    struct sink sink;
    int fds[2];

    CU_ASSERT_FATAL(socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
    close(fds[1]);
    rio_init(&rio, fds[0]);
    sink = sink_to_rio(&rio);
    ASSERT_EQ_INT(sink_write(&sink, "x", 1), -1);
    ASSERT_EQ_INT(errno, EPIPE);
    close(fds[0]);
}

static CU_TestInfo sink_tests[] = {
    { "sink_write passes every byte, NUL included, to the callback",
      test_sink_write_calls_the_callback },
    { "sink_write returns the callback's failure and errno",
      test_sink_write_passes_failures_on },
    { "sink_to_rio's sink writes to the connection",
      test_sink_to_rio_writes_to_the_connection },
    { "sink_to_rio's sink fails with EPIPE once the peer is gone",
      test_sink_to_rio_reports_a_closed_peer },
    CU_TEST_INFO_NULL,
};

int main(void)
{
    CU_SuiteInfo suites[] = {
        UNIT_SUITE("sink", sink_tests),
        CU_SUITE_INFO_NULL,
    };

    return unit_run(suites);
}
