/*
 * proxy05_cache.c - stage 05's part: the given glue around the cache; see
 * proxy_cache.h.
 *
 * Reads as the exchange does: make the key, try a hit, otherwise forward
 * through a tee sink and store what came back if it may be stored; a
 * stale object is revalidated on the way, a probe sink in front of the
 * tee catching the origin's 304 (RFC 9111 section 4.3). The
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
#define KEY_MAX     (HTTP_MAXLINE + HTTP_MAXHOST + 16)
#define MISS_MARK   "X-Cache: MISS\r\n"
#define JOIN_MAX    16384 /* a chunk this small goes out marked in one write */
#define VARIANT_MAX 4096  /* the longest secondary key (Vary) stored */

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
    const struct proxy *proxy; /* proxy_forward: the misses */
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
static void *start(const struct proxy *proxy)
{
    struct proxy_cache *pc = malloc(sizeof(*pc));

    if (pc == NULL) {
        return NULL;
    }
    pc->opt = options;
    pc->proxy = proxy;
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

/* status_of - the status code of the response data, for the log: its
 * status line is "HTTP/1.1 NNN" (http_format_response wrote it). */
static int status_of(const char *data, size_t len)
{
    return len > 12 ? (int)strtol(data + 9, NULL, 10) : 0;
}

/* serve_stored - send a stored response (len bytes of data) with
 * "Age: age" and "X-Cache: HIT" added after its status line (RFC 9111
 * section 5.1: a cache MUST send Age). Returns 0, or -1 when the client is
 * gone. */
static int serve_stored(struct sink *to_client, const char *data, size_t len,
                        int64_t age, struct forward_result *res)
{
    const char *eol = memchr(data, '\n', len);
    size_t first = eol != NULL ? (size_t)(eol - data) + 1 : len;
    char added[64];
    int n = snprintf(added, sizeof(added),
                     "Age: %" PRId64 "\r\nX-Cache: HIT\r\n", age > 0 ? age : 0);

    if (write_inserted(to_client, data, first, len, added, (size_t)n) < 0) {
        return -1;
    }
    *res = (struct forward_result){ .status = status_of(data, len),
                                    .bytes = len + (uint64_t)n,
                                    .complete = true };
    return 0;
}

/* serve_hit - send a fresh object; its age counts from when it was as old
 * as 0 (cache_object_stored_at). */
static int serve_hit(struct sink *to_client, const struct cache_object *object,
                     int64_t now, struct forward_result *res)
{
    return serve_stored(to_client, cache_object_data(object),
                        cache_object_size(object),
                        now - cache_object_stored_at(object), res);
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

/* line_length - the length of the line text starts with, its '\n'
 * included (len at most). */
static size_t line_length(const char *text, size_t len)
{
    const char *lf = memchr(text, '\n', len);

    return lf != NULL ? (size_t)(lf - text) + 1 : len;
}

/* is_field - whether line (n bytes) is a field called name (name_len
 * bytes, any case). */
static bool is_field(const char *line, size_t n, const char *name,
                     size_t name_len)
{
    return n > name_len && line[name_len] == ':' &&
           strncasecmp(line, name, name_len) == 0;
}

/* fields_of - where the header lines of head (len bytes, through its
 * blank line) start and end: after the status line, before the blank
 * line. */
static void fields_of(const char *head, size_t len, size_t *start, size_t *end)
{
    *start = line_length(head, len);
    *end = len - (len >= 2 && head[len - 2] == '\r' ? 2 : 1);
}

/* replaces - whether a 304 whose head is update (len bytes) replaces the
 * stored fields called name (n bytes): it has such a field, and it is not
 * one that describes the stored body itself, which the 304 did not send
 * (RFC 9111 section 3.2): its length, coding, digest, range and entity
 * tag. */
static bool replaces(const char *update, size_t len, const char *name, size_t n)
{
    static const char *const kept[] = { "Content-Length", "Content-Encoding",
                                        "Content-MD5", "Content-Range",
                                        "ETag" };
    size_t at;
    size_t end;

    for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++) {
        if (n == strlen(kept[i]) && strncasecmp(name, kept[i], n) == 0) {
            return false;
        }
    }
    fields_of(update, len, &at, &end);
    while (at < end) {
        size_t line = line_length(update + at, end - at);

        if (is_field(update + at, line, name, n)) {
            return true;
        }
        at += line;
    }
    return false;
}

/* append_fields - append to out, at pos, the header lines of head (len
 * bytes) for which replaces(update, ...) is want. Returns the new pos. */
static size_t append_fields(char *out, size_t pos, const char *head, size_t len,
                            const char *update, size_t update_len, bool want)
{
    size_t at;
    size_t end;

    fields_of(head, len, &at, &end);
    while (at < end) {
        size_t n = line_length(head + at, end - at);
        const char *colon = memchr(head + at, ':', n);
        size_t name = colon != NULL ? (size_t)(colon - (head + at)) : n;

        if (replaces(update, update_len, head + at, name) == want) {
            memcpy(out + pos, head + at, n);
            pos += n;
        }
        at += n;
    }
    return pos;
}

/* end_head - end the head being written into out, at pos, with its blank
 * line. Returns the head's length. */
static size_t end_head(char *out, size_t pos)
{
    out[pos] = '\r';
    out[pos + 1] = '\n';
    return pos + 2;
}

/* serve_not_modified - answer the client's own conditional GET, which
 * object satisfies, with 304 Not Modified as a hit (RFC 9111 section
 * 4.3.2): the stored fields a 304 carries (RFC 9110 section 15.4.5) and
 * the proxy's own Via and Connection, no body. */
static int serve_not_modified(struct sink *to_client,
                              const struct cache_object *object, int64_t now,
                              struct forward_result *res)
{
    static const char *const kept[] = { "Date",    "ETag",
                                        "Vary",    "Cache-Control",
                                        "Expires", "Content-Location",
                                        "Via",     "Connection" };
    static const char status[] = "HTTP/1.1 304 Not Modified\r\n";
    const char *data = cache_object_data(object);
    size_t head = head_length(data, cache_object_size(object));
    char *out = malloc(sizeof(status) + head);
    size_t pos = sizeof(status) - 1;
    size_t at;
    size_t end;
    int rc;

    if (out == NULL) {
        return 502;
    }
    memcpy(out, status, pos);
    fields_of(data, head, &at, &end);
    while (at < end) {
        size_t n = line_length(data + at, end - at);

        for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++) {
            if (is_field(data + at, n, kept[i], strlen(kept[i]))) {
                memcpy(out + pos, data + at, n);
                pos += n;
            }
        }
        at += n;
    }
    rc = serve_stored(to_client, out, end_head(out, pos),
                      now - cache_object_stored_at(object), res);
    free(out);
    return rc;
}

