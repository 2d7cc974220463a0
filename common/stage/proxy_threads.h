/*
 * proxy_threads.h - stage 03's part (proxy03_threads.c): the options of
 * the thread pool (-n -q -w), and the accept loop that serves clients on
 * threads (threads.h's threads_serve) in place of stage 02's.
 */
#ifndef PROXY_THREADS_H
#define PROXY_THREADS_H

#include "stage.h"

extern const struct stage_part proxy_threads_part;

#endif /* PROXY_THREADS_H */
