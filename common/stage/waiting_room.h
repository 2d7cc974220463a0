/*
 * waiting_room.h - clients whose request head is still coming: the
 * accept loops' waiting room (given glue, proxy_accept.c).
 *
 * A thread that reads a request head waits as long as the client takes to
 * send it, up to the header deadline (-t). A few hundred clients that
 * send their heads a byte at a time (slowloris) would hold every worker
 * of the pool, and the one thread of stage 02, while real clients queue
 * behind them. So the accept loop keeps clients whose heads are still
 * coming in a waiting room: each costs a descriptor there, never a
 * thread. A client is handed over once its head's blank line (or more
 * lines or longer ones than a head may have, or the end of its input) is
 * in its socket, unread: the thread that serves it reads the head from
 * the start. One whose head is not in within the header deadline is
 * answered 408; one whose first bytes no request can start with (a TLS
 * handshake sent to the plain port), 400 at once. When the room is full,
 * or the process has run out of descriptors, the client that has waited
 * longest is answered 503 to make room: a flood of half-open connections
 * cannot lock new clients out.
 *
 * From stage 07 on, a connection kept open between two requests waits
 * there too (waiting_room_keep), as long as its idle time allows: a
 * thousand idle keep-alive clients cost a thousand descriptors and a few
 * bytes each, never a thread. A kept connection idle too long, or the
 * oldest idle one when the room is full, is closed without a word.
 *
 * Interface:
 *   struct waiting_room (opaque)
 *   waiting_room_new, waiting_room_next, waiting_room_keep,
 *   waiting_room_free
 *
 * Not thread-safe but for waiting_room_keep: only the accept loop's thread
 * calls the others.
 */
#ifndef WAITING_ROOM_H
#define WAITING_ROOM_H

#include <stddef.h>

struct waiting_room;

/*
 * waiting_room_new - a room for at most capacity clients of listenfd,
 * which gives up once stop_fd is readable; their heads must be in within
 * header_ms. It grows as clients come, up to capacity. Returns the room,
 * or NULL with errno set.
 */
struct waiting_room *waiting_room_new(int listenfd, int stop_fd, int header_ms,
                                      size_t capacity);

/*
 * waiting_room_next - the next client whose head is in: its connected
 * socket, with its "host:port" in peer (peersize bytes). Clients are
 * handed over in the order their heads came. Returns the socket, or -1
 * with errno ECANCELED once stop_fd is readable (every waiting client is
 * then answered 503 and closed), or another errno if the listening socket
 * is unusable.
 */
int waiting_room_next(struct waiting_room *room, char *peer, size_t peersize);

/*
 * waiting_room_keep - give the room back the connected socket fd of a
 * client (peer: its "host:port") that may send another request within
 * idle_ms. It is handed over again, by waiting_room_next, once its next
 * head is in; it is closed if that does not start within idle_ms. Any
 * thread may call it, with nothing of the client's next request read yet.
 * The room owns fd from then on (and closes it at once if it has no
 * memory left).
 */
void waiting_room_keep(struct waiting_room *room, int fd, const char *peer,
                       int idle_ms);

/* waiting_room_free - close the clients still waiting, then free room. */
void waiting_room_free(struct waiting_room *room);

#endif /* WAITING_ROOM_H */
