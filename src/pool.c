/* pool.c - the executor's common part: checking and laying out a job,
 * staging, statistics, and running in the calling process (1 worker). */
#include "config.h"

#include "pool.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

double at__now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int at__grow(char **buf, size_t *cap, size_t need)
{
    if (*cap >= need)
        return 0;
    char *g = realloc(*buf, need);
    if (!g)
        return -1;
    *buf = g;
    *cap = need;
    return 0;
}

/* ------------------------------------------------------------ job layout */

void at__task_units(const at_job *job, long tasks, long first, long n,
                    long *lo, long *hi)
{
    if (job->kind == AT_KIND_BATCH) {
        *lo = first;
        *hi = first + n;
        return;
    }
    /* partition t covers [t * count / tasks, (t + 1) * count / tasks) */
    long long count = job->count;
    *lo = (long)(first * count / tasks);
    *hi = (long)((first + n) * count / tasks);
}

void at__chunk_tasks(const job_view *v, long k, long *first, long *n)
{
    long c = v->job->chunk_size;
    *first = k * c;
    *n = *first + c <= v->tasks ? c : v->tasks - *first;
}

long at__run_tasks(const at_job *job, long tasks, long first, long n,
                   const char *in, char *out, int *task_status)
{
    long lo0, hi0;
    at__task_units(job, tasks, first, 1, &lo0, &hi0);
    for (long t = first; t < first + n; t++) {
        long lo, hi;
        at__task_units(job, tasks, t, 1, &lo, &hi);
        const char *tin = in + (size_t)(lo - lo0) * job->in_bytes;
        char *tout = out + (size_t)(lo - lo0) * job->out_bytes;
        int rc = job->kind == AT_KIND_BATCH
                     ? job->item(tin, tout, job->arg)
                     : job->span(tin, tout, (size_t)(hi - lo), job->arg);
        if (rc != 0) {
            *task_status = rc;
            return t;
        }
    }
    return -1;
}

void at__describe_tasks(const at_job *job, long first, long n, char *buf,
                        size_t size)
{
    const char *what = job->kind == AT_KIND_BATCH ? "item" : "partition";
    if (n == 1)
        snprintf(buf, size, "%s %ld", what, first);
    else
        snprintf(buf, size, "%ss %ld-%ld", what, first, first + n - 1);
}

/* ------------------------------------------------------- checking a job */

at_status at__check_job(const at_job *job, long *tasks, at_error *err)
{
    if (job->kind != AT_KIND_BATCH && job->kind != AT_KIND_VECTOR)
        return at__fail(err, AT_ERR_ARG, "job kind out of range");
    if (job->kind == AT_KIND_BATCH ? !job->item : !job->span)
        return at__fail(err, AT_ERR_ARG, "a %s job needs its %s function",
                        job->kind == AT_KIND_BATCH ? "batch" : "vector",
                        job->kind == AT_KIND_BATCH ? "item" : "span");
    if (job->count < 1 || !job->in || !job->out || !job->in_bytes ||
        !job->out_bytes)
        return at__fail(err, AT_ERR_ARG,
                        "a job needs count >= 1, input, output and their "
                        "sizes");
    if (job->arg_bytes > AT_MAX_ARG_BYTES || (job->arg_bytes && !job->arg))
        return at__fail(err, AT_ERR_ARG, "arg must be at most %d bytes",
                        AT_MAX_ARG_BYTES);
    if (job->kind == AT_KIND_BATCH && job->partitions != 1)
        return at__fail(err, AT_ERR_ARG,
                        "partitions must be 1 for a batch, got %d",
                        job->partitions);
    if (job->partitions < 1 || job->partitions > job->count)
        return at__fail(err, AT_ERR_ARG,
                        "partitions must be from 1 to the %ld elements, "
                        "got %d",
                        job->count, job->partitions);
    *tasks = job->kind == AT_KIND_BATCH ? job->count : job->partitions;
    if (job->chunk_size < 1 || job->chunk_size > *tasks)
        return at__fail(err, AT_ERR_ARG,
                        "chunk_size must be from 1 to the job's %ld tasks, "
                        "got %d",
                        *tasks, job->chunk_size);
    if (job->deadline < 0)
        return at__fail(err, AT_ERR_ARG, "deadline must be >= 0");
    return AT_OK;
}

