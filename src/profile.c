/* profile.c - the in-memory profile: build, walk, copy, compare, merge. */
#include "config.h"

#include "schema.h"

#include <stdlib.h>
#include <string.h>

/* Grows *array (of *count elements of `elem` bytes) by one zeroed element;
 * returns it, or NULL when out of memory (the array is then unchanged). */
static void *append(void **array, size_t *count, size_t elem)
{
    char *grown = realloc(*array, (*count + 1) * elem);
    if (!grown)
        return NULL;
    *array = grown;
    memset(grown + *count * elem, 0, elem);
    return grown + (*count)++ * elem;
}

at_status at_profile_new(at_profile **out, at_error *err)
{
    AT_REQUIRE(out, err);
    at_profile *p = calloc(1, sizeof *p);
    if (!p)
        return at__fail(err, AT_ERR_NOMEM, "out of memory");
    *out = p;
    return AT_OK;
}

static void workload_clear(at_workload_profile *wp)
{
    free(wp->entries);
    free(wp->samples);
}

void at__machine_profile_clear(at_machine_profile *mp)
{
    for (size_t i = 0; i < mp->n_workloads; i++)
        workload_clear(&mp->workloads[i]);
    free(mp->workloads);
}

void at_profile_free(at_profile *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n_machines; i++)
        at__machine_profile_clear(&p->machines[i]);
    free(p->machines);
    free(p);
}

/* ------------------------------------------------------------------ walk */

size_t at_profile_machine_count(const at_profile *p)
{
    return p ? p->n_machines : 0;
}

const at_machine_profile *at_profile_machine_at(const at_profile *p, size_t i)
{
    return p && i < p->n_machines ? &p->machines[i] : NULL;
}

const at_machine_profile *at_profile_find_machine(const at_profile *p,
                                                  const char *fingerprint)
{
    for (size_t i = 0; p && fingerprint && i < p->n_machines; i++)
        if (strcmp(p->machines[i].machine.fingerprint, fingerprint) == 0)
            return &p->machines[i];
    return NULL;
}

const at_machine *at_machine_profile_machine(const at_machine_profile *mp)
{
    return mp ? &mp->machine : NULL;
}

const at_machine_costs *at_machine_profile_costs(const at_machine_profile *mp)
{
    return mp && mp->has_costs ? &mp->costs : NULL;
}

size_t at_machine_profile_workload_count(const at_machine_profile *mp)
{
    return mp ? mp->n_workloads : 0;
}

const at_workload_profile *
at_machine_profile_workload_at(const at_machine_profile *mp, size_t i)
{
    return mp && i < mp->n_workloads ? &mp->workloads[i] : NULL;
}

const char *at_workload_profile_name(const at_workload_profile *wp)
{
    return wp ? wp->name : NULL;
}

at_workload_kind at_workload_profile_kind(const at_workload_profile *wp)
{
    return wp ? wp->kind : AT_KIND_BATCH;
}

const at_model *at_workload_profile_model(const at_workload_profile *wp)
{
    return wp && wp->has_model ? &wp->model : NULL;
}

size_t at_workload_profile_entry_count(const at_workload_profile *wp)
{
    return wp ? wp->n_entries : 0;
}

const at_entry *at_workload_profile_entry_at(const at_workload_profile *wp,
                                             size_t i)
{
    return wp && i < wp->n_entries ? &wp->entries[i] : NULL;
}

size_t at_workload_profile_sample_count(const at_workload_profile *wp)
{
    return wp ? wp->n_samples : 0;
}

const at_sample *at_workload_profile_sample_at(const at_workload_profile *wp,
                                               size_t i)
{
    return wp && i < wp->n_samples ? &wp->samples[i] : NULL;
}

const at_workload_profile *
at_machine_profile_workload(const at_machine_profile *mp, const char *name)
{
    for (size_t i = 0; mp && name && i < mp->n_workloads; i++)
        if (strcmp(mp->workloads[i].name, name) == 0)
            return &mp->workloads[i];
    return NULL;
}

/* -------------------------------------------------------------- building */

