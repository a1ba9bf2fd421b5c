/* pool_thread.c - worker threads in the calling process.
 *
 * Threads take chunks from a shared counter. A thread cannot be killed, so
 * one whose chunk runs past the deadline (or is running when the job is
 * cancelled) is abandoned: the job returns at once, a new thread takes
 * its place, and it exits by itself when its task returns. Freeing the
 * pool waits for that, since the task may still write the job's output.
 *
 * The pool reaches all of this through one record, at__thread_backend
 * (pool.h); the file uses the job layout (job.c) and calls nothing in
 * pool.c. */
#include "config.h"

#include "pool.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct tshared {
    pthread_mutex_t mu;
    pthread_cond_t wake, done;
    int refs; /* the pool and every thread */
    int quit;
    const at__job_view *v; /* the job being run, or NULL */
    int copies;
    long next, finished; /* chunks handed out, chunks over */
    long failed_task;
    int failed_rc, failed_worker;
    double transfer;
} tshared;

typedef struct tworker {
    tshared *sh;
    int index;
    int busy, abandoned;
    long first, n;
    double started, compute;
    char *in, *out; /* pipe: private copies */
    size_t in_cap, out_cap;
} tworker;

typedef struct thread_pool {
    tshared *sh;
    int n;
    tworker **w;
    int saved_threads;
} thread_pool;

static void release(tshared *sh) /* with sh->mu held; unlocks */
{
    int last = --sh->refs == 0;
    pthread_mutex_unlock(&sh->mu);
    if (last) {
        pthread_mutex_destroy(&sh->mu);
        pthread_cond_destroy(&sh->wake);
        pthread_cond_destroy(&sh->done);
        free(sh);
    }
}

/* Runs one chunk outside the lock; returns the failing task or -1. */
static long run_chunk(tworker *me, const at__job_view *v, int copies, int *rc,
                      double *copy_s)
{
    const at_job *job = v->job;
    long lo, hi;
    at__task_units(job, v->tasks, me->first, me->n, &lo, &hi);
    const char *in = v->in + (size_t)lo * job->in_bytes;
    char *out = v->out + (size_t)lo * job->out_bytes;
    size_t in_len = (size_t)(hi - lo) * job->in_bytes;
    size_t out_len = (size_t)(hi - lo) * job->out_bytes;
    *copy_s = 0;
    if (!copies)
        return at__run_tasks(job, v->tasks, me->first, me->n, in, out, rc);
    if (at__grow(&me->in, &me->in_cap, in_len) ||
        at__grow(&me->out, &me->out_cap, out_len)) {
        *rc = -ENOMEM;
        return me->first;
    }
    double t0 = at__now();
    memcpy(me->in, in, in_len);
    *copy_s = at__now() - t0;
    long bad =
        at__run_tasks(job, v->tasks, me->first, me->n, me->in, me->out, rc);
    t0 = at__now();
    memcpy(out, me->out, out_len);
    *copy_s += at__now() - t0;
    return bad;
}

static void *thread_main(void *arg)
{
    tworker *me = arg;
    tshared *sh = me->sh;
    pthread_mutex_lock(&sh->mu);
    for (;;) {
        while (!sh->quit && !me->abandoned &&
               !(sh->v && sh->next < sh->v->chunks))
            pthread_cond_wait(&sh->wake, &sh->mu);
        if (sh->quit || me->abandoned)
            break;
        const at__job_view *v = sh->v;
        int copies = sh->copies;
        at__chunk_tasks(v, sh->next++, &me->first, &me->n);
        me->busy = 1;
        me->started = at__now();
        pthread_mutex_unlock(&sh->mu);

        int rc = 0;
        double copy_s, t0 = at__now();
        long bad = run_chunk(me, v, copies, &rc, &copy_s);
        double spent = at__now() - t0 - copy_s;

        pthread_mutex_lock(&sh->mu);
        if (me->abandoned)
            break; /* the job gave up on this chunk */
        me->busy = 0;
        me->compute += spent;
        sh->transfer += copy_s;
        sh->finished++;
        if (bad >= 0 && sh->failed_task < 0) {
            sh->failed_task = bad;
            sh->failed_rc = rc;
            sh->failed_worker = me->index;
        }
        pthread_cond_signal(&sh->done);
    }
    int abandoned = me->abandoned;
    release(sh);
    if (abandoned) { /* nobody else holds this record any more */
        free(me->in);
        free(me->out);
        free(me);
    }
    return NULL;
}

