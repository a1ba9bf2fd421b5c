/* profile_load.c - read a profile: strict, all-or-nothing, every problem
 * reported with file, line, column and key.
 *
 * The YAML is loaded into a libyaml document (node tree with marks), then
 * walked with the format's description (schema.c): one generic walker
 * checks unknown, duplicate and missing keys, types and ranges for every
 * object of the format, so all messages are worded alike; the few checks
 * that span several fields run after their object. See
 * data/profile-format.md. */
#include "config.h"

#include "schema.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#define MAX_PROFILE_BYTES (256L * 1024 * 1024)

typedef struct ctx {
    const char *file;
    yaml_document_t *doc;
    at_error *err;
    const char *workload; /* while reading one workload */
    at_workload_kind kind;
    long version; /* the file's format version, 0 until known */
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
    static const char *const wanted[] = {[YAML_SCALAR_NODE] = "a scalar",
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

/* ------------------------------------------------- reading by the schema */

static at_status read_object(ctx *c, yaml_node_t *node, const at__object *o,
                             void *base);

static at_status read_enum(ctx *c, yaml_node_t *v, const at__field *f,
                           void *dst)
{
    at_error scratch;
    at_status s = expect(c, v, YAML_SCALAR_NODE, f->key);
    if (s != AT_OK)
        return s;
    if (at__enum_parse(f->names, f->n_names, f->key, scalar(v), dst,
                       &scratch) != AT_OK) /* "mode must be one of ..." */
        return fail_node(c, v, f->key, "'%s' %s", f->key,
                         strstr(scratch.message, "must"));
    return AT_OK;
}

static at_status read_string(ctx *c, yaml_node_t *v, const at__field *f,
                             char *dst)
{
    at_status s = expect(c, v, YAML_SCALAR_NODE, f->key);
    if (s != AT_OK)
        return s;
    if (!scalar(v)[0] || strlen(scalar(v)) >= f->size)
        return fail_node(c, v, f->key,
                         "'%s' must be a text of 1 to %zu characters", f->key,
                         f->size - 1);
    at__strlcpy(dst, scalar(v), f->size);
    return AT_OK;
}

static at_status read_time(ctx *c, yaml_node_t *v, const at__field *f,
                           char *dst)
{
    at_status s = expect(c, v, YAML_SCALAR_NODE, f->key);
    if (s != AT_OK)
        return s;
    if (!at__timestamp_valid(scalar(v)))
        return fail_node(c, v, f->key,
                         "'%s' must be a UTC time like "
                         "2026-01-31T12:00:00Z, got '%s'",
                         f->key, scalar(v));
    at__strlcpy(dst, scalar(v), f->size);
    return AT_OK;
}

/* A value that must be f->konst: a number (the format version) one from
 * f->min to f->max, the versions read (anything else is an unsupported
 * version); a text (the model form) that text, checked as a text first. */
static at_status read_const(ctx *c, yaml_node_t *v, const at__field *f)
{
    char buf[96], text[32];
    long n;
    if (f->max > 0) {
        if (v->type == YAML_SCALAR_NODE && is_plain(v) &&
            parse_long(c, v, f->key, (long)f->min, (long)f->max, &n) == AT_OK)
            return AT_OK;
        return fail_node(
            c, v, f->key, "%s '%s' (this library reads versions %g to %g)",
            f->konst_message, shown(v, buf, sizeof buf), f->min, f->max);
    }
    at__field as_text = *f;
    as_text.size = sizeof text;
    at_status s = read_string(c, v, &as_text, text);
    if (s == AT_OK && strcmp(text, f->konst) != 0)
        s = fail_node(c, v, f->key, "%s '%s' (this library reads %s)",
                      f->konst_message, text, f->konst);
    return s;
}

static at_status read_list(ctx *c, yaml_node_t *node, const at__field *f,
                           void *base);
static at_status read_map(ctx *c, yaml_node_t *node, const at__field *f,
                          void *base);

static at_status read_field(ctx *c, yaml_node_t *v, const at__field *f,
                            void *base)
{
    void *dst = at__field_at(base, f);
    long l;
    at_status s;
    switch (f->type) {
    case AT_F_INT:
        if ((s = parse_long(c, v, f->key, (long)f->min, (long)f->max, &l)))
            return s;
        *(int *)dst = (int)l;
        return AT_OK;
    case AT_F_LONG:
        return parse_long(c, v, f->key, (long)f->min, (long)f->max, dst);
    case AT_F_DOUBLE: return parse_double(c, v, f->key, f->min, f->max, dst);
    case AT_F_STRING: return read_string(c, v, f, dst);
    case AT_F_TIME: return read_time(c, v, f, dst);
    case AT_F_ENUM: return read_enum(c, v, f, dst);
    case AT_F_OBJECT:
        if (f->count_offset != AT_F_NO_FLAG)
            *(int *)((char *)base + f->count_offset) = 1;
        return read_object(c, v, f->object, dst);
    case AT_F_LIST: return read_list(c, v, f, base);
    case AT_F_MAP: return read_map(c, v, f, base);
    case AT_F_CONST: return read_const(c, v, f);
    }
    return AT_OK;
}

/* What a missing optional key means: a number absent below its minimum
 * holds min - 1 (baselines: -1, "not measured"); nested objects alike. */
static void set_absent(const at__object *o, void *base)
{
    for (size_t i = 0; i < o->n_fields; i++) {
        const at__field *f = &o->fields[i];
        if (f->flags & AT_F_ABSENT_BELOW_MIN)
            *(double *)at__field_at(base, f) = f->min - 1;
        else if (f->type == AT_F_ENUM && !(f->flags & AT_F_REQUIRED))
            *(int *)at__field_at(base, f) = -1; /* "absent", for a check */
        else if (f->type == AT_F_OBJECT && f->count_offset == AT_F_NO_FLAG)
            set_absent(f->object, at__field_at(base, f));
    }
}

/* Reads a mapping against its object's fields: unknown keys, duplicate
 * keys, missing required keys and each value are checked, in file order,
 * so every object's messages are worded alike. */
static at_status read_fields(ctx *c, yaml_node_t *node, const at__object *o,
                             void *base)
{
    at_status s = expect(c, node, YAML_MAPPING_NODE, o->what);
    if (s != AT_OK)
        return s;
    unsigned char seen[32] = {0};
    for (yaml_node_pair_t *p = node->data.mapping.pairs.start;
         p < node->data.mapping.pairs.top; p++) {
        yaml_node_t *k = node_of(c, p->key), *v = node_of(c, p->value);
        if (k->type != YAML_SCALAR_NODE)
            return fail_node(c, k, "", "a key in %s must be a scalar",
                             o->what);
        size_t i = 0;
        while (i < o->n_fields && strcmp(o->fields[i].key, scalar(k)) != 0)
            i++;
        if (i == o->n_fields)
            return fail_node(c, k, scalar(k), "unknown key '%s' in %s",
                             scalar(k), o->what);
        if (seen[i]++)
            return fail_node(c, k, scalar(k), "duplicate key '%s' in %s",
                             scalar(k), o->what);
        if ((s = read_field(c, v, &o->fields[i], base)) != AT_OK)
            return s;
    }
    for (size_t i = 0; i < o->n_fields; i++)
        if ((o->fields[i].flags & AT_F_REQUIRED) && !seen[i])
            return fail_node(c, node, o->fields[i].key,
                             "missing key '%s' in %s", o->fields[i].key,
                             o->what);
    return AT_OK;
}

/* A list of objects into a calloc'ed array. */
static at_status read_list(ctx *c, yaml_node_t *node, const at__field *f,
                           void *base)
{
    at_status s = expect(c, node, YAML_SEQUENCE_NODE, f->key);
    if (s != AT_OK)
        return s;
    size_t n =
        node->data.sequence.items.top - node->data.sequence.items.start;
    char *items = n ? calloc(n, f->size) : NULL;
    if (n && !items)
        return at__fail(c->err, AT_ERR_NOMEM, "out of memory");
    size_t *count = (size_t *)((char *)base + f->count_offset);
    *(char **)at__field_at(base, f) = items; /* owned by base from here */
    *count = 0;
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *item = node_of(c, node->data.sequence.items.start[i]);
        *count = i + 1; /* zeroed, so safe to free even if half read */
        if ((s = read_object(c, item, f->object, items + i * f->size)) !=
            AT_OK)
            return s;
    }
    return AT_OK;
}

/* Version 1 of the format had four workloads, of fixed kinds. */
static const struct {
    const char *name;
    at_workload_kind kind;
} version1_workloads[] = {{"inv", AT_KIND_BATCH},
                          {"svd", AT_KIND_BATCH},
                          {"gemm", AT_KIND_BATCH},
                          {"exp", AT_KIND_VECTOR}};

static int version1_kind(const char *name, at_workload_kind *kind)
{
    for (size_t i = 0; i < 4; i++)
        if (strcmp(version1_workloads[i].name, name) == 0) {
            *kind = version1_workloads[i].kind;
            return 0;
        }
    return -1;
}

static at_status check_workload_name(ctx *c, yaml_node_t *k, const char *name)
{
    at_error why;
    at_workload_kind kind;
    if (c->version == 1 && (!name || version1_kind(name, &kind) != 0))
        return fail_node(c, k, name ? name : "",
                         "unknown workload '%s' (known: inv, svd, gemm, "
                         "exp)",
                         name ? name : "?");
    if (!name)
        return fail_node(c, k, "", "a workload name must be a scalar");
    if (at_workload_name_check(name, &why) != AT_OK)
        return fail_node(c, k, name, "%s", why.message);
    return AT_OK;
}

/* The workloads: each name once, each an object. */
static at_status read_map(ctx *c, yaml_node_t *node, const at__field *f,
                          void *base)
{
    at_status s = expect(c, node, YAML_MAPPING_NODE, f->key);
    if (s != AT_OK)
        return s;
    at_machine_profile *mp = base;
    for (yaml_node_pair_t *p = node->data.mapping.pairs.start;
         p < node->data.mapping.pairs.top; p++) {
        yaml_node_t *k = node_of(c, p->key), *v = node_of(c, p->value);
        const char *name = k->type == YAML_SCALAR_NODE ? scalar(k) : NULL;
        if ((s = check_workload_name(c, k, name)) != AT_OK)
            return s;
        if (at_machine_profile_workload(mp, name))
            return fail_node(c, k, name, "duplicate key '%s' in %s", name,
                             f->key);
        at_workload_profile *wp = at__workload_get(mp, name);
        if (!wp)
            return at__fail(c->err, AT_ERR_NOMEM, "out of memory");
        c->workload = wp->name;
        if ((s = read_object(c, v, f->object, wp)) != AT_OK)
            return s;
    }
    return AT_OK;
}

/* ------------------------------------------- checks across the fields */

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
            s = fail_node(
                c, node_of(c, list->data.sequence.items.start[keys[i].index]),
                "",
                "duplicate entry for size %ld, items %ld in "
                "workload '%s'",
                keys[i].size, keys[i].items, wp->name);
    free(keys);
    return s;
}