at_workload_profile *at__workload_get(at_machine_profile *mp,
                                      const char *name)
{
    at_workload_profile *wp =
        (at_workload_profile *)at_machine_profile_workload(mp, name);
    if (wp)
        return wp;
    wp = append((void **)&mp->workloads, &mp->n_workloads, sizeof *wp);
    if (wp)
        at__strlcpy(wp->name, name, sizeof wp->name);
    return wp;
}

static int entry_cmp(const void *a, const void *b)
{
    const at_entry *x = a, *y = b;
    if (x->size != y->size)
        return x->size < y->size ? -1 : 1;
    if (x->items != y->items)
        return x->items < y->items ? -1 : 1;
    return 0;
}

void at__entries_sort(at_workload_profile *wp)
{
    if (wp->n_entries > 1)
        qsort(wp->entries, wp->n_entries, sizeof *wp->entries, entry_cmp);
}

at_status at_profile_add_machine(at_profile *p, const at_machine *m,
                                 at_error *err)
{
    AT_REQUIRE(p, err);
    AT_REQUIRE(m, err);
    at_machine_profile *mp =
        (at_machine_profile *)at_profile_find_machine(p, m->fingerprint);
    if (!mp) {
        mp = append((void **)&p->machines, &p->n_machines, sizeof *mp);
        if (!mp)
            return at__fail(err, AT_ERR_NOMEM, "out of memory");
    }
    mp->machine = *m;
    /* the hardware fingerprint is derived: never trust the caller's */
    at_machine derived = *m;
    at_machine_fingerprint(&derived);
    memcpy(mp->machine.hardware, derived.hardware, sizeof derived.hardware);
    return AT_OK;
}

static at_status machine_for(at_profile *p, const char *fingerprint,
                             at_machine_profile **mp, at_error *err)
{
    *mp = (at_machine_profile *)at_profile_find_machine(p, fingerprint);
    if (!*mp)
        return at__fail(err, AT_ERR_NOMATCH,
                        "no machine with fingerprint %s in the profile",
                        fingerprint);
    return AT_OK;
}

static at_status workload_for(at_profile *p, const char *fingerprint,
                              const char *workload, at_workload_profile **wp,
                              at_error *err)
{
    at_machine_profile *mp;
    at_status s = machine_for(p, fingerprint, &mp, err);
    if (s != AT_OK)
        return s;
    *wp = (at_workload_profile *)at_machine_profile_workload(mp, workload);
    if (!*wp)
        return at__fail(err, AT_ERR_ARG,
                        "no workload '%.64s' on machine %s: add it with its "
                        "kind first",
                        workload, fingerprint);
    return AT_OK;
}

at_status at_profile_add_workload(at_profile *p, const char *fingerprint,
                                  const char *workload, at_workload_kind kind,
                                  at_error *err)
{
    AT_REQUIRE(p, err);
    AT_REQUIRE(fingerprint, err);
    at_machine_profile *mp;
    at_status s = at_workload_name_check(workload, err);
    if (s == AT_OK && (unsigned)kind > AT_KIND_VECTOR)
        s = at__fail(err, AT_ERR_ARG, "workload kind out of range");
    if (s == AT_OK)
        s = machine_for(p, fingerprint, &mp, err);
    if (s != AT_OK)
        return s;
    const at_workload_profile *old =
        at_machine_profile_workload(mp, workload);
    if (old && old->kind != kind)
        return at__fail(
            err, AT_ERR_ARG, "workload '%s' is a %s workload, not a %s one",
            workload, at_kind_name(old->kind), at_kind_name(kind));
    at_workload_profile *wp = at__workload_get(mp, workload);
    if (!wp)
        return at__fail(err, AT_ERR_NOMEM, "out of memory");
    wp->kind = kind;
    return AT_OK;
}

at_status at_profile_set_costs(at_profile *p, const char *fingerprint,
                               const at_machine_costs *costs, at_error *err)
{
    AT_REQUIRE(p, err);
    AT_REQUIRE(fingerprint, err);
    AT_REQUIRE(costs, err);
    at_machine_profile *mp;
    at_status s = machine_for(p, fingerprint, &mp, err);
    if (s == AT_OK) {
        mp->costs = *costs;
        mp->has_costs = 1;
    }
    return s;
}

