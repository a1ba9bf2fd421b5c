/* test_profile.c - profile load/save/merge/query, the knobs, the search
 * space, the model and the fallback rule. */
#include "config.h"

#include "testutil.h"

#include "internal.h" /* struct at_model: models built field by field */

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *const example_files[] = {
    "data/examples/single-machine.yaml", "data/examples/cluster.yaml",
    "data/examples/with-model.yaml", "tests/data/good/block-style.yaml",
    "tests/data/good/empty-machines.yaml"};
#define N_EXAMPLES (sizeof example_files / sizeof example_files[0])

#define FP_VM "dea336c7b55e3339"   /* 2 CPUs, in every example */
#define FP_XEON "806984564c3ce0c1" /* 8 CPUs, cluster.yaml */

static at_profile *load(const char *rel)
{
    at_profile *p = NULL;
    at_error err;
    assert_at_ok(at_profile_load(src_path(rel), &p, &err), &err);
    return p;
}

static at_machine machine_of(const at_profile *p, const char *fp)
{
    const at_machine_profile *mp = at_profile_find_machine(p, fp);
    assert_non_null(mp);
    return *at_machine_profile_machine(mp);
}

/* ------------------------------------------------------------- basics */

static void test_free_null(void **state)
{
    (void)state;
    at_profile_free(NULL); /* must not crash */
    assert_int_equal(at_profile_machine_count(NULL), 0);
    assert_null(at_profile_machine_at(NULL, 0));
}

static void test_strerror_covers_every_code(void **state)
{
    (void)state;
    for (int c = AT_OK; c <= AT_ERR_CANCELLED; c++)
        assert_string_not_equal(at_strerror((at_status)c), "unknown error");
    assert_string_equal(at_strerror((at_status)999), "unknown error");
}

static void test_error_format_table(void **state)
{
    (void)state;
    static const struct {
        const char *file;
        int line, column;
        const char *message, *expected;
    } cases[] = {
        {"p.yaml", 3, 7, "bad", "p.yaml:3:7: bad"},
        {"p.yaml", 0, 0, "cannot open", "p.yaml: cannot open"},
        {"", 0, 0, "out of memory", "out of memory"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        at_error e = {AT_ERR_PROFILE,  "", "", cases[i].line,
                      cases[i].column, ""};
        strcpy(e.message, cases[i].message);
        strcpy(e.file, cases[i].file);
        char buf[256];
        assert_string_equal(at_error_format(&e, buf, sizeof buf),
                            cases[i].expected);
    }
}

static void test_verbose_enabled_table(void **state)
{
    (void)state;
    static const struct {
        const char *value; /* NULL: unset */
        int enabled;
    } cases[] = {{NULL, 0}, {"", 0},    {"0", 0},
                 {"1", 1},  {"yes", 1}, {"00", 1}};
    const char *saved = getenv("AUTOTUNE_VERBOSE");
    char *keep = saved ? strdup(saved) : NULL;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (cases[i].value)
            setenv("AUTOTUNE_VERBOSE", cases[i].value, 1);
        else
            unsetenv("AUTOTUNE_VERBOSE");
        assert_int_equal(at_verbose_enabled(), cases[i].enabled);
    }
    if (keep)
        setenv("AUTOTUNE_VERBOSE", keep, 1);
    else
        unsetenv("AUTOTUNE_VERBOSE");
    free(keep);
}

static void test_knob_names_table(void **state)
{
    (void)state;
    static const struct {
        int which; /* 0 mode, 1 transport, 2 pin */
        const char *text;
        at_status status;
        int value;
    } cases[] = {
        {0, "process", AT_OK, AT_MODE_PROCESS},
        {0, "thread", AT_OK, AT_MODE_THREAD},
        {0, "threads", AT_ERR_ARG, 0},
        {0, "", AT_ERR_ARG, 0},
        {1, "pipe", AT_OK, AT_TRANSPORT_PIPE},
        {1, "shm", AT_OK, AT_TRANSPORT_SHM},
        {1, "SHM", AT_ERR_ARG, 0},
        {2, "none", AT_OK, AT_PIN_NONE},
        {2, "cores", AT_OK, AT_PIN_CORES},
        {2, "core", AT_ERR_ARG, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int v = -1;
        at_error err;
        at_status s;
        const char *back;
        if (cases[i].which == 0) {
            at_mode m = (at_mode)-1;
            s = at_mode_parse(cases[i].text, &m, &err);
            v = (int)m;
            back = at_mode_name(m);
        } else if (cases[i].which == 1) {
            at_transport t = (at_transport)-1;
            s = at_transport_parse(cases[i].text, &t, &err);
            v = (int)t;
            back = at_transport_name(t);
        } else {
            at_pin p = (at_pin)-1;
            s = at_pin_parse(cases[i].text, &p, &err);
            v = (int)p;
            back = at_pin_name(p);
        }
        assert_int_equal(s, cases[i].status);
        if (s == AT_OK) {
            assert_int_equal(v, cases[i].value);
            assert_string_equal(back, cases[i].text);
        } else {
            assert_int_equal(v, -1); /* output untouched on failure */
            assert_non_null(strstr(err.message, "must be one of"));
        }
    }
}

static void test_config_check_table(void **state)
{
    (void)state;
    const at_config ok = AT_CONFIG_INIT(2, AT_MODE_PROCESS, 1, 1, 1,
                                        AT_TRANSPORT_SHM, AT_PIN_CORES);
    static const struct {
        int field, value;
        at_status status;
    } cases[] = {
        {0, 1, AT_OK},
        {0, 0, AT_ERR_ARG},
        {0, AT_MAX_WORKERS, AT_OK},
        {0, AT_MAX_WORKERS + 1, AT_ERR_ARG},
        {1, 0, AT_ERR_ARG},
        {1, -3, AT_ERR_ARG},
        {2, 0, AT_ERR_ARG},
        {2, AT_MAX_CHUNK, AT_OK},
        {3, 0, AT_ERR_ARG},
        {4, 7, AT_ERR_ARG},
        {5, 2, AT_ERR_ARG},
        {6, 9, AT_ERR_ARG},
    };
    assert_int_equal(at_config_check(&ok, NULL), AT_OK);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        at_config c = ok;
        int v = cases[i].value;
        switch (cases[i].field) {
        case 0: c.workers = v; break;
        case 1: c.blas_threads = v; break;
        case 2: c.chunk_size = v; break;
        case 3: c.partitions = v; break;
        case 4: c.mode = (at_mode)v; break;
        case 5: c.transport = (at_transport)v; break;
        case 6: c.pin = (at_pin)v; break;
        }
        assert_int_equal(at_config_check(&c, NULL), cases[i].status);
    }
}

/* Workload names: any the rule allows, the library knows none. */
static void test_workload_names(void **state)
{
    (void)state;
    static const char bad[] =
        "a lower-case letter, then at most 47 of a-z, 0-9, '_', '.', '-'";
    static const struct {
        const char *name;
        at_status status;
    } cases[] = {
        {"svd", AT_OK},
        {"mysvd", AT_OK},
        {"my_job.v2-fast", AT_OK},
        {"a", AT_OK},
        {"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuv", AT_OK}, /* 48 */
        {"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvw", AT_ERR_ARG},
        {"SVD", AT_ERR_ARG},
        {"1svd", AT_ERR_ARG},
        {"my job", AT_ERR_ARG},
        {"", AT_ERR_ARG},
        {"a/b", AT_ERR_ARG},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        at_error err = {0};
        assert_int_equal(at_workload_name_check(cases[i].name, &err),
                         cases[i].status);
        if (cases[i].status != AT_OK) {
            char want[256];
            snprintf(want, sizeof want, "invalid workload name '%s' (%s)",
                     cases[i].name, bad);
            assert_string_equal(err.message, want);
        }
    }
    at_workload_kind k;
    assert_at_ok(at_kind_parse("vector", &k, NULL), NULL);
    assert_int_equal(k, AT_KIND_VECTOR);
    assert_string_equal(at_kind_name(AT_KIND_BATCH), "batch");
    at_error err;
    assert_int_equal(at_kind_parse("matrix", &k, &err), AT_ERR_ARG);
    assert_string_equal(err.message,
                        "kind must be one of batch, vector, got 'matrix'");
}

