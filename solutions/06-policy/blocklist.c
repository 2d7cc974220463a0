/*
 * blocklist.c - lab 06: the hosts the proxy refuses to reach, read from a
 * file of patterns and matched against each request's host.
 *
 * Rules are kept in two arrays sorted by host, then port: exact rules,
 * and "*." rules under the domain they cover. Matching a host looks it up
 * in the first array, then looks up each of its parent domains in the
 * second ("a.b.example.com": "b.example.com", "example.com", "com"), so a
 * request costs a few binary searches however long the list is. A port of
 * 0 stands for "any port" and sorts first, so it is found first.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blocklist.h"
#include "log.h"

#define ANY_PORT    0     /* a rule without ":PORT" */
#define RULES_START 16    /* room in a rule array when the first rule comes */
#define LOAD_CHUNK  65536 /* bytes read from the file at a time */

struct rule {
    char *text;    /* the pattern in normal form, what match returns */
    char *host;    /* the normalised host, without "*." and port */
    unsigned port; /* ANY_PORT or 1..65535 */
};

struct rules {
    struct rule *v; /* sorted by host, then port, once built */
    size_t n;
    size_t cap;
};

struct blocklist {
    struct rules exact;  /* "example.com", "10.0.0.1", "[::1]:443" */
    struct rules suffix; /* "*.example.com": host is "example.com" */
};

/* is_host_char - whether c may appear in a host name (RFC 1123 letters,
 * digits and hyphens, dots between labels, and '_' seen in the wild). */
static bool is_host_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
}

/* lower - c in lower case, for ASCII letters only, whatever the locale. */
static char lower(char c)
{
    if (c >= 'A' && c <= 'Z') {
        return (char)(c - 'A' + 'a');
    }
    return c;
}

/* normalize_ipv6 - write the len-byte IPv6 literal s in RFC 5952 form. */
static int normalize_ipv6(const char *s, size_t len, char *out, size_t size)
{
    char copy[INET6_ADDRSTRLEN];
    struct in6_addr addr;

    if (len >= sizeof(copy)) {
        return -1;
    }
    memcpy(copy, s, len);
    copy[len] = '\0';
    if (inet_pton(AF_INET6, copy, &addr) != 1 ||
        inet_ntop(AF_INET6, &addr, out, (socklen_t)size) == NULL) {
        return -1;
    }
    return 0;
}

/* normalize_name - write the len-byte host name s in lower case; its
 * labels must not be empty (".a", "a..b"). */
static int normalize_name(const char *s, size_t len, char *out, size_t size)
{
    if (len >= size || s[0] == '.') {
        return -1;
    }
    for (size_t i = 0; i < len; i++) {
        if (!is_host_char(s[i]) || (s[i] == '.' && s[i + 1] == '.')) {
            return -1;
        }
        out[i] = lower(s[i]);
    }
    out[len] = '\0';
    return 0;
}

int blocklist_normalize_host(const char *host, char *out, size_t size)
{
    size_t len = strlen(host);

    if (len >= 2 && host[0] == '[' && host[len - 1] == ']') {
        host++;
        len -= 2;
    }
    if (len > 0 && host[len - 1] == '.') {
        len--;
    }
    if (len == 0) {
        return -1;
    }
    if (memchr(host, ':', len) != NULL) {
        return normalize_ipv6(host, len, out, size);
    }
    return normalize_name(host, len, out, size);
}

/* is_ipv4 - whether the normalised host is an IPv4 literal. */
static bool is_ipv4(const char *host)
{
    struct in_addr addr;

    return inet_pton(AF_INET, host, &addr) == 1;
}

/* parse_port - the port in s (1 to 65535, decimal digits only), or -1. */
static int parse_port(const char *s)
{
    int port = 0;

    if (*s == '\0') {
        return -1;
    }
    for (; *s != '\0'; s++) {
        if (*s < '0' || *s > '9') {
            return -1;
        }
        port = port * 10 + (*s - '0');
        if (port > 65535) {
            return -1;
        }
    }
    return port == 0 ? -1 : port;
}

/* port_colon - the ':' before a pattern's port, or NULL when it has
 * none: "host:8080" and "[v6]:8080" have one; "host", "[v6]" and a bare
 * IPv6 literal ("::1", whose colons are all its own) do not. */
static char *port_colon(char *pattern)
{
    char *close = strrchr(pattern, ']');
    char *colon;

    if (close != NULL) {
        return close[1] == ':' ? close + 1 : NULL;
    }
    colon = strchr(pattern, ':');
    return colon != NULL && strchr(colon + 1, ':') == NULL ? colon : NULL;
}

