/* test_schema.c - the profile format is described once (src/schema.c) and
 * explained in data/profile-format.md; this test fails when they disagree.
 *
 * Every table of the document whose header reads "| `OBJECT` key |" lists
 * that object's keys: each row's first cell names one or more keys in
 * backticks, its second cell says "optional" exactly for the keys the
 * schema does not require, and a range "A..B" (numbers, 10^k or 2^k) or a
 * bound "number >= A" that must be the field's. Every object the schema
 * can reach must have its table (objects that share their fields, like
 * `best` and `config`, share one), and every key of a table must be one
 * of the object's fields; "null" in a type says the field may be unknown.
 *
 * Then what the tables hold beyond their keys: the one number rule
 * (at__parse_integer, _real and at__format_real, on tables of texts),
 * unknown values (NAN, written null, equal to each other), and the
 * nesting limit, which the format must fit with room to spare. */
#include "config.h"

#include "testutil.h"

#include "schema.h"

#include <float.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------ the document */

typedef struct doc_row {
    char object[64];
    char key[64];
    char type[256];
    int line;
} doc_row;

typedef struct doc {
    doc_row *rows;
    size_t n, cap;
} doc;

static void add_row(doc *d, const char *object, const char *key,
                    const char *type, int line)
{
    if (d->n == d->cap) {
        d->cap = d->cap ? 2 * d->cap : 64;
        d->rows = realloc(d->rows, d->cap * sizeof *d->rows);
        assert_non_null(d->rows);
    }
    doc_row *r = &d->rows[d->n++];
    snprintf(r->object, sizeof r->object, "%s", object);
    snprintf(r->key, sizeof r->key, "%s", key);
    snprintf(r->type, sizeof r->type, "%s", type);
    r->line = line;
}

/* The text of cell `i` (0-based) of a table line, trimmed. */
static void cell(const char *line, int i, char *buf, size_t size)
{
    const char *p = line[0] == '|' ? line : NULL;
    for (int k = 0; k < i && p; k++)
        p = strchr(p + 1, '|');
    buf[0] = '\0';
    if (!p)
        return;
    const char *end = strchr(p + 1, '|');
    size_t n = end ? (size_t)(end - p - 1) : strlen(p + 1);
    while (n && p[1] == ' ')
        p++, n--;
    while (n && p[n] == ' ')
        n--;
    snprintf(buf, size, "%.*s", (int)n, p + 1);
}

/* "| `cpu` key | type | notes |" -> "cpu"; else "". */
static void table_object(const char *line, char *object, size_t size)
{
    char first[128];
    cell(line, 0, first, sizeof first);
    object[0] = '\0';
    size_t n = strlen(first);
    if (first[0] == '`' && n > 6 && strcmp(first + n - 4, " key") == 0 &&
        first[n - 5] == '`')
        snprintf(object, size, "%.*s", (int)(n - 6), first + 1);
}

/* Each backticked key of a row's first cell becomes a row of its own. */
static void add_keys(doc *d, const char *object, const char *line, int no)
{
    char keys[256], type[256];
    cell(line, 0, keys, sizeof keys);
    cell(line, 1, type, sizeof type);
    for (char *p = strchr(keys, '`'); p; p = strchr(p + 1, '`')) {
        char *end = strchr(p + 1, '`');
        assert_non_null(end);
        *end = '\0';
        add_row(d, object, p + 1, type, no);
        p = end;
    }
}

static doc read_doc(void)
{
    doc d = {NULL, 0, 0};
    FILE *f = fopen(src_path("data/profile-format.md"), "r");
    assert_non_null(f);
    char line[2048], object[64] = "";
    for (int no = 1; fgets(line, sizeof line, f); no++) {
        if (line[0] != '|') {
            object[0] = '\0';
            continue;
        }
        char head[64];
        table_object(line, head, sizeof head);
        if (head[0])
            snprintf(object, sizeof object, "%s", head);
        else if (object[0] && !strstr(line, "| ---"))
            add_keys(&d, object, line, no);
    }
    fclose(f);
    return d;
}

/* -------------------------------------------------------- the schema */

/* The objects reachable from the profile, each once. */
static size_t reachable(const at__object *o, const at__object **seen,
                        size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (seen[i] == o)
            return n;
    seen[n++] = o;
    for (size_t i = 0; i < o->n_fields; i++)
        if (o->fields[i].object)
            n = reachable(o->fields[i].object, seen, n);
    return n;
}

