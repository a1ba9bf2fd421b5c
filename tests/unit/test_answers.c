/* test_answers.c - every answer can run. A property test: for many jobs
 * (batch and vector, sizes and item counts from 1 to 10^12) on machines of
 * 1 to 4,096 usable CPUs, and profiles that make every source answer
 * (fallback, entry, nearest, model, and a hardware-only match), the
 * configuration passes at_config_check and the very check at_pool_run
 * applies to a job (at__check_job), never has more workers than tasks;
 * and those small enough run for real through at_pool_create and
 * at_pool_run, their results checked. */
#include "config.h"

#include "testutil.h"

#include "pool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static at_machine machine_of(int cpus, const char *blas)
{
    at_machine m;
    memset(&m, 0, sizeof m);
    strcpy(m.cpu_model, "Property CPU");
    strcpy(m.arch, "x86_64");
    m.usable_cpus = m.cores = cpus;
    m.sockets = m.numa_nodes = 1;
    strcpy(m.blas_vendor, blas);
    strcpy(m.blas_version, "0.3.21");
    strcpy(m.blas_corename, "Haswell");
    strcpy(m.blas_threading, "pthreads");
    at_machine_fingerprint(&m);
    return m;
}

/* Entries whose configurations do not fit most other jobs: nearest must
 * make them fit. */
static void add_entries(at_profile *p, const at_machine *m)
{
    int w = m->usable_cpus;
    at_entry batch = {.size = 1000,
                      .items = 16,
                      .seconds = 1,
                      .measured = "2026-01-01T00:00:00Z",
                      .best = AT_CONFIG_INIT(w, AT_MODE_PROCESS, 1, 8, 1,
                                             AT_TRANSPORT_SHM, AT_PIN_CORES),
                      .baselines = {-1, -1, -1, -1}};
    at_entry vector = batch;
    vector.size = 10000000;
    vector.items = 1;
    vector.best.partitions = 64 * w < AT_MAX_PARTITIONS ? 64 * w : w;
    vector.best.chunk_size = 16;
    assert_at_ok(at_profile_add_workload(p, m->fingerprint, "svd",
                                         AT_KIND_BATCH, NULL),
                 NULL);
    assert_at_ok(at_profile_add_workload(p, m->fingerprint, "exp",
                                         AT_KIND_VECTOR, NULL),
                 NULL);
    assert_at_ok(at_profile_set_entry(p, m->fingerprint, "svd", &batch, NULL),
                 NULL);
    assert_at_ok(
        at_profile_set_entry(p, m->fingerprint, "exp", &vector, NULL), NULL);
}

static void add_models(at_profile *p, const at_machine *m)
{
    at_model model = {.ref_size = 1000,
                      .compute_s = 0.05,
                      .exponent = 3,
                      .parallel_fraction = 0.7,
                      .contention = 0.02,
                      .oversub = 0.3,
                      .thread_factor = 1.05,
                      .unpinned_spread = 0.8,
                      .dispatch_s = 1e-5,
                      .error = 0.05,
                      .fitted = "2026-01-01T00:00:00Z"};
    assert_at_ok(at_profile_set_model(p, m->fingerprint, "svd", &model, NULL),
                 NULL);
    model.ref_size = 1e7;
    model.exponent = 1;
    assert_at_ok(at_profile_set_model(p, m->fingerprint, "exp", &model, NULL),
                 NULL);
    at_machine_costs costs = {{20, 2}, {15, 0}, {5, 0}, 200, 30};
    assert_at_ok(at_profile_set_costs(p, m->fingerprint, &costs, NULL), NULL);
}

static int add_one(const void *in, void *out, const void *arg)
{
    (void)arg;
    *(double *)out = *(const double *)in + 1;
    return 0;
}

static int add_span(const void *in, void *out, size_t n, const void *arg)
{
    (void)arg;
    for (size_t i = 0; i < n; i++)
        ((double *)out)[i] = ((const double *)in)[i] + 1;
    return 0;
}

/* The job at_pool_run would get for this answer (data not yet there). */
static at_job job_of(const at_config *c, at_workload_kind kind, long size,
                     long items, double *in, double *out)
{
    return (at_job){.kind = kind,
                    .item = add_one,
                    .span = add_span,
                    .in = in,
                    .out = out,
                    .in_bytes = sizeof(double),
                    .out_bytes = sizeof(double),
                    .count = kind == AT_KIND_BATCH ? items : size,
                    .chunk_size = c->chunk_size,
                    .partitions = c->partitions,
                    .deadline = 10};
}

