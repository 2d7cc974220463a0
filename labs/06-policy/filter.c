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

struct filter *filter_new(struct blocklist *list)
{
    /* TODO(lab6.4): allocate the filter and its first snapshot (refs 1:
     * the filter's) holding list; init the lock. On failure free list and
     * return NULL with errno ENOMEM. */
    (void)list;
    log_error("TODO(lab6.4): filter_new is not written yet");
    errno = ENOSYS;
    return NULL;
}

void filter_free(struct filter *filter)
{
    /* TODO(lab6.4): drop the filter's reference to its snapshot (the last
     * reference frees the list and the snapshot), then the filter. */
    (void)filter;
    log_error("TODO(lab6.4): filter_free is not written yet");
}

int filter_replace(struct filter *filter, struct blocklist *list)
{
    /* TODO(lab6.4): make a snapshot of list before locking; under the
     * lock swap it in as current; after unlocking drop the filter's
     * reference to the old one. */
    (void)filter;
    (void)list;
    log_error("TODO(lab6.4): filter_replace is not written yet");
    errno = ENOSYS;
    return -1;
}

bool filter_check(struct filter *filter, const char *host, const char *port,
                  char *rule, size_t rulesize)
{
    /* TODO(lab6.4): under the lock take a reference to the current
     * snapshot (atomic_fetch_add); unlocked, blocklist_match, copy the
     * rule out, then drop the reference (whoever drops the last frees). */
    (void)filter;
    (void)host;
    (void)port;
    (void)rule;
    (void)rulesize;
    log_error("TODO(lab6.4): filter_check is not written yet");
    return false;
}
