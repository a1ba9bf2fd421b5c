/* cmd_info.c - subcommands about this machine and a job:
 * fingerprint, query, env. */
#include "config.h"

#include "cli.h"

#include "envvars.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What the fingerprint was made of, as YAML comments (the output stays a
 * valid profile): the hardware fingerprint and every BLAS loaded. */
static void print_blas_found(const at_machine *m)
{
    at_blas_info b[8];
    size_t n = at_blas_list(b, 8);
    printf("# hardware fingerprint: %s\n", m->hardware);
    printf("# BLAS loaded in this process (the first is in the "
           "fingerprint):%s\n",
           n ? "" : " none");
    for (size_t i = 0; i < n && i < 8; i++)
        printf("#   %s %s, %s, %s, %d threads: %s\n", b[i].vendor,
               b[i].version, b[i].corename, b[i].threading, b[i].threads,
               b[i].path);
}

int cmd_fingerprint(int argc, char **argv)
{
    static const char usage[] =
        "usage: autotune fingerprint\n"
        "Prints this machine's identity (CPU, usable CPUs, caches, BLAS) "
        "and\n"
        "its fingerprint, as a profile holding this one machine.\n";
    int rc = cli_plain_args(argc, argv, "fingerprint", usage);
    if (rc)
        return rc < 0 ? 0 : rc;
    if (argc > 1)
        return cli_usage_error("fingerprint: unexpected argument '%s'",
                               argv[1]);
    at_machine m;
    at_error err;
    at_profile *p = NULL;
    char *yaml = NULL;
    if (at_machine_detect(&m, &err) || at_profile_new(&p, &err) ||
        at_profile_add_machine(p, &m, &err) ||
        at_profile_to_string(p, &yaml, &err)) {
        at_profile_free(p);
        return cli_report(&err);
    }
    fputs(yaml, stdout);
    print_blas_found(&m);
    free(yaml);
    at_profile_free(p);
    return 0;
}

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

static const char query_usage[] =
    "usage: autotune query --workload W --size N [--items K] [--profile F]\n"
    "                      [--machine FINGERPRINT] [--strict]\n"
    "The configuration for K items of workload W at size N on this machine,\n"
    "and where it came from (entry, model, nearest, fallback). --strict\n"
    "refuses anything but this exact machine's (hardware and BLAS) "
    "answers.\n";

/* Parses a query-like command line and answers it; returns -1 after
 * printing the usage for --help, else 0 or an exit code. */
static int parse_and_resolve(int argc, char **argv, const char *cmd,
                             const char *usage, cli_job *job,
                             at_query_result *r, char *used, size_t size)
{
    int rc = cli_parse_job(argc, argv, cmd, usage, job);
    return rc ? rc : cli_resolve(job, r, used, size);
}

int cmd_query(int argc, char **argv)
{
    cli_job job;
    at_query_result r;
    char used[4096];
    int rc = parse_and_resolve(argc, argv, "query", query_usage, &job, &r,
                               used, sizeof used);
    if (rc)
        return rc < 0 ? 0 : rc;
    const at_config *c = &r.config;
    printf("workload:      %s\n", job.workload);
    printf("size:          %ld\n", job.size);
    printf("items:         %ld\n", job.items);
    printf("kind:          %s\n", at_kind_name(job.kind));
    printf("profile:       %s\n", used[0] ? used : "(none)");
    printf("machine:       %s (%s match)\n", r.machine[0] ? r.machine : "-",
           at_match_name(r.match));
    printf("source:        %s\n", at_source_name(r.source));
    printf("reason:        %s\n", r.reason);
    printf("workers:       %d\n", c->workers);
    printf("mode:          %s\n", at_mode_name(c->mode));
    printf("blas_threads:  %d\n", c->blas_threads);
    printf("chunk_size:    %d\n", c->chunk_size);
    printf("partitions:    %d\n", c->partitions);
    printf("transport:     %s\n", at_transport_name(c->transport));
    printf("pin:           %s\n", at_pin_name(c->pin));
    env_job ej = env_job_of(&job, &r);
    at_error err;
    if (env_each(&ej, c, print_cpusets, NULL, &err) != AT_OK)
        return cli_report(&err);
    if (r.predicted_seconds >= 0)
        printf("seconds:       %.6g\n", r.predicted_seconds);
    return 0;
}

static const char env_usage[] =
    "usage: autotune env --workload W --size N [--items K] [--profile F]\n"
    "                    [--machine FINGERPRINT] [--strict]\n"
    "The configuration as shell export lines, for scripts in any language:\n"
    "  eval \"$(autotune env --workload svd --size 1000)\"\n";

int cmd_env(int argc, char **argv)
{
    cli_job job;
    at_query_result r;
    char used[4096];
    int rc = parse_and_resolve(argc, argv, "env", env_usage, &job, &r, used,
                               sizeof used);
    if (rc)
        return rc < 0 ? 0 : rc;
    env_job ej = env_job_of(&job, &r);
    at_error err;
    if (env_each(&ej, &r.config, print_export, NULL, &err) != AT_OK)
        return cli_report(&err);
    return 0;
}
