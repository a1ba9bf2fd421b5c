/* query.c - from (workload, size, items) to a configuration: an exact
 * entry, else the fitted model ranked over the search space (argmin.c),
 * else the nearest entry, else the documented fallback rule; which machine
 * of the profile answers. (Where the profile comes from: profile_files.c.) */
#include "config.h"

#include "internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *at_source_name(at_source source)
{
    switch (source) {
    case AT_SOURCE_ENTRY: return "entry";
    case AT_SOURCE_MODEL: return "model";
    case AT_SOURCE_NEAREST: return "nearest";
    case AT_SOURCE_FALLBACK: return "fallback";
    }
    return "?";
}

/* ------------------------------------------------------------- fallback */

void at_fallback_config(at_workload_kind kind, long size, long items,
                        int cpus, at_config *c)
{
    if (!c)
        return;
    if (cpus < 1)
        cpus = 1;
    *c = (at_config)AT_CONFIG_INIT(1, AT_MODE_PROCESS, cpus, 1, 1,
                                   AT_TRANSPORT_SHM, AT_PIN_NONE);
    if (kind == AT_KIND_VECTOR) {
        if (cpus == 1 || size < 2)
            return;
        /* one partition per worker and BLAS threads off: exp is not BLAS */
        int workers = size < cpus ? (int)size : cpus;
        *c =
            (at_config)AT_CONFIG_INIT(workers, AT_MODE_PROCESS, 1, 1, workers,
                                      AT_TRANSPORT_SHM, AT_PIN_CORES);
        return;
    }
    if (items < 2 || cpus == 1)
        return; /* one item (or one CPU): all CPUs as BLAS threads */
    /* the joblib rule: as many workers as fit, the CPUs shared among them,
     * about four chunks per worker to balance without many messages */
    c->workers = (int)(items < cpus ? items : cpus);
    c->blas_threads = cpus / c->workers;
    long chunk = items / (4L * c->workers);
    c->chunk_size = chunk < 1              ? 1
                    : chunk > AT_MAX_CHUNK ? AT_MAX_CHUNK
                                           : (int)chunk;
    c->pin = AT_PIN_CORES;
}

/* ---------------------------------------------------------------- query */

const char *at_match_name(at_match match)
{
    static const char *const names[] = {"exact", "hardware", "none"};
    return (unsigned)match < 3 ? names[match] : "?";
}

static const at_entry *exact_entry(const at_workload_profile *wp, long size,
                                   long items)
{
    at_entry key = {.size = size, .items = items};
    size_t i = at__entry_index(wp, &key);
    return i < wp->n_entries && at__entry_cmp(&wp->entries[i], &key) == 0
               ? &wp->entries[i].pub
               : NULL;
}

/* Nearest in log size first (cost grows as a power of size), then items. */
static const at_entry *nearest_entry(const at_workload_profile *wp, long size,
                                     long items)
{
    const at_entry *best = NULL;
    double best_d = HUGE_VAL;
    for (size_t i = 0; i < wp->n_entries; i++) {
        const at_entry *e = &wp->entries[i].pub;
        double d = fabs(log((double)size / e->size)) +
                   0.25 * fabs(log((double)items / e->items));
        if (d < best_d) {
            best_d = d;
            best = e;
        }
    }
    return best;
}

/* Every answer must run on its job (at_pool_run's checks): no more
 * partitions than elements, workers than tasks, or a chunk larger than a
 * worker's share. A configuration taken from another job (nearest) or a
 * rule (fallback) may need it; a measured one never does. */
static void fit_to_job(at_config *c, at_workload_kind kind, long size,
                       long items)
{
    long tasks = items;
    if (kind == AT_KIND_VECTOR) {
        if (c->partitions > size)
            c->partitions = (int)size;
        tasks = c->partitions;
    } else
        c->partitions = 1;
    if (c->workers > tasks)
        c->workers = (int)tasks;
    long share = (tasks + c->workers - 1) / c->workers;
    if (c->chunk_size > share)
        c->chunk_size = (int)share;
}

/* Ranks the search space by the model; 0 when the space is empty. */
static int model_pick(const at_machine_profile *mp,
                      const at_workload_profile *wp, at_workload_kind kind,
                      long size, long items, at_query_result *r)
{
    return at__model_argmin(&wp->model, mp->has_costs ? &mp->costs : NULL,
                            mp->machine.usable_cpus, kind, size, items,
                            &r->config, &r->predicted_seconds);
}

/* The machine of the profile that answers for `me`: the same fingerprint,
 * else the same hardware (the same BLAS vendor first), else NULL. */
static const at_machine_profile *
match_machine(const at_profile *p, const at_machine *me, at_match *match)
{
    const at_machine_profile *mp =
        at_profile_find_machine(p, me->fingerprint);
    *match = AT_MATCH_EXACT;
    if (mp)
        return mp;
    at_machine mine = *me, theirs;
    at_machine_fingerprint(&mine); /* the caller's hash may be stale */
    for (int same_vendor = 1; same_vendor >= 0; same_vendor--)
        for (size_t i = 0; i < at_profile_machine_count(p); i++) {
            theirs = at_profile_machine_at(p, i)->machine;
            at_machine_fingerprint(&theirs);
            if (strcmp(theirs.hardware, mine.hardware) == 0 &&
                (!same_vendor ||
                 strcmp(theirs.blas_vendor, mine.blas_vendor) == 0)) {
                *match = AT_MATCH_HARDWARE;
                return at_profile_machine_at(p, i);
            }
        }
    *match = AT_MATCH_NONE;
    return NULL;
}