/* split_port - cut ":PORT" off pattern, in place, into *port (ANY_PORT
 * when there is none). Returns the host part, or NULL when the port is
 * not valid. */
static char *split_port(char *pattern, unsigned *port)
{
    char *colon = port_colon(pattern);
    int n;

    *port = ANY_PORT;
    if (colon == NULL) {
        return pattern;
    }
    n = parse_port(colon + 1);
    if (n < 0) {
        return NULL;
    }
    *colon = '\0';
    *port = (unsigned)n;
    return pattern;
}

/* format_rule - the normal form of a rule, for blocklist_match's answer. */
static char *format_rule(bool suffix, const char *host, unsigned port)
{
    char text[BLOCKLIST_MAXRULE];
    bool ipv6 = strchr(host, ':') != NULL;
    char portpart[8] = "";

    if (port != ANY_PORT) {
        snprintf(portpart, sizeof(portpart), ":%hu", (unsigned short)port);
    }
    snprintf(text, sizeof(text), "%s%s%s%s%s", suffix ? "*." : "",
             ipv6 ? "[" : "", host, ipv6 ? "]" : "", portpart);
    return strdup(text);
}

/* parse_rule - turn one trimmed pattern (modified in place) into a rule,
 * and say in *suffix which array it belongs to. Returns 0, -1 with errno
 * EINVAL (not a pattern) or ENOMEM. */
static int parse_rule(char *pattern, struct rule *rule, bool *suffix)
{
    char host[HTTP_MAXHOST];
    char *name;

    *suffix = strncmp(pattern, "*.", 2) == 0;
    name = split_port(pattern + (*suffix ? 2 : 0), &rule->port);
    if (name == NULL ||
        blocklist_normalize_host(name, host, sizeof(host)) < 0 ||
        (*suffix && (strchr(host, ':') != NULL || is_ipv4(host)))) {
        errno = EINVAL;
        return -1;
    }
    rule->host = strdup(host);
    rule->text = format_rule(*suffix, host, rule->port);
    if (rule->host == NULL || rule->text == NULL) {
        free(rule->host);
        free(rule->text);
        errno = ENOMEM;
        return -1;
    }
    return 0;
}

/* push - append rule to rules, growing the array. Returns 0 or -1. */
static int push(struct rules *rules, struct rule rule)
{
    if (rules->n == rules->cap) {
        size_t cap = rules->cap == 0 ? RULES_START : 2 * rules->cap;
        struct rule *v = realloc(rules->v, cap * sizeof(*v));

        if (v == NULL) {
            return -1;
        }
        rules->v = v;
        rules->cap = cap;
    }
    rules->v[rules->n++] = rule;
    return 0;
}

/* trim_line - the pattern on a line: without its comment and without the
 * spaces and tabs around it, NUL-terminated in buf. Returns its length,
 * or -1 when it is too long to be a pattern. */
static ssize_t trim_line(const char *line, size_t len, char *buf, size_t size)
{
    const char *hash = memchr(line, '#', len);

    if (hash != NULL) {
        len = (size_t)(hash - line);
    }
    while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\t' ||
                       line[len - 1] == '\r')) {
        len--;
    }
    while (len > 0 && (line[0] == ' ' || line[0] == '\t')) {
        line++;
        len--;
    }
    if (len >= size) {
        return -1;
    }
    memcpy(buf, line, len);
    buf[len] = '\0';
    return (ssize_t)len;
}

/* add_line - add the rule on one line (if it has one) to bl. */
static int add_line(struct blocklist *bl, const char *line, size_t len)
{
    char pattern[BLOCKLIST_MAXRULE];
    ssize_t n = trim_line(line, len, pattern, sizeof(pattern));
    struct rule rule;
    bool suffix;

    if (n == 0) {
        return 0;
    }
    if (n < 0 || strlen(pattern) != (size_t)n) { /* too long, or a NUL */
        errno = EINVAL;
        return -1;
    }
    if (parse_rule(pattern, &rule, &suffix) < 0) {
        return -1;
    }
    if (push(suffix ? &bl->suffix : &bl->exact, rule) < 0) {
        free(rule.host);
        free(rule.text);
        errno = ENOMEM;
        return -1;
    }
    return 0;
}

/* compare_rules - qsort's order: by host, then port (ANY_PORT first). */
static int compare_rules(const void *a, const void *b)
{
    const struct rule *x = a;
    const struct rule *y = b;
    int c = strcmp(x->host, y->host);

    if (c != 0) {
        return c;
    }
    return (x->port > y->port) - (x->port < y->port);
}

/* sort_rules - put rules in compare_rules's order (qsort may not be
 * given the NULL array of an empty list). */
static void sort_rules(struct rules *rules)
{
    if (rules->n > 1) {
        qsort(rules->v, rules->n, sizeof(*rules->v), compare_rules);
    }
}

