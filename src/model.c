/* model.c - the cost model of a workload: the opaque object with its
 * numbers by name (the names and ranges are schema.c's), and its formula,
 * which the query's argmin (argmin.c) ranks the search space by and the
 * tuner fits (data/profile-format.md has it in prose). A leaf: query.c
 * and argmin.c both use it, it uses neither. */
#include "config.h"

#include "schema.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

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

double at__ref_bytes(const at_model *m, at_workload_kind kind)
{
    return kind == AT_KIND_VECTOR ? 2 * 8 * m->ref_size
                                  : 2 * 8 * m->ref_size * m->ref_size;
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
    double task_size =
        kind == AT_KIND_VECTOR ? (double)size / tasks : (double)size;
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
    /* A program's own costs, beyond the machine's (fitted for a user's
     * command, 0 otherwise): per chunk message; per worker process
     * started (its interpreter, its imports); per task piped, in
     * proportion to its data, copy_s being a task of ref_size's. */
    if (cfg->workers > 1) {
        seconds += chunks * m->message_s;
        if (cfg->mode == AT_MODE_PROCESS)
            seconds += w * m->start_s;
        if (cfg->mode == AT_MODE_PROCESS &&
            cfg->transport == AT_TRANSPORT_PIPE)
            seconds += tasks * bytes / at__ref_bytes(m, kind) * m->copy_s;
    }
    /* Process workers get each chunk after the first from the parent,
     * which, when the workers fill every CPU, must first wait for one. */
    if (cfg->workers > 1 && cfg->mode == AT_MODE_PROCESS && w * t >= P)
        seconds += fmax(0, chunks - w) * m->dispatch_s;
    return seconds;
}

/* ------------------------------------------------------------ the object */

at_status at_model_new(at_model **out, at_error *err)
{
    AT_REQUIRE(out, err);
    at_model *m = calloc(1, sizeof *m);
    if (!m)
        return at__fail(err, AT_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < at__params_schema.n_fields; i++)
        *(double *)at__field_at(m, &at__params_schema.fields[i]) =
            at__params_schema.fields[i].min;
    at__strlcpy(m->fitted, "1970-01-01T00:00:00Z", sizeof m->fitted);
    *out = m;
    return AT_OK;
}

void at_model_free(at_model *model)
{
    free(model);
}

void at_model_copy(at_model *to, const at_model *from)
{
    if (to && from)
        *to = *from;
}

size_t at_model_param_count(void)
{
    return at__params_schema.n_fields;
}

const char *at_model_param_name(size_t index)
{
    return index < at__params_schema.n_fields
               ? at__params_schema.fields[index].key
               : NULL;
}

/* The row of a number of the model: a parameter, or the model's own. */
static const at__field *number_named(const char *name)
{
    const at__object *objects[] = {&at__params_schema, &at__model_schema};
    for (size_t o = 0; name && o < 2; o++)
        for (size_t i = 0; i < objects[o]->n_fields; i++) {
            const at__field *f = &objects[o]->fields[i];
            if (f->type == AT_F_DOUBLE && strcmp(f->key, name) == 0)
                return f;
        }
    return NULL;
}

static at_status unknown_number(const char *name, at_error *err)
{
    return at__fail(err, AT_ERR_ARG, "the model has no number '%s'",
                    name ? name : "(null)");
}

at_status at_model_range(const char *name, double *min, double *max,
                         at_error *err)
{
    AT_REQUIRE(min, err);
    AT_REQUIRE(max, err);
    const at__field *f = number_named(name);
    if (!f)
        return unknown_number(name, err);
    *min = f->min;
    *max = f->max;
    return AT_OK;
}

at_status at_model_get(const at_model *model, const char *name, double *value,
                       at_error *err)
{
    AT_REQUIRE(model, err);
    AT_REQUIRE(value, err);
    const at__field *f = number_named(name);
    if (!f)
        return unknown_number(name, err);
    *value = *(const double *)at__field_at(model, f);
    return AT_OK;
}

at_status at_model_set(at_model *model, const char *name, double value,
                       at_error *err)
{
    AT_REQUIRE(model, err);
    const at__field *f = number_named(name);
    if (!f)
        return unknown_number(name, err);
    if (!isfinite(value) || value < f->min || value > f->max)
        return at__fail(err, AT_ERR_ARG,
                        "model '%s' must be from %g to %g, got %g", name,
                        f->min, f->max, value);
    *(double *)at__field_at(model, f) = value;
    return AT_OK;
}

const char *at_model_fitted(const at_model *model)
{
    return model ? model->fitted : NULL;
}

at_status at_model_set_fitted(at_model *model, const char *utc, at_error *err)
{
    AT_REQUIRE(model, err);
    AT_REQUIRE(utc, err);
    if (!at__timestamp_valid(utc))
        return at__fail(err, AT_ERR_ARG,
                        "fitted must be a UTC time like "
                        "2026-01-31T12:00:00Z, got '%s'",
                        utc);
    at__strlcpy(model->fitted, utc, sizeof model->fitted);
    return AT_OK;
}
