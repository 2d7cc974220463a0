/*
 * test_freshness.c - unit tests for freshness.c: which responses the
 * shared cache may store and for how long (freshness_of), and which
 * requests it may answer (freshness_allows_hit).
 *
 * Requests go through the stage 02 parsers as the glue sends them, so this
 * program is linked with http.c too. Response heads are literal strings;
 * freshness_of gets a copy of exactly len bytes, without a NUL after them,
 * so that ASan or valgrind catch a read past len. The clock stands still
 * at NOW, the date of RFC 9110's examples.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "freshness.h"
#include "http.h"
#include "unit.h"

#define NOW      784111777 /* Sun, 06 Nov 1994 08:49:37 GMT */
#define DATE_NOW "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
#define OK       "HTTP/1.1 200 OK\r\n"
#define GET      "GET http://example.com/a HTTP/1.1\r\n"
#define DAY      ((int64_t)86400)

/* EXPECT_AT - freshness_of says head, answering req at now, is storable
 * (or not) for lifetime seconds; not storable always has lifetime 0.
 * EXPECT is the same for a plain GET at NOW; STORED and NOT_STORED say
 * which outcome. */
#define EXPECT_AT(req, head, now, want_storable, want_lifetime) \
    do {                                                        \
        struct freshness f_ = of((req), (head), (now));         \
        ASSERT_EQ_INT(f_.storable, (want_storable));            \
        ASSERT_EQ_INT(f_.lifetime, (want_lifetime));            \
    } while (0)
#define EXPECT(head, want_storable, want_lifetime)               \
    EXPECT_AT(request(GET "\r\n"), (head), NOW, (want_storable), \
              (want_lifetime))
#define STORED(head, want_lifetime) EXPECT((head), true, (want_lifetime))
#define NOT_STORED(head)            EXPECT((head), false, 0)
/* STORED_STALE - head is stored although stale: it has a validator, and
 * is revalidated before each reuse (RFC 9111 section 4.3). */
#define STORED_STALE(head) EXPECT((head), true, 0)

/* The request the tests build; they run one at a time. */
static struct http_request scratch;

/* request - text (a request line, header lines and the blank line, every
 * line ending in LF) parsed into scratch as the glue parses it. */
static const struct http_request *request(const char *text)
{
    const char *line = text;
    int rc = 0;

    http_request_init(&scratch);
    while (rc == 0 && *line != '\0' && strcmp(line, "\r\n") != 0) {
        size_t n = strcspn(line, "\n") + 1;

        CU_ASSERT_FATAL(line[n - 1] == '\n');
        rc = line == text ? http_parse_request_line(&scratch, line, n)
                          : http_parse_header(&scratch, line, n);
        line += n;
    }
    ASSERT_EQ_INT(rc, 0);
    ASSERT_EQ_INT(http_parse_target(&scratch), 0);
    return &scratch;
}

/* freshness_at - freshness_of for head's first len bytes, passed in a
 * buffer of exactly len bytes, the request sent at requested and the
 * response received at received. */
static struct freshness freshness_at(const struct http_request *req,
                                     const char *head, size_t len,
                                     int64_t requested, int64_t received,
                                     int64_t heuristic_s)
{
    char *copy = malloc(len > 0 ? len : 1);
    struct freshness fresh;

    if (copy == NULL) {
        CU_FAIL_FATAL("out of memory");
        return (struct freshness){ .storable = false, .lifetime = -1 };
    }
    memcpy(copy, head, len);
    fresh = freshness_of(req, copy, len, requested, received, heuristic_s);
    free(copy);
    return fresh;
}

/* of - the freshness of the whole of head, with the kit's heuristic. */
static struct freshness of(const struct http_request *req, const char *head,
                           int64_t now)
{
    return freshness_at(req, head, strlen(head), now, now,
                        FRESHNESS_HEURISTIC_S);
}

/* hit - whether the request in text may be answered from the cache. */
static bool hit(const char *text)
{
    return freshness_allows_hit(request(text));
}

/* ---- what may be stored ---- */

static void test_freshness_max_age(void)
{
    STORED(OK "Cache-Control: max-age=60\r\n\r\n", 60);
    STORED(OK DATE_NOW "Cache-Control: max-age=3600\r\n"
                       "Content-Length: 5\r\n\r\nhello",
           3600);
}

static void test_freshness_status_line_without_reason(void)
{
    STORED("HTTP/1.0 200\r\nCache-Control: max-age=60\r\n\r\n", 60);
    STORED("HTTP/1.0 200 \r\nCache-Control: max-age=60\r\n\r\n", 60);
}

/* RFC 9110 section 15.1 and RFC 9111 section 4.2.2: the heuristically
 * cacheable statuses may be stored; 206 is one, but the kit does not
 * combine parts. */
static void test_freshness_cacheable_statuses(void)
{
    static const char *const codes[] = { "200", "203", "204", "300",
                                         "301", "308", "404", "405",
                                         "410", "414", "501" };
    char head[128];

    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        snprintf(head, sizeof(head),
                 "HTTP/1.1 %s Some Reason\r\nCache-Control: max-age=60\r\n\r\n",
                 codes[i]);
        STORED(head, 60);
    }
}

static void test_freshness_status_not_cacheable(void)
{
    NOT_STORED("HTTP/1.1 206 Partial Content\r\n"
               "Cache-Control: max-age=60\r\n\r\n");
    NOT_STORED("HTTP/1.1 304 Not Modified\r\n"
               "Cache-Control: max-age=60\r\n\r\n");
    NOT_STORED("HTTP/1.1 500 Oops\r\nCache-Control: max-age=60\r\n\r\n");
    NOT_STORED("HTTP/1.1 201 Created\r\nCache-Control: max-age=60\r\n\r\n");
    NOT_STORED("HTTP/1.1 302 Found\r\nCache-Control: max-age=60\r\n\r\n");
    NOT_STORED("HTTP/1.1 100 Continue\r\nCache-Control: max-age=60\r\n\r\n");
    NOT_STORED("HTTP/1.1 40a Oops\r\nCache-Control: max-age=60\r\n\r\n");
}

