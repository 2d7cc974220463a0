/*
 * test_upstream.c - unit tests for upstream.c: the HTTP/1.1 request head,
 * which requests may go on a reused connection, and the exchange on a
 * connection to the origin: what it sends, what it relays, and what it
 * says is left of the connection.
 *
 * The client and the origin are each one end of a socketpair whose other
 * end the test holds. Before the exchange runs, the test writes the
 * client's body and the origin's whole answer (and may close the origin's
 * sending side); afterwards it reads what the origin received. Everything
 * is small enough to wait in the sockets' buffers, so one thread does it
 * all. The sink is a capture (capture.h).
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bytes.h"
#include "capture.h"
#include "chunked.h"
#include "forward.h"
#include "heads.h"
#include "http.h"
#include "rio.h"
#include "sink.h"
#include "unit.h"
#include "upstream.h"

#define SILENT_MS 200 /* the origin's idle timeout in the tests */

/* Requests as the client sends them, and as the origin must get them. */
#define GET "GET http://example.com/x HTTP/1.1\r\nAccept: */*\r\n\r\n"
#define GET_SENT                                              \
    "GET /x HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n" \
    "Via: 1.1 proxylab\r\n\r\n"
#define HEAD "HEAD http://example.com/x HTTP/1.1\r\n\r\n"
#define POST "POST http://example.com/x HTTP/1.1\r\nContent-Length: 5\r\n\r\n"
#define POST_SENT                               \
    "POST /x HTTP/1.1\r\nHost: example.com\r\n" \
    "Content-Length: 5\r\nVia: 1.1 proxylab\r\n\r\nhello"

/* Answers, and what the sink receives of them. */
#define DATE    "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
#define OK      "HTTP/1.1 200 OK\r\n" DATE
#define RELAYED OK "Via: 1.1 proxylab\r\nConnection: close\r\n\r\n"
#define LEN5    OK "Content-Length: 5\r\n\r\nhello"
#define LEN5_OUT                                    \
    OK "Content-Length: 5\r\nVia: 1.1 proxylab\r\n" \
       "Connection: close\r\n\r\nhello"
#define CHUNKS  "5;a=\"b c\"\r\nhello\r\n0\r\nX-Sum: 9\r\n\r\n"
#define CHUNKED OK "Transfer-Encoding: chunked\r\n\r\n" CHUNKS
#define CHUNKED_OUT                                          \
    OK "Transfer-Encoding: chunked\r\nVia: 1.1 proxylab\r\n" \
       "Connection: close\r\n\r\n" CHUNKS
#define NEXT "HTTP/1.1 200 OK\r\n" /* bytes after an answer's end */

/* One exchange's world: the tests run one at a time and share it. */
static struct capture got;
static struct http_request req;
static struct forward_result res;
static struct upstream_end end;
static int client_end[2]; /* [0] the proxy's rio, [1] the test's */
static int origin_end[2];
static char received[65536]; /* what the origin received */
static size_t received_len;
static char unread[65536]; /* what the client sent that was not read */
static size_t unread_len;

static struct sink sink = { .write = capture_write, .arg = &got };

/* parse - text, a request head, into req. */
static void parse(const char *text)
{
    int rc = heads_parse_request(&req, text);

    UNIT_CHECK(rc == 0, "the test's request does not parse: %d", rc);
}

/* send_all - write n bytes of data to fd (the test's end). */
static void send_all(int fd, const char *data, size_t n)
{
    CU_ASSERT_FATAL(write(fd, data, n) == (ssize_t)n);
}

/* how the test's origin ends after its answer */
enum after { STAYS, CLOSES, GONE };

/* exchange - run upstream_exchange on request, the client having sent
 * body, the origin answering answer (n bytes) and then doing as after
 * says (GONE: closed before the request even went). Returns its status;
 * what the origin received is in received. */
