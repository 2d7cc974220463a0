/*
 * proxy07_origins.c - stage 07's kept origin connections (given glue; see
 * proxy_origins.h, pool.h and upstream.h).
 *
 * Each request takes a connection, lives its exchange on it alone, and
 * gives it back or closes it: a connection is never shared by two
 * requests at once, so the pool's lock is the only one.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

#include "deadline.h"
#include "forward.h"
#include "http.h"
#include "log.h"
#include "net.h"
#include "pool.h"
#include "proxy_origins.h"
#include "rio.h"
#include "sink.h"
#include "upstream.h"

struct origins {
    struct pool *pool;
    const struct forward_config *forward;
};

struct origins *origins_new(const struct pool_config *cfg,
                            const struct forward_config *forward)
{
    struct origins *origins = malloc(sizeof(*origins));

    if (origins == NULL) {
        return NULL;
    }
    origins->forward = forward;
    origins->pool = pool_new(cfg);
    if (origins->pool == NULL) {
        free(origins);
        return NULL;
    }
    return origins;
}

void origins_free(struct origins *origins)
{
    if (origins != NULL) {
        pool_free(origins->pool);
        free(origins);
    }
}

/* open_new - a new connection to req's origin into *fd. Returns 0, or the
 * status forward_request answers with: 502, 504 when it timed out. */
static int open_new(const struct origins *origins,
                    const struct http_request *req, int *fd)
{
    *fd = net_connect(req->host, req->port,
                      deadline_after(origins->forward->connect_ms));
    if (*fd >= 0) {
        return 0;
    }
    if (*fd == NET_ERR_DNS) {
        log_info("origin %s does not resolve", req->host);
        return 502;
    }
    log_info("cannot connect to %s port %s:", req->host, req->port);
    return errno == ETIMEDOUT ? 504 : 502;
}

/* exchange_on - one exchange of req on the connection fd. */
static int exchange_on(const struct origins *origins, int fd,
                       const struct http_request *req, struct rio *client,
                       struct sink *sink, struct forward_result *res,
                       struct upstream_end *end)
{
    struct rio origin;

    rio_init(&origin, fd);
    rio_set_idle_timeout(&origin, origins->forward->idle_ms);
    rio_set_cancel(&origin, origins->forward->cancel_fd);
    return upstream_exchange(req, client, &origin, sink, res, end);
}

int origins_forward(struct origins *origins, const struct http_request *req,
                    struct rio *client, struct sink *sink,
                    struct forward_result *res)
{
    struct upstream_end end;
    uint64_t length;
    bool chunked;
    int rc = upstream_body_length(req, &length, &chunked);
    int fd = -1;

    if (rc != 0) {
        return rc; /* before any connection is opened for it */
    }
    if (upstream_may_reuse(req)) {
        fd = pool_take(origins->pool, req->host, req->port);
    }
    if (fd >= 0) {
        rc = exchange_on(origins, fd, req, client, sink, res, &end);
        if (rc == 502 && end.silent) {
            /* The origin closed it as the request went: once more, on a
             * new one (RFC 9112 section 9.3.1). */
            log_info("kept connection to %s was closed: sending again",
                     req->host);
            close(fd);
            fd = -1;
        }
    }
    if (fd < 0) {
        rc = open_new(origins, req, &fd);
        if (rc != 0) {
            return rc;
        }
        rc = exchange_on(origins, fd, req, client, sink, res, &end);
    }
    if (end.reusable) {
        pool_give(origins->pool, req->host, req->port, fd);
    } else {
        close(fd);
    }
    return rc;
}
