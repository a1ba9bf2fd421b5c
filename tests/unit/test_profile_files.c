/* test_profile_files.c - the search path and the reading of its files as
 * one profile (data/profile-format.md, "Where profiles are found"), in a
 * temporary tree of its own: the user's profile under XDG_CONFIG_HOME,
 * the system file and the site directory given through the library's
 * seam (at__profile_files_search), since the configured ones are outside
 * the tree. One row per situation: the files found in order, or the exact
 * error; then, for (machine, workload) pairs, the file recorded as their
 * origin and the data that won (an entry's workers). */
#include "config.h"

#include "testutil.h"

#include "profile_files.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

/* Two node types of data/examples/cluster.yaml. */
#define FP1 "806984564c3ce0c1"
#define FP2 "c22c0e65e3c2bd2d"
#define M1                                                                   \
    "- fingerprint: " FP1 "\n"                                               \
    "  cpu: {model: Intel(R) Xeon(R) Gold 6230 CPU @ 2.10GHz, arch: "        \
    "x86_64, usable_cpus: 8, cores: 8, sockets: 1, numa_nodes: 1, l1d_kb: "  \
    "32, l2_kb: 1024, l3_kb: 28160}\n"                                       \
    "  blas: {vendor: openblas, version: 0.3.21, corename: SkylakeX, "       \
    "threading: pthreads, max_threads: 64}\n"
#define M2 "- fingerprint: " FP2 "\n" M2_BODY
#define M2_BODY                                                              \
    "  cpu: {model: \"AMD EPYC 7742 64-Core Processor\", arch: x86_64, "     \
    "usable_cpus: 128, cores: 128, sockets: 2, numa_nodes: 8, l1d_kb: 32, "  \
    "l2_kb: 512, l3_kb: 16384}\n"                                            \
    "  blas: {vendor: openblas, version: 0.3.26, corename: Zen, threading: " \
    "pthreads, max_threads: 128}\n"
#define WORKLOADS "  workloads:\n"
/* A batch workload with one entry (size 1000, 16 items) of `w` workers. */
#define W(name, w)                                                           \
    "    " name ":\n      kind: batch\n      entries:\n      - {size: "      \
    "1000, items: 16, seconds: 1, spread: 0.01, measured: "                  \
    "2026-01-01T00:00:00Z, best: {workers: " #w ", mode: process, "          \
    "blas_threads: 1, chunk_size: 1, partitions: 1, transport: shm, pin: "   \
    "none}}\n"
#define PROFILE "autotune_profile: 2\nmachines:\n"
#define BAD PROFILE "- fingerprint: 12\n"
#define DIR_ENTRY ((const char *)1) /* a subdirectory, not a file */

typedef struct site_file {
    const char *name, *text; /* text DIR_ENTRY: a directory */
} site_file;

typedef struct expect {
    const char *fp, *workload;
    const char *origin; /* relative to the tree; NULL: in no file */
    int workers;        /* of its entry */
} expect;

typedef struct files_case {
    const char *name;
    const char *user, *system, *named; /* texts; NULL: absent */
    const char *dir_var; /* AUTOTUNE_PROFILE_DIR, relative; NULL: unset */
    site_file site[7];
    at_status status;
    const char *found; /* the files, relative, or the error */
    expect expects[4];
} files_case;

