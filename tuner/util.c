/* util.c - the tuner's clock, its one way of filling an at_error, and its
 * one way of stopping on a signal and of ending (see util.h for why there
 * is exactly one of each). */
#include "config.h"

#include "util.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

double tuner_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

at_status tuner_error(at_error *err, at_status code, const char *fmt, ...)
{
    if (!err)
        return code;
    va_list ap;
    va_start(ap, fmt);
    memset(err, 0, sizeof *err);
    err->code = code;
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return code;
}

at_status tuner_out_of_memory(at_error *err)
{
    return tuner_error(err, AT_ERR_NOMEM, "out of memory");
}

/* ------------------------------------------------------------- signals */

static void (*volatile cancel_work)(void);
static atomic_int signals_seen; /* lock-free: safe in a handler */

static void on_signal(int sig)
{
    void (*cancel)(void) = cancel_work;
    if (cancel) /* again on the second: a command started since dies too */
        cancel();
    if (atomic_fetch_add(&signals_seen, 1) == 0)
        return;
    /* The second: die of it, as if it had never been caught. The handler
     * blocks it, so unblock it for raise() to act at once. */
    sigset_t set;
    signal(sig, SIG_DFL);
    sigemptyset(&set);
    sigaddset(&set, sig);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
    raise(sig);
    _exit(128 + sig); /* not reached */
}

void tuner_catch_signals(void (*cancel)(void))
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    /* one at a time in a thread; no SA_RESTART: waits see EINTR */
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGINT);
    sigaddset(&sa.sa_mask, SIGTERM);
    cancel_work = cancel;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

/* ----------------------------------------------------------------- end */

static int end_status;

static void *end_watchdog(void *unused)
{
    (void)unused;
    struct timespec left = {TUNER_END_SECONDS, 0};
    while (nanosleep(&left, &left) != 0)
        ;
    _exit(end_status); /* exit() is stuck: output was flushed before */
}

int tuner_end(int rc)
{
    pthread_attr_t a;
    pthread_t t;
    fflush(NULL);
    end_status = rc;
    /* A small stack, for when memory is what is short; unless it cannot
     * hold the process's thread-local storage (EINVAL), then the default. */
    pthread_attr_init(&a);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&a, 256 * 1024);
    int made = pthread_create(&t, &a, end_watchdog, NULL);
    pthread_attr_destroy(&a);
    if (made == EINVAL && pthread_create(&t, NULL, end_watchdog, NULL) == 0)
        pthread_detach(t);
    return rc;
}

void tuner_utc_now(char *buf, size_t size)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
