/*
 * proxy_accept.c - the accept loops' waiting room: a client is handed
 * over only once its request head has arrived (given glue, stages 02-06).
 *
 * A thread that reads a request head waits as long as the client takes to
 * send it, up to the header deadline (-t). A few hundred clients that
 * send their heads a byte at a time (slowloris) would hold every worker
 * of the pool, and the one thread of stage 02, while real clients queue
 * behind them. So the accept loop keeps clients whose heads are still
 * coming in a waiting room watched by one poll(): each costs a descriptor
 * there, never a thread. MSG_PEEK looks at what has arrived without
 * taking it, so the thread that serves the client later reads the head
 * from the start as usual.
 *
 * Only the accept loop's thread calls proxy_accept, so the room is plain
 * static data, with no lock.
 */
#define _GNU_SOURCE /* POLLRDHUP, Linux's: see ready_one */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "deadline.h"
#include "http.h"
#include "log.h"
#include "net.h"
#include "proxy.h"

#define WAITING_MAX 512 /* clients whose head is still coming, at most */
#define PEEK_MAX                                         \
    65536 /* bytes looked at: a longer head is too large \
             anyway, and the serving thread says so */

struct waiting {
    int fd;
    int64_t deadline; /* the head must be in by then, or 408 */
    char peer[NET_PEER_MAX];
};

static struct waiting room[WAITING_MAX];
static size_t waiting; /* clients in room[0..waiting-1] */

/* head_decided - whether the n bytes a client has sent so far are enough
 * for the serving thread to answer: its head has ended (a blank line,
 * CRLF or bare LF), or a line is longer, or there are more lines, than a
 * head may have (the thread then answers 414 or 431). */
static bool head_decided(const char *buf, size_t n)
{
    size_t line_start = 0;
    size_t lines = 0;

    for (size_t i = 0; i < n; i++) {
        if (buf[i] != '\n') {
            if (i - line_start >= HTTP_MAXLINE) {
                return true;
            }
            continue;
        }
        if (i == line_start || (i == line_start + 1 && buf[i - 1] == '\r')) {
            return true; /* an empty line: the end of the head */
        }
        if (++lines > HTTP_MAXHEADERS + 1) {
            return true;
        }
        line_start = i + 1;
    }
    return n == PEEK_MAX;
}

/* head_arrived - whether the client on fd can be handed over: what it
 * sent decides (head_decided), or its input failed (the serving thread
 * handles that). */
static bool head_arrived(int fd)
{
    static char buf[PEEK_MAX]; /* the accept loop's thread only */
    ssize_t n = recv(fd, buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT);

    if (n < 0) {
        return errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR;
    }
    return n == 0 || head_decided(buf, (size_t)n);
}

/* leave - take room[i] out of the room (the last one takes its place). */
static void leave(size_t i)
{
    room[i] = room[--waiting];
}

/* hand_over - take room[i] out and give it to the caller. */
static int hand_over(size_t i, char *peer, size_t peersize)
{
    int fd = room[i].fd;

    snprintf(peer, peersize, "%s", room[i].peer);
    leave(i);
    return fd;
}

/* enter - put a new client in the room, or answer 503 when it is full. */
static void enter(int fd, const char *peer, const struct proxy_config *cfg)
{
    if (waiting == WAITING_MAX) {
        log_warn("%s: turned away: %d clients are still sending their "
                 "heads",
                 peer, WAITING_MAX);
        proxy_refuse(fd, 503);
        return;
    }
    room[waiting].fd = fd;
    room[waiting].deadline = deadline_after(cfg->header_ms);
    snprintf(room[waiting].peer, sizeof(room[waiting].peer), "%s", peer);
    waiting++;
}

/* expire - answer 408 to every client whose head is late, and return the
 * earliest deadline of those left. */
static int64_t expire(void)
{
    int64_t next = DEADLINE_NONE;
    size_t i = 0;

    while (i < waiting) {
        if (deadline_poll_ms(room[i].deadline) == 0) {
            log_info("%s: answered 408", room[i].peer);
            proxy_refuse(room[i].fd, 408);
            leave(i);
            continue; /* room[i] is now another client */
        }
        next = deadline_earlier(next, room[i].deadline);
        i++;
    }
    return next;
}

/* give_up - end proxy_accept with errno as it is (ECANCELED: the proxy
 * is stopping), closing every waiting client. Returns -1. */
static int give_up(void)
{
    int err = errno;

    while (waiting > 0) {
        proxy_refuse(room[0].fd, 503);
        leave(0);
    }
    errno = err;
    return -1;
}

/* wait_events - poll the stop fd, the listening socket and the room until
 * something happens or the earliest deadline passes. fds has room for
 * WAITING_MAX + 2 entries. Returns poll's result. */
static int wait_events(struct pollfd *fds, int listenfd, int stopfd,
                       int64_t until)
{
    int n;

    fds[0] = (struct pollfd){ .fd = stopfd, .events = POLLIN };
    fds[1] = (struct pollfd){ .fd = listenfd, .events = POLLIN };
    for (size_t i = 0; i < waiting; i++) {
        fds[i + 2] =
            (struct pollfd){ .fd = room[i].fd, .events = POLLIN | POLLRDHUP };
    }
    do {
        n = poll(fds, (nfds_t)waiting + 2, deadline_poll_ms(until));
    } while (n < 0 && errno == EINTR);
    return n;
}

/* ready_one - the index of a waiting client that poll marked (fds[2..])
 * and that can be handed over, or -1. POLLRDHUP says the client has shut
 * down its sending side: MSG_PEEK cannot see an end of file behind bytes
 * not yet read, and the serving thread must answer what it sent. */
static long ready_one(const struct pollfd *fds)
{
    for (size_t i = 0; i < waiting; i++) {
        short ev = fds[i + 2].revents;

        if ((ev & (POLLRDHUP | POLLHUP | POLLERR)) != 0 ||
            (ev != 0 && head_arrived(room[i].fd))) {
            return (long)i;
        }
    }
    return -1;
}

int proxy_accept(int listenfd, const struct proxy_config *cfg, char *peer,
                 size_t peersize)
{
    static struct pollfd fds[WAITING_MAX + 2];
    char name[NET_PEER_MAX];

    for (;;) {
        int64_t until = expire();
        long ready;
        int fd;

        if (wait_events(fds, listenfd, cfg->stop_fd, until) < 0) {
            return give_up();
        }
        if (fds[0].revents != 0) {
            errno = ECANCELED;
            return give_up();
        }
        ready = ready_one(fds);
        if (ready >= 0) {
            return hand_over((size_t)ready, peer, peersize);
        }
        if (fds[1].revents == 0) {
            continue;
        }
        fd = net_accept(listenfd, cfg->stop_fd, name, sizeof(name));
        if (fd < 0) {
            return give_up();
        }
        if (head_arrived(fd)) {
            snprintf(peer, peersize, "%s", name);
            return fd;
        }
        enter(fd, name, cfg);
    }
}
