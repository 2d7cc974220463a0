/*
 * upstream.h - a request sent on a connection to its origin that may then
 * carry the next one: the contract of labs/07-persist/upstream.c.
 *
 * Until now the proxy spoke HTTP/1.0 to origins with "Connection: close"
 * (forward.c): the origin closed after its answer, and the close was the
 * end of a body without length. Here the proxy speaks HTTP/1.1, and the
 * connection outlives the answer (RFC 9112 section 9.3) if both sides
 * know exactly where the answer ended. The given glue takes a connection
 * from the pool (pool.h) or opens one, sends the request with
 * upstream_exchange, and gives the connection back when the exchange says
 * it may carry another request:
 *
 *   the request                  the connection
 *   idempotent, no body          an idle one from the pool if there is
 *                                one (upstream_may_reuse), else a new one
 *   anything else                a new one: it cannot be sent twice
 *
 *   the answer                               the connection afterwards
 *   ended exactly (no body, Content-Length   back to the pool
 *     counted, chunked to its last CRLF),
 *     HTTP/1.1 and no "close"
 *   ended with the close, said "close",      closed
 *     HTTP/1.0, broke its framing, or more
 *     bytes came than it holds
 *
 * A connection taken from the pool may have been closed by the origin an
 * instant before the request went out: the origin then closes or resets
 * it without a byte of answer (end->silent). Such a request, idempotent
 * and without body, is sent once more on a new connection (RFC 9112
 * section 9.3.1); anything else never goes on a reused connection, so
 * nothing is ever sent twice that could do harm twice.
 *
 * HTTP/1.1 also lets a client send a body whose length it does not know
 * yet, in chunks (RFC 9112 section 7.1): until now a 501, it is relayed
 * here as it came, read strictly with chunked_decode, and nothing past its
 * end is taken from the client, where the next request starts.
 *
 * Interface:
 *   struct upstream_end
 *   upstream_body_length, upstream_format_request, upstream_may_reuse,
 *   upstream_exchange
 *
 * Thread-safe: all state lives in the arguments.
 */
#ifndef UPSTREAM_H
#define UPSTREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "forward.h"
#include "http.h"
#include "rio.h"
#include "sink.h"

/* What one exchange left of the connection. */
struct upstream_end {
    bool reusable; /* the answer ended exactly and the origin keeps the
                      connection: it may carry the next request */
    bool silent;   /* the origin closed or reset the connection before the
                      first byte of an answer (nothing went to the sink) */
};

/*
 * upstream_body_length - how req's body comes, as http_body_length says
 * (and returns), but for a chunked one: an HTTP/1.1 request whose one
 * Transfer-Encoding field says "chunked" (in any case) and that has no
 * Content-Length has a chunked body (*chunked true, *length 0, returns 0).
 * Any other transfer coding stays a 501 (RFC 9112 section 6.1); a
 * Transfer-Encoding from an HTTP/1.0 client, whose framing then cannot be
 * trusted (same section), or in a second field, or named by Connection, is
 * a 400.
 */
int upstream_body_length(const struct http_request *req, uint64_t *length,
                         bool *chunked) __attribute__((warn_unused_result));

/*
 * upstream_format_request - write the request the origin receives into
 * buf: what http_format_request writes, but "HTTP/1.1" in the request
 * line, without the "Connection: close" line, so that the origin keeps the
 * connection, and with "Transfer-Encoding: chunked" last when the body is
 * chunked (upstream_body_length; http_format_request drops the client's,
 * a field of its connection). Returns as http_format_request does.
 */
ssize_t upstream_format_request(const struct http_request *req, char *buf,
                                size_t size)
    __attribute__((warn_unused_result));

/*
 * upstream_may_reuse - whether req may go on an idle connection from the
 * pool: it can be sent again, as it is, should that connection turn out
 * closed. So its method is idempotent (RFC 9110 section 9.2.2: GET, HEAD,
 * PUT, DELETE, OPTIONS, TRACE; the same request twice has the effect of
 * one) and it has no body (upstream_body_length says 0 bytes, not
 * chunked, without error): a body read from the client once cannot be
 * sent again.
 */
bool upstream_may_reuse(const struct http_request *req);

/*
 * upstream_exchange - send req on origin, a connection to its origin (new
 * or reused), and relay the answer to sink. As forward_request does (see
 * forward.h for the sink, the result and the statuses), but in HTTP/1.1:
 *   - the head is upstream_format_request's, then the body from client:
 *     upstream_body_length's bytes, or a chunked body as it came, through
 *     chunked_decode, read a line or a run of data at a time so that no
 *     byte past its end is taken from client (a body that breaks the
 *     coding, or has a line longer than CHUNKED_MAXLINE: 400);
 *   - interim answers (status 100 to 199, but 101) before the final one
 *     are read and dropped (the glue has answered "100 Continue"
 *     already); more than 8 of them is a 502, not an answer;
 *   - the final answer's head goes to sink as http_format_response writes
 *     it, then its body as the origin framed it (persist_body_of, for any
 *     HTTP/1.1 client): nothing, Content-Length bytes, chunked bytes as
 *     they came up to the end of the trailers (chunked_decode finds it;
 *     a body that breaks the coding is cut there), or until the close;
 *     nothing past the end of the body is read from origin on purpose.
 * Sets *end: reusable when the answer ended exactly (res->complete, and
 * not by the close), the origin spoke HTTP/1.1 without the "close"
 * connection option, and no byte came past the end of the body; silent
 * when origin ended (a close or a reset, on sending or reading) before a
 * byte of any answer, 502 returned.
 * Returns 0 once an answer has been relayed, even in part; 502 or 504 when
 * nothing went to sink; 400, 408, 431 or 501 as forward_request does (and
 * upstream_body_length); -1 when the client failed.
 */
int upstream_exchange(const struct http_request *req, struct rio *client,
                      struct rio *origin, struct sink *sink,
                      struct forward_result *res, struct upstream_end *end)
    __attribute__((warn_unused_result));

#endif /* UPSTREAM_H */
