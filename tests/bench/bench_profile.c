/* bench_profile.c - what a program pays to use a profile.
 *
 * Prints, measured in this run (medians over repetitions, so a noisy
 * shared machine does not decide the figure):
 *   - load time of a profile of 1,000 entries (target: under 10 ms);
 *   - query cost after load, by source (target: under 1 microsecond for an
 *     exact entry, the common case once a machine is tuned);
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
    for (int i = 0; i < 1000; i++) {
        const char *w = workloads[i % 4];
        int vector = i % 4 == 3;
        at_entry e = {100 + 10 * (i / 4), vector ? 1 : 4 + i % 3 * 8,
                      0.5 + i * 1e-3, 0.02, "2026-01-01T00:00:00Z",
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
    at_machine stranger = m;
    strcpy(stranger.fingerprint, "0000000000000000");
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
    at_machine vm = at_profile_machine_at(model, 0)->machine;
    long msize[1] = {1500}, mitems[1] = {16};
    double modelq = time_query(model, &vm, "svd", msize, mitems, 1, 20000,
                               AT_SOURCE_MODEL);
    printf("query, model over the search space (%zu configs): %.0f ns\n",
           at_space_enumerate(AT_KIND_BATCH, 16, 2, 0, NULL, 0),
           modelq * 1e9);

    at_profile_free(p);
    at_profile_free(loaded);
    at_profile_free(model);
    unlink(path);
    rmdir(dir);
    return 0;
}
