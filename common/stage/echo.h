/*
 * echo.h - the echo server of lab 01: the contract of labs/01-echo/echo.c.
 *
 * The server is iterative: it serves one client at a time, echoing every
 * line back until the client closes, then accepts the next. main() (given,
 * in echo_main.c) parses the arguments, opens the listening socket and
 * calls echo_serve.
 *
 * Interface:
 *   struct echo_config, ECHO_MAXLINE, ECHO_TOOLONG
 *   echo_lines   lab1.1: echo the lines of one connection
 *   echo_serve   lab1.2: accept clients one after another until stopped
 *
 * Not thread-safe: stage 01 has a single thread.
 */
#ifndef ECHO_H
#define ECHO_H

#include <sys/types.h>

#include "rio.h"

#define ECHO_MAXLINE 8192 /* longest line echoed, '\n' included */

/* What the server sends, before it closes, to a client whose line is longer
 * than ECHO_MAXLINE bytes. */
#define ECHO_TOOLONG "error: line longer than 8192 bytes\n"

struct echo_config {
    int stop_fd; /* readable once SIGINT or SIGTERM arrived */
    int idle_ms; /* close a client that stays silent this long; 0: never */
};

/*
 * echo_lines - read lines from rp and write each one back, byte for byte,
 * until the client closes its end.
 *
 * A line longer than ECHO_MAXLINE bytes is not echoed: the client gets
 * ECHO_TOOLONG and the connection ends.
 *
 * Returns the number of bytes echoed, or -1 with errno set when the
 * connection failed (EMSGSIZE for an over-long line, ETIMEDOUT, ECANCELED,
 * ECONNRESET, EPIPE, ...). The caller closes the connection either way.
 */
ssize_t echo_lines(struct rio *rp);

/*
 * echo_serve - accept clients on listenfd one at a time and echo each with
 * echo_lines, applying cfg's idle timeout and stop fd to every connection.
 *
 * A client's failure ends that client only. Returns 0 once cfg->stop_fd
 * fires, or -1 with errno set if accepting fails for good.
 */
int echo_serve(int listenfd, const struct echo_config *cfg);

#endif /* ECHO_H */