/* serve_fresh - answer req from a fresh object: with 304 when the
 * client's own conditions say it has that response already, else with
 * the object itself. */
static int serve_fresh(struct sink *to_client, const struct http_request *req,
                       const struct cache_object *object, int64_t now,
                       struct forward_result *res)
{
    const char *data = cache_object_data(object);
    size_t head = head_length(data, cache_object_size(object));

    if (freshness_not_modified(req, data, head)) {
        return serve_not_modified(to_client, object, now, res);
    }
    return serve_hit(to_client, object, now, res);
}

/* A response the glue may store: its bytes, its head's length, and what
 * freshness_of said of it when it arrived. */
struct stored {
    char *data;             /* the response */
    size_t len;             /* bytes of data */
    size_t head;            /* bytes of its head, blank line included */
    int64_t received;       /* when it arrived */
    struct freshness fresh; /* freshness_of's verdict */
};

/* merge_304 - the stale response old (len bytes) updated by a 304 whose
 * head is update (update_len bytes), RFC 9111 section 4.3.4 and 3.2: the
 * stored status line, the stored fields the 304 does not replace, the
 * 304's own, then the stored body. False when there is no memory. */
static bool merge_304(const char *old, size_t len, const char *update,
                      size_t update_len, struct stored *merged)
{
    size_t old_head = head_length(old, len);
    size_t pos = line_length(old, old_head);

    merged->data = malloc(len + update_len);
    if (merged->data == NULL) {
        return false;
    }
    memcpy(merged->data, old, pos);
    pos = append_fields(merged->data, pos, old, old_head, update, update_len,
                        false);
    pos = append_fields(merged->data, pos, update, update_len, update,
                        update_len, true);
    merged->head = end_head(merged->data, pos);
    memcpy(merged->data + merged->head, old + old_head, len - old_head);
    merged->len = merged->head + len - old_head;
    return true;
}

