/*
 * cache.h - a shared in-memory web cache with LRU eviction: the contract
 * of labs/05-cache/cache.c.
 *
 * The cache maps a key (the request's absolute URI) to a stored response:
 * status line, headers and body, byte for byte, and the secondary key of
 * the request it answered (RFC 9111 section 4.1: the values of the
 * request fields its Vary names). Its total size and the
 * size of each object are bounded; when an insert would overflow the
 * total, the least recently used objects are evicted first.
 *
 * Many worker threads use one cache. One mutex guards its structure (the
 * table, the LRU list, the byte count) and is never held across network
 * I/O: a lookup takes a reference to the object under the lock and
 * returns; the caller sends the object's bytes without the lock, then
 * drops the reference. Objects are immutable once stored, so any number
 * of threads may send the same one at once, and eviction only unlinks an
 * object: its memory goes when the last reference is dropped.
 *
 * Interface:
 *   struct cache, struct cache_object (both opaque)
 *   cache_new, cache_free, cache_lookup, cache_insert, cache_remove,
 *   cache_release, cache_object_data, cache_object_size,
 *   cache_object_stored_at, cache_object_expires, cache_object_variant,
 *   cache_bytes, cache_count
 *
 * Thread-safe: every function, from any thread.
 */
#ifndef CACHE_H
#define CACHE_H

#include <stddef.h>
#include <stdint.h>

struct cache;
struct cache_object;

/*
 * cache_new - an empty cache holding at most max_bytes of responses in
 * all, none larger than max_object bytes. Returns the cache, which the
 * caller frees with cache_free, or NULL with errno set (EINVAL when
 * max_object is 0 or larger than max_bytes, ENOMEM).
 */
struct cache *cache_new(size_t max_bytes, size_t max_object);

/*
 * cache_free - free cache and every object in it (NULL is fine). No other
 * thread may use the cache or hold one of its objects any more.
 */
void cache_free(struct cache *cache);

/*
 * cache_lookup - the object stored under key, fresh or stale, as a
 * reference the caller must drop with cache_release. Finding it makes it
 * the most recently used. A stale object stays stored: the caller may
 * revalidate it (RFC 9111 section 4.3), replace it, or remove it; it is
 * fresh while now < cache_object_expires(object).
 * Returns the object, or NULL when nothing is stored under key.
 */
struct cache_object *cache_lookup(struct cache *cache, const char *key);

/*
 * cache_insert - store a copy of the response (len bytes) under key, with
 * a copy of variant, its secondary key ("" when it has no Vary), fresh
 * until expires (seconds since 1970); stored_at is when its age was 0:
 * when it was received, less the age it had then (RFC 9111 section 4.2.3).
 * An object already stored under key is replaced. Least recently used
 * objects are evicted until the total fits in max_bytes.
 * Returns 0, or -1 with errno set: EFBIG when len is over max_object (the
 * cache is unchanged), ENOMEM.
 */
int cache_insert(struct cache *cache, const char *key, const char *variant,
                 const void *response, size_t len, int64_t stored_at,
                 int64_t expires);

/*
 * cache_remove - remove the object stored under key, if any (a POST or
 * PUT to a URI makes what is stored for it out of date: RFC 9111
 * section 4.4).
 */
void cache_remove(struct cache *cache, const char *key);

/*
 * cache_release - drop a reference cache_lookup returned (NULL is fine).
 * The object is freed when it has been evicted and this was the last
 * reference.
 */
void cache_release(struct cache_object *object);

/* cache_object_data - the stored response's bytes; valid while the caller
 * holds its reference. */
const void *cache_object_data(const struct cache_object *object);

/* cache_object_size - the stored response's length in bytes. */
size_t cache_object_size(const struct cache_object *object);

/* cache_object_stored_at - when the response's age was 0 (seconds since
 * 1970): now minus that is the Age a hit carries. */
int64_t cache_object_stored_at(const struct cache_object *object);

/* cache_object_expires - when the response stops being fresh (seconds
 * since 1970), as cache_insert got it. */
int64_t cache_object_expires(const struct cache_object *object);

/* cache_object_variant - the secondary key cache_insert got with it. */
const char *cache_object_variant(const struct cache_object *object);

/* cache_bytes - the bytes of responses stored right now (keys and
 * bookkeeping not counted). */
size_t cache_bytes(struct cache *cache);

/* cache_count - the number of objects stored right now. */
size_t cache_count(struct cache *cache);

#endif /* CACHE_H */
