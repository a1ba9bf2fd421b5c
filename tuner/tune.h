/* tune.h - one tuning run as a function: what `autotune tune` does, for
 * the parts of the program that drive runs of their own (the MPI campaign
 * in campaign.c runs one per host). The run keeps its whole behaviour
 * (search, fit, save with its lock, Ctrl-C); the hooks only say where its
 * profile goes, whether it prints its report, and who hears its progress;
 * the outcome says what it found, for the campaign to pool. */
#ifndef AT_TUNE_H
#define AT_TUNE_H

#include "workloads.h"

#define TUNE_MAX_SIZES 8

typedef struct tune_hooks {
    const char *output; /* the profile written, instead of --output */
    int no_report;      /* print nothing on stdout */
    /* called after each measurement (and at each phase change) */
    void (*progress)(void *ctx, const char *phase, int step, int steps,
                     int measured);
    void *ctx;
} tune_hooks;

/* What a run found, per size of the job (ok[i] 0: nothing measured). */
typedef struct tune_outcome {
    const workload *w; /* the workload run (static: outlives the run) */
    long items;
    int n_sizes;
    long sizes[TUNE_MAX_SIZES];
    int ok[TUNE_MAX_SIZES];
    at_config best[TUNE_MAX_SIZES];
    double seconds[TUNE_MAX_SIZES];
    int saved;       /* the profile file holds the run's results */
    char path[4096]; /* that file */
    double budget;   /* seconds, the run's budget */
    double started;  /* tuner_now() at its start */
} tune_outcome;

/* `autotune tune ARGS` with hooks (NULL: none); fills *out (may be
 * NULL) once the arguments were good. Returns the exit code. */
int tune_with(int argc, char **argv, const tune_hooks *hooks,
              tune_outcome *out);

#endif
