/* blas.c - find every BLAS loaded in this process and control its threads.
 *
 * The library links no BLAS. Like threadpoolctl, it walks the shared
 * objects the process has really loaded (dl_iterate_phdr), recognises a
 * BLAS by its file name and by a symbol it must export, and resolves the
 * control functions from that object's own handle (dlopen RTLD_NOLOAD).
 * So it sees a BLAS loaded without RTLD_GLOBAL (CPython loads numpy's
 * extension modules so), the renamed symbols of pip's wheels
 * (scipy_openblas_set_num_threads64_), and two BLAS in one process. The
 * global scope (dlsym RTLD_DEFAULT) is one more source, for a BLAS linked
 * statically into the program. A vendor is one row of the table below. */
#include "config.h"

#include "internal.h"

#include <dlfcn.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------- a library */

struct vendor;

/* One BLAS found in the process. */
typedef struct found {
    const struct vendor *vendor;
    void *handle; /* RTLD_NOLOAD handle (closed by found_release), or
                     RTLD_DEFAULT */
    const char *prefix, *suffix; /* how its symbols are decorated */
    void *get, *set;             /* its thread control */
    char path[512];
} found;

/* A symbol of `f`'s library, decorated as its thread control is. */
static void *sym(const found *f, const char *name)
{
    char full[128];
    snprintf(full, sizeof full, "%s%s%s", f->prefix, name, f->suffix);
    return dlsym(f->handle, full);
}

/* ------------------------------------------------------------- vendors */

/* BLIS takes and returns dim_t (a 64-bit integer on every Debian build). */
typedef long long blis_dim_t;

static int get_int(const found *f)
{
    return ((int (*)(void))f->get)();
}

static void set_int(const found *f, int n)
{
    ((void (*)(int))f->set)(n);
}

static int get_dim(const found *f)
{
    return (int)((blis_dim_t(*)(void))f->get)();
}

static void set_dim(const found *f, int n)
{
    ((void (*)(blis_dim_t))f->set)((blis_dim_t)n);
}

/* OpenBLAS describes itself as "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY
 * Haswell MAX_THREADS=64": take the version and the thread cap from it. */
static void describe_openblas(const found *f, at_blas_info *b)
{
    char *(*config)(void) = (char *(*)(void))sym(f, "openblas_get_config");
    char *(*core)(void) = (char *(*)(void))sym(f, "openblas_get_corename");
    int (*parallel)(void) = (int (*)(void))sym(f, "openblas_get_parallel");
    const char *cfg = config ? config() : NULL;
    if (cfg) {
        char version[32];
        if (sscanf(cfg, "OpenBLAS %31s", version) == 1)
            at__strlcpy(b->version, version, sizeof b->version);
        const char *mt = strstr(cfg, "MAX_THREADS=");
        if (mt)
            b->max_threads = atoi(mt + strlen("MAX_THREADS="));
    }
    if (core && core())
        at__strlcpy(b->corename, core(), sizeof b->corename);
    static const char *const layer[] = {"sequential", "pthreads", "openmp"};
    int p = parallel ? parallel() : -1;
    if (p >= 0 && p <= 2)
        at__strlcpy(b->threading, layer[p], sizeof b->threading);
}

static void describe_blis(const found *f, at_blas_info *b)
{
    char *(*version)(void) =
        (char *(*)(void))sym(f, "bli_info_get_version_str");
    int (*omp)(void) = (int (*)(void))sym(f, "bli_info_get_enable_openmp");
    int (*pth)(void) = (int (*)(void))sym(f, "bli_info_get_enable_pthreads");
    int (*arch)(void) = (int (*)(void))sym(f, "bli_arch_query_id");
    char *(*arch_name)(int) = (char *(*)(int))sym(f, "bli_arch_string");
    if (version && version())
        at__strlcpy(b->version, version(), sizeof b->version);
    if (omp && pth)
        at__strlcpy(b->threading,
                    omp()   ? "openmp"
                    : pth() ? "pthreads"
                            : "sequential",
                    sizeof b->threading);
    if (arch && arch_name && arch_name(arch()))
        at__strlcpy(b->corename, arch_name(arch()), sizeof b->corename);
}

