/* cmd_info.c - subcommands about this machine and a job: fingerprint,
 * calibrate, query, env. Each builds its data once as a tree (output.h)
 * for --format json and yaml; the text format is its own printer. */
#include "config.h"

#include "calibrate.h"
#include "cli.h"
#include "envvars.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------- fingerprint */

/* What the fingerprint was made of, as YAML comments (the output stays a
 * valid profile): the hardware fingerprint and every BLAS loaded. */
static void print_blas_found(const at_machine *m, const at_blas_info *b,
                             size_t n)
{
    printf("# hardware fingerprint: %s\n", m->hardware);
    printf("# BLAS loaded in this process (the first is in the "
           "fingerprint):%s\n",
           n ? "" : " none");
    for (size_t i = 0; i < n; i++)
        printf("#   %s %s, %s, %s, %d threads: %s\n", b[i].vendor,
               b[i].version, b[i].corename, b[i].threading, b[i].threads,
               b[i].path);
}

/* The text: a profile holding this one machine, then the comments. */
static int print_fingerprint(const at_machine *m, const at_blas_info *b,
                             size_t n)
{
    at_error err;
    at_profile *p = NULL;
    char *yaml = NULL;
    if (at_profile_new(&p, &err) || at_profile_add_machine(p, m, &err) ||
        at_profile_to_string(p, &yaml, &err)) {
        at_profile_free(p);
        return cli_report(&err);
    }
    fputs(yaml, stdout);
    print_blas_found(m, b, n);
    free(yaml);
    at_profile_free(p);
    return 0;
}

static json_object *fingerprint_tree(const at_machine *m,
                                     const at_blas_info *b, size_t n)
{
    json_object *o = out_object(), *list = out_array();
    out_put(o, "machine", out_machine(m));
    for (size_t i = 0; i < n; i++) {
        json_object *one = out_object();
        out_put(one, "vendor", out_text(b[i].vendor));
        out_put(one, "version", out_text(b[i].version));
        out_put(one, "corename", out_text(b[i].corename));
        out_put(one, "threading", out_text(b[i].threading));
        out_put(one, "threads", out_int(b[i].threads));
        out_put(one, "max_threads", out_int(b[i].max_threads));
        out_put(one, "path", out_text(b[i].path));
        out_push(list, one);
    }
    out_put(o, "blas", list);
    return o;
}

int cmd_fingerprint(int argc, char **argv)
{
    static const char usage[] =
        "usage: autotune fingerprint [--format text|yaml|json]\n"
        "Prints this machine's identity (CPU, usable CPUs, caches, BLAS) "
        "and\n"
        "its fingerprint, as a profile holding this one machine.\n";
    out_format format;
    int rc = cli_format_only(argc, argv, "fingerprint", usage, &format);
    if (rc)
        return rc < 0 ? 0 : rc;
    at_machine m;
    at_error err;
    at_blas_info b[8];
    if (at_machine_detect(&m, &err) != AT_OK)
        return cli_report(&err);
    size_t n = at_blas_list(b, 8);
    n = n < 8 ? n : 8;
    if (format == OUT_TEXT)
        return print_fingerprint(&m, b, n);
    return out_print(fingerprint_tree(&m, b, n), format);
}

/* ------------------------------------------------------------ calibrate */

static void print_cost(const char *name, const at_transport_cost *c)
{
    printf("  %-12s %8.2f us/message", name, c->latency_us);
    if (c->gbytes_per_s > 0)
        printf("   %6.2f GB/s\n", c->gbytes_per_s);
    else
        printf("   no copy\n");
}

static void print_calibration(const calibration *c)
{
    const at_machine_costs *k = &c->costs;
    printf("transports, %d workers (median of 5):\n", c->workers);
    print_cost("pipe", &k->pipe);
    print_cost("shm", &k->shm);
    print_cost("thread", &k->thread);
    print_cost("thread+copy", &c->thread_copy);
    printf("  %-12s %20s %6.2f GB/s\n", "memcpy", "", c->memcpy_gbytes_per_s);
    printf("worker start: process %.0f us, thread %.0f us\n",
           k->process_start_us, k->thread_start_us);
}

/* The profile's `costs` keys, and what calibrate measures besides. */
static json_object *calibration_tree(const calibration *c)
{
    json_object *o = out_object();
    out_put(o, "workers", out_int(c->workers));
    out_put_costs(o, &c->costs);
    out_put(o, "thread_copy", out_transport_cost(&c->thread_copy));
    out_put(o, "memcpy_gbytes_per_s", out_real(c->memcpy_gbytes_per_s));
    return o;
}

