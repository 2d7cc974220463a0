/*
 * blocklist.h - which hosts the proxy refuses to reach: the contract of
 * labs/06-policy/blocklist.c (lab6.1).
 *
 * A blocklist is built once from a file's text and never changes after;
 * filter.h shares one between threads and swaps in a new one on reload.
 * The file holds one pattern per line:
 *
 *   example.com        that host, on any port
 *   *.example.com      any host under example.com (not example.com itself)
 *   10.0.0.1           an IPv4 literal
 *   ::1  or  [::1]     an IPv6 literal (brackets needed to add a port)
 *   example.com:8080   any of the above with ":PORT": that port only
 *
 * "#" starts a comment that runs to the end of the line; blank lines and
 * spaces or tabs around a pattern are ignored. Patterns and the hosts
 * they are matched against are normalised the same way first
 * (blocklist_normalize_host), so "Example.COM." matches "example.com".
 *
 * Interface:
 *   struct blocklist (opaque), BLOCKLIST_MAXRULE, BLOCKLIST_MAXFILE
 *   blocklist_normalize_host, blocklist_parse, blocklist_load,
 *   blocklist_match, blocklist_count, blocklist_free
 *
 * Thread-safe: a built blocklist is read-only; any number of threads may
 * match against it at once.
 */
#ifndef BLOCKLIST_H
#define BLOCKLIST_H

#include <stddef.h>

#include "http.h"

#define BLOCKLIST_MAXRULE (HTTP_MAXHOST + 16) /* "*.host:port" and NUL */
#define BLOCKLIST_MAXFILE ((size_t)16 << 20)  /* the largest file loaded */

struct blocklist;

/*
 * blocklist_normalize_host - write host in the form patterns are compared
 * in: lower case, without one trailing dot, an IPv6 literal without its
 * brackets and in the canonical text of RFC 5952 as inet_ntop writes
 * it ("0:0::1" is "::1").
 * Returns 0, or -1 when host is empty, does not fit in size bytes, or has
 * a byte no host name has (anything but letters, digits, '-', '.', '_',
 * and ':' in an IPv6 literal).
 */
int blocklist_normalize_host(const char *host, char *out, size_t size);

/*
 * blocklist_parse - build a blocklist from text (n bytes, not necessarily
 * NUL-terminated): one pattern per line, as described above.
 * Returns the list, to be freed with blocklist_free, or NULL with errno
 * set: EINVAL when a line is not a valid pattern (*bad_line is then its
 * number, counting from 1), ENOMEM.
 */
struct blocklist *blocklist_parse(const char *text, size_t n, size_t *bad_line);

/*
 * blocklist_load - blocklist_parse the file at path. Returns the list, or
 * NULL with errno set: as blocklist_parse, EFBIG when the file is larger
 * than BLOCKLIST_MAXFILE, or the error that opening or reading it gave.
 */
struct blocklist *blocklist_load(const char *path, size_t *bad_line);

/*
 * blocklist_match - the rule of bl that blocks host (as a request names
 * it; normalised here) on port (decimal digits), or NULL when none does.
 * An exact host rule is preferred to a "*." one, a longer suffix to a
 * shorter one, and a rule for any port to one for this port. The rule is
 * written as a pattern in normal form
 * ("*.example.com:8080", "[::1]:443") and lives as long as bl. A host that
 * cannot be normalised matches nothing.
 */
const char *blocklist_match(const struct blocklist *bl, const char *host,
                            const char *port);

/*
 * blocklist_count - the number of rules in bl.
 */
size_t blocklist_count(const struct blocklist *bl);

/*
 * blocklist_free - free bl and its rules (NULL is fine).
 */
void blocklist_free(struct blocklist *bl);

#endif /* BLOCKLIST_H */