static const at__field *field_of(const at__object *o, const char *key)
{
    for (size_t i = 0; i < o->n_fields; i++)
        if (strcmp(o->fields[i].key, key) == 0)
            return &o->fields[i];
    return NULL;
}

/* "1..10^12", "0..2^30", "0.01..100" -> the two ends. */
static double parse_end(const char *s, char **end)
{
    double v = strtod(s, end);
    if (**end == '^') {
        double e = strtod(*end + 1, end);
        v = pow(v, e);
    }
    return v;
}

static int range_of(const char *type, double *lo, double *hi)
{
    const char *ge = strstr(type, "number >= ");
    char *end;
    if (ge) {
        *lo = parse_end(ge + strlen("number >= "), &end);
        *hi = HUGE_VAL;
        return 1;
    }
    const char *dots = strstr(type, "..");
    if (!dots)
        return 0;
    const char *start = dots;
    while (start > type && (start[-1] == '.' || start[-1] == '^' ||
                            (start[-1] >= '0' && start[-1] <= '9')))
        start--;
    *lo = parse_end(start, &end);
    *hi = parse_end(dots + 2, &end);
    return 1;
}

static int is_number(const at__field *f)
{
    return f->type == AT_F_INT || f->type == AT_F_LONG ||
           f->type == AT_F_DOUBLE;
}

static void check_row(const doc_row *r, const at__field *f)
{
    int optional = strstr(r->type, "optional") != NULL;
    if (optional != !(f->flags & AT_F_REQUIRED))
        fail_msg("profile-format.md:%d: `%s` of `%s` is %s in the schema",
                 r->line, r->key, r->object,
                 optional ? "required" : "optional");
    double lo, hi;
    if (is_number(f) && !range_of(r->type, &lo, &hi))
        fail_msg("profile-format.md:%d: `%s` of `%s` has no range", r->line,
                 r->key, r->object);
    if (is_number(f) && (lo != f->min || hi != f->max))
        fail_msg("profile-format.md:%d: `%s` of `%s` is %g..%g in the doc, "
                 "%g..%g in the schema",
                 r->line, r->key, r->object, lo, hi, f->min, f->max);
    int null_ok = strstr(r->type, "null") != NULL;
    if ((f->flags & AT_F_UNKNOWN_OK) && f->type != AT_F_DOUBLE)
        fail_msg("`%s` of `%s`: only a real may be unknown", r->key,
                 r->object);
    if (null_ok != !!(f->flags & AT_F_UNKNOWN_OK))
        fail_msg("profile-format.md:%d: `%s` of `%s` may%s be null in the "
                 "doc, the schema says otherwise",
                 r->line, r->key, r->object, null_ok ? "" : " not");
}

/* Which of the schema's objects a table names: by `what`, or a sharer of
 * its fields (`best` is a `config`). */
static const at__object *object_named(const at__object **all, size_t n,
                                      const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(all[i]->what, name) == 0)
            return all[i];
    return NULL;
}

/* Whether a row documents `key` of `o`, or of an object sharing its
 * fields. */
static int documented(const doc *d, const at__object **all, size_t n,
                      const at__object *o, const char *key)
{
    for (size_t r = 0; r < d->n; r++) {
        const at__object *named = object_named(all, n, d->rows[r].object);
        if (named && named->fields == o->fields &&
            strcmp(d->rows[r].key, key) == 0)
            return 1;
    }
    return 0;
}

static void test_doc_matches_schema(void **state)
{
    (void)state;
    const at__object *all[64];
    size_t n = reachable(&at__profile_schema, all, 0);
    doc d = read_doc();
    size_t checked = 0;
    for (size_t i = 0; i < d.n; i++) {
        const at__object *o = object_named(all, n, d.rows[i].object);
        if (!o)
            fail_msg("profile-format.md:%d: no object `%s` in the schema",
                     d.rows[i].line, d.rows[i].object);
        const at__field *f = field_of(o, d.rows[i].key);
        if (!f)
            fail_msg("profile-format.md:%d: `%s` has no key `%s` in the "
                     "schema",
                     d.rows[i].line, d.rows[i].object, d.rows[i].key);
        check_row(&d.rows[i], f);
        checked++;
    }
    for (size_t k = 0; k < n; k++)
        for (size_t i = 0; i < all[k]->n_fields; i++)
            if (!documented(&d, all, n, all[k], all[k]->fields[i].key))
                fail_msg("`%s` of `%s` is in the schema, not in "
                         "profile-format.md",
                         all[k]->fields[i].key, all[k]->what);
    print_message("%zu documented keys of %zu objects match the schema\n",
                  checked, n);
    free(d.rows);
}

