/*
 * upstream.c - lab 07: a request sent in HTTP/1.1 on a connection to its
 * origin that may then carry the next one.
 *
 * Write it in the order the glue uses it: how the request's body comes
 * (upstream_body_length), the request head (upstream_format_request),
 * which requests may go on a reused connection (upstream_may_reuse), then
 * the exchange: send the request and its body, read the final answer's
 * head past any interim ones, relay the body to its exact end, and say
 * what is left of the connection (upstream_exchange).
 * upstream.h says what each must do.
 *
 * One error convention, forward_request's (forward.h), in every function
 * that can fail: 0 when it worked, -1 when the client is gone, or the HTTP
 * status to answer the client with.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "chunked.h"
#include "forward.h"
#include "http.h"
#include "log.h"
#include "persist.h"
#include "rio.h"
#include "sink.h"
#include "upstream.h"

/* Room for a request head: what http_format_request may write. */
#define REQUEST_HEAD_MAX \
    (HTTP_MAXLINE + HTTP_MAXHEADTEXT + 4 * HTTP_MAXHEADERS + 512)
/* Interim answers taken before the final one: an origin that sends
 * more is not answering (each would reset the idle timeout forever). */
#define MAX_INTERIM 8

static const char *const idempotent_methods[] = {
    "GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE",
};

static const char close_line[] = "Connection: close\r\n\r\n";
static const char chunked_line[] = "Transfer-Encoding: chunked\r\n\r\n";

/* fields_named - how many fields of req are called name, in any case. */
static size_t fields_named(const struct http_request *req, const char *name)
{
    size_t count = 0;

    for (size_t i = 0; i < req->nheaders; i++) {
        count += strcasecmp(req->headers[i].name, name) == 0;
    }
    return count;
}

int upstream_body_length(const struct http_request *req, uint64_t *length,
                         bool *chunked)
{
    int rc = http_body_length(req, length);
    const char *coding = http_header_get(req, "Transfer-Encoding");

    *chunked = false;
    if (rc != 501 || coding == NULL) {
        return rc; /* 501: Transfer-Encoding, and no Content-Length */
    }
    if (req->minor_version == 0 || fields_named(req, "Transfer-Encoding") > 1 ||
        http_is_connection_option(req, "Transfer-Encoding")) {
        return 400;
    }
    if (strcasecmp(coding, "chunked") != 0) {
        return 501;
    }
    *chunked = true;
    return 0;
}

/* add_chunked - end the head in buf (n bytes, size in all) with the
 * Transfer-Encoding line. Returns the new length, or -1 (EMSGSIZE). */
static ssize_t add_chunked(char *buf, size_t n, size_t size)
{
    if (n - 2 + sizeof(chunked_line) > size) {
        errno = EMSGSIZE;
        return -1;
    }
    memcpy(buf + n - 2, chunked_line, sizeof(chunked_line));
    return (ssize_t)(n - 2 + sizeof(chunked_line) - 1);
}

ssize_t upstream_format_request(const struct http_request *req, char *buf,
                                size_t size)
{
    ssize_t n = http_format_request(req, buf, size);
    size_t tail = sizeof(close_line) - 1;
    uint64_t length;
    bool chunked = false;
    char *eol;

    if (n < 0) {
        return -1;
    }
    /* The request line's version is its last 8 bytes; the close line and
     * the blank line end the head. Both have their place (http.h). */
    eol = strstr(buf, "\r\n");
    if (eol == NULL || eol - buf < 8 || strncmp(eol - 8, "HTTP/1.0", 8) != 0 ||
        (size_t)n < tail || strcmp(buf + n - tail, close_line) != 0) {
        errno = EINVAL;
        return -1;
    }
    eol[-1] = '1';
    n -= (ssize_t)tail - 2;         /* keep the blank line's CRLF */
    memcpy(buf + n - 2, "\r\n", 3); /* and the NUL */
    if (upstream_body_length(req, &length, &chunked) == 0 && chunked) {
        return add_chunked(buf, (size_t)n, size);
    }
    return n;
}

