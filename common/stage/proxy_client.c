/*
 * proxy_client.c - serve one client connection (given glue, stages 02-06).
 *
 * Reads the request head under a deadline, checks it with the student's
 * parser (http.c), decides what to do with it, and hands it to the
 * student's forwarding code (forward.c). Any failure ends with an error
 * page when the client can still be answered, and always with a close.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "deadline.h"
#include "forward.h"
#include "http.h"
#include "log.h"
#include "proxy.h"
#include "rio.h"
#include "sink.h"
#include "stage.h"
#include "tunnel.h"

#define LINGER_MS                                                        \
    1000                     /* how long to send an error page and drain \
                                the rejected request */
#define LINGER_BYTES 1048576 /* how much of it to drain at most */

/* The methods forwarded to origins. CONNECT opens a tunnel instead; TRACE
 * and OPTIONS would need Max-Forwards handling (RFC 9110 section 7.6.2). */
static const char *const forwarded_methods[] = {
    "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH",
};

/* status_for_read_error - what to answer when reading the head failed
 * (n == 0: end of file); -1 means the client is gone, answer nothing. */
static int status_for_read_error(ssize_t n, int too_long_status)
{
    if (n == 0) {
        return -1;
    }
    if (errno == EMSGSIZE) {
        return too_long_status;
    }
    if (errno == ETIMEDOUT) {
        return 408;
    }
    return -1;
}

/* is_blank - whether line is the empty line that ends a head. */
static bool is_blank(const char *line, ssize_t n)
{
    return (n == 2 && line[0] == '\r' && line[1] == '\n') ||
           (n == 1 && line[0] == '\n');
}

/* read_request - read the request line and the header lines into req.
 * Returns 0, the status to answer with, or -1 when the client is gone. */
static int read_request(struct rio *client, struct http_request *req)
{
    char line[HTTP_MAXLINE + 1];
    ssize_t n = rio_readline(client, line, sizeof(line));
    int rc;

    if (n <= 0) {
        return status_for_read_error(n, 414);
    }
    rc = http_parse_request_line(req, line, (size_t)n);
    while (rc == 0) {
        n = rio_readline(client, line, sizeof(line));
        if (n <= 0) {
            return status_for_read_error(n, 431);
        }
        if (is_blank(line, n)) {
            return 0;
        }
        rc = http_parse_header(req, line, (size_t)n);
    }
    return rc;
}

/* is_forwarded - whether requests with this method go to the origin. */
static bool is_forwarded(const char *method)
{
    size_t count = sizeof(forwarded_methods) / sizeof(forwarded_methods[0]);

    for (size_t i = 0; i < count; i++) {
        if (strcmp(method, forwarded_methods[i]) == 0) {
            return true;
        }
    }
    return false;
}

/* log_exchange - one line per forwarded request; note says how the
 * cache took part ("HIT", "MISS"), if it did. */
static void log_exchange(const char *peer, const struct http_request *req,
                         int rc, const struct forward_result *res,
                         const char *note)
{
    if (rc != 0) {
        return; /* the caller logs the error status it answers with */
    }
    log_info("%s \"%s %s\" %d %" PRIu64 " bytes%s%s%s", peer, req->method,
             req->target, res->status, res->bytes,
             res->complete ? "" : ", incomplete", note != NULL ? ", " : "",
             note != NULL ? note : "");
}

/* exchange - forward req, through the stage's cache if it has one. */
static int exchange(struct rio *client, const struct http_request *req,
                    const struct proxy_config *cfg, struct forward_result *res,
                    const char **note)
{
    struct sink sink = sink_to_rio(client);

    *note = NULL;
    if (stage.exchange != NULL) {
        return stage.exchange(client, req, cfg, res, note);
    }
    return forward_request(req, client, &sink, &cfg->forward, res);
}

/* host_lines - how many Host header lines req has. */
static size_t host_lines(const struct http_request *req)
{
    size_t count = 0;

    for (size_t i = 0; i < req->nheaders; i++) {
        if (strcasecmp(req->headers[i].name, "Host") == 0) {
            count++;
        }
    }
    return count;
}

/* serve_tunnel - serve a CONNECT request with the stage's tunnel, if it
 * has one yet (stage 04). Returns as serve_request does. */
static int serve_tunnel(struct rio *client, struct http_request *req,
                        const char *peer, const struct proxy_config *cfg)
{
    struct tunnel_result res;
    int64_t started = deadline_now();
    int rc;

    if (stage.tunnel == NULL) {
        return 501;
    }
    rc = stage.tunnel(client, req, &cfg->tunnel, &res);
    if (rc == 0) {
        log_info("%s \"CONNECT %s\" tunnel: %" PRIu64 " bytes up, %" PRIu64
                 " down, %" PRId64 " ms",
                 peer, req->target, res.up, res.down, deadline_now() - started);
    }
    return rc;
}

/* serve_request - act on a request whose head has been read.
 * Returns 0, the status to answer with, or -1 when the client is gone. */
static int serve_request(struct rio *client, struct http_request *req,
                         const char *peer, const struct proxy_config *cfg)
{
    struct forward_result res;
    const char *note;
    int rc;

    /* RFC 9112 section 3.2: more than one Host is a 400 for every method;
     * CONNECT never reaches http_parse_target, which checks the others. */
    if (strcmp(req->method, "CONNECT") == 0) {
        return host_lines(req) > 1 ? 400 : serve_tunnel(client, req, peer, cfg);
    }
    if (!is_forwarded(req->method)) {
        return 501;
    }
    rc = http_parse_target(req);
    if (rc != 0) {
        return rc;
    }
    rc = exchange(client, req, cfg, &res, &note);
    log_exchange(peer, req, rc, &res, note);
    return rc;
}

/* answer_error - send the error page for status, then drop what the
 * client still sends until it closes, within LINGER_MS: the rest of a
 * rejected request may still be on its way, and closing before it arrives
 * would reset the connection and destroy the page. The client's earlier
 * deadline (the one a 408 is about) no longer applies. */
static void answer_error(struct rio *client, int status, const char *peer)
{
    char scratch[RIO_BUFSIZE];
    size_t drained = 0;
    ssize_t n;

    log_info("%s: answered %d", peer, status);
    rio_set_idle_timeout(client, 0);
    rio_set_deadline(client, deadline_after(LINGER_MS));
    if (proxy_send_error(client, status) < 0) {
        return;
    }
    shutdown(client->fd, SHUT_WR);
    while (drained < LINGER_BYTES &&
           (n = rio_read(client, scratch, sizeof(scratch))) > 0) {
        drained += (size_t)n;
    }
}

void proxy_serve_client(int connfd, const char *peer,
                        const struct proxy_config *cfg)
{
    struct rio client;
    struct http_request req;
    int status;

    rio_init(&client, connfd);
    rio_set_cancel(&client, cfg->forward.cancel_fd);
    rio_set_deadline(&client, deadline_after(cfg->header_ms));
    http_request_init(&req);

    status = read_request(&client, &req);
    if (status == 0) {
        /* The head is in: from now on the client need only keep moving. */
        rio_set_deadline(&client, DEADLINE_NONE);
        rio_set_idle_timeout(&client, cfg->client_idle_ms);
        status = serve_request(&client, &req, peer, cfg);
    }
    if (status > 0) {
        answer_error(&client, status, peer);
    }
    proxy_close(connfd);
}
