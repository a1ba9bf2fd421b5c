/* cmd_tune.c - `autotune [tune] --workload W --size N`: the main job.
 * Calibrates the transports, searches each size, fits the cost model on
 * everything measured (its error measured on samples it was not fitted
 * on), and merges the answer, the baselines, the model and the raw
 * samples into the profile. Ctrl-C keeps what was measured; --resume
 * picks it up. */
#include "config.h"

#include "calibrate.h"
#include "cli.h"
#include "search.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_SIZES 8
#define DEFAULT_BUDGET 45.0

static const char usage[] =
    "usage: autotune [tune] --workload W --size N [--sizes N,N,...]\n"
    "         [--items K] [--strategy model|grid|random] [--budget SECONDS]\n"
    "         [--output FILE] [--resume] [--quiet] [--seed S]\n"
    "Measures configurations of workload W (inv, svd, gemm, exp) at each\n"
    "size on this machine, fits the cost model, and merges the best\n"
    "configuration, the baselines, the model and the samples into the\n"
    "profile (default: the user's, ~/.config/autotune/profile.yaml).\n";

enum { OPT_SIZES = 300, OPT_STRATEGY, OPT_BUDGET, OPT_OUTPUT, OPT_RESUME,
       OPT_QUIET, OPT_SEED };

typedef struct tune_args {
    cli_job job;
    long sizes[MAX_SIZES];
    int n_sizes;
    strategy strat;
    double budget;
    const char *output;
    int resume, quiet;
    long seed;
} tune_args;

static int parse_sizes(const char *text, tune_args *a)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", text);
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
        if (a->n_sizes == MAX_SIZES)
            return cli_usage_error("--sizes: at most %d sizes", MAX_SIZES);
        if (cli_parse_long("--sizes", tok, 1, 1000000000000L,
                           &a->sizes[a->n_sizes]))
            return EXIT_USAGE;
        a->n_sizes++;
    }
    return a->n_sizes ? 0 : cli_usage_error("--sizes: no size given");
}

static int tune_option(int c, const char *v, void *ctx)
{
    tune_args *a = ctx;
    char *end;
    switch (c) {
    case OPT_SIZES: return parse_sizes(v, a);
    case OPT_STRATEGY:
        if (!strcmp(v, "model"))
            a->strat = STRATEGY_MODEL;
        else if (!strcmp(v, "grid"))
            a->strat = STRATEGY_GRID;
        else if (!strcmp(v, "random"))
            a->strat = STRATEGY_RANDOM;
        else
            return cli_usage_error("--strategy: expected model, grid or "
                                   "random, got '%s'",
                                   v);
        return 0;
    case OPT_BUDGET:
        a->budget = strtod(v, &end);
        if (!*v || *end || !(a->budget > 0) || a->budget > 1e6)
            return cli_usage_error("--budget: expected seconds above 0 (at "
                                   "most 1e6), got '%s'",
                                   v);
        return 0;
    case OPT_OUTPUT: a->output = v; return 0;
    case OPT_RESUME: a->resume = 1; return 0;
    case OPT_QUIET: a->quiet = 1; return 0;
    case OPT_SEED:
        return cli_parse_long("--seed", v, 0, 1L << 62, &a->seed) ? EXIT_USAGE
                                                                  : 0;
    }
    return -2;
}

static int parse(int argc, char **argv, tune_args *a)
{
    static const struct option opts[] = {
        CLI_JOB_OPTIONS,
        {"sizes", required_argument, NULL, OPT_SIZES},
        {"strategy", required_argument, NULL, OPT_STRATEGY},
        {"budget", required_argument, NULL, OPT_BUDGET},
        {"output", required_argument, NULL, OPT_OUTPUT},
        {"resume", no_argument, NULL, OPT_RESUME},
        {"quiet", no_argument, NULL, OPT_QUIET},
        {"seed", required_argument, NULL, OPT_SEED},
        {NULL, 0, NULL, 0}};
    memset(a, 0, sizeof *a);
    a->budget = DEFAULT_BUDGET;
    a->seed = 42;
    int rc = cli_parse(argc, argv, "tune", usage, opts, &a->job, tune_option,
                       a);
    if (rc)
        return rc;
    if (a->job.profile || a->job.machine)
        return cli_usage_error("tune: --profile and --machine are for "
                               "query and env; use --output FILE");
    if (a->job.strict)
        return cli_usage_error("tune: --strict is for query, env and run");
    if (!a->job.size && a->n_sizes)
        a->job.size = a->sizes[0];
    if ((rc = cli_job_check(argc, argv, "tune", &a->job)) != 0)
        return rc;
    if (!a->n_sizes)
        a->sizes[a->n_sizes++] = a->job.size;
    return 0;
}

