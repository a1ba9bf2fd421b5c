/* workloads.c - inv (LU inverse), svd (divide and conquer), gemm (matrix
 * product) and exp (element-wise), on deterministic seeded data, each with
 * a cheap check of its result (Freivalds-style: multiply by one fixed
 * vector, O(n^2), instead of recomputing, O(n^3)). Every allocation is
 * checked: an item that cannot have its scratch fails (the pool reports
 * the item), a check that cannot have its own returns AT_ERR_NOMEM. */
#include "config.h"

#include "workloads.h"

#include "util.h"
#include "vexp.h"

#include <cblas.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- data */

static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* Uniform in [-1, 1), the same for the same seed and index anywhere. */
static void uniform(uint64_t seed, long index, double *x, long n)
{
    uint64_t state = seed ^ ((uint64_t)index * UINT64_C(0xd1b54a32d192ed03));
    for (long i = 0; i < n; i++)
        x[i] = (double)(splitmix64(&state) >> 11) * 0x1.0p-52 - 1.0;
}

static void gen_matrix(long n, long index, uint64_t seed, double *a)
{
    uniform(seed, index, a, n * n);
}

/* Diagonally dominant, so the inverse exists and is well conditioned. */
static void gen_invertible(long n, long index, uint64_t seed, double *a)
{
    gen_matrix(n, index, seed, a);
    for (long i = 0; i < n; i++)
        a[i * n + i] += (double)n;
}

/* The checks' scratch, in vectors of `size` doubles: the probe and three
 * products. workload_check allocates it once for all the items, so the
 * check has one allocation to fail, not four per item. */
enum { CHECK_VECTORS = 4 };

/* The fixed vector of the checks: 1, -1/2, 1/3, ... */
static void probe(long n, double *x)
{
    for (long i = 0; i < n; i++)
        x[i] = (i % 2 ? -1.0 : 1.0) / (double)(i + 1);
}

static void matvec(long n, const double *a, const double *x, double *y)
{
    cblas_dgemv(CblasRowMajor, CblasNoTrans, (int)n, (int)n, 1.0, a, (int)n,
                x, 1, 0.0, y, 1);
}

static double rel_diff(long n, const double *a, const double *b)
{
    double num = 0, den = 0;
    for (long i = 0; i < n; i++) {
        num += (a[i] - b[i]) * (a[i] - b[i]);
        den += b[i] * b[i];
    }
    return den > 0 ? sqrt(num / den) : sqrt(num);
}

static size_t square_bytes(long n)
{
    return (size_t)(n * n) * sizeof(double);
}

static size_t one_double(long n)
{
    (void)n;
    return sizeof(double);
}

/* What an item returns when it cannot have its scratch: the code LAPACKE
 * itself returns when its workspace cannot be allocated, so the pool's
 * "task returned -1010" means out of memory whoever ran out (a plain -1
 * would read as LAPACK's "argument 1 was illegal"). */
enum { ITEM_OUT_OF_MEMORY = LAPACK_WORK_MEMORY_ERROR };

/* ----------------------------------------------------------------- inv */

static int inv_item(const void *in, void *out, const void *argp)
{
    long n = ((const workload_arg *)argp)->size;
    lapack_int *ipiv = malloc((size_t)n * sizeof *ipiv);
    if (!ipiv)
        return ITEM_OUT_OF_MEMORY;
    memcpy(out, in, square_bytes(n));
    lapack_int info = LAPACKE_dgetrf(LAPACK_ROW_MAJOR, (lapack_int)n,
                                     (lapack_int)n, out, (lapack_int)n, ipiv);
    if (info == 0)
        info = LAPACKE_dgetri(LAPACK_ROW_MAJOR, (lapack_int)n, out,
                              (lapack_int)n, ipiv);
    free(ipiv);
    return (int)info;
}

/* || A (X x) - x || / || x || */
static double inv_residual(long n, const double *a, const double *x_inv,
                           long count, double *work)
{
    (void)count;
    double *x = work, *t = x + n, *r = t + n;
    probe(n, x);
    matvec(n, x_inv, x, t);
    matvec(n, a, t, r);
    return rel_diff(n, r, x);
}

/* ----------------------------------------------------------------- svd */

/* out = [S (n) | U (n x n) | VT (n x n)] */
static size_t svd_out_bytes(long n)
{
    return (size_t)(2 * n * n + n) * sizeof(double);
}

static int svd_item(const void *in, void *out, const void *argp)
{
    long n = ((const workload_arg *)argp)->size;
    double *a = malloc(square_bytes(n)); /* dgesdd destroys its input */
    if (!a)
        return ITEM_OUT_OF_MEMORY;
    memcpy(a, in, square_bytes(n));
    double *s = out, *u = s + n, *vt = u + n * n;
    lapack_int info =
        LAPACKE_dgesdd(LAPACK_ROW_MAJOR, 'S', (lapack_int)n, (lapack_int)n, a,
                       (lapack_int)n, s, u, (lapack_int)n, vt, (lapack_int)n);
    free(a);
    return (int)info;
}

