/* test_argmin.c - at__model_argmin against the brute force it replaces:
 * the whole search space (at_space_enumerate) ranked by at_model_predict,
 * keeping the first strict minimum. Both the time (bit for bit) and the
 * configuration must agree, ties included, over many random models and
 * costs drawn from a fixed seed, and over a table of degenerate ones. */
#include "config.h"

#include "testutil.h"

#include "internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------- drawing */

static uint64_t rng = 0x5eed2026a7b1c3d5u;

/* splitmix64: deterministic, so a failure is reproduced by re-running. */
static uint64_t next_u64(void)
{
    uint64_t z = (rng += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static double uniform(double lo, double hi)
{
    return lo + (hi - lo) * ((next_u64() >> 11) * 0x1.0p-53);
}

/* `special` with probability p (exact values make ties), else uniform. */
static double sometimes(double special, double p, double lo, double hi)
{
    return uniform(0, 1) < p ? special : uniform(lo, hi);
}

/* The parameters random_model draws by hand. Any other, a parameter
 * added to the model since, is drawn over its range: an argmin that has
 * not learnt it then disagrees with the brute force. */
static const char *const drawn[] = {
    "ref_size",          "compute_s",       "exponent",
    "parallel_fraction", "contention",      "oversub",
    "thread_factor",     "unpinned_spread", "dispatch_s"};

static void draw_the_rest(at_model *m)
{
    for (size_t i = 0; i < at_model_param_count(); i++) {
        const char *name = at_model_param_name(i);
        size_t k = 0;
        while (k < sizeof drawn / sizeof *drawn && strcmp(drawn[k], name))
            k++;
        double lo, hi;
        if (k == sizeof drawn / sizeof *drawn &&
            at_model_range(name, &lo, &hi, NULL) == AT_OK)
            at_model_set(m, name, uniform(lo, fmin(hi, lo + 1)), NULL);
    }
}

static at_model random_model(void)
{
    at_model m = {.ref_size = 1000};
    m.compute_s = exp(uniform(log(1e-4), log(10)));
    /* mostly 1..3, often exactly 1, 2 or 3 (1: a vector workload's
     * nominal exponent), at times anywhere in the documented 0..4 */
    double e = uniform(0, 1);
    if (e < 0.2)
        m.exponent = (double)(1 + next_u64() % 3);
    else
        m.exponent = e < 0.3 ? uniform(0, 4) : uniform(1, 3);
    m.parallel_fraction = uniform(0, 1) < 0.15 ? 1 : sometimes(0, 0.18, 0, 1);
    m.contention = sometimes(0, 0.15, 0, 0.3);
    m.oversub = uniform(0, 1);
    m.thread_factor = sometimes(1, 0.1, 0.8, 1.5);
    m.unpinned_spread = uniform(0, 1) < 0.15 ? 1 : sometimes(0, 0.18, 0, 1);
    m.dispatch_s = sometimes(0, 0.2, 0, 1e-3);
    draw_the_rest(&m);
    return m;
}

static at_transport_cost random_transport(void)
{
    at_transport_cost t;
    /* one statement each: the draws must come in a fixed order */
    t.latency_us = sometimes(0, 0.1, 0.5, 100);
    t.gbytes_per_s = sometimes(0, 0.5, 0.5, 20);
    return t;
}

/* Random costs, or NULL one time in four. */
static const at_machine_costs *random_costs(at_machine_costs *c)
{
    if (next_u64() % 4 == 0)
        return NULL;
    c->pipe = random_transport();
    c->shm = random_transport();
    c->thread = random_transport();
    c->process_start_us = 600;
    c->thread_start_us = 30;
    return c;
}

/* --------------------------------------------------------- comparison */

typedef struct job {
    at_workload_kind kind;
    long size, items;
    int cpus;
    size_t n;
    at_config *space;
} job;

static job job_new(at_workload_kind kind, long size, long items, int cpus)
{
    job j = {kind, size, items, cpus, 0, NULL};
    j.n = at_space_enumerate(kind, size, items, cpus, 0, NULL, 0);
    j.space = calloc(j.n ? j.n : 1, sizeof *j.space);
    assert_non_null(j.space);
    assert_int_equal(
        at_space_enumerate(kind, size, items, cpus, 0, j.space, j.n), j.n);
    return j;
}

/* What at_profile_query did before at__model_argmin: rank every
 * configuration, the first strict minimum wins. */
static void brute_force(const at_model *m, const at_machine_costs *costs,
                        const job *j, at_config *best, double *seconds)
{
    *seconds = HUGE_VAL;
    for (size_t i = 0; i < j->n; i++) {
        double t = at_model_predict(m, costs, j->cpus, j->kind, j->size,
                                    j->items, &j->space[i]);
        if (t < *seconds) {
            *seconds = t;
            *best = j->space[i];
        }
    }
}

static void print_config(const char *what, const at_config *c, double t)
{
    print_error("%s: %.17g s: workers %d %s threads %d chunk %d "
                "partitions %d %s %s\n",
                what, t, c->workers, at_mode_name(c->mode), c->blas_threads,
                c->chunk_size, c->partitions, at_transport_name(c->transport),
                at_pin_name(c->pin));
}

static long compared;

static void check(const at_model *m, const at_machine_costs *costs,
                  const job *j)
{
    at_config want = {0}, got = {0};
    double t_want, t_got;
    brute_force(m, costs, j, &want, &t_want);
    assert_int_equal(at__model_argmin(m, costs, j->cpus, j->kind, j->size,
                                      j->items, &got, &t_got),
                     1);
    compared++;
    if (memcmp(&t_got, &t_want, sizeof t_got) == 0 &&
        memcmp(&got, &want, sizeof got) == 0)
        return;
    print_error("%s size %ld items %ld on %d CPUs, %s costs; model "
                "compute_s %.17g exponent %.17g parallel_fraction %.17g "
                "contention %.17g oversub %.17g thread_factor %.17g "
                "unpinned_spread %.17g dispatch_s %.17g\n",
                j->kind == AT_KIND_BATCH ? "batch" : "vector", j->size,
                j->items, j->cpus, costs ? "with" : "no", m->compute_s,
                m->exponent, m->parallel_fraction, m->contention, m->oversub,
                m->thread_factor, m->unpinned_spread, m->dispatch_s);
    print_config("brute force", &want, t_want);
    print_config("argmin", &got, t_got);
    fail();
}

/* ------------------------------------------------------------- tests */

static void test_random_models(void **state)
{
    (void)state;
    static const int cpus[] = {1, 2, 3, 4, 6, 8, 16, 33, 64};
    static const long items[] = {1, 2, 3, 7, 16, 100, 1000};
    static const long batch_sizes[] = {200, 1000, 3000};
    static const long vector_sizes[] = {1, 2, 5, 100, 10000000};
    enum { MODELS = 40 };
    long before = compared;
    for (size_t c = 0; c < sizeof cpus / sizeof cpus[0]; c++) {
        job jobs[7 + 5];
        int n = 0;
        for (size_t i = 0; i < 7; i++)
            jobs[n++] = job_new(AT_KIND_BATCH, batch_sizes[(c + i) % 3],
                                items[i], cpus[c]);
        for (size_t i = 0; i < 5; i++)
            jobs[n++] = job_new(AT_KIND_VECTOR, vector_sizes[i], 1, cpus[c]);
        for (int k = 0; k < n; k++) {
            for (int r = 0; r < MODELS; r++) {
                at_model m = random_model();
                at_machine_costs storage;
                check(&m, random_costs(&storage), &jobs[k]);
            }
            free(jobs[k].space);
        }
    }
    print_message("# %ld random models compared with the brute force\n",
                  compared - before);
}

/* Models made of ties and edges: nothing to compute, perfect or no
 * parallelism, no contention, no spreading, free messages; and models
 * outside the documented ranges, which argmin ranks without pruning. */
static void test_model_table(void **state)
{
    (void)state;
    static const at_model models[] = {
        /* the svd model of data/examples/with-model.yaml */
        TEST_MODEL(1000, 0.47, 2.9, 0.62, 0.04, 0.15, 1.12, 0.97, 2e-4),
        TEST_MODEL(1000, 0, 2, 0.5, 0.1, 0.1, 1, 1, 0), /* all zero */
        TEST_MODEL(1000, 1, 1, 0, 0, 0, 1, 1, 0),       /* no speedup */
        TEST_MODEL(1000, 1, 1, 1, 0, 0, 1, 1, 0),       /* perfect */
        TEST_MODEL(1000, 1, 2, 1, 0, 0, 1, 0, 0),       /* never spreads */
        TEST_MODEL(1000, 1e-3, 1, 0.3, 0, 0, 0.8, 0.5, 1e-3),
        TEST_MODEL(1000, 5, 3, 0.9, 0.3, 1, 1.5, 0, 1e-3),
        TEST_MODEL(1000, 0.01, 0.5, 0.5, 0.01, 0, 1, 0.7, 1e-4), /* e < 1 */
        TEST_MODEL(1, 1e-4, 4, 0.99, 100, 100, 100, 1, 10), /* range ends */
        TEST_MODEL(1000, 0.1, 1, 1.2, 0.05, 0, 1, 1, 0),    /* f > 1 */
        TEST_MODEL(1000, 0.1, 2, 0.5, -0.05, 0, 1, 1, 0), /* contention < 0 */
        TEST_MODEL(1000, 0.1, 5, 0.5, 0.05, 0, 0, 2, 0),  /* way out */
    };
    static const at_machine_costs costs[] = {
        {{18.5, 1.9}, {9.2, 0}, {1.1, 0}, 650, 35},
        {{0, 0}, {0, 0}, {0, 0}, 0, 0},    /* free messages: ties */
        {{50, 0}, {50, 0}, {50, 0}, 0, 0}, /* all transports alike */
        {{-3, 1}, {1, -2}, {1, 0}, 0, 0},  /* out of range */
    };
    static const struct {
        at_workload_kind kind;
        long size, items;
        int cpus;
    } jobs[] = {
        {AT_KIND_BATCH, 1500, 16, 2},     {AT_KIND_BATCH, 1000, 1, 1},
        {AT_KIND_BATCH, 1000, 5, 3},      {AT_KIND_BATCH, 500, 64, 12},
        {AT_KIND_BATCH, 10, 9000000, 2}, /* chunks cut at AT_MAX_CHUNK */
        {AT_KIND_BATCH, 1000, 100, 0},   /* no CPUs: taken as one */
        {AT_KIND_VECTOR, 10000000, 1, 2}, {AT_KIND_VECTOR, 3, 1, 8},
        {AT_KIND_VECTOR, 1000, 1, 24},    {AT_KIND_VECTOR, 10000000, 1, -3},
    };
    long before = compared;
    for (size_t k = 0; k < sizeof jobs / sizeof jobs[0]; k++) {
        job j =
            job_new(jobs[k].kind, jobs[k].size, jobs[k].items, jobs[k].cpus);
        for (size_t i = 0; i < sizeof models / sizeof models[0]; i++) {
            check(&models[i], NULL, &j);
            for (size_t c = 0; c < sizeof costs / sizeof costs[0]; c++)
                check(&models[i], &costs[c], &j);
        }
        free(j.space);
    }
    print_message("# %ld table cases compared with the brute force\n",
                  compared - before);
}

/* A bigger machine, fewer models: the pruning has more to prune. */
static void test_many_cpus(void **state)
{
    (void)state;
    static const struct {
        at_workload_kind kind;
        long size, items;
    } jobs[] = {{AT_KIND_BATCH, 1000, 1000},
                {AT_KIND_BATCH, 300, 37},
                {AT_KIND_VECTOR, 10000000, 1}};
    long before = compared;
    for (size_t k = 0; k < sizeof jobs / sizeof jobs[0]; k++) {
        job j = job_new(jobs[k].kind, jobs[k].size, jobs[k].items, 128);
        for (int r = 0; r < 16; r++) {
            at_model m = random_model();
            at_machine_costs storage;
            check(&m, random_costs(&storage), &j);
        }
        free(j.space);
    }
    print_message("# %ld cases on 128 CPUs compared with the brute force\n",
                  compared - before);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_models),
        cmocka_unit_test(test_model_table),
        cmocka_unit_test(test_many_cpus),
    };
    return cmocka_run_group_tests_name("argmin", tests, NULL, NULL);
}