static void utc_now(char *buf, size_t size)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* --------------------------------------------------------- the profile */

/* Earlier samples of this machine and workload, for --resume: they are
 * in the log as measured, so the search does not measure them again. */
static void resume_from(const char *path, const at_machine *m,
                        const char *name, trial_log *log, int quiet)
{
    at_profile *p;
    at_error err;
    if (access(path, F_OK) != 0)
        return;
    if (at_profile_load(path, &p, &err) != AT_OK) {
        cli_report(&err);
        return;
    }
    const at_workload_profile *wp = at_machine_profile_workload(
        at_profile_find_machine(p, m->fingerprint), name);
    for (size_t i = 0; wp && i < wp->n_samples; i++) {
        const at_sample *s = &wp->samples[i];
        trial t;
        memset(&t, 0, sizeof t);
        t.config = s->config;
        t.size = s->size;
        t.items = s->items;
        t.seconds = s->seconds;
        t.spread = s->spread;
        t.phase = PHASE_RESUMED;
        trial_log_add(log, &t);
    }
    if (!quiet && wp)
        fprintf(stderr, "autotune: resuming with %zu samples from %s\n",
                wp->n_samples, path);
    at_profile_free(p);
}

/* The profile of this run: machine, costs, entries, model, samples. */
static at_status build_profile(const tune_args *a, const at_machine *m,
                               const at_machine_costs *costs,
                               const search_result *res, int n_res,
                               const trial_log *log, const at_model *model,
                               at_profile **out, at_error *err)
{
    at_profile *p;
    char now[32];
    utc_now(now, sizeof now);
    at_status s = at_profile_new(&p, err);
    if (s == AT_OK)
        s = at_profile_add_machine(p, m, err);
    if (s == AT_OK)
        s = at_profile_set_costs(p, m->fingerprint, costs, err);
    for (int i = 0; s == AT_OK && i < n_res; i++) {
        if (res[i].interrupted || res[i].seconds <= 0)
            continue;
        at_entry e = {a->sizes[i], a->job.items, res[i].seconds,
                      res[i].spread, "", res[i].best,
                      {res[i].baseline[BASE_SERIAL_DEFAULT],
                       res[i].baseline[BASE_SERIAL_1],
                       res[i].baseline[BASE_NAIVE],
                       res[i].baseline[BASE_JOBLIB]}};
        memcpy(e.measured, now, sizeof now);
        s = at_profile_set_entry(p, m->fingerprint, a->job.workload, &e,
                                 err);
    }
    if (s == AT_OK && model)
        s = at_profile_set_model(p, m->fingerprint, a->job.workload, model,
                                 err);
    /* this run's samples, one per configuration and job (the resumed
     * ones are in the file already) */
    fit_sample *smp = malloc((log->n + 1) * sizeof *smp);
    if (!smp && s == AT_OK)
        s = tuner_out_of_memory(err);
    size_t n = smp ? trial_samples(log, smp,
                                   PHASES_ALL & ~PHASE_BIT(PHASE_RESUMED))
                   : 0;
    for (size_t i = 0; s == AT_OK && i < n; i++) {
        at_sample one = {smp[i].size, smp[i].items, smp[i].config,
                         smp[i].seconds, smp[i].spread};
        s = at_profile_add_sample(p, m->fingerprint, a->job.workload, &one,
                                  err);
    }
    free(smp);
    if (s != AT_OK) {
        at_profile_free(p);
        return s;
    }
    *out = p;
    return AT_OK;
}

/* ------------------------------------------------------------ the model */

/* The model of the run, fitted on everything, and its check: a model
 * fitted without the held-out samples, predicting them (the finals,
 * fitted on the design alone, for the model strategy; every fourth
 * sample otherwise). */
typedef struct final_fit {
    int ok;
    at_model model;
    fit_problem pb;
    at_model held;      /* fitted without the held-out samples */
    fit_sample *test;   /* the held-out samples */
    size_t n_test;
    double error;       /* held.predicting test, -1 if none */
} final_fit;