/* is_idempotent - whether method has the effect of one request when it
 * is sent twice (RFC 9110 section 9.2.2). */
static bool is_idempotent(const char *method)
{
    size_t count = sizeof(idempotent_methods) / sizeof(idempotent_methods[0]);

    for (size_t i = 0; i < count; i++) {
        if (strcmp(method, idempotent_methods[i]) == 0) {
            return true;
        }
    }
    return false;
}

bool upstream_may_reuse(const struct http_request *req)
{
    uint64_t length;
    bool chunked;

    return is_idempotent(req->method) &&
           upstream_body_length(req, &length, &chunked) == 0 && length == 0 &&
           !chunked;
}

/* is_gone - whether errno says the peer closed or reset the connection. */
static bool is_gone(void)
{
    return errno == EPIPE || errno == ECONNRESET;
}

/* status_for_client_error - what to answer when reading the client's
 * body returned n <= 0 (0: end of file): 408 when it sent too slowly, 400
 * for a chunk's line too long, -1 when the client is gone. */
static int status_for_client_error(ssize_t n)
{
    if (n == 0) {
        log_info("the client closed before the end of its body");
        return -1;
    }
    log_info("the client's body stopped:");
    if (errno == EMSGSIZE) {
        return 400;
    }
    return errno == ETIMEDOUT ? 408 : -1;
}

/* send_body - copy length body bytes from the client to the origin.
 * Returns 0; -1 when the client left; 408 when it sent too slowly; 502
 * when the origin failed. */
static int send_body(struct rio *client, struct rio *origin, uint64_t length)
{
    char buf[FORWARD_BUFSIZE];

    for (uint64_t sent = 0; sent < length;) {
        uint64_t left = length - sent;
        ssize_t n =
            rio_read(client, buf, left < sizeof(buf) ? left : sizeof(buf));

        if (n <= 0) {
            return status_for_client_error(n);
        }
        if (rio_writen(origin, buf, (size_t)n) < 0) {
            log_info("origin stopped reading the body:");
            return 502;
        }
        sent += (uint64_t)n;
    }
    return 0;
}

/* decode_run - feed dec the n bytes of buf until it has taken them all
 * or the body has ended; *taken says how many it took (those before the
 * error, after a 400). Returns 0, or 400 when they break the coding. */
static int decode_run(struct chunked *dec, const char *buf, size_t n,
                      size_t *taken)
{
    *taken = 0;
    while (*taken < n && !chunked_done(dec)) {
        struct chunked_piece piece;

        if (chunked_decode(dec, buf + *taken, n - *taken, &piece) != 0) {
            return 400;
        }
        *taken += piece.used;
    }
    return 0;
}

/* send_chunked - relay a chunked body from the client to the origin as it
 * came, a line or a run of data at a time, so that nothing past its end is
 * read from the client. Returns as send_body does, and 400 when the body
 * breaks the coding. */
static int send_chunked(struct rio *client, struct rio *origin)
{
    char buf[FORWARD_BUFSIZE];
    struct chunked dec;
    size_t taken;

    chunked_init(&dec);
    while (!chunked_done(&dec)) {
        ssize_t n =
            dec.state == CHUNKED_DATA
                ? rio_read(client, buf,
                           dec.left < sizeof(buf) ? dec.left : sizeof(buf))
                : rio_readline(client, buf, CHUNKED_MAXLINE + 1);

        if (n <= 0) {
            return status_for_client_error(n);
        }
        /* A line or a run of data never holds the end and more. */
        if (decode_run(&dec, buf, (size_t)n, &taken) != 0 ||
            taken < (size_t)n) {
            log_info("the client's chunked body breaks the coding");
            return 400;
        }
        if (rio_writen(origin, buf, (size_t)n) < 0) {
            log_info("origin stopped reading the body:");
            return 502;
        }
    }
    return 0;
}

/* send_request - the head, then the body. A connection the origin had
 * closed fails the head's write: end->silent. */
