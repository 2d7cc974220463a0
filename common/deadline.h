/*
 * deadline.h - absolute time limits on the monotonic clock.
 *
 * A deadline is a point in time, in milliseconds on CLOCK_MONOTONIC, after
 * which an operation gives up. DEADLINE_NONE means "no limit". Deadlines,
 * unlike per-call timeouts, bound a whole exchange: a client that sends one
 * byte every second still runs out of time (the slowloris defence).
 *
 * Interface:
 *   deadline_now     the current monotonic time in milliseconds
 *   deadline_after   the deadline that is ms milliseconds from now
 *   deadline_earlier the sooner of two deadlines
 *   deadline_poll_ms what to pass to poll() so it returns by the deadline
 *   deadline_timespec the deadline for pthread_cond_timedwait
 *
 * Thread-safe.
 */
#ifndef DEADLINE_H
#define DEADLINE_H

#include <stdint.h>
#include <time.h>

#define DEADLINE_NONE 0 /* no time limit */

/*
 * deadline_now - the current time on the monotonic clock, in milliseconds.
 */
int64_t deadline_now(void);

/*
 * deadline_after - the deadline ms milliseconds from now.
 *
 * Returns DEADLINE_NONE when ms <= 0, so an unset timeout means no limit.
 */
int64_t deadline_after(int ms);

/*
 * deadline_earlier - the sooner of deadlines a and b (DEADLINE_NONE is later
 * than any real deadline).
 */
int64_t deadline_earlier(int64_t a, int64_t b);

/*
 * deadline_poll_ms - the timeout argument for poll() that makes it return
 * no later than deadline.
 *
 * Returns -1 (wait forever) for DEADLINE_NONE, 0 when the deadline has
 * passed, and the milliseconds left otherwise.
 */
int deadline_poll_ms(int64_t deadline);

/*
 * deadline_timespec - deadline as a struct timespec on CLOCK_MONOTONIC, for
 * pthread_cond_timedwait on a condition variable whose clock was set to
 * CLOCK_MONOTONIC (pthread_condattr_setclock). Not for DEADLINE_NONE:
 * without a deadline, use pthread_cond_wait.
 */
struct timespec deadline_timespec(int64_t deadline);

#endif /* DEADLINE_H */