static void test_freshness_status_line_malformed(void)
{
    NOT_STORED("HTTP/1.1 2000 OK\r\nCache-Control: max-age=60\r\n\r\n");
    NOT_STORED("HTTP/1.1 200OK\r\nCache-Control: max-age=60\r\n\r\n");
    NOT_STORED("HTTP/2 200 OK\r\nCache-Control: max-age=60\r\n\r\n");
    NOT_STORED("http/1.1 200 OK\r\nCache-Control: max-age=60\r\n\r\n");
    NOT_STORED("Cache-Control: max-age=60\r\n\r\n");
    NOT_STORED("");
}

static void test_freshness_method_not_get(void)
{
    const char *head = OK "Cache-Control: max-age=60\r\n\r\n";

    EXPECT_AT(request("HEAD http://example.com/a HTTP/1.1\r\n\r\n"), head, NOW,
              false, 0);
    EXPECT_AT(request("POST http://example.com/a HTTP/1.1\r\n"
                      "Content-Length: 0\r\n\r\n"),
              head, NOW, false, 0);
    EXPECT_AT(request("get http://example.com/a HTTP/1.1\r\n\r\n"), head, NOW,
              false, 0);
}

static void test_freshness_response_no_store(void)
{
    NOT_STORED(OK "Cache-Control: no-store\r\n\r\n");
    NOT_STORED(OK "Cache-Control: max-age=60, no-store\r\n\r\n");
}

static void test_freshness_response_private(void)
{
    NOT_STORED(OK "Cache-Control: private\r\n\r\n");
    NOT_STORED(OK "Cache-Control: max-age=60, private\r\n\r\n");
    NOT_STORED(OK "Cache-Control: private=\"Set-Cookie\", max-age=60\r\n\r\n");
}

static void test_freshness_response_no_cache(void)
{
    NOT_STORED(OK "Cache-Control: no-cache\r\n\r\n");
    NOT_STORED(OK "Cache-Control: no-cache, max-age=60\r\n\r\n");
    NOT_STORED(OK "Cache-Control: no-cache=\"Set-Cookie\"\r\n\r\n");
    /* Section 5.2.2.4: with a validator it is stored, and revalidated
     * before every reuse. */
    STORED_STALE(OK
                 "Cache-Control: no-cache, max-age=60\r\nETag: \"a\"\r\n\r\n");
    STORED_STALE(OK DATE_NOW
                 "Cache-Control: no-cache\r\n"
                 "Last-Modified: Sun, 06 Nov 1994 08:00:00 GMT\r\n\r\n");
}

/* RFC 9111 section 4.1: a Vary response is stored (its secondary key
 * decides its reuse), except with "*", which no request matches. */
static void test_freshness_vary(void)
{
    STORED(OK "Cache-Control: max-age=60\r\nVary: Accept-Encoding\r\n\r\n", 60);
    STORED(OK "Cache-Control: max-age=60\r\nVary:\r\n\r\n", 60);
    NOT_STORED(OK "Vary: *\r\nCache-Control: max-age=60\r\n\r\n");
    NOT_STORED(OK "Vary: Accept, *\r\nCache-Control: max-age=60\r\n\r\n");
    NOT_STORED(OK
               "Vary: Accept\r\nvary: *\r\nCache-Control: max-age=60\r\n\r\n");
}

/* variant - freshness_variant for a GET with the header lines fields
 * (each ending in CRLF) and head, into out. */
static int variant(const char *fields, const char *head, char *out, size_t size)
{
    char text[512];

    snprintf(text, sizeof(text), GET "%s\r\n", fields);
    return freshness_variant(request(text), head, strlen(head), out, size);
}

/* The secondary key: each name Vary lists, in lower case, and the
 * request's values of that field, joined by ", ". */
static void test_freshness_variant_key(void)
{
    char out[256];
    const char *head = OK "Vary: Accept-Language, x-mode\r\n"
                          "vary: Accept-Encoding\r\n\r\n";

    ASSERT_EQ_INT(variant("Accept-Language: en\r\nX-Mode: a\r\n"
                          "accept-language: fr\r\n",
                          head, out, sizeof(out)),
                  (int)strlen(out));
    CU_ASSERT_STRING_EQUAL(out, "accept-language:en, fr\nx-mode:a\n"
                                "accept-encoding:\n");
    ASSERT_EQ_INT(
        variant("", OK "Cache-Control: max-age=60\r\n\r\n", out, sizeof(out)),
        0);
    CU_ASSERT_STRING_EQUAL(out, "");
    ASSERT_EQ_INT(variant("", OK "Vary: ,\r\n\r\n", out, sizeof(out)), 0);
}

/* Vary: * never matches, and a key that does not fit is refused. */
static void test_freshness_variant_refused(void)
{
    char out[16];

    ASSERT_EQ_INT(variant("Accept: a\r\n", OK "Vary: Accept, *\r\n\r\n", out,
                          sizeof(out)),
                  -1);
    ASSERT_EQ_INT(variant("Accept: a-long-value\r\n", OK "Vary: Accept\r\n\r\n",
                          out, sizeof(out)),
                  -1);
    ASSERT_EQ_INT(variant("Accept: abcdefg\r\n", OK "Vary: Accept\r\n\r\n", out,
                          sizeof(out)),
                  15);
    ASSERT_EQ_INT(variant("Accept: abcdefgh\r\n", OK "Vary: Accept\r\n\r\n",
                          out, sizeof(out)),
                  -1);
}