/* ------------------------------------------------------------- staging */

/* Grows a staging buffer (shared memory) to at least `size` bytes. */
static at_status stage(void **buf, size_t *have, size_t size, at_error *err)
{
    if (*have >= size)
        return AT_OK;
    void *grown;
    at_status s = at_buffer_alloc(size, &grown, err);
    if (s != AT_OK)
        return s;
    at_buffer_free(*buf);
    *buf = grown;
    *have = size;
    return AT_OK;
}

/* Process workers with shm need the job's data in shared memory: use the
 * caller's buffers when they are shared, else copy through staging. */
static at_status place_data(at_pool *pool, const at_job *job, job_view *v,
                            double *transfer, at_error *err)
{
    size_t in_size = (size_t)job->count * job->in_bytes;
    size_t out_size = (size_t)job->count * job->out_bytes;
    v->in = job->in;
    v->out = job->out;
    v->in_buf.id = v->out_buf.id = -1;
    int shm_processes = pool->config.workers > 1 &&
                        pool->config.mode == AT_MODE_PROCESS &&
                        pool->config.transport == AT_TRANSPORT_SHM;
    if (!shm_processes)
        return AT_OK;
    at_status s = AT_OK;
    if (at__buffer_find(job->in, in_size, &v->in_buf) != 0) {
        if ((s = stage(&pool->stage_in, &pool->stage_in_size, in_size,
                       err)) != AT_OK)
            return s;
        double t0 = at__now();
        memcpy(pool->stage_in, job->in, in_size);
        *transfer += at__now() - t0;
        at__buffer_find(pool->stage_in, in_size, &v->in_buf);
        v->in = pool->stage_in;
    }
    if (at__buffer_find(job->out, out_size, &v->out_buf) != 0) {
        if ((s = stage(&pool->stage_out, &pool->stage_out_size, out_size,
                       err)) != AT_OK)
            return s;
        at__buffer_find(pool->stage_out, out_size, &v->out_buf);
        v->out = pool->stage_out;
    }
    return AT_OK;
}

/* ------------------------------------------------- in the calling process */

typedef struct inline_state {
    cpu_set_t saved_mask;
    int restore_mask;
    int saved_threads; /* 0: no BLAS to restore */
} inline_state;

static at_status inline_run(at_pool *pool, const job_view *v,
                            at_job_stats *st, at_error *err)
{
    char what[64];
    for (long k = 0; k < v->chunks; k++) {
        if (pool->cancelled)
            return at__fail(err, AT_ERR_CANCELLED, "job cancelled");
        long first, n;
        at__chunk_tasks(v, k, &first, &n);
        long lo, hi;
        at__task_units(v->job, v->tasks, first, n, &lo, &hi);
        int rc = 0;
        double t0 = at__now();
        long bad = at__run_tasks(v->job, v->tasks, first, n,
                                 v->in + (size_t)lo * v->job->in_bytes,
                                 v->out + (size_t)lo * v->job->out_bytes,
                                 &rc);
        st->compute += at__now() - t0;
        st->messages++;
        if (bad >= 0) {
            at__describe_tasks(v->job, bad, 1, what, sizeof what);
            return at__fail(err, AT_ERR_WORKER,
                            "%s failed in the calling process (task "
                            "returned %d)",
                            what, rc);
        }
    }
    st->compute_max = st->compute;
    return AT_OK;
}

static void inline_destroy(at_pool *pool)
{
    inline_state *s = pool->impl;
    if (!s)
        return;
    if (s->restore_mask)
        pthread_setaffinity_np(pthread_self(), sizeof s->saved_mask,
                               &s->saved_mask);
    if (s->saved_threads > 0)
        at_blas_set_threads(s->saved_threads, NULL);
    free(s);
}

