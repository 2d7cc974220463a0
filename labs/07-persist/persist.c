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

bool persist_client_wants(const struct http_request *req)
{
    /* TODO(lab7.2): true only for an HTTP/1.1 request whose Connection
     * fields do not list "close" (http_is_connection_option). */
    (void)req;
    log_error("TODO(lab7.2): persist_client_wants is not written yet");
    return false;
}

enum persist_body persist_body_of(const struct http_request *req,
                                  const struct http_response *resp)
{
    /* TODO(lab7.2): RFC 9112 section 6.3, in its order: PERSIST_NONE for
     * HEAD, 1xx, 204 and 304; chunked last goes on as it came to HTTP/1.1,
     * decoded to HTTP/1.0 when it is the only coding; any other
     * Transfer-Encoding ends with the close; then Content-Length; else
     * re-framed in chunks for a client that stays, as it came for one that
     * does not. */
    (void)req;
    (void)resp;
    log_error("TODO(lab7.2): persist_body_of is not written yet");
    return PERSIST_CLOSE;
}

ssize_t persist_format_head(const char *head, size_t len,
                            enum persist_body body, bool keep, char *buf,
                            size_t size)
{
    /* TODO(lab7.3): copy the status line and every field line of head
     * but the connection's own (Connection, Keep-Alive, Proxy-Connection,
     * and Transfer-Encoding when body is PERSIST_DECHUNK), then add
     * "Transfer-Encoding: chunked" for PERSIST_RECHUNK, "Connection:
     * close" unless keep, and the blank line. EMSGSIZE when buf is too
     * small, EINVAL when head has no blank line. */
    (void)head;
    (void)len;
    (void)body;
    (void)keep;
    (void)buf;
    (void)size;
    log_error("TODO(lab7.3): persist_format_head is not written yet");
    errno = ENOSYS;
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

ssize_t persist_framer_write(struct persist_framer *f, const void *buf,
                             size_t n)
{
    /* TODO(lab7.4): gather the head in f->head until its blank line
     * (it may come in several writes, and body bytes may follow it in the
     * same write); then parse its status line and framing fields with lab
     * 2's parsers, decide f->body and f->keep, and send
     * persist_format_head's head. Relay every body byte after it in the
     * framing decided: up to the length, up to the end chunked_decode
     * finds, each write as a chunk for PERSIST_RECHUNK. A write to the
     * client that fails leaves the framer broken. */
    (void)f;
    (void)buf;
    (void)n;
    log_error("TODO(lab7.4): persist_framer_write is not written yet");
    errno = ENOSYS;
    return -1;
}

bool persist_framer_end(struct persist_framer *f, bool complete)
{
    /* TODO(lab7.4): false unless the head went out and the body kept its
     * framing; send the last chunk of a complete PERSIST_RECHUNK body;
     * true when f->keep and the body ended exactly. */
    (void)f;
    (void)complete;
    log_error("TODO(lab7.4): persist_framer_end is not written yet");
    return false;
}
