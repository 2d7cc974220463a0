/*
 * test_queue.c - unit tests for queue.c: the bounded blocking FIFO that
 * hands connections from the accept loop to the workers (stage 03).
 *
 * Items are small numbers dressed as pointers (item(n), never NULL). The
 * blocking tests use a struct scene: helper threads make the call that
 * should block, the main thread sets a cue just before the call that
 * should release them, and each helper records whether the cue was set
 * when its call returned. Every wait has a time limit: a helper still
 * blocked is reported and left behind, with its memory, rather than hang
 * the test program.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "deadline.h"
#include "queue.h"
#include "unit.h"

#define FIFO_CAPACITY 16   /* items put and taken in one go */
#define WRAP_CAPACITY 3    /* a small ring, so that it wraps often */
#define WRAP_ITEMS    100  /* items through it: the ring wraps 33 times */
#define TIMEOUT_MS    200  /* the deadline of a put on a full queue */
#define WAIT_MS       1000 /* limit for what should happen at once */
#define FINISH_MS     1500 /* limit for released helpers to return */
#define GRACE_MS      500  /* ... and again after queue_close */
#define SETTLE_MS     20   /* for started helpers to reach their call */
#define MAX_HELPERS   3

#define PRODUCERS       4
#define CONSUMERS       4
#define PER_PRODUCER    5000
#define STRESS_ITEMS    (PRODUCERS * PER_PRODUCER)
#define STRESS_CAPACITY 8
#define STRESS_MS       2500 /* for the producers to put everything */

/* A number that threads raise and the test waits for, with a limit. */
struct count {
    pthread_mutex_t lock;
    pthread_cond_t raised; /* on CLOCK_MONOTONIC, the clock of deadlines */
    int n;                 /* guarded by lock */
};

struct scene;

/* A helper thread: one call into the queue, and what it saw. */
struct helper {
    pthread_t thread;
    struct scene *scene;
    void *item; /* the item to put, or what get returned */
    int rc;     /* what put returned */
    int err;    /* errno after put */
    int waited; /* how long put took, in ms */
    bool cued;  /* the cue was set when the call returned */
};

/* A queue, helpers blocked in it, and the main thread that releases them. */
struct scene {
    struct queue *q;
    struct count started;  /* helpers about to make their call */
    struct count finished; /* helpers whose call has returned */
    atomic_bool cue;       /* set just before the call that releases them */
    int put_ms;            /* put helpers' deadline; 0 for none */
    int helpers;           /* helpers started */
    struct helper helper[MAX_HELPERS];
};

static void *item(int n)
{
    return (void *)(uintptr_t)n;
}

static int number(void *p)
{
    return (int)(uintptr_t)p;
}

static void nap(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

    nanosleep(&ts, NULL);
}

/* take - queue_get, but only when q is not empty, so that a broken queue
 * fails the test instead of blocking it. */
static void *take(struct queue *q)
{
    return queue_length(q) > 0 ? queue_get(q) : NULL;
}

/* put_now - put item, which should go in without waiting. */
static int put_now(struct queue *q, int n)
{
    return queue_put(q, item(n), deadline_after(WAIT_MS));
}

/* put_range - put items first..last; returns how many went in. */
static int put_range(struct queue *q, int first, int last)
{
    int n = first;

    while (n <= last && put_now(q, n) == 0) {
        n++;
    }
    return n - first;
}

/* expect_range - take items and check that they are first..last. */
static void expect_range(struct queue *q, int first, int last)
{
    for (int n = first; n <= last; n++) {
        int got = number(take(q));

        if (got != n) {
            UNIT_CHECK(false, "item %d of %d..%d: got %d", n, first, last, got);
            return;
        }
    }
}

static int count_init(struct count *c)
{
    pthread_condattr_t attr;
    int rc = pthread_condattr_init(&attr);

    c->n = 0;
    if (rc != 0) {
        return rc;
    }
    rc = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    if (rc == 0) {
        rc = pthread_cond_init(&c->raised, &attr);
    }
    pthread_condattr_destroy(&attr);
    if (rc == 0) {
        rc = pthread_mutex_init(&c->lock, NULL);
        if (rc != 0) {
            pthread_cond_destroy(&c->raised);
        }
    }
    return rc;
}

static void count_destroy(struct count *c)
{
    pthread_cond_destroy(&c->raised);
    pthread_mutex_destroy(&c->lock);
}

