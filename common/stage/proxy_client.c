/*
 * proxy_client.c - serve one client connection (the given core).
 *
 * Reads the request head under a deadline, checks it with the student's
 * parser (http.c), decides what to do with it, and hands it to the
 * student's forwarding code (forward.c), or to the stage's part that
 * takes over the step (stage.h): admit, tunnel, exchange, respond,
 * account. Any failure ends with an error page when the client can still
 * be answered, and a close. What became of each request is kept in a
 * struct outcome, for the log line and the parts.
 *
 * Until stage 07 a connection carries one request. From then on, the part
 * that frames answers may keep it: the next request is served at once if
 * its first bytes have been read already (pipelined), and otherwise the
 * connection waits for it in the waiting room, not on this thread.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "deadline.h"
#include "forward.h"
#include "http.h"
#include "log.h"
#include "net.h"
#include "peek.h"
#include "proxy.h"
#include "rio.h"
#include "sink.h"
#include "stage.h"

/* A request body, once its head and first bytes are in (peek.h), must
 * come at this rate on average, after a grace of the head's deadline (-t):
 * a client that trickles its body is cut off (408), not left to hold a
 * thread for as long as it likes. */
#define BODY_MIN_RATE 1024 /* bytes per second */
#define CONTINUE      "HTTP/1.1 100 Continue\r\n\r\n"

/* How long to send an error page and drain the rejected request, and how
 * much of it to drain at most. */
#define LINGER_MS    1000
#define LINGER_BYTES 1048576

/* How long a kept connection stays on its thread for its next request
 * before it goes back to the waiting room: a client that sends request
 * after request does so within a round trip, and waiting that long here
 * spares each request the trip through the room (an eventfd, two epoll
 * changes, the queue, and a thread switch at every step). */
#define NEXT_WAIT_MS 2

/* How long a kept client may have requests served on one thread that
 * way, in a row; then its next one waits for its turn in the room like
 * any other client's. Without a bound, as many busy clients as there are
 * threads would hold them all, and every other client would wait for as
 * long as those keep sending (seconds, measured with 128 clients). A
 * bound in time, not in requests, keeps a turn as short for 1 MiB
 * answers as for 1 KiB ones, and small answers seldom make the trip
 * through the room. */
#define TURN_MS 5

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

/* read_request - read the request line and the header lines into req,
 * and point out->req to it once the request line is read.
 * Returns 0, the status to answer with, or -1 when the client is gone. */
static int read_request(struct rio *client, struct http_request *req,
                        struct outcome *out)
{
    char line[HTTP_MAXLINE + 1];
    ssize_t n = rio_readline(client, line, sizeof(line));
    int rc;

    if (n <= 0) {
        return status_for_read_error(n, 414);
    }
    rc = http_parse_request_line(req, line, (size_t)n);
    if (rc == 0) {
        out->req = req;
    }
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

/* log_exchange - one line per forwarded request; note says how a part
 * answered it ("HIT", "MISS"), if one did. */
static void log_exchange(const struct http_request *req, int rc,
                         const struct forward_result *res,
                         const struct outcome *out)
{
    if (rc != 0) {
        return; /* the caller logs the error status it answers with */
    }
    log_info("%s \"%s %s\" %d %" PRIu64 " bytes%s%s%s", out->peer, req->method,
             req->target, res->status, res->bytes,
             res->complete ? "" : ", incomplete", out->note != NULL ? ", " : "",
             out->note != NULL ? out->note : "");
}

int proxy_forward(const struct proxy *proxy, const struct http_request *req,
                  struct rio *client, struct sink *sink,
                  struct forward_result *res)
{
    int part = stage_part_for(STEP_FORWARD);

    if (part < 0) {
        return forward_request(req, client, sink, &proxy->cfg.forward, res);
    }
    return stage.parts[part]->forward(proxy->part_state[part], req, client,
                                      sink, res);
}

/* forward - forward req, or let the part that takes over exchanges
 * (stage 05's cache) do it, the answer going to to_client. */
static int forward(struct rio *client, struct sink *to_client,
                   const struct http_request *req, const struct proxy *proxy,
                   struct forward_result *res, struct outcome *out)
{
    int part = stage_part_for(STEP_EXCHANGE);

