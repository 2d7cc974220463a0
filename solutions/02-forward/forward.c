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

/* Room for the rewritten request head: the request line, every header
 * with its ": " and CRLF, and the lines the proxy adds. */
#define REQUEST_HEAD_MAX \
    (HTTP_MAXLINE + HTTP_MAXHEADTEXT + 4 * HTTP_MAXHEADERS + 512)
/* Room for the rewritten response head: the status line, every header
 * with its ": " and CRLF, and the lines the proxy adds. */
#define RESPONSE_HEAD_MAX \
    (HTTP_MAXLINE + HTTP_MAXHEADTEXT + 4 * HTTP_MAXHEADERS + 512)
/* How a chunked body without trailers ends. */
#define CHUNKED_END "0\r\n\r\n"

/* What the response head says about the body that follows. */
struct body_framing {
    int64_t length; /* bytes to relay; -1: until the origin closes */
    bool chunked;   /* check the end of the body for the last chunk */
};

/* connect_origin - open the connection to req's origin into *fd.
 * Returns 0, or the status to answer with: 502, or 504 when it timed out. */
static int connect_origin(const struct http_request *req,
                          const struct forward_config *cfg, int *fd)
{
    *fd = net_connect(req->host, req->port, deadline_after(cfg->connect_ms));
    if (*fd == NET_ERR_DNS) {
        log_info("origin %s does not resolve", req->host);
        return 502;
    }
    if (*fd < 0) {
        log_info("cannot connect to %s port %s:", req->host, req->port);
        return errno == ETIMEDOUT ? 504 : 502;
    }
    return 0;
}

/* copy_body - copy length body bytes from the client to the origin.
 * Returns 0; -1 when the client left; 408 when it sent too slowly (the
 * glue's minimum rate or idle timeout); 502 when the origin failed. */
static int copy_body(struct rio *client, struct rio *origin, uint64_t length)
{
    char buf[FORWARD_BUFSIZE];

    while (length > 0) {
        size_t want = length < sizeof(buf) ? (size_t)length : sizeof(buf);
        ssize_t n = rio_read(client, buf, want);

        if (n == 0) {
            log_info("the client closed before the end of its body");
            return -1;
        }
        if (n < 0) {
            log_info("the client's body stopped:");
            return errno == ETIMEDOUT ? 408 : -1;
        }
        if (rio_writen(origin, buf, (size_t)n) < 0) {
            log_info("origin stopped reading the body:");
            return 502;
        }
        length -= (uint64_t)n;
    }
    return 0;
}

/* send_request - send the rewritten head, then the body, to the origin.
 * Returns 0, -1 when the client failed, or an HTTP status for the client. */
static int send_request(const struct http_request *req, struct rio *client,
                        struct rio *origin, uint64_t body_length)
{
    char head[REQUEST_HEAD_MAX];
    ssize_t n = http_format_request(req, head, sizeof(head));

    if (n < 0) {
        return 431;
    }
    if (rio_writen(origin, head, (size_t)n) < 0) {
        log_info("cannot send the request to %s:", req->host);
        return 502;
    }
    return copy_body(client, origin, body_length);
}

/* status_for_origin_error - the status for an origin that failed before
 * its response head was complete (errno says how). */
static int status_for_origin_error(ssize_t n)
{
    if (n == 0) {
        log_info("origin closed before its response head ended");
        return 502;
    }
    log_info("origin failed before its response head ended:");
    return errno == ETIMEDOUT ? 504 : 502;
}

/* is_blank - whether line is the empty line that ends a head. */
static bool is_blank(const char *line, ssize_t n)
{
    return (n == 2 && line[0] == '\r' && line[1] == '\n') ||
           (n == 1 && line[0] == '\n');
}

/* read_response_head - read the status line and headers, parsing each
 * into resp, through the blank line. Returns 0, or the status to answer
 * with. */
static int read_response_head(struct rio *origin, struct http_response *resp)
{
    char line[HTTP_MAXLINE + 1];
    bool first = true;
    ssize_t n;
    int rc;

    while ((n = rio_readline(origin, line, sizeof(line))) > 0) {
        if (!first && is_blank(line, n)) {
            return 0;
        }
        rc = first ? http_parse_status_line(resp, line, (size_t)n)
                   : http_parse_response_header(resp, line, (size_t)n);
        if (rc != 0) {
            return rc;
        }
        first = false;
    }
    return status_for_origin_error(n);
}

/* framing_of - how much body follows this head (RFC 9112 section 6.3). */
static struct body_framing framing_of(const struct http_request *req,
                                      const struct http_response *resp)
{
    struct body_framing framing = { .length = -1, .chunked = false };

    if (strcmp(req->method, "HEAD") == 0 || resp->status == 204 ||
        resp->status == 304 || resp->status < 200) {
        framing.length = 0;
    } else if (resp->chunked) {
        framing.chunked = true;
    } else {
        framing.length = resp->content_length;
    }
    return framing;
}

/* remember_tail - keep the last bytes relayed, to see how a body ended. */
static void remember_tail(char *tail, const char *buf, size_t n)
{
    size_t keep = sizeof(CHUNKED_END) - 1;

    if (n >= keep) {
        memcpy(tail, buf + n - keep, keep);
    } else {
        memmove(tail, tail + n, keep - n);
        memcpy(tail + keep - n, buf, n);
    }
}

/* relay_body - relay the body to the sink as framing says, noting in res
 * whether it ended properly. Returns 0, or -1 when the client failed. */
static int relay_body(struct rio *origin, struct sink *sink,
                      struct body_framing framing, struct forward_result *res)
{
    char buf[FORWARD_BUFSIZE];
    char tail[sizeof(CHUNKED_END)] = "";
    int64_t left = framing.length; /* -1: until the origin closes */
    ssize_t n = 0;

    while (left != 0) {
        size_t want = left < 0 || left > (int64_t)sizeof(buf) ? sizeof(buf)
                                                              : (size_t)left;
        n = rio_read(origin, buf, want);
        if (n <= 0) {
            break;
        }
        if (sink_write(sink, buf, (size_t)n) < 0) {
            return -1;
        }
        res->bytes += (uint64_t)n;
        left -= left > 0 ? n : 0;
        remember_tail(tail, buf, (size_t)n);
    }
    if (n < 0) {
        log_info("origin failed mid-body:");
    }
    if (framing.length >= 0) {
        res->complete = left == 0;
    } else {
        res->complete =
            n == 0 && (!framing.chunked || strcmp(tail, CHUNKED_END) == 0);
    }
    return 0;
}

/* relay_response - send the client the origin's response head, rewritten
 * (http_format_response), and relay its body. Returns 0, -1 when the
 * client failed, or a status if nothing was sent. */
static int relay_response(const struct http_request *req, struct rio *origin,
                          struct sink *sink, struct forward_result *res)
{
    char head[RESPONSE_HEAD_MAX];
    struct http_response resp;
    ssize_t len;
    int rc = read_response_head(origin, &resp);

    if (rc != 0) {
        return rc;
    }
    len = http_format_response(&resp, time(NULL), head, sizeof(head));
    if (len < 0) {
        return 502;
    }
    res->status = resp.status;
    if (sink_write(sink, head, (size_t)len) < 0) {
        return -1;
    }
    res->bytes = (uint64_t)len;
    return relay_body(origin, sink, framing_of(req, &resp), res);
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