/* ------------------------------------------------------- load and save */

static void test_round_trip(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_EXAMPLES; i++) {
        at_profile *a = load(example_files[i]), *b = NULL;
        char *text = NULL, *again = NULL;
        at_error err;
        assert_at_ok(at_profile_to_string(a, &text, &err), &err);
        assert_at_ok(
            at_profile_load_string(text, strlen(text), "saved", &b, &err),
            &err);
        assert_true(at_profile_equal(a, b));
        assert_at_ok(at_profile_to_string(b, &again, &err), &err);
        assert_string_equal(text, again); /* saving is deterministic */
        free(text);
        free(again);
        at_profile_free(a);
        at_profile_free(b);
    }
}

/* Only a regular file is a profile: a FIFO would block for ever (it used
 * to, in validate, $AUTOTUNE_PROFILE and merge -o). */
static void test_load_refuses_non_files(void **state)
{
    (void)state;
    char *dir = make_temp_dir(), fifo[4096], want[4200];
    snprintf(fifo, sizeof fifo, "%s/fifo.yaml", dir);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    static const struct {
        int fifo;
        const char *what;
    } cases[] = {{1, "a FIFO"}, {0, "a directory"}};
    for (size_t i = 0; i < 2; i++) {
        const char *path = cases[i].fifo ? fifo : dir;
        at_profile *p = NULL;
        at_error err;
        assert_int_equal(at_profile_load(path, &p, &err), AT_ERR_IO);
        assert_null(p);
        snprintf(want, sizeof want, "%s: not a profile: %s", path,
                 cases[i].what);
        char got[4200];
        assert_string_equal(at_error_format(&err, got, sizeof got), want);
    }
    rm_tree(dir);
    free(dir);
}

