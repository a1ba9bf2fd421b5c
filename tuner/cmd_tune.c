/* cmd_tune.c - `autotune [tune] --workload W --size N`: the main job.
 * Calibrates the transports, searches each size, fits the cost model on
 * everything measured (its error measured on samples it was not fitted
 * on), and merges the answer, the baselines, the model and the raw
 * samples into the profile. Ctrl-C keeps what was measured; --resume
 * picks it up.
 *
 * The file follows the run's data flow: the arguments (and what they
 * resolve to), the search of each size, the samples and the fit, the
 * profile, the report; cmd_tune at the end reads as that list. */
#include "config.h"

#include "calibrate.h"
#include "cli.h"
#include "command.h"
#include "search.h"
#include "util.h"

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
    "         [--command 'CMD {size} {items}' [--kind batch|vector]]\n"
    "Measures configurations of workload W (inv, svd, gemm, exp) at each\n"
    "size on this machine, fits the cost model, and merges the best\n"
    "configuration, the baselines, the model and the samples into the\n"
    "profile (default: the user's, ~/.config/autotune/profile.yaml).\n"
    "With --command, W is any name and the workload is your own program:\n"
    "CMD runs through sh -c in each configuration, which it finds in its\n"
    "environment (AUTOTUNE_*, as `autotune env` prints them); its time is\n"
    "its last `autotune-seconds: X` line, else its wall time.\n";

enum {
    OPT_SIZES = 300,
    OPT_STRATEGY,
    OPT_BUDGET,
    OPT_OUTPUT,
    OPT_RESUME,
    OPT_QUIET,
    OPT_SEED,
    OPT_COMMAND
};

typedef struct tune_args {
    cli_job job;
    long sizes[MAX_SIZES];
    int n_sizes;
    strategy strat;
    double budget;
    const char *output;
    int resume, quiet;
    long seed;
    const char *command; /* --command: the user's program */
} tune_args;

/* The --strategy names, also for the first progress line. */
static const char *const strategy_names[] = {
    [STRATEGY_MODEL] = "model",
    [STRATEGY_GRID] = "grid",
    [STRATEGY_RANDOM] = "random",
};
#define N_STRATEGIES (sizeof strategy_names / sizeof *strategy_names)

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

/* By the names table, so that the option and the progress line cannot
 * disagree on a strategy's name. */
static int parse_strategy(const char *text, tune_args *a)
{
    for (size_t k = 0; k < N_STRATEGIES; k++)
        if (!strcmp(text, strategy_names[k])) {
            a->strat = (strategy)k;
            return 0;
        }
    return cli_usage_error("--strategy: expected model, grid or random, "
                           "got '%s'",
                           text);
}

/* --budget: seconds above 0, at most 1e6 (about 11 days). */
static int parse_budget(const char *text, tune_args *a)
{
    char *end;
    a->budget = strtod(text, &end);
    if (!*text || *end || !(a->budget > 0) || a->budget > 1e6)
        return cli_usage_error("--budget: expected seconds above 0 (at "
                               "most 1e6), got '%s'",
                               text);
    return 0;
}

static int tune_option(int c, const char *v, void *ctx)
{
    tune_args *a = ctx;
    switch (c) {
    case OPT_SIZES: return parse_sizes(v, a);
    case OPT_STRATEGY: return parse_strategy(v, a);
    case OPT_BUDGET: return parse_budget(v, a);
    case OPT_OUTPUT: a->output = v; return 0;
    case OPT_RESUME: a->resume = 1; return 0;
    case OPT_QUIET: a->quiet = 1; return 0;
    case OPT_COMMAND:
        if (!v[0])
            return cli_usage_error("--command: empty command");
        a->command = v;
        return 0;
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
        {"command", required_argument, NULL, OPT_COMMAND},
        {NULL, 0, NULL, 0}};
    memset(a, 0, sizeof *a);
    a->budget = DEFAULT_BUDGET;
    a->seed = 42;
    int rc =
        cli_parse(argc, argv, "tune", usage, opts, &a->job, tune_option, a);
    if (rc)
        return rc;
    if (a->job.profile || a->job.machine)
        return cli_usage_error("tune: --profile and --machine are for "
                               "query and env; use --output FILE");
    if (a->job.strict)
        return cli_usage_error("tune: --strict is for query, env and run");
    if (!a->job.size && a->n_sizes)
        a->job.size = a->sizes[0];
    if ((rc = cli_job_check(argc, argv, "tune", &a->job, !a->command)) != 0)
        return rc;
    if (!a->n_sizes)
        a->sizes[a->n_sizes++] = a->job.size;
    return 0;
}

