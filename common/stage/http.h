/*
 * http.h - HTTP/1.x request parsing and rewriting for a forward proxy: the
 * contract of labs/02-forward/http.c.
 *
 * Every function here is pure: it works on strings and structs, never on a
 * socket, so unit tests and fuzzers can call it with literal text. Parsers
 * return 0 or the HTTP status code the proxy should answer with (400, 414,
 * 431, 501, 505); what a method means is not the parser's business (the
 * given glue answers CONNECT with 501 until stage 04).
 *
 * How the glue uses it, for each request:
 *   http_request_init(&req);
 *   http_parse_request_line(&req, line, n);    the first line
 *   http_parse_header(&req, line, n);          each header line
 *   http_parse_target(&req);                   after the blank line
 *   http_format_request(&req, buf, size);      what the origin receives
 *
 * Interface:
 *   struct http_request, struct http_header, struct http_response
 *   http_request_init, http_parse_request_line, http_parse_header,
 *   http_parse_target, http_header_get, http_header_remove,
 *   http_is_hop_by_hop, http_is_connection_option, http_body_length,
 *   http_format_request, http_parse_status_line, http_parse_response_header,
 *   http_format_response
 *
 * Thread-safe: no function keeps state outside the structs it is given.
 */
#ifndef HTTP_H
#define HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#define HTTP_MAXLINE     8192  /* request line or header line, CRLF included */
#define HTTP_MAXMETHOD   16    /* longest method token, NUL included */
#define HTTP_MAXHOST     256   /* longest host name, NUL included */
#define HTTP_MAXPORT     6     /* "65535" and the NUL */
#define HTTP_MAXHEADERS  100   /* header fields in one request */
#define HTTP_MAXHEADTEXT 32768 /* bytes of header names and values */
#define HTTP_VIA         "proxylab" /* our name in the Via header */

struct http_header {
    const char *name;  /* as received, without the colon */
    const char *value; /* leading and trailing whitespace removed */
};

struct http_request {
    char method[HTTP_MAXMETHOD]; /* any token: "GET", "CONNECT", "BREW" */
    char target[HTTP_MAXLINE];   /* the request-target as received */
    int minor_version;           /* 0 for HTTP/1.0, 1 for HTTP/1.1 */
    char host[HTTP_MAXHOST];     /* set by http_parse_target: lower case,
                                    IPv6 without brackets */
    char port[HTTP_MAXPORT];     /* set by http_parse_target: "80" default */
    const char *path;            /* set by http_parse_target: origin-form
                                    path and query, "/" at least; points
                                    into target or to a constant */
    struct http_header headers[HTTP_MAXHEADERS]; /* in the order received */
    size_t nheaders;
    char text[HTTP_MAXHEADTEXT]; /* storage the headers point into */
    size_t text_used;            /* bytes of text in use */
};

/* An origin's response head, parsed so that the proxy can rewrite it. */
struct http_response {
    int status;             /* 200, 404, ...; 0 until the status line */
    int minor_version;      /* the origin's: 0 for HTTP/1.0, 1 for 1.1 */
    const char *reason;     /* the reason phrase ("" for none), in text */
    int64_t content_length; /* -1 when the response has none */
    bool chunked;           /* Transfer-Encoding ends with chunked */
    struct http_header headers[HTTP_MAXHEADERS]; /* in the order received */
    size_t nheaders;
    char text[HTTP_MAXHEADTEXT]; /* storage reason and headers point into */
    size_t text_used;            /* bytes of text in use */
};

/*
 * http_request_init - make req empty, ready for http_parse_request_line.
 */
void http_request_init(struct http_request *req);

/*
 * http_parse_request_line - parse "METHOD SP TARGET SP HTTP/1.x CRLF".
 *
 * line holds n bytes (it may contain NUL; a bare LF ending is accepted).
 * Fills req->method, req->target and req->minor_version.
 * Returns 0, or 400 (malformed: wrong spacing, empty parts, control bytes),
 * 414 (target too long for req->target), 501 (method longer than
 * HTTP_MAXMETHOD - 1), or 505 (a version other than HTTP/1.0 or 1.1).
 */
int http_parse_request_line(struct http_request *req, const char *line,
                            size_t n) __attribute__((warn_unused_result));

/*
 * http_parse_header - parse one "Name: value CRLF" line and append it to
 * req->headers, copying name and value into req->text.
 *
 * Returns 0, 400 (no colon, empty name, whitespace before the colon, a
 * name that is not a token, control bytes in the value, a line starting
 * with whitespace (obs-fold)), or 431 (too many headers or no room left in
 * req->text).
 */
int http_parse_header(struct http_request *req, const char *line, size_t n)
    __attribute__((warn_unused_result));

