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

/* apply with one worker: the caller is the worker (BLAS threads, and with
 * pin=cores its first CPUs); run in a child so the test keeps its mask. */
static void test_apply(void **state)
{
    (void)state;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        at_config c = AT_CONFIG_INIT(1, AT_MODE_PROCESS, 3, 1, 1,
                                     AT_TRANSPORT_SHM, AT_PIN_NONE);
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

/* The seed thread's bug: a library pins the parent, and every worker it
 * forks inherits one CPU. Applying a 2-worker pinned configuration must
 * leave the parent's mask alone; each forked worker applies its own part
 * and runs on its own CPU. */
static void test_pinned_pool_parent_unpinned(void **state)
{
    (void)state;
    if (at_usable_cpus() < 2)
        skip(); /* one CPU: two workers cannot differ */
    at_config c = AT_CONFIG_INIT(2, AT_MODE_PROCESS, 1, 1, 1,
                                 AT_TRANSPORT_SHM, AT_PIN_CORES);
    cpu_set_t before, after;
    sched_getaffinity(0, sizeof before, &before);
    assert_at_ok(at_config_apply(&c, NULL), NULL);
    sched_getaffinity(0, sizeof after, &after);
    assert_true(CPU_EQUAL(&before, &after));
    assert_int_equal(openblas_get_num_threads(), 1);
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid[2];
    for (int i = 0; i < 2; i++) {
        pid[i] = fork();
        assert_true(pid[i] >= 0);
        if (pid[i] == 0) {
            int cpu = -1, want, n;
            if (at_worker_apply(&c, i, NULL) == AT_OK &&
                at_worker_cpus(&c, i, NULL, 0, &want, 1, &n, NULL) == AT_OK &&
                n == 1)
                cpu = sched_getcpu() == want ? want : -2;
            _exit(write(fds[1], &cpu, sizeof cpu) == sizeof cpu ? 0 : 1);
        }
    }
    int cpu[2];
    for (int i = 0; i < 2; i++) {
        assert_child_succeeded(pid[i]);
        assert_int_equal(read(fds[0], &cpu[i], sizeof cpu[i]), sizeof cpu[i]);
        assert_true(cpu[i] >= 0); /* on the CPU at_worker_cpus names */
    }
    close(fds[0]);
    close(fds[1]);
    assert_int_not_equal(cpu[0], cpu[1]);
    sched_getaffinity(0, sizeof after, &after);
    assert_true(CPU_EQUAL(&before, &after));
}

/* The sets are disjoint, in mask order, and empty when unpinned. */
static void test_worker_cpus(void **state)
{
    (void)state;
    int n = at_usable_cpus(), cpus[4], count = -1;
    at_config c = AT_CONFIG_INIT(2, AT_MODE_PROCESS, 1, 1, 1,
                                 AT_TRANSPORT_SHM, AT_PIN_NONE);
    assert_at_ok(at_worker_cpus(&c, 1, NULL, 0, cpus, 4, &count, NULL), NULL);
    assert_int_equal(count, 0);
    c.pin = AT_PIN_CORES;
    int first[4], second[4], n0, n1;
    assert_at_ok(at_worker_cpus(&c, 0, NULL, 0, first, 4, &n0, NULL), NULL);
    assert_at_ok(at_worker_cpus(&c, 1, NULL, 0, second, 4, &n1, NULL), NULL);
    assert_int_equal(n0, 1);
    assert_int_equal(n1, 1);
    if (n >= 2)
        assert_true(first[0] < second[0]);
    at_error err;
    assert_int_equal(at_worker_cpus(&c, 2, NULL, 0, cpus, 4, &count, &err),
                     AT_ERR_ARG);
    assert_string_equal(err.message,
                        "worker index must be from 0 to 1, got 2");
    /* a given mask: two threads each, in its order, wrapping */
    static const int mask[] = {4, 5, 6};
    c.blas_threads = 2;
    assert_at_ok(at_worker_cpus(&c, 0, mask, 3, cpus, 4, &count, NULL), NULL);
    assert_int_equal(count, 2);
    assert_int_equal(cpus[0], 4);
    assert_int_equal(cpus[1], 5);
    assert_at_ok(at_worker_cpus(&c, 1, mask, 3, cpus, 4, &count, NULL), NULL);
    assert_int_equal(count, 2);
    assert_int_equal(cpus[0], 4);
    assert_int_equal(cpus[1], 6);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_set_then_get),
        cmocka_unit_test(test_identify),
        cmocka_unit_test(test_apply),
        cmocka_unit_test(test_pinned_pool_parent_unpinned),
        cmocka_unit_test(test_worker_cpus),
    };
    return cmocka_run_group_tests_name("blas", tests, NULL, NULL);
}
