/*
 * freshness.c - lab 05: decide whether the shared cache may store a
 * response, for how long, and whether a request may be answered from it.
 *
 * Start at freshness_of, near the end of the file. The response head is
 * read in place, as len bytes that need not end in a NUL, so the code works
 * on spans (a pointer and a length) and never reads past them. Where RFC
 * 9111 leaves a choice, the kit takes the reading that stores less: a
 * response not stored only costs a trip to the origin, while one stored
 * wrongly is served to everybody.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "freshness.h"
#include "http.h"
#include "httpdate.h"
#include "log.h"

struct freshness freshness_of(const struct http_request *req, const char *head,
                              size_t len, int64_t requested, int64_t received,
                              int64_t heuristic_s)
{
    /* TODO(lab5.1): store only an answer to a GET, with a status of the
     * list in freshness.h, that passes every rule there; read each
     * Cache-Control element (name in any case, max-age and s-maxage as
     * "=digits") from request and response; take the lifetime from s-maxage,
     * max-age, Expires - Date, else the heuristic (no-cache: 0). Never
     * read past len. */
    /* TODO(lab5.6): the age it arrived with (RFC 9111 section 4.2.3): the
     * larger of received - Date (if positive) and the Age value (2^31
     * unless it is exactly one non-negative integer) plus received -
     * requested. Storable while lifetime > age, or when it has a validator
     * (ETag, a valid Last-Modified) for the glue to revalidate it. */
    (void)req;
    (void)head;
    (void)len;
    (void)requested;
    (void)received;
    (void)heuristic_s;
    log_error("TODO(lab5.1): freshness_of is not written yet");
    return (struct freshness){ .storable = false, .lifetime = 0, .age = 0 };
}

bool freshness_allows_hit(const struct http_request *req)
{
    /* TODO(lab5.2): false when a Cache-Control header of req says no-cache
     * or no-store, a Pragma header says no-cache, or req carries
     * Authorization; true otherwise. */
    (void)req;
    log_error("TODO(lab5.2): freshness_allows_hit is not written yet");
    return false;
}

int freshness_add_validators(struct http_request *cond, const char *head,
                             size_t len)
{
    /* TODO(lab5.7): add "If-None-Match: <its ETag>" and, when its
     * Last-Modified is a valid date, "If-Modified-Since: <that date>" to
     * cond with http_parse_header (a line ending in CRLF). 0 if at least
     * one was added, -1 otherwise. */
    (void)cond;
    (void)head;
    (void)len;
    log_error("TODO(lab5.7): freshness_add_validators is not written yet");
    return -1;
}

bool freshness_not_modified(const struct http_request *req, const char *head,
                            size_t len)
{
    /* TODO(lab5.8): with If-None-Match, true when it is "*" or one of its
     * tags equals the head's ETag, W/ prefixes aside; without it, true
     * when If-Modified-Since is a valid date not earlier than the head's
     * Last-Modified (else its Date). False otherwise. */
    (void)req;
    (void)head;
    (void)len;
    log_error("TODO(lab5.8): freshness_not_modified is not written yet");
    return false;
}

int freshness_variant(const struct http_request *req, const char *head,
                      size_t len, char *out, size_t size)
{
    /* TODO(lab5.9): for each name listed by the head's Vary fields, add
     * "name:values\n" to out (name in lower case, req's values of that
     * field joined by ", "); -1 for "Vary: *" or when out is too small. */
    (void)req;
    (void)head;
    (void)len;
    (void)out;
    (void)size;
    log_error("TODO(lab5.9): freshness_variant is not written yet");
    return -1;
}
