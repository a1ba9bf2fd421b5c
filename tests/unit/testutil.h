/* testutil.h - shared by the unit tests. */
#ifndef AT_TESTUTIL_H
#define AT_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "autotune.h"

/* $SRCDIR (the source tree) joined with `rel`, in a static buffer. */
const char *src_path(const char *rel);
/* A fresh temporary directory (removed by rm_tree). */
char *make_temp_dir(void);
void rm_tree(const char *dir);
/* A whole file into a malloc'ed string. */
char *read_text(const char *path);
/* Waits for the forked child `pid` and asserts it exited with status 0
 * (tests that change process state run it in a child). */
void assert_child_succeeded(int pid);
/* Asserts s == AT_OK, printing the error otherwise. */
#define assert_at_ok(s, err) assert_at_ok_((s), (err), __FILE__, __LINE__)
void assert_at_ok_(at_status s, const at_error *err, const char *file,
                   int line);

#endif
