/*
 * proxy_serve.c - stage 02's accept loop: one client at a time.
 *
 * Simple and correct, and slow: while one client is being served, every
 * other waits in the listen queue. Stage 03 replaces it with threads.
 */
#include <errno.h>

#include "net.h"
#include "proxy.h"

int proxy_serve_sequential(const struct proxy *proxy)
{
    char peer[NET_PEER_MAX];
    int connfd;

    for (;;) {
        connfd = proxy_accept(proxy, peer, sizeof(peer));
        if (connfd < 0) {
            /* ECANCELED: SIGINT or SIGTERM arrived, a normal stop. */
            return errno == ECANCELED ? 0 : -1;
        }
        proxy_serve_client(connfd, peer, proxy);
    }
}
