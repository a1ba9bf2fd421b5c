/* command.c - the user's own program as a workload.
 *
 * `autotune --command 'CMD {size} {items}' --workload NAME` measures CMD
 * in each configuration the search tries: the configuration reaches it in
 * its environment (the variables `autotune env` prints, with
 * AUTOTUNE_SOURCE=tuning, which python/autotune's query() honours), and
 * its time is the last `autotune-seconds: X` line it printed on standard
 * output (so its start-up and imports are left out), else the wall time
 * of the whole command. It runs in a process group of its own, so a
 * deadline or Ctrl-C ends its workers too, and the environment is built
 * before fork: the tuner may have BLAS threads, and after fork only
 * async-signal-safe calls are allowed. */
#include "config.h"

#include "command.h"

#include "util.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static volatile sig_atomic_t running_pid = 0; /* the group to kill */
static volatile sig_atomic_t cancelled = 0;
static long runs_self_timed, runs_wall_timed; /* for the report */

void command_timing(long *self_timed, long *wall_timed)
{
    *self_timed = runs_self_timed;
    *wall_timed = runs_wall_timed;
}

void command_cancel(void)
{
    cancelled = 1;
    if (running_pid > 0)
        kill(-(pid_t)running_pid, SIGKILL);
}

void command_reset_cancel(void)
{
    cancelled = 0;
}

/* ------------------------------------------------------- the command line */

at_status command_expand(const char *t, long size, long items, char *buf,
                         size_t bufsize, at_error *err)
{
    size_t used = 0;
    while (*t && used < bufsize) {
        int n = 1;
        if (!strncmp(t, "{size}", 6))
            n = snprintf(buf + used, bufsize - used, "%ld", size), t += 6;
        else if (!strncmp(t, "{items}", 7))
            n = snprintf(buf + used, bufsize - used, "%ld", items), t += 7;
        else
            buf[used] = *t++;
        used += (size_t)n;
    }
    if (used >= bufsize)
        return tuner_error(err, AT_ERR_ARG, "--command: too long");
    buf[used] = '\0';
    return AT_OK;
}

/* ------------------------------------------------------ the environment */

typedef struct envp_builder {
    char **vars;
    size_t n, cap;
    int failed;
} envp_builder;

static void envp_add(envp_builder *b, char *var)
{
    if (!var || (b->n + 2 > b->cap &&
                 !(b->vars = realloc(b->vars, (b->cap = 2 * b->cap + 64) *
                                                  sizeof *b->vars)))) {
        free(var);
        b->failed = 1;
        return;
    }
    b->vars[b->n++] = var;
    b->vars[b->n] = NULL;
}

/* env_each's callback: NAME=VALUE, replacing any inherited NAME. */
static void envp_put(const char *name, const char *value, void *ctx)
{
    envp_builder *b = ctx;
    size_t len = strlen(name);
    char *var = malloc(len + strlen(value) + 2);
    if (var)
        sprintf(var, "%s=%s", name, value);
    for (size_t i = 0; !b->failed && i < b->n; i++)
        if (!strncmp(b->vars[i], name, len) && b->vars[i][len] == '=') {
            free(b->vars[i]);
            b->vars[i] = var;
            if (!var)
                b->failed = 1;
            return;
        }
    if (!b->failed)
        envp_add(b, var);
}

static void envp_free(envp_builder *b)
{
    for (size_t i = 0; i < b->n; i++)
        free(b->vars[i]);
    free(b->vars);
}

/* This process's environment with the job's variables over it. */
static at_status envp_build(const env_job *job, const at_config *c,
                            envp_builder *b, at_error *err)
{
    memset(b, 0, sizeof *b);
    for (char **e = environ; e && *e && !b->failed; e++)
        envp_add(b, strdup(*e));
    at_status s = env_each(job, c, envp_put, b, err);
    if (s == AT_OK && b->failed)
        s = tuner_out_of_memory(err);
    return s;
}

/* ---------------------------------------------------------- running it */

typedef struct output {
    char line[256]; /* the stdout line being read */
    size_t line_len;
    double reported; /* the last autotune-seconds figure, or -1 */
    char tail[512];  /* the end of stderr */
    size_t tail_len;
} output;

static void take_stdout(output *o, const char *buf, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (buf[i] != '\n') {
            if (o->line_len + 1 < sizeof o->line)
                o->line[o->line_len++] = buf[i];
            continue;
        }
        o->line[o->line_len] = '\0';
        double x;
        char extra;
        if (sscanf(o->line, "autotune-seconds: %lf %c", &x, &extra) == 1 &&
            x >= 0)
            o->reported = x;
        o->line_len = 0;
    }
}

static void take_stderr(output *o, const char *buf, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (o->tail_len + 1 >= sizeof o->tail) { /* keep the end */
            memmove(o->tail, o->tail + 128, o->tail_len - 128);
            o->tail_len -= 128;
        }
        o->tail[o->tail_len++] = buf[i];
    }
    o->tail[o->tail_len] = '\0';
}