static int exchange(const char *request, const char *body, const char *answer,
                    size_t n, enum after after)
{
    struct rio client;
    struct rio origin;
    ssize_t r;
    int rc;

    got.len = 0;
    got.limit = CAPTURE_MAX;
    parse(request);
    CU_ASSERT_FATAL(socketpair(AF_UNIX, SOCK_STREAM, 0, client_end) == 0);
    CU_ASSERT_FATAL(socketpair(AF_UNIX, SOCK_STREAM, 0, origin_end) == 0);
    send_all(client_end[1], body, strlen(body));
    send_all(origin_end[1], answer, n);
    if (after == CLOSES) {
        shutdown(origin_end[1], SHUT_WR);
    } else if (after == GONE) {
        close(origin_end[1]);
    }
    rio_init(&client, client_end[0]);
    rio_init(&origin, origin_end[0]);
    rio_set_idle_timeout(&client, SILENT_MS);
    rio_set_idle_timeout(&origin, SILENT_MS);
    rc = upstream_exchange(&req, &client, &origin, &sink, &res, &end);
    unread_len = 0;
    while ((r = recv(client_end[0], unread + unread_len,
                     sizeof(unread) - unread_len, MSG_DONTWAIT)) > 0) {
        unread_len += (size_t)r;
    }
    unread_len += rio_buffered(&client); /* counted, not shown */
    received_len = 0;
    while (after != GONE &&
           (r = recv(origin_end[1], received + received_len,
                     sizeof(received) - received_len, MSG_DONTWAIT)) > 0) {
        received_len += (size_t)r;
    }
    close(client_end[0]);
    close(client_end[1]);
    close(origin_end[0]);
    if (after != GONE) {
        close(origin_end[1]);
    }
    return rc;
}

#define EXCHANGE(request, body, answer, after) \
    exchange((request), (body), (answer), sizeof(answer) - 1, (after))

/* expect_end - the result and the end, checked at the caller's line. */
static void expect_end(int line, bool complete, bool reusable, bool silent)
{
    UNIT_CHECK_AT(line, res.complete == complete,
                  "res->complete: got %d, want %d", res.complete, complete);
    UNIT_CHECK_AT(line, end.reusable == reusable,
                  "end->reusable: got %d, want %d", end.reusable, reusable);
    UNIT_CHECK_AT(line, end.silent == silent, "end->silent: got %d, want %d",
                  end.silent, silent);
}

#define EXPECT_END(complete, reusable, silent) \
    expect_end(__LINE__, (complete), (reusable), (silent))
#define EXPECT_GOT(s) \
    bytes_expect(__LINE__, "the sink", got.bytes, got.len, (s), sizeof(s) - 1)
#define EXPECT_RECEIVED(s)                                                     \
    bytes_expect(__LINE__, "the origin received", received, received_len, (s), \
                 sizeof(s) - 1)

/* format - upstream_format_request for text, into buf. */
static ssize_t format(const char *text, char *buf, size_t size)
{
    parse(text);
    return upstream_format_request(&req, buf, size);
}

static void test_upstream_format_get(void)
{
    char buf[1024];
    ssize_t n = format(GET, buf, sizeof(buf));

    ASSERT_EQ_INT(n, sizeof(GET_SENT) - 1);
    ASSERT_EQ_STR(buf, GET_SENT);
}

static void test_upstream_format_drops_hop_by_hop(void)
{
    static const char want[] = "GET /a?b HTTP/1.1\r\nHost: example.com:8080\r\n"
                               "Accept: */*\r\nVia: 1.1 proxylab\r\n\r\n";
    char buf[1024];
    ssize_t n = format("GET http://example.com:8080/a?b HTTP/1.1\r\n"
                       "Connection: keep-alive, X-Hop\r\nX-Hop: 1\r\n"
                       "Accept: */*\r\nProxy-Connection: keep-alive\r\n"
                       "Keep-Alive: 300\r\n\r\n",
                       buf, sizeof(buf));

    ASSERT_EQ_INT(n, sizeof(want) - 1);
    ASSERT_EQ_STR(buf, want);
}

