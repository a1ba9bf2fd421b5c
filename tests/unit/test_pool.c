/* test_pool.c - the executor: results in every configuration, and faults
 * (a killed worker, a failing task, a deadline, cancel) that end the job
 * with a clear error, leave the input intact, no zombie and nothing in
 * /dev/shm, and leave a pool that runs the next job. Low memory too: a
 * worker that cannot map or allocate says so, and a BLAS thread stuck
 * retrying its buffer makes pool creation fail within a bound instead of
 * waiting in fork() for ever. */
#include "config.h"

#include "testutil.h"

#include "pool.h" /* at__now, the library's clock */

#include <dirent.h>
#include <dlfcn.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

/* What a task is told to do, by the bytes of the job's arg. */
typedef struct task_arg {
    double scale;
    long kill_item; /* this item's worker raises SIGKILL */
    long fail_item; /* this item returns 7 */
    long slow_item; /* this item sleeps slow_s */
    double slow_s;
} task_arg;

enum { N = 16 }; /* doubles per item */

static int item_task(const void *in, void *out, const void *argp)
{
    const task_arg *a = argp;
    const double *x = in;
    double *y = out;
    long item = (long)x[0]; /* the item's index is its first value */
    if (item == a->kill_item)
        raise(SIGKILL);
    if (item == a->fail_item)
        return 7;
    if (item == a->slow_item)
        usleep((useconds_t)(a->slow_s * 1e6));
    for (int i = 0; i < N; i++)
        y[i] = a->scale * x[i] + 1;
    return 0;
}

static int span_task(const void *in, void *out, size_t count,
                     const void *argp)
{
    const task_arg *a = argp;
    const double *x = in;
    double *y = out;
    for (size_t i = 0; i < count; i++)
        y[i] = exp(x[i]) * a->scale;
    return 0;
}

static const task_arg plain = {2.0, -1, -1, -1, 0};

static void fill(double *in, long items)
{
    for (long k = 0; k < items; k++)
        for (int i = 0; i < N; i++)
            in[k * N + i] = i == 0 ? (double)k : (double)(k * N + i) * 0.5;
}

static at_job batch_job(const double *in, double *out, long items, int chunk,
                        const task_arg *arg)
{
    at_job j = {AT_KIND_BATCH,
                item_task,
                NULL,
                arg,
                sizeof *arg,
                in,
                out,
                N * sizeof(double),
                N * sizeof(double),
                items,
                chunk,
                1,
                0};
    return j;
}

static void check_batch(const double *in, const double *out, long items)
{
    for (long k = 0; k < items * N; k++)
        assert_true(out[k] == 2.0 * in[k] + 1);
}

static int count_children_zombies(void)
{
    char path[300], buf[512];
    int zombies = 0;
    DIR *d = opendir("/proc");
    for (struct dirent *e; d && (e = readdir(d)) != NULL;) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        if (fgets(buf, sizeof buf, f)) {
            char *rp = strrchr(buf, ')');
            char state;
            int ppid;
            if (rp && sscanf(rp + 2, "%c %d", &state, &ppid) == 2 &&
                ppid == getpid() && state == 'Z')
                zombies++;
        }
        fclose(f);
    }
    if (d)
        closedir(d);
    return zombies;
}

static int count_dev_shm(void)
{
    int n = 0;
    DIR *d = opendir("/dev/shm");
    for (struct dirent *e; d && (e = readdir(d)) != NULL;)
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return n;
}

/* Every mode x transport x workers x pinning x chunk, with plain and
 * shared buffers: the output equals the serial formula. */
