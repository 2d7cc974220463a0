/*
 * test_http.c - unit tests for http.c: the request-line, header and target
 * parsers, the header helpers, the rewrite sent to the origin, body length
 * and the response-head parsers.
 *
 * Every input is a string literal passed with its length (LIT), so lines
 * with NUL bytes inside are tested as the proxy would see them. Each
 * assertion names its input, so a failure says which line went wrong.
 */
#include <errno.h>
#include <string.h>

#include "http.h"
#include "unit.h"

/* LIT - a string literal and its length, NUL bytes inside included. */
#define LIT(s) (s), sizeof(s) - 1

/* Scratch request for the one-line helpers; the tests run one at a time. */
static struct http_request scratch;

/* request_line - the status http_parse_request_line gives line. */
static int request_line(const char *line, size_t n)
{
    http_request_init(&scratch);
    return http_parse_request_line(&scratch, line, n);
}

/* header_line - the status http_parse_header gives line, in a request
 * that has no headers yet. */
static int header_line(const char *line, size_t n)
{
    http_request_init(&scratch);
    return http_parse_header(&scratch, line, n);
}

/* parse_head - feed a whole request head through the parsers as the glue
 * does: request line, header lines up to the blank line, then
 * http_parse_target. Returns the first non-zero status, or -1 when head
 * has no blank line (a mistake in the test). */
static int parse_head(struct http_request *req, const char *head, size_t n)
{
    const char *p = head;
    const char *end = head + n;
    int rc = 0;

    http_request_init(req);
    while (rc == 0 && p < end) {
        const char *lf = memchr(p, '\n', (size_t)(end - p));
        size_t len = lf != NULL ? (size_t)(lf - p) + 1 : (size_t)(end - p);

        if (p != head && (len == 1 || (len == 2 && p[0] == '\r'))) {
            return http_parse_target(req);
        }
        rc = p == head ? http_parse_request_line(req, p, len)
                       : http_parse_header(req, p, len);
        p += len;
    }
    return rc != 0 ? rc : -1;
}

/* head - the status parse_head gives head, in the scratch request. */
static int head(const char *text, size_t n)
{
    return parse_head(&scratch, text, n);
}

/* check_format - parse head (which must succeed) and check that
 * http_format_request turns it into want exactly. */
static void check_format(const char *text, size_t n, const char *want)
{
    char buf[4096];
    ssize_t len;

    ASSERT_EQ_INT(parse_head(&scratch, text, n), 0);
    len = http_format_request(&scratch, buf, sizeof(buf));
    ASSERT_EQ_INT(len, (long long)strlen(want));
    if (len >= 0) {
        ASSERT_EQ_STR(buf, want);
    }
}

/* body_length - the status http_body_length gives head, which must parse;
 * *length gets the length it reports. -1 when head does not parse. */
static int body_length(const char *text, size_t n, uint64_t *length)
{
    int rc = parse_head(&scratch, text, n);

    ASSERT_EQ_INT(rc, 0);
    *length = UINT64_MAX;
    return rc != 0 ? -1 : http_body_length(&scratch, length);
}

/* status_line - the status http_parse_status_line gives line. */
static int status_line(const char *line, size_t n)
{
    struct http_response resp;

    return http_parse_status_line(&resp, line, n);
}

/* response_header - the status http_parse_response_header gives line
 * after a valid status line has been parsed into resp. */
static int response_header(struct http_response *resp, const char *line,
                           size_t n)
{
    return http_parse_response_header(resp, line, n);
}

/* new_response - resp as it is right after "HTTP/1.1 200 OK". */
static void new_response(struct http_response *resp)
{
    ASSERT_EQ_INT(http_parse_status_line(resp, LIT("HTTP/1.1 200 OK\r\n")), 0);
}

/* repeated - a string of len copies of c (len < sizeof(buf)), in a buffer
 * that the next call overwrites. */
static const char *repeated(char c, size_t len)
{
    static char buf[HTTP_MAXLINE + 1];

    CU_ASSERT_FATAL(len < sizeof(buf));
    memset(buf, c, len);
    buf[len] = '\0';
    return buf;
}

/* long_request_line - "GET /aaa... HTTP/1.1\r\n" with a target of
 * target_len bytes into buf; returns its length. */
static size_t long_request_line(char *buf, size_t size, size_t target_len)
{
    int n = snprintf(buf, size, "GET /%s HTTP/1.1\r\n",
                     repeated('a', target_len - 1));

    CU_ASSERT_FATAL(n > 0 && (size_t)n < size);
    return (size_t)n;
}

/* ---- http_parse_request_line ---- */

static void test_http_request_line_absolute_form(void)
{
    ASSERT_EQ_INT(request_line(LIT("GET http://example.com/ HTTP/1.1\r\n")), 0);
    ASSERT_EQ_STR(scratch.method, "GET");
    ASSERT_EQ_STR(scratch.target, "http://example.com/");
    ASSERT_EQ_INT(scratch.minor_version, 1);
}

static void test_http_request_line_http10(void)
{
    ASSERT_EQ_INT(request_line(LIT("HEAD /index.html HTTP/1.0\r\n")), 0);
    ASSERT_EQ_STR(scratch.method, "HEAD");
    ASSERT_EQ_STR(scratch.target, "/index.html");
    ASSERT_EQ_INT(scratch.minor_version, 0);
}

static void test_http_request_line_bare_lf(void)
{
    ASSERT_EQ_INT(request_line(LIT("GET / HTTP/1.1\n")), 0);
    ASSERT_EQ_STR(scratch.target, "/");
    ASSERT_EQ_INT(scratch.minor_version, 1);
}

static void test_http_request_line_any_method_token(void)
{
    ASSERT_EQ_INT(request_line(LIT("CONNECT example.com:443 HTTP/1.1\r\n")), 0);
    ASSERT_EQ_STR(scratch.method, "CONNECT");
    ASSERT_EQ_STR(scratch.target, "example.com:443");
    ASSERT_EQ_INT(request_line(LIT("BREW /pot HTTP/1.1\r\n")), 0);
    ASSERT_EQ_STR(scratch.method, "BREW");
    ASSERT_EQ_INT(request_line(LIT("M-SEARCH * HTTP/1.1\r\n")), 0);
    ASSERT_EQ_INT(request_line(LIT("!#$%&'*+-.^_`|~ / HTTP/1.1\r\n")), 0);
    ASSERT_EQ_STR(scratch.method, "!#$%&'*+-.^_`|~");
    ASSERT_EQ_INT(request_line(LIT("09azAZ / HTTP/1.1\r\n")), 0);
    ASSERT_EQ_INT(request_line(LIT("get / HTTP/1.1\r\n")), 0);
}

static void test_http_request_line_method_not_token(void)
{
    ASSERT_EQ_INT(request_line(LIT("GE(T / HTTP/1.1\r\n")), 400);
    ASSERT_EQ_INT(request_line(LIT("GET: / HTTP/1.1\r\n")), 400);
    ASSERT_EQ_INT(request_line(LIT("G\"T / HTTP/1.1\r\n")), 400);
    ASSERT_EQ_INT(request_line(LIT("G\xc3\x89T / HTTP/1.1\r\n")), 400);
}

static void test_http_request_line_double_space(void)
{
    ASSERT_EQ_INT(request_line(LIT("GET  / HTTP/1.1\r\n")), 400);
    ASSERT_EQ_INT(request_line(LIT("GET /  HTTP/1.1\r\n")), 400);
    ASSERT_EQ_INT(request_line(LIT("GET\t/ HTTP/1.1\r\n")), 400);
}

static void test_http_request_line_edge_spaces(void)
{
    ASSERT_EQ_INT(request_line(LIT(" GET / HTTP/1.1\r\n")), 400);
    ASSERT_EQ_INT(request_line(LIT("GET / HTTP/1.1 \r\n")), 400);
    ASSERT_EQ_INT(request_line(LIT("GET / HTTP/1.1 extra\r\n")), 400);
}

static void test_http_request_line_missing_parts(void)
{
    ASSERT_EQ_INT(request_line(LIT("GET /\r\n")), 400);
    ASSERT_EQ_INT(request_line(LIT("GET / \r\n")), 400);
    ASSERT_EQ_INT(request_line(LIT("GET\r\n")), 400);
    ASSERT_EQ_INT(request_line(LIT("\r\n")), 400);
    ASSERT_EQ_INT(request_line(LIT("")), 400);
}

static void test_http_request_line_needs_line_ending(void)
{
    ASSERT_EQ_INT(request_line(LIT("GET / HTTP/1.1")), 400);
    ASSERT_EQ_INT(request_line(LIT("GET / HTTP/1.1\r")), 400);
}

static void test_http_request_line_lowercase_version(void)
{
    ASSERT_EQ_INT(request_line(LIT("GET / http/1.1\r\n")), 400);
    ASSERT_EQ_INT(request_line(LIT("GET / Http/1.1\r\n")), 400);
}

static void test_http_request_line_malformed_version(void)
{
    ASSERT_EQ_INT(request_line(LIT("GET / HTTP/1\r\n")), 400);
    ASSERT_EQ_INT(request_line(LIT("GET / HTTP/2\r\n")), 400);
    ASSERT_EQ_INT(request_line(LIT("GET / HTTP/1.1.1\r\n")), 400);
    ASSERT_EQ_INT(request_line(LIT("GET / HTTP/11.1\r\n")), 400);
    ASSERT_EQ_INT(request_line(LIT("GET / HTTPS/1.1\r\n")), 400);
    ASSERT_EQ_INT(request_line(LIT("GET / HTTP/1,1\r\n")), 400);
}

