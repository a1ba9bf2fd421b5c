/* profile_load.c - read a profile: strict, all-or-nothing, every problem
 * reported with file, line, column and key.
 *
 * The YAML is loaded into a libyaml document (node tree with marks), then
 * walked with field tables: one generic walker checks unknown, duplicate and
 * missing keys, types and ranges for every object of the format, so all
 * messages are worded alike. See data/profile-format.md. */
#include "config.h"

#include "internal.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define PROFILE_VERSION 1
#define MAX_PROFILE_BYTES (256L * 1024 * 1024)

typedef struct ctx {
    const char *file;
    yaml_document_t *doc;
    at_error *err;
    const char *workload; /* while reading one workload */
    at_workload_kind kind;
} ctx;

/* ------------------------------------------------------------ reporting */

static at_status fail_node(ctx *c, const yaml_node_t *node, const char *key,
                           const char *fmt, ...) AT_PRINTF(4, 5);

static at_status fail_node(ctx *c, const yaml_node_t *node, const char *key,
                           const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    int line = node ? (int)node->start_mark.line + 1 : 0;
    int col = node ? (int)node->start_mark.column + 1 : 0;
    return at__fail_at(c->err, AT_ERR_PROFILE, c->file, line, col, key, "%s",
                       msg);
}

static yaml_node_t *node_of(ctx *c, int index)
{
    return yaml_document_get_node(c->doc, index);
}

static const char *scalar(const yaml_node_t *n)
{
    return (const char *)n->data.scalar.value;
}

/* The value of `key` in a mapping (or the mapping itself when absent), so
 * checks that span several keys can point at the one at fault. */
static yaml_node_t *value_of(ctx *c, yaml_node_t *map, const char *key)
{
    if (map->type != YAML_MAPPING_NODE)
        return map;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
         p < map->data.mapping.pairs.top; p++) {
        yaml_node_t *k = node_of(c, p->key);
        if (k->type == YAML_SCALAR_NODE && strcmp(scalar(k), key) == 0)
            return node_of(c, p->value);
    }
    return map;
}

static const char *type_name(const yaml_node_t *n)
{
    switch (n->type) {
    case YAML_MAPPING_NODE: return "a mapping";
    case YAML_SEQUENCE_NODE: return "a list";
    default: return "a scalar";
    }
}

static at_status expect(ctx *c, const yaml_node_t *n, yaml_node_type_t type,
                        const char *key)
{
    static const char *const wanted[] = {
        [YAML_SCALAR_NODE] = "a scalar",
        [YAML_SEQUENCE_NODE] = "a list",
        [YAML_MAPPING_NODE] = "a mapping"};
    if (n->type == type)
        return AT_OK;
    return fail_node(c, n, key, "'%s' must be %s, not %s", key, wanted[type],
                     type_name(n));
}

/* ------------------------------------------------------- scalar parsing */

