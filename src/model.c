/* model.c - the cost model of a workload: its formula, which the query's
 * argmin (argmin.c) ranks the search space by and the tuner fits (see
 * data/profile-format.md for the formula in prose). A leaf: query.c and
 * argmin.c both use it, it uses neither. */
#include "config.h"

#include "internal.h"

#include <math.h>
#include <stddef.h>

/* ----------------------------------------------------------- the formula */

double at__model_speed(double parallel_fraction, double cpus)
{
    if (cpus < 1)
        return cpus;
    return 1.0 / ((1.0 - parallel_fraction) + parallel_fraction / cpus);
}

static const at_transport_cost *transport_cost(const at_machine_costs *c,
                                               const at_config *cfg)
{
    if (cfg->mode == AT_MODE_THREAD)
        return &c->thread;
    return cfg->transport == AT_TRANSPORT_PIPE ? &c->pipe : &c->shm;
}

double at_model_predict(const at_model *m, const at_machine_costs *costs,
                        int cpus, at_workload_kind kind, long size,
                        long items, const at_config *cfg)
{
    if (!m || !cfg)
        return -1;
    double P = cpus > 0 ? cpus : 1, w = cfg->workers, t = cfg->blas_threads;
    /* A vector job is a batch of `partitions` tasks of size/partitions. */
    double tasks = kind == AT_KIND_VECTOR ? cfg->partitions : (double)items;
    double task_size = kind == AT_KIND_VECTOR ? (double)size / tasks
                                              : (double)size;
    double bytes = kind == AT_KIND_VECTOR ? 2 * 8 * task_size
                                          : 2 * 8 * task_size * task_size;
    double one = m->compute_s * pow(task_size / m->ref_size, m->exponent);

    /* Unpinned workers share CPUs until the scheduler spreads them: soon
     * enough for a job of seconds, not for one of milliseconds. */
    double run_on = cfg->workers > 1 && cfg->pin == AT_PIN_NONE
                        ? 1 + (P - 1) * m->unpinned_spread
                        : P;
    double share = fmin(t, run_on / w); /* CPUs each worker really gets */
    double per_task = one / at__model_speed(m->parallel_fraction, share);
    if (w * t > P)
        per_task *= 1 + m->oversub;
    per_task *= 1 + m->contention * (fmin(w, run_on) - 1);
    if (cfg->mode == AT_MODE_THREAD && cfg->workers > 1)
        per_task *= m->thread_factor;

    double chunks = ceil(tasks / cfg->chunk_size);
    double rounds = ceil(chunks / w);
    double busiest = fmin(rounds * cfg->chunk_size, tasks);
    double seconds = busiest * per_task;
    if (cfg->workers > 1 && costs) {
        const at_transport_cost *tc = transport_cost(costs, cfg);
        seconds += chunks * tc->latency_us * 1e-6;
        if (tc->gbytes_per_s > 0)
            seconds += tasks * bytes / (tc->gbytes_per_s * 1e9);
    }
    /* Process workers get each chunk after the first from the parent,
     * which, when the workers fill every CPU, must first wait for one. */
    if (cfg->workers > 1 && cfg->mode == AT_MODE_PROCESS && w * t >= P)
        seconds += fmax(0, chunks - w) * m->dispatch_s;
    return seconds;
}

