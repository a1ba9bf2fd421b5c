/* fit.c - the cost model fitted with gsl_multifit_nlinear.
 *
 * The prediction is the library's own at_model_predict, so the model the
 * tuner fits is exactly the one the runtime evaluates. Parameters are
 * fitted in transformed coordinates that keep them in range (logs for the
 * positive ones, logistics for the fractions); residuals are log
 * ratios, i.e. relative errors, so a 10 ms job counts as much as a 10 s
 * one. Weak priors (pseudo-observations) hold parameters the design did
 * not exercise near neutral values instead of letting them wander. */
#include "config.h"

#include "fit.h"

#include "util.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_multifit_nlinear.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum {
    P_COMPUTE,
    P_FRACTION,
    P_CONTENTION,
    P_OVERSUB,
    P_THREAD,
    P_SPREAD,
    P_DISPATCH,
    P_EXPONENT,
    P_MESSAGE,
    P_COPY,
    P_START,
    N_PARAMS
};

/* Weak priors: each parameter has a neutral value (in transformed
 * coordinates) and a plausible width about it. Its pseudo-observation
 * is (x - centre) / width * PRIOR_WEIGHT, so a parameter one width away
 * costs what one sample off by 1.25% does: enough to hold a parameter
 * nothing measures, too little to bias one the samples do determine.
 * (Priors as strong as a sample made the fit blame contention on the
 * parallel fraction, predicting exp's serial time 25% slow, and missed
 * exact synthetic data by 2%; see tests/unit/test_tuner.c.) */
#define PRIOR_WEIGHT 0.0125
static const struct {
    double centre, width;
} prior[N_PARAMS] = {
    [P_COMPUTE] = {0, 0}, /* no prior: the data always speak */
    [P_FRACTION] = {0, 4},    [P_CONTENTION] = {-4, 3}, /* log(0.02) */
    [P_OVERSUB] = {-1.6, 3},                            /* log(0.2) */
    [P_THREAD] = {0, 1},      [P_SPREAD] = {3, 3},      /* logistic: 0.95 */
    [P_DISPATCH] = {-9.2, 3},                           /* log(1e-4) */
    [P_EXPONENT] = {0, 0.5}, /* about the workload's nominal exponent */
    [P_MESSAGE] = {-9.2, 3}, /* log(1e-4) */
    [P_COPY] = {-9.2, 3},    /* log(1e-4) */
    [P_START] = {-9.2, 3},   /* log(1e-4) */
};

/* The library's name of each fitted parameter. */
static const char *const param_name[N_PARAMS] = {
    [P_COMPUTE] = "compute_s",     [P_FRACTION] = "parallel_fraction",
    [P_CONTENTION] = "contention", [P_OVERSUB] = "oversub",
    [P_THREAD] = "thread_factor",  [P_SPREAD] = "unpinned_spread",
    [P_DISPATCH] = "dispatch_s",   [P_EXPONENT] = "exponent",
    [P_MESSAGE] = "message_s",     [P_COPY] = "copy_s",
    [P_START] = "start_s",
};

/* Whether parameter j is fitted: the exponent only with samples at two
 * sizes, the program's own transfer terms only for a user's command. */
static int varies(const fit_problem *pb, int j)
{
    if (j == P_EXPONENT)
        return pb->fit_exponent;
    if (j == P_MESSAGE || j == P_COPY || j == P_START)
        return pb->fit_transfer;
    return 1;
}

/* The fitted parameters in the order of x; their count. */
static size_t active_params(const fit_problem *pb, int *idx)
{
    size_t p = 0;
    for (int j = 0; j < N_PARAMS; j++)
        if (varies(pb, j))
            idx[p++] = j;
    return p;
}

typedef struct fit_data {
    const fit_problem *pb;
    const at_sample *s;
    size_t n;
    size_t p;          /* the fitted parameters: x's size */
    int idx[N_PARAMS]; /* x[k] is parameter idx[k] */
    at_model *model;   /* scratch: the model at the point being tried */
} fit_data;

static double logistic(double x)
{
    return 1.0 / (1.0 + exp(-x));
}

/* A parameter's value from its fitted coordinate: fractions through the
 * logistic, the exponent as it is, the positive ones through exp. */
static double from_coordinate(int j, double x)
{
    if (j == P_FRACTION || j == P_SPREAD)
        return logistic(x);
    return j == P_EXPONENT ? x : exp(x);
}

/* Sets a parameter, held inside the range the profile accepts. */
static void set_clamped(at_model *m, const char *name, double v)
{
    double lo, hi;
    if (at_model_range(name, &lo, &hi, NULL) == AT_OK)
        at_model_set(m, name, fmin(fmax(v, lo), hi), NULL);
}

/* The model at x; a parameter not fitted keeps its fixed value (the
 * nominal exponent; no transfer terms of its own). */
