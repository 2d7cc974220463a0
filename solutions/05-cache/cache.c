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

/* hash_key - FNV-1a: xor in each byte, then multiply by the prime. */
static uint32_t hash_key(const char *key)
{
    uint32_t hash = FNV_OFFSET;

    for (const unsigned char *p = (const unsigned char *)key; *p != '\0'; p++) {
        hash ^= *p;
        hash *= FNV_PRIME;
    }
    return hash;
}

/* bucket_of - the chain where an object with this hash is stored. */
static struct cache_object **bucket_of(struct cache *cache, uint32_t hash)
{
    return &cache->buckets[hash % CACHE_BUCKETS];
}

/* find - the object stored under key, or NULL. Lock held. */
static struct cache_object *find(struct cache *cache, const char *key,
                                 uint32_t hash)
{
    struct cache_object *object = *bucket_of(cache, hash);

    while (object != NULL &&
           (object->hash != hash || strcmp(object->key, key) != 0)) {
        object = object->next;
    }
    return object;
}

/* lru_take_out - unlink object from the LRU list. Lock held. */
static void lru_take_out(struct cache *cache, struct cache_object *object)
{
    if (object->newer != NULL) {
        object->newer->older = object->older;
    } else {
        cache->head = object->older;
    }
    if (object->older != NULL) {
        object->older->newer = object->newer;
    } else {
        cache->tail = object->newer;
    }
    object->newer = NULL;
    object->older = NULL;
}

/* lru_push_head - make object, not in the list, the most recently used.
 * Lock held. */
static void lru_push_head(struct cache *cache, struct cache_object *object)
{
    object->newer = NULL;
    object->older = cache->head;
    if (cache->head != NULL) {
        cache->head->newer = object;
    } else {
        cache->tail = object;
    }
    cache->head = object;
}

/* link_object - store object: its chain, the LRU head, the totals. The
 * reference object_new made becomes the cache's. Lock held. */
static void link_object(struct cache *cache, struct cache_object *object)
{
    struct cache_object **bucket = bucket_of(cache, object->hash);

    object->next = *bucket;
    *bucket = object;
    lru_push_head(cache, object);
    cache->bytes += object->size;
    cache->count++;
}

/* unlink_object - take object out of the cache and push it on *doomed, a
 * list whose cache references the caller drops once it has unlocked
 * (release_list). Lock held. */
static void unlink_object(struct cache *cache, struct cache_object *object,
                          struct cache_object **doomed)
{
    struct cache_object **p = bucket_of(cache, object->hash);

    while (*p != object) {
        p = &(*p)->next;
    }
    *p = object->next;
    lru_take_out(cache, object);
    cache->bytes -= object->size;
    cache->count--;
    object->next = *doomed;
    *doomed = object;
}

/* release_list - drop the cache's reference to each object unlink_object
 * put on doomed. Called without the lock: this may free them. */
static void release_list(struct cache_object *doomed)
{
    while (doomed != NULL) {
        struct cache_object *next = doomed->next;

        cache_release(doomed);
        doomed = next;
    }
}

struct cache_object *cache_lookup(struct cache *cache, const char *key)
{
    uint32_t hash = hash_key(key);
    struct cache_object *object;

    pthread_mutex_lock(&cache->lock);
    object = find(cache, key, hash);
    if (object != NULL) {
        lru_take_out(cache, object);
        lru_push_head(cache, object);
        /* Relaxed: the cache's own reference, held under the lock, keeps
         * the object alive while the count goes up. */
        atomic_fetch_add_explicit(&object->refs, 1, memory_order_relaxed);
    }
    pthread_mutex_unlock(&cache->lock);
    return object;
}

/* object_new - a copy of the response and key in one allocation, with one
 * reference (to become the cache's), or NULL with errno set (ENOMEM). */
static struct cache_object *object_new(const char *key, const char *variant,
                                       const void *response, size_t len,
                                       int64_t stored_at, int64_t expires)
{
    size_t key_size = strlen(key) + 1;
    size_t variant_size = strlen(variant) + 1;
    struct cache_object *object;
    char *key_copy;

    if (len > SIZE_MAX - sizeof(*object) - key_size - variant_size) {
        errno = ENOMEM;
        return NULL;
    }
    object = malloc(sizeof(*object) + len + key_size + variant_size);
    if (object == NULL) {
        return NULL;
    }
    if (len > 0) {
        memcpy(object->bytes, response, len);
    }
    key_copy = object->bytes + len;
    memcpy(key_copy, key, key_size);
    memcpy(key_copy + key_size, variant, variant_size);
    object->variant = key_copy + key_size;
    atomic_init(&object->refs, 1);
    object->next = object->newer = object->older = NULL;
    object->hash = hash_key(key);
    object->size = len;
    object->stored_at = stored_at;
    object->expires = expires;
    object->key = key_copy;
    return object;
}

/* make_room - evict least recently used objects until len more bytes fit
 * in max_bytes, pushing them on *doomed. Lock held. */
static void make_room(struct cache *cache, size_t len,
                      struct cache_object **doomed)
{
    /* bytes <= max_bytes always, so the subtraction cannot wrap. */
    while (len > cache->max_bytes - cache->bytes) {
        assert(cache->tail != NULL); /* len <= max_object <= max_bytes */
        unlink_object(cache, cache->tail, doomed);
    }
}

int cache_insert(struct cache *cache, const char *key, const char *variant,
                 const void *response, size_t len, int64_t stored_at,
                 int64_t expires)
{
    struct cache_object *doomed = NULL;
    struct cache_object *object;
    struct cache_object *old;

    if (len > cache->max_object) {
        errno = EFBIG;
        return -1;
    }
    /* Copy before locking: other threads wait only for pointer moves. */
    object = object_new(key, variant, response, len, stored_at, expires);
    if (object == NULL) {
        return -1;
    }
    pthread_mutex_lock(&cache->lock);
    old = find(cache, key, object->hash);
    if (old != NULL) {
        unlink_object(cache, old, &doomed);
    }
    make_room(cache, len, &doomed);
    link_object(cache, object);
    pthread_mutex_unlock(&cache->lock);
    release_list(doomed);
    return 0;
}

void cache_remove(struct cache *cache, const char *key)
{
    uint32_t hash = hash_key(key);
    struct cache_object *doomed = NULL;
    struct cache_object *object;

    pthread_mutex_lock(&cache->lock);
    object = find(cache, key, hash);
    if (object != NULL) {
        unlink_object(cache, object, &doomed);
    }
    pthread_mutex_unlock(&cache->lock);
    release_list(doomed);
}

void cache_release(struct cache_object *object)
{
    if (object == NULL) {
        return;
    }
    /* Acquire-release: every other holder's reads of the object happen
     * before its drop (release), and the thread that drops the last
     * reference sees them all (acquire) before it frees. */
    if (atomic_fetch_sub_explicit(&object->refs, 1, memory_order_acq_rel) ==
        1) {
        free(object);
    }
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
