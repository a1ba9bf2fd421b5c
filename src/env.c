/* env.c - a configuration in environment variables, both ways: the one
 * list of names that `autotune env` prints, `autotune --command` sets and
 * a tuned program reads back (at_config_from_env; python/autotune reads
 * the same names). */
#include "config.h"

#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The knobs' variables, in the order they are written. */
static const char *const knob_vars[] = {
    "AUTOTUNE_WORKERS",    "AUTOTUNE_MODE",       "AUTOTUNE_BLAS_THREADS",
    "AUTOTUNE_CHUNK_SIZE", "AUTOTUNE_PARTITIONS", "AUTOTUNE_TRANSPORT",
    "AUTOTUNE_PIN"};

/* Each worker's CPUs, "0,1;2,3". */
static at_status cpusets_text(const at_config *c, const int *allowed,
                              int n_allowed, char *buf, size_t size,
                              at_error *err)
{
    static int cpus[AT_MAX_THREADS];
    int n;
    size_t used = 0;
    buf[0] = '\0';
    for (int w = 0; c->pin == AT_PIN_CORES && w < c->workers; w++) {
        at_status s = at_worker_cpus(c, w, allowed, n_allowed, cpus,
                                     AT_MAX_THREADS, &n, err);
        if (s != AT_OK)
            return s;
        for (int k = 0; k < n && used < size; k++)
            used += (size_t)snprintf(buf + used, size - used, "%s%d",
                                     k   ? ","
                                     : w ? ";"
                                         : "",
                                     cpus[k]);
    }
    if (used >= size)
        return at__fail(err, AT_ERR_ARG,
                        "the CPU sets of %d workers do not fit %zu bytes",
                        c->workers, size);
    return AT_OK;
}

/* The knobs as text, in knob_vars' order. */
static void knob_values(const at_config *c, char values[7][16])
{
    snprintf(values[0], 16, "%d", c->workers);
    snprintf(values[1], 16, "%s", at_mode_name(c->mode));
    snprintf(values[2], 16, "%d", c->blas_threads);
    snprintf(values[3], 16, "%d", c->chunk_size);
    snprintf(values[4], 16, "%d", c->partitions);
    snprintf(values[5], 16, "%s", at_transport_name(c->transport));
    snprintf(values[6], 16, "%s", at_pin_name(c->pin));
}

at_status at_config_env(const char *workload, const char *source,
                        const at_config *c, const int *allowed, int n_allowed,
                        at_env_put put, void *ctx, at_error *err)
{
    AT_REQUIRE(workload, err);
    AT_REQUIRE(source, err);
    AT_REQUIRE(c, err);
    AT_REQUIRE(put, err);
    static const char *const blas_vars[] = {
        "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
        "BLIS_NUM_THREADS"};
    static char sets[1 << 16];
    char values[7][16];
    at_status s = at_config_check(c, err);
    if (s == AT_OK)
        s = cpusets_text(c, allowed, n_allowed, sets, sizeof sets, err);
    if (s != AT_OK)
        return s;
    knob_values(c, values);
    for (size_t i = 0; i < 4; i++)
        put(blas_vars[i], values[2], ctx);
    put("AUTOTUNE_WORKLOAD", workload, ctx);
    for (size_t i = 0; i < 7; i++)
        put(knob_vars[i], values[i], ctx);
    put("AUTOTUNE_CPUSETS", sets, ctx);
    put("AUTOTUNE_SOURCE", source, ctx);
    return AT_OK;
}

static at_status env_int(const char *name, int *out, at_error *err)
{
    const char *v = secure_getenv(name);
    char *end;
    errno = 0;
    long n = v ? strtol(v, &end, 10) : 0;
    if (!v || !*v || *end || errno || n < 1 || n > AT_MAX_CHUNK)
        return at__fail(err, AT_ERR_ARG,
                        "%s must be a positive integer, "
                        "got '%.32s'",
                        name, v ? v : "(unset)");
    *out = (int)n;
    return AT_OK;
}

static at_status env_name(const char *name, const char *const *names,
                          int *out, at_error *err)
{
    const char *v = secure_getenv(name);
    at_error why;
    if (at__enum_parse(names, 2, name, v ? v : "(unset)", out, &why) == AT_OK)
        return AT_OK;
    return at__fail(err, AT_ERR_ARG, "%s", why.message);
}

at_status at_config_from_env(const char *workload, at_config *config,
                             at_error *err)
{
    AT_REQUIRE(workload, err);
    AT_REQUIRE(config, err);
    const char *source = secure_getenv("AUTOTUNE_SOURCE");
    const char *tuned = secure_getenv("AUTOTUNE_WORKLOAD");
    if (!source || strcmp(source, "tuning") || !tuned ||
        strcmp(tuned, workload))
        return at__fail(err, AT_ERR_NOMATCH,
                        "not in a tuning run of workload '%.64s'", workload);
    at_config c;
    int mode, transport, pin;
    at_status s;
    if ((s = env_int(knob_vars[0], &c.workers, err)) ||
        (s = env_name(knob_vars[1], at__mode_names, &mode, err)) ||
        (s = env_int(knob_vars[2], &c.blas_threads, err)) ||
        (s = env_int(knob_vars[3], &c.chunk_size, err)) ||
        (s = env_int(knob_vars[4], &c.partitions, err)) ||
        (s = env_name(knob_vars[5], at__transport_names, &transport, err)) ||
        (s = env_name(knob_vars[6], at__pin_names, &pin, err)))
        return s;
    c.mode = (at_mode)mode;
    c.transport = (at_transport)transport;
    c.pin = (at_pin)pin;
    if ((s = at_config_check(&c, err)) == AT_OK)
        *config = c;
    return s;
}
