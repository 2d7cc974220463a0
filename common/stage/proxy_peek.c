/*
 * proxy_peek.c - what the bytes a waiting client has sent so far say
 * (given glue; see peek.h).
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "http.h"
#include "peek.h"

#define TOO_LARGE         SIZE_MAX /* head_length: the head can never end */
#define LENGTH_DIGITS_MAX 18       /* a Content-Length that fits an int64_t */

/* is_tchar - whether c may be part of a method token (RFC 9110 5.6.2). */
static bool is_tchar(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
           (c >= 'A' && c <= 'Z') ||
           (c != '\0' && strchr("!#$%&'*+-.^_`|~", c));
}

/* starts_as_http - whether buf (n bytes) can be the start of a request:
 * a method token, then a space. An empty line first counts too: the
 * serving thread answers it. */
static bool starts_as_http(const char *buf, size_t n)
{
    size_t i = 0;

    if (buf[0] == '\r' || buf[0] == '\n') {
        return true;
    }
    while (i < n && is_tchar((unsigned char)buf[i])) {
        i++;
    }
    return i == n || (i > 0 && buf[i] == ' ');
}

/* head_length - the length of the head at the start of buf (n bytes),
 * through its blank line; 0 while it has not ended; TOO_LARGE when it
 * never can (a line longer, or more lines, than a head may have). */
static size_t head_length(const char *buf, size_t n)
{
    size_t line_start = 0;
    size_t lines = 0;

    for (size_t i = 0; i < n; i++) {
        if (buf[i] != '\n') {
            if (i - line_start >= HTTP_MAXLINE) {
                return TOO_LARGE;
            }
            continue;
        }
        if (i == line_start || (i == line_start + 1 && buf[i - 1] == '\r')) {
            return i + 1; /* an empty line: the end of the head */
        }
        if (++lines > HTTP_MAXHEADERS + 1) {
            return TOO_LARGE;
        }
        line_start = i + 1;
    }
    return 0;
}

/* length_value - the decimal number at p (before end), as far as
 * PEEK_BODY_MAX; 0 for more digits than a length can have (the thread
 * rejects it). */
static size_t length_value(const char *p, const char *end)
{
    uint64_t length = 0;
    int digits = 0;

    for (; p < end && *p >= '0' && *p <= '9'; p++) {
        if (++digits > LENGTH_DIGITS_MAX) {
            return 0;
        }
        length = length * 10 + (uint64_t)(*p - '0');
    }
    return length < PEEK_BODY_MAX ? (size_t)length : PEEK_BODY_MAX;
}

/* field_value - where the value of the first header named name (with its
 * colon, lower case) starts in the head (head bytes at buf), after its
 * blanks, or NULL when there is none. */
static const char *field_value(const char *buf, size_t head, const char *name)
{
    size_t len = strlen(name);
    const char *end = buf + head;
    const char *line = buf;

    while ((line = memchr(line, '\n', (size_t)(end - line))) != NULL) {
        line++;
        if ((size_t)(end - line) > len && strncasecmp(line, name, len) == 0) {
            line += len;
            while (line < end && (*line == ' ' || *line == '\t')) {
                line++;
            }
            return line;
        }
    }
    return NULL;
}

/* body_wanted - how many body bytes to wait for after the head (head
 * bytes at buf): its Content-Length, PEEK_BODY_MAX at most; 0 when it has
 * none, or when the client waits for "100 Continue" before it sends its
 * body (RFC 9110 section 10.1.1), which the serving thread answers. */
static size_t body_wanted(const char *buf, size_t head)
{
    const char *length = field_value(buf, head, "content-length:");
    const char *expect = field_value(buf, head, "expect:");

    if (length == NULL ||
        (expect != NULL && strncasecmp(expect, "100-continue", 12) == 0)) {
        return 0;
    }
    return length_value(length, buf + head);
}

enum peek peek_request(const char *buf, size_t n)
{
    size_t head;

    if (!starts_as_http(buf, n)) {
        return PEEK_NOT_HTTP;
    }
    head = head_length(buf, n);
    if (n >= PEEK_MAX || head == TOO_LARGE) {
        return PEEK_READY;
    }
    if (head == 0) {
        return PEEK_WAIT;
    }
    return n >= head + body_wanted(buf, head) ? PEEK_READY : PEEK_WAIT;
}