static int is_plain(const yaml_node_t *n)
{
    return n->type == YAML_SCALAR_NODE &&
           n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

/* How a rejected value is quoted back: a quoted scalar keeps its quotes,
 * so '"2"' shows why a number in quotes is not a number. */
static const char *shown(const yaml_node_t *n, char *buf, size_t size)
{
    if (n->type != YAML_SCALAR_NODE)
        return type_name(n);
    if (is_plain(n))
        return scalar(n);
    snprintf(buf, size, "\"%s\"", scalar(n));
    return buf;
}

static at_status parse_long(ctx *c, const yaml_node_t *n, const char *key,
                            long min, long max, long *out)
{
    const char *s = n->type == YAML_SCALAR_NODE ? scalar(n) : "";
    char *end, buf[96];
    errno = 0;
    long v = strtol(s, &end, 10);
    if (!is_plain(n) || !*s || *end || errno || v < min || v > max)
        return fail_node(c, n, key,
                         "'%s' must be an integer from %ld to %ld, got '%s'",
                         key, min, max, shown(n, buf, sizeof buf));
    *out = v;
    return AT_OK;
}

static at_status parse_double(ctx *c, const yaml_node_t *n, const char *key,
                              double min, double max, double *out)
{
    const char *s = n->type == YAML_SCALAR_NODE ? scalar(n) : "";
    char *end, buf[96];
    errno = 0;
    double v = strtod(s, &end);
    if (!is_plain(n) || !*s || *end || errno || !isfinite(v) || v < min ||
        v > max) {
        const char *got = shown(n, buf, sizeof buf);
        if (max >= HUGE_VAL)
            return fail_node(c, n, key,
                             "'%s' must be a number >= %g, got '%s'", key,
                             min, got);
        return fail_node(c, n, key,
                         "'%s' must be a number from %g to %g, got '%s'", key,
                         min, max, got);
    }
    *out = v;
    return AT_OK;
}

/* ---------------------------------------------------------- field tables */

typedef enum ftype {
    F_INT,       /* int, range [min, max] */
    F_LONG,      /* long, range [min, max] */
    F_DOUBLE,    /* double, range [min, max] */
    F_STRING,    /* char[size], non-empty */
    F_TIMESTAMP, /* char[32], UTC */
    F_MODE,
    F_TRANSPORT,
    F_PIN,
    F_SUB /* a nested object read by `sub` */
} ftype;

struct field;
typedef at_status (*sub_reader)(ctx *c, yaml_node_t *node, void *dst);

typedef struct field {
    const char *key;
    ftype type;
    size_t offset;
    size_t size; /* F_STRING: buffer size */
    double min, max;
    int required;
    sub_reader sub;
} field;

#define INT(st, m, lo, hi, req) {#m, F_INT, offsetof(st, m), 0, lo, hi, req, NULL}
#define LONG(st, m, lo, hi, req) {#m, F_LONG, offsetof(st, m), 0, lo, hi, req, NULL}
#define DBL(st, m, lo, hi, req) {#m, F_DOUBLE, offsetof(st, m), 0, lo, hi, req, NULL}
#define STR(st, m, req) {#m, F_STRING, offsetof(st, m), sizeof(((st *)0)->m), 0, 0, req, NULL}
#define NAMED_STR(k, st, m, req) {k, F_STRING, offsetof(st, m), sizeof(((st *)0)->m), 0, 0, req, NULL}
#define TIME(st, m, req) {#m, F_TIMESTAMP, offsetof(st, m), 0, 0, 0, req, NULL}
#define SUB(k, st, m, fn, req) {k, F_SUB, offsetof(st, m), 0, 0, 0, req, fn}
#define FIELDS(t) t, sizeof(t) / sizeof((t)[0])

static at_status read_enum(ctx *c, yaml_node_t *v, const field *f,
                           void *dst)
{
    at_error scratch;
    at_status s = expect(c, v, YAML_SCALAR_NODE, f->key);
    if (s != AT_OK)
        return s;
    int ok = f->type == F_MODE
                 ? at_mode_parse(scalar(v), dst, &scratch)
                 : f->type == F_TRANSPORT
                       ? at_transport_parse(scalar(v), dst, &scratch)
                       : at_pin_parse(scalar(v), dst, &scratch);
    if (ok != AT_OK) /* scratch says "mode must be one of ..." */
        return fail_node(c, v, f->key, "'%s' %s", f->key,
                         strstr(scratch.message, "must"));
    return AT_OK;
}

static at_status read_field(ctx *c, yaml_node_t *v, const field *f,
                            char *base)
{
    void *dst = base + f->offset;
    long l;
    at_status s;
    switch (f->type) {
    case F_INT:
        if ((s = parse_long(c, v, f->key, (long)f->min, (long)f->max, &l)))
            return s;
        *(int *)dst = (int)l;
        return AT_OK;
    case F_LONG:
        return parse_long(c, v, f->key, (long)f->min, (long)f->max, dst);
    case F_DOUBLE:
        return parse_double(c, v, f->key, f->min, f->max, dst);
    case F_STRING:
        if ((s = expect(c, v, YAML_SCALAR_NODE, f->key)))
            return s;
        if (!scalar(v)[0] || strlen(scalar(v)) >= f->size)
            return fail_node(c, v, f->key,
                             "'%s' must be a text of 1 to %zu characters",
                             f->key, f->size - 1);
        at__strlcpy(dst, scalar(v), f->size);
        return AT_OK;
    case F_TIMESTAMP:
        if ((s = expect(c, v, YAML_SCALAR_NODE, f->key)))
            return s;
        if (!at__timestamp_valid(scalar(v)))
            return fail_node(c, v, f->key,
                             "'%s' must be a UTC time like "
                             "2026-01-31T12:00:00Z, got '%s'",
                             f->key, scalar(v));
        at__strlcpy(dst, scalar(v), 32);
        return AT_OK;
    case F_MODE:
    case F_TRANSPORT:
    case F_PIN:
        return read_enum(c, v, f, dst);
    case F_SUB:
        return f->sub(c, v, dst);
    }
    return AT_OK;
}

/* Reads a mapping against a field table: unknown keys, duplicate keys,
 * missing required keys and each value are checked, in file order. `what`
 * names the object in messages ("machine", "best", ...). */
static at_status read_mapping(ctx *c, yaml_node_t *node, const char *what,
                              const field *fields, size_t n, void *dst)
{
    at_status s = expect(c, node, YAML_MAPPING_NODE, what);
    if (s != AT_OK)
        return s;
    unsigned char seen[32] = {0};
    for (yaml_node_pair_t *p = node->data.mapping.pairs.start;
         p < node->data.mapping.pairs.top; p++) {
        yaml_node_t *k = node_of(c, p->key), *v = node_of(c, p->value);
        if (k->type != YAML_SCALAR_NODE)
            return fail_node(c, k, "", "a key in %s must be a scalar", what);
        size_t i = 0;
        while (i < n && strcmp(fields[i].key, scalar(k)) != 0)
            i++;
        if (i == n)
            return fail_node(c, k, scalar(k), "unknown key '%s' in %s",
                             scalar(k), what);
        if (seen[i]++)
            return fail_node(c, k, scalar(k), "duplicate key '%s' in %s",
                             scalar(k), what);
        if ((s = read_field(c, v, &fields[i], dst)) != AT_OK)
            return s;
    }
    for (size_t i = 0; i < n; i++)
        if (fields[i].required && !seen[i])
            return fail_node(c, node, fields[i].key,
                             "missing key '%s' in %s", fields[i].key, what);
    return AT_OK;
}

/* ------------------------------------------------------- the objects */

#define BIG 1e12

static const field config_fields[] = {
    INT(at_config, workers, 1, AT_MAX_WORKERS, 1),
    {"mode", F_MODE, offsetof(at_config, mode), 0, 0, 0, 1, NULL},
    INT(at_config, blas_threads, 1, AT_MAX_THREADS, 1),
    INT(at_config, chunk_size, 1, AT_MAX_CHUNK, 1),
    INT(at_config, partitions, 1, AT_MAX_PARTITIONS, 1),
    {"transport", F_TRANSPORT, offsetof(at_config, transport), 0, 0, 0, 1,
     NULL},
    {"pin", F_PIN, offsetof(at_config, pin), 0, 0, 0, 1, NULL},
};

static at_status read_config(ctx *c, yaml_node_t *node, void *dst)
{
    return read_mapping(c, node, "config", FIELDS(config_fields), dst);
}

static at_status read_best(ctx *c, yaml_node_t *node, void *dst)
{
    return read_mapping(c, node, "best", FIELDS(config_fields), dst);
}

static const field baseline_fields[] = {
    DBL(at_baselines, serial_default, 0, HUGE_VAL, 0),
    DBL(at_baselines, serial_1, 0, HUGE_VAL, 0),
    DBL(at_baselines, naive_pool, 0, HUGE_VAL, 0),
    DBL(at_baselines, joblib_rule, 0, HUGE_VAL, 0),
};

static at_status read_baselines(ctx *c, yaml_node_t *node, void *dst)
{
    return read_mapping(c, node, "baselines", FIELDS(baseline_fields), dst);
}

/* The knob values must fit the job: a chunk no larger than the tasks,
 * partitions only for vector workloads, one item for a vector. */
static at_status check_fits_job(ctx *c, yaml_node_t *node, const char *what,
                                const char *config_key, long items,
                                const at_config *cfg)
{
    yaml_node_t *config = value_of(c, node, config_key);
    if (c->kind == AT_KIND_VECTOR && items != 1)
        return fail_node(c, value_of(c, node, "items"), "items",
                         "'items' must be 1 for vector workload '%s' in %s",
                         c->workload, what);
    if (c->kind == AT_KIND_BATCH && cfg->partitions != 1)
        return fail_node(c, value_of(c, config, "partitions"), "partitions",
                         "'partitions' must be 1 for batch workload '%s' "
                         "in %s",
                         c->workload, what);
    long tasks = c->kind == AT_KIND_VECTOR ? cfg->partitions : items;
    if (cfg->chunk_size > tasks)
        return fail_node(c, value_of(c, config, "chunk_size"), "chunk_size",
                         "'chunk_size' %d exceeds the %ld tasks of the job "
                         "in %s",
                         cfg->chunk_size, tasks, what);
    return AT_OK;
}

static const field entry_fields[] = {
    LONG(at_entry, size, 1, (long)BIG, 1),
    LONG(at_entry, items, 1, (long)BIG, 1),
    DBL(at_entry, seconds, 0, HUGE_VAL, 1),
    DBL(at_entry, spread, 0, HUGE_VAL, 1),
    TIME(at_entry, measured, 1),
    SUB("best", at_entry, best, read_best, 1),
    SUB("baselines", at_entry, baselines, read_baselines, 0),
};

static at_status read_entry(ctx *c, yaml_node_t *node, at_entry *e)
{
    e->baselines = (at_baselines){-1, -1, -1, -1};
    at_status s = read_mapping(c, node, "entry", FIELDS(entry_fields), e);
    return s ? s : check_fits_job(c, node, "entry", "best", e->items,
                                  &e->best);
}

static const field sample_fields[] = {
    LONG(at_sample, size, 1, (long)BIG, 1),
    LONG(at_sample, items, 1, (long)BIG, 1),
    DBL(at_sample, seconds, 0, HUGE_VAL, 1),
    DBL(at_sample, spread, 0, HUGE_VAL, 1),
    SUB("config", at_sample, config, read_config, 1),
};

static at_status read_sample(ctx *c, yaml_node_t *node, at_sample *smp)
{
    at_status s = read_mapping(c, node, "sample", FIELDS(sample_fields), smp);
    return s ? s : check_fits_job(c, node, "sample", "config",
                                  smp->items, &smp->config);
}

static const field param_fields[] = {
    DBL(at_model, ref_size, 1, BIG, 1),
    DBL(at_model, compute_s, 0, HUGE_VAL, 1),
    DBL(at_model, exponent, 0, 4, 1),
    DBL(at_model, parallel_fraction, 0, 1, 1),
    DBL(at_model, contention, 0, 100, 1),
    DBL(at_model, oversub, 0, 100, 1),
    DBL(at_model, thread_factor, 0.01, 100, 1),
    DBL(at_model, unpinned_spread, 0, 1, 1),
    DBL(at_model, dispatch_s, 0, 10, 1),
};

static at_status read_params(ctx *c, yaml_node_t *node, void *dst)
{
    return read_mapping(c, node, "params", FIELDS(param_fields), dst);
}

typedef struct model_text {
    char form[32];
    at_model model;
} model_text;

static const field model_fields[] = {
    NAMED_STR("form", model_text, form, 1),
    {"fitted", F_TIMESTAMP, offsetof(model_text, model.fitted), 0, 0, 0, 1,
     NULL},
    {"error", F_DOUBLE, offsetof(model_text, model.error), 0, 0, HUGE_VAL, 1,
     NULL},
    SUB("params", model_text, model, read_params, 1),
};

static at_status read_model(ctx *c, yaml_node_t *node, at_model *out)
{
    model_text mt;
    memset(&mt, 0, sizeof mt);
    at_status s = read_mapping(c, node, "model", FIELDS(model_fields), &mt);
    if (s != AT_OK)
        return s;
    if (strcmp(mt.form, AT_MODEL_FORM) != 0)
        return fail_node(c, value_of(c, node, "form"), "form",
                         "unknown model form '%s' (this library reads %s)",
                         mt.form, AT_MODEL_FORM);
    *out = mt.model;
    return AT_OK;
}

/* A list of mappings, each read by `one` into an array of `elem` bytes. */
static at_status read_list(ctx *c, yaml_node_t *node, const char *key,
                           size_t elem, void **array, size_t *count,
                           at_status (*one)(ctx *, yaml_node_t *, void *))
{
    at_status s = expect(c, node, YAML_SEQUENCE_NODE, key);
    if (s != AT_OK)
        return s;
    size_t n = node->data.sequence.items.top - node->data.sequence.items.start;
    char *items = n ? calloc(n, elem) : NULL;
    if (n && !items)
        return at__fail(c->err, AT_ERR_NOMEM, "out of memory");
    *array = items; /* owned by the caller from here, even on failure */
    *count = 0;
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *item = node_of(c, node->data.sequence.items.start[i]);
        *count = i + 1; /* zeroed, so safe to free even if half read */
        if ((s = one(c, item, items + i * elem)) != AT_OK)
            return s;
    }
    return AT_OK;
}