static void test_http_request_line_http2_is_505(void)
{
    ASSERT_EQ_INT(request_line(LIT("GET / HTTP/2.0\r\n")), 505);
    ASSERT_EQ_INT(request_line(LIT("GET / HTTP/3.0\r\n")), 505);
}

static void test_http_request_line_http12_is_505(void)
{
    ASSERT_EQ_INT(request_line(LIT("GET / HTTP/1.2\r\n")), 505);
    ASSERT_EQ_INT(request_line(LIT("GET / HTTP/0.9\r\n")), 505);
}

static void test_http_request_line_nul(void)
{
    ASSERT_EQ_INT(request_line(LIT("GET /a\0b HTTP/1.1\r\n")), 400);
    ASSERT_EQ_INT(request_line(LIT("G\0T / HTTP/1.1\r\n")), 400);
    ASSERT_EQ_INT(request_line(LIT("GET / HTTP/1.1\0\r\n")), 400);
}

static void test_http_request_line_bare_cr(void)
{
    ASSERT_EQ_INT(request_line(LIT("GET / HTTP/1.1\r\r\n")), 400);
    ASSERT_EQ_INT(request_line(LIT("GET /a\rb HTTP/1.1\r\n")), 400);
    ASSERT_EQ_INT(request_line(LIT("GET\r/ HTTP/1.1\r\n")), 400);
}

static void test_http_request_line_lf_inside(void)
{
    ASSERT_EQ_INT(request_line(LIT("GET / HTTP/1.1\nHost: x\n")), 400);
}

static void test_http_request_line_ctl_in_target(void)
{
    ASSERT_EQ_INT(request_line(LIT("GET /a\x01 HTTP/1.1\r\n")), 400);
    ASSERT_EQ_INT(request_line(LIT("GET /a\x7f HTTP/1.1\r\n")), 400);
    ASSERT_EQ_INT(request_line(LIT("GET /a\tb HTTP/1.1\r\n")), 400);
    ASSERT_EQ_INT(request_line(LIT("GET /a\x1b[0m HTTP/1.1\r\n")), 400);
}

static void test_http_request_line_long_method(void)
{
    /* HTTP_MAXMETHOD - 1 = 15 bytes fit; 16 are Not Implemented. */
    ASSERT_EQ_INT(request_line(LIT("ABCDEFGHIJKLMNO / HTTP/1.1\r\n")), 0);
    ASSERT_EQ_STR(scratch.method, "ABCDEFGHIJKLMNO");
    ASSERT_EQ_INT(request_line(LIT("ABCDEFGHIJKLMNOP / HTTP/1.1\r\n")), 501);
}

static void test_http_request_line_long_target(void)
{
    static char line[HTTP_MAXLINE + 32];
    size_t n;

    n = long_request_line(line, sizeof(line), HTTP_MAXLINE - 1);
    ASSERT_EQ_INT(request_line(line, n), 0);
    ASSERT_EQ_INT(strlen(scratch.target), HTTP_MAXLINE - 1);
    n = long_request_line(line, sizeof(line), HTTP_MAXLINE);
    ASSERT_EQ_INT(request_line(line, n), 414);
}

/* ---- http_parse_header ---- */

static void test_http_header_stored(void)
{
    ASSERT_EQ_INT(header_line(LIT("Host: example.com\r\n")), 0);
    ASSERT_EQ_INT(scratch.nheaders, 1);
    ASSERT_EQ_STR(scratch.headers[0].name, "Host");
    ASSERT_EQ_STR(scratch.headers[0].value, "example.com");
}

static void test_http_header_ows_trimmed(void)
{
    ASSERT_EQ_INT(header_line(LIT("X-A: \t a  b \t\r\n")), 0);
    ASSERT_EQ_STR(scratch.headers[0].value, "a  b");
    ASSERT_EQ_INT(header_line(LIT("X-B:value\r\n")), 0);
    ASSERT_EQ_STR(scratch.headers[0].value, "value");
}

static void test_http_header_empty_value(void)
{
    ASSERT_EQ_INT(header_line(LIT("X-Empty:\r\n")), 0);
    ASSERT_EQ_STR(scratch.headers[0].value, "");
    ASSERT_EQ_INT(header_line(LIT("X-Empty:   \r\n")), 0);
    ASSERT_EQ_STR(scratch.headers[0].value, "");
}

static void test_http_header_value_with_colon(void)
{
    ASSERT_EQ_INT(header_line(LIT("Referer: http://a.example:8080/b\r\n")), 0);
    ASSERT_EQ_STR(scratch.headers[0].name, "Referer");
    ASSERT_EQ_STR(scratch.headers[0].value, "http://a.example:8080/b");
}

static void test_http_header_bare_lf(void)
{
    ASSERT_EQ_INT(header_line(LIT("Accept: */*\n")), 0);
    ASSERT_EQ_STR(scratch.headers[0].value, "*/*");
}

static void test_http_header_obs_text(void)
{
    ASSERT_EQ_INT(header_line(LIT("X-Name: caf\xc3\xa9\r\n")), 0);
    ASSERT_EQ_STR(scratch.headers[0].value, "caf\xc3\xa9");
}

static void test_http_header_order_kept(void)
{
    http_request_init(&scratch);
    ASSERT_EQ_INT(http_parse_header(&scratch, LIT("B: 2\r\n")), 0);
    ASSERT_EQ_INT(http_parse_header(&scratch, LIT("A: 1\r\n")), 0);
    ASSERT_EQ_INT(http_parse_header(&scratch, LIT("B: 3\r\n")), 0);
    ASSERT_EQ_INT(scratch.nheaders, 3);
    ASSERT_EQ_STR(scratch.headers[0].value, "2");
    ASSERT_EQ_STR(scratch.headers[1].value, "1");
    ASSERT_EQ_STR(scratch.headers[2].value, "3");
}

static void test_http_header_no_colon(void)
{
    ASSERT_EQ_INT(header_line(LIT("Host example.com\r\n")), 400);
    ASSERT_EQ_INT(header_line(LIT("Host\r\n")), 400);
}

static void test_http_header_space_before_colon(void)
{
    ASSERT_EQ_INT(header_line(LIT("Host : example.com\r\n")), 400);
    ASSERT_EQ_INT(header_line(LIT("Host\t: example.com\r\n")), 400);
}

static void test_http_header_empty_name(void)
{
    ASSERT_EQ_INT(header_line(LIT(": value\r\n")), 400);
}

static void test_http_header_name_not_token(void)
{
    ASSERT_EQ_INT(header_line(LIT("X(y): z\r\n")), 400);
    ASSERT_EQ_INT(header_line(LIT("Ho st: z\r\n")), 400);
    ASSERT_EQ_INT(header_line(LIT("X\0Y: z\r\n")), 400);
}

static void test_http_header_obs_fold(void)
{
    ASSERT_EQ_INT(header_line(LIT(" continued\r\n")), 400);
    ASSERT_EQ_INT(header_line(LIT("\tcontinued\r\n")), 400);
    ASSERT_EQ_INT(header_line(LIT(" X-A: 1\r\n")), 400);
}

static void test_http_header_nul_in_value(void)
{
    ASSERT_EQ_INT(header_line(LIT("X-A: a\0b\r\n")), 400);
    ASSERT_EQ_INT(header_line(LIT("X-A: ab\0\r\n")), 400);
}

static void test_http_header_cr_in_value(void)
{
    ASSERT_EQ_INT(header_line(LIT("X-A: a\rb\r\n")), 400);
    ASSERT_EQ_INT(header_line(LIT("X-A: ab\r\r\n")), 400);
}

static void test_http_header_ctl_in_value(void)
{
    ASSERT_EQ_INT(header_line(LIT("X-A: a\x01z\r\n")), 400);
    ASSERT_EQ_INT(header_line(LIT("X-A: a\x7fz\r\n")), 400);
    ASSERT_EQ_INT(header_line(LIT("X-A: a\tz\r\n")), 0);
    ASSERT_EQ_STR(scratch.headers[0].value, "a\tz");
}

static void test_http_header_needs_line_ending(void)
{
    ASSERT_EQ_INT(header_line(LIT("Host: example.com")), 400);
    ASSERT_EQ_INT(header_line(LIT("\r\n")), 400);
}

static void test_http_header_too_many(void)
{
    http_request_init(&scratch);
    for (int i = 0; i < HTTP_MAXHEADERS; i++) {
        ASSERT_EQ_INT(http_parse_header(&scratch, LIT("X-A: 1\r\n")), 0);
    }
    ASSERT_EQ_INT(http_parse_header(&scratch, LIT("X-A: 1\r\n")), 431);
    ASSERT_EQ_INT(scratch.nheaders, HTTP_MAXHEADERS);
}

static void test_http_header_text_full(void)
{
    static char line[8000 + 8];
    size_t n;

    /* "V: " + 8000 bytes of value + "\r\n" takes 1 + 1 + 8000 + 1 bytes of
     * req->text: four fit in 32768, a fifth does not, a short one does. */
    n = (size_t)snprintf(line, sizeof(line), "V: %s\r\n", repeated('v', 8000));
    ASSERT_EQ_INT(n, 8005);
    http_request_init(&scratch);
    for (int i = 0; i < 4; i++) {
        ASSERT_EQ_INT(http_parse_header(&scratch, line, n), 0);
    }
    ASSERT_EQ_INT(http_parse_header(&scratch, line, n), 431);
    ASSERT_EQ_INT(http_parse_header(&scratch, LIT("X-A: 1\r\n")), 0);
    ASSERT_EQ_INT(scratch.nheaders, 5);
    CU_ASSERT(scratch.text_used <= sizeof(scratch.text));
}

