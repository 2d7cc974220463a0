/*
 * sink.c - write callbacks for relayed responses; see sink.h.
 */
#include "sink.h"

#include "rio.h"

ssize_t sink_write(struct sink *sink, const void *buf, size_t n)
{
    return sink->write(sink, buf, n);
}

/* write_to_rio - the write callback of sink_to_rio. */
static ssize_t write_to_rio(struct sink *sink, const void *buf, size_t n)
{
    return rio_writen(sink->arg, buf, n);
}

struct sink sink_to_rio(struct rio *rp)
{
    struct sink sink = { .write = write_to_rio, .arg = rp };

    return sink;
}
