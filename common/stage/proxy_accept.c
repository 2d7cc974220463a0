/*
 * proxy_accept.c - the accept loops' waiting room (given glue; see
 * waiting_room.h), and proxy_accept, the accept loops' way into it.
 *
 * MSG_PEEK looks at what a client has sent without taking it. The room is
 * watched with Linux's epoll, edge-triggered (EPOLLET): poll() would
 * report a client as readable again and again while the bytes it sent
 * wait unread, and the loop would spin; an edge comes only when more
 * bytes arrive, or the client shuts down its side (EPOLLRDHUP: MSG_PEEK
 * cannot see an end of file behind bytes not yet read).
 *
 * Each client sits in a slot, on one of three lists threaded through the
 * slots by index: "waiting" in the order the clients came (so the oldest,
 * the first to expire or to be shed, is its head), "idle" for kept
 * connections between two requests, in the order they came back (the
 * oldest is closed first, without a word: no request is owed an answer),
 * and "ready" in the order their heads came in (so they are handed over in
 * that order). Threads serving clients give kept connections back through
 * a locked mailbox and an eventfd that wakes the room's thread, the only
 * one that touches the slots.
 * Every step is O(1) but the scans of a list's head, however many clients
 * wait: a room of thousands costs no more per event than a room of ten.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "deadline.h"
#include "http.h"
#include "log.h"
#include "net.h"
#include "peek.h"
#include "proxy.h"
#include "waiting_room.h"

#define EVENTS_MAX  64 /* events taken from epoll at a time */
#define HANDED_OVER (EPOLLRDHUP | EPOLLHUP | EPOLLERR) /* give it up */
#define NONE        (-1) /* no slot: the end of a list */

#define FIRST_SLOTS 64 /* slots made at first; they double as needed */

/* A client in the room. */
struct slot {
    int fd;           /* the client's socket; -1 for a free slot */
    int64_t deadline; /* its head must be in by then, or 408; idle: its
                         next request must start by then, or it closes */
    bool ready;       /* its head is in: it is on the ready list */
    bool idle;        /* kept, nothing of its next request in: on idle */
    int prev, next;   /* its neighbours on its list, or NONE */
    char peer[NET_PEER_MAX];
};

/* A list of slots, threaded through them by index. */
struct list {
    int head, tail;
};

/* A kept connection given back by a serving thread, not yet in a slot. */
struct kept {
    int fd;
    int idle_ms; /* how long it may wait for its next request */
    char peer[NET_PEER_MAX];
};

/* The serving threads' way into the room: kept connections, under lock,
 * and the eventfd that tells the room's thread to take them. */
struct mailbox {
    pthread_mutex_t lock;
    int wake_fd;
    struct kept *kept; /* count of them, cap allocated */
    size_t count, cap;
};

struct waiting_room {
    int listenfd;
    int stop_fd;
    int header_ms;
    size_t capacity;    /* clients that may wait at once */
    int epfd;           /* watches the clients, the listener, the stop fd */
    int64_t resting;    /* the listener rests until then after running
                           out of fds; DEADLINE_NONE: it does not */
    struct slot *slots; /* nslots of them, capacity at most */
    size_t nslots;
    int *slot_of;        /* fd -> its slot, or NONE */
    size_t fds;          /* entries in slot_of */
    struct list waiting; /* clients whose head is still coming */
    struct list idle;    /* kept clients between two requests */
    struct list ready;   /* clients whose head is in */
    struct list free;    /* slots with no client */
    size_t count;        /* clients on waiting, idle and ready */
    struct mailbox mail; /* kept connections given back */
    char peek[PEEK_MAX]; /* what look() looks at */
};

/* look - what the client on fd has sent so far (peek.h); an end of its
 * input, or an error, is for the serving thread to handle: ready. */
static enum peek look(struct waiting_room *room, int fd)
{
    ssize_t n =
        recv(fd, room->peek, sizeof(room->peek), MSG_PEEK | MSG_DONTWAIT);

    if (n < 0) {
        bool later = errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;

        return later ? PEEK_WAIT : PEEK_READY;
    }
    return n == 0 ? PEEK_READY : peek_request(room->peek, (size_t)n);
}

/* push - append slot i to list. */
static void push(struct waiting_room *room, struct list *list, int i)
{
    room->slots[i].prev = list->tail;
    room->slots[i].next = NONE;
    if (list->tail == NONE) {
        list->head = i;
    } else {
        room->slots[list->tail].next = i;
    }
    list->tail = i;
}

