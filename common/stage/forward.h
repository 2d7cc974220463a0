/*
 * forward.h - send a request to its origin and relay the response: the
 * contract of labs/02-forward/forward.c.
 *
 * The glue has read and parsed the request head (see http.h) and decided
 * it is to be forwarded. forward_request connects to the origin, sends the
 * rewritten request and any body, and relays the response through a sink
 * while noting its status, size and whether it arrived whole.
 *
 * Interface:
 *   struct forward_config, struct forward_result
 *   forward_request
 *
 * Thread-safe: all state lives in the arguments.
 */
#ifndef FORWARD_H
#define FORWARD_H

#include <stdbool.h>
#include <stdint.h>

#include "http.h"
#include "rio.h"
#include "sink.h"

#define FORWARD_BUFSIZE 65536 /* bytes relayed per read */

struct forward_config {
    int connect_ms; /* give up connecting to the origin after this */
    int idle_ms;    /* give up when the origin is silent this long */
    int cancel_fd;  /* readable: abandon the exchange (stop_abort_fd) */
};

struct forward_result {
    int status;     /* the origin's status code; 0 if none arrived */
    uint64_t bytes; /* bytes written to the sink: head and body */
    bool complete;  /* the response ended as its framing says */
};

/*
 * forward_request - forward req to its origin and relay the response.
 *
 * client is the client's connection, positioned just after the request's
 * header block: the request body (http_body_length bytes) is read from it.
 * The origin's response (status line, headers and body) goes to sink byte
 * for byte, whatever its size or framing, as it arrives.
 *
 * Returns 0 once a response has been relayed, even in part (then see
 * res->complete). Returns an HTTP status when nothing was written to the
 * sink, so the caller can still answer the client: 502 when the origin
 * cannot be resolved or reached, or closes or answers with something that
 * is not HTTP before its status line; 504 when it stays silent past
 * cfg->idle_ms; 400 or 501 for a body http_body_length rejects.
 * Returns -1 when the client itself failed (it went away, or its body did
 * not arrive): there is no one left to answer.
 */
int forward_request(const struct http_request *req, struct rio *client,
                    struct sink *sink, const struct forward_config *cfg,
                    struct forward_result *res)
    __attribute__((warn_unused_result));

#endif /* FORWARD_H */
