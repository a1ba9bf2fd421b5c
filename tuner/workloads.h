/* workloads.h - the real computations the tuner measures. */
#ifndef AT_WORKLOADS_H
#define AT_WORKLOADS_H

#include "autotune.h"

#include <stdint.h>

/* What every task of a job is told (the job's arg bytes). */
typedef struct workload_arg {
    long size;
} workload_arg;

typedef struct workload {
    const char *name;
    at_workload_kind kind;
    const char *what; /* one line for reports */
    /* bytes per item (batch) or per element (vector) */
    size_t (*in_bytes)(long size);
    size_t (*out_bytes)(long size);
    at_item_fn item;
    at_span_fn span;
    /* deterministic input of batch item `index` (vector: NULL, see
     * workload_generate) */
    void (*generate)(long size, long index, uint64_t seed, double *in);
    /* relative residual of one item's result (vector: of `count`
     * elements); cheap, O(size^2) at most. `work` is the caller's
     * scratch, room for 4 vectors of `size` doubles (vector: NULL), so
     * the check of a whole batch allocates once */
    double (*residual)(long size, const double *in, const double *out,
                       long count, double *work);
    double tolerance; /* residual and difference from the serial run */
    /* The user's program (autotune --command): its command line, with
     * {size} and {items}; NULL for the built-in workloads, which have the
     * functions above instead. */
    const char *command;
} workload;

/* The workload of that name, or NULL. */
const workload *workload_find(const char *name);
/* The built-in names, "inv, svd, gemm, exp", for messages. */
const char *workload_names(void);

/* Fills a whole job input: `count` items or elements. */
void workload_generate(const workload *w, long size, long count,
                       uint64_t seed, double *in);

/* Largest residual over the job's output (vector: over all elements),
 * into *residual. AT_ERR_NOMEM (err filled, may be NULL) when the
 * check's scratch cannot be allocated. */
at_status workload_check(const workload *w, long size, long count,
                         const double *in, const double *out,
                         double *residual, at_error *err);

/* Largest relative difference between two outputs of the same job, as
 * the workload compares them (singular vectors may differ in sign, so svd
 * compares singular values and residuals). */
double workload_difference(const workload *w, long size, long count,
                           const double *a, const double *b);

#endif
