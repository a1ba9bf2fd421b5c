/* args.c - shared by subcommands: argument parsing (--format too),
 * error reporting, a profile FILE read from a file or, for "-", standard
 * input, and the profile a job command answers from (--profile's file,
 * else the search path's files read as one by the library) with the file
 * that answered. */
#include "config.h"

#include "cli.h"

#include "util.h"
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

int cli_format_option(const char *arg, out_format *format)
{
    if (out_format_parse(arg, format) == 0)
        return 0;
    cli_usage_error("--format: expected text, yaml or json, got '%s'", arg);
    return -1;
}

int cli_format_args(int argc, char **argv, const char *cmd, const char *usage,
                    out_format *format)
{
    static const struct option opts[] = {CLI_FORMAT_OPTION,
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    int c;
    *format = OUT_TEXT;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        if (c == 'h') {
            fputs(usage, stdout);
            return -1;
        }
        if (c != CLI_FORMAT_CODE)
            return cli_getopt_error(c, argv, cmd);
        if (cli_format_option(optarg, format))
            return EXIT_USAGE;
    }
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

int cli_format_only(int argc, char **argv, const char *cmd, const char *usage,
                    out_format *format)
{
    int rc = cli_format_args(argc, argv, cmd, usage, format);
    if (!rc && optind < argc)
        return cli_usage_error("%s: unexpected argument '%s'", cmd,
                               argv[optind]);
    return rc;
}

static int format_extra(int c, const char *arg, void *format)
{
    if (c != CLI_FORMAT_CODE)
        return -2;
    return cli_format_option(arg, format) ? -1 : 0;
}

int cli_parse_job(int argc, char **argv, const char *cmd, const char *usage,
                  cli_job *job, out_format *format)
{
    static const struct option opts[] = {
        CLI_JOB_OPTIONS, CLI_FORMAT_OPTION, {NULL, 0, NULL, 0}};
    memset(job, 0, sizeof *job);
    *format = OUT_TEXT;
    int rc =
        cli_parse(argc, argv, cmd, usage, opts, job, format_extra, format);
    return rc ? rc : cli_job_check(argc, argv, cmd, job, 0);
}

/* ------------------------------------------------ a profile FILE, or - */

/* The library's limit on a profile file (src/profile_load.c), which a
 * profile read from standard input keeps too: `yes | autotune validate -`
 * must end. */
#define STDIN_PROFILE_MAX (256L << 20)
#define STDIN_NAME "<stdin>"

const char *cli_profile_name(const char *path)
{
    return strcmp(path, "-") == 0 ? STDIN_NAME : path;
}

/* An error (`s`, filled in err) about standard input: named in messages
 * as a file is. */
static at_status on_stdin(at_error *err, at_status s)
{
    snprintf(err->file, sizeof err->file, "%s", STDIN_NAME);
    return s;
}

/* All of standard input, up to the limit, into *buf (malloc'ed). */
static at_status read_stdin(char **buf, size_t *len, at_error *err)
{
    size_t cap = 0, n;
    *buf = NULL;
    *len = 0;
    for (;;) {
        if (*len == cap) {
            if (cap > (size_t)STDIN_PROFILE_MAX)
                return on_stdin(err, tuner_error(err, AT_ERR_IO,
                                                 "too large for a profile "
                                                 "(limit %ld MiB)",
                                                 STDIN_PROFILE_MAX >> 20));
            cap = cap ? 2 * cap : 65536;
            if (cap > (size_t)STDIN_PROFILE_MAX)
                cap = (size_t)STDIN_PROFILE_MAX + 1;
            char *grown = realloc(*buf, cap);
            if (!grown)
                return tuner_out_of_memory(err);
            *buf = grown;
        }
        if ((n = fread(*buf + *len, 1, cap - *len, stdin)) == 0)
            break;
        *len += n;
    }
    if (ferror(stdin))
        return on_stdin(err, tuner_error(err, AT_ERR_IO, "read error: %s",
                                         strerror(errno)));
    return AT_OK;
}

at_status cli_profile_load(const char *path, at_profile **out, at_error *err)
{
    char *buf;
    size_t len;
    if (strcmp(path, "-") != 0)
        return at_profile_load(path, out, err);
    at_status s = read_stdin(&buf, &len, err);
    if (s == AT_OK)
        s = at_profile_load_string(buf ? buf : "", len, STDIN_NAME, out, err);
    free(buf);
    return s;
}

/* The profile a command answers from: --profile's file alone, else the
 * files of the search path read as one (at_profile_files). */
typedef struct loaded {
    at_profile *profile;     /* NULL: no profile anywhere */
    at_profile_files *files; /* NULL with --profile or no profile */
    const char *named;       /* --profile's file, or NULL */
} loaded;

static void loaded_free(loaded *l)
{
    at_profile_free(l->profile);
    at_profile_files_free(l->files);
}

/* 0 or an exit code after reporting; no profile anywhere is no error
 * (the fallback rule answers), a file that fails to load is. */
static int load_profile(const char *named, loaded *l)
{
    at_error err;
    *l = (loaded){NULL, NULL, named};
    at_status s = named ? cli_profile_load(named, &l->profile, &err)
                        : at_profile_files_find(&l->files, &err);
    if (s == AT_ERR_NOPROFILE && !named)
        return 0;
    if (s == AT_OK && !named)
        s = at_profile_files_load(l->files, &l->profile, &err);
    return s == AT_OK ? 0 : cli_report(&err);
}

/* The files read: --profile's, or the search path's joined by ", ";
 * "" when there was none. */
static void describe_read(const loaded *l, char *buf, size_t size)
{
    size_t n = at_profile_files_count(l->files), used = 0;
    buf[0] = '\0';
    if (l->named)
        snprintf(buf, size, "%s", cli_profile_name(l->named));
    for (size_t i = 0; i < n && used < size; i++)
        used +=
            (size_t)snprintf(buf + used, size - used, "%s%s", i ? ", " : "",
                             at_profile_files_path(l->files, i));
}

int cli_load_profile(const char *path, at_profile **profile, char *used,
                     size_t used_size)
{
    loaded l;
    int rc = load_profile(path, &l);
    describe_read(&l, used, used_size);
    *profile = l.profile;
    l.profile = NULL;
    loaded_free(&l);
    return rc;
}

/* The profile that answered: the file the answering (machine, workload)
 * came from; with the fallback rule, the one file read (the profile
 * used), or "none of" the several read. */
static void describe_answer(const loaded *l, const char *name,
                            const at_query_result *r, char *buf, size_t size)
{
    const char *origin =
        r->source == AT_SOURCE_FALLBACK
            ? NULL
            : at_profile_files_origin(l->files, r->machine, name);
    char read[4096];
    describe_read(l, read, sizeof read);
    if (origin)
        snprintf(buf, size, "%s", origin);
    else if (at_profile_files_count(l->files) > 1)
        snprintf(buf, size, "none of %s", read);
    else
        snprintf(buf, size, "%s", read);
}

/* The machine to answer for: this one, or with --machine a machine of the
 * profile (to see what another node type of a cluster would run). */
static int pick_machine(const cli_job *job, const loaded *l, at_machine *m)
{
    at_error err;
    char read[4096];
    if (!job->machine)
        return at_machine_detect(m, &err) == AT_OK ? 0 : cli_report(&err);
    const at_machine_profile *mp =
        l->profile ? at_profile_find_machine(l->profile, job->machine) : NULL;
    if (!mp) {
        describe_read(l, read, sizeof read);
        fprintf(stderr,
                "autotune: --machine: no machine with fingerprint "
                "'%s' in %s\n",
                job->machine, read[0] ? read : "(no profile)");
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

/* The job's kind and items, and the query's flags; 0 or an exit code. */
static int settle_job(cli_job *job, const at_profile *p, const at_machine *m,
                      int *flags)
{
    at_workload_kind kind;
    *flags = job_kind(job, p, m, &kind) | (job->strict ? AT_QUERY_STRICT : 0);
    job->usable_cpus = m->usable_cpus;
    job->kind = kind;
    if (!job->items)
        job->items = cli_default_items(kind, m->usable_cpus);
    if (kind == AT_KIND_VECTOR && job->items != 1)
        return cli_usage_error("--items: a vector workload ('%s') has one "
                               "item, got %ld",
                               job->workload, job->items);
    return 0;
}

int cli_resolve(cli_job *job, at_query_result *r, char *used,
                size_t used_size)
{
    at_machine m;
    at_error err;
    loaded l;
    int flags;
    at_status s = AT_OK;
    int rc = load_profile(job->profile, &l);
    if (!rc && !(rc = pick_machine(job, &l, &m)) &&
        !(rc = settle_job(job, l.profile, &m, &flags)))
        s = at_profile_query_flags(l.profile, &m, job->workload, job->size,
                                   job->items, flags, r, &err);
    if (!rc && s == AT_OK) {
        /* r->entry points into the profile: keep only what we print */
        r->entry = NULL;
        describe_answer(&l, job->workload, r, used, used_size);
        if (at_verbose_enabled())
            fprintf(stderr, "autotune: answered from %s\n",
                    used[0] ? used : "no profile (the fallback rule)");
    }
    loaded_free(&l);
    return rc ? rc : s == AT_OK ? 0 : cli_report(&err);
}