static at_status start_thread(at_pool *pool, int index, at_error *err)
{
    thread_pool *tp = pool->impl;
    tworker *w = calloc(1, sizeof *w);
    if (!w)
        return at__fail(err, AT_ERR_NOMEM, "out of memory");
    w->sh = tp->sh;
    w->index = index;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (pool->config.pin == AT_PIN_CORES) {
        cpu_set_t set;
        at__worker_cpus(index, pool->config.blas_threads, &set);
        pthread_attr_setaffinity_np(&attr, sizeof set, &set);
    }
    pthread_mutex_lock(&tp->sh->mu);
    tp->sh->refs++;
    pthread_mutex_unlock(&tp->sh->mu);
    pthread_t tid;
    int rc = pthread_create(&tid, &attr, thread_main, w);
    pthread_attr_destroy(&attr);
    if (rc != 0) {
        pthread_mutex_lock(&tp->sh->mu);
        tp->sh->refs--;
        pthread_mutex_unlock(&tp->sh->mu);
        free(w);
        return at__fail(err, AT_ERR_SYSTEM, "pthread_create: %s",
                        strerror(rc));
    }
    tp->w[index] = w;
    return AT_OK;
}

/* With sh->mu held: gives up on worker i's chunk and starts a new thread
 * in its place. */
static void abandon(at_pool *pool, int i)
{
    thread_pool *tp = pool->impl;
    tp->w[i]->abandoned = 1;
    tp->w[i] = NULL; /* the thread frees its record */
    tp->sh->finished++;
    pthread_mutex_unlock(&tp->sh->mu);
    start_thread(pool, i, NULL);
    pthread_mutex_lock(&tp->sh->mu);
}

/* With sh->mu held: hands out no more chunks of this job. */
static void stop_dispatch(tshared *sh)
{
    sh->finished += sh->v->chunks - sh->next;
    sh->next = sh->v->chunks;
}

/* With sh->mu held: abandons chunks past the deadline (and all busy ones
 * when cancelled). */
static void check_workers(at_pool *pool, const at__job_view *v,
                          at_status *status, at_error *err)
{
    thread_pool *tp = pool->impl;
    double now = at__now(), deadline = v->job->deadline;
    for (int i = 0; i < tp->n; i++) {
        tworker *w = tp->w[i];
        if (!w || !w->busy)
            continue;
        if (pool->cancelled) {
            abandon(pool, i);
            continue;
        }
        if (deadline <= 0 || now - w->started <= deadline)
            continue;
        char what[64];
        at__describe_tasks(v->job, w->first, w->n, what, sizeof what);
        at__fail_first(
            status, err, AT_ERR_TIMEOUT,
            "worker thread %d ran %s past the %g s deadline; abandoned "
            "and replaced",
            i, what, deadline);
        abandon(pool, i);
    }
    if (pool->cancelled)
        at__fail_first(status, err, AT_ERR_CANCELLED, "job cancelled");
}