static void test_freshness_set_cookie(void)
{
    NOT_STORED(OK "Cache-Control: max-age=60\r\nSet-Cookie: id=1\r\n\r\n");
    NOT_STORED(OK "Set-Cookie: id=1\r\nCache-Control: public\r\n\r\n");
}

static void test_freshness_header_names_any_case(void)
{
    STORED(OK "cache-control: max-age=60\r\n\r\n", 60);
    STORED(OK "CACHE-CONTROL: max-age=60\r\n\r\n", 60);
    NOT_STORED(OK "cache-CONTROL: no-store\r\n\r\n");
    NOT_STORED(OK "Cache-Control: max-age=60\r\nVARY: *\r\n\r\n");
    NOT_STORED(OK "Cache-Control: max-age=60\r\nset-cookie: id=1\r\n\r\n");
    STORED(OK "date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
              "EXPIRES: Sun, 06 Nov 1994 08:59:37 GMT\r\n\r\n",
           600);
}

static void test_freshness_directive_names_any_case(void)
{
    STORED(OK "Cache-Control: MAX-AGE=60\r\n\r\n", 60);
    STORED(OK "Cache-Control: S-MaxAge=90\r\n\r\n", 90);
    NOT_STORED(OK "Cache-Control: No-Store\r\n\r\n");
    NOT_STORED(OK "Cache-Control: PRIVATE\r\n\r\n");
    NOT_STORED(OK "Cache-Control: No-Cache\r\n\r\n");
}

static void test_freshness_directive_whitespace(void)
{
    STORED(OK "Cache-Control:   max-age=60   \r\n\r\n", 60);
    STORED(OK "Cache-Control: public ,\tmax-age=60 ,  foo\r\n\r\n", 60);
    STORED(OK "Cache-Control: public,max-age=60\r\n\r\n", 60);
    NOT_STORED(OK "Cache-Control: max-age=60,private\r\n\r\n");
    NOT_STORED(OK "Cache-Control: max-age=60 ,\t no-store\r\n\r\n");
}

/* RFC 9111 section 5.2 allows no whitespace around "=": the kit reads
 * "Max-Age = 60" as a max-age it cannot trust, and does not store. */
static void test_freshness_directive_spaces_around_equals(void)
{
    NOT_STORED(OK "Cache-Control: Max-Age = 60\r\n\r\n");
    NOT_STORED(OK "Cache-Control: max-age =60\r\n\r\n");
    NOT_STORED(OK "Cache-Control: max-age= 60\r\n\r\n");
    NOT_STORED(OK "Cache-Control: s-maxage = 60, max-age=60\r\n\r\n");
}

static void test_freshness_directive_list_with_private(void)
{
    NOT_STORED(OK "Cache-Control: max-age=60, private\r\n\r\n");
    NOT_STORED(OK "Cache-Control: public, private, max-age=60\r\n\r\n");
}

static void test_freshness_directives_from_every_field(void)
{
    NOT_STORED(OK "Cache-Control: max-age=60\r\n"
                  "Cache-Control: no-store\r\n\r\n");
    STORED(OK "Cache-Control: public\r\nCache-Control: max-age=60\r\n\r\n", 60);
}

static void test_freshness_unknown_directives_ignored(void)
{
    STORED(OK "Cache-Control: foo, bar=baz, max-age=60, qux=\"1\"\r\n\r\n", 60);
    STORED(OK "Cache-Control: max-agex=5, max-age=60, no-storey\r\n\r\n", 60);
    STORED(OK "Cache-Control: , max-age=60,,\r\n\r\n", 60);
}

static void test_freshness_quoted_comma(void)
{
    STORED(OK "Cache-Control: ext=\"a, max-age=5\", max-age=60\r\n\r\n", 60);
    STORED(OK "Cache-Control: ext=\"x, no-store\", max-age=60\r\n\r\n", 60);
    STORED(OK "Cache-Control: ext=\"a\\\", no-store\", max-age=60\r\n\r\n", 60);
}

static void test_freshness_max_age_invalid(void)
{
    NOT_STORED(OK "Cache-Control: max-age=abc\r\n\r\n");
    NOT_STORED(OK "Cache-Control: max-age=\r\n\r\n");
    NOT_STORED(OK "Cache-Control: max-age\r\n\r\n");
    NOT_STORED(OK "Cache-Control: max-age=-1\r\n\r\n");
    NOT_STORED(OK "Cache-Control: max-age=+60\r\n\r\n");
    NOT_STORED(OK "Cache-Control: max-age=6O\r\n\r\n");
    NOT_STORED(OK "Cache-Control: max-age=60s\r\n\r\n");
    NOT_STORED(OK "Cache-Control: max-age=\"60\"\r\n\r\n");
    NOT_STORED(OK "Cache-Control: s-maxage=1.5\r\n\r\n");
}

static void test_freshness_max_age_twice(void)
{
    NOT_STORED(OK "Cache-Control: max-age=60, max-age=60\r\n\r\n");
    NOT_STORED(OK "Cache-Control: max-age=60\r\n"
                  "Cache-Control: max-age=120\r\n\r\n");
    NOT_STORED(OK "Cache-Control: s-maxage=60, s-maxage=30\r\n\r\n");
}

static void test_freshness_max_age_zero(void)
{
    NOT_STORED(OK "Cache-Control: max-age=0\r\n\r\n");
    NOT_STORED(OK "Cache-Control: max-age=000\r\n\r\n");
    NOT_STORED(OK "Cache-Control: max-age=60, s-maxage=0\r\n\r\n");
}

