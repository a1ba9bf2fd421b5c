/*
 * job.h - private to libautotune: a job as the executor sees it (job.c).
 *
 * A leaf below every backend and the pool: how a job is checked, how its
 * tasks are laid out in chunks and units, how a range of tasks runs and
 * is named in messages, and the small utilities they share. Nothing here
 * knows of pools, workers or backends, so each backend and pool.c can use
 * it and it never calls them back.
 */
#ifndef AT_JOB_H
#define AT_JOB_H

#include "internal.h"

#include "buffer.h"

#include <stddef.h>

/* A job as the workers see it: tasks (items or partitions) are grouped in
 * chunks; a chunk always covers a contiguous range of units (items or
 * vector elements), so its data is one slice of the input and output. */
typedef struct at__job_view {
    const at_job *job;
    long tasks;     /* items, or partitions */
    long chunks;    /* ceil(tasks / chunk_size) */
    const char *in; /* what workers read: the caller's or staged input */
    char *out;      /* where the results go: the caller's or staged */
    at__shared in_buf, out_buf; /* shm: where in/out live (id -1: none) */
} at__job_view;

/* What at_pool_run checks of a job before it runs (its data is not read);
 * sets *tasks. */
at_status at__check_job(const at_job *job, long *tasks, at_error *err);
/* Checks the job and lays it out in *v: its tasks and chunks, its data
 * where the caller left it and in no shared buffer. */
at_status at__job_layout(const at_job *job, at__job_view *v, at_error *err);

/* The units [*lo, *hi) of tasks [first, first + n). */
void at__task_units(const at_job *job, long tasks, long first, long n,
                    long *lo, long *hi);
/* The tasks of chunk k: [*first, *first + *n). */
void at__chunk_tasks(const at__job_view *v, long k, long *first, long *n);
/* Runs tasks [first, first + n) reading `in` and writing `out`, which
 * point at the first unit of the range. Returns -1, or the failing task. */
long at__run_tasks(const at_job *job, long tasks, long first, long n,
                   const char *in, char *out, int *task_status);
/* "items 4-7" / "partitions 2-3" / "item 5" for messages. */
void at__describe_tasks(const at_job *job, long first, long n, char *buf,
                        size_t size);

/* Seconds on the monotonic clock, for the job statistics. */
double at__now(void);

/* Grows a malloc'ed buffer to at least `need` bytes; 0, or -1 (the
 * buffer unchanged) when out of memory. */
int at__grow(char **buf, size_t *cap, size_t need);

#endif /* AT_JOB_H */