static at_status thread_run(at_pool *pool, const at__job_view *v,
                            at_job_stats *st, at_error *err)
{
    thread_pool *tp = pool->impl;
    tshared *sh = tp->sh;
    at_status status = AT_OK;
    for (int i = 0; i < tp->n; i++)
        if (!tp->w[i] && start_thread(pool, i, err) != AT_OK)
            return err ? err->code : AT_ERR_SYSTEM;
    pthread_mutex_lock(&sh->mu);
    for (int i = 0; i < tp->n; i++)
        tp->w[i]->compute = 0;
    sh->v = v;
    sh->copies = POOL_COPIES(pool);
    sh->next = sh->finished = 0;
    sh->failed_task = -1;
    sh->transfer = 0;
    pthread_cond_broadcast(&sh->wake);
    while (sh->finished < v->chunks) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += 50 * 1000000L; /* notice deadlines and cancels */
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&sh->done, &sh->mu, &until);
        check_workers(pool, v, &status, err);
        if (sh->failed_task >= 0) {
            char what[64];
            at__describe_tasks(v->job, sh->failed_task, 1, what, sizeof what);
            at__fail_first(&status, err, AT_ERR_WORKER,
                           "%s failed in worker thread %d: task returned %d",
                           what, sh->failed_worker, sh->failed_rc);
        }
        if (status != AT_OK)
            stop_dispatch(sh);
    }
    sh->v = NULL;
    st->messages = v->chunks;
    st->transfer += sh->transfer;
    for (int i = 0; i < tp->n; i++)
        if (tp->w[i]) {
            st->compute += tp->w[i]->compute;
            if (tp->w[i]->compute > st->compute_max)
                st->compute_max = tp->w[i]->compute;
        }
    pthread_mutex_unlock(&sh->mu);
    return status;
}

static void thread_destroy(at_pool *pool)
{
    thread_pool *tp = pool->impl;
    if (!tp)
        return;
    if (tp->sh) {
        pthread_mutex_lock(&tp->sh->mu);
        tp->sh->quit = 1;
        pthread_cond_broadcast(&tp->sh->wake);
        /* Idle threads exit at once; abandoned ones when their task
         * returns: they may still write the job's output, so the caller's
         * buffers must not go before they do (see autotune.h). */
        while (tp->sh->refs > 1) {
            pthread_mutex_unlock(&tp->sh->mu);
            struct timespec pause = {0, 1000000};
            nanosleep(&pause, NULL);
            pthread_mutex_lock(&tp->sh->mu);
        }
        for (int i = 0; i < tp->n; i++)
            if (tp->w[i]) {
                free(tp->w[i]->in);
                free(tp->w[i]->out);
                free(tp->w[i]);
            }
        release(tp->sh);
    }
    if (tp->saved_threads > 0)
        at_blas_set_threads(tp->saved_threads, NULL);
    free(tp->w);
    free(tp);
}

static at_status thread_start(at_pool *pool, at_error *err)
{
    thread_pool *tp = calloc(1, sizeof *tp);
    int n = pool->config.workers;
    if (!tp)
        return at__fail(err, AT_ERR_NOMEM, "out of memory");
    pool->impl = tp;
    tp->n = n;
    tp->w = calloc((size_t)n, sizeof *tp->w);
    tp->sh = calloc(1, sizeof *tp->sh);
    if (!tp->w || !tp->sh) {
        /* without sh, thread_destroy skips the part that needs both */
        free(tp->sh);
        tp->sh = NULL;
        return at__fail(err, AT_ERR_NOMEM, "out of memory");
    }
    pthread_mutex_init(&tp->sh->mu, NULL);
    pthread_cond_init(&tp->sh->wake, NULL);
    pthread_cond_init(&tp->sh->done, NULL);
    tp->sh->refs = 1;
    /* OpenBLAS's thread count is per process: every worker thread's calls
     * share it. Restored when the pool is freed. */
    if (at_blas_get_threads(&tp->saved_threads, NULL) == AT_OK)
        at_blas_set_threads(pool->config.blas_threads, NULL);
    for (int i = 0; i < n; i++) {
        at_status s = start_thread(pool, i, err);
        if (s != AT_OK)
            return s;
    }
    return AT_OK;
}

static int thread_accepts(const at_config *config)
{
    return config->workers > 1 && config->mode == AT_MODE_THREAD;
}

/* Threads address the caller's buffers directly. */
const at__pool_backend at__thread_backend = {
    .name = "thread",
    .separate_memory = 0,
    .accepts = thread_accepts,
    .start = thread_start,
    .run = thread_run,
    .destroy = thread_destroy,
};