static void fit_final(search *proto, strategy strat, final_fit *f)
{
    const trial_log *log = proto->log;
    fit_sample *all = malloc((log->n + 1) * sizeof *all);
    fit_sample *train = malloc((log->n + 1) * sizeof *train);
    memset(f, 0, sizeof *f);
    f->test = malloc((log->n + 1) * sizeof *f->test);
    f->pb = search_problem(proto);
    f->error = -1;
    if (!all || !train || !f->test) {
        free(all);
        free(train);
        return; /* no model: the profile keeps the entries and samples */
    }
    size_t n = trial_samples(log, all, PHASES_ALL), nt = 0, nh = 0;
    if (strat == STRATEGY_MODEL) {
        nt = trial_samples(log, train, PHASE_BIT(PHASE_DESIGN));
        nh = trial_samples(log, f->test, PHASE_BIT(PHASE_FINALS));
    } else
        for (size_t i = 0; i < n; i++) {
            if (i % 4 == 3)
                f->test[nh++] = all[i];
            else
                train[nt++] = all[i];
        }
    f->n_test = nh;
    if (nt > 0 && nh > 0 &&
        fit_model(&f->pb, train, nt, &f->held, NULL) == AT_OK)
        f->error = fit_error(&f->pb, &f->held, f->test, nh);
    f->ok = n > 0 && fit_model(&f->pb, all, n, &f->model, NULL) == AT_OK;
    if (f->ok) {
        f->model.error = f->error >= 0 ? f->error
                                       : fit_error(&f->pb, &f->model, all, n);
        utc_now(f->model.fitted, sizeof f->model.fitted);
    }
    free(all);
    free(train);
}

/* The check, sample by sample (AUTOTUNE_VERBOSE): where the model is
 * right and where it is not. */
static void print_model_check(const final_fit *f)
{
    printf("  %-52s %9s %9s %7s\n", "held out", "measured", "predicted",
           "error");
    for (size_t i = 0; i < f->n_test; i++) {
        const fit_sample *t = &f->test[i];
        char what[160];
        describe_config(&t->config, f->pb.kind, what, sizeof what);
        double p = fit_predict(&f->pb, &f->held, t);
        printf("  %-52s %9.4f %9.4f %+6.1f%%\n", what, t->seconds, p,
               100 * (p - t->seconds) / t->seconds);
    }
}

/* ------------------------------------------------------------ reporting */

static void print_result(const tune_args *a, const at_workload_kind kind,
                         long size, const search_result *r)
{
    char what[160];
    describe_config(&r->best, kind, what, sizeof what);
    printf("\n%s %ld, %ld item%s: best %s\n", a->job.workload, size,
           a->job.items, a->job.items == 1 ? "" : "s", what);
    printf("  %-16s %10s %9s\n", "", "seconds", "speedup");
    printf("  %-16s %10.4f %9s\n", "best", r->seconds, "");
    for (int b = 0; b < N_BASELINES; b++)
        if (r->baseline[b] > 0)
            printf("  %-16s %10.4f %8.2fx\n", baseline_names[b],
                   r->baseline[b], r->baseline[b] / r->seconds);
    printf("  measured %d of the %d configurations grid would (%.0f%%)\n",
           r->configs_measured, r->space_size,
           100.0 * r->configs_measured / r->space_size);
}

static void print_failures(const trial_log *log, at_workload_kind kind)
{
    for (size_t i = 0; i < log->n; i++)
        if (log->t[i].failed) {
            char what[160];
            describe_config(&log->t[i].config, kind, what, sizeof what);
            printf("  failed: %s (size %ld): %s\n", what, log->t[i].size,
                   log->t[i].why);
        }
}

static void on_signal(int sig)
{
    (void)sig;
    measure_cancel();
}

/* ----------------------------------------------------------------- main */

static int save(const tune_args *a, const char *path, const at_machine *m,
                const at_machine_costs *costs, const search_result *res,
                int n_res, const trial_log *log, const at_model *model)
{
    at_profile *p;
    at_error err;
    if (build_profile(a, m, costs, res, n_res, log, model, &p, &err) !=
            AT_OK ||
        at_profile_merge_into_file(p, path, &err) != AT_OK)
        return cli_report(&err);
    at_profile_free(p);
    return 0;
}

