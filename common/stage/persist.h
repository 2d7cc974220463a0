/*
 * persist.h - keeping a client's connection open from one request to the
 * next: the contract of labs/07-persist/persist.c.
 *
 * Until stage 06 every answer ends with "Connection: close" and a close:
 * the end of the connection is the end of the response, whatever its
 * framing. To carry a second request, a connection needs responses whose
 * end the client can find without a close (RFC 9112 section 6.3): no body
 * at all, a Content-Length, or the chunked coding (chunked.h). So the
 * proxy now owns two lines of every response head it sends, Connection
 * and Transfer-Encoding, and the framing of the body behind them.
 *
 * The answer to a request reaches the client through a framer: a sink
 * (sink.h) in front of the client's connection. Whatever writes the
 * answer (stage 02's forward_request, stage 05's cache) writes what it
 * always wrote, a head as http_format_response makes it and the body as
 * the origin framed it; the framer reads that head, decides how the body
 * goes on to this client and whether the connection persists, sends its
 * own version of the head, and relays the body in the framing decided:
 *
 *   origin's body      HTTP/1.1 client (keeps)      HTTP/1.0 client (closes)
 *   none (HEAD, 1xx,   none                         none
 *     204, 304)
 *   Content-Length     as it came                   as it came
 *   chunked            as it came, to its end       decoded: data only
 *   until close        re-framed in chunks          as it came
 *
 * The glue makes a framer for each request, sends the answer through it,
 * and asks persist_framer_end whether the connection may carry the next
 * request. A connection closes after a request from an HTTP/1.0 client,
 * one that said "Connection: close", an answer the proxy wrote itself (an
 * error page), and any answer that did not end exactly as its framing
 * says.
 *
 * Interface:
 *   enum persist_body, struct persist_framer, PERSIST_HEAD_MAX
 *   persist_client_wants, persist_body_of, persist_format_head
 *   persist_framer_init, persist_framer_write, persist_framer_end
 *
 * Thread-safe: all state lives in the arguments; one framer per request.
 */
#ifndef PERSIST_H
#define PERSIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "chunked.h"
#include "http.h"
#include "sink.h"

/* The longest response head a framer takes: what http_format_response
 * may write, and the lines a cache hit adds (Age, X-Cache). */
#define PERSIST_HEAD_MAX \
    (HTTP_MAXLINE + HTTP_MAXHEADTEXT + 4 * HTTP_MAXHEADERS + 1024)

/* How a response's body goes on to the client. */
enum persist_body {
    PERSIST_NONE,    /* no body: HEAD, 1xx, 204, 304 */
    PERSIST_LENGTH,  /* Content-Length bytes, as they came */
    PERSIST_CHUNKED, /* chunked as it came, up to the end of its trailers */
    PERSIST_DECHUNK, /* chunked from the origin, sent decoded: the data */
    PERSIST_RECHUNK, /* until the origin closed; sent in chunks */
    PERSIST_CLOSE    /* until the origin closed, and then the client */
};

/* One request's answer on its way to the client. The fields are the
 * framer's own: the glue only passes a framer to the functions below. */
struct persist_framer {
    struct sink *client;            /* the client's connection */
    const struct http_request *req; /* what the answer answers */
    size_t head_len;                /* bytes of head gathered */
    bool head_sent;                 /* the framer's head went out */
    bool keep;                      /* decided with the head */
    bool broken;                    /* the body broke its framing */
    enum persist_body body;         /* decided with the head */
    uint64_t left;                  /* PERSIST_LENGTH: bytes still due */
    struct chunked dec;             /* PERSIST_CHUNKED, PERSIST_DECHUNK */
    char head[PERSIST_HEAD_MAX];    /* the head as it was written */
    char out[PERSIST_HEAD_MAX];     /* what goes to the client next: the
                                       head and the body of one write go
                                       out in one send where they fit */
    size_t out_len;                 /* bytes in out */
};

/*
 * persist_client_wants - whether req's client may send another request on
 * its connection after this one (RFC 9112 section 9.3): only an HTTP/1.1
 * request without the "close" connection option (in any case, in any
 * Connection field). An HTTP/1.0 client is never kept, even if it asks
 * with "Connection: keep-alive": the kit does not speak HTTP/1.0's
 * keep-alive.
 */