struct blocklist *blocklist_parse(const char *text, size_t n, size_t *bad_line)
{
    struct blocklist *bl = calloc(1, sizeof(*bl));
    size_t line = 0;

    if (bl == NULL) {
        return NULL;
    }
    for (const char *p = text, *end = text + n; p < end; line++) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        size_t len = (size_t)((eol != NULL ? eol : end) - p);

        if (add_line(bl, p, len) < 0) {
            int saved = errno;

            *bad_line = line + 1;
            blocklist_free(bl);
            errno = saved;
            return NULL;
        }
        p += len + 1;
    }
    sort_rules(&bl->exact);
    sort_rules(&bl->suffix);
    return bl;
}

/* grow - double the room in *text (LOAD_CHUNK at first; doubling keeps
 * the copying of a large file linear), up to one byte more than a file
 * may hold. Returns 0, or -1 with errno set. */
static int grow(char **text, size_t *cap)
{
    size_t bigger = *cap == 0 ? LOAD_CHUNK : 2 * *cap;
    char *moved;

    if (*cap > BLOCKLIST_MAXFILE) {
        errno = EFBIG;
        return -1;
    }
    if (bigger > BLOCKLIST_MAXFILE + 1) {
        bigger = BLOCKLIST_MAXFILE + 1;
    }
    moved = realloc(*text, bigger);
    if (moved == NULL) {
        return -1;
    }
    *text = moved;
    *cap = bigger;
    return 0;
}

/* read_file - the whole file on fd, in *text (malloc'd) and *len.
 * Returns 0, or -1 with errno set (EFBIG past BLOCKLIST_MAXFILE). */
static int read_file(int fd, char **text, size_t *len)
{
    size_t cap = 0;

    *text = NULL;
    *len = 0;
    for (;;) {
        ssize_t n;

        if (*len == cap && grow(text, &cap) < 0) {
            break;
        }
        n = read(fd, *text + *len, cap - *len);
        if (n == 0 && *len <= BLOCKLIST_MAXFILE) {
            return 0;
        }
        if (n == 0) {
            errno = EFBIG;
            break;
        }
        if (n < 0 && errno != EINTR) {
            break;
        }
        *len += n > 0 ? (size_t)n : 0;
    }
    free(*text);
    return -1;
}

struct blocklist *blocklist_load(const char *path, size_t *bad_line)
{
    struct blocklist *bl;
    char *text;
    size_t len;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    int rc;

    if (fd < 0) {
        return NULL;
    }
    rc = read_file(fd, &text, &len);
    close(fd);
    if (rc < 0) {
        return NULL;
    }
    bl = blocklist_parse(text, len, bad_line);
    free(text);
    return bl;
}

/* find - the first rule of rules for host that covers port. A binary
 * search finds the first rule for host; its ports follow in order. */
static const struct rule *find(const struct rules *rules, const char *host,
                               unsigned port)
{
    size_t lo = 0;
    size_t hi = rules->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (strcmp(rules->v[mid].host, host) < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    for (; lo < rules->n && strcmp(rules->v[lo].host, host) == 0; lo++) {
        if (rules->v[lo].port == ANY_PORT || rules->v[lo].port == port) {
            return &rules->v[lo];
        }
    }
    return NULL;
}

const char *blocklist_match(const struct blocklist *bl, const char *host,
                            const char *port)
{
    char name[HTTP_MAXHOST];
    int n = parse_port(port);
    unsigned portnum = n > 0 ? (unsigned)n : ANY_PORT;
    const struct rule *rule;

    if (blocklist_normalize_host(host, name, sizeof(name)) < 0) {
        return NULL;
    }
    rule = find(&bl->exact, name, portnum);
    if (!is_ipv4(name)) {
        /* Parent domains, longest first: "b.example.com", "example.com" */
        for (const char *dot = strchr(name, '.'); rule == NULL && dot != NULL;
             dot = strchr(dot + 1, '.')) {
            rule = find(&bl->suffix, dot + 1, portnum);
        }
    }
    return rule != NULL ? rule->text : NULL;
}

size_t blocklist_count(const struct blocklist *bl)
{
    return bl->exact.n + bl->suffix.n;
}

/* free_rules - free every rule of rules and the array. */
static void free_rules(struct rules *rules)
{
    for (size_t i = 0; i < rules->n; i++) {
        free(rules->v[i].host);
        free(rules->v[i].text);
    }
    free(rules->v);
}

void blocklist_free(struct blocklist *bl)
{
    if (bl == NULL) {
        return;
    }
    free_rules(&bl->exact);
    free_rules(&bl->suffix);
    free(bl);
}