/* Runs the answer for real on a job of `count` doubles. */
static void run_for_real(const at_config *c, at_job job)
{
    double *in = malloc(job.count * sizeof *in);
    double *out = calloc(job.count, sizeof *out);
    assert_non_null(in);
    assert_non_null(out);
    for (long i = 0; i < job.count; i++)
        in[i] = (double)i;
    job.in = in;
    job.out = out;
    at_pool *pool;
    at_error err;
    assert_at_ok(at_pool_create(c, &pool, &err), &err);
    assert_at_ok(at_pool_run(pool, &job, NULL, &err), &err);
    for (long i = 0; i < job.count; i++)
        assert_true(out[i] == (double)i + 1);
    at_pool_free(pool);
    free(in);
    free(out);
}

typedef struct tally {
    long checked, ran, by_source[4];
} tally;

static void check_answer(const at_profile *p, const at_machine *m,
                         const char *workload, at_workload_kind kind,
                         long size, long items, tally *t)
{
    at_query_result r;
    at_error err;
    long tasks;
    double dummy;
    /* the caller says a vector job is one: no profile knows it here */
    int flags = kind == AT_KIND_VECTOR ? AT_QUERY_VECTOR : 0;
    assert_at_ok(
        at_profile_query_flags(p, m, workload, size, items, flags, &r, &err),
        &err);
    const at_config *c = &r.config;
    at_job job = job_of(c, kind, size, items, &dummy, &dummy);
    if (at_config_check(c, &err) != AT_OK ||
        at__check_job(&job, &tasks, &err) != AT_OK || c->workers > tasks)
        fail_msg("%s size %ld items %ld on %d CPUs (%s): workers %d "
                 "chunk %d partitions %d: %s",
                 workload, size, items, m->usable_cpus,
                 at_source_name(r.source), c->workers, c->chunk_size,
                 c->partitions, err.message);
    t->checked++;
    t->by_source[r.source]++;
    if (job.count <= 4096 && c->workers <= 8) {
        run_for_real(c, job);
        t->ran++;
    }
}

static const long batch_sizes[] = {1, 50, 1000};
static const long batch_items[] = {
    1, 2, 3, 7, 16, 64, 1000, 9000000, 1000000000000L};
static const long vector_sizes[] = {1,  2,    3,        5,
                                    64, 1000, 10000000, 1000000000000L};
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static void check_profile(const at_profile *p, const at_machine *m, tally *t)
{
    for (size_t s = 0; s < COUNT(batch_sizes); s++)
        for (size_t i = 0; i < COUNT(batch_items); i++)
            check_answer(p, m, "svd", AT_KIND_BATCH, batch_sizes[s],
                         batch_items[i], t);
    for (size_t s = 0; s < COUNT(vector_sizes); s++)
        check_answer(p, m, "exp", AT_KIND_VECTOR, vector_sizes[s], 1, t);
}

static void test_every_answer_runs(void **state)
{
    (void)state;
    static const int cpus[] = {1, 2, 3, 4, 8, 16, 64, 256, 4096};
    tally t = {0};
    for (size_t k = 0; k < COUNT(cpus); k++) {
        at_machine m = machine_of(cpus[k], "openblas");
        at_machine other_blas = machine_of(cpus[k], "blis");
        at_profile *entries, *models;
        assert_at_ok(at_profile_new(&entries, NULL), NULL);
        assert_at_ok(at_profile_add_machine(entries, &m, NULL), NULL);
        add_entries(entries, &m);
        assert_at_ok(at_profile_new(&models, NULL), NULL);
        assert_at_ok(at_profile_add_machine(models, &m, NULL), NULL);
        add_entries(models, &m);
        add_models(models, &m);
        check_profile(NULL, &m, &t);            /* fallback */
        check_profile(entries, &m, &t);         /* entry, nearest */
        check_profile(models, &m, &t);          /* entry, model */
        check_profile(models, &other_blas, &t); /* hardware match */
        at_profile_free(entries);
        at_profile_free(models);
    }
    print_message("%ld answers checked (%ld fallback, %ld entry, %ld model, "
                  "%ld nearest), %ld of them run in a pool\n",
                  t.checked, t.by_source[AT_SOURCE_FALLBACK],
                  t.by_source[AT_SOURCE_ENTRY], t.by_source[AT_SOURCE_MODEL],
                  t.by_source[AT_SOURCE_NEAREST], t.ran);
    for (int s = 0; s < 4; s++)
        assert_true(t.by_source[s] > 0); /* every source was exercised */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_answer_runs),
    };
    return cmocka_run_group_tests_name("answers", tests, NULL, NULL);
}
