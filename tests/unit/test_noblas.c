/* test_noblas.c - a program with no BLAS gets a status, not a crash. */
#include "config.h"

#include "testutil.h"

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
    at_config c = {1, AT_MODE_PROCESS, 2, 1, 1, AT_TRANSPORT_SHM,
                   AT_PIN_NONE};
    assert_int_equal(at_config_apply(&c, &err), AT_ERR_NOBLAS);
    at_machine m;
    assert_at_ok(at_machine_detect(&m, &err), &err);
    assert_string_equal(m.blas_vendor, "none");
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_no_blas)};
    return cmocka_run_group_tests_name("noblas", tests, NULL, NULL);
}
