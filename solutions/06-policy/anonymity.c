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
    for (size_t i = 0; anonymity_identifying[i] != NULL; i++) {
        http_header_remove(req, anonymity_identifying[i]);
    }
    if (strip_cookies) {
        http_header_remove(req, "Cookie");
    }
    http_header_remove(req, "User-Agent");
    if (req->nheaders == HTTP_MAXHEADERS) {
        return 431;
    }
    req->headers[req->nheaders].name = "User-Agent";
    req->headers[req->nheaders].value = ANONYMITY_USER_AGENT;
    req->nheaders++;
    return 0;
}
