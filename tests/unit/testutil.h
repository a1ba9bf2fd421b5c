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
/* A model (struct at_model, for tests that include internal.h) from its
 * nine parameters in the profile's order; error and fitted are 0 and "".
 * Named members, so a parameter added to the model breaks no test. */
#define TEST_MODEL(ref, c, e, f, cont, over, tf, spread, disp)               \
    {                                                                        \
        .ref_size = (ref), .compute_s = (c), .exponent = (e),                \
        .parallel_fraction = (f), .contention = (cont), .oversub = (over),   \
        .thread_factor = (tf), .unpinned_spread = (spread),                  \
        .dispatch_s = (disp)                                                 \
    }

/* Waits for the forked child `pid` and asserts it exited with status 0
 * (tests that change process state run it in a child). */
void assert_child_succeeded(int pid);
/* Asserts s == AT_OK, printing the error otherwise. */
#define assert_at_ok(s, err) assert_at_ok_((s), (err), __FILE__, __LINE__)
void assert_at_ok_(at_status s, const at_error *err, const char *file,
                   int line);

#endif
