/* test_abi.c - the binary interface of libautotune, pinned (as hwloc's
 * tests/hwloc/hwloc_topology_abi.c pins its own): the size of every public
 * struct, the offset of every member, and the value of every public enum
 * constant, as a program built against this header sees them. A failure
 * here means a change to the public header breaks programs built against
 * the last release: follow the libtool bump rule in configure.ac (a new
 * soname) and update this table in the same commit. The figures are those
 * of LP64 Linux (x86_64, aarch64); other data models skip. */
#include "config.h"

#include "testutil.h"

#include <stddef.h>
#include <stdio.h>

#define SIZE(t, n)                                                           \
    {                                                                        \
#t, NULL, sizeof(t), n                                               \
    }
#define MEMBER(t, m, n)                                                      \
    {                                                                        \
#t, #m, offsetof(t, m), n                                            \
    }

typedef struct abi_row {
    const char *type, *member; /* member NULL: the struct's size */
    size_t got, want;
} abi_row;

static const abi_row layout[] = {
    SIZE(at_error, 844),
    MEMBER(at_error, code, 0),
    MEMBER(at_error, message, 4),
    MEMBER(at_error, file, 260),
    MEMBER(at_error, line, 772),
    MEMBER(at_error, column, 776),
    MEMBER(at_error, key, 780),
    SIZE(at_machine, 488),
    MEMBER(at_machine, fingerprint, 0),
    MEMBER(at_machine, host, 17),
    MEMBER(at_machine, cpu_model, 145),
    MEMBER(at_machine, arch, 273),
    MEMBER(at_machine, usable_cpus, 308),
    MEMBER(at_machine, cores, 312),
    MEMBER(at_machine, sockets, 316),
    MEMBER(at_machine, numa_nodes, 320),
    MEMBER(at_machine, l1d_kb, 328),
    MEMBER(at_machine, l2_kb, 336),
    MEMBER(at_machine, l3_kb, 344),
    MEMBER(at_machine, blas_vendor, 352),
    MEMBER(at_machine, blas_version, 384),
    MEMBER(at_machine, blas_corename, 416),
    MEMBER(at_machine, blas_threading, 448),
    MEMBER(at_machine, blas_max_threads, 464),
    MEMBER(at_machine, hardware, 468),
    SIZE(at_blas_info, 632),
    MEMBER(at_blas_info, vendor, 0),
    MEMBER(at_blas_info, version, 32),
    MEMBER(at_blas_info, corename, 64),
    MEMBER(at_blas_info, threading, 96),
    MEMBER(at_blas_info, threads, 112),
    MEMBER(at_blas_info, max_threads, 116),
    MEMBER(at_blas_info, path, 120),
    SIZE(at_config, 28),
    MEMBER(at_config, workers, 0),
    MEMBER(at_config, mode, 4),
    MEMBER(at_config, blas_threads, 8),
    MEMBER(at_config, chunk_size, 12),
    MEMBER(at_config, partitions, 16),
    MEMBER(at_config, transport, 20),
    MEMBER(at_config, pin, 24),
    SIZE(at_transport_cost, 16),
    MEMBER(at_transport_cost, latency_us, 0),
    MEMBER(at_transport_cost, gbytes_per_s, 8),
    SIZE(at_machine_costs, 64),
    MEMBER(at_machine_costs, pipe, 0),
    MEMBER(at_machine_costs, shm, 16),
    MEMBER(at_machine_costs, thread, 32),
    MEMBER(at_machine_costs, process_start_us, 48),
    MEMBER(at_machine_costs, thread_start_us, 56),
    SIZE(at_baselines, 32),
    MEMBER(at_baselines, serial_default, 0),
    MEMBER(at_baselines, serial_1, 8),
    MEMBER(at_baselines, naive_pool, 16),
    MEMBER(at_baselines, joblib_rule, 24),
    SIZE(at_entry, 128),
    MEMBER(at_entry, size, 0),
    MEMBER(at_entry, items, 8),
    MEMBER(at_entry, seconds, 16),
    MEMBER(at_entry, spread, 24),
    MEMBER(at_entry, measured, 32),
    MEMBER(at_entry, best, 64),
    MEMBER(at_entry, baselines, 96),
    SIZE(at_sample, 64),
    MEMBER(at_sample, size, 0),
    MEMBER(at_sample, items, 8),
    MEMBER(at_sample, config, 16),
    MEMBER(at_sample, seconds, 48),
    MEMBER(at_sample, spread, 56),
    SIZE(at_query_result, 328),
    MEMBER(at_query_result, config, 0),
    MEMBER(at_query_result, source, 28),
    MEMBER(at_query_result, predicted_seconds, 32),
    MEMBER(at_query_result, entry, 40),
    MEMBER(at_query_result, reason, 48),
    MEMBER(at_query_result, match, 304),
    MEMBER(at_query_result, machine, 308),
    SIZE(at_job, 96),
    MEMBER(at_job, kind, 0),
    MEMBER(at_job, item, 8),
    MEMBER(at_job, span, 16),
    MEMBER(at_job, arg, 24),
    MEMBER(at_job, arg_bytes, 32),
    MEMBER(at_job, in, 40),
    MEMBER(at_job, out, 48),
    MEMBER(at_job, in_bytes, 56),
    MEMBER(at_job, out_bytes, 64),
    MEMBER(at_job, count, 72),
    MEMBER(at_job, chunk_size, 80),
    MEMBER(at_job, partitions, 84),
    MEMBER(at_job, deadline, 88),
    SIZE(at_job_stats, 56),
    MEMBER(at_job_stats, wall, 0),
    MEMBER(at_job_stats, transfer, 8),
    MEMBER(at_job_stats, compute, 16),
    MEMBER(at_job_stats, compute_max, 24),
    MEMBER(at_job_stats, wait, 32),
    MEMBER(at_job_stats, messages, 40),
    MEMBER(at_job_stats, bytes_copied, 48),
};

