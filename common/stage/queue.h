/*
 * queue.h - a bounded blocking FIFO of pointers shared by threads: the
 * contract of labs/03-threads/queue.c.
 *
 * The accept loop puts each accepted connection in; worker threads take
 * them out in the order they came. The queue is bounded, so a flood of
 * clients cannot make it grow without limit: when it is full, queue_put
 * waits for a free slot until its deadline (back-pressure), and the accept
 * loop then turns the client away with 503. When it is empty, queue_get
 * waits. queue_close wakes every waiting thread, for shutdown.
 *
 * Interface:
 *   struct queue (opaque)
 *   queue_new, queue_free, queue_put, queue_get, queue_close, queue_length
 *
 * Thread-safe: any thread may call any function at any time, except
 * queue_free, once no other thread uses the queue.
 */
#ifndef QUEUE_H
#define QUEUE_H

#include <stddef.h>
#include <stdint.h>

struct queue;

/*
 * queue_new - an empty, open queue that holds at most capacity items.
 *
 * Returns the queue, which the caller frees with queue_free, or NULL with
 * errno set: EINVAL when capacity is 0, ENOMEM.
 */
struct queue *queue_new(size_t capacity);

/*
 * queue_free - free q (NULL is fine). Items still inside are not freed:
 * drain the queue first if they own memory or file descriptors.
 */
void queue_free(struct queue *q);

/*
 * queue_put - append item (not NULL) at the tail of q.
 *
 * Waits while q is full, until deadline (deadline.h; DEADLINE_NONE waits
 * as long as it takes). Returns 0, or -1 with errno set: ETIMEDOUT when q
 * was still full at the deadline, EPIPE when q is closed. On failure the
 * caller still owns item.
 */
int queue_put(struct queue *q, void *item, int64_t deadline)
    __attribute__((warn_unused_result));

/*
 * queue_get - remove and return the item at the head of q.
 *
 * Waits while q is empty and open. Returns NULL once q is closed and
 * empty: that is how a worker learns to finish.
 */
void *queue_get(struct queue *q);

/*
 * queue_close - refuse further puts and wake every waiting thread. Items
 * already inside can still be taken out. Closing twice is harmless.
 */
void queue_close(struct queue *q);

/*
 * queue_length - the number of items in q right now (a snapshot: another
 * thread may change it the moment the lock is released).
 */
size_t queue_length(struct queue *q);

#endif /* QUEUE_H */