/* RFC 9111 section 1.2.2: a delta-seconds too large counts as 2^31. */
static void test_freshness_max_age_overflow(void)
{
    STORED(OK "Cache-Control: max-age=2147483647\r\n\r\n", 2147483647);
    STORED(OK "Cache-Control: max-age=2147483648\r\n\r\n", 2147483648);
    STORED(OK "Cache-Control: max-age=2147483649\r\n\r\n", 2147483648);
    STORED(OK "Cache-Control: max-age=99999999999999999999999999999\r\n\r\n",
           2147483648);
    STORED(OK "Cache-Control: s-maxage=18446744073709551616\r\n\r\n",
           2147483648);
}

static void test_freshness_s_maxage_beats_max_age(void)
{
    STORED(OK "Cache-Control: max-age=60, s-maxage=120\r\n\r\n", 120);
    STORED(OK "Cache-Control: s-maxage=30, max-age=600\r\n\r\n", 30);
    STORED(OK DATE_NOW "Expires: Sun, 06 Nov 1994 09:49:37 GMT\r\n"
                       "Cache-Control: s-maxage=30\r\n\r\n",
           30);
}

static void test_freshness_max_age_beats_expires(void)
{
    STORED(OK DATE_NOW "Expires: Sun, 06 Nov 1994 09:49:37 GMT\r\n"
                       "Cache-Control: max-age=60\r\n\r\n",
           60);
    STORED(OK "Expires: 0\r\nCache-Control: max-age=60\r\n\r\n", 60);
}

static void test_freshness_expires_minus_date(void)
{
    const char *head =
        OK DATE_NOW "Expires: Sun, 06 Nov 1994 08:59:37 GMT\r\n\r\n";

    STORED(head, 600);
    /* Date, not the time of arrival, is what Expires is measured from. */
    EXPECT_AT(request(GET "\r\n"), head, NOW + 30, true, 600);
    STORED(OK DATE_NOW "Expires: Sunday, 06-Nov-94 09:49:37 GMT\r\n\r\n", 3600);
}

static void test_freshness_expires_without_date(void)
{
    const char *head = OK "Expires: Sun, 06 Nov 1994 08:59:37 GMT\r\n\r\n";

    STORED(head, 600);
    EXPECT_AT(request(GET "\r\n"), head, NOW + 100, true, 500);
}

static void test_freshness_expires_invalid_date(void)
{
    const char *head = OK "Date: yesterday\r\n"
                          "Expires: Sun, 06 Nov 1994 08:59:37 GMT\r\n\r\n";

    EXPECT_AT(request(GET "\r\n"), head, NOW + 100, true, 500);
}

/* RFC 9111 section 5.3: an invalid Expires, "0" above all, is in the
 * past; a second Expires makes the kit treat the response as stale. */
static void test_freshness_expires_invalid(void)
{
    NOT_STORED(OK DATE_NOW "Expires: 0\r\n\r\n");
    NOT_STORED(OK DATE_NOW "Expires: -1\r\n\r\n");
    NOT_STORED(OK DATE_NOW "Expires: tomorrow\r\n\r\n");
    NOT_STORED(OK DATE_NOW "Expires:\r\n\r\n");
    /* Almost a date is not a date (RFC 9110 section 5.6.7). */
    NOT_STORED(OK DATE_NOW "Expires: Sun, 06 Nov 1994  08:59:37 GMT\r\n\r\n");
    NOT_STORED(OK DATE_NOW "Expires: Sun, 06 Nov 1994 8:59:37 GMT\r\n\r\n");
    NOT_STORED(OK DATE_NOW "Expires: Sun, 06 Nov 1994 08:59:37 GMT\r\n"
                           "Expires: Sun, 06 Nov 1994 08:59:37 GMT\r\n\r\n");
    STORED_STALE(OK DATE_NOW "Last-Modified: Thu, 27 Oct 1994 08:49:37 GMT\r\n"
                             "Expires: 0\r\n\r\n");
}

static void test_freshness_expires_in_the_past(void)
{
    NOT_STORED(OK DATE_NOW "Expires: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\n");
    NOT_STORED(OK DATE_NOW "Expires: Thu, 01 Jan 1970 00:00:00 GMT\r\n\r\n");
}

/* Ten days between Last-Modified and Date give one day of freshness. */
static void test_freshness_heuristic_last_modified(void)
{
    const char *head = OK "Last-Modified: Thu, 27 Oct 1994 08:49:37 GMT\r\n"
                          "\r\n";

    STORED(OK DATE_NOW "Last-Modified: Thu, 27 Oct 1994 08:49:37 GMT\r\n\r\n",
           DAY);
    STORED(OK DATE_NOW "Last-Modified: Sun, 06 Nov 1994 08:49:27 GMT\r\n\r\n",
           1);
    /* Without a Date the time of arrival stands in for it. */
    EXPECT_AT(request(GET "\r\n"), head, NOW + 10 * DAY, true, 2 * DAY);
}

static void test_freshness_heuristic_last_modified_too_recent(void)
{
    STORED_STALE(OK DATE_NOW
                 "Last-Modified: Sun, 06 Nov 1994 08:49:30 GMT\r\n\r\n");
}

/* EXPECT_GUESS - with heuristic_s, head is storable for lifetime, or not
 * at all when lifetime is 0. */
#define EXPECT_GUESS(head, heuristic_s, want_lifetime)                        \
    do {                                                                      \
        struct freshness f_ =                                                 \
            freshness_at(request(GET "\r\n"), (head), strlen(head), NOW, NOW, \
                         (heuristic_s));                                      \
        ASSERT_EQ_INT(f_.storable, (want_lifetime) > 0);                      \
        ASSERT_EQ_INT(f_.lifetime, (want_lifetime));                          \
    } while (0)

