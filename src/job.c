/* job.c - a job as the executor sees it: checking it, laying out its
 * tasks in chunks and units, running and naming a range of tasks.
 *
 * Every backend runs tasks the same way and names them alike in its
 * messages, and the pool checks every job the same way, so this is the
 * one place for it. It is a leaf: it calls only the error helpers, never
 * the pool or a backend, which is what keeps the executor's dependencies
 * one-way (pool.c -> backends -> job.c). */
#include "config.h"

#include "job.h"

#include <stdio.h>
#include <stdlib.h>
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

void at__chunk_tasks(const at__job_view *v, long k, long *first, long *n)
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

at_status at__job_layout(const at_job *job, at__job_view *v, at_error *err)
{
    /* no shared buffer until the pool finds or stages one */
    *v = (at__job_view){
        job, 0, 0, job->in, job->out, {-1, NULL, 0, -1}, {-1, NULL, 0, -1}};
    at_status s = at__check_job(job, &v->tasks, err);
    if (s != AT_OK)
        return s;
    v->chunks = (v->tasks + job->chunk_size - 1) / job->chunk_size;
    return AT_OK;
}
