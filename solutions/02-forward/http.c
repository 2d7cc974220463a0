/*
 * http.c - lab 02: parse an HTTP/1.x request head, rewrite it for the
 * origin server, and read the framing of the origin's response head.
 *
 * Every function is pure (see http.h): it reads the bytes it is given and
 * writes only the structs and buffers it is handed. A line may hold any
 * byte, NUL included, so the parsers count with n and never call strlen on
 * a line. The kit is strict: where RFC 9112 lets a recipient either repair
 * a message or reject it, these functions reject it (400 for a request,
 * 502 for a response). The functions appear in the order of http.h.
 */
#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "http.h"
#include "httpdate.h"
#include "log.h"

void http_request_init(struct http_request *req)
{
    memset(req, 0, sizeof(*req));
}

/* A run of bytes inside a line or a value; not NUL-terminated. */
struct span {
    const char *p;
    size_t len;
};

/* is_digit - whether c is an ASCII digit, whatever the locale. */
static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* is_alpha - whether c is an ASCII letter, whatever the locale. */
static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* is_hex - whether c is an ASCII hexadecimal digit. */
static bool is_hex(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* is_ctl - whether c is a control byte: 0x00 to 0x1f, or DEL. */
static bool is_ctl(char c)
{
    unsigned char u = (unsigned char)c;

    return u < 0x20 || u == 0x7f;
}

/* is_tchar - whether c may appear in a token (RFC 9110 section 5.6.2). */
static bool is_tchar(char c)
{
    return is_alpha(c) || is_digit(c) ||
           (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* is_token - whether s is a non-empty run of tchars. */
static bool is_token(struct span s)
{
    if (s.len == 0) {
        return false;
    }
    for (size_t i = 0; i < s.len; i++) {
        if (!is_tchar(s.p[i])) {
            return false;
        }
    }
    return true;
}

/* copy_span - copy s into dst and NUL-terminate; dst has room for both. */
static void copy_span(char *dst, struct span s)
{
    memcpy(dst, s.p, s.len);
    dst[s.len] = '\0';
}

/* strip_eol - the line without its CRLF or bare LF ending (RFC 9112
 * section 2.2 lets a recipient accept a bare LF); false when there is no
 * LF at the end. A CR left inside is a bare CR, which callers reject. */
static bool strip_eol(const char *line, size_t n, struct span *body)
{
    if (n == 0 || line[n - 1] != '\n') {
        return false;
    }
    n--;
    if (n > 0 && line[n - 1] == '\r') {
        n--;
    }
    body->p = line;
    body->len = n;
    return true;
}

/* split_request_line - cut body into method, target and version at single
 * SPs (RFC 9112 section 3); false for empty parts or any other count. */
static bool split_request_line(struct span body, struct span part[3])
{
    const char *p = body.p;
    const char *end = body.p + body.len;

    for (int i = 0; i < 3; i++) {
        const char *sp = memchr(p, ' ', (size_t)(end - p));
        const char *stop = sp != NULL ? sp : end;

        part[i].p = p;
        part[i].len = (size_t)(stop - p);
        if (part[i].len == 0 || (sp == NULL) != (i == 2)) {
            return false;
        }
        p = stop + 1;
    }
    return true;
}

/* is_request_target - whether s is non-empty and has no control bytes (it
 * has no SP, having been split at them). */
static bool is_request_target(struct span s)
{
    if (s.len == 0) {
        return false;
    }
    for (size_t i = 0; i < s.len; i++) {
        if (is_ctl(s.p[i])) {
            return false;
        }
    }
    return true;
}

/* parse_version - "HTTP/d.d" as 10 * major + minor, or -1 when s is not
 * that shape (RFC 9112 section 2.3: "HTTP" is case-sensitive). */
static int parse_version(struct span s)
{
    if (s.len != 8 || memcmp(s.p, "HTTP/", 5) != 0 || !is_digit(s.p[5]) ||
        s.p[6] != '.' || !is_digit(s.p[7])) {
        return -1;
    }
    return 10 * (s.p[5] - '0') + (s.p[7] - '0');
}

int http_parse_request_line(struct http_request *req, const char *line,
                            size_t n)
{
    struct span body;
    struct span part[3]; /* method, target, version */
    int version;

    /* Check the shape first: a malformed line is a 400 whatever its size. */
    if (!strip_eol(line, n, &body) || !split_request_line(body, part) ||
        !is_token(part[0]) || !is_request_target(part[1])) {
        return 400;
    }
    version = parse_version(part[2]);
    if (version < 0) {
        return 400;
    }

    /* RFC 9112 section 3: a method longer than any we know is a 501, a
     * target longer than we parse a 414; RFC 9110 section 15.6.6: 505. */
    if (part[0].len >= sizeof(req->method)) {
        return 501;
    }
    if (part[1].len >= sizeof(req->target)) {
        return 414;
    }
    if (version != 10 && version != 11) {
        return 505;
    }
    copy_span(req->method, part[0]);
    copy_span(req->target, part[1]);
    req->minor_version = version - 10;
    return 0;
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

/* is_field_text - whether s has no control byte other than HTAB: RFC 9110
 * section 5.5 lets a recipient reject CR, LF and NUL in a value, and the
 * grammar allows no other control byte. */
static bool is_field_text(struct span s)
{
    for (size_t i = 0; i < s.len; i++) {
        if (is_ctl(s.p[i]) && s.p[i] != '\t') {
            return false;
        }
    }
    return true;
}

/* split_field - cut a "Name: value" line (RFC 9112 section 5) into its
 * name and its value without OWS. False for a malformed line: no LF at
 * the end, obs-fold (a first byte of SP or HTAB, section 5.2), no colon,
 * a name that is not a token (whitespace before the colon, section 5.1),
 * or control bytes in the value. */
static bool split_field(const char *line, size_t n, struct span *name,
                        struct span *value)
{
    struct span body;
    const char *colon;

    if (!strip_eol(line, n, &body) || body.len == 0 || is_ows(body.p[0])) {
        return false;
    }
    colon = memchr(body.p, ':', body.len);
    if (colon == NULL) {
        return false;
    }
    name->p = body.p;
    name->len = (size_t)(colon - body.p);
    value->p = colon + 1;
    value->len = body.len - name->len - 1;
    *value = trim_ows(*value);
    return is_token(*name) && is_field_text(*value);
}

/* Where a message keeps its header fields: http_request's and
 * http_response's headers, nheaders, text and text_used. */
struct fields {
    struct http_header *headers; /* HTTP_MAXHEADERS of them */
    size_t *nheaders;
    char *text; /* HTTP_MAXHEADTEXT bytes */
    size_t *text_used;
};

/* store_text - copy s, NUL-terminated, into the text of f; NULL when it
 * is full. */
static const char *store_text(struct fields f, struct span s)
{
    char *p = f.text + *f.text_used;

    if (s.len + 1 > HTTP_MAXHEADTEXT - *f.text_used) {
        return NULL;
    }
    copy_span(p, s);
    *f.text_used += s.len + 1;
    return p;
}

/* add_field - copy name and value into the text of f and append them to
 * its headers; false when either is full. */
static bool add_field(struct fields f, struct span name, struct span value)
{
    struct http_header *h = &f.headers[*f.nheaders];

    if (*f.nheaders >= HTTP_MAXHEADERS ||
        name.len + value.len + 2 > HTTP_MAXHEADTEXT - *f.text_used) {
        return false;
    }
    h->name = store_text(f, name);
    h->value = store_text(f, value);
    (*f.nheaders)++;
    return true;
}

int http_parse_header(struct http_request *req, const char *line, size_t n)
{
    struct fields f = { req->headers, &req->nheaders, req->text,
                        &req->text_used };
    struct span name;
    struct span value;

    if (!split_field(line, n, &name, &value)) {
        return 400;
    }
    /* RFC 6585 section 5: more headers than the proxy keeps is a 431. */
    return add_field(f, name, value) ? 0 : 431;
}

/* lower - c in lower case if it is an ASCII letter. */
static char lower(char c)
{
    if (c >= 'A' && c <= 'Z') {
        return (char)(c - 'A' + 'a');
    }
    return c;
}

/* is_reg_name_char - whether c may appear in a host name or IPv4 address:
 * unreserved or sub-delims (RFC 3986 section 3.2.2). The kit refuses
 * pct-encoded names, which no resolver would look up. */
static bool is_reg_name_char(char c)
{
    return is_alpha(c) || is_digit(c) ||
           (c != '\0' && strchr("-._~!$&'()*+,;=", c) != NULL);
}

/* copy_reg_name - copy the host name s of len bytes into host in lower
 * case; false when it is empty, too long or has a byte a host cannot. */
static bool copy_reg_name(const char *s, size_t len, char host[HTTP_MAXHOST])
{
    if (len == 0 || len >= HTTP_MAXHOST) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        if (!is_reg_name_char(s[i])) {
            return false;
        }
        host[i] = lower(s[i]);
    }
    host[len] = '\0';
    return true;
}

/* copy_ipv6 - copy the address from inside "[...]" into host in lower
 * case; false unless it is an IPv6 address (no zone, no IPvFuture). */
static bool copy_ipv6(const char *s, size_t len, char host[HTTP_MAXHOST])
{
    struct in6_addr addr;

    if (len == 0 || len >= INET6_ADDRSTRLEN) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        if (!is_hex(s[i]) && s[i] != ':' && s[i] != '.') {
            return false;
        }
        host[i] = lower(s[i]);
    }
    host[len] = '\0';
    return inet_pton(AF_INET6, host, &addr) == 1;
}

/* parse_port - ":port" of len bytes into port, without leading zeros, or
 * "80" when len is 0 (RFC 9110 section 4.2.1). The kit refuses an empty
 * port ("host:"), which RFC 3986 allows, as well as 0 and over 65535. */
static bool parse_port(const char *s, size_t len, char port[HTTP_MAXPORT])
{
    unsigned value = 0;

    if (len == 0) {
        memcpy(port, "80", sizeof("80"));
        return true;
    }
    if (s[0] != ':' || len < 2 || len > sizeof(":65535") - 1) {
        return false;
    }
    for (size_t i = 1; i < len; i++) {
        if (!is_digit(s[i])) {
            return false;
        }
        value = value * 10 + (unsigned)(s[i] - '0');
    }
    if (value == 0 || value > 65535) {
        return false;
    }
    (void)snprintf(port, HTTP_MAXPORT, "%u", value);
    return true;
}

/* parse_authority - split "host[:port]" of len bytes into host (lower
 * case, an IPv6 literal without its brackets) and port. False when it is
 * malformed; userinfo ("user@host") fails too, as '@' is no host byte. */
static bool parse_authority(const char *s, size_t len, char host[HTTP_MAXHOST],
                            char port[HTTP_MAXPORT])
{
    const char *end = s + len;
    const char *rest;

    if (len > 0 && s[0] == '[') {
        rest = memchr(s, ']', len);
        if (rest == NULL || !copy_ipv6(s + 1, (size_t)(rest - s - 1), host)) {
            return false;
        }
        rest++;
    } else {
        rest = memchr(s, ':', len);
        rest = rest != NULL ? rest : end;
        if (!copy_reg_name(s, (size_t)(rest - s), host)) {
            return false;
        }
    }
    return parse_port(rest, (size_t)(end - rest), port);
}

/* count_headers - how many of the n headers are named name (any case). */
static size_t count_headers(const struct http_header *headers, size_t n,
                            const char *name)
{
    size_t count = 0;

    for (size_t i = 0; i < n; i++) {
        if (strcasecmp(headers[i].name, name) == 0) {
            count++;
        }
    }
    return count;
}

/* parse_origin_form - "/path?query" (RFC 9112 section 3.2.1): the one
 * Host header names the origin. 0 or 400. */
static int parse_origin_form(struct http_request *req, const char *host)
{
    if (host == NULL ||
        !parse_authority(host, strlen(host), req->host, req->port)) {
        return 400;
    }
    req->path = req->target;
    return 0;
}

/* parse_absolute_form - "http://authority[/path][?query]" (RFC 9112
 * section 3.2.2): the target names the origin. The path is passed on
 * unchanged (RFC 9110 section 7.7). 0 or 400. */
static int parse_absolute_form(struct http_request *req, const char *host)
{
    char other_host[HTTP_MAXHOST];
    char other_port[HTTP_MAXPORT];
    const char *auth = req->target + strlen("http://");
    size_t len;

    /* The scheme is case-insensitive (RFC 9110 section 4.2.3); https goes
     * through CONNECT, never to a forward proxy as a target. */
    if (strncasecmp(req->target, "http://", strlen("http://")) != 0) {
        return 400;
    }
    /* "http://host?q" would need a '/' inserted before the query (RFC 9112
     * section 3.2.1) that req->path cannot point to; clients send "/?q". */
    len = strcspn(auth, "/?");
    if (auth[len] == '?' || !parse_authority(auth, len, req->host, req->port)) {
        return 400;
    }
    req->path = auth[len] == '/' ? auth + len : "/";

    /* RFC 9112 section 3.2.2: the target names the origin, and a Host
     * that names another is ignored (http_format_request writes the
     * target's). Only a Host that is no host at all is a 400 (section
     * 3.2). */
    if (host != NULL &&
        !parse_authority(host, strlen(host), other_host, other_port)) {
        return 400;
    }
    return 0;
}

/* via_names_us - whether a Via value ("1.1 a, 1.0 proxylab (comment)")
 * has an entry received by HTTP_VIA: the request went through this proxy
 * before (RFC 9110 section 7.6.3). */
static bool via_names_us(const char *value)
{
    const char *p = value;

    while (*p != '\0') {
        size_t by;

        p += strspn(p, " \t,");
        p += strcspn(p, " \t,"); /* the received-protocol */
        p += strspn(p, " \t");
        by = strcspn(p, " \t,");
        if (by == strlen(HTTP_VIA) && strncmp(p, HTTP_VIA, by) == 0) {
            return true;
        }
        p += by;
        p += strcspn(p, ","); /* a comment, to the next entry */
    }
    return false;
}

/* has_looped - whether a Via header of req names this proxy. */
static bool has_looped(const struct http_request *req)
{
    for (size_t i = 0; i < req->nheaders; i++) {
        if (strcasecmp(req->headers[i].name, "Via") == 0 &&
            via_names_us(req->headers[i].value)) {
            return true;
        }
    }
    return false;
}

int http_parse_target(struct http_request *req)
{
    const char *host = http_header_get(req, "Host");

    /* RFC 9112 section 3.2: more than one Host header is a 400, and a
     * request-target never carries a "#fragment". */
    if (count_headers(req->headers, req->nheaders, "Host") > 1 ||
        strchr(req->target, '#') != NULL) {
        return 400;
    }
    /* A request that names the proxy itself as its origin would come back
     * to it, and again, until every worker is taken: 508 (RFC 5842). */
    if (has_looped(req)) {
        return 508;
    }
    if (req->target[0] == '/') {
        return parse_origin_form(req, host);
    }
    /* Anything else that is not absolute-form (asterisk-form "*",
     * authority-form "host:port") fails in parse_absolute_form. */
    return parse_absolute_form(req, host);
}

const char *http_header_get(const struct http_request *req, const char *name)
{
    for (size_t i = 0; i < req->nheaders; i++) {
        if (strcasecmp(req->headers[i].name, name) == 0) {
            return req->headers[i].value;
        }
    }
    return NULL;
}

size_t http_header_remove(struct http_request *req, const char *name)
{
    size_t kept = 0;
    size_t removed;

    for (size_t i = 0; i < req->nheaders; i++) {
        if (strcasecmp(req->headers[i].name, name) != 0) {
            req->headers[kept++] = req->headers[i];
        }
    }
    removed = req->nheaders - kept;
    req->nheaders = kept;
    return removed;
}

bool http_is_hop_by_hop(const char *name)
{
    /* RFC 9110 section 7.6.1, Proxy-Connection (RFC 9112 appendix C.2.2)
     * and the proxy credentials, meant for this proxy alone (RFC 9110
     * section 11.7). */
    static const char *const hop[] = {
        "Connection",
        "Proxy-Connection",
        "Keep-Alive",
        "TE",
        "Trailer",
        "Transfer-Encoding",
        "Upgrade",
        "Proxy-Authorization",
        "Proxy-Authenticate",
    };

    for (size_t i = 0; i < sizeof(hop) / sizeof(hop[0]); i++) {
        if (strcasecmp(name, hop[i]) == 0) {
            return true;
        }
    }
    return false;
}

/* span_is - whether s equals name, ignoring case. */
static bool span_is(struct span s, const char *name)
{
    return s.len == strlen(name) && strncasecmp(s.p, name, s.len) == 0;
}

/* list_has - whether the comma-separated list (RFC 9110 section 5.6.1)
 * has an element equal to name, ignoring case and OWS. */
static bool list_has(const char *list, const char *name)
{
    struct span item;

    for (;;) {
        item.p = list;
        item.len = strcspn(list, ",");
        if (span_is(trim_ows(item), name)) {
            return true;
        }
        if (list[item.len] == '\0') {
            return false;
        }
        list += item.len + 1;
    }
}

/* connection_names - whether a Connection header among the n headers
 * lists name. */
static bool connection_names(const struct http_header *headers, size_t n,
                             const char *name)
{
    for (size_t i = 0; i < n; i++) {
        if (strcasecmp(headers[i].name, "Connection") == 0 &&
            list_has(headers[i].value, name)) {
            return true;
        }
    }
    return false;
}

bool http_is_connection_option(const struct http_request *req, const char *name)
{
    return connection_names(req->headers, req->nheaders, name);
}

#define MAX_BODY_LENGTH ((uint64_t)1 << 62) /* larger Content-Length: 400 */

/* parse_length - a Content-Length value into *length: decimal digits only,
 * so a list such as "5, 5" (RFC 9110 section 8.6 allows rejecting it) is
 * refused; false too above MAX_BODY_LENGTH. */
static bool parse_length(struct span s, uint64_t *length)
{
    uint64_t value = 0;

    if (s.len == 0) {
        return false;
    }
    for (size_t i = 0; i < s.len; i++) {
        uint64_t digit;

        if (!is_digit(s.p[i])) {
            return false;
        }
        digit = (uint64_t)(s.p[i] - '0');
        if (value > (MAX_BODY_LENGTH - digit) / 10) {
            return false;
        }
        value = value * 10 + digit;
    }
    *length = value;
    return true;
}

int http_body_length(const struct http_request *req, uint64_t *length)
{
    const char *value = http_header_get(req, "Content-Length");

    /* RFC 9112 section 6.1: both headers is a smuggling attempt or a
     * broken client (400); the kit does not relay chunked request bodies,
     * so Transfer-Encoding alone is Not Implemented (501). */
    *length = 0;
    if (http_header_get(req, "Transfer-Encoding") != NULL) {
        return value != NULL ? 400 : 501;
    }

    /* RFC 9110 section 7.6.1 forbids a sender to name Content-Length in
     * Connection; were it obeyed, the origin would get the body without
     * its length and read it as a second request (smuggling): 400. */
    if (http_is_connection_option(req, "Content-Length")) {
        return 400;
    }

    /* RFC 9112 section 6.3: an invalid Content-Length leaves the body's
     * end unknown: 400. Two of them (even equal) add up to the list
     * "5, 5", which RFC 9110 section 8.6 lets a recipient reject. */
    if (value == NULL) {
        return 0;
    }
    if (count_headers(req->headers, req->nheaders, "Content-Length") > 1 ||
        !parse_length((struct span){ value, strlen(value) }, length)) {
        return 400;
    }
    return 0;
}

/* An output buffer that append fills; used stays below size. */
struct out {
    char *buf;
    size_t size;
    size_t used;
};

/* append - add printf-style text to o; false when it does not all fit. */
static bool append(struct out *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static bool append(struct out *o, const char *fmt, ...)
{
    size_t room = o->size - o->used;
    va_list ap;
    int n;

    va_start(ap, fmt);
    /* clang-analyzer 14 wrongly reports ap as unset here
     * (llvm/llvm-project#40656). */
    /* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized) */
    n = vsnprintf(o->buf + o->used, room, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= room) {
        return false;
    }
    o->used += (size_t)n;
    return true;
}

/* append_host - add the Host line for req's origin (RFC 9112 section
 * 3.2.2): an IPv6 address in brackets, the port only when it is not 80. */
static bool append_host(const struct http_request *req, struct out *o)
{
    bool ipv6 = strchr(req->host, ':') != NULL;

    if (!append(o, ipv6 ? "Host: [%s]" : "Host: %s", req->host)) {
        return false;
    }
    if (strcmp(req->port, "80") != 0 && !append(o, ":%s", req->port)) {
        return false;
    }
    return append(o, "\r\n");
}

/* append_headers - add req's end-to-end headers in their order: all but
 * Host (rebuilt from the target) and the hop-by-hop ones, including those
 * that Connection names (RFC 9110 section 7.6.1). */
static bool append_headers(const struct http_request *req, struct out *o)
{
    for (size_t i = 0; i < req->nheaders; i++) {
        const struct http_header *h = &req->headers[i];

        if (strcasecmp(h->name, "Host") == 0 || http_is_hop_by_hop(h->name) ||
            http_is_connection_option(req, h->name)) {
            continue;
        }
        if (!append(o, "%s: %s\r\n", h->name, h->value)) {
            return false;
        }
    }
    return true;
}

ssize_t http_format_request(const struct http_request *req, char *buf,
                            size_t size)
{
    struct out o = { buf, size, 0 };

    assert(req->path != NULL); /* http_parse_target comes first */

    /* HTTP/1.0 upstream: the origin must not answer it with chunked
     * framing (RFC 9112 section 6.1) and closes after one response. Via
     * names the version the client spoke (RFC 9110 section 7.6.3). */
    if (size == 0 ||
        !append(&o, "%s %s HTTP/1.0\r\n", req->method, req->path) ||
        !append_host(req, &o) || !append_headers(req, &o) ||
        !append(&o, "Via: 1.%d %s\r\n", req->minor_version, HTTP_VIA) ||
        !append(&o, "Connection: close\r\n\r\n")) {
        errno = EMSGSIZE;
        return -1;
    }
    return (ssize_t)o.used;
}

/* parse_status_code - the three digits at p as a number, or -1. */
static int parse_status_code(const char *p)
{
    if (!is_digit(p[0]) || !is_digit(p[1]) || !is_digit(p[2])) {
        return -1;
    }
    return 100 * (p[0] - '0') + 10 * (p[1] - '0') + (p[2] - '0');
}

int http_parse_status_line(struct http_response *resp, const char *line,
                           size_t n)
{
    struct span body;
    int version;
    int status;

    struct fields f = { resp->headers, &resp->nheaders, resp->text,
                        &resp->text_used };

    resp->status = 0;
    resp->content_length = -1;
    resp->chunked = false;
    resp->nheaders = 0;
    resp->text_used = 0;

    /* RFC 9112 section 4: "HTTP/1.x" SP 3DIGIT SP [reason-phrase]; the kit
     * also accepts a line that ends right after the code. */
    if (!strip_eol(line, n, &body) || body.len < 12) {
        return 502;
    }
    version = parse_version((struct span){ body.p, 8 });
    status = parse_status_code(body.p + 9);
    if ((version != 10 && version != 11) || body.p[8] != ' ' || status < 100 ||
        status > 599 || (body.len > 12 && body.p[12] != ' ') ||
        !is_field_text((struct span){ body.p + 12, body.len - 12 })) {
        return 502;
    }
    resp->status = status;
    resp->minor_version = version % 10;
    resp->reason = store_text(
        f, body.len > 12 ? (struct span){ body.p + 13, body.len - 13 }
                         : (struct span){ "", 0 });
    return resp->reason != NULL ? 0 : 502;
}

/* last_item - the last element of a comma-separated list, without OWS. */
static struct span last_item(struct span list)
{
    size_t start = list.len;

    while (start > 0 && list.p[start - 1] != ',') {
        start--;
    }
    return trim_ows((struct span){ list.p + start, list.len - start });
}

int http_parse_response_header(struct http_response *resp, const char *line,
                               size_t n)
{
    struct fields f = { resp->headers, &resp->nheaders, resp->text,
                        &resp->text_used };
    struct span name;
    struct span value;
    uint64_t length;

    /* RFC 9112 section 5.2: a proxy may replace a response that uses
     * obs-fold with a 502; the kit does so for every malformed line. */
    if (!split_field(line, n, &name, &value) || !add_field(f, name, value)) {
        return 502;
    }

    /* RFC 9112 section 6.3: an invalid or conflicting Content-Length is
     * unrecoverable (502). With chunked it would be a smuggling sign: the
     * kit relays the body as it came, so it cannot drop one of them. */
    if (span_is(name, "Content-Length")) {
        if (!parse_length(value, &length) || resp->chunked ||
            (resp->content_length >= 0 &&
             (uint64_t)resp->content_length != length)) {
            return 502;
        }
        resp->content_length = (int64_t)length;
    } else if (span_is(name, "Transfer-Encoding")) {
        resp->chunked = span_is(last_item(value), "chunked");
        if (resp->chunked && resp->content_length >= 0) {
            return 502;
        }
    }
    return 0;
}

/* is_relayed_field - whether a response header named name goes on to the
 * client: not a hop-by-hop one (but Transfer-Encoding, whose body goes on
 * as it came), not one the response's Connection names (RFC 9110 section
 * 7.6.1). */
static bool is_relayed_field(const struct http_response *resp, const char *name)
{
    if (http_is_hop_by_hop(name) &&
        strcasecmp(name, "Transfer-Encoding") != 0) {
        return false;
    }
    return !connection_names(resp->headers, resp->nheaders, name);
}

ssize_t http_format_response(const struct http_response *resp, time_t received,
                             char *buf, size_t size)
{
    struct out o = { buf, size, 0 };
    char date[HTTPDATE_SIZE];
    bool fits = size > 0 &&
                append(&o, "HTTP/1.1 %d %s\r\n", resp->status, resp->reason);

    for (size_t i = 0; fits && i < resp->nheaders; i++) {
        const struct http_header *h = &resp->headers[i];

        fits = !is_relayed_field(resp, h->name) ||
               append(&o, "%s: %s\r\n", h->name, h->value);
    }
    /* A response forwarded without a Date gets the time it was received
     * (RFC 9110 section 6.6.1). */
    if (fits && count_headers(resp->headers, resp->nheaders, "Date") == 0) {
        httpdate_format(received, date);
        fits = append(&o, "Date: %s\r\n", date);
    }
    /* The proxy's own version in the status line (RFC 9112 section 2.3);
     * Via names the origin's (RFC 9110 section 7.6.3). */
    if (!fits ||
        !append(&o, "Via: 1.%d %s\r\n", resp->minor_version, HTTP_VIA) ||
        !append(&o, "Connection: close\r\n\r\n")) {
        errno = EMSGSIZE;
        return -1;
    }
    return (ssize_t)o.used;
}
