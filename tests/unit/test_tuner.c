/* test_tuner.c - the tuner's arithmetic on synthetic measurements, so no
 * timing is involved: the GSL fit recovers a known model (exact and
 * noisy samples, one size and two), trials become one sample per
 * configuration (the interquartile mean of its rounds; a spread nobody
 * measured stays unknown), a resumed run adds to the profile what it
 * measured, merged with what it resumed of it, and the baselines are the
 * ones the design notes define. */
#include "config.h"

#include "testutil.h"

#include "search.h"

#include "internal.h" /* struct at_model: true models built by hand */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const at_machine_costs costs = {
    {20.0, 5.0}, /* pipe: 20 us a message, 5 GB/s */
    {12.0, 0},   /* shm */
    {0.3, 0},    /* thread */
    200.0,       /* process start, us */
    15.0,        /* thread start, us */
};

/* A batch workload like svd, and a vector one like exp. */
static const at_model batch_truth =
    TEST_MODEL(1000, 0.30, 3.0, 0.60, 0.05, 0.30, 1.02, 0.90, 1e-4);
/* A user's program: svd's compute, and messages and pipes far dearer
 * than the machine's (a pickling pool). */
static at_model program_truth;

static void make_program_truth(void)
{
    program_truth = batch_truth;
    program_truth.message_s = 3e-3;
    program_truth.copy_s = 8e-3;
}

static const at_model vector_truth =
    TEST_MODEL(1e7, 0.0085, 1.0, 0.05, 0.10, 0.50, 1.00, 0.30, 2e-4);

/* A seeded normal deviate (Box-Muller on a 64-bit LCG): the "noise" of
 * the noisy tests is the same in every run. */
static double normal(uint64_t *state)
{
    double u[2];
    for (int i = 0; i < 2; i++) {
        *state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
        u[i] = ((double)(*state >> 11) + 0.5) / 9007199254740992.0;
    }
    return sqrt(-2 * log(u[0])) * cos(2 * M_PI * u[1]);
}

/* The whole search space of a job; the caller frees it. */
static at_config *space_of(at_workload_kind kind, long size, long items,
                           int cpus, size_t *n)
{
    *n = at_space_enumerate(kind, size, items, cpus, AT_SPACE_OVERSUBSCRIBE,
                            NULL, 0);
    at_config *space = malloc(*n * sizeof *space);
    assert_non_null(space);
    at_space_enumerate(kind, size, items, cpus, AT_SPACE_OVERSUBSCRIBE, space,
                       *n);
    return space;
}

/* Samples of every `every`-th configuration (from `first`) of the space,
 * timed by the true model times exp(noise * N(0,1)). */
static size_t make_samples(const at_model *truth, at_workload_kind kind,
                           int cpus, long size, long items, size_t first,
                           size_t every, double noise, uint64_t *rng,
                           at_sample *out)
{
    size_t n, k = 0;
    at_config *space = space_of(kind, size, items, cpus, &n);
    for (size_t i = first; i < n; i += every) {
        double t = at_model_predict(truth, &costs, cpus, kind, size, items,
                                    &space[i]);
        out[k++] = (at_sample){.size = size,
                               .items = items,
                               .config = space[i],
                               .seconds = t * exp(noise * normal(rng))};
    }
    free(space);
    return k;
}

/* The largest relative error of `m` against the truth over the space. */
static double worst_error(const at_model *m, const at_model *truth,
                          at_workload_kind kind, int cpus, long size,
                          long items)
{
    size_t n;
    at_config *space = space_of(kind, size, items, cpus, &n);
    double worst = 0;
    for (size_t i = 0; i < n; i++) {
        double want = at_model_predict(truth, &costs, cpus, kind, size, items,
                                       &space[i]);
        double got =
            at_model_predict(m, &costs, cpus, kind, size, items, &space[i]);
        worst = fmax(worst, fabs(got - want) / want);
    }
    free(space);
    return worst;
}

