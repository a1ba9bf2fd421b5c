/* config.c - the knobs: names, parsing, limits, and applying a config. */
#include "config.h"

#include "internal.h"

#include <sched.h>
#include <string.h>

const char *const at__mode_names[2] = {"process", "thread"};
const char *const at__transport_names[2] = {"pipe", "shm"};
const char *const at__pin_names[2] = {"none", "cores"};

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
    return (unsigned)mode < COUNT(at__mode_names) ? at__mode_names[mode]
                                                  : "?";
}

const char *at_transport_name(at_transport t)
{
    return (unsigned)t < COUNT(at__transport_names) ? at__transport_names[t]
                                                    : "?";
}

const char *at_pin_name(at_pin pin)
{
    return (unsigned)pin < COUNT(at__pin_names) ? at__pin_names[pin] : "?";
}

at_status at__enum_parse(const char *const *names, int count,
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
    AT_REQUIRE(mode, err);
    int i;
    at_status s = at__enum_parse(at__mode_names, COUNT(at__mode_names),
                                 "mode", name, &i, err);
    if (s == AT_OK)
        *mode = (at_mode)i;
    return s;
}

at_status at_transport_parse(const char *name, at_transport *t, at_error *err)
{
    AT_REQUIRE(t, err);
    int i;
    at_status s =
        at__enum_parse(at__transport_names, COUNT(at__transport_names),
                       "transport", name, &i, err);
    if (s == AT_OK)
        *t = (at_transport)i;
    return s;
}

at_status at_pin_parse(const char *name, at_pin *pin, at_error *err)
{
    AT_REQUIRE(pin, err);
    int i;
    at_status s = at__enum_parse(at__pin_names, COUNT(at__pin_names), "pin",
                                 name, &i, err);
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
    AT_REQUIRE(c, err);
    at_status s;
    if ((s = check_range("workers", c->workers, AT_MAX_WORKERS, err)) ||
        (s = check_range("blas_threads", c->blas_threads, AT_MAX_THREADS,
                         err)) ||
        (s = check_range("chunk_size", c->chunk_size, AT_MAX_CHUNK, err)) ||
        (s = check_range("partitions", c->partitions, AT_MAX_PARTITIONS,
                         err)))
        return s;
    if ((unsigned)c->mode >= COUNT(at__mode_names))
        return at__fail(err, AT_ERR_ARG, "mode out of range");
    if ((unsigned)c->transport >= COUNT(at__transport_names))
        return at__fail(err, AT_ERR_ARG, "transport out of range");
    if ((unsigned)c->pin >= COUNT(at__pin_names))
        return at__fail(err, AT_ERR_ARG, "pin out of range");
    return AT_OK;
}

const char *const at__kind_names[2] = {"batch", "vector"};

const char *at_kind_name(at_workload_kind kind)
{
    return (unsigned)kind < COUNT(at__kind_names) ? at__kind_names[kind]
                                                  : "?";
}

at_status at_kind_parse(const char *name, at_workload_kind *kind,
                        at_error *err)
{
    AT_REQUIRE(kind, err);
    int i;
    at_status s = at__enum_parse(at__kind_names, COUNT(at__kind_names),
                                 "kind", name, &i, err);
    if (s == AT_OK)
        *kind = (at_workload_kind)i;
    return s;
}

/* [a-z][a-z0-9_.-]{0,47}: safe in a file name, a YAML key unquoted, a
 * shell word and an environment value. */
at_status at_workload_name_check(const char *name, at_error *err)
{
    AT_REQUIRE(name, err);
    size_t n = 0;
    int ok = name[0] >= 'a' && name[0] <= 'z';
    for (; ok && name[n]; n++)
        ok = (name[n] >= 'a' && name[n] <= 'z') ||
             (name[n] >= '0' && name[n] <= '9') || name[n] == '_' ||
             name[n] == '.' || name[n] == '-';
    if (!ok || n > AT_WORKLOAD_NAME_MAX)
        return at__fail(err, AT_ERR_ARG,
                        "invalid workload name '%.64s' (a lower-case "
                        "letter, then at most %d of a-z, 0-9, '_', '.', "
                        "'-')",
                        name, AT_WORKLOAD_NAME_MAX - 1);
    return AT_OK;
}

