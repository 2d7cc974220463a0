/*
 * proxy05_cache.c - stage 05's part: the given glue around the cache; see
 * proxy_cache.h.
 *
 * Reads as the exchange does: make the key, try a hit, otherwise forward
 * through a tee sink and store what came back if it may be stored. The
 * cache's lock is taken only inside cache.c and never across network I/O:
 * a hit is sent from a referenced object after cache_lookup has returned.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cache.h"
#include "die.h"
#include "forward.h"
#include "freshness.h"
#include "http.h"
#include "log.h"
#include "proxy.h"
#include "proxy_cache.h"
#include "rio.h"
#include "sink.h"
#include "stage.h"

/* A key at most: "http://host:port" and the path. */
#define KEY_MAX   (HTTP_MAXLINE + HTTP_MAXHOST + 16)
#define MISS_MARK "X-Cache: MISS\r\n"
#define JOIN_MAX  16384 /* a chunk this small goes out marked in one write */

/* The options of stage 05 (-m, -o, -e). */
struct cache_options {
    size_t bytes;        /* the cache's total size */
    size_t object;       /* the largest response it stores */
    int64_t heuristic_s; /* the lifetime of a response that gives none */
};

/* The part's state: the shared cache and what it was made with. */
struct proxy_cache {
    struct cache *cache; /* thread-safe: it has its own lock */
    struct cache_options opt;
    const struct forward_config *forward; /* for the misses */
};

static struct cache_options options = {
    .bytes = 1048576, /* the CS:APP Proxy Lab's sizes */
    .object = 102400,
    .heuristic_s = FRESHNESS_HEURISTIC_S,
};

/* A sink that passes a response on to the client, marked as a miss, and
 * keeps a copy of it while it may still be stored: until it outgrows the
 * cache's object size, or its head says no cache may keep it. */
struct tee {
    struct sink *out;               /* the client */
    const struct http_request *req; /* what the response answers */
    int64_t heuristic_s;            /* for freshness_of */
    char *copy;                     /* the response so far, or NULL */
    size_t len;                     /* bytes in copy */
    size_t cap;                     /* bytes allocated for copy */
    size_t max;                     /* the largest response stored */
    size_t head;                    /* the head's length, 0 until whole */
    int64_t requested;              /* when the request went out */
    int64_t received;               /* when the head was whole */
    struct freshness fresh;         /* what freshness_of said of the head */
    bool dropped;                   /* nothing to store: copy freed */
    bool marked;                    /* MISS_MARK went out */
};

/* option - apply -m, -o or -e. */
static bool option(int letter, const char *arg)
{
    switch (letter) {
    case 'm':
        options.bytes = (size_t)int_arg(arg, 1, INT_MAX, "-m CACHE_BYTES");
        return true;
    case 'o':
        options.object = (size_t)int_arg(arg, 1, INT_MAX, "-o OBJECT_BYTES");
        return true;
    case 'e':
        options.heuristic_s =
            int_arg(arg, 0, PROXY_MAX_MS / 1000, "-e HEURISTIC_S");
        return true;
    default:
        return false;
    }
}

/* start - make the shared cache. */
static void *start(const struct proxy_config *cfg)
{
    struct proxy_cache *pc = malloc(sizeof(*pc));

    if (pc == NULL) {
        return NULL;
    }
    pc->opt = options;
    pc->forward = &cfg->forward;
    pc->cache = cache_new(options.bytes, options.object);
    if (pc->cache == NULL) {
        free(pc);
        return NULL;
    }
    log_info("cache: %zu bytes in all, %zu per response", options.bytes,
             options.object);
    return pc;
}

/* stop - free the cache, once no thread uses it any more. */
static void stop(void *state)
{
    struct proxy_cache *pc = state;

    cache_free(pc->cache);
    free(pc);
}

/* make_key - req's absolute URI, "http://host:port/path", into key: the
 * cache key comes from the URI, never from Host (RFC 9111 section 7.1).
 * False if it does not fit. */
static bool make_key(const struct http_request *req, char *key, size_t size)
{
    bool v6 = strchr(req->host, ':') != NULL;
    int n = snprintf(key, size, "http://%s%s%s:%s%s", v6 ? "[" : "", req->host,
                     v6 ? "]" : "", req->port, req->path);

    return n > 0 && (size_t)n < size;
}

/* write_inserted - write the n bytes of buf to out with ins (ins_len
 * bytes) inserted after the first at: as few writes as JOIN_MAX allows,
 * since each write is a packet the client must wake up for. Returns 0, or
 * -1 when the client is gone. */