/* unlink_slot - take slot i off list. */
static void unlink_slot(struct waiting_room *room, struct list *list, int i)
{
    struct slot *s = &room->slots[i];

    if (s->prev == NONE) {
        list->head = s->next;
    } else {
        room->slots[s->prev].next = s->next;
    }
    if (s->next == NONE) {
        list->tail = s->prev;
    } else {
        room->slots[s->next].prev = s->prev;
    }
}

/* watch - add fd to the room's epoll set. */
static int watch(struct waiting_room *room, int fd, uint32_t events)
{
    struct epoll_event ev = { .events = events, .data.fd = fd };

    return epoll_ctl(room->epfd, EPOLL_CTL_ADD, fd, &ev);
}

/* grow - add slots to the free list (twice as many as there are, up to
 * the capacity). Returns 0, or -1 when there is no more room. */
static int grow(struct waiting_room *room)
{
    size_t n = room->nslots == 0 ? FIRST_SLOTS : room->nslots * 2;
    struct slot *grown;

    n = n < room->capacity ? n : room->capacity;
    if (n <= room->nslots) {
        return -1;
    }
    grown = realloc(room->slots, n * sizeof(*grown));
    if (grown == NULL) {
        return -1;
    }
    room->slots = grown;
    for (size_t i = room->nslots; i < n; i++) {
        room->slots[i].fd = -1;
        push(room, &room->free, (int)i);
    }
    room->nslots = n;
    return 0;
}

struct waiting_room *waiting_room_new(int listenfd, int stop_fd, int header_ms,
                                      size_t capacity)
{
    struct waiting_room *room = calloc(1, sizeof(*room));

    if (room == NULL) {
        return NULL;
    }
    room->listenfd = listenfd;
    room->stop_fd = stop_fd;
    room->header_ms = header_ms;
    room->capacity = capacity > 0 ? capacity : 1;
    room->resting = DEADLINE_NONE;
    room->waiting = room->idle = room->ready = room->free =
        (struct list){ NONE, NONE };
    pthread_mutex_init(&room->mail.lock, NULL);
    room->mail.wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    room->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (room->epfd < 0 || room->mail.wake_fd < 0 ||
        watch(room, stop_fd, EPOLLIN) < 0 ||
        watch(room, listenfd, EPOLLIN) < 0 ||
        watch(room, room->mail.wake_fd, EPOLLIN) < 0 || grow(room) < 0) {
        int saved = errno;

        waiting_room_free(room);
        errno = saved;
        return NULL;
    }
    return room;
}

/* remember_fd - note that fd sits in slot i (grows slot_of as needed).
 * Returns 0, or -1 when memory ran out. */
static int remember_fd(struct waiting_room *room, int fd, int i)
{
    if ((size_t)fd >= room->fds) {
        size_t fds =
            room->fds * 2 > (size_t)fd ? room->fds * 2 : (size_t)fd + 1;
        int *grown = realloc(room->slot_of, fds * sizeof(*grown));

        if (grown == NULL) {
            return -1;
        }
        for (size_t j = room->fds; j < fds; j++) {
            grown[j] = NONE;
        }
        room->slot_of = grown;
        room->fds = fds;
    }
    room->slot_of[fd] = i;
    return 0;
}

/* slot_for - the slot of the client on fd, or NONE. */
static int slot_for(const struct waiting_room *room, int fd)
{
    return fd >= 0 && (size_t)fd < room->fds ? room->slot_of[fd] : NONE;
}

/* leave - take slot i (on list) out of the room; the caller keeps the fd. */
static int leave(struct waiting_room *room, struct list *list, int i)
{
    int fd = room->slots[i].fd;

    epoll_ctl(room->epfd, EPOLL_CTL_DEL, fd, NULL);
    unlink_slot(room, list, i);
    room->slot_of[fd] = NONE;
    room->slots[i].fd = -1;
    push(room, &room->free, i);
    room->count--;
    return fd;
}

/* send_away - take slot i out of the room and answer its client status. */
static void send_away(struct waiting_room *room, struct list *list, int i,
                      int status, const char *why)
{
    char peer[NET_PEER_MAX];

    snprintf(peer, sizeof(peer), "%s", room->slots[i].peer);
    log_info("%s: answered %d: %s", peer, status, why);
    proxy_refuse(leave(room, list, i), status);
}

