/*
 * anonymity.c - lab 06: remove what a request says about who sent it.
 *
 * The work is http_header_remove's (lab 02), once per header name; the
 * new User-Agent points to a constant string, which a struct http_header
 * may do: the glue only reads headers until the request is formatted.
 */
#include <stdbool.h>
#include <stddef.h>

#include "anonymity.h"
#include "http.h"
#include "log.h"

const char *const anonymity_identifying[] = {
    "Forwarded",         /* RFC 7239: the client's address, and proxies' */
    "X-Forwarded-For",   /* the same, before RFC 7239 */
    "X-Forwarded-Host",  /* the host the client asked an earlier proxy */
    "X-Forwarded-Proto", /* how the client reached an earlier proxy */
    "X-Real-IP",         /* the client's address, as some proxies send it */
    "Via",               /* the proxies before this one */
    "From",              /* the user's e-mail address (RFC 9110 10.1.2) */
    "Referer",           /* the page the user came from */
    NULL,
};

int anonymity_apply(struct http_request *req, bool strip_cookies)
{
    /* TODO(lab6.6): remove every header in anonymity_identifying, Cookie
     * too if strip_cookies, and User-Agent (http_header_remove does the
     * work), then append one User-Agent header whose value is
     * ANONYMITY_USER_AGENT; 431 when req->headers is full. */
    (void)req;
    (void)strip_cookies;
    log_error("TODO(lab6.6): anonymity_apply is not written yet");
    return 501;
}
