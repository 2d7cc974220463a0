/*
 * capture.h - shared by the CUnit tests of code that writes to a sink: a
 * sink that keeps what it is given, up to a limit, and then fails as a
 * connection the client closed does (EPIPE).
 */
#ifndef CAPTURE_H
#define CAPTURE_H

#include <errno.h>
#include <string.h>
#include <sys/types.h>

#include "sink.h"

#define CAPTURE_MAX (1 << 18) /* bytes a capture can keep */

struct capture {
    char bytes[CAPTURE_MAX];
    size_t len;
    size_t limit; /* at most CAPTURE_MAX */
};

/* capture_write - the write callback of a sink whose arg is a struct
 * capture: keep up to limit bytes, then fail. */
static inline ssize_t capture_write(struct sink *sink, const void *buf,
                                    size_t n)
{
    struct capture *c = sink->arg;
    size_t room = c->limit - c->len;
    size_t take = n < room ? n : room;

    memcpy(c->bytes + c->len, buf, take);
    c->len += take;
    if (take < n) {
        errno = EPIPE;
        return -1;
    }
    return (ssize_t)n;
}

#endif /* CAPTURE_H */
