/*
 * proxy_accept.c - the accept loops' waiting room: a client is handed
 * over only once its request head has arrived (given glue, stages 02-06).
 *
 * A thread that reads a request head waits as long as the client takes to
 * send it, up to the header deadline (-t). A few hundred clients that
 * send their heads a byte at a time (slowloris) would hold every worker
 * of the pool, and the one thread of stage 02, while real clients queue
 * behind them. So the accept loop keeps clients whose heads are still
 * coming in a waiting room: each costs a descriptor there, never a
 * thread. MSG_PEEK looks at what has arrived without taking it, so the
 * thread that serves the client later reads the head from the start.
 *
 * The room is watched with Linux's epoll, edge-triggered (EPOLLET): poll()
 * would report a client as readable again and again while the bytes it
 * sent wait unread, and the loop would spin; an edge comes only when more
 * bytes arrive, or the client shuts down its side (EPOLLRDHUP: MSG_PEEK
 * cannot see an end of file behind bytes not yet read). Edges not acted
 * on at once are kept in a list, since they do not come again.
 *
 * Only the accept loop's thread calls proxy_accept, so the room is plain
 * static data, with no lock.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "deadline.h"
#include "http.h"
#include "log.h"
#include "net.h"
#include "proxy.h"

#define WAITING_MAX 512 /* clients whose head is still coming, at most */
#define PEEK_MAX                                                      \
    65536              /* bytes looked at: a longer head is too large \
                          anyway, and the serving thread says so */
#define EVENTS_MAX  64 /* events taken from epoll at a time */
#define HANDED_OVER (EPOLLRDHUP | EPOLLHUP | EPOLLERR) /* give it up */
#define WAITS       (-2) /* accept_new: the new client is in the room */

struct waiting {
    int64_t deadline; /* the head must be in by then, or 408 */
    int fd;
    bool ready; /* it can be handed over, at the next call */
    char peer[NET_PEER_MAX];
};

static struct waiting room[WAITING_MAX];
static size_t waiting; /* clients in room[0..waiting-1] */
static int epfd = -1;  /* watches the room, the listener, the stop fd */

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
 * sent decides (head_decided), or its input ended or failed (the serving
 * thread handles that). */
static bool head_arrived(int fd)
{
    static char buf[PEEK_MAX]; /* the accept loop's thread only */
    ssize_t n = recv(fd, buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT);

    if (n < 0) {
        return errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR;
    }
    return n == 0 || head_decided(buf, (size_t)n);
}

/* watch - add fd to the epoll set, edge-triggered or not. */
static int watch(int fd, uint32_t events)
{
    struct epoll_event ev = { .events = events, .data.fd = fd };

    return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

int proxy_accept_open(int listenfd, const struct proxy_config *cfg)
{
    if (epfd >= 0) {
        return 0;
    }
    epfd = epoll_create1(EPOLL_CLOEXEC);
    if (epfd < 0 || watch(cfg->stop_fd, EPOLLIN) < 0 ||
        watch(listenfd, EPOLLIN) < 0) {
        return -1;
    }
    return 0;
}

/* leave - take room[i] out of the room and of the epoll set (the last
 * client takes its place); the caller keeps its fd. */
static void leave(size_t i)
{
    epoll_ctl(epfd, EPOLL_CTL_DEL, room[i].fd, NULL);
    room[i] = room[--waiting];
}

/* enter - put a new client in the room, or answer 503 when it is full. */
static void enter(int fd, const char *peer, const struct proxy_config *cfg)
{
    if (waiting == WAITING_MAX ||
        watch(fd, EPOLLIN | EPOLLRDHUP | EPOLLET) < 0) {
        log_warn("%s: turned away: %zu clients are still sending their "
                 "heads",
                 peer, waiting);
        proxy_refuse(fd, 503);
        return;
    }
    room[waiting].fd = fd;
    room[waiting].deadline = deadline_after(cfg->header_ms);
    room[waiting].ready = false;
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
        if (!room[i].ready && deadline_poll_ms(room[i].deadline) == 0) {
            int fd = room[i].fd;

            log_info("%s: answered 408", room[i].peer);
            leave(i);
            proxy_refuse(fd, 408);
            continue; /* room[i] is now another client */
        }
        next = deadline_earlier(next, room[i].deadline);
        i++;
    }
    return next;
}

/* take_ready - hand over a client marked ready, if there is one: its fd
 * (peer filled in), or -1. */
static int take_ready(char *peer, size_t peersize)
{
    for (size_t i = 0; i < waiting; i++) {
        if (room[i].ready) {
            int fd = room[i].fd;

            snprintf(peer, peersize, "%s", room[i].peer);
            leave(i);
            return fd;
        }
    }
    return -1;
}

/* mark - note what epoll said of the waiting client on fd. */
static void mark(int fd, uint32_t events)
{
    for (size_t i = 0; i < waiting; i++) {
        if (room[i].fd == fd) {
            room[i].ready = (events & HANDED_OVER) != 0 || head_arrived(fd);
            return;
        }
    }
}

/* give_up - end proxy_accept with errno as it is (ECANCELED: the proxy
 * is stopping), closing every waiting client. Returns -1. */
static int give_up(void)
{
    int err = errno;

    while (waiting > 0) {
        int fd = room[0].fd;

        leave(0);
        proxy_refuse(fd, 503);
    }
    errno = err;
    return -1;
}

/* accept_new - accept the next client: hand it over at once when its
 * head is already in (the usual case), else let it wait. Returns its fd,
 * WAITS, or -1 as net_accept does. */
static int accept_new(int listenfd, const struct proxy_config *cfg, char *peer,
                      size_t peersize)
{
    char name[NET_PEER_MAX];
    int fd = net_accept(listenfd, cfg->stop_fd, name, sizeof(name));

    if (fd < 0) {
        return -1;
    }
    if (head_arrived(fd)) {
        snprintf(peer, peersize, "%s", name);
        return fd;
    }
    enter(fd, name, cfg);
    return WAITS;
}

int proxy_accept(int listenfd, const struct proxy_config *cfg, char *peer,
                 size_t peersize)
{
    struct epoll_event events[EVENTS_MAX];

    if (proxy_accept_open(listenfd, cfg) < 0) {
        return -1;
    }
    for (;;) {
        int fd = take_ready(peer, peersize);
        bool listener_ready = false;
        int n;

        if (fd >= 0) {
            return fd;
        }
        n = epoll_wait(epfd, events, EVENTS_MAX, deadline_poll_ms(expire()));
        if (n < 0 && errno != EINTR) {
            return give_up();
        }
        for (int i = 0; i < n; i++) {
            if (events[i].data.fd == cfg->stop_fd) {
                errno = ECANCELED;
                return give_up();
            }
            if (events[i].data.fd == listenfd) {
                listener_ready = true;
            } else {
                mark(events[i].data.fd, events[i].events);
            }
        }
        /* A waiting client whose head is now in goes before a new one:
         * clients are served in the order they came. The listener stays
         * readable until its client is accepted, at the next turn. */
        fd = take_ready(peer, peersize);
        if (fd >= 0) {
            return fd;
        }
        if (listener_ready) {
            fd = accept_new(listenfd, cfg, peer, peersize);
            if (fd != WAITS) {
                return fd >= 0 ? fd : give_up();
            }
        }
    }
}
