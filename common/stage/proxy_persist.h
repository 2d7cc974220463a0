/*
 * proxy_persist.h - stage 07's part (proxy07_persist.c): the given glue
 * that keeps client connections open between requests, and its option
 * (-k).
 *
 * For each request that goes to an origin, the part makes a framer
 * (persist.h, the student's persist.c) in front of the client's
 * connection; the core sends the answer through it, and once it is over
 * asks whether the connection persists. A kept connection is served again
 * at once when its next request was read with this one (pipelining), and
 * otherwise waits for it in the waiting room for at most -k ms, costing a
 * descriptor, not a thread. The part takes over the core's respond step
 * (stage.h).
 *
 * Thread-safe: a framer belongs to one request; the options are read-only.
 */
#ifndef PROXY_PERSIST_H
#define PROXY_PERSIST_H

#include "stage.h"

extern const struct stage_part proxy_persist_part;

#endif /* PROXY_PERSIST_H */