static void test_upstream_format_http10_client(void)
{
    static const char want[] = "GET / HTTP/1.1\r\nHost: example.com\r\n"
                               "Via: 1.0 proxylab\r\n\r\n";
    char buf[1024];
    ssize_t n =
        format("GET http://example.com/ HTTP/1.0\r\n\r\n", buf, sizeof(buf));

    ASSERT_EQ_INT(n, sizeof(want) - 1);
    ASSERT_EQ_STR(buf, want);
}

static void test_upstream_format_too_small(void)
{
    char buf[32];

    EXPECT_ERROR(format(GET, buf, sizeof(buf)), EMSGSIZE);
}

/* expect_reuse - upstream_may_reuse for text, at the caller's line. */
static void expect_reuse(int line, const char *text, bool want)
{
    bool may;

    parse(text);
    may = upstream_may_reuse(&req);
    UNIT_CHECK_AT(line, may == want, "upstream_may_reuse: got %d, want %d", may,
                  want);
}

#define EXPECT_REUSE(method, headers, want)                                 \
    expect_reuse(__LINE__,                                                  \
                 method " http://example.com/ HTTP/1.1\r\n" headers "\r\n", \
                 (want))

static void test_upstream_may_reuse_idempotent(void)
{
    EXPECT_REUSE("GET", "", true);
    EXPECT_REUSE("HEAD", "", true);
    EXPECT_REUSE("DELETE", "", true);
    EXPECT_REUSE("OPTIONS", "", true);
    EXPECT_REUSE("TRACE", "", true);
    EXPECT_REUSE("PUT", "", true);
    EXPECT_REUSE("GET", "Content-Length: 0\r\n", true);
}

static void test_upstream_may_reuse_not(void)
{
    EXPECT_REUSE("POST", "", false);
    EXPECT_REUSE("PATCH", "", false);
    EXPECT_REUSE("get", "", false);
    EXPECT_REUSE("BREW", "", false);
    EXPECT_REUSE("PUT", "Content-Length: 3\r\n", false);
    EXPECT_REUSE("GET", "Content-Length: 1\r\n", false);
    EXPECT_REUSE("GET", "Transfer-Encoding: chunked\r\n", false);
    EXPECT_REUSE("GET", "Content-Length: x\r\n", false);
}

static void test_upstream_length_reusable(void)
{
    ASSERT_EQ_INT(EXCHANGE(GET, "", LEN5, STAYS), 0);
    EXPECT_GOT(LEN5_OUT);
    EXPECT_RECEIVED(GET_SENT);
    ASSERT_EQ_INT(res.status, 200);
    ASSERT_EQ_INT(res.bytes, sizeof(LEN5_OUT) - 1);
    EXPECT_END(true, true, false);
}

static void test_upstream_length_then_more(void)
{
    ASSERT_EQ_INT(EXCHANGE(GET, "", LEN5 NEXT, STAYS), 0);
    EXPECT_GOT(LEN5_OUT);
    EXPECT_END(true, false, false);
}

static void test_upstream_length_cut(void)
{
    ASSERT_EQ_INT(EXCHANGE(GET, "", OK "Content-Length: 9\r\n\r\nhel", CLOSES),
                  0);
    EXPECT_GOT(OK "Content-Length: 9\r\nVia: 1.1 proxylab\r\n"
                  "Connection: close\r\n\r\nhel");
    EXPECT_END(false, false, false);
}

static void test_upstream_chunked_reusable(void)
{
    ASSERT_EQ_INT(EXCHANGE(GET, "", CHUNKED, STAYS), 0);
    EXPECT_GOT(CHUNKED_OUT);
    EXPECT_END(true, true, false);
}

static void test_upstream_chunked_then_more(void)
{
    ASSERT_EQ_INT(EXCHANGE(GET, "", CHUNKED NEXT, STAYS), 0);
    EXPECT_GOT(CHUNKED_OUT);
    EXPECT_END(true, false, false);
}