static at_entry *find_entry(at_workload_profile *wp, long size, long items)
{
    for (size_t i = 0; i < wp->n_entries; i++)
        if (wp->entries[i].size == size && wp->entries[i].items == items)
            return &wp->entries[i];
    return NULL;
}

at_status at_profile_set_entry(at_profile *p, const char *fingerprint,
                               const char *workload, const at_entry *e,
                               at_error *err)
{
    AT_REQUIRE(p, err);
    AT_REQUIRE(fingerprint, err);
    AT_REQUIRE(workload, err);
    AT_REQUIRE(e, err);
    at_status s = at_config_check(&e->best, err);
    if (s != AT_OK)
        return s;
    if (e->size < 1 || e->items < 1 || !at__timestamp_valid(e->measured))
        return at__fail(err, AT_ERR_ARG,
                        "entry needs size >= 1, items >= 1 and a UTC "
                        "time stamp");
    at_workload_profile *wp;
    if ((s = workload_for(p, fingerprint, workload, &wp, err)) != AT_OK)
        return s;
    at_entry *slot = find_entry(wp, e->size, e->items);
    if (!slot) {
        slot = append((void **)&wp->entries, &wp->n_entries, sizeof *slot);
        if (!slot)
            return at__fail(err, AT_ERR_NOMEM, "out of memory");
    }
    *slot = *e;
    at__entries_sort(wp);
    return AT_OK;
}

at_status at_profile_set_model(at_profile *p, const char *fingerprint,
                               const char *workload, const at_model *model,
                               at_error *err)
{
    AT_REQUIRE(p, err);
    AT_REQUIRE(fingerprint, err);
    AT_REQUIRE(workload, err);
    AT_REQUIRE(model, err);
    at_workload_profile *wp;
    at_status s = workload_for(p, fingerprint, workload, &wp, err);
    if (s != AT_OK)
        return s;
    wp->model = *model;
    wp->has_model = 1;
    return AT_OK;
}

static int config_equal(const at_config *a, const at_config *b)
{
    return a->workers == b->workers && a->mode == b->mode &&
           a->blas_threads == b->blas_threads &&
           a->chunk_size == b->chunk_size && a->partitions == b->partitions &&
           a->transport == b->transport && a->pin == b->pin;
}

at_status at_profile_add_sample(at_profile *p, const char *fingerprint,
                                const char *workload, const at_sample *smp,
                                at_error *err)
{
    AT_REQUIRE(p, err);
    AT_REQUIRE(fingerprint, err);
    AT_REQUIRE(workload, err);
    AT_REQUIRE(smp, err);
    at_workload_profile *wp;
    at_status s = workload_for(p, fingerprint, workload, &wp, err);
    if (s != AT_OK)
        return s;
    for (size_t i = 0; i < wp->n_samples; i++) {
        at_sample *o = &wp->samples[i];
        if (o->size == smp->size && o->items == smp->items &&
            config_equal(&o->config, &smp->config)) {
            *o = *smp;
            return AT_OK;
        }
    }
    at_sample *slot =
        append((void **)&wp->samples, &wp->n_samples, sizeof *slot);
    if (!slot)
        return at__fail(err, AT_ERR_NOMEM, "out of memory");
    *slot = *smp;
    return AT_OK;
}

/* ------------------------------------------------------- copy and merge */

static void *dup_array(const void *src, size_t n, size_t elem, int *failed)
{
    if (n == 0)
        return NULL;
    void *d = malloc(n * elem);
    if (!d)
        *failed = 1;
    else
        memcpy(d, src, n * elem);
    return d;
}