/* close_quietly - take slot i off list and close its client: a kept
 * connection, to which no request is owed an answer. */
static void close_quietly(struct waiting_room *room, struct list *list, int i)
{
    close(leave(room, list, i));
}

/* make_room - when the room is full, let one client go: the kept
 * connection idle longest, else the client that has waited longest (slow
 * clients cannot lock new ones out). */
static void make_room(struct waiting_room *room)
{
    if (room->count < room->capacity) {
        return;
    }
    if (room->idle.head != NONE) {
        close_quietly(room, &room->idle, room->idle.head);
    } else if (room->waiting.head != NONE) {
        send_away(room, &room->waiting, room->waiting.head, 503,
                  "it waited longest in a full waiting room");
    }
}

/* enter - put a client in the room until deadline: a new one on the
 * waiting list, a kept one (idle) on the idle list. Returns its slot, or
 * NONE when it was turned away. */
static int enter(struct waiting_room *room, int fd, const char *peer, bool idle,
                 int64_t deadline)
{
    int i;

    make_room(room);
    if (room->free.head == NONE) {
        (void)grow(room); /* fails only at capacity, or out of memory */
    }
    i = room->free.head;
    if (i == NONE || remember_fd(room, fd, i) < 0 ||
        watch(room, fd, EPOLLIN | EPOLLRDHUP | EPOLLET) < 0) {
        log_warn("%s: turned away: no room to wait in", peer);
        proxy_refuse(fd, 503);
        return NONE;
    }
    unlink_slot(room, &room->free, i);
    room->slots[i].fd = fd;
    room->slots[i].deadline = deadline;
    room->slots[i].ready = false;
    room->slots[i].idle = idle;
    snprintf(room->slots[i].peer, sizeof(room->slots[i].peer), "%s", peer);
    push(room, idle ? &room->idle : &room->waiting, i);
    room->count++;
    return i;
}

/* first_deadline - the deadline of the oldest client on list, which
 * comes first, or DEADLINE_NONE when the list is empty. */
static int64_t first_deadline(const struct waiting_room *room,
                              const struct list *list)
{
    return list->head != NONE ? room->slots[list->head].deadline
                              : DEADLINE_NONE;
}

/* is_due - whether the oldest client on list is past its deadline. */
static bool is_due(const struct waiting_room *room, const struct list *list)
{
    return list->head != NONE &&
           deadline_poll_ms(first_deadline(room, list)) == 0;
}

/* expire - answer 408 to every client whose head is late, and close the
 * kept connections idle too long (on each list the oldest first, so the
 * first on time ends its scan). Returns the earliest deadline left. */
static int64_t expire(struct waiting_room *room)
{
    while (is_due(room, &room->idle)) {
        close_quietly(room, &room->idle, room->idle.head);
    }
    while (is_due(room, &room->waiting)) {
        send_away(room, &room->waiting, room->waiting.head, 408,
                  "its request came too slowly");
    }
    return deadline_earlier(first_deadline(room, &room->idle),
                            first_deadline(room, &room->waiting));
}

static void wake_idle(struct waiting_room *room, int i);

/* mark - act on what epoll said of the waiting client on fd: move it to
 * the ready list once its head is in, or answer 400 to bytes no request
 * can start with (a TLS handshake sent to a plain port). */
static void mark(struct waiting_room *room, int fd, uint32_t events)
{
    int i = slot_for(room, fd);
    enum peek seen;

    if (i == NONE || room->slots[i].ready) {
        return; /* gone, or already ready */
    }
    if (room->slots[i].idle) {
        wake_idle(room, i);
        return;
    }
    seen = (events & HANDED_OVER) != 0 ? PEEK_READY : look(room, fd);
    if (seen == PEEK_NOT_HTTP) {
        send_away(room, &room->waiting, i, 400, "not an HTTP request");
    } else if (seen == PEEK_READY) {
        unlink_slot(room, &room->waiting, i);
        room->slots[i].ready = true; /* no longer expires */
        push(room, &room->ready, i);
    }
}

/* wake_idle - act on what epoll said of the kept client in slot i: it
 * closed its side (close it too), or it started its next request, which
 * now waits for the rest of its head as a new client's does. */