/*
 * http_parse_target - work out the origin's host, port and path.
 *
 * Call it after the last header. An absolute-form target
 * ("http://host[:port][/path]") gives all three; a Host header is then
 * ignored (RFC 9112 section 3.2.2: http_format_request writes the
 * target's), though it must still be a valid host. An origin-form target
 * ("/path") takes host and port from the Host header. The port defaults
 * to "80" and the path to "/". Not for CONNECT, whose target is an
 * authority (stage 04).
 * Returns 0, 400 (no usable host, more than one Host header, a Host that
 * is not a valid host, a scheme other than http, a bad port), or 508 when
 * a Via header already names HTTP_VIA: the request has come round through
 * this proxy again (a target that is the proxy itself; RFC 9110 section
 * 7.6.3).
 */
int http_parse_target(struct http_request *req)
    __attribute__((warn_unused_result));

/*
 * http_header_get - the value of the first header named name (compared
 * without regard to case), or NULL. The pointer is valid as long as req.
 */
const char *http_header_get(const struct http_request *req, const char *name);

/*
 * http_header_remove - remove every header named name (any case), keeping
 * the others in order. Returns the number removed.
 */
size_t http_header_remove(struct http_request *req, const char *name);

/*
 * http_is_hop_by_hop - whether a header of this name concerns only one
 * connection and must not be forwarded (RFC 9110 section 7.6.1):
 * Connection, Proxy-Connection, Keep-Alive, TE, Trailer,
 * Transfer-Encoding, Upgrade, Proxy-Authorization, Proxy-Authenticate.
 */
bool http_is_hop_by_hop(const char *name);

/*
 * http_is_connection_option - whether req's Connection header(s) list name,
 * which makes that header hop-by-hop too ("Connection: close, X-Trace").
 */
bool http_is_connection_option(const struct http_request *req,
                               const char *name);

/*
 * http_body_length - how many body bytes follow req's header block.
 *
 * Sets *length to the Content-Length value (0 when there is none).
 * Returns 0, 400 (Content-Length not a decimal number, too large, or given
 * twice, even with the same value; both Content-Length and Transfer-Encoding;
 * a Connection header that names Content-Length, which would drop the
 * length on the way while the body still goes), or 501
 * (Transfer-Encoding: the kit does not forward chunked requests).
 */
int http_body_length(const struct http_request *req, uint64_t *length)
    __attribute__((warn_unused_result));

/*
 * http_format_request - write the request the origin receives into buf.
 *
 * "METHOD PATH HTTP/1.0", then Host (from req->host and req->port, the port
 * only when it is not 80), then every header of req except Host, the
 * hop-by-hop ones and those named in Connection, in their order, then
 * "Via: 1.x proxylab" (RFC 9110 section 7.6.3) and "Connection: close",
 * then the blank line. Every line ends in CRLF.
 * Returns the length written (NUL-terminated, at most size - 1 bytes), or
 * -1 with errno EMSGSIZE when it does not fit.
 */
ssize_t http_format_request(const struct http_request *req, char *buf,
                            size_t size) __attribute__((warn_unused_result));

/*
 * http_parse_status_line - parse a response's "HTTP/1.x NNN reason CRLF".
 *
 * Sets resp->status, resp->minor_version and resp->reason, and makes the
 * rest of resp empty (no length, not chunked, no headers). Returns 0, or
 * 502 when the origin did not send a valid HTTP/1.x status line.
 */
int http_parse_status_line(struct http_response *resp, const char *line,
                           size_t n) __attribute__((warn_unused_result));

/*
 * http_parse_response_header - add one response header line to
 * resp->headers, as http_parse_header does for a request, and note its
 * effect on framing: Content-Length and Transfer-Encoding. Returns 0, or
 * 502 for a malformed line, an invalid Content-Length, a conflicting one
 * (a second, different value, or one beside Transfer-Encoding: chunked),
 * or more headers than resp has room for.
 */
int http_parse_response_header(struct http_response *resp, const char *line,
                               size_t n) __attribute__((warn_unused_result));

/*
 * http_format_response - write the response head the client receives
 * into buf: the proxy's own "HTTP/1.1 NNN reason" (RFC 9112 section 2.3),
 * then every header of resp in its order but the hop-by-hop ones
 * (http_is_hop_by_hop, except Transfer-Encoding: the body goes on as it
 * came) and those the response's Connection names (RFC 9110 section
 * 7.6.1), then "Date: " and received as an IMF-fixdate (httpdate_format)
 * when resp has no Date (RFC 9110 section 6.6.1), then "Via: 1.x proxylab"
 * with the origin's version (section 7.6.3) and "Connection: close", then
 * the blank line. Every line ends in CRLF. Returns the length written
 * (NUL-terminated, at most size - 1 bytes), or -1 with errno EMSGSIZE when
 * it does not fit.
 */
ssize_t http_format_response(const struct http_response *resp, time_t received,
                             char *buf, size_t size)
    __attribute__((warn_unused_result));

#endif /* HTTP_H */
