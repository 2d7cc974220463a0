/*
 * freshness.h - what a shared cache may store, and for how long (RFC 9111,
 * simplified): the contract of labs/05-cache/freshness.c.
 *
 * Pure functions on the request (http.h) and the response head's text, so
 * that unit tests can try every Cache-Control case with literal strings.
 * The kit's rules, stricter than the RFC where the RFC leaves a choice:
 *   - store only a complete response to a GET, at most the cache's object
 *     size (the glue checks those two), whose status is one a cache may
 *     store without being told (RFC 9110 section 15.1, RFC 9111 section
 *     4.2.2): 200, 203, 204, 300, 301, 308, 404, 405, 410, 414 or 501
 *     (206 too, but the kit does not combine parts);
 *   - never store when the request had Authorization (unless the response
 *     says public, s-maxage or must-revalidate: section 3.5) or
 *     Cache-Control: no-store; nor when the response has Cache-Control
 *     no-store or private, "Vary: *" (it never matches: section 4.1), or
 *     Set-Cookie;
 *   - a response with a validator (ETag, or a valid Last-Modified) is
 *     stored even when it is stale, or says no-cache (lifetime 0): the
 *     glue revalidates it before reusing it (section 4.3); one without a
 *     validator is stored only while it is fresh;
 *   - the lifetime is s-maxage, else max-age, else Expires minus Date
 *     (section 4.2.1); an Expires that is not a valid date means already
 *     expired (section 5.3); with none of them, 10% of Date minus
 *     Last-Modified (section 4.2.2), else heuristic_s;
 *   - a response is fresh while its current age, the age it arrived with
 *     plus the time it has been stored, is below its lifetime (section
 *     4.2), and a hit says that age in the one Age field it carries
 *     (section 5.1);
 *   - a request with Cache-Control no-cache or no-store, Pragma: no-cache,
 *     or Authorization is never answered from the cache.
 *
 * Interface:
 *   struct freshness, FRESHNESS_HEURISTIC_S
 *   freshness_of, freshness_allows_hit, freshness_add_validators,
 *   freshness_not_modified, freshness_variant
 *
 * Thread-safe.
 */
#ifndef FRESHNESS_H
#define FRESHNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http.h"

/* The default heuristic_s: a response that gives neither a lifetime nor
 * Last-Modified is not reused (the CS:APP Proxy Lab keeps everything: -e). */
#define FRESHNESS_HEURISTIC_S 0

struct freshness {
    bool storable;    /* the response may be stored at all */
    int64_t lifetime; /* seconds it stays fresh, counted from age 0 (>= 0) */
    int64_t age;      /* its age when it arrived (>= 0): RFC 9111 section
                         4.2.3's corrected_initial_age */
};

/*
 * freshness_of - decide whether the response whose head (status line and
 * header lines, len bytes, through the blank line) answered req may be
 * stored, for how long, and how old it already was when it arrived.
 * requested is when req was sent, received when the response arrived
 * (seconds since 1970); heuristic_s the lifetime when the response gives
 * no clue, neither a lifetime nor a usable Last-Modified (0: none). The age is
 * the larger of the apparent age (received minus Date, if positive) and the
 * origin's Age (an Age that is not exactly one delta-seconds value counts
 * as 2^31) plus the time the response took to come (RFC 9111
 * section 4.2.3). Returns the decision; a response whose lifetime is not more
 * than its age is storable only when it has a validator, and one not
 * storable has lifetime and age 0.
 */
struct freshness freshness_of(const struct http_request *req, const char *head,
                              size_t len, int64_t requested, int64_t received,
                              int64_t heuristic_s);

/*
 * freshness_allows_hit - whether req may be answered from the cache:
 * false when it asks for a fresh answer (Cache-Control: no-cache or
 * no-store, Pragma: no-cache) or carries Authorization (what it gets may
 * be meant for that user alone).
 */
bool freshness_allows_hit(const struct http_request *req);

/*
 * freshness_add_validators - make cond, a copy of a GET whose stored
 * response (its head: len bytes through the blank line) is stale, a
 * conditional request that asks the origin whether that response is still
 * current (RFC 9111 section 4.3.1): add "If-None-Match" with the value of
 * the response's ETag, and "If-Modified-Since" with its Last-Modified
 * when that is a valid date, each with http_parse_header.
 * Returns 0 when at least one was added; -1 when the response has no
 * validator (it can only be fetched again) or cond has no room.
 */
int freshness_add_validators(struct http_request *cond, const char *head,
                             size_t len);

/*
 * freshness_not_modified - whether the client's own conditions in req say
 * it already has the fresh stored response whose head is head (len
 * bytes), so that the cache answers 304 Not Modified (RFC 9111 section
 * 4.3.2). If-None-Match, when present, decides alone (RFC 9110 section
 * 13.2.2): true when it is "*" or lists an entity tag that matches the
 * response's ETag, W/ prefixes aside (weak comparison, section 8.8.3.2).
 * Otherwise If-Modified-Since decides: true when it is a valid date not
 * earlier than the response's Last-Modified (or its Date, when it has
 * none).
 */
bool freshness_not_modified(const struct http_request *req, const char *head,
                            size_t len);

/*
 * freshness_variant - the secondary key of req for the response whose
 * head is head (len bytes), RFC 9111 section 4.1: a stored response is
 * reused only for a request whose fields named in its Vary are those of
 * the request it answered. Writes into out (size bytes, NUL-terminated),
 * for each name of every Vary field of the head, in order, the name in
 * lower case, ':', the values of req's fields of that name joined by ", "
 * (nothing when it has none) and '\n'; "" when the head has no Vary.
 * Returns the key's length, or -1 when the head has "Vary: *" (no request
 * matches) or the key does not fit.
 */
int freshness_variant(const struct http_request *req, const char *head,
                      size_t len, char *out, size_t size);

#endif /* FRESHNESS_H */