/* A response that gives no clue is not reused by default; -e (the
 * CS:APP lab's rule) gives it heuristic_s. */
static void test_freshness_heuristic_default(void)
{
    const char *head = OK "Content-Type: text/html\r\n\r\n";

    NOT_STORED(head);
    NOT_STORED(OK DATE_NOW "\r\n");
    NOT_STORED(OK "Cache-Control: public\r\n\r\n");
    STORED_STALE(OK "ETag: \"v1\"\r\n\r\n");
    EXPECT_GUESS(head, 42, 42);
    EXPECT_GUESS(OK "Cache-Control: public\r\n\r\n", 42, 42);
    EXPECT_GUESS("HTTP/1.1 404 Not Found\r\n\r\n", 42, 42);
    EXPECT_GUESS(head, 0, 0);
}

static void test_freshness_heuristic_bad_last_modified(void)
{
    NOT_STORED(OK DATE_NOW "Last-Modified: 0\r\n\r\n");
    STORED_STALE(OK DATE_NOW
                 "Last-Modified: Mon, 07 Nov 1994 08:49:37 GMT\r\n\r\n");
    EXPECT_GUESS(OK DATE_NOW "Last-Modified: 0\r\n\r\n", 42, 42);
    EXPECT_GUESS(OK DATE_NOW
                 "Last-Modified: Mon, 07 Nov 1994 08:49:37 GMT\r\n\r\n",
                 42, 42);
}

/* ---- revalidation: the conditional request ---- */

/* validators - freshness_add_validators on a copy of a plain GET for
 * head; returns what it returned, and the copy in scratch. */
static int validators(const char *head)
{
    const struct http_request *req = request(GET "Accept: */*\r\n\r\n");

    (void)req; /* request() parsed it into scratch */
    return freshness_add_validators(&scratch, head, strlen(head));
}

/* expect_header - scratch's header called name is want (NULL: none). */
static void expect_header(const char *name, const char *want)
{
    const char *got = http_header_get(&scratch, name);

    if (want == NULL) {
        UNIT_CHECK(got == NULL, "%s: got %s, want none", name, got);
    } else {
        UNIT_CHECK(got != NULL && strcmp(got, want) == 0, "%s: got %s, want %s",
                   name, got ? got : "none", want);
    }
}

/* RFC 9111 section 4.3.1: the ETag goes back as If-None-Match, the
 * Last-Modified as If-Modified-Since. */
static void test_freshness_validators_both(void)
{
    ASSERT_EQ_INT(validators(OK "ETag: \"v1\"\r\nLast-Modified: Sun, 06 Nov "
                                "1994 08:00:00 GMT\r\n\r\nbody"),
                  0);
    expect_header("If-None-Match", "\"v1\"");
    expect_header("If-Modified-Since", "Sun, 06 Nov 1994 08:00:00 GMT");
    expect_header("Accept", "*/*");
}

static void test_freshness_validators_one(void)
{
    ASSERT_EQ_INT(validators(OK "etag:  W/\"x y\" \r\n\r\n"), 0);
    expect_header("If-None-Match", "W/\"x y\"");
    expect_header("If-Modified-Since", NULL);
    ASSERT_EQ_INT(validators(OK "Last-Modified: Sun, 06 Nov 1994 08:00:00 "
                                "GMT\r\n\r\n"),
                  0);
    expect_header("If-None-Match", NULL);
    expect_header("If-Modified-Since", "Sun, 06 Nov 1994 08:00:00 GMT");
}

/* Without a validator, or with a Last-Modified that is no date, there is
 * nothing to ask: -1, and the request is unchanged. */
static void test_freshness_validators_none(void)
{
    ASSERT_EQ_INT(validators(OK "Cache-Control: max-age=60\r\n\r\n"), -1);
    expect_header("If-Modified-Since", NULL);
    ASSERT_EQ_INT(validators(OK "Last-Modified: yesterday\r\n\r\n"), -1);
    expect_header("If-Modified-Since", NULL);
    ASSERT_EQ_INT(validators(OK "\r\nETag: \"in the body\"\r\n"), -1);
    expect_header("If-None-Match", NULL);
}

/* ---- the client's own conditions on a fresh hit ---- */

#define TAGGED                                                     \
    OK DATE_NOW "ETag: W/\"v1\"\r\n"                               \
                "Last-Modified: Sun, 06 Nov 1994 08:00:00 GMT\r\n" \
                "Cache-Control: max-age=600\r\n\r\n"

/* not_modified - freshness_not_modified for a GET with the header lines
 * conditions (each ending in CRLF) and the stored head. */
static bool not_modified(const char *conditions, const char *head)
{
    char text[512];

    snprintf(text, sizeof(text), GET "%s\r\n", conditions);
    return freshness_not_modified(request(text), head, strlen(head));
}

/* RFC 9110 section 13.1.2 and 8.8.3.2: If-None-Match compares weakly. */
static void test_freshness_none_match(void)
{
    CU_ASSERT_TRUE(not_modified("If-None-Match: W/\"v1\"\r\n", TAGGED));
    CU_ASSERT_TRUE(not_modified("If-None-Match: \"v1\"\r\n", TAGGED));
    CU_ASSERT_TRUE(
        not_modified("If-None-Match: \"a\", \"b,c\" , \"v1\"\r\n", TAGGED));
    CU_ASSERT_TRUE(not_modified("If-None-Match: *\r\n", TAGGED));
    CU_ASSERT_FALSE(not_modified("If-None-Match: \"v2\"\r\n", TAGGED));
    CU_ASSERT_FALSE(not_modified("If-None-Match: \"V1\"\r\n", TAGGED));
    CU_ASSERT_FALSE(not_modified("If-None-Match: v1\r\n", TAGGED));
    CU_ASSERT_FALSE(not_modified("If-None-Match: \"v1\"\r\n",
                                 OK "Cache-Control: max-age=60\r\n\r\n"));
}

