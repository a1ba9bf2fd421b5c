/* util.c - the tuner's clock and its one way of filling an at_error (see
 * util.h for why there is exactly one of each). */
#include "config.h"

#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

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
