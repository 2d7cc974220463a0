/*
 * forward.c - lab 02: send a request to its origin and relay the response.
 *
 * forward_request reads as the exchange does: connect to the origin, send
 * the rewritten request and its body, then read the response head, send
 * the client its rewritten version, and relay the body through the sink.
 * Bodies may hold any bytes and be of any size, so they are relayed in
 * counted chunks as they arrive, never as strings and never buffered
 * whole.
 *
 * One error convention, forward_request's own (forward.h), in every
 * function that can fail: 0 when it worked, -1 when the client is gone,
 * or the HTTP status to answer the client with (502, 504, ...). What a
 * function also produces (a socket, a length) comes out through a
 * pointer.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "deadline.h"
#include "forward.h"
#include "http.h"
#include "log.h"
#include "net.h"
#include "rio.h"
#include "sink.h"

/* connect_origin - open the connection to req's origin into *fd.
 * Returns 0, or the status to answer with: 502, or 504 when it timed out. */
static int connect_origin(const struct http_request *req,
                          const struct forward_config *cfg, int *fd)
{
    /* TODO(lab2.7): connect to req->host, req->port with net_connect,
     * giving up after cfg->connect_ms (see deadline_after), and store the
     * socket in *fd. Return 0; 502 when the name does not resolve or the
     * origin refuses, 504 when connecting timed out (errno ETIMEDOUT). */
    (void)req;
    (void)cfg;
    *fd = -1;
    log_error("TODO(lab2.7): connect_origin is not written yet");
    return 502;
}

/* send_request - send the rewritten head, then the body, to the origin.
 * Returns 0, -1 when the client failed, or an HTTP status for the client. */
static int send_request(const struct http_request *req, struct rio *client,
                        struct rio *origin, uint64_t body_length)
{
    /* TODO(lab2.8): format the head with http_format_request and send it
     * with rio_writen; then copy body_length bytes from client to origin
     * in chunks (rio_read, rio_writen). A failed write to the origin is a
     * 502; a client whose body ends early is gone (-1), and one that sends
     * it too slowly (the read fails with ETIMEDOUT) is answered 408. */
    (void)req;
    (void)client;
    (void)origin;
    (void)body_length;
    log_error("TODO(lab2.8): send_request is not written yet");
    return 502;
}

/* relay_response - relay the origin's response head and body.
 * Returns 0, -1 when the client failed, or a status if nothing was sent. */
static int relay_response(const struct http_request *req, struct rio *origin,
                          struct sink *sink, struct forward_result *res)
{
    /* TODO(lab2.9): read the head line by line (rio_readline), parsing
     * the status line and each header with http_parse_status_line and
     * http_parse_response_header; answer 502 (or 504 on ETIMEDOUT) if it
     * fails before the blank line. Then write the head that
     * http_format_response makes of it (received: time(NULL)) to the sink,
     * and relay the body as it arrives (rio_read, sink_write):
     * Content-Length bytes, nothing for HEAD, 204 and 304, otherwise until
     * the origin closes. Fill res: status, bytes written, complete. */
    (void)req;
    (void)origin;
    (void)sink;
    (void)res;
    log_error("TODO(lab2.9): relay_response is not written yet");
    return 502;
}

int forward_request(const struct http_request *req, struct rio *client,
                    struct sink *sink, const struct forward_config *cfg,
                    struct forward_result *res)
{
    struct rio origin;
    uint64_t body_length;
    int fd;
    int rc;

    *res = (struct forward_result){ 0 };
    rc = http_body_length(req, &body_length);
    if (rc != 0) {
        return rc;
    }
    rc = connect_origin(req, cfg, &fd);
    if (rc != 0) {
        return rc;
    }
    rio_init(&origin, fd);
    rio_set_idle_timeout(&origin, cfg->idle_ms);
    rio_set_cancel(&origin, cfg->cancel_fd);

    rc = send_request(req, client, &origin, body_length);
    if (rc == 0) {
        rc = relay_response(req, &origin, sink, res);
    }
    close(fd);
    return rc;
}
