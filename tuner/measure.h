/* measure.h - run a workload in one configuration and time it. */
#ifndef AT_MEASURE_H
#define AT_MEASURE_H

#include "workloads.h"

/* A job's data: generated once, in shared memory, reused by every
 * configuration measured on it. */
typedef struct job_data {
    const workload *w;
    long size, items, count; /* count: items, or elements for a vector */
    double *in, *out;
} job_data;

at_status job_data_create(const workload *w, long size, long items,
                          uint64_t seed, job_data *d, at_error *err);
void job_data_free(job_data *d);

typedef struct measure_opts {
    int warmup;           /* untimed runs first; -1: the first run is a
                            warm-up only if it took under 0.25 s (a long
                            job is its own warm-up) */
    int repeat;           /* timed runs, at most */
    int min_repeat;       /* at least (0: = repeat) */
    double target_spread; /* stop repeating once the spread is below */
    double time_cap;      /* ... or before a run that, as long as the
                            last, would end past this many seconds
                            (0: no cap); the first run always runs */
    double deadline;      /* seconds per chunk, 0 = none */
    uint64_t seed;
    int compare_serial; /* also run 1 worker x 1 thread and compare */
} measure_opts;

typedef struct measurement {
    double median, spread, best, worst; /* wall seconds of the timed runs */
    int runs;                           /* timed runs made */
    double start_seconds;               /* the pool's start-up */
    at_job_stats stats;                 /* of the run closest to median */
    double residual;   /* the workload's check of the last result */
    double difference; /* from the serial result, or -1 */
    int verified;      /* residual and difference within tolerance (a
                          command: it exited 0) */
    int self_timed;    /* a command: it reported its own seconds */
} measurement;

/* Measures the job on `d` in `config`. On failure *err says why (a
 * worker's fault names it). */
at_status measure_on(const job_data *d, const at_config *config,
                     const measure_opts *opts, measurement *m, at_error *err);

/* The same on data made for the occasion. */
at_status measure(const workload *w, long size, long items,
                  const at_config *config, const measure_opts *opts,
                  measurement *m, at_error *err);

/* For a SIGINT/SIGTERM handler: cancels the job being measured. */
void measure_cancel(void);
/* 1 once measure_cancel() was called (until measure_reset_cancel). */
int measure_cancelled(void);
void measure_reset_cancel(void);

#endif
