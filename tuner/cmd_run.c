/* cmd_run.c - `autotune run`: one workload in one configuration, timed
 * and checked. The configuration starts as what the library would choose
 * (profile or fallback) and every knob can be set. Ctrl-C (or TERM) stops
 * the workers and reports the run interrupted; a second one ends it at
 * once (util.h). */
#include "config.h"

#include "cli.h"
#include "measure.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: autotune run --workload W --size N [--items K] [--workers N]\n"
    "         [--mode process|thread] [--blas-threads T] [--chunk-size C]\n"
    "         [--partitions P] [--transport pipe|shm] [--pin none|cores]\n"
    "         [--repeat R] [--warmup W] [--deadline S] [--seed S]\n"
    "         [--check-serial] [--format text|yaml|json] [--profile F]\n"
    "Runs K items of workload W (inv, svd, gemm; exp: one vector of N\n"
    "doubles) in one configuration and prints the median wall time, its\n"
    "spread, where the time went, and whether the results verified.\n"
    "Knobs not given come from the profile's answer (or the fallback).\n";

enum {
    OPT_WORKERS = 256,
    OPT_MODE,
    OPT_THREADS,
    OPT_CHUNK,
    OPT_PARTS,
    OPT_TRANSPORT,
    OPT_PIN,
    OPT_REPEAT,
    OPT_WARMUP,
    OPT_DEADLINE,
    OPT_SEED,
    OPT_CHECK,
    OPT_FORMAT
};

typedef struct run_args {
    cli_job job;
    long workers, threads, chunk, parts; /* 0 = not given */
    const char *mode, *transport, *pin;
    long repeat, warmup, seed;
    double deadline;
    int check_serial;
    out_format format;
} run_args;

static int parse_double(const char *flag, const char *text, double *out)
{
    char *end;
    double v = strtod(text, &end);
    if (!*text || *end || !(v >= 0) || v > 1e6) {
        cli_usage_error("%s: expected seconds from 0 to 1e6, got '%s'", flag,
                        text);
        return -1;
    }
    *out = v;
    return 0;
}

static int run_option(int c, const char *v, void *ctx)
{
    run_args *a = ctx;
    switch (c) {
    case OPT_WORKERS:
        return cli_parse_long("--workers", v, 1, AT_MAX_WORKERS, &a->workers);
    case OPT_THREADS:
        return cli_parse_long("--blas-threads", v, 1, AT_MAX_THREADS,
                              &a->threads);
    case OPT_CHUNK:
        return cli_parse_long("--chunk-size", v, 1, AT_MAX_CHUNK, &a->chunk);
    case OPT_PARTS:
        return cli_parse_long("--partitions", v, 1, AT_MAX_PARTITIONS,
                              &a->parts);
    case OPT_REPEAT:
        return cli_parse_long("--repeat", v, 1, 1000, &a->repeat);
    case OPT_WARMUP: return cli_parse_long("--warmup", v, 0, 100, &a->warmup);
    case OPT_SEED: return cli_parse_long("--seed", v, 0, 1L << 62, &a->seed);
    case OPT_DEADLINE: return parse_double("--deadline", v, &a->deadline);
    case OPT_MODE: a->mode = v; return 0;
    case OPT_TRANSPORT: a->transport = v; return 0;
    case OPT_PIN: a->pin = v; return 0;
    case OPT_CHECK: a->check_serial = 1; return 0;
    case OPT_FORMAT: return cli_format_option(v, &a->format);
    }
    return -2;
}

static int parse(int argc, char **argv, run_args *a)
{
    static const struct option opts[] = {
        CLI_JOB_OPTIONS,
        {"workers", required_argument, NULL, OPT_WORKERS},
        {"mode", required_argument, NULL, OPT_MODE},
        {"blas-threads", required_argument, NULL, OPT_THREADS},
        {"chunk-size", required_argument, NULL, OPT_CHUNK},
        {"partitions", required_argument, NULL, OPT_PARTS},
        {"transport", required_argument, NULL, OPT_TRANSPORT},
        {"pin", required_argument, NULL, OPT_PIN},
        {"repeat", required_argument, NULL, OPT_REPEAT},
        {"warmup", required_argument, NULL, OPT_WARMUP},
        {"deadline", required_argument, NULL, OPT_DEADLINE},
        {"seed", required_argument, NULL, OPT_SEED},
        {"check-serial", no_argument, NULL, OPT_CHECK},
        {"format", required_argument, NULL, OPT_FORMAT},
        {NULL, 0, NULL, 0}};
    memset(a, 0, sizeof *a);
    a->repeat = 3;
    a->warmup = 1;
    a->seed = 42;
    int rc =
        cli_parse(argc, argv, "run", usage, opts, &a->job, run_option, a);
    return rc ? rc : cli_job_check(argc, argv, "run", &a->job, 1);
}

/* The flags given override the queried configuration; the result must fit
 * the job. */
