/* bench_profile.c - what a program pays to use a profile.
 *
 * Prints, measured in this run (medians over repetitions, so a noisy
 * shared machine does not decide the figure):
 *   - load time of a profile of 1,000 entries (target: under 10 ms);
 *   - query cost after load, by source (target: under 1 microsecond for an
 *     exact entry, the common case once a machine is tuned);
 *   - the cost of a model query (the fitted model ranked over the search
 *     space) on machines of 2 to 4096 usable CPUs, for a batch and a
 *     vector job (target: under 20 microseconds at 256 CPUs), and the peak
 *     memory one such query adds at 4096 CPUs (target: under 10 MB);
 * and each figure's ratio to its target. Run with `make bench`. */
#include "config.h"

#include "autotune.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void die(const char *what, const at_error *err)
{
    char msg[1024];
    fprintf(stderr, "bench: %s: %s\n", what,
            at_error_format(err, msg, sizeof msg));
    exit(1);
}

/* A machine of 2 CPUs with 1,000 entries over the four workloads. */
static at_profile *big_profile(at_machine *m)
{
    static const char *const workloads[] = {"inv", "svd", "gemm", "exp"};
    at_profile *p;
    at_error err;
    memset(m, 0, sizeof *m);
    strcpy(m->cpu_model, "Bench CPU");
    strcpy(m->arch, "x86_64");
    m->usable_cpus = 2;
    m->cores = m->sockets = m->numa_nodes = 1;
    m->cores = 2;
    strcpy(m->blas_vendor, "openblas");
    strcpy(m->blas_version, "0.3.21");
    strcpy(m->blas_corename, "Haswell");
    strcpy(m->blas_threading, "pthreads");
    at_machine_fingerprint(m);
    if (at_profile_new(&p, &err) || at_profile_add_machine(p, m, &err))
        die("build", &err);
    for (int i = 0; i < 4; i++)
        if (at_profile_add_workload(p, m->fingerprint, workloads[i],
                                    i == 3 ? AT_KIND_VECTOR : AT_KIND_BATCH,
                                    &err))
            die("workload", &err);
    for (int i = 0; i < 1000; i++) {
        const char *w = workloads[i % 4];
        int vector = i % 4 == 3;
        at_entry e = {100 + 10 * (i / 4),
                      vector ? 1 : 4 + i % 3 * 8,
                      0.5 + i * 1e-3,
                      0.02,
                      "2026-01-01T00:00:00Z",
                      {2, AT_MODE_PROCESS, 1, 1, vector ? 8 : 1,
                       AT_TRANSPORT_SHM, AT_PIN_CORES},
                      {1.0, 1.9, 1.1, 0.6}};
        if (at_profile_set_entry(p, m->fingerprint, w, &e, &err))
            die("entry", &err);
    }
    return p;
}

static double time_load(const char *path, int reps)
{
    double t[64];
    for (int r = 0; r < reps; r++) {
        at_profile *p;
        at_error err;
        double t0 = now();
        if (at_profile_load(path, &p, &err) != AT_OK)
            die("load", &err);
        t[r] = now() - t0;
        at_profile_free(p);
    }
    return median(t, reps);
}

/* Seconds per query, median of 7 runs of n queries cycling over sizes. */
static double time_query(const at_profile *p, const at_machine *m,
                         const char *workload, const long *sizes,
                         const long *items, int kinds, int n,
                         at_source expect)
{
    double t[7];
    for (int r = 0; r < 7; r++) {
        double t0 = now();
        for (int i = 0; i < n; i++) {
            at_query_result q;
            int k = i % kinds;
            if (at_profile_query(p, m, workload, sizes[k], items[k], &q,
                                 NULL) != AT_OK ||
                q.source != expect) {
                fprintf(stderr, "bench: query gave %s\n",
                        at_source_name(q.source));
                exit(1);
            }
        }
        t[r] = (now() - t0) / n;
    }
    return median(t, 7);
}

/* ------------------------------------------------ model query by CPUs */

/* The example profile's svd model and costs (data/examples/with-model.yaml),
 * and an exp model as the tuner fits one on a single size: ref_size the
 * size tuned, exponent fixed at 1, no BLAS parallelism, the dispatch and
 * spread figures of data/profile-format.md. */
static const double svd_params[] = {1000, 0.47, 2.9,  0.62, 0.04,
                                    0.15, 1.12, 0.97, 2e-4};
static const double exp_params[] = {1e7, 0.0156, 1,   0,     0.05,
                                    0.3, 1.05,   0.3, 2.8e-4};

/* A model from its parameters, in at_model_param_name's order. */
static at_model *model_of(const double *params)
{
    at_model *m;
    at_error err;
    if (at_model_new(&m, &err))
        die("model", &err);
    for (size_t i = 0; i < at_model_param_count(); i++)
        if (at_model_set(m, at_model_param_name(i), params[i], &err))
            die("model", &err);
    return m;
}
static const at_machine_costs example_costs = {
    {18.5, 1.9}, {9.2, 0}, {1.1, 0}, 650, 35};

