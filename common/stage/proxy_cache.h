/*
 * proxy_cache.h - stage 05's part (proxy05_cache.c): the given glue
 * around the cache, and its options (-m -o -e).
 *
 * For each GET that may be answered from the cache, the glue looks its
 * absolute URI up; a hit is sent straight from the stored bytes with an
 * Age and an "X-Cache: HIT" header, a miss goes to forward_request
 * through a sink that passes the response on (marked "X-Cache: MISS") and
 * keeps a copy. If the copy is complete, small enough and storable
 * (freshness.h), it is inserted into the cache (cache.h). A stale object
 * with a validator is revalidated: the request goes out conditional, and
 * a 304 refreshes the stored head, whose body the client then gets as a
 * hit (RFC 9111 section 4.3). The part takes over the core's exchange
 * step (stage.h).
 *
 * Thread-safe: the cache has its own lock; everything else is per call.
 */
#ifndef PROXY_CACHE_H
#define PROXY_CACHE_H

#include "stage.h"

extern const struct stage_part proxy_cache_part;

#endif /* PROXY_CACHE_H */
