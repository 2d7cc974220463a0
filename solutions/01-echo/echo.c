/*
 * echo.c - lab 01: an iterative echo server.
 *
 * echo_serve accepts one client at a time; echo_lines sends every line the
 * client writes straight back. Lines may hold any bytes, NUL included, so
 * the code counts bytes and never calls strlen on them.
 */
#include <errno.h>
#include <unistd.h>

#include "echo.h"
#include "log.h"
#include "net.h"
#include "rio.h"

ssize_t echo_lines(struct rio *rp)
{
    char line[ECHO_MAXLINE + 1]; /* + 1 for the NUL rio_readline adds */
    ssize_t total = 0;
    ssize_t n;

    /* Echo line by line until the client closes (n == 0) or fails. */
    while ((n = rio_readline(rp, line, sizeof(line))) > 0) {
        if (rio_writen(rp, line, (size_t)n) < 0) {
            return -1;
        }
        total += n;
    }
    if (n < 0 && errno == EMSGSIZE) {
        /* Tell the client why it is being dropped. If it is gone already,
         * there is no one to tell: the connection ends either way. */
        if (rio_writen(rp, ECHO_TOOLONG, sizeof(ECHO_TOOLONG) - 1) < 0) {
            return -1;
        }
        errno = EMSGSIZE;
    }
    return n < 0 ? -1 : total;
}

/* serve_client - echo one accepted connection, log how it ended, close it. */
static void serve_client(int connfd, const char *peer,
                         const struct echo_config *cfg)
{
    struct rio rio;
    ssize_t n;

    rio_init(&rio, connfd);
    rio_set_idle_timeout(&rio, cfg->idle_ms);
    rio_set_cancel(&rio, cfg->stop_fd);

    n = echo_lines(&rio);
    if (n < 0) {
        log_info("%s: connection ended:", peer);
    } else {
        log_info("%s: echoed %zd bytes", peer, n);
    }
    close(connfd);
}

int echo_serve(int listenfd, const struct echo_config *cfg)
{
    char peer[NET_PEER_MAX];
    int connfd;

    for (;;) {
        connfd = net_accept(listenfd, cfg->stop_fd, peer, sizeof(peer));
        if (connfd < 0) {
            /* ECANCELED: SIGINT or SIGTERM arrived, a normal stop. */
            return errno == ECANCELED ? 0 : -1;
        }
        serve_client(connfd, peer, cfg);
    }
}
