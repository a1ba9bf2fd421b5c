/* cli.h - shared by the autotune program's subcommands. */
#ifndef AT_CLI_H
#define AT_CLI_H

#include "autotune.h"
#include "output.h"

#include <getopt.h>
#include <stddef.h>

/* Exit codes: 0 success, 1 the work failed (bad profile, I/O), 2 bad
 * usage (the message names the argument). */
enum { EXIT_USAGE = 2 };

/* Prints "autotune: message" to stderr and returns EXIT_USAGE. */
int cli_usage_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));
/* Prints "autotune: FILE:LINE:COL: message" (or less) for err; returns 1. */
int cli_report(const at_error *err);

/* Strict number parsing for a flag's value; on failure prints an error
 * naming the flag and returns -1. */
int cli_parse_long(const char *flag, const char *text, long min, long max,
                   long *out);

/* --format text|yaml|json (output.h), which every command that prints
 * data takes: its getopt_long entry, and its value checked into *format
 * (0, or -1 after the message). */
#define CLI_FORMAT_CODE 'F'
// clang-format off
#define CLI_FORMAT_OPTION {"format", required_argument, NULL, CLI_FORMAT_CODE}
// clang-format on
int cli_format_option(const char *arg, out_format *format);

/* For commands whose only option is --format (their other arguments are
 * operands, from argv[optind]): prints `usage` and returns -1 for
 * -h/--help, rejects any other option (exit code), else 0. */
int cli_format_args(int argc, char **argv, const char *cmd, const char *usage,
                    out_format *format);
/* The same for commands that take no operand (fingerprint, calibrate):
 * one is an error. */
int cli_format_only(int argc, char **argv, const char *cmd, const char *usage,
                    out_format *format);

/* Loads the profile FILE `path`, or standard input for "-" (a pipe too;
 * "<stdin>" in messages, with the file's limit on its size): what every
 * command given a profile FILE reads it with. */
at_status cli_profile_load(const char *path, at_profile **out, at_error *err);
/* The name a profile FILE goes by in messages and output ("-": "<stdin>"). */
const char *cli_profile_name(const char *path);

/* The job the query-like subcommands describe. */
typedef struct cli_job {
    const char *workload;
    long size;
    long items; /* 0 = default */
    const char *profile;
    const char *machine;   /* answer as this profile machine, not this host */
    int strict;            /* --strict: only this exact machine's answers */
    int kind_given;        /* --kind batch|vector */
    at_workload_kind kind; /* set by cli_resolve: the job's */
    int usable_cpus;       /* set by cli_resolve: the machine's */
} cli_job;

/* The options every job command takes (getopt_long entries). */
// clang-format off
#define CLI_JOB_OPTIONS                                                      \
    {"workload", required_argument, NULL, 'w'},                              \
    {"size", required_argument, NULL, 's'},                                  \
    {"items", required_argument, NULL, 'i'},                                 \
    {"profile", required_argument, NULL, 'p'},                               \
    {"machine", required_argument, NULL, 'm'},                               \
    {"strict", no_argument, NULL, 'S'},                                      \
    {"kind", required_argument, NULL, 'k'},                                  \
    {"help", no_argument, NULL, 'h'}
// clang-format on

/* One job option: 1 if `c` was one (stored in job), 0 if not, -1 if its
 * value was bad (reported). */
int cli_job_option(int c, const char *arg, cli_job *job);
/* After the options: no operands, workload and size given, the workload
 * a valid name (with `builtin`, one of the program's own) and --kind, if
 * given, that of a built-in workload. */
int cli_job_check(int argc, char **argv, const char *cmd, const cli_job *job,
                  int builtin);
/* The message for getopt_long's ':' (missing value) or '?' (unknown). */
int cli_getopt_error(int c, char **argv, const char *cmd);

/* Loads the profile (--profile's file, else the search path's files as
 * one), picks the machine (this one, or --machine), fills in the default
 * items and runs the query; `used` gets the profile that answered (the
 * file the answering machine's workload came from; with the fallback
 * rule, the file read or "none of" those read; "" for none), which
 * AUTOTUNE_VERBOSE also prints. 0 or an exit code. */
int cli_resolve(cli_job *job, at_query_result *r, char *used,
                size_t used_size);

/* A command's own options, for cli_parse: 0 when handled, -2 when `c` is
 * not one of them, anything else when its value was bad (reported). */
typedef int (*cli_option_fn)(int c, const char *arg, void *ctx);

/* The one option loop of the job commands: the job options into *job,
 * -h prints `usage` (returns -1), the others go to `extra` (may be NULL);
 * an unknown option or bad value is reported (returns EXIT_USAGE). The
 * caller zeroes *job first and checks it after (cli_job_check). */
int cli_parse(int argc, char **argv, const char *cmd, const char *usage,
              const struct option *opts, cli_job *job, cli_option_fn extra,
              void *ctx);

/* Parses --workload, --size, --items, --profile, --machine, --format (and
 * -h); returns 0, or an exit code (usage printed for -h). */
int cli_parse_job(int argc, char **argv, const char *cmd, const char *usage,
                  cli_job *job, out_format *format);

/* Default item count for a batch: enough tasks to keep every usable CPU
 * busy several times over (vector workloads: 1). */
long cli_default_items(at_workload_kind kind, int usable_cpus);

/* Loads `path` (cli_profile_load: "-" is standard input), or when NULL
 * the search path's files as one profile (at_profile_files). *profile
 * stays NULL when no profile exists anywhere and none was named; `used`
 * gets the files read (", " between them).
 * Returns 0 or an exit code after reporting. */
int cli_load_profile(const char *path, at_profile **profile, char *used,
                     size_t used_size);

int cmd_fingerprint(int argc, char **argv);
int cmd_validate(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_merge(int argc, char **argv);
int cmd_query(int argc, char **argv);
int cmd_env(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_calibrate(int argc, char **argv);
int cmd_tune(int argc, char **argv);
int cmd_plot(int argc, char **argv); /* plot.c */

#endif