static int send_request(const struct http_request *req, struct rio *client,
                        struct rio *origin, struct upstream_end *end)
{
    char head[REQUEST_HEAD_MAX];
    uint64_t length;
    bool chunked;
    int rc = upstream_body_length(req, &length, &chunked);
    ssize_t n;

    if (rc != 0) {
        return rc;
    }
    n = upstream_format_request(req, head, sizeof(head));
    if (n < 0) {
        return 431;
    }
    if (rio_writen(origin, head, (size_t)n) < 0) {
        log_info("cannot send the request to %s:", req->host);
        end->silent = is_gone();
        return 502;
    }
    return chunked ? send_chunked(client, origin)
                   : send_body(client, origin, length);
}

/* is_end_of_head - whether line (n bytes) is the blank line. */
static bool is_end_of_head(const char *line, ssize_t n)
{
    return n == 2 ? line[0] == '\r' && line[1] == '\n'
                  : n == 1 && line[0] == '\n';
}

/* read_one_head - read one answer's head into resp. When nothing at all
 * comes of the first one (first), a close or reset sets end->silent. */
static int read_one_head(struct rio *origin, struct http_response *resp,
                         bool first, struct upstream_end *end)
{
    char line[HTTP_MAXLINE + 1];
    int rc = 0;

    for (int lines = 0; rc == 0; lines++) {
        ssize_t n = rio_readline(origin, line, sizeof(line));

        if (n <= 0) {
            end->silent = first && lines == 0 && (n == 0 || is_gone());
            log_info(n == 0 ? "origin closed before its answer's head ended"
                            : "origin failed before its answer's head ended:");
            return n < 0 && errno == ETIMEDOUT ? 504 : 502;
        }
        if (lines > 0 && is_end_of_head(line, n)) {
            return 0;
        }
        rc = lines == 0 ? http_parse_status_line(resp, line, (size_t)n)
                        : http_parse_response_header(resp, line, (size_t)n);
    }
    return rc;
}

/* read_final_head - read heads into resp until one is not interim. */
static int read_final_head(struct rio *origin, struct http_response *resp,
                           struct upstream_end *end)
{
    for (int i = 0; i <= MAX_INTERIM; i++) {
        int rc = read_one_head(origin, resp, i == 0, end);

        if (rc != 0 || resp->status >= 200 || resp->status == 101) {
            return rc;
        }
    }
    log_info("origin sent more than %d interim answers", MAX_INTERIM);
    return 502;
}

/* origin_framing - how the origin framed the body that follows resp, the
 * answer to req (RFC 9112 section 6.3): PERSIST_NONE, PERSIST_LENGTH,
 * PERSIST_CHUNKED, or PERSIST_CLOSE. */
static enum persist_body origin_framing(const struct http_request *req,
                                        const struct http_response *resp)
{
    bool coded = false;

    if (strcmp(req->method, "HEAD") == 0 || resp->status == 204 ||
        resp->status == 304) {
        return PERSIST_NONE;
    }
    for (size_t i = 0; i < resp->nheaders; i++) {
        coded |= strcasecmp(resp->headers[i].name, "Transfer-Encoding") == 0;
    }
    if (resp->chunked) {
        return PERSIST_CHUNKED;
    }
    if (coded || resp->content_length < 0) {
        return PERSIST_CLOSE;
    }
    return PERSIST_LENGTH;
}

/* says_close - whether a Connection field of resp holds "close". */
static bool says_close(const struct http_response *resp)
{
    for (size_t i = 0; i < resp->nheaders; i++) {
        const char *v = resp->headers[i].value;

        if (strcasecmp(resp->headers[i].name, "Connection") != 0) {
            continue;
        }
        while (*v != '\0') {
            size_t len = strcspn(v, ", \t");

            if (len == 5 && strncasecmp(v, "close", 5) == 0) {
                return true;
            }
            v += len + (v[len] != '\0');
        }
    }
    return false;
}