static void test_batch_in_every_config(void **state)
{
    (void)state;
    const long items = 23; /* not a multiple of any chunk or worker count */
    double *plain_in = malloc(items * N * sizeof(double));
    double *plain_out = malloc(items * N * sizeof(double));
    double *shm_in, *shm_out;
    assert_at_ok(
        at_buffer_alloc(items * N * sizeof(double), (void **)&shm_in, NULL),
        NULL);
    assert_at_ok(
        at_buffer_alloc(items * N * sizeof(double), (void **)&shm_out, NULL),
        NULL);
    fill(plain_in, items);
    fill(shm_in, items);
    int configs = 0;
    for (int workers = 1; workers <= 3; workers++)
        for (int mode = 0; mode < 2; mode++)
            for (int tr = 0; tr < 2; tr++)
                for (int pin = 0; pin < 2; pin++) {
                    at_config c =
                        AT_CONFIG_INIT(workers, (at_mode)mode, 1, 1, 1,
                                       (at_transport)tr, (at_pin)pin);
                    at_pool *pool;
                    at_error err;
                    assert_at_ok(at_pool_create(&c, &pool, &err), &err);
                    for (int chunk = 1; chunk <= 8; chunk *= 2)
                        for (int shared = 0; shared < 2; shared++) {
                            double *in = shared ? shm_in : plain_in;
                            double *out = shared ? shm_out : plain_out;
                            memset(out, 0, items * N * sizeof(double));
                            at_job j =
                                batch_job(in, out, items, chunk, &plain);
                            at_job_stats st;
                            assert_at_ok(at_pool_run(pool, &j, &st, &err),
                                         &err);
                            check_batch(in, out, items);
                            assert_int_equal(st.messages,
                                             (items + chunk - 1) / chunk);
                            assert_true(st.wall >= st.compute_max);
                            configs++;
                        }
                    at_pool_free(pool);
                }
    assert_int_equal(configs, 3 * 2 * 2 * 2 * 4 * 2);
    at_buffer_free(shm_in);
    at_buffer_free(shm_out);
    free(plain_in);
    free(plain_out);
    assert_int_equal(count_children_zombies(), 0);
}

/* A vector split in partitions, uneven on purpose (1001 elements). */
static void test_vector_partitions(void **state)
{
    (void)state;
    const long n = 1001;
    double *in, *out, *want = malloc(n * sizeof *want);
    assert_at_ok(at_buffer_alloc(n * sizeof(double), (void **)&in, NULL),
                 NULL);
    assert_at_ok(at_buffer_alloc(n * sizeof(double), (void **)&out, NULL),
                 NULL);
    for (long i = 0; i < n; i++) {
        in[i] = (double)i / n;
        want[i] = exp(in[i]) * 2.0;
    }
    for (int mode = 0; mode < 2; mode++)
        for (int tr = 0; tr < 2; tr++) {
            at_config c = AT_CONFIG_INIT(2, (at_mode)mode, 1, 1, 1,
                                         (at_transport)tr, AT_PIN_NONE);
            at_pool *pool;
            assert_at_ok(at_pool_create(&c, &pool, NULL), NULL);
            static const int parts[] = {1, 2, 3, 7, 64, 1001};
            for (size_t p = 0; p < sizeof parts / sizeof parts[0]; p++) {
                at_job j = {AT_KIND_VECTOR,
                            NULL,
                            span_task,
                            &plain,
                            sizeof plain,
                            in,
                            out,
                            sizeof(double),
                            sizeof(double),
                            n,
                            1,
                            parts[p],
                            0};
                memset(out, 0, n * sizeof(double));
                assert_at_ok(at_pool_run(pool, &j, NULL, NULL), NULL);
                assert_memory_equal(out, want, n * sizeof(double));
            }
            at_pool_free(pool);
        }
    at_buffer_free(in);
    at_buffer_free(out);
    free(want);
}

static void test_bad_jobs_are_refused(void **state)
{
    (void)state;
    double in[N * 4], out[N * 4];
    at_config c = AT_CONFIG_INIT(2, AT_MODE_PROCESS, 1, 1, 1,
                                 AT_TRANSPORT_PIPE, AT_PIN_NONE);
    at_pool *pool;
    at_error err;
    assert_at_ok(at_pool_create(&c, &pool, NULL), NULL);
    at_job j = batch_job(in, out, 4, 5, &plain); /* chunk > items */
    assert_int_equal(at_pool_run(pool, &j, NULL, &err), AT_ERR_ARG);
    assert_non_null(strstr(err.message, "chunk_size"));
    j = batch_job(in, out, 4, 1, &plain);
    j.partitions = 2;
    assert_int_equal(at_pool_run(pool, &j, NULL, &err), AT_ERR_ARG);
    j = batch_job(in, out, 4, 1, &plain);
    j.item = NULL;
    assert_int_equal(at_pool_run(pool, &j, NULL, &err), AT_ERR_ARG);
    j = batch_job(in, out, 4, 1, &plain);
    j.arg_bytes = AT_MAX_ARG_BYTES + 1;
    assert_int_equal(at_pool_run(pool, &j, NULL, &err), AT_ERR_ARG);
    at_pool_free(pool);
    c.workers = 0;
    assert_int_equal(at_pool_create(&c, &pool, &err), AT_ERR_ARG);
}

/* Runs a faulty job in `mode`, expects `code` and `words` in the message,
 * then checks the input, zombies, /dev/shm, and that the pool works. */
