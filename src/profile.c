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
    return wp && i < wp->n_entries ? &wp->entries[i].pub : NULL;
}

long at_workload_profile_entry_baseline_items(const at_workload_profile *wp,
                                              size_t i)
{
    return wp && i < wp->n_entries ? wp->entries[i].baseline_items : 0;
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

int at__entry_cmp(const void *a, const void *b)
{
    const at_entry *x = a, *y = b; /* or at__entry: it begins with one */
    if (x->size != y->size)
        return x->size < y->size ? -1 : 1;
    if (x->items != y->items)
        return x->items < y->items ? -1 : 1;
    return 0;
}

void at__entries_sort(at_workload_profile *wp)
{
    if (wp->n_entries > 1)
        qsort(wp->entries, wp->n_entries, sizeof *wp->entries, at__entry_cmp);
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

/* Where an entry with e's (size, items) is or belongs: the first entry
 * not below it. Entries are kept sorted, so this is a binary search. */
size_t at__entry_index(const at_workload_profile *wp, const at_entry *e)
{
    size_t lo = 0, hi = wp->n_entries;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (at__entry_cmp(&wp->entries[mid], e) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* What an entry must be to join a profile (set or merged in). */
static at_status entry_check(const at__entry *x, at_error *err)
{
    const at_entry *e = &x->pub;
    at_status s = at_config_check(&e->best, err);
    if (s == AT_OK &&
        (e->size < 1 || e->items < 1 || !at__timestamp_valid(e->measured)))
        s = at__fail(err, AT_ERR_ARG,
                     "entry needs size >= 1, items >= 1 and a UTC "
                     "time stamp");
    if (s == AT_OK && x->baseline_items != 0 &&
        (x->baseline_items < 1 || x->baseline_items >= e->items))
        s = at__fail(err, AT_ERR_ARG,
                     "baseline_items %ld: expected 1 to %ld, below the "
                     "entry's items",
                     x->baseline_items, e->items - 1);
    return s;
}

/* at_profile_set_entry_scaled, its arguments checked. */
static at_status set_entry(at_profile *p, const char *fingerprint,
                           const char *workload, const at_entry *e,
                           long baseline_items, at_error *err)
{
    at__entry x = {*e, baseline_items};
    at_workload_profile *wp;
    at_status s = entry_check(&x, err);
    if (s == AT_OK)
        s = workload_for(p, fingerprint, workload, &wp, err);
    if (s != AT_OK)
        return s;
    /* inserted in its place: a sort per call made n calls n^2 log n */
    size_t at = at__entry_index(wp, e);
    if (at == wp->n_entries || at__entry_cmp(&wp->entries[at], e) != 0) {
        if (!append((void **)&wp->entries, &wp->n_entries, sizeof x))
            return at__fail(err, AT_ERR_NOMEM, "out of memory");
        memmove(&wp->entries[at + 1], &wp->entries[at],
                (wp->n_entries - 1 - at) * sizeof x);
    }
    wp->entries[at] = x;
    return AT_OK;
}

at_status at_profile_set_entry(at_profile *p, const char *fingerprint,
                               const char *workload, const at_entry *e,
                               at_error *err)
{
    AT_REQUIRE(p, err);
    AT_REQUIRE(fingerprint, err);
    AT_REQUIRE(workload, err);
    AT_REQUIRE(e, err);
    return set_entry(p, fingerprint, workload, e, 0, err);
}

at_status at_profile_set_entry_scaled(at_profile *p, const char *fingerprint,
                                      const char *workload, const at_entry *e,
                                      long baseline_items, at_error *err)
{
    AT_REQUIRE(p, err);
    AT_REQUIRE(fingerprint, err);
    AT_REQUIRE(workload, err);
    AT_REQUIRE(e, err);
    return set_entry(p, fingerprint, workload, e, baseline_items, err);
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

/* A sample's key, (size, items, configuration), as numbers: one total
 * order over it lets a merge sort both sides and walk them once. A knob
 * added to at_config is added here. */
enum { SAMPLE_KEY_LEN = 9 };
static void sample_key(const at_sample *s, long key[SAMPLE_KEY_LEN])
{
    const at_config *c = &s->config;
    const long k[SAMPLE_KEY_LEN] = {
        s->size,       s->items,      c->workers,   c->mode, c->blas_threads,
        c->chunk_size, c->partitions, c->transport, c->pin};
    memcpy(key, k, sizeof k);
}

int at__sample_cmp(const void *x, const void *y)
{
    long a[SAMPLE_KEY_LEN], b[SAMPLE_KEY_LEN];
    sample_key(x, a);
    sample_key(y, b);
    for (int i = 0; i < SAMPLE_KEY_LEN; i++)
        if (a[i] != b[i])
            return a[i] < b[i] ? -1 : 1;
    return 0;
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
        if (at__sample_cmp(o, smp) == 0) {
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

/* Entry e of `from` joins the merged out[0..*k): as a new key, or in
 * place of the last one, of its key, when it is as new or newer (a tie
 * goes to `from`). */
static at_status take_entry(at__entry *out, size_t *k, const at__entry *e,
                            at_error *err)
{
    at__entry *same =
        *k > 0 && at__entry_cmp(&out[*k - 1], e) == 0 ? &out[*k - 1] : NULL;
    if (same && strcmp(e->pub.measured, same->pub.measured) < 0)
        return AT_OK;
    at_status s = entry_check(e, err);
    if (s == AT_OK)
        *(same ? same : &out[(*k)++]) = *e;
    return s;
}

/* Both sides' entries are sorted by (size, items) (the loader and
 * at_profile_set_entry keep them so): one walk merges them, `into`'s
 * first at an equal key so that `from`'s then compete with it. */
static at_status merge_entries(at_workload_profile *wp,
                               const at_workload_profile *sw, at_error *err)
{
    size_t n = wp->n_entries, m = sw->n_entries, i = 0, j = 0, k = 0;
    if (m == 0)
        return AT_OK;
    at__entry *out = malloc((n + m) * sizeof *out);
    if (!out)
        return at__fail(err, AT_ERR_NOMEM, "out of memory");
    at_status s = AT_OK;
    while (s == AT_OK && (i < n || j < m))
        if (j == m ||
            (i < n && at__entry_cmp(&wp->entries[i], &sw->entries[j]) <= 0))
            out[k++] = wp->entries[i++];
        else
            s = take_entry(out, &k, &sw->entries[j++], err);
    if (s != AT_OK) {
        free(out);
        return s;
    }
    free(wp->entries);
    wp->entries = out;
    wp->n_entries = k;
    return AT_OK;
}

static int sample_ptr_cmp(const void *a, const void *b)
{
    const at_sample *x = *(const at_sample *const *)a;
    const at_sample *y = *(const at_sample *const *)b;
    int c = at__sample_cmp(x, y);
    return c ? c : x < y ? -1 : x > y; /* then array order */
}

/* Pointers to samples[0..n), sorted by key, then array order. */
static const at_sample **samples_by_key(const at_sample *samples, size_t n)
{
    const at_sample **v = malloc((n ? n : 1) * sizeof *v);
    for (size_t i = 0; v && i < n; i++)
        v[i] = &samples[i];
    if (v)
        qsort(v, n, sizeof *v, sample_ptr_cmp);
    return v;
}

/* One walk of both sides sorted by key: each key of `from` (its last
 * sample of the key, later ones replacing earlier) replaces the first
 * sample of `into` with that key, or is noted in added[] at the index of
 * its first sample in `from`. */
static void place_samples(at_sample *all, const at_sample **mine, size_t n,
                          const at_sample **theirs, size_t m,
                          const at_sample *from, const at_sample **added)
{
    size_t i = 0, j = 0;
    while (j < m) {
        size_t last = j; /* theirs[j..last]: one key */
        while (last + 1 < m &&
               at__sample_cmp(theirs[last + 1], theirs[j]) == 0)
            last++;
        while (i < n && at__sample_cmp(mine[i], theirs[j]) < 0)
            i++;
        if (i < n && at__sample_cmp(mine[i], theirs[j]) == 0)
            all[mine[i] - all] = *theirs[last];
        else
            added[theirs[j] - from] = theirs[last];
        j = last + 1;
    }
}

/* The samples at_profile_add_sample would leave, one call per sample of
 * `from` in its order (n + m calls of a linear search), in n log n: the
 * same key replaces in place, a new one is appended in `from`'s order. */
static at_status merge_samples(at_workload_profile *wp,
                               const at_workload_profile *sw, at_error *err)
{
    size_t n = wp->n_samples, m = sw->n_samples;
    if (m == 0)
        return AT_OK;
    at_sample *all = realloc(wp->samples, (n + m) * sizeof *all);
    if (!all)
        return at__fail(err, AT_ERR_NOMEM, "out of memory");
    wp->samples = all;
    const at_sample **mine = samples_by_key(all, n);
    const at_sample **theirs = samples_by_key(sw->samples, m);
    const at_sample **added = calloc(m, sizeof *added);
    if (mine && theirs && added) {
        place_samples(all, mine, n, theirs, m, sw->samples, added);
        for (size_t j = 0; j < m; j++)
            if (added[j])
                all[wp->n_samples++] = *added[j];
    }
    at_status s = mine && theirs && added
                      ? AT_OK
                      : at__fail(err, AT_ERR_NOMEM, "out of memory");
    free(mine);
    free(theirs);
    free(added);
    return s;
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
    s = merge_entries(wp, sw, err);
    return s == AT_OK ? merge_samples(wp, sw, err) : s;
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
