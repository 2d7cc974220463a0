/*
 * proxy_cache.h - the given glue around the stage 05 cache
 * (proxy05_cache.c).
 *
 * For each GET that may be answered from the cache, the glue looks its
 * absolute URI up; a hit is sent straight from the stored bytes with an
 * Age and an "X-Cache: HIT" header, a miss goes to forward_request
 * through a sink that passes the response on (marked "X-Cache: MISS") and
 * keeps a copy. If the copy is complete, small enough and storable
 * (freshness.h), it is inserted into the cache (cache.h).
 *
 * Interface:
 *   proxy_cache_start, proxy_cache_stop   the stage table's start and stop
 *   proxy_cache_exchange                  the stage table's exchange
 *
 * Thread-safe: the cache has its own lock; everything else is per call.
 */
#ifndef PROXY_CACHE_H
#define PROXY_CACHE_H

#include "forward.h"
#include "http.h"
#include "proxy.h"
#include "rio.h"

/*
 * proxy_cache_start - make cfg->cache, of cfg->cache_bytes in all and
 * cfg->cache_object per response. Returns 0, or -1 with errno set.
 */
int proxy_cache_start(struct proxy_config *cfg);

/* proxy_cache_stop - free cfg->cache, once no thread uses it any more. */
void proxy_cache_stop(struct proxy_config *cfg);

/*
 * proxy_cache_exchange - answer req from the cache, or forward it and
 * store the response if it may be stored. Returns as forward_request
 * does; *note becomes "HIT", "MISS", or NULL when the cache was not used.
 */
int proxy_cache_exchange(struct rio *client, const struct http_request *req,
                         const struct proxy_config *cfg,
                         struct forward_result *res, const char **note);

#endif /* PROXY_CACHE_H */
