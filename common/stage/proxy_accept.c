/*
 * proxy_accept.c - the accept loops' waiting room (given glue; see
 * waiting_room.h), and proxy_accept, the accept loops' way into it.
 *
 * MSG_PEEK looks at what a client has sent without taking it. The room is
 * watched with Linux's epoll, edge-triggered (EPOLLET): poll() would
 * report a client as readable again and again while the bytes it sent
 * wait unread, and the loop would spin; an edge comes only when more
 * bytes arrive, or the client shuts down its side (EPOLLRDHUP: MSG_PEEK
 * cannot see an end of file behind bytes not yet read). Edges not acted
 * on at once are kept as the client's ready mark, since they do not come
 * again.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "deadline.h"
#include "http.h"
#include "log.h"
#include "net.h"
#include "proxy.h"
#include "waiting_room.h"

/* Bytes looked at: a longer head is too large anyway, and the serving
 * thread says so. */
#define PEEK_MAX    65536
#define EVENTS_MAX  64 /* events taken from epoll at a time */
#define HANDED_OVER (EPOLLRDHUP | EPOLLHUP | EPOLLERR) /* give it up */
#define WAITS       (-2) /* accept_new: the new client is in the room */

/* A client in the room. */
struct waiting {
    int64_t deadline; /* the head must be in by then, or 408 */
    int fd;
    bool ready; /* it can be handed over, at the next call */
    char peer[NET_PEER_MAX];
};

struct waiting_room {
    int listenfd;
    int stop_fd;
    int header_ms;
    int epfd;     /* watches the clients, the listener, the stop fd */
    size_t count; /* clients in clients[0..count-1] */
    struct waiting clients[WAITING_ROOM_MAX];
    char peek[PEEK_MAX]; /* what head_arrived looks at */
};

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
static bool head_arrived(struct waiting_room *room, int fd)
{
    ssize_t n =
        recv(fd, room->peek, sizeof(room->peek), MSG_PEEK | MSG_DONTWAIT);

    if (n < 0) {
        return errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR;
    }
    return n == 0 || head_decided(room->peek, (size_t)n);
}

/* watch - add fd to the room's epoll set, edge-triggered or not. */
static int watch(struct waiting_room *room, int fd, uint32_t events)
{
    struct epoll_event ev = { .events = events, .data.fd = fd };

    return epoll_ctl(room->epfd, EPOLL_CTL_ADD, fd, &ev);
}

struct waiting_room *waiting_room_new(int listenfd, int stop_fd, int header_ms)
{
    struct waiting_room *room = malloc(sizeof(*room));

    if (room == NULL) {
        return NULL;
    }
    *room = (struct waiting_room){ .listenfd = listenfd,
                                   .stop_fd = stop_fd,
                                   .header_ms = header_ms };
    room->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (room->epfd < 0 || watch(room, stop_fd, EPOLLIN) < 0 ||
        watch(room, listenfd, EPOLLIN) < 0) {
        int saved = errno;

        waiting_room_free(room);
        errno = saved;
        return NULL;
    }
    return room;
}

/* leave - take clients[i] out of the room and of the epoll set (the last
 * client takes its place); the caller keeps its fd. */
static void leave(struct waiting_room *room, size_t i)
{
    epoll_ctl(room->epfd, EPOLL_CTL_DEL, room->clients[i].fd, NULL);
    room->clients[i] = room->clients[--room->count];
}

/* enter - put a new client in the room, or answer 503 when it is full. */
static void enter(struct waiting_room *room, int fd, const char *peer)
{
    struct waiting *client = &room->clients[room->count];

    if (room->count == WAITING_ROOM_MAX ||
        watch(room, fd, EPOLLIN | EPOLLRDHUP | EPOLLET) < 0) {
        log_warn("%s: turned away: %zu clients are still sending their heads",
                 peer, room->count);
        proxy_refuse(fd, 503);
        return;
    }
    client->fd = fd;
    client->deadline = deadline_after(room->header_ms);
    client->ready = false;
    snprintf(client->peer, sizeof(client->peer), "%s", peer);
    room->count++;
}

/* expire - answer 408 to every client whose head is late, and return the
 * earliest deadline of those left. */