/* "Intel(R) oneAPI Math Kernel Library Version 2023.0.0 Product Build" */
static void describe_mkl(const found *f, at_blas_info *b)
{
    void (*version)(char *, int) =
        (void (*)(char *, int))sym(f, "MKL_Get_Version_String");
    int (*layer)(int) = (int (*)(int))sym(f, "MKL_Set_Threading_Layer");
    char text[256] = "";
    if (version)
        version(text, sizeof text);
    const char *v = strstr(text, "Version ");
    if (v)
        sscanf(v, "Version %31s", b->version);
    /* an invalid layer (-1) changes nothing and returns the current one:
     * 0 Intel OpenMP, 1 sequential, 2 PGI OpenMP, 3 GNU OpenMP, 4 TBB */
    static const char *const layers[] = {"openmp", "sequential", "openmp",
                                         "openmp", "tbb"};
    int l = layer ? layer(-1) : -1;
    if (l >= 0 && l <= 4)
        at__strlcpy(b->threading, layers[l], sizeof b->threading);
}

/* FlexiBLAS forwards to a backend chosen at run time: its name stands in
 * for the core, so two backends are two identities. */
static void describe_flexiblas(const found *f, at_blas_info *b)
{
    void (*version)(int *, int *, int *) =
        (void (*)(int *, int *, int *))sym(f, "flexiblas_get_version");
    int (*backend)(char *, size_t) =
        (int (*)(char *, size_t))sym(f, "flexiblas_current_backend");
    int major, minor, patch;
    if (version) {
        version(&major, &minor, &patch);
        snprintf(b->version, sizeof b->version, "%d.%d.%d", major, minor,
                 patch);
    }
    char name[64];
    if (backend && backend(name, sizeof name) >= 0) {
        name[sizeof name - 1] = '\0';
        at__strlcpy(b->corename, name, sizeof b->corename);
    }
}

/* How to recognise and drive one vendor (threadpoolctl's controllers). A
 * library is that vendor when its file name starts with one of `files`
 * and it exports the thread getter under one of the decorations. */
typedef struct vendor {
    const char *name;
    const char *files[4];
    const char *prefixes[3], *suffixes[4];
    const char *get_name, *set_name;
    /* The call that ends the threads it keeps between calls (they start
     * again at its next call), or NULL when it keeps none that fork must
     * wait for. */
    const char *stop_name;
    int (*get)(const found *f);
    void (*set)(const found *f, int n);
    void (*describe)(const found *f, at_blas_info *b);
} vendor;

static const vendor vendors[] = {
    {"openblas",
     {"libopenblas", "libblas", "libscipy_openblas", NULL},
     {"", "scipy_", NULL},
     {"", "64_", "_64", NULL},
     "openblas_get_num_threads",
     "openblas_set_num_threads",
     "blas_thread_shutdown_",
     get_int,
     set_int,
     describe_openblas},
    {"blis",
     {"libblis", "libblas", NULL},
     {"", NULL},
     {"", NULL},
     "bli_thread_get_num_threads",
     "bli_thread_set_num_threads",
     NULL,
     get_dim,
     set_dim,
     describe_blis},
    {"mkl",
     {"libmkl_rt", "mkl_rt", "libblas", NULL},
     {"", NULL},
     {"", NULL},
     "MKL_Get_Max_Threads",
     "MKL_Set_Num_Threads",
     NULL,
     get_int,
     set_int,
     describe_mkl},
    {"flexiblas",
     {"libflexiblas", NULL},
     {"", NULL},
     {"", NULL},
     "flexiblas_get_num_threads",
     "flexiblas_set_num_threads",
     NULL,
     get_int,
     set_int,
     describe_flexiblas},
};
#define N_VENDORS (sizeof vendors / sizeof vendors[0])

/* Fills f's decoration and controls from `handle` when it exports both
 * functions of vendor v under one decoration; 0 when it does. */