bool persist_client_wants(const struct http_request *req);

/*
 * persist_body_of - how the body of resp, the answer to req, goes on
 * (RFC 9112 section 6.3, in its order, and the table at the top):
 *   - no body for a HEAD request, or a status 1xx, 204 or 304;
 *   - a chunked body (resp->chunked: the last transfer coding is chunked)
 *     goes on as it came to an HTTP/1.1 client; to an HTTP/1.0 one, which
 *     cannot read a transfer coding (section 6.1), decoded when chunked
 *     is its only coding (one Transfer-Encoding field, "chunked" in any
 *     case), else as it came, ending with the close;
 *   - any other Transfer-Encoding means the body ends with the close,
 *     whatever Content-Length says: PERSIST_CLOSE;
 *   - else Content-Length when resp has one;
 *   - else until the origin closes: re-framed in chunks (PERSIST_RECHUNK)
 *     when persist_client_wants(req), else as it came (PERSIST_CLOSE).
 * resp needs its status and its framing fields (Content-Length,
 * Transfer-Encoding) only.
 */
enum persist_body persist_body_of(const struct http_request *req,
                                  const struct http_response *resp);

/*
 * persist_format_head - write the head the client receives into buf, of
 * size bytes, from head (len bytes, through its blank line, as
 * http_format_response wrote it, maybe with lines a cache added): its
 * status line and every field in order but Connection, Keep-Alive and
 * Proxy-Connection (the fields of this connection, which the proxy now
 * owns) and, when body is PERSIST_DECHUNK (the coding is taken off),
 * Transfer-Encoding; then "Transfer-Encoding: chunked" when body is
 * PERSIST_RECHUNK, then "Connection: close" unless keep, then the blank
 * line. Every line ends in CRLF.
 * Returns the length written (NUL-terminated, at most size - 1 bytes), or
 * -1 with errno EMSGSIZE when it does not fit, or EINVAL when head holds
 * no blank line.
 */
ssize_t persist_format_head(const char *head, size_t len,
                            enum persist_body body, bool keep, char *buf,
                            size_t size) __attribute__((warn_unused_result));

/*
 * persist_framer_init - make f ready for the answer to req, which goes to
 * client. Both must outlive f.
 */
void persist_framer_init(struct persist_framer *f,
                         const struct http_request *req, struct sink *client);

/*
 * persist_framer_write - take the next n bytes of the answer, as they come
 * (the head in one write or several, maybe followed by body bytes in the
 * same write). Once the head is whole, it parses its status line and its
 * framing fields (Content-Length, Transfer-Encoding: the others need not
 * fit a struct http_response, which the proxy's own lines could overfill)
 * with lab 2's parsers, decides the body's framing (persist_body_of) and
 * whether the connection may persist (persist_client_wants, unless the
 * body ends with a close or is decoded), sends the
 * client persist_format_head's head, and from then on relays the body in
 * that framing: a PERSIST_LENGTH body up to its length, a chunked one up
 * to its end as chunked_decode finds it (bytes past either are dropped), a
 * PERSIST_RECHUNK body with each write sent as one chunk.
 * Returns n, or -1 with errno set: EPIPE and the like when the client is
 * gone, EPROTO when the head cannot be parsed (http_parse_status_line,
 * http_parse_response_header) or the chunked body breaks its coding (the
 * answer is then cut short, and the connection closes), EMSGSIZE when the
 * head is longer than PERSIST_HEAD_MAX.
 */
ssize_t persist_framer_write(struct persist_framer *f, const void *buf,
                             size_t n) __attribute__((warn_unused_result));

/*
 * persist_framer_end - the answer is over. complete is the writer's word
 * (struct forward_result) on whether it ended as its framing says: the
 * framer counts a length and finds a chunked body's end itself, but a
 * body that ends with a close ends well or badly out of its sight. Ends a
 * re-framed body with its last chunk when it is complete. Returns whether
 * the client's connection may carry another request: the framer decided
 * to keep it, the whole head went out, and the body ended exactly (its
 * length, the end of its chunks, or its last chunk sent).
 */
bool persist_framer_end(struct persist_framer *f, bool complete);

#endif /* PERSIST_H */
