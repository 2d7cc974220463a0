/*
 * rio.c - robust buffered I/O on one connection.
 *
 * Every read and every write first tries without blocking and waits in
 * wait_ready(), the one place where the idle timeout and the cancel fd
 * apply, only when the peer is not ready; the deadline is checked before
 * each try. Reads refill rp->buf with one recv(2) (refill) and hand bytes
 * out from there (take, take_line); writes send what the peer accepts
 * without blocking, then wait for room again.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "deadline.h"
#include "rio.h"

void rio_init(struct rio *rp, int fd)
{
    rp->fd = fd;
    rp->cancel_fd = -1;
    rp->idle_ms = 0;
    rp->deadline = DEADLINE_NONE;
    rp->rate_from = 0;
    rp->rate_due = 0;
    rp->rate_got = 0;
    rp->rate_bps = 0;
    rp->rate_grace_ms = 0;
    rp->unpolled = 0;
    rp->count = 0;
    rp->next = rp->buf;
}

void rio_set_deadline(struct rio *rp, int64_t deadline)
{
    rp->deadline = deadline;
}

void rio_set_idle_timeout(struct rio *rp, int ms)
{
    rp->idle_ms = ms;
}

void rio_set_min_rate(struct rio *rp, uint64_t bytes, int bytes_per_s,
                      int grace_ms)
{
    rp->rate_from = deadline_now();
    rp->rate_due = bytes_per_s > 0 ? bytes : 0;
    rp->rate_got = rp->count < bytes ? rp->count : bytes;
    rp->rate_bps = bytes_per_s;
    rp->rate_grace_ms = grace_ms;
}

void rio_set_cancel(struct rio *rp, int fd)
{
    rp->cancel_fd = fd;
}

size_t rio_buffered(const struct rio *rp)
{
    return rp->count;
}

/* transient - whether a failed read or write should wait and try again. */
static bool transient(int err)
{
    return err == EINTR || err == EAGAIN || err == EWOULDBLOCK;
}

/* cancelled - whether rp's cancel fd is readable, looked at without
 * waiting once every RIO_CANCEL_EVERY calls: a peer that is always ready
 * never makes a call wait, yet a stop must still end the connection. */
static bool cancelled(struct rio *rp)
{
    struct pollfd pfd = { .fd = rp->cancel_fd, .events = POLLIN };

    if (rp->cancel_fd < 0 || ++rp->unpolled < RIO_CANCEL_EVERY) {
        return false;
    }
    rp->unpolled = 0;
    return poll(&pfd, 1, 0) > 0;
}

/* next_byte_due - by when the next byte read must come under the minimum
 * rate, or DEADLINE_NONE when none applies (any more). */
static int64_t next_byte_due(const struct rio *rp)
{
    if (rp->rate_got >= rp->rate_due) {
        return DEADLINE_NONE;
    }
    return rp->rate_from + rp->rate_grace_ms +
           (int64_t)(rp->rate_got * 1000 / (uint64_t)rp->rate_bps);
}

/* count_received - note n bytes received under the minimum rate. A peer
 * that sends faster than the rate earns no more than the grace ahead: a
 * burst cannot buy a long trickle after it. */
static void count_received(struct rio *rp, ssize_t n)
{
    int64_t due;
    int64_t latest;

    if (n <= 0 || rp->rate_got >= rp->rate_due) {
        return;
    }
    rp->rate_got += (uint64_t)n;
    due = next_byte_due(rp);
    latest = deadline_now() + rp->rate_grace_ms;
    if (due != DEADLINE_NONE && due > latest) {
        rp->rate_from -= due - latest;
    }
}

/* expired - whether rp's deadline has passed (errno ETIMEDOUT) or its
 * cancel fd has fired (ECANCELED): then every call fails, even if the
 * peer happens to be ready. */
static bool expired(struct rio *rp)
{
    if (deadline_poll_ms(rp->deadline) == 0) {
        errno = ETIMEDOUT;
        return true;
    }
    if (cancelled(rp)) {
        errno = ECANCELED;
        return true;
    }
    return false;
}

/* not_ready - whether a try without blocking failed only because the peer
 * is not ready, or because fd is not a socket (a pipe: poll, then read or
 * write). */
static bool not_ready(ssize_t n)
{
    return n < 0 && (transient(errno) || errno == ENOTSOCK);
}

/* wait_ready - poll until rp->fd is ready for events, within rp's limits
 * and by due. Returns 0, or -1 with errno ETIMEDOUT, ECANCELED or poll()'s
 * error. */
static int wait_ready(struct rio *rp, short events, int64_t due)
{
    int64_t limit = deadline_earlier(
        deadline_earlier(rp->deadline, deadline_after(rp->idle_ms)), due);
    struct pollfd fds[2] = {
        { .fd = rp->fd, .events = events },
        { .fd = rp->cancel_fd, .events = POLLIN }, /* poll skips fd -1 */
    };
    int n;

    if (expired(rp)) {
        return -1;
    }
    do {
        n = poll(fds, 2, deadline_poll_ms(limit));
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        return -1;
    }
    if (fds[1].revents != 0) {
        errno = ECANCELED;
        return -1;
    }
    if (n == 0) {
        errno = ETIMEDOUT;
        return -1;
    }
    return 0;
}

