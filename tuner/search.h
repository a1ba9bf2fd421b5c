/* search.h - finding the best configuration of one job by measuring. */
#ifndef AT_SEARCH_H
#define AT_SEARCH_H

#include "fit.h"
#include "measure.h"

typedef enum strategy { STRATEGY_MODEL, STRATEGY_GRID, STRATEGY_RANDOM } strategy;

enum { BASE_SERIAL_DEFAULT, BASE_SERIAL_1, BASE_NAIVE, BASE_JOBLIB,
       N_BASELINES };

/* Where a measurement comes from: the model strategy's design (on a
 * reduced job), the finals (head to head, full job), grid's or random's
 * survey, or an earlier run (--resume). */
typedef enum phase { PHASE_DESIGN, PHASE_FINALS, PHASE_SURVEY,
                     PHASE_RESUMED } phase;

/* One configuration measured on one job (design jobs are smaller). */
typedef struct trial {
    at_config config;
    long size, items;
    double seconds, spread; /* median wall time, relative spread */
    int runs;
    int failed;     /* it failed or hung: why says what happened */
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
} progress;

typedef struct search {
    const workload *w;
    int cpus;
    long size, items;
    strategy strat;
    const at_machine_costs *costs;
    double ref_size, exponent; /* for the model */
    int fit_exponent;
    trial_log *log;   /* shared by all sizes: the model sees everything */
    progress *prog;
    uint64_t seed;
    const at_config *space; /* set by search_run: the whole search space */
    size_t n_space;
} search;

/* The answer for one job. */
typedef struct search_result {
    at_config best;
    double seconds, spread;
    double baseline[N_BASELINES]; /* seconds, -1 if not measured */
    int configs_measured;         /* distinct configurations */
    int space_size;               /* configurations grid would measure */
    int interrupted;
} search_result;

/* Runs the strategy for one job. Fails only when nothing could be
 * measured (every configuration failing is reported in the log). */
at_status search_run(search *s, search_result *r, at_error *err);

/* The four reference configurations of the design notes. */
void baseline_configs(at_workload_kind kind, long size, long items, int cpus,
                      at_config out[N_BASELINES]);
extern const char *const baseline_names[N_BASELINES];

/* "2w process t1 c1 shm cores" */
void describe_config(const at_config *c, at_workload_kind kind, char *buf,
                     size_t size);

/* Adds a trial to the log (copied). */
trial *trial_log_add(trial_log *log, const trial *t);
/* The fit problem for the log's samples. */
fit_problem search_problem(const search *s);
/* Successful trials of the phases given (PHASE_BIT(p) | ...) as fit
 * samples, one per configuration and job: the interquartile mean of its
 * trials, with their range over it as the spread. Interleaved rounds
 * measure a configuration several times, and a round in which the shared
 * machine was busy should not pull the fit. `out` has room for log->n.
 * Returns the count. */
#define PHASE_BIT(p) (1u << (p))
#define PHASES_ALL (~0u)
size_t trial_samples(const trial_log *log, fit_sample *out, unsigned phases);

#endif
