/*
 * upstream.c - lab 07: a request sent in HTTP/1.1 on a connection to its
 * origin that may then carry the next one.
 *
 * Write it in the order the glue uses it: how the request's body comes
 * (upstream_body_length), the request head (upstream_format_request),
 * which requests may go on a reused connection (upstream_may_reuse), then
 * the exchange: send the request and its body, read the final answer's
 * head past any interim ones, relay the body to its exact end, and say
 * what is left of the connection (upstream_exchange).
 * upstream.h says what each must do.
 *
 * One error convention, forward_request's (forward.h), in every function
 * that can fail: 0 when it worked, -1 when the client is gone, or the HTTP
 * status to answer the client with.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "chunked.h"
#include "forward.h"
#include "http.h"
#include "log.h"
#include "persist.h"
#include "rio.h"
#include "sink.h"
#include "upstream.h"

int upstream_body_length(const struct http_request *req, uint64_t *length,
                         bool *chunked)
{
    /* TODO(lab7.6): as http_body_length, but an HTTP/1.1 request whose one
     * Transfer-Encoding field is "chunked" (and no Content-Length) has a
     * chunked body; Transfer-Encoding from HTTP/1.0, in a second field or
     * named by Connection is 400; any other coding 501. */
    *chunked = false;
    log_error("TODO(lab7.6): upstream_body_length is not written yet");
    return http_body_length(req, length);
}

ssize_t upstream_format_request(const struct http_request *req, char *buf,
                                size_t size)
{
    /* TODO(lab7.6): write http_format_request's head into buf, then make
     * its request line say HTTP/1.1, take out its "Connection: close" line
     * (the last before the blank line), and end it with
     * "Transfer-Encoding: chunked" for a chunked body. */
    (void)req;
    (void)buf;
    (void)size;
    log_error("TODO(lab7.6): upstream_format_request is not written yet");
    errno = ENOSYS;
    return -1;
}

bool upstream_may_reuse(const struct http_request *req)
{
    /* TODO(lab7.6): an idempotent method (RFC 9110 section 9.2.2) and no
     * body (upstream_body_length: 0 bytes, not chunked). */
    (void)req;
    log_error("TODO(lab7.6): upstream_may_reuse is not written yet");
    return false;
}

int upstream_exchange(const struct http_request *req, struct rio *client,
                      struct rio *origin, struct sink *sink,
                      struct forward_result *res, struct upstream_end *end)
{
    /* TODO(lab7.6): send upstream_format_request's head and the body (a
     * chunked one a line or a run of data at a time, through
     * chunked_decode);
     * read heads until one is final (drop 100-199 but 101, at most 8);
     * send http_format_response's head to sink, then the body as the
     * origin framed it, to its exact end (chunked_decode for a chunked
     * one); then say in *end whether the connection may carry another
     * request, or was found closed before any answer. */
    (void)req;
    (void)client;
    (void)origin;
    (void)sink;
    *res = (struct forward_result){ 0 };
    *end = (struct upstream_end){ false, false };
    log_error("TODO(lab7.6): upstream_exchange is not written yet");
    return 502;
}