static int resolve(const vendor *v, void *handle, found *f)
{
    for (int p = 0; v->prefixes[p]; p++)
        for (int s = 0; v->suffixes[s]; s++) {
            *f = (found){.vendor = v,
                         .handle = handle,
                         .prefix = v->prefixes[p],
                         .suffix = v->suffixes[s]};
            f->get = sym(f, v->get_name);
            f->set = sym(f, v->set_name);
            if (f->get && f->set)
                return 0;
        }
    return -1;
}

static int has_file_prefix(const vendor *v, const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    for (int i = 0; v->files[i]; i++)
        if (strncmp(base, v->files[i], strlen(v->files[i])) == 0)
            return 1;
    return 0;
}

/* ------------------------------------------------------------ the walk */

/* The BLAS of a process; few enough for a fixed array. */
#define MAX_FOUND 8
typedef struct scan {
    found lib[MAX_FOUND];
    size_t n;
} scan;

typedef struct paths {
    char **path;
    size_t n, cap;
} paths;

/* dl_iterate_phdr's callback runs under the loader's lock, where dlopen
 * must not be called: it only collects the names. */
static int collect(struct dl_phdr_info *info, size_t size, void *data)
{
    paths *ps = data;
    (void)size;
    if (!info->dlpi_name || !info->dlpi_name[0])
        return 0;
    if (ps->n == ps->cap) {
        size_t cap = ps->cap ? 2 * ps->cap : 64;
        char **grown = realloc(ps->path, cap * sizeof *grown);
        if (!grown)
            return 1; /* out of memory: scan what we have */
        ps->path = grown;
        ps->cap = cap;
    }
    ps->path[ps->n] = strdup(info->dlpi_name);
    if (ps->path[ps->n])
        ps->n++;
    return 0;
}

static void add_found(scan *sc, const found *f, const char *path)
{
    if (sc->n == MAX_FOUND)
        return;
    sc->lib[sc->n] = *f;
    at__strlcpy(sc->lib[sc->n].path, path, sizeof sc->lib[sc->n].path);
    sc->n++;
}

/* The first vendor whose file name and symbols `path` has. */
static void try_library(scan *sc, const char *path)
{
    for (size_t v = 0; v < N_VENDORS && sc->n < MAX_FOUND; v++) {
        if (!has_file_prefix(&vendors[v], path))
            continue;
        void *h = dlopen(path, RTLD_LAZY | RTLD_NOLOAD);
        found f;
        if (h && resolve(&vendors[v], h, &f) == 0) {
            add_found(sc, &f, path);
            return;
        }
        if (h)
            dlclose(h);
    }
}

static int already_found(const scan *sc, const void *fn)
{
    for (size_t i = 0; i < sc->n; i++)
        if (sc->lib[i].get == fn)
            return 1;
    return 0;
}

/* What the global scope resolves and the walk did not see: a BLAS linked
 * statically into the program, or one the walk could not name. */
static void try_global_scope(scan *sc)
{
    for (size_t v = 0; v < N_VENDORS; v++) {
        found f;
        Dl_info where;
        if (resolve(&vendors[v], RTLD_DEFAULT, &f) != 0 ||
            already_found(sc, f.get))
            continue;
        int named = dladdr(f.get, &where) && where.dli_fname;
        add_found(sc, &f, named ? where.dli_fname : "(global scope)");
    }
}

/* Finds every BLAS now loaded, in load order. Rescanned at every call:
 * a program may load its BLAS (import numpy) after libautotune. */
static void scan_process(scan *sc)
{
    paths ps = {NULL, 0, 0};
    sc->n = 0;
    dl_iterate_phdr(collect, &ps);
    for (size_t i = 0; i < ps.n; i++) {
        try_library(sc, ps.path[i]);
        free(ps.path[i]);
    }
    free(ps.path);
    try_global_scope(sc);
}

static void scan_release(scan *sc)
{
    for (size_t i = 0; i < sc->n; i++)
        if (sc->lib[i].handle != RTLD_DEFAULT)
            dlclose(sc->lib[i].handle);
    sc->n = 0;
}