static void fault_case(at_mode mode, const task_arg *arg, at_status code,
                       const char *words, const char *words2, double deadline)
{
    const long items = 12;
    double in[items * N], copy[items * N], out[items * N];
    fill(in, items);
    memcpy(copy, in, sizeof in);
    int shm_before = count_dev_shm();
    at_config c =
        AT_CONFIG_INIT(2, mode, 1, 1, 1, AT_TRANSPORT_PIPE, AT_PIN_NONE);
    at_pool *pool;
    at_error err;
    assert_at_ok(at_pool_create(&c, &pool, &err), &err);
    at_job j = batch_job(in, out, items, 2, arg);
    j.deadline = deadline;
    double t0 = at__now();
    assert_int_equal(at_pool_run(pool, &j, NULL, &err), code);
    if (deadline > 0) /* reported at the deadline, not when the task ends */
        assert_true(at__now() - t0 < deadline + 1.0);
    if (getenv("SHOW_MESSAGES") || !strstr(err.message, words) ||
        !strstr(err.message, words2))
        print_error("message: %s\n", err.message);
    assert_non_null(strstr(err.message, words));
    assert_non_null(strstr(err.message, words2));
    assert_memory_equal(in, copy, sizeof in);
    assert_int_equal(count_children_zombies(), 0);
    /* the pool runs the next job */
    j = batch_job(in, out, items, 2, &plain);
    assert_at_ok(at_pool_run(pool, &j, NULL, &err), &err);
    check_batch(in, out, items);
    at_pool_free(pool);
    assert_int_equal(count_dev_shm(), shm_before);
    assert_int_equal(count_children_zombies(), 0);
}

static void test_worker_killed(void **state)
{
    (void)state;
    task_arg a = plain;
    a.kill_item = 5;
    fault_case(AT_MODE_PROCESS, &a, AT_ERR_WORKER, "was killed by signal 9",
               "items 4-5", 0);
}

static void test_task_fails(void **state)
{
    (void)state;
    task_arg a = plain;
    a.fail_item = 9;
    fault_case(AT_MODE_PROCESS, &a, AT_ERR_WORKER, "item 9 failed",
               "returned 7", 0);
    fault_case(AT_MODE_THREAD, &a, AT_ERR_WORKER, "item 9 failed",
               "returned 7", 0);
}

static void test_deadline(void **state)
{
    (void)state;
    task_arg a = plain;
    a.slow_item = 3;
    a.slow_s = 3.0;
    fault_case(AT_MODE_PROCESS, &a, AT_ERR_TIMEOUT, "items 2-3",
               "past the 0.3 s deadline; killed", 0.3);
    a.slow_s = 1.0; /* an abandoned thread ends by itself */
    fault_case(AT_MODE_THREAD, &a, AT_ERR_TIMEOUT, "items 2-3",
               "past the 0.3 s deadline; abandoned", 0.3);
}

static void *cancel_soon(void *pool)
{
    usleep(200000);
    at_pool_cancel(pool);
    return NULL;
}

static void test_cancel(void **state)
{
    (void)state;
    for (int mode = 0; mode < 2; mode++) {
        task_arg a = plain;
        a.slow_item = 1;
        a.slow_s = 2.0;
        const long items = 4;
        double in[items * N], out[items * N];
        fill(in, items);
        at_config c = AT_CONFIG_INIT(2, (at_mode)mode, 1, 1, 1,
                                     AT_TRANSPORT_SHM, AT_PIN_NONE);
        at_pool *pool;
        assert_at_ok(at_pool_create(&c, &pool, NULL), NULL);
        at_job j = batch_job(in, out, items, 1, &a);
        pthread_t t;
        pthread_create(&t, NULL, cancel_soon, pool);
        double t0 = at__now();
        assert_int_equal(at_pool_run(pool, &j, NULL, NULL), AT_ERR_CANCELLED);
        assert_true(at__now() - t0 < 1.5);
        pthread_join(t, NULL);
        j = batch_job(in, out, items, 1, &plain);
        assert_at_ok(at_pool_run(pool, &j, NULL, NULL), NULL);
        check_batch(in, out, items);
        at_pool_free(pool);
    }
    assert_int_equal(count_children_zombies(), 0);
}

/* A buffer freed between jobs is unmapped in the workers, and a new one
 * at the same address is not confused with it. */
