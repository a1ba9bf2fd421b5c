/* measure.h - run a workload in one configuration and time it. */
#ifndef AT_MEASURE_H
#define AT_MEASURE_H

#include "workloads.h"

typedef struct measure_opts {
    int warmup;         /* untimed runs first */
    int repeat;         /* timed runs */
    double deadline;    /* seconds per chunk, 0 = none */
    uint64_t seed;
    int compare_serial; /* also run 1 worker x 1 thread and compare */
} measure_opts;

typedef struct measurement {
    double median, spread, best, worst; /* wall seconds of the timed runs */
    double start_seconds;               /* the pool's start-up */
    at_job_stats stats;                 /* of the run closest to median */
    double residual;   /* the workload's check of the last result */
    double difference; /* from the serial result, or -1 */
    int verified;      /* residual and difference within tolerance */
} measurement;

/* Measures `items` of workload w at `size` in `config`. On failure *err
 * says why (a worker's fault names it). */
at_status measure(const workload *w, long size, long items,
                  const at_config *config, const measure_opts *opts,
                  measurement *m, at_error *err);

/* Monotonic clock, seconds. */
double tuner_now(void);

/* For a SIGINT/SIGTERM handler: cancels the job being measured. */
void measure_cancel(void);

#endif