/* ---- http_parse_target ---- */

static void test_http_target_absolute_form(void)
{
    ASSERT_EQ_INT(head(LIT("GET http://example.com/index.html HTTP/1.1\r\n"
                           "\r\n")),
                  0);
    ASSERT_EQ_STR(scratch.host, "example.com");
    ASSERT_EQ_STR(scratch.port, "80");
    ASSERT_EQ_STR(scratch.path, "/index.html");
}

static void test_http_target_absolute_form_port(void)
{
    ASSERT_EQ_INT(head(LIT("GET http://example.com:8080/a/b HTTP/1.0\r\n"
                           "\r\n")),
                  0);
    ASSERT_EQ_STR(scratch.host, "example.com");
    ASSERT_EQ_STR(scratch.port, "8080");
    ASSERT_EQ_STR(scratch.path, "/a/b");
}

static void test_http_target_absolute_form_no_path(void)
{
    ASSERT_EQ_INT(head(LIT("GET http://example.com HTTP/1.1\r\n\r\n")), 0);
    ASSERT_EQ_STR(scratch.path, "/");
    ASSERT_EQ_INT(head(LIT("GET http://example.com:81 HTTP/1.1\r\n\r\n")), 0);
    ASSERT_EQ_STR(scratch.port, "81");
    ASSERT_EQ_STR(scratch.path, "/");
}

static void test_http_target_path_and_query_unchanged(void)
{
    ASSERT_EQ_INT(head(LIT("GET http://h.example/a%20b?x=1&y=%2F HTTP/1.1\r\n"
                           "\r\n")),
                  0);
    ASSERT_EQ_STR(scratch.path, "/a%20b?x=1&y=%2F");
    CU_ASSERT(scratch.path > scratch.target &&
              scratch.path < scratch.target + sizeof(scratch.target));
    ASSERT_EQ_INT(head(LIT("GET http://h.example//a/../b/./c? HTTP/1.1\r\n"
                           "\r\n")),
                  0);
    ASSERT_EQ_STR(scratch.path, "//a/../b/./c?");
}

static void test_http_target_query_without_path(void)
{
    ASSERT_EQ_INT(head(LIT("GET http://example.com?x=1 HTTP/1.1\r\n\r\n")),
                  400);
}

static void test_http_target_upper_case(void)
{
    ASSERT_EQ_INT(head(LIT("GET HTTP://WWW.Example.COM/Index.HTML HTTP/1.1\r\n"
                           "\r\n")),
                  0);
    ASSERT_EQ_STR(scratch.host, "www.example.com");
    ASSERT_EQ_STR(scratch.path, "/Index.HTML");
    ASSERT_EQ_INT(head(LIT("GET hTtP://example.com/ HTTP/1.1\r\n\r\n")), 0);
}

static void test_http_target_ipv4(void)
{
    ASSERT_EQ_INT(head(LIT("GET http://127.0.0.1:8000/x HTTP/1.1\r\n\r\n")), 0);
    ASSERT_EQ_STR(scratch.host, "127.0.0.1");
    ASSERT_EQ_STR(scratch.port, "8000");
}

static void test_http_target_ipv6(void)
{
    ASSERT_EQ_INT(head(LIT("GET http://[::1]:8080/x HTTP/1.1\r\n\r\n")), 0);
    ASSERT_EQ_STR(scratch.host, "::1");
    ASSERT_EQ_STR(scratch.port, "8080");
    ASSERT_EQ_STR(scratch.path, "/x");
    ASSERT_EQ_INT(head(LIT("GET http://[2001:DB8::A]/ HTTP/1.1\r\n\r\n")), 0);
    ASSERT_EQ_STR(scratch.host, "2001:db8::a");
    ASSERT_EQ_STR(scratch.port, "80");
    ASSERT_EQ_INT(head(LIT("GET http://[::ffff:192.0.2.1]/ HTTP/1.1\r\n"
                           "\r\n")),
                  0);
    ASSERT_EQ_STR(scratch.host, "::ffff:192.0.2.1");
}

static void test_http_target_bad_ipv6(void)
{
    ASSERT_EQ_INT(head(LIT("GET http://[::1/ HTTP/1.1\r\n\r\n")), 400);
    ASSERT_EQ_INT(head(LIT("GET http://[]/ HTTP/1.1\r\n\r\n")), 400);
    ASSERT_EQ_INT(head(LIT("GET http://[zz::1]/ HTTP/1.1\r\n\r\n")), 400);
    ASSERT_EQ_INT(head(LIT("GET http://[1:2:3]/ HTTP/1.1\r\n\r\n")), 400);
    ASSERT_EQ_INT(head(LIT("GET http://[::1]x/ HTTP/1.1\r\n\r\n")), 400);
    ASSERT_EQ_INT(head(LIT("GET http://[fe80::1%25eth0]/ HTTP/1.1\r\n\r\n")),
                  400);
    ASSERT_EQ_INT(head(LIT("GET http://[v1.x]/ HTTP/1.1\r\n\r\n")), 400);
    ASSERT_EQ_INT(head(LIT("GET http://::1/ HTTP/1.1\r\n\r\n")), 400);
}

static void test_http_target_origin_form(void)
{
    ASSERT_EQ_INT(head(LIT("GET /x?y HTTP/1.1\r\n"
                           "Host: Example.com:8080\r\n"
                           "\r\n")),
                  0);
    ASSERT_EQ_STR(scratch.host, "example.com");
    ASSERT_EQ_STR(scratch.port, "8080");
    ASSERT_EQ_STR(scratch.path, "/x?y");
    ASSERT_EQ_INT(head(LIT("GET / HTTP/1.0\r\nhost: [::1]\r\n\r\n")), 0);
    ASSERT_EQ_STR(scratch.host, "::1");
    ASSERT_EQ_STR(scratch.port, "80");
}

static void test_http_target_origin_form_no_host(void)
{
    ASSERT_EQ_INT(head(LIT("GET / HTTP/1.1\r\n\r\n")), 400);
    ASSERT_EQ_INT(head(LIT("GET / HTTP/1.0\r\nAccept: */*\r\n\r\n")), 400);
}

static void test_http_target_two_hosts(void)
{
    ASSERT_EQ_INT(head(LIT("GET / HTTP/1.1\r\n"
                           "Host: a.example\r\n"
                           "Host: a.example\r\n"
                           "\r\n")),
                  400);
    ASSERT_EQ_INT(head(LIT("GET http://a.example/ HTTP/1.1\r\n"
                           "Host: a.example\r\n"
                           "host: b.example\r\n"
                           "\r\n")),
                  400);
}

static void test_http_target_host_disagrees(void)
{
    /* RFC 9112 section 3.2.2: the target wins, and the Host sent on is
     * the target's. */
    check_format(LIT("GET http://a.example/x HTTP/1.1\r\n"
                     "Host: b.example\r\n"
                     "\r\n"),
                 "GET /x HTTP/1.0\r\n"
                 "Host: a.example\r\n"
                 "Via: 1.1 proxylab\r\n"
                 "Connection: close\r\n\r\n");
    ASSERT_EQ_INT(head(LIT("GET http://a.example:8080/ HTTP/1.1\r\n"
                           "Host: a.example\r\n"
                           "\r\n")),
                  0);
    ASSERT_EQ_STR(scratch.host, "a.example");
    ASSERT_EQ_STR(scratch.port, "8080");
}

static void test_http_target_host_invalid(void)
{
    ASSERT_EQ_INT(head(LIT("GET http://a.example/ HTTP/1.1\r\n"
                           "Host: b example\r\n"
                           "\r\n")),
                  400);
    ASSERT_EQ_INT(head(LIT("GET http://a.example/ HTTP/1.1\r\n"
                           "Host: a.example:99999\r\n"
                           "\r\n")),
                  400);
}

static void test_http_target_loop_is_508(void)
{
    ASSERT_EQ_INT(head(LIT("GET http://127.0.0.1:8080/ HTTP/1.1\r\n"
                           "Via: 1.1 proxylab\r\n"
                           "\r\n")),
                  508);
    ASSERT_EQ_INT(head(LIT("GET / HTTP/1.0\r\n"
                           "Host: 127.0.0.1:8080\r\n"
                           "via: 1.0 squid, 1.1 proxylab (kit)\r\n"
                           "\r\n")),
                  508);
    ASSERT_EQ_INT(head(LIT("GET http://a.example/ HTTP/1.1\r\n"
                           "Via: 1.1 proxylab-other, 1.0 not-proxylab\r\n"
                           "\r\n")),
                  0);
}

static void test_http_target_host_agrees(void)
{
    ASSERT_EQ_INT(head(LIT("GET http://a.example/ HTTP/1.1\r\n"
                           "Host: A.Example:80\r\n"
                           "\r\n")),
                  0);
    ASSERT_EQ_INT(head(LIT("GET http://a.example:80/ HTTP/1.1\r\n"
                           "Host: a.example\r\n"
                           "\r\n")),
                  0);
    ASSERT_EQ_INT(head(LIT("GET http://[::1]:81/ HTTP/1.1\r\n"
                           "Host: [::1]:81\r\n"
                           "\r\n")),
                  0);
}

