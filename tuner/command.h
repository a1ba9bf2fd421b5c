/* command.h - the user's own program as a workload (`autotune --command`). */
#ifndef AT_COMMAND_H
#define AT_COMMAND_H

#include "envvars.h"

/* One run of the command in a configuration. */
typedef struct command_run {
    double seconds; /* the program's own figure, else the wall time */
    int self_timed; /* 1: it printed `autotune-seconds: X` */
} command_run;

/* Runs `template` ({size} and {items} replaced by the job's) through
 * /bin/sh -c with the configuration in its environment (env_each, source
 * "tuning"), in a process group of its own. A non-zero exit, a signal or
 * running past `deadline` seconds (0: none; the group is killed) fails
 * with AT_ERR_WORKER or AT_ERR_TIMEOUT and the tail of its standard
 * error; command_cancel() ends it with AT_ERR_CANCELLED. */
at_status command_measure(const char *template, const env_job *job,
                          const at_config *c, double deadline,
                          command_run *out, at_error *err);

/* From a signal handler: kill the command running now, if any, and
 * refuse to start another until command_reset_cancel(). */
void command_cancel(void);
void command_reset_cancel(void);

/* How many runs so far took their time from the program's own line, and
 * how many from the wall clock: the report says which was used. */
void command_timing(long *self_timed, long *wall_timed);

/* {size} and {items} of `template` replaced into buf; AT_ERR_ARG when the
 * result does not fit. */
at_status command_expand(const char *template, long size, long items,
                         char *buf, size_t bufsize, at_error *err);

#endif