#define VALUE(c, n)                                                          \
    {                                                                        \
#c, NULL, (size_t)(c), n                                             \
    }

/* Enum constants are ABI too: a program passes and compares them. */
static const abi_row values[] = {
    VALUE(AT_OK, 0),
    VALUE(AT_ERR_NOMEM, 1),
    VALUE(AT_ERR_ARG, 2),
    VALUE(AT_ERR_IO, 3),
    VALUE(AT_ERR_SYNTAX, 4),
    VALUE(AT_ERR_PROFILE, 5),
    VALUE(AT_ERR_NOPROFILE, 6),
    VALUE(AT_ERR_NOMATCH, 7),
    VALUE(AT_ERR_NOBLAS, 8),
    VALUE(AT_ERR_SYSTEM, 9),
    VALUE(AT_ERR_WORKER, 10),
    VALUE(AT_ERR_TIMEOUT, 11),
    VALUE(AT_ERR_CANCELLED, 12),
    VALUE(AT_MODE_PROCESS, 0),
    VALUE(AT_MODE_THREAD, 1),
    VALUE(AT_TRANSPORT_PIPE, 0),
    VALUE(AT_TRANSPORT_SHM, 1),
    VALUE(AT_PIN_NONE, 0),
    VALUE(AT_PIN_CORES, 1),
    VALUE(AT_KIND_BATCH, 0),
    VALUE(AT_KIND_VECTOR, 1),
    VALUE(AT_SOURCE_ENTRY, 0),
    VALUE(AT_SOURCE_MODEL, 1),
    VALUE(AT_SOURCE_NEAREST, 2),
    VALUE(AT_SOURCE_FALLBACK, 3),
    VALUE(AT_MATCH_EXACT, 0),
    VALUE(AT_MATCH_HARDWARE, 1),
    VALUE(AT_MATCH_NONE, 2),
    VALUE(AT_QUERY_STRICT, 1),
    VALUE(AT_QUERY_VECTOR, 2),
    VALUE(AT_WORKLOAD_NAME_MAX, 48),
    VALUE(AT_SPACE_OVERSUBSCRIBE, 1),
    VALUE(AT_FINGERPRINT_LEN, 16),
    VALUE(AT_NAME_MAX, 128),
    VALUE(AT_MAX_WORKERS, 4096),
    VALUE(AT_MAX_THREADS, 4096),
    VALUE(AT_MAX_CHUNK, 1048576),
    VALUE(AT_MAX_PARTITIONS, 1048576),
    VALUE(AT_MAX_ARG_BYTES, 4096),
};

static void check(const abi_row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (rows[i].got != rows[i].want)
            fail_msg("%s%s%s is %zu, was %zu: an ABI change (see the "
                     "libtool bump rule in configure.ac)",
                     rows[i].type, rows[i].member ? "." : "",
                     rows[i].member ? rows[i].member : "", rows[i].got,
                     rows[i].want);
}

static void test_struct_layout(void **state)
{
    (void)state;
#if defined(__LP64__) && defined(__linux__)
    check(layout, sizeof layout / sizeof layout[0]);
#else
    skip();
#endif
}

static void test_constants(void **state)
{
    (void)state;
    check(values, sizeof values / sizeof values[0]);
}

/* The headers and the library agree on the version they are. */
static void test_version(void **state)
{
    (void)state;
    assert_int_equal(at_version(), AT_VERSION);
    assert_int_equal(AT_VERSION, (AT_VERSION_MAJOR << 16) |
                                     (AT_VERSION_MINOR << 8) |
                                     AT_VERSION_MICRO);
    char text[32];
    snprintf(text, sizeof text, "%d.%d.%d", AT_VERSION_MAJOR,
             AT_VERSION_MINOR, AT_VERSION_MICRO);
    assert_string_equal(text, AT_VERSION_STRING);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_struct_layout),
        cmocka_unit_test(test_constants),
        cmocka_unit_test(test_version),
    };
    return cmocka_run_group_tests_name("abi", tests, NULL, NULL);
}