/* The time in UTC, ISO 8601: the profile's stamps compare as strings
 * (the newest entry wins a merge). */
static void utc_now(char *buf, size_t size)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* ------------------------------------------------------------- the run */

/* The model of the run, fitted on everything, and its check: a model
 * fitted without the held-out samples, predicting them (the finals,
 * fitted on the design alone, for the model strategy; every fourth
 * sample otherwise). */
typedef struct final_fit {
    int ok;
    at_model *model; /* owned; freed by final_fit_free */
    fit_problem pb;
    at_model *held;  /* fitted without the held-out samples */
    at_sample *test; /* the held-out samples */
    size_t n_test;
    double error; /* held.predicting test, -1 if none */
} final_fit;

/* One tuning run, stage by stage: the arguments and what they resolve
 * to, then what the search, the fit and the save each add. One struct,
 * so that every stage is a short function of the run. */
typedef struct tune_run {
    tune_args a;
    const workload *w;
    at_machine m;
    char path[4096]; /* the profile written */
    progress prog;
    calibration cal;
    trial_log log; /* every measurement of every size, and resumed ones */
    search s;      /* the last size's; the fit takes its problem */
    search_result res[MAX_SIZES];
    int n_res, interrupted;
    at_status st; /* of the last search; err says why when not AT_OK */
    at_error err;
    final_fit fit;
} tune_run;

/* ------------------------------------------------------------ the args */

/* The job's items: this machine's default when not given; a vector
 * workload has exactly one. 0 or an exit code. */
static int resolve_items(tune_run *r)
{
    cli_job *job = &r->a.job;
    if (!job->items)
        job->items = cli_default_items(r->w->kind, r->m.usable_cpus);
    if (r->w->kind == AT_KIND_VECTOR && job->items != 1)
        return cli_usage_error("--items: a vector workload ('%s') has one "
                               "item, got %ld",
                               job->workload, job->items);
    return 0;
}

/* Where the profile goes: --output, else the user's own profile. */
static int resolve_path(tune_run *r)
{
    if (r->a.output) {
        snprintf(r->path, sizeof r->path, "%s", r->a.output);
        return 0;
    }
    if (at_profile_user_path(r->path, sizeof r->path, &r->err) != AT_OK)
        return cli_report(&r->err);
    return 0;
}

/* The user's program as a workload: its name and kind (--kind, default
 * batch) and its command; it has no data or check of ours. */
static const workload *user_workload(const tune_args *a)
{
    static workload w;
    w = (workload){.name = a->job.workload,
                   .kind = a->job.kind_given ? a->job.kind : AT_KIND_BATCH,
                   .what = "your command",
                   .command = a->command};
    return &w;
}

/* The arguments and what they resolve to on this machine, all checked
 * before anything is measured. 0, -1 (help printed) or an exit code. */
static int prepare(int argc, char **argv, tune_run *r)
{
    memset(r, 0, sizeof *r);
    int rc = parse(argc, argv, &r->a);
    if (rc)
        return rc;
    r->w = r->a.command ? user_workload(&r->a)
                        : workload_find(r->a.job.workload);
    if (at_machine_detect(&r->m, &r->err) != AT_OK)
        return cli_report(&r->err);
    if ((rc = resolve_items(r)) != 0)
        return rc;
    return resolve_path(r);
}

/* ---------------------------------------------------------- the search */

static void on_signal(int sig)
{
    (void)sig;
    measure_cancel();
}

/* Ctrl-C and TERM cancel the measurement under way instead of ending
 * the process, so that what was measured is still saved. */
static void catch_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

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
    size_t n = at_workload_profile_sample_count(wp);
    for (size_t i = 0; i < n; i++) {
        trial t = {.sample = *at_workload_profile_sample_at(wp, i),
                   .phase = PHASE_RESUMED};
        trial_log_add(log, &t);
    }
    if (!quiet && wp)
        fprintf(stderr, "autotune: resuming with %zu samples from %s\n", n,
                path);
    at_profile_free(p);
}

/* The first progress line: what is about to be tuned, and how. */
static void announce(const tune_run *r)
{
    const tune_args *a = &r->a;
    int cpus = r->m.usable_cpus;
    fprintf(stderr,
            "autotune: %s on %d usable CPU%s, %d size%s, strategy %s, "
            "budget %.0f s\n",
            a->job.workload, cpus, cpus == 1 ? "" : "s", a->n_sizes,
            a->n_sizes == 1 ? "" : "s", strategy_names[a->strat], a->budget);
}

