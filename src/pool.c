/* pool.c - the executor's public interface: at_pool_* and the dispatch.
 *
 * A pool is run by one backend (pool.h), chosen from the table below by
 * its configuration; this file only starts, calls and frees it, and holds
 * what every backend shares: placing a job's data where the workers can
 * see it (staging) and the job's statistics. It uses the backends'
 * records and the leaves (job.c, buffer.c); nothing calls back into it. */
#include "config.h"

#include "pool.h"

#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ dispatch */

/* Every backend, tried in order. Their accepts() do not overlap, so the
 * order only matters to whoever adds one that does. */
static const at__pool_backend *const backends[] = {
    &at__inline_backend,
    &at__process_backend,
    &at__thread_backend,
};

static const at__pool_backend *backend_for(const at_config *config)
{
    size_t n = sizeof backends / sizeof *backends;
    for (size_t i = 0; i < n; i++)
        if (backends[i]->accepts(config))
            return backends[i];
    return NULL;
}

/* Starts the pool's backend, timing the start-up. The backend is set
 * first so that at_pool_free destroys whatever a failed start left. */
static at_status start_backend(at_pool *pool, at_error *err)
{
    pool->backend = backend_for(&pool->config);
    if (!pool->backend) /* at_config_check lets no such config through */
        return at__fail(err, AT_ERR_ARG, "no executor runs %d %s workers",
                        pool->config.workers,
                        at_mode_name(pool->config.mode));
    double t0 = at__now();
    at_status s = pool->backend->start(pool, err);
    pool->start_seconds = at__now() - t0;
    return s;
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

/* Input outside shared memory is copied into the staging buffer. */
static at_status place_input(at_pool *pool, at__job_view *v, size_t size,
                             double *transfer, at_error *err)
{
    if (at__buffer_find(v->in, size, &v->in_buf) == 0)
        return AT_OK;
    at_status s = stage(&pool->stage_in, &pool->stage_in_size, size, err);
    if (s != AT_OK)
        return s;
    double t0 = at__now();
    memcpy(pool->stage_in, v->in, size);
    *transfer += at__now() - t0;
    at__buffer_find(pool->stage_in, size, &v->in_buf);
    v->in = pool->stage_in;
    return AT_OK;
}

/* Output outside shared memory is written to the staging buffer, and
 * at_pool_run copies it back. */
static at_status place_output(at_pool *pool, at__job_view *v, size_t size,
                              at_error *err)
{
    if (at__buffer_find(v->out, size, &v->out_buf) == 0)
        return AT_OK;
    at_status s = stage(&pool->stage_out, &pool->stage_out_size, size, err);
    if (s != AT_OK)
        return s;
    at__buffer_find(pool->stage_out, size, &v->out_buf);
    v->out = pool->stage_out;
    return AT_OK;
}

/* Workers in separate memory with shm need the job's data in shared
 * memory: use the caller's buffers when they are shared, else copy
 * through staging. */
static at_status place_data(at_pool *pool, at__job_view *v, double *transfer,
                            at_error *err)
{
    const at_job *job = v->job;
    if (!pool->backend->separate_memory ||
        pool->config.transport != AT_TRANSPORT_SHM)
        return AT_OK;
    at_status s = place_input(pool, v, (size_t)job->count * job->in_bytes,
                              transfer, err);
    if (s != AT_OK)
        return s;
    return place_output(pool, v, (size_t)job->count * job->out_bytes, err);
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
    if ((s = start_backend(pool, err)) != AT_OK) {
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
    if (pool->backend)
        pool->backend->destroy(pool);
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

/* The wall time since t0 and what of it no other line of *st explains. */
static void finish_stats(at_job_stats *st, double t0)
{
    st->wall = at__now() - t0;
    st->wait = st->wall - st->transfer - st->compute_max;
    if (st->wait < 0)
        st->wait = 0;
}

at_status at_pool_run(at_pool *pool, const at_job *job, at_job_stats *stats,
                      at_error *err)
{
    AT_REQUIRE(pool, err);
    AT_REQUIRE(job, err);
    at__job_view v;
    at_status s = at__job_layout(job, &v, err);
    if (s != AT_OK)
        return s;
    at_job_stats st;
    memset(&st, 0, sizeof st);
    double t0 = at__now();
    if ((s = place_data(pool, &v, &st.transfer, err)) != AT_OK)
        return s;
    s = pool->backend->run(pool, &v, &st, err);
    if (s == AT_OK && v.out != job->out) { /* staged output comes back */
        double t1 = at__now();
        memcpy(job->out, v.out, (size_t)job->count * job->out_bytes);
        st.transfer += at__now() - t1;
    }
    if (s == AT_ERR_CANCELLED)
        pool->cancelled = 0; /* the next job runs */
    finish_stats(&st, t0);
    if (s == AT_OK && stats)
        *stats = st;
    return s;
}
