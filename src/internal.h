/*
 * internal.h - private to libautotune; never installed.
 */
#ifndef AT_INTERNAL_H
#define AT_INTERNAL_H

#include "autotune.h"

#include <sched.h>
#include <stdarg.h>

/* The library reads its environment (AUTOTUNE_*, HOME, XDG_CONFIG_HOME)
 * with secure_getenv only: linked into a set-user-ID program, it must not
 * let the caller name the file it opens or turn on its messages. */

#if defined(__GNUC__)
#define AT_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define AT_PRINTF(f, a)
#endif

/* The NULL rule of the public functions, stated once: an argument the
 * caller must give is checked first, and its absence fails with
 * AT_ERR_ARG and "FUNCTION: ARGUMENT is NULL". */
#define AT_REQUIRE(arg, err)                                                 \
    do {                                                                     \
        if (!(arg))                                                          \
            return at__fail((err), AT_ERR_ARG, "%s: %s is NULL", __func__,   \
                            #arg);                                           \
    } while (0)

/* Fills *err (if not NULL) and returns code: `return at__fail(err, ...)`. */
at_status at__fail(at_error *err, at_status code, const char *fmt, ...)
    AT_PRINTF(3, 4);
/* The same, with a file position and key (line/column 1-based or 0). */
at_status at__fail_at(at_error *err, at_status code, const char *file,
                      int line, int column, const char *key, const char *fmt,
                      ...) AT_PRINTF(7, 8);

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

/* The CPUs of worker `index` with `threads` each: taken in order from the
 * calling thread's affinity mask, disjoint while index x threads fits it,
 * wrapping beyond. Returns how many CPUs the set holds. */
int at__worker_cpus(int index, int threads, cpu_set_t *set);

/* The BLAS identity of the process, filled into m's blas_* fields. */
void at__blas_identify(at_machine *m);
/* Ends the threads every loaded BLAS keeps between calls (OpenBLAS's, as
 * its own fork handler does); each starts them again at its next call.
 * Waits for them without a bound: see pool_process.c. */
void at__blas_stop_threads(void);

/* Amdahl speedup of one item's BLAS work on `cpus` (may be fractional);
 * below one CPU the worker is time-sliced and runs at that share. The
 * one definition at_model_predict and the argmin share (model.c). */
double at__model_speed(double parallel_fraction, double cpus);

/* The data of one task of the model's ref_size, in the bytes the model
 * counts (two n x n matrices, or two vectors): copy_s is the piping of
 * that much, so a task's share scales with its data (model.c). */
double at__ref_bytes(const at_model *m, at_workload_kind kind);

/* The configuration of the query's search space (at_space_enumerate(kind,
 * size, items, cpus, 0, ...)) with the least time under at_model_predict,
 * found without materialising the space (src/argmin.c). Ties go to the
 * configuration enumerated first. Returns 0 when the space is empty. */
int at__model_argmin(const at_model *model, const at_machine_costs *costs,
                     int cpus, at_workload_kind kind, long size, long items,
                     at_config *best, double *seconds);

/* Name tables for the knobs, in enum order, and their lookup. */
extern const char *const at__mode_names[2];
extern const char *const at__transport_names[2];
extern const char *const at__pin_names[2];
extern const char *const at__kind_names[2];
int at__lookup_name(const char *const *names, int count, const char *name);
/* Parses one of `names` into *out; else AT_ERR_ARG, "WHAT must be one of
 * A, B, got 'NAME'". */
at_status at__enum_parse(const char *const *names, int count,
                         const char *what, const char *name, int *out,
                         at_error *err);

/* The model's parameters (the formula is model.c's, the ranges and file
 * names schema.c's). A parameter is a member here, a row in schema.c's
 * param_fields, and its use in at_model_predict. */
struct at_model {
    double ref_size;          /* size at which compute_s applies */
    double compute_s;         /* seconds per item, 1 BLAS thread, ref_size */
    double exponent;          /* compute grows as (size/ref_size)^exponent */
    double parallel_fraction; /* Amdahl fraction of one item's BLAS work */
    double contention;        /* slowdown per extra concurrent worker */
    double oversub;           /* extra penalty when threads exceed CPUs */
    double thread_factor;     /* compute multiplier in thread mode */
    double unpinned_spread;   /* 0..1: how far an unpinned pool spreads
                                 over the CPUs (1: fully, 0: one CPU) */
    double dispatch_s;        /* per chunk a busy parent hands out late */
    double message_s;         /* per chunk message, beyond the machine's
                                 transport latency (a user's program) */
    double copy_s;            /* per task of ref_size sent through a pipe,
                                 beyond the machine's bandwidth (a user's
                                 program) */
    double start_s;           /* per worker process started, beyond the
                                 machine's (a user's program) */
    double error;             /* held-out median abs. relative error */
    char fitted[32];          /* UTC time of the fit */
};

/* An entry as the profile holds it: the public struct, and what was added
 * after it froze (a public struct cannot grow without a new soname). The
 * public part comes first, so a pointer to one is a pointer to the other. */
typedef struct at__entry {
    at_entry pub;
    long baseline_items; /* the items its baselines ran on, when fewer
                            than pub.items (scaled to them); else 0 */
} at__entry;

struct at_workload_profile {
    char name[AT_WORKLOAD_NAME_MAX + 1];
    at_workload_kind kind; /* -1 while a version 1 file is read */
    int has_model;
    at_model model;
    size_t n_entries;
    at__entry *entries; /* sorted by (size, items) */
    size_t n_samples;
    at_sample *samples;
};

struct at_machine_profile {
    at_machine machine;
    int has_costs;
    at_machine_costs costs;
    size_t n_workloads;
    at_workload_profile *workloads;
};

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
/* Where an entry with e's (size, items) is or belongs in wp's sorted
 * entries: the first not below it (a binary search). */
size_t at__entry_index(const at_workload_profile *wp, const at_entry *e);
/* Sorts entries by (size, items). */
void at__entries_sort(at_workload_profile *wp);
/* The profile's keys, one order each, for qsort and bsearch: an entry's
 * (size, items), a sample's (size, items, configuration). The builders,
 * the merge and the loader's duplicate checks all use these. */
int at__entry_cmp(const void *a, const void *b);
int at__sample_cmp(const void *a, const void *b);
/* Validates a time stamp "YYYY-MM-DDTHH:MM:SSZ". */
int at__timestamp_valid(const char *s);
/* Deep copy of a profile. */
at_status at__profile_copy(const at_profile *src, at_profile **out,
                           at_error *err);

#endif /* AT_INTERNAL_H */
