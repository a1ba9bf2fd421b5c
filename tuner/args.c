/* args.c - argument parsing and error reporting shared by subcommands. */
#include "config.h"

#include "cli.h"

#include "workloads.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cli_usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("autotune: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return EXIT_USAGE;
}

int cli_report(const at_error *err)
{
    char line[1024];
    fprintf(stderr, "autotune: %s\n",
            at_error_format(err, line, sizeof line));
    return 1;
}

int cli_parse_long(const char *flag, const char *text, long min, long max,
                   long *out)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (!*text || *end || errno || v < min || v > max) {
        cli_usage_error("%s: expected an integer from %ld to %ld, got '%s'",
                        flag, min, max, text);
        return -1;
    }
    *out = v;
    return 0;
}

int cli_plain_args(int argc, char **argv, const char *cmd, const char *usage)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(usage, stdout);
            return -1;
        }
    for (int i = 1; i < argc; i++)
        if (argv[i][0] == '-' && argv[i][1] != '\0')
            return cli_usage_error("%s: unknown option '%s' (see --help)",
                                   cmd, argv[i]);
    return 0;
}

long cli_default_items(at_workload_kind kind, int cpus)
{
    if (kind == AT_KIND_VECTOR)
        return 1;
    return cpus * 8 > 16 ? cpus * 8 : 16;
}

int cli_getopt_error(int c, char **argv, const char *cmd)
{
    if (c == ':')
        return cli_usage_error("%s: option '%s' needs a value", cmd,
                               argv[optind - 1]);
    if (optopt)
        return cli_usage_error("%s: unknown option '-%c' (see --help)", cmd,
                               optopt);
    return cli_usage_error("%s: unknown option '%s' (see --help)", cmd,
                           argv[optind - 1]);
}

int cli_job_option(int c, const char *arg, cli_job *job)
{
    switch (c) {
    case 'w': job->workload = arg; return 1;
    case 's':
        return cli_parse_long("--size", arg, 1, 1000000000000L, &job->size)
                   ? -1
                   : 1;
    case 'i':
        return cli_parse_long("--items", arg, 1, 1000000000000L, &job->items)
                   ? -1
                   : 1;
    case 'p': job->profile = arg; return 1;
    case 'm': job->machine = arg; return 1;
    case 'S': job->strict = 1; return 1;
    case 'k':
        if (at_kind_parse(arg, &job->kind, NULL) != AT_OK) {
            cli_usage_error("--kind: expected batch or vector, got '%s'",
                            arg);
            return -1;
        }
        job->kind_given = 1;
        return 1;
    }
    return 0;
}

/* A workload name: any valid one, or with `builtin` one of ours; --kind
 * cannot contradict a built-in workload. */
static int check_workload(const cli_job *job, int builtin)
{
    at_error err;
    const workload *w = workload_find(job->workload);
    if (builtin && !w)
        return cli_usage_error("--workload: unknown workload '%s' (built "
                               "in: %s)",
                               job->workload, workload_names());
    if (at_workload_name_check(job->workload, &err) != AT_OK)
        return cli_usage_error("--workload: %s", err.message);
    if (w && job->kind_given && job->kind != w->kind)
        return cli_usage_error("--kind: '%s' is a %s workload", w->name,
                               at_kind_name(w->kind));
    return 0;
}

int cli_job_check(int argc, char **argv, const char *cmd, const cli_job *job,
                  int builtin)
{
    int rc;
    if (optind < argc)
        return cli_usage_error("%s: unexpected argument '%s'", cmd,
                               argv[optind]);
    if (!job->workload)
        return cli_usage_error("%s: --workload is required", cmd);
    if ((rc = check_workload(job, builtin)) != 0)
        return rc;
    if (!job->size)
        return cli_usage_error("%s: --size is required", cmd);
    return 0;
}

int cli_parse(int argc, char **argv, const char *cmd, const char *usage,
              const struct option *opts, cli_job *job, cli_option_fn extra,
              void *ctx)
{
    opterr = 0;
    optind = 1;
    int c, rc;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        if ((rc = cli_job_option(c, optarg, job)) != 0) {
            if (rc < 0)
                return EXIT_USAGE;
            continue;
        }
        if (c == 'h') {
            fputs(usage, stdout);
            return -1;
        }
        rc = extra && c != ':' && c != '?' ? extra(c, optarg, ctx) : -2;
        if (rc == -2)
            return cli_getopt_error(c, argv, cmd);
        if (rc)
            return EXIT_USAGE;
    }
    return 0;
}

