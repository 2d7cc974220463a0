/*
 * test_peek.c - unit tests for proxy_peek.c: when the waiting room hands a
 * client over (its head and the start of its body are in), and which
 * first bytes it answers 400 at once.
 */
#include <string.h>

#include "http.h"
#include "peek.h"
#include "unit.h"

/* peek - peek_request on a string (no NUL inside). */
static enum peek peek(const char *text)
{
    return peek_request(text, strlen(text));
}

static void test_a_head_without_body_is_ready_at_its_blank_line(void)
{
    ASSERT_EQ_INT(peek("GET http://a.test/ HTTP/1.1\r\nHost: a.test\r\n"),
                  PEEK_WAIT);
    ASSERT_EQ_INT(peek("GET http://a.test/ HTTP/1.1\r\nHost: a.test\r\n\r\n"),
                  PEEK_READY);
    ASSERT_EQ_INT(peek("GET http://a.test/ HTTP/1.0\n\n"), PEEK_READY);
}

static void test_a_body_is_waited_for(void)
{
    const char *head = "POST http://a.test/ HTTP/1.1\r\n"
                       "content-LENGTH: 5\r\n\r\n";
    char buf[256];

    ASSERT_EQ_INT(peek(head), PEEK_WAIT);
    snprintf(buf, sizeof(buf), "%sabcd", head);
    ASSERT_EQ_INT(peek(buf), PEEK_WAIT);
    snprintf(buf, sizeof(buf), "%sabcde", head);
    ASSERT_EQ_INT(peek(buf), PEEK_READY);
}

static void test_a_client_that_expects_100_continue_is_not_waited_for(void)
{
    ASSERT_EQ_INT(peek("POST http://a.test/ HTTP/1.1\r\n"
                       "Content-Length: 5000000\r\n"
                       "Expect: 100-Continue\r\n\r\n"),
                  PEEK_READY);
}

static void test_a_long_body_is_waited_for_up_to_its_first_bytes(void)
{
    static char buf[PEEK_MAX];
    int head = snprintf(buf, sizeof(buf),
                        "PUT http://a.test/ HTTP/1.1\r\n"
                        "Content-Length: 10000000\r\n\r\n");

    memset(buf + head, 'x', PEEK_BODY_MAX);
    ASSERT_EQ_INT(peek_request(buf, (size_t)head + PEEK_BODY_MAX - 1),
                  PEEK_WAIT);
    ASSERT_EQ_INT(peek_request(buf, (size_t)head + PEEK_BODY_MAX), PEEK_READY);
}

static void test_a_malformed_length_leaves_the_verdict_to_the_thread(void)
{
    ASSERT_EQ_INT(peek("POST http://a.test/ HTTP/1.1\r\n"
                       "Content-Length: -5\r\n\r\n"),
                  PEEK_READY);
    ASSERT_EQ_INT(peek("POST http://a.test/ HTTP/1.1\r\n"
                       "Content-Length: abc\r\n\r\n"),
                  PEEK_READY);
    ASSERT_EQ_INT(peek("POST http://a.test/ HTTP/1.1\r\n"
                       "Content-Length: 18446744073709551621\r\n\r\nhello"),
                  PEEK_READY);
}

static void test_bytes_no_request_starts_with_are_not_http(void)
{
    static const char hello[] = "\x16\x03\x01\x00\xa5\x01";

    ASSERT_EQ_INT(peek_request(hello, sizeof(hello) - 1), PEEK_NOT_HTTP);
    ASSERT_EQ_INT(peek(" GET / HTTP/1.1\r\n"), PEEK_NOT_HTTP);
    ASSERT_EQ_INT(peek("HELLO\r\n"), PEEK_NOT_HTTP);
    ASSERT_EQ_INT(peek("GE"), PEEK_WAIT);    /* could still be GET */
    ASSERT_EQ_INT(peek("\r\n"), PEEK_READY); /* the thread answers 400 */
}

static void test_a_head_too_large_is_ready_for_its_431(void)
{
    static char buf[HTTP_MAXLINE + 64];
    int n = snprintf(buf, sizeof(buf), "GET http://a.test/ HTTP/1.1\r\nX: ");

    memset(buf + n, 'v', sizeof(buf) - (size_t)n);
    ASSERT_EQ_INT(peek_request(buf, sizeof(buf)), PEEK_READY);
}

static CU_TestInfo peek_tests[] = {
    { "a head without a body is ready at its blank line",
      test_a_head_without_body_is_ready_at_its_blank_line },
    { "a Content-Length body is waited for", test_a_body_is_waited_for },
    { "a client that waits for 100 Continue is ready at its blank line",
      test_a_client_that_expects_100_continue_is_not_waited_for },
    { "a long body is waited for up to PEEK_BODY_MAX bytes",
      test_a_long_body_is_waited_for_up_to_its_first_bytes },
    { "a malformed Content-Length is left to the serving thread",
      test_a_malformed_length_leaves_the_verdict_to_the_thread },
    { "bytes no request starts with (TLS, a space, no method) are not HTTP",
      test_bytes_no_request_starts_with_are_not_http },
    { "a line longer than HTTP_MAXLINE makes the head ready for its 431",
      test_a_head_too_large_is_ready_for_its_431 },
    CU_TEST_INFO_NULL,
};

int main(void)
{
    CU_SuiteInfo suites[] = {
        UNIT_SUITE("peek", peek_tests),
        CU_SUITE_INFO_NULL,
    };

    return unit_run(suites);
}