    if (part < 0) {
        return proxy_forward(proxy, req, client, to_client, res);
    }
    return stage.parts[part]->exchange(proxy->part_state[part], client,
                                       to_client, req, res, out);
}

/* exchange - forward req, its answer going to the client through the
 * part that frames answers (stage 07), if there is one, which then says
 * whether the connection is kept (out->keep_ms). */
static int exchange(struct rio *client, const struct http_request *req,
                    const struct proxy *proxy, struct forward_result *res,
                    struct outcome *out)
{
    int part = stage_part_for(STEP_RESPOND);
    struct sink direct = sink_to_rio(client);
    struct sink *to_client;
    int rc;

    if (part < 0) {
        return forward(client, &direct, req, proxy, res, out);
    }
    to_client =
        stage.parts[part]->respond(proxy->part_state[part], client, req);
    if (to_client == NULL) {
        log_warn("%s: cannot frame an answer:", out->peer);
        return 503;
    }
    rc = forward(client, to_client, req, proxy, res, out);
    out->keep_ms = stage.parts[part]->answered(
        proxy->part_state[part], to_client, rc == 0 && res->complete);
    return rc;
}

/* admit - ask the part that admits requests (stage 06's policy), if there
 * is one, whether req may go on. Returns 0, or the status to answer with. */
static int admit(struct http_request *req, const struct proxy *proxy,
                 struct outcome *out)
{
    int part = stage_part_for(STEP_ADMIT);