/* The source and its reason, from the workload's tuned data or the rule. */
static void answer(const at_workload_profile *wp, at_workload_kind kind,
                   long size, long items, const at_machine_profile *mp,
                   int cpus, at_query_result *r, char *why, size_t n)
{
    const at_entry *e;
    if (!wp || (!wp->has_model && wp->n_entries == 0)) {
        at_fallback_config(kind, size, items, cpus, &r->config);
        r->source = AT_SOURCE_FALLBACK;
        snprintf(why, n, "the fallback rule");
    } else if ((e = exact_entry(wp, size, items)) != NULL) {
        r->config = e->best;
        r->source = AT_SOURCE_ENTRY;
        r->entry = e;
        r->predicted_seconds = e->seconds;
        snprintf(why, n, "measured at size %ld, items %ld", size, items);
    } else if (wp->has_model && model_pick(mp, wp, kind, size, items, r)) {
        r->source = AT_SOURCE_MODEL;
        snprintf(why, n,
                 "model %s (held-out error %.1f%%) over the search space",
                 AT_MODEL_FORM, 100 * wp->model.error);
    } else {
        e = nearest_entry(wp, size, items);
        r->config = e->best;
        r->source = AT_SOURCE_NEAREST;
        r->entry = e;
        snprintf(why, n,
                 "no model; nearest measured entry is size %ld, items %ld",
                 e->size, e->items);
    }
    fit_to_job(&r->config, kind, size, items);
}

/* The reason: the source's own, and for anything but the exact machine,
 * which machine answered and why it is not this process's. */
static void explain(at_query_result *r, const at_profile *profile,
                    const at_machine *me, const at_machine_profile *mp,
                    const char *workload, const char *why)
{
    const at_machine *t = mp ? &mp->machine : NULL;
    if (!profile)
        snprintf(r->reason, sizeof r->reason, "no profile: %s", why);
    else if (!mp)
        snprintf(r->reason, sizeof r->reason,
                 "no machine with fingerprint %s or this hardware in the "
                 "profile: %s",
                 me->fingerprint, why);
    else if (r->match == AT_MATCH_HARDWARE)
        snprintf(r->reason, sizeof r->reason,
                 "same hardware as machine %s, tuned with %.16s %.12s "
                 "(%.16s), not this process's %.16s %.12s: %.100s",
                 t->fingerprint, t->blas_vendor, t->blas_version,
                 t->blas_corename, me->blas_vendor, me->blas_version, why);
    else if (r->source == AT_SOURCE_FALLBACK)
        snprintf(r->reason, sizeof r->reason,
                 "nothing tuned for workload '%s' on this machine: %s",
                 workload, why);
    else
        snprintf(r->reason, sizeof r->reason, "%s", why);
}

static at_status check_job(const char *workload, long size, long items,
                           at_error *err)
{
    at_status s = at_workload_name_check(workload, err);
    if (s == AT_OK && (size < 1 || items < 1))
        s = at__fail(err, AT_ERR_ARG,
                     "size and items must be positive, got %ld and %ld", size,
                     items);
    return s;
}

/* The job's kind: the profile's for a workload it knows, else the
 * caller's (AT_QUERY_VECTOR, or a batch). */
static at_status kind_of_job(const at_workload_profile *wp,
                             const char *workload, long items, int flags,
                             at_workload_kind *kind, at_error *err)
{
    int vector = (flags & AT_QUERY_VECTOR) != 0;
    if (wp && vector && wp->kind != AT_KIND_VECTOR)
        return at__fail(err, AT_ERR_ARG,
                        "workload '%s' is a %s workload in the profile",
                        workload, at_kind_name(wp->kind));
    *kind = wp ? wp->kind : vector ? AT_KIND_VECTOR : AT_KIND_BATCH;
    if (*kind == AT_KIND_VECTOR && items != 1)
        return at__fail(err, AT_ERR_ARG,
                        "a vector workload has one item, got %ld", items);
    return AT_OK;
}

at_status at_profile_query_flags(const at_profile *profile,
                                 const at_machine *machine,
                                 const char *workload, long size, long items,
                                 int flags, at_query_result *result,
                                 at_error *err)
{
    AT_REQUIRE(machine, err);
    AT_REQUIRE(workload, err);
    AT_REQUIRE(result, err);
    at_workload_kind kind = AT_KIND_BATCH;
    at_status s = check_job(workload, size, items, err);
    if (s != AT_OK)
        return s;
    at_query_result r = {.predicted_seconds = -1, .match = AT_MATCH_NONE};
    const at_machine_profile *mp =
        profile ? match_machine(profile, machine, &r.match) : NULL;
    const at_workload_profile *wp =
        mp ? at_machine_profile_workload(mp, workload) : NULL;
    if ((s = kind_of_job(wp, workload, items, flags, &kind, err)) != AT_OK)
        return s;
    if (mp)
        at__strlcpy(r.machine, mp->machine.fingerprint, sizeof r.machine);
    char why[160];
    answer(wp, kind, size, items, mp, machine->usable_cpus, &r, why,
           sizeof why);
    explain(&r, profile, machine, mp, workload, why);
    at__verbose("query %s size %ld items %ld: %s, %s machine (%s)", workload,
                size, items, at_source_name(r.source), at_match_name(r.match),
                r.reason);
    if ((flags & AT_QUERY_STRICT) &&
        (r.match != AT_MATCH_EXACT || r.source == AT_SOURCE_FALLBACK))
        return at__fail(err, AT_ERR_NOMATCH, "strict: %s", r.reason);
    *result = r;
    return AT_OK;
}

at_status at_profile_query(const at_profile *profile,
                           const at_machine *machine, const char *workload,
                           long size, long items, at_query_result *result,
                           at_error *err)
{
    AT_REQUIRE(machine, err);
    AT_REQUIRE(workload, err);
    AT_REQUIRE(result, err);
    return at_profile_query_flags(profile, machine, workload, size, items, 0,
                                  result, err);
}