typedef struct fit_case {
    const char *name;
    const at_model *truth;
    at_workload_kind kind;
    int cpus;
    long size, items;
    size_t every;  /* fit on every n-th configuration of the space */
    double noise;  /* log-normal sigma of the samples */
    double within; /* largest error allowed over the whole space */
    int transfer;  /* a program's own transfer costs: fitted */
} fit_case;

/* Every n-th configuration still holds serial ones with several threads
 * (else nothing measures the parallel fraction, and its prior keeps it
 * at 0.5, as it should). */
static const fit_case fit_cases[] = {
    /* exact samples: the fit must find the model again */
    {"batch, 2 CPUs, exact", &batch_truth, AT_KIND_BATCH, 2, 1000, 16, 3, 0,
     0.005, 0},
    {"batch, 4 CPUs, exact", &batch_truth, AT_KIND_BATCH, 4, 1000, 16, 2, 0,
     0.005, 0},
    {"vector, 2 CPUs, exact", &vector_truth, AT_KIND_VECTOR, 2, 10000000, 1,
     3, 0, 0.005, 0},
    /* 3% noise: the model predicts what it never saw within a few % */
    {"batch, 2 CPUs, 3% noise", &batch_truth, AT_KIND_BATCH, 2, 1000, 16, 2,
     0.03, 0.05, 0},
    {"vector, 2 CPUs, 3% noise", &vector_truth, AT_KIND_VECTOR, 2, 10000000,
     1, 3, 0.03, 0.05, 0},
    /* a user's program: its own message and pipe costs, fitted */
    {"program, 2 CPUs, exact", &program_truth, AT_KIND_BATCH, 2, 1000, 16, 2,
     0, 0.005, 1},
    {"program, 2 CPUs, 3% noise", &program_truth, AT_KIND_BATCH, 2, 1000, 16,
     2, 0.03, 0.05, 1},
};

static void test_fit_recovers_model(void **state)
{
    (void)state;
    at_sample s[2048];
    make_program_truth();
    for (size_t c = 0; c < sizeof fit_cases / sizeof *fit_cases; c++) {
        const fit_case *fc = &fit_cases[c];
        uint64_t rng = 12345;
        size_t n = make_samples(fc->truth, fc->kind, fc->cpus, fc->size,
                                fc->items, 0, fc->every, fc->noise, &rng, s);
        assert_true(n > 8 && n < sizeof s / sizeof *s);
        fit_problem pb = {.kind = fc->kind,
                          .cpus = fc->cpus,
                          .costs = &costs,
                          .ref_size = fc->truth->ref_size,
                          .exponent = fc->truth->exponent,
                          .fit_transfer = fc->transfer};
        at_model m;
        at_error err;
        assert_at_ok(fit_model(&pb, s, n, &m, &err), &err);
        double worst = worst_error(&m, fc->truth, fc->kind, fc->cpus,
                                   fc->size, fc->items);
        if (worst > fc->within)
            fail_msg("%s: worst error %.4f over the space (allowed %.3f)",
                     fc->name, worst, fc->within);
    }
}

/* Two sizes, the exponent free: the model predicts a third size. */
static void test_fit_grows_with_size(void **state)
{
    (void)state;
    at_sample s[512];
    uint64_t rng = 99;
    size_t n = make_samples(&batch_truth, AT_KIND_BATCH, 2, 500, 16, 0, 2,
                            0.02, &rng, s);
    n += make_samples(&batch_truth, AT_KIND_BATCH, 2, 1000, 16, 1, 2, 0.02,
                      &rng, s + n);
    fit_problem pb = {.kind = AT_KIND_BATCH,
                      .cpus = 2,
                      .costs = &costs,
                      .ref_size = 1000,
                      .exponent = 2.5,
                      .fit_exponent = 1};
    at_model m;
    at_error err;
    assert_at_ok(fit_model(&pb, s, n, &m, &err), &err);
    assert_true(fabs(m.exponent - batch_truth.exponent) < 0.1);
    double worst = worst_error(&m, &batch_truth, AT_KIND_BATCH, 2, 1500, 16);
    if (worst > 0.05)
        fail_msg("size 1500: worst error %.4f (allowed 0.05)", worst);
}