static void test_http_target_bad_host_header(void)
{
    ASSERT_EQ_INT(head(LIT("GET http://a.example/ HTTP/1.1\r\n"
                           "Host: a.example:x\r\n"
                           "\r\n")),
                  400);
    ASSERT_EQ_INT(head(LIT("GET / HTTP/1.1\r\nHost:\r\n\r\n")), 400);
    ASSERT_EQ_INT(head(LIT("GET / HTTP/1.1\r\nHost: a b\r\n\r\n")), 400);
    ASSERT_EQ_INT(head(LIT("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n")), 400);
    ASSERT_EQ_INT(head(LIT("GET / HTTP/1.1\r\nHost: a%41\r\n\r\n")), 400);
}

static void test_http_target_userinfo(void)
{
    ASSERT_EQ_INT(head(LIT("GET http://user@a.example/ HTTP/1.1\r\n\r\n")),
                  400);
    ASSERT_EQ_INT(head(LIT("GET http://user:pw@a.example/ HTTP/1.1\r\n\r\n")),
                  400);
    ASSERT_EQ_INT(head(LIT("GET / HTTP/1.1\r\nHost: u@a.example\r\n\r\n")),
                  400);
}

static void test_http_target_other_scheme(void)
{
    ASSERT_EQ_INT(head(LIT("GET https://a.example/ HTTP/1.1\r\n\r\n")), 400);
    ASSERT_EQ_INT(head(LIT("GET ftp://a.example/ HTTP/1.1\r\n\r\n")), 400);
    ASSERT_EQ_INT(head(LIT("GET http:/a.example/ HTTP/1.1\r\n\r\n")), 400);
    ASSERT_EQ_INT(head(LIT("GET http:a.example HTTP/1.1\r\n\r\n")), 400);
}

static void test_http_target_bad_port(void)
{
    ASSERT_EQ_INT(head(LIT("GET http://a.example:0/ HTTP/1.1\r\n\r\n")), 400);
    ASSERT_EQ_INT(head(LIT("GET http://a.example:65536/ HTTP/1.1\r\n\r\n")),
                  400);
    ASSERT_EQ_INT(head(LIT("GET http://a.example:99999/ HTTP/1.1\r\n\r\n")),
                  400);
    ASSERT_EQ_INT(head(LIT("GET http://a.example:123456/ HTTP/1.1\r\n\r\n")),
                  400);
    ASSERT_EQ_INT(head(LIT("GET http://a.example:8a/ HTTP/1.1\r\n\r\n")), 400);
    ASSERT_EQ_INT(head(LIT("GET http://a.example:+80/ HTTP/1.1\r\n\r\n")), 400);
    ASSERT_EQ_INT(head(LIT("GET http://a.example:-1/ HTTP/1.1\r\n\r\n")), 400);
    ASSERT_EQ_INT(head(LIT("GET http://a.example:80:80/ HTTP/1.1\r\n\r\n")),
                  400);
}

static void test_http_target_empty_port(void)
{
    /* RFC 3986 allows "host:", meaning the default; the kit refuses it. */
    ASSERT_EQ_INT(head(LIT("GET http://a.example:/ HTTP/1.1\r\n\r\n")), 400);
    ASSERT_EQ_INT(head(LIT("GET / HTTP/1.1\r\nHost: a.example:\r\n\r\n")), 400);
}

static void test_http_target_port_limits(void)
{
    ASSERT_EQ_INT(head(LIT("GET http://a.example:1/ HTTP/1.1\r\n\r\n")), 0);
    ASSERT_EQ_STR(scratch.port, "1");
    ASSERT_EQ_INT(head(LIT("GET http://a.example:65535/ HTTP/1.1\r\n\r\n")), 0);
    ASSERT_EQ_STR(scratch.port, "65535");
    ASSERT_EQ_INT(head(LIT("GET http://a.example:08080/ HTTP/1.1\r\n\r\n")), 0);
    ASSERT_EQ_STR(scratch.port, "8080");
}

static void test_http_target_empty_host(void)
{
    ASSERT_EQ_INT(head(LIT("GET http:///x HTTP/1.1\r\n\r\n")), 400);
    ASSERT_EQ_INT(head(LIT("GET http://:80/x HTTP/1.1\r\n\r\n")), 400);
    ASSERT_EQ_INT(head(LIT("GET http:// HTTP/1.1\r\n\r\n")), 400);
}

static void test_http_target_long_host(void)
{
    static char text[512];
    int n;

    /* HTTP_MAXHOST - 1 = 255 bytes fit, 256 do not. */
    for (size_t len = HTTP_MAXHOST - 1; len <= HTTP_MAXHOST; len++) {
        n = snprintf(text, sizeof(text), "GET http://%s/ HTTP/1.1\r\n\r\n",
                     repeated('h', len));
        CU_ASSERT_FATAL(n > 0 && (size_t)n < sizeof(text));
        ASSERT_EQ_INT(head(text, (size_t)n), len < HTTP_MAXHOST ? 0 : 400);
    }
}

static void test_http_target_asterisk_form(void)
{
    ASSERT_EQ_INT(head(LIT("OPTIONS * HTTP/1.1\r\nHost: a.example\r\n\r\n")),
                  400);
}

static void test_http_target_authority_form(void)
{
    ASSERT_EQ_INT(head(LIT("GET a.example:80 HTTP/1.1\r\n"
                           "Host: a.example\r\n"
                           "\r\n")),
                  400);
}

static void test_http_target_fragment(void)
{
    ASSERT_EQ_INT(head(LIT("GET http://a.example/x#top HTTP/1.1\r\n\r\n")),
                  400);
    ASSERT_EQ_INT(head(LIT("GET /x#top HTTP/1.1\r\nHost: a.example\r\n\r\n")),
                  400);
}

/* ---- http_header_get, http_header_remove ---- */

static void test_http_header_get_any_case(void)
{
    ASSERT_EQ_INT(head(LIT("GET / HTTP/1.1\r\n"
                           "Host: a.example\r\n"
                           "User-Agent: test/1.0\r\n"
                           "\r\n")),
                  0);
    ASSERT_EQ_STR(http_header_get(&scratch, "User-Agent"), "test/1.0");
    ASSERT_EQ_STR(http_header_get(&scratch, "user-agent"), "test/1.0");
    ASSERT_EQ_STR(http_header_get(&scratch, "USER-AGENT"), "test/1.0");
    CU_ASSERT_PTR_NULL(http_header_get(&scratch, "User-Agen"));
    CU_ASSERT_PTR_NULL(http_header_get(&scratch, "Accept"));
}

static void test_http_header_get_first(void)
{
    ASSERT_EQ_INT(head(LIT("GET / HTTP/1.1\r\n"
                           "Host: a.example\r\n"
                           "Accept: one\r\n"
                           "accept: two\r\n"
                           "\r\n")),
                  0);
    ASSERT_EQ_STR(http_header_get(&scratch, "Accept"), "one");
}

static void test_http_header_remove_any_case(void)
{
    ASSERT_EQ_INT(head(LIT("GET / HTTP/1.1\r\n"
                           "A: 1\r\n"
                           "Cookie: x\r\n"
                           "Host: a.example\r\n"
                           "COOKIE: y\r\n"
                           "B: 2\r\n"
                           "\r\n")),
                  0);
    ASSERT_EQ_INT(http_header_remove(&scratch, "cookie"), 2);
    ASSERT_EQ_INT(scratch.nheaders, 3);
    ASSERT_EQ_STR(scratch.headers[0].name, "A");
    ASSERT_EQ_STR(scratch.headers[1].name, "Host");
    ASSERT_EQ_STR(scratch.headers[2].name, "B");
    CU_ASSERT_PTR_NULL(http_header_get(&scratch, "Cookie"));
}

static void test_http_header_remove_missing(void)
{
    ASSERT_EQ_INT(head(LIT("GET / HTTP/1.1\r\nHost: a.example\r\n\r\n")), 0);
    ASSERT_EQ_INT(http_header_remove(&scratch, "Cookie"), 0);
    ASSERT_EQ_INT(scratch.nheaders, 1);
}

/* ---- http_is_hop_by_hop, http_is_connection_option ---- */

static void test_http_hop_by_hop_names(void)
{
    CU_ASSERT_TRUE(http_is_hop_by_hop("Connection"));
    CU_ASSERT_TRUE(http_is_hop_by_hop("Proxy-Connection"));
    CU_ASSERT_TRUE(http_is_hop_by_hop("Keep-Alive"));
    CU_ASSERT_TRUE(http_is_hop_by_hop("TE"));
    CU_ASSERT_TRUE(http_is_hop_by_hop("Trailer"));
    CU_ASSERT_TRUE(http_is_hop_by_hop("Transfer-Encoding"));
    CU_ASSERT_TRUE(http_is_hop_by_hop("Upgrade"));
    CU_ASSERT_TRUE(http_is_hop_by_hop("Proxy-Authorization"));
    CU_ASSERT_TRUE(http_is_hop_by_hop("Proxy-Authenticate"));
}

static void test_http_hop_by_hop_any_case(void)
{
    CU_ASSERT_TRUE(http_is_hop_by_hop("connection"));
    CU_ASSERT_TRUE(http_is_hop_by_hop("KEEP-ALIVE"));
    CU_ASSERT_TRUE(http_is_hop_by_hop("te"));
    CU_ASSERT_TRUE(http_is_hop_by_hop("proxy-authorization"));
}

