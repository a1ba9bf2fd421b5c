/* envvars.h - a configuration as environment variables: the one list
 * `autotune env` prints and `autotune --command` hands the user's program
 * (python/autotune reads the same names). */
#ifndef AT_ENVVARS_H
#define AT_ENVVARS_H

#include "autotune.h"

/* What the variables describe besides the configuration. */
typedef struct env_job {
    const char *workload;
    at_workload_kind kind;
    long size, items;
    const char *source; /* "entry", "model", ..., or "tuning" */
    const char *match;  /* "exact", "hardware", "none" (NULL: not set) */
    const int *allowed; /* the CPUs the workers are taken from, or NULL
                           for this process's mask */
    int n_allowed;
} env_job;

/* Called once per variable, in a fixed order. */
typedef void (*env_put)(const char *name, const char *value, void *ctx);

/* Every variable of the job in `c`: the BLAS libraries' own thread
 * variables, then AUTOTUNE_WORKLOAD, _KIND, _SIZE, _ITEMS, _WORKERS,
 * _MODE, _BLAS_THREADS, _CHUNK_SIZE, _PARTITIONS, _TRANSPORT, _PIN,
 * _SOURCE, _MATCH and _CPUSETS (each worker's CPUs, "0,1;2,3", empty when
 * unpinned). AT_ERR_ARG when the CPU sets do not fit 64 KiB. */
at_status env_each(const env_job *job, const at_config *c, env_put put,
                   void *ctx, at_error *err);

#endif