/* The budget's clock starts here. Progress goes to a terminal only (a
 * log or a pipe gets the report alone); --resume's samples join the log
 * before anything is measured, so the search skips them. */
static void start(tune_run *r)
{
    r->prog = (progress){.on = !r->a.quiet && isatty(STDERR_FILENO),
                         .started = tuner_now(),
                         .budget = r->a.budget,
                         .phase = ""};
    if (r->a.resume)
        resume_from(r->path, &r->m, r->a.job.workload, &r->log, r->a.quiet);
    if (r->prog.on)
        announce(r);
}

/* The transports' costs on this machine, measured now: the model is
 * fitted with them fixed, and the profile stores them. */
static at_status calibrate_run(tune_run *r)
{
    at_status st = calibrate_quick(r->m.usable_cpus, &r->cal, &r->err);
    if (st == AT_OK && r->prog.on)
        fprintf(stderr,
                "  calibrate  pipe %.1f us/message %.2f GB/s, shm %.1f us, "
                "threads %.2f us\n",
                r->cal.costs.pipe.latency_us, r->cal.costs.pipe.gbytes_per_s,
                r->cal.costs.shm.latency_us, r->cal.costs.thread.latency_us);
    return st;
}

/* The search all sizes share: the model's reference size is the last
 * size asked for, its exponent the workload's nominal one, fitted only
 * when there are two sizes or more to tell it. */
static search new_search(tune_run *r)
{
    return (search){.w = r->w,
                    .cpus = r->m.usable_cpus,
                    .items = r->a.job.items,
                    .strat = r->a.strat,
                    .costs = &r->cal.costs,
                    .ref_size = (double)r->a.sizes[r->a.n_sizes - 1],
                    .exponent = r->w->kind == AT_KIND_VECTOR ? 1.0 : 3.0,
                    .fit_exponent = r->a.n_sizes > 1,
                    .log = &r->log,
                    .prog = &r->prog,
                    .seed = (uint64_t)r->a.seed};
}

/* Where size i's share of the budget ends, counted from the start: each
 * size gets an equal share of what is left, so a size that finished
 * early leaves more to the next. */
static double size_budget(const tune_run *r, int i)
{
    double spent = tuner_now() - r->prog.started;
    return spent + (r->a.budget - spent) / (r->a.n_sizes - i);
}

/* Each size in turn, all in one log (the model of a later size sees the
 * earlier ones), until every size is done, the run is interrupted, or a
 * size fails. */
static void search_sizes(tune_run *r)
{
    r->s = new_search(r);
    for (int i = 0; i < r->a.n_sizes && !r->interrupted; i++) {
        search_result *res = &r->res[r->n_res++];
        r->s.size = r->a.sizes[i];
        r->prog.budget = size_budget(r, i);
        r->st = search_run(&r->s, res, &r->err);
        r->interrupted = res->interrupted || measure_cancelled();
        if (r->st != AT_OK && !r->interrupted)
            break;
    }
}

/* ------------------------------------------------------------- the fit */

/* Splits the samples into those the check's model is fitted on (train;
 * returns their count) and those it predicts (f->test). For the model
 * strategy, the design against the finals: whether a model of the small
 * design jobs predicts the full ones is the bet that strategy makes.
 * Otherwise every fourth sample. */
static size_t hold_out(const trial_log *log, strategy strat,
                       const at_sample *all, size_t n, at_sample *train,
                       final_fit *f)
{
    size_t nt = 0;
    f->n_test = 0;
    if (strat == STRATEGY_MODEL) {
        nt = trial_samples(log, train, PHASE_BIT(PHASE_DESIGN));
        f->n_test = trial_samples(log, f->test, PHASE_BIT(PHASE_FINALS));
    } else
        for (size_t i = 0; i < n; i++) {
            if (i % 4 == 3)
                f->test[f->n_test++] = all[i];
            else
                train[nt++] = all[i];
        }
    return nt;
}

/* The model of the run, on every sample. Its error is the check's when
 * there was one (a model's error on its own samples flatters it), else
 * that on its own samples. */
static void fit_all(final_fit *f, const at_sample *all, size_t n)
{
    char now[32];
    f->ok = n > 0 && fit_model(&f->pb, all, n, f->model, NULL) == AT_OK;
    if (!f->ok)
        return;
    double error =
        f->error >= 0 ? f->error : fit_error(&f->pb, f->model, all, n);
    utc_now(now, sizeof now);
    /* an error too large for the profile is no model worth keeping */
    f->ok = at_model_set(f->model, "error", error, NULL) == AT_OK &&
            at_model_set_fitted(f->model, now, NULL) == AT_OK;
}