static void test_http_hop_by_hop_others(void)
{
    CU_ASSERT_FALSE(http_is_hop_by_hop("Host"));
    CU_ASSERT_FALSE(http_is_hop_by_hop("Content-Length"));
    CU_ASSERT_FALSE(http_is_hop_by_hop("Authorization"));
    CU_ASSERT_FALSE(http_is_hop_by_hop("Connections"));
    CU_ASSERT_FALSE(http_is_hop_by_hop("Trailers"));
    CU_ASSERT_FALSE(http_is_hop_by_hop(""));
}

static void test_http_connection_option_list(void)
{
    ASSERT_EQ_INT(head(LIT("GET / HTTP/1.1\r\n"
                           "Host: a.example\r\n"
                           "Connection: close,X-Trace ,\t x-debug\r\n"
                           "\r\n")),
                  0);
    CU_ASSERT_TRUE(http_is_connection_option(&scratch, "close"));
    CU_ASSERT_TRUE(http_is_connection_option(&scratch, "X-Trace"));
    CU_ASSERT_TRUE(http_is_connection_option(&scratch, "x-trace"));
    CU_ASSERT_TRUE(http_is_connection_option(&scratch, "X-Debug"));
    CU_ASSERT_FALSE(http_is_connection_option(&scratch, "X-Other"));
    CU_ASSERT_FALSE(http_is_connection_option(&scratch, "X-Trac"));
    CU_ASSERT_FALSE(http_is_connection_option(&scratch, "X-Trace-Id"));
    CU_ASSERT_FALSE(http_is_connection_option(&scratch, "Host"));
}

static void test_http_connection_option_several_headers(void)
{
    ASSERT_EQ_INT(head(LIT("GET / HTTP/1.1\r\n"
                           "Host: a.example\r\n"
                           "Connection: keep-alive\r\n"
                           "connection: X-A, X-B\r\n"
                           "\r\n")),
                  0);
    CU_ASSERT_TRUE(http_is_connection_option(&scratch, "Keep-Alive"));
    CU_ASSERT_TRUE(http_is_connection_option(&scratch, "X-B"));
}

static void test_http_connection_option_none(void)
{
    ASSERT_EQ_INT(head(LIT("GET / HTTP/1.1\r\n"
                           "Host: a.example\r\n"
                           "X-Connection: X-A\r\n"
                           "\r\n")),
                  0);
    CU_ASSERT_FALSE(http_is_connection_option(&scratch, "X-A"));
}

/* ---- http_format_request ---- */

static void test_http_format_absolute_form(void)
{
    check_format(LIT("GET http://a.example/index.html HTTP/1.1\r\n"
                     "User-Agent: test\r\n"
                     "\r\n"),
                 "GET /index.html HTTP/1.0\r\n"
                 "Host: a.example\r\n"
                 "User-Agent: test\r\n"
                 "Via: 1.1 proxylab\r\n"
                 "Connection: close\r\n"
                 "\r\n");
}

static void test_http_format_origin_form(void)
{
    check_format(LIT("POST /form?a=1 HTTP/1.1\r\n"
                     "Host: A.Example\r\n"
                     "Content-Length: 3\r\n"
                     "\r\n"),
                 "POST /form?a=1 HTTP/1.0\r\n"
                 "Host: a.example\r\n"
                 "Content-Length: 3\r\n"
                 "Via: 1.1 proxylab\r\n"
                 "Connection: close\r\n"
                 "\r\n");
}

static void test_http_format_host_from_target(void)
{
    /* The client's Host goes; a new one is made from the target (RFC 9112
     * section 3.2.2), so its case and ":80" do not survive. */
    check_format(LIT("GET http://a.example/ HTTP/1.1\r\n"
                     "Accept: */*\r\n"
                     "Host: A.EXAMPLE:80\r\n"
                     "\r\n"),
                 "GET / HTTP/1.0\r\n"
                 "Host: a.example\r\n"
                 "Accept: */*\r\n"
                 "Via: 1.1 proxylab\r\n"
                 "Connection: close\r\n"
                 "\r\n");
}

static void test_http_format_port_in_host(void)
{
    check_format(LIT("GET http://a.example:8080/ HTTP/1.1\r\n\r\n"),
                 "GET / HTTP/1.0\r\n"
                 "Host: a.example:8080\r\n"
                 "Via: 1.1 proxylab\r\n"
                 "Connection: close\r\n"
                 "\r\n");
    check_format(LIT("GET http://a.example:080/ HTTP/1.1\r\n\r\n"),
                 "GET / HTTP/1.0\r\n"
                 "Host: a.example\r\n"
                 "Via: 1.1 proxylab\r\n"
                 "Connection: close\r\n"
                 "\r\n");
}

static void test_http_format_ipv6_host(void)
{
    check_format(LIT("GET http://[::1]:8080/x HTTP/1.1\r\n\r\n"),
                 "GET /x HTTP/1.0\r\n"
                 "Host: [::1]:8080\r\n"
                 "Via: 1.1 proxylab\r\n"
                 "Connection: close\r\n"
                 "\r\n");
    check_format(LIT("GET http://[::1]/x HTTP/1.1\r\n\r\n"),
                 "GET /x HTTP/1.0\r\n"
                 "Host: [::1]\r\n"
                 "Via: 1.1 proxylab\r\n"
                 "Connection: close\r\n"
                 "\r\n");
}

static void test_http_format_via_http10(void)
{
    check_format(LIT("GET http://a.example/ HTTP/1.0\r\n\r\n"),
                 "GET / HTTP/1.0\r\n"
                 "Host: a.example\r\n"
                 "Via: 1.0 proxylab\r\n"
                 "Connection: close\r\n"
                 "\r\n");
}

static void test_http_format_via_kept_and_added(void)
{
    check_format(LIT("GET http://a.example/ HTTP/1.1\r\n"
                     "Via: 1.1 first\r\n"
                     "\r\n"),
                 "GET / HTTP/1.0\r\n"
                 "Host: a.example\r\n"
                 "Via: 1.1 first\r\n"
                 "Via: 1.1 proxylab\r\n"
                 "Connection: close\r\n"
                 "\r\n");
}

static void test_http_format_hop_by_hop_removed(void)
{
    check_format(LIT("GET http://a.example/ HTTP/1.1\r\n"
                     "Connection: keep-alive\r\n"
                     "Proxy-Connection: keep-alive\r\n"
                     "Keep-Alive: timeout=5\r\n"
                     "A: 1\r\n"
                     "TE: trailers\r\n"
                     "Trailer: X-Sum\r\n"
                     "Upgrade: h2c\r\n"
                     "Transfer-Encoding: chunked\r\n"
                     "Proxy-Authorization: Basic dTpw\r\n"
                     "proxy-authenticate: Basic\r\n"
                     "B: 2\r\n"
                     "\r\n"),
                 "GET / HTTP/1.0\r\n"
                 "Host: a.example\r\n"
                 "A: 1\r\n"
                 "B: 2\r\n"
                 "Via: 1.1 proxylab\r\n"
                 "Connection: close\r\n"
                 "\r\n");
}

static void test_http_format_connection_options_removed(void)
{
    check_format(LIT("GET http://a.example/ HTTP/1.1\r\n"
                     "Connection: X-Trace, x-debug\r\n"
                     "X-Trace: 1\r\n"
                     "X-Kept: 2\r\n"
                     "X-DEBUG: 3\r\n"
                     "\r\n"),
                 "GET / HTTP/1.0\r\n"
                 "Host: a.example\r\n"
                 "X-Kept: 2\r\n"
                 "Via: 1.1 proxylab\r\n"
                 "Connection: close\r\n"
                 "\r\n");
}

static void test_http_format_headers_verbatim(void)
{
    check_format(LIT("GET http://a.example/ HTTP/1.1\r\n"
                     "user-AGENT:   curl/8.0  \r\n"
                     "Accept: text/html, */*;q=0.8\r\n"
                     "X-Empty:\r\n"
                     "Cookie: a=1; b=2\r\n"
                     "\r\n"),
                 "GET / HTTP/1.0\r\n"
                 "Host: a.example\r\n"
                 "user-AGENT: curl/8.0\r\n"
                 "Accept: text/html, */*;q=0.8\r\n"
                 "X-Empty: \r\n"
                 "Cookie: a=1; b=2\r\n"
                 "Via: 1.1 proxylab\r\n"
                 "Connection: close\r\n"
                 "\r\n");
}

static void test_http_format_path_unchanged(void)
{
    check_format(LIT("GET http://a.example/a%20b?x=1&y=%2F HTTP/1.1\r\n\r\n"),
                 "GET /a%20b?x=1&y=%2F HTTP/1.0\r\n"
                 "Host: a.example\r\n"
                 "Via: 1.1 proxylab\r\n"
                 "Connection: close\r\n"
                 "\r\n");
}

static void test_http_format_method_kept(void)
{
    check_format(LIT("BREW http://pot.example/ HTTP/1.1\r\n\r\n"),
                 "BREW / HTTP/1.0\r\n"
                 "Host: pot.example\r\n"
                 "Via: 1.1 proxylab\r\n"
                 "Connection: close\r\n"
                 "\r\n");
}

static void test_http_format_overflow(void)
{
    char buf[256];
    ssize_t len;

    ASSERT_EQ_INT(head(LIT("GET http://a.example/ HTTP/1.1\r\n"
                           "X-Long: 0123456789\r\n"
                           "\r\n")),
                  0);
    len = http_format_request(&scratch, buf, sizeof(buf));
    CU_ASSERT_FATAL(len > 0);

    /* Every buffer too small by at least one byte (the NUL) fails. */
    for (size_t size = 0; size <= (size_t)len; size++) {
        errno = 0;
        ASSERT_EQ_INT(http_format_request(&scratch, buf, size), -1);
        ASSERT_EQ_INT(errno, EMSGSIZE);
    }
    ASSERT_EQ_INT(http_format_request(&scratch, buf, (size_t)len + 1), len);
    ASSERT_EQ_INT(strlen(buf), len);
}

