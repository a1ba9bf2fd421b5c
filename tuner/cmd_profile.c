/* cmd_profile.c - subcommands on profile files: validate, show, merge.
 * A FILE (an IN) of - is standard input, merge's -o - standard output;
 * validate and show print json and yaml through output.h. */
#include "config.h"

#include "cli.h"
#include "search.h" /* describe_spread */

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One file's verdict, for json and yaml: {file, ok, error}. */
static json_object *verdict_tree(const char *file, const at_error *err)
{
    json_object *o = out_object();
    out_put(o, "file", out_text(file));
    out_put(o, "ok", out_bool(!err));
    out_put(o, "error", err ? out_error(err) : NULL);
    return o;
}

/* Checks one FILE; its verdict goes to `files` (json, yaml), else to the
 * terminal. 1 when it is invalid. */
static int check_file(const char *path, out_format format, json_object *files)
{
    at_profile *p = NULL;
    at_error err;
    const char *name = cli_profile_name(path);
    int bad = cli_profile_load(path, &p, &err) != AT_OK;
    at_profile_free(p);
    if (format != OUT_TEXT)
        out_push(files, verdict_tree(name, bad ? &err : NULL));
    else if (bad)
        cli_report(&err);
    else
        printf("%s: ok\n", name);
    return bad;
}

int cmd_validate(int argc, char **argv)
{
    static const char usage[] =
        "usage: autotune validate [--format text|yaml|json] FILE...\n"
        "Checks each profile (- reads standard input); prints 'FILE: ok' or\n"
        "one 'autotune: FILE:LINE:COL: message' line per invalid file\n"
        "(json, yaml: every file's verdict on standard output).\n"
        "Exit status 0 only when every file is valid.\n";
    out_format format;
    int rc = cli_format_args(argc, argv, "validate", usage, &format);
    if (rc)
        return rc < 0 ? 0 : rc;
    if (optind >= argc)
        return cli_usage_error("validate: no FILE given");
    json_object *files = format == OUT_TEXT ? NULL : out_array();
    int failed = 0;
    for (int i = optind; i < argc; i++)
        failed |= check_file(argv[i], format, files);
    if (format != OUT_TEXT) {
        json_object *tree = out_object();
        out_put(tree, "ok", out_bool(!failed));
        out_put(tree, "files", files);
        rc = out_print(tree, format);
    }
    return failed || rc;
}

/* Speedup of the best over a baseline, as "1.23x", or "-" if unmeasured;
 * "1.23x*" when the baseline was scaled from fewer items. */
static const char *ratio(double baseline, double best, int scaled, char *buf,
                         size_t n)
{
    if (baseline < 0 || best <= 0)
        return "-";
    snprintf(buf, n, "%.2fx%s", baseline / best, scaled ? "*" : "");
    return buf;
}

static void show_workload(const at_workload_profile *w)
{
    char a[16], b[16], spread[16];
    int any_scaled = 0;
    const char *name = at_workload_profile_name(w);
    const at_model *model = at_workload_profile_model(w);
    double error = 0;
    if (model && at_model_get(model, "error", &error, NULL) == AT_OK)
        printf("  %s model: %s, held-out error %.1f%%, fitted %s\n", name,
               AT_MODEL_FORM, 100 * error, at_model_fitted(model));
    for (size_t i = 0; i < at_workload_profile_entry_count(w); i++) {
        const at_entry *e = at_workload_profile_entry_at(w, i);
        const at_config *c = &e->best;
        int scaled = at_workload_profile_entry_baseline_items(w, i) > 0;
        any_scaled |= scaled;
        printf(
            "  %-5s %8ld %6ld %10.4g %6s %7d %-7s %7d %5d %5d %-5s "
            "%-5s %9s %9s\n",
            name, e->size, e->items, e->seconds,
            describe_spread(e->spread, spread, sizeof spread), c->workers,
            at_mode_name(c->mode), c->blas_threads, c->chunk_size,
            c->partitions, at_transport_name(c->transport),
            at_pin_name(c->pin),
            ratio(e->baselines.serial_default, e->seconds, scaled, a,
                  sizeof a),
            ratio(e->baselines.naive_pool, e->seconds, scaled, b, sizeof b));
    }
    if (any_scaled)
        printf("  * baselines measured on fewer items and scaled "
               "(baseline_items)\n");
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
    printf("  %-5s %8s %6s %10s %6s %7s %-7s %7s %5s %5s %-5s %-5s %9s "
           "%9s\n",
           "work", "size", "items", "seconds", "spread", "workers", "mode",
           "threads", "chunk", "parts", "trans", "pin", "vs serial",
           "vs naive");
    for (size_t w = 0; w < n; w++)
        show_workload(at_machine_profile_workload_at(mp, w));
}

int cmd_show(int argc, char **argv)
{
    static const char usage[] =
        "usage: autotune show [--format text|yaml|json] [FILE]\n"
        "Prints the profile's machines, workloads and best configurations,\n"
        "with each best's speedup over the serial and naive-pool "
        "baselines\n"
        "(json, yaml: all the profile holds). - reads standard input;\n"
        "without FILE, the profile query would use.\n";
    out_format format;
    int rc = cli_format_args(argc, argv, "show", usage, &format);
    if (rc)
        return rc < 0 ? 0 : rc;
    if (argc - optind > 1)
        return cli_usage_error("show: expected at most one FILE, got %d",
                               argc - optind);
    at_profile *p = NULL;
    char used[4096] = "";
    const char *file = optind < argc ? argv[optind] : NULL;
    if ((rc = cli_load_profile(file, &p, used, sizeof used)) != 0)
        return rc;
    if (!p) /* nothing on the search path: say so, as query does */
        return cli_usage_error("show: no profile found (see "
                               "data/profile-format.md, \"Where profiles "
                               "are found\"); name a FILE");
    const char *name = file ? cli_profile_name(file) : used;
    if (format != OUT_TEXT) {
        json_object *tree = out_object();
        out_put(tree, "file", out_text(name));
        out_put(tree, "machines", out_profile_machines(p));
        at_profile_free(p);
        return out_print(tree, format);
    }
    size_t n = at_profile_machine_count(p);
    printf("%s: %zu machine%s\n", name, n, n == 1 ? "" : "s");
    for (size_t i = 0; i < n; i++)
        show_machine(at_profile_machine_at(p, i));
    at_profile_free(p);
    return 0;
}

/* The profile as its writer saves it, on standard output (merge -o -). */
static int print_profile(const at_profile *p)
{
    char *yaml;
    at_error err;
    if (at_profile_to_string(p, &yaml, &err) != AT_OK)
        return cli_report(&err);
    fputs(yaml, stdout);
    free(yaml);
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
        "any input is invalid nothing is written. An IN of - reads "
        "standard\n"
        "input; -o - writes the merged profile to standard output.\n";
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
        if (cli_profile_load(argv[i], &one, &err) != AT_OK ||
            at_profile_merge(all, one, &err) != AT_OK)
            rc = cli_report(&err);
        at_profile_free(one);
    }
    if (!rc)
        rc = strcmp(output, "-") == 0 ? print_profile(all)
             : at_profile_merge_into_file(all, output, &err) != AT_OK
                 ? cli_report(&err)
                 : 0;
    at_profile_free(all);
    return rc;
}