static void count_raise(struct count *c)
{
    pthread_mutex_lock(&c->lock);
    c->n++;
    pthread_cond_broadcast(&c->raised);
    pthread_mutex_unlock(&c->lock);
}

/* count_wait - whether c reached n by deadline. */
static bool count_wait(struct count *c, int n, int64_t deadline)
{
    struct timespec until = deadline_timespec(deadline);
    bool reached;
    int rc = 0;

    pthread_mutex_lock(&c->lock);
    while (c->n < n && rc == 0) {
        rc = pthread_cond_timedwait(&c->raised, &c->lock, &until);
    }
    reached = c->n >= n;
    pthread_mutex_unlock(&c->lock);
    return reached;
}

/* scene_new - a scene around a new queue of capacity items, or NULL. */
static struct scene *scene_new(size_t capacity)
{
    struct scene *s = calloc(1, sizeof(*s));

    if (s == NULL) {
        return NULL;
    }
    s->q = queue_new(capacity);
    if (s->q == NULL) {
        goto out_free;
    }
    if (count_init(&s->started) != 0) {
        goto out_free_queue;
    }
    if (count_init(&s->finished) != 0) {
        goto out_destroy_started;
    }
    atomic_init(&s->cue, false);
    return s;

out_destroy_started:
    count_destroy(&s->started);
out_free_queue:
    queue_free(s->q);
out_free:
    free(s);
    return NULL;
}

static void scene_free(struct scene *s)
{
    count_destroy(&s->finished);
    count_destroy(&s->started);
    queue_free(s->q);
    free(s);
}

/* put_helper - put h->item, with the scene's deadline. */
static void *put_helper(void *arg)
{
    struct helper *h = arg;
    struct scene *s = h->scene;
    int64_t start;

    count_raise(&s->started);
    start = deadline_now();
    h->rc = queue_put(s->q, h->item, deadline_after(s->put_ms));
    h->err = errno;
    h->waited = (int)(deadline_now() - start);
    h->cued = atomic_load(&s->cue);
    count_raise(&s->finished);
    return NULL;
}

/* get_helper - get an item into h->item. */
static void *get_helper(void *arg)
{
    struct helper *h = arg;
    struct scene *s = h->scene;

    count_raise(&s->started);
    h->item = queue_get(s->q);
    h->cued = atomic_load(&s->cue);
    count_raise(&s->finished);
    return NULL;
}

/* scene_start - start n helpers running fn; a put helper i puts item
 * first + i. */
static void scene_start(struct scene *s, int n, void *(*fn)(void *), int first)
{
    for (int i = 0; i < n; i++) {
        struct helper *h = &s->helper[i];

        h->scene = s;
        h->item = item(first + i);
        CU_ASSERT_FATAL(pthread_create(&h->thread, NULL, fn, h) == 0);
        s->helpers++;
    }
}

/* scene_settle - wait until every helper is about to make its call, then a
 * little longer so that it is most likely blocked in it. A correct queue
 * passes however long the helpers take; the nap only gives a broken one
 * (a call that does not block) the chance to show it. */
static void scene_settle(struct scene *s)
{
    UNIT_CHECK(count_wait(&s->started, s->helpers, deadline_after(WAIT_MS)),
               "helper threads did not start within %d ms", WAIT_MS);
    nap(SETTLE_MS);
}

/* scene_cue - from now on, helpers that return count as released. */
static void scene_cue(struct scene *s)
{
    atomic_store(&s->cue, true);
}

/* let_go - join thread when it has finished; otherwise detach it, since
 * it is stuck in a broken queue and will never be joined. */
static void let_go(pthread_t thread, bool finished)
{
    if (finished) {
        pthread_join(thread, NULL);
    } else {
        pthread_detach(thread);
    }
}

/* scene_finish - wait for every helper's call to return, then join them.
 * Helpers still blocked after FINISH_MS fail the test; queue_close is then
 * tried on them. Returns false, with s left allocated for the helpers
 * that are stuck even so. */
