/* schema.c - the profile format, described once (see schema.h): the field
 * tables of every object, in file order, the two questions every user of
 * them asks, "is this optional field there?" and "are these equal?", and
 * the one rule of how a number is written. data/profile-format.md is the
 * prose of these tables; the unit tests fail when the two disagree. */
#include "config.h"

#include "schema.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Row builders: key, where the value lives, range, flags; every member
 * not named is 0 (no names, no object, no constant). */
// clang-format off
#define NUM(t, k, st, m, lo, hi, fl)                                        \
    {.key = k, .type = t, .flags = fl, .offset = offsetof(st, m),           \
     .min = lo, .max = hi, .count_offset = AT_F_NO_FLAG}
#define INT(k, st, m, lo, hi, fl) NUM(AT_F_INT, k, st, m, lo, hi, fl)
#define LONG(k, st, m, lo, hi, fl) NUM(AT_F_LONG, k, st, m, lo, hi, fl)
#define DBL(k, st, m, lo, hi, fl) NUM(AT_F_DOUBLE, k, st, m, lo, hi, fl)
#define TEXT(t, k, st, m, fl)                                               \
    {.key = k, .type = t, .flags = fl, .offset = offsetof(st, m),           \
     .size = sizeof(((st *)0)->m), .count_offset = AT_F_NO_FLAG}
#define STR(k, st, m, fl) TEXT(AT_F_STRING, k, st, m, fl)
#define TIME(k, st, m, fl) TEXT(AT_F_TIME, k, st, m, fl)
#define ENUM(k, st, m, table)                                               \
    {.key = k, .type = AT_F_ENUM, .flags = AT_F_REQUIRED,                   \
     .offset = offsetof(st, m), .names = table, .n_names = 2,               \
     .count_offset = AT_F_NO_FLAG}
#define OBJ(k, st, m, obj, flag, fl)                                        \
    {.key = k, .type = AT_F_OBJECT, .flags = fl, .offset = offsetof(st, m), \
     .object = &obj, .count_offset = flag}
/* An object whose fields are the enclosing struct's own (cpu and blas of
 * at_machine, params of at_model): a view at offset 0. */
#define VIEW(k, obj)                                                        \
    {.key = k, .type = AT_F_OBJECT, .flags = AT_F_REQUIRED,                 \
     .object = &obj, .count_offset = AT_F_NO_FLAG}
#define LIST(k, st, m, count, elem, obj, fl)                                \
    {.key = k, .type = AT_F_LIST, .flags = fl, .offset = offsetof(st, m),   \
     .size = sizeof(elem), .object = &obj,                                  \
     .count_offset = offsetof(st, count)}
#define CONST(k, value, lo, hi, message)                                    \
    {.key = k, .type = AT_F_CONST, .flags = AT_F_REQUIRED, .min = lo,       \
     .max = hi, .count_offset = AT_F_NO_FLAG, .konst = value,               \
     .konst_message = message}
// clang-format on
#define ROWS(t) t, sizeof(t) / sizeof((t)[0])

#define BIG 1e12

/* ------------------------------------------------------------ the rows */

static const at__field config_fields[] = {
    INT("workers", at_config, workers, 1, AT_MAX_WORKERS, AT_F_REQUIRED),
    ENUM("mode", at_config, mode, at__mode_names),
    INT("blas_threads", at_config, blas_threads, 1, AT_MAX_THREADS,
        AT_F_REQUIRED),
    INT("chunk_size", at_config, chunk_size, 1, AT_MAX_CHUNK, AT_F_REQUIRED),
    INT("partitions", at_config, partitions, 1, AT_MAX_PARTITIONS,
        AT_F_REQUIRED),
    ENUM("transport", at_config, transport, at__transport_names),
    ENUM("pin", at_config, pin, at__pin_names),
};
static const at__object best_schema = {"best", ROWS(config_fields), 1};
static const at__object config_schema = {"config", ROWS(config_fields), 1};