/* Section 13.2.2: with If-None-Match, If-Modified-Since is not looked at. */
static void test_freshness_none_match_first(void)
{
    CU_ASSERT_FALSE(
        not_modified("If-None-Match: \"v2\"\r\n"
                     "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n",
                     TAGGED));
}

/* Section 13.1.3: not modified since a date not earlier than
 * Last-Modified, or than Date when there is none. */
static void test_freshness_modified_since(void)
{
    CU_ASSERT_TRUE(not_modified(
        "If-Modified-Since: Sun, 06 Nov 1994 08:00:00 GMT\r\n", TAGGED));
    CU_ASSERT_TRUE(not_modified(
        "If-Modified-Since: Sun, 06 Nov 1994 09:00:00 GMT\r\n", TAGGED));
    CU_ASSERT_FALSE(not_modified(
        "If-Modified-Since: Sun, 06 Nov 1994 07:59:59 GMT\r\n", TAGGED));
    CU_ASSERT_FALSE(not_modified("If-Modified-Since: yesterday\r\n", TAGGED));
    CU_ASSERT_TRUE(
        not_modified("If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n",
                     OK DATE_NOW "\r\n"));
    CU_ASSERT_FALSE(not_modified(
        "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n", OK "\r\n"));
    CU_ASSERT_FALSE(not_modified("", TAGGED));
}

/* ---- the request's part ---- */

/* EXPECT_AGE - head, answering a GET sent at requested and received at
 * received, is stored with lifetime and the age it arrived with. */
#define EXPECT_AGE(head, requested, received, want_lifetime, want_age)    \
    do {                                                                  \
        struct freshness f_ =                                             \
            freshness_at(request(GET "\r\n"), (head), strlen(head),       \
                         (requested), (received), FRESHNESS_HEURISTIC_S); \
        ASSERT_EQ_INT(f_.storable, (want_lifetime) > 0);                  \
        ASSERT_EQ_INT(f_.lifetime, (want_lifetime));                      \
        ASSERT_EQ_INT(f_.age, (want_age));                                \
    } while (0)

/* RFC 9111 section 4.2.3: the origin's Age, plus the time the answer took
 * to come, is the age it arrives with. */
static void test_freshness_age_from_origin(void)
{
    EXPECT_AGE(OK "Cache-Control: max-age=600\r\nAge: 30\r\n\r\n", NOW, NOW,
               600, 30);
    EXPECT_AGE(OK "Cache-Control: max-age=600\r\nAge: 30\r\n\r\n", NOW, NOW + 2,
               600, 32);
    EXPECT_AGE(OK "Cache-Control: max-age=600\r\n\r\n", NOW, NOW + 2, 600, 2);
    EXPECT_AGE(OK "Cache-Control: max-age=600\r\n\r\n", NOW, NOW, 600, 0);
}

/* The apparent age, received minus Date, counts when it is larger. */
static void test_freshness_age_apparent(void)
{
    EXPECT_AGE(OK "Date: Sun, 06 Nov 1994 08:39:37 GMT\r\n"
                  "Cache-Control: max-age=3600\r\nAge: 30\r\n\r\n",
               NOW, NOW, 3600, 600);
    EXPECT_AGE(OK "Date: Sun, 06 Nov 1994 08:59:37 GMT\r\n"
                  "Cache-Control: max-age=3600\r\n\r\n",
               NOW, NOW, 3600, 0);
}

/* A response as old as its lifetime, or older, is stale on arrival. */
static void test_freshness_age_stale_on_arrival(void)
{
    EXPECT_AGE(OK "Cache-Control: max-age=600\r\nAge: 600\r\n\r\n", NOW, NOW, 0,
               0);
    EXPECT_AGE(OK "Cache-Control: max-age=600\r\nAge: 2147483648\r\n\r\n", NOW,
               NOW, 0, 0);
    EXPECT_AGE(OK "Cache-Control: max-age=600\r\nAge: 99999999999999\r\n\r\n",
               NOW, NOW, 0, 0);
    EXPECT_AGE(OK "Date: Sun, 06 Nov 1994 07:49:37 GMT\r\n"
                  "Cache-Control: max-age=600\r\n\r\n",
               NOW, NOW, 0, 0);
}

/* RFC 9111 section 5.1: Age is one non-negative integer. Anything else
 * (a list, two lines, a sign, a fraction, a parameter) cannot be trusted,
 * and the response counts as stale; OWS around the value is fine. */
static void test_freshness_age_invalid_is_stale(void)
{
    EXPECT_AGE(OK "Cache-Control: max-age=600\r\nAge: 30, 30\r\n\r\n", NOW, NOW,
               0, 0);
    EXPECT_AGE(OK "Cache-Control: max-age=600\r\nAge: 0\r\nAge: 0\r\n\r\n", NOW,
               NOW, 0, 0);
    EXPECT_AGE(OK "Cache-Control: max-age=600\r\nAge: -700\r\n\r\n", NOW, NOW,
               0, 0);
    EXPECT_AGE(OK "Cache-Control: max-age=600\r\nAge: 700.5\r\n\r\n", NOW, NOW,
               0, 0);
    EXPECT_AGE(OK "Cache-Control: max-age=600\r\nAge: old\r\n\r\n", NOW, NOW, 0,
               0);
    EXPECT_AGE(OK "Cache-Control: max-age=600\r\nAge: 30;a=1\r\n\r\n", NOW, NOW,
               0, 0);
    EXPECT_AGE(OK "Cache-Control: max-age=600\r\nage:  45 \r\n\r\n", NOW, NOW,
               600, 45);
    /* With a validator it is stored, as old as can be: revalidated. */
    EXPECT_AT(request(GET "\r\n"),
              OK "Cache-Control: max-age=600\r\nETag: \"a\"\r\nAge: -1\r\n\r\n",
              NOW, true, 600);
}

