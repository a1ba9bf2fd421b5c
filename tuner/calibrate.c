/* calibrate.c - what moving work to workers costs on this machine: the
 * cost per task message and the payload bandwidth of each transport, and
 * the start-up of worker processes and threads. The cost model is fitted
 * on these (they become the profile's `costs`), and the executor
 * benchmark prints them beside memcpy. */
#include "config.h"

#include "calibrate.h"

#include "util.h"

#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The cheapest task there is: the cost measured is the executor's. */
static int touch_item(const void *in, void *out, const void *arg)
{
    (void)arg;
    *(char *)out = *(const char *)in;
    return 0;
}

static at_config pool_config(int workers, at_mode mode, at_transport t)
{
    at_config c = AT_CONFIG_INIT(workers, mode, 1, 1, 1, t, AT_PIN_NONE);
    return c;
}

/* Median over `reps` of the wall time of `items` tasks of `bytes` each,
 * chunk 1, on a pool of `config`. */
static at_status time_tasks(const at_config *config, long items, size_t bytes,
                            int reps, double *seconds, at_error *err)
{
    char *in = NULL, *out = NULL;
    at_pool *pool = NULL;
    double t[16];
    at_status s = at_buffer_alloc((size_t)items * bytes, (void **)&in, err);
    if (s == AT_OK)
        s = at_buffer_alloc((size_t)items * bytes, (void **)&out, err);
    if (s == AT_OK)
        s = at_pool_create(config, &pool, err);
    at_job job = {.kind = AT_KIND_BATCH,
                  .item = touch_item,
                  .in = in,
                  .out = out,
                  .in_bytes = bytes,
                  .out_bytes = bytes,
                  .count = items,
                  .chunk_size = 1,
                  .partitions = 1};
    if (s == AT_OK)
        s = at_pool_run(pool, &job, NULL, err); /* warm-up */
    for (int r = 0; s == AT_OK && r < reps; r++) {
        at_job_stats st;
        s = at_pool_run(pool, &job, &st, err);
        t[r] = st.wall;
    }
    if (s == AT_OK)
        *seconds = median(t, reps);
    at_pool_free(pool);
    at_buffer_free(in);
    at_buffer_free(out);
    return s;
}

/* How much to measure: the full calibration, or the quick one a tuning
 * run starts with (a tenth of the messages, a quarter of the bytes). */
typedef struct effort {
    long latency_items, bandwidth_items;
    int reps;
} effort;

static const effort full_effort = {20000, 32, 5}, quick_effort = {2000, 8, 3};
#define BANDWIDTH_BYTES ((size_t)4 << 20)
#define REPS 5 /* at most */

static at_status transport_cost(const effort *e, int workers, at_mode mode,
                                at_transport t, at_transport_cost *cost,
                                at_error *err)
{
    at_config c = pool_config(workers, mode, t);
    double small, big;
    at_status s = time_tasks(&c, e->latency_items, 8, e->reps, &small, err);
    if (s == AT_OK)
        s = time_tasks(&c, e->bandwidth_items, BANDWIDTH_BYTES, e->reps, &big,
                       err);
    if (s != AT_OK)
        return s;
    cost->latency_us = small / (double)e->latency_items * 1e6;
    int copies = t == AT_TRANSPORT_PIPE;
    /* both ways; the messages' own cost taken out */
    double moving =
        big - (double)e->bandwidth_items * small / (double)e->latency_items;
    cost->gbytes_per_s = copies && moving > 0
                             ? 2.0 * (double)e->bandwidth_items *
                                   (double)BANDWIDTH_BYTES / moving / 1e9
                             : 0;
    return AT_OK;
}

static at_status start_cost(const effort *e, int workers, at_mode mode,
                            double *us, at_error *err)
{
    double t[REPS];
    at_config c = pool_config(workers, mode, AT_TRANSPORT_SHM);
    for (int r = 0; r < e->reps; r++) {
        at_pool *pool;
        at_status s = at_pool_create(&c, &pool, err);
        if (s != AT_OK)
            return s;
        t[r] = at_pool_start_seconds(pool);
        at_pool_free(pool);
    }
    *us = median(t, e->reps) / workers * 1e6;
    return AT_OK;
}

static double memcpy_gbytes_per_s(void)
{
    size_t n = (size_t)64 << 20;
    char *a = malloc(n), *b = malloc(n);
    double t[REPS];
    if (!a || !b) {
        free(a);
        free(b);
        return 0;
    }
    memset(a, 1, n);
    memset(b, 2, n);
    for (int r = 0; r < REPS; r++) {
        double t0 = tuner_now();
        memcpy(b, a, n);
        t[r] = tuner_now() - t0;
    }
    volatile char sink = b[n / 2];
    (void)sink;
    free(a);
    free(b);
    return (double)n / median(t, REPS) / 1e9;
}

static at_status calibrate_with(const effort *e, int usable_cpus,
                                calibration *out, at_error *err)
{
    calibration c;
    memset(&c, 0, sizeof c);
    int w = usable_cpus > 1 ? usable_cpus : 2;
    at_status s = transport_cost(e, w, AT_MODE_PROCESS, AT_TRANSPORT_PIPE,
                                 &c.costs.pipe, err);
    if (s == AT_OK)
        s = transport_cost(e, w, AT_MODE_PROCESS, AT_TRANSPORT_SHM,
                           &c.costs.shm, err);
    if (s == AT_OK)
        s = transport_cost(e, w, AT_MODE_THREAD, AT_TRANSPORT_SHM,
                           &c.costs.thread, err);
    if (s == AT_OK)
        s = transport_cost(e, w, AT_MODE_THREAD, AT_TRANSPORT_PIPE,
                           &c.thread_copy, err);
    if (s == AT_OK)
        s = start_cost(e, w, AT_MODE_PROCESS, &c.costs.process_start_us, err);
    if (s == AT_OK)
        s = start_cost(e, w, AT_MODE_THREAD, &c.costs.thread_start_us, err);
    if (s != AT_OK)
        return s;
    c.memcpy_gbytes_per_s = memcpy_gbytes_per_s();
    c.workers = w;
    *out = c;
    return AT_OK;
}

at_status calibrate(int usable_cpus, calibration *out, at_error *err)
{
    return calibrate_with(&full_effort, usable_cpus, out, err);
}

at_status calibrate_quick(int usable_cpus, calibration *out, at_error *err)
{
    return calibrate_with(&quick_effort, usable_cpus, out, err);
}
