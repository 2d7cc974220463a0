/*
 * proxy.h - the given glue of the proxy stages (02 to 06).
 *
 * main() (proxy_main.c) reads the options into a struct proxy_config,
 * listens, and calls the stage's accept loop (stage.h). The accept loop
 * hands each connection to proxy_serve_client, which reads and checks the
 * request, then calls the student modules: forward_request (stage 02),
 * and, as later stages arrive, the tunnel, the cache and the policy
 * (blocklist, access log, anonymity).
 *
 * Interface:
 *   struct proxy_config
 *   proxy_serve_client      serve one client connection, then close it
 *   proxy_serve_sequential  stage 02's accept loop: one client at a time
 *   proxy_accept_open       make proxy_accept's waiting room (main() does)
 *   proxy_accept            the next client whose request head has arrived
 *   proxy_send_error        answer with an error page (proxy_error.c)
 *   proxy_refuse            answer a connection with an error and close it
 *   proxy_close             close a connection whose answer is out
 *
 * Thread-safe: the config is read-only once the accept loop runs.
 */
#ifndef PROXY_H
#define PROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "forward.h"
#include "rio.h"
#include "tunnel.h"

struct accesslog;
struct cache;
struct filter;

struct proxy_config {
    const char *address; /* where to listen: 127.0.0.1 unless asked */
    const char *port;    /* "0" picks a free port */
    int stop_fd;         /* readable once SIGINT or SIGTERM arrived */
    int header_ms;       /* the request head must arrive within this */
    int client_idle_ms;  /* a client silent this long is dropped */
    struct forward_config forward; /* timeouts towards origins */
    int threads;       /* worker threads (stage 03 on); 0: a thread per
                          connection */
    int queue_size;    /* accepted connections waiting for a worker */
    int queue_wait_ms; /* a client waits this long for room in the queue
                          before it is answered 503 */
    struct tunnel_config tunnel;  /* CONNECT's allow-list and timeouts */
    struct cache *cache;          /* stage 05 on: the shared cache (thread-safe;
                                     made by stage.start) */
    size_t cache_bytes;           /* the cache's total size */
    size_t cache_object;          /* the largest response the cache stores */
    int heuristic_s;              /* lifetime of a response that gives none */
    const char *blocklist_path;   /* stage 06: hosts to refuse (-f), or NULL */
    const char *access_log_path;  /* stage 06: the access log (-a), or NULL */
    bool anonymous;               /* stage 06: strip identifying headers */
    bool strip_cookies;           /* ... and Cookie too */
    struct filter *filter;        /* stage 06: the blocklist, if one was given
                                     (thread-safe; made by stage.start) */
    struct accesslog *access_log; /* stage 06: the log, if one was given
                                     (thread-safe; made by stage.start) */
};

/*
 * proxy_serve_client - serve the client on connfd, which it then closes.
 * peer is the client's "host:port", for log lines. Never fails: whatever
 * goes wrong ends this connection only.
 */
void proxy_serve_client(int connfd, const char *peer,
                        const struct proxy_config *cfg);

/*
 * proxy_serve_sequential - accept clients on listenfd and serve them one
 * after another until cfg->stop_fd fires. Returns 0 then, or -1 with errno
 * set if listenfd is unusable.
 */
int proxy_serve_sequential(int listenfd, const struct proxy_config *cfg);

/*
 * proxy_accept - the next client on listenfd whose request head has
 * arrived, for an accept loop: as net_accept(listenfd, cfg->stop_fd, peer,
 * peersize), but a client is returned only once its head's blank line (or
 * more lines or longer ones than a head may have, or the end of its
 * input) is in its socket, unread. Clients still sending wait in a waiting room
 * watched by one poll(), so slow ones cost a descriptor, never a thread; one
 * whose head is not in within cfg->header_ms is answered 408, and one arriving
 * when 512 are waiting is answered 503. Returns the connected socket, or
 * -1 with errno ECANCELED once cfg->stop_fd fires (the waiting clients are
 * then closed), or another errno if listenfd is unusable. Call it from
 * one thread only (proxy_accept.c).
 */
int proxy_accept(int listenfd, const struct proxy_config *cfg, char *peer,
                 size_t peersize);

/*
 * proxy_accept_open - make proxy_accept's waiting room (its epoll
 * descriptor) for listenfd, unless it exists: main() does it before it
 * logs "listening on", so the descriptors a program holds once it listens
 * are all it holds when idle. Returns 0, or -1 with errno set.
 */
int proxy_accept_open(int listenfd, const struct proxy_config *cfg);

/*
 * proxy_send_error - send the client a complete response with this status
 * (400, 403, 408, 414, 431, 501, 502, 503, 504, 505) and a short page that
 * explains it. Nothing from the request is echoed in it. detail, when not
 * NULL, is one more line on the page from the proxy's own configuration
 * (the blocklist rule behind a 403); characters outside those of host
 * patterns show as '?'.
 * Returns the bytes sent, or -1 with errno set when the client is gone.
 */
ssize_t proxy_send_error(struct rio *client, int status, const char *detail);

/*
 * proxy_refuse - answer the client on connfd with an error page (503 when
 * the proxy is too busy) without waiting for it, then close connfd. For
 * the accept loop, which must not be held up by one client.
 */
void proxy_refuse(int connfd, int status);

/*
 * proxy_close - close a client connection whose answer has been sent:
 * shut down the sending side, read and drop what the client has already
 * sent (without waiting for more), then close. Closing with unread bytes
 * (a pipelined request, the rest of a rejected body) would reset the
 * connection, and a reset destroys the end of the answer still in flight.
 */
void proxy_close(int connfd);

#endif /* PROXY_H */