/* The test's own parser, on lines it must read one way. */
static void test_table_parsing(void **state)
{
    (void)state;
    char object[64], buf[64];
    table_object("| `transport costs` key | type | notes |", object,
                 sizeof object);
    assert_string_equal(object, "transport costs");
    table_object("| key | type | notes |", object, sizeof object);
    assert_string_equal(object, "");
    cell("| `a`, `b` | 0..2^30, optional | x |", 1, buf, sizeof buf);
    assert_string_equal(buf, "0..2^30, optional");
    double lo, hi;
    assert_true(range_of("0..2^30, optional", &lo, &hi));
    assert_true(lo == 0 && hi == 1073741824.0);
    assert_true(range_of("1..10^12", &lo, &hi));
    assert_true(lo == 1 && hi == 1e12);
    assert_true(range_of("number >= 0, optional", &lo, &hi));
    assert_true(lo == 0 && hi == HUGE_VAL);
    assert_true(range_of("0.01..100", &lo, &hi));
    assert_true(lo == 0.01 && hi == 100);
    assert_false(range_of("text", &lo, &hi));
}

/* ------------------------------------------------------- numbers */

/* The rule of data/profile-format.md, "Numbers", text by text: what each
 * reads as, or that it is refused (ok 0). */
static const struct {
    const char *text;
    int ok;
    long value;
} integers[] = {
    {"0", 1, 0},
    {"7", 1, 7},
    {"-12", 1, -12},
    {"-0", 1, 0},
    {"1000000000000", 1, 1000000000000L},
    {"", 0, 0},
    {"-", 0, 0},
    {"+2", 0, 0},
    {"02", 0, 0},
    {"-07", 0, 0},
    {"0x2", 0, 0},
    {"1e3", 0, 0},
    {"2.0", 0, 0},
    {"2.", 0, 0},
    {" 2", 0, 0},
    {"2 ", 0, 0},
    {"1_000", 0, 0},
    {"99999999999999999999", 0, 0}, /* beyond long */
};

static const struct {
    const char *text;
    int ok;
    double value;
} reals[] = {
    {"0", 1, 0},
    {"0.5", 1, 0.5},
    {"-1.25", 1, -1.25},
    {"3.91", 1, 3.91},
    {"1e3", 1, 1000},
    {"1E+3", 1, 1000},
    {"2.5e-3", 1, 2.5e-3},
    {"1e-05", 1, 1e-5},
    {"1e-310", 1, 1e-310},   /* subnormal, read as it is */
    {"1e-400", 1, 0},        /* below every subnormal: 0 */
    {"-1e-310", 1, -1e-310}, /* negative: the field's range refuses it */
    {"1.7976931348623157e308", 1, DBL_MAX},
    {"1e309", 0, 0}, /* overflow */
    {".5", 0, 0},
    {"5.", 0, 0},
    {"+1", 0, 0},
    {"01.5", 0, 0},
    {"0x1p-2", 0, 0},
    {"0x10", 0, 0},
    {"inf", 0, 0},
    {".inf", 0, 0},
    {"nan", 0, 0},
    {".nan", 0, 0},
    {"1e", 0, 0},
    {"1e+", 0, 0},
    {"1.e3", 0, 0},
    {"", 0, 0},
    {"null", 0, 0},
};

static void test_number_rule(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof integers / sizeof integers[0]; i++) {
        long v = -999;
        int ok = at__parse_integer(integers[i].text, &v) == 0;
        if (ok != integers[i].ok || (ok && v != integers[i].value))
            fail_msg("integer '%s': %s %ld", integers[i].text,
                     ok ? "read as" : "refused", v);
    }
    for (size_t i = 0; i < sizeof reals / sizeof reals[0]; i++) {
        double v = -999;
        int ok = at__parse_real(reals[i].text, &v) == 0;
        if (ok != reals[i].ok || (ok && v != reals[i].value))
            fail_msg("real '%s': %s %g", reals[i].text,
                     ok ? "read as" : "refused", v);
    }
}

/* Every finite double written reads back bit for bit, and is written in
 * the rule's syntax (at__parse_real refuses anything else). */