static at_status read_entry_v(ctx *c, yaml_node_t *n, void *dst)
{
    return read_entry(c, n, dst);
}

static at_status read_sample_v(ctx *c, yaml_node_t *n, void *dst)
{
    return read_sample(c, n, dst);
}

/* Entries are keyed by (size, items): a second one is an error, reported
 * at the later of the two in file order. Called before sorting. */
typedef struct entry_key {
    long size, items;
    size_t index;
} entry_key;

static int entry_key_cmp(const void *a, const void *b)
{
    const entry_key *x = a, *y = b;
    if (x->size != y->size)
        return x->size < y->size ? -1 : 1;
    if (x->items != y->items)
        return x->items < y->items ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

static at_status check_unique_entries(ctx *c, yaml_node_t *list,
                                      const at_workload_profile *wp)
{
    size_t n = wp->n_entries;
    if (n < 2)
        return AT_OK;
    entry_key *keys = malloc(n * sizeof *keys);
    if (!keys)
        return at__fail(c->err, AT_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++)
        keys[i] = (entry_key){wp->entries[i].size, wp->entries[i].items, i};
    qsort(keys, n, sizeof *keys, entry_key_cmp);
    at_status s = AT_OK;
    for (size_t i = 1; s == AT_OK && i < n; i++)
        if (keys[i].size == keys[i - 1].size &&
            keys[i].items == keys[i - 1].items)
            s = fail_node(c, node_of(c, list->data.sequence.items
                                            .start[keys[i].index]),
                          "",
                          "duplicate entry for size %ld, items %ld in "
                          "workload '%s'",
                          keys[i].size, keys[i].items, wp->name);
    free(keys);
    return s;
}

typedef struct workload_text {
    at_workload_profile *wp;
    yaml_node_t *entries_node;
} workload_text;

static at_status read_workload_model(ctx *c, yaml_node_t *n, void *dst)
{
    workload_text *wt = dst;
    wt->wp->has_model = 1;
    return read_model(c, n, &wt->wp->model);
}

static at_status read_workload_entries(ctx *c, yaml_node_t *n, void *dst)
{
    workload_text *wt = dst;
    wt->entries_node = n;
    return read_list(c, n, "entries", sizeof(at_entry),
                     (void **)&wt->wp->entries, &wt->wp->n_entries,
                     read_entry_v);
}

static at_status read_workload_samples(ctx *c, yaml_node_t *n, void *dst)
{
    workload_text *wt = dst;
    return read_list(c, n, "samples", sizeof(at_sample),
                     (void **)&wt->wp->samples, &wt->wp->n_samples,
                     read_sample_v);
}

static const field workload_fields[] = {
    {"model", F_SUB, 0, 0, 0, 0, 0, read_workload_model},
    {"entries", F_SUB, 0, 0, 0, 0, 0, read_workload_entries},
    {"samples", F_SUB, 0, 0, 0, 0, 0, read_workload_samples},
};

static at_status read_workloads(ctx *c, yaml_node_t *node, void *dst)
{
    at_machine_profile *mp = dst;
    at_status s = expect(c, node, YAML_MAPPING_NODE, "workloads");
    if (s != AT_OK)
        return s;
    for (yaml_node_pair_t *p = node->data.mapping.pairs.start;
         p < node->data.mapping.pairs.top; p++) {
        yaml_node_t *k = node_of(c, p->key), *v = node_of(c, p->value);
        if (k->type != YAML_SCALAR_NODE ||
            at_workload_kind_of(scalar(k), &c->kind) != 0)
            return fail_node(c, k, k->type == YAML_SCALAR_NODE ? scalar(k) : "",
                             "unknown workload '%s' (known: inv, svd, gemm, "
                             "exp)",
                             k->type == YAML_SCALAR_NODE ? scalar(k) : "?");
        if (at_machine_profile_workload(mp, scalar(k)))
            return fail_node(c, k, scalar(k),
                             "duplicate key '%s' in workloads", scalar(k));
        at_workload_profile *wp = at__workload_get(mp, scalar(k));
        if (!wp)
            return at__fail(c->err, AT_ERR_NOMEM, "out of memory");
        c->workload = wp->name;
        workload_text wt = {wp, NULL};
        if ((s = read_mapping(c, v, "workload", FIELDS(workload_fields),
                              &wt)) != AT_OK)
            return s;
        if (wt.entries_node &&
            (s = check_unique_entries(c, wt.entries_node, wp)) != AT_OK)
            return s;
        at__entries_sort(wp);
    }
    return AT_OK;
}

static const field cpu_fields[] = {
    NAMED_STR("model", at_machine, cpu_model, 1),
    STR(at_machine, arch, 1),
    INT(at_machine, usable_cpus, 1, AT_MAX_WORKERS, 1),
    INT(at_machine, cores, 1, 1 << 20, 1),
    INT(at_machine, sockets, 1, 1 << 16, 1),
    INT(at_machine, numa_nodes, 1, 1 << 16, 1),
    LONG(at_machine, l1d_kb, 0, 1L << 30, 0),
    LONG(at_machine, l2_kb, 0, 1L << 30, 0),
    LONG(at_machine, l3_kb, 0, 1L << 30, 0),
};

static at_status read_cpu(ctx *c, yaml_node_t *n, void *dst)
{
    return read_mapping(c, n, "cpu", FIELDS(cpu_fields), dst);
}

static const field blas_fields[] = {
    NAMED_STR("vendor", at_machine, blas_vendor, 1),
    NAMED_STR("version", at_machine, blas_version, 1),
    NAMED_STR("corename", at_machine, blas_corename, 1),
    NAMED_STR("threading", at_machine, blas_threading, 1),
    {"max_threads", F_INT, offsetof(at_machine, blas_max_threads), 0, 0,
     AT_MAX_THREADS, 0, NULL},
};

static at_status read_blas(ctx *c, yaml_node_t *n, void *dst)
{
    return read_mapping(c, n, "blas", FIELDS(blas_fields), dst);
}

static const field transport_fields[] = {
    DBL(at_transport_cost, latency_us, 0, HUGE_VAL, 1),
    DBL(at_transport_cost, gbytes_per_s, 0, HUGE_VAL, 1),
};

static at_status read_transport(ctx *c, yaml_node_t *n, void *dst)
{
    return read_mapping(c, n, "transport costs", FIELDS(transport_fields),
                        dst);
}

static const field cost_fields[] = {
    SUB("pipe", at_machine_costs, pipe, read_transport, 1),
    SUB("shm", at_machine_costs, shm, read_transport, 1),
    SUB("thread", at_machine_costs, thread, read_transport, 1),
    DBL(at_machine_costs, process_start_us, 0, HUGE_VAL, 1),
    DBL(at_machine_costs, thread_start_us, 0, HUGE_VAL, 1),
};

static at_status read_costs(ctx *c, yaml_node_t *n, void *dst)
{
    at_machine_profile *mp = dst;
    mp->has_costs = 1;
    return read_mapping(c, n, "costs", FIELDS(cost_fields), &mp->costs);
}

static at_status read_cpu_v(ctx *c, yaml_node_t *n, void *dst)
{
    return read_cpu(c, n, &((at_machine_profile *)dst)->machine);
}

static at_status read_blas_v(ctx *c, yaml_node_t *n, void *dst)
{
    return read_blas(c, n, &((at_machine_profile *)dst)->machine);
}

static const field machine_fields[] = {
    NAMED_STR("fingerprint", at_machine_profile, machine.fingerprint, 1),
    NAMED_STR("host", at_machine_profile, machine.host, 0),
    {"cpu", F_SUB, 0, 0, 0, 0, 1, read_cpu_v},
    {"blas", F_SUB, 0, 0, 0, 0, 1, read_blas_v},
    {"costs", F_SUB, 0, 0, 0, 0, 0, read_costs},
    {"workloads", F_SUB, 0, 0, 0, 0, 0, read_workloads},
};

/* The stored fingerprint must be the hash of the stored identity: a hand
 * edit of one without the other would silently match the wrong machine.
 * The hardware fingerprint is derived, never stored. */
static at_status check_fingerprint(ctx *c, yaml_node_t *node,
                                   at_machine_profile *mp)
{
    at_machine m = mp->machine;
    at_machine_fingerprint(&m);
    memcpy(mp->machine.hardware, m.hardware, sizeof m.hardware);
    if (strcmp(m.fingerprint, mp->machine.fingerprint) == 0)
        return AT_OK;
    return fail_node(c, value_of(c, node, "fingerprint"), "fingerprint",
                     "fingerprint '%s' does not match the machine's cpu and "
                     "blas fields (they hash to '%s')",
                     mp->machine.fingerprint, m.fingerprint);
}

static at_status read_machine(ctx *c, yaml_node_t *node, void *dst)
{
    at_machine_profile *mp = dst;
    at_status s =
        read_mapping(c, node, "machine", FIELDS(machine_fields), mp);
    return s ? s : check_fingerprint(c, node, mp);
}

static at_status read_machines(ctx *c, yaml_node_t *node, void *dst)
{
    at_profile *p = dst;
    at_status s = read_list(c, node, "machines", sizeof(at_machine_profile),
                            (void **)&p->machines, &p->n_machines,
                            read_machine);
    for (size_t i = 0; s == AT_OK && i < p->n_machines; i++)
        for (size_t j = 0; j < i; j++)
            if (strcmp(p->machines[i].machine.fingerprint,
                       p->machines[j].machine.fingerprint) == 0)
                return fail_node(
                    c,
                    value_of(c, node_of(c, node->data.sequence.items.start[i]),
                             "fingerprint"),
                    "fingerprint", "duplicate machine fingerprint '%s'",
                    p->machines[i].machine.fingerprint);
    return s;
}

static at_status read_version(ctx *c, yaml_node_t *node, void *dst)
{
    long v;
    (void)dst;
    char buf[96];
    if (node->type != YAML_SCALAR_NODE || !is_plain(node) ||
        parse_long(c, node, "autotune_profile", 1, 1000000, &v) != AT_OK ||
        v != PROFILE_VERSION)
        return fail_node(c, node, "autotune_profile",
                         "unsupported profile format version '%s' (this "
                         "library reads version %d)",
                         shown(node, buf, sizeof buf), PROFILE_VERSION);
    return AT_OK;
}

static const field top_fields[] = {
    {"autotune_profile", F_SUB, 0, 0, 0, 0, 1, read_version},
    {"machines", F_SUB, 0, 0, 0, 0, 1, read_machines},
};

/* ---------------------------------------------------------- the document */

/* An alias makes one node appear in several places; libyaml resolves it to
 * a shared node. The format has no use for it and a nest of aliases can
 * blow a small file up, so any node referenced twice is refused. */
static at_status refuse_aliases(ctx *c)
{
    size_t n = c->doc->nodes.top - c->doc->nodes.start;
    unsigned char *refs = calloc(n + 1, 1);
    if (!refs)
        return at__fail(c->err, AT_ERR_NOMEM, "out of memory");
    at_status s = AT_OK;
    for (size_t i = 0; s == AT_OK && i < n; i++) {
        yaml_node_t *node = c->doc->nodes.start + i;
        yaml_node_item_t *a = NULL, *b = NULL;
        if (node->type == YAML_SEQUENCE_NODE) {
            a = node->data.sequence.items.start;
            b = node->data.sequence.items.top;
        }
        for (; s == AT_OK && a < b; a++)
            if (refs[*a]++)
                s = fail_node(c, node, "",
                              "aliases are not allowed in a profile (an "
                              "item of this list is one)");
        if (node->type != YAML_MAPPING_NODE)
            continue;
        /* The aliased node carries its anchor's position, so the message
         * points at the key whose value is the alias. */
        for (yaml_node_pair_t *p = node->data.mapping.pairs.start;
             s == AT_OK && p < node->data.mapping.pairs.top; p++) {
            yaml_node_t *key = node_of(c, p->key);
            if (refs[p->key]++ || refs[p->value]++)
                s = fail_node(c, key,
                              key->type == YAML_SCALAR_NODE ? scalar(key)
                                                            : "",
                              "aliases are not allowed in a profile (the "
                              "value of '%s' is one)",
                              key->type == YAML_SCALAR_NODE ? scalar(key)
                                                            : "?");
        }
    }
    free(refs);
    return s;
}

/* A reader error (bad encoding) has a byte offset, not a mark: count the
 * lines and characters up to it. */
static yaml_mark_t mark_at_offset(const char *text, size_t offset)
{
    yaml_mark_t m = {offset, 0, 0};
    for (size_t i = 0; i < offset; i++) {
        if (text[i] == '\n') {
            m.line++;
            m.column = 0;
        } else if (((unsigned char)text[i] & 0xC0) != 0x80)
            m.column++;
    }
    return m;
}

static at_status syntax_error(ctx *c, const yaml_parser_t *parser,
                              const char *text, size_t length)
{
    yaml_mark_t m = parser->problem_mark;
    if (parser->error == YAML_MEMORY_ERROR)
        return at__fail(c->err, AT_ERR_NOMEM, "out of memory");
    if (parser->error == YAML_READER_ERROR)
        m = mark_at_offset(text, parser->problem_offset < length
                                     ? parser->problem_offset
                                     : length);
    if (parser->context)
        return at__fail_at(c->err, AT_ERR_SYNTAX, c->file, (int)m.line + 1,
                           (int)m.column + 1, "", "%s %s", parser->problem,
                           parser->context);
    return at__fail_at(c->err, AT_ERR_SYNTAX, c->file, (int)m.line + 1,
                       (int)m.column + 1, "", "%s", parser->problem);
}

/* Loads exactly one YAML document from the buffer into *doc. */
static at_status load_document(ctx *c, const char *yaml, size_t length,
                               yaml_document_t *doc)
{
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser))
        return at__fail(c->err, AT_ERR_NOMEM, "out of memory");
    yaml_parser_set_input_string(&parser, (const unsigned char *)yaml,
                                 length);
    at_status s = AT_OK;
    if (!yaml_parser_load(&parser, doc)) {
        s = syntax_error(c, &parser, yaml, length);
        yaml_parser_delete(&parser);
        return s;
    }
    yaml_document_t extra;
    if (!yaml_parser_load(&parser, &extra))
        s = syntax_error(c, &parser, yaml, length);
    else {
        yaml_node_t *root = yaml_document_get_root_node(&extra);
        if (root)
            s = at__fail_at(c->err, AT_ERR_PROFILE, c->file,
                            (int)root->start_mark.line + 1,
                            (int)root->start_mark.column + 1, "",
                            "a profile is one YAML document; found a second");
        yaml_document_delete(&extra);
    }
    if (s != AT_OK)
        yaml_document_delete(doc);
    yaml_parser_delete(&parser);
    return s;
}

