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

/* RFC 9111 section 1.2.2: a larger delta-seconds counts as 2^31 seconds,
 * "infinity" (over 68 years). */
#define DELTA_SECONDS_MAX ((int64_t)1 << 31)

#define DATE_MAX 64 /* longer than any valid HTTP date */

/* A run of bytes inside the head or a header value; not NUL-terminated. */
struct span {
    const char *p;
    size_t len;
};

/* The Cache-Control directives the kit acts on (RFC 9111 section 5.2),
 * gathered from every Cache-Control field of one message. */
struct directives {
    bool no_store;        /* section 5.2.1.5 and 5.2.2.5 */
    bool no_cache;        /* section 5.2.1.4 and 5.2.2.4 */
    bool is_private;      /* section 5.2.2.7 */
    bool is_public;       /* section 5.2.2.9 */
    bool must_revalidate; /* section 5.2.2.2 */
    bool malformed;       /* a max-age or s-maxage the kit cannot trust */
    int64_t max_age;      /* seconds, or -1 when absent */
    int64_t s_maxage;     /* seconds, or -1 when absent */
};

/* is_digit - whether c is an ASCII digit, whatever the locale. */
static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* is_tchar - whether c may appear in a token (RFC 9110 section 5.6.2). */
static bool is_tchar(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) ||
           (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* is_ows - whether c is OWS: SP or HTAB (RFC 9110 section 5.6.3). */
static bool is_ows(char c)
{
    return c == ' ' || c == '\t';
}

/* trim_ows - s without leading and trailing SP and HTAB. */
static struct span trim_ows(struct span s)
{
    while (s.len > 0 && is_ows(s.p[0])) {
        s.p++;
        s.len--;
    }
    while (s.len > 0 && is_ows(s.p[s.len - 1])) {
        s.len--;
    }
    return s;
}

/* span_is - whether s equals name, ignoring case. */
static bool span_is(struct span s, const char *name)
{
    return s.len == strlen(name) && strncasecmp(s.p, name, s.len) == 0;
}

/* next_line - cut the next line off *rest, without its CRLF or bare LF
 * (RFC 9112 section 2.2); false when *rest is empty. A last line without
 * an LF runs to the end of *rest. */
static bool next_line(struct span *rest, struct span *line)
{
    const char *lf;
    size_t used;

    if (rest->len == 0) {
        return false;
    }
    lf = memchr(rest->p, '\n', rest->len);
    line->p = rest->p;
    line->len = lf != NULL ? (size_t)(lf - rest->p) : rest->len;
    used = line->len + (lf != NULL ? 1 : 0);
    rest->p += used;
    rest->len -= used;
    if (line->len > 0 && line->p[line->len - 1] == '\r') {
        line->len--;
    }
    return true;
}

/* next_field - the name and value (without OWS) of the next header line
 * of *fields; false at the blank line that ends the head, or at its end.
 * A line without a colon is skipped: the glue has already answered such a
 * response with 502 (http_parse_response_header). */
static bool next_field(struct span *fields, struct span *name,
                       struct span *value)
{
    struct span line;

    while (next_line(fields, &line) && line.len > 0) {
        const char *colon = memchr(line.p, ':', line.len);

        if (colon != NULL) {
            name->p = line.p;
            name->len = (size_t)(colon - line.p);
            value->p = colon + 1;
            value->len = line.len - name->len - 1;
            *value = trim_ows(*value);
            return true;
        }
    }
    return false;
}

/* find_field - how many fields named name (any case) fields holds; *value
 * gets the first one's value. */
static size_t find_field(struct span fields, const char *name,
                         struct span *value)
{
    struct span n;
    struct span v;
    size_t count = 0;

    while (next_field(&fields, &n, &v)) {
        if (!span_is(n, name)) {
            continue;
        }
        if (count == 0) {
            *value = v;
        }
        count++;
    }
    return count;
}

/* field_date - the seconds since 1970 named by the first field called
 * name, or -1 when there is none or it is not a valid HTTP date. */
static int64_t field_date(struct span fields, const char *name)
{
    char text[DATE_MAX];
    struct span value;

    /* httpdate_parse wants a string: copy the value, refusing one that is
     * too long to be a date or that a NUL would cut short. */
    if (find_field(fields, name, &value) == 0 || value.len >= sizeof(text) ||
        memchr(value.p, '\0', value.len) != NULL) {
        return -1;
    }
    memcpy(text, value.p, value.len);
    text[value.len] = '\0';
    return httpdate_parse(text);
}

/* status_code - the status of line "HTTP/1.x NNN", then SP or the end;
 * 0 when line is not a status line. */
static int status_code(struct span line)
{
    if (line.len < 12 || memcmp(line.p, "HTTP/1.", 7) != 0 ||
        !is_digit(line.p[7]) || line.p[8] != ' ' || !is_digit(line.p[9]) ||
        !is_digit(line.p[10]) || !is_digit(line.p[11]) ||
        (line.len > 12 && line.p[12] != ' ')) {
        return 0;
    }
    return (line.p[9] - '0') * 100 + (line.p[10] - '0') * 10 +
           (line.p[11] - '0');
}

/* is_cacheable_status - whether line's status is one a cache may store
 * without being told: "heuristically cacheable" (RFC 9110 section 15.1,
 * RFC 9111 section 4.2.2). 206 is one too, but a part of a resource is
 * only of use to a cache that combines parts (section 3.4); the kit's
 * does not. */
static bool is_cacheable_status(struct span line)
{
    static const int cacheable[] = { 200, 203, 204, 300, 301, 308,
                                     404, 405, 410, 414, 501 };
    int code = status_code(line);

    for (size_t i = 0; i < sizeof(cacheable) / sizeof(cacheable[0]); i++) {
        if (code == cacheable[i]) {
            return true;
        }
    }
    return false;
}

/* directives_init - d as for a message without Cache-Control. */
static void directives_init(struct directives *d)
{
    memset(d, 0, sizeof(*d));
    d->max_age = -1;
    d->s_maxage = -1;
}

/* item_length - the length of the first element of the comma-separated
 * list (RFC 9110 section 5.6.1). A comma inside a quoted-string (section
 * 5.6.4), as in private="Set-Cookie, X-Id", does not end the element. */
static size_t item_length(struct span list)
{
    size_t i = 0;
    bool quoted = false;

    while (i < list.len && (quoted || list.p[i] != ',')) {
        if (list.p[i] == '"') {
            quoted = !quoted;
        } else if (quoted && list.p[i] == '\\') {
            i++; /* a quoted-pair: skip the escaped byte */
        }
        i++;
    }
    return i < list.len ? i : list.len;
}

/* next_item - cut the next element, without OWS, off the comma-separated
 * *list (RFC 9110 section 5.6.1); false once the list is used up. An
 * empty list holds one empty element. */
static bool next_item(struct span *list, struct span *item)
{
    size_t n;

    if (list->p == NULL) {
        return false;
    }
    n = item_length(*list);
    *item = trim_ows((struct span){ list->p, n });
    if (n == list->len) {
        *list = (struct span){ NULL, 0 };
    } else {
        list->p += n + 1;
        list->len -= n + 1;
    }
    return true;
}

/* parse_delta - delta-seconds (RFC 9111 section 1.2.2): one or more
 * digits, nothing else; a value past DELTA_SECONDS_MAX counts as that. */
static bool parse_delta(struct span s, int64_t *seconds)
{
    int64_t value = 0;

    if (s.len == 0) {
        return false;
    }
    for (size_t i = 0; i < s.len; i++) {
        if (!is_digit(s.p[i])) {
            return false;
        }
        value = value * 10 + (s.p[i] - '0');
        if (value > DELTA_SECONDS_MAX) {
            value = DELTA_SECONDS_MAX;
        }
    }
    *seconds = value;
    return true;
}

/* note_delta - record the argument of max-age or s-maxage in *seconds;
 * after is what follows the directive's name. The kit reads only the
 * token form "=N": RFC 9111 section 5.2 says recipients "ought to" also
 * accept "N" quoted, but no sender may generate it (section 5.2.2.1).
 * Anything else ("= 60", a sign, no argument), or the directive given
 * twice (section 4.2.1 lets a cache then treat the response as stale),
 * marks the directives malformed, and the response is not stored. */
static void note_delta(int64_t *seconds, struct span after, bool *malformed)
{
    if (*seconds >= 0 || after.len == 0 || after.p[0] != '=' ||
        !parse_delta((struct span){ after.p + 1, after.len - 1 }, seconds)) {
        *malformed = true;
    }
}

/* note_directive - record one element of a Cache-Control list. Its name is
 * the token it starts with, compared without regard to case (RFC 9111
 * section 5.2). Unknown directives are ignored (section 5.2.3); the ones
 * that forbid storing do so whatever argument they carry, so the
 * qualified forms no-cache="..." and private="..." forbid it too. */
static void note_directive(struct directives *d, struct span item)
{
    struct span name = { item.p, 0 };
    struct span after;

    while (name.len < item.len && is_tchar(item.p[name.len])) {
        name.len++;
    }
    after = (struct span){ item.p + name.len, item.len - name.len };
    if (span_is(name, "no-store")) {
        d->no_store = true;
    } else if (span_is(name, "no-cache")) {
        d->no_cache = true;
    } else if (span_is(name, "private")) {
        d->is_private = true;
    } else if (span_is(name, "public")) {
        d->is_public = true;
    } else if (span_is(name, "must-revalidate")) {
        d->must_revalidate = true;
    } else if (span_is(name, "max-age")) {
        note_delta(&d->max_age, after, &d->malformed);
    } else if (span_is(name, "s-maxage")) {
        note_delta(&d->s_maxage, after, &d->malformed);
    }
}

/* read_directives - add the elements of one Cache-Control value to d. */
static void read_directives(struct directives *d, struct span list)
{
    struct span item;

    while (next_item(&list, &item)) {
        note_directive(d, item);
    }
}

/* request_directives - the directives of every header of req called name:
 * Cache-Control, or Pragma, whose no-cache means the same (RFC 9111
 * section 5.4). */
static void request_directives(const struct http_request *req, const char *name,
                               struct directives *d)
{
    directives_init(d);
    for (size_t i = 0; i < req->nheaders; i++) {
        const char *value = req->headers[i].value;

        if (strcasecmp(req->headers[i].name, name) == 0) {
            read_directives(d, (struct span){ value, strlen(value) });
        }
    }
}

/* response_directives - the directives of every Cache-Control field. */
static void response_directives(struct span fields, struct directives *d)
{
    struct span name;
    struct span value;

    directives_init(d);
    while (next_field(&fields, &name, &value)) {
        if (span_is(name, "Cache-Control")) {
            read_directives(d, value);
        }
    }
}

/* request_allows_store - whether req is one whose response may be stored:
 * a GET (the kit's narrowing of RFC 9111 section 3) without no-store
 * (section 5.2.1.5). */
static bool request_allows_store(const struct http_request *req)
{
    struct directives cc;

    request_directives(req, "Cache-Control", &cc);
    return strcmp(req->method, "GET") == 0 && !cc.no_store;
}

/* varies_always - whether a Vary field of fields lists "*": no request
 * can be known to match then (RFC 9111 section 4.1). */
static bool varies_always(struct span fields)
{
    struct span name;
    struct span list;
    struct span item;

    while (next_field(&fields, &name, &list)) {
        while (span_is(name, "Vary") && next_item(&list, &item)) {
            if (span_is(item, "*")) {
                return true;
            }
        }
    }
    return false;
}

/* response_allows_store - whether the response itself may be stored. RFC
 * 9111 section 3: not with no-store or private (a shared cache); not with
 * "Vary: *", which no request matches (section 4.1); and a Set-Cookie
 * belongs to one user (the kit's add-on). no-cache allows storing, as
 * long as every reuse is revalidated (section 5.2.2.4): lifetime_of gives
 * it 0. */
static bool response_allows_store(struct span fields,
                                  const struct directives *cc)
{
    struct span value;

    return !cc->malformed && !cc->no_store && !cc->is_private &&
           !varies_always(fields) &&
           find_field(fields, "Set-Cookie", &value) == 0;
}

/* authorization_allows_store - RFC 9111 section 3.5: an answer to a
 * request with Authorization may be stored only when the response says
 * public, s-maxage or must-revalidate. */
static bool authorization_allows_store(const struct http_request *req,
                                       const struct directives *cc)
{
    return http_header_get(req, "Authorization") == NULL || cc->is_public ||
           cc->s_maxage >= 0 || cc->must_revalidate;
}

/* response_date - the response's Date, or now when it has none or an
 * invalid one (RFC 9110 section 6.6.1: the time it was received). */
static int64_t response_date(struct span fields, int64_t now)
{
    int64_t date = field_date(fields, "Date");

    return date >= 0 ? date : now;
}

/* expires_lifetime - Expires minus Date (RFC 9111 section 4.2.1); 0 when
 * Expires is not a valid date, which means already expired (section 5.3),
 * or is not later than Date. */
static int64_t expires_lifetime(struct span fields, int64_t now)
{
    int64_t expires = field_date(fields, "Expires");
    int64_t date = response_date(fields, now);

    if (expires < 0 || expires <= date) {
        return 0;
    }
    return expires - date;
}

/* heuristic_lifetime - RFC 9111 section 4.2.2: 10% of the time since
 * Last-Modified, when it is valid and earlier than Date; else
 * heuristic_s, 0 unless the proxy was told otherwise (-e): a response
 * that gives no clue at all is not reused. */
static int64_t heuristic_lifetime(struct span fields, int64_t now,
                                  int64_t heuristic_s)
{
    int64_t modified = field_date(fields, "Last-Modified");
    int64_t date = response_date(fields, now);

    if (modified >= 0 && modified < date) {
        return (date - modified) / 10;
    }
    return heuristic_s > 0 ? heuristic_s : 0;
}

/* age_value - the origin's Age (RFC 9111 section 5.1): its one value, as
 * delta-seconds (so at most 2^31); 0 when there is none. An Age that is
 * not exactly one non-negative integer (-1, 1.5, "0, 0", two Age lines,
 * a parameter) cannot be trusted: the response counts as as old as can
 * be, so it is not reused without revalidation. */
static int64_t age_value(struct span fields)
{
    struct span value;
    size_t count = find_field(fields, "Age", &value);
    int64_t age = 0;

    if (count == 0) {
        return 0;
    }
    return count == 1 && parse_delta(value, &age) ? age : DELTA_SECONDS_MAX;
}

/* initial_age - the age the response had when it arrived, RFC 9111
 * section 4.2.3's corrected_initial_age: the larger of its apparent age
 * (how long ago its Date was) and the Age the origin or an earlier cache
 * gave it, plus the time the answer took to come. */
static int64_t initial_age(struct span fields, int64_t requested,
                           int64_t received)
{
    int64_t apparent = received - response_date(fields, received);
    int64_t corrected = age_value(fields) + (received - requested);

    if (apparent < 0) {
        apparent = 0;
    }
    return apparent > corrected ? apparent : corrected;
}

/* has_validator - whether the response can be revalidated (RFC 9111
 * section 4.3.1): it has an ETag, or a Last-Modified that is a date. */
static bool has_validator(struct span fields)
{
    struct span value;

    return find_field(fields, "ETag", &value) > 0 ||
           field_date(fields, "Last-Modified") >= 0;
}

/* lifetime_of - the freshness lifetime (RFC 9111 section 4.2.1): for a
 * shared cache s-maxage, else max-age (both make the cache ignore
 * Expires, section 5.3), else Expires minus Date, else the heuristic. */
static int64_t lifetime_of(struct span fields, const struct directives *cc,
                           int64_t now, int64_t heuristic_s)
{
    struct span value;
    size_t expires = find_field(fields, "Expires", &value);

    if (cc->no_cache) {
        return 0; /* section 5.2.2.4: revalidated before every reuse */
    }
    if (cc->s_maxage >= 0) {
        return cc->s_maxage;
    }
    if (cc->max_age >= 0) {
        return cc->max_age;
    }
    /* Section 4.2.1: with two Expires a cache may treat the response as
     * stale; the kit does. */
    if (expires > 1) {
        return 0;
    }
    if (expires == 1) {
        return expires_lifetime(fields, now);
    }
    return heuristic_lifetime(fields, now, heuristic_s);
}

struct freshness freshness_of(const struct http_request *req, const char *head,
                              size_t len, int64_t requested, int64_t received,
                              int64_t heuristic_s)
{
    struct freshness f = { .storable = false, .lifetime = 0, .age = 0 };
    struct span fields = { head, len };
    struct span status;
    struct directives cc;
    int64_t lifetime;
    int64_t age;

    /* The status line comes first; the fields follow it up to the blank
     * line (or the end of the len bytes). */
    if (!next_line(&fields, &status) || !is_cacheable_status(status) ||
        !request_allows_store(req)) {
        return f;
    }
    response_directives(fields, &cc);
    if (!response_allows_store(fields, &cc) ||
        !authorization_allows_store(req, &cc)) {
        return f;
    }
    lifetime = lifetime_of(fields, &cc, received, heuristic_s);
    age = initial_age(fields, requested, received);
    /* Section 4.2: a response already stale when it arrives can be reused
     * only once the origin has said it is still current (section 4.3). */
    if (lifetime > age || has_validator(fields)) {
        f = (struct freshness){ .storable = true,
                                .lifetime = lifetime,
                                .age = age };
    }
    return f;
}

bool freshness_allows_hit(const struct http_request *req)
{
    struct directives cc;
    struct directives pragma;

    /* RFC 9111 section 5.2.1.4 and 5.4: the client wants the origin's
     * answer; section 5.2.1.5: no-store, which a cache without
     * revalidation can only honour by going to the origin; section 3.5:
     * an answer to Authorization may be meant for that user alone. */
    request_directives(req, "Cache-Control", &cc);
    request_directives(req, "Pragma", &pragma);
    return !cc.no_cache && !cc.no_store && !pragma.no_cache &&
           http_header_get(req, "Authorization") == NULL;
}

/* add_field - add "name: value" to req, as if it had come with it.
 * Returns 0, or -1 when it does not fit. */
static int add_field(struct http_request *req, const char *name,
                     struct span value)
{
    char line[HTTP_MAXLINE];
    int n = snprintf(line, sizeof(line), "%s: %.*s\r\n", name, (int)value.len,
                     value.p);

    if (n < 0 || (size_t)n >= sizeof(line)) {
        return -1;
    }
    return http_parse_header(req, line, (size_t)n) == 0 ? 0 : -1;
}

int freshness_add_validators(struct http_request *cond, const char *head,
                             size_t len)
{
    struct span fields = { head, len };
    struct span status;
    struct span etag;
    struct span modified;
    int added = 0;

    /* RFC 9111 section 4.3.1: the entity tag MUST be sent when the stored
     * response has one; Last-Modified SHOULD be, as If-Modified-Since. */
    if (!next_line(&fields, &status)) {
        return -1;
    }
    if (find_field(fields, "ETag", &etag) > 0) {
        added += add_field(cond, "If-None-Match", etag) == 0;
    }
    if (field_date(fields, "Last-Modified") >= 0 &&
        find_field(fields, "Last-Modified", &modified) > 0) {
        added += add_field(cond, "If-Modified-Since", modified) == 0;
    }
    return added > 0 ? 0 : -1;
}

/* opaque_tag - an entity tag without its W/ prefix: what the weak
 * comparison compares (RFC 9110 section 8.8.3.2). */
static struct span opaque_tag(struct span tag)
{
    if (tag.len >= 2 && memcmp(tag.p, "W/", 2) == 0) {
        tag.p += 2;
        tag.len -= 2;
    }
    return tag;
}

/* tag_listed - whether the If-None-Match list names etag (weakly), or is
 * "*": any current response matches that (RFC 9110 section 13.1.2). */
static bool tag_listed(struct span list, struct span etag)
{
    struct span mine = opaque_tag(etag);
    struct span item;

    while (next_item(&list, &item)) {
        struct span tag = opaque_tag(item);

        if (span_is(tag, "*") ||
            (tag.len >= 2 && tag.p[0] == '"' && tag.len == mine.len &&
             memcmp(tag.p, mine.p, tag.len) == 0)) {
            return true;
        }
    }
    return false;
}

bool freshness_not_modified(const struct http_request *req, const char *head,
                            size_t len)
{
    const char *none_match = http_header_get(req, "If-None-Match");
    const char *since = http_header_get(req, "If-Modified-Since");
    struct span fields = { head, len };
    struct span status;
    struct span etag = { "", 0 };
    int64_t modified;

    if (!next_line(&fields, &status)) {
        return false;
    }
    if (none_match != NULL) {
        find_field(fields, "ETag", &etag);
        return tag_listed((struct span){ none_match, strlen(none_match) },
                          etag);
    }
    modified = field_date(fields, "Last-Modified");
    if (modified < 0) {
        modified = field_date(fields, "Date");
    }
    return since != NULL && modified >= 0 && httpdate_parse(since) >= modified;
}

/* append - add n bytes of text to the key in out (size bytes, used of them
 * in use), keeping it NUL-terminated; false when it does not fit. */
static bool append(char *out, size_t size, size_t *used, const char *text,
                   size_t n)
{
    if (n >= size - *used) {
        return false;
    }
    memcpy(out + *used, text, n);
    *used += n;
    out[*used] = '\0';
    return true;
}

/* append_field - add to the key "name:values\n": name in lower case, then
 * the values of req's fields called name, joined by ", ". */
static bool append_field(char *out, size_t size, size_t *used,
                         const struct http_request *req, struct span name)
{
    const char *sep = "";

    for (size_t i = 0; i < name.len; i++) {
        char c = (char)tolower((unsigned char)name.p[i]);

        if (!append(out, size, used, &c, 1)) {
            return false;
        }
    }
    if (!append(out, size, used, ":", 1)) {
        return false;
    }
    for (size_t i = 0; i < req->nheaders; i++) {
        const char *value = req->headers[i].value;

        if (span_is(name, req->headers[i].name)) {
            if (!append(out, size, used, sep, strlen(sep)) ||
                !append(out, size, used, value, strlen(value))) {
                return false;
            }
            sep = ", ";
        }
    }
    return append(out, size, used, "\n", 1);
}

int freshness_variant(const struct http_request *req, const char *head,
                      size_t len, char *out, size_t size)
{
    struct span fields = { head, len };
    struct span name;
    struct span list;
    struct span item;
    size_t used = 0;

    if (size == 0 || !next_line(&fields, &name) || varies_always(fields)) {
        return -1;
    }
    out[0] = '\0';
    while (next_field(&fields, &name, &list)) {
        while (span_is(name, "Vary") && next_item(&list, &item)) {
            if (item.len > 0 && !append_field(out, size, &used, req, item)) {
                return -1;
            }
        }
    }
    return (int)used;
}