int cli_parse_job(int argc, char **argv, const char *cmd, const char *usage,
                  cli_job *job)
{
    static const struct option opts[] = {CLI_JOB_OPTIONS, {NULL, 0, NULL, 0}};
    memset(job, 0, sizeof *job);
    int rc = cli_parse(argc, argv, cmd, usage, opts, job, NULL, NULL);
    return rc ? rc : cli_job_check(argc, argv, cmd, job, 0);
}

int cli_load_profile(const char *path, at_profile **profile, char *used,
                     size_t used_size)
{
    at_error err;
    *profile = NULL;
    used[0] = '\0';
    if (!path) {
        at_status s = at_profile_find(used, used_size, &err);
        if (s == AT_ERR_NOPROFILE && !getenv("AUTOTUNE_PROFILE"))
            return 0; /* no profile anywhere: the fallback rule applies */
        if (s != AT_OK)
            return cli_report(&err);
        path = used;
    } else
        snprintf(used, used_size, "%s", path);
    if (at_profile_load(path, profile, &err) != AT_OK)
        return cli_report(&err);
    return 0;
}

/* The machine to answer for: this one, or with --machine a machine of the
 * profile (to see what another node type of a cluster would run). */
static int pick_machine(const cli_job *job, const at_profile *p,
                        const char *used, at_machine *m)
{
    at_error err;
    if (!job->machine)
        return at_machine_detect(m, &err) == AT_OK ? 0 : cli_report(&err);
    const at_machine_profile *mp =
        p ? at_profile_find_machine(p, job->machine) : NULL;
    if (!mp) {
        fprintf(stderr,
                "autotune: --machine: no machine with fingerprint "
                "'%s' in %s\n",
                job->machine, used[0] ? used : "(no profile)");
        return 1;
    }
    *m = *at_machine_profile_machine(mp);
    return 0;
}

/* The kind of the job: --kind, a built-in workload's, the profile's (this
 * machine's first, then any machine's), else a batch. Returns the query
 * flag that says it, for a profile that does not know the workload. */
static int job_kind(const cli_job *job, const at_profile *p,
                    const at_machine *m, at_workload_kind *kind)
{
    const workload *w = workload_find(job->workload);
    const at_workload_profile *wp = at_machine_profile_workload(
        at_profile_find_machine(p, m->fingerprint), job->workload);
    for (size_t i = 0; !wp && i < at_profile_machine_count(p); i++)
        wp = at_machine_profile_workload(at_profile_machine_at(p, i),
                                         job->workload);
    *kind = job->kind_given ? job->kind
            : w             ? w->kind
            : wp            ? at_workload_profile_kind(wp)
                            : AT_KIND_BATCH;
    return *kind == AT_KIND_VECTOR ? AT_QUERY_VECTOR : 0;
}

int cli_resolve(cli_job *job, at_query_result *r, char *used,
                size_t used_size)
{
    at_machine m;
    at_error err;
    at_profile *p;
    at_workload_kind kind;
    int rc = cli_load_profile(job->profile, &p, used, used_size);
    if (rc || (rc = pick_machine(job, p, used, &m)) != 0) {
        at_profile_free(p);
        return rc;
    }
    int flags =
        job_kind(job, p, &m, &kind) | (job->strict ? AT_QUERY_STRICT : 0);
    job->usable_cpus = m.usable_cpus;
    job->kind = kind;
    if (!job->items)
        job->items = cli_default_items(kind, m.usable_cpus);
    if (kind == AT_KIND_VECTOR && job->items != 1) {
        at_profile_free(p);
        return cli_usage_error("--items: a vector workload ('%s') has one "
                               "item, got %ld",
                               job->workload, job->items);
    }
    at_status s = at_profile_query_flags(p, &m, job->workload, job->size,
                                         job->items, flags, r, &err);
    /* r->entry points into p: keep only what we print */
    r->entry = NULL;
    at_profile_free(p);
    return s == AT_OK ? 0 : cli_report(&err);
}
