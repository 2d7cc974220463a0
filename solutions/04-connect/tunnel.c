/*
 * tunnel.c - lab 04: CONNECT tunnels, relayed with poll().
 *
 * tunnel_serve checks the target, connects, says 200, then runs relay:
 * one loop, in the thread that serves the connection, that waits with
 * poll() on both sockets and moves bytes in whichever direction can make
 * progress. Each direction has a bounded buffer; while it holds bytes the
 * loop waits to write them rather than read more, so a fast sender can
 * never make the proxy buffer without limit. An end of file is passed on
 * as a half-close once the direction's buffer is empty.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "deadline.h"
#include "http.h"
#include "log.h"
#include "net.h"
#include "rio.h"
#include "tunnel.h"

#define ESTABLISHED "HTTP/1.1 200 Connection Established\r\n\r\n"

/* One direction of the tunnel: bytes read from one socket, waiting to be
 * written to the other. */
struct direction {
    int from; /* the socket read from */
    int to;   /* the socket written to */
    char buf[TUNNEL_BUFSIZE];
    size_t len;      /* bytes in buf */
    size_t off;      /* bytes of buf already written */
    bool eof;        /* from has ended */
    bool done;       /* eof, and passed on as a half-close */
    uint64_t *count; /* where to count the bytes relayed */
};

/* copy_span - copy n bytes from src into dst of size, NUL-terminated;
 * false (and dst empty) if they do not fit or n is 0. */
static bool copy_span(char *dst, size_t size, const char *src, size_t n)
{
    if (n == 0 || n >= size) {
        dst[0] = '\0';
        return false;
    }
    memcpy(dst, src, n);
    dst[n] = '\0';
    return true;
}

/* is_reg_name - whether host is a plain DNS name or IPv4 address. */
static bool is_reg_name(const char *host)
{
    for (const char *p = host; *p != '\0'; p++) {
        if (!(*p >= 'a' && *p <= 'z') && !(*p >= 'A' && *p <= 'Z') &&
            !(*p >= '0' && *p <= '9') && strchr("-._~", *p) == NULL) {
            return false;
        }
    }
    return true;
}

/* is_port - whether port is 1 to 5 digits with a value in 1..65535. */
static bool is_port(const char *port)
{
    size_t n = strspn(port, "0123456789");
    long value = strtol(port, NULL, 10);

    return n > 0 && n <= 5 && port[n] == '\0' && value >= 1 && value <= 65535;
}

int tunnel_parse_authority(const char *target, char *host, size_t hostsize,
                           char *port, size_t portsize)
{
    const char *colon = strrchr(target, ':');
    unsigned char v6[sizeof(struct in6_addr)];

    if (colon == NULL) {
        return 400; /* RFC 9110 section 9.3.6: the port is required */
    }
    if (target[0] == '[') {
        /* An IPv6 literal: "[addr]:port", the address checked by inet_pton. */
        if (colon[-1] != ']' ||
            !copy_span(host, hostsize, target + 1,
                       (size_t)(colon - target) - 2) ||
            inet_pton(AF_INET6, host, v6) != 1) {
            return 400;
        }
    } else if (!copy_span(host, hostsize, target, (size_t)(colon - target)) ||
               !is_reg_name(host)) {
        return 400;
    }
    if (!copy_span(port, portsize, colon + 1, strlen(colon + 1)) ||
        !is_port(port)) {
        return 400;
    }
    return 0;
}

bool tunnel_port_allowed(const char *port, const struct tunnel_config *cfg)
{
    long value = strtol(port, NULL, 10);

    for (int i = 0; i < cfg->nports; i++) {
        if (cfg->ports[i] == value) {
            return true;
        }
    }
    return false;
}

/* connect_target - open the connection to host:port, or return the status
 * to answer with (502, 504) as a negative number. */
static int connect_target(const char *host, const char *port,
                          const struct tunnel_config *cfg)
{
    int fd = net_connect(host, port, deadline_after(cfg->connect_ms));

    if (fd == NET_ERR_DNS) {
        log_info("tunnel target %s does not resolve", host);
        return -502;
    }
    if (fd < 0) {
        log_info("cannot connect to %s port %s:", host, port);
        return errno == ETIMEDOUT ? -504 : -502;
    }
    return fd;
}

/* watch - what direction d waits for: to write what it holds, else to
 * read more. Sets pfd; returns false when d has nothing left to do. */
static bool watch(const struct direction *d, struct pollfd *pfd)
{
    pfd->revents = 0;
    if (d->done) {
        pfd->fd = -1; /* poll() skips negative fds */
        return false;
    }
    pfd->fd = d->off < d->len ? d->to : d->from;
    pfd->events = d->off < d->len ? POLLOUT : POLLIN;
    return true;
}