static void wake_idle(struct waiting_room *room, int i)
{
    int fd = room->slots[i].fd;
    ssize_t n =
        recv(fd, room->peek, sizeof(room->peek), MSG_PEEK | MSG_DONTWAIT);

    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
        return;
    }
    if (n <= 0) {
        close_quietly(room, &room->idle, i);
        return;
    }
    unlink_slot(room, &room->idle, i);
    room->slots[i].idle = false;
    room->slots[i].deadline = deadline_after(room->header_ms);
    push(room, &room->waiting, i);
    mark(room, fd, 0);
}

/* take_ready - hand over the client whose head came in first, if there is
 * one: its fd (peer filled in), or -1. */
static int take_ready(struct waiting_room *room, char *peer, size_t peersize)
{
    int i = room->ready.head;

    if (i == NONE) {
        return -1;
    }
    snprintf(peer, peersize, "%s", room->slots[i].peer);
    return leave(room, &room->ready, i);
}

/* turn_away_all - answer 503 to every client in the room and close it. */
static void turn_away_all(struct waiting_room *room)
{
    while (room->ready.head != NONE) {
        proxy_refuse(leave(room, &room->ready, room->ready.head), 503);
    }
    while (room->waiting.head != NONE) {
        proxy_refuse(leave(room, &room->waiting, room->waiting.head), 503);
    }
    while (room->idle.head != NONE) {
        close_quietly(room, &room->idle, room->idle.head);
    }
}

/* listen_for - watch the listener for events (EPOLLIN), or stop (0). */
static void listen_for(struct waiting_room *room, uint32_t events)
{
    struct epoll_event ev = { .events = events, .data.fd = room->listenfd };

    epoll_ctl(room->epfd, EPOLL_CTL_MOD, room->listenfd, &ev);
}

/* out_of_fds - accept could not take a client for want of descriptors:
 * shed the client that has waited longest, if one waits, so that the next
 * try finds one; otherwise let the listener rest for NET_BACKOFF_MS (it
 * would be readable all the while), the room going on meanwhile. */
static void out_of_fds(struct waiting_room *room)
{
    if (room->waiting.head != NONE) {
        send_away(room, &room->waiting, room->waiting.head, 503,
                  "the proxy ran out of descriptors");
        return;
    }
    log_warn("cannot accept a client, pausing %d ms:", NET_BACKOFF_MS);
    listen_for(room, 0);
    room->resting = deadline_after(NET_BACKOFF_MS);
}

/* wake_listener - end the listener's rest once it is over. */
static void wake_listener(struct waiting_room *room)
{
    if (room->resting != DEADLINE_NONE &&
        deadline_poll_ms(room->resting) == 0) {
        room->resting = DEADLINE_NONE;
        listen_for(room, EPOLLIN);
    }
}

/* accept_new - accept the next client: hand it over at once when its
 * head is already in (the usual case), else let it wait. Returns its fd,
 * -1 when nothing is to be handed over, or -1 with errno set to something
 * other than EAGAIN when the listener is unusable. */
static int accept_new(struct waiting_room *room, char *peer, size_t peersize)
{
    char name[NET_PEER_MAX];
    int fd = net_accept_waiting(room->listenfd, name, sizeof(name));

    if (fd < 0) {
        if (net_out_of_resources(errno)) {
            out_of_fds(room);
            errno = EAGAIN;
        }
        return -1;
    }
    switch (look(room, fd)) {
    case PEEK_READY:
        snprintf(peer, peersize, "%s", name);
        return fd;
    case PEEK_NOT_HTTP:
        log_info("%s: answered 400: not an HTTP request", name);
        proxy_refuse(fd, 400);
        break;
    case PEEK_WAIT:
        (void)enter(room, fd, name, false, deadline_after(room->header_ms));
        break;
    }
    errno = EAGAIN;
    return -1;
}

/* take_kept - put the connections the serving threads gave back on the
 * idle list, each until its idle time is over. */
static void take_kept(struct waiting_room *room)
{
    struct mailbox *mail = &room->mail;
    uint64_t letters;
    struct kept *kept;
    size_t count;

    if (read(mail->wake_fd, &letters, sizeof(letters)) < 0) {
        return; /* nothing new: EAGAIN */
    }
    pthread_mutex_lock(&mail->lock);
    kept = mail->kept;
    count = mail->count;
    mail->kept = NULL;
    mail->count = mail->cap = 0;
    pthread_mutex_unlock(&mail->lock);
    for (size_t k = 0; k < count; k++) {
        int i = enter(room, kept[k].fd, kept[k].peer, true,
                      deadline_after(kept[k].idle_ms));

        if (i != NONE) {
            wake_idle(room, i); /* its next request may be in already */
        }
    }
    free(kept);
}