static const files_case cases[] = {
    {"the user's workload, else the system's, else the site's",
     PROFILE M1 WORKLOADS W("svd", 1),
     PROFILE M1 WORKLOADS W("svd", 2) W("gemm", 2),
     NULL,
     NULL,
     {{"a.yaml", PROFILE M1 WORKLOADS W("svd", 3) W("gemm", 3) W("inv", 3)}},
     AT_OK,
     "cfg/autotune/profile.yaml, sys/profile.yaml, site/a.yaml",
     {{FP1, "svd", "cfg/autotune/profile.yaml", 1},
      {FP1, "gemm", "sys/profile.yaml", 2},
      {FP1, "inv", "site/a.yaml", 3},
      {FP2, "svd", NULL, 0}}},
    {"two clusters' files are one profile",
     NULL,
     NULL,
     NULL,
     NULL,
     {{"b.yaml", PROFILE M2 WORKLOADS W("exp", 4)},
      {"a.yaml", PROFILE M1 WORKLOADS W("svd", 3)}},
     AT_OK,
     "site/a.yaml, site/b.yaml",
     {{FP1, "svd", "site/a.yaml", 3}, {FP2, "exp", "site/b.yaml", 4}}},
    {"the user's machine and a cluster's other node type",
     PROFILE M1 WORKLOADS W("svd", 1),
     NULL,
     NULL,
     NULL,
     {{"a.yaml", PROFILE M2 WORKLOADS W("svd", 5)}},
     AT_OK,
     "cfg/autotune/profile.yaml, site/a.yaml",
     {{FP1, "svd", "cfg/autotune/profile.yaml", 1},
      {FP2, "svd", "site/a.yaml", 5}}},
    /* the same entry in each: a merge's tie goes to the later file, and
     * "later" is the order of the names, not of the directory */
    {"the site's files in the order of their names",
     NULL,
     NULL,
     NULL,
     NULL,
     {{"d.yaml", PROFILE M1 WORKLOADS W("svd", 4)},
      {"b.yaml", PROFILE M1 WORKLOADS W("svd", 2)},
      {"f.yaml", PROFILE M1 WORKLOADS W("svd", 6)},
      {"a.yaml", PROFILE M1 WORKLOADS W("svd", 1)},
      {"e.yaml", PROFILE M1 WORKLOADS W("svd", 5)},
      {"c.yaml", PROFILE M1 WORKLOADS W("svd", 3)}},
     AT_OK,
     "site/a.yaml, site/b.yaml, site/c.yaml, site/d.yaml, site/e.yaml, "
     "site/f.yaml",
     {{FP1, "svd",
       "site/a.yaml + site/b.yaml + site/c.yaml + site/d.yaml + "
       "site/e.yaml + site/f.yaml",
       6}}},
    {"AUTOTUNE_PROFILE is read alone",
     PROFILE M1 WORKLOADS W("svd", 1),
     NULL,
     PROFILE M1 WORKLOADS W("svd", 7),
     NULL,
     {{"a.yaml", PROFILE M1 WORKLOADS W("gemm", 3)}},
     AT_OK,
     "named.yaml",
     {{FP1, "svd", "named.yaml", 7}, {FP1, "gemm", NULL, 0}}},
    {"a malformed site file fails the read",
     PROFILE M1 WORKLOADS W("svd", 1),
     NULL,
     NULL,
     NULL,
     {{"a.yaml", PROFILE M1 WORKLOADS W("gemm", 3)}, {"b.yaml", BAD}},
     AT_ERR_PROFILE,
     "site/b.yaml:3:3: missing key 'cpu' in machine",
     {{NULL, NULL, NULL, 0}}},
    {"a site file that cannot be merged is named",
     NULL,
     NULL,
     NULL,
     NULL,
     {{"a.yaml", PROFILE M1 WORKLOADS W("svd", 3)},
      {"b.yaml", PROFILE M1 WORKLOADS "    svd:\n      kind: vector\n"}},
     AT_ERR_ARG,
     "site/b.yaml: cannot be merged with the site files before it: "
     "workload 'svd' is a batch workload, not a vector one",
     {{NULL, NULL, NULL, 0}}},
    {"only regular *.yaml files of the site directory are read",
     NULL,
     NULL,
     NULL,
     NULL,
     {{"a.yaml", PROFILE M1 WORKLOADS W("svd", 3)},
      {"sub.yaml", DIR_ENTRY},
      {"notes.txt", BAD},
      {".hidden.yaml", BAD},
      {"c.yml", BAD},
      {".yaml", BAD}},
     AT_OK,
     "site/a.yaml",
     {{FP1, "svd", "site/a.yaml", 3}}},
    {"nothing anywhere",
     NULL,
     NULL,
     NULL,
     NULL,
     {{"README", "not a profile"}},
     AT_ERR_NOPROFILE,
     "no profile: AUTOTUNE_PROFILE is unset, cfg/autotune/profile.yaml and "
     "sys/profile.yaml do not exist, site has no *.yaml file",
     {{NULL, NULL, NULL, 0}}},
    {"an empty site directory adds nothing",
     PROFILE M1 WORKLOADS W("svd", 1),
     NULL,
     NULL,
     NULL,
     {{NULL, NULL}},
     AT_OK,
     "cfg/autotune/profile.yaml",
     {{FP1, "svd", "cfg/autotune/profile.yaml", 1}}},
    /* the default directory holds a malformed file: it is not read */
    {"AUTOTUNE_PROFILE_DIR replaces the site directory",
     NULL,
     NULL,
     NULL,
     "site",
     {{"a.yaml", PROFILE M1 WORKLOADS W("svd", 3)}},
     AT_OK,
     "site/a.yaml",
     {{FP1, "svd", "site/a.yaml", 3}}},
    {"AUTOTUNE_PROFILE_DIR must name a directory",
     PROFILE M1 WORKLOADS W("svd", 1),
     NULL,
     NULL,
     "nodir",
     {{NULL, NULL}},
     AT_ERR_IO,
     "nodir: AUTOTUNE_PROFILE_DIR names a directory that cannot be read: "
     "No such file or directory",
     {{NULL, NULL, NULL, 0}}},
};

