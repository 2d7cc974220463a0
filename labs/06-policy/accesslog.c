/*
 * accesslog.c - lab 06: the access log, one Common Log Format line per
 * request, written whole from any thread.
 *
 * A line is formatted into a buffer first, with no lock held, and then
 * written under the log's lock by a loop that finishes short writes, so
 * two threads' lines never interleave. The file is opened with O_APPEND:
 * each write lands at its current end, even if another program (a log
 * rotator, a second proxy) appends to it too.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "accesslog.h"
#include "log.h"

#define LOG_MODE    0644 /* a new log file: the owner writes, others read */
#define REQUEST_MAX (4 * HTTP_MAXMETHOD + 4 * HTTP_MAXLINE + 16) /* escaped */

struct accesslog {
    pthread_mutex_t lock; /* guards fd, and serialises whole lines */
    int fd;
    char *path; /* reopened on accesslog_reopen */
};

ssize_t accesslog_format(const struct access_entry *e, char *buf, size_t size)
{
    /* TODO(lab6.5): write the line of accesslog.h: the date from
     * gmtime_r, months as "Jan".."Dec", the request line with every
     * byte outside 0x20..0x7e, and '"' and '\\', as \\xHH (or "-" with
     * no method), "-" for 0 bytes, for no cache result and when up is
     * NULL. EMSGSIZE when it does not fit. */
    (void)e;
    (void)buf;
    (void)size;
    log_error("TODO(lab6.5): accesslog_format is not written yet");
    errno = ENOSYS;
    return -1;
}

/* open_file - the log file at path, opened for appending. */
static int open_file(const char *path)
{
    return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, LOG_MODE);
}

struct accesslog *accesslog_open(const char *path)
{
    struct accesslog *log = malloc(sizeof(*log));

    if (log == NULL) {
        return NULL;
    }
    log->path = strdup(path);
    log->fd = log->path != NULL ? open_file(path) : -1;
    if (log->fd < 0) {
        int saved = log->path != NULL ? errno : ENOMEM;

        free(log->path);
        free(log);
        errno = saved;
        return NULL;
    }
    pthread_mutex_init(&log->lock, NULL);
    return log;
}

int accesslog_write(struct accesslog *log, const struct access_entry *entry)
{
    /* TODO(lab6.5): format the line into a buffer on the stack with no
     * lock held, then, holding log->lock, write all of it (a loop: write
     * may write less than asked, or fail with EINTR). */
    (void)log;
    (void)entry;
    log_error("TODO(lab6.5): accesslog_write is not written yet");
    errno = ENOSYS;
    return -1;
}

int accesslog_reopen(struct accesslog *log)
{
    /* TODO(lab6.5): open log->path again first (open_file); then, under
     * the lock, swap the new fd in; close the old one after unlocking. */
    (void)log;
    log_error("TODO(lab6.5): accesslog_reopen is not written yet");
    errno = ENOSYS;
    return -1;
}

void accesslog_close(struct accesslog *log)
{
    if (log == NULL) {
        return;
    }
    close(log->fd);
    pthread_mutex_destroy(&log->lock);
    free(log->path);
    free(log);
}
