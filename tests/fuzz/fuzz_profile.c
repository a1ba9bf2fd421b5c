/*
 * fuzz_profile.c - the libFuzzer target of the profile loader.
 *
 * Every input is a profile text, loaded with at_profile_load_string. A
 * refused one must be refused properly (a syntax or profile error, or out
 * of memory, with a message and the name it was loaded under). A loaded
 * one must keep the promises of autotune.h, each checked here:
 *   - saving (at_profile_to_string) and loading again gives an equal
 *     profile, and saving that gives the same text;
 *   - merging it into a copy of itself, or into an empty profile, gives
 *     it back (merge is idempotent and loses nothing);
 *   - building it again element by element with the tuner's functions
 *     (at_profile_add_machine, _set_entry, ...) gives it back;
 *   - every query of every machine and workload in it, with sizes and
 *     items taken from its own entries, samples and model plus 1 and
 *     10^12, each flag combination, from its own machine, the same
 *     hardware with another BLAS, a stranger and without the profile,
 *     answers a configuration that passes at_config_check and can run on
 *     the job (a model's answer with the model's own prediction); or
 *     fails with the status the header gives for that case, and only
 *     then, saying why.
 * A broken promise prints what broke and aborts, which libFuzzer reports
 * as a crash; AddressSanitizer and UBSan find the rest.
 *
 * `make fuzz [FUZZ_SECONDS=60]` builds this file and the library with
 * clang -fsanitize=fuzzer,address,undefined and runs it (see
 * tests/fuzz/Makefile.inc). Its seeds are referenced where they are, not
 * copied: tests/data/good, tests/data/bad and data/examples, plus
 * tests/fuzz/seeds for what those lack (4096 CPUs, one CPU, vector
 * models, thread mode, numbers of 17 digits: a machine's fields are
 * fingerprinted, so mutations rarely change them and a loadable machine
 * must be given), and tests/fuzz/regressions, the inputs that once broke
 * something, minimised. `make check` replays the regressions and seeds
 * through this file built with the normal compiler (tests/fuzz/replay.c,
 * tests/fuzz/run-replay.sh), where clang is missing too.
 */
#include "autotune.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The name inputs are loaded under, checked in every refusal. */
#define INPUT_NAME "fuzz-input"
/* The largest size and items a profile holds, and so a query may ask. */
#define HUGE_JOB 1000000000000L
/* Entries and samples whose jobs are queried, per workload: enough to
 * reach every source, few enough to keep thousands of inputs a second. */
#define JOBS_PER_LIST 4

static void broken(const char *file, int line, const char *what,
                   const at_error *err)
{
    char buf[1024] = "";
    if (err)
        at_error_format(err, buf, sizeof buf);
    fprintf(stderr, "fuzz_profile: %s:%d: broken promise: %s%s%s\n", file,
            line, what, err ? ": " : "", buf);
    abort();
}

/* Asserts a promise, whatever NDEBUG says: a fuzz target must not go
 * blind in an optimised build. */
#define PROMISE(cond, what)                                                  \
    ((cond) ? (void)0 : broken(__FILE__, __LINE__, (what), NULL))
#define PROMISE_OK(status, err, what)                                        \
    ((status) == AT_OK ? (void)0 : broken(__FILE__, __LINE__, (what), (err)))

/* A failure's record: its code is the status returned and it says why. */
static void check_error(at_status s, const at_error *err)
{
    PROMISE(err->code == s, "the error's code is the status returned");
    PROMISE(memchr(err->message, 0, sizeof err->message) && err->message[0],
            "a failure says why, in a terminated message");
    PROMISE(memchr(err->key, 0, sizeof err->key) &&
                memchr(err->file, 0, sizeof err->file),
            "an error's key and file are terminated");
    char line[1024]; /* formatting reads every field: ASan checks it */
    at_error_format(err, line, sizeof line);
}

static void check_refusal(at_status s, const at_error *err)
{
    PROMISE(s == AT_ERR_SYNTAX || s == AT_ERR_PROFILE || s == AT_ERR_NOMEM,
            "a text is refused as bad YAML or a bad profile");
    check_error(s, err);
    PROMISE(s == AT_ERR_NOMEM || strcmp(err->file, INPUT_NAME) == 0,
            "a refusal names the input");
}