/* A baseline below 0 was not measured: the loader's -1, never written. */
#define BASELINE(m)                                                          \
    DBL(#m, at_baselines, m, 0, HUGE_VAL, AT_F_ABSENT_BELOW_MIN)
static const at__field baseline_fields[] = {
    BASELINE(serial_default),
    BASELINE(serial_1),
    BASELINE(naive_pool),
    BASELINE(joblib_rule),
};
static const at__object baselines_schema = {"baselines",
                                            ROWS(baseline_fields), 1};

/* A spread is unknown (NAN, null) when too few rounds were measured to
 * tell: 0 would claim a perfectly repeatable time. */
#define SPREAD(st, m)                                                        \
    DBL("spread", st, m, 0, HUGE_VAL, AT_F_REQUIRED | AT_F_UNKNOWN_OK)

/* baseline_items: the baselines ran on fewer items than the entry's and
 * were scaled to them; absent (0 in memory) when they ran on its job. */
static const at__field entry_fields[] = {
    LONG("size", at__entry, pub.size, 1, BIG, AT_F_REQUIRED),
    LONG("items", at__entry, pub.items, 1, BIG, AT_F_REQUIRED),
    DBL("seconds", at__entry, pub.seconds, 0, HUGE_VAL, AT_F_REQUIRED),
    SPREAD(at__entry, pub.spread),
    TIME("measured", at__entry, pub.measured, AT_F_REQUIRED),
    OBJ("best", at__entry, pub.best, best_schema, AT_F_NO_FLAG,
        AT_F_REQUIRED),
    OBJ("baselines", at__entry, pub.baselines, baselines_schema, AT_F_NO_FLAG,
        0),
    LONG("baseline_items", at__entry, baseline_items, 1, BIG,
         AT_F_ABSENT_BELOW_MIN),
};
const at__object at__entry_schema = {"entry", ROWS(entry_fields), 1};

static const at__field sample_fields[] = {
    LONG("size", at_sample, size, 1, BIG, AT_F_REQUIRED),
    LONG("items", at_sample, items, 1, BIG, AT_F_REQUIRED),
    DBL("seconds", at_sample, seconds, 0, HUGE_VAL, AT_F_REQUIRED),
    SPREAD(at_sample, spread),
    OBJ("config", at_sample, config, config_schema, AT_F_NO_FLAG,
        AT_F_REQUIRED),
};
const at__object at__sample_schema = {"sample", ROWS(sample_fields), 1};

/* The model's parameters; at_model_predict is their formula. */
static const at__field param_fields[] = {
    DBL("ref_size", at_model, ref_size, 1, BIG, AT_F_REQUIRED),
    DBL("compute_s", at_model, compute_s, 0, HUGE_VAL, AT_F_REQUIRED),
    DBL("exponent", at_model, exponent, 0, 4, AT_F_REQUIRED),
    DBL("parallel_fraction", at_model, parallel_fraction, 0, 1,
        AT_F_REQUIRED),
    DBL("contention", at_model, contention, 0, 100, AT_F_REQUIRED),
    DBL("oversub", at_model, oversub, 0, 100, AT_F_REQUIRED),
    DBL("thread_factor", at_model, thread_factor, 0.01, 100, AT_F_REQUIRED),
    DBL("unpinned_spread", at_model, unpinned_spread, 0, 1, AT_F_REQUIRED),
    DBL("dispatch_s", at_model, dispatch_s, 0, 10, AT_F_REQUIRED),
    /* fitted for a user's program (autotune --command), whose messages,
     * workers and data the machine's costs do not describe; 0 otherwise,
     * and then not written */
    DBL("message_s", at_model, message_s, 0, 10, AT_F_ABSENT_AT_MIN),
    DBL("copy_s", at_model, copy_s, 0, 10, AT_F_ABSENT_AT_MIN),
    DBL("start_s", at_model, start_s, 0, 10, AT_F_ABSENT_AT_MIN),
};
const at__object at__params_schema = {"params", ROWS(param_fields), 1};

static const at__field model_fields[] = {
    /* a text constant (no range): checked as a text, then compared */
    CONST("form", AT_MODEL_FORM, 0, 0, "unknown model form"),
    TIME("fitted", at_model, fitted, AT_F_REQUIRED),
    DBL("error", at_model, error, 0, HUGE_VAL, AT_F_REQUIRED),
    VIEW("params", at__params_schema),
};
const at__object at__model_schema = {"model", ROWS(model_fields), 0};

static const at__field workload_fields[] = {
    /* required from version 2; a version 1 file had four fixed names,
     * whose kinds the loader knows (profile_load.c) */
    {.key = "kind",
     .type = AT_F_ENUM,
     .offset = offsetof(at_workload_profile, kind),
     .names = at__kind_names,
     .n_names = 2,
     .count_offset = AT_F_NO_FLAG},
    OBJ("model", at_workload_profile, model, at__model_schema,
        offsetof(at_workload_profile, has_model), 0),
    LIST("entries", at_workload_profile, entries, n_entries, at__entry,
         at__entry_schema, 0),
    LIST("samples", at_workload_profile, samples, n_samples, at_sample,
         at__sample_schema, 0),
};
const at__object at__workload_schema = {"workload", ROWS(workload_fields), 0};

static const at__field transport_fields[] = {
    DBL("latency_us", at_transport_cost, latency_us, 0, HUGE_VAL,
        AT_F_REQUIRED),
    DBL("gbytes_per_s", at_transport_cost, gbytes_per_s, 0, HUGE_VAL,
        AT_F_REQUIRED),
};
static const at__object transport_schema = {"transport costs",
                                            ROWS(transport_fields), 1};

static const at__field cost_fields[] = {
    OBJ("pipe", at_machine_costs, pipe, transport_schema, AT_F_NO_FLAG,
        AT_F_REQUIRED),
    OBJ("shm", at_machine_costs, shm, transport_schema, AT_F_NO_FLAG,
        AT_F_REQUIRED),
    OBJ("thread", at_machine_costs, thread, transport_schema, AT_F_NO_FLAG,
        AT_F_REQUIRED),
    DBL("process_start_us", at_machine_costs, process_start_us, 0, HUGE_VAL,
        AT_F_REQUIRED),
    DBL("thread_start_us", at_machine_costs, thread_start_us, 0, HUGE_VAL,
        AT_F_REQUIRED),
};
static const at__object costs_schema = {"costs", ROWS(cost_fields), 0};

static const at__field cpu_fields[] = {
    STR("model", at_machine, cpu_model, AT_F_REQUIRED),
    STR("arch", at_machine, arch, AT_F_REQUIRED),
    INT("usable_cpus", at_machine, usable_cpus, 1, AT_MAX_WORKERS,
        AT_F_REQUIRED),
    INT("cores", at_machine, cores, 1, 1 << 20, AT_F_REQUIRED),
    INT("sockets", at_machine, sockets, 1, 1 << 16, AT_F_REQUIRED),
    INT("numa_nodes", at_machine, numa_nodes, 1, 1 << 16, AT_F_REQUIRED),
    LONG("l1d_kb", at_machine, l1d_kb, 0, 1L << 30, 0),
    LONG("l2_kb", at_machine, l2_kb, 0, 1L << 30, 0),
    LONG("l3_kb", at_machine, l3_kb, 0, 1L << 30, 0),
};
static const at__object cpu_schema = {"cpu", ROWS(cpu_fields), 1};

static const at__field blas_fields[] = {
    STR("vendor", at_machine, blas_vendor, AT_F_REQUIRED),
    STR("version", at_machine, blas_version, AT_F_REQUIRED),
    STR("corename", at_machine, blas_corename, AT_F_REQUIRED),
    STR("threading", at_machine, blas_threading, AT_F_REQUIRED),
    INT("max_threads", at_machine, blas_max_threads, 0, AT_MAX_THREADS, 0),
};
static const at__object blas_schema = {"blas", ROWS(blas_fields), 1};

static const at__field machine_fields[] = {
    STR("fingerprint", at_machine_profile, machine.fingerprint,
        AT_F_REQUIRED),
    STR("host", at_machine_profile, machine.host, 0),
    OBJ("cpu", at_machine_profile, machine, cpu_schema, AT_F_NO_FLAG,
        AT_F_REQUIRED), /* at_machine's own fields */
    OBJ("blas", at_machine_profile, machine, blas_schema, AT_F_NO_FLAG,
        AT_F_REQUIRED),
    OBJ("costs", at_machine_profile, costs, costs_schema,
        offsetof(at_machine_profile, has_costs), 0),
    {.key = "workloads",
     .type = AT_F_MAP,
     .offset = offsetof(at_machine_profile, workloads),
     .size = sizeof(at_workload_profile),
     .object = &at__workload_schema,
     .count_offset = offsetof(at_machine_profile, n_workloads),
     .name_offset = offsetof(at_workload_profile, name),
     .name_size = sizeof(((at_workload_profile *)0)->name)},
};
const at__object at__machine_schema = {"machine", ROWS(machine_fields), 0};

static const at__field profile_fields[] = {
    /* a number constant: written 2, read from 1 to 2 */
    CONST("autotune_profile", "2", 1, 2,
          "unsupported profile format version"),
    LIST("machines", at_profile, machines, n_machines, at_machine_profile,
         at__machine_schema, AT_F_REQUIRED),
};
const at__object at__profile_schema = {"profile", ROWS(profile_fields), 0};

/* ------------------------------------------------------ asking the rows */

static size_t count_of(const void *base, const at__field *f)
{
    return *(const size_t *)((const char *)base + f->count_offset);
}

static int object_any_present(const at__object *o, const void *base)
{
    for (size_t i = 0; i < o->n_fields; i++)
        if (at__field_present(base, &o->fields[i]))
            return 1;
    return 0;
}

void at__field_set_number(void *base, const at__field *f, double v)
{
    void *dst = at__field_at(base, f);
    if (f->type == AT_F_INT)
        *(int *)dst = (int)v;
    else if (f->type == AT_F_LONG)
        *(long *)dst = (long)v;
    else
        *(double *)dst = v;
}

static double number_of(const void *base, const at__field *f)
{
    const void *v = at__field_at(base, f);
    return f->type == AT_F_INT    ? *(const int *)v
           : f->type == AT_F_LONG ? (double)*(const long *)v
                                  : *(const double *)v;
}

int at__field_present(const void *base, const at__field *f)
{
    if (f->flags & AT_F_REQUIRED)
        return 1;
    switch (f->type) {
    case AT_F_INT:
    case AT_F_LONG:
    case AT_F_DOUBLE:
        if (f->flags & AT_F_ABSENT_AT_MIN)
            return number_of(base, f) != f->min;
        return !(f->flags & AT_F_ABSENT_BELOW_MIN) ||
               number_of(base, f) >= f->min;
    case AT_F_STRING: return ((const char *)at__field_at(base, f))[0] != 0;
    case AT_F_OBJECT:
        if (f->count_offset != AT_F_NO_FLAG)
            return *(const int *)((const char *)base + f->count_offset);
        return object_any_present(f->object, at__field_at(base, f));
    case AT_F_LIST:
    case AT_F_MAP: return count_of(base, f) > 0;
    default: return 1;
    }
}

/* Lists and maps: element by element, names included. */
static int elements_equal(const at__field *f, const void *a, const void *b)
{
    size_t n = count_of(a, f);
    if (n != count_of(b, f))
        return 0;
    const char *x = *(char *const *)at__field_at(a, f);
    const char *y = *(char *const *)at__field_at(b, f);
    for (size_t i = 0; i < n; i++, x += f->size, y += f->size)
        if ((f->type == AT_F_MAP &&
             strcmp(x + f->name_offset, y + f->name_offset) != 0) ||
            !at__object_equal(f->object, x, y))
            return 0;
    return 1;
}

/* Two numbers are equal when they are, or when both are unknown where
 * the field allows it (NAN is never equal to itself). */
static int doubles_equal(const at__field *f, double x, double y)
{
    return x == y || ((f->flags & AT_F_UNKNOWN_OK) && isnan(x) && isnan(y));
}

static int field_equal(const at__field *f, const void *a, const void *b)
{
    const void *x = at__field_at(a, f), *y = at__field_at(b, f);
    switch (f->type) {
    case AT_F_INT:
    case AT_F_ENUM: return *(const int *)x == *(const int *)y;
    case AT_F_LONG: return *(const long *)x == *(const long *)y;
    case AT_F_DOUBLE:
        return doubles_equal(f, *(const double *)x, *(const double *)y);
    case AT_F_STRING:
    case AT_F_TIME: return strcmp(x, y) == 0;
    case AT_F_OBJECT:
        if (at__field_present(a, f) != at__field_present(b, f))
            return 0;
        return !at__field_present(a, f) || at__object_equal(f->object, x, y);
    case AT_F_LIST:
    case AT_F_MAP: return elements_equal(f, a, b);
    case AT_F_CONST: return 1;
    }
    return 0;
}

int at__object_equal(const at__object *o, const void *a, const void *b)
{
    for (size_t i = 0; i < o->n_fields; i++)
        if (!field_equal(&o->fields[i], a, b))
            return 0;
    return 1;
}

/* ------------------------------------------------------------- numbers */

static size_t digits(const char *s)
{
    size_t n = 0;
    while (s[n] >= '0' && s[n] <= '9')
        n++;
    return n;
}

/* The length of the integer part at s, -?(0|[1-9][0-9]*); 0 if none. */
static size_t integer_part(const char *s)
{
    size_t sign = s[0] == '-', n = digits(s + sign);
    if (n == 0 || (n > 1 && s[sign] == '0'))
        return 0;
    return sign + n;
}

/* The length of what follows it in a real: (.[0-9]+)?([eE][-+]?[0-9]+)?;
 * (size_t)-1 when a point or an exponent has no digits. */
static size_t real_tail(const char *s)
{
    size_t n = 0;
    if (s[0] == '.') {
        size_t f = digits(s + 1);
        if (f == 0)
            return (size_t)-1;
        n = 1 + f;
    }
    if (s[n] == 'e' || s[n] == 'E') {
        size_t sign = s[n + 1] == '-' || s[n + 1] == '+';
        size_t e = digits(s + n + 1 + sign);
        if (e == 0)
            return (size_t)-1;
        n += 1 + sign + e;
    }
    return n;
}

int at__parse_integer(const char *text, long *value)
{
    size_t n = integer_part(text);
    if (n == 0 || text[n])
        return -1;
    errno = 0;
    long v = strtol(text, NULL, 10);
    if (errno)
        return -1; /* beyond long: out of any range the format has */
    *value = v;
    return 0;
}

/* The "C" locale, for numbers: strtod and printf read and write the
 * decimal point of the calling thread's locale, which in a process that
 * called setlocale(LC_ALL, "") for, say, de_DE is a comma: a profile
 * would be written "0,5" and "0.5" read as 0. Made once; (locale_t)0 if
 * it cannot be (no memory), and then the thread's own is used. */
static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;

static void make_c_locale(void)
{
    c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
}

/* Switches the calling thread to the "C" numbers; returns what to give
 * back to uselocale() after (thread-local, so other threads and the
 * caller's own locale are untouched). */
static locale_t numbers_begin(void)
{
    pthread_once(&c_locale_once, make_c_locale);
    return c_locale ? uselocale(c_locale) : (locale_t)0;
}

static void numbers_end(locale_t previous)
{
    if (previous)
        uselocale(previous);
}

/* at__parse_real in the thread's locale as it stands (its callers set
 * the "C" one). */
static int parse_real(const char *text, double *value)
{
    size_t n = integer_part(text);
    size_t tail = n ? real_tail(text + n) : (size_t)-1;
    if (tail == (size_t)-1 || text[n + tail])
        return -1;
    /* strtod sets ERANGE for an underflow too, whose result (0 or a
     * subnormal) is the value written; only an overflow is refused */
    double v = strtod(text, NULL);
    if (isinf(v))
        return -1;
    *value = v;
    return 0;
}

int at__parse_real(const char *text, double *value)
{
    locale_t previous = numbers_begin();
    int rc = parse_real(text, value);
    numbers_end(previous);
    return rc;
}

void at__format_real(double value, char *buf, size_t size)
{
    double back;
    locale_t previous = numbers_begin();
    for (int precision = 6; precision <= 17; precision++) {
        snprintf(buf, size, "%.*g", precision, value);
        if (parse_real(buf, &back) == 0 && back == value)
            break;
    }
    numbers_end(previous);
}
