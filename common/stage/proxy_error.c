/*
 * proxy_error.c - the error pages the proxy answers with.
 *
 * Every page comes from one fixed template and a fixed sentence per status,
 * plus at most one line from the proxy's configuration (stage 06 names the
 * blocklist rule behind a 403). Nothing from the request is copied into
 * it, so a hostile request cannot inject markup or headers through an
 * error page. Also here: closing a
 * client connection once its answer is out (proxy_close).
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "httpdate.h"
#include "proxy.h"
#include "rio.h"

/* Reads of RIO_BUFSIZE before a close, at most. */
#define CLOSE_DRAIN_ROUNDS 128
#define DETAIL_MAX         300 /* a detail line on a page, NUL included */

struct error_page {
    int status;
    const char *reason;      /* the status line's reason phrase */
    const char *explanation; /* one sentence for the page */
};

static const struct error_page pages[] = {
    { 400, "Bad Request", "The proxy could not understand the request." },
    { 403, "Forbidden", "The proxy's policy does not allow this request." },
    { 408, "Request Timeout", "The request did not arrive in time." },
    { 414, "URI Too Long",
      "The request target is longer than the proxy accepts." },
    { 431, "Request Header Fields Too Large",
      "The request's header fields are larger than the proxy accepts." },
    { 501, "Not Implemented",
      "The proxy does not support this request method or framing." },
    { 502, "Bad Gateway",
      "The proxy could not get a valid response from the origin server." },
    { 503, "Service Unavailable",
      "The proxy is too busy to serve the request; try again shortly." },
    { 504, "Gateway Timeout",
      "The origin server did not answer the proxy in time." },
    { 505, "HTTP Version Not Supported",
      "The proxy speaks HTTP/1.0 and HTTP/1.1 only." },
    { 508, "Loop Detected",
      "The request came back to the proxy it had already passed through." },
};

static const struct error_page internal_error = {
    500, "Internal Server Error", "The proxy failed to handle the request."
};

/* find_page - the page for status, or the internal error page. */
static const struct error_page *find_page(int status)
{
    for (size_t i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
        if (pages[i].status == status) {
            return &pages[i];
        }
    }
    return &internal_error;
}

/* copy_detail - detail as it may appear in a page: only the characters of
 * host patterns, anything else as '?', and "" for none. */
static void copy_detail(const char *detail, char *out, size_t size)
{
    size_t used = 0;

    for (; detail != NULL && detail[used] != '\0' && used + 1 < size; used++) {
        char c = detail[used];
        bool safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    (c >= '0' && c <= '9') || strchr(".:*_-[]", c) != NULL;

        out[used] = '?';
        if (safe) {
            out[used] = c;
        }
    }
    out[used] = '\0';
}

ssize_t proxy_send_error(struct rio *client, int status, const char *detail)
{
    const struct error_page *page = find_page(status);
    char safe[DETAIL_MAX];
    char date[HTTPDATE_SIZE];
    char body[1024];
    char response[1536];
    int body_len;
    int len;

    copy_detail(detail, safe, sizeof(safe));
    body_len = snprintf(body, sizeof(body),
                        "<!DOCTYPE html>\n<html><head><title>%d %s</title>"
                        "</head>\n<body><h1>%d %s</h1>\n<p>%s</p>\n%s%s%s"
                        "</body></html>\n",
                        page->status, page->reason, page->status, page->reason,
                        page->explanation, safe[0] != '\0' ? "<p><code>" : "",
                        safe, safe[0] != '\0' ? "</code></p>\n" : "");
    httpdate_format(time(NULL), date); /* RFC 9110 section 6.6.1 */
    len = snprintf(response, sizeof(response),
                   "HTTP/1.1 %d %s\r\n"
                   "Date: %s\r\n"
                   "Content-Type: text/html; charset=utf-8\r\n"
                   "Content-Length: %d\r\n"
                   "%s"
                   "Connection: close\r\n"
                   "\r\n%s",
                   page->status, page->reason, date, body_len,
                   page->status == 503 ? "Retry-After: 1\r\n" : "", body);
    return rio_writen(client, response, (size_t)len) < 0 ? -1 : len;
}

void proxy_close(int connfd)
{
    char scratch[RIO_BUFSIZE];
    int rounds = 0;

    shutdown(connfd, SHUT_WR);
    while (rounds++ < CLOSE_DRAIN_ROUNDS &&
           recv(connfd, scratch, sizeof(scratch), MSG_DONTWAIT) > 0) {
        continue;
    }
    close(connfd);
}

void proxy_refuse(int connfd, int status)
{
    struct rio client;

    rio_init(&client, connfd);
    (void)proxy_send_error(&client, status, NULL);
    proxy_close(connfd);
}
