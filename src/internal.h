/*
 * internal.h - private to libautotune; never installed.
 */
#ifndef AT_INTERNAL_H
#define AT_INTERNAL_H

#include "autotune.h"

#include <stdarg.h>

#if defined(__GNUC__)
#define AT_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define AT_PRINTF(f, a)
#endif

/* Fills *err (if not NULL) and returns code: `return at__fail(err, ...)`. */
at_status at__fail(at_error *err, at_status code, const char *fmt, ...)
    AT_PRINTF(3, 4);
/* The same, with a file position and key (line/column 1-based or 0). */
at_status at__fail_at(at_error *err, at_status code, const char *file,
                      int line, int column, const char *key,
                      const char *fmt, ...) AT_PRINTF(7, 8);

/* Keeps the first failure of a job that goes on after one (its workers
 * finish their chunks): sets *first and *err only while *first is AT_OK. */
void at__fail_first(at_status *first, at_error *err, at_status code,
                    const char *fmt, ...) AT_PRINTF(4, 5);

/* Prints to stderr only when AUTOTUNE_VERBOSE is set (see autotune.h). */
void at__verbose(const char *fmt, ...) AT_PRINTF(1, 2);

/* Copies src into dst of `size` bytes, truncating, always NUL-terminated. */
void at__strlcpy(char *dst, const char *src, size_t size);

/* Usable CPUs given an affinity count and a cgroup quota, read below
 * `cgroup_root` for the process whose /proc/self/cgroup text is given.
 * Split out so tests can feed synthetic cgroup trees. Returns the quota in
 * CPUs (rounded up), or 0 when there is no limit. */
int at__cgroup_cpu_limit(const char *cgroup_root, const char *proc_cgroup);

/* The BLAS identity of the process, filled into m's blas_* fields. */
void at__blas_identify(at_machine *m);

/* Name tables for the knobs. */
int at__lookup_name(const char *const *names, int count, const char *name);

/* The profile's internals, shared by load, save and merge. */
struct at_profile {
    size_t n_machines;
    at_machine_profile *machines;
};

/* Frees what a machine profile owns (not the struct). */
void at__machine_profile_clear(at_machine_profile *mp);
/* Finds or appends the workload `name` of `mp`; NULL on ENOMEM. */
at_workload_profile *at__workload_get(at_machine_profile *mp,
                                      const char *name);
/* Sorts entries by (size, items). */
void at__entries_sort(at_workload_profile *wp);
/* Validates a time stamp "YYYY-MM-DDTHH:MM:SSZ". */
int at__timestamp_valid(const char *s);
/* Deep copy of a profile. */
at_status at__profile_copy(const at_profile *src, at_profile **out,
                           at_error *err);

#endif /* AT_INTERNAL_H */
