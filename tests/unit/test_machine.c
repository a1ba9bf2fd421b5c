/* test_machine.c - usable CPUs (affinity, synthetic cgroup trees),
 * fingerprint stability, detection. */
#include "config.h"

#include "testutil.h"

#include "internal.h"

#include <ctype.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Writes `content` to root/rel, creating directories on the way. */
static void put_file(const char *root, const char *rel, const char *content)
{
    char path[4200], cmd[4300];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    snprintf(cmd, sizeof cmd, "mkdir -p \"$(dirname '%s')\"", path);
    assert_int_equal(system(cmd), 0);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(content, f);
    fclose(f);
}

/* Synthetic cgroup trees: {files, /proc/self/cgroup, CPUs (0 = no cap)}. */
static void test_cgroup_limits_table(void **state)
{
    (void)state;
    static const struct {
        const char *files[6][2];
        const char *proc;
        int want;
    } cases[] = {
        /* v2, no limit anywhere */
        {{{"cpu.max", "max 100000\n"}}, "0::/\n", 0},
        /* v2, 1.5 CPUs on our group: rounds up */
        {{{"app/cpu.max", "150000 100000\n"}}, "0::/app\n", 2},
        /* v2, limit on an ancestor applies; the tighter one wins */
        {{{"a/cpu.max", "100000 100000\n"}, {"a/b/cpu.max", "max 100000\n"}},
         "0::/a/b\n",
         1},
        {{{"a/cpu.max", "400000 100000\n"},
          {"a/b/cpu.max", "300000 100000\n"}},
         "0::/a/b\n",
         3},
        /* v1, cpu,cpuacct joint mount */
        {{{"cpu,cpuacct/job/cpu.cfs_quota_us", "200000\n"},
          {"cpu,cpuacct/job/cpu.cfs_period_us", "100000\n"}},
         "4:memory:/x\n3:cpu,cpuacct:/job\n",
         2},
        /* v1, unlimited quota */
        {{{"cpu/cpu.cfs_quota_us", "-1\n"},
          {"cpu/cpu.cfs_period_us", "100000\n"}},
         "2:cpu:/\n",
         0},
        /* v1: 'cpuset' is not 'cpu' */
        {{{"cpuset/cpu.cfs_quota_us", "100000\n"},
          {"cpuset/cpu.cfs_period_us", "100000\n"}},
         "5:cpuset:/\n",
         0},
        /* garbage and missing files are no limit */
        {{{"cpu.max", "lots\n"}}, "0::/\n", 0},
        {{{NULL, NULL}}, "0::/nowhere\n", 0},
        {{{NULL, NULL}}, "", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *root = make_temp_dir();
        for (int f = 0; f < 6 && cases[i].files[f][0]; f++)
            put_file(root, cases[i].files[f][0], cases[i].files[f][1]);
        int got = at__cgroup_cpu_limit(root, cases[i].proc);
        if (got != cases[i].want)
            print_error("case %zu: got %d, want %d\n", i, got, cases[i].want);
        assert_int_equal(got, cases[i].want);
        rm_tree(root);
        free(root);
    }
}

static at_machine reference_machine(void)
{
    at_machine m;
    memset(&m, 0, sizeof m);
    strcpy(m.host, "node17");
    strcpy(m.cpu_model, "AMD EPYC");
    strcpy(m.arch, "x86_64");
    m.usable_cpus = 2;
    m.cores = 2;
    m.sockets = 1;
    m.numa_nodes = 1;
    m.l1d_kb = 32;
    m.l2_kb = 1024;
    m.l3_kb = 32768;
    strcpy(m.blas_vendor, "openblas");
    strcpy(m.blas_version, "0.3.21");
    strcpy(m.blas_corename, "Cooperlake");
    strcpy(m.blas_threading, "pthreads");
    m.blas_max_threads = 64;
    return m;
}

/* The fingerprint of a fixed identity is a constant of the format: the
 * example profiles carry it, and a change would orphan every profile. */
static void test_fingerprint_is_stable(void **state)
{
    (void)state;
    at_machine m = reference_machine();
    at_machine_fingerprint(&m);
    assert_string_equal(m.fingerprint, "dea336c7b55e3339");
    /* informational fields do not count */
    strcpy(m.host, "elsewhere");
    m.blas_max_threads = 8;
    at_machine_fingerprint(&m);
    assert_string_equal(m.fingerprint, "dea336c7b55e3339");
}

static void test_fingerprint_covers_identity(void **state)
{
    (void)state;
    const at_machine base = reference_machine();
    at_machine a = base;
    at_machine_fingerprint(&a);
    for (int field = 0; field < 13; field++) {
        at_machine b = base;
        switch (field) {
        case 0: strcpy(b.cpu_model, "AMD EPYC 2"); break;
        case 1: strcpy(b.arch, "aarch64"); break;
        case 2: b.usable_cpus = 1; break;
        case 3: b.cores = 4; break;
        case 4: b.sockets = 2; break;
        case 5: b.numa_nodes = 2; break;
        case 6: b.l1d_kb = 48; break;
        case 7: b.l2_kb = 512; break;
        case 8: b.l3_kb = 16384; break;
        case 9: strcpy(b.blas_vendor, "blis"); break;
        case 10: strcpy(b.blas_version, "0.3.26"); break;
        case 11: strcpy(b.blas_corename, "Zen"); break;
        case 12: strcpy(b.blas_threading, "openmp"); break;
        }
        at_machine_fingerprint(&b);
        assert_string_not_equal(a.fingerprint, b.fingerprint);
    }
}

static void test_detect(void **state)
{
    (void)state;
    at_machine m;
    at_error err;
    assert_at_ok(at_machine_detect(&m, &err), &err);
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    assert_true(m.usable_cpus >= 1 && m.usable_cpus <= online);
    assert_int_equal(m.usable_cpus, at_usable_cpus());
    assert_true(m.cores >= 1 && m.sockets >= 1 && m.numa_nodes >= 1);
    assert_int_equal(strlen(m.fingerprint), AT_FINGERPRINT_LEN);
    for (int i = 0; i < AT_FINGERPRINT_LEN; i++)
        assert_true(isxdigit((unsigned char)m.fingerprint[i]));
    at_machine again = m;
    at_machine_fingerprint(&again);
    assert_string_equal(again.fingerprint, m.fingerprint);
    assert_true(m.cpu_model[0] && m.arch[0]);
}

/* Under an affinity mask of one CPU (as `taskset -c 0`), the machine has
 * one usable CPU and so a different fingerprint. */
static void test_affinity_limits_usable_cpus(void **state)
{
    (void)state;
    at_machine full;
    assert_at_ok(at_machine_detect(&full, NULL), NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        cpu_set_t one;
        CPU_ZERO(&one);
        sched_getaffinity(0, sizeof one, &one);
        int first = 0;
        while (!CPU_ISSET(first, &one))
            first++;
        CPU_ZERO(&one);
        CPU_SET(first, &one);
        if (sched_setaffinity(0, sizeof one, &one) != 0)
            _exit(2);
        at_machine m;
        if (at_machine_detect(&m, NULL) != AT_OK || m.usable_cpus != 1)
            _exit(3);
        if (full.usable_cpus > 1 &&
            strcmp(m.fingerprint, full.fingerprint) == 0)
            _exit(4);
        _exit(0);
    }
    assert_child_succeeded(pid);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cgroup_limits_table),
        cmocka_unit_test(test_fingerprint_is_stable),
        cmocka_unit_test(test_fingerprint_covers_identity),
        cmocka_unit_test(test_detect),
        cmocka_unit_test(test_affinity_limits_usable_cpus),
    };
    return cmocka_run_group_tests_name("machine", tests, NULL, NULL);
}