/* The jobs of the table: neither has an entry, so the model answers. */
#define BATCH_SIZE 1000L
#define BATCH_ITEMS 1000L
#define VECTOR_SIZE 10000000L

/* A profile with one machine of `cpus` usable CPUs, fitted models for svd
 * and exp and measured costs; *m is that machine. */
static at_profile *model_profile(int cpus, at_machine *m)
{
    at_profile *p;
    at_error err;
    memset(m, 0, sizeof *m);
    strcpy(m->cpu_model, "Bench CPU");
    strcpy(m->arch, "x86_64");
    m->usable_cpus = cpus;
    m->cores = cpus;
    m->sockets = m->numa_nodes = 1;
    strcpy(m->blas_vendor, "openblas");
    strcpy(m->blas_version, "0.3.21");
    strcpy(m->blas_corename, "Haswell");
    strcpy(m->blas_threading, "pthreads");
    at_machine_fingerprint(m); /* usable_cpus is part of the identity */
    at_model *svd = model_of(svd_params), *exp = model_of(exp_params);
    if (at_profile_new(&p, &err) || at_profile_add_machine(p, m, &err) ||
        at_profile_set_costs(p, m->fingerprint, &example_costs, &err) ||
        at_profile_add_workload(p, m->fingerprint, "svd", AT_KIND_BATCH,
                                &err) ||
        at_profile_add_workload(p, m->fingerprint, "exp", AT_KIND_VECTOR,
                                &err) ||
        at_profile_set_model(p, m->fingerprint, "svd", svd, &err) ||
        at_profile_set_model(p, m->fingerprint, "exp", exp, &err))
        die("model profile", &err);
    at_model_free(svd);
    at_model_free(exp);
    return p;
}

/* Seconds of one model query: time_query's median of 7 runs, each of as
 * many queries as fill about 2 ms (one, when a query takes longer). */
static double time_model_query(const at_profile *p, const at_machine *m,
                               const char *workload, long size, long items)
{
    long sizes[1] = {size}, counts[1] = {items};
    double first =
        time_query(p, m, workload, sizes, counts, 1, 1, AT_SOURCE_MODEL);
    int n = first > 2e-3 ? 1 : (int)(2e-3 / (first > 1e-7 ? first : 1e-7));
    return time_query(p, m, workload, sizes, counts, 1, n, AT_SOURCE_MODEL);
}

/* Peak heap memory one query adds. A child's ru_maxrss cannot show it:
 * fork copies the parent's high-water mark, and a block freed (unmapped)
 * before the query returns need not raise it. So the program's malloc
 * family forwards to glibc's and, while `counting`, keeps the bytes
 * allocated less the bytes freed, and their peak; being defined in the
 * program, it also receives libautotune's calls. */
#ifdef __GLIBC__
#include <malloc.h>

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *old, size_t size);
extern void __libc_free(void *block);

static int counting;
static long live, peak;

static void count(void *block, int sign)
{
    if (!counting || !block)
        return;
    live += sign * (long)malloc_usable_size(block);
    if (live > peak)
        peak = live;
}

void *malloc(size_t size)
{
    void *block = __libc_malloc(size);
    count(block, 1);
    return block;
}

void *calloc(size_t n, size_t size)
{
    void *block = __libc_calloc(n, size);
    count(block, 1);
    return block;
}

void *realloc(void *old, size_t size)
{
    count(old, -1);
    void *block = __libc_realloc(old, size);
    /* NULL with size 0 freed `old`; NULL otherwise left it alone */
    count(block ? block : size > 0 ? old : NULL, 1);
    return block;
}

void free(void *block)
{
    count(block, -1);
    __libc_free(block);
}

/* Bytes of heap one query holds at its peak, or -1 if unknown. */
static long query_peak_bytes(const at_profile *p, const at_machine *m,
                             const char *workload, long size, long items)
{
    at_query_result q;
    live = peak = 0;
    counting = 1;
    at_profile_query(p, m, workload, size, items, &q, NULL);
    counting = 0;
    return peak;
}
#else
static long query_peak_bytes(const at_profile *p, const at_machine *m,
                             const char *workload, long size, long items)
{
    (void)p, (void)m, (void)workload, (void)size, (void)items;
    return -1;
}
#endif