/* The check, then the model. Without memory there is no model: the
 * profile still gets the entries and the samples. */
static void fit_final(const search *proto, strategy strat, final_fit *f)
{
    const trial_log *log = proto->log;
    at_sample *all = trial_samples_alloc(log);
    at_sample *train = trial_samples_alloc(log);
    memset(f, 0, sizeof *f);
    f->test = trial_samples_alloc(log);
    f->pb = search_problem(proto);
    f->error = -1;
    if (all && train && f->test && at_model_new(&f->model, NULL) == AT_OK &&
        at_model_new(&f->held, NULL) == AT_OK) {
        size_t n = trial_samples(log, all, PHASES_ALL);
        size_t nt = hold_out(log, strat, all, n, train, f);
        if (nt > 0 && f->n_test > 0 &&
            fit_model(&f->pb, train, nt, f->held, NULL) == AT_OK)
            f->error = fit_error(&f->pb, f->held, f->test, f->n_test);
        fit_all(f, all, n);
    }
    free(all);
    free(train);
}

/* --------------------------------------------------------- the profile */

/* The answer for each size searched to the end (an interrupted size's
 * best is only the best so far), all stamped with one time. */
static at_status add_entries(const tune_run *r, at_profile *p, at_error *err)
{
    char now[32];
    utc_now(now, sizeof now);
    at_status s = AT_OK;
    for (int i = 0; s == AT_OK && i < r->n_res; i++) {
        const search_result *res = &r->res[i];
        if (res->interrupted || res->seconds <= 0)
            continue;
        const double *b = res->baseline;
        at_entry e = {.size = r->a.sizes[i],
                      .items = r->a.job.items,
                      .seconds = res->seconds,
                      .spread = res->spread,
                      .best = res->best,
                      .baselines = {b[BASE_SERIAL_DEFAULT], b[BASE_SERIAL_1],
                                    b[BASE_NAIVE], b[BASE_JOBLIB]}};
        memcpy(e.measured, now, sizeof now);
        s = at_profile_set_entry(p, r->m.fingerprint, r->a.job.workload, &e,
                                 err);
    }
    return s;
}

/* This run's samples, one per configuration and job (the resumed ones
 * are in the file already): what a later fit, or --resume, starts from. */
static at_status add_samples(const tune_run *r, at_profile *p, at_error *err)
{
    at_sample *smp = trial_samples_alloc(&r->log);
    if (!smp)
        return tuner_out_of_memory(err);
    size_t n =
        trial_samples(&r->log, smp, PHASES_ALL & ~PHASE_BIT(PHASE_RESUMED));
    at_status s = AT_OK;
    for (size_t i = 0; s == AT_OK && i < n; i++)
        s = at_profile_add_sample(p, r->m.fingerprint, r->a.job.workload,
                                  &smp[i], err);
    free(smp);
    return s;
}

/* The profile of this run: machine, costs, entries, model, samples. */
static at_status build_profile(const tune_run *r, at_profile **out,
                               at_error *err)
{
    const char *fp = r->m.fingerprint, *name = r->a.job.workload;
    at_profile *p;
    at_status s = at_profile_new(&p, err);
    if (s != AT_OK)
        return s;
    s = at_profile_add_machine(p, &r->m, err);
    if (s == AT_OK)
        s = at_profile_add_workload(p, fp, name, r->w->kind, err);
    if (s == AT_OK)
        s = at_profile_set_costs(p, fp, &r->cal.costs, err);
    if (s == AT_OK)
        s = add_entries(r, p, err);
    if (s == AT_OK && r->fit.ok)
        s = at_profile_set_model(p, fp, name, r->fit.model, err);
    if (s == AT_OK)
        s = add_samples(r, p, err);
    if (s != AT_OK) {
        at_profile_free(p);
        return s;
    }
    *out = p;
    return AT_OK;
}

/* Merges the run into the profile file, interrupted or failed alike:
 * nothing measured is lost. Its own error, since r->err may hold the
 * search's for the report. 0, or 1 after reporting. */
static int save(const tune_run *r)
{
    at_profile *p;
    at_error err;
    if (build_profile(r, &p, &err) != AT_OK)
        return cli_report(&err);
    at_status s = at_profile_merge_into_file(p, r->path, &err);
    at_profile_free(p);
    return s == AT_OK ? 0 : cli_report(&err);
}