static void test_upstream_chunked_broken(void)
{
    ASSERT_EQ_INT(EXCHANGE(GET, "",
                           OK "Transfer-Encoding: chunked\r\n\r\n"
                              "5\r\nhello\r\n5\nworld\r\n0\r\n\r\n",
                           STAYS),
                  0);
    EXPECT_GOT(OK "Transfer-Encoding: chunked\r\nVia: 1.1 proxylab\r\n"
                  "Connection: close\r\n\r\n5\r\nhello\r\n");
    EXPECT_END(false, false, false);
}

static void test_upstream_chunked_cut(void)
{
    ASSERT_EQ_INT(EXCHANGE(GET, "",
                           OK "Transfer-Encoding: chunked\r\n\r\n5\r\nhel",
                           CLOSES),
                  0);
    EXPECT_END(false, false, false);
}

static void test_upstream_until_close(void)
{
    ASSERT_EQ_INT(EXCHANGE(GET, "", OK "\r\nabc", CLOSES), 0);
    EXPECT_GOT(RELAYED "abc");
    EXPECT_END(true, false, false);
}

static void test_upstream_other_coding_until_close(void)
{
    ASSERT_EQ_INT(
        EXCHANGE(GET, "", OK "Transfer-Encoding: gzip\r\n\r\nabc", CLOSES), 0);
    EXPECT_END(true, false, false);
}

static void test_upstream_http10_not_reusable(void)
{
    ASSERT_EQ_INT(EXCHANGE(GET, "",
                           "HTTP/1.0 200 OK\r\n" DATE
                           "Content-Length: 5\r\n\r\nhello",
                           STAYS),
                  0);
    EXPECT_GOT("HTTP/1.1 200 OK\r\n" DATE "Content-Length: 5\r\n"
               "Via: 1.0 proxylab\r\nConnection: close\r\n\r\nhello");
    EXPECT_END(true, false, false);
}

static void test_upstream_close_option(void)
{
    ASSERT_EQ_INT(EXCHANGE(GET, "",
                           OK "Connection: keep-alive\r\n"
                              "Connection: x-a, CLOSE\r\n"
                              "Content-Length: 5\r\n\r\nhello",
                           STAYS),
                  0);
    EXPECT_GOT(LEN5_OUT);
    EXPECT_END(true, false, false);
}

static void test_upstream_closer_is_not_close(void)
{
    ASSERT_EQ_INT(EXCHANGE(GET, "",
                           OK "Connection: x-closed\r\n"
                              "Content-Length: 5\r\n\r\nhello",
                           STAYS),
                  0);
    EXPECT_END(true, true, false);
}

static void test_upstream_head_no_body(void)
{
    ASSERT_EQ_INT(EXCHANGE(HEAD, "", OK "Content-Length: 100\r\n\r\n", STAYS),
                  0);
    EXPECT_GOT(OK "Content-Length: 100\r\nVia: 1.1 proxylab\r\n"
                  "Connection: close\r\n\r\n");
    EXPECT_END(true, true, false);
}

static void test_upstream_204_304_no_body(void)
{
    ASSERT_EQ_INT(
        EXCHANGE(GET, "", "HTTP/1.1 204 No Content\r\n" DATE "\r\n", STAYS), 0);
    EXPECT_END(true, true, false);
    ASSERT_EQ_INT(EXCHANGE(GET, "",
                           "HTTP/1.1 304 Not Modified\r\n" DATE
                           "Content-Length: 50\r\n\r\n",
                           STAYS),
                  0);
    EXPECT_END(true, true, false);
}

static void test_upstream_interim_dropped(void)
{
    ASSERT_EQ_INT(EXCHANGE(GET, "",
                           "HTTP/1.1 100 Continue\r\n\r\n"
                           "HTTP/1.1 103 Early Hints\r\n"
                           "Link: </s.css>; rel=preload\r\n\r\n" LEN5,
                           STAYS),
                  0);
    EXPECT_GOT(LEN5_OUT);
    ASSERT_EQ_INT(res.status, 200);
    EXPECT_END(true, true, false);
}