/* wait_for_events - wait until something happens in the room, a head's
 * deadline passes or the listener's rest ends (or, when a client is ready
 * already, only look), and mark the clients epoll speaks of. Returns 1
 * when the listener may have a client to accept, 0 when not, or -1 with
 * errno set (ECANCELED: the stop fd fired). */
static int wait_for_events(struct waiting_room *room)
{
    struct epoll_event events[EVENTS_MAX];
    int64_t until = deadline_earlier(expire(room), room->resting);
    int timeout = room->ready.head != NONE ? 0 : deadline_poll_ms(until);
    int n = epoll_wait(room->epfd, events, EVENTS_MAX, timeout);
    int listener = 0;

    wake_listener(room);
    if (n < 0) {
        return errno == EINTR ? 0 : -1;
    }
    for (int i = 0; i < n; i++) {
        if (events[i].data.fd == room->stop_fd) {
            errno = ECANCELED;
            return -1;
        }
        if (events[i].data.fd == room->listenfd) {
            listener = 1;
        } else if (events[i].data.fd == room->mail.wake_fd) {
            take_kept(room);
        } else {
            mark(room, events[i].data.fd, events[i].events);
        }
    }
    return listener;
}

int waiting_room_next(struct waiting_room *room, char *peer, size_t peersize)
{
    for (;;) {
        int listener = wait_for_events(room);
        int fd;

        if (listener < 0) {
            int err = errno;

            turn_away_all(room);
            errno = err;
            return -1;
        }
        /* Once the proxy stops, no waiting client is served any more (the
         * stop fd is looked at first). A waiting client whose head is in
         * goes before a new one: clients are served in the order they
         * came. The listener stays readable until its client is accepted,
         * at the next turn. */
        fd = take_ready(room, peer, peersize);
        if (fd < 0 && listener) {
            fd = accept_new(room, peer, peersize);
            if (fd < 0 && errno != EAGAIN) {
                return -1;
            }
        }
        if (fd >= 0) {
            return fd;
        }
    }
}

void waiting_room_free(struct waiting_room *room)
{
    if (room == NULL) {
        return;
    }
    if (room->slots != NULL) {
        turn_away_all(room);
    }
    if (room->epfd >= 0) {
        close(room->epfd);
    }
    for (size_t k = 0; k < room->mail.count; k++) {
        close(room->mail.kept[k].fd);
    }
    free(room->mail.kept);
    if (room->mail.wake_fd >= 0) {
        close(room->mail.wake_fd);
    }
    pthread_mutex_destroy(&room->mail.lock);
    free(room->slot_of);
    free(room->slots);
    free(room);
}

/* post - add a kept connection to the mailbox. Returns 0, or -1 when
 * memory ran out. */
static int post(struct mailbox *mail, int fd, const char *peer, int idle_ms)
{
    if (mail->count == mail->cap) {
        size_t cap = mail->cap > 0 ? mail->cap * 2 : 16;
        struct kept *grown = realloc(mail->kept, cap * sizeof(*grown));

        if (grown == NULL) {
            return -1;
        }
        mail->kept = grown;
        mail->cap = cap;
    }
    mail->kept[mail->count].fd = fd;
    mail->kept[mail->count].idle_ms = idle_ms;
    snprintf(mail->kept[mail->count].peer, NET_PEER_MAX, "%s", peer);
    mail->count++;
    return 0;
}

void waiting_room_keep(struct waiting_room *room, int fd, const char *peer,
                       int idle_ms)
{
    const uint64_t one = 1;
    int rc;

    pthread_mutex_lock(&room->mail.lock);
    rc = post(&room->mail, fd, peer, idle_ms);
    pthread_mutex_unlock(&room->mail.lock);
    if (rc < 0) {
        close(fd);
    } else if (write(room->mail.wake_fd, &one, sizeof(one)) < 0) {
        log_warn("cannot wake the waiting room:");
    }
}

int proxy_accept(const struct proxy *proxy, char *peer, size_t peersize)
{
    return waiting_room_next(proxy->room, peer, peersize);
}