at_status at_profile_load_string(const char *yaml, size_t length,
                                 const char *name, at_profile **out,
                                 at_error *err)
{
    AT_REQUIRE(yaml, err);
    AT_REQUIRE(out, err);
    ctx c = {name ? name : "<string>", NULL, err, NULL, AT_KIND_BATCH};
    yaml_document_t doc;
    at_status s = load_document(&c, yaml, length, &doc);
    if (s != AT_OK)
        return s;
    c.doc = &doc;
    at_profile *p = calloc(1, sizeof *p);
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (!p)
        s = at__fail(err, AT_ERR_NOMEM, "out of memory");
    else if (!root)
        s = at__fail_at(err, AT_ERR_PROFILE, c.file, 1, 1, "",
                        "the file is empty, not a profile");
    else if ((s = refuse_aliases(&c)) == AT_OK)
        s = read_mapping(&c, root, "profile", FIELDS(top_fields), p);
    yaml_document_delete(&doc);
    if (s != AT_OK) {
        at_profile_free(p);
        return s;
    }
    *out = p;
    return AT_OK;
}

at_status at_profile_load(const char *path, at_profile **out, at_error *err)
{
    AT_REQUIRE(path, err);
    AT_REQUIRE(out, err);
    FILE *f = fopen(path, "rb");
    if (!f)
        return at__fail_at(err, AT_ERR_IO, path, 0, 0, "", "cannot open: %s",
                           strerror(errno));
    char *buf = NULL;
    size_t len = 0, cap = 0;
    at_status s = AT_OK;
    for (;;) {
        if (len + 65536 > cap) {
            cap = cap ? cap * 2 : 65536 * 2;
            char *grown = len + 65536 > MAX_PROFILE_BYTES ? NULL
                                                          : realloc(buf, cap);
            if (!grown) {
                s = at__fail_at(err, AT_ERR_IO, path, 0, 0, "",
                                "too large for a profile (limit %ld MiB)",
                                MAX_PROFILE_BYTES >> 20);
                break;
            }
            buf = grown;
        }
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (n == 0) {
            if (ferror(f))
                s = at__fail_at(err, AT_ERR_IO, path, 0, 0, "",
                                "read error: %s", strerror(errno));
            break;
        }
    }
    fclose(f);
    if (s == AT_OK)
        s = at_profile_load_string(buf ? buf : "", len, path, out, err);
    free(buf);
    return s;
}