/* ------------------------------------------------------ save and merge */

/* Saves p, loads the text and saves that again: the same data, the same
 * text. Returns the profile loaded (a deep copy of p). */
static at_profile *round_trip(const at_profile *p)
{
    at_error err;
    char *text, *again;
    at_profile *q;
    PROMISE_OK(at_profile_to_string(p, &text, &err), &err,
               "a loaded profile can be saved");
    PROMISE_OK(at_profile_load_string(text, strlen(text), "saved", &q, &err),
               &err, "a saved profile loads");
    PROMISE(at_profile_equal(p, q), "save and load keep every field");
    PROMISE_OK(at_profile_to_string(q, &again, &err), &err,
               "a reloaded profile can be saved");
    PROMISE(strcmp(text, again) == 0, "saving a reloaded profile gives the "
                                      "same text");
    free(text);
    free(again);
    return q;
}

static void check_merges(const at_profile *p, at_profile *copy)
{
    at_error err;
    at_profile *empty;
    PROMISE_OK(at_profile_merge(copy, p, &err), &err,
               "a profile merges into its copy");
    PROMISE(at_profile_equal(copy, p), "merging a profile into a copy of "
                                       "itself changes nothing");
    PROMISE_OK(at_profile_new(&empty, &err), &err, "a new profile");
    PROMISE_OK(at_profile_merge(empty, p, &err), &err,
               "a profile merges into an empty one");
    PROMISE(at_profile_equal(empty, p), "merging into an empty profile "
                                        "gives the profile");
    at_profile_free(empty);
}

/* A workload again through the tuner's functions: the model, the entries
 * backwards (they must come out sorted), the samples in order. */
static void rebuild_workload(at_profile *b, const char *fp,
                             const at_workload_profile *wp)
{
    at_error err;
    const char *name = at_workload_profile_name(wp);
    const at_model *model = at_workload_profile_model(wp);
    PROMISE_OK(at_profile_add_workload(b, fp, name,
                                       at_workload_profile_kind(wp), &err),
               &err, "a loaded workload can be added");
    if (model)
        PROMISE_OK(at_profile_set_model(b, fp, name, model, &err), &err,
                   "a loaded model can be set");
    for (size_t i = at_workload_profile_entry_count(wp); i-- > 0;)
        PROMISE_OK(at_profile_set_entry_scaled(
                       b, fp, name, at_workload_profile_entry_at(wp, i),
                       at_workload_profile_entry_baseline_items(wp, i), &err),
                   &err, "a loaded entry can be set");
    for (size_t i = 0; i < at_workload_profile_sample_count(wp); i++)
        PROMISE_OK(at_profile_add_sample(b, fp, name,
                                         at_workload_profile_sample_at(wp, i),
                                         &err),
                   &err, "a loaded sample can be added");
}

/* What loads can be built, element by element, into an equal profile. */
static void check_rebuild(const at_profile *p)
{
    at_error err;
    at_profile *b;
    PROMISE_OK(at_profile_new(&b, &err), &err, "a new profile");
    for (size_t i = 0; i < at_profile_machine_count(p); i++) {
        const at_machine_profile *mp = at_profile_machine_at(p, i);
        const at_machine *m = at_machine_profile_machine(mp);
        const at_machine_costs *costs = at_machine_profile_costs(mp);
        PROMISE_OK(at_profile_add_machine(b, m, &err), &err,
                   "a loaded machine can be added");
        if (costs)
            PROMISE_OK(at_profile_set_costs(b, m->fingerprint, costs, &err),
                       &err, "loaded costs can be set");
        for (size_t w = 0; w < at_machine_profile_workload_count(mp); w++)
            rebuild_workload(b, m->fingerprint,
                             at_machine_profile_workload_at(mp, w));
    }
    PROMISE(at_profile_equal(b, p), "building a profile element by element "
                                    "gives it");
    at_profile_free(b);
}

/* --------------------------------------------------------------- query */

