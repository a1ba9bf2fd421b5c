/* args.c - argument parsing and error reporting shared by subcommands. */
#include "config.h"

#include "cli.h"

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
    fprintf(stderr, "autotune: %s\n", at_error_format(err, line, sizeof line));
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

/* getopt prints its own messages; ours name the flag the same way. */
static int unknown_option(int argc, char **argv, const char *cmd)
{
    (void)argc;
    const char *bad = argv[optind - 1];
    if (optopt)
        return cli_usage_error("%s: unknown option '-%c' (see --help)", cmd,
                               optopt);
    return cli_usage_error("%s: unknown option '%s' (see --help)", cmd, bad);
}

int cli_parse_job(int argc, char **argv, const char *cmd, const char *usage,
                  cli_job *job)
{
    static const struct option opts[] = {
        {"workload", required_argument, NULL, 'w'},
        {"size", required_argument, NULL, 's'},
        {"items", required_argument, NULL, 'i'},
        {"profile", required_argument, NULL, 'p'},
        {"machine", required_argument, NULL, 'm'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    memset(job, 0, sizeof *job);
    opterr = 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case 'w': job->workload = optarg; break;
        case 's':
            if (cli_parse_long("--size", optarg, 1, 1000000000000L,
                               &job->size))
                return EXIT_USAGE;
            break;
        case 'i':
            if (cli_parse_long("--items", optarg, 1, 1000000000000L,
                               &job->items))
                return EXIT_USAGE;
            break;
        case 'p': job->profile = optarg; break;
        case 'm': job->machine = optarg; break;
        case 'h': fputs(usage, stdout); return -1;
        case ':':
            return cli_usage_error("%s: option '%s' needs a value", cmd,
                                   argv[optind - 1]);
        default: return unknown_option(argc, argv, cmd);
        }
    }
    if (optind < argc)
        return cli_usage_error("%s: unexpected argument '%s'", cmd,
                               argv[optind]);
    if (!job->workload)
        return cli_usage_error("%s: --workload is required", cmd);
    if (at_workload_kind_of(job->workload, NULL) != 0)
        return cli_usage_error("--workload: unknown workload '%s' (known: "
                               "inv, svd, gemm, exp)",
                               job->workload);
    if (!job->size)
        return cli_usage_error("%s: --size is required", cmd);
    return 0;
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
