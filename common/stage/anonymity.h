/*
 * anonymity.h - keep a request from telling the origin who sent it: the
 * contract of labs/06-policy/anonymity.c (lab6.4).
 *
 * With the proxy's -A option, every request loses the headers that name
 * the user, their address or the proxies before this one, and its
 * User-Agent is replaced by one that many browsers send, so the origin
 * cannot tell this proxy's users apart by it. Cookie identifies the user
 * too, but removing it logs them out of every site, so it goes only when
 * asked (-C). The proxy itself never adds a header carrying the client's
 * address (its Via names only the proxy).
 *
 * What this cannot hide: the origin sees the proxy's address; the proxy
 * sees everything its users send; HTTPS through a tunnel is out of reach,
 * headers and all, so a CONNECT request is left as it is.
 *
 * Interface:
 *   ANONYMITY_USER_AGENT, anonymity_identifying, anonymity_apply
 *
 * Thread-safe: anonymity_apply changes only the request it is given.
 */
#ifndef ANONYMITY_H
#define ANONYMITY_H

#include <stdbool.h>

#include "http.h"

/* A common browser's User-Agent, sent in place of each user's own. */
#define ANONYMITY_USER_AGENT \
    "Mozilla/5.0 (Windows NT 10.0; rv:128.0) Gecko/20100101 Firefox/128.0"

/* The headers anonymity_apply removes (besides Cookie when asked and the
 * User-Agent it replaces), NULL-terminated. */
extern const char *const anonymity_identifying[];

/*
 * anonymity_apply - remove from req every header named in
 * anonymity_identifying, and Cookie too if strip_cookies; then replace
 * every User-Agent with one "User-Agent: ANONYMITY_USER_AGENT" (added even
 * when the request had none). The other headers keep their order.
 * Returns 0, or 431 when there is no room for the User-Agent.
 */
int anonymity_apply(struct http_request *req, bool strip_cookies)
    __attribute__((warn_unused_result));

#endif /* ANONYMITY_H */
