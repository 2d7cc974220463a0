/*
 * peek.h - what the bytes a waiting client has sent so far say (given
 * glue, proxy_peek.c): enough for a thread to serve it, not yet, or no
 * HTTP request at all. The waiting room (waiting_room.h) looks at them
 * with MSG_PEEK and asks peek_request.
 *
 * A request is ready once its head has ended and the start of its body
 * (Content-Length bytes, PEEK_BODY_MAX at most) has come too: a client
 * that sends its body slowly waits in the room, not on a thread, as one
 * that sends its head slowly does. Only the serving thread decides what
 * the request means; peek_request only decides when to hand it over, so
 * where it is unsure (a malformed Content-Length), it hands it over.
 *
 * Interface:
 *   enum peek, PEEK_MAX, PEEK_BODY_MAX
 *   peek_request
 *
 * Thread-safe: a pure function.
 */
#ifndef PEEK_H
#define PEEK_H

#include <stddef.h>

#define PEEK_MAX 65536 /* bytes looked at: a longer head is too large */
#define PEEK_BODY_MAX                                 \
    16384 /* body bytes waited for, at most: what any \
             socket buffer holds */

enum peek {
    PEEK_WAIT,     /* not enough has come yet */
    PEEK_READY,    /* a thread can serve it (or answer 414, 431) */
    PEEK_NOT_HTTP, /* no request starts with these bytes: answer 400 */
};

/*
 * peek_request - what the n bytes at buf (the first n a client sent, n >
 * 0) say: PEEK_NOT_HTTP when they cannot start a request line (a method
 * token, then a space: RFC 9112 section 3; a TLS handshake sent to the
 * plain port); PEEK_READY when the head has ended (a blank line, CRLF or
 * bare LF) and the start of the body is in, when a line is longer or there
 * are more lines than a head may have, or when n is PEEK_MAX; PEEK_WAIT
 * otherwise.
 */
enum peek peek_request(const char *buf, size_t n);

#endif /* PEEK_H */
