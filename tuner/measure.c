/* measure.c - the measurement harness: shared buffers, one pool per
 * configuration (its start-up timed apart), warm-up, repetitions, the
 * median and its spread, and the check of the result. */
#include "config.h"

#include "measure.h"

#include "command.h"
#include "util.h"

#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

static at_pool *volatile current_pool;
static volatile sig_atomic_t cancel_requested;

void measure_cancel(void)
{
    at_pool *p = current_pool;
    cancel_requested = 1;
    if (p)
        at_pool_cancel(p);
    command_cancel();
}

int measure_cancelled(void)
{
    return cancel_requested;
}

void measure_reset_cancel(void)
{
    cancel_requested = 0;
    command_reset_cancel();
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

static at_job make_job(const job_data *d, const at_config *c,
                       const workload_arg *arg, double *out, double deadline)
{
    const workload *w = d->w;
    at_job j = {.kind = w->kind,
                .item = w->item,
                .span = w->span,
                .arg = arg,
                .arg_bytes = sizeof *arg,
                .in = d->in,
                .out = out,
                .in_bytes = w->in_bytes(d->size),
                .out_bytes = w->out_bytes(d->size),
                .count = d->count,
                .chunk_size = c->chunk_size,
                .partitions = w->kind == AT_KIND_VECTOR ? c->partitions : 1,
                .deadline = deadline};
    return j;
}

at_status job_data_create(const workload *w, long size, long items,
                          uint64_t seed, job_data *d, at_error *err)
{
    memset(d, 0, sizeof *d);
    d->w = w;
    d->size = size;
    d->items = items;
    d->count = w->kind == AT_KIND_VECTOR ? size : items;
    if (w->command)
        return AT_OK; /* the user's program makes its own data */
    at_status s = at_buffer_alloc((size_t)d->count * w->in_bytes(size),
                                  (void **)&d->in, err);
    if (s == AT_OK)
        s = at_buffer_alloc((size_t)d->count * w->out_bytes(size),
                            (void **)&d->out, err);
    if (s != AT_OK) {
        job_data_free(d);
        return s;
    }
    workload_generate(w, size, d->count, seed, d->in);
    return AT_OK;
}

void job_data_free(job_data *d)
{
    at_buffer_free(d->in);
    at_buffer_free(d->out);
    d->in = d->out = NULL;
}

/* Runs the job once more serially (1 worker, 1 thread) into `ref`. */
static at_status serial_reference(const job_data *d, const workload_arg *arg,
                                  double *ref, at_error *err)
{
    at_config serial = AT_CONFIG_INIT(1, AT_MODE_PROCESS, 1, 1, 1,
                                      AT_TRANSPORT_SHM, AT_PIN_NONE);
    at_pool *pool;
    at_status s = at_pool_create(&serial, &pool, err);
    if (s != AT_OK)
        return s;
    at_job j = make_job(d, &serial, arg, ref, 0);
    s = at_pool_run(pool, &j, NULL, err);
    at_pool_free(pool);
    return s;
}

/* One timed run of a configuration: its seconds and, for the pool, where
 * they went. */
typedef at_status (*run_once)(void *ctx, double *seconds, at_job_stats *stats,
                              at_error *err);

typedef struct pool_run {
    at_pool *pool;
    const at_job *job;
} pool_run;

static at_status run_pool(void *ctx, double *seconds, at_job_stats *stats,
                          at_error *err)
{
    const pool_run *r = ctx;
    at_status s = at_pool_run(r->pool, r->job, stats, err);
    *seconds = stats->wall;
    return s;
}

typedef struct command_ctx {
    const job_data *d;
    const at_config *config;
    double deadline;
    int self_timed;
} command_ctx;

static at_status run_command(void *ctx, double *seconds, at_job_stats *stats,
                             at_error *err)
{
    command_ctx *r = ctx;
    const job_data *d = r->d;
    env_job job = {d->w->name, d->w->kind, d->size, d->items,
                   "tuning",   NULL,       NULL,    0};
    command_run run;
    at_status s = command_measure(d->w->command, &job, r->config, r->deadline,
                                  &run, err);
    memset(stats, 0, sizeof *stats);
    if (s == AT_OK) {
        *seconds = stats->wall = run.seconds;
        r->self_timed = run.self_timed;
    }
    return s;
}

/* Timed runs until `repeat`, or earlier once at least `min_repeat` ran
 * and the spread is under the target, or when the next run would pass
 * the time cap. */
static at_status timed_runs(run_once once, void *ctx, const measure_opts *o,
                            measurement *m, at_error *err)
{
    at_status s = AT_OK;
    int reps = o->repeat > 0 ? o->repeat : 1;
    int min_reps =
        o->min_repeat > 0 && o->min_repeat < reps ? o->min_repeat : reps;
    double *wall = malloc((size_t)reps * sizeof *wall);
    double *sorted = malloc((size_t)reps * sizeof *sorted);
    at_job_stats *stats = malloc((size_t)reps * sizeof *stats);
    at_job_stats scratch;
    double t;
    if (!wall || !stats || !sorted)
        s = tuner_out_of_memory(err);
    for (int r = 0; s == AT_OK && r < o->warmup; r++)
        s = once(ctx, &t, &scratch, err);
    int done = 0, auto_warmup = o->warmup < 0;
    double spent = 0;
    while (s == AT_OK && done < reps) {
        s = once(ctx, &wall[done], &stats[done], err);
        if (s != AT_OK)
            break;
        if (auto_warmup) {
            auto_warmup = 0;
            if (wall[done] < 0.25)
                continue; /* short: that was the warm-up */
        }
        spent += wall[done];
        done++;
        memcpy(sorted, wall, (size_t)done * sizeof *wall);
        summarise(sorted, done, m);
        if (done >= min_reps && m->spread <= o->target_spread)
            break;
        /* a cap is kept, not overrun by most of a run: a job of 1 s
         * under a cap of 1.5 s runs once, not twice */
        if (o->time_cap > 0 && spent + wall[done - 1] > o->time_cap)
            break;
    }
    if (s == AT_OK) {
        m->runs = done;
        int pick = 0; /* the run whose time is nearest the median */
        for (int r = 1; r < done; r++)
            if (fabs(wall[r] - m->median) < fabs(wall[pick] - m->median))
                pick = r;
        m->stats = stats[pick];
    }
    free(wall);
    free(sorted);
    free(stats);
    return s;
}

/* The user's program: its exit status is its check. */
static at_status measure_command(const job_data *d, const at_config *config,
                                 const measure_opts *o, measurement *m,
                                 at_error *err)
{
    command_ctx ctx = {d, config, o->deadline, 0};
    memset(m, 0, sizeof *m);
    m->difference = -1;
    at_status s = timed_runs(run_command, &ctx, o, m, err);
    m->verified = s == AT_OK;
    m->self_timed = ctx.self_timed;
    return s;
}

at_status measure_on(const job_data *d, const at_config *config,
                     const measure_opts *o, measurement *m, at_error *err)
{
    if (d->w->command)
        return measure_command(d, config, o, m, err);
    workload_arg arg = {d->size};
    at_pool *pool = NULL;
    memset(m, 0, sizeof *m);
    m->difference = -1;
    at_status s = at_pool_create(config, &pool, err);
    if (s == AT_OK) {
        m->start_seconds = at_pool_start_seconds(pool);
        current_pool = pool;
        if (cancel_requested)
            at_pool_cancel(pool);
        at_job job = make_job(d, config, &arg, d->out, o->deadline);
        pool_run run = {pool, &job};
        s = timed_runs(run_pool, &run, o, m, err);
        current_pool = NULL;
    }
    at_pool_free(pool); /* before the reference: its BLAS threads too */
    if (s == AT_OK)
        s = workload_check(d->w, d->size, d->count, d->in, d->out,
                           &m->residual, err);
    if (s == AT_OK)
        m->verified = m->residual <= d->w->tolerance;
    if (s == AT_OK && o->compare_serial) {
        double *ref = NULL;
        s = at_buffer_alloc((size_t)d->count * d->w->out_bytes(d->size),
                            (void **)&ref, err);
        if (s == AT_OK)
            s = serial_reference(d, &arg, ref, err);
        if (s == AT_OK) {
            m->difference =
                workload_difference(d->w, d->size, d->count, d->out, ref);
            m->verified = m->verified && m->difference <= d->w->tolerance;
        }
        at_buffer_free(ref);
    }
    return s;
}

at_status measure(const workload *w, long size, long items,
                  const at_config *config, const measure_opts *o,
                  measurement *m, at_error *err)
{
    job_data d;
    at_status s = job_data_create(w, size, items, o->seed, &d, err);
    if (s == AT_OK)
        s = measure_on(&d, config, o, m, err);
    job_data_free(&d);
    return s;
}