/* Reads both pipes until they close, the deadline passes or the run is
 * cancelled; 0, or the status to fail with. */
static at_status drain(int out_fd, int err_fd, double until, output *o)
{
    struct pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
    int open_fds = 2;
    char buf[4096];
    while (open_fds > 0) {
        if (cancelled)
            return AT_ERR_CANCELLED;
        if (until > 0 && tuner_now() > until)
            return AT_ERR_TIMEOUT;
        if (poll(fds, 2, 100) < 0 && errno != EINTR)
            return AT_ERR_SYSTEM;
        for (int i = 0; i < 2; i++) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP)))
                continue;
            ssize_t n = read(fds[i].fd, buf, sizeof buf);
            if (n > 0)
                (i ? take_stderr : take_stdout)(o, buf, (size_t)n);
            else if (n == 0 || errno != EINTR) {
                fds[i].fd = -1;
                open_fds--;
            }
        }
    }
    return AT_OK;
}

/* In the child: its own process group, the pipes, the shell. Only
 * async-signal-safe calls from here on. */
static void child(const char *line, char **envp, int out[2], int errp[2])
{
    setpgid(0, 0);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    dup2(out[1], STDOUT_FILENO);
    dup2(errp[1], STDERR_FILENO);
    close(out[0]);
    close(errp[0]);
    execle("/bin/sh", "sh", "-c", line, (char *)NULL, envp);
    _exit(127);
}

static at_status failure(at_status why, int status, output *o,
                         double deadline, at_error *err)
{
    while (o->tail_len > 0 && strchr(" \t\r\n", o->tail[o->tail_len - 1]))
        o->tail[--o->tail_len] = '\0';
    const char *tail = o->tail;
    while (strlen(tail) > 200 && strchr(tail, '\n')) /* the last lines */
        tail = strchr(tail, '\n') + 1;
    if (!tail[0])
        tail = "(nothing on standard error)";
    if (why == AT_ERR_TIMEOUT)
        return tuner_error(err, why,
                           "the command ran past its deadline of %.0f s "
                           "and was killed",
                           deadline);
    if (why == AT_ERR_CANCELLED)
        return tuner_error(err, why, "cancelled");
    if (WIFSIGNALED(status))
        return tuner_error(err, AT_ERR_WORKER,
                           "the command was killed by signal %d: %s",
                           WTERMSIG(status), tail);
    return tuner_error(err, AT_ERR_WORKER,
                       "the command exited with status %d: %s",
                       WEXITSTATUS(status), tail);
}

/* Starts the command; the pid, or -1. */
static pid_t start(const char *line, char **envp, int out[2], int errp[2])
{
    if (pipe(out) != 0)
        return -1;
    if (pipe(errp) != 0) {
        close(out[0]);
        close(out[1]);
        return -1;
    }
    pid_t pid = fork();
    if (pid == 0)
        child(line, envp, out, errp);
    close(out[1]);
    close(errp[1]);
    if (pid < 0) {
        close(out[0]);
        close(errp[0]);
        return -1;
    }
    setpgid(pid, pid); /* as the child does: no race on who is first */
    running_pid = pid;
    return pid;
}

static at_status run(const char *line, char **envp, double deadline,
                     command_run *r, at_error *err)
{
    int out[2], errp[2], status = 0;
    output o = {.reported = -1};
    double t0 = tuner_now();
    pid_t pid = start(line, envp, out, errp);
    if (pid < 0)
        return tuner_error(err, AT_ERR_SYSTEM, "cannot start the command: %s",
                           strerror(errno));
    at_status s =
        drain(out[0], errp[0], deadline > 0 ? t0 + deadline : 0, &o);
    if (s != AT_OK)
        kill(-pid, SIGKILL);
    close(out[0]);
    close(errp[0]);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    running_pid = 0;
    double wall = tuner_now() - t0;
    if (s == AT_OK && (!WIFEXITED(status) || WEXITSTATUS(status) != 0))
        s = AT_ERR_WORKER;
    if (s != AT_OK)
        return failure(s, status, &o, deadline, err);
    r->self_timed = o.reported >= 0;
    r->seconds = r->self_timed ? o.reported : wall;
    if (r->self_timed)
        runs_self_timed++;
    else
        runs_wall_timed++;
    return AT_OK;
}

at_status command_measure(const char *template, const env_job *job,
                          const at_config *c, double deadline,
                          command_run *out, at_error *err)
{
    char line[8192];
    envp_builder b;
    at_status s = command_expand(template, job->size, job->items, line,
                                 sizeof line, err);
    if (s == AT_OK)
        s = envp_build(job, c, &b, err);
    if (s != AT_OK)
        return s;
    if (cancelled)
        s = tuner_error(err, AT_ERR_CANCELLED, "cancelled");
    else
        s = run(line, b.vars, deadline, out, err);
    envp_free(&b);
    return s;
}