static void test_fit_error_is_median(void **state)
{
    (void)state;
    /* predictions 0%, 10%, 20% and 50% off: the median is 15% */
    at_sample s[4];
    double off[4] = {1.0, 1.1, 1.2, 1.5};
    at_config serial = AT_CONFIG_INIT(1, AT_MODE_PROCESS, 1, 1, 1,
                                      AT_TRANSPORT_SHM, AT_PIN_NONE);
    fit_problem pb = {.kind = AT_KIND_BATCH,
                      .cpus = 2,
                      .costs = &costs,
                      .ref_size = 1000,
                      .exponent = 3};
    for (int i = 0; i < 4; i++) {
        s[i] = (at_sample){.size = 1000, .items = i + 1, .config = serial};
        s[i].seconds = at_model_predict(&batch_truth, &costs, 2,
                                        AT_KIND_BATCH, 1000, i + 1, &serial) /
                       off[i];
    }
    double e = fit_error(&pb, &batch_truth, s, 4);
    assert_true(fabs(e - (0.2 + 0.1) / 2) < 1e-9);
    assert_true(fit_error(&pb, &batch_truth, s, 0) == 0);
}

static void test_fit_needs_samples(void **state)
{
    (void)state;
    fit_problem pb = {.kind = AT_KIND_BATCH,
                      .cpus = 2,
                      .costs = &costs,
                      .ref_size = 1000,
                      .exponent = 3};
    at_model m = batch_truth;
    at_error err;
    assert_int_equal(fit_model(&pb, NULL, 0, &m, &err), AT_ERR_ARG);
    assert_string_equal(err.message, "no samples to fit the model on");
    assert_true(m.compute_s == batch_truth.compute_s); /* untouched */
}

/* ------------------------------------------------------------ samples */

#define A                                                                    \
    {                                                                        \
        .workers = 2, .mode = AT_MODE_PROCESS, .blas_threads = 1,            \
        .chunk_size = 1, .partitions = 1, .transport = AT_TRANSPORT_SHM,     \
        .pin = AT_PIN_CORES                                                  \
    }
#define B                                                                    \
    {                                                                        \
        .workers = 2, .mode = AT_MODE_THREAD, .blas_threads = 1,             \
        .chunk_size = 1, .partitions = 1, .transport = AT_TRANSPORT_SHM,     \
        .pin = AT_PIN_CORES                                                  \
    }

typedef struct trial_row {
    at_config config;
    long items;
    double seconds;
    phase ph;
    int failed;
    double spread; /* of its runs; NAN: it ran once */
} trial_row;

/* The rows as trials of a log of size-1000 jobs; the caller frees
 * log->t. */
static void fill_log(const trial_row *rows, size_t n, trial_log *log)
{
    *log = (trial_log){NULL, 0, 0};
    for (size_t i = 0; i < n; i++) {
        trial t = {.sample = {.size = 1000,
                              .items = rows[i].items,
                              .config = rows[i].config,
                              .seconds = rows[i].failed ? 0 : rows[i].seconds,
                              .spread = rows[i].spread},
                   .failed = rows[i].failed,
                   .phase = rows[i].ph};
        assert_non_null(trial_log_add(log, &t));
    }
}

/* Rounds of A and B, a design point of A on 2 items, a failed trial and
 * a resumed one. */
static const trial_row rows[] = {
    {A, 16, 3.0, PHASE_FINALS, 0}, {B, 16, 2.0, PHASE_FINALS, 0},
    {A, 16, 1.0, PHASE_FINALS, 0}, {B, 16, 2.4, PHASE_FINALS, 0},
    {A, 16, 2.0, PHASE_FINALS, 0}, {A, 2, 0.5, PHASE_DESIGN, 0},
    {B, 16, 9.0, PHASE_FINALS, 1}, {B, 2, 0.7, PHASE_RESUMED, 0},
};