static void test_upstream_too_many_interim(void)
{
#define C100 "HTTP/1.1 100 Continue\r\n\r\n"
    ASSERT_EQ_INT(EXCHANGE(GET, "",
                           C100 C100 C100 C100 C100 C100 C100 C100 C100 LEN5,
                           STAYS),
                  502);
#undef C100
    ASSERT_EQ_INT(got.len, 0);
    EXPECT_END(false, false, false);
}

static void test_upstream_101_is_final(void)
{
    ASSERT_EQ_INT(
        EXCHANGE(GET, "", "HTTP/1.1 101 Switching Protocols\r\n" DATE "\r\nxyz",
                 CLOSES),
        0);
    ASSERT_EQ_INT(res.status, 101);
    EXPECT_END(true, false, false);
}

static void test_upstream_post_body_sent(void)
{
    ASSERT_EQ_INT(EXCHANGE(POST, "hello", LEN5, STAYS), 0);
    EXPECT_RECEIVED(POST_SENT);
    EXPECT_END(true, true, false);
}

#define CHUNKED_POST                         \
    "POST http://example.com/x HTTP/1.1\r\n" \
    "Transfer-Encoding: chunked\r\n\r\n"
#define CHUNKED_POST_SENT                       \
    "POST /x HTTP/1.1\r\nHost: example.com\r\n" \
    "Via: 1.1 proxylab\r\nTransfer-Encoding: chunked\r\n\r\n"
#define NEXT_REQUEST "GET http://example.com/y HTTP/1.1\r\n\r\n"

static void test_upstream_chunked_request_relayed(void)
{
    ASSERT_EQ_INT(EXCHANGE(CHUNKED_POST, CHUNKS NEXT_REQUEST, LEN5, STAYS), 0);
    EXPECT_RECEIVED(CHUNKED_POST_SENT CHUNKS);
    EXPECT_GOT(LEN5_OUT);
    ASSERT_EQ_INT(unread_len, sizeof(NEXT_REQUEST) - 1);
    EXPECT_END(true, true, false);
}

static void test_upstream_chunked_request_broken(void)
{
    ASSERT_EQ_INT(EXCHANGE(CHUNKED_POST, "5\r\nhello\r\nzz\r\n", LEN5, STAYS),
                  400);
    EXPECT_RECEIVED(CHUNKED_POST_SENT "5\r\nhello\r\n");
    ASSERT_EQ_INT(got.len, 0);
    UNIT_CHECK(!end.reusable, "end->reusable after a broken body");
}

static void test_upstream_chunked_request_long_line(void)
{
    static char body[CHUNKED_MAXLINE + 64];

    memset(body, '0', sizeof(body) - 1);
    body[sizeof(body) - 1] = '\0';
    ASSERT_EQ_INT(exchange(CHUNKED_POST, body, LEN5, sizeof(LEN5) - 1, STAYS),
                  400);
    ASSERT_EQ_INT(got.len, 0);
}

/* expect_length - upstream_body_length for text, at the caller's line. */
static void expect_length(int line, const char *text, int status, bool chunked)
{
    uint64_t length = 99;
    bool is_chunked = !chunked;
    int rc;

    parse(text);
    rc = upstream_body_length(&req, &length, &is_chunked);
    UNIT_CHECK_AT(line, rc == status && (rc != 0 || is_chunked == chunked),
                  "upstream_body_length: got %d (chunked %d), want %d "
                  "(chunked %d)",
                  rc, is_chunked, status, chunked);
}

#define EXPECT_LENGTH(version, headers, status, chunked)                  \
    expect_length(__LINE__,                                               \
                  "POST http://example.com/ HTTP/" version "\r\n" headers \
                  "\r\n",                                                 \
                  (status), (chunked))

