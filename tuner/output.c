/* output.c - the program's data as trees, printed as JSON or YAML, and
 * the one check of standard output (output.h).
 *
 * JSON is json-c's own printing of the tree. YAML is the same tree walked
 * into libyaml's emitter: objects become block mappings, arrays block
 * sequences, numbers, booleans and null plain scalars, and a text stays
 * plain unless a YAML reader would take it for something else (a number,
 * a date, a boolean or null), when it is quoted. Numbers are written once,
 * when the tree is built: the shortest decimal that reads back as the
 * same double, the text both formats print. Nothing here writes a byte of
 * JSON or YAML syntax by hand. */
#include "config.h"

#include "output.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <yaml.h>

int out_format_parse(const char *name, out_format *format)
{
    static const char *const names[] = {"text", "yaml", "json"};
    for (int i = 0; i < 3; i++)
        if (strcmp(name, names[i]) == 0) {
            *format = (out_format)i;
            return 0;
        }
    return -1;
}

/* --------------------------------------------------------- building */

/* Set when a constructor ran out of memory: json-c answers NULL, which
 * is also null, so the tree cannot say it itself. */
static int out_of_memory;

static json_object *made(json_object *v)
{
    if (!v)
        out_of_memory = 1;
    return v;
}

json_object *out_object(void)
{
    return made(json_object_new_object());
}

json_object *out_array(void)
{
    return made(json_object_new_array());
}

json_object *out_int(long long v)
{
    return made(json_object_new_int64(v));
}

json_object *out_bool(int v)
{
    return made(json_object_new_boolean(v));
}

/* The first of "%.6g" to "%.17g" that reads back as v (so 650, not
 * 6.5e+02): JSON's number syntax, and the profile writer's rule. */
json_object *out_real(double v)
{
    char text[32];
    if (!isfinite(v))
        return NULL;
    for (int precision = 6; precision <= 17; precision++) {
        snprintf(text, sizeof text, "%.*g", precision, v);
        if (strtod(text, NULL) == v)
            break;
    }
    return made(json_object_new_double_s(v, text));
}

/* Length of the well-formed UTF-8 sequence at s, or 0 (a stray or
 * missing continuation byte, an overlong form, a surrogate, beyond
 * U+10FFFF). */
static size_t utf8_length(const unsigned char *s)
{
    unsigned c = s[0];
    size_t n = c < 0x80                ? 1
               : c >= 0xc2 && c < 0xe0 ? 2
               : c >= 0xe0 && c < 0xf0 ? 3
               : c >= 0xf0 && c < 0xf5 ? 4
                                       : 0;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    if ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] >= 0xa0) ||
        (c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] >= 0x90))
        return 0;
    return n;
}

/* s with each byte that starts no well-formed sequence as U+FFFD. */
static json_object *repaired_text(const char *s)
{
    size_t len = strlen(s), used = 0;
    char *fixed = malloc(3 * len + 1);
    if (!fixed)
        return made(NULL);
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        size_t n = utf8_length(p);
        memcpy(fixed + used, n ? (const char *)p : "\xef\xbf\xbd", n ? n : 3);
        used += n ? n : 3;
        p += n ? n : 1;
    }
    json_object *v = made(json_object_new_string_len(fixed, (int)used));
    free(fixed);
    return v;
}

json_object *out_text(const char *s)
{
    if (!s)
        return NULL;
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        size_t n = utf8_length(p);
        if (!n)
            return repaired_text(s);
        p += n;
    }
    return made(json_object_new_string(s));
}

void out_put(json_object *object, const char *key, json_object *value)
{
    if (!object || json_object_object_add(object, key, value) != 0) {
        out_of_memory = 1;
        json_object_put(value);
    }
}

void out_push(json_object *array, json_object *value)
{
    if (!array || json_object_array_add(array, value) != 0) {
        out_of_memory = 1;
        json_object_put(value);
    }
}

/* ------------------------------------------------- the library's types */

/* A text the library leaves empty when it has none, as null. */
static json_object *text_or_null(const char *s)
{
    return s[0] ? out_text(s) : NULL;
}

json_object *out_config(const at_config *c)
{
    json_object *o = out_object();
    out_put(o, "workers", out_int(c->workers));
    out_put(o, "mode", out_text(at_mode_name(c->mode)));
    out_put(o, "blas_threads", out_int(c->blas_threads));
    out_put(o, "chunk_size", out_int(c->chunk_size));
    out_put(o, "partitions", out_int(c->partitions));
    out_put(o, "transport", out_text(at_transport_name(c->transport)));
    out_put(o, "pin", out_text(at_pin_name(c->pin)));
    return o;
}