/* pass_on_eof - once d's source has ended and its buffer is empty, tell
 * the other side with a half-close: it may still send the other way. */
static void pass_on_eof(struct direction *d)
{
    if (d->eof && d->off == d->len && !d->done) {
        shutdown(d->to, SHUT_WR);
        d->done = true;
    }
}

/* step - move d's bytes one step after poll() said its socket is ready.
 * Returns false when the tunnel must end (a reset or another error). */
static bool step(struct direction *d, short revents)
{
    ssize_t n;

    if (revents == 0) {
        return true;
    }
    if (d->off < d->len) {
        n = send(d->to, d->buf + d->off, d->len - d->off,
                 MSG_NOSIGNAL | MSG_DONTWAIT);
        d->off += n > 0 ? (size_t)n : 0;
    } else {
        n = recv(d->from, d->buf, sizeof(d->buf), MSG_DONTWAIT);
        d->eof = n == 0;
        d->len = n > 0 ? (size_t)n : 0;
        d->off = 0;
        *d->count += d->len;
    }
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        log_info("tunnel ended:");
        return false;
    }
    pass_on_eof(d);
    return true;
}

/* watch_both - set up the pollfds of both directions; whether either of
 * them still has work. Both are always set up: no short circuit. */
static bool watch_both(struct direction *up, struct direction *down,
                       struct pollfd pfds[2])
{
    bool up_open = watch(up, &pfds[0]);
    bool down_open = watch(down, &pfds[1]);

    return up_open || down_open;
}

/* relay - copy bytes both ways until both directions are done, either side
 * fails, the tunnel stays idle for cfg->idle_ms, or cancel_fd fires. */
static void relay(struct direction *up, struct direction *down,
                  const struct tunnel_config *cfg)
{
    struct pollfd pfds[3] = { [2] = { .fd = cfg->cancel_fd,
                                      .events = POLLIN } };
    bool going = true;
    int n;

    while (going && watch_both(up, down, pfds)) {
        n = poll(pfds, 3, cfg->idle_ms > 0 ? cfg->idle_ms : -1);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0 || pfds[2].revents != 0) {
            log_info("tunnel %s", n == 0 ? "idle too long" : "abandoned");
            return;
        }
        going = step(up, pfds[0].revents) && step(down, pfds[1].revents);
    }
}

/* start_direction - set d up to relay from one socket to another. */
static void start_direction(struct direction *d, int from, int to,
                            uint64_t *count)
{
    d->from = from;
    d->to = to;
    d->count = count;
}

/* run_tunnel - answer 200, then relay between the client and fd.
 * Returns 0, -1 when the client is gone, or 503 when memory ran out. */
static int run_tunnel(struct rio *client, int fd,
                      const struct tunnel_config *cfg,
                      struct tunnel_result *res)
{
    /* Two buffers of TUNNEL_BUFSIZE: too big for a worker's stack. */
    struct direction *dirs = calloc(2, sizeof(*dirs));

    if (dirs == NULL) {
        return 503;
    }
    if (rio_writen(client, ESTABLISHED, strlen(ESTABLISHED)) < 0) {
        free(dirs);
        return -1;
    }
    start_direction(&dirs[0], client->fd, fd, &res->up);
    start_direction(&dirs[1], fd, client->fd, &res->down);
    /* Bytes the client sent right after its request head are already in
     * client's buffer (rio reads ahead): they go to the target first. */
    if (rio_buffered(client) > 0) {
        dirs[0].len = (size_t)rio_read(client, dirs[0].buf, TUNNEL_BUFSIZE);
        res->up = dirs[0].len;
    }
    relay(&dirs[0], &dirs[1], cfg);
    free(dirs);
    return 0;
}

int tunnel_serve(struct rio *client, const struct http_request *req,
                 const struct tunnel_config *cfg, struct tunnel_result *res)
{
    char host[HTTP_MAXHOST];
    char port[HTTP_MAXPORT];
    int rc = tunnel_parse_authority(req->target, host, sizeof(host), port,
                                    sizeof(port));
    int fd;

    *res = (struct tunnel_result){ 0 };
    if (rc != 0) {
        return rc;
    }
    if (!tunnel_port_allowed(port, cfg)) {
        log_info("CONNECT to port %s refused by the allow-list", port);
        return 403;
    }
    fd = connect_target(host, port, cfg);
    if (fd < 0) {
        return -fd;
    }
    rc = run_tunnel(client, fd, cfg, res);
    close(fd);
    return rc;
}