static bool scene_finish(struct scene *s)
{
    bool done = count_wait(&s->finished, s->helpers, deadline_after(FINISH_MS));

    UNIT_CHECK(done, "helper threads still blocked after %d ms", FINISH_MS);
    if (!done) {
        queue_close(s->q);
        done = count_wait(&s->finished, s->helpers, deadline_after(GRACE_MS));
        UNIT_CHECK(done, "helper threads still blocked after queue_close");
    }
    for (int i = 0; i < s->helpers; i++) {
        let_go(s->helper[i].thread, done);
    }
    return done;
}

static void test_queue_new_zero_capacity_is_einval(void)
{
    errno = 0;
    CU_ASSERT_PTR_NULL(queue_new(0));
    ASSERT_EQ_INT(errno, EINVAL);
}

static void test_queue_free_null_is_harmless(void)
{
    queue_free(NULL);
}

static void test_queue_length_counts(void)
{
    struct queue *q = queue_new(FIFO_CAPACITY);

    CU_ASSERT_FATAL(q != NULL);
    ASSERT_EQ_INT(queue_length(q), 0);
    ASSERT_EQ_INT(put_now(q, 1), 0);
    ASSERT_EQ_INT(queue_length(q), 1);
    ASSERT_EQ_INT(put_range(q, 2, FIFO_CAPACITY), FIFO_CAPACITY - 1);
    ASSERT_EQ_INT(queue_length(q), FIFO_CAPACITY);
    CU_ASSERT_PTR_EQUAL(take(q), item(1));
    ASSERT_EQ_INT(queue_length(q), FIFO_CAPACITY - 1);
    expect_range(q, 2, FIFO_CAPACITY);
    ASSERT_EQ_INT(queue_length(q), 0);
    queue_free(q);
}

static void test_queue_fifo_order(void)
{
    struct queue *q = queue_new(FIFO_CAPACITY);

    CU_ASSERT_FATAL(q != NULL);
    ASSERT_EQ_INT(put_range(q, 1, FIFO_CAPACITY), FIFO_CAPACITY);
    expect_range(q, 1, FIFO_CAPACITY);
    ASSERT_EQ_INT(queue_length(q), 0);
    queue_free(q);
}

static void test_queue_fifo_wraps_around(void)
{
    struct queue *q = queue_new(WRAP_CAPACITY);
    int n = 1;

    /* Keep the ring two-thirds full and then full, turn by turn: put one,
     * take the oldest, so that head and tail go round it many times. */
    CU_ASSERT_FATAL(q != NULL);
    ASSERT_EQ_INT(put_range(q, 1, WRAP_CAPACITY - 1), WRAP_CAPACITY - 1);
    for (int next = WRAP_CAPACITY; next <= WRAP_ITEMS; next++) {
        if (put_now(q, next) != 0 || number(take(q)) != n) {
            break;
        }
        n++;
    }
    ASSERT_EQ_INT(n, WRAP_ITEMS - WRAP_CAPACITY + 2);
    ASSERT_EQ_INT(queue_length(q), WRAP_CAPACITY - 1);
    expect_range(q, n, WRAP_ITEMS);
    ASSERT_EQ_INT(queue_length(q), 0);
    queue_free(q);
}

static void test_queue_put_full_times_out(void)
{
    struct scene *s = scene_new(2);
    struct helper *h;

    /* The put runs in a helper so that one ignoring its deadline fails the
     * test rather than blocking it. */
    CU_ASSERT_FATAL(s != NULL);
    h = &s->helper[0];
    ASSERT_EQ_INT(put_range(s->q, 1, 2), 2);
    s->put_ms = TIMEOUT_MS;
    scene_start(s, 1, put_helper, 3);
    if (!scene_finish(s)) {
        return;
    }
    ASSERT_EQ_INT(h->rc, -1);
    ASSERT_EQ_INT(h->err, ETIMEDOUT);
    UNIT_CHECK(h->waited >= TIMEOUT_MS * 3 / 4 &&
                   h->waited < TIMEOUT_MS + WAIT_MS,
               "put with a %d ms deadline returned after %d ms", TIMEOUT_MS,
               h->waited);
    ASSERT_EQ_INT(queue_length(s->q), 2);
    expect_range(s->q, 1, 2);
    ASSERT_EQ_INT(queue_length(s->q), 0);
    scene_free(s);
}