static char root[4096];

static const char *at_root(const char *rel)
{
    static char buf[2][4200];
    static int turn;
    turn ^= 1;
    snprintf(buf[turn], sizeof buf[turn], "%.1000s/%.3000s", root, rel);
    return buf[turn];
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}

/* `text` with every "ROOT/" taken out, so rows name paths relatively. */
static void relative(const char *text, char *buf, size_t size)
{
    size_t n = strlen(root), used = 0;
    while (*text && used + 1 < size) {
        if (!strncmp(text, root, n) && text[n] == '/')
            text += n + 1;
        else
            buf[used++] = *text++;
    }
    buf[used] = '\0';
}

/* A fresh tree for one row: cfg/ (XDG_CONFIG_HOME), sys/, site/ and
 * default/, which holds a malformed file no row may read. */
static void make_tree(const files_case *c)
{
    char *d = make_temp_dir();
    snprintf(root, sizeof root, "%s", d);
    free(d);
    assert_int_equal(mkdir(at_root("cfg"), 0755), 0);
    assert_int_equal(mkdir(at_root("cfg/autotune"), 0755), 0);
    assert_int_equal(mkdir(at_root("sys"), 0755), 0);
    assert_int_equal(mkdir(at_root("site"), 0755), 0);
    assert_int_equal(mkdir(at_root("default"), 0755), 0);
    write_text(at_root("default/a.yaml"), BAD);
    if (c->user)
        write_text(at_root("cfg/autotune/profile.yaml"), c->user);
    if (c->system)
        write_text(at_root("sys/profile.yaml"), c->system);
    if (c->named)
        write_text(at_root("named.yaml"), c->named);
    for (const site_file *s = c->site; s->name; s++) {
        char rel[4096];
        snprintf(rel, sizeof rel, "site/%.200s", s->name);
        if (s->text == DIR_ENTRY)
            assert_int_equal(mkdir(at_root(rel), 0755), 0);
        else
            write_text(at_root(rel), s->text);
    }
}

static void set_env(const files_case *c)
{
    setenv("XDG_CONFIG_HOME", at_root("cfg"), 1);
    if (c->named)
        setenv("AUTOTUNE_PROFILE", at_root("named.yaml"), 1);
    else
        unsetenv("AUTOTUNE_PROFILE");
    if (c->dir_var)
        setenv("AUTOTUNE_PROFILE_DIR", at_root(c->dir_var), 1);
    else
        unsetenv("AUTOTUNE_PROFILE_DIR");
}