static void to_model(const fit_problem *pb, const int *idx, size_t p,
                     const gsl_vector *x, at_model *m)
{
    set_clamped(m, "ref_size", pb->ref_size);
    for (int j = 0; j < N_PARAMS; j++)
        if (!varies(pb, j))
            set_clamped(m, param_name[j], j == P_EXPONENT ? pb->exponent : 0);
    for (size_t k = 0; k < p; k++)
        set_clamped(m, param_name[idx[k]],
                    from_coordinate(idx[k], gsl_vector_get(x, k)));
}

double fit_predict(const fit_problem *pb, const at_model *model,
                   const at_sample *s)
{
    return at_model_predict(model, pb->costs, pb->cpus, pb->kind, s->size,
                            s->items, &s->config);
}

static int residuals(const gsl_vector *x, void *params, gsl_vector *f)
{
    const fit_data *d = params;
    to_model(d->pb, d->idx, d->p, x, d->model);
    for (size_t i = 0; i < d->n; i++) {
        double pred = fit_predict(d->pb, d->model, &d->s[i]);
        gsl_vector_set(f, i, log(fmax(pred, 1e-300) / d->s[i].seconds));
    }
    size_t k = d->n;
    for (size_t a = 0; a < d->p; a++) {
        int j = d->idx[a];
        if (prior[j].width <= 0)
            continue;
        double centre = j == P_EXPONENT ? d->pb->exponent : prior[j].centre;
        gsl_vector_set(f, k++,
                       (gsl_vector_get(x, a) - centre) / prior[j].width *
                           PRIOR_WEIGHT);
    }
    return GSL_SUCCESS;
}

static size_t n_priors(const int *idx, size_t p)
{
    size_t k = 0;
    for (size_t a = 0; a < p; a++)
        k += prior[idx[a]].width > 0;
    return k;
}

/* compute_s from the samples: the per-item time of the cheapest-looking
 * one scaled to ref_size, a fair start for the optimiser. */
static double initial_compute(const fit_problem *pb, const at_sample *s,
                              size_t n)
{
    double best = HUGE_VAL;
    for (size_t i = 0; i < n; i++) {
        const at_config *c = &s[i].config;
        double tasks =
            pb->kind == AT_KIND_VECTOR ? c->partitions : (double)s[i].items;
        double task_size = pb->kind == AT_KIND_VECTOR
                               ? (double)s[i].size / tasks
                               : (double)s[i].size;
        double per = s[i].seconds * c->workers / tasks /
                     pow(task_size / pb->ref_size, pb->exponent);
        if (c->blas_threads == 1 && per < best)
            best = per;
    }
    return best < HUGE_VAL ? best : s[0].seconds;
}

at_status fit_model(const fit_problem *pb, const at_sample *s, size_t n,
                    at_model *model, at_error *err)
{
    if (n == 0)
        return tuner_error(err, AT_ERR_ARG, "no samples to fit the model on");
    fit_data d = {.pb = pb, .s = s, .n = n};
    size_t p = d.p = active_params(pb, d.idx);
    if (at_model_new(&d.model, err) != AT_OK)
        return AT_ERR_NOMEM;
    gsl_multifit_nlinear_fdf fdf;
    memset(&fdf, 0, sizeof fdf);
    fdf.f = residuals;
    fdf.n = n + n_priors(d.idx, p);
    fdf.p = p;
    fdf.params = &d;
    gsl_vector *x = gsl_vector_alloc(p);
    for (size_t a = 0; a < p; a++) /* the start: each prior's centre */
        gsl_vector_set(x, a,
                       d.idx[a] == P_COMPUTE ? log(initial_compute(pb, s, n))
                       : d.idx[a] == P_EXPONENT ? pb->exponent
                                                : prior[d.idx[a]].centre);
    gsl_multifit_nlinear_parameters params =
        gsl_multifit_nlinear_default_parameters();
    gsl_multifit_nlinear_workspace *w = gsl_multifit_nlinear_alloc(
        gsl_multifit_nlinear_trust, &params, fdf.n, p);
    gsl_error_handler_t *old = gsl_set_error_handler_off();
    int info = 0;
    /* running out of iterations (or a failing step) still leaves the best
     * point found, which is what the model keeps */
    if (gsl_multifit_nlinear_init(x, &fdf, w) == GSL_SUCCESS)
        gsl_multifit_nlinear_driver(200, 1e-10, 1e-10, 0, NULL, NULL, &info,
                                    w);
    to_model(pb, d.idx, p, gsl_multifit_nlinear_position(w), model);
    gsl_set_error_handler(old);
    at_model_free(d.model);
    gsl_multifit_nlinear_free(w);
    gsl_vector_free(x);
    return AT_OK;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

double fit_error(const fit_problem *pb, const at_model *model,
                 const at_sample *s, size_t n)
{
    if (n == 0)
        return 0;
    double *e = malloc(n * sizeof *e);
    if (!e)
        return HUGE_VAL; /* no memory, no claim of accuracy */
    for (size_t i = 0; i < n; i++)
        e[i] =
            fabs(fit_predict(pb, model, &s[i]) - s[i].seconds) / s[i].seconds;
    qsort(e, n, sizeof *e, cmp_double);
    double med = n % 2 ? e[n / 2] : (e[n / 2 - 1] + e[n / 2]) / 2;
    free(e);
    return med;
}
