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

int blocklist_normalize_host(const char *host, char *out, size_t size)
{
    /* TODO(lab6.1): take off "[...]" around an IPv6 literal and one
     * trailing dot. A host with a ':' is an IPv6 literal: convert it with
     * inet_pton and back with inet_ntop for its canonical text. Otherwise
     * copy it in lower case, allowing only letters, digits, '-', '.' and
     * '_' and no empty label. -1 when empty, invalid or too long. */
    (void)host;
    (void)out;
    (void)size;
    log_error("TODO(lab6.1): blocklist_normalize_host is not written yet");
    return -1;
}

struct blocklist *blocklist_parse(const char *text, size_t n, size_t *bad_line)
{
    /* TODO(lab6.2): for each line (split on '\n' with memchr; the last
     * may lack one), cut the comment and the blanks around the pattern;
     * skip it if empty. Otherwise split "*." and ":PORT" off (an IPv6
     * literal has a port only in brackets), normalise the host, and add a
     * rule to exact or suffix (a suffix of an IP literal is invalid).
     * On a bad line: *bad_line, free what was built, errno EINVAL. Sort
     * both arrays (qsort, by host then port) before returning. */
    (void)text;
    (void)n;
    (void)bad_line;
    log_error("TODO(lab6.2): blocklist_parse is not written yet");
    errno = ENOSYS;
    return NULL;
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

const char *blocklist_match(const struct blocklist *bl, const char *host,
                            const char *port)
{
    /* TODO(lab6.3): normalise host, then binary-search exact for it; if
     * no rule covers port (ANY_PORT or the same number), search suffix for
     * each parent domain after a '.', longest first, unless the host is an
     * IPv4 literal. Return the rule's text. */
    (void)bl;
    (void)host;
    (void)port;
    log_error("TODO(lab6.3): blocklist_match is not written yet");
    return NULL;
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
