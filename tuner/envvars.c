/* envvars.c - a job and its configuration as environment variables
 * (envvars.h): the library's list for the configuration (at_config_env),
 * and what the program adds about the job. */
#include "config.h"

#include "envvars.h"

#include <stdio.h>

static void put_long(env_put put, void *ctx, const char *name, long v)
{
    char text[32];
    snprintf(text, sizeof text, "%ld", v);
    put(name, text, ctx);
}

at_status env_each(const env_job *job, const at_config *c, env_put put,
                   void *ctx, at_error *err)
{
    at_status s = at_config_env(job->workload, job->source, c, job->allowed,
                                job->n_allowed, put, ctx, err);
    if (s != AT_OK)
        return s;
    put("AUTOTUNE_KIND", at_kind_name(job->kind), ctx);
    put_long(put, ctx, "AUTOTUNE_SIZE", job->size);
    put_long(put, ctx, "AUTOTUNE_ITEMS", job->items);
    if (job->match)
        put("AUTOTUNE_MATCH", job->match, ctx);
    return AT_OK;
}