static int calibrate_command(int argc, char **argv)
{
    static const char usage[] =
        "usage: autotune calibrate [--format text|yaml|json]\n"
        "Measures the cost of one task message and the bandwidth of each\n"
        "transport (8-byte tasks, then 4 MiB tasks, both ways), the start "
        "of\n"
        "a worker process and thread, and memcpy for reference.\n";
    out_format format;
    int rc = cli_format_only(argc, argv, "calibrate", usage, &format);
    if (rc)
        return rc < 0 ? 0 : rc;
    calibration c;
    at_error err;
    if (calibrate(at_usable_cpus(), &c, &err) != AT_OK)
        return cli_report(&err);
    if (format != OUT_TEXT)
        return out_print(calibration_tree(&c), format);
    print_calibration(&c);
    return 0;
}

/* It ends within TUNER_END_SECONDS, whatever its pools' BLAS does at exit
 * (util.h), as run does. */
int cmd_calibrate(int argc, char **argv)
{
    return calibrate_command(argc, argv);
}

/* ----------------------------------------------------------- query, env */

/* The job as env_each sees it: for another machine (--machine) the CPU
 * sets are of CPUs 0 to its usable CPUs - 1, as a process there with a
 * full mask would see; for this one, of this process's mask. */
static env_job env_job_of(const cli_job *job, const at_query_result *r)
{
    static int all[AT_MAX_WORKERS];
    for (int i = 0; i < job->usable_cpus && i < AT_MAX_WORKERS; i++)
        all[i] = i;
    return (env_job){job->workload,
                     job->kind,
                     job->size,
                     job->items,
                     at_source_name(r->source),
                     at_match_name(r->match),
                     job->machine ? all : NULL,
                     job->usable_cpus};
}

static void print_cpusets(const char *name, const char *value, void *ctx)
{
    (void)ctx;
    if (!strcmp(name, "AUTOTUNE_CPUSETS") && value[0])
        printf("cpusets:       %s\n", value);
}

/* A shell word: values are numbers and names but for the CPU sets, whose
 * ';' the shell would take for the end of a command. */
static void print_export(const char *name, const char *value, void *ctx)
{
    (void)ctx;
    const char *q = strpbrk(value, ";, ") || !value[0] ? "'" : "";
    printf("export %s=%s%s%s\n", name, q, value, q);
}

static void put_variable(const char *name, const char *value, void *object)
{
    out_put(object, name, out_text(value));
}

/* What query and env both tell of the answer. */
static void put_answer(json_object *o, const at_query_result *r,
                       const char *used)
{
    out_put(o, "profile", used[0] ? out_text(used) : NULL);
    out_put(o, "machine", r->machine[0] ? out_text(r->machine) : NULL);
    out_put(o, "match", out_text(at_match_name(r->match)));
    out_put(o, "source", out_text(at_source_name(r->source)));
    out_put(o, "reason", out_text(r->reason));
}

/* Each pinned worker's CPUs, as AUTOTUNE_CPUSETS gives them; [] when the
 * configuration is not pinned. */
static at_status cpusets_tree(const env_job *ej, const at_config *c,
                              json_object **out, at_error *err)
{
    static int cpus[AT_MAX_THREADS];
    int n = 0;
    *out = out_array();
    for (int w = 0; c->pin != AT_PIN_NONE && w < c->workers; w++) {
        at_status s = at_worker_cpus(c, w, ej->allowed, ej->n_allowed, cpus,
                                     AT_MAX_THREADS, &n, err);
        if (s != AT_OK)
            return s;
        json_object *set = out_array();
        for (int i = 0; i < n; i++)
            out_push(set, out_int(cpus[i]));
        out_push(*out, set);
    }
    return AT_OK;
}

static int print_query(const cli_job *job, const at_query_result *r,
                       const char *used, const env_job *ej)
{
    const at_config *c = &r->config;
    at_error err;
    printf("workload:      %s\n", job->workload);
    printf("size:          %ld\n", job->size);
    printf("items:         %ld\n", job->items);
    printf("kind:          %s\n", at_kind_name(job->kind));
    printf("profile:       %s\n", used[0] ? used : "(none)");
    printf("machine:       %s (%s match)\n", r->machine[0] ? r->machine : "-",
           at_match_name(r->match));
    printf("source:        %s\n", at_source_name(r->source));
    printf("reason:        %s\n", r->reason);
    printf("workers:       %d\n", c->workers);
    printf("mode:          %s\n", at_mode_name(c->mode));
    printf("blas_threads:  %d\n", c->blas_threads);
    printf("chunk_size:    %d\n", c->chunk_size);
    printf("partitions:    %d\n", c->partitions);
    printf("transport:     %s\n", at_transport_name(c->transport));
    printf("pin:           %s\n", at_pin_name(c->pin));
    if (env_each(ej, c, print_cpusets, NULL, &err) != AT_OK)
        return cli_report(&err);
    if (r->predicted_seconds >= 0)
        printf("seconds:       %.6g\n", r->predicted_seconds);
    return 0;
}

