/*
 * proxy_policy.h - the given glue around the stage 06 policy
 * (proxy06_policy.c).
 *
 * At start-up the glue loads the blocklist (-f) into a filter (filter.h),
 * opens the access log (-a, accesslog.h), and starts a thread that waits
 * for SIGHUP: each one reloads the blocklist, keeping the old list if the
 * file has become invalid, and reopens the access log after a rotation.
 * For each request it checks the host against the filter (403 naming the
 * rule) and, with -A, strips what identifies the user (anonymity.h); when
 * the request is over, it writes the access log's line.
 *
 * Interface:
 *   proxy_policy_start, proxy_policy_stop   the stage table's start, stop
 *   proxy_policy_admit                      the stage table's admit
 *   proxy_policy_account                    the stage table's account
 *
 * Thread-safe: the filter and the log have their own locks.
 */
#ifndef PROXY_POLICY_H
#define PROXY_POLICY_H

#include "accesslog.h"
#include "http.h"
#include "proxy.h"

/*
 * proxy_policy_start - start the cache (proxy_cache_start), then the
 * filter, the access log and the SIGHUP thread, as cfg asks. Call it
 * before any other thread exists: it blocks SIGHUP, and threads made
 * later inherit that. Returns 0, or -1 with errno set.
 */
int proxy_policy_start(struct proxy_config *cfg);

/*
 * proxy_policy_stop - stop the SIGHUP thread, close the log, free the
 * filter and the cache. No request may be in flight any more.
 */
void proxy_policy_stop(struct proxy_config *cfg);

/*
 * proxy_policy_admit - 403 (and the rule in rule) when the blocklist
 * blocks req's host and port (a CONNECT request's: its target's, or 400
 * when that is not host:port); otherwise, with -A, anonymity_apply's
 * answer for a request other than CONNECT; otherwise 0.
 */
int proxy_policy_admit(struct http_request *req, const struct proxy_config *cfg,
                       char *rule);

/*
 * proxy_policy_account - write entry's line to the access log, if there
 * is one.
 */
void proxy_policy_account(const struct access_entry *entry,
                          const struct proxy_config *cfg);

#endif /* PROXY_POLICY_H */
