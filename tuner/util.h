/* util.h - the services every part of the tuner uses: one monotonic
 * clock and one UTC date stamp, one way to fill an at_error, and one way
 * for a command to stop on a signal and to end. The library has its own
 * clock (at__now), but the tuner sees only the public API; and an error
 * filled by hand in each place drifts (a stale field, a message cut
 * short), as would two signal handlers (run's and tune's). */
#ifndef AT_UTIL_H
#define AT_UTIL_H

#include "autotune.h"

/* Monotonic clock, seconds: for budgets and timing, never the date. */
double tuner_now(void);

/* The time in UTC, ISO 8601 ("YYYY-MM-DDTHH:MM:SSZ"): the profile's
 * stamps compare as strings (the newest entry wins a merge). */
void tuner_utc_now(char *buf, size_t size);

/* Fills err (may be NULL) with `code` and the formatted message, every
 * other field empty; returns `code`, so a failure is one statement:
 * `return tuner_error(err, AT_ERR_ARG, "...");`. */
at_status tuner_error(at_error *err, at_status code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* tuner_error for a failed allocation: AT_ERR_NOMEM, "out of memory". */
at_status tuner_out_of_memory(at_error *err);

/* The first SIGINT or SIGTERM calls `cancel` (from the handler: it must
 * be async-signal-safe) so that the command stops what it measures and
 * keeps or reports what it has; a second one ends the process at once,
 * whatever it waits on (a BLAS call, a lock, a thread that never
 * returns): `cancel` again, then the signal's default action, so the
 * shell sees the process killed by it (status 130 or 143). */
void tuner_catch_signals(void (*cancel)(void));

/* The program's last call (main's): `return tuner_end(rc);`. Flushes the output and
 * makes the process end with `rc` at most TUNER_END_SECONDS after, even
 * if something run at exit never returns: OpenBLAS's destructor joins its
 * threads, and one stuck retrying a memory map (a small ulimit -v) would
 * hold exit() for ever. */
int tuner_end(int rc);
#define TUNER_END_SECONDS 2

#endif