/* One query's setting: who asks, for which workload, and what the
 * machine of the profile that answers (NULL: none) knows of it. */
typedef struct asker {
    const at_profile *profile;
    const at_machine *machine;
    const char *workload;
    const at_machine_profile *answering;
    const at_workload_profile *known; /* NULL: nothing */
    int exact;                        /* the answering machine is the asker */
} asker;

/* Which machine answers is the library's choice (tests/unit test the
 * rule): a job of one item of size 1 never fails without the flags, so its
 * answer tells. */
static void resolve(asker *a)
{
    at_error err;
    at_query_result r;
    PROMISE_OK(
        at_profile_query(a->profile, a->machine, a->workload, 1, 1, &r, &err),
        &err, "a query of one item of size 1 never fails");
    a->answering = at_profile_find_machine(a->profile, r.machine);
    PROMISE((a->answering != NULL) == (r.match != AT_MATCH_NONE),
            "an answer names the profile's machine that gave it");
    PROMISE(r.match != AT_MATCH_EXACT ||
                strcmp(r.machine, a->machine->fingerprint) == 0,
            "an exact match is the asker's own fingerprint");
    a->exact = r.match == AT_MATCH_EXACT;
    a->known = at_machine_profile_workload(a->answering, a->workload);
}

/* The status the header gives a query, before it runs: AT_ERR_ARG for a
 * kind conflict or a vector job of more than one item; AT_ERR_NOMATCH
 * (strict) unless the asker's own tuned workload answers; else AT_OK. */
static at_status expected_status(const asker *a, long items, int flags,
                                 at_workload_kind *kind)
{
    int vector = (flags & AT_QUERY_VECTOR) != 0;
    const at_workload_profile *wp = a->known;
    *kind = wp       ? at_workload_profile_kind(wp)
            : vector ? AT_KIND_VECTOR
                     : AT_KIND_BATCH;
    if ((vector && *kind != AT_KIND_VECTOR) ||
        (*kind == AT_KIND_VECTOR && items != 1))
        return AT_ERR_ARG;
    int tuned = wp && (at_workload_profile_model(wp) ||
                       at_workload_profile_entry_count(wp) > 0);
    if ((flags & AT_QUERY_STRICT) && !(a->exact && tuned))
        return AT_ERR_NOMATCH;
    return AT_OK;
}

/* The answer runs: it passes at_config_check, has no more workers than
 * tasks, partitions than elements, or chunk than a worker's share; a
 * model's answer carries the model's own prediction of it. */
static void check_answer(const asker *a, const at_query_result *r,
                         at_workload_kind kind, long size, long items)
{
    at_error err;
    const at_config *c = &r->config;
    PROMISE_OK(at_config_check(c, &err), &err,
               "a query's answer passes at_config_check");
    long tasks = kind == AT_KIND_VECTOR ? c->partitions : items;
    PROMISE(kind == AT_KIND_VECTOR ? c->partitions <= size
                                   : c->partitions == 1,
            "an answer has no more partitions than elements (1 for a batch)");
    PROMISE(c->workers <= tasks, "an answer has no more workers than tasks");
    PROMISE(c->chunk_size <= (tasks + c->workers - 1) / c->workers,
            "an answer's chunk fits a worker's share of the tasks");
    PROMISE(memchr(r->reason, 0, sizeof r->reason) && r->reason[0],
            "an answer says why");
    if (r->source != AT_SOURCE_MODEL)
        return;
    const at_machine *m = at_machine_profile_machine(a->answering);
    double own = at_model_predict(at_workload_profile_model(a->known),
                                  at_machine_profile_costs(a->answering),
                                  m->usable_cpus, kind, size, items, c);
    PROMISE(memcmp(&own, &r->predicted_seconds, sizeof own) == 0,
            "a model's answer carries the model's prediction of it");
}

static void query(const asker *a, long size, long items, int flags)
{
    at_error err;
    at_query_result r;
    at_workload_kind kind;
    at_status want = expected_status(a, items, flags, &kind);
    at_status s = at_profile_query_flags(a->profile, a->machine, a->workload,
                                         size, items, flags, &r, &err);
    if (s != want)
        broken(__FILE__, __LINE__,
               want == AT_OK ? "a query the header allows fails"
                             : "a query fails with the status the header "
                               "gives, and only then",
               s == AT_OK ? NULL : &err);
    if (s == AT_OK)
        check_answer(a, &r, kind, size, items);
    else
        check_error(s, &err);
}

