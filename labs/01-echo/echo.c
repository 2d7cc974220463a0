/*
 * echo.c - lab 01: an iterative echo server.
 *
 * echo_serve accepts one client at a time; echo_lines sends every line the
 * client writes straight back. Lines may hold any bytes, NUL included, so
 * the code counts bytes and never calls strlen on them.
 */
#include <errno.h>
#include <unistd.h>

#include "echo.h"
#include "log.h"
#include "net.h"
#include "rio.h"

ssize_t echo_lines(struct rio *rp)
{
    /* TODO(lab1.1): read lines with rio_readline into a buffer of
     * ECHO_MAXLINE + 1 bytes and write each one back with rio_writen, using
     * the byte count it returned. Stop at end of file (return the total) or
     * on an error (return -1). On EMSGSIZE, send ECHO_TOOLONG first. */
    (void)rp;
    log_error("TODO(lab1.1): echo_lines is not written yet");
    errno = ENOSYS;
    return -1;
}

int echo_serve(int listenfd, const struct echo_config *cfg)
{
    /* TODO(lab1.2): loop: accept a client with net_accept (passing
     * cfg->stop_fd), set up a struct rio with cfg's idle timeout and stop fd,
     * call echo_lines, log how it went, close the client. Return 0 when
     * net_accept fails with ECANCELED, -1 on any other accept error. */
    (void)listenfd;
    (void)cfg;
    log_error("TODO(lab1.2): echo_serve is not written yet");
    errno = ENOSYS;
    return -1;
}
