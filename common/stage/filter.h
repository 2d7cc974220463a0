/*
 * filter.h - the blocklist every worker thread checks, replaced while they
 * run: the contract of labs/06-policy/filter.c (lab6.2).
 *
 * A filter holds the current blocklist as a read-only snapshot. A check
 * takes a reference to the snapshot under a short lock, matches without
 * any lock held, and drops the reference. A reload (on SIGHUP) builds the
 * new list first, outside the filter, then swaps the pointer under the
 * same lock; the old snapshot is freed by whichever thread drops its last
 * reference, so no check ever reads a freed list and none waits for the
 * file to be read.
 *
 * Interface:
 *   struct filter (opaque)
 *   filter_new, filter_free, filter_replace, filter_check
 *
 * Thread-safe: filter_check and filter_replace from any thread at once.
 */
#ifndef FILTER_H
#define FILTER_H

#include <stdbool.h>
#include <stddef.h>

#include "blocklist.h"

struct filter;

/*
 * filter_new - a filter whose current list is list (which it now owns).
 * Returns the filter, or NULL with errno ENOMEM (list is then freed).
 */
struct filter *filter_new(struct blocklist *list);

/*
 * filter_free - free filter and its list (NULL is fine). No other thread
 * may use it any more.
 */
void filter_free(struct filter *filter);

/*
 * filter_replace - make list (which the filter now owns) the current one.
 * Checks that began before keep using the old list; it is freed when the
 * last of them ends. Returns 0, or -1 with errno ENOMEM, and then the
 * current list stays and list is freed.
 */
int filter_replace(struct filter *filter, struct blocklist *list);

/*
 * filter_check - whether the current list blocks host on port (as
 * blocklist_match). When it does, the rule that matched is copied into
 * rule (rulesize bytes, NUL-terminated, BLOCKLIST_MAXRULE are enough).
 */
bool filter_check(struct filter *filter, const char *host, const char *port,
                  char *rule, size_t rulesize);

#endif /* FILTER_H */
