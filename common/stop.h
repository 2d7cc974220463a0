/*
 * stop.h - orderly shutdown on SIGINT and SIGTERM, through self-pipes.
 *
 * stop_install sets handlers that only write one byte into a pipe; the
 * program waits on the pipe's read end (stop_fd) with poll(), alongside its
 * sockets, and winds down in ordinary code. No work happens inside a signal
 * handler and no volatile flag is polled. It also ignores SIGPIPE, so a
 * client that vanishes makes a write fail with EPIPE instead of killing the
 * process.
 *
 * Interface:
 *   stop_install    set the handlers; call once, first thing in main()
 *   stop_fd         the fd that becomes readable once a stop was requested
 *   stop_requested  whether a stop was requested, without waiting
 *   stop_request    ask for a stop from ordinary code (tests, fatal paths)
 *
 * Thread-safe once stop_install has returned.
 */
#ifndef STOP_H
#define STOP_H

#include <stdbool.h>

#define STOP_GRACE_S 2 /* seconds work in flight may go on after a stop */

/*
 * stop_install - create the self-pipes, route SIGINT, SIGTERM and SIGALRM
 * (the grace timer) to them and ignore SIGPIPE. The program must not use
 * SIGALRM or alarm() itself. Returns 0, or -1 with errno set.
 */
int stop_install(void);

/*
 * stop_set_grace - after a stop, let work in flight go on for seconds
 * before stop_abort_fd fires (0: fire together with stop_fd). Call it
 * before any stop; the default is STOP_GRACE_S.
 */
void stop_set_grace(int seconds);

/*
 * stop_fd - the read end of the self-pipe: poll() it for POLLIN. It stays
 * readable once a stop was requested (the byte is never consumed).
 * Returns -1 before stop_install.
 */
int stop_fd(void);

/*
 * stop_abort_fd - the read end of the abort pipe: readable once the grace
 * period after the first stop has passed, or a second stop arrived. It
 * stays readable. Returns -1 before stop_install.
 */
int stop_abort_fd(void);

/*
 * stop_requested - true once SIGINT or SIGTERM arrived or stop_request ran.
 */
bool stop_requested(void);

/*
 * stop_request - request a stop, as if SIGTERM had arrived.
 */
void stop_request(void);

#endif /* STOP_H */