/* drop_age - take the Age lines out of a response's head: a hit carries
 * the one Age the glue computes, never the origin's as well (RFC 9111
 * section 5.1). */
static void drop_age(struct stored *r)
{
    size_t at = line_length(r->data, r->head);

    while (at < r->head) {
        size_t n = line_length(r->data + at, r->head - at);

        if (is_field(r->data + at, n, "Age", 3)) {
            memmove(r->data + at, r->data + at + n, r->len - at - n);
            r->len -= n;
            r->head -= n;
        } else {
            at += n;
        }
    }
}

/* store - insert r, the answer to req, under key, if freshness_of judged
 * it storable, with req's secondary key (RFC 9111 section 4.1). The cache
 * counts its age from the moment it was as old as 0: when it arrived,
 * less the age it arrived with (section 4.2.3). Returns whether it was
 * stored. */
static bool store(struct proxy_cache *pc, const char *key,
                  const struct http_request *req, struct stored *r)
{
    int64_t born = r->received - r->fresh.age;
    char variant[VARIANT_MAX];

    if (!r->fresh.storable || freshness_variant(req, r->data, r->head, variant,
                                                sizeof(variant)) < 0) {
        return false;
    }
    drop_age(r);
    if (cache_insert(pc->cache, key, variant, r->data, r->len, born,
                     born + r->fresh.lifetime) < 0) {
        log_info("cache: cannot store %s:", key);
        return false;
    }
    return true;
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

/* A sink in front of the tee while a stale response is revalidated: it
 * holds the origin's head back until it is whole. A 304 stays here (the
 * client gets the stored response instead); anything else goes on
 * through the tee, as a miss. */
struct probe {
    struct sink *next;   /* the tee */
    char held[JOIN_MAX]; /* the head so far */
    size_t len;          /* bytes in held */
    bool passed;         /* not a 304: everything goes on */
};

/* write_to_probe - the write callback of the probe sink. */
static ssize_t write_to_probe(struct sink *sink, const void *buf, size_t n)
{
    struct probe *probe = sink->arg;

    if (!probe->passed && n <= sizeof(probe->held) - probe->len) {
        memcpy(probe->held + probe->len, buf, n);
        probe->len += n;
        if (head_length(probe->held, probe->len) == 0 ||
            status_of(probe->held, probe->len) == 304) {
            return (ssize_t)n;
        }
        probe->passed = true;
        return sink_write(probe->next, probe->held, probe->len) < 0
                   ? -1
                   : (ssize_t)n;
    }
    if (!probe->passed) {
        probe->passed = true; /* a head too long to hold is no 304 of use */
        if (sink_write(probe->next, probe->held, probe->len) < 0) {
            return -1;
        }
    }
    return sink_write(probe->next, buf, n) < 0 ? -1 : (ssize_t)n;
}

/* conditional - a copy of req that asks the origin whether stale is still
 * current (freshness_add_validators), or NULL when stale cannot be
 * revalidated: there is none, it has no validator, or the client sent
 * conditions of its own, which go to the origin as they are. */
static struct http_request *conditional(const struct http_request *req,
                                        const struct cache_object *stale)
{
    static const char *const conditions[] = { "If-None-Match",
                                              "If-Modified-Since", "If-Match",
                                              "If-Unmodified-Since",
                                              "If-Range" };
    const char *data = stale != NULL ? cache_object_data(stale) : NULL;
    struct http_request *cond;

    for (size_t i = 0; i < sizeof(conditions) / sizeof(conditions[0]); i++) {
        if (http_header_get(req, conditions[i]) != NULL) {
            return NULL;
        }
    }
    cond = data != NULL ? malloc(sizeof(*cond)) : NULL;
    if (cond == NULL) {
        return NULL;
    }
    *cond = *req; /* its headers point into req, which outlives it */
    if (freshness_add_validators(
            cond, data, head_length(data, cache_object_size(stale))) < 0) {
        free(cond);
        return NULL;
    }
    return cond;
}

/* use_304 - the origin answered the revalidation of stale with a 304
 * (the probe holds its head): update the stored response with it, store
 * that, and send it to the client as a hit. */
static int use_304(struct sink *to_client, const struct tee *tee,
                   struct proxy_cache *pc, const char *key,
                   const struct cache_object *stale, const struct probe *probe,
                   struct forward_result *res)
{
    struct stored merged = { .received = (int64_t)time(NULL) };
    int rc;

    if (!merge_304(cache_object_data(stale), cache_object_size(stale),
                   probe->held, probe->len, &merged)) {
        return 502;
    }
    merged.fresh =
        freshness_of(tee->req, merged.data, merged.head, tee->requested,
                     merged.received, tee->heuristic_s);
    if (!store(pc, key, tee->req, &merged)) {
        cache_remove(pc->cache, key);
        drop_age(&merged);
    }
    rc =
        serve_stored(to_client, merged.data, merged.len, merged.fresh.age, res);
    free(merged.data);
    return rc;
}

/* forward_and_store - a miss, or a stale object to revalidate: forward req
 * (conditional on stale's validators, if it has any) through a tee,
 * store what came back if it may be stored, and forget stale otherwise. A
 * 304 is answered from the stored response instead. */
static int forward_and_store(struct rio *client, struct sink *to_client,
                             const struct http_request *req,
                             struct proxy_cache *pc, const char *key,
                             const struct cache_object *stale,
                             struct forward_result *res, struct outcome *out)
{
    struct tee tee = { .out = to_client,
                       .req = req,
                       .heuristic_s = pc->opt.heuristic_s,
                       .requested = (int64_t)time(NULL),
                       .max = pc->opt.object };
    struct sink tee_sink = { .write = write_to_tee, .arg = &tee };
    struct http_request *cond = conditional(req, stale);
    struct probe probe = { .next = &tee_sink, .passed = cond == NULL };
    struct sink sink = { .write = write_to_probe, .arg = &probe };
    int rc =
        proxy_forward(pc->proxy, cond != NULL ? cond : req, client, &sink, res);
    struct stored copy = { tee.copy, tee.len, tee.head, tee.received,
                           tee.fresh };

    if (tee.marked) {
        res->bytes += strlen(MISS_MARK); /* what the client received */
    }
    if (rc == 0 && !probe.passed) {
        out->note = "HIT";
        rc = use_304(to_client, &tee, pc, key, stale, &probe, res);
    } else if (!(rc == 0 && res->complete && !tee.dropped && tee.head > 0 &&
                 store(pc, key, req, &copy)) &&
               stale != NULL) {
        cache_remove(pc->cache, key);
    }
    free(tee.copy);
    free(cond);
    return rc;
}

/* A sink that passes a response on untouched and keeps its head (what
 * fits in JOIN_MAX bytes): an unsafe method's answer may name other URIs
 * whose stored responses are out of date. */
struct watch {
    struct sink *out;    /* the client */
    char head[JOIN_MAX]; /* the response's first bytes */
    size_t len;          /* bytes in head */
};

/* write_to_watch - the write callback of the watch sink. */
static ssize_t write_to_watch(struct sink *sink, const void *buf, size_t n)
{
    struct watch *watch = sink->arg;
    size_t room = sizeof(watch->head) - watch->len;

    memcpy(watch->head + watch->len, buf, n < room ? n : room);
    watch->len += n < room ? n : room;
    return sink_write(watch->out, buf, n) < 0 ? -1 : (ssize_t)n;
}

/* same_origin - into uri (KEY_MAX bytes), the URI that value (n bytes)
 * names, if it is on key's origin (the first origin bytes of key): a path,
 * or an absolute URI that starts as key does. */
static bool same_origin(const char *key, size_t origin, const char *value,
                        size_t n, char *uri)
{
    int len;

    if (n > 0 && value[0] == '/') {
        len =
            snprintf(uri, KEY_MAX, "%.*s%.*s", (int)origin, key, (int)n, value);
    } else if (n > origin && memcmp(value, key, origin) == 0 &&
               value[origin] == '/') {
        len = snprintf(uri, KEY_MAX, "%.*s", (int)n, value);
    } else {
        return false;
    }
    return len > 0 && len < KEY_MAX;
}

/* remove_named - remove what is stored for the URI that the fields called
 * name of head (len bytes) give, when it is on key's origin: RFC 9111
 * section 4.4, for Location and Content-Location after an unsafe method. */
static void remove_named(struct proxy_cache *pc, const char *key,
                         const char *head, size_t len, const char *name)
{
    size_t origin = (size_t)(strchr(key + strlen("http://"), '/') - key);
    size_t name_len = strlen(name);
    char uri[KEY_MAX];
    size_t at;
    size_t end;

    fields_of(head, len, &at, &end);
    while (at < end) {
        size_t n = line_length(head + at, end - at);
        const char *value = head + at + name_len + 1;
        size_t v = n > name_len + 1 ? n - name_len - 1 : 0;

        while (v > 0 && (value[0] == ' ' || value[0] == '\t')) {
            value++;
            v--;
        }
        while (v > 0 && (value[v - 1] == '\n' || value[v - 1] == '\r')) {
            v--;
        }
        if (is_field(head + at, n, name, name_len) &&
            same_origin(key, origin, value, v, uri)) {
            cache_remove(pc->cache, uri);
        }
        at += n;
    }
}

/* forward_unsafe - forward req, whose method changes what its URI names
 * (RFC 9111 section 4.4): after a 2xx or 3xx, remove what is stored for
 * the URI, and for those its Location and Content-Location name. */
static int forward_unsafe(struct rio *client, struct sink *to_client,
                          const struct http_request *req,
                          struct proxy_cache *pc, const char *key,
                          struct forward_result *res)
{
    struct watch watch = { .out = to_client };
    struct sink sink = { .write = write_to_watch, .arg = &watch };
    int rc = proxy_forward(pc->proxy, req, client, &sink, res);
    size_t head = head_length(watch.head, watch.len);

    if (rc != 0 || res->status < 200 || res->status >= 400) {
        return rc;
    }
    cache_remove(pc->cache, key);
    if (head > 0) {
        remove_named(pc, key, watch.head, head, "Location");
        remove_named(pc, key, watch.head, head, "Content-Location");
    }
    return rc;
}

/* lookup - the object stored under key, if it answered a request whose
 * fields named in its Vary are req's (RFC 9111 section 4.1); NULL when
 * there is none, or it was selected for other requests. */
static struct cache_object *lookup(struct proxy_cache *pc, const char *key,
                                   const struct http_request *req)
{
    struct cache_object *found = cache_lookup(pc->cache, key);
    const char *data = found != NULL ? cache_object_data(found) : NULL;
    char variant[VARIANT_MAX];

    if (found != NULL &&
        (freshness_variant(req, data,
                           head_length(data, cache_object_size(found)), variant,
                           sizeof(variant)) < 0 ||
         strcmp(variant, cache_object_variant(found)) != 0)) {
        cache_release(found);
        return NULL;
    }
    return found;
}

/* exchange - answer req from the cache, or forward it (made conditional
 * when a stale response can be revalidated) and store the response if it
 * may be stored. Returns as forward_request does; out->note becomes "HIT"
 * or "MISS" when the cache was asked. */
static int exchange(void *state, struct rio *client, struct sink *to_client,
                    const struct http_request *req, struct forward_result *res,
                    struct outcome *out)
{
    struct proxy_cache *pc = state;
    struct cache_object *found = NULL;
    int64_t now = (int64_t)time(NULL);
    char key[KEY_MAX];
    int rc;

    if (!make_key(req, key, sizeof(key)) || strcmp(req->method, "HEAD") == 0) {
        return proxy_forward(pc->proxy, req, client, to_client, res);
    }
    if (strcmp(req->method, "GET") != 0) {
        return forward_unsafe(client, to_client, req, pc, key, res);
    }
    if (freshness_allows_hit(req)) {
        found = lookup(pc, key, req);
    }
    if (found != NULL && now < cache_object_expires(found)) {
        out->note = "HIT";
        rc = serve_fresh(to_client, req, found, now, res);
    } else {
        out->note = "MISS";
        rc =
            forward_and_store(client, to_client, req, pc, key, found, res, out);
    }
    cache_release(found);
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