/* relay_chunked - relay a chunked body as it came, through its last
 * CRLF. Sets res->complete when it ended so, and *past when bytes came
 * after it. Returns 0, or -1 when the client failed. */
static int relay_chunked(struct rio *origin, struct sink *sink,
                         struct forward_result *res, bool *past)
{
    char buf[FORWARD_BUFSIZE];
    struct chunked dec;
    ssize_t n;

    chunked_init(&dec);
    while (!chunked_done(&dec) &&
           (n = rio_read(origin, buf, sizeof(buf))) > 0) {
        size_t at;
        int rc = decode_run(&dec, buf, (size_t)n, &at);

        if (sink_write(sink, buf, at) < 0) {
            return -1;
        }
        res->bytes += at;
        *past = at < (size_t)n && rc == 0;
        if (rc != 0) {
            log_info("origin's chunked body breaks the coding");
            return 0;
        }
    }
    res->complete = chunked_done(&dec);
    return 0;
}

/* relay_counted - relay length bytes, or up to the close when length is
 * -1. Sets res->complete when the body ended so. Returns 0, or -1 when
 * the client failed. */
static int relay_counted(struct rio *origin, struct sink *sink, int64_t length,
                         struct forward_result *res)
{
    char buf[FORWARD_BUFSIZE];
    int64_t left = length;
    ssize_t n = 0;

    while (left != 0) {
        /* Never more than is due: a byte past the end is the next
         * answer's, or a sign the connection cannot be kept. */
        size_t want = left > 0 && left < (int64_t)sizeof(buf) ? (size_t)left
                                                              : sizeof(buf);

        n = rio_read(origin, buf, want);
        if (n <= 0) {
            break;
        }
        if (sink_write(sink, buf, (size_t)n) < 0) {
            return -1;
        }
        res->bytes += (uint64_t)n;
        left -= left > 0 ? n : 0;
    }
    if (n < 0) {
        log_info("origin failed mid-body:");
    }
    res->complete = length < 0 ? n == 0 : left == 0;
    return 0;
}

/* send_head - the final answer's head, as the client receives it. */
static int send_head(const struct http_response *resp, struct sink *sink,
                     struct forward_result *res)
{
    char head[PERSIST_HEAD_MAX];
    ssize_t len = http_format_response(resp, time(NULL), head, sizeof(head));

    if (len < 0) {
        return 502;
    }
    res->status = resp->status;
    res->bytes = (uint64_t)len;
    return sink_write(sink, head, (size_t)len) < 0 ? -1 : 0;
}

/* relay_answer - the final answer's head, then its body as the origin
 * framed it; what is left of the connection into *end. */
static int relay_answer(const struct http_request *req, struct rio *origin,
                        struct sink *sink, struct forward_result *res,
                        struct upstream_end *end)
{
    struct http_response resp;
    enum persist_body body;
    bool past = false;
    int rc = read_final_head(origin, &resp, end);

    if (rc == 0) {
        rc = send_head(&resp, sink, res);
    }
    if (rc != 0) {
        return rc;
    }
    body = origin_framing(req, &resp);
    if (body == PERSIST_CHUNKED) {
        rc = relay_chunked(origin, sink, res, &past);
    } else {
        rc = relay_counted(origin, sink,
                           body == PERSIST_NONE     ? 0
                           : body == PERSIST_LENGTH ? resp.content_length
                                                    : -1,
                           res);
    }
    end->reusable = rc == 0 && res->complete && body != PERSIST_CLOSE &&
                    resp.minor_version == 1 && !says_close(&resp) && !past &&
                    rio_buffered(origin) == 0;
    return rc;
}

int upstream_exchange(const struct http_request *req, struct rio *client,
                      struct rio *origin, struct sink *sink,
                      struct forward_result *res, struct upstream_end *end)
{
    int rc;

    *res = (struct forward_result){ 0 };
    *end = (struct upstream_end){ false, false };
    rc = send_request(req, client, origin, end);
    if (rc == 0) {
        rc = relay_answer(req, origin, sink, res, end);
    }
    return rc;
}
