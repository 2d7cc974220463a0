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

/* count_live - count delta more (or fewer) running threads; wake the
 * waiter when none is left. */
static void count_live(struct detached *d, int delta)
{
    pthread_mutex_lock(&d->lock);
    d->live += delta;
    if (d->live == 0) {
        pthread_cond_broadcast(&d->idle);
    }
    pthread_mutex_unlock(&d->lock);
}

/* serve_job - the body of a detached thread: serve, free, sign off. */
static void *serve_job(void *arg)
{
    struct job *job = arg;
    struct detached *d = job->owner;

    proxy_serve_client(job->conn->fd, job->conn->peer, d->proxy);
    free(job->conn);
    free(job);
    count_live(d, -1);
    return NULL;
}

/* start_detached - serve conn on a new detached thread. */
static void start_detached(void *arg, struct conn *conn)
{
    struct detached *d = arg;
    struct job *job = malloc(sizeof(*job));
    pthread_t tid;

    if (job == NULL) {
        turn_away(conn, "out of memory");
        return;
    }
    job->conn = conn;
    job->owner = d;
    count_live(d, 1);
    if (pthread_create(&tid, NULL, serve_job, job) != 0) {
        count_live(d, -1);
        free(job);
        turn_away(conn, "no thread to serve it");
        return;
    }
    pthread_detach(tid); /* nobody joins it: it frees what it owns */
}

/* serve_detached - lab3.1: a detached thread per connection. */
static int serve_detached(const struct proxy *proxy)
{
    struct detached d = { .proxy = proxy,
                          .lock = PTHREAD_MUTEX_INITIALIZER,
                          .idle = PTHREAD_COND_INITIALIZER };
    int rc = accept_each(proxy, start_detached, &d);
    int saved = errno;

    /* Detached threads cannot be joined: wait until the count says the
     * last one has finished (the glue abandons work after the grace). */
    pthread_mutex_lock(&d.lock);
    while (d.live > 0) {
        pthread_cond_wait(&d.idle, &d.lock);
    }
    pthread_mutex_unlock(&d.lock);
    errno = saved;
    return rc;
}

/* work - the body of a pool worker: serve connections until the queue is
 * closed and empty. */
static void *work(void *arg)
{
    struct pool *pool = arg;
    struct conn *conn;

    while ((conn = queue_get(pool->queue)) != NULL) {
        proxy_serve_client(conn->fd, conn->peer, pool->proxy);
        free(conn);
    }
    return NULL;
}

/* enqueue - hand conn to the pool; when the queue stays full past
 * opt->queue_wait_ms, turn the client away instead. */
static void enqueue(void *arg, struct conn *conn)
{
    struct pool *pool = arg;
    int64_t deadline = deadline_after(pool->opt->queue_wait_ms);

    if (queue_put(pool->queue, conn, deadline) < 0) {
        turn_away(conn, "every worker is busy");
    }
}

/* stop_pool - close the queue, wait for every worker, free the pool. */
static void stop_pool(struct pool *pool)
{
    if (pool->queue != NULL) {
        queue_close(pool->queue);
    }
    for (int i = 0; i < pool->started; i++) {
        pthread_join(pool->workers[i], NULL);
    }
    queue_free(pool->queue);
    free(pool->workers);
}

/* start_pool - create the queue and start opt->threads workers.
 * Returns 0, or -1 with errno set (nothing is left running). */
static int start_pool(struct pool *pool, const struct proxy *proxy,
                      const struct threads_config *opt)
{
    int rc;

    pool->proxy = proxy;
    pool->opt = opt;
    pool->started = 0;
    pool->queue = queue_new((size_t)opt->queue_size);
    pool->workers = calloc((size_t)opt->threads, sizeof(*pool->workers));
    if (pool->queue == NULL || pool->workers == NULL) {
        stop_pool(pool);
        errno = ENOMEM;
        return -1;
    }
    for (; pool->started < opt->threads; pool->started++) {
        rc = pthread_create(&pool->workers[pool->started], NULL, work, pool);
        if (rc != 0) {
            stop_pool(pool);
            errno = rc;
            return -1;
        }
    }
    return 0;
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
