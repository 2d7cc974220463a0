/*
 * heads.h - shared by the CUnit tests that need parsed messages: a request
 * or response head written as literal text ("GET / HTTP/1.1\r\n...\r\n"),
 * each line through lab 2's parsers as the glue gives them, so a test
 * program that includes it is linked with http.c.
 */
#ifndef HEADS_H
#define HEADS_H

#include <CUnit/CUnit.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "http.h"

/* heads_next_line - the length of the line at text, through its LF. */
static inline size_t heads_next_line(const char *text)
{
    const char *lf = strchr(text, '\n');

    if (lf == NULL) {
        CU_FAIL_FATAL("a line of the test's text has no LF");
    }
    return (size_t)(lf - text) + 1;
}

/* heads_parse_lines - give parse each line of text up to the blank line, the
 * first with first set. Returns the first non-zero status, or 0. */
static inline int heads_parse_lines(const char *text, void *msg,
                                    int (*parse)(void *msg, const char *line,
                                                 size_t n, bool first))
{
    const char *line = text;
    int rc = 0;

    while (rc == 0 && (line == text || strcmp(line, "\r\n") != 0)) {
        size_t n = heads_next_line(line);

        rc = parse(msg, line, n, line == text);
        line += n;
    }
    return rc;
}

static inline int heads_request_line(void *msg, const char *line, size_t n,
                                     bool first)
{
    return first ? http_parse_request_line(msg, line, n)
                 : http_parse_header(msg, line, n);
}

static inline int heads_response_line(void *msg, const char *line, size_t n,
                                      bool first)
{
    return first ? http_parse_status_line(msg, line, n)
                 : http_parse_response_header(msg, line, n);
}

/* heads_parse_request - text parsed into req as the glue parses a
 * request: every line, then http_parse_target. Returns 0 or the status. */
static inline int heads_parse_request(struct http_request *req,
                                      const char *text)
{
    int rc;

    http_request_init(req);
    rc = heads_parse_lines(text, req, heads_request_line);
    return rc != 0 ? rc : http_parse_target(req);
}

/* heads_parse_response - text parsed into resp. Returns 0 or the status. */
static inline int heads_parse_response(struct http_response *resp,
                                       const char *text)
{
    return heads_parse_lines(text, resp, heads_response_line);
}

#endif /* HEADS_H */
