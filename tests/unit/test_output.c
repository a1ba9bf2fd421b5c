/* test_output.c - the program's data output (tuner/output.c): numbers as
 * the shortest text that reads back, never NaN or Infinity (null
 * instead); texts always UTF-8 (a bad byte becomes U+FFFD); the YAML of a
 * tree quotes exactly the texts a YAML reader would take for something
 * else; the JSON of a tree escapes what JSON must. The outputs of the
 * commands themselves are tested by tests/run-formats.sh and the golden
 * tests. */
#include "config.h"

#include "testutil.h"

#include "output.h"

#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* What out_print writes for `tree` (which it frees), in a malloc'ed
 * string. */
static char *printed(json_object *tree, out_format format)
{
    char *dir = make_temp_dir(), path[512];
    snprintf(path, sizeof path, "%s/out", dir);
    fflush(stdout);
    int saved = dup(1), fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(saved >= 0 && fd >= 0);
    dup2(fd, 1);
    close(fd);
    int rc = out_print(tree, format);
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    assert_int_equal(rc, 0);
    char *text = read_text(path);
    rm_tree(dir);
    free(dir);
    return text;
}

static void real_is(double v, const char *expected)
{
    json_object *o = out_real(v);
    assert_non_null(o);
    assert_string_equal(json_object_to_json_string(o), expected);
    json_object_put(o);
}

static void test_real_shortest_text(void **state)
{
    (void)state;
    real_is(650, "650");
    real_is(0.1, "0.1");
    real_is(0.041, "0.041");
    real_is(1e300, "1e+300");
    real_is(-2.5e-3, "-0.0025");
    real_is(1234567, "1234567");
    /* one that needs all 17 digits still reads back exactly */
    json_object *o = out_real(1.0 / 3);
    assert_true(strtod(json_object_to_json_string(o), NULL) == 1.0 / 3);
    json_object_put(o);
    o = out_real(5e-324);
    assert_true(strtod(json_object_to_json_string(o), NULL) == 5e-324);
    json_object_put(o);
}

static void test_real_unknown_is_null(void **state)
{
    (void)state;
    assert_null(out_real(NAN));
    assert_null(out_real(INFINITY));
    assert_null(out_real(-INFINITY));
    json_object *o = out_object();
    out_put(o, "spread", out_real(NAN));
    out_put(o, "big", out_real(HUGE_VAL));
    char *json = printed(o, OUT_JSON);
    assert_string_equal(json, "{\n  \"spread\": null,\n  \"big\": null\n}\n");
    free(json);
}

static void text_is(const char *in, const char *expected)
{
    json_object *o = out_text(in);
    assert_non_null(o);
    assert_string_equal(json_object_get_string(o), expected);
    json_object_put(o);
}

#define FFFD "\xef\xbf\xbd"

static void test_text_always_utf8(void **state)
{
    (void)state;
    assert_null(out_text(NULL));
    text_is("h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80",
            "h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80");
    text_is("a\xff"
            "b",
            "a" FFFD "b");
    text_is("\xc0\xaf", FFFD FFFD);                   /* overlong '/' */
    text_is("\xed\xa0\x80", FFFD FFFD FFFD);          /* a surrogate */
    text_is("\xf4\x90\x80\x80", FFFD FFFD FFFD FFFD); /* > U+10FFFF */
    text_is("end\xe2\x82", "end" FFFD FFFD);          /* cut short */
}

static void test_json_escapes(void **state)
{
    (void)state;
    json_object *o = out_object();
    out_put(o, "path", out_text("/tmp/a \"b\"\t\x01"));
    char *json = printed(o, OUT_JSON);
    assert_string_equal(json,
                        "{\n  \"path\": \"/tmp/a \\\"b\\\"\\t\\u0001\"\n}\n");
    free(json);
}

static void test_yaml_quotes_what_would_change(void **state)
{
    (void)state;
    static const char *const texts[] = {"806984564c3ce0c1",
                                        "0.3.21",
                                        "2026-11-20T10:25:00Z",
                                        "yes",
                                        "No",
                                        "null",
                                        "~",
                                        "",
                                        "-x",
                                        "svd",
                                        "dea336c7b55e3339",
                                        "/tmp/p.yaml",
                                        "a: b",
                                        "Intel(R) Xeon(R)"};
    json_object *o = out_array();
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++)
        out_push(o, out_text(texts[i]));
    out_push(o, out_int(42));
    out_push(o, out_real(0.5));
    out_push(o, out_bool(0));
    out_push(o, NULL);
    out_push(o, out_object());
    char *yaml = printed(o, OUT_YAML);
    assert_string_equal(yaml, "- '806984564c3ce0c1'\n"
                              "- '0.3.21'\n"
                              "- '2026-11-20T10:25:00Z'\n"
                              "- 'yes'\n"
                              "- 'No'\n"
                              "- 'null'\n"
                              "- '~'\n"
                              "- ''\n"
                              "- '-x'\n"
                              "- svd\n"
                              "- dea336c7b55e3339\n"
                              "- /tmp/p.yaml\n"
                              "- 'a: b'\n"
                              "- Intel(R) Xeon(R)\n"
                              "- 42\n"
                              "- 0.5\n"
                              "- false\n"
                              "- null\n"
                              "- {}\n");
    free(yaml);
}

static void test_yaml_nesting(void **state)
{
    (void)state;
    json_object *o = out_object(), *inner = out_object(), *list = out_array();
    out_put(inner, "workers", out_int(2));
    out_put(inner, "pin", out_text("cores"));
    out_push(list, out_int(0));
    out_push(list, out_int(1));
    out_put(o, "config", inner);
    out_put(o, "cpusets", list);
    out_put(o, "seconds", NULL);
    char *yaml = printed(o, OUT_YAML);
    assert_string_equal(yaml, "config:\n  workers: 2\n  pin: cores\n"
                              "cpusets:\n- 0\n- 1\nseconds: null\n");
    free(yaml);
}

static void test_format_names(void **state)
{
    (void)state;
    out_format f = OUT_TEXT;
    assert_int_equal(out_format_parse("json", &f), 0);
    assert_int_equal(f, OUT_JSON);
    assert_int_equal(out_format_parse("yaml", &f), 0);
    assert_int_equal(f, OUT_YAML);
    assert_int_equal(out_format_parse("text", &f), 0);
    assert_int_equal(f, OUT_TEXT);
    assert_int_equal(out_format_parse("JSON", &f), -1);
    assert_int_equal(out_format_parse("", &f), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_shortest_text),
        cmocka_unit_test(test_real_unknown_is_null),
        cmocka_unit_test(test_text_always_utf8),
        cmocka_unit_test(test_json_escapes),
        cmocka_unit_test(test_yaml_quotes_what_would_change),
        cmocka_unit_test(test_yaml_nesting),
        cmocka_unit_test(test_format_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
