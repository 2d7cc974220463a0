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

/* One idle connection and where it goes. */
struct idle {
    char host[HTTP_MAXHOST];
    char port[HTTP_MAXPORT];
    int fd;
    int64_t since; /* deadline_now() when it was given back */
};

struct pool {
    struct pool_config cfg;
    pthread_mutex_t lock; /* guards idle and count */
    size_t count;         /* entries in use, oldest first */
    struct idle idle[];   /* cfg.total entries */
};

/* Connections moved out of the array under the lock, closed after it:
 * at most every entry and the one a full pool makes room for. */
struct doomed {
    size_t count;
    int fds[POOL_MAX_TOTAL + 1];
};

struct pool *pool_new(const struct pool_config *cfg)
{
    struct pool *pool;

    if (cfg->per_origin < 1 || cfg->total < cfg->per_origin ||
        cfg->total > POOL_MAX_TOTAL || cfg->idle_ms < 1) {
        errno = EINVAL;
        return NULL;
    }
    pool = malloc(sizeof(*pool) + cfg->total * sizeof(pool->idle[0]));
    if (pool == NULL) {
        return NULL;
    }
    pool->cfg = *cfg;
    pool->count = 0;
    pthread_mutex_init(&pool->lock, NULL);
    return pool;
}

void pool_free(struct pool *pool)
{
    if (pool == NULL) {
        return;
    }
    for (size_t i = 0; i < pool->count; i++) {
        close(pool->idle[i].fd);
    }
    pthread_mutex_destroy(&pool->lock);
    free(pool);
}

/* is_for - whether e goes to host, port. */
static bool is_for(const struct idle *e, const char *host, const char *port)
{
    return strcmp(e->host, host) == 0 && strcmp(e->port, port) == 0;
}

/* remove_at - take entry i out of the array, keeping the order; its fd
 * goes to doomed when there is one. */
static int remove_at(struct pool *pool, size_t i, struct doomed *doomed)
{
    int fd = pool->idle[i].fd;

    memmove(&pool->idle[i], &pool->idle[i + 1],
            (pool->count - i - 1) * sizeof(pool->idle[0]));
    pool->count--;
    if (doomed != NULL) {
        doomed->fds[doomed->count++] = fd;
    }
    return fd;
}

/* remove_expired - move every connection idle longer than idle_ms (the
 * first ones: the array is oldest first) to doomed. */
static void remove_expired(struct pool *pool, struct doomed *doomed)
{
    int64_t oldest_kept = deadline_now() - pool->cfg.idle_ms;

    while (pool->count > 0 && pool->idle[0].since < oldest_kept) {
        remove_at(pool, 0, doomed);
    }
}

/* close_doomed - close what was moved out under the lock. */
static void close_doomed(const struct doomed *doomed)
{
    for (size_t i = 0; i < doomed->count; i++) {
        close(doomed->fds[i]);
    }
}

/* newest_for - take the newest idle connection to host, port out of the
 * array (the expired ones to doomed first). Returns it, or -1. */
static int newest_for(struct pool *pool, const char *host, const char *port,
                      struct doomed *doomed)
{
    int fd = -1;

    pthread_mutex_lock(&pool->lock);
    remove_expired(pool, doomed);
    for (size_t i = pool->count; i > 0; i--) {
        if (is_for(&pool->idle[i - 1], host, port)) {
            fd = remove_at(pool, i - 1, NULL);
            break;
        }
    }
    pthread_mutex_unlock(&pool->lock);
    return fd;
}

/* is_still_idle - whether nothing came on fd since it was given back:
 * not the origin's close, not a byte, not an error. */
static bool is_still_idle(int fd)
{
    char byte;
    ssize_t n = recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);

    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

int pool_take(struct pool *pool, const char *host, const char *port)
{
    struct doomed doomed = { .count = 0 };
    int fd;

    /* Each turn takes one out, so the loop ends with the pool empty. */
    while ((fd = newest_for(pool, host, port, &doomed)) >= 0 &&
           !is_still_idle(fd)) {
        log_debug("idle connection to %s port %s: closed by the origin", host,
                  port);
        close(fd);
    }
    close_doomed(&doomed);
    return fd;
}

/* make_room - before giving one more to host, port: remove its oldest
 * when it has per_origin already, else the oldest of all when full. */
static void make_room(struct pool *pool, const char *host, const char *port,
                      struct doomed *doomed)
{
    size_t mine = 0;
    size_t oldest_mine = 0;

    for (size_t i = pool->count; i > 0; i--) {
        if (is_for(&pool->idle[i - 1], host, port)) {
            mine++;
            oldest_mine = i - 1;
        }
    }
    if (mine >= pool->cfg.per_origin) {
        remove_at(pool, oldest_mine, doomed);
    } else if (pool->count == pool->cfg.total) {
        remove_at(pool, 0, doomed);
    }
}

void pool_give(struct pool *pool, const char *host, const char *port, int fd)
{
    struct doomed doomed = { .count = 0 };
    size_t host_len = strlen(host);
    size_t port_len = strlen(port);
    struct idle *e;

    if (host_len >= HTTP_MAXHOST || port_len >= HTTP_MAXPORT) {
        close(fd);
        return;
    }
    pthread_mutex_lock(&pool->lock);
    remove_expired(pool, &doomed);
    make_room(pool, host, port, &doomed);
    e = &pool->idle[pool->count++];
    memcpy(e->host, host, host_len + 1);
    memcpy(e->port, port, port_len + 1);
    e->fd = fd;
    e->since = deadline_now();
    pthread_mutex_unlock(&pool->lock);
    close_doomed(&doomed);
}

size_t pool_idle(struct pool *pool, const char *host, const char *port)
{
    size_t count = 0;

    pthread_mutex_lock(&pool->lock);
    for (size_t i = 0; i < pool->count; i++) {
        count += host == NULL || is_for(&pool->idle[i], host, port);
    }
    pthread_mutex_unlock(&pool->lock);
    return count;
}