static int apply_overrides(const run_args *a, at_workload_kind kind,
                           at_config *c)
{
    at_error err;
    if (a->workers)
        c->workers = (int)a->workers;
    if (a->threads)
        c->blas_threads = (int)a->threads;
    if (a->chunk)
        c->chunk_size = (int)a->chunk;
    if (a->parts)
        c->partitions = (int)a->parts;
    /* the library says "mode must be one of ..."; name the flag */
    if (a->mode && at_mode_parse(a->mode, &c->mode, &err))
        return cli_usage_error("--mode: %s", strstr(err.message, "must"));
    if (a->transport && at_transport_parse(a->transport, &c->transport, &err))
        return cli_usage_error("--transport: %s",
                               strstr(err.message, "must"));
    if (a->pin && at_pin_parse(a->pin, &c->pin, &err))
        return cli_usage_error("--pin: %s", strstr(err.message, "must"));
    if (kind == AT_KIND_BATCH && c->partitions != 1)
        return cli_usage_error("--partitions: a batch workload ('%s') has "
                               "no partitions, got %d",
                               a->job.workload, c->partitions);
    if (kind == AT_KIND_VECTOR && c->partitions > a->job.size)
        return cli_usage_error("--partitions: %d is more than the %ld "
                               "elements",
                               c->partitions, a->job.size);
    long tasks = kind == AT_KIND_VECTOR ? c->partitions : a->job.items;
    if (c->chunk_size > tasks)
        return cli_usage_error("--chunk-size: %d is larger than the job's "
                               "%ld %s",
                               c->chunk_size, tasks,
                               kind == AT_KIND_VECTOR ? "partitions"
                                                      : "items");
    return 0;
}

static void print_text(const run_args *a, const workload *w,
                       const at_config *c, const at_query_result *q,
                       const measurement *m)
{
    const at_job_stats *s = &m->stats;
    printf("%s %ld, %ld item%s: %s\n", w->name, a->job.size, a->job.items,
           a->job.items == 1 ? "" : "s", w->what);
    printf("config:    %d worker%s (%s), %d BLAS thread%s each, chunk %d, "
           "partitions %d, %s, pin %s  [from %s]\n",
           c->workers, c->workers == 1 ? "" : "s", at_mode_name(c->mode),
           c->blas_threads, c->blas_threads == 1 ? "" : "s", c->chunk_size,
           c->partitions, at_transport_name(c->transport),
           at_pin_name(c->pin), at_source_name(q->source));
    printf("pool:      started in %.3f ms\n", m->start_seconds * 1e3);
    printf("time:      %.4f s median of %d (spread %.1f%%, best %.4f s, "
           "worst %.4f s)\n",
           m->median, m->runs, 100 * m->spread, m->best, m->worst);
    printf("breakdown: transfer %.4f s, compute %.4f s in all (busiest "
           "worker %.4f s), wait %.4f s; %ld messages, %.3g MB copied\n",
           s->transfer, s->compute, s->compute_max, s->wait, s->messages,
           s->bytes_copied / 1e6);
    printf("verified:  %s (residual %.2g", m->verified ? "yes" : "NO",
           m->residual);
    if (m->difference >= 0)
        printf(", difference from serial %.2g", m->difference);
    printf("; tolerance %g)\n", w->tolerance);
}

/* A difference not measured (no --check-serial) is null. */
static json_object *run_tree(const run_args *a, const workload *w,
                             const at_config *c, const measurement *m)
{
    const at_job_stats *s = &m->stats;
    json_object *o = out_object();
    out_put(o, "workload", out_text(w->name));
    out_put(o, "size", out_int(a->job.size));
    out_put(o, "items", out_int(a->job.items));
    out_put(o, "config", out_config(c));
    out_put(o, "repeat", out_int(m->runs));
    out_put(o, "start_s", out_real(m->start_seconds));
    out_put(o, "median_s", out_real(m->median));
    out_put(o, "spread", out_real(m->spread));
    out_put(o, "best_s", out_real(m->best));
    out_put(o, "worst_s", out_real(m->worst));
    out_put(o, "transfer_s", out_real(s->transfer));
    out_put(o, "compute_s", out_real(s->compute));
    out_put(o, "compute_max_s", out_real(s->compute_max));
    out_put(o, "wait_s", out_real(s->wait));
    out_put(o, "messages", out_int(s->messages));
    out_put(o, "bytes_copied", out_real(s->bytes_copied));
    out_put(o, "residual", out_real(m->residual));
    out_put(o, "difference",
            m->difference < 0 ? NULL : out_real(m->difference));
    out_put(o, "verified", out_bool(m->verified));
    return o;
}

static int run(int argc, char **argv)
{
    run_args a;
    int rc = parse(argc, argv, &a);
    if (rc)
        return rc < 0 ? 0 : rc;
    const workload *w = workload_find(a.job.workload);
    at_query_result q;
    char used[4096];
    if ((rc = cli_resolve(&a.job, &q, used, sizeof used)) != 0)
        return rc;
    at_config c = q.config;
    if ((rc = apply_overrides(&a, w->kind, &c)) != 0)
        return rc;
    tuner_catch_signals(measure_cancel);
    measure_opts o = {.warmup = (int)a.warmup,
                      .repeat = (int)a.repeat,
                      .deadline = a.deadline,
                      .seed = (uint64_t)a.seed,
                      .compare_serial = a.check_serial};
    measurement m;
    at_error err;
    at_status s = measure(w, a.job.size, a.job.items, &c, &o, &m, &err);
    if (s == AT_ERR_CANCELLED) {
        fprintf(stderr, "autotune: interrupted; workers stopped\n");
        return 130;
    }
    if (s != AT_OK)
        return cli_report(&err);
    if (a.format != OUT_TEXT)
        rc = out_print(run_tree(&a, w, &c, &m), a.format);
    else
        print_text(&a, w, &c, &q, &m);
    if (!m.verified) {
        fprintf(stderr, "autotune: the results did not verify\n");
        return 1;
    }
    return rc;
}

/* A run ends within TUNER_END_SECONDS of its result, whatever its BLAS
 * does at exit (the case of a small ulimit -v: util.h). */
int cmd_run(int argc, char **argv)
{
    return run(argc, argv);
}