typedef struct samples_case {
    unsigned phases;
    size_t n;
    struct {
        at_config config;
        long items;
        double seconds, spread;
    } want[4];
} samples_case;

static const samples_case samples_cases[] = {
    /* A's three rounds: median 2, range 2/2; B's two (the failed one is
     * not a time): 2.2, range 0.4/2.2 */
    {PHASE_BIT(PHASE_FINALS),
     2,
     {{A, 16, 2.0, 1.0}, {B, 16, 2.2, 0.4 / 2.2}}},
    {PHASE_BIT(PHASE_DESIGN), 1, {{A, 2, 0.5, 0}}},
    {PHASES_ALL & ~PHASE_BIT(PHASE_RESUMED),
     3,
     {{A, 2, 0.5, 0}, {A, 16, 2.0, 1.0}, {B, 16, 2.2, 0.4 / 2.2}}},
    {PHASES_ALL,
     4,
     {{A, 2, 0.5, 0},
      {B, 2, 0.7, 0},
      {A, 16, 2.0, 1.0},
      {B, 16, 2.2, 0.4 / 2.2}}},
    {0, 0, {{A, 0, 0, 0}}},
};

/* out[0..n) against the case's samples: ordered by job, then config; an
 * unknown spread (NAN) only where one is expected. */
static void check_samples(const at_sample *out, size_t n,
                          const samples_case *sc)
{
    assert_int_equal(n, sc->n);
    for (size_t i = 0; i < n; i++) {
        assert_memory_equal(&out[i].config, &sc->want[i].config,
                            sizeof out[i].config);
        assert_int_equal(out[i].size, 1000);
        assert_int_equal(out[i].items, sc->want[i].items);
        assert_true(fabs(out[i].seconds - sc->want[i].seconds) < 1e-12);
        if (isnan(sc->want[i].spread))
            assert_true(isnan(out[i].spread));
        else
            assert_true(fabs(out[i].spread - sc->want[i].spread) < 1e-12);
    }
}

static void test_trial_samples(void **state)
{
    (void)state;
    trial_log log;
    fill_log(rows, sizeof rows / sizeof *rows, &log);
    at_sample out[sizeof rows / sizeof *rows];
    for (size_t c = 0; c < sizeof samples_cases / sizeof *samples_cases;
         c++) {
        const samples_case *sc = &samples_cases[c];
        check_samples(out, trial_samples(&log, out, sc->phases), sc);
    }
    free(log.t);
}

/* What a resumed run adds to the profile: B's resumed finals sample (it
 * ran once: spread unknown) joins its two new rounds; A measured once
 * now keeps its unknown spread; B's new design point its runs' spread;
 * A's resumed design point, which nothing joined, is in the file
 * already; A's failed trial is no sample. */
static const trial_row resumed_rows[] = {
    {A, 2, 0.5, PHASE_RESUMED, 0, 0.04}, {B, 16, 2.0, PHASE_RESUMED, 0, NAN},
    {B, 2, 0.7, PHASE_DESIGN, 0, 0.05},  {B, 16, 2.6, PHASE_FINALS, 0, NAN},
    {A, 16, 3.0, PHASE_FINALS, 0, NAN},  {B, 16, 2.2, PHASE_FINALS, 0, NAN},
    {A, 4, 1.0, PHASE_FINALS, 1, 0},
};

static const samples_case measured_case = {
    0, 3, {{B, 2, 0.7, 0.05}, {A, 16, 3.0, NAN}, {B, 16, 2.2, 0.6 / 2.2}}};

static void test_trial_samples_measured(void **state)
{
    (void)state;
    trial_log log;
    fill_log(resumed_rows, sizeof resumed_rows / sizeof *resumed_rows, &log);
    at_sample out[sizeof resumed_rows / sizeof *resumed_rows];
    check_samples(out, trial_samples_measured(&log, out), &measured_case);
    free(log.t);
}