/* A workload's kind: its own, or in a version 1 file its name's. */
static at_status check_kind(ctx *c, yaml_node_t *node,
                            at_workload_profile *wp)
{
    if ((int)wp->kind >= 0 ||
        (c->version == 1 && version1_kind(wp->name, &wp->kind) == 0))
        return AT_OK;
    return fail_node(c, node, "kind", "missing key 'kind' in workload");
}

/* Every entry's best and every sample's configuration fit their job, a
 * job of this workload's kind (known once the whole workload is read). */
static at_status check_jobs(ctx *c, yaml_node_t *node,
                            const at_workload_profile *wp)
{
    yaml_node_t *entries = value_of(c, node, "entries");
    yaml_node_t *samples = value_of(c, node, "samples");
    at_status s = AT_OK;
    c->kind = wp->kind;
    c->workload = wp->name;
    for (size_t i = 0; s == AT_OK && i < wp->n_entries; i++)
        s = check_fits_job(
            c, node_of(c, entries->data.sequence.items.start[i]), "entry",
            "best", wp->entries[i].items, &wp->entries[i].best);
    for (size_t i = 0; s == AT_OK && i < wp->n_samples; i++)
        s = check_fits_job(
            c, node_of(c, samples->data.sequence.items.start[i]), "sample",
            "config", wp->samples[i].items, &wp->samples[i].config);
    return s;
}

