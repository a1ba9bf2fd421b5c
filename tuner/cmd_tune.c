/* cmd_tune.c - `autotune [tune] --workload W --size N`: the main job.
 * Calibrates the transports, searches each size, fits the cost model on
 * everything measured (its error measured on samples it was not fitted
 * on), and merges the answer, the baselines, the model and the raw
 * samples into the profile. Ctrl-C keeps what was measured; --resume
 * picks it up. A run never ends with its results lost without a word:
 * the output is checked before anything is measured, and when the merge
 * fails all the same, the results go to a rescue file it names.
 *
 * The file follows the run's data flow: the arguments (and what they
 * resolve to, the output checked), the search of each size, the samples
 * and the fit, the profile, the report; cmd_tune at the end reads as that
 * list. */
#include "config.h"

#include "calibrate.h"
#include "campaign.h"
#include "cli.h"
#include "command.h"
#include "plot.h"
#include "search.h"
#include "tune.h"
#include "util.h"

#include <errno.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_SIZES TUNE_MAX_SIZES
#define DEFAULT_BUDGET 45.0

static const char usage[] =
    "usage: autotune [tune] --workload W --size N [--sizes N,N,...]\n"
    "         [--items K] [--strategy model|grid|random] [--budget SECONDS]\n"
    "         [--output FILE] [--resume] [--quiet] [--seed S]\n"
    "         [--command 'CMD {size} {items}' [--kind batch|vector]]\n"
    "         [--plot FILE.svg|.png|.pdf] [--spool DIR (under mpirun)]\n"
    "Measures configurations of workload W (inv, svd, gemm, exp) at each\n"
    "size on this machine, fits the cost model, and merges the best\n"
    "configuration, the baselines, the model and the samples into the\n"
    "profile (default: the user's, ~/.config/autotune/profile.yaml).\n"
    "With --command, W is any name and the workload is your own program:\n"
    "CMD runs through sh -c in each configuration, which it finds in its\n"
    "environment (AUTOTUNE_*, as `autotune env` prints them); its time is\n"
    "its last `autotune-seconds: X` line, else its wall time.\n"
    "--plot draws the run (autotune plot). Started by mpirun, autotune\n"
    "tunes every node of the job (man autotune, Tuning a cluster).\n";

enum {
    OPT_SIZES = 300,
    OPT_STRATEGY,
    OPT_BUDGET,
    OPT_OUTPUT,
    OPT_RESUME,
    OPT_QUIET,
    OPT_SEED,
    OPT_COMMAND,
    OPT_PLOT,
    OPT_SPOOL
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
    const char *plot;    /* --plot: the picture drawn at the end */
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

/* --plot: its kind (by extension) checked now, not after the run. */
static int parse_plot(const char *text, tune_args *a)
{
    plot_format format;
    at_error err;
    if (plot_format_of(text, &format, &err) != AT_OK)
        return cli_usage_error("--plot: %s", err.message);
    a->plot = text;
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
    case OPT_PLOT: return parse_plot(v, a);
    case OPT_SPOOL: /* the campaign takes it out before a run sees it */
        return cli_usage_error("--spool: only for a campaign started by "
                               "mpirun (man autotune, Tuning a cluster)");
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
        {"plot", required_argument, NULL, OPT_PLOT},
        {"spool", required_argument, NULL, OPT_SPOOL},
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
    char path[4096];      /* the profile written */
    at_profile *existing; /* its content before the run (NULL: absent) */
    char rescue[4096];    /* where the results went when not to path */
    size_t n_kept;        /* samples this run put there */
    progress prog;
    calibration cal;
    trial_log log; /* every measurement of every size, and resumed ones */
    search s;      /* the last size's; the fit takes its problem */
    search_result res[MAX_SIZES];
    int n_res, interrupted;
    at_status st; /* of the last search; err says why when not AT_OK */
    at_error err;
    final_fit fit;
    const tune_hooks *hooks; /* never NULL: no_hooks when none */
} tune_run;

static const tune_hooks no_hooks;

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
    const char *output = r->hooks->output ? r->hooks->output : r->a.output;
    if (output) {
        snprintf(r->path, sizeof r->path, "%s", output);
        return 0;
    }
    if (at_profile_user_path(r->path, sizeof r->path, &r->err) != AT_OK)
        return cli_report(&r->err);
    return 0;
}