static json_object *env_tree(json_object *variables, const at_query_result *r,
                             const char *used)
{
    json_object *o = out_object();
    out_put(o, "variables", variables);
    put_answer(o, r, used);
    return o;
}

/* Prints the document, unless building it failed (`s`, `err`): then the
 * error instead. */
static int print_built(json_object *tree, at_status s, const at_error *err,
                       out_format format)
{
    if (s == AT_OK)
        return out_print(tree, format);
    json_object_put(tree);
    return cli_report(err);
}

static json_object *query_tree(const cli_job *job, const at_query_result *r,
                               const char *used, json_object *cpusets)
{
    json_object *o = out_object();
    out_put(o, "workload", out_text(job->workload));
    out_put(o, "size", out_int(job->size));
    out_put(o, "items", out_int(job->items));
    out_put(o, "kind", out_text(at_kind_name(job->kind)));
    put_answer(o, r, used);
    out_put(o, "config", out_config(&r->config));
    out_put(o, "cpusets", cpusets);
    out_put(o, "seconds",
            r->predicted_seconds >= 0 ? out_real(r->predicted_seconds)
                                      : NULL);
    return o;
}

static const char query_usage[] =
    "usage: autotune query --workload W --size N [--items K] [--profile F]\n"
    "                      [--machine FINGERPRINT] [--strict]\n"
    "                      [--format text|yaml|json]\n"
    "The configuration for K items of workload W at size N on this machine,\n"
    "and where it came from (entry, model, nearest, fallback). --strict\n"
    "refuses anything but this exact machine's (hardware and BLAS) "
    "answers.\n";

/* Parses a query-like command line and answers it; returns -1 after
 * printing the usage for --help, else 0 or an exit code. */
static int parse_and_resolve(int argc, char **argv, const char *cmd,
                             const char *usage, cli_job *job,
                             out_format *format, at_query_result *r,
                             char *used, size_t size)
{
    int rc = cli_parse_job(argc, argv, cmd, usage, job, format);
    return rc ? rc : cli_resolve(job, r, used, size);
}

int cmd_query(int argc, char **argv)
{
    cli_job job;
    out_format format;
    at_query_result r;
    at_error err;
    char used[4096];
    int rc = parse_and_resolve(argc, argv, "query", query_usage, &job,
                               &format, &r, used, sizeof used);
    if (rc)
        return rc < 0 ? 0 : rc;
    env_job ej = env_job_of(&job, &r);
    if (format == OUT_TEXT)
        return print_query(&job, &r, used, &ej);
    json_object *cpusets;
    at_status s = cpusets_tree(&ej, &r.config, &cpusets, &err);
    return print_built(query_tree(&job, &r, used, cpusets), s, &err, format);
}

static const char env_usage[] =
    "usage: autotune env --workload W --size N [--items K] [--profile F]\n"
    "                    [--machine FINGERPRINT] [--strict]\n"
    "                    [--format text|yaml|json]\n"
    "The configuration as shell export lines, for scripts in any language:\n"
    "  eval \"$(autotune env --workload svd --size 1000)\"\n"
    "(json and yaml: the variables as a mapping, and where they came "
    "from).\n";

int cmd_env(int argc, char **argv)
{
    cli_job job;
    out_format format;
    at_query_result r;
    at_error err;
    char used[4096];
    int rc = parse_and_resolve(argc, argv, "env", env_usage, &job, &format,
                               &r, used, sizeof used);
    if (rc)
        return rc < 0 ? 0 : rc;
    env_job ej = env_job_of(&job, &r);
    if (format == OUT_TEXT)
        return env_each(&ej, &r.config, print_export, NULL, &err) == AT_OK
                   ? 0
                   : cli_report(&err);
    json_object *vars = out_object();
    at_status s = env_each(&ej, &r.config, put_variable, vars, &err);
    return print_built(env_tree(vars, &r, used), s, &err, format);
}
