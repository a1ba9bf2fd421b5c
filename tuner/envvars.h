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
typedef at_env_put env_put;

/* Every variable of the job in `c`: the configuration's, as the library
 * writes them (at_config_env), then AUTOTUNE_KIND, _SIZE, _ITEMS and
 * _MATCH (when set). */
at_status env_each(const env_job *job, const at_config *c, env_put put,
                   void *ctx, at_error *err);

#endif