/* ------------------------------------------------- applying a config */

/* Worker `index` takes `threads` CPUs in order from `cpus` (n of them),
 * wrapping when they are too few: the one rule of CPU sets. Writes them
 * into `set` and returns how many distinct CPUs it holds. */
static int assign(int index, int threads, const int *cpus, int n,
                  cpu_set_t *set)
{
    int taken = 0;
    CPU_ZERO(set);
    for (int j = 0; j < threads && n > 0; j++) {
        int cpu = cpus[((long)index * threads + j) % n];
        if (cpu < 0 || cpu >= CPU_SETSIZE)
            continue;
        taken += !CPU_ISSET(cpu, set);
        CPU_SET(cpu, set);
    }
    return taken;
}

int at__worker_cpus(int index, int threads, cpu_set_t *set)
{
    cpu_set_t allowed;
    int n = 0, mine[CPU_SETSIZE];
    CPU_ZERO(set);
    if (sched_getaffinity(0, sizeof allowed, &allowed) != 0)
        return 0;
    for (int c = 0; c < CPU_SETSIZE; c++)
        if (CPU_ISSET(c, &allowed))
            mine[n++] = c;
    return assign(index, threads, mine, n, set);
}

static at_status check_worker(const at_config *config, int index,
                              at_error *err)
{
    at_status s = at_config_check(config, err);
    if (s == AT_OK && (index < 0 || index >= config->workers))
        s = at__fail(err, AT_ERR_ARG,
                     "worker index must be from 0 to %d, got %d",
                     config->workers - 1, index);
    return s;
}

at_status at_worker_cpus(const at_config *config, int index,
                         const int *allowed, int n_allowed, int *cpus,
                         int max, int *count, at_error *err)
{
    AT_REQUIRE(config, err);
    AT_REQUIRE(count, err);
    at_status s = check_worker(config, index, err);
    if (s == AT_OK &&
        ((max > 0 && !cpus) || max < 0 || (allowed && n_allowed < 1)))
        s = at__fail(err, AT_ERR_ARG,
                     "at_worker_cpus: room for %d CPUs at cpus, or %d "
                     "allowed CPUs",
                     max, n_allowed);
    if (s != AT_OK)
        return s;
    cpu_set_t set;
    int n = 0;
    if (config->pin == AT_PIN_CORES && allowed)
        n = assign(index, config->blas_threads, allowed, n_allowed, &set);
    else if (config->pin == AT_PIN_CORES)
        n = at__worker_cpus(index, config->blas_threads, &set);
    for (int c = 0, k = 0; c < CPU_SETSIZE && k < n && k < max; c++)
        if (n && CPU_ISSET(c, &set))
            cpus[k++] = c;
    *count = n;
    return AT_OK;
}

at_status at_worker_apply(const at_config *config, int index, at_error *err)
{
    AT_REQUIRE(config, err);
    at_status s = check_worker(config, index, err);
    if (s != AT_OK)
        return s;
    if (config->pin == AT_PIN_CORES) {
        cpu_set_t set;
        at__worker_cpus(index, config->blas_threads, &set);
        if (sched_setaffinity(0, sizeof set, &set) != 0)
            return at__fail(err, AT_ERR_SYSTEM,
                            "cannot bind worker %d to its CPUs", index);
    }
    return at_blas_set_threads(config->blas_threads, err);
}

at_status at_config_apply(const at_config *config, at_error *err)
{
    AT_REQUIRE(config, err);
    if (config->workers == 1)
        return at_worker_apply(config, 0, err);
    /* The caller of a pool only hands out work: pinning it would pin
     * every worker it forks to the same CPUs. */
    at_status s = at_config_check(config, err);
    return s ? s : at_blas_set_threads(config->blas_threads, err);
}
