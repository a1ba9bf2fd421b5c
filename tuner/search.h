/* search.h - finding the best configuration of one job by measuring. */
#ifndef AT_SEARCH_H
#define AT_SEARCH_H

#include "fit.h"
#include "measure.h"

typedef enum strategy {
    STRATEGY_MODEL,
    STRATEGY_GRID,
    STRATEGY_RANDOM
} strategy;

enum {
    BASE_SERIAL_DEFAULT,
    BASE_SERIAL_1,
    BASE_NAIVE,
    BASE_JOBLIB,
    N_BASELINES
};

/* Where a measurement comes from: the model strategy's design (on a
 * reduced job), the finals (head to head, full job), grid's or random's
 * survey, or an earlier run (--resume). */
typedef enum phase {
    PHASE_DESIGN,
    PHASE_FINALS,
    PHASE_SURVEY,
    PHASE_RESUMED
} phase;

/* One configuration measured once on one job (design jobs are smaller):
 * the sample as the profile stores it and the fit reads it (seconds the
 * median wall time, spread relative), and what only the search needs
 * beside it: a failure is logged too, so it is not tried again, and the
 * phase says which samples each fit may see. */
typedef struct trial {
    at_sample sample; /* seconds and spread 0 when it failed; spread NAN
                         (unknown) when it ran once */
    int runs;
    int failed; /* it failed or hung: why says what happened */
    char why[256];
    phase phase;
} trial;

/* Everything measured in one tuning run (all sizes). */
typedef struct trial_log {
    trial *t;
    size_t n, cap;
} trial_log;

/* Progress reporting: one line per measurement, when wanted. */
typedef struct progress {
    int on;            /* print lines */
    double started;    /* tuner_now() at the start */
    double budget;     /* seconds */
    const char *phase; /* "design", "finals 2/3", ... */
    int step, steps;
    /* told of every measurement, printed or not (the MPI campaign's
     * heartbeat carries it); NULL: nobody */
    void (*listener)(void *ctx, const char *phase, int step, int steps,
                     int measured);
    void *listener_ctx;
    int measured;
} progress;

typedef struct search {
    const workload *w;
    int cpus;
    long size, items;
    strategy strat;
    const at_machine_costs *costs;
    double ref_size, exponent; /* for the model */
    int fit_exponent;
    trial_log *log; /* shared by all sizes: the model sees everything */
    progress *prog;
    uint64_t seed;
    const at_config *space; /* set by search_run: the whole search space */
    size_t n_space;
    const job_data *full; /* set by search_run: the job being tuned */
} search;

/* The answer for one job. Each time is the median of the finals' rounds
 * of its configuration, with their range over it as the spread: NAN, not
 * 0, when fewer than two rounds ran (a spread nobody measured is unknown,
 * not perfect repeatability). */
typedef struct search_result {
    at_config best;
    double seconds, spread;
    int rounds;                          /* of best, in the finals */
    double baseline[N_BASELINES];        /* seconds, -1 if not measured */
    double baseline_spread[N_BASELINES]; /* NAN if unknown */
    int baseline_rounds[N_BASELINES];
    long baseline_items;  /* the baselines ran on fewer items and were
                            scaled to the job (the model's ratio); 0: they
                            ran on the job */
    int configs_measured; /* distinct configurations */
    int space_size;       /* configurations grid would measure */
    int interrupted;
} search_result;

/* Runs the strategy for one job. Fails only when nothing could be
 * measured (every configuration failing is reported in the log). */
at_status search_run(search *s, search_result *r, at_error *err);

/* The four reference configurations of the design notes. */
void baseline_configs(at_workload_kind kind, long size, long items, int cpus,
                      at_config out[N_BASELINES]);
extern const char *const baseline_names[N_BASELINES];

/* One configuration in words, for progress and reports: "4 processes x
 * 2t, chunk 1, shm, pinned", "4 threads x 1t, chunk 2, 8 parts, shared"
 * (parts for vector workloads only), or "1 worker, 4 BLAS threads". */
void describe_config(const at_config *c, at_workload_kind kind, char *buf,
                     size_t size);
/* A relative spread in words, for the same: "2.1%", or "?" when it is
 * unknown (NAN). Returns buf. */
const char *describe_spread(double spread, char *buf, size_t size);

/* Adds a copy of the trial to the log; returns the copy, or NULL when
 * the log cannot grow. */
trial *trial_log_add(trial_log *log, const trial *t);
/* The fit problem for the log's samples. */
fit_problem search_problem(const search *s);
/* Successful trials of the phases given (PHASE_BIT(p) | ...) as samples
 * (for the fit and the profile), one per configuration and job, in
 * order of job and configuration: the interquartile mean of its trials,
 * with their range over it as the spread. Interleaved rounds measure a
 * configuration several times, and a round in which the shared machine
 * was busy should not pull the fit. `out` has room for log->n (see
 * trial_samples_alloc). Returns the count. */
#define PHASE_BIT(p) (1u << (p))
#define PHASES_ALL (~0u)
size_t trial_samples(const trial_log *log, at_sample *out, unsigned phases);
/* What this run adds to the profile: the samples, as trial_samples makes
 * them from every phase, of the configurations and jobs it measured
 * itself. A resumed sample joins its configuration's new trials as one
 * of its rounds (so the file keeps it, merged with them); a resumed
 * sample nothing joined is in the file already, and left out. */
size_t trial_samples_measured(const trial_log *log, at_sample *out);
/* A buffer for trial_samples' output, room for every trial of the log
 * (and one, so that an empty log gets a buffer too); NULL when out of
 * memory. The caller frees it. */
at_sample *trial_samples_alloc(const trial_log *log);

#endif