/* ---- http_body_length ---- */

static void test_http_body_length_none(void)
{
    uint64_t length;

    ASSERT_EQ_INT(
        body_length(LIT("GET http://a.example/ HTTP/1.1\r\n\r\n"), &length), 0);
    ASSERT_EQ_INT(length, 0);
}

static void test_http_body_length_value(void)
{
    uint64_t length;

    ASSERT_EQ_INT(body_length(LIT("POST http://a.example/ HTTP/1.1\r\n"
                                  "content-length: 42\r\n"
                                  "\r\n"),
                              &length),
                  0);
    ASSERT_EQ_INT(length, 42);
    ASSERT_EQ_INT(body_length(LIT("POST http://a.example/ HTTP/1.1\r\n"
                                  "Content-Length: 0\r\n"
                                  "\r\n"),
                              &length),
                  0);
    ASSERT_EQ_INT(length, 0);
}

static void test_http_body_length_duplicate_same(void)
{
    uint64_t length;

    /* Two field lines make the list "7, 7" (RFC 9110 section 5.3). */
    ASSERT_EQ_INT(body_length(LIT("POST http://a.example/ HTTP/1.1\r\n"
                                  "Content-Length: 7\r\n"
                                  "Content-Length: 7\r\n"
                                  "\r\n"),
                              &length),
                  400);
}

static void test_http_body_length_duplicate_different(void)
{
    uint64_t length;

    ASSERT_EQ_INT(body_length(LIT("POST http://a.example/ HTTP/1.1\r\n"
                                  "Content-Length: 7\r\n"
                                  "Content-Length: 8\r\n"
                                  "\r\n"),
                              &length),
                  400);
}

static void test_http_body_length_not_digits(void)
{
    uint64_t length;

    ASSERT_EQ_INT(body_length(LIT("POST http://a.example/ HTTP/1.1\r\n"
                                  "Content-Length: abc\r\n\r\n"),
                              &length),
                  400);
    ASSERT_EQ_INT(body_length(LIT("POST http://a.example/ HTTP/1.1\r\n"
                                  "Content-Length: -1\r\n\r\n"),
                              &length),
                  400);
    ASSERT_EQ_INT(body_length(LIT("POST http://a.example/ HTTP/1.1\r\n"
                                  "Content-Length: +5\r\n\r\n"),
                              &length),
                  400);
    ASSERT_EQ_INT(body_length(LIT("POST http://a.example/ HTTP/1.1\r\n"
                                  "Content-Length: 0x10\r\n\r\n"),
                              &length),
                  400);
    ASSERT_EQ_INT(body_length(LIT("POST http://a.example/ HTTP/1.1\r\n"
                                  "Content-Length:\r\n\r\n"),
                              &length),
                  400);
}

static void test_http_body_length_connection_names_length(void)
{
    uint64_t length;

    /* The body would go upstream without its length: a second request. */
    ASSERT_EQ_INT(body_length(LIT("POST http://a.example/ HTTP/1.1\r\n"
                                  "Connection: close, content-length\r\n"
                                  "Content-Length: 5\r\n\r\n"),
                              &length),
                  400);
}

static void test_http_body_length_list(void)
{
    uint64_t length;

    /* RFC 9110 section 8.6 lets a recipient reject "5, 5"; the kit does. */
    ASSERT_EQ_INT(body_length(LIT("POST http://a.example/ HTTP/1.1\r\n"
                                  "Content-Length: 5, 5\r\n\r\n"),
                              &length),
                  400);
    ASSERT_EQ_INT(body_length(LIT("POST http://a.example/ HTTP/1.1\r\n"
                                  "Content-Length: 5 5\r\n\r\n"),
                              &length),
                  400);
}

static void test_http_body_length_overflow(void)
{
    uint64_t length;

    ASSERT_EQ_INT(body_length(LIT("POST http://a.example/ HTTP/1.1\r\n"
                                  "Content-Length: 4611686018427387904\r\n"
                                  "\r\n"),
                              &length),
                  0);
    ASSERT_EQ_INT(length, (uint64_t)1 << 62);
    ASSERT_EQ_INT(body_length(LIT("POST http://a.example/ HTTP/1.1\r\n"
                                  "Content-Length: 4611686018427387905\r\n"
                                  "\r\n"),
                              &length),
                  400);
    ASSERT_EQ_INT(body_length(LIT("POST http://a.example/ HTTP/1.1\r\n"
                                  "Content-Length: 18446744073709551616\r\n"
                                  "\r\n"),
                              &length),
                  400);
    ASSERT_EQ_INT(body_length(LIT("POST http://a.example/ HTTP/1.1\r\n"
                                  "Content-Length: "
                                  "000000000000000000000000000000000000001\r\n"
                                  "\r\n"),
                              &length),
                  0);
    ASSERT_EQ_INT(length, 1);
}

static void test_http_body_length_with_transfer_encoding(void)
{
    uint64_t length;

    ASSERT_EQ_INT(body_length(LIT("POST http://a.example/ HTTP/1.1\r\n"
                                  "Content-Length: 5\r\n"
                                  "Transfer-Encoding: chunked\r\n"
                                  "\r\n"),
                              &length),
                  400);
    ASSERT_EQ_INT(body_length(LIT("POST http://a.example/ HTTP/1.1\r\n"
                                  "transfer-encoding: chunked\r\n"
                                  "content-length: 5\r\n"
                                  "\r\n"),
                              &length),
                  400);
}

static void test_http_body_length_transfer_encoding_alone(void)
{
    uint64_t length;

    ASSERT_EQ_INT(body_length(LIT("POST http://a.example/ HTTP/1.1\r\n"
                                  "Transfer-Encoding: chunked\r\n"
                                  "\r\n"),
                              &length),
                  501);
}

/* ---- http_parse_status_line ---- */

static void test_http_status_line_valid(void)
{
    struct http_response resp = { .status = 7,
                                  .content_length = 99,
                                  .chunked = true };

    ASSERT_EQ_INT(http_parse_status_line(&resp, LIT("HTTP/1.1 200 OK\r\n")), 0);
    ASSERT_EQ_INT(resp.status, 200);
    ASSERT_EQ_INT(resp.content_length, -1);
    CU_ASSERT_FALSE(resp.chunked);
    ASSERT_EQ_INT(
        http_parse_status_line(&resp, LIT("HTTP/1.0 404 Not Found\n")), 0);
    ASSERT_EQ_INT(resp.status, 404);
}

static void test_http_status_line_reason_empty(void)
{
    struct http_response resp;

    ASSERT_EQ_INT(http_parse_status_line(&resp, LIT("HTTP/1.1 204 \r\n")), 0);
    ASSERT_EQ_INT(resp.status, 204);
    ASSERT_EQ_INT(http_parse_status_line(&resp, LIT("HTTP/1.1 304\r\n")), 0);
    ASSERT_EQ_INT(resp.status, 304);
}

static void test_http_status_line_not_http(void)
{
    ASSERT_EQ_INT(status_line(LIT("ICY 200 OK\r\n")), 502);
    ASSERT_EQ_INT(status_line(LIT("http/1.1 200 OK\r\n")), 502);
    ASSERT_EQ_INT(status_line(LIT("HTTP/2 200 OK\r\n")), 502);
    ASSERT_EQ_INT(status_line(LIT("HTTP/1.2 200 OK\r\n")), 502);
    ASSERT_EQ_INT(status_line(LIT("<html>\r\n")), 502);
    ASSERT_EQ_INT(status_line(LIT("\r\n")), 502);
    ASSERT_EQ_INT(status_line(LIT("")), 502);
}

static void test_http_status_line_three_digits(void)
{
    ASSERT_EQ_INT(status_line(LIT("HTTP/1.1 20 OK\r\n")), 502);
    ASSERT_EQ_INT(status_line(LIT("HTTP/1.1 2000 OK\r\n")), 502);
    ASSERT_EQ_INT(status_line(LIT("HTTP/1.1 1000\r\n")), 502);
    ASSERT_EQ_INT(status_line(LIT("HTTP/1.1 20x OK\r\n")), 502);
    ASSERT_EQ_INT(status_line(LIT("HTTP/1.1  200 OK\r\n")), 502);
}

static void test_http_status_line_code_range(void)
{
    ASSERT_EQ_INT(status_line(LIT("HTTP/1.1 100 Continue\r\n")), 0);
    ASSERT_EQ_INT(status_line(LIT("HTTP/1.1 599 Custom\r\n")), 0);
    ASSERT_EQ_INT(status_line(LIT("HTTP/1.1 099 Low\r\n")), 502);
    ASSERT_EQ_INT(status_line(LIT("HTTP/1.1 600 High\r\n")), 502);
}

static void test_http_status_line_control_bytes(void)
{
    ASSERT_EQ_INT(status_line(LIT("HTTP/1.1 200 O\0K\r\n")), 502);
    ASSERT_EQ_INT(status_line(LIT("HTTP/1.1 200 OK\r\r\n")), 502);
    ASSERT_EQ_INT(status_line(LIT("HTTP/1.1 200 OK")), 502);
    ASSERT_EQ_INT(status_line(LIT("HTTP/1.1 200 O\tK\r\n")), 0);
}

