/* cmd_run.c - `autotune run`: one workload in one configuration, timed
 * and checked. The configuration starts as what the library would choose
 * (profile or fallback) and every knob can be set. */
#include "config.h"

#include "calibrate.h"
#include "cli.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: autotune run --workload W --size N [--items K] [--workers N]\n"
    "         [--mode process|thread] [--blas-threads T] [--chunk-size C]\n"
    "         [--partitions P] [--transport pipe|shm] [--pin none|cores]\n"
    "         [--repeat R] [--warmup W] [--deadline S] [--seed S]\n"
    "         [--check-serial] [--format text|yaml] [--profile F]\n"
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
    int check_serial, yaml;
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
    case OPT_FORMAT:
        if (strcmp(v, "text") && strcmp(v, "yaml")) {
            cli_usage_error("--format: expected text or yaml, got '%s'", v);
            return -1;
        }
        a->yaml = strcmp(v, "yaml") == 0;
        return 0;
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

static void print_yaml(const run_args *a, const workload *w,
                       const at_config *c, const measurement *m)
{
    const at_job_stats *s = &m->stats;
    printf("workload: %s\nsize: %ld\nitems: %ld\n", w->name, a->job.size,
           a->job.items);
    printf("config: {workers: %d, mode: %s, blas_threads: %d, chunk_size: "
           "%d, partitions: %d, transport: %s, pin: %s}\n",
           c->workers, at_mode_name(c->mode), c->blas_threads, c->chunk_size,
           c->partitions, at_transport_name(c->transport),
           at_pin_name(c->pin));
    printf("repeat: %d\nstart_s: %.9g\nmedian_s: %.9g\nspread: %.6g\n"
           "best_s: %.9g\nworst_s: %.9g\n",
           m->runs, m->start_seconds, m->median, m->spread, m->best,
           m->worst);
    printf("transfer_s: %.9g\ncompute_s: %.9g\ncompute_max_s: %.9g\n"
           "wait_s: %.9g\nmessages: %ld\nbytes_copied: %.0f\n",
           s->transfer, s->compute, s->compute_max, s->wait, s->messages,
           s->bytes_copied);
    printf("residual: %.6g\ndifference: %.6g\nverified: %s\n", m->residual,
           m->difference, m->verified ? "true" : "false");
}

static void on_signal(int sig)
{
    (void)sig;
    measure_cancel();
}

int cmd_run(int argc, char **argv)
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
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
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
    if (a.yaml)
        print_yaml(&a, w, &c, &m);
    else
        print_text(&a, w, &c, &q, &m);
    if (!m.verified) {
        fprintf(stderr, "autotune: the results did not verify\n");
        return 1;
    }
    return 0;
}

static void print_cost(const char *name, const at_transport_cost *c)
{
    printf("  %-12s %8.2f us/message", name, c->latency_us);
    if (c->gbytes_per_s > 0)
        printf("   %6.2f GB/s\n", c->gbytes_per_s);
    else
        printf("   no copy\n");
}

int cmd_calibrate(int argc, char **argv)
{
    static const char cal_usage[] =
        "usage: autotune calibrate [--format text|yaml]\n"
        "Measures the cost of one task message and the bandwidth of each\n"
        "transport (8-byte tasks, then 4 MiB tasks, both ways), the start "
        "of\n"
        "a worker process and thread, and memcpy for reference.\n";
    int yaml = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(cal_usage, stdout);
            return 0;
        }
        if (!strcmp(argv[i], "--format") && i + 1 < argc &&
            (!strcmp(argv[i + 1], "yaml") || !strcmp(argv[i + 1], "text"))) {
            yaml = !strcmp(argv[++i], "yaml");
            continue;
        }
        return cli_usage_error("calibrate: unexpected argument '%s'",
                               argv[i]);
    }
    calibration c;
    at_error err;
    if (calibrate(at_usable_cpus(), &c, &err) != AT_OK)
        return cli_report(&err);
    const at_machine_costs *k = &c.costs;
    if (yaml) {
        printf("workers: %d\n", c.workers);
        printf("pipe: {latency_us: %.6g, gbytes_per_s: %.6g}\n",
               k->pipe.latency_us, k->pipe.gbytes_per_s);
        printf("shm: {latency_us: %.6g, gbytes_per_s: %.6g}\n",
               k->shm.latency_us, k->shm.gbytes_per_s);
        printf("thread: {latency_us: %.6g, gbytes_per_s: %.6g}\n",
               k->thread.latency_us, k->thread.gbytes_per_s);
        printf("thread_copy: {latency_us: %.6g, gbytes_per_s: %.6g}\n",
               c.thread_copy.latency_us, c.thread_copy.gbytes_per_s);
        printf("process_start_us: %.6g\nthread_start_us: %.6g\n",
               k->process_start_us, k->thread_start_us);
        printf("memcpy_gbytes_per_s: %.6g\n", c.memcpy_gbytes_per_s);
        return 0;
    }
    printf("transports, %d workers (median of 5):\n", c.workers);
    print_cost("pipe", &k->pipe);
    print_cost("shm", &k->shm);
    print_cost("thread", &k->thread);
    print_cost("thread+copy", &c.thread_copy);
    printf("  %-12s %20s %6.2f GB/s\n", "memcpy", "", c.memcpy_gbytes_per_s);
    printf("worker start: process %.0f us, thread %.0f us\n",
           k->process_start_us, k->thread_start_us);
    return 0;
}