/* The search and the load of one row; the error, made relative, in
 * `text` when one fails. */
static at_status find_and_load(const files_case *c, at_profile_files **files,
                               at_profile **p, char *text, size_t size)
{
    at_error err;
    char line[2048];
    const char *dir = at_root(c->dir_var ? "default" : "site");
    at_status s = at__profile_files_search(at_root("sys/profile.yaml"), dir,
                                           files, &err);
    if (s == AT_OK)
        s = at_profile_files_load(*files, p, &err);
    if (s != AT_OK)
        relative(at_error_format(&err, line, sizeof line), text, size);
    return s;
}

static void check_found(const files_case *c, const at_profile_files *files)
{
    char list[4096] = "", rel[4096];
    size_t used = 0;
    for (size_t i = 0; i < at_profile_files_count(files); i++)
        used +=
            (size_t)snprintf(list + used, sizeof list - used, "%s%s",
                             i ? ", " : "", at_profile_files_path(files, i));
    assert_null(at_profile_files_path(files, at_profile_files_count(files)));
    relative(list, rel, sizeof rel);
    assert_string_equal(rel, c->found);
}

static void check_expects(const files_case *c, const at_profile_files *files,
                          const at_profile *p)
{
    for (const expect *e = c->expects; e->fp; e++) {
        const char *origin =
            at_profile_files_origin(files, e->fp, e->workload);
        const at_workload_profile *wp = at_machine_profile_workload(
            at_profile_find_machine(p, e->fp), e->workload);
        char rel[4096];
        if (!e->origin) {
            assert_null(origin);
            assert_null(wp);
            continue;
        }
        assert_non_null(origin);
        relative(origin, rel, sizeof rel);
        assert_string_equal(rel, e->origin);
        assert_int_equal(at_workload_profile_entry_at(wp, 0)->best.workers,
                         e->workers);
    }
}

static void run_case(const files_case *c)
{
    at_profile_files *files = NULL;
    at_profile *p = NULL;
    char text[4096];
    print_message("# %s\n", c->name);
    make_tree(c);
    set_env(c);
    at_status s = find_and_load(c, &files, &p, text, sizeof text);
    assert_int_equal(s, c->status);
    if (s == AT_OK) {
        check_found(c, files);
        check_expects(c, files, p);
    } else
        assert_string_equal(text, c->found);
    at_profile_free(p);
    at_profile_files_free(files);
    rm_tree(root);
}

static void test_search_and_precedence(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        run_case(&cases[i]);
}

/* A variable that names a missing file fails the search; the public
 * at_profile_find gives the first file of a search. */
static void test_named_file_and_first_file(void **state)
{
    (void)state;
    at_profile_files *files = NULL;
    at_error err;
    char buf[4096], text[4096];
    make_tree(&cases[0]);
    set_env(&cases[0]);
    setenv("AUTOTUNE_PROFILE", at_root("absent.yaml"), 1);
    assert_int_equal(at_profile_files_find(&files, &err), AT_ERR_IO);
    assert_null(files);
    relative(at_error_format(&err, buf, sizeof buf), text, sizeof text);
    assert_string_equal(text, "absent.yaml: AUTOTUNE_PROFILE names a file "
                              "that cannot be read");
    assert_int_equal(at_profile_find(buf, sizeof buf, NULL), AT_ERR_IO);
    unsetenv("AUTOTUNE_PROFILE");
    assert_at_ok(at_profile_find(buf, sizeof buf, &err), &err);
    assert_string_equal(buf, at_root("cfg/autotune/profile.yaml"));
    rm_tree(root);
}

