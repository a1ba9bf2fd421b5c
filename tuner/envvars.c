/* envvars.c - a configuration as environment variables (envvars.h). */
#include "config.h"

#include "envvars.h"

#include "util.h"

#include <stdio.h>

/* Each worker's CPUs, "0,1;2,3": workers split by ';', CPUs by ','. */
static at_status cpusets_text(const env_job *job, const at_config *c,
                              char *buf, size_t size, at_error *err)
{
    static int cpus[AT_MAX_THREADS];
    int n;
    size_t used = 0;
    buf[0] = '\0';
    for (int w = 0; c->pin == AT_PIN_CORES && w < c->workers; w++) {
        at_status s = at_worker_cpus(c, w, job->allowed, job->n_allowed, cpus,
                                     AT_MAX_THREADS, &n, err);
        if (s != AT_OK)
            return s;
        for (int k = 0; k < n && used < size; k++)
            used += (size_t)snprintf(buf + used, size - used, "%s%d",
                                     k   ? ","
                                     : w ? ";"
                                         : "",
                                     cpus[k]);
    }
    if (used >= size)
        return tuner_error(err, AT_ERR_ARG,
                           "the CPU sets of %d workers do not fit %zu bytes",
                           c->workers, size);
    return AT_OK;
}

static void put_long(env_put put, void *ctx, const char *name, long v)
{
    char text[32];
    snprintf(text, sizeof text, "%ld", v);
    put(name, text, ctx);
}

at_status env_each(const env_job *job, const at_config *c, env_put put,
                   void *ctx, at_error *err)
{
    /* every BLAS reads its own variable: all get the one value */
    static const char *const blas_vars[] = {
        "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
        "BLIS_NUM_THREADS"};
    static char sets[1 << 16];
    at_status s = cpusets_text(job, c, sets, sizeof sets, err);
    if (s != AT_OK)
        return s;
    for (size_t i = 0; i < sizeof blas_vars / sizeof *blas_vars; i++)
        put_long(put, ctx, blas_vars[i], c->blas_threads);
    put("AUTOTUNE_WORKLOAD", job->workload, ctx);
    put("AUTOTUNE_KIND", at_kind_name(job->kind), ctx);
    put_long(put, ctx, "AUTOTUNE_SIZE", job->size);
    put_long(put, ctx, "AUTOTUNE_ITEMS", job->items);
    put_long(put, ctx, "AUTOTUNE_WORKERS", c->workers);
    put("AUTOTUNE_MODE", at_mode_name(c->mode), ctx);
    put_long(put, ctx, "AUTOTUNE_BLAS_THREADS", c->blas_threads);
    put_long(put, ctx, "AUTOTUNE_CHUNK_SIZE", c->chunk_size);
    put_long(put, ctx, "AUTOTUNE_PARTITIONS", c->partitions);
    put("AUTOTUNE_TRANSPORT", at_transport_name(c->transport), ctx);
    put("AUTOTUNE_PIN", at_pin_name(c->pin), ctx);
    put("AUTOTUNE_SOURCE", job->source, ctx);
    if (job->match)
        put("AUTOTUNE_MATCH", job->match, ctx);
    put("AUTOTUNE_CPUSETS", sets, ctx);
    return AT_OK;
}
