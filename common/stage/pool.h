/*
 * pool.h - idle connections to origins, kept for the next request: the
 * contract of labs/07-persist/pool.c.
 *
 * Opening a TCP connection costs a round trip before the request can go,
 * and more for the origin than the request itself when the answer is
 * small. An HTTP/1.1 origin keeps a connection open after its answer
 * (RFC 9112 section 9.3), so the proxy keeps it too, idle, and sends the
 * next request for the same origin on it. The pool is where the idle ones
 * wait, by origin (host and port):
 *
 *   fd = pool_take(pool, "example.com", "80");   -1: none, connect anew
 *   ... one request and its whole answer on fd ...
 *   pool_give(pool, "example.com", "80", fd);    only if it ended exactly
 *
 * A connection in the pool belongs to the pool: a thread takes it out to
 * use it alone, and gives it back (or closes it) when the answer is over.
 * Every count is bounded: at most per_origin idle connections for one
 * origin, at most total for all, none older than idle_ms. An origin may
 * close an idle connection whenever it likes (its own idle timeout), so
 * pool_take never hands out one the origin has closed.
 *
 * Interface:
 *   struct pool (opaque), struct pool_config, POOL_MAX_TOTAL
 *   pool_new, pool_free, pool_take, pool_give, pool_idle
 *
 * Thread-safe: every function may be called from any thread at once.
 */
#ifndef POOL_H
#define POOL_H

#include <stddef.h>

#define POOL_MAX_TOTAL 1024 /* the largest total a pool takes */

struct pool;

struct pool_config {
    size_t per_origin; /* idle connections kept for one origin, at most */
    size_t total;      /* idle connections kept in all, at most */
    int idle_ms;       /* a connection idle longer is closed, not reused */
};

/*
 * pool_new - an empty pool with the limits of cfg (per_origin and total at
 * least 1, per_origin at most total, total at most POOL_MAX_TOTAL;
 * idle_ms at least 1). Returns it, or
 * NULL with errno set (EINVAL for such limits, ENOMEM).
 */
struct pool *pool_new(const struct pool_config *cfg);

/*
 * pool_free - close every idle connection and free pool. NULL does
 * nothing. No other thread may be using pool.
 */
void pool_free(struct pool *pool);

/*
 * pool_take - take an idle connection to the origin host, port (compared
 * as given: the caller writes them as http_parse_target does) out of the
 * pool, the one given back last first (the most likely to be still open).
 * A connection idle longer than idle_ms, or one whose origin has closed it
 * or sent bytes on it since (an idle connection carries nothing: such
 * bytes can only be an error, or an answer no request asked for), is
 * closed and skipped. Never waits: looking at a connection is a recv with
 * MSG_PEEK | MSG_DONTWAIT, and no lock is held while closing one.
 * Returns the connection, now the caller's, or -1 when there is none.
 */
int pool_take(struct pool *pool, const char *host, const char *port);

/*
 * pool_give - give fd, a connection to host, port whose last answer ended
 * exactly, back to the pool, the pool's from now on. Connections idle
 * longer than idle_ms are closed first (any origin's). Then if host, port
 * already has per_origin idle connections, its oldest is closed; else if
 * the pool holds total, the oldest of all is closed. A host or port too
 * long for the pool (the lengths http.h allows) closes fd instead.
 */
void pool_give(struct pool *pool, const char *host, const char *port, int fd);

/*
 * pool_idle - how many idle connections the pool holds for host, port, or
 * for every origin when host is NULL (for the tests and the log).
 */
size_t pool_idle(struct pool *pool, const char *host, const char *port);

#endif /* POOL_H */
