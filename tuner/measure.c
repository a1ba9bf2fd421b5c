/* measure.c - the measurement harness: shared buffers, one pool per
 * configuration (its start-up timed apart), warm-up, repetitions, the
 * median and its spread, and the check of the result. */
#include "config.h"

#include "measure.h"

#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static at_pool *volatile current_pool;

void measure_cancel(void)
{
    at_pool *p = current_pool;
    if (p)
        at_pool_cancel(p);
}

double tuner_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static at_status out_of_memory(at_error *err)
{
    if (err) {
        memset(err, 0, sizeof *err);
        err->code = AT_ERR_NOMEM;
        strcpy(err->message, "out of memory");
    }
    return AT_ERR_NOMEM;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Median, and a spread: the interquartile range over the median (with
 * fewer than 4 runs, the full range). */
static void summarise(double *t, int n, measurement *m)
{
    qsort(t, (size_t)n, sizeof *t, cmp_double);
    m->median = n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
    m->best = t[0];
    m->worst = t[n - 1];
    double range = n >= 4 ? t[(3 * n) / 4] - t[n / 4] : t[n - 1] - t[0];
    m->spread = m->median > 0 ? range / m->median : 0;
}

static at_job make_job(const workload *w, long size, long items,
                       const at_config *c, const workload_arg *arg,
                       const double *in, double *out, double deadline)
{
    at_job j = {w->kind, w->item, w->span, arg, sizeof *arg, in, out,
                w->in_bytes(size), w->out_bytes(size),
                w->kind == AT_KIND_VECTOR ? size : items, c->chunk_size,
                w->kind == AT_KIND_VECTOR ? c->partitions : 1, deadline};
    return j;
}

/* Runs the job once more serially (1 worker, 1 thread) into `ref`. */
static at_status serial_reference(const workload *w, long size, long items,
                                  const workload_arg *arg, const double *in,
                                  double *ref, at_error *err)
{
    at_config serial = {1, AT_MODE_PROCESS, 1, 1, 1, AT_TRANSPORT_SHM,
                        AT_PIN_NONE};
    at_pool *pool;
    at_status s = at_pool_create(&serial, &pool, err);
    if (s != AT_OK)
        return s;
    at_job j = make_job(w, size, items, &serial, arg, in, ref, 0);
    s = at_pool_run(pool, &j, NULL, err);
    at_pool_free(pool);
    return s;
}

static at_status timed_runs(at_pool *pool, const at_job *job,
                            const measure_opts *o, measurement *m,
                            at_error *err)
{
    at_status s = AT_OK;
    int reps = o->repeat > 0 ? o->repeat : 1;
    double *wall = malloc((size_t)reps * sizeof *wall);
    at_job_stats *stats = malloc((size_t)reps * sizeof *stats);
    if (!wall || !stats)
        s = out_of_memory(err);
    for (int r = 0; s == AT_OK && r < o->warmup; r++)
        s = at_pool_run(pool, job, NULL, err);
    for (int r = 0; s == AT_OK && r < reps; r++) {
        s = at_pool_run(pool, job, &stats[r], err);
        wall[r] = stats[r].wall;
    }
    if (s == AT_OK) {
        double *sorted = malloc((size_t)reps * sizeof *sorted);
        memcpy(sorted, wall, (size_t)reps * sizeof *wall);
        summarise(sorted, reps, m);
        free(sorted);
        int pick = 0; /* the run whose time is nearest the median */
        for (int r = 1; r < reps; r++)
            if (fabs(wall[r] - m->median) < fabs(wall[pick] - m->median))
                pick = r;
        m->stats = stats[pick];
    }
    free(wall);
    free(stats);
    return s;
}

at_status measure(const workload *w, long size, long items,
                  const at_config *config, const measure_opts *o,
                  measurement *m, at_error *err)
{
    long count = w->kind == AT_KIND_VECTOR ? size : items;
    size_t in_size = (size_t)count * w->in_bytes(size);
    size_t out_size = (size_t)count * w->out_bytes(size);
    workload_arg arg = {size};
    double *in = NULL, *out = NULL, *ref = NULL;
    at_pool *pool = NULL;
    memset(m, 0, sizeof *m);
    m->difference = -1;
    at_status s = at_buffer_alloc(in_size, (void **)&in, err);
    if (s == AT_OK)
        s = at_buffer_alloc(out_size, (void **)&out, err);
    if (s == AT_OK)
        workload_generate(w, size, count, o->seed, in);
    if (s == AT_OK)
        s = at_pool_create(config, &pool, err);
    if (s == AT_OK) {
        m->start_seconds = at_pool_start_seconds(pool);
        current_pool = pool;
        at_job job = make_job(w, size, items, config, &arg, in, out,
                              o->deadline);
        s = timed_runs(pool, &job, o, m, err);
        current_pool = NULL;
    }
    at_pool_free(pool); /* before the reference: its BLAS threads too */
    if (s == AT_OK) {
        m->residual = workload_check(w, size, count, in, out);
        m->verified = m->residual <= w->tolerance;
    }
    if (s == AT_OK && o->compare_serial) {
        s = at_buffer_alloc(out_size, (void **)&ref, err);
        if (s == AT_OK)
            s = serial_reference(w, size, items, &arg, in, ref, err);
        if (s == AT_OK) {
            m->difference = workload_difference(w, size, count, out, ref);
            m->verified = m->verified && m->difference <= w->tolerance;
        }
    }
    at_buffer_free(in);
    at_buffer_free(out);
    at_buffer_free(ref);
    return s;
}
