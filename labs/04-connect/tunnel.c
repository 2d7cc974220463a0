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

int tunnel_parse_authority(const char *target, char *host, size_t hostsize,
                           char *port, size_t portsize)
{
    /* TODO(lab4.1): split target at its last ':' into host and port. A host
     * in brackets is an IPv6 literal (check it with inet_pton); otherwise
     * allow letters, digits and "-._~" only. The port is 1 to 5 digits,
     * 1..65535. Anything else, or parts too long for the buffers, is 400. */
    (void)target;
    (void)host;
    (void)hostsize;
    (void)port;
    (void)portsize;
    log_error("TODO(lab4.1): tunnel_parse_authority is not written yet");
    return 400;
}

bool tunnel_port_allowed(const char *port, const struct tunnel_config *cfg)
{
    /* TODO(lab4.1): true when port's number is one of cfg->ports. */
    (void)port;
    (void)cfg;
    log_error("TODO(lab4.1): tunnel_port_allowed is not written yet");
    return false;
}

/* connect_target - open the connection to host:port, or return the status
 * to answer with (502, 504) as a negative number. */
static int connect_target(const char *host, const char *port,
                          const struct tunnel_config *cfg)
{
    /* TODO(lab4.2): connect with net_connect within cfg->connect_ms;
     * return the socket, -502 when the name does not resolve or the target
     * refuses, -504 when connecting timed out. */
    (void)host;
    (void)port;
    (void)cfg;
    log_error("TODO(lab4.2): connect_target is not written yet");
    return -502;
}

/* run_tunnel - answer 200, then relay between the client and fd.
 * Returns 0, -1 when the client is gone, or 503 when memory ran out. */
static int run_tunnel(struct rio *client, int fd,
                      const struct tunnel_config *cfg,
                      struct tunnel_result *res)
{
    /* TODO(lab4.3): send ESTABLISHED to the client, then relay with poll()
     * on both sockets (and cfg->cancel_fd) until both directions are done:
     * first the bytes already in client's buffer (rio_buffered, rio_read),
     * then whatever either side sends. Pass an end of file on with
     * shutdown(SHUT_WR); end both on an error or after cfg->idle_ms of
     * silence. Count the bytes each way in res. */
    (void)client;
    (void)fd;
    (void)cfg;
    (void)res;
    log_error("TODO(lab4.3): run_tunnel is not written yet");
    return 502;
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
