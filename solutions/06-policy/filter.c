/*
 * filter.c - lab 06: the blocklist that worker threads check while a
 * reload replaces it, shared as a reference-counted read-only snapshot.
 *
 * The lock guards one pointer, the current snapshot, and is held only to
 * read or swap it, never while matching and never while a file is read.
 * A readers-writer lock held while matching would work too, but glibc's
 * default rwlock prefers readers, so under steady traffic a reload could
 * wait for ever; and with a snapshot a slow match never delays anyone.
 * The count of references is atomic because a check drops its reference
 * without taking the lock, as cache.c's objects do.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "blocklist.h"
#include "filter.h"
#include "log.h"

/* One blocklist and the number of holders: the filter while it is
 * current, plus each check that is using it. */
struct snapshot {
    atomic_size_t refs;
    struct blocklist *list;
};

struct filter {
    pthread_mutex_t lock;     /* guards current, the pointer only */
    struct snapshot *current; /* never NULL */
};

/* snapshot_new - a snapshot of list, held once (by the filter). */
static struct snapshot *snapshot_new(struct blocklist *list)
{
    struct snapshot *snap = malloc(sizeof(*snap));

    if (snap == NULL) {
        blocklist_free(list);
        errno = ENOMEM;
        return NULL;
    }
    atomic_init(&snap->refs, 1);
    snap->list = list;
    return snap;
}

/* snapshot_release - drop one reference; the last one frees the list. */
static void snapshot_release(struct snapshot *snap)
{
    if (atomic_fetch_sub(&snap->refs, 1) == 1) {
        blocklist_free(snap->list);
        free(snap);
    }
}

/* snapshot_acquire - a reference to the current snapshot, taken under the
 * lock so that a replace cannot free it in between. */
static struct snapshot *snapshot_acquire(struct filter *filter)
{
    struct snapshot *snap;

    pthread_mutex_lock(&filter->lock);
    snap = filter->current;
    atomic_fetch_add(&snap->refs, 1);
    pthread_mutex_unlock(&filter->lock);
    return snap;
}

struct filter *filter_new(struct blocklist *list)
{
    struct filter *filter = malloc(sizeof(*filter));

    if (filter == NULL) {
        blocklist_free(list);
        errno = ENOMEM;
        return NULL;
    }
    filter->current = snapshot_new(list);
    if (filter->current == NULL) {
        free(filter);
        return NULL;
    }
    pthread_mutex_init(&filter->lock, NULL);
    return filter;
}

void filter_free(struct filter *filter)
{
    if (filter == NULL) {
        return;
    }
    snapshot_release(filter->current);
    pthread_mutex_destroy(&filter->lock);
    free(filter);
}

int filter_replace(struct filter *filter, struct blocklist *list)
{
    struct snapshot *next = snapshot_new(list);
    struct snapshot *old;

    if (next == NULL) {
        return -1;
    }
    pthread_mutex_lock(&filter->lock);
    old = filter->current;
    filter->current = next;
    pthread_mutex_unlock(&filter->lock);
    snapshot_release(old); /* frees it now, or when its last check ends */
    return 0;
}

bool filter_check(struct filter *filter, const char *host, const char *port,
                  char *rule, size_t rulesize)
{
    struct snapshot *snap = snapshot_acquire(filter);
    const char *match = blocklist_match(snap->list, host, port);

    if (match != NULL) {
        snprintf(rule, rulesize, "%s", match); /* before the list can go */
    }
    snapshot_release(snap);
    return match != NULL;
}
