/*
 * http.c - lab 02: parse an HTTP/1.x request head, rewrite it for the
 * origin server, and read the framing of the origin's response head.
 *
 * Every function is pure (see http.h): it reads the bytes it is given and
 * writes only the structs and buffers it is handed. A line may hold any
 * byte, NUL included, so the parsers count with n and never call strlen on
 * a line. The kit is strict: where RFC 9112 lets a recipient either repair
 * a message or reject it, these functions reject it (400 for a request,
 * 502 for a response). The functions appear in the order of http.h.
 */
#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "http.h"
#include "httpdate.h"
#include "log.h"

void http_request_init(struct http_request *req)
{
    memset(req, 0, sizeof(*req));
}

int http_parse_request_line(struct http_request *req, const char *line,
                            size_t n)
{
    /* TODO(lab2.1): check that line ends in LF (CRLF or bare LF), split
     * the rest at single SPs into a method token, a target with no control
     * bytes and an "HTTP/d.d" version, and copy them into req. Return 400,
     * 501, 414 or 505 as http.h says; count with n, never strlen. */
    (void)req;
    (void)line;
    (void)n;
    log_error("TODO(lab2.1): http_parse_request_line is not written yet");
    return 501;
}

int http_parse_header(struct http_request *req, const char *line, size_t n)
{
    /* TODO(lab2.2): reject obs-fold, a missing colon, a name that is not
     * a token, and control bytes other than HTAB in the value (400); trim
     * the value's SP and HTAB, copy name and value into req->text and add
     * them to req->headers (431 when either is full). */
    (void)req;
    (void)line;
    (void)n;
    log_error("TODO(lab2.2): http_parse_header is not written yet");
    return 501;
}

int http_parse_target(struct http_request *req)
{
    /* TODO(lab2.3): 508 when a Via header names HTTP_VIA (the request has
     * looped back). Take host and port from an "http://" target (ignoring
     * a valid Host: the target wins), or for a "/path" target from the one
     * Host header; lower-case the host, strip IPv6 brackets, default the
     * port to "80", point req->path into req->target; 400 for the rest. */
    (void)req;
    log_error("TODO(lab2.3): http_parse_target is not written yet");
    return 501;
}

const char *http_header_get(const struct http_request *req, const char *name)
{
    for (size_t i = 0; i < req->nheaders; i++) {
        if (strcasecmp(req->headers[i].name, name) == 0) {
            return req->headers[i].value;
        }
    }
    return NULL;
}

size_t http_header_remove(struct http_request *req, const char *name)
{
    size_t kept = 0;
    size_t removed;

    for (size_t i = 0; i < req->nheaders; i++) {
        if (strcasecmp(req->headers[i].name, name) != 0) {
            req->headers[kept++] = req->headers[i];
        }
    }
    removed = req->nheaders - kept;
    req->nheaders = kept;
    return removed;
}

bool http_is_hop_by_hop(const char *name)
{
    /* TODO(lab2.4): compare name, ignoring case, with the nine names
     * http.h lists. */
    (void)name;
    log_error("TODO(lab2.4): http_is_hop_by_hop is not written yet");
    return false;
}

bool http_is_connection_option(const struct http_request *req, const char *name)
{
    /* TODO(lab2.4): split each Connection header's value at commas,
     * trim SP and HTAB, and compare every option with name, ignoring case
     * (scan by hand or use strtok_r on a copy; never strtok). */
    (void)req;
    (void)name;
    log_error("TODO(lab2.4): http_is_connection_option is not written yet");
    return false;
}

int http_body_length(const struct http_request *req, uint64_t *length)
{
    /* TODO(lab2.5): Transfer-Encoding with Content-Length is 400, alone
     * 501; Content-Length named in Connection is 400; otherwise there may
     * be one Content-Length, digits only, at most 2^62: store it in
     * *length (0 when there is none). */
    (void)req;
    (void)length;
    log_error("TODO(lab2.5): http_body_length is not written yet");
    return 501;
}

ssize_t http_format_request(const struct http_request *req, char *buf,
                            size_t size)
{
    /* TODO(lab2.4): write the request line, Host, the forwarded headers,
     * Via and "Connection: close" into buf through one bounded append
     * helper (vsnprintf); when it does not fit, set errno to EMSGSIZE and
     * return -1. */
    (void)req;
    (void)buf;
    (void)size;
    log_error("TODO(lab2.4): http_format_request is not written yet");
    errno = ENOSYS;
    return -1;
}

int http_parse_status_line(struct http_response *resp, const char *line,
                           size_t n)
{
    /* TODO(lab2.6): reset resp (status 0, content_length -1, not
     * chunked, no headers), then accept only "HTTP/1.0 " or "HTTP/1.1 ",
     * three digits from 100 to 599, then SP or the end of the line; else
     * 502. Keep the minor version and the reason phrase (in resp->text). */
    (void)resp;
    (void)line;
    (void)n;
    log_error("TODO(lab2.6): http_parse_status_line is not written yet");
    return 501;
}

int http_parse_response_header(struct http_response *resp, const char *line,
                               size_t n)
{
    /* TODO(lab2.6): a malformed header line, or one too many, is 502;
     * store it in resp->headers as http_parse_header does; note
     * Content-Length (digits only; repeats must agree; not with chunked)
     * and whether the last Transfer-Encoding coding is chunked. */
    (void)resp;
    (void)line;
    (void)n;
    log_error("TODO(lab2.6): http_parse_response_header is not written yet");
    return 501;
}

ssize_t http_format_response(const struct http_response *resp, time_t received,
                             char *buf, size_t size)
{
    /* TODO(lab2.6): write "HTTP/1.1 NNN reason", the headers but the
     * hop-by-hop ones (Transfer-Encoding stays) and those the response's
     * Connection names, "Date: " and received (httpdate_format) if resp
     * has no Date, "Via: 1.x proxylab" with the origin's version and
     * "Connection: close", each line ending in CRLF, then the blank line;
     * if it does not fit in size bytes, set errno to EMSGSIZE and return
     * -1. */
    (void)resp;
    (void)received;
    (void)buf;
    (void)size;
    log_error("TODO(lab2.6): http_format_response is not written yet");
    errno = ENOSYS;
    return -1;
}
