/*
 * cache.c - lab 05: the shared web cache, a hash table to find an object
 * by key and a doubly linked LRU list to choose what to evict.
 *
 * Every object sits in one bucket's chain and in the LRU list, most
 * recently used at the head, so eviction takes from the tail. One mutex
 * guards both, and the byte count. It is a plain mutex, not a
 * readers-writer lock, because every hit moves its object to the head of
 * the list: each lookup writes. The lock is held only while pointers
 * change; copying a response in, freeing evicted objects and sending a
 * hit to a client all happen outside it.
 *
 * That is safe because objects are reference-counted. The cache holds one
 * reference to each object it stores and each lookup takes another, so an
 * object evicted (or replaced, removed) while a thread is
 * still sending it is only unlinked; the last cache_release frees it.
 * A stale object stays until it is replaced, removed or evicted: the glue
 * may revalidate it with the origin (RFC 9111 section 4.3).
 * The count is a C11 atomic, not a field under the lock, because
 * cache_release is given only the object.
 */
#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "log.h"

#define CACHE_BUCKETS 1024        /* hash chains in the table */
#define FNV_OFFSET    2166136261u /* FNV-1a, 32 bits: the start value */
#define FNV_PRIME     16777619u   /* ... and the multiplier */

/*
 * A stored response. One allocation holds this struct, then the response
 * (size bytes), the key and its NUL, then the variant and its NUL.
 * Everything but the links and refs is written once, before the object is
 * stored, and only read after.
 */
struct cache_object {
    atomic_size_t refs;         /* 1 while stored, +1 per lookup not released */
    struct cache_object *next;  /* next in its bucket's chain (cache lock);
                                   once unlinked, next in a list of objects
                                   waiting to be released */
    struct cache_object *newer; /* LRU neighbor toward the head (lock) */
    struct cache_object *older; /* LRU neighbor toward the tail (lock) */
    uint32_t hash;              /* the key's FNV-1a hash */
    size_t size;                /* bytes of the response */
    int64_t stored_at;          /* when its age was 0 (seconds) */
    int64_t expires;            /* fresh while now < expires (seconds) */
    const char *key;            /* in this allocation, after the response */
    const char *variant;        /* in this allocation, after the key */
    char bytes[];               /* the response, the key, the variant */
};

struct cache {
    pthread_mutex_t lock;      /* guards head, tail, bytes, count, buckets and
                                  every stored object's next, newer, older */
    struct cache_object *head; /* most recently used */
    struct cache_object *tail; /* least recently used: evicted first */
    size_t bytes;              /* sum of the stored objects' sizes */
    size_t count;              /* objects stored */
    size_t max_bytes;          /* limits: set by cache_new, then read-only */
    size_t max_object;
    struct cache_object *buckets[CACHE_BUCKETS]; /* chains, by hash */
};

struct cache *cache_new(size_t max_bytes, size_t max_object)
{
    struct cache *cache;

    if (max_object == 0 || max_object > max_bytes) {
        errno = EINVAL;
        return NULL;
    }
    cache = calloc(1, sizeof(*cache));
    if (cache == NULL) {
        return NULL;
    }
    if (pthread_mutex_init(&cache->lock, NULL) != 0) {
        goto out_free;
    }
    cache->max_bytes = max_bytes;
    cache->max_object = max_object;
    return cache;

out_free:
    free(cache);
    errno = ENOMEM;
    return NULL;
}

void cache_free(struct cache *cache)
{
    struct cache_object *object;

    if (cache == NULL) {
        return;
    }
    object = cache->head;
    while (object != NULL) {
        struct cache_object *older = object->older;

        free(object);
        object = older;
    }
    pthread_mutex_destroy(&cache->lock);
    free(cache);
}

struct cache_object *cache_lookup(struct cache *cache, const char *key)
{
    /* TODO(lab5.3): with cache->lock held, find key's object in its bucket
     * (hash with FNV-1a: from FNV_OFFSET, for each byte hash ^= byte, then
     * hash *= FNV_PRIME). Found, fresh or stale: move it to the LRU head
     * and add a reference for the caller (atomic_fetch_add). */
    (void)cache;
    (void)key;
    log_error("TODO(lab5.3): cache_lookup is not written yet");
    return NULL;
}

int cache_insert(struct cache *cache, const char *key, const char *variant,
                 const void *response, size_t len, int64_t stored_at,
                 int64_t expires)
{
    /* TODO(lab5.4): EFBIG if len > max_object. Before locking, copy key,
     * variant and response into one new object (refs 1: the cache's). Locked:
     * unlink any object stored under key, evict from the LRU tail until
     * bytes + len <= max_bytes, link the new one at the head. Drop the
     * unlinked objects' references only after unlocking. */
    (void)cache;
    (void)key;
    (void)variant;
    (void)response;
    (void)len;
    (void)stored_at;
    (void)expires;
    log_error("TODO(lab5.4): cache_insert is not written yet");
    errno = ENOSYS;
    return -1;
}

void cache_remove(struct cache *cache, const char *key)
{
    /* TODO(lab5.5): with cache->lock held, unlink key's object from its
     * bucket and the LRU list and take it off the totals; drop the cache's
     * reference after unlocking. */
    (void)cache;
    (void)key;
    log_error("TODO(lab5.5): cache_remove is not written yet");
}

void cache_release(struct cache_object *object)
{
    /* TODO(lab5.5): drop one reference (atomic_fetch_sub); whoever drops
     * the last one (it returned 1) frees the object. NULL does nothing. */
    (void)object;
    log_error("TODO(lab5.5): cache_release is not written yet");
}

const void *cache_object_data(const struct cache_object *object)
{
    return object->bytes;
}

size_t cache_object_size(const struct cache_object *object)
{
    return object->size;
}

int64_t cache_object_stored_at(const struct cache_object *object)
{
    return object->stored_at;
}

int64_t cache_object_expires(const struct cache_object *object)
{
    return object->expires;
}

const char *cache_object_variant(const struct cache_object *object)
{
    return object->variant;
}

size_t cache_bytes(struct cache *cache)
{
    size_t bytes;

    pthread_mutex_lock(&cache->lock);
    bytes = cache->bytes;
    pthread_mutex_unlock(&cache->lock);
    return bytes;
}

size_t cache_count(struct cache *cache)
{
    size_t count;

    pthread_mutex_lock(&cache->lock);
    count = cache->count;
    pthread_mutex_unlock(&cache->lock);
    return count;
}