static void test_queue_put_waits_for_get(void)
{
    struct scene *s = scene_new(1);
    struct helper *h;

    CU_ASSERT_FATAL(s != NULL);
    h = &s->helper[0];
    ASSERT_EQ_INT(put_now(s->q, 1), 0);
    scene_start(s, 1, put_helper, 2);
    scene_settle(s);
    scene_cue(s);
    CU_ASSERT_PTR_EQUAL(take(s->q), item(1));
    if (!scene_finish(s)) {
        return; /* s stays allocated for the stuck helper */
    }
    ASSERT_EQ_INT(h->rc, 0);
    UNIT_CHECK(h->cued, "put into a full queue returned before the get");
    ASSERT_EQ_INT(queue_length(s->q), 1);
    CU_ASSERT_PTR_EQUAL(take(s->q), item(2));
    scene_free(s);
}

static void test_queue_get_waits_for_put(void)
{
    struct scene *s = scene_new(1);
    struct helper *h;

    CU_ASSERT_FATAL(s != NULL);
    h = &s->helper[0];
    scene_start(s, 1, get_helper, 0);
    scene_settle(s);
    scene_cue(s);
    ASSERT_EQ_INT(put_now(s->q, 7), 0);
    if (!scene_finish(s)) {
        return;
    }
    CU_ASSERT_PTR_EQUAL(h->item, item(7));
    UNIT_CHECK(h->cued, "get from an empty queue returned before the put");
    ASSERT_EQ_INT(queue_length(s->q), 0);
    scene_free(s);
}

static void test_queue_close_wakes_every_get(void)
{
    struct scene *s = scene_new(1);

    /* First make sure the queue works at all: a queue whose get returns
     * NULL at once would pass the rest. */
    CU_ASSERT_FATAL(s != NULL);
    ASSERT_EQ_INT(put_now(s->q, 1), 0);
    CU_ASSERT_PTR_EQUAL(take(s->q), item(1));

    scene_start(s, MAX_HELPERS, get_helper, 0);
    scene_settle(s);
    scene_cue(s);
    queue_close(s->q);
    if (!scene_finish(s)) {
        return;
    }
    for (int i = 0; i < MAX_HELPERS; i++) {
        CU_ASSERT_PTR_NULL(s->helper[i].item);
        UNIT_CHECK(s->helper[i].cued,
                   "get %d from an empty queue returned before the close", i);
    }
    scene_free(s);
}

static void test_queue_close_wakes_every_put(void)
{
    struct scene *s = scene_new(1);

    CU_ASSERT_FATAL(s != NULL);
    ASSERT_EQ_INT(put_now(s->q, 1), 0);
    scene_start(s, MAX_HELPERS, put_helper, 11);
    scene_settle(s);
    scene_cue(s);
    queue_close(s->q);
    if (!scene_finish(s)) {
        return;
    }
    for (int i = 0; i < MAX_HELPERS; i++) {
        ASSERT_EQ_INT(s->helper[i].rc, -1);
        ASSERT_EQ_INT(s->helper[i].err, EPIPE);
        UNIT_CHECK(s->helper[i].cued,
                   "put %d into a full queue returned before the close", i);
    }
    ASSERT_EQ_INT(queue_length(s->q), 1);
    CU_ASSERT_PTR_EQUAL(take(s->q), item(1));
    scene_free(s);
}

static void test_queue_close_drains_then_null(void)
{
    struct scene *s = scene_new(4);
    int rc;
    int err;

    CU_ASSERT_FATAL(s != NULL);
    ASSERT_EQ_INT(put_range(s->q, 1, 2), 2);
    queue_close(s->q);
    rc = put_now(s->q, 3);
    err = errno;
    ASSERT_EQ_INT(rc, -1);
    ASSERT_EQ_INT(err, EPIPE);
    ASSERT_EQ_INT(queue_length(s->q), 2);
    expect_range(s->q, 1, 2);

    /* Closed and empty: get returns NULL instead of waiting. */
    scene_start(s, 1, get_helper, 0);
    if (!scene_finish(s)) {
        return;
    }
    CU_ASSERT_PTR_NULL(s->helper[0].item);
    scene_free(s);
}

static void test_queue_close_twice_is_harmless(void)
{
    struct scene *s = scene_new(2);
    int rc;
    int err;

    CU_ASSERT_FATAL(s != NULL);
    ASSERT_EQ_INT(put_now(s->q, 1), 0);
    queue_close(s->q);
    queue_close(s->q);
    rc = put_now(s->q, 2);
    err = errno;
    ASSERT_EQ_INT(rc, -1);
    ASSERT_EQ_INT(err, EPIPE);
    CU_ASSERT_PTR_EQUAL(take(s->q), item(1));
    scene_start(s, 1, get_helper, 0);
    if (!scene_finish(s)) {
        return;
    }
    CU_ASSERT_PTR_NULL(s->helper[0].item);
    scene_free(s);
}