static void test_buffers_come_and_go(void **state)
{
    (void)state;
    at_config c = AT_CONFIG_INIT(2, AT_MODE_PROCESS, 1, 1, 1,
                                 AT_TRANSPORT_SHM, AT_PIN_NONE);
    at_pool *pool;
    assert_at_ok(at_pool_create(&c, &pool, NULL), NULL);
    for (int round = 0; round < 100; round++) {
        const long items = 3 + round % 5;
        double *in, *out;
        assert_at_ok(
            at_buffer_alloc(items * N * sizeof(double), (void **)&in, NULL),
            NULL);
        assert_at_ok(
            at_buffer_alloc(items * N * sizeof(double), (void **)&out, NULL),
            NULL);
        fill(in, items);
        at_job j = batch_job(in, out, items, 1, &plain);
        at_job_stats st;
        assert_at_ok(at_pool_run(pool, &j, &st, NULL), NULL);
        check_batch(in, out, items);
        assert_true(st.bytes_copied == 0); /* shared: nothing copied */
        at_buffer_free(in);
        at_buffer_free(out);
    }
    at_pool_free(pool);
    at_buffer_free(NULL);
}

/* ---------------------------------------------------------- low memory */

/* Limits this process to `more` bytes of address space beyond what it
 * maps now, as `ulimit -v` would (run it in a child); 0 once done. */
static int limit_address_space(size_t more)
{
    unsigned long pages = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        if (fscanf(f, "%lu", &pages) != 1)
            pages = 0;
        fclose(f);
    }
    struct rlimit r;
    r.rlim_cur = r.rlim_max =
        (rlim_t)pages * (rlim_t)sysconf(_SC_PAGESIZE) + more;
    return pages > 0 ? setrlimit(RLIMIT_AS, &r) : -1;
}

/* Runs fn in a child and waits for it at most `seconds`: its exit status,
 * or -1 when it was still running (then it is killed). */
static int run_child_within(int (*fn)(void), double seconds)
{
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) /* _exit: a stuck BLAS thread would hold exit() */
        _exit(fn());
    int status = 0;
    double t0 = at__now();
    while (waitpid(pid, &status, WNOHANG) == 0) {
        if (at__now() - t0 > seconds) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            return -1;
        }
        usleep(20000);
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* m is "worker W (pid P) " + `failure`, with " while running items A-B"
 * when the loss was seen with W's chunk (of `chunk` items) in flight. */
static int says(const char *m, const char *failure, long chunk)
{
    int w, pid, end = 0;
    char want[256];
    if (sscanf(m, "worker %d (pid %d) %n", &w, &pid, &end) != 2 || !end)
        return 0;
    int n =
        snprintf(want, sizeof want, "worker %d (pid %d) %s", w, pid, failure);
    if (strlen(m) > (size_t)n) /* the tasks of the chunk sent to worker w */
        snprintf(want + n, sizeof want - (size_t)n,
                 " while running items %ld-%ld", w * chunk,
                 (w + 1) * chunk - 1);
    return strcmp(m, want) == 0;
}

/* A job of 256 items of 1 MiB in (268.4 MB), 128 bytes out; item_task
 * reads and writes the first 16 doubles of each. */
enum { BIG_ITEM = 1 << 20, BIG_ITEMS = 256 };

/* What a worker that cannot get its memory says, by transport: with shm
 * it maps the job's input, with pipe it allocates a chunk's. With one
 * chunk, the worker that gets none fails too, and must not spoil the next
 * job. */
typedef struct lowmem_case {
    at_transport transport;
    long chunk; /* items */
    const char *failure;
} lowmem_case;

static const lowmem_case lowmem_cases[] = {
    {AT_TRANSPORT_SHM, BIG_ITEMS / 2,
     "could not map a shared buffer of 268.4 MB (Cannot allocate memory)"},
    {AT_TRANSPORT_SHM, BIG_ITEMS,
     "could not map a shared buffer of 268.4 MB (Cannot allocate memory)"},
    {AT_TRANSPORT_PIPE, BIG_ITEMS / 2,
     "could not allocate a chunk buffer of 134.2 MB (Cannot allocate "
     "memory)"},
};
static const lowmem_case *lowmem; /* the case the child runs */

/* In a child: the job's input is in memory the workers would map (or
 * copy) again, with 64 MB of address space left; the job fails with the
 * workers' reason, and the pool then runs a small job. 0 or the check
 * that failed. */