int cmd_tune(int argc, char **argv)
{
    tune_args a;
    int rc = parse(argc, argv, &a);
    if (rc)
        return rc < 0 ? 0 : rc;
    const workload *w = workload_find(a.job.workload);
    at_machine m;
    at_error err;
    char path[4096];
    if (at_machine_detect(&m, &err) != AT_OK)
        return cli_report(&err);
    if (!a.job.items)
        a.job.items = cli_default_items(w->kind, m.usable_cpus);
    if (w->kind == AT_KIND_VECTOR && a.job.items != 1)
        return cli_usage_error("--items: a vector workload ('%s') has one "
                               "item, got %ld",
                               a.job.workload, a.job.items);
    if (a.output)
        snprintf(path, sizeof path, "%s", a.output);
    else if (at_profile_user_path(path, sizeof path, &err) != AT_OK)
        return cli_report(&err);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    progress prog = {!a.quiet && isatty(STDERR_FILENO), tuner_now(),
                     a.budget, "", 0, 0};
    trial_log log = {NULL, 0, 0};
    if (a.resume)
        resume_from(path, &m, a.job.workload, &log, a.quiet);
    if (prog.on)
        fprintf(stderr,
                "autotune: %s on %d usable CPU%s, %d size%s, strategy %s, "
                "budget %.0f s\n",
                a.job.workload, m.usable_cpus, m.usable_cpus == 1 ? "" : "s",
                a.n_sizes, a.n_sizes == 1 ? "" : "s",
                a.strat == STRATEGY_MODEL  ? "model"
                : a.strat == STRATEGY_GRID ? "grid"
                                           : "random",
                a.budget);
    calibration cal;
    if (calibrate_quick(m.usable_cpus, &cal, &err) != AT_OK)
        return cli_report(&err);
    if (prog.on)
        fprintf(stderr,
                "  calibrate  pipe %.1f us/message %.2f GB/s, shm %.1f us, "
                "threads %.2f us\n",
                cal.costs.pipe.latency_us, cal.costs.pipe.gbytes_per_s,
                cal.costs.shm.latency_us, cal.costs.thread.latency_us);

    search s = {w, m.usable_cpus, 0, a.job.items, a.strat, &cal.costs,
                (double)a.sizes[a.n_sizes - 1],
                w->kind == AT_KIND_VECTOR ? 1.0 : 3.0, a.n_sizes > 1, &log,
                &prog, (uint64_t)a.seed, NULL, 0};
    search_result res[MAX_SIZES];
    int n_res = 0, interrupted = 0;
    at_status st = AT_OK;
    for (int i = 0; i < a.n_sizes && !interrupted; i++) {
        s.size = a.sizes[i];
        /* each size gets its share of what is left of the budget */
        prog.budget = (tuner_now() - prog.started) +
                      (a.budget - (tuner_now() - prog.started)) /
                          (a.n_sizes - i);
        st = search_run(&s, &res[n_res], &err);
        interrupted = res[n_res].interrupted || measure_cancelled();
        n_res++;
        if (st != AT_OK && !interrupted)
            break;
    }
    final_fit fit;
    fit_final(&s, a.strat, &fit);
    rc = save(&a, path, &m, &cal.costs, res, n_res, &log,
              fit.ok ? &fit.model : NULL);
    if (interrupted || st != AT_OK) {
        if (interrupted)
            fprintf(stderr,
                    "autotune: interrupted; the %zu measurements made are "
                    "kept in %s (--resume continues)\n",
                    log.n, path);
        free(log.t);
        free(fit.test);
        return interrupted ? 130 : cli_report(&err);
    }
    for (int i = 0; i < n_res; i++)
        print_result(&a, w->kind, a.sizes[i], &res[i]);
    print_failures(&log, w->kind);
    if (fit.ok && fit.error >= 0) {
        printf("\nmodel %s: held-out error %.1f%% (median over %zu samples "
               "it was not fitted on)\n",
               AT_MODEL_FORM, 100 * fit.error, fit.n_test);
        if (at_verbose_enabled())
            print_model_check(&fit);
    } else if (fit.ok) /* e.g. resumed from a run that had them all */
        printf("\nmodel %s: nothing held out to check it on; error on the "
               "samples it was fitted on %.1f%%\n",
               AT_MODEL_FORM, 100 * fit.model.error);
    printf("profile: %s (%.0f s)\n", path, tuner_now() - prog.started);
    free(log.t);
    free(fit.test);
    return rc;
}
