/*
 * proxy_origins.h - stage 07's kept origin connections (proxy07_origins.c,
 * given glue): requests forwarded in HTTP/1.1 on connections taken from
 * the pool (pool.h) or opened anew, and given back when their answer
 * ended exactly (upstream.h).
 *
 * Interface:
 *   struct origins (opaque)
 *   origins_new, origins_free, origins_forward
 *
 * Thread-safe: origins_forward may run in every worker at once.
 */
#ifndef PROXY_ORIGINS_H
#define PROXY_ORIGINS_H

#include "forward.h"
#include "http.h"
#include "pool.h"
#include "rio.h"
#include "sink.h"

struct origins;

/*
 * origins_new - kept origin connections, pooled as cfg says, reached with
 * the timeouts and cancel fd of forward (which must outlive them).
 * Returns them, or NULL with errno set.
 */
struct origins *origins_new(const struct pool_config *cfg,
                            const struct forward_config *forward);

/* origins_free - close every idle origin connection. NULL does nothing. */
void origins_free(struct origins *origins);

/*
 * origins_forward - forward req as forward_request does (and returns),
 * in HTTP/1.1 on a kept connection when it may go on one
 * (upstream_may_reuse) and one is idle, else on a new one; once more on a
 * new one when a reused connection was found closed before any answer;
 * the connection back to the pool when its answer ended exactly.
 */
int origins_forward(struct origins *origins, const struct http_request *req,
                    struct rio *client, struct sink *sink,
                    struct forward_result *res)
    __attribute__((warn_unused_result));

#endif /* PROXY_ORIGINS_H */
