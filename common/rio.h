/*
 * rio.h - robust buffered I/O on one connection.
 *
 * A struct rio wraps a connected socket (or pipe): reads are buffered so a
 * line can be read without a system call per byte, and bytes read ahead stay
 * in the buffer for the next call (or for rio_buffered, which hands them on
 * to a tunnel). Writes go straight out with rio_writen.
 *
 * Every call is bounded: EINTR is retried, short reads and writes are
 * continued, and a call waits for the peer (in poll()) only when the peer
 * is not ready, so that three limits apply to all of them without changing
 * any call site:
 *   - the deadline (rio_set_deadline): the exchange must end by then;
 *   - the idle timeout (rio_set_idle_timeout): the peer must not stay silent
 *     longer than this in any one wait;
 *   - the cancel fd (rio_set_cancel): when it becomes readable (a stop
 *     signal arrived), every wait ends at once, and a connection whose
 *     peer is always ready notices it within RIO_CANCEL_EVERY calls.
 * They end a call with -1 and errno ETIMEDOUT or ECANCELED.
 *
 * Interface:
 *   struct rio, RIO_BUFSIZE
 *   rio_init, rio_set_deadline, rio_set_idle_timeout, rio_set_min_rate,
 *   rio_set_cancel
 *   rio_readline, rio_readn, rio_read, rio_buffered
 *   rio_writen
 *
 * Return values: byte counts; 0 at end of file; -1 with errno set.
 * Not thread-safe: one struct rio per connection, used by one thread.
 */
#ifndef RIO_H
#define RIO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define RIO_BUFSIZE 8192 /* bytes read ahead at most */
/* Calls that need not wait, between looks at the cancel fd. */
#define RIO_CANCEL_EVERY 16

struct rio {
    int fd;            /* the connection; rio never closes it */
    int cancel_fd;     /* readable means "give up now"; -1 for none */
    int idle_ms;       /* longest silence in one wait; 0 for no limit */
    int64_t deadline;  /* end of the exchange; DEADLINE_NONE for none */
    int64_t rate_from; /* the minimum read rate counts from then */
    uint64_t rate_due; /* bytes it covers (0: no minimum rate) */
    uint64_t rate_got; /* of those, the bytes received so far */
    int rate_bps;      /* bytes per second, at least */
    int rate_grace_ms; /* allowed before the first byte is due */
    unsigned unpolled; /* calls since cancel_fd was last looked at */
    size_t count;      /* unread bytes in buf */
    char *next;        /* the next unread byte in buf */
    char buf[RIO_BUFSIZE];
};

/*
 * rio_init - make rp read from and write to fd, with an empty buffer and no
 * limits. The caller keeps ownership of fd.
 */
void rio_init(struct rio *rp, int fd);

/*
 * rio_set_deadline - once deadline (see deadline.h) has passed, every later
 * call on rp that needs the connection fails with ETIMEDOUT (bytes already
 * buffered are still returned); DEADLINE_NONE removes the limit.
 */
void rio_set_deadline(struct rio *rp, int64_t deadline);

/*
 * rio_set_idle_timeout - a later call fails with ETIMEDOUT when the peer
 * sends nothing (or accepts nothing) for ms milliseconds; 0 removes it.
 */
void rio_set_idle_timeout(struct rio *rp, int ms);

/*
 * rio_set_min_rate - the next bytes bytes read from the peer must come at
 * bytes_per_s on average: a read fails with ETIMEDOUT once the k-th of
 * them is late, k being due grace_ms + k * 1000 / bytes_per_s ms from now
 * (bytes already buffered count as come), and a peer that runs ahead of
 * the rate earning at most grace_ms of credit. A peer that trickles a byte
 * now and then is cut off, however often it sends, even after a burst;
 * one that keeps up is never hurried. Writes are not limited, nor are
 * reads once those bytes have come; bytes 0 removes the limit. For a
 * request body.
 */
void rio_set_min_rate(struct rio *rp, uint64_t bytes, int bytes_per_s,
                      int grace_ms);

/*
 * rio_set_cancel - a later call that has to wait for the peer fails with
 * ECANCELED as soon as fd is readable, and so does every RIO_CANCEL_EVERY-th
 * call that need not wait (what the peer has already sent, or room it
 * already has, may be used until then); -1 removes it. Pass stop_fd() to
 * end connections on shutdown.
 */
void rio_set_cancel(struct rio *rp, int fd);

/*
 * rio_readline - read one line, up to and including '\n', into buf.
 *
 * Stores at most size - 1 bytes and always NUL-terminates. The line may
 * contain NUL bytes: use the returned count, never strlen. A last line
 * without '\n' before end of file is returned as it is.
 *
 * Returns the number of bytes stored (> 0), 0 at end of file with nothing
 * read, or -1 with errno set. EMSGSIZE means no '\n' came within size - 1
 * bytes: buf then holds those bytes, the rest of the line is still unread,
 * and the caller should reject the line (HTTP: 414 or 431).
 */
ssize_t rio_readline(struct rio *rp, char *buf, size_t size)
    __attribute__((warn_unused_result));

/*
 * rio_readn - read exactly n bytes into buf, unless end of file comes first.
 *
 * Returns n, fewer than n only at end of file, or -1 with errno set.
 */
ssize_t rio_readn(struct rio *rp, void *buf, size_t n)
    __attribute__((warn_unused_result));

/*
 * rio_read - read what is available, at least one byte and at most size.
 *
 * Returns buffered bytes first without touching the socket; otherwise waits
 * for the peer. Use it to relay a stream of unknown length.
 * Returns the count (> 0), 0 at end of file, or -1 with errno set.
 */
ssize_t rio_read(struct rio *rp, void *buf, size_t size)
    __attribute__((warn_unused_result));

/*
 * rio_buffered - the number of bytes already read ahead into rp's buffer
 * and not yet returned. A tunnel must forward these (with rio_read) before
 * it relays the raw socket, or it would lose them.
 */
size_t rio_buffered(const struct rio *rp);

/*
 * rio_writen - write all n bytes of buf to rp's connection.
 *
 * Continues after short writes. Uses send(MSG_NOSIGNAL) on sockets, so a
 * peer that has gone away shows up as EPIPE instead of killing the process
 * with SIGPIPE. Returns n, or -1 with errno set (some bytes may have gone).
 */
ssize_t rio_writen(struct rio *rp, const void *buf, size_t n)
    __attribute__((warn_unused_result));

#endif /* RIO_H */
