/* tuned_job.c - a C program of one's own, tuned by `autotune --command`
 * and run in the answer with libautotune.
 *
 *   cc tuned_job.c -o tuned_job $(pkg-config --cflags --libs autotune) \
 *      -lopenblas
 *   autotune --command './tuned_job {size} {items}' --workload mygemm \
 *            --size 300 --items 16
 *   ./tuned_job 300 16        # now runs in the tuned configuration
 *
 * Each of ITEMS tasks multiplies a SIZE x SIZE matrix by itself. Inside a
 * tuning run the configuration being tried comes from the environment
 * (at_config_from_env); otherwise from the profile (at_profile_query).
 * The job runs on the library's pool, its time (without start-up) is
 * printed as `autotune-seconds: X`, so the tuner measures the work only. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime under -std=c11 */

#include <autotune.h>
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* One task: out = in * in, n x n. */
static int square(const void *in, void *out, const void *arg)
{
    int n = *(const int *)arg;
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0, in,
                n, in, n, 0.0, out, n);
    return 0;
}

/* The configuration to run in: the tuner's, else the profile's answer. */
static at_status configure(long size, long items, at_config *c, at_error *err)
{
    char path[4096];
    at_profile *profile = NULL;
    at_machine me;
    at_query_result r;
    if (at_config_from_env("mygemm", c, NULL) == AT_OK)
        return AT_OK;
    at_status s = at_machine_detect(&me, err);
    if (s == AT_OK && at_profile_find(path, sizeof path, NULL) == AT_OK)
        s = at_profile_load(path, &profile, err);
    if (s == AT_OK)
        s = at_profile_query(profile, &me, "mygemm", size, items, &r, err);
    if (s == AT_OK)
        *c = r.config;
    at_profile_free(profile);
    return s;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 300;
    long items = argc > 2 ? atol(argv[2]) : 16;
    size_t bytes = (size_t)n * n * sizeof(double);
    at_config c = {0};
    at_error err;
    if (n < 1 || items < 1) {
        fprintf(stderr, "usage: tuned_job SIZE ITEMS\n");
        return 2;
    }
    at_pool *pool = NULL;
    double *in = NULL, *out = NULL;
    char msg[512];
    at_status s = configure(n, items, &c, &err);
    if (s == AT_OK)
        s = at_buffer_alloc(items * bytes, (void **)&in, &err);
    if (s == AT_OK)
        s = at_buffer_alloc(items * bytes, (void **)&out, &err);
    for (size_t i = 0; s == AT_OK && i < items * (size_t)n * n; i++)
        in[i] = (double)(i % 7) / 7.0;
    if (s == AT_OK)
        s = at_pool_create(&c, &pool, &err); /* start-up: not timed */
    at_job job = {.kind = AT_KIND_BATCH,
                  .item = square,
                  .arg = &n,
                  .arg_bytes = sizeof n,
                  .in = in,
                  .out = out,
                  .in_bytes = bytes,
                  .out_bytes = bytes,
                  .count = items,
                  .chunk_size = c.chunk_size,
                  .partitions = 1};
    double t0 = now();
    if (s == AT_OK)
        s = at_pool_run(pool, &job, NULL, &err);
    if (s == AT_OK)
        printf("autotune-seconds: %.6f\n", now() - t0);
    else
        fprintf(stderr, "tuned_job: %s\n",
                at_error_format(&err, msg, sizeof msg));
    at_pool_free(pool);
    at_buffer_free(in);
    at_buffer_free(out);
    return s == AT_OK ? 0 : 1;
}
