/* config.c - the knobs: names, parsing, limits, and applying a config. */
#include "config.h"

#include "internal.h"

#include <sched.h>
#include <string.h>

static const char *const mode_names[] = {"process", "thread"};
static const char *const transport_names[] = {"pipe", "shm"};
static const char *const pin_names[] = {"none", "cores"};

#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

int at__lookup_name(const char *const *names, int count, const char *name)
{
    for (int i = 0; i < count; i++)
        if (strcmp(names[i], name) == 0)
            return i;
    return -1;
}

const char *at_mode_name(at_mode mode)
{
    return (unsigned)mode < COUNT(mode_names) ? mode_names[mode] : "?";
}

const char *at_transport_name(at_transport t)
{
    return (unsigned)t < COUNT(transport_names) ? transport_names[t] : "?";
}

const char *at_pin_name(at_pin pin)
{
    return (unsigned)pin < COUNT(pin_names) ? pin_names[pin] : "?";
}

static at_status parse_name(const char *const *names, int count,
                            const char *what, const char *name, int *out,
                            at_error *err)
{
    int i = name ? at__lookup_name(names, count, name) : -1;
    if (i < 0) {
        char list[128] = "";
        for (int k = 0; k < count; k++) {
            strcat(list, k ? ", " : "");
            strcat(list, names[k]);
        }
        return at__fail(err, AT_ERR_ARG, "%s must be one of %s, got '%s'",
                        what, list, name ? name : "(null)");
    }
    *out = i;
    return AT_OK;
}

at_status at_mode_parse(const char *name, at_mode *mode, at_error *err)
{
    int i;
    at_status s = parse_name(mode_names, COUNT(mode_names), "mode", name, &i,
                             err);
    if (s == AT_OK)
        *mode = (at_mode)i;
    return s;
}

at_status at_transport_parse(const char *name, at_transport *t, at_error *err)
{
    int i;
    at_status s = parse_name(transport_names, COUNT(transport_names),
                             "transport", name, &i, err);
    if (s == AT_OK)
        *t = (at_transport)i;
    return s;
}

at_status at_pin_parse(const char *name, at_pin *pin, at_error *err)
{
    int i;
    at_status s = parse_name(pin_names, COUNT(pin_names), "pin", name, &i,
                             err);
    if (s == AT_OK)
        *pin = (at_pin)i;
    return s;
}

static at_status check_range(const char *what, long v, long max,
                             at_error *err)
{
    if (v < 1 || v > max)
        return at__fail(err, AT_ERR_ARG,
                        "%s must be an integer from 1 to %ld, got %ld", what,
                        max, v);
    return AT_OK;
}

at_status at_config_check(const at_config *c, at_error *err)
{
    at_status s;
    if ((s = check_range("workers", c->workers, AT_MAX_WORKERS, err)) ||
        (s = check_range("blas_threads", c->blas_threads, AT_MAX_THREADS,
                         err)) ||
        (s = check_range("chunk_size", c->chunk_size, AT_MAX_CHUNK, err)) ||
        (s = check_range("partitions", c->partitions, AT_MAX_PARTITIONS,
                         err)))
        return s;
    if ((unsigned)c->mode >= COUNT(mode_names))
        return at__fail(err, AT_ERR_ARG, "mode out of range");
    if ((unsigned)c->transport >= COUNT(transport_names))
        return at__fail(err, AT_ERR_ARG, "transport out of range");
    if ((unsigned)c->pin >= COUNT(pin_names))
        return at__fail(err, AT_ERR_ARG, "pin out of range");
    return AT_OK;
}

int at_workload_kind_of(const char *workload, at_workload_kind *kind)
{
    static const struct {
        const char *name;
        at_workload_kind kind;
    } known[] = {{"inv", AT_KIND_BATCH},
                 {"svd", AT_KIND_BATCH},
                 {"gemm", AT_KIND_BATCH},
                 {"exp", AT_KIND_VECTOR}};
    for (int i = 0; workload && i < COUNT(known); i++)
        if (strcmp(known[i].name, workload) == 0) {
            if (kind)
                *kind = known[i].kind;
            return 0;
        }
    return -1;
}

/* Binds the calling process to its first `n` allowed CPUs. */
static at_status pin_first_cpus(int n, at_error *err)
{
    cpu_set_t allowed, chosen;
    if (sched_getaffinity(0, sizeof allowed, &allowed) != 0)
        return at__fail(err, AT_ERR_SYSTEM, "sched_getaffinity failed");
    CPU_ZERO(&chosen);
    for (int cpu = 0, taken = 0; cpu < CPU_SETSIZE && taken < n; cpu++)
        if (CPU_ISSET(cpu, &allowed)) {
            CPU_SET(cpu, &chosen);
            taken++;
        }
    if (sched_setaffinity(0, sizeof chosen, &chosen) != 0)
        return at__fail(err, AT_ERR_SYSTEM, "sched_setaffinity failed");
    return AT_OK;
}

at_status at_config_apply(const at_config *config, at_error *err)
{
    at_status s = at_config_check(config, err);
    if (s != AT_OK)
        return s;
    if (config->pin == AT_PIN_CORES &&
        (s = pin_first_cpus(config->blas_threads, err)) != AT_OK)
        return s;
    return at_blas_set_threads(config->blas_threads, err);
}