/* A machine's costs come from the first source that measured them. */
static void test_costs_from_the_first_that_has_them(void **state)
{
    (void)state;
    static const char *const costs[] = {
        "  costs:\n    pipe: {latency_us: 11, gbytes_per_s: 1}\n"
        "    shm: {latency_us: 1, gbytes_per_s: 0}\n"
        "    thread: {latency_us: 1, gbytes_per_s: 0}\n"
        "    process_start_us: 1\n    thread_start_us: 1\n",
        "  costs:\n    pipe: {latency_us: 22, gbytes_per_s: 1}\n"
        "    shm: {latency_us: 1, gbytes_per_s: 0}\n"
        "    thread: {latency_us: 1, gbytes_per_s: 0}\n"
        "    process_start_us: 1\n    thread_start_us: 1\n",
        ""};
    static const struct {
        int user, site; /* rows of costs[] */
        double latency; /* the pipe latency that wins */
    } rows[] = {{0, 1, 11}, {2, 1, 22}, {0, 2, 11}};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char user[2048], site[2048];
        snprintf(user, sizeof user, "%s%s%s%s", PROFILE M1,
                 costs[rows[i].user], WORKLOADS, W("svd", 1));
        snprintf(site, sizeof site, "%s%s%s%s", PROFILE M1,
                 costs[rows[i].site], WORKLOADS, W("gemm", 2));
        files_case c = {
            .name = "costs", .user = user, .site = {{"a.yaml", site}}};
        at_profile_files *files = NULL;
        at_profile *p = NULL;
        char text[4096] = "";
        make_tree(&c);
        set_env(&c);
        assert_int_equal(find_and_load(&c, &files, &p, text, sizeof text),
                         AT_OK);
        const at_machine_costs *got =
            at_machine_profile_costs(at_profile_find_machine(p, FP1));
        assert_non_null(got);
        assert_true(got->pipe.latency_us == rows[i].latency);
        at_profile_free(p);
        at_profile_files_free(files);
        rm_tree(root);
    }
}

/* Every field of a workload taken from a later source arrives (model,
 * samples, baselines, costs): with no machine in common, the result is
 * the merge of the sources. And the site directory alone is what
 * `autotune merge` makes of its files. */
static void test_sources_read_whole(void **state)
{
    (void)state;
    char *model = read_text(src_path("data/examples/with-model.yaml"));
    char *cluster = read_text(src_path("data/examples/cluster.yaml"));
    /* cluster.yaml's FP2, host and all, with an svd it lacks */
    const char *user =
        PROFILE "- fingerprint: " FP2
                "\n  host: fat-node-01\n" M2_BODY WORKLOADS W("svd", 9);
    static const struct {
        int with_user;
    } rows[] = {{1}, {0}};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        files_case c = {.name = "whole",
                        .user = rows[i].with_user ? user : NULL,
                        .site = {{"a.yaml", model}, {"b.yaml", cluster}}};
        at_profile_files *files = NULL;
        at_profile *p = NULL, *want = NULL, *part = NULL;
        at_error err;
        char text[4096] = "";
        make_tree(&c);
        set_env(&c);
        assert_int_equal(find_and_load(&c, &files, &p, text, sizeof text),
                         AT_OK);
        assert_at_ok(at_profile_load(at_root("site/a.yaml"), &want, &err),
                     &err);
        assert_at_ok(at_profile_load(at_root("site/b.yaml"), &part, &err),
                     &err);
        assert_at_ok(at_profile_merge(want, part, &err), &err);
        if (rows[i].with_user) {
            at_profile *u = NULL;
            assert_at_ok(
                at_profile_load_string(user, strlen(user), NULL, &u, &err),
                &err);
            /* the user's svd of FP2 wins over the cluster's (none) */
            assert_at_ok(at_profile_merge(u, want, &err), &err);
            at_profile_free(want);
            want = u;
        }
        assert_true(at_profile_equal(p, want));
        at_profile_free(p);
        at_profile_free(want);
        at_profile_free(part);
        at_profile_files_free(files);
        rm_tree(root);
    }
    free(model);
    free(cluster);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_search_and_precedence),
        cmocka_unit_test(test_named_file_and_first_file),
        cmocka_unit_test(test_costs_from_the_first_that_has_them),
        cmocka_unit_test(test_sources_read_whole),
    };
    return cmocka_run_group_tests_name("profile_files", tests, NULL, NULL);
}
