/* main.c - the autotune program: subcommand dispatch. */
#include "config.h"

#include "cli.h"
#include "output.h"
#include "util.h"
#include "workloads.h"

#include <stdio.h>
#include <string.h>

typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} command;

static const command commands[] = {
    {"tune", cmd_tune, "measure, model and write the profile (the default)"},
    {"fingerprint", cmd_fingerprint, "print this machine's identity"},
    {"validate", cmd_validate, "check profile files"},
    {"show", cmd_show, "print a profile as a table"},
    {"merge", cmd_merge, "merge profiles into one file"},
    {"query", cmd_query, "the configuration for a job, and its source"},
    {"env", cmd_env, "the configuration as shell export lines"},
    {"run", cmd_run,
     "run a workload in one configuration, timed and checked"},
    {"calibrate", cmd_calibrate, "measure message cost, bandwidth, start-up"},
    {"plot", cmd_plot, "draw a tuning: measured and predicted seconds"},
};

#define N_COMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *to)
{
    fputs("usage: autotune [tune] --workload W --size N [OPTIONS]\n"
          "       autotune COMMAND [OPTIONS]\n"
          "       autotune --help | --version\n\ncommands:\n",
          to);
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(to, "  %-12s %s\n", commands[i].name, commands[i].summary);
    fprintf(to, "\nbuilt-in workloads: %s\n", workload_names());
    fputs("'autotune COMMAND --help' for a command's options; "
          "man autotune for more.\n",
          to);
}

static int dispatch(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 ||
        (strcmp(name, "help") == 0 && argc == 2)) {
        usage(stdout);
        return 0;
    }
    if (strcmp(name, "help") == 0) { /* help COMMAND: its --help */
        char *help[] = {argv[0], argv[2], "--help", NULL};
        return dispatch(3, help);
    }
    if (strcmp(name, "--version") == 0) {
        printf("autotune %s\n", PACKAGE_VERSION);
        return 0;
    }
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    if (name[0] == '-') /* options first: tune is the default command */
        return cmd_tune(argc, argv);
    return cli_usage_error("unknown command '%s' (see --help)", name);
}

/* Every command's output is checked here, once (out_close_stdout): what
 * could not be written is a failure, whatever the command printed. A
 * reader that closed its pipe (`autotune show | head`) kills the program
 * with SIGPIPE before it gets here, quietly, as it does cat; with SIGPIPE
 * ignored, the write error is reported. */
int main(int argc, char **argv)
{
    out_open_stdout();
    /* every command ends here: its output checked, then exit() watched
     * (OpenBLAS's exit handler can hang, util.h says when) */
    return tuner_end(out_close_stdout(dispatch(argc, argv)));
}