static int write_inserted(struct sink *out, const char *buf, size_t at,
                          size_t n, const char *ins, size_t ins_len)
{
    char joined[JOIN_MAX];
    size_t start = at + ins_len;
    size_t more;

    if (start > sizeof(joined)) {
        if (sink_write(out, buf, at) < 0 || sink_write(out, ins, ins_len) < 0 ||
            sink_write(out, buf + at, n - at) < 0) {
            return -1;
        }
        return 0;
    }
    more = n - at < sizeof(joined) - start ? n - at : sizeof(joined) - start;
    memcpy(joined, buf, at);
    memcpy(joined + at, ins, ins_len);
    memcpy(joined + start, buf + at, more);
    if (sink_write(out, joined, start + more) < 0 ||
        sink_write(out, buf + at + more, n - at - more) < 0) {
        return -1;
    }
    return 0;
}

/* status_of - the status code of the stored response data, for the log:
 * its status line is "HTTP/1.1 NNN" (http_format_response wrote it). */
static int status_of(const char *data, size_t len)
{
    return len > 12 ? (int)strtol(data + 9, NULL, 10) : 0;
}

/* serve_hit - send the stored response with "Age" and "X-Cache: HIT"
 * added after its status line (RFC 9111 section 5.1: a cache MUST send
 * Age). Returns 0, or -1 when the client is gone. */
static int serve_hit(struct rio *client, const struct cache_object *object,
                     int64_t now, struct forward_result *res)
{
    const char *data = cache_object_data(object);
    size_t len = cache_object_size(object);
    const char *eol = memchr(data, '\n', len);
    size_t first = eol != NULL ? (size_t)(eol - data) + 1 : len;
    int64_t age = now - cache_object_stored_at(object);
    struct sink to_client = sink_to_rio(client);
    char added[64];
    int n = snprintf(added, sizeof(added),
                     "Age: %" PRId64 "\r\nX-Cache: HIT\r\n", age > 0 ? age : 0);

    if (write_inserted(&to_client, data, first, len, added, (size_t)n) < 0) {
        return -1;
    }
    *res = (struct forward_result){ .status = status_of(data, len),
                                    .bytes = len + (uint64_t)n,
                                    .complete = true };
    return 0;
}

/* head_length - the length of the head at the start of response (through
 * its blank line), or 0 if the head does not end within len. */
static size_t head_length(const char *response, size_t len)
{
    for (size_t i = 0; i + 1 < len; i++) {
        if (response[i] == '\n' && (response[i + 1] == '\n' ||
                                    (response[i + 1] == '\r' && i + 2 < len &&
                                     response[i + 2] == '\n'))) {
            return i + (response[i + 1] == '\n' ? 2 : 3);
        }
    }
    return 0;
}

/* drop - give the tee's copy up: the response will not be stored. */
static void drop(struct tee *tee)
{
    tee->dropped = true;
    free(tee->copy);
    tee->copy = NULL;
}

/* judge_head - once the copy holds the whole head, ask freshness_of about
 * it, and drop the copy at once if the response may not be stored: the
 * rest of it is then never copied. */
static void judge_head(struct tee *tee)
{
    if (tee->head > 0) {
        return;
    }
    tee->head = head_length(tee->copy, tee->len);
    if (tee->head > 0) {
        tee->received = (int64_t)time(NULL);
        tee->fresh =
            freshness_of(tee->req, tee->copy, tee->head, tee->requested,
                         tee->received, tee->heuristic_s);
        if (!tee->fresh.storable) {
            drop(tee);
        }
    }
}

/* keep - append n bytes to the tee's copy, or give the copy up once the
 * response is larger than the cache would store. */
static void keep(struct tee *tee, const void *buf, size_t n)
{
    char *grown;

    if (tee->dropped) {
        return;
    }
    if (tee->len + n > tee->max) {
        drop(tee);
        return;
    }
    if (tee->len + n > tee->cap) {
        tee->cap = tee->len + n > 2 * tee->cap ? tee->len + n : 2 * tee->cap;
        tee->cap = tee->cap < tee->max ? tee->cap : tee->max;
        grown = realloc(tee->copy, tee->cap);
        if (grown == NULL) {
            drop(tee); /* no memory: just do not store it */
            return;
        }
        tee->copy = grown;
    }
    memcpy(tee->copy + tee->len, buf, n);
    tee->len += n;
    judge_head(tee);
}

/* pass_on - write n bytes to the client, adding MISS_MARK after the
 * status line's '\n', wherever the writes split the response. */
static ssize_t pass_on(struct tee *tee, const char *buf, size_t n)
{
    const char *eol = tee->marked ? NULL : memchr(buf, '\n', n);
    int rc;

    if (eol == NULL) {
        rc = sink_write(tee->out, buf, n) < 0 ? -1 : 0;
    } else {
        tee->marked = true;
        rc = write_inserted(tee->out, buf, (size_t)(eol - buf) + 1, n,
                            MISS_MARK, strlen(MISS_MARK));
    }
    return rc < 0 ? -1 : (ssize_t)n;
}