/* Why the output cannot take the run's results, said before anything is
 * measured: what is wrong, with the file or directory it is about, then
 * that nothing was measured. Returns 1, the exit code. */
static int refuse_output(const at_error *err, const char *path)
{
    cli_report(err);
    fprintf(stderr,
            "autotune: nothing measured: the results could not be saved in "
            "%s (--output chooses another file)\n",
            path);
    return 1;
}

/* An error about `file`: `what`, and the system's reason if `reason`. */
static const at_error *file_error(at_error *err, const char *file,
                                  const char *what, int reason)
{
    if (reason)
        tuner_error(err, AT_ERR_IO, "%s (%s)", what, strerror(errno));
    else
        tuner_error(err, AT_ERR_IO, "%s", what);
    snprintf(err->file, sizeof err->file, "%.*s", (int)sizeof err->file - 1,
             file);
    return err;
}

/* The directory a file at `path` goes into, or the nearest of its
 * ancestors that exists (the save creates the rest) into dir, and stat's
 * result for it. */
static int nearest_directory(const char *path, char *dir, size_t size,
                             struct stat *st)
{
    snprintf(dir, size, "%s", path);
    for (;;) {
        const char *up = dirname(dir); /* in dir, or a constant "." */
        memmove(dir, up, strlen(up) + 1);
        int rc = stat(dir, st);
        if (rc == 0 || (errno != ENOENT && errno != ENOTDIR) ||
            !strcmp(dir, "/") || !strcmp(dir, "."))
            return rc;
    }
}

/* That directory must be one, and writable: the save writes a temporary
 * file and a lock there. 0, or 1 after refusing. */
static int check_directory(const char *path)
{
    char dir[4096];
    struct stat st;
    at_error err;
    if (nearest_directory(path, dir, sizeof dir, &st) != 0)
        return refuse_output(file_error(&err, dir, "cannot be read", 1),
                             path);
    if (!S_ISDIR(st.st_mode))
        return refuse_output(file_error(&err, dir, "not a directory", 0),
                             path);
    if (access(dir, W_OK | X_OK) != 0)
        return refuse_output(file_error(&err, dir, "not writable", 1), path);
    return 0;
}

/* The output must take the run's results, checked before anything is
 * measured (a corrupt file would refuse them only at the end): absent,
 * where a file can be made, or a profile that loads (so a regular file)
 * and can be replaced. The loaded profile is kept for --resume. 0, or 1
 * after refusing. */
