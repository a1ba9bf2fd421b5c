/* util.h - the two services every part of the tuner uses: one monotonic
 * clock, and one way to fill an at_error. The library has its own clock
 * (at__now), but the tuner sees only the public API; and an error filled
 * by hand in each place drifts (a stale field, a message cut short). */
#ifndef AT_UTIL_H
#define AT_UTIL_H

#include "autotune.h"

/* Monotonic clock, seconds: for budgets and timing, never the date. */
double tuner_now(void);

/* Fills err (may be NULL) with `code` and the formatted message, every
 * other field empty; returns `code`, so a failure is one statement:
 * `return tuner_error(err, AT_ERR_ARG, "...");`. */
at_status tuner_error(at_error *err, at_status code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* tuner_error for a failed allocation: AT_ERR_NOMEM, "out of memory". */
at_status tuner_out_of_memory(at_error *err);

#endif