at_status at__profile_copy(const at_profile *src, at_profile **out,
                           at_error *err)
{
    int failed = 0;
    at_profile *p = calloc(1, sizeof *p);
    if (!p)
        return at__fail(err, AT_ERR_NOMEM, "out of memory");
    p->machines = dup_array(src->machines, src->n_machines,
                            sizeof *src->machines, &failed);
    p->n_machines = failed ? 0 : src->n_machines;
    for (size_t i = 0; i < p->n_machines; i++) {
        at_machine_profile *mp = &p->machines[i];
        const at_machine_profile *sm = &src->machines[i];
        mp->workloads = dup_array(sm->workloads, sm->n_workloads,
                                  sizeof *sm->workloads, &failed);
        mp->n_workloads = mp->workloads ? sm->n_workloads : 0;
        for (size_t w = 0; w < mp->n_workloads; w++) {
            at_workload_profile *wp = &mp->workloads[w];
            const at_workload_profile *sw = &sm->workloads[w];
            wp->entries = dup_array(sw->entries, sw->n_entries,
                                    sizeof *sw->entries, &failed);
            wp->n_entries = wp->entries ? sw->n_entries : 0;
            wp->samples = dup_array(sw->samples, sw->n_samples,
                                    sizeof *sw->samples, &failed);
            wp->n_samples = wp->samples ? sw->n_samples : 0;
        }
    }
    if (failed) {
        at_profile_free(p);
        return at__fail(err, AT_ERR_NOMEM, "out of memory");
    }
    *out = p;
    return AT_OK;
}

static at_status merge_workload(at_profile *into, const char *fp,
                                const at_workload_profile *sw, at_error *err)
{
    at_workload_profile *wp;
    at_status s = at_profile_add_workload(into, fp, sw->name, sw->kind, err);
    if (s == AT_OK)
        s = workload_for(into, fp, sw->name, &wp, err);
    if (s != AT_OK)
        return s;
    if (sw->has_model &&
        (!wp->has_model || strcmp(sw->model.fitted, wp->model.fitted) >= 0)) {
        wp->model = sw->model;
        wp->has_model = 1;
    }
    for (size_t i = 0; s == AT_OK && i < sw->n_entries; i++) {
        const at_entry *e = &sw->entries[i];
        const at_entry *old = find_entry(wp, e->size, e->items);
        if (!old || strcmp(e->measured, old->measured) >= 0)
            s = at_profile_set_entry(into, fp, sw->name, e, err);
    }
    for (size_t i = 0; s == AT_OK && i < sw->n_samples; i++)
        s = at_profile_add_sample(into, fp, sw->name, &sw->samples[i], err);
    return s;
}

static at_status merge_machine(at_profile *into, const at_machine_profile *sm,
                               at_error *err)
{
    const char *fp = sm->machine.fingerprint;
    at_status s = at_profile_add_machine(into, &sm->machine, err);
    if (s == AT_OK && sm->has_costs)
        s = at_profile_set_costs(into, fp, &sm->costs, err);
    for (size_t w = 0; s == AT_OK && w < sm->n_workloads; w++)
        s = merge_workload(into, fp, &sm->workloads[w], err);
    return s;
}

at_status at_profile_merge(at_profile *into, const at_profile *from,
                           at_error *err)
{
    AT_REQUIRE(into, err);
    AT_REQUIRE(from, err);
    at_profile *work;
    at_status s = at__profile_copy(into, &work, err);
    for (size_t i = 0; s == AT_OK && i < from->n_machines; i++)
        s = merge_machine(work, &from->machines[i], err);
    if (s != AT_OK) {
        at_profile_free(work);
        return s;
    }
    /* Success: swap the merged contents in, free the old ones. */
    at_profile old = *into;
    *into = *work;
    *work = old;
    at_profile_free(work);
    return AT_OK;
}

/* ------------------------------------------------------------ equality */

/* Equality is the format's: every field of the schema (schema.c), so a
 * field added there is compared too. */
int at_profile_equal(const at_profile *a, const at_profile *b)
{
    if (!a || !b)
        return a == b;
    return at__object_equal(&at__profile_schema, a, b);
}

int at__timestamp_valid(const char *s)
{
    /* YYYY-MM-DDTHH:MM:SSZ */
    static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";
    for (size_t i = 0; i < sizeof shape - 1; i++) {
        char want = shape[i];
        if (want == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != want)
            return 0;
    }
    return s[sizeof shape - 1] == '\0';
}
