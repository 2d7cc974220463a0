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

static const char *const months[] = {
    "Jan", "Feb", "Mar", "Apr", "May", "Jun",
    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
};

/* escape - copy s into out (size bytes, NUL-terminated): printable ASCII
 * as it is, except '"' and '\', and every other byte as \xHH, so nothing
 * in a request can end a field or a line of the log. */
static void escape(const char *s, char *out, size_t size)
{
    size_t used = 0;

    for (; *s != '\0' && used + 5 <= size; s++) {
        unsigned char c = (unsigned char)*s;

        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
            out[used++] = (char)c;
        } else {
            used += (size_t)snprintf(out + used, size - used, "\\x%02X", c);
        }
    }
    out[used] = '\0';
}

/* format_request - the request line as the log shows it, or "-". */
static void format_request(const struct access_entry *e, char *out, size_t size)
{
    char target[4 * HTTP_MAXLINE];
    char method[4 * HTTP_MAXMETHOD];

    if (e->method == NULL) {
        snprintf(out, size, "-");
        return;
    }
    escape(e->method, method, sizeof(method));
    escape(e->target, target, sizeof(target));
    snprintf(out, size, "%s %s HTTP/1.%d", method, target, e->minor_version);
}

/* format_count - n in decimal, or "-" for none (CLF's way for bytes). */
static void format_count(uint64_t n, char *out, size_t size)
{
    if (n == 0) {
        snprintf(out, size, "-");
    } else {
        snprintf(out, size, "%" PRIu64, n);
    }
}

ssize_t accesslog_format(const struct access_entry *e, char *buf, size_t size)
{
    char request[REQUEST_MAX];
    char bytes[24];
    char up[24] = "-";
    time_t seconds = (time_t)(e->started_ms / 1000);
    struct tm tm;
    int len;

    gmtime_r(&seconds, &tm);
    format_request(e, request, sizeof(request));
    format_count(e->bytes, bytes, sizeof(bytes));
    if (e->up != NULL) {
        snprintf(up, sizeof(up), "%" PRIu64, *e->up);
    }
    len = snprintf(buf, size,
                   "%s - - [%02d/%s/%04d:%02d:%02d:%02d +0000] \"%s\" %03d "
                   "%s %" PRId64 " %s %s\n",
                   e->client, tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900,
                   tm.tm_hour, tm.tm_min, tm.tm_sec, request, e->status, bytes,
                   e->duration_ms, e->cache != NULL ? e->cache : "-", up);
    if (len < 0 || (size_t)len >= size) {
        errno = EMSGSIZE;
        return -1;
    }
    return len;
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

/* write_all - write len bytes to fd, however many calls it takes. */
static int write_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int accesslog_write(struct accesslog *log, const struct access_entry *entry)
{
    char line[ACCESSLOG_MAXLINE];
    ssize_t len = accesslog_format(entry, line, sizeof(line));
    int rc;

    if (len < 0) {
        return -1;
    }
    pthread_mutex_lock(&log->lock);
    rc = write_all(log->fd, line, (size_t)len);
    pthread_mutex_unlock(&log->lock);
    return rc;
}

int accesslog_reopen(struct accesslog *log)
{
    int fd = open_file(log->path);
    int old;

    if (fd < 0) {
        return -1;
    }
    pthread_mutex_lock(&log->lock);
    old = log->fd;
    log->fd = fd;
    pthread_mutex_unlock(&log->lock);
    close(old);
    return 0;
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