static void describe(const found *f, at_blas_info *b)
{
    memset(b, 0, sizeof *b);
    at__strlcpy(b->vendor, f->vendor->name, sizeof b->vendor);
    at__strlcpy(b->version, "unknown", sizeof b->version);
    at__strlcpy(b->corename, "unknown", sizeof b->corename);
    at__strlcpy(b->threading, "unknown", sizeof b->threading);
    at__strlcpy(b->path, f->path, sizeof b->path);
    f->vendor->describe(f, b);
    b->threads = f->vendor->get(f);
    if (b->max_threads < b->threads)
        b->max_threads = b->threads;
}

/* -------------------------------------------------------------- the API */

size_t at_blas_list(at_blas_info *out, size_t max)
{
    scan sc;
    scan_process(&sc);
    size_t n = sc.n;
    for (size_t i = 0; out && i < n && i < max; i++)
        describe(&sc.lib[i], &out[i]);
    scan_release(&sc);
    return n;
}

static at_status no_blas(at_error *err)
{
    return at__fail(err, AT_ERR_NOBLAS,
                    "no OpenBLAS, BLIS, MKL or FlexiBLAS is loaded in this "
                    "process");
}

at_status at_blas_get_threads(int *threads, at_error *err)
{
    AT_REQUIRE(threads, err);
    scan sc;
    scan_process(&sc);
    if (sc.n == 0)
        return no_blas(err);
    *threads = sc.lib[0].vendor->get(&sc.lib[0]);
    scan_release(&sc);
    return AT_OK;
}

at_status at_blas_set_threads(int threads, at_error *err)
{
    if (threads < 1 || threads > AT_MAX_THREADS)
        return at__fail(err, AT_ERR_ARG,
                        "blas_threads must be from 1 to %d, got %d",
                        AT_MAX_THREADS, threads);
    scan sc;
    scan_process(&sc);
    if (sc.n == 0)
        return no_blas(err);
    for (size_t i = 0; i < sc.n; i++) {
        sc.lib[i].vendor->set(&sc.lib[i], threads);
        at__verbose("%s threads set to %d (%s)", sc.lib[i].vendor->name,
                    threads, sc.lib[i].path);
    }
    scan_release(&sc);
    return AT_OK;
}

void at__blas_stop_threads(void)
{
    scan sc;
    scan_process(&sc);
    for (size_t i = 0; i < sc.n; i++) {
        const vendor *v = sc.lib[i].vendor;
        int (*stop)(void) = v->stop_name
                                ? (int (*)(void))sym(&sc.lib[i], v->stop_name)
                                : NULL;
        if (stop) /* a second copy of the same library finds none left */
            stop();
    }
    scan_release(&sc);
}

void at__blas_identify(at_machine *m)
{
    at_blas_info b[MAX_FOUND];
    size_t n = at_blas_list(b, MAX_FOUND);
    for (size_t i = 0; i < n && i < MAX_FOUND; i++)
        at__verbose("BLAS %zu: %s %s, %s, %s, %d threads, %s", i + 1,
                    b[i].vendor, b[i].version, b[i].corename, b[i].threading,
                    b[i].threads, b[i].path);
    if (n == 0) {
        at__verbose("no BLAS loaded in this process");
        memset(&b[0], 0, sizeof b[0]);
        at__strlcpy(b[0].vendor, "none", sizeof b[0].vendor);
        at__strlcpy(b[0].version, "unknown", sizeof b[0].version);
        at__strlcpy(b[0].corename, "unknown", sizeof b[0].corename);
        at__strlcpy(b[0].threading, "unknown", sizeof b[0].threading);
    }
    /* the process's identity is the first BLAS it loaded */
    at__strlcpy(m->blas_vendor, b[0].vendor, sizeof m->blas_vendor);
    at__strlcpy(m->blas_version, b[0].version, sizeof m->blas_version);
    at__strlcpy(m->blas_corename, b[0].corename, sizeof m->blas_corename);
    at__strlcpy(m->blas_threading, b[0].threading, sizeof m->blas_threading);
    m->blas_max_threads = b[0].max_threads;
}