/* || U (S (VT x)) - A x || / || A x || */
static double svd_residual(long n, const double *a, const double *out,
                           long count, double *work)
{
    (void)count;
    const double *s = out, *u = s + n, *vt = u + n * n;
    double *x = work, *t = x + n, *r = t + n, *ax = r + n;
    probe(n, x);
    matvec(n, vt, x, t);
    for (long i = 0; i < n; i++)
        t[i] *= s[i];
    matvec(n, u, t, r);
    matvec(n, a, x, ax);
    return rel_diff(n, r, ax);
}

/* ---------------------------------------------------------------- gemm */

static int gemm_item(const void *in, void *out, const void *argp)
{
    long n = ((const workload_arg *)argp)->size;
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n, (int)n,
                (int)n, 1.0, in, (int)n, in, (int)n, 0.0, out, (int)n);
    return 0;
}

/* || C x - A (A x) || / || A (A x) || */
static double gemm_residual(long n, const double *a, const double *c,
                            long count, double *work)
{
    (void)count;
    double *x = work, *t = x + n, *r = t + n, *w = r + n;
    probe(n, x);
    matvec(n, a, x, t);
    matvec(n, a, t, w);
    matvec(n, c, x, r);
    return rel_diff(n, r, w);
}

/* ----------------------------------------------------------------- exp */

static int exp_span(const void *in, void *out, size_t count, const void *arg)
{
    (void)arg;
    vexp(in, out, count);
    return 0;
}

/* Largest relative error against libm's scalar exp over `count`
 * elements (the kernel's vector exp is within 4 ulp, about 9e-16). */
static double exp_residual(long size, const double *x, const double *y,
                           long count, double *work)
{
    (void)size;
    (void)work;
    double worst = 0;
    for (long i = 0; i < count; i++) {
        double want = exp(x[i]), e = fabs(y[i] - want) / want;
        if (e > worst)
            worst = e;
    }
    return worst;
}

/* ------------------------------------------------------------ the table */

static const workload workloads[] = {
    {"inv", AT_KIND_BATCH, "LU inverse (dgetrf + dgetri)", square_bytes,
     square_bytes, inv_item, NULL, gen_invertible, inv_residual, 1e-10, NULL},
    {"svd", AT_KIND_BATCH, "divide-and-conquer SVD (dgesdd)", square_bytes,
     svd_out_bytes, svd_item, NULL, gen_matrix, svd_residual, 1e-10, NULL},
    {"gemm", AT_KIND_BATCH, "matrix product A*A (dgemm)", square_bytes,
     square_bytes, gemm_item, NULL, gen_matrix, gemm_residual, 1e-12, NULL},
    {"exp", AT_KIND_VECTOR, "element-wise exp of one vector", one_double,
     one_double, NULL, exp_span, NULL, exp_residual, 1e-15, NULL},
};

const char *workload_names(void)
{
    static char list[128];
    size_t used = 0;
    for (size_t i = 0; i < sizeof workloads / sizeof *workloads; i++)
        used += (size_t)snprintf(list + used, sizeof list - used, "%s%s",
                                 i ? ", " : "", workloads[i].name);
    return list;
}

const workload *workload_find(const char *name)
{
    for (size_t i = 0; name && i < sizeof workloads / sizeof *workloads; i++)
        if (strcmp(workloads[i].name, name) == 0)
            return &workloads[i];
    return NULL;
}

void workload_generate(const workload *w, long size, long count,
                       uint64_t seed, double *in)
{
    if (w->kind == AT_KIND_VECTOR) {
        uniform(seed, 0, in, count);
        for (long i = 0; i < count; i++)
            in[i] *= 5.0; /* exp over [-5, 5) */
        return;
    }
    size_t per = w->in_bytes(size) / sizeof(double);
    for (long k = 0; k < count; k++)
        w->generate(size, k, seed, in + (size_t)k * per);
}

at_status workload_check(const workload *w, long size, long count,
                         const double *in, const double *out,
                         double *residual, at_error *err)
{
    if (w->kind == AT_KIND_VECTOR) {
        *residual = w->residual(size, in, out, count, NULL);
        return AT_OK;
    }
    double *work = malloc(CHECK_VECTORS * (size_t)size * sizeof *work);
    if (!work)
        return tuner_out_of_memory(err);
    size_t pin = w->in_bytes(size) / sizeof(double);
    size_t pout = w->out_bytes(size) / sizeof(double);
    double worst = 0;
    for (long k = 0; k < count; k++) {
        double r = w->residual(size, in + (size_t)k * pin,
                               out + (size_t)k * pout, 1, work);
        if (!(r <= worst)) /* also catches NaN */
            worst = r;
    }
    free(work);
    *residual = worst;
    return AT_OK;
}

double workload_difference(const workload *w, long size, long count,
                           const double *a, const double *b)
{
    if (w->kind == AT_KIND_VECTOR)
        return rel_diff(count, a, b);
    size_t per = w->out_bytes(size) / sizeof(double);
    /* svd: the singular values; singular vectors may flip sign */
    long compare = strcmp(w->name, "svd") == 0 ? size : (long)per;
    double worst = 0;
    for (long k = 0; k < count; k++) {
        double d =
            rel_diff(compare, a + (size_t)k * per, b + (size_t)k * per);
        if (!(d <= worst))
            worst = d;
    }
    return worst;
}
