/*
 * threads.h - serving clients concurrently: the contract of
 * labs/03-threads/threads.c.
 *
 * Stage 03 replaces stage 02's one-at-a-time accept loop. The main thread
 * accepts; every connection is served on another thread, so a slow client
 * or origin never holds up the rest. Two ways, one per step of the lab:
 *   lab3.1  a detached thread per connection (-n 0);
 *   lab3.3  a fixed pool of opt->threads workers fed by a bounded queue
 *           (queue.h, lab3.2) of opt->queue_size connections (the default).
 * Either way, each connection travels as a heap-allocated struct conn that
 * the thread serving it owns, frees, and whose socket it closes (through
 * proxy_serve_client).
 *
 * Interface:
 *   struct threads_config, struct conn
 *   threads_serve   the accept loop of stages 03 on
 *
 * Thread-safe: shared state is only the queue, the logger, proxy and opt,
 * which no thread writes once the accept loop runs.
 */
#ifndef THREADS_H
#define THREADS_H

#include "net.h"
#include "proxy.h"

/* The options of stage 03 (-n, -q, -w). */
struct threads_config {
    int threads;       /* worker threads; 0: a thread per connection */
    int queue_size;    /* accepted connections waiting for a worker */
    int queue_wait_ms; /* a client waits this long for room in the queue,
                          then it is answered 503 */
};

/* One accepted connection, handed from the accept loop to its thread. */
struct conn {
    int fd;                  /* the client's socket */
    char peer[NET_PEER_MAX]; /* the client's "host:port", for log lines */
};

/*
 * threads_serve - accept clients on listenfd and serve each on a thread of
 * its own (opt->threads == 0) or of the pool (opt->threads workers), with
 * proxy_serve_client, until the proxy stops (proxy_accept fails with
 * ECANCELED).
 *
 * When the pool's queue stays full for opt->queue_wait_ms, the client is
 * answered 503 with proxy_refuse. After the stop, requests in flight may
 * finish (the glue abandons them once the grace period ends).
 * Returns 0 once every thread it started has ended and every connection it
 * accepted is closed, or -1 with errno set if it could not start or
 * listenfd is unusable.
 */
int threads_serve(const struct proxy *proxy, const struct threads_config *opt);

#endif /* THREADS_H */