static void test_load_errors_fill_struct(void **state)
{
    (void)state;
    static const struct {
        const char *yaml;
        at_status code;
        int line, column;
        const char *key;
    } cases[] = {
        {"autotune_profile: 1\nmachines: [\n", AT_ERR_SYNTAX, 3, 1, ""},
        {"autotune_profile: 1\nmachines: []\nextra: 1\n", AT_ERR_PROFILE, 3,
         1, "extra"},
        {"autotune_profile: 3\nmachines: []\n", AT_ERR_PROFILE, 1, 19,
         "autotune_profile"},
        {"machines: []\n", AT_ERR_PROFILE, 1, 1, "autotune_profile"},
        {"", AT_ERR_PROFILE, 1, 1, ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        at_profile *sentinel = (at_profile *)&cases[i], *p = sentinel;
        at_error err;
        memset(&err, 0, sizeof err);
        at_status s = at_profile_load_string(
            cases[i].yaml, strlen(cases[i].yaml), "case.yaml", &p, &err);
        assert_int_equal(s, cases[i].code);
        assert_ptr_equal(p, sentinel); /* output untouched */
        assert_int_equal(err.code, cases[i].code);
        assert_string_equal(err.file, "case.yaml");
        assert_int_equal(err.line, cases[i].line);
        assert_int_equal(err.column, cases[i].column);
        assert_string_equal(err.key, cases[i].key);
        assert_true(strlen(err.message) > 0);
    }
}

static void test_load_null_err_is_allowed(void **state)
{
    (void)state;
    at_profile *p = NULL;
    assert_int_equal(at_profile_load("/nonexistent/x.yaml", &p, NULL),
                     AT_ERR_IO);
    assert_null(p);
}

static int count_dir_entries(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    assert_non_null(d);
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

static void test_save_is_atomic_and_leaves_no_temp(void **state)
{
    (void)state;
    char *dir = make_temp_dir(), path[4200], bad[4200];
    at_profile *p = load("data/examples/cluster.yaml"), *back = NULL;
    at_error err;
    snprintf(path, sizeof path, "%s/profile.yaml", dir);
    assert_at_ok(at_profile_save(p, path, &err), &err);
    assert_at_ok(at_profile_save(p, path, &err), &err); /* replace */
    assert_int_equal(count_dir_entries(dir), 1);
    assert_at_ok(at_profile_load(path, &back, &err), &err);
    assert_true(at_profile_equal(p, back));
    snprintf(bad, sizeof bad, "%s/no/such/dir/p.yaml", dir);
    assert_int_equal(at_profile_save(p, bad, &err), AT_ERR_IO);
    assert_string_equal(err.file, bad);
    at_profile_free(p);
    at_profile_free(back);
    rm_tree(dir);
    free(dir);
}

/* ---------------------------------------------------------- building */

static at_entry make_entry(long size, long items, double seconds,
                           const char *when)
{
    at_entry e = {size,
                  items,
                  seconds,
                  0.01,
                  "",
                  AT_CONFIG_INIT(2, AT_MODE_PROCESS, 1, 1, 1,
                                 AT_TRANSPORT_SHM, AT_PIN_CORES),
                  {-1, -1, -1, -1}};
    strcpy(e.measured, when);
    return e;
}

static at_profile *profile_with(const at_machine *m, const at_entry *e)
{
    at_profile *p;
    at_error err;
    assert_at_ok(at_profile_new(&p, &err), &err);
    assert_at_ok(at_profile_add_machine(p, m, &err), &err);
    assert_at_ok(at_profile_add_workload(p, m->fingerprint, "svd",
                                         AT_KIND_BATCH, &err),
                 &err);
    if (e)
        assert_at_ok(at_profile_set_entry(p, m->fingerprint, "svd", e, &err),
                     &err);
    return p;
}

static at_machine vm_machine(void)
{
    at_profile *p = load("data/examples/single-machine.yaml");
    at_machine m = machine_of(p, FP_VM);
    at_profile_free(p);
    return m;
}

static void test_set_entry_validates(void **state)
{
    (void)state;
    at_machine m = vm_machine();
    at_profile *p = profile_with(&m, NULL);
    at_error err;
    at_entry e = make_entry(100, 4, 1.0, "2026-01-01T00:00:00Z");
    e.best.workers = 0;
    assert_int_equal(at_profile_set_entry(p, FP_VM, "svd", &e, &err),
                     AT_ERR_ARG);
    e = make_entry(100, 4, 1.0, "yesterday");
    assert_int_equal(at_profile_set_entry(p, FP_VM, "svd", &e, &err),
                     AT_ERR_ARG);
    e = make_entry(100, 4, 1.0, "2026-01-01T00:00:00Z");
    /* a workload not added with its kind */
    assert_int_equal(at_profile_set_entry(p, FP_VM, "fft", &e, &err),
                     AT_ERR_ARG);
    assert_string_equal(err.message, "no workload 'fft' on machine " FP_VM
                                     ": add it with its kind first");
    /* a workload cannot change kind */
    assert_int_equal(
        at_profile_add_workload(p, FP_VM, "svd", AT_KIND_VECTOR, &err),
        AT_ERR_ARG);
    assert_string_equal(
        err.message, "workload 'svd' is a batch workload, not a vector one");
    assert_int_equal(
        at_profile_set_entry(p, "0000000000000000", "svd", &e, &err),
        AT_ERR_NOMATCH);
    /* nothing was added by the failures */
    assert_int_equal(
        at_workload_profile_entry_count(at_machine_profile_workload(
            at_profile_find_machine(p, FP_VM), "svd")),
        0);
    assert_null(at_machine_profile_workload(at_profile_find_machine(p, FP_VM),
                                            "fft"));
    at_profile_free(p);
}

/* ------------------------------------------------------------- merge */

static double seconds_of(const at_profile *p, long size, long items)
{
    const at_workload_profile *w =
        at_machine_profile_workload(at_profile_find_machine(p, FP_VM), "svd");
    for (size_t i = 0; i < at_workload_profile_entry_count(w); i++) {
        const at_entry *e = at_workload_profile_entry_at(w, i);
        if (e->size == size && e->items == items)
            return e->seconds;
    }
    return -1;
}

static void test_merge_newest_measurement_wins(void **state)
{
    (void)state;
    at_machine m = vm_machine();
    at_entry old = make_entry(1000, 16, 5.0, "2026-01-01T00:00:00Z");
    at_entry new = make_entry(1000, 16, 4.0, "2026-02-01T00:00:00Z");
    at_entry tie = make_entry(1000, 16, 3.0, "2026-02-01T00:00:00Z");
    at_entry other = make_entry(500, 16, 1.0, "2025-01-01T00:00:00Z");
    at_profile *a = profile_with(&m, &new), *b = profile_with(&m, &old);
    at_error err;
    assert_at_ok(at_profile_set_entry(b, FP_VM, "svd", &other, &err), &err);
    assert_at_ok(at_profile_merge(a, b, &err), &err); /* older into newer */
    assert_true(seconds_of(a, 1000, 16) == 4.0);
    assert_true(seconds_of(a, 500, 16) == 1.0); /* new key added */
    at_profile_free(b);
    b = profile_with(&m, &tie);
    assert_at_ok(at_profile_merge(a, b, &err), &err); /* tie: `from` wins */
    assert_true(seconds_of(a, 1000, 16) == 3.0);
    at_profile_free(a);
    at_profile_free(b);
}

static void test_merge_machines_by_fingerprint(void **state)
{
    (void)state;
    at_profile *a = load("data/examples/single-machine.yaml");
    at_profile *b = load("data/examples/cluster.yaml");
    at_error err;
    assert_at_ok(at_profile_merge(a, b, &err), &err);
    assert_int_equal(at_profile_machine_count(a), 3);
    const at_machine_profile *vm = at_profile_find_machine(a, FP_VM);
    /* svd, inv, gemm, exp */
    assert_int_equal(at_machine_profile_workload_count(vm), 4);
    /* cluster's svd entry for the VM has the same key and is no newer */
    assert_true(seconds_of(a, 1000, 16) == 3.91);
    /* merging the same profile again changes nothing */
    at_profile *before;
    assert_at_ok(at_profile_new(&before, &err), &err);
    assert_at_ok(at_profile_merge(before, a, &err), &err);
    assert_at_ok(at_profile_merge(a, b, &err), &err);
    assert_true(at_profile_equal(a, before));
    at_profile_free(a);
    at_profile_free(b);
    at_profile_free(before);
}

static const at_workload_profile *svd_of(const at_profile *p)
{
    return at_machine_profile_workload(at_profile_find_machine(p, FP_VM),
                                       "svd");
}

/* at_profile_set_entry inserts in place (no sort per call): keys set in
 * any order, one set twice, read back sorted with the later value. */
static void test_set_entry_keeps_order(void **state)
{
    (void)state;
    static const struct {
        long size, items;
        double seconds;
    } set[] = {{500, 16, 1}, {100, 8, 2}, {900, 4, 3},  {100, 16, 4},
               {500, 16, 5}, {100, 4, 6}, {1000, 1, 7}, {1, 1, 8}},
      want[] = {{1, 1, 8},    {100, 4, 6}, {100, 8, 2}, {100, 16, 4},
                {500, 16, 5}, {900, 4, 3}, {1000, 1, 7}};
    at_machine m = vm_machine();
    at_profile *p = profile_with(&m, NULL);
    at_error err;
    for (size_t i = 0; i < sizeof set / sizeof set[0]; i++) {
        at_entry e = make_entry(set[i].size, set[i].items, set[i].seconds,
                                "2026-01-01T00:00:00Z");
        e.best.workers = 1; /* fits one item too */
        assert_at_ok(at_profile_set_entry(p, FP_VM, "svd", &e, &err), &err);
    }
    const at_workload_profile *w = svd_of(p);
    assert_int_equal(at_workload_profile_entry_count(w),
                     sizeof want / sizeof want[0]);
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const at_entry *e = at_workload_profile_entry_at(w, i);
        assert_int_equal(e->size, want[i].size);
        assert_int_equal(e->items, want[i].items);
        assert_true(e->seconds == want[i].seconds);
    }
    at_profile_free(p);
}

/* The scale test's data: keys numbered k, and which side holds which.
 * Entry k is (size k / 2 + 1, items 16 or 32): `into` holds k < N,
 * `from` N / 2 <= k < 3N / 2. Sample t is (size 100 + t / 4, workers and
 * BLAS threads 1 or 2): `into` holds t < S in a scrambled order, `from`
 * S / 2 <= t < 3S / 2 in another. Seconds tell the sides apart (.25 for
 * `into`, .5 for `from`); measurement days differ by key, so an
 * overlapping entry is newer, older or the same age on either side. */
enum { SCALE_N = 20000, SCALE_S = 6000 };

static at_entry scale_entry(long k, int from)
{
    char when[32];
    int day = from ? 1 + (int)((k * 3 + 4) % 28) : 1 + (int)(k * 7 % 28);
    snprintf(when, sizeof when, "2026-02-%02dT12:00:00Z", day);
    return make_entry(k / 2 + 1, k % 2 ? 32 : 16,
                      (double)k + (from ? 0.5 : 0.25), when);
}

static long scale_sample_t(long i, int from)
{
    return from ? SCALE_S / 2 + i * 104729 % SCALE_S : i * 7919 % SCALE_S;
}

static at_sample scale_sample(long t, int from)
{
    at_sample s = {100 + t / 4, 16,
                   AT_CONFIG_INIT(1 + (int)(t % 2), AT_MODE_PROCESS,
                                  1 + (int)(t / 2 % 2), 1, 1,
                                  AT_TRANSPORT_SHM, AT_PIN_NONE),
                   (double)t + (from ? 0.5 : 0.25), 0.01};
    return s;
}

/* One side of the scale test: entries in key order, samples scrambled,
 * and a model fitted on `fitted`. */
static at_profile *scale_side(int from, const char *fitted)
{
    at_machine m = vm_machine();
    at_profile *p = profile_with(&m, NULL);
    at_error err;
    long first = from ? SCALE_N / 2 : 0;
    for (long k = first; k < first + SCALE_N; k++) {
        at_entry e = scale_entry(k, from);
        assert_at_ok(at_profile_set_entry(p, FP_VM, "svd", &e, &err), &err);
    }
    for (long i = 0; i < SCALE_S; i++) {
        at_sample s = scale_sample(scale_sample_t(i, from), from);
        assert_at_ok(at_profile_add_sample(p, FP_VM, "svd", &s, &err), &err);
    }
    at_model model = TEST_MODEL(1000, 0.5, 3, 0.5, 0.1, 0.1, 1, 1, 0);
    strcpy(model.fitted, fitted);
    assert_at_ok(at_profile_set_model(p, FP_VM, "svd", &model, &err), &err);
    return p;
}

/* The entries a merge must leave, from the rule itself: every key of
 * either side, in key order, the newer measurement winning, a tie going
 * to `from`. Counts the overlaps that were newer, older and tied. */
static void check_scale_entries(const at_workload_profile *w, int ages[3])
{
    assert_int_equal(at_workload_profile_entry_count(w), SCALE_N * 3 / 2);
    for (long k = 0; k < SCALE_N * 3 / 2; k++) {
        at_entry a = scale_entry(k, 0), b = scale_entry(k, 1), want = b;
        if (k < SCALE_N / 2)
            want = a;
        else if (k < SCALE_N) {
            int c = strcmp(b.measured, a.measured);
            ages[c < 0 ? 0 : c > 0 ? 1 : 2]++;
            want = c < 0 ? a : b;
        }
        const at_entry *e = at_workload_profile_entry_at(w, (size_t)k);
        assert_int_equal(e->size, want.size);
        assert_int_equal(e->items, want.items);
        assert_true(e->seconds == want.seconds);
        assert_string_equal(e->measured, want.measured);
    }
}

/* The samples a merge must leave: `into`'s in its order, those `from`
 * also has with `from`'s values, then `from`'s new ones in its order. */
static void check_scale_samples(const at_workload_profile *w)
{
    size_t n = 0;
    assert_int_equal(at_workload_profile_sample_count(w), SCALE_S * 3 / 2);
    for (int from = 0; from <= 1; from++)
        for (long i = 0; i < SCALE_S; i++) {
            long t = scale_sample_t(i, from);
            if (from && t < SCALE_S)
                continue; /* already in place */
            at_sample want = scale_sample(t, from || t >= SCALE_S / 2);
            const at_sample *s = at_workload_profile_sample_at(w, n++);
            assert_int_equal(s->size, want.size);
            assert_int_equal(s->config.workers, want.config.workers);
            assert_int_equal(s->config.blas_threads,
                             want.config.blas_threads);
            assert_true(s->seconds == want.seconds);
        }
}

/* Merge at scale (20,000 entries a side, half overlapping; 6,000 samples
 * a side) against the rule computed key by key; merging `from` again
 * changes nothing. Not timed: bench-merge.sh measures the speed. */
static void test_merge_at_scale(void **state)
{
    (void)state;
    at_profile *into = scale_side(0, "2026-03-01T00:00:00Z");
    at_profile *from = scale_side(1, "2026-02-01T00:00:00Z");
    at_profile *again;
    at_error err;
    assert_at_ok(at_profile_merge(into, from, &err), &err);
    int ages[3] = {0, 0, 0};
    check_scale_entries(svd_of(into), ages);
    assert_true(ages[0] > 1000 && ages[1] > 1000 && ages[2] > 100);
    check_scale_samples(svd_of(into));
    /* the older model lost */
    assert_string_equal(
        at_model_fitted(at_workload_profile_model(svd_of(into))),
        "2026-03-01T00:00:00Z");
    assert_at_ok(at__profile_copy(into, &again, &err), &err);
    assert_at_ok(at_profile_merge(again, from, &err), &err);
    assert_true(at_profile_equal(again, into));
    at_profile_free(again);
    at_profile_free(into);
    at_profile_free(from);
}

/* Samples merge as at_profile_add_sample takes them, one by one in
 * `from`'s order: a key `into` has is replaced in place, a new one is
 * appended; a key twice in `from` (only a bug could do it: the test
 * writes it past the API) ends with the later values at the earlier's
 * place. */
static void test_merge_samples_as_added(void **state)
{
    (void)state;
    static const long into_t[] = {5, 1, 9, 3},
                      from_t[] = {4, 9, 7, 1, 7, 2, 4, 9};
    at_machine m = vm_machine();
    at_profile *into = profile_with(&m, NULL), *from = profile_with(&m, NULL);
    at_profile *want;
    at_error err;
    for (size_t i = 0; i < sizeof into_t / sizeof into_t[0]; i++) {
        at_sample s = scale_sample(into_t[i], 0);
        assert_at_ok(at_profile_add_sample(into, FP_VM, "svd", &s, &err),
                     &err);
    }
    for (size_t i = 0; i < sizeof from_t / sizeof from_t[0]; i++) {
        at_sample s = scale_sample(1000 + (long)i, 1); /* rewritten below */
        assert_at_ok(at_profile_add_sample(from, FP_VM, "svd", &s, &err),
                     &err);
    }
    for (size_t i = 0; i < sizeof from_t / sizeof from_t[0]; i++) {
        at_sample *in =
            (at_sample *)at_workload_profile_sample_at(svd_of(from), i);
        *in = scale_sample(from_t[i], 1);
        in->seconds = 100.0 + (double)i;
    }
    assert_at_ok(at__profile_copy(into, &want, &err), &err);
    for (size_t i = 0; i < sizeof from_t / sizeof from_t[0]; i++)
        assert_at_ok(at_profile_add_sample(
                         want, FP_VM, "svd",
                         at_workload_profile_sample_at(svd_of(from), i),
                         &err),
                     &err);
    assert_at_ok(at_profile_merge(into, from, &err), &err);
    assert_int_equal(at_workload_profile_sample_count(svd_of(into)), 7);
    assert_true(at_profile_equal(into, want));
    at_profile_free(into);
    at_profile_free(from);
    at_profile_free(want);
}

/* A merge checks each entry it takes as at_profile_set_entry does, and
 * fails all or nothing. (Only a bug could put a bad entry in a profile:
 * the test writes one past the API.) */
static void test_merge_checks_entries_taken(void **state)
{
    (void)state;
    at_machine m = vm_machine();
    at_entry old = make_entry(100, 16, 1.0, "2026-01-01T00:00:00Z");
    at_entry new = make_entry(100, 16, 2.0, "2026-02-01T00:00:00Z");
    at_entry other = make_entry(200, 16, 3.0, "2026-02-01T00:00:00Z");
    at_profile *into = profile_with(&m, &old), *from = profile_with(&m, &new);
    at_profile *before;
    at_error err;
    assert_at_ok(at_profile_set_entry(from, FP_VM, "svd", &other, &err),
                 &err);
    ((at_entry *)at_workload_profile_entry_at(svd_of(from), 1))
        ->best.workers = 0;
    assert_at_ok(at__profile_copy(into, &before, &err), &err);
    assert_int_equal(at_profile_merge(into, from, &err), AT_ERR_ARG);
    assert_string_equal(err.message,
                        "workers must be an integer from 1 to 4096, got 0");
    assert_true(at_profile_equal(into, before));
    at_profile_free(into);
    at_profile_free(from);
    at_profile_free(before);
}

/* Many processes merge into one file at once: each must find its entry
 * there at the end. */
static void test_merge_into_file_concurrently(void **state)
{
    (void)state;
    enum { WRITERS = 8 };
    char *dir = make_temp_dir(), path[4200];
    snprintf(path, sizeof path, "%s/sub/profile.yaml", dir);
    at_machine m = vm_machine();
    pid_t pids[WRITERS];
    for (int i = 0; i < WRITERS; i++) {
        pids[i] = fork();
        assert_true(pids[i] >= 0);
        if (pids[i] == 0) {
            at_entry e =
                make_entry(100 + i, 16, 1.0 + i, "2026-01-01T00:00:00Z");
            at_profile *p = profile_with(&m, &e);
            int rc = at_profile_merge_into_file(p, path, NULL) == AT_OK;
            at_profile_free(p);
            _exit(rc ? 0 : 1);
        }
    }
    for (int i = 0; i < WRITERS; i++)
        assert_child_succeeded(pids[i]);
    at_profile *p;
    at_error err;
    assert_at_ok(at_profile_load(path, &p, &err), &err);
    for (int i = 0; i < WRITERS; i++)
        assert_true(seconds_of(p, 100 + i, 16) == 1.0 + i);
    at_profile_free(p);
    rm_tree(dir);
    free(dir);
}

/* Saving keeps what the file was: its mode (a private profile stays
 * private) and a symbolic link (written through, the link kept); a lock
 * planted as a link is refused; a dead writer's temporary is removed, a
 * live one's kept. */
static void test_save_keeps_the_file(void **state)
{
    (void)state;
    char *dir = make_temp_dir(), path[4096], real[4096], link_path[4096],
         lock[4200], elsewhere[4200], dead[4200], live[4200];
    at_profile *p = load("data/examples/single-machine.yaml");
    at_error err;
    struct stat st;
    snprintf(path, sizeof path, "%s/private.yaml", dir);
    assert_at_ok(at_profile_save(p, path, &err), &err);
    assert_int_equal(chmod(path, 0600), 0);
    assert_at_ok(at_profile_merge_into_file(p, path, &err), &err);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    /* through a link */
    snprintf(real, sizeof real, "%s/real.yaml", dir);
    snprintf(link_path, sizeof link_path, "%s/link.yaml", dir);
    assert_at_ok(at_profile_save(p, real, &err), &err);
    assert_int_equal(symlink(real, link_path), 0);
    assert_at_ok(at_profile_merge_into_file(p, link_path, &err), &err);
    assert_int_equal(lstat(link_path, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    /* a planted lock */
    snprintf(lock, sizeof lock, "%s.lock", path);
    snprintf(elsewhere, sizeof elsewhere, "%s/elsewhere", dir);
    unlink(lock);
    assert_int_equal(symlink(elsewhere, lock), 0);
    assert_int_equal(at_profile_merge_into_file(p, path, &err), AT_ERR_IO);
    assert_string_equal(err.message,
                        "the lock file is a symbolic link: refused");
    assert_int_not_equal(access(elsewhere, F_OK), 0);
    unlink(lock);
    /* temporaries: a dead writer's and a live one's */
    pid_t child = fork();
    if (child == 0)
        _exit(0);
    assert_child_succeeded(child);
    snprintf(dead, sizeof dead, "%s.tmp.%ld.abcdef", path, (long)child);
    snprintf(live, sizeof live, "%s.tmp.%ld.ghijkl", path, (long)getpid());
    fclose(fopen(dead, "w"));
    fclose(fopen(live, "w"));
    assert_at_ok(at_profile_merge_into_file(p, path, &err), &err);
    assert_int_not_equal(access(dead, F_OK), 0);
    assert_int_equal(access(live, F_OK), 0);
    at_profile_free(p);
    rm_tree(dir);
    free(dir);
}

/* ------------------------------------------------------------- query */

static void test_query_sources(void **state)
{
    (void)state;
    at_profile *cluster = load("data/examples/cluster.yaml");
    at_profile *model = load("data/examples/with-model.yaml");
    at_machine xeon = machine_of(cluster, FP_XEON);
    at_machine vm = machine_of(model, FP_VM);
    at_machine stranger = vm, other_blas = vm;
    strcpy(stranger.cpu_model, "Stranger CPU");
    at_machine_fingerprint(&stranger);
    strcpy(other_blas.blas_vendor, "blis");
    at_machine_fingerprint(&other_blas);
    static const struct {
        int which; /* 0 cluster+xeon, 1 model+vm, 2 cluster+stranger,
                      3 no profile + vm, 4 model+vm with another BLAS */
        const char *workload;
        long size, items;
        at_source source;
        int workers;
        at_match match;
    } cases[] = {
        {0, "svd", 1000, 64, AT_SOURCE_ENTRY, 4, AT_MATCH_EXACT},
        {0, "gemm", 2000, 100, AT_SOURCE_ENTRY, 4, AT_MATCH_EXACT},
        {0, "gemm", 1500, 80, AT_SOURCE_NEAREST, 4, AT_MATCH_EXACT},
        {0, "inv", 500, 100, AT_SOURCE_FALLBACK, 8, AT_MATCH_EXACT},
        {1, "svd", 1000, 16, AT_SOURCE_ENTRY, 2, AT_MATCH_EXACT},
        {1, "svd", 1500, 16, AT_SOURCE_MODEL, 2, AT_MATCH_EXACT},
        {1, "exp", 1000, 1, AT_SOURCE_FALLBACK, 2, AT_MATCH_EXACT},
        {2, "svd", 1000, 64, AT_SOURCE_FALLBACK, 2, AT_MATCH_NONE},
        {3, "svd", 1000, 1, AT_SOURCE_FALLBACK, 1, AT_MATCH_NONE},
        {4, "svd", 1000, 16, AT_SOURCE_ENTRY, 2, AT_MATCH_HARDWARE},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int which = cases[i].which;
        const at_profile *p = which == 1 || which == 4 ? model
                              : which == 3             ? NULL
                                                       : cluster;
        const at_machine *m = which == 0   ? &xeon
                              : which == 2 ? &stranger
                              : which == 4 ? &other_blas
                                           : &vm;
        at_query_result r;
        at_error err;
        /* the library knows no workload: the caller says exp is a vector
         * job, for a profile that does not know it */
        int flags =
            strcmp(cases[i].workload, "exp") == 0 ? AT_QUERY_VECTOR : 0;
        assert_at_ok(at_profile_query_flags(p, m, cases[i].workload,
                                            cases[i].size, cases[i].items,
                                            flags, &r, &err),
                     &err);
        assert_int_equal(r.source, cases[i].source);
        assert_int_equal(r.config.workers, cases[i].workers);
        assert_int_equal(r.match, cases[i].match);
        assert_true(strlen(r.reason) > 0);
        assert_int_equal(at_config_check(&r.config, NULL), AT_OK);
        if (r.source == AT_SOURCE_ENTRY || r.source == AT_SOURCE_NEAREST)
            assert_non_null(r.entry);
        if (r.source == AT_SOURCE_MODEL)
            assert_true(r.predicted_seconds > 0);
    }
    at_query_result r;
    at_error err;
    assert_int_equal(at_profile_query(cluster, &xeon, "FFT", 1, 1, &r, &err),
                     AT_ERR_ARG);
    /* a workload the profile does not know: the fallback, as a batch */
    assert_at_ok(at_profile_query(cluster, &xeon, "fft", 1, 4, &r, &err),
                 &err);
    assert_int_equal(r.source, AT_SOURCE_FALLBACK);
    /* one it knows keeps its kind */
    assert_int_equal(at_profile_query_flags(cluster, &xeon, "svd", 100, 1,
                                            AT_QUERY_VECTOR, &r, &err),
                     AT_ERR_ARG);
    assert_string_equal(err.message,
                        "workload 'svd' is a batch workload in the profile");
    assert_int_equal(at_profile_query(cluster, &xeon, "svd", 0, 1, &r, &err),
                     AT_ERR_ARG);
    assert_int_equal(at_profile_query_flags(cluster, &xeon, "exp", 10, 2,
                                            AT_QUERY_VECTOR, &r, &err),
                     AT_ERR_ARG);
    assert_string_equal(err.message, "a vector workload has one item, got 2");
    at_profile_free(cluster);
    at_profile_free(model);
}

/* A profile written before format version 2 loads as the same data as
 * the same profile written now, and every query answers the same. */
static void test_version1_reads_the_same(void **state)
{
    (void)state;
    static const char *const pairs[][2] = {
        {"tests/data/good/v1-with-model.yaml",
         "data/examples/with-model.yaml"},
        {"tests/data/good/v1-cluster.yaml", "data/examples/cluster.yaml"}};
    static const char *const workloads[] = {"inv", "svd", "gemm", "exp"};
    for (size_t k = 0; k < 2; k++) {
        at_profile *old = load(pairs[k][0]), *now = load(pairs[k][1]);
        assert_true(at_profile_equal(old, now));
        for (size_t m = 0; m < at_profile_machine_count(old); m++) {
            const at_machine *mach =
                at_machine_profile_machine(at_profile_machine_at(old, m));
            for (size_t w = 0; w < 4; w++)
                for (long size = 250; size <= 4000; size *= 2) {
                    long items = w == 3 ? 1 : size / 50;
                    at_query_result a, b;
                    assert_at_ok(at_profile_query(old, mach, workloads[w],
                                                  size, items, &a, NULL),
                                 NULL);
                    assert_at_ok(at_profile_query(now, mach, workloads[w],
                                                  size, items, &b, NULL),
                                 NULL);
                    assert_memory_equal(&a.config, &b.config,
                                        sizeof a.config);
                    assert_int_equal(a.source, b.source);
                    assert_string_equal(a.reason, b.reason);
                }
        }
        at_profile_free(old);
        at_profile_free(now);
    }
}

/* A program's own model parameters (message_s, copy_s, start_s) are
 * written only when not 0: a built-in workload's profile keeps the keys
 * an earlier library knows; a program's has them, and reloads equal. */
static void test_program_params_written_when_set(void **state)
{
    (void)state;
    at_profile *p = load("data/examples/with-model.yaml"), *back = NULL;
    const at_machine *m =
        at_machine_profile_machine(at_profile_machine_at(p, 0));
    char *text = NULL;
    at_model *model = NULL;
    at_error err;
    assert_at_ok(at_profile_to_string(p, &text, &err), &err);
    assert_null(strstr(text, "message_s"));
    assert_null(strstr(text, "start_s"));
    free(text);
    assert_at_ok(at_model_new(&model, &err), &err);
    static const char *const names[] = {"compute_s", "message_s", "copy_s",
                                        "start_s"};
    for (size_t i = 0; i < 4; i++)
        assert_at_ok(at_model_set(model, names[i], 0.002 * (i + 1), &err),
                     &err);
    assert_at_ok(at_profile_set_model(p, m->fingerprint, "svd", model, &err),
                 &err);
    assert_at_ok(at_profile_to_string(p, &text, &err), &err);
    assert_non_null(strstr(text, "message_s: 0.004, copy_s: 0.006, "
                                 "start_s: 0.008}"));
    assert_at_ok(
        at_profile_load_string(text, strlen(text), "saved", &back, &err),
        &err);
    assert_true(at_profile_equal(p, back));
    free(text);
    at_model_free(model);
    at_profile_free(back);
    at_profile_free(p);
}

/* An entry whose baselines were scaled from fewer items says so, and
 * keeps saying so through a save, a load and a merge; one whose
 * baselines ran on its job has no key for it (so libraries before 0.4.0
 * read it). The items must be fewer than the entry's, and a refused
 * entry changes nothing. */
static void test_baseline_items(void **state)
{
    (void)state;
    at_machine m = vm_machine();
    at_profile *p = profile_with(&m, NULL), *back = NULL, *merged = NULL;
    at_entry e = make_entry(1000, 16, 8.6, "2026-11-21T18:30:00Z");
    at_error err;
    char *text = NULL;
    assert_at_ok(at_profile_set_entry(p, FP_VM, "svd", &e, &err), &err);
    assert_at_ok(at_profile_to_string(p, &text, &err), &err);
    assert_null(strstr(text, "baseline_items"));
    free(text);
    static const struct {
        long items;
        const char *message;
    } bad[] = {
        {16, "baseline_items 16: expected 1 to 15, below the entry's items"},
        {-1, "baseline_items -1: expected 1 to 15, below the entry's items"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_int_equal(at_profile_set_entry_scaled(p, FP_VM, "svd", &e,
                                                     bad[i].items, &err),
                         AT_ERR_ARG);
        assert_string_equal(err.message, bad[i].message);
    }
    const at_workload_profile *wp =
        at_machine_profile_workload(at_profile_find_machine(p, FP_VM), "svd");
    assert_int_equal(at_workload_profile_entry_baseline_items(wp, 0), 0);
    assert_at_ok(at_profile_set_entry_scaled(p, FP_VM, "svd", &e, 2, &err),
                 &err);
    assert_int_equal(at_workload_profile_entry_baseline_items(wp, 0), 2);
    assert_int_equal(at_workload_profile_entry_baseline_items(wp, 1), 0);
    assert_at_ok(at_profile_to_string(p, &text, &err), &err);
    assert_non_null(strstr(text, "baseline_items: 2"));
    assert_at_ok(
        at_profile_load_string(text, strlen(text), "saved", &back, &err),
        &err);
    assert_true(at_profile_equal(p, back));
    assert_at_ok(at_profile_new(&merged, &err), &err);
    assert_at_ok(at_profile_merge(merged, back, &err), &err);
    assert_true(at_profile_equal(p, merged));
    free(text);
    at_profile_free(merged);
    at_profile_free(back);
    at_profile_free(p);
}

/* Every answer says which machine gave it and why; strict mode refuses
 * all but the exact machine's tuned answers, with the reason. */
static void test_query_reasons(void **state)
{
    (void)state;
    at_profile *model = load("data/examples/with-model.yaml");
    at_machine vm = machine_of(model, FP_VM), none = vm, other = vm;
    strcpy(none.blas_vendor, "none");
    strcpy(none.blas_version, "unknown");
    at_machine_fingerprint(&none);
    strcpy(other.cpu_model, "Other CPU");
    at_machine_fingerprint(&other);
    static const struct {
        int machine; /* 0 vm, 1 vm without BLAS, 2 other hardware */
        const char *workload;
        int flags;
        at_status status;
        const char *text; /* the reason, or the error message */
    } cases[] = {
        {0, "svd", 0, AT_OK, "measured at size 1000, items 16"},
        {0, "svd", AT_QUERY_STRICT, AT_OK, "measured at size 1000, items 16"},
        {1, "svd", 0, AT_OK,
         "same hardware as machine dea336c7b55e3339, tuned with openblas "
         "0.3.21 (Cooperlake), not this process's none unknown: measured at "
         "size 1000, items 16"},
        {1, "svd", AT_QUERY_STRICT, AT_ERR_NOMATCH,
         "strict: same hardware as machine dea336c7b55e3339, tuned with "
         "openblas 0.3.21 (Cooperlake), not this process's none unknown: "
         "measured at size 1000, items 16"},
        {0, "gemm", 0, AT_OK,
         "nothing tuned for workload 'gemm' on this machine: the fallback "
         "rule"},
        {0, "gemm", AT_QUERY_STRICT, AT_ERR_NOMATCH,
         "strict: nothing tuned for workload 'gemm' on this machine: the "
         "fallback rule"},
        {2, "svd", 0, AT_OK,
         "no machine with fingerprint e3a5da53a760c376 or this hardware in "
         "the profile: the fallback rule"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const at_machine *m = cases[i].machine == 0   ? &vm
                              : cases[i].machine == 1 ? &none
                                                      : &other;
        at_query_result r;
        at_error err;
        at_status s = at_profile_query_flags(
            model, m, cases[i].workload, 1000, 16, cases[i].flags, &r, &err);
        assert_int_equal(s, cases[i].status);
        assert_string_equal(s == AT_OK ? r.reason : err.message,
                            cases[i].text);
    }
    at_profile_free(model);
}

/* The environment, both ways: what at_config_env writes,
 * at_config_from_env reads back, inside a tuning run of that workload
 * only; a bad variable is named. */
static void set_var(const char *name, const char *value, void *ctx)
{
    (void)ctx;
    setenv(name, value, 1);
}

static void test_config_env_round_trip(void **state)
{
    (void)state;
    at_config c = AT_CONFIG_INIT(2, AT_MODE_THREAD, 1, 4, 1, AT_TRANSPORT_SHM,
                                 AT_PIN_CORES);
    static const int cpus[] = {6, 7};
    at_config got;
    at_error err;
    assert_at_ok(
        at_config_env("mine", "tuning", &c, cpus, 2, set_var, NULL, &err),
        &err);
    assert_string_equal(getenv("AUTOTUNE_CPUSETS"), "6;7");
    assert_string_equal(getenv("OPENBLAS_NUM_THREADS"), "1");
    assert_at_ok(at_config_from_env("mine", &got, &err), &err);
    assert_memory_equal(&got, &c, sizeof c);
    static const struct {
        const char *name, *value, *workload;
        at_status status;
        const char *message;
    } cases[] = {
        {"AUTOTUNE_SOURCE", "entry", "mine", AT_ERR_NOMATCH,
         "not in a tuning run of workload 'mine'"},
        {"AUTOTUNE_SOURCE", "tuning", "other", AT_ERR_NOMATCH,
         "not in a tuning run of workload 'other'"},
        {"AUTOTUNE_WORKERS", "two", "mine", AT_ERR_ARG,
         "AUTOTUNE_WORKERS must be a positive integer, got 'two'"},
        {"AUTOTUNE_MODE", "fiber", "mine", AT_ERR_ARG,
         "AUTOTUNE_MODE must be one of process, thread, got 'fiber'"},
        {"AUTOTUNE_CHUNK_SIZE", "0", "mine", AT_ERR_ARG,
         "AUTOTUNE_CHUNK_SIZE must be a positive integer, got '0'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        at_config_env("mine", "tuning", &c, cpus, 2, set_var, NULL, NULL);
        setenv(cases[i].name, cases[i].value, 1);
        assert_int_equal(at_config_from_env(cases[i].workload, &got, &err),
                         cases[i].status);
        assert_string_equal(err.message, cases[i].message);
    }
    unsetenv("AUTOTUNE_SOURCE");
}

/* The model's numbers go by the schema's names and ranges. */
static void test_model_by_name(void **state)
{
    (void)state;
    static const char *const names[] = {
        "ref_size",   "compute_s", "exponent",      "parallel_fraction",
        "contention", "oversub",   "thread_factor", "unpinned_spread",
        "dispatch_s", "message_s", "copy_s",        "start_s"};
    assert_int_equal(at_model_param_count(), 12);
    for (size_t i = 0; i < 12; i++)
        assert_string_equal(at_model_param_name(i), names[i]);
    static const struct {
        const char *name;
        double value;
        at_status status;
        const char *message;
    } cases[] = {
        {"exponent", 2.5, AT_OK, ""},
        {"error", 0.04, AT_OK, ""},
        {"exponent", 4.5, AT_ERR_ARG,
         "model 'exponent' must be from 0 to 4, "
         "got 4.5"},
        {"parallel_fraction", -0.1, AT_ERR_ARG,
         "model 'parallel_fraction' must be from 0 to 1, got -0.1"},
        {"compute_s", HUGE_VAL, AT_ERR_ARG,
         "model 'compute_s' must be from 0 to inf, got inf"},
        {"speed", 1, AT_ERR_ARG, "the model has no number 'speed'"},
        {"fitted", 1, AT_ERR_ARG, "the model has no number 'fitted'"},
    };
    at_model *m;
    assert_at_ok(at_model_new(&m, NULL), NULL);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        at_error err = {0};
        double before = -1, after = -1;
        at_model_get(m, cases[i].name, &before, NULL);
        assert_int_equal(at_model_set(m, cases[i].name, cases[i].value, &err),
                         cases[i].status);
        assert_string_equal(err.message, cases[i].message);
        at_model_get(m, cases[i].name, &after, NULL);
        assert_true(after == (cases[i].status ? before : cases[i].value));
    }
    double lo, hi;
    assert_at_ok(at_model_range("thread_factor", &lo, &hi, NULL), NULL);
    assert_true(lo == 0.01 && hi == 100);
    assert_string_equal(at_model_fitted(m), "1970-01-01T00:00:00Z");
    assert_int_equal(at_model_set_fitted(m, "yesterday", NULL), AT_ERR_ARG);
    assert_at_ok(at_model_set_fitted(m, "2026-11-21T10:00:00Z", NULL), NULL);
    assert_string_equal(at_model_fitted(m), "2026-11-21T10:00:00Z");
    at_model_free(m);
}

/* The exact-entry lookup is a binary search: check it against every
 * entry of a profile with many sizes and item counts, and misses. */
static void test_query_finds_every_entry(void **state)
{
    (void)state;
    at_machine m = vm_machine();
    at_profile *p = profile_with(&m, NULL);
    at_error err;
    for (long size = 10; size <= 400; size += 10)
        for (long items = 2; items <= 64; items *= 2) {
            at_entry e = make_entry(size, items, (double)(size * items),
                                    "2026-01-01T00:00:00Z");
            assert_at_ok(at_profile_set_entry(p, FP_VM, "svd", &e, &err),
                         &err);
        }
    for (long size = 5; size <= 405; size += 5)
        for (long items = 1; items <= 80; items++) {
            at_query_result r;
            assert_at_ok(
                at_profile_query(p, &m, "svd", size, items, &r, &err), &err);
            int present = size % 10 == 0 && size <= 400 && items >= 2 &&
                          (items & (items - 1)) == 0 && items <= 64;
            assert_int_equal(r.source,
                             present ? AT_SOURCE_ENTRY : AT_SOURCE_NEAREST);
            if (present)
                assert_true(r.predicted_seconds == (double)(size * items));
            assert_true(r.config.chunk_size <= items);
        }
    at_profile_free(p);
}

static void test_fallback_table(void **state)
{
    (void)state;
    static const struct {
        at_workload_kind kind;
        long size, items;
        int cpus;
        at_config want;
    } cases[] = {
        {AT_KIND_BATCH, 1000, 16, 2,
         AT_CONFIG_INIT(2, AT_MODE_PROCESS, 1, 2, 1, AT_TRANSPORT_SHM,
                        AT_PIN_CORES)},
        {AT_KIND_BATCH, 1000, 1, 8,
         AT_CONFIG_INIT(1, AT_MODE_PROCESS, 8, 1, 1, AT_TRANSPORT_SHM,
                        AT_PIN_NONE)},
        {AT_KIND_BATCH, 1000, 3, 8,
         AT_CONFIG_INIT(3, AT_MODE_PROCESS, 2, 1, 1, AT_TRANSPORT_SHM,
                        AT_PIN_CORES)},
        {AT_KIND_BATCH, 1000, 100, 1,
         AT_CONFIG_INIT(1, AT_MODE_PROCESS, 1, 1, 1, AT_TRANSPORT_SHM,
                        AT_PIN_NONE)},
        {AT_KIND_VECTOR, 10000000, 1, 4,
         AT_CONFIG_INIT(4, AT_MODE_PROCESS, 1, 1, 4, AT_TRANSPORT_SHM,
                        AT_PIN_CORES)},
        {AT_KIND_VECTOR, 10000000, 1, 1,
         AT_CONFIG_INIT(1, AT_MODE_PROCESS, 1, 1, 1, AT_TRANSPORT_SHM,
                        AT_PIN_NONE)},
        /* never more workers or partitions than elements */
        {AT_KIND_VECTOR, 3, 1, 8,
         AT_CONFIG_INIT(3, AT_MODE_PROCESS, 1, 1, 3, AT_TRANSPORT_SHM,
                        AT_PIN_CORES)},
        {AT_KIND_VECTOR, 1, 1, 8,
         AT_CONFIG_INIT(1, AT_MODE_PROCESS, 8, 1, 1, AT_TRANSPORT_SHM,
                        AT_PIN_NONE)},
        /* a chunk within the limit however many items */
        {AT_KIND_BATCH, 10, 9000000, 2,
         AT_CONFIG_INIT(2, AT_MODE_PROCESS, 1, AT_MAX_CHUNK, 1,
                        AT_TRANSPORT_SHM, AT_PIN_CORES)},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        at_config c;
        at_fallback_config(cases[i].kind, cases[i].size, cases[i].items,
                           cases[i].cpus, &c);
        assert_memory_equal(&c, &cases[i].want, sizeof c);
    }
}

/* --------------------------------------------------------- the space */

static int same_config(const at_config *a, const at_config *b)
{
    return memcmp(a, b, sizeof *a) == 0;
}

static void check_space(at_workload_kind kind, long size, long items,
                        int cpus, int flags)
{
    size_t n = at_space_enumerate(kind, size, items, cpus, flags, NULL, 0);
    assert_true(n > 0);
    at_config *all = calloc(n, sizeof *all);
    assert_int_equal(
        at_space_enumerate(kind, size, items, cpus, flags, all, n), n);
    int oversubscribed = 0;
    for (size_t i = 0; i < n; i++) {
        const at_config *c = &all[i];
        long tasks = kind == AT_KIND_VECTOR ? c->partitions : items;
        assert_int_equal(at_config_check(c, NULL), AT_OK);
        oversubscribed |= c->workers * c->blas_threads > cpus;
        if (!(flags & AT_SPACE_OVERSUBSCRIBE))
            assert_true(c->workers * c->blas_threads <= cpus);
        assert_true(c->chunk_size <= (tasks + c->workers - 1) / c->workers);
        if (kind == AT_KIND_BATCH)
            assert_int_equal(c->partitions, 1);
        else {
            assert_int_equal(c->partitions % c->workers, 0);
            assert_true(c->partitions <= size);
        }
        if (c->mode == AT_MODE_THREAD)
            assert_int_equal(c->transport, AT_TRANSPORT_SHM);
        for (size_t j = 0; j < i; j++)
            assert_false(same_config(c, &all[j]));
    }
    assert_int_equal(oversubscribed, (flags & AT_SPACE_OVERSUBSCRIBE) != 0);
    free(all);
}

static void test_space_constraints(void **state)
{
    (void)state;
    static const struct {
        at_workload_kind kind;
        long size, items;
        int cpus;
    } cases[] = {{AT_KIND_BATCH, 100, 16, 2},  {AT_KIND_BATCH, 100, 1, 2},
                 {AT_KIND_BATCH, 100, 3, 8},   {AT_KIND_BATCH, 100, 100, 1},
                 {AT_KIND_VECTOR, 1000, 1, 2}, {AT_KIND_VECTOR, 1000, 1, 1},
                 {AT_KIND_VECTOR, 1000, 1, 6}, {AT_KIND_VECTOR, 5, 1, 4},
                 {AT_KIND_VECTOR, 2, 1, 4}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        for (int flags = 0; flags <= AT_SPACE_OVERSUBSCRIBE; flags++)
            check_space(cases[i].kind, cases[i].size, cases[i].items,
                        cases[i].cpus, flags);
}

/* ---------------------------------------------------------- the model */

static const at_model model = {.ref_size = 1000,
                               .compute_s = 0.5,
                               .exponent = 3,
                               .parallel_fraction = 0.6,
                               .contention = 0.05,
                               .oversub = 0.2,
                               .thread_factor = 1.1,
                               .unpinned_spread = 1.0,
                               .dispatch_s = 1e-3,
                               .error = 0.04,
                               .fitted = "2026-01-01T00:00:00Z"};
static const at_machine_costs costs = {{20, 2}, {10, 0}, {1, 0}, 600, 30};

static double predict(const at_config *c, long size, long items)
{
    return at_model_predict(&model, &costs, 2, AT_KIND_BATCH, size, items, c);
}

static void test_model_values(void **state)
{
    (void)state;
    at_config serial = AT_CONFIG_INIT(1, AT_MODE_PROCESS, 1, 1, 1,
                                      AT_TRANSPORT_SHM, AT_PIN_NONE);
    /* one worker, one thread: items x compute, no messages */
    assert_float_equal(predict(&serial, 1000, 16), 16 * 0.5, 1e-12);
    assert_float_equal(predict(&serial, 2000, 16), 16 * 0.5 * 8, 1e-9);
    /* two threads: Amdahl with f = 0.6 */
    serial.blas_threads = 2;
    assert_float_equal(predict(&serial, 1000, 16), 16 * 0.5 * (0.4 + 0.3),
                       1e-12);
    /* two shm workers, chunk 1: 8 items each with contention, 16 messages,
     * 14 of them handed out by a parent waiting for a busy CPU */
    at_config pool = AT_CONFIG_INIT(2, AT_MODE_PROCESS, 1, 1, 1,
                                    AT_TRANSPORT_SHM, AT_PIN_NONE);
    assert_float_equal(predict(&pool, 1000, 16),
                       8 * 0.5 * 1.05 + 16 * 10e-6 + 14 * 1e-3, 1e-12);
    /* pipe adds its bandwidth term: 16 x 2 x 8 MB at 2 GB/s */
    pool.transport = AT_TRANSPORT_PIPE;
    assert_float_equal(
        predict(&pool, 1000, 16),
        8 * 0.5 * 1.05 + 16 * 20e-6 + 16 * 16e6 / 2e9 + 14 * 1e-3, 1e-12);
    /* threads take their chunks themselves: no dispatch term */
    pool.mode = AT_MODE_THREAD;
    assert_float_equal(predict(&pool, 1000, 16),
                       8 * 0.5 * 1.05 * 1.1 + 16 * 1e-6, 1e-12);
    /* an unpinned pool that never spreads runs on one CPU: each of the 2
     * workers at half speed, no contention between them */
    at_model stuck = model;
    stuck.unpinned_spread = 0;
    pool.mode = AT_MODE_PROCESS;
    pool.transport = AT_TRANSPORT_SHM;
    assert_float_equal(
        at_model_predict(&stuck, &costs, 2, AT_KIND_BATCH, 1000, 16, &pool),
        8 * 0.5 * 2 + 16 * 10e-6 + 14 * 1e-3, 1e-12);
    /* pinned, it spreads whatever the model says */
    pool.pin = AT_PIN_CORES;
    assert_float_equal(
        at_model_predict(&stuck, &costs, 2, AT_KIND_BATCH, 1000, 16, &pool),
        8 * 0.5 * 1.05 + 16 * 10e-6 + 14 * 1e-3, 1e-12);
}

static void test_model_orderings(void **state)
{
    (void)state;
    at_config pool = AT_CONFIG_INIT(2, AT_MODE_PROCESS, 1, 1, 1,
                                    AT_TRANSPORT_SHM, AT_PIN_NONE);
    at_config over = pool;
    over.blas_threads = 2;
    assert_true(predict(&over, 1000, 16) > predict(&pool, 1000, 16));
    at_config uneven = pool;
    uneven.chunk_size = 8;
    /* 17 items in chunks of 8: one worker gets 16, slower than chunk 1 */
    assert_true(predict(&uneven, 1000, 17) > predict(&pool, 1000, 17));
    for (long items = 1; items < 64; items++)
        assert_true(predict(&pool, 1000, items + 1) >=
                    predict(&pool, 1000, items));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_free_null),
        cmocka_unit_test(test_strerror_covers_every_code),
        cmocka_unit_test(test_error_format_table),
        cmocka_unit_test(test_verbose_enabled_table),
        cmocka_unit_test(test_knob_names_table),
        cmocka_unit_test(test_config_check_table),
        cmocka_unit_test(test_workload_names),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_program_params_written_when_set),
        cmocka_unit_test(test_load_errors_fill_struct),
        cmocka_unit_test(test_load_refuses_non_files),
        cmocka_unit_test(test_load_null_err_is_allowed),
        cmocka_unit_test(test_save_is_atomic_and_leaves_no_temp),
        cmocka_unit_test(test_set_entry_validates),
        cmocka_unit_test(test_baseline_items),
        cmocka_unit_test(test_merge_newest_measurement_wins),
        cmocka_unit_test(test_merge_machines_by_fingerprint),
        cmocka_unit_test(test_set_entry_keeps_order),
        cmocka_unit_test(test_merge_at_scale),
        cmocka_unit_test(test_merge_samples_as_added),
        cmocka_unit_test(test_merge_checks_entries_taken),
        cmocka_unit_test(test_merge_into_file_concurrently),
        cmocka_unit_test(test_save_keeps_the_file),
        cmocka_unit_test(test_query_sources),
        cmocka_unit_test(test_query_reasons),
        cmocka_unit_test(test_version1_reads_the_same),
        cmocka_unit_test(test_model_by_name),
        cmocka_unit_test(test_config_env_round_trip),
        cmocka_unit_test(test_query_finds_every_entry),
        cmocka_unit_test(test_fallback_table),
        cmocka_unit_test(test_space_constraints),
        cmocka_unit_test(test_model_values),
        cmocka_unit_test(test_model_orderings),
    };
    return cmocka_run_group_tests_name("profile", tests, NULL, NULL);
}