static int64_t expire(struct waiting_room *room)
{
    int64_t next = DEADLINE_NONE;
    size_t i = 0;

    while (i < room->count) {
        struct waiting *client = &room->clients[i];

        if (!client->ready && deadline_poll_ms(client->deadline) == 0) {
            int fd = client->fd;

            log_info("%s: answered 408", client->peer);
            leave(room, i);
            proxy_refuse(fd, 408);
            continue; /* clients[i] is now another client */
        }
        next = deadline_earlier(next, client->deadline);
        i++;
    }
    return next;
}

/* take_ready - hand over a client marked ready, if there is one: its fd
 * (peer filled in), or -1. */
static int take_ready(struct waiting_room *room, char *peer, size_t peersize)
{
    for (size_t i = 0; i < room->count; i++) {
        if (room->clients[i].ready) {
            int fd = room->clients[i].fd;

            snprintf(peer, peersize, "%s", room->clients[i].peer);
            leave(room, i);
            return fd;
        }
    }
    return -1;
}

/* mark - note what epoll said of the waiting client on fd. */
static void mark(struct waiting_room *room, int fd, uint32_t events)
{
    for (size_t i = 0; i < room->count; i++) {
        if (room->clients[i].fd == fd) {
            room->clients[i].ready =
                (events & HANDED_OVER) != 0 || head_arrived(room, fd);
            return;
        }
    }
}

/* turn_away_all - answer 503 to every waiting client and close it. */
static void turn_away_all(struct waiting_room *room)
{
    while (room->count > 0) {
        int fd = room->clients[0].fd;

        leave(room, 0);
        proxy_refuse(fd, 503);
    }
}

/* give_up - end waiting_room_next with errno as it is (ECANCELED: the
 * proxy is stopping), closing every waiting client. Returns -1. */
static int give_up(struct waiting_room *room)
{
    int err = errno;

    turn_away_all(room);
    errno = err;
    return -1;
}

/* accept_new - accept the next client: hand it over at once when its
 * head is already in (the usual case), else let it wait. Returns its fd,
 * WAITS, or -1 as net_accept does. */
static int accept_new(struct waiting_room *room, char *peer, size_t peersize)
{
    char name[NET_PEER_MAX];
    int fd = net_accept(room->listenfd, room->stop_fd, name, sizeof(name));

    if (fd < 0) {
        return -1;
    }
    if (head_arrived(room, fd)) {
        snprintf(peer, peersize, "%s", name);
        return fd;
    }
    enter(room, fd, name);
    return WAITS;
}

/* wait_for_events - wait until something happens in the room (or a
 * head's deadline passes), and mark the clients epoll speaks of. Returns
 * 1 when the listener has a client to accept, 0 when not, or -1 with
 * errno set (ECANCELED: the stop fd fired). */
static int wait_for_events(struct waiting_room *room)
{
    struct epoll_event events[EVENTS_MAX];
    int timeout = deadline_poll_ms(expire(room));
    int n = epoll_wait(room->epfd, events, EVENTS_MAX, timeout);
    int listener_ready = 0;

    if (n < 0) {
        return errno == EINTR ? 0 : -1;
    }
    for (int i = 0; i < n; i++) {
        if (events[i].data.fd == room->stop_fd) {
            errno = ECANCELED;
            return -1;
        }
        if (events[i].data.fd == room->listenfd) {
            listener_ready = 1;
        } else {
            mark(room, events[i].data.fd, events[i].events);
        }
    }
    return listener_ready;
}

int waiting_room_next(struct waiting_room *room, char *peer, size_t peersize)
{
    for (;;) {
        int fd = take_ready(room, peer, peersize);
        int listener_ready;

        if (fd >= 0) {
            return fd;
        }
        listener_ready = wait_for_events(room);
        if (listener_ready < 0) {
            return give_up(room);
        }
        /* A waiting client whose head is now in goes before a new one:
         * clients are served in the order they came. The listener stays
         * readable until its client is accepted, at the next turn. */
        fd = take_ready(room, peer, peersize);
        if (fd >= 0) {
            return fd;
        }
        if (listener_ready) {
            fd = accept_new(room, peer, peersize);
            if (fd != WAITS) {
                return fd >= 0 ? fd : give_up(room);
            }
        }
    }
}

void waiting_room_free(struct waiting_room *room)
{
    if (room == NULL) {
        return;
    }
    turn_away_all(room);
    if (room->epfd >= 0) {
        close(room->epfd);
    }
    free(room);
}

int proxy_accept(const struct proxy *proxy, char *peer, size_t peersize)
{
    return waiting_room_next(proxy->room, peer, peersize);
}
