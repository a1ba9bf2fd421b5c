/* test_blasfind.c - BLAS discovery on every vendor of the table, with
 * stand-in modules (fakeblas.c) loaded RTLD_LOCAL into a program that
 * links no BLAS: each is found by its file name and decorated symbols,
 * described as its vendor does, and set by at_blas_set_threads. A library
 * named like a BLAS without thread control is passed over. */
#include "config.h"

#include "testutil.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct fake {
    const char *file;  /* in $BUILDDIR/tests/unit/.libs */
    const char *get;   /* its thread getter, to confirm the setting */
    int returns_dim;   /* the getter returns BLIS's dim_t */
    at_blas_info want; /* path and threads are checked apart */
} fake;

static const fake fakes[] = {
    {"libscipy_openblas64_fake.so",
     "scipy_openblas_get_num_threads64_",
     0,
     {"openblas", "0.3.99.dev", "FakeCore", "openmp", 0, 32, ""}},
    {"libblas_fake64.so",
     "openblas_get_num_threads_64",
     0,
     {"openblas", "0.3.99.dev", "FakeCore", "openmp", 0, 32, ""}},
    {"libblis_fake.so",
     "bli_thread_get_num_threads",
     1,
     {"blis", "0.9.0", "zen3", "pthreads", 0, 7, ""}},
    {"libmkl_rt_fake.so",
     "MKL_Get_Max_Threads",
     0,
     {"mkl", "2023.2.0", "unknown", "tbb", 0, 7, ""}},
    {"libflexiblas_fake.so",
     "flexiblas_get_num_threads",
     0,
     {"flexiblas", "3.3.1", "OPENBLAS-OPENMP", "unknown", 0, 7, ""}},
};
#define N_FAKES (sizeof fakes / sizeof fakes[0])

static void *load(const char *file)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/tests/unit/.libs/%s", getenv("BUILDDIR"),
             file);
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h)
        fail_msg("dlopen %s: %s", path, dlerror());
    return h;
}

static int threads_of(void *handle, const fake *f)
{
    void *fn = dlsym(handle, f->get);
    assert_non_null(fn);
    return f->returns_dim ? (int)((long long (*)(void))fn)()
                          : ((int (*)(void))fn)();
}

static void check_info(const at_blas_info *got, const fake *f)
{
    assert_string_equal(got->vendor, f->want.vendor);
    assert_string_equal(got->version, f->want.version);
    assert_string_equal(got->corename, f->want.corename);
    assert_string_equal(got->threading, f->want.threading);
    assert_int_equal(got->max_threads, f->want.max_threads);
    assert_non_null(strstr(got->path, f->file));
}

/* Loads the fakes one by one: each is found last, in load order, and a
 * setting reaches every one loaded so far. */
static void test_every_vendor(void **state)
{
    (void)state;
    void *handle[N_FAKES];
    at_blas_info info[N_FAKES + 1];
    assert_int_equal(at_blas_list(NULL, 0), 0);
    for (size_t i = 0; i < N_FAKES; i++) {
        handle[i] = load(fakes[i].file);
        assert_int_equal(at_blas_list(info, N_FAKES + 1), i + 1);
        check_info(&info[i], &fakes[i]);
        assert_int_equal(info[i].threads, threads_of(handle[i], &fakes[i]));
        assert_at_ok(at_blas_set_threads((int)i + 2, NULL), NULL);
        for (size_t j = 0; j <= i; j++)
            assert_int_equal(threads_of(handle[j], &fakes[j]), (int)i + 2);
    }
    int first;
    assert_at_ok(at_blas_get_threads(&first, NULL), NULL);
    assert_int_equal(first, (int)N_FAKES + 1);
    at_machine m;
    assert_at_ok(at_machine_detect(&m, NULL), NULL);
    assert_string_equal(m.blas_vendor, "openblas"); /* the first loaded */
    assert_string_equal(m.blas_corename, "FakeCore");
}

/* libblas.so.3 may be the reference BLAS: no thread control, no BLAS. */
static void test_decoy_is_not_a_blas(void **state)
{
    (void)state;
    size_t before = at_blas_list(NULL, 0);
    void *h = load("libblas_decoy.so");
    assert_non_null(dlsym(h, "dgemm_"));
    assert_int_equal(at_blas_list(NULL, 0), before);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_vendor),
        cmocka_unit_test(test_decoy_is_not_a_blas),
    };
    return cmocka_run_group_tests_name("blasfind", tests, NULL, NULL);
}