static const pool_ops inline_ops = {inline_run, inline_destroy};

/* One worker is the caller: set its BLAS threads and pinning for the
 * pool's life and restore them when the pool is freed. */
static at_status inline_start(at_pool *pool, at_error *err)
{
    inline_state *s = calloc(1, sizeof *s);
    if (!s)
        return at__fail(err, AT_ERR_NOMEM, "out of memory");
    pool->impl = s;
    if (at_blas_get_threads(&s->saved_threads, NULL) == AT_OK)
        at_blas_set_threads(pool->config.blas_threads, NULL);
    if (pool->config.pin == AT_PIN_CORES) {
        cpu_set_t set;
        pthread_getaffinity_np(pthread_self(), sizeof s->saved_mask,
                               &s->saved_mask);
        at__worker_cpus(0, pool->config.blas_threads, &set);
        if (pthread_setaffinity_np(pthread_self(), sizeof set, &set) != 0)
            return at__fail(err, AT_ERR_SYSTEM, "cannot pin the caller");
        s->restore_mask = 1;
    }
    return AT_OK;
}

/* ---------------------------------------------------------- public API */

at_status at_pool_create(const at_config *config, at_pool **out,
                         at_error *err)
{
    AT_REQUIRE(config, err);
    AT_REQUIRE(out, err);
    at_status s = at_config_check(config, err);
    if (s != AT_OK)
        return s;
    at_pool *pool = calloc(1, sizeof *pool);
    if (!pool)
        return at__fail(err, AT_ERR_NOMEM, "out of memory");
    pool->config = *config;
    double t0 = at__now();
    if (config->workers == 1) {
        pool->ops = &inline_ops;
        s = inline_start(pool, err);
    } else if (config->mode == AT_MODE_PROCESS)
        s = at__process_pool_start(pool, err);
    else
        s = at__thread_pool_start(pool, err);
    pool->start_seconds = at__now() - t0;
    if (s != AT_OK) {
        at_pool_free(pool);
        return s;
    }
    at__verbose("pool of %d %s worker%s started in %.3f ms", config->workers,
                at_mode_name(config->mode), config->workers > 1 ? "s" : "",
                pool->start_seconds * 1e3);
    *out = pool;
    return AT_OK;
}

void at_pool_free(at_pool *pool)
{
    if (!pool)
        return;
    if (pool->ops)
        pool->ops->destroy(pool);
    at_buffer_free(pool->stage_in);
    at_buffer_free(pool->stage_out);
    free(pool);
}

double at_pool_start_seconds(const at_pool *pool)
{
    return pool ? pool->start_seconds : 0;
}

void at_pool_cancel(at_pool *pool)
{
    if (pool)
        pool->cancelled = 1;
}

at_status at_pool_run(at_pool *pool, const at_job *job, at_job_stats *stats,
                      at_error *err)
{
    AT_REQUIRE(pool, err);
    AT_REQUIRE(job, err);
    job_view v = {job, 0, 0, NULL, NULL, {-1, 0, 0, -1}, {-1, 0, 0, -1}};
    at_status s = at__check_job(job, &v.tasks, err);
    if (s != AT_OK)
        return s;
    v.chunks = (v.tasks + job->chunk_size - 1) / job->chunk_size;
    at_job_stats st;
    memset(&st, 0, sizeof st);
    double t0 = at__now();
    if ((s = place_data(pool, job, &v, &st.transfer, err)) != AT_OK)
        return s;
    s = pool->ops->run(pool, &v, &st, err);
    if (s == AT_OK && v.out != job->out) { /* staged output comes back */
        double t1 = at__now();
        memcpy(job->out, v.out, (size_t)job->count * job->out_bytes);
        st.transfer += at__now() - t1;
    }
    if (s == AT_ERR_CANCELLED)
        pool->cancelled = 0; /* the next job runs */
    st.wall = at__now() - t0;
    st.wait = st.wall - st.transfer - st.compute_max;
    if (st.wait < 0)
        st.wait = 0;
    if (s == AT_OK && stats)
        *stats = st;
    return s;
}