static void test_freshness_authorization_blocks(void)
{
    const struct http_request *req =
        request(GET "Authorization: Basic dXNlcjpwdw==\r\n\r\n");

    EXPECT_AT(req, OK "Cache-Control: max-age=60\r\n\r\n", NOW, false, 0);
    EXPECT_AT(request(GET "authorization: Bearer x\r\n\r\n"),
              OK "Expires: Sun, 06 Nov 1994 08:59:37 GMT\r\n\r\n", NOW, false,
              0);
}

static void test_freshness_authorization_allowed(void)
{
    const char *auth = GET "Authorization: Basic dXNlcjpwdw==\r\n\r\n";

    EXPECT_AT(request(auth), OK "Cache-Control: public, max-age=60\r\n\r\n",
              NOW, true, 60);
    EXPECT_AT(request(auth), OK "Cache-Control: s-maxage=60\r\n\r\n", NOW, true,
              60);
    EXPECT_AT(request(auth),
              OK "Cache-Control: must-revalidate, max-age=60\r\n\r\n", NOW,
              true, 60);
    EXPECT_AT(request(auth), OK "Cache-Control: Public, private\r\n\r\n", NOW,
              false, 0);
}

static void test_freshness_request_no_store(void)
{
    const char *head = OK "Cache-Control: max-age=60\r\n\r\n";

    EXPECT_AT(request(GET "Cache-Control: no-store\r\n\r\n"), head, NOW, false,
              0);
    EXPECT_AT(request(GET "Cache-Control: max-stale, NO-STORE\r\n\r\n"), head,
              NOW, false, 0);
    EXPECT_AT(request(GET "Cache-Control: max-age=0\r\n"
                          "Cache-Control: no-store\r\n\r\n"),
              head, NOW, false, 0);
}

/* A request's no-cache asks for a fresh answer; that answer may be stored. */
static void test_freshness_request_no_cache_stores(void)
{
    const char *head = OK "Cache-Control: max-age=60\r\n\r\n";

    EXPECT_AT(request(GET "Cache-Control: no-cache\r\n\r\n"), head, NOW, true,
              60);
    EXPECT_AT(request(GET "Pragma: no-cache\r\n\r\n"), head, NOW, true, 60);
}

/* ---- reading the head ---- */

static void test_freshness_bare_lf(void)
{
    STORED("HTTP/1.1 200 OK\nCache-Control: max-age=60\n\n", 60);
    NOT_STORED("HTTP/1.1 200 OK\nCache-Control: max-age=60\nVary: *\n\n");
    STORED("HTTP/1.1 200 OK\r\nCache-Control: max-age=60\n\r\n", 60);
}

static void test_freshness_head_without_blank_line(void)
{
    STORED(OK "Cache-Control: max-age=60\r\n", 60);
    STORED(OK "Cache-Control: max-age=60", 60);
    EXPECT_GUESS("HTTP/1.1 200 OK", 42, 42);
    NOT_STORED(OK "Cache-Control: max-age=60\r\nVary: *");
}

static void test_freshness_never_reads_past_len(void)
{
    const char *text = OK "Cache-Control: max-age=60, no-store";
    size_t len = strlen(OK "Cache-Control: max-age=60");
    struct freshness fresh =
        freshness_at(request(GET "\r\n"), text, len, NOW, NOW, 300);

    ASSERT_EQ_INT(fresh.storable, true);
    ASSERT_EQ_INT(fresh.lifetime, 60);
    fresh =
        freshness_at(request(GET "\r\n"), text, strlen(text), NOW, NOW, 300);
    ASSERT_EQ_INT(fresh.storable, false);
    fresh = freshness_at(request(GET "\r\n"), text, 5, NOW, NOW, 300);
    ASSERT_EQ_INT(fresh.storable, false);
}

static void test_freshness_body_is_not_read(void)
{
    STORED(OK "Cache-Control: max-age=60\r\n\r\n"
              "Cache-Control: no-store\r\nVary: *\r\n",
           60);
}

static void test_freshness_line_without_colon_skipped(void)
{
    STORED(OK "garbage\r\nCache-Control: max-age=60\r\n\r\n", 60);
}

/* ---- freshness_allows_hit ---- */

static void test_freshness_hit_plain_get(void)
{
    CU_ASSERT_TRUE(hit(GET "\r\n"));
    CU_ASSERT_TRUE(hit(GET "Accept: */*\r\nUser-Agent: test\r\n\r\n"));
    CU_ASSERT_TRUE(hit(GET "Cache-Control: max-stale=60\r\n\r\n"));
    CU_ASSERT_TRUE(hit(GET "Pragma: foo\r\n\r\n"));
}

static void test_freshness_hit_no_cache(void)
{
    CU_ASSERT_FALSE(hit(GET "Cache-Control: no-cache\r\n\r\n"));
    CU_ASSERT_FALSE(hit(GET "cache-control: No-Cache\r\n\r\n"));
    CU_ASSERT_FALSE(hit(GET "Cache-Control: max-stale, no-cache\r\n\r\n"));
    CU_ASSERT_FALSE(hit(GET "Cache-Control: max-stale\r\n"
                            "Cache-Control: no-cache\r\n\r\n"));
}

static void test_freshness_hit_no_store(void)
{
    CU_ASSERT_FALSE(hit(GET "Cache-Control: no-store\r\n\r\n"));
    CU_ASSERT_FALSE(hit(GET "Cache-Control: NO-STORE\r\n\r\n"));
}

