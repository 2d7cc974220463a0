/*
 * fuzz_request.c - fuzz the request parser of http.c as the glue drives
 * it: the request line, header lines up to the blank line, the target,
 * the body length, and the request written for the origin.
 *
 * Promises checked: the parsers answer 0 or one of the statuses http.h
 * lists; a request that passes them all comes out of http_format_request
 * with every line ending in CRLF, no NUL and no bare CR, one Host, at
 * most one Content-Length and no Transfer-Encoding (the origin never sees an
 * ambiguous message).
 */
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "fuzz.h"
#include "http.h"

/* is_status - whether rc is 0 or a status a request parser may return. */
static bool is_status(int rc)
{
    return rc == 0 || rc == 400 || rc == 411 || rc == 414 || rc == 431 ||
           rc == 501 || rc == 505;
}

/* count_lines - how many lines of head (length n) start with prefix,
 * ignoring case. */
static size_t count_lines(const char *head, size_t n, const char *prefix)
{
    size_t count = 0;
    size_t len = strlen(prefix);

    for (size_t i = 0; i + len <= n; i++) {
        if ((i == 0 || head[i - 1] == '\n') &&
            strncasecmp(head + i, prefix, len) == 0) {
            count++;
        }
    }
    return count;
}

/* check_upstream - the promises about what the origin would receive. */
static void check_upstream(const char *head, size_t n)
{
    FUZZ_CHECK(memchr(head, '\0', n) == NULL);
    FUZZ_CHECK(n >= 4 && memcmp(head + n - 4, "\r\n\r\n", 4) == 0);
    for (size_t i = 0; i < n; i++) {
        FUZZ_CHECK(head[i] != '\n' || (i > 0 && head[i - 1] == '\r'));
        FUZZ_CHECK(head[i] != '\r' || (i + 1 < n && head[i + 1] == '\n'));
    }
    FUZZ_CHECK(count_lines(head, n, "Host:") == 1);
    FUZZ_CHECK(count_lines(head, n, "Transfer-Encoding:") == 0);
    FUZZ_CHECK(count_lines(head, n, "Content-Length:") <= 1);
}

/* parse_head - feed data to the parsers line by line; the status. */
static int parse_head(struct http_request *req, const uint8_t *data,
                      size_t size)
{
    size_t n = fuzz_next_line(data, size);
    int rc = http_parse_request_line(req, (const char *)data, n);

    FUZZ_CHECK(is_status(rc));
    while (rc == 0 && (n = fuzz_next_field(&data, &size, n)) > 0) {
        rc = http_parse_header(req, (const char *)data, n);
        FUZZ_CHECK(is_status(rc));
    }
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct http_request req;
    static char head[HTTP_MAXLINE + HTTP_MAXHEADTEXT + 4096];
    uint64_t length;
    ssize_t n;

    http_request_init(&req);
    if (parse_head(&req, data, size) != 0 ||
        strcmp(req.method, "CONNECT") == 0) {
        return 0;
    }
    if (http_parse_target(&req) != 0) {
        return 0;
    }
    FUZZ_CHECK(req.host[0] != '\0' && req.path != NULL);
    if (http_body_length(&req, &length) != 0) {
        return 0;
    }
    n = http_format_request(&req, head, sizeof(head));
    if (n >= 0) {
        check_upstream(head, (size_t)n);
    }
    return 0;
}