static void test_http_status_line_failure_resets(void)
{
    struct http_response resp = { .status = 200,
                                  .content_length = 5,
                                  .chunked = true };

    ASSERT_EQ_INT(http_parse_status_line(&resp, LIT("garbage\r\n")), 502);
    ASSERT_EQ_INT(resp.status, 0);
    ASSERT_EQ_INT(resp.content_length, -1);
    CU_ASSERT_FALSE(resp.chunked);
}

/* ---- http_parse_response_header ---- */

static void test_http_response_content_length(void)
{
    struct http_response resp;

    new_response(&resp);
    ASSERT_EQ_INT(response_header(&resp, LIT("Content-Length: 1234\r\n")), 0);
    ASSERT_EQ_INT(resp.content_length, 1234);
    CU_ASSERT_FALSE(resp.chunked);
    new_response(&resp);
    ASSERT_EQ_INT(response_header(&resp, LIT("content-length:0\n")), 0);
    ASSERT_EQ_INT(resp.content_length, 0);
}

static void test_http_response_content_length_duplicate(void)
{
    struct http_response resp;

    new_response(&resp);
    ASSERT_EQ_INT(response_header(&resp, LIT("Content-Length: 10\r\n")), 0);
    ASSERT_EQ_INT(response_header(&resp, LIT("Content-Length: 10\r\n")), 0);
    ASSERT_EQ_INT(resp.content_length, 10);
    ASSERT_EQ_INT(response_header(&resp, LIT("Content-Length: 11\r\n")), 502);
}

static void test_http_response_content_length_invalid(void)
{
    struct http_response resp;

    new_response(&resp);
    ASSERT_EQ_INT(response_header(&resp, LIT("Content-Length: ten\r\n")), 502);
    ASSERT_EQ_INT(response_header(&resp, LIT("Content-Length: -1\r\n")), 502);
    ASSERT_EQ_INT(response_header(&resp, LIT("Content-Length: 1, 1\r\n")), 502);
    ASSERT_EQ_INT(response_header(&resp, LIT("Content-Length:\r\n")), 502);
    ASSERT_EQ_INT(
        response_header(&resp, LIT("Content-Length: 99999999999999999999\r\n")),
        502);
    ASSERT_EQ_INT(resp.content_length, -1);
}

static void test_http_response_chunked(void)
{
    struct http_response resp;

    new_response(&resp);
    ASSERT_EQ_INT(response_header(&resp, LIT("Transfer-Encoding: chunked\r\n")),
                  0);
    CU_ASSERT_TRUE(resp.chunked);
    new_response(&resp);
    ASSERT_EQ_INT(
        response_header(&resp, LIT("transfer-encoding: gzip,  Chunked \r\n")),
        0);
    CU_ASSERT_TRUE(resp.chunked);
}

static void test_http_response_chunked_not_last(void)
{
    struct http_response resp;

    new_response(&resp);
    ASSERT_EQ_INT(
        response_header(&resp, LIT("Transfer-Encoding: chunked, gzip\r\n")), 0);
    CU_ASSERT_FALSE(resp.chunked);
    new_response(&resp);
    ASSERT_EQ_INT(
        response_header(&resp, LIT("Transfer-Encoding: notchunked\r\n")), 0);
    CU_ASSERT_FALSE(resp.chunked);
}

static void test_http_response_length_and_chunked(void)
{
    struct http_response resp;

    new_response(&resp);
    ASSERT_EQ_INT(response_header(&resp, LIT("Content-Length: 5\r\n")), 0);
    ASSERT_EQ_INT(response_header(&resp, LIT("Transfer-Encoding: chunked\r\n")),
                  502);
    new_response(&resp);
    ASSERT_EQ_INT(response_header(&resp, LIT("Transfer-Encoding: chunked\r\n")),
                  0);
    ASSERT_EQ_INT(response_header(&resp, LIT("Content-Length: 5\r\n")), 502);
}

static void test_http_response_other_headers(void)
{
    struct http_response resp;

    new_response(&resp);
    ASSERT_EQ_INT(response_header(&resp, LIT("Server: test\r\n")), 0);
    ASSERT_EQ_INT(response_header(&resp, LIT("Set-Cookie: a=b; Path=/\r\n")),
                  0);
    ASSERT_EQ_INT(response_header(&resp, LIT("X-Empty:\r\n")), 0);
    ASSERT_EQ_INT(resp.status, 200);
    ASSERT_EQ_INT(resp.content_length, -1);
    CU_ASSERT_FALSE(resp.chunked);
}

static void test_http_response_malformed(void)
{
    struct http_response resp;

    new_response(&resp);
    ASSERT_EQ_INT(response_header(&resp, LIT("no colon here\r\n")), 502);
    ASSERT_EQ_INT(response_header(&resp, LIT(" folded\r\n")), 502);
    ASSERT_EQ_INT(response_header(&resp, LIT("Content-Length : 5\r\n")), 502);
    ASSERT_EQ_INT(response_header(&resp, LIT("X-A: a\0b\r\n")), 502);
    ASSERT_EQ_INT(response_header(&resp, LIT("X-A: b")), 502);
}

/* ---- http_format_response ---- */

/* The moment the responses below arrive, and its Date line. */
#define RECEIVED      784111777
#define RECEIVED_DATE "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"

/* check_response - parse head (a status line and header lines, no blank
 * line) and check that http_format_response, at RECEIVED, turns it into
 * want. */
static void check_response(const char *head, const char *want)
{
    static struct http_response resp;
    char buf[4096];
    const char *line = head;
    ssize_t len;

    while (*line != '\0') {
        const char *lf = strchr(line, '\n');
        size_t n = (size_t)(lf - line) + 1;

        ASSERT_EQ_INT(line == head ? http_parse_status_line(&resp, line, n)
                                   : http_parse_response_header(&resp, line, n),
                      0);
        line += n;
    }
    len = http_format_response(&resp, RECEIVED, buf, sizeof(buf));
    ASSERT_EQ_INT(len, (long long)strlen(want));
    if (len >= 0) {
        ASSERT_EQ_STR(buf, want);
    }
}

static void test_http_format_response_own_version_via_close(void)
{
    check_response("HTTP/1.0 404 Not Found\r\n"
                   "Content-Length: 3\r\n",
                   "HTTP/1.1 404 Not Found\r\n"
                   "Content-Length: 3\r\n" RECEIVED_DATE "Via: 1.0 proxylab\r\n"
                   "Connection: close\r\n\r\n");
    check_response("HTTP/1.1 204\n",
                   "HTTP/1.1 204 \r\n" RECEIVED_DATE "Via: 1.1 proxylab\r\n"
                   "Connection: close\r\n\r\n");
}

static void test_http_format_response_drops_hop_by_hop(void)
{
    check_response("HTTP/1.1 200 OK\r\n"
                   "Connection: keep-alive, X-Secret\r\n"
                   "X-Secret: hunter2\r\n"
                   "Keep-Alive: timeout=5\r\n"
                   "Proxy-Connection: keep-alive\r\n"
                   "Upgrade: h2c\r\n"
                   "connection: x-other\r\n"
                   "X-Other: 1\r\n"
                   "Transfer-Encoding: chunked\r\n"
                   "Server:  kit \r\n"
                   "Via: 1.1 cdn\r\n",
                   "HTTP/1.1 200 OK\r\n"
                   "Transfer-Encoding: chunked\r\n"
                   "Server: kit\r\n"
                   "Via: 1.1 cdn\r\n" RECEIVED_DATE "Via: 1.1 proxylab\r\n"
                   "Connection: close\r\n\r\n");
}

/* The origin's Date stays where it was, unchanged, and is not doubled;
 * the name matches in any case. */
static void test_http_format_response_keeps_date(void)
{
    check_response("HTTP/1.1 200 OK\r\n"
                   "Date: Tue, 15 Nov 1994 08:12:31 GMT\r\n"
                   "Content-Length: 0\r\n",
                   "HTTP/1.1 200 OK\r\n"
                   "Date: Tue, 15 Nov 1994 08:12:31 GMT\r\n"
                   "Content-Length: 0\r\n"
                   "Via: 1.1 proxylab\r\n"
                   "Connection: close\r\n\r\n");
    check_response("HTTP/1.0 200 OK\r\n"
                   "date: yesterday\r\n",
                   "HTTP/1.1 200 OK\r\n"
                   "date: yesterday\r\n"
                   "Via: 1.0 proxylab\r\n"
                   "Connection: close\r\n\r\n");
}

static void test_http_format_response_overflow(void)
{
    static struct http_response resp;
    char buf[40];

    new_response(&resp);
    ASSERT_EQ_INT(response_header(&resp, LIT("X-A: b\r\n")), 0);
    errno = 0;
    ASSERT_EQ_INT(http_format_response(&resp, RECEIVED, buf, sizeof(buf)), -1);
    ASSERT_EQ_INT(errno, EMSGSIZE);
}

static void test_http_response_too_many_headers(void)
{
    static struct http_response resp;

    new_response(&resp);
    for (int i = 0; i < HTTP_MAXHEADERS; i++) {
        ASSERT_EQ_INT(response_header(&resp, LIT("X-A: b\r\n")), 0);
    }
    ASSERT_EQ_INT(response_header(&resp, LIT("X-A: b\r\n")), 502);
}

