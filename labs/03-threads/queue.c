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

int queue_put(struct queue *q, void *item, int64_t deadline)
{
    /* TODO(lab3.2): with q->lock held, wait on not_full while the queue is
     * full and open (pthread_cond_timedwait with deadline_timespec, or
     * pthread_cond_wait for DEADLINE_NONE); then append item at
     * (head + length) % capacity and signal not_empty. Fail with EPIPE when
     * closed, ETIMEDOUT when the deadline passed. */
    (void)q;
    (void)item;
    (void)deadline;
    log_error("TODO(lab3.2): queue_put is not written yet");
    errno = ENOSYS;
    return -1;
}

void *queue_get(struct queue *q)
{
    /* TODO(lab3.2): with q->lock held, wait on not_empty while the queue is
     * empty and open; take the item at head, signal not_full. NULL once
     * closed and empty. */
    (void)q;
    log_error("TODO(lab3.2): queue_get is not written yet");
    return NULL;
}

void queue_close(struct queue *q)
{
    /* TODO(lab3.2): mark q closed and wake every waiter on both condition
     * variables (pthread_cond_broadcast). */
    (void)q;
    log_error("TODO(lab3.2): queue_close is not written yet");
}

size_t queue_length(struct queue *q)
{
    size_t length;

    pthread_mutex_lock(&q->lock);
    length = q->length;
    pthread_mutex_unlock(&q->lock);
    return length;
}
