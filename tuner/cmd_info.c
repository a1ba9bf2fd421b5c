/* cmd_info.c - subcommands about this machine and a job:
 * fingerprint, query, env. */
#include "config.h"

#include "cli.h"

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

/* Each worker's CPUs, "0,1;2,3": workers split by ';', CPUs by ','. Of
 * this process's mask, or for another machine (--machine) of CPUs 0 to
 * its usable CPUs - 1, as a process there with a full mask would see. */
static int cpusets_text(const at_config *c, const cli_job *job, int usable,
                        char *buf, size_t size)
{
    static int cpus[AT_MAX_THREADS], all[AT_MAX_WORKERS];
    int n;
    at_error err;
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < usable && i < AT_MAX_WORKERS; i++)
        all[i] = i;
    for (int w = 0; w < c->workers; w++) {
        if (at_worker_cpus(c, w, job->machine ? all : NULL, usable, cpus,
                           AT_MAX_THREADS, &n, &err) != AT_OK)
            return cli_report(&err);
        for (int k = 0; k < n && used < size; k++)
            used += (size_t)snprintf(buf + used, size - used, "%s%d",
                                     k   ? ","
                                     : w ? ";"
                                         : "",
                                     cpus[k]);
    }
    if (used >= size) {
        fprintf(stderr,
                "autotune: the CPU sets of %d workers do not fit "
                "%zu bytes\n",
                c->workers, size);
        return 1;
    }
    return 0;
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
    static char sets[1 << 16];
    if (c->pin == AT_PIN_CORES &&
        cpusets_text(c, &job, job.usable_cpus, sets, sizeof sets) == 0)
        printf("cpusets:       %s\n", sets);
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
    const at_config *c = &r.config;
    /* Every BLAS reads its own variable; set them all to the one value. */
    static const char *const blas_vars[] = {
        "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
        "BLIS_NUM_THREADS"};
    for (size_t i = 0; i < sizeof blas_vars / sizeof blas_vars[0]; i++)
        printf("export %s=%d\n", blas_vars[i], c->blas_threads);
    printf("export AUTOTUNE_KIND=%s\n", at_kind_name(job.kind));
    printf("export AUTOTUNE_WORKERS=%d\n", c->workers);
    printf("export AUTOTUNE_MODE=%s\n", at_mode_name(c->mode));
    printf("export AUTOTUNE_BLAS_THREADS=%d\n", c->blas_threads);
    printf("export AUTOTUNE_CHUNK_SIZE=%d\n", c->chunk_size);
    printf("export AUTOTUNE_PARTITIONS=%d\n", c->partitions);
    printf("export AUTOTUNE_TRANSPORT=%s\n", at_transport_name(c->transport));
    printf("export AUTOTUNE_PIN=%s\n", at_pin_name(c->pin));
    printf("export AUTOTUNE_SOURCE=%s\n", at_source_name(r.source));
    printf("export AUTOTUNE_MATCH=%s\n", at_match_name(r.match));
    static char sets[1 << 16];
    if (c->pin == AT_PIN_CORES &&
        cpusets_text(c, &job, job.usable_cpus, sets, sizeof sets) != 0)
        return 1;
    printf("export AUTOTUNE_CPUSETS='%s'\n", sets);
    return 0;
}
