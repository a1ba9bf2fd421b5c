/* blas.c - find the BLAS loaded in this process and control its threads.
 *
 * The library does not link a BLAS: it looks the control functions up in
 * the process at run time, so one libautotune serves programs linked with
 * OpenBLAS, BLIS or MKL, and a program with none gets AT_ERR_NOBLAS. */
#include "config.h"

#include "internal.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct blas_api {
    const char *vendor;
    void (*set)(int);
    int (*get)(void);
} blas_api;

/* BLIS takes and returns dim_t (a 64-bit integer on every Debian build). */
typedef long long blis_dim_t;

static void *lookup(const char *name)
{
    return dlsym(RTLD_DEFAULT, name);
}

static int blis_get(void)
{
    blis_dim_t (*get)(void) = (blis_dim_t(*)(void))lookup(
        "bli_thread_get_num_threads");
    return get ? (int)get() : -1;
}

static void blis_set(int n)
{
    void (*set)(blis_dim_t) = (void (*)(blis_dim_t))lookup(
        "bli_thread_set_num_threads");
    if (set)
        set((blis_dim_t)n);
}

/* Resolves the first BLAS found; returns NULL when there is none. */
static const blas_api *resolve(void)
{
    static blas_api api;
    void *set = lookup("openblas_set_num_threads");
    void *get = lookup("openblas_get_num_threads");
    if (set && get) {
        api = (blas_api){"openblas", (void (*)(int))set,
                         (int (*)(void))get};
        return &api;
    }
    if (lookup("bli_thread_set_num_threads") &&
        lookup("bli_thread_get_num_threads")) {
        api = (blas_api){"blis", blis_set, blis_get};
        return &api;
    }
    set = lookup("MKL_Set_Num_Threads");
    get = lookup("MKL_Get_Max_Threads");
    if (set && get) {
        api = (blas_api){"mkl", (void (*)(int))set,
                         (int (*)(void))get};
        return &api;
    }
    return NULL;
}

at_status at_blas_get_threads(int *threads, at_error *err)
{
    const blas_api *api = resolve();
    if (!api)
        return at__fail(err, AT_ERR_NOBLAS,
                        "no OpenBLAS, BLIS or MKL thread control in this "
                        "process");
    *threads = api->get();
    return AT_OK;
}

at_status at_blas_set_threads(int threads, at_error *err)
{
    if (threads < 1 || threads > AT_MAX_THREADS)
        return at__fail(err, AT_ERR_ARG,
                        "blas_threads must be from 1 to %d, got %d",
                        AT_MAX_THREADS, threads);
    const blas_api *api = resolve();
    if (!api)
        return at__fail(err, AT_ERR_NOBLAS,
                        "no OpenBLAS, BLIS or MKL thread control in this "
                        "process");
    api->set(threads);
    at__verbose("%s threads set to %d", api->vendor, threads);
    return AT_OK;
}

/* OpenBLAS describes itself as "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY
 * Haswell MAX_THREADS=64": take the version and the thread cap from it. */
static void parse_openblas_config(const char *cfg, at_machine *m)
{
    char version[32];
    if (sscanf(cfg, "OpenBLAS %31s", version) == 1)
        at__strlcpy(m->blas_version, version, sizeof m->blas_version);
    const char *mt = strstr(cfg, "MAX_THREADS=");
    if (mt)
        m->blas_max_threads = atoi(mt + strlen("MAX_THREADS="));
}

static void identify_openblas(at_machine *m)
{
    char *(*config)(void) = (char *(*)(void))lookup("openblas_get_config");
    char *(*corename)(void) = (char *(*)(void))lookup("openblas_get_corename");
    int (*parallel)(void) = (int (*)(void))lookup("openblas_get_parallel");
    if (config && config())
        parse_openblas_config(config(), m);
    if (corename && corename())
        at__strlcpy(m->blas_corename, corename(), sizeof m->blas_corename);
    if (parallel) {
        static const char *const layer[] = {"sequential", "pthreads",
                                            "openmp"};
        int p = parallel();
        if (p >= 0 && p <= 2)
            at__strlcpy(m->blas_threading, layer[p],
                        sizeof m->blas_threading);
    }
}

void at__blas_identify(at_machine *m)
{
    at__strlcpy(m->blas_vendor, "none", sizeof m->blas_vendor);
    at__strlcpy(m->blas_version, "unknown", sizeof m->blas_version);
    at__strlcpy(m->blas_corename, "unknown", sizeof m->blas_corename);
    at__strlcpy(m->blas_threading, "unknown", sizeof m->blas_threading);
    m->blas_max_threads = 0;
    const blas_api *api = resolve();
    if (!api)
        return;
    at__strlcpy(m->blas_vendor, api->vendor, sizeof m->blas_vendor);
    int current = api->get();
    if (strcmp(api->vendor, "openblas") == 0)
        identify_openblas(m);
    if (m->blas_max_threads < current)
        m->blas_max_threads = current;
}