static int check_output(tune_run *r)
{
    at_error err;
    if (access(r->path, F_OK) != 0)
        return check_directory(r->path);
    if (at_profile_load(r->path, &r->existing, &err) != AT_OK)
        return refuse_output(&err, r->path);
    int rc = access(r->path, W_OK) != 0
                 ? refuse_output(file_error(&err, r->path, "not writable", 1),
                                 r->path)
                 : check_directory(r->path);
    if (rc) {
        at_profile_free(r->existing);
        r->existing = NULL;
    }
    return rc;
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
static int prepare(int argc, char **argv, const tune_hooks *hooks,
                   tune_run *r)
{
    memset(r, 0, sizeof *r);
    r->hooks = hooks ? hooks : &no_hooks;
    int rc = parse(argc, argv, &r->a);
    if (rc)
        return rc;
    r->w = r->a.command ? user_workload(&r->a)
                        : workload_find(r->a.job.workload);
    if (at_machine_detect(&r->m, &r->err) != AT_OK)
        return cli_report(&r->err);
    if ((rc = resolve_items(r)) != 0)
        return rc;
    if ((rc = resolve_path(r)) != 0)
        return rc;
    return check_output(r);
}

/* ---------------------------------------------------------- the search */

/* Ctrl-C and TERM cancel the measurement under way instead of ending
 * the process, so that what was measured is still saved; a second one
 * ends it at once, whatever it waits on (util.h). */
static void catch_signals(void)
{
    tuner_catch_signals(measure_cancel);
}

/* Earlier samples of this machine and workload, for --resume, from the
 * output as check_output loaded it: they join the log as resumed, so the
 * search does not measure them again. */
static void resume_from(tune_run *r)
{
    if (!r->existing)
        return; /* no file yet: nothing to resume */
    const at_workload_profile *wp = at_machine_profile_workload(
        at_profile_find_machine(r->existing, r->m.fingerprint),
        r->a.job.workload);
    size_t n = at_workload_profile_sample_count(wp);
    for (size_t i = 0; i < n; i++) {
        trial t = {.sample = *at_workload_profile_sample_at(wp, i),
                   .phase = PHASE_RESUMED};
        trial_log_add(&r->log, &t);
    }
    if (!r->a.quiet && wp)
        fprintf(stderr, "autotune: resuming with %zu samples from %s\n", n,
                r->path);
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
                         .phase = "",
                         .listener = r->hooks->progress,
                         .listener_ctx = r->hooks->ctx};
    if (r->a.resume)
        resume_from(r);
    at_profile_free(r->existing); /* checked and read: the save reloads */
    r->existing = NULL;
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

/* Whether samples[0..n) has x's job and configuration (a user's
 * program's design measures some configurations on the full job). */
static int has_sample(const at_sample *samples, size_t n, const at_sample *x)
{
    for (size_t i = 0; i < n; i++)
        if (samples[i].size == x->size && samples[i].items == x->items &&
            memcmp(&samples[i].config, &x->config, sizeof x->config) == 0)
            return 1;
    return 0;
}

/* Splits the samples into those the check's model is fitted on (train;
 * returns their count) and those it predicts (f->test). For the model
 * strategy, the design against the finals on the full job (of `items`):
 * whether a model of the small design jobs predicts the full ones is the
 * bet that strategy makes (baselines scaled from the design's job ran on
 * it, and are not held out). Otherwise every fourth sample. */
static size_t hold_out(const trial_log *log, strategy strat, long items,
                       const at_sample *all, size_t n, at_sample *train,
                       final_fit *f)
{
    size_t nt = 0;
    f->n_test = 0;
    if (strat == STRATEGY_MODEL) {
        nt = trial_samples(log, train, PHASE_BIT(PHASE_DESIGN));
        size_t nf = trial_samples(log, f->test, PHASE_BIT(PHASE_FINALS));
        for (size_t i = 0; i < nf; i++) /* a design point is not held out */
            if (f->test[i].items == items &&
                !has_sample(train, nt, &f->test[i]))
                f->test[f->n_test++] = f->test[i];
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
    tuner_utc_now(now, sizeof now);
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
        size_t nt = hold_out(log, strat, proto->items, all, n, train, f);
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
    tuner_utc_now(now, sizeof now);
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
        s = at_profile_set_entry_scaled(p, r->m.fingerprint,
                                        r->a.job.workload, &e,
                                        res->baseline_items, err);
    }
    return s;
}

/* This run's samples, one per configuration and job it measured (with
 * what it resumed of them; the rest of the resumed ones are in the file
 * already): what a later fit, or --resume, starts from. *n their count. */
static at_status add_samples(const tune_run *r, at_profile *p, size_t *n,
                             at_error *err)
{
    at_sample *smp = trial_samples_alloc(&r->log);
    if (!smp)
        return tuner_out_of_memory(err);
    *n = trial_samples_measured(&r->log, smp);
    at_status s = AT_OK;
    for (size_t i = 0; s == AT_OK && i < *n; i++)
        s = at_profile_add_sample(p, r->m.fingerprint, r->a.job.workload,
                                  &smp[i], err);
    free(smp);
    return s;
}

/* The profile of this run: machine, costs, entries, model, samples
 * (*n_samples of them). */
static at_status build_profile(const tune_run *r, at_profile **out,
                               size_t *n_samples, at_error *err)
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
        s = add_samples(r, p, n_samples, err);
    if (s != AT_OK) {
        at_profile_free(p);
        return s;
    }
    *out = p;
    return AT_OK;
}

/* Writes the run's own profile to a new file of its own, beside the
 * output or else in $TMPDIR, when the merge into the output failed (the
 * file was damaged or replaced during the run, the disk filled up, ...):
 * r->rescue names it, and stays "" if that failed too. */