static void test_freshness_hit_pragma_no_cache(void)
{
    CU_ASSERT_FALSE(hit(GET "Pragma: no-cache\r\n\r\n"));
    CU_ASSERT_FALSE(hit(GET "pragma: foo, No-Cache\r\n\r\n"));
}

static void test_freshness_hit_authorization(void)
{
    CU_ASSERT_FALSE(hit(GET "Authorization: Basic dXNlcjpwdw==\r\n\r\n"));
    CU_ASSERT_FALSE(hit(GET "AUTHORIZATION: Bearer x\r\n\r\n"));
}

static CU_TestInfo freshness_tests[] = {
    { "200 with max-age is stored for max-age", test_freshness_max_age },
    { "status line without a reason is fine",
      test_freshness_status_line_without_reason },
    { "heuristically cacheable statuses are stored",
      test_freshness_cacheable_statuses },
    { "other statuses are not stored", test_freshness_status_not_cacheable },
    { "malformed status line is not stored",
      test_freshness_status_line_malformed },
    { "answers to HEAD and POST are not stored",
      test_freshness_method_not_get },
    { "response no-store is not stored", test_freshness_response_no_store },
    { "response private is not stored", test_freshness_response_private },
    { "response no-cache is not stored", test_freshness_response_no_cache },
    { "Vary is stored, Vary: * is not", test_freshness_vary },
    { "the secondary key holds the fields Vary names",
      test_freshness_variant_key },
    { "Vary: * or a key too long is -1", test_freshness_variant_refused },
    { "a Set-Cookie header prevents storing", test_freshness_set_cookie },
    { "header names match in any case", test_freshness_header_names_any_case },
    { "directive names match in any case",
      test_freshness_directive_names_any_case },
    { "whitespace around directives is allowed",
      test_freshness_directive_whitespace },
    { "whitespace around = makes max-age untrusted",
      test_freshness_directive_spaces_around_equals },
    { "max-age=60, private is not stored",
      test_freshness_directive_list_with_private },
    { "directives of every Cache-Control field count",
      test_freshness_directives_from_every_field },
    { "unknown directives are ignored",
      test_freshness_unknown_directives_ignored },
    { "comma inside a quoted string does not split",
      test_freshness_quoted_comma },
    { "max-age that is not digits is not stored",
      test_freshness_max_age_invalid },
    { "max-age given twice is not stored", test_freshness_max_age_twice },
    { "max-age=0 is not stored", test_freshness_max_age_zero },
    { "huge max-age counts as 2^31 seconds", test_freshness_max_age_overflow },
    { "s-maxage beats max-age", test_freshness_s_maxage_beats_max_age },
    { "max-age beats Expires", test_freshness_max_age_beats_expires },
    { "lifetime is Expires minus Date", test_freshness_expires_minus_date },
    { "Expires without Date is measured from now",
      test_freshness_expires_without_date },
    { "Expires with an invalid Date is measured from now",
      test_freshness_expires_invalid_date },
    { "invalid or repeated Expires is not stored",
      test_freshness_expires_invalid },
    { "Expires not after Date is not stored",
      test_freshness_expires_in_the_past },
    { "heuristic is 10% of Date minus Last-Modified",
      test_freshness_heuristic_last_modified },
    { "Last-Modified under 10 s ago gives lifetime 0",
      test_freshness_heuristic_last_modified_too_recent },
    { "heuristic_s when nothing says", test_freshness_heuristic_default },
    { "invalid or later Last-Modified falls back to heuristic_s",
      test_freshness_heuristic_bad_last_modified },
    { "the origin's Age and the delay make the age",
      test_freshness_age_from_origin },
    { "the apparent age counts when larger", test_freshness_age_apparent },
    { "a response as old as its lifetime is not stored",
      test_freshness_age_stale_on_arrival },
    { "an Age that is not one integer makes it stale",
      test_freshness_age_invalid_is_stale },
    { "ETag and Last-Modified become If-None-Match and If-Modified-Since",
      test_freshness_validators_both },
    { "either validator alone is sent", test_freshness_validators_one },
    { "no validator: -1, nothing added", test_freshness_validators_none },
    { "If-None-Match matches the ETag weakly, or *",
      test_freshness_none_match },
    { "If-None-Match decides before If-Modified-Since",
      test_freshness_none_match_first },
    { "If-Modified-Since compares with Last-Modified, else Date",
      test_freshness_modified_since },
    { "request Authorization prevents storing",
      test_freshness_authorization_blocks },
    { "public, s-maxage or must-revalidate allow Authorization",
      test_freshness_authorization_allowed },
    { "request no-store prevents storing", test_freshness_request_no_store },
    { "request no-cache still lets the answer be stored",
      test_freshness_request_no_cache_stores },
    { "bare LF line endings are read", test_freshness_bare_lf },
    { "head ending at len without a blank line is read",
      test_freshness_head_without_blank_line },
    { "bytes past len are never read", test_freshness_never_reads_past_len },
    { "body after the blank line is not read as headers",
      test_freshness_body_is_not_read },
    { "header line without a colon is skipped",
      test_freshness_line_without_colon_skipped },
    { "plain GET may be a hit", test_freshness_hit_plain_get },
    { "request no-cache is never a hit", test_freshness_hit_no_cache },
    { "request no-store is never a hit", test_freshness_hit_no_store },
    { "Pragma: no-cache is never a hit", test_freshness_hit_pragma_no_cache },
    { "request with Authorization is never a hit",
      test_freshness_hit_authorization },
    CU_TEST_INFO_NULL,
};

int main(void)
{
    CU_SuiteInfo suites[] = {
        UNIT_SUITE("freshness", freshness_tests),
        CU_SUITE_INFO_NULL,
    };

    return unit_run(suites);
}
