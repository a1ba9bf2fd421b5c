/* pool_inline.c - the backend of a 1-worker pool: the calling process.
 *
 * One worker is the caller itself, whatever the mode: nothing to start,
 * send or copy, so a 1-worker configuration measures the tasks alone.
 * The caller's BLAS threads and pinning are set for the pool's life and
 * restored when the pool is freed. */
#include "config.h"

#include "pool.h"

#include <pthread.h>
#include <stdlib.h>

typedef struct inline_state {
    cpu_set_t saved_mask;
    int restore_mask;
    int saved_threads; /* 0: no BLAS to restore */
} inline_state;

static int inline_accepts(const at_config *config)
{
    return config->workers == 1;
}

static at_status inline_run(at_pool *pool, const at__job_view *v,
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
        long bad = at__run_tasks(
            v->job, v->tasks, first, n, v->in + (size_t)lo * v->job->in_bytes,
            v->out + (size_t)lo * v->job->out_bytes, &rc);
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

/* The caller shares its own memory: data never needs staging. */
const at__pool_backend at__inline_backend = {
    .name = "inline",
    .separate_memory = 0,
    .accepts = inline_accepts,
    .start = inline_start,
    .run = inline_run,
    .destroy = inline_destroy,
};