static void rescue(tune_run *r, const at_profile *p)
{
    const char *tmp = getenv("TMPDIR");
    /* beside it, then in $TMPDIR: prefix, then what follows the prefix */
    const char *where_to[2][2] = {
        {r->path, ".rescue-XXXXXX"},
        {tmp && tmp[0] ? tmp : "/tmp", "/autotune-rescue-XXXXXX"}};
    char where[sizeof r->rescue];
    at_error err;
    for (int i = 0; i < 2 && !r->rescue[0]; i++) {
        /* a name cut short has no XXXXXX: mkstemp refuses it */
        if (snprintf(where, sizeof where, "%s%s", where_to[i][0],
                     where_to[i][1]) >= (int)sizeof where)
            continue;
        int fd = mkstemp(where);
        if (fd < 0)
            continue;
        close(fd);
        if (at_profile_save(p, where, &err) == AT_OK)
            memcpy(r->rescue, where, sizeof where);
        else
            unlink(where);
    }
    if (r->rescue[0])
        fprintf(stderr,
                "autotune: measurements saved to %s; merge later with "
                "autotune merge %s -o %s\n",
                r->rescue, r->rescue, r->path);
    else
        fprintf(stderr, "autotune: the measurements could not be saved "
                        "anywhere\n");
}

/* Merges the run into the profile file, interrupted or failed alike, or,
 * when that fails, writes it to a rescue file: nothing measured is lost
 * without a word. Its own error, since r->err may hold the search's for
 * the report. 0 when the profile file has the results, else 1 (after
 * reporting). */
static int save(tune_run *r)
{
    at_profile *p;
    at_error err;
    if (build_profile(r, &p, &r->n_kept, &err) != AT_OK)
        return cli_report(&err);
    at_status s = at_profile_merge_into_file(p, r->path, &err);
    if (s != AT_OK) {
        cli_report(&err);
        rescue(r, p);
    }
    at_profile_free(p);
    return s == AT_OK ? 0 : 1;
}

/* ---------------------------------------------------------- the report */

/* Whether a baseline's time is below the best's (an estimate, when the
 * baselines were scaled: the best's is measured). */
static int beaten_by_estimate(const search_result *r)
{
    for (int b = 0; b < N_BASELINES; b++)
        if (r->baseline[b] > 0 && r->baseline[b] < r->seconds)
            return 1;
    return 0;
}

/* One size's answer, and what it gains over each baseline: the reason
 * to tune at all; each time with the spread of its rounds ("?" when it
 * ran once: unknown) and their count, to say how far to trust it. */