static json_object *machine_cpu(const at_machine *m)
{
    json_object *o = out_object();
    out_put(o, "model", out_text(m->cpu_model));
    out_put(o, "arch", out_text(m->arch));
    out_put(o, "usable_cpus", out_int(m->usable_cpus));
    out_put(o, "cores", out_int(m->cores));
    out_put(o, "sockets", out_int(m->sockets));
    out_put(o, "numa_nodes", out_int(m->numa_nodes));
    out_put(o, "l1d_kb", out_int(m->l1d_kb));
    out_put(o, "l2_kb", out_int(m->l2_kb));
    out_put(o, "l3_kb", out_int(m->l3_kb));
    return o;
}

static json_object *machine_blas(const at_machine *m)
{
    json_object *o = out_object();
    out_put(o, "vendor", out_text(m->blas_vendor));
    out_put(o, "version", out_text(m->blas_version));
    out_put(o, "corename", out_text(m->blas_corename));
    out_put(o, "threading", out_text(m->blas_threading));
    out_put(o, "max_threads", out_int(m->blas_max_threads));
    return o;
}

json_object *out_machine(const at_machine *m)
{
    json_object *o = out_object();
    out_put(o, "fingerprint", out_text(m->fingerprint));
    out_put(o, "hardware", out_text(m->hardware));
    out_put(o, "host", text_or_null(m->host));
    out_put(o, "cpu", machine_cpu(m));
    out_put(o, "blas", machine_blas(m));
    return o;
}

json_object *out_transport_cost(const at_transport_cost *c)
{
    json_object *o = out_object();
    out_put(o, "latency_us", out_real(c->latency_us));
    out_put(o, "gbytes_per_s", out_real(c->gbytes_per_s));
    return o;
}

void out_put_costs(json_object *object, const at_machine_costs *costs)
{
    out_put(object, "pipe", out_transport_cost(&costs->pipe));
    out_put(object, "shm", out_transport_cost(&costs->shm));
    out_put(object, "thread", out_transport_cost(&costs->thread));
    out_put(object, "process_start_us", out_real(costs->process_start_us));
    out_put(object, "thread_start_us", out_real(costs->thread_start_us));
}

json_object *out_error(const at_error *err)
{
    json_object *o = out_object();
    out_put(o, "file", text_or_null(err->file));
    out_put(o, "line", err->line ? out_int(err->line) : NULL);
    out_put(o, "column", err->column ? out_int(err->column) : NULL);
    out_put(o, "key", text_or_null(err->key));
    out_put(o, "message", out_text(err->message));
    return o;
}

/* A baseline not measured (negative) is null. */
static json_object *measured_or_null(double seconds)
{
    return seconds < 0 ? NULL : out_real(seconds);
}

/* Entry i of w; baseline_items is the items its baselines ran on (its
 * own unless they were scaled from fewer). */
static json_object *entry_tree(const at_workload_profile *w, size_t i)
{
    const at_entry *e = at_workload_profile_entry_at(w, i);
    long scaled = at_workload_profile_entry_baseline_items(w, i);
    json_object *o = out_object(), *b = out_object();
    out_put(o, "size", out_int(e->size));
    out_put(o, "items", out_int(e->items));
    out_put(o, "seconds", out_real(e->seconds));
    out_put(o, "spread", out_real(e->spread));
    out_put(o, "measured", out_text(e->measured));
    out_put(o, "best", out_config(&e->best));
    out_put(b, "serial_default",
            measured_or_null(e->baselines.serial_default));
    out_put(b, "serial_1", measured_or_null(e->baselines.serial_1));
    out_put(b, "naive_pool", measured_or_null(e->baselines.naive_pool));
    out_put(b, "joblib_rule", measured_or_null(e->baselines.joblib_rule));
    out_put(o, "baselines", b);
    out_put(o, "baseline_items", out_int(scaled ? scaled : e->items));
    return o;
}

static json_object *sample_tree(const at_sample *s)
{
    json_object *o = out_object();
    out_put(o, "size", out_int(s->size));
    out_put(o, "items", out_int(s->items));
    out_put(o, "seconds", out_real(s->seconds));
    out_put(o, "spread", out_real(s->spread));
    out_put(o, "config", out_config(&s->config));
    return o;
}

