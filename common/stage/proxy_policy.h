/*
 * proxy_policy.h - stage 06's part (proxy06_policy.c): the given glue
 * around the policy, and its options (-f -a -A -C).
 *
 * At start-up the part loads the blocklist (-f) into a filter (filter.h),
 * opens the access log (-a, accesslog.h), and starts a thread that waits
 * for SIGHUP: each one reloads the blocklist, keeping the old list if the
 * file has become invalid, and reopens the access log after a rotation.
 * It takes over two steps of the core (stage.h): admit checks each
 * request's host against the filter (403 naming the rule) and, with -A,
 * strips what identifies the user (anonymity.h); account writes the
 * access log's line once the request is over.
 *
 * Thread-safe: the filter and the log have their own locks.
 */
#ifndef PROXY_POLICY_H
#define PROXY_POLICY_H

#include "stage.h"

extern const struct stage_part proxy_policy_part;

#endif /* PROXY_POLICY_H */
