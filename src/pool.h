/*
 * pool.h - private to libautotune: the executor's parts (pool.c: common
 * job layout and in-process runs; pool_process.c: forked workers;
 * pool_thread.c: worker threads; buffer.c: shared memory).
 */
#ifndef AT_POOL_H
#define AT_POOL_H

#include "internal.h"

#include <sched.h>
#include <signal.h>

/* ---------------------------------------------------------- shared memory */

typedef struct at__shared {
    long id; /* never reused, so a stale id is recognisably dead */
    char *ptr;
    size_t size;
    int fd; /* memfd, passed to process workers */
} at__shared;

/* The shared buffer holding [p, p + len), copied into *out; 0 if found. */
int at__buffer_find(const void *p, size_t len, at__shared *out);
/* 1 while the buffer with this id exists. */
int at__buffer_live(long id);

/* ----------------------------------------------------------------- a job */

/* A job as the workers see it: tasks (items or partitions) are grouped in
 * chunks; a chunk always covers a contiguous range of units (items or
 * vector elements), so its data is one slice of the input and output. */
typedef struct job_view {
    const at_job *job;
    long tasks;  /* items, or partitions */
    long chunks; /* ceil(tasks / chunk_size) */
    const char *in; /* what workers read: the caller's or staged input */
    char *out;      /* where the results go: the caller's or staged */
    at__shared in_buf, out_buf; /* shm: where in/out live (id -1: none) */
} job_view;

/* The units [*lo, *hi) of tasks [first, first + n). */
void at__task_units(const at_job *job, long tasks, long first, long n,
                    long *lo, long *hi);
/* What at_pool_run checks of a job before it runs (its data is not read);
 * sets *tasks. */
at_status at__check_job(const at_job *job, long *tasks, at_error *err);
/* The tasks of chunk k: [*first, *first + *n). */
void at__chunk_tasks(const job_view *v, long k, long *first, long *n);
/* Runs tasks [first, first + n) reading `in` and writing `out`, which
 * point at the first unit of the range. Returns -1, or the failing task. */
long at__run_tasks(const at_job *job, long tasks, long first, long n,
                   const char *in, char *out, int *task_status);
/* "items 4-7" / "partitions 2-3" / "item 5" for messages. */
void at__describe_tasks(const at_job *job, long first, long n, char *buf,
                        size_t size);

double at__now(void);

/* Grows a malloc'ed buffer to at least `need` bytes; 0, or -1 (the
 * buffer unchanged) when out of memory. */
int at__grow(char **buf, size_t *cap, size_t need);

/* ------------------------------------------------------------- the pool */

typedef struct pool_ops {
    at_status (*run)(at_pool *pool, const job_view *v, at_job_stats *stats,
                     at_error *err);
    void (*destroy)(at_pool *pool);
} pool_ops;

struct at_pool {
    at_config config;
    double start_seconds;
    volatile sig_atomic_t cancelled;
    const pool_ops *ops;
    void *impl;
    /* staging for shm jobs whose buffers are not shared memory */
    void *stage_in, *stage_out;
    size_t stage_in_size, stage_out_size;
};

at_status at__process_pool_start(at_pool *pool, at_error *err);
at_status at__thread_pool_start(at_pool *pool, at_error *err);

/* The transport: thread workers only copy with pipe; with shm process
 * workers need shared buffers. */
#define POOL_COPIES(pool) ((pool)->config.transport == AT_TRANSPORT_PIPE)

#endif /* AT_POOL_H */