static void print_result(const tune_args *a, const at_workload_kind kind,
                         long size, const search_result *r)
{
    char what[160], spread[16];
    describe_config(&r->best, kind, what, sizeof what);
    printf("\n%s %ld, %ld item%s: best %s\n", a->job.workload, size,
           a->job.items, a->job.items == 1 ? "" : "s", what);
    printf("  %-16s %10s %7s %6s %9s\n", "", "seconds", "spread", "rounds",
           "speedup");
    printf("  %-16s %10.4f %7s %6d\n", "best", r->seconds,
           describe_spread(r->spread, spread, sizeof spread), r->rounds);
    for (int b = 0; b < N_BASELINES; b++)
        if (r->baseline[b] > 0)
            printf(
                "  %-16s %10.4f %7s %6d %8.2fx\n", baseline_names[b],
                r->baseline[b],
                describe_spread(r->baseline_spread[b], spread, sizeof spread),
                r->baseline_rounds[b], r->baseline[b] / r->seconds);
    if (r->baseline_items > 0)
        printf("  baselines measured on %ld items, scaled to %ld by the "
               "model (the budget had no room for them on the job)\n",
               r->baseline_items, a->job.items);
    if (r->baseline_items > 0 && beaten_by_estimate(r))
        printf("  a baseline's estimate is below the best's measured time: "
               "with room in --budget, the baselines run on the job\n");
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
static void print_report(const tune_run *r, int saved)
{
    double took = tuner_now() - r->prog.started;
    for (int i = 0; i < r->n_res; i++)
        print_result(&r->a, r->w->kind, r->a.sizes[i], &r->res[i]);
    print_failures(&r->log, r->w->kind);
    print_model(&r->fit);
    print_timing(r);
    if (took > r->a.budget) /* said, not left to be guessed at */
        printf("over the %g s budget: the design and three rounds of each "
               "finalist run whatever the budget (it bounds the rest)\n",
               r->a.budget);
    if (saved == 0)
        printf("profile: %s (%.0f s)\n", r->path, took);
    else
        printf("profile: not written; the measurements are %s%s (%.0f s)\n",
               r->rescue[0] ? "in " : "lost", r->rescue, took);
}

/* The last word of an interrupted run: what was kept, and where. */
static void say_interrupted(const tune_run *r, int saved)
{
    if (saved == 0)
        fprintf(stderr,
                "autotune: interrupted; %zu sample%s of this run kept in %s "
                "(--resume continues)\n",
                r->n_kept, r->n_kept == 1 ? "" : "s", r->path);
    else
        fprintf(stderr, "autotune: interrupted; %s is unchanged%s%s%s\n",
                r->path, r->rescue[0] ? " (the measurements are in " : "",
                r->rescue, r->rescue[0] ? ")" : "");
}

/* How the run ends: interrupted (130, saying what was kept and how to go
 * on), a failed search (its error), or the report; `saved` is save's. */
static int finish(const tune_run *r, int saved)
{
    if (r->interrupted) {
        say_interrupted(r, saved);
        return 130;
    }
    if (r->st != AT_OK)
        return cli_report(&r->err);
    if (!r->hooks->no_report)
        print_report(r, saved);
    return saved;
}

/* ----------------------------------------------------------------- main */

/* --plot: the picture of the last size, from the profile just saved (so
 * it shows what the file now says). 0, or 1 after reporting. */
static int draw(const tune_run *r)
{
    at_profile *p;
    at_error err;
    at_status s = at_profile_load(r->path, &p, &err);
    if (s == AT_OK) {
        s = plot_write(p, r->m.fingerprint, r->a.job.workload,
                       r->a.sizes[r->a.n_sizes - 1], r->a.job.items,
                       r->a.plot, &err);
        at_profile_free(p);
    }
    return s == AT_OK ? 0 : cli_report(&err);
}

/* What the run found, for the one who ran it (the MPI campaign). */
static void outcome(const tune_run *r, int saved, tune_outcome *o)
{
    o->w = r->w;
    o->items = r->a.job.items;
    o->n_sizes = r->n_res;
    for (int i = 0; i < r->n_res; i++) {
        const search_result *x = &r->res[i];
        o->sizes[i] = r->a.sizes[i];
        o->ok[i] = !x->interrupted && x->seconds > 0;
        o->best[i] = x->best;
        o->seconds[i] = x->seconds;
    }
    o->saved = saved == 0;
    snprintf(o->path, sizeof o->path, "%s", r->path);
    o->budget = r->a.budget;
    o->started = r->prog.started;
}

/* The data flow: args, search (after the calibration it needs), samples
 * and fit, profile, report. */
int tune_with(int argc, char **argv, const tune_hooks *hooks,
              tune_outcome *out)
{
    tune_run r;
    int rc = prepare(argc, argv, hooks, &r);
    if (rc)
        return rc < 0 ? 0 : rc;
    catch_signals();
    start(&r);
    if (calibrate_run(&r) != AT_OK)
        rc = cli_report(&r.err);
    else {
        search_sizes(&r);
        fit_final(&r.s, r.a.strat, &r.fit);
        int saved = save(&r);
        if (out)
            outcome(&r, saved, out);
        if (saved == 0 && r.a.plot && !r.interrupted && r.st == AT_OK)
            saved = draw(&r);
        rc = finish(&r, saved);
    }
    free(r.log.t);
    free(r.fit.test);
    at_model_free(r.fit.model);
    at_model_free(r.fit.held);
    return rc;
}

/* Started by mpirun (or srun), the run is one rank of a campaign. */
int cmd_tune(int argc, char **argv)
{
    if (campaign_launched())
        return campaign_main(argc, argv);
    return tune_with(argc, argv, NULL, NULL);
}
