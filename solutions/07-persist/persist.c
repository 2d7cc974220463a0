/*
 * persist.c - lab 07: frame each answer so that the client's connection
 * can carry the next request.
 *
 * Write it in the order an answer passes through a framer: the decisions
 * (persist_client_wants, persist_body_of), the head the client receives
 * (persist_format_head), then the framer itself, which gathers the head
 * the proxy wrote, sends its own, relays the body in the framing decided
 * (persist_framer_write) and says at the end whether the body ended
 * exactly (persist_framer_end). persist.h says what each must do.
 *
 * Heads are read in place, as len bytes that need not end in a NUL: work
 * on spans (a pointer and a length), never on strings, and bound every
 * copy by the size of its buffer.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "chunked.h"
#include "http.h"
#include "log.h"
#include "persist.h"
#include "sink.h"

#define LAST_CHUNK "0\r\n\r\n"

/* The fields of a connection, which the framer writes itself. */
static const char *const connection_fields[] = {
    "Connection",
    "Keep-Alive",
    "Proxy-Connection",
};

bool persist_client_wants(const struct http_request *req)
{
    return req->minor_version >= 1 && !http_is_connection_option(req, "close");
}

/* is_named - whether the field line (n bytes) is called name, in any case. */
static bool is_named(const char *line, size_t n, const char *name)
{
    size_t len = strlen(name);

    return n > len && line[len] == ':' && strncasecmp(line, name, len) == 0;
}

/* has_field - whether resp has a field called name, in any case. */
static bool has_field(const struct http_response *resp, const char *name)
{
    for (size_t i = 0; i < resp->nheaders; i++) {
        if (strcasecmp(resp->headers[i].name, name) == 0) {
            return true;
        }
    }
    return false;
}

/* only_chunked - whether chunked is resp's one transfer coding: a single
 * Transfer-Encoding field that says "chunked". */
static bool only_chunked(const struct http_response *resp)
{
    size_t fields = 0;
    bool chunked = false;

    for (size_t i = 0; i < resp->nheaders; i++) {
        if (strcasecmp(resp->headers[i].name, "Transfer-Encoding") == 0) {
            fields++;
            chunked = strcasecmp(resp->headers[i].value, "chunked") == 0;
        }
    }
    return fields == 1 && chunked;
}

enum persist_body persist_body_of(const struct http_request *req,
                                  const struct http_response *resp)
{
    if (resp->status < 200) {
        return PERSIST_CLOSE; /* interim: the final answer is lost */
    }
    if (strcmp(req->method, "HEAD") == 0 || resp->status == 204 ||
        resp->status == 304) {
        return PERSIST_NONE;
    }
    if (resp->chunked) {
        if (req->minor_version >= 1) {
            return PERSIST_CHUNKED;
        }
        return only_chunked(resp) ? PERSIST_DECHUNK : PERSIST_CLOSE;
    }
    if (has_field(resp, "Transfer-Encoding")) {
        return PERSIST_CLOSE; /* not chunked last: the close ends it */
    }
    if (resp->content_length >= 0) {
        return PERSIST_LENGTH;
    }
    return persist_client_wants(req) ? PERSIST_RECHUNK : PERSIST_CLOSE;
}

/* is_dropped - whether the field line belongs to the connection, for the
 * framer to write (Transfer-Encoding too, when the coding is taken off). */
static bool is_dropped(const char *line, size_t n, enum persist_body body)
{
    size_t count = sizeof(connection_fields) / sizeof(connection_fields[0]);

    for (size_t i = 0; i < count; i++) {
        if (is_named(line, n, connection_fields[i])) {
            return true;
        }
    }
    return body == PERSIST_DECHUNK && is_named(line, n, "Transfer-Encoding");
}

/* append - copy n bytes to buf at *pos, keeping room for the NUL.
 * Returns 0, or -1 when they do not fit. */
static int append(char *buf, size_t size, size_t *pos, const char *text,
                  size_t n)
{
    if (n >= size - *pos) {
        return -1;
    }
    memcpy(buf + *pos, text, n);
    *pos += n;
    buf[*pos] = '\0';
    return 0;
}

/* append_own - the lines the framer adds, then the blank line. */
static int append_own(char *buf, size_t size, size_t *pos,
                      enum persist_body body, bool keep)
{
    static const char chunked[] = "Transfer-Encoding: chunked\r\n";
    static const char close[] = "Connection: close\r\n";

    if (body == PERSIST_RECHUNK &&
        append(buf, size, pos, chunked, sizeof(chunked) - 1) < 0) {
        return -1;
    }
    if (!keep && append(buf, size, pos, close, sizeof(close) - 1) < 0) {
        return -1;
    }
    return append(buf, size, pos, "\r\n", 2);
}

/* line_length - the length of the line at text (len bytes), through its
 * LF, or len when it has none. */
static size_t line_length(const char *text, size_t len)
{
    const char *eol = memchr(text, '\n', len);

    return eol != NULL ? (size_t)(eol - text) + 1 : len;
}