static void check_round_trip(double v)
{
    char buf[40];
    double back;
    at__format_real(v, buf, sizeof buf);
    if (at__parse_real(buf, &back) != 0 || memcmp(&back, &v, sizeof v))
        fail_msg("%.17g written as '%s' does not read back", v, buf);
}

static void test_format_round_trips(void **state)
{
    (void)state;
    static const double special[] = {
        0,        -0.0,    1,           -1,     0.1,        1.0 / 3,
        2.0 / 3,  3.91,    1e22,        1e-5,   123456.789, DBL_MAX,
        -DBL_MAX, DBL_MIN, DBL_MIN / 2, 5e-324, 1e-310,     1e300};
    for (size_t i = 0; i < sizeof special / sizeof special[0]; i++)
        check_round_trip(special[i]);
    uint64_t x = 88172645463325252u; /* xorshift: any bit pattern */
    for (int i = 0; i < 100000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        double v;
        memcpy(&v, &x, sizeof v);
        if (isfinite(v))
            check_round_trip(v);
    }
}

/* --------------------------------------------------- unknown values */

static void test_unknown_equal_only_where_allowed(void **state)
{
    (void)state;
    at__entry a = {
        .pub = {.size = 1, .items = 1, .seconds = 1, .spread = NAN}};
    at__entry b = a;
    assert_true(at__object_equal(&at__entry_schema, &a, &b));
    b.pub.spread = 0; /* unknown is not 0 */
    assert_false(at__object_equal(&at__entry_schema, &a, &b));
    a.pub.spread = b.pub.spread = 0.5;
    a.pub.seconds = b.pub.seconds = NAN; /* seconds have no unknown */
    assert_false(at__object_equal(&at__entry_schema, &a, &b));
    at_sample s = {.size = 1, .items = 1, .seconds = 1, .spread = NAN};
    at_sample t = s;
    assert_true(at__object_equal(&at__sample_schema, &s, &t));
}

/* A profile whose entry and sample spreads are unknown. */
static at_profile *unknown_spreads(void)
{
    at_machine m = {.cpu_model = "Test CPU",
                    .arch = "x86_64",
                    .usable_cpus = 2,
                    .cores = 2,
                    .sockets = 1,
                    .numa_nodes = 1,
                    .blas_vendor = "none",
                    .blas_version = "none",
                    .blas_corename = "none",
                    .blas_threading = "none"};
    at_config one = AT_CONFIG_INIT(1, AT_MODE_PROCESS, 1, 1, 1,
                                   AT_TRANSPORT_PIPE, AT_PIN_NONE);
    at_entry e = {.size = 10,
                  .items = 2,
                  .seconds = 0.5,
                  .spread = NAN,
                  .measured = "2026-01-01T00:00:00Z",
                  .best = one,
                  .baselines = {-1, -1, -1, -1}};
    at_sample s = {
        .size = 10, .items = 2, .config = one, .seconds = 0.5, .spread = NAN};
    at_profile *p;
    at_error err;
    at_machine_fingerprint(&m);
    assert_at_ok(at_profile_new(&p, &err), &err);
    assert_at_ok(at_profile_add_machine(p, &m, &err), &err);
    assert_at_ok(
        at_profile_add_workload(p, m.fingerprint, "w", AT_KIND_BATCH, &err),
        &err);
    assert_at_ok(at_profile_set_entry(p, m.fingerprint, "w", &e, &err), &err);
    assert_at_ok(at_profile_add_sample(p, m.fingerprint, "w", &s, &err),
                 &err);
    return p;
}

static void test_unknown_spread_round_trips(void **state)
{
    (void)state;
    at_profile *p = unknown_spreads(), *back;
    at_error err;
    char *text;
    assert_at_ok(at_profile_to_string(p, &text, &err), &err);
    /* one null for the entry, one for the sample */
    const char *first = strstr(text, "spread: null");
    assert_non_null(first);
    assert_non_null(strstr(first + 1, "spread: null"));
    assert_at_ok(
        at_profile_load_string(text, strlen(text), NULL, &back, &err), &err);
    assert_true(at_profile_equal(p, back));
    const at_entry *e = at_workload_profile_entry_at(
        at_machine_profile_workload_at(at_profile_machine_at(back, 0), 0), 0);
    assert_true(isnan(e->spread));
    free(text);
    at_profile_free(p);
    at_profile_free(back);
}