static json_object *model_tree(const at_model *m)
{
    json_object *o = out_object(), *params = out_object();
    double v = 0;
    out_put(o, "form", out_text(AT_MODEL_FORM));
    out_put(o, "fitted", out_text(at_model_fitted(m)));
    at_model_get(m, "error", &v, NULL);
    out_put(o, "error", out_real(v));
    for (size_t i = 0; i < at_model_param_count(); i++) {
        const char *name = at_model_param_name(i);
        at_model_get(m, name, &v, NULL);
        out_put(params, name, out_real(v));
    }
    out_put(o, "params", params);
    return o;
}

static json_object *workload_tree(const at_workload_profile *w)
{
    json_object *o = out_object(), *entries = out_array(),
                *samples = out_array();
    const at_model *model = at_workload_profile_model(w);
    out_put(o, "kind", out_text(at_kind_name(at_workload_profile_kind(w))));
    out_put(o, "model", model ? model_tree(model) : NULL);
    for (size_t i = 0; i < at_workload_profile_entry_count(w); i++)
        out_push(entries, entry_tree(w, i));
    for (size_t i = 0; i < at_workload_profile_sample_count(w); i++)
        out_push(samples, sample_tree(at_workload_profile_sample_at(w, i)));
    out_put(o, "entries", entries);
    out_put(o, "samples", samples);
    return o;
}

static json_object *machine_profile_tree(const at_machine_profile *mp)
{
    json_object *o = out_machine(at_machine_profile_machine(mp)),
                *costs = NULL, *workloads = out_object();
    const at_machine_costs *c = at_machine_profile_costs(mp);
    if (c) {
        costs = out_object();
        out_put_costs(costs, c);
    }
    out_put(o, "costs", costs);
    for (size_t i = 0; i < at_machine_profile_workload_count(mp); i++) {
        const at_workload_profile *w = at_machine_profile_workload_at(mp, i);
        out_put(workloads, at_workload_profile_name(w), workload_tree(w));
    }
    out_put(o, "workloads", workloads);
    return o;
}

json_object *out_profile_machines(const at_profile *p)
{
    json_object *machines = out_array();
    for (size_t i = 0; i < at_profile_machine_count(p); i++)
        out_push(machines, machine_profile_tree(at_profile_machine_at(p, i)));
    return machines;
}

/* --------------------------------------------------------------- YAML */

/* Whether a plain scalar would read as something else than this text: a
 * number, a date or a version (anything not starting with a letter or a
 * '/', which also covers YAML's indicators), a YAML 1.1 or 1.2 boolean or
 * null, or nothing at all. */
static int needs_quotes(const char *s)
{
    static const char *const words[] = {"null", "true", "false", "yes", "no",
                                        "on",   "off",  "y",     "n"};
    unsigned char c = (unsigned char)s[0];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '/'))
        return 1;
    for (size_t i = 0; i < sizeof words / sizeof *words; i++)
        if (strcasecmp(s, words[i]) == 0)
            return 1;
    return 0;
}

static int scalar(yaml_emitter_t *em, const char *s, int text)
{
    yaml_event_t ev;
    yaml_scalar_style_t style = text && needs_quotes(s)
                                    ? YAML_SINGLE_QUOTED_SCALAR_STYLE
                                    : YAML_ANY_SCALAR_STYLE;
    return yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, -1,
                                        1, 1, style) &&
           yaml_emitter_emit(em, &ev);
}

static int emit_tree(yaml_emitter_t *em, json_object *v);

static int emit_mapping(yaml_emitter_t *em, json_object *v)
{
    yaml_event_t ev;
    int ok = yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
                                                 YAML_BLOCK_MAPPING_STYLE) &&
             yaml_emitter_emit(em, &ev);
    json_object_object_foreach(v, key, value)
    {
        ok = ok && scalar(em, key, 1) && emit_tree(em, value);
    }
    return ok && yaml_mapping_end_event_initialize(&ev) &&
           yaml_emitter_emit(em, &ev);
}

static int emit_sequence(yaml_emitter_t *em, json_object *v)
{
    yaml_event_t ev;
    int ok = yaml_sequence_start_event_initialize(
                 &ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE) &&
             yaml_emitter_emit(em, &ev);
    for (size_t i = 0; ok && i < json_object_array_length(v); i++)
        ok = emit_tree(em, json_object_array_get_idx(v, i));
    return ok && yaml_sequence_end_event_initialize(&ev) &&
           yaml_emitter_emit(em, &ev);
}