/* Every flag combination, and a vector job's forbidden second item. */
static void query_job(const asker *a, long size, long items)
{
    for (int flags = 0; flags <= (AT_QUERY_STRICT | AT_QUERY_VECTOR);
         flags++) {
        query(a, size, items, flags);
        if (items == 1)
            query(a, size, 2, flags);
    }
}

/* A job near one the profile holds: itself, one more of each, and each
 * coordinate with the extremes. */
static void query_near(const asker *a, long size, long items)
{
    query_job(a, size, items);
    query_job(a, size < HUGE_JOB ? size + 1 : size - 1, items);
    query_job(a, size, items < HUGE_JOB ? items + 1 : items - 1);
    query_job(a, size, HUGE_JOB);
    query_job(a, HUGE_JOB, items);
}

/* The extremes, and jobs near those of the workload's entries, samples
 * and model (`wp`, of the machine the asker was made from). */
static void query_workload(const asker *a, const at_workload_profile *wp)
{
    query_job(a, 1, 1);
    query_job(a, 1, HUGE_JOB);
    query_job(a, HUGE_JOB, 1);
    query_job(a, HUGE_JOB, HUGE_JOB);
    for (size_t i = 0;
         i < at_workload_profile_entry_count(wp) && i < JOBS_PER_LIST; i++) {
        const at_entry *e = at_workload_profile_entry_at(wp, i);
        query_near(a, e->size, e->items);
    }
    for (size_t i = 0;
         i < at_workload_profile_sample_count(wp) && i < JOBS_PER_LIST; i++) {
        const at_sample *smp = at_workload_profile_sample_at(wp, i);
        query_near(a, smp->size, smp->items);
    }
    double ref;
    const at_model *model = at_workload_profile_model(wp);
    if (model && at_model_get(model, "ref_size", &ref, NULL) == AT_OK)
        query_near(a, (long)ref, 8);
}

/* The machine's workloads asked by `me`, and one it lacks. */
static void query_as(const at_profile *p, const at_machine_profile *mp,
                     const at_machine *me)
{
    asker a = {.profile = p, .machine = me, .workload = "fuzz-unknown"};
    resolve(&a);
    query_job(&a, 1000, 8);
    query_job(&a, HUGE_JOB, HUGE_JOB);
    for (size_t w = 0; w < at_machine_profile_workload_count(mp); w++) {
        const at_workload_profile *wp = at_machine_profile_workload_at(mp, w);
        a.workload = at_workload_profile_name(wp);
        resolve(&a);
        query_workload(&a, wp);
    }
}

/* Each machine asked by itself, by its hardware with another BLAS and by
 * a stranger; and with no profile at all. */
static void query_machines(const at_profile *p)
{
    for (size_t i = 0; i < at_profile_machine_count(p); i++) {
        const at_machine_profile *mp = at_profile_machine_at(p, i);
        at_machine me = *at_machine_profile_machine(mp);
        query_as(p, mp, &me);
        snprintf(me.blas_vendor, sizeof me.blas_vendor, "fuzzblas");
        at_machine_fingerprint(&me);
        query_as(p, mp, &me);
        snprintf(me.cpu_model, sizeof me.cpu_model, "fuzz stranger");
        at_machine_fingerprint(&me);
        query_as(p, mp, &me);
        query_as(NULL, mp, &me);
    }
}

/* ---------------------------------------------------------------- entry */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    at_error err;
    at_profile *p;
    at_status s = at_profile_load_string((const char *)data, size, INPUT_NAME,
                                         &p, &err);
    if (s != AT_OK) {
        check_refusal(s, &err);
        return 0;
    }
    at_profile *copy = round_trip(p);
    check_merges(p, copy);
    check_rebuild(p);
    query_machines(p);
    at_profile_free(copy);
    at_profile_free(p);
    return 0;
}