/* Samples are keyed by (size, items, configuration): a second one would
 * be silently dropped by a merge, so it is refused, at the later one. */
static int sample_key_cmp(const void *a, const void *b)
{
    const at_sample *x = *(const at_sample *const *)a;
    const at_sample *y = *(const at_sample *const *)b;
    if (x->size != y->size)
        return x->size < y->size ? -1 : 1;
    if (x->items != y->items)
        return x->items < y->items ? -1 : 1;
    int k = memcmp(&x->config, &y->config, sizeof x->config);
    return k ? k : x < y ? -1 : x > y; /* then file order */
}

static at_status check_unique_samples(ctx *c, yaml_node_t *list,
                                      const at_workload_profile *wp)
{
    size_t n = wp->n_samples;
    if (n < 2)
        return AT_OK;
    const at_sample **keys = malloc(n * sizeof *keys);
    if (!keys)
        return at__fail(c->err, AT_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++)
        keys[i] = &wp->samples[i];
    qsort(keys, n, sizeof *keys, sample_key_cmp);
    at_status s = AT_OK;
    for (size_t i = 1; s == AT_OK && i < n; i++)
        if (keys[i]->size == keys[i - 1]->size &&
            keys[i]->items == keys[i - 1]->items &&
            !memcmp(&keys[i]->config, &keys[i - 1]->config,
                    sizeof keys[i]->config))
            s = fail_node(c,
                          node_of(c, list->data.sequence.items
                                         .start[keys[i] - wp->samples]),
                          "",
                          "duplicate sample for size %ld, items %ld and "
                          "the same config in workload '%s'",
                          keys[i]->size, keys[i]->items, wp->name);
    free(keys);
    return s;
}

