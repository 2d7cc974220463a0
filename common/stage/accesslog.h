/*
 * accesslog.h - one line per request in a file, for whoever runs the
 * proxy: the contract of labs/06-policy/accesslog.c (lab6.3).
 *
 * The format is the Common Log Format of web servers (NCSA, Apache's
 * "common"), with three fields appended:
 *
 *   127.0.0.1 - - [24/Nov/2026:09:30:05 +0000] "GET http://a.test/ HTTP/1.1"
 * 200 1043 12 MISS - client      time of the request (UTC)      request line
 * status bytes ms cache up
 *
 * bytes is what went to the client, head and body ("-" for none); ms the
 * time from the request's arrival to the end of its answer; cache is HIT,
 * MISS or "-"; up is, for a CONNECT tunnel, the bytes that went from the
 * client to the target, 0 included ("-" for other requests; bytes counts
 * the other way).
 * The two "-" after the client are CLF's identity and user fields, which a
 * proxy never knows. The request line is "-" when none could be read
 * (a 400 or 414), and bytes in it other than printable ASCII, '"' and '\'
 * are written as \xHH, so no request can forge a line of the log.
 *
 * Lines are written whole: each is formatted into a buffer and written
 * under a lock, so lines from different threads never interleave. The file
 * is opened for appending; accesslog_reopen starts a new file after it was
 * moved away (log rotation, on SIGHUP).
 *
 * Interface:
 *   struct access_entry, struct accesslog (opaque), ACCESSLOG_MAXLINE
 *   accesslog_format, accesslog_open, accesslog_write, accesslog_reopen,
 *   accesslog_close
 *
 * Thread-safe: accesslog_write and accesslog_reopen from any thread.
 */
#ifndef ACCESSLOG_H
#define ACCESSLOG_H

#include <stdint.h>
#include <sys/types.h>

#include "http.h"

/* A line at most: the request line with every byte escaped, and room for
 * the other fields. */
#define ACCESSLOG_MAXLINE (4 * HTTP_MAXMETHOD + 4 * HTTP_MAXLINE + 256)

struct access_entry {
    const char *client;  /* the client's address, without its port */
    int64_t started_ms;  /* when the request arrived, ms since 1970 (UTC) */
    const char *method;  /* NULL when no request line could be read */
    const char *target;  /* the request-target as received */
    int minor_version;   /* 0 for HTTP/1.0, 1 for HTTP/1.1 */
    int status;          /* the status answered (499: the client left) */
    uint64_t bytes;      /* to the client: head and body */
    int64_t duration_ms; /* arrival to the end of the answer */
    const char *cache;   /* "HIT", "MISS", or NULL */
    const uint64_t *up;  /* tunnels: bytes from the client; else NULL */
};

struct accesslog;

/*
 * accesslog_format - write entry's line, newline included, into buf.
 * Returns its length (NUL-terminated, at most size - 1 bytes), or -1 with
 * errno EMSGSIZE when it does not fit.
 */
ssize_t accesslog_format(const struct access_entry *entry, char *buf,
                         size_t size) __attribute__((warn_unused_result));

/*
 * accesslog_open - open (or create, mode 0644) the file at path for
 * appending. Returns the log, or NULL with errno set.
 */
struct accesslog *accesslog_open(const char *path);

/*
 * accesslog_write - append entry's line to log, whole. Returns 0, or -1
 * with errno set (the line is then lost; the proxy goes on).
 */
int accesslog_write(struct accesslog *log, const struct access_entry *entry);

/*
 * accesslog_reopen - close log's file and open its path again: after the
 * file was renamed, lines go to a new file of the old name. Lines being
 * written meanwhile go whole to one file or the other. Returns 0, or -1
 * with errno set, and then the old file stays in use.
 */
int accesslog_reopen(struct accesslog *log);

/*
 * accesslog_close - close log and free it (NULL is fine).
 */
void accesslog_close(struct accesslog *log);

#endif /* ACCESSLOG_H */
