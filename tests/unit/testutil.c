/* testutil.c - what the unit tests share: paths in the source tree,
 * temporary directories and files, a forked child's exit, and assertions
 * that print the library's error. (A test that needs a clock uses the
 * library's own, at__now: the tests link its internals.) */
#include "config.h"

#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

const char *src_path(const char *rel)
{
    static char buf[4096];
    const char *src = getenv("SRCDIR");
    snprintf(buf, sizeof buf, "%s/%s", src ? src : ".", rel);
    return buf;
}

char *make_temp_dir(void)
{
    char tmpl[] = "/tmp/autotune-test.XXXXXX";
    char *d = mkdtemp(tmpl);
    assert_non_null(d);
    return strdup(d);
}

void rm_tree(const char *dir)
{
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

void assert_child_succeeded(int pid)
{
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

void assert_at_ok_(at_status s, const at_error *err, const char *file,
                   int line)
{
    if (s == AT_OK)
        return;
    char msg[1024];
    print_error("%s:%d: status %d: %s\n", file, line, (int)s,
                err ? at_error_format(err, msg, sizeof msg) : "");
    fail();
}