/* is_blank - whether the line (n bytes) is the one that ends a head. */
static bool is_blank(const char *line, size_t n)
{
    return (n == 2 && line[0] == '\r') || (n == 1 && line[0] == '\n');
}

/* too_long - persist_format_head's answer when buf is too small. */
static ssize_t too_long(void)
{
    errno = EMSGSIZE;
    return -1;
}

ssize_t persist_format_head(const char *head, size_t len,
                            enum persist_body body, bool keep, char *buf,
                            size_t size)
{
    size_t at = 0;
    size_t pos = 0;

    if (size == 0) {
        return too_long();
    }
    buf[0] = '\0';
    while (at < len) {
        size_t n = line_length(head + at, len - at);

        if (is_blank(head + at, n)) {
            return append_own(buf, size, &pos, body, keep) < 0 ? too_long()
                                                               : (ssize_t)pos;
        }
        if ((at == 0 || !is_dropped(head + at, n, body)) &&
            append(buf, size, &pos, head + at, n) < 0) {
            return too_long();
        }
        at += n;
    }
    errno = EINVAL;
    return -1;
}

void persist_framer_init(struct persist_framer *f,
                         const struct http_request *req, struct sink *client)
{
    f->client = client;
    f->req = req;
    f->head_len = 0;
    f->head_sent = false;
    f->keep = false;
    f->broken = false;
    f->body = PERSIST_CLOSE;
    f->left = 0;
    f->out_len = 0;
    chunked_init(&f->dec);
}

/* broken - the answer cannot go on as framed (errno says why): cut it
 * short, so the connection closes. Returns -1. */
static ssize_t broken(struct persist_framer *f, int err)
{
    f->broken = true;
    errno = err;
    return -1;
}

/* is_framing - whether the field line says how the body is framed. */
static bool is_framing(const char *line, size_t n)
{
    return is_named(line, n, "Content-Length") ||
           is_named(line, n, "Transfer-Encoding");
}

/* parse_head - read the gathered head's status line and framing fields
 * into resp with the parsers of lab 02 (the other fields, with the lines
 * the proxy added, might not fit). Returns 0, or -1 when one is not
 * valid. */
static int parse_head(const struct persist_framer *f,
                      struct http_response *resp)
{
    size_t at = line_length(f->head, f->head_len);

    if (http_parse_status_line(resp, f->head, at) != 0) {
        return -1;
    }
    while (at < f->head_len) {
        size_t n = line_length(f->head + at, f->head_len - at);

        if (is_blank(f->head + at, n)) {
            return 0;
        }
        if (is_framing(f->head + at, n) &&
            http_parse_response_header(resp, f->head + at, n) != 0) {
            return -1;
        }
        at += n;
    }
    return -1;
}

/* send_head - decide the body's framing and the connection's fate from
 * the whole head, and send the client its version of the head.
 * Returns 0, or -1 with errno set. */
static int send_head(struct persist_framer *f)
{
    struct http_response resp;
    ssize_t n;

    if (parse_head(f, &resp) < 0) {
        log_info("the response head cannot be parsed");
        return (int)broken(f, EPROTO);
    }
    f->body = persist_body_of(f->req, &resp);
    f->left = f->body == PERSIST_LENGTH ? (uint64_t)resp.content_length : 0;
    f->keep = persist_client_wants(f->req) && f->body != PERSIST_CLOSE &&
              f->body != PERSIST_DECHUNK;
    n = persist_format_head(f->head, f->head_len, f->body, f->keep, f->out,
                            sizeof(f->out));
    if (n < 0) {
        return (int)broken(f, errno);
    }
    f->out_len = (size_t)n; /* it goes with the body bytes of this write */
    f->head_sent = true;
    return 0;
}

/* head_end - where the head in text ends (the byte after its blank line),
 * looking from from on; 0 while it has not ended within len. The heads a
 * framer reads end their lines in CRLF (http_format_response). */
static size_t head_end(const char *text, size_t from, size_t len)
{
    for (size_t i = from; i + 4 <= len; i++) {
        if (memcmp(text + i, "\r\n\r\n", 4) == 0) {
            return i + 4;
        }
    }
    return 0;
}

/* gather_head - add the bytes of buf (n) that belong to the head; send it
 * once it is whole. Returns how many bytes of buf were the head's, or -1
 * with errno set. */
static ssize_t gather_head(struct persist_framer *f, const char *buf, size_t n)
{
    size_t before = f->head_len;
    size_t room = sizeof(f->head) - before;
    size_t take = n < room ? n : room;
    size_t end;

    memcpy(f->head + before, buf, take);
    f->head_len += take;
    end = head_end(f->head, before > 3 ? before - 3 : 0, f->head_len);
    if (end == 0) {
        return take == n ? (ssize_t)n : broken(f, EMSGSIZE);
    }
    f->head_len = end;
    return send_head(f) < 0 ? -1 : (ssize_t)(end - before);
}

