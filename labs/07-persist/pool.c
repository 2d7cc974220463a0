/*
 * pool.c - lab 07: idle connections to origins, kept for the next request.
 *
 * The idle connections are one array, oldest first: pool_give appends,
 * pool_take looks from the newest back, and the expired ones are always
 * at the front. A few hundred entries at most (the total limit), so a
 * scan under the lock costs less than the system call of one close; a
 * hash by origin would pay only with thousands of origins kept at once.
 *
 * One mutex guards the array. Nothing that may block or take long runs
 * under it: the connections to close are moved out first and closed after
 * unlocking, and a connection is looked at (recv with MSG_PEEK) only once
 * it has been taken out.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "deadline.h"
#include "http.h"
#include "log.h"
#include "pool.h"

/* TODO(lab7.5): the pool's fields: its limits, a mutex, and its idle
 * connections (host, port, fd, and when each was given back). Until then
 * the pool keeps nothing: every request opens a connection of its own. */
struct pool {
    struct pool_config cfg;
};

struct pool *pool_new(const struct pool_config *cfg)
{
    /* TODO(lab7.5): check the limits (EINVAL), allocate the pool with
     * room for cfg->total idle connections, and start its mutex. */
    struct pool *pool = malloc(sizeof(*pool));

    if (pool != NULL) {
        pool->cfg = *cfg;
    }
    return pool;
}

void pool_free(struct pool *pool)
{
    /* TODO(lab7.5): close every idle connection, then free the pool. */
    free(pool);
}

int pool_take(struct pool *pool, const char *host, const char *port)
{
    /* TODO(lab7.5): under the lock, move the expired connections out
     * and take the newest one to host, port; after unlocking, close those
     * and look at the one taken (recv with MSG_PEEK | MSG_DONTWAIT must
     * fail with EAGAIN): closed or not idle, close it and take the next. */
    (void)pool;
    (void)host;
    (void)port;
    log_error("TODO(lab7.5): pool_take is not written yet");
    return -1;
}

void pool_give(struct pool *pool, const char *host, const char *port, int fd)
{
    /* TODO(lab7.5): under the lock, move the expired connections out,
     * make room (the origin's oldest at per_origin, else the oldest of
     * all when full) and append fd; close the ones moved out after. */
    (void)pool;
    (void)host;
    (void)port;
    log_error("TODO(lab7.5): pool_give is not written yet");
    close(fd);
}

size_t pool_idle(struct pool *pool, const char *host, const char *port)
{
    /* TODO(lab7.5): count, under the lock. */
    (void)pool;
    (void)host;
    (void)port;
    log_error("TODO(lab7.5): pool_idle is not written yet");
    return 0;
}