/* read_once - read up to size bytes from rp->fd into dst with one
 * successful read, within rp's limits. Returns the count, 0 at end of
 * file, or -1. */
static ssize_t read_once(struct rio *rp, void *dst, size_t size)
{
    int64_t due = next_byte_due(rp);
    ssize_t n;

    if (expired(rp)) {
        return -1;
    }
    /* Read first, poll only when nothing has come: on a busy proxy the
     * bytes usually are there, and a poll() per read is a wasted call. */
    n = recv(rp->fd, dst, size, MSG_DONTWAIT);
    while (not_ready(n)) {
        if (wait_ready(rp, POLLIN, due) < 0) {
            return -1;
        }
        n = read(rp->fd, dst, size);
    }
    count_received(rp, n);
    return n;
}

/* refill - make sure rp's buffer holds unread bytes, reading once if it is
 * empty. Returns how many it holds, 0 at end of file, or -1. */
static ssize_t refill(struct rio *rp)
{
    ssize_t n;

    if (rp->count > 0) {
        return (ssize_t)rp->count;
    }
    n = read_once(rp, rp->buf, sizeof(rp->buf));
    if (n > 0) {
        rp->next = rp->buf;
        rp->count = (size_t)n;
    }
    return n;
}

/* take - move up to n buffered bytes to dst; returns how many it moved. */
static size_t take(struct rio *rp, void *dst, size_t n)
{
    if (n > rp->count) {
        n = rp->count;
    }
    memcpy(dst, rp->next, n);
    rp->next += n;
    rp->count -= n;
    return n;
}

/* take_line - move at most room buffered bytes to dst, stopping after the
 * first '\n'; sets *newline when that '\n' was among them. */
static size_t take_line(struct rio *rp, char *dst, size_t room, bool *newline)
{
    size_t n = rp->count < room ? rp->count : room;
    const char *nl = memchr(rp->next, '\n', n);

    *newline = nl != NULL;
    if (nl != NULL) {
        n = (size_t)(nl - rp->next) + 1;
    }
    return take(rp, dst, n);
}

ssize_t rio_readline(struct rio *rp, char *buf, size_t size)
{
    bool newline = false;
    size_t len = 0;
    ssize_t n = 0;

    if (size < 2) {
        errno = EINVAL;
        return -1;
    }
    /* Copy whole chunks up to the '\n', refilling as often as needed. */
    while (!newline && len < size - 1) {
        n = refill(rp);
        if (n <= 0) {
            break;
        }
        len += take_line(rp, buf + len, size - 1 - len, &newline);
    }
    buf[len] = '\0';
    if (n < 0) {
        return -1;
    }
    if (!newline && len == size - 1) {
        errno = EMSGSIZE;
        return -1;
    }
    return (ssize_t)len;
}

ssize_t rio_readn(struct rio *rp, void *buf, size_t n)
{
    size_t done = 0;

    while (done < n) {
        ssize_t got = refill(rp);

        if (got < 0) {
            return -1;
        }
        if (got == 0) {
            break;
        }
        done += take(rp, (char *)buf + done, n - done);
    }
    return (ssize_t)done;
}

ssize_t rio_read(struct rio *rp, void *buf, size_t size)
{
    ssize_t n;

    /* 0 would read as end of file, so an empty buffer is a mistake. */
    if (size == 0) {
        errno = EINVAL;
        return -1;
    }
    /* A large read with nothing buffered goes straight to buf: through
     * rp->buf it would cost a copy and come in RIO_BUFSIZE pieces. */
    if (rp->count == 0 && size >= sizeof(rp->buf)) {
        return read_once(rp, buf, size);
    }
    n = refill(rp);
    if (n <= 0) {
        return n;
    }
    return (ssize_t)take(rp, buf, size);
}

/* send_some - send what fd takes now, without blocking: send() on a
 * socket, else write() of at most PIPE_BUF bytes, which is what a pipe
 * that polls writable is sure to take (a longer write could block). */
static ssize_t send_some(int fd, const char *p, size_t n)
{
    ssize_t sent = send(fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);

    if (sent < 0 && errno == ENOTSOCK) {
        sent = write(fd, p, n < PIPE_BUF ? n : PIPE_BUF);
    }
    return sent;
}

ssize_t rio_writen(struct rio *rp, const void *buf, size_t n)
{
    const char *p = buf;
    size_t left = n;

    if (expired(rp)) {
        return -1;
    }
    while (left > 0) {
        /* Send first, poll only when the peer's buffer is full (as in
         * refill); a pipe (ENOTSOCK) is always polled first. */
        ssize_t sent = send(rp->fd, p, left, MSG_NOSIGNAL | MSG_DONTWAIT);

        if (not_ready(sent)) {
            if (wait_ready(rp, POLLOUT, DEADLINE_NONE) < 0) {
                return -1;
            }
            sent = send_some(rp->fd, p, left);
        }
        if (sent < 0 && !transient(errno)) {
            return -1;
        }
        if (sent > 0) {
            p += sent;
            left -= (size_t)sent;
        }
    }
    return (ssize_t)n;
}