struct stress;

/* A producer puts item(id * PER_PRODUCER + seq + 1) for seq 0, 1, ... */
struct producer {
    pthread_t thread;
    struct stress *stress;
    int id;
    int put; /* items put */
    int err; /* errno of the put that failed, or 0 */
};

/* A consumer gets items until NULL and records them. */
struct consumer {
    pthread_t thread;
    struct stress *stress;
    int seen[STRESS_ITEMS]; /* how often each item came here */
    int last[PRODUCERS];    /* the latest seq + 1 seen from each producer */
    int out_of_order;       /* items that came after a later one */
    int unknown;            /* items that no producer put */
    bool early;             /* got NULL before the queue was closed */
};

/* Many producers and consumers on one small queue. */
struct stress {
    struct queue *q;
    struct count producers_done;
    struct count consumers_done;
    atomic_bool closing; /* set just before queue_close */
    struct producer producer[PRODUCERS];
    struct consumer consumer[CONSUMERS];
};

/* produce - put PER_PRODUCER items; even producers wait as long as it
 * takes, odd ones with a deadline, so that both kinds of wait run. */
static void *produce(void *arg)
{
    struct producer *p = arg;
    struct stress *st = p->stress;

    for (int seq = 0; seq < PER_PRODUCER; seq++) {
        void *it = item(p->id * PER_PRODUCER + seq + 1);
        int64_t deadline =
            p->id % 2 == 0 ? DEADLINE_NONE : deadline_after(STRESS_MS);

        if (queue_put(st->q, it, deadline) < 0) {
            p->err = errno;
            break;
        }
        p->put++;
    }
    count_raise(&st->producers_done);
    return NULL;
}

static void consume_one(struct consumer *c, int n)
{
    int id;
    int seq;

    if (n < 1 || n > STRESS_ITEMS) {
        c->unknown++;
        return;
    }
    id = (n - 1) / PER_PRODUCER;
    seq = (n - 1) % PER_PRODUCER;
    c->seen[n - 1]++;
    if (seq + 1 <= c->last[id]) {
        c->out_of_order++;
    }
    c->last[id] = seq + 1;
}

static void *consume(void *arg)
{
    struct consumer *c = arg;
    void *p;

    while ((p = queue_get(c->stress->q)) != NULL) {
        consume_one(c, number(p));
    }
    c->early = !atomic_load(&c->stress->closing);
    count_raise(&c->stress->consumers_done);
    return NULL;
}

static struct stress *stress_new(void)
{
    struct stress *st = calloc(1, sizeof(*st));

    if (st == NULL) {
        return NULL;
    }
    st->q = queue_new(STRESS_CAPACITY);
    if (st->q == NULL) {
        goto out_free;
    }
    if (count_init(&st->producers_done) != 0) {
        goto out_free_queue;
    }
    if (count_init(&st->consumers_done) != 0) {
        goto out_destroy_producers_done;
    }
    atomic_init(&st->closing, false);
    return st;

out_destroy_producers_done:
    count_destroy(&st->producers_done);
out_free_queue:
    queue_free(st->q);
out_free:
    free(st);
    return NULL;
}

static void stress_free(struct stress *st)
{
    count_destroy(&st->consumers_done);
    count_destroy(&st->producers_done);
    queue_free(st->q);
    free(st);
}

static void stress_start(struct stress *st)
{
    for (int i = 0; i < CONSUMERS; i++) {
        struct consumer *c = &st->consumer[i];

        c->stress = st;
        CU_ASSERT_FATAL(pthread_create(&c->thread, NULL, consume, c) == 0);
    }
    for (int i = 0; i < PRODUCERS; i++) {
        struct producer *p = &st->producer[i];

        p->stress = st;
        p->id = i;
        CU_ASSERT_FATAL(pthread_create(&p->thread, NULL, produce, p) == 0);
    }
}

/* stress_finish - wait for the producers, close the queue, wait for the
 * consumers to drain it, and join everyone. Returns false, with st left
 * allocated, if a thread is stuck. */