static at_status check_workload(ctx *c, yaml_node_t *node, void *base)
{
    at_workload_profile *wp = base;
    yaml_node_t *entries = value_of(c, node, "entries");
    at_status s = check_kind(c, node, wp);
    if (s == AT_OK)
        s = check_jobs(c, node, wp);
    if (s == AT_OK && entries != node)
        s = check_unique_entries(c, entries, wp);
    yaml_node_t *samples = value_of(c, node, "samples");
    if (s == AT_OK && samples != node)
        s = check_unique_samples(c, samples, wp);
    if (s == AT_OK)
        at__entries_sort(wp);
    return s;
}

/* The stored fingerprint must be the hash of the stored identity: a hand
 * edit of one without the other would silently match the wrong machine.
 * The hardware fingerprint is derived, never stored. */
static at_status check_fingerprint(ctx *c, yaml_node_t *node, void *base)
{
    at_machine_profile *mp = base;
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

static at_status check_machines(ctx *c, yaml_node_t *node, void *base)
{
    const at_profile *p = base;
    yaml_node_t *list = value_of(c, node, "machines");
    for (size_t i = 0; i < p->n_machines; i++)
        for (size_t j = 0; j < i; j++)
            if (strcmp(p->machines[i].machine.fingerprint,
                       p->machines[j].machine.fingerprint) == 0)
                return fail_node(
                    c,
                    value_of(c,
                             node_of(c, list->data.sequence.items.start[i]),
                             "fingerprint"),
                    "fingerprint", "duplicate machine fingerprint '%s'",
                    p->machines[i].machine.fingerprint);
    return AT_OK;
}

/* The checks that span several fields of an object, after its fields. */
static const struct {
    const at__object *object;
    at_status (*check)(ctx *c, yaml_node_t *node, void *base);
} object_checks[] = {
    {&at__workload_schema, check_workload},
    {&at__machine_schema, check_fingerprint},
    {&at__profile_schema, check_machines},
};

static at_status read_object(ctx *c, yaml_node_t *node, const at__object *o,
                             void *base)
{
    set_absent(o, base);
    at_status s = read_fields(c, node, o, base);
    for (size_t i = 0;
         s == AT_OK && i < sizeof object_checks / sizeof object_checks[0];
         i++)
        if (object_checks[i].object == o)
            s = object_checks[i].check(c, node, base);
    return s;
}

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
                s = fail_node(
                    c, key, key->type == YAML_SCALAR_NODE ? scalar(key) : "",
                    "aliases are not allowed in a profile (the "
                    "value of '%s' is one)",
                    key->type == YAML_SCALAR_NODE ? scalar(key) : "?");
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

/* The format version, read ahead: what a workload may be depends on it,
 * wherever the key stands in the file. 0 when it is no version (the walk
 * reports that). */
static long peek_version(ctx *c, yaml_node_t *root)
{
    yaml_node_t *v = value_of(c, root, "autotune_profile");
    if (v == root || !is_plain(v))
        return 0;
    char *end;
    long n = strtol(scalar(v), &end, 10);
    return *end ? 0 : n;
}

at_status at_profile_load_string(const char *yaml, size_t length,
                                 const char *name, at_profile **out,
                                 at_error *err)
{
    AT_REQUIRE(yaml, err);
    AT_REQUIRE(out, err);
    ctx c = {name ? name : "<string>", NULL, err, NULL, AT_KIND_BATCH, 0};
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
    else if ((s = refuse_aliases(&c)) == AT_OK) {
        c.version = peek_version(&c, root);
        s = read_object(&c, root, &at__profile_schema, p);
    }
    yaml_document_delete(&doc);
    if (s != AT_OK) {
        at_profile_free(p);
        return s;
    }
    *out = p;
    return AT_OK;
}

/* What a profile must be: a regular file. A FIFO would block the reader
 * for ever and a device could be endless, so the file is opened without
 * blocking and checked before a byte is read. */
static const char *file_type(mode_t mode)
{
    return S_ISDIR(mode)    ? "a directory"
           : S_ISFIFO(mode) ? "a FIFO"
           : S_ISCHR(mode)  ? "a character device"
           : S_ISBLK(mode)  ? "a block device"
           : S_ISSOCK(mode) ? "a socket"
                            : "not a regular file";
}

static at_status open_regular(const char *path, FILE **out, at_error *err)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return at__fail_at(err, AT_ERR_IO, path, 0, 0, "", "cannot open: %s",
                           strerror(errno));
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        at_status s = at__fail_at(err, AT_ERR_IO, path, 0, 0, "",
                                  "not a profile: %s", file_type(st.st_mode));
        close(fd);
        return s;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    *out = fdopen(fd, "rb");
    if (!*out) {
        close(fd);
        return at__fail(err, AT_ERR_NOMEM, "out of memory");
    }
    return AT_OK;
}

at_status at_profile_load(const char *path, at_profile **out, at_error *err)
{
    AT_REQUIRE(path, err);
    AT_REQUIRE(out, err);
    FILE *f;
    at_status s0 = open_regular(path, &f, err);
    if (s0 != AT_OK)
        return s0;
    char *buf = NULL;
    size_t len = 0, cap = 0;
    at_status s = AT_OK;
    for (;;) {
        if (len + 65536 > cap) {
            cap = cap ? cap * 2 : 65536 * 2;
            char *grown =
                len + 65536 > MAX_PROFILE_BYTES ? NULL : realloc(buf, cap);
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
