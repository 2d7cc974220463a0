/*
 * queue.c - lab 03: a bounded blocking FIFO of pointers shared by threads.
 *
 * A ring buffer of capacity slots guarded by one mutex, with two condition
 * variables: not_empty wakes takers, not_full wakes putters. Every wait is
 * in a loop, because a wakeup only means "look again" (another thread may
 * have got there first, and spurious wakeups are allowed).
 *
 * Errors: the functions of queue.h return -1 (or NULL) with errno set; the
 * static helpers around pthread calls return an error number, as pthreads
 * do, because errno is set only once the lock is released (unlocking may
 * change it).
 */
#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "deadline.h"
#include "log.h"
#include "queue.h"

struct queue {
    pthread_mutex_t lock;     /* guards every field below */
    pthread_cond_t not_empty; /* signalled when an item arrives or on close */
    pthread_cond_t not_full;  /* signalled when a slot frees or on close */
    void **items;             /* the ring: capacity slots */
    size_t capacity;
    size_t head;   /* index of the oldest item */
    size_t length; /* items in the ring */
    bool closed;   /* no more puts; gets drain, then NULL */
};

/* init_not_full - a condition variable whose timed waits use the monotonic
 * clock, the clock deadlines are on. */
static int init_not_full(pthread_cond_t *cond)
{
    pthread_condattr_t attr;
    int rc = pthread_condattr_init(&attr);

    if (rc == 0) {
        rc = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
        if (rc == 0) {
            rc = pthread_cond_init(cond, &attr);
        }
        pthread_condattr_destroy(&attr);
    }
    return rc;
}

struct queue *queue_new(size_t capacity)
{
    struct queue *q;

    if (capacity == 0) {
        errno = EINVAL;
        return NULL;
    }
    q = calloc(1, sizeof(*q));
    if (q == NULL) {
        return NULL;
    }
    q->items = calloc(capacity, sizeof(*q->items));
    if (q->items == NULL) {
        goto out_free;
    }
    q->capacity = capacity;
    if (pthread_mutex_init(&q->lock, NULL) != 0) {
        goto out_free_items;
    }
    if (pthread_cond_init(&q->not_empty, NULL) != 0) {
        goto out_destroy_lock;
    }
    if (init_not_full(&q->not_full) != 0) {
        goto out_destroy_not_empty;
    }
    return q;

out_destroy_not_empty:
    pthread_cond_destroy(&q->not_empty);
out_destroy_lock:
    pthread_mutex_destroy(&q->lock);
out_free_items:
    free(q->items);
out_free:
    free(q);
    errno = ENOMEM;
    return NULL;
}

void queue_free(struct queue *q)
{
    if (q == NULL) {
        return;
    }
    pthread_cond_destroy(&q->not_full);
    pthread_cond_destroy(&q->not_empty);
    pthread_mutex_destroy(&q->lock);
    free(q->items);
    free(q);
}

/* wait_not_full - wait, with q->lock held, until q has room, is closed, or
 * the deadline passes. Returns 0 or ETIMEDOUT. */
static int wait_not_full(struct queue *q, int64_t deadline)
{
    struct timespec until = deadline_timespec(deadline);
    int rc = 0;

    while (q->length == q->capacity && !q->closed && rc == 0) {
        if (deadline == DEADLINE_NONE) {
            rc = pthread_cond_wait(&q->not_full, &q->lock);
        } else {
            rc = pthread_cond_timedwait(&q->not_full, &q->lock, &until);
        }
    }
    return rc;
}

int queue_put(struct queue *q, void *item, int64_t deadline)
{
    int rc;

    assert(item != NULL); /* NULL is what queue_get returns when closed */
    pthread_mutex_lock(&q->lock);
    rc = wait_not_full(q, deadline);
    if (q->closed) {
        rc = EPIPE;
    } else if (rc == 0) {
        q->items[(q->head + q->length) % q->capacity] = item;
        q->length++;
        pthread_cond_signal(&q->not_empty);
    }
    pthread_mutex_unlock(&q->lock);
    if (rc != 0) {
        errno = rc;
        return -1;
    }
    return 0;
}

void *queue_get(struct queue *q)
{
    void *item = NULL;

    pthread_mutex_lock(&q->lock);
    while (q->length == 0 && !q->closed) {
        pthread_cond_wait(&q->not_empty, &q->lock);
    }
    if (q->length > 0) {
        item = q->items[q->head];
        q->head = (q->head + 1) % q->capacity;
        q->length--;
        pthread_cond_signal(&q->not_full);
    }
    pthread_mutex_unlock(&q->lock);
    return item;
}

void queue_close(struct queue *q)
{
    pthread_mutex_lock(&q->lock);
    q->closed = true;
    pthread_cond_broadcast(&q->not_empty);
    pthread_cond_broadcast(&q->not_full);
    pthread_mutex_unlock(&q->lock);
}

size_t queue_length(struct queue *q)
{
    size_t length;

    pthread_mutex_lock(&q->lock);
    length = q->length;
    pthread_mutex_unlock(&q->lock);
    return length;
}