/* ---------------------------------------------------------- baselines */

/* serial with default threads, serial with 1, the naive pool, and
 * joblib's rule (CPUs workers, CPUs/workers threads), all unpinned */
typedef struct baseline_case {
    at_workload_kind kind;
    long items;
    int cpus;
    at_config want[N_BASELINES];
} baseline_case;

static const baseline_case baseline_cases[] = {
    {AT_KIND_BATCH,
     16,
     4,
     {AT_CONFIG_INIT(1, AT_MODE_PROCESS, 4, 1, 1, AT_TRANSPORT_SHM,
                     AT_PIN_NONE),
      AT_CONFIG_INIT(1, AT_MODE_PROCESS, 1, 1, 1, AT_TRANSPORT_SHM,
                     AT_PIN_NONE),
      AT_CONFIG_INIT(4, AT_MODE_PROCESS, 4, 1, 1, AT_TRANSPORT_PIPE,
                     AT_PIN_NONE),
      AT_CONFIG_INIT(4, AT_MODE_PROCESS, 1, 1, 1, AT_TRANSPORT_SHM,
                     AT_PIN_NONE)}},
    /* fewer items than CPUs: the naive pool has a worker per item */
    {AT_KIND_BATCH,
     3,
     4,
     {AT_CONFIG_INIT(1, AT_MODE_PROCESS, 4, 1, 1, AT_TRANSPORT_SHM,
                     AT_PIN_NONE),
      AT_CONFIG_INIT(1, AT_MODE_PROCESS, 1, 1, 1, AT_TRANSPORT_SHM,
                     AT_PIN_NONE),
      AT_CONFIG_INIT(3, AT_MODE_PROCESS, 4, 1, 1, AT_TRANSPORT_PIPE,
                     AT_PIN_NONE),
      AT_CONFIG_INIT(3, AT_MODE_PROCESS, 1, 1, 1, AT_TRANSPORT_SHM,
                     AT_PIN_NONE)}},
    /* a vector: one partition per worker */
    {AT_KIND_VECTOR,
     1,
     2,
     {AT_CONFIG_INIT(1, AT_MODE_PROCESS, 2, 1, 1, AT_TRANSPORT_SHM,
                     AT_PIN_NONE),
      AT_CONFIG_INIT(1, AT_MODE_PROCESS, 1, 1, 1, AT_TRANSPORT_SHM,
                     AT_PIN_NONE),
      AT_CONFIG_INIT(2, AT_MODE_PROCESS, 2, 1, 2, AT_TRANSPORT_PIPE,
                     AT_PIN_NONE),
      AT_CONFIG_INIT(2, AT_MODE_PROCESS, 1, 1, 2, AT_TRANSPORT_SHM,
                     AT_PIN_NONE)}},
};

static void test_baselines(void **state)
{
    (void)state;
    for (size_t c = 0; c < sizeof baseline_cases / sizeof *baseline_cases;
         c++) {
        const baseline_case *bc = &baseline_cases[c];
        at_config got[N_BASELINES];
        baseline_configs(bc->kind, 1000000, bc->items, bc->cpus, got);
        for (int b = 0; b < N_BASELINES; b++) {
            if (memcmp(&got[b], &bc->want[b], sizeof got[b]) != 0)
                fail_msg("case %zu, %s: workers %d threads %d chunk %d", c,
                         baseline_names[b], got[b].workers,
                         got[b].blas_threads, got[b].chunk_size);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fit_recovers_model),
        cmocka_unit_test(test_fit_grows_with_size),
        cmocka_unit_test(test_fit_error_is_median),
        cmocka_unit_test(test_fit_needs_samples),
        cmocka_unit_test(test_trial_samples),
        cmocka_unit_test(test_trial_samples_measured),
        cmocka_unit_test(test_baselines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