/* A number's text is the one out_real chose (json-c prints it as is). */
static int emit_tree(yaml_emitter_t *em, json_object *v)
{
    switch (json_object_get_type(v)) {
    case json_type_null: return scalar(em, "null", 0);
    case json_type_boolean:
        return scalar(em, json_object_get_boolean(v) ? "true" : "false", 0);
    case json_type_int:
    case json_type_double:
        return scalar(em, json_object_to_json_string(v), 0);
    case json_type_string: return scalar(em, json_object_get_string(v), 1);
    case json_type_object: return emit_mapping(em, v);
    case json_type_array: return emit_sequence(em, v);
    }
    return 0;
}

/* Write errors are left to out_close_stdout, the one place that sees them
 * all: the emitter is told every write went through. */
static int write_stdout(void *unused, unsigned char *bytes, size_t size)
{
    (void)unused;
    fwrite(bytes, 1, size, stdout);
    return 1;
}

static int emit_document(yaml_emitter_t *em, json_object *tree)
{
    yaml_event_t ev;
    return yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING) &&
           yaml_emitter_emit(em, &ev) &&
           yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1) &&
           yaml_emitter_emit(em, &ev) && emit_tree(em, tree) &&
           yaml_document_end_event_initialize(&ev, 1) &&
           yaml_emitter_emit(em, &ev) &&
           yaml_stream_end_event_initialize(&ev) &&
           yaml_emitter_emit(em, &ev);
}

static int print_yaml(json_object *tree)
{
    yaml_emitter_t em;
    if (!yaml_emitter_initialize(&em))
        return 0;
    yaml_emitter_set_output(&em, write_stdout, NULL);
    yaml_emitter_set_unicode(&em, 1);
    yaml_emitter_set_width(&em, -1); /* a long reason stays one line */
    int ok = emit_document(&em, tree);
    if (!ok)
        fprintf(stderr, "autotune: cannot write YAML: %s\n",
                em.problem ? em.problem : "out of memory");
    yaml_emitter_delete(&em);
    return ok;
}

/* ------------------------------------------------------------ printing */

static int print_json(json_object *tree)
{
    const char *json = json_object_to_json_string_ext(
        tree, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                  JSON_C_TO_STRING_NOSLASHESCAPE);
    if (!json) {
        fputs("autotune: out of memory\n", stderr);
        return 0;
    }
    puts(json);
    return 1;
}

int out_print(json_object *tree, out_format format)
{
    int ok = !out_of_memory;
    if (!ok)
        fputs("autotune: out of memory\n", stderr);
    else
        ok = format == OUT_JSON ? print_json(tree) : print_yaml(tree);
    json_object_put(tree);
    out_of_memory = 0;
    return ok ? 0 : 1;
}

/* ---------------------------------------------------- standard output */

/* The first write error's reason. glibc drops a buffer it could not write
 * and keeps no errno, so by the time the program ends the reason would be
 * lost (or another's): every write to standard output passes here. */
static int write_errno;

static ssize_t write_fd1(void *unused, const char *buf, size_t size)
{
    (void)unused;
    size_t done = 0;
    while (done < size) {
        ssize_t n = write(STDOUT_FILENO, buf + done, size - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (!write_errno)
                write_errno = n < 0 ? errno : EIO;
            return done ? (ssize_t)done : -1;
        }
        done += (size_t)n;
    }
    return (ssize_t)size;
}

void out_open_stdout(void)
{
    cookie_io_functions_t io = {.write = write_fd1};
    FILE *f = fopencookie(NULL, "w", io);
    if (!f) /* glibc's stdout then: its errors are seen, maybe not why */
        return;
    setvbuf(f, NULL, isatty(STDOUT_FILENO) ? _IOLBF : _IOFBF, BUFSIZ);
    stdout = f; /* glibc's stdout is a variable, documented assignable */
}

int out_close_stdout(int rc)
{
    errno = 0;
    int failed = fflush(stdout) != 0 || ferror(stdout) || write_errno;
    int why = write_errno ? write_errno : errno;
    /* closing a stdout that was never open (>&-) is no error when nothing
     * was written to it, as gnulib's close_stdout rules */
    if (fclose(stdout) != 0 && !failed && errno != EBADF) {
        failed = 1;
        why = errno;
    }
    if (!failed)
        return rc;
    fprintf(stderr, "autotune: write error%s%s\n", why ? ": " : "",
            why ? strerror(why) : "");
    return rc ? rc : 1;
}