static int lowmem_child(void)
{
    double *in, *out, small_in[4 * N], small_out[4 * N];
    if (at_buffer_alloc((size_t)BIG_ITEMS * BIG_ITEM, (void **)&in, NULL) ||
        at_buffer_alloc(BIG_ITEMS * N * sizeof(double), (void **)&out, NULL))
        return 1;
    at_config c = AT_CONFIG_INIT(2, AT_MODE_PROCESS, 1, 1, 1,
                                 lowmem->transport, AT_PIN_NONE);
    at_pool *pool;
    at_error err;
    if (limit_address_space(64u << 20) ||
        at_pool_create(&c, &pool, &err) != AT_OK)
        return 2;
    at_job j = batch_job(in, out, BIG_ITEMS, (int)lowmem->chunk, &plain);
    j.in_bytes = BIG_ITEM;
    at_status s = at_pool_run(pool, &j, NULL, &err);
    if (getenv("SHOW_MESSAGES"))
        print_error("message: %s\n", err.message);
    if (s != AT_ERR_WORKER ||
        !says(err.message, lowmem->failure, lowmem->chunk)) {
        print_error("status %d, message: %s\n", (int)s, err.message);
        return 3;
    }
    fill(small_in, 4);
    j = batch_job(small_in, small_out, 4, 1, &plain);
    if (at_pool_run(pool, &j, NULL, &err) != AT_OK) {
        print_error("the next job: %s\n", err.message);
        return 4;
    }
    check_batch(small_in, small_out, 4);
    at_pool_free(pool);
    at_buffer_free(in);
    at_buffer_free(out);
    return 0;
}

/* AddressSanitizer (CI's second build) reserves terabytes of address
 * space for its shadow memory, so a process under an address-space limit
 * cannot even start its workers there. */
#if defined(__SANITIZE_ADDRESS__)
static const int under_asan = 1;
#else
static const int under_asan = 0;
#endif

/* 1 (the test returns) under AddressSanitizer, said in the log; not
 * cmocka's skip(), reported "not ok # SKIP", a failure to automake. */
static int asan_cannot_run(void)
{
    if (under_asan)
        print_message("# not run under AddressSanitizer\n");
    return under_asan;
}

static void test_worker_without_memory(void **state)
{
    (void)state;
    if (asan_cannot_run())
        return;
    for (size_t k = 0; k < sizeof lowmem_cases / sizeof *lowmem_cases; k++) {
        lowmem = &lowmem_cases[k];
        assert_int_equal(run_child_within(lowmem_child, 30), 0);
    }
    assert_int_equal(count_children_zombies(), 0);
}

static const char stuck_message[] =
    "the BLAS threads of this process did not stop within 2 s, so no "
    "worker can be forked (OpenBLAS retries a memory map it cannot get for "
    "ever: is the address space limited, ulimit -v?)";

/* In a child: OpenBLAS starts its threads at load, and each maps a buffer
 * of tens of MB; with less address space than that left, its thread
 * retries for ever. A process pool must then fail within the bound, not
 * wait in fork() for that thread, and the next one fail at once. 0, the
 * check that failed, or 77 without OpenBLAS. */
static int stuck_blas_child(void)
{
    setenv("OPENBLAS_NUM_THREADS", "2", 1); /* one thread, on any machine */
    if (limit_address_space(96u << 20))
        return 4;
    if (!dlopen("libopenblas.so.0", RTLD_NOW | RTLD_LOCAL))
        return 77;
    at_config c = AT_CONFIG_INIT(2, AT_MODE_PROCESS, 1, 1, 1,
                                 AT_TRANSPORT_SHM, AT_PIN_NONE);
    for (int attempt = 1; attempt <= 2; attempt++) {
        at_pool *pool = NULL;
        at_error err;
        double t0 = at__now();
        at_status s = at_pool_create(&c, &pool, &err);
        double took = at__now() - t0;
        if (s != AT_ERR_SYSTEM || strcmp(err.message, stuck_message)) {
            print_error("status %d, message: %s\n", (int)s,
                        s == AT_OK ? "" : err.message);
            return attempt;
        }
        if (attempt == 2 && took > 1.0) /* not another wait */
            return 3;
    }
    return 0;
}

static void test_fork_with_stuck_blas(void **state)
{
    (void)state;
    if (asan_cannot_run())
        return;
    int rc = run_child_within(stuck_blas_child, 30);
    if (rc == 77)
        skip();
    assert_int_equal(rc, 0); /* -1: it waited in fork() */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_batch_in_every_config),
        cmocka_unit_test(test_vector_partitions),
        cmocka_unit_test(test_bad_jobs_are_refused),
        cmocka_unit_test(test_worker_killed),
        cmocka_unit_test(test_task_fails),
        cmocka_unit_test(test_deadline),
        cmocka_unit_test(test_cancel),
        cmocka_unit_test(test_buffers_come_and_go),
        cmocka_unit_test(test_worker_without_memory),
        cmocka_unit_test(test_fork_with_stuck_blas),
    };
    return cmocka_run_group_tests_name("pool", tests, NULL, NULL);
}
