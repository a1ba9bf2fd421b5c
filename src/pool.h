/*
 * pool.h - private to libautotune: the pool's record and the backend
 * interface of the executor.
 *
 * The executor is layered one way: pool.c (the public at_pool_* API,
 * staging, statistics) picks a backend from its table and calls it
 * through the record below; each backend (pool_inline.c: the calling
 * process; pool_process.c: forked workers; pool_thread.c: worker threads)
 * exports exactly one such record and uses only the leaves beneath it,
 * job.h (the job layout and task running) and buffer.h (shared memory),
 * never a function of pool.c. A new backend is a new file and one line in
 * pool.c's table.
 */
#ifndef AT_POOL_H
#define AT_POOL_H

#include "internal.h"

#include "job.h"

#include <signal.h>

/* ------------------------------------------------------------- the pool */

typedef struct at__pool_backend at__pool_backend;

struct at_pool {
    at_config config;
    double start_seconds;
    volatile sig_atomic_t cancelled;
    const at__pool_backend *backend; /* set before its start is called */
    void *impl;                      /* the backend's own state */
    /* staging for shm jobs whose buffers are not shared memory */
    void *stage_in, *stage_out;
    size_t stage_in_size, stage_out_size;
};

/* The transport: thread workers only copy with pipe; with shm process
 * workers need shared buffers. */
#define POOL_COPIES(pool) ((pool)->config.transport == AT_TRANSPORT_PIPE)

/* ---------------------------------------------------------- a backend */

/* One way of running a pool's workers. The pool gives the first backend
 * of its table that accepts the configuration (already checked by
 * at_config_check) the whole life of the pool: start once, run per job,
 * destroy once, even after a failed start (impl may then be NULL). */
struct at__pool_backend {
    const char *name; /* for debugging: "inline", "process", "thread" */
    /* 1: the workers cannot see the caller's memory, so with the shm
     * transport the pool places the job's data in shared buffers. */
    int separate_memory;
    int (*accepts)(const at_config *config);
    /* Starts the workers of pool->config; sets pool->impl. */
    at_status (*start)(at_pool *pool, at_error *err);
    /* Runs the job laid out in *v, adding its times to *stats. */
    at_status (*run)(at_pool *pool, const at__job_view *v,
                     at_job_stats *stats, at_error *err);
    /* Stops the workers and frees pool->impl. */
    void (*destroy)(at_pool *pool);
};

extern const at__pool_backend at__inline_backend;
extern const at__pool_backend at__process_backend;
extern const at__pool_backend at__thread_backend;

#endif /* AT_POOL_H */
