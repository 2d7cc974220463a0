/*
 * threads.c - lab 03: serve every client on a thread of its own.
 *
 * The main thread only accepts (accept_each); each connection is handed
 * over to another thread, in one of two ways:
 *   lab3.1  serve_detached: a new detached thread per connection, counted
 *           so that shutdown can wait until the last one has finished;
 *   lab3.3  serve_pool: a fixed pool of workers taking connections from a
 *           bounded queue (queue.c, lab3.2); when the queue stays full,
 *           new clients are turned away with 503.
 * A connection is a heap-allocated struct conn: whoever holds the pointer
 * owns it, so no two threads ever share one, and no thread is handed the
 * address of a variable the accept loop is about to reuse.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "deadline.h"
#include "log.h"
#include "net.h"
#include "proxy.h"
#include "queue.h"
#include "threads.h"

/* What accept_each does with each connection: the callee owns conn. */
typedef void hand_over_fn(void *arg, struct conn *conn);

/* serve_detached's threads and what they share (lab3.1). */
struct detached {
    const struct proxy *proxy;
    pthread_mutex_t lock; /* guards live */
    pthread_cond_t idle;  /* signalled when live drops to 0 */
    int live;             /* threads still serving */
};

/* What one detached thread owns (lab3.1). */
struct job {
    struct conn *conn;      /* the connection it serves */
    struct detached *owner; /* counts the thread while it runs */
};

/* The workers of serve_pool and what they share (lab3.3). */
struct pool {
    struct queue *queue; /* connections waiting for a worker */
    const struct proxy *proxy;
    const struct threads_config *opt; /* its size, the queue's wait */
    pthread_t *workers;               /* opt->threads of them */
    int started;                      /* how many were started */
};

/* turn_away - answer 503 to a connection nobody can serve, and free it. */
static void turn_away(struct conn *conn, const char *why)
{
    log_warn("%s: turned away: %s", conn->peer, why);
    proxy_refuse(conn->fd, 503);
    free(conn);
}

/* accept_each - accept clients until the proxy stops and hand each to
 * hand_over as a new struct conn. Returns 0 at the stop, -1 if its
 * listening socket is unusable. */
static int accept_each(const struct proxy *proxy, hand_over_fn *hand_over,
                       void *arg)
{
    char peer[NET_PEER_MAX];
    struct conn *conn;
    int connfd;

    for (;;) {
        connfd = proxy_accept(proxy, peer, sizeof(peer));
        if (connfd < 0) {
            return errno == ECANCELED ? 0 : -1;
        }
        conn = malloc(sizeof(*conn));
        if (conn == NULL) {
            log_warn("%s: turned away: out of memory", peer);
            proxy_refuse(connfd, 503);
            continue;
        }
        conn->fd = connfd;
        snprintf(conn->peer, sizeof(conn->peer), "%s", peer);
        hand_over(arg, conn);
    }
}

/* start_detached - serve conn on a new detached thread. */
static void start_detached(void *arg, struct conn *conn)
{
    /* TODO(lab3.1): allocate a struct job for conn, count the thread in
     * (d->live, under d->lock) and start a thread with pthread_create that
     * serves the connection with proxy_serve_client, frees what it owns
     * and counts itself out, signalling d->idle when it is the last one.
     * Detach it. If anything fails, undo the count and turn_away(conn). */
    (void)arg;
    log_error("TODO(lab3.1): start_detached is not written yet");
    turn_away(conn, "no thread to serve it");
}

/* serve_detached - lab3.1: a detached thread per connection. */
static int serve_detached(const struct proxy *proxy)
{
    struct detached d = { .proxy = proxy,
                          .lock = PTHREAD_MUTEX_INITIALIZER,
                          .idle = PTHREAD_COND_INITIALIZER };
    int rc = accept_each(proxy, start_detached, &d);
    int saved = errno;

    /* TODO(lab3.1): wait, under d.lock, until d.live is 0: detached
     * threads cannot be joined, and returning now would let the program
     * end while they still serve. */
    errno = saved;
    return rc;
}

/* enqueue - hand conn to the pool; when the queue stays full past
 * opt->queue_wait_ms, turn the client away instead. */
static void enqueue(void *arg, struct conn *conn)
{
    /* TODO(lab3.3): put conn in pool->queue with a deadline of
     * opt->queue_wait_ms from now; if that fails, turn_away(conn). */
    (void)arg;
    log_error("TODO(lab3.3): enqueue is not written yet");
    turn_away(conn, "every worker is busy");
}

/* stop_pool - close the queue, wait for every worker, free the pool. */
static void stop_pool(struct pool *pool)
{
    /* TODO(lab3.3): close the queue so that workers finish, join each
     * started worker, then free the queue and the workers array. */
    (void)pool;
    log_error("TODO(lab3.3): stop_pool is not written yet");
}

/* start_pool - create the queue and start opt->threads workers.
 * Returns 0, or -1 with errno set (nothing is left running). */
static int start_pool(struct pool *pool, const struct proxy *proxy,
                      const struct threads_config *opt)
{
    /* TODO(lab3.3): create the queue (opt->queue_size) and the workers
     * array, then opt->threads threads running a worker function that
     * takes connections with queue_get until it returns NULL and serves
     * each with proxy_serve_client. On any failure, stop what started. */
    (void)pool;
    (void)proxy;
    (void)opt;
    log_error("TODO(lab3.3): start_pool is not written yet");
    errno = ENOSYS;
    return -1;
}

/* serve_pool - lab3.3: a fixed pool of workers fed by a bounded queue. */
static int serve_pool(const struct proxy *proxy,
                      const struct threads_config *opt)
{
    struct pool pool;
    int rc;
    int saved;

    if (start_pool(&pool, proxy, opt) < 0) {
        log_error("cannot start %d workers:", opt->threads);
        return -1;
    }
    log_info("serving with %d worker threads", opt->threads);
    rc = accept_each(proxy, enqueue, &pool);
    saved = errno;
    stop_pool(&pool);
    errno = saved;
    return rc;
}

int threads_serve(const struct proxy *proxy, const struct threads_config *opt)
{
    if (opt->threads == 0) {
        return serve_detached(proxy);
    }
    return serve_pool(proxy, opt);
}
