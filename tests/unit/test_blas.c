/* test_blas.c - BLAS control in a program linked with OpenBLAS. */
#include "config.h"

#include "testutil.h"

#include <cblas.h>
#include <sched.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void test_set_then_get(void **state)
{
    (void)state;
    for (int n = 1; n <= 4; n++) {
        int got = 0;
        at_error err;
        assert_at_ok(at_blas_set_threads(n, &err), &err);
        assert_at_ok(at_blas_get_threads(&got, &err), &err);
        assert_int_equal(got, n);
        assert_int_equal(openblas_get_num_threads(), n);
    }
    assert_int_equal(at_blas_set_threads(0, NULL), AT_ERR_ARG);
}

static void test_identify(void **state)
{
    (void)state;
    at_machine m;
    assert_at_ok(at_machine_detect(&m, NULL), NULL);
    assert_string_equal(m.blas_vendor, "openblas");
    assert_string_equal(m.blas_threading, "pthreads");
    assert_true(strncmp(m.blas_version, "0.", 2) == 0);
    assert_string_not_equal(m.blas_corename, "unknown");
    assert_true(m.blas_max_threads >= 1);
}

/* apply sets the BLAS threads, and with pin=cores binds the process to
 * that many CPUs; run in a child so the test process keeps its mask. */
static void test_apply(void **state)
{
    (void)state;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        at_config c = {1, AT_MODE_PROCESS, 3, 1, 1, AT_TRANSPORT_SHM,
                       AT_PIN_NONE};
        cpu_set_t before, after;
        sched_getaffinity(0, sizeof before, &before);
        if (at_config_apply(&c, NULL) != AT_OK ||
            openblas_get_num_threads() != 3)
            _exit(2);
        sched_getaffinity(0, sizeof after, &after);
        if (!CPU_EQUAL(&before, &after))
            _exit(3); /* pin none leaves the mask alone */
        c.blas_threads = 1;
        c.pin = AT_PIN_CORES;
        if (at_config_apply(&c, NULL) != AT_OK ||
            openblas_get_num_threads() != 1)
            _exit(4);
        sched_getaffinity(0, sizeof after, &after);
        if (CPU_COUNT(&after) != 1)
            _exit(5);
        c.workers = 0;
        if (at_config_apply(&c, NULL) != AT_ERR_ARG)
            _exit(6);
        _exit(0);
    }
    assert_child_succeeded(pid);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_set_then_get),
        cmocka_unit_test(test_identify),
        cmocka_unit_test(test_apply),
    };
    return cmocka_run_group_tests_name("blas", tests, NULL, NULL);
}