/* ---------------------------------------------------------- the report */

/* One size's answer, and what it gains over each baseline: the reason
 * to tune at all. */
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

/* Configurations that failed or hung, with why: the search went on
 * without them, and the user should know which they were. */
static void print_failures(const trial_log *log, at_workload_kind kind)
{
    for (size_t i = 0; i < log->n; i++)
        if (log->t[i].failed) {
            const at_sample *x = &log->t[i].sample;
            char what[160];
            describe_config(&x->config, kind, what, sizeof what);
            printf("  failed: %s (size %ld): %s\n", what, x->size,
                   log->t[i].why);
        }
}

/* The check, sample by sample (AUTOTUNE_VERBOSE): where the model is
 * right and where it is not. */
static void print_model_check(const final_fit *f)
{
    printf("  %-52s %9s %9s %7s\n", "held out", "measured", "predicted",
           "error");
    for (size_t i = 0; i < f->n_test; i++) {
        const at_sample *t = &f->test[i];
        char what[160];
        describe_config(&t->config, f->pb.kind, what, sizeof what);
        double p = fit_predict(&f->pb, f->held, t);
        printf("  %-52s %9.4f %9.4f %+6.1f%%\n", what, t->seconds, p,
               100 * (p - t->seconds) / t->seconds);
    }
}

/* How far to trust the model: its error on samples it was not fitted
 * on, or, when nothing was held out (a run resumed from one that had
 * measured it all), on its own. */
static void print_model(const final_fit *f)
{
    if (f->ok && f->error >= 0) {
        printf("\nmodel %s: held-out error %.1f%% (median over %zu samples "
               "it was not fitted on)\n",
               AT_MODEL_FORM, 100 * f->error, f->n_test);
        if (at_verbose_enabled())
            print_model_check(f);
    } else if (f->ok) {
        double error = 0;
        at_model_get(f->model, "error", &error, NULL);
        printf("\nmodel %s: nothing held out to check it on; error on the "
               "samples it was fitted on %.1f%%\n",
               AT_MODEL_FORM, 100 * error);
    }
}

/* Which time the user's program was measured by: its own figure leaves
 * its start-up and imports out, the wall clock does not. */
static void print_timing(const tune_run *r)
{
    long self, wall;
    if (!r->w->command)
        return;
    command_timing(&self, &wall);
    if (self && !wall)
        printf("time: the command's own autotune-seconds line (%ld runs)\n",
               self);
    else if (!self)
        printf("time: the command's wall time, start-up included (%ld runs; "
               "it printed no autotune-seconds line)\n",
               wall);
    else
        printf("time: autotune-seconds in %ld runs, wall time in %ld runs "
               "that printed none\n",
               self, wall);
}

/* The report on stdout: each size's answer against the baselines, what
 * failed, how far the model goes, and where it all went. */
static void print_report(const tune_run *r)
{
    for (int i = 0; i < r->n_res; i++)
        print_result(&r->a, r->w->kind, r->a.sizes[i], &r->res[i]);
    print_failures(&r->log, r->w->kind);
    print_model(&r->fit);
    print_timing(r);
    printf("profile: %s (%.0f s)\n", r->path, tuner_now() - r->prog.started);
}

/* How the run ends: interrupted (130, saying what was kept and how to go
 * on), a failed search (its error), or the report; `saved` is save's. */
static int finish(const tune_run *r, int saved)
{
    if (r->interrupted) {
        fprintf(stderr,
                "autotune: interrupted; the %zu measurements made are "
                "kept in %s (--resume continues)\n",
                r->log.n, r->path);
        return 130;
    }
    if (r->st != AT_OK)
        return cli_report(&r->err);
    print_report(r);
    return saved;
}

/* ----------------------------------------------------------------- main */

/* The data flow: args, search (after the calibration it needs), samples
 * and fit, profile, report. */
int cmd_tune(int argc, char **argv)
{
    tune_run r;
    int rc = prepare(argc, argv, &r);
    if (rc)
        return rc < 0 ? 0 : rc;
    catch_signals();
    start(&r);
    if (calibrate_run(&r) != AT_OK)
        rc = cli_report(&r.err);
    else {
        search_sizes(&r);
        fit_final(&r.s, r.a.strat, &r.fit);
        rc = finish(&r, save(&r));
    }
    free(r.log.t);
    free(r.fit.test);
    at_model_free(r.fit.model);
    at_model_free(r.fit.held);
    return rc;
}