/* ----------------------------------------------------- the locale */

/* A locale whose decimal point is a comma, for LC_NUMERIC: de_DE if the
 * system has it, else built into `dir` with localedef (Debian's package
 * locales, which build-aux/install-deps installs) and found through
 * LOCPATH. 0 when neither works. */
static int comma_locale(char *dir)
{
    char cmd[256];
    if (setlocale(LC_NUMERIC, "de_DE.UTF-8"))
        return 1;
    if (!mkdtemp(dir))
        return 0;
    snprintf(cmd, sizeof cmd,
             "localedef -c -i de_DE -f UTF-8 %s/de_DE.UTF-8 >/dev/null 2>&1",
             dir);
    if (system(cmd) == -1)
        return 0;
    setenv("LOCPATH", dir, 1);
    return setlocale(LC_NUMERIC, "de_DE.UTF-8") != NULL;
}

/* A program that called setlocale(LC_ALL, "") in, say, Germany still
 * writes "0.5" and reads "0.5" as a half: the rule is the format's, not
 * the caller's locale's (which stays the caller's). */
static void test_numbers_ignore_the_locale(void **state)
{
    (void)state;
    char dir[] = "/tmp/at-locale-XXXXXX", buf[40], cmd[64];
    at_profile *p = unknown_spreads(), *back = NULL;
    char *plain = NULL, *comma = NULL;
    at_error err;
    double v = 0;
    assert_at_ok(at_profile_to_string(p, &plain, &err), &err);
    if (!comma_locale(dir))
        fail_msg("no de_DE locale, and localedef could not make one "
                 "(Debian package: locales)");
    snprintf(buf, sizeof buf, "%.1f", 0.5);
    assert_string_equal(buf, "0,5"); /* the premise: printf's is a comma */
    at__format_real(0.5, buf, sizeof buf);
    assert_string_equal(buf, "0.5");
    assert_int_equal(at__parse_real("0.25", &v), 0);
    assert_true(v == 0.25);
    assert_at_ok(at_profile_to_string(p, &comma, &err), &err);
    assert_string_equal(comma, plain);
    assert_at_ok(
        at_profile_load_string(plain, strlen(plain), NULL, &back, &err),
        &err);
    assert_true(at_profile_equal(p, back));
    snprintf(buf, sizeof buf, "%.1f", 0.5);
    assert_string_equal(buf, "0,5"); /* and the caller's is still its own */
    setlocale(LC_NUMERIC, "C");
    unsetenv("LOCPATH");
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (strchr(dir, 'X') == NULL && system(cmd) != 0)
        print_message("could not remove %s\n", dir);
    free(plain);
    free(comma);
    at_profile_free(p);
    at_profile_free(back);
}

/* ----------------------------------------------------------- nesting */

/* How deep the format nests: each object a mapping, each list or map of
 * objects one level more. */
static int depth_of(const at__object *o)
{
    int deepest = 0;
    for (size_t i = 0; i < o->n_fields; i++) {
        const at__field *f = &o->fields[i];
        int d = !f->object ? 0
                           : (f->type == AT_F_LIST || f->type == AT_F_MAP) +
                                 depth_of(f->object);
        deepest = d > deepest ? d : deepest;
    }
    return 1 + deepest;
}

static void test_nesting_limit(void **state)
{
    (void)state;
    int depth = depth_of(&at__profile_schema);
    print_message("the format nests %d deep; the loader allows %d\n", depth,
                  AT__MAX_DEPTH);
    assert_true(2 * depth <= AT__MAX_DEPTH); /* room for a typo's level */
    char said[128], *text = read_text(src_path("data/profile-format.md"));
    snprintf(said, sizeof said, "nest at most %d deep (a profile needs %d)",
             AT__MAX_DEPTH, depth);
    if (!strstr(text, said))
        fail_msg("profile-format.md does not say \"%s\"", said);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_parsing),
        cmocka_unit_test(test_doc_matches_schema),
        cmocka_unit_test(test_number_rule),
        cmocka_unit_test(test_format_round_trips),
        cmocka_unit_test(test_unknown_equal_only_where_allowed),
        cmocka_unit_test(test_unknown_spread_round_trips),
        cmocka_unit_test(test_numbers_ignore_the_locale),
        cmocka_unit_test(test_nesting_limit),
    };
    return cmocka_run_group_tests_name("schema", tests, NULL, NULL);
}
