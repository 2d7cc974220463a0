/*
 * proxy07_persist.c - stage 07's part: kept client connections (given
 * glue; see proxy_persist.h and persist.h).
 *
 * Each answer gets a framer of its own, on the heap: it holds two heads
 * (about 80 KiB), too much for a worker's stack beside the request. The
 * origin side is proxy07_origins.c: HTTP/1.1 on kept connections, from a
 * pool of -u per origin and -U in all.
 *
 * With -k 0 there is no framer and no pool: every answer goes out as stage
 * 06 sends it, every request goes to its origin as forward_request sends
 * it, and every connection closes after one (the graded tests of labs 1-6
 * run stage 07's program so). -u 0 keeps client connections only.
 */
#include <stdbool.h>
#include <stdlib.h>

#include "die.h"
#include "forward.h"
#include "persist.h"
#include "pool.h"
#include "proxy.h"
#include "proxy_origins.h"
#include "proxy_persist.h"
#include "sink.h"
#include "stage.h"

/* The options of stage 07 (-k, -u, -U, -K). */
struct persist_options {
    int idle_ms;             /* a kept connection may wait this long for a
                                request; 0: no connection is kept */
    struct pool_config pool; /* per_origin 0: no origin connection kept */
};

/* The part's state. */
struct persist {
    struct persist_options opt;
    struct origins *origins;              /* NULL without a pool */
    const struct forward_config *forward; /* without a pool */
};

/* A framer and the sink the core writes the answer to. */
struct answer {
    struct sink sink;
    struct sink client;
    struct persist_framer framer;
};

static struct persist_options options = {
    .idle_ms = 15000, /* between Apache's 5 s and nginx's 75 s */
    /* An idle origin connection is closed after 3 s: less than the 5 s
     * Apache and the 4 s Node.js give it, so that an origin seldom closes
     * one just as it is reused (that costs a retry). */
    .pool = { .per_origin = 16, .total = 256, .idle_ms = 3000 },
};

/* option - apply -k, -u, -U or -K. */
static bool option(int letter, const char *arg)
{
    switch (letter) {
    case 'k':
        options.idle_ms = int_arg(arg, 0, PROXY_MAX_MS, "-k KEEP_MS");
        return true;
    case 'u':
        options.pool.per_origin =
            (size_t)int_arg(arg, 0, POOL_MAX_TOTAL, "-u PER_ORIGIN");
        return true;
    case 'U':
        options.pool.total =
            (size_t)int_arg(arg, 1, POOL_MAX_TOTAL, "-U TOTAL");
        return true;
    case 'K':
        options.pool.idle_ms =
            int_arg(arg, 1, PROXY_MAX_MS, "-K ORIGIN_IDLE_MS");
        return true;
    default:
        return false;
    }
}

/* start - the options, and the pool if connections are kept. */
static void *start(const struct proxy *proxy)
{
    struct persist *p = malloc(sizeof(*p));

    if (p == NULL) {
        return NULL;
    }
    p->opt = options;
    p->forward = &proxy->cfg.forward;
    p->origins = NULL;
    if (p->opt.pool.per_origin > p->opt.pool.total) {
        p->opt.pool.per_origin = p->opt.pool.total; /* -U 8 alone: 8 */
    }
    if (p->opt.idle_ms > 0 && p->opt.pool.per_origin > 0) {
        p->origins = origins_new(&p->opt.pool, &proxy->cfg.forward);
        if (p->origins == NULL) {
            free(p);
            return NULL;
        }
    }
    return p;
}

/* stop - close the idle origin connections. */
static void stop(void *state)
{
    struct persist *p = state;

    origins_free(p->origins);
    free(p);
}

/* forward - on a kept origin connection, or as stage 06 does. */
static int forward(void *state, const struct http_request *req,
                   struct rio *client, struct sink *sink,
                   struct forward_result *res)
{
    struct persist *p = state;

    if (p->origins == NULL) {
        return forward_request(req, client, sink, p->forward, res);
    }
    return origins_forward(p->origins, req, client, sink, res);
}

/* write_to_framer - the write callback of an answer's sink. */
static ssize_t write_to_framer(struct sink *sink, const void *buf, size_t n)
{
    struct answer *answer = sink->arg;

    return persist_framer_write(&answer->framer, buf, n);
}

/* write_as_is - the write callback of an answer's sink with -k 0. */
static ssize_t write_as_is(struct sink *sink, const void *buf, size_t n)
{
    struct answer *answer = sink->arg;

    return sink_write(&answer->client, buf, n);
}

/* respond - a framer for the answer to req, in front of client. */
static struct sink *respond(void *state, struct rio *client,
                            const struct http_request *req)
{
    const struct persist *p = state;
    struct answer *answer = malloc(sizeof(*answer));

    if (answer == NULL) {
        return NULL;
    }
    answer->client = sink_to_rio(client);
    answer->sink = (struct sink){ .write = write_to_framer, .arg = answer };
    if (p->opt.idle_ms == 0) {
        answer->sink.write = write_as_is;
        return &answer->sink;
    }
    persist_framer_init(&answer->framer, req, &answer->client);
    return &answer->sink;
}

/* answered - whether the answer left the connection fit for another
 * request; free its framer. */
static int answered(void *state, struct sink *to_client, bool complete)
{
    const struct persist *p = state;
    struct answer *answer = to_client->arg;
    bool keep =
        p->opt.idle_ms > 0 && persist_framer_end(&answer->framer, complete);

    free(answer);
    return keep ? p->opt.idle_ms : 0;
}

const struct stage_part proxy_persist_part = {
    .name = "persist",
    .optstring = "k:u:U:K:",
    .help = "  -k KEEP_MS    how long a kept client connection may wait for\n"
            "                its next request (default 15000; 0: close every\n"
            "                connection after one answer, as stage 06)\n"
            "  -u PER_ORIGIN idle origin connections kept for one origin\n"
            "                (default 16; 0: a new one for every request,\n"
            "                in HTTP/1.0, as stage 06)\n"
            "  -U TOTAL      idle origin connections kept in all (default\n"
            "                256; -u is at most this)\n"
            "  -K ORIGIN_IDLE_MS  how long an idle origin connection is\n"
            "                kept (default 3000)\n",
    .option = option,
    .start = start,
    .stop = stop,
    .forward = forward,
    .respond = respond,
    .answered = answered,
};
