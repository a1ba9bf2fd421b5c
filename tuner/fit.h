/* fit.h - fitting the cost model (form comm-compute-1) with GSL.
 *
 * The fit's samples are the library's own at_sample: what the profile
 * stores is what the model is fitted on, with no copy in between (the
 * spread is stored, and not used by the fit). */
#ifndef AT_FIT_H
#define AT_FIT_H

#include "autotune.h"

typedef struct fit_problem {
    at_workload_kind kind;
    int cpus;
    const at_machine_costs *costs; /* measured apart, fixed in the fit */
    double ref_size;
    double exponent;  /* the starting (or, when fixed, the) exponent */
    int fit_exponent; /* needs samples at two sizes or more */
    int fit_transfer; /* a user's program: fit its own message and copy
                         costs, which the machine's do not describe */
} fit_problem;

/* Fits the model's parameters to the samples by nonlinear least squares
 * on log times (relative errors), with weak priors that keep parameters
 * the samples say nothing about at neutral values. */
at_status fit_model(const fit_problem *pb, const at_sample *s, size_t n,
                    at_model *model, at_error *err);

/* The model's prediction for one sample's configuration and job. */
double fit_predict(const fit_problem *pb, const at_model *model,
                   const at_sample *s);

/* Median absolute percentage error of the model over the samples. */
double fit_error(const fit_problem *pb, const at_model *model,
                 const at_sample *s, size_t n);

#endif
