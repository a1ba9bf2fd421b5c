/* error.c - the one error rule of autotune.h: status, message, position. */
#include "config.h"

#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *at_strerror(at_status code)
{
    switch (code) {
    case AT_OK: return "success";
    case AT_ERR_NOMEM: return "out of memory";
    case AT_ERR_ARG: return "invalid argument";
    case AT_ERR_IO: return "input/output error";
    case AT_ERR_SYNTAX: return "malformed YAML";
    case AT_ERR_PROFILE: return "invalid profile";
    case AT_ERR_NOPROFILE: return "no profile found";
    case AT_ERR_NOMATCH: return "no machine in the profile matches";
    case AT_ERR_NOBLAS: return "no controllable BLAS in this process";
    case AT_ERR_SYSTEM: return "system error";
    case AT_ERR_WORKER: return "a worker failed";
    case AT_ERR_TIMEOUT: return "a task ran past its deadline";
    case AT_ERR_CANCELLED: return "cancelled";
    }
    return "unknown error";
}

void at__strlcpy(char *dst, const char *src, size_t size)
{
    if (size == 0)
        return;
    size_t n = strlen(src);
    if (n >= size)
        n = size - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static at_status fill(at_error *err, at_status code, const char *file,
                      int line, int column, const char *key, const char *fmt,
                      va_list ap)
{
    if (!err)
        return code;
    err->code = code;
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    at__strlcpy(err->file, file ? file : "", sizeof err->file);
    err->line = line;
    err->column = column;
    at__strlcpy(err->key, key ? key : "", sizeof err->key);
    return code;
}

at_status at__fail(at_error *err, at_status code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fill(err, code, NULL, 0, 0, NULL, fmt, ap);
    va_end(ap);
    return code;
}

at_status at__fail_at(at_error *err, at_status code, const char *file,
                      int line, int column, const char *key, const char *fmt,
                      ...)
{
    va_list ap;
    va_start(ap, fmt);
    fill(err, code, file, line, column, key, fmt, ap);
    va_end(ap);
    return code;
}

void at__fail_first(at_status *first, at_error *err, at_status code,
                    const char *fmt, ...)
{
    if (*first != AT_OK)
        return;
    *first = code;
    va_list ap;
    va_start(ap, fmt);
    fill(err, code, NULL, 0, 0, NULL, fmt, ap);
    va_end(ap);
}

char *at_error_format(const at_error *err, char *buf, size_t size)
{
    if (size == 0 || !buf)
        return buf;
    if (!err)
        snprintf(buf, size, "(no error)");
    else if (!err->file[0])
        snprintf(buf, size, "%s", err->message);
    else if (err->line <= 0)
        snprintf(buf, size, "%s: %s", err->file, err->message);
    else
        snprintf(buf, size, "%s:%d:%d: %s", err->file, err->line, err->column,
                 err->message);
    return buf;
}

unsigned at_version(void)
{
    return AT_VERSION;
}

int at_verbose_enabled(void)
{
    const char *v = secure_getenv("AUTOTUNE_VERBOSE");
    return v && v[0] && strcmp(v, "0") != 0;
}

void at__verbose(const char *fmt, ...)
{
    if (!at_verbose_enabled())
        return;
    va_list ap;
    va_start(ap, fmt);
    fputs("autotune: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}