/* flush - send the client what waits in out. */
static ssize_t flush(struct persist_framer *f)
{
    size_t n = f->out_len;

    f->out_len = 0;
    return n == 0 ? 0 : sink_write(f->client, f->out, n);
}

/* queue - add n bytes to what waits in out, so that what one write
 * produced goes out in one send (each is a packet the client wakes up
 * for: a small hit's head and body in one, not two); what does not fit
 * goes straight after what out holds. */
static ssize_t queue(struct persist_framer *f, const char *buf, size_t n)
{
    if (n <= sizeof(f->out) - f->out_len) {
        memcpy(f->out + f->out_len, buf, n);
        f->out_len += n;
        return 0;
    }
    return flush(f) < 0 ? -1 : sink_write(f->client, buf, n);
}

/* pass - send n bytes of body on to the client: joined to what waits in
 * out, if anything does, else at once (copying a body that would go out
 * alone anyway costs a miss of 100 KiB about a tenth of its speed). */
static ssize_t pass(struct persist_framer *f, const char *buf, size_t n)
{
    if (n == 0) {
        return 0;
    }
    return f->out_len > 0 ? queue(f, buf, n) : sink_write(f->client, buf, n);
}

/* send_chunk - send n bytes (n > 0: an empty chunk would end the body) as
 * one chunk. */
static ssize_t send_chunk(struct persist_framer *f, const char *buf, size_t n)
{
    char size[CHUNKED_SIZE_MAX];
    ssize_t len = chunked_format_size(n, size, sizeof(size));

    if (len < 0 || queue(f, size, (size_t)len) < 0 || pass(f, buf, n) < 0) {
        return -1;
    }
    return queue(f, "\r\n", 2);
}

/* relay_chunked - find the end of a chunked body in buf (n bytes): pass
 * the coding on up to it (PERSIST_CHUNKED), or only the data
 * (PERSIST_DECHUNK). Bytes past the end are dropped. */
static ssize_t relay_chunked(struct persist_framer *f, const char *buf,
                             size_t n)
{
    size_t at = 0;

    while (at < n && !chunked_done(&f->dec)) {
        struct chunked_piece piece;

        if (chunked_decode(&f->dec, buf + at, n - at, &piece) != 0) {
            log_info("the chunked body breaks its coding");
            if (f->body == PERSIST_CHUNKED) {
                (void)pass(f, buf, at); /* what was valid, and cut there */
            }
            (void)flush(f);
            return broken(f, EPROTO);
        }
        if (f->body == PERSIST_DECHUNK && piece.len > 0 &&
            queue(f, piece.data, piece.len) < 0) {
            return -1;
        }
        at += piece.used;
    }
    return f->body == PERSIST_CHUNKED ? pass(f, buf, at) : 0;
}

/* relay_body - send n bytes of body on in the framing decided. */
static ssize_t relay_body(struct persist_framer *f, const char *buf, size_t n)
{
    size_t take;

    switch (f->body) {
    case PERSIST_NONE:
        return 0;
    case PERSIST_LENGTH:
        take = n < f->left ? n : (size_t)f->left;
        f->left -= take;
        return pass(f, buf, take);
    case PERSIST_CHUNKED:
    case PERSIST_DECHUNK:
        return relay_chunked(f, buf, n);
    case PERSIST_RECHUNK:
        return n == 0 ? 0 : send_chunk(f, buf, n);
    case PERSIST_CLOSE:
        break;
    }
    return pass(f, buf, n);
}

ssize_t persist_framer_write(struct persist_framer *f, const void *buf,
                             size_t n)
{
    const char *bytes = buf;
    size_t head = 0;

    if (f->broken) {
        errno = EPROTO;
        return -1;
    }
    if (!f->head_sent) {
        ssize_t taken = gather_head(f, bytes, n);

        if (taken < 0) {
            return -1;
        }
        head = (size_t)taken;
    }
    if (f->head_sent &&
        (relay_body(f, bytes + head, n - head) < 0 || flush(f) < 0)) {
        return broken(f, errno); /* the body did not all reach the client */
    }
    return (ssize_t)n;
}

/* ended_exactly - whether the body ended where its framing says, as far
 * as the framer can see; complete is the writer's word for a body that
 * ends with a close, whose end the framer cannot see itself. */
static bool ended_exactly(struct persist_framer *f, bool complete)
{
    switch (f->body) {
    case PERSIST_LENGTH:
        return f->left == 0;
    case PERSIST_CHUNKED:
    case PERSIST_DECHUNK:
        return chunked_done(&f->dec);
    case PERSIST_RECHUNK:
        return complete && queue(f, LAST_CHUNK, strlen(LAST_CHUNK)) == 0 &&
               flush(f) >= 0;
    case PERSIST_CLOSE:
        return complete;
    case PERSIST_NONE:
        break;
    }
    return true;
}

bool persist_framer_end(struct persist_framer *f, bool complete)
{
    if (!f->head_sent || f->broken) {
        return false;
    }
    return ended_exactly(f, complete) && f->keep;
}
