/* cmd_profile.c - subcommands on profile files: validate, show, merge. */
#include "config.h"

#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

int cmd_validate(int argc, char **argv)
{
    static const char usage[] =
        "usage: autotune validate FILE...\n"
        "Checks each profile; prints 'FILE: ok' or one\n"
        "'autotune: FILE:LINE:COL: message' line per invalid file.\n"
        "Exit status 0 only when every file is valid.\n";
    int rc = cli_plain_args(argc, argv, "validate", usage);
    if (rc)
        return rc < 0 ? 0 : rc;
    if (argc < 2)
        return cli_usage_error("validate: no FILE given");
    int failed = 0;
    for (int i = 1; i < argc; i++) {
        at_profile *p;
        at_error err;
        if (at_profile_load(argv[i], &p, &err) != AT_OK) {
            cli_report(&err);
            failed = 1;
            continue;
        }
        printf("%s: ok\n", argv[i]);
        at_profile_free(p);
    }
    return failed;
}

/* Speedup of the best over a baseline, as "1.23x", or "-" if unmeasured. */
static const char *ratio(double baseline, double best, char *buf, size_t n)
{
    if (baseline < 0 || best <= 0)
        return "-";
    snprintf(buf, n, "%.2fx", baseline / best);
    return buf;
}

static void show_workload(const at_workload_profile *w)
{
    char a[16], b[16];
    const char *name = at_workload_profile_name(w);
    const at_model *model = at_workload_profile_model(w);
    double error = 0;
    if (model && at_model_get(model, "error", &error, NULL) == AT_OK)
        printf("  %s model: %s, held-out error %.1f%%, fitted %s\n", name,
               AT_MODEL_FORM, 100 * error, at_model_fitted(model));
    for (size_t i = 0; i < at_workload_profile_entry_count(w); i++) {
        const at_entry *e = at_workload_profile_entry_at(w, i);
        const at_config *c = &e->best;
        printf("  %-5s %8ld %6ld %10.4g %7d %-7s %7d %5d %5d %-5s %-5s "
               "%9s %9s\n",
               name, e->size, e->items, e->seconds, c->workers,
               at_mode_name(c->mode), c->blas_threads, c->chunk_size,
               c->partitions, at_transport_name(c->transport),
               at_pin_name(c->pin),
               ratio(e->baselines.serial_default, e->seconds, a, sizeof a),
               ratio(e->baselines.naive_pool, e->seconds, b, sizeof b));
    }
}

static void show_machine(const at_machine_profile *mp)
{
    const at_machine *m = at_machine_profile_machine(mp);
    const at_machine_costs *costs = at_machine_profile_costs(mp);
    printf("machine %s%s%s\n", m->fingerprint, m->host[0] ? "  host " : "",
           m->host);
    printf("  %s (%s), %d usable CPUs, %d cores, %d sockets, %d NUMA "
           "nodes\n",
           m->cpu_model, m->arch, m->usable_cpus, m->cores, m->sockets,
           m->numa_nodes);
    printf("  BLAS %s %s (%s, %s)\n", m->blas_vendor, m->blas_version,
           m->blas_corename, m->blas_threading);
    if (costs)
        printf("  costs: pipe %.3g us %.3g GB/s, shm %.3g us, thread %.3g "
               "us; start process %.3g us, thread %.3g us\n",
               costs->pipe.latency_us, costs->pipe.gbytes_per_s,
               costs->shm.latency_us, costs->thread.latency_us,
               costs->process_start_us, costs->thread_start_us);
    size_t n = at_machine_profile_workload_count(mp);
    if (!n) {
        printf("  (nothing tuned)\n");
        return;
    }
    printf("  %-5s %8s %6s %10s %7s %-7s %7s %5s %5s %-5s %-5s %9s %9s\n",
           "work", "size", "items", "seconds", "workers", "mode", "threads",
           "chunk", "parts", "trans", "pin", "vs serial", "vs naive");
    for (size_t w = 0; w < n; w++)
        show_workload(at_machine_profile_workload_at(mp, w));
}

int cmd_show(int argc, char **argv)
{
    static const char usage[] =
        "usage: autotune show FILE\n"
        "Prints the profile's machines, workloads and best configurations,\n"
        "with each best's speedup over the serial and naive-pool "
        "baselines.\n";
    int rc = cli_plain_args(argc, argv, "show", usage);
    if (rc)
        return rc < 0 ? 0 : rc;
    if (argc != 2)
        return cli_usage_error("show: expected one FILE, got %d", argc - 1);
    at_profile *p;
    at_error err;
    if (at_profile_load(argv[1], &p, &err) != AT_OK)
        return cli_report(&err);
    size_t n = at_profile_machine_count(p);
    printf("%s: %zu machine%s\n", argv[1], n, n == 1 ? "" : "s");
    for (size_t i = 0; i < n; i++)
        show_machine(at_profile_machine_at(p, i));
    at_profile_free(p);
    return 0;
}

int cmd_merge(int argc, char **argv)
{
    static const char usage[] =
        "usage: autotune merge IN... -o OUT\n"
        "Merges the profiles IN... into OUT (whose own content, if it\n"
        "exists, is kept and merged first). Machines combine by "
        "fingerprint,\n"
        "entries by workload, size and items, the newest measurement\n"
        "winning. OUT is locked while merging and replaced atomically; if\n"
        "any input is invalid nothing is written.\n";
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *output = NULL;
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
        if (c == 'o')
            output = optarg;
        else if (c == 'h') {
            fputs(usage, stdout);
            return 0;
        } else if (c == ':')
            return cli_usage_error("merge: option '%s' needs a value",
                                   argv[optind - 1]);
        else
            return cli_usage_error("merge: unknown option '%s' (see --help)",
                                   argv[optind - 1]);
    }
    if (!output)
        return cli_usage_error("merge: -o OUT is required");
    if (optind >= argc)
        return cli_usage_error("merge: no input profile given");
    at_profile *all;
    at_error err;
    if (at_profile_new(&all, &err) != AT_OK)
        return cli_report(&err);
    int rc = 0;
    for (int i = optind; i < argc && !rc; i++) {
        at_profile *one = NULL;
        if (at_profile_load(argv[i], &one, &err) != AT_OK ||
            at_profile_merge(all, one, &err) != AT_OK)
            rc = cli_report(&err);
        at_profile_free(one);
    }
    if (!rc && at_profile_merge_into_file(all, output, &err) != AT_OK)
        rc = cli_report(&err);
    at_profile_free(all);
    return rc;
}