static bool stress_finish(struct stress *st)
{
    bool produced =
        count_wait(&st->producers_done, PRODUCERS, deadline_after(STRESS_MS));
    int64_t deadline;
    bool done;

    UNIT_CHECK(produced, "producers still putting after %d ms", STRESS_MS);
    atomic_store(&st->closing, true);
    queue_close(st->q);
    deadline = deadline_after(GRACE_MS);
    done = count_wait(&st->producers_done, PRODUCERS, deadline) &&
           count_wait(&st->consumers_done, CONSUMERS, deadline);
    UNIT_CHECK(done, "threads still blocked %d ms after queue_close", GRACE_MS);
    for (int i = 0; i < PRODUCERS; i++) {
        let_go(st->producer[i].thread, done);
    }
    for (int i = 0; i < CONSUMERS; i++) {
        let_go(st->consumer[i].thread, done);
    }
    return done;
}

/* stress_check - every item arrived exactly once, in each producer's
 * order. */
static void stress_check(struct stress *st)
{
    int lost = 0;
    int duplicated = 0;
    int out_of_order = 0;
    int unknown = 0;
    int early = 0;

    for (int i = 0; i < PRODUCERS; i++) {
        ASSERT_EQ_INT(st->producer[i].put, PER_PRODUCER);
        ASSERT_EQ_INT(st->producer[i].err, 0);
    }
    for (int n = 0; n < STRESS_ITEMS; n++) {
        int times = 0;

        for (int i = 0; i < CONSUMERS; i++) {
            times += st->consumer[i].seen[n];
        }
        lost += times == 0;
        duplicated += times > 1;
    }
    for (int i = 0; i < CONSUMERS; i++) {
        out_of_order += st->consumer[i].out_of_order;
        unknown += st->consumer[i].unknown;
        early += st->consumer[i].early;
    }
    ASSERT_EQ_INT(lost, 0);
    ASSERT_EQ_INT(duplicated, 0);
    ASSERT_EQ_INT(out_of_order, 0);
    ASSERT_EQ_INT(unknown, 0);
    ASSERT_EQ_INT(early, 0); /* get returned NULL on an open queue */
    ASSERT_EQ_INT(queue_length(st->q), 0);
}

static void test_queue_many_producers_and_consumers(void)
{
    struct stress *st = stress_new();

    CU_ASSERT_FATAL(st != NULL);
    stress_start(st);
    if (!stress_finish(st)) {
        return; /* st stays allocated for the stuck threads */
    }
    stress_check(st);
    stress_free(st);
}

static CU_TestInfo queue_tests[] = {
    { "queue_length counts puts and gets", test_queue_length_counts },
    { "items come out in the order they went in", test_queue_fifo_order },
    { "the order holds as the ring wraps around",
      test_queue_fifo_wraps_around },
    { "put into a full queue fails with ETIMEDOUT at its deadline",
      test_queue_put_full_times_out },
    { "put into a full queue waits for a get, then succeeds",
      test_queue_put_waits_for_get },
    { "get from an empty queue waits for a put", test_queue_get_waits_for_put },
    { "close wakes every blocked get, which returns NULL",
      test_queue_close_wakes_every_get },
    { "close wakes every blocked put, which fails with EPIPE",
      test_queue_close_wakes_every_put },
    { "after close, put fails with EPIPE and get drains, then NULL",
      test_queue_close_drains_then_null },
    { "closing twice is harmless", test_queue_close_twice_is_harmless },
    { "4 producers and 4 consumers move 20000 items, each once, in order",
      test_queue_many_producers_and_consumers },
    CU_TEST_INFO_NULL,
};

/* Tests of the functions the starter gives: they pass before any TODO is
 * written, so the grade leaves this suite out (tests/grade/units.py). */
static CU_TestInfo queue_given_tests[] = {
    { "queue_new(0) fails with EINVAL",
      test_queue_new_zero_capacity_is_einval },
    { "queue_free(NULL) does nothing", test_queue_free_null_is_harmless },
    CU_TEST_INFO_NULL,
};

int main(void)
{
    CU_SuiteInfo suites[] = {
        UNIT_SUITE("queue", queue_tests),
        UNIT_SUITE("queue (given)", queue_given_tests),
        CU_SUITE_INFO_NULL,
    };

    return unit_run(suites);
}
