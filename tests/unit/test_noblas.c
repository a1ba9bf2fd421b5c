/* test_noblas.c - a program with no BLAS gets a status, not a crash; once
 * it loads OpenBLAS with RTLD_LOCAL (as CPython loads numpy's), the
 * library finds it, controls it, and the process has the fingerprint the
 * autotune program prints. */
#include "config.h"

#include "testutil.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_no_blas(void **state)
{
    (void)state;
    int threads = -7;
    at_error err;
    assert_int_equal(at_blas_get_threads(&threads, &err), AT_ERR_NOBLAS);
    assert_int_equal(threads, -7);
    assert_int_equal(err.code, AT_ERR_NOBLAS);
    assert_int_equal(at_blas_set_threads(2, &err), AT_ERR_NOBLAS);
    at_config c = AT_CONFIG_INIT(1, AT_MODE_PROCESS, 2, 1, 1,
                                 AT_TRANSPORT_SHM, AT_PIN_NONE);
    assert_int_equal(at_config_apply(&c, &err), AT_ERR_NOBLAS);
    at_machine m;
    assert_at_ok(at_machine_detect(&m, &err), &err);
    assert_string_equal(m.blas_vendor, "none");
    assert_int_equal(at_blas_list(NULL, 0), 0);
}

/* The fingerprint `autotune fingerprint` prints (the program links
 * OpenBLAS), read from its output. */
static void program_fingerprint(char *fp, size_t size)
{
    char cmd[4096], line[512];
    snprintf(cmd, sizeof cmd, "'%s' fingerprint", getenv("AUTOTUNE"));
    FILE *out = popen(cmd, "r");
    assert_non_null(out);
    fp[0] = '\0';
    while (fgets(line, sizeof line, out))
        if (sscanf(line, "- fingerprint: %16s", fp) == 1)
            break;
    pclose(out);
    assert_int_equal(strlen(fp), 16);
    (void)size;
}

static void test_dlopen_local(void **state)
{
    (void)state;
    void *h = dlopen("libopenblas.so.0", RTLD_NOW | RTLD_LOCAL);
    assert_non_null(h);
    /* what the library used to ask, and could not see */
    assert_null(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
    int (*get)(void) = (int (*)(void))dlsym(h, "openblas_get_num_threads");
    assert_non_null(get);
    for (int n = 1; n <= 3; n++) {
        int got = 0;
        assert_at_ok(at_blas_set_threads(n, NULL), NULL);
        assert_int_equal(get(), n);
        assert_at_ok(at_blas_get_threads(&got, NULL), NULL);
        assert_int_equal(got, n);
    }
    at_blas_info b;
    assert_int_equal(at_blas_list(&b, 1), 1);
    assert_string_equal(b.vendor, "openblas");
    assert_non_null(strstr(b.path, "openblas"));
    at_machine m;
    char want[32];
    assert_at_ok(at_machine_detect(&m, NULL), NULL);
    program_fingerprint(want, sizeof want);
    assert_string_equal(m.fingerprint, want);
}

int main(void)
{
    /* in this order: the second loads OpenBLAS for good */
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_no_blas),
                                       cmocka_unit_test(test_dlopen_local)};
    return cmocka_run_group_tests_name("noblas", tests, NULL, NULL);
}
