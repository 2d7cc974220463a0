/*
 * proxy.h - the given core of the proxy stages: stage 02's program.
 *
 * main() (proxy_main.c) reads the options every proxy has into a struct
 * proxy_config, and those of the stage's parts (stage.h: threads, tunnel,
 * cache, policy) into the parts. It then makes the running proxy, a
 * struct proxy: it starts the parts, listens, opens the waiting room, and
 * runs the accept loop: stage 02's one client at a time (proxy_serve.c),
 * or the part that serves instead (stage 03's threads). The accept loop
 * hands each connection to proxy_serve_client (proxy_client.c), which
 * reads and checks the request, then forwards it with the student's
 * forward_request, or hands it to the part that takes over that step.
 *
 * Interface:
 *   struct proxy_config, struct proxy, struct outcome, PROXY_MAXPARTS,
 *   PROXY_MAXDETAIL, PROXY_MAX_MS
 *   proxy_serve_client      serve one client connection, then close it
 *   proxy_forward           send a request to its origin, relay the answer
 *   proxy_serve_sequential  stage 02's accept loop: one client at a time
 *   proxy_accept            the next client whose request head has arrived
 *   proxy_send_error        answer with an error page (proxy_error.c)
 *   proxy_refuse            answer a connection with an error and close it
 *   proxy_close             close a connection whose answer is out
 *
 * Thread-safe: the proxy is read-only once the accept loop runs.
 */
#ifndef PROXY_H
#define PROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "forward.h"
#include "http.h"
#include "rio.h"
#include "waiting_room.h"

#define PROXY_MAXPARTS  8                   /* parts a stage adds, at most */
#define PROXY_MAXDETAIL (HTTP_MAXHOST + 16) /* an error page's detail line */
#define PROXY_MAX_MS    3600000 /* an hour: a longer time limit is a mistake */

/* What every proxy is told on its command line. */
struct proxy_config {
    const char *address; /* where to listen: 127.0.0.1 unless asked */
    const char *port;    /* "0" picks a free port */
    int header_ms;       /* the request head must arrive within this */
    int client_idle_ms;  /* a client silent this long is dropped */
    struct forward_config forward; /* towards origins: timeouts, cancel fd */
};

/* The running proxy: its options and what main() made of them. */
struct proxy {
    struct proxy_config cfg;
    int stop_fd;               /* readable once SIGINT or SIGTERM arrived */
    struct waiting_room *room; /* clients of the listening socket whose
                                  request head is still coming */
    void *part_state[PROXY_MAXPARTS]; /* each part's state (stage.h), in
                                         the order of stage.parts */
};

/* What became of one request: for its log line, its error page, and the
 * parts that account for it (stage 06's access log). */
struct outcome {
    const char *peer;               /* the client's "host:port" */
    const struct http_request *req; /* set once its request line is read */
    int64_t arrived_ms;             /* wall clock, ms since 1970 */
    int64_t arrived;                /* monotonic clock, for its duration */
    int status;                     /* the status answered; 499: the client
                                       left before its answer was out */
    uint64_t bytes;                 /* sent to the client: head and body */
    const char *note;               /* how a part answered ("HIT", "MISS"),
                                       or NULL */
    bool counted_up;                /* a tunnel ran: up counts */
    uint64_t up;                    /* bytes relayed from the client */
    char detail[PROXY_MAXDETAIL];   /* why a part refused it, for the error
                                       page (the blocklist rule), or "" */
    int keep_ms;                    /* how long its connection may wait for
                                       the next request; 0: it closes */
};

/*
 * proxy_serve_client - serve the client on connfd, which it then closes,
 * or (stage 07) gives back to the waiting room to wait for its next
 * request. peer is the client's "host:port", for log lines. Never fails:
 * whatever goes wrong ends this connection only.
 */
void proxy_serve_client(int connfd, const char *peer,
                        const struct proxy *proxy);

/*
 * proxy_forward - send req to its origin and relay the answer through
 * sink, req's body coming from client: with the part that takes over the
 * forward step (stage.h: stage 07's kept origin connections), or with
 * forward_request and the proxy's cfg.forward. Returns as forward_request
 * does. For the core's exchange, and the cache's misses.
 */
int proxy_forward(const struct proxy *proxy, const struct http_request *req,
                  struct rio *client, struct sink *sink,
                  struct forward_result *res)
    __attribute__((warn_unused_result));

/*
 * proxy_serve_sequential - accept the proxy's clients and serve them one
 * after another until it stops (SIGINT, SIGTERM). Returns 0 then, or -1
 * with errno set if its listening socket is unusable.
 */
int proxy_serve_sequential(const struct proxy *proxy);

/*
 * proxy_accept - the next client of the proxy whose request head has
 * arrived, for an accept loop: its connected socket, with its
 * "host:port" in peer (peersize bytes). Clients still sending wait in the
 * proxy's waiting room (waiting_room.h), so slow ones cost a descriptor,
 * never a thread. Returns the socket, or -1 with errno ECANCELED once the
 * proxy stops (SIGINT, SIGTERM), or another errno if the listening socket
 * is unusable. Call it from one thread only.
 */
int proxy_accept(const struct proxy *proxy, char *peer, size_t peersize);

/*
 * proxy_send_error - send the client a complete response with this status
 * (400, 403, 408, 414, 431, 501, 502, 503, 504, 505, 508) and a short page that
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