static void model_table(void)
{
    static const int cpus[] = {2, 16, 64, 256, 4096};
    printf("\nquery, model, by usable CPUs (median us per query; batch: svd "
           "size %ld, items %ld; vector: exp size %ld):\n",
           BATCH_SIZE, BATCH_ITEMS, VECTOR_SIZE);
    printf("%8s %14s %12s %14s %12s\n", "CPUs", "batch configs", "batch us",
           "vector configs", "vector us");
    for (size_t i = 0; i < sizeof cpus / sizeof cpus[0]; i++) {
        at_machine m;
        at_profile *p = model_profile(cpus[i], &m);
        double batch =
            time_model_query(p, &m, "svd", BATCH_SIZE, BATCH_ITEMS);
        double vector = time_model_query(p, &m, "exp", VECTOR_SIZE, 1);
        printf("%8d %14zu %12.2f %14zu %12.2f", cpus[i],
               at_space_enumerate(AT_KIND_BATCH, BATCH_SIZE, BATCH_ITEMS,
                                  cpus[i], 0, NULL, 0),
               batch * 1e6,
               at_space_enumerate(AT_KIND_VECTOR, VECTOR_SIZE, 1, cpus[i], 0,
                                  NULL, 0),
               vector * 1e6);
        if (cpus[i] == 256) {
            double worst = batch > vector ? batch : vector;
            printf("   (target < 20 us: %.2fx of the budget)", worst / 20e-6);
        }
        printf("\n");
        if (cpus[i] == 4096) {
            long b = query_peak_bytes(p, &m, "svd", BATCH_SIZE, BATCH_ITEMS);
            long v = query_peak_bytes(p, &m, "exp", VECTOR_SIZE, 1);
            long worst = b > v ? b : v;
            if (worst < 0)
                printf("peak memory of one model query: not measured "
                       "(needs glibc)\n");
            else
                printf("peak heap of one model query at 4096 CPUs: batch "
                       "%.1f KiB, vector %.1f KiB (target < 10 MB: %.4fx of "
                       "the budget)\n",
                       b / 1024.0, v / 1024.0, worst / 10e6);
        }
        at_profile_free(p);
    }
}

int main(void)
{
    at_machine m;
    at_profile *p = big_profile(&m);
    char dir[] = "/tmp/autotune-bench.XXXXXX", path[64];
    at_error err;
    if (!mkdtemp(dir))
        return 1;
    snprintf(path, sizeof path, "%s/profile.yaml", dir);
    if (at_profile_save(p, path, &err) != AT_OK)
        die("save", &err);
    FILE *f = fopen(path, "rb");
    fseek(f, 0, SEEK_END);
    long bytes = ftell(f);
    fclose(f);

    double load = time_load(path, 31);
    printf("load, 1000-entry profile (%ld KiB): %.3f ms median of 31 "
           "(target < 10 ms: %.2fx of the budget)\n",
           bytes / 1024, load * 1e3, load / 10e-3);

    at_profile *loaded;
    if (at_profile_load(path, &loaded, &err) != AT_OK)
        die("load", &err);
    long sizes[16], items[16];
    for (int k = 0; k < 16; k++) { /* svd entries are i = 4j + 1 */
        int i = 4 * (k * 15) + 1;
        sizes[k] = 100 + 10 * (i / 4);
        items[k] = 4 + i % 3 * 8;
    }
    double exact = time_query(loaded, &m, "svd", sizes, items, 16, 200000,
                              AT_SOURCE_ENTRY);
    printf("query, exact entry among 1000: %.0f ns median of 7 x 200000 "
           "(target < 1000 ns: %.2fx of the budget)\n",
           exact * 1e9, exact / 1e-6);
    long miss_sizes[1] = {99999}, miss_items[1] = {16};
    double nearest = time_query(loaded, &m, "svd", miss_sizes, miss_items, 1,
                                20000, AT_SOURCE_NEAREST);
    printf("query, nearest of 250 (no model): %.0f ns\n", nearest * 1e9);
    at_machine stranger = m; /* other hardware: a hardware match fails too */
    strcpy(stranger.cpu_model, "Other CPU");
    at_machine_fingerprint(&stranger);
    double fallback = time_query(loaded, &stranger, "svd", sizes, items, 16,
                                 200000, AT_SOURCE_FALLBACK);
    printf("query, no matching machine (fallback): %.0f ns\n",
           fallback * 1e9);

    at_profile *model;
    const char *src = getenv("SRCDIR");
    char mpath[4096];
    snprintf(mpath, sizeof mpath, "%s/data/examples/with-model.yaml",
             src ? src : ".");
    if (at_profile_load(mpath, &model, &err) != AT_OK)
        die("load model example", &err);
    at_machine vm =
        *at_machine_profile_machine(at_profile_machine_at(model, 0));
    long msize[1] = {1500}, mitems[1] = {16};
    double modelq = time_query(model, &vm, "svd", msize, mitems, 1, 20000,
                               AT_SOURCE_MODEL);
    printf("query, model over the search space (%zu configs): %.0f ns\n",
           at_space_enumerate(AT_KIND_BATCH, msize[0], mitems[0],
                              vm.usable_cpus, 0, NULL, 0),
           modelq * 1e9);
    model_table();

    at_profile_free(p);
    at_profile_free(loaded);
    at_profile_free(model);
    unlink(path);
    rmdir(dir);
    return 0;
}