static CU_TestInfo http_tests[] = {
    { "absolute-form request line gives method, target and version",
      test_http_request_line_absolute_form },
    { "HTTP/1.0 request line has minor version 0",
      test_http_request_line_http10 },
    { "request line may end in a bare LF", test_http_request_line_bare_lf },
    { "any method token is accepted, CONNECT and unknown ones too",
      test_http_request_line_any_method_token },
    { "method that is not a token is 400",
      test_http_request_line_method_not_token },
    { "double space or a tab between parts is 400",
      test_http_request_line_double_space },
    { "space before or after the line, or a fourth part, is 400",
      test_http_request_line_edge_spaces },
    { "missing version or target is 400",
      test_http_request_line_missing_parts },
    { "request line without LF is 400",
      test_http_request_line_needs_line_ending },
    { "lower-case http/1.1 is 400", test_http_request_line_lowercase_version },
    { "version not shaped HTTP/d.d is 400",
      test_http_request_line_malformed_version },
    { "HTTP/2.0 is 505", test_http_request_line_http2_is_505 },
    { "HTTP/1.2 and HTTP/0.9 are 505", test_http_request_line_http12_is_505 },
    { "NUL anywhere in the request line is 400", test_http_request_line_nul },
    { "bare CR in the request line is 400", test_http_request_line_bare_cr },
    { "LF inside the request line is 400", test_http_request_line_lf_inside },
    { "control byte in the target is 400",
      test_http_request_line_ctl_in_target },
    { "method of 16 bytes is 501, 15 fit", test_http_request_line_long_method },
    { "target too long for req->target is 414",
      test_http_request_line_long_target },
    { "header line gives name and value", test_http_header_stored },
    { "whitespace around the value is trimmed", test_http_header_ows_trimmed },
    { "empty value is allowed", test_http_header_empty_value },
    { "value may contain colons", test_http_header_value_with_colon },
    { "header line may end in a bare LF", test_http_header_bare_lf },
    { "bytes above 0x7f are allowed in a value", test_http_header_obs_text },
    { "headers keep the order received", test_http_header_order_kept },
    { "header without colon is 400", test_http_header_no_colon },
    { "whitespace before the colon is 400",
      test_http_header_space_before_colon },
    { "empty header name is 400", test_http_header_empty_name },
    { "header name that is not a token is 400",
      test_http_header_name_not_token },
    { "line starting with whitespace (obs-fold) is 400",
      test_http_header_obs_fold },
    { "NUL in a value is 400", test_http_header_nul_in_value },
    { "bare CR in a value is 400", test_http_header_cr_in_value },
    { "control bytes other than HTAB in a value are 400",
      test_http_header_ctl_in_value },
    { "header line without LF, or an empty one, is 400",
      test_http_header_needs_line_ending },
    { "one header more than HTTP_MAXHEADERS is 431",
      test_http_header_too_many },
    { "header that does not fit in req->text is 431",
      test_http_header_text_full },
    { "header_get ignores the case of names", test_http_header_get_any_case },
    { "header_get returns the first of several", test_http_header_get_first },
    { "header_remove removes every match in any case, keeping order",
      test_http_header_remove_any_case },
    { "header_remove of a missing name removes nothing",
      test_http_header_remove_missing },
    { "absolute-form target gives host, port and path",
      test_http_target_absolute_form },
    { "absolute-form target with a port", test_http_target_absolute_form_port },
    { "absolute-form target without a path gets /",
      test_http_target_absolute_form_no_path },
    { "path and query are passed on unchanged",
      test_http_target_path_and_query_unchanged },
    { "query without a path is 400", test_http_target_query_without_path },
    { "scheme and host in any case; host is lower-cased",
      test_http_target_upper_case },
    { "IPv4 address as host", test_http_target_ipv4 },
    { "IPv6 literal loses its brackets", test_http_target_ipv6 },
    { "malformed IPv6 literal is 400", test_http_target_bad_ipv6 },
    { "origin-form target takes host and port from Host",
      test_http_target_origin_form },
    { "origin-form target without Host is 400",
      test_http_target_origin_form_no_host },
    { "two Host headers are 400", test_http_target_two_hosts },
    { "a Host naming another origin than the target is ignored: the target's is sent",
      test_http_target_host_disagrees },
    { "http_parse_target: a Host that is not a host is 400",
      test_http_target_host_invalid },
    { "http_parse_target: a Via that names this proxy is a loop: 508",
      test_http_target_loop_is_508 },
    { "Host agreeing with the target up to case and :80 is accepted",
      test_http_target_host_agrees },
    { "malformed Host value is 400", test_http_target_bad_host_header },
    { "userinfo in the authority is 400", test_http_target_userinfo },
    { "scheme other than http is 400", test_http_target_other_scheme },
    { "port 0, over 65535 or not digits is 400", test_http_target_bad_port },
    { "empty port after the colon is 400", test_http_target_empty_port },
    { "ports 1 and 65535 are accepted, leading zeros dropped",
      test_http_target_port_limits },
    { "empty host is 400", test_http_target_empty_host },
    { "host of 256 bytes is 400, 255 fit", test_http_target_long_host },
    { "asterisk-form is 400", test_http_target_asterisk_form },
    { "authority-form outside CONNECT is 400",
      test_http_target_authority_form },
    { "fragment in the target is 400", test_http_target_fragment },
    { "every listed hop-by-hop name is hop-by-hop",
      test_http_hop_by_hop_names },
    { "hop-by-hop names match in any case", test_http_hop_by_hop_any_case },
    { "end-to-end names are not hop-by-hop", test_http_hop_by_hop_others },
    { "Connection lists options, trimmed and in any case",
      test_http_connection_option_list },
    { "several Connection headers all count",
      test_http_connection_option_several_headers },
    { "without Connection nothing is an option",
      test_http_connection_option_none },
    { "absolute-form request is rewritten to origin-form HTTP/1.0",
      test_http_format_absolute_form },
    { "origin-form request keeps its path and gets a new Host",
      test_http_format_origin_form },
    { "Host is rewritten from the target", test_http_format_host_from_target },
    { "port appears in Host only when it is not 80",
      test_http_format_port_in_host },
    { "IPv6 host is bracketed in Host", test_http_format_ipv6_host },
    { "HTTP/1.0 client gets Via: 1.0", test_http_format_via_http10 },
    { "existing Via is kept and ours added after it",
      test_http_format_via_kept_and_added },
    { "hop-by-hop headers are not forwarded",
      test_http_format_hop_by_hop_removed },
    { "headers named in Connection are not forwarded",
      test_http_format_connection_options_removed },
    { "other headers are kept verbatim and in order",
      test_http_format_headers_verbatim },
    { "path and query are sent unchanged", test_http_format_path_unchanged },
    { "unknown method is forwarded as it is", test_http_format_method_kept },
    { "buffer too small is -1 with EMSGSIZE", test_http_format_overflow },
    { "no Content-Length means no body", test_http_body_length_none },
    { "Content-Length gives the body length", test_http_body_length_value },
    { "duplicate Content-Length with the same value is 400",
      test_http_body_length_duplicate_same },
    { "duplicate Content-Length with different values is 400",
      test_http_body_length_duplicate_different },
    { "Content-Length that is not digits is 400",
      test_http_body_length_not_digits },
    { "Content-Length list is 400", test_http_body_length_list },
    { "Content-Length named in Connection is 400",
      test_http_body_length_connection_names_length },
    { "Content-Length above 2^62 is 400", test_http_body_length_overflow },
    { "Content-Length with Transfer-Encoding is 400",
      test_http_body_length_with_transfer_encoding },
    { "Transfer-Encoding alone is 501",
      test_http_body_length_transfer_encoding_alone },
    { "status line gives the status and resets the framing",
      test_http_status_line_valid },
    { "status line with an empty or no reason is accepted",
      test_http_status_line_reason_empty },
    { "status line that is not HTTP/1.x is 502",
      test_http_status_line_not_http },
    { "status code of other than 3 digits is 502",
      test_http_status_line_three_digits },
    { "status code outside 100-599 is 502", test_http_status_line_code_range },
    { "control bytes in the status line are 502",
      test_http_status_line_control_bytes },
    { "failed status line leaves status 0 and no framing",
      test_http_status_line_failure_resets },
    { "Content-Length sets the response length",
      test_http_response_content_length },
    { "repeated Content-Length must agree",
      test_http_response_content_length_duplicate },
    { "invalid Content-Length is 502",
      test_http_response_content_length_invalid },
    { "Transfer-Encoding ending in chunked sets chunked",
      test_http_response_chunked },
    { "Transfer-Encoding not ending in chunked is not chunked",
      test_http_response_chunked_not_last },
    { "Content-Length together with chunked is 502",
      test_http_response_length_and_chunked },
    { "other response headers are accepted", test_http_response_other_headers },
    { "malformed response header line is 502", test_http_response_malformed },
    { "more response headers than resp holds is 502",
      test_http_response_too_many_headers },
    { "a relayed response head has the proxy's version, Via and close",
      test_http_format_response_own_version_via_close },
    { "a relayed response head loses its hop-by-hop headers, not its "
      "framing",
      test_http_format_response_drops_hop_by_hop },
    { "a response without Date gets one, the time it was received; the "
      "origin's is kept as it is",
      test_http_format_response_keeps_date },
    { "a response head that does not fit is -1 with EMSGSIZE",
      test_http_format_response_overflow },
    CU_TEST_INFO_NULL,
};

int main(void)
{
    CU_SuiteInfo suites[] = {
        UNIT_SUITE("http", http_tests),
        CU_SUITE_INFO_NULL,
    };

    return unit_run(suites);
}