static void test_upstream_body_length(void)
{
    EXPECT_LENGTH("1.1", "Transfer-Encoding: chunked\r\n", 0, true);
    EXPECT_LENGTH("1.1", "Transfer-Encoding: CHUNKED\r\n", 0, true);
    EXPECT_LENGTH("1.1", "Content-Length: 5\r\n", 0, false);
    EXPECT_LENGTH("1.1", "", 0, false);
    EXPECT_LENGTH("1.1", "Transfer-Encoding: gzip\r\n", 501, false);
    EXPECT_LENGTH("1.1", "Transfer-Encoding: gzip, chunked\r\n", 501, false);
    EXPECT_LENGTH("1.0", "Transfer-Encoding: chunked\r\n", 400, false);
    EXPECT_LENGTH("1.1",
                  "Transfer-Encoding: chunked\r\nTransfer-Encoding: "
                  "chunked\r\n",
                  400, false);
    EXPECT_LENGTH("1.1", "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n",
                  400, false);
    EXPECT_LENGTH("1.1",
                  "Connection: Transfer-Encoding\r\n"
                  "Transfer-Encoding: chunked\r\n",
                  400, false);
}

static void test_upstream_format_chunked(void)
{
    char buf[1024];
    ssize_t n = format(CHUNKED_POST, buf, sizeof(buf));

    ASSERT_EQ_INT(n, sizeof(CHUNKED_POST_SENT) - 1);
    ASSERT_EQ_STR(buf, CHUNKED_POST_SENT);
}

static void test_upstream_closed_before_answer(void)
{
    ASSERT_EQ_INT(EXCHANGE(GET, "", "", CLOSES), 502);
    ASSERT_EQ_INT(got.len, 0);
    EXPECT_END(false, false, true);
}

static void test_upstream_gone_before_request(void)
{
    ASSERT_EQ_INT(EXCHANGE(GET, "", "", GONE), 502);
    ASSERT_EQ_INT(got.len, 0);
    EXPECT_END(false, false, true);
}

static void test_upstream_part_of_status_line(void)
{
    ASSERT_EQ_INT(EXCHANGE(GET, "", "HTTP/1.1 20", CLOSES), 502);
    EXPECT_END(false, false, false);
}

static void test_upstream_interim_then_close(void)
{
    ASSERT_EQ_INT(EXCHANGE(GET, "", "HTTP/1.1 100 Continue\r\n\r\n", CLOSES),
                  502);
    EXPECT_END(false, false, false);
}

static void test_upstream_not_http(void)
{
    ASSERT_EQ_INT(EXCHANGE(GET, "", "hello\r\n\r\n", CLOSES), 502);
    ASSERT_EQ_INT(got.len, 0);
    EXPECT_END(false, false, false);
}

static void test_upstream_silent_origin(void)
{
    ASSERT_EQ_INT(EXCHANGE(GET, "", "", STAYS), 504);
    EXPECT_END(false, false, false);
}

static void test_upstream_client_body_stops(void)
{
    ASSERT_EQ_INT(EXCHANGE(POST, "he", LEN5, STAYS), 408);
}

static void test_upstream_sink_fails(void)
{
    struct rio client;
    struct rio origin;
    int rc;

    parse(GET);
    got.len = 0;
    got.limit = 10;
    CU_ASSERT_FATAL(socketpair(AF_UNIX, SOCK_STREAM, 0, origin_end) == 0);
    send_all(origin_end[1], LEN5, sizeof(LEN5) - 1);
    rio_init(&client, -1);
    rio_init(&origin, origin_end[0]);
    rio_set_idle_timeout(&origin, SILENT_MS);
    rc = upstream_exchange(&req, &client, &origin, &sink, &res, &end);
    ASSERT_EQ_INT(rc, -1);
    UNIT_CHECK(!end.reusable, "end->reusable after the client failed");
    close(origin_end[0]);
    close(origin_end[1]);
}