    if (part < 0) {
        return 0;
    }
    return stage.parts[part]->admit(proxy->part_state[part], req, out);
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

/* serve_tunnel - serve a CONNECT request with the part that tunnels
 * (stage 04), if there is one yet. Returns as serve_request does. */
static int serve_tunnel(struct rio *client, struct http_request *req,
                        const struct proxy *proxy, struct outcome *out)
{
    int part = stage_part_for(STEP_TUNNEL);
    int rc;

    if (part < 0) {
        return 501;
    }
    rc = admit(req, proxy, out);
    if (rc != 0) {
        return rc;
    }
    return stage.parts[part]->tunnel(proxy->part_state[part], client, req, out);
}

/* start_body - before req's body is read, if it has one: answer "100
 * Continue" to a client that waits for it (RFC 9110 section 10.1.1: the
 * origin, spoken to in HTTP/1.0, never sends it), and put the minimum
 * rate on the body. Returns 0, or -1 when the client is gone. */
static int start_body(struct rio *client, const struct http_request *req,
                      const struct proxy *proxy)
{
    const char *expect = http_header_get(req, "Expect");
    uint64_t length;

    if (http_body_length(req, &length) != 0 || length == 0) {
        return 0;
    }
    if (req->minor_version >= 1 && expect != NULL &&
        strcasecmp(expect, "100-continue") == 0 &&
        rio_writen(client, CONTINUE, strlen(CONTINUE)) < 0) {
        return -1;
    }
    rio_set_min_rate(client, length, BODY_MIN_RATE, proxy->cfg.header_ms);
    return 0;
}

/* serve_request - act on a request whose head has been read.
 * Returns 0, the status to answer with, or -1 when the client is gone. */
static int serve_request(struct rio *client, struct http_request *req,
                         const struct proxy *proxy, struct outcome *out)
{
    struct forward_result res;
    int rc;

    /* RFC 9112 section 3.2: more than one Host is a 400 for every method;
     * CONNECT never reaches http_parse_target, which checks the others. */
    if (strcmp(req->method, "CONNECT") == 0) {
        return host_lines(req) > 1 ? 400
                                   : serve_tunnel(client, req, proxy, out);
    }
    if (!is_forwarded(req->method)) {
        return 501;
    }
    rc = http_parse_target(req);
    if (rc == 0) {
        rc = admit(req, proxy, out);
    }
    if (rc != 0) {
        return rc;
    }
    if (start_body(client, req, proxy) < 0) {
        return -1;
    }
    rc = exchange(client, req, proxy, &res, out);
    log_exchange(req, rc, &res, out);
    if (rc == 0) {
        out->status = res.status;
        out->bytes = res.bytes;
    }
    return rc;
}

/* answer_error - send the error page for status, then drop what the
 * client still sends until it closes, within LINGER_MS: the rest of a
 * rejected request may still be on its way, and closing before it arrives
 * would reset the connection and destroy the page. The client's earlier
 * deadline (the one a 408 is about) no longer applies. */
static void answer_error(struct rio *client, int status, struct outcome *out)
{
    char scratch[RIO_BUFSIZE];
    const char *detail = out->detail[0] != '\0' ? out->detail : NULL;
    size_t drained = 0;
    ssize_t n;

    log_info("%s: answered %d%s%s", out->peer, status,
             detail != NULL ? ": " : "", out->detail);
    out->status = status;
    rio_set_idle_timeout(client, 0);
    rio_set_deadline(client, deadline_after(LINGER_MS));
    n = proxy_send_error(client, status, detail);
    if (n < 0) {
        return;
    }
    out->bytes = (uint64_t)n;
    shutdown(client->fd, SHUT_WR);
    while (drained < LINGER_BYTES &&
           (n = rio_read(client, scratch, sizeof(scratch))) > 0) {
        drained += (size_t)n;
    }
}

/* wall_clock_ms - the time of day, in ms since 1970, for the log. */
static int64_t wall_clock_ms(void)
{
    struct timespec now;

    clock_gettime(CLOCK_REALTIME, &now);
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* account - hand what became of a request to the part that accounts for
 * requests (stage 06's access log), if there is one. */
static void account(const struct outcome *out, const struct proxy *proxy)
{
    int part = stage_part_for(STEP_ACCOUNT);

    if (part >= 0) {
        stage.parts[part]->account(proxy->part_state[part], out);
    }
}

/* serve_one - read and answer the next request on client. Returns how
 * long the connection may then wait for another, in ms; 0: close it. */
static int serve_one(struct rio *client, const char *peer,
                     const struct proxy *proxy)
{
    struct http_request req;
    struct outcome out = { .peer = peer,
                           .arrived_ms = wall_clock_ms(),
                           .arrived = deadline_now() };
    int rc;

    rio_set_deadline(client, deadline_after(proxy->cfg.header_ms));
    rio_set_idle_timeout(client, 0);
    http_request_init(&req);

    rc = read_request(client, &req, &out);
    if (rc == 0) {
        /* The head is in: from now on the client need only keep moving. */
        rio_set_deadline(client, DEADLINE_NONE);
        rio_set_idle_timeout(client, proxy->cfg.client_idle_ms);
        rc = serve_request(client, &req, proxy, &out);
    }
    if (rc > 0) {
        out.keep_ms = 0;
        answer_error(client, rc, &out);
    } else if (rc < 0) {
        out.keep_ms = 0;
        out.status = 499; /* nginx's code: the client closed first */
    }
    if (out.req != NULL || rc > 0) {
        account(&out, proxy);
    }
    return out.keep_ms;
}

/* next_is_ready - whether the kept client on client has its next head
 * in (and its body started, as the waiting room would ask: peek.h) within
 * NEXT_WAIT_MS, so that this thread may serve it without waiting on it,
 * before turn_end (deadline.h). A request read with the last one
 * (pipelined) is always served here: its bytes are in this thread's
 * buffer, not in the socket. */
static bool next_is_ready(struct rio *client, int64_t turn_end)
{
    struct pollfd fds[2] = { { .fd = client->fd, .events = POLLIN },
                             { .fd = client->cancel_fd, .events = POLLIN } };
    char peeked[RIO_BUFSIZE];
    ssize_t n;

    if (rio_buffered(client) > 0) {
        return true;
    }
    if (deadline_now() >= turn_end || poll(fds, 2, NEXT_WAIT_MS) <= 0 ||
        fds[1].revents != 0) {
        return false;
    }
    n = recv(client->fd, peeked, sizeof(peeked), MSG_PEEK | MSG_DONTWAIT);
    return n > 0 && peek_request(peeked, (size_t)n) == PEEK_READY;
}

void proxy_serve_client(int connfd, const char *peer, const struct proxy *proxy)
{
    int64_t turn_end = deadline_after(TURN_MS);
    struct rio client;
    int keep_ms;

    rio_init(&client, connfd);
    rio_set_cancel(&client, proxy->cfg.forward.cancel_fd);
    do {
        keep_ms = serve_one(&client, peer, proxy);
    } while (keep_ms > 0 && next_is_ready(&client, turn_end));
    if (keep_ms > 0) {
        waiting_room_keep(proxy->room, connfd, peer, keep_ms);
    } else {
        proxy_close(connfd);
    }
}
