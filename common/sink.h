/*
 * sink.h - where a relayed response goes: a write callback and its state.
 *
 * The forwarding code (stage 02) does not write to the client itself: it
 * writes through a sink the glue supplies. In stage 02 the sink is the
 * client's connection; from stage 05 it is a tee that also keeps a copy of
 * the response for the cache. The forwarding code never needs to know.
 *
 * Interface:
 *   struct sink, sink_write
 *   sink_to_rio   a sink that writes to a connection
 */
#ifndef SINK_H
#define SINK_H

#include <stddef.h>
#include <sys/types.h>

struct rio;

struct sink {
    /* write all n bytes of buf; return n, or -1 with errno set */
    ssize_t (*write)(struct sink *sink, const void *buf, size_t n);
    void *arg; /* the sink's own state, for write */
};

/*
 * sink_write - write all n bytes of buf to sink. Returns n, or -1 with
 * errno set (the client went away: EPIPE, ECONNRESET, ETIMEDOUT...).
 */
ssize_t sink_write(struct sink *sink, const void *buf, size_t n)
    __attribute__((warn_unused_result));

/*
 * sink_to_rio - a sink that writes to rp's connection with rio_writen.
 * The sink borrows rp; it is valid as long as rp is.
 */
struct sink sink_to_rio(struct rio *rp);

#endif /* SINK_H */