static CU_TestInfo upstream_tests[] = {
    { "upstream_format_request: HTTP/1.1, no Connection: close",
      test_upstream_format_get },
    { "upstream_format_request: hop-by-hop fields dropped, port kept",
      test_upstream_format_drops_hop_by_hop },
    { "upstream_format_request: HTTP/1.1 for an HTTP/1.0 client too",
      test_upstream_format_http10_client },
    { "upstream_format_request: too small a buffer is EMSGSIZE",
      test_upstream_format_too_small },
    { "upstream_may_reuse: idempotent methods without a body",
      test_upstream_may_reuse_idempotent },
    { "upstream_may_reuse: not POST, PATCH, a body, or a bad length",
      test_upstream_may_reuse_not },
    { "exchange: Content-Length relayed, reusable",
      test_upstream_length_reusable },
    { "exchange: bytes after the length: not reusable",
      test_upstream_length_then_more },
    { "exchange: a body short of its length: incomplete",
      test_upstream_length_cut },
    { "exchange: chunked relayed as it came, reusable",
      test_upstream_chunked_reusable },
    { "exchange: bytes after the last chunk: not reusable",
      test_upstream_chunked_then_more },
    { "exchange: a broken chunk is cut there, incomplete",
      test_upstream_chunked_broken },
    { "exchange: chunks cut by the close: incomplete",
      test_upstream_chunked_cut },
    { "exchange: no length, until the close: not reusable",
      test_upstream_until_close },
    { "exchange: a coding other than chunked: until the close",
      test_upstream_other_coding_until_close },
    { "exchange: an HTTP/1.0 answer is not reusable",
      test_upstream_http10_not_reusable },
    { "exchange: Connection: close (any case, any field) is not reusable",
      test_upstream_close_option },
    { "exchange: Connection: x-closed is not close",
      test_upstream_closer_is_not_close },
    { "exchange: HEAD has no body, reusable", test_upstream_head_no_body },
    { "exchange: 204 and 304 have no body, reusable",
      test_upstream_204_304_no_body },
    { "exchange: 100 and 103 before the answer are dropped",
      test_upstream_interim_dropped },
    { "exchange: nine interim answers are a 502",
      test_upstream_too_many_interim },
    { "exchange: 101 is final, until the close", test_upstream_101_is_final },
    { "exchange: a POST body goes after the head",
      test_upstream_post_body_sent },
    { "upstream_body_length: chunked alone in HTTP/1.1, else 400 or 501",
      test_upstream_body_length },
    { "upstream_format_request: a chunked body's Transfer-Encoding last",
      test_upstream_format_chunked },
    { "exchange: a chunked request body relayed, the next request unread",
      test_upstream_chunked_request_relayed },
    { "exchange: a chunked request body that breaks the coding: 400",
      test_upstream_chunked_request_broken },
    { "exchange: a chunk size line longer than CHUNKED_MAXLINE: 400",
      test_upstream_chunked_request_long_line },
    { "exchange: closed before any answer: 502, silent",
      test_upstream_closed_before_answer },
    { "exchange: closed before the request: 502, silent",
      test_upstream_gone_before_request },
    { "exchange: part of a status line, then the close: 502, not silent",
      test_upstream_part_of_status_line },
    { "exchange: an interim answer, then the close: 502, not silent",
      test_upstream_interim_then_close },
    { "exchange: not HTTP: 502, nothing relayed", test_upstream_not_http },
    { "exchange: an origin that says nothing: 504",
      test_upstream_silent_origin },
    { "exchange: a client whose body stops: 408",
      test_upstream_client_body_stops },
    { "exchange: a client gone while relaying: -1, not reusable",
      test_upstream_sink_fails },
    CU_TEST_INFO_NULL,
};

int main(void)
{
    CU_SuiteInfo suites[] = {
        UNIT_SUITE("upstream", upstream_tests),
        CU_SUITE_INFO_NULL,
    };

    signal(SIGPIPE, SIG_IGN);
    return unit_run(suites);
}