/* write_to_tee - the write callback of the tee sink. */
static ssize_t write_to_tee(struct sink *sink, const void *buf, size_t n)
{
    struct tee *tee = sink->arg;

    keep(tee, buf, n);
    return pass_on(tee, buf, n);
}

/* drop_age - take the Age lines out of the copy's head: a hit carries
 * the one Age the glue computes, never the origin's as well (RFC 9111
 * section 5.1). */
static void drop_age(struct tee *tee)
{
    char *end = tee->copy + tee->head;
    char *line = (char *)memchr(tee->copy, '\n', tee->head) + 1;

    while (line < end) {
        char *next = (char *)memchr(line, '\n', (size_t)(end - line)) + 1;
        size_t n = (size_t)(next - line);

        if (n > 4 && strncasecmp(line, "Age:", 4) == 0) {
            memmove(line, next, (size_t)(tee->copy + tee->len - next));
            tee->len -= n;
            tee->head -= n;
            end -= n;
        } else {
            line = next;
        }
    }
}

/* store - insert the tee's copy under key: its head was judged storable.
 * The cache counts its age from the moment it was as old as 0: when it
 * arrived, less the age it arrived with (RFC 9111 section 4.2.3). */
static void store(struct proxy_cache *pc, const char *key, struct tee *tee)
{
    int64_t born = tee->received - tee->fresh.age;

    drop_age(tee);
    if (cache_insert(pc->cache, key, tee->copy, tee->len, born,
                     born + tee->fresh.lifetime) < 0) {
        log_info("cache: cannot store %s:", key);
    }
}

/* forward_and_store - a miss: forward req through a tee, then store a
 * complete response that fits, if freshness_of allowed it. */
static int forward_and_store(struct rio *client, const struct http_request *req,
                             struct proxy_cache *pc, const char *key,
                             struct forward_result *res)
{
    struct sink to_client = sink_to_rio(client);
    struct tee tee = { .out = &to_client,
                       .req = req,
                       .heuristic_s = pc->opt.heuristic_s,
                       .requested = (int64_t)time(NULL),
                       .max = pc->opt.object };
    struct sink sink = { .write = write_to_tee, .arg = &tee };
    int rc = forward_request(req, client, &sink, pc->forward, res);

    if (tee.marked) {
        res->bytes += strlen(MISS_MARK); /* what the client received */
    }
    if (rc == 0 && res->complete && !tee.dropped && tee.head > 0) {
        store(pc, key, &tee);
    }
    free(tee.copy);
    return rc;
}

/* exchange - answer req from the cache, or forward it and store the
 * response if it may be stored. Returns as forward_request does;
 * out->note becomes "HIT" or "MISS" when the cache was asked. */
static int exchange(void *state, struct rio *client,
                    const struct http_request *req, struct forward_result *res,
                    struct outcome *out)
{
    struct proxy_cache *pc = state;
    struct sink to_client = sink_to_rio(client);
    struct cache_object *hit = NULL;
    char key[KEY_MAX];
    int rc;

    if (!make_key(req, key, sizeof(key)) || strcmp(req->method, "HEAD") == 0) {
        return forward_request(req, client, &to_client, pc->forward, res);
    }
    if (strcmp(req->method, "GET") != 0) {
        /* An unsafe method changes what the URI names: RFC 9111 4.4. */
        rc = forward_request(req, client, &to_client, pc->forward, res);
        if (rc == 0 && res->status >= 200 && res->status < 400) {
            cache_remove(pc->cache, key);
        }
        return rc;
    }
    if (freshness_allows_hit(req)) {
        hit = cache_lookup(pc->cache, key, (int64_t)time(NULL));
    }
    out->note = hit != NULL ? "HIT" : "MISS";
    if (hit == NULL) {
        return forward_and_store(client, req, pc, key, res);
    }
    rc = serve_hit(client, hit, (int64_t)time(NULL), res);
    cache_release(hit);
    return rc;
}

const struct stage_part proxy_cache_part = {
    .name = "cache",
    .optstring = "m:o:e:",
    .help = "  -m CACHE_BYTES   the cache's size (default 1048576)\n"
            "  -o OBJECT_BYTES  the largest response cached (default 102400)\n"
            "  -e HEURISTIC_S   how long a response that says nothing stays\n"
            "                fresh (default 0: not reused; the CS:APP lab's\n"
            "                cache keeps everything, as -e 300 does)\n",
    .option = option,
    .start = start,
    .stop = stop,
    .exchange = exchange,
};
