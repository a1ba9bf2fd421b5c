/* profile_load.c - read a profile: strict, all-or-nothing, every problem
 * reported with file, line, column and key.
 *
 * One way through, each stage using only the one before it: the text (a
 * regular file, read whole) -> libyaml's events -> the loader's own small
 * tree (nodes with their positions, scalar texts and styles) -> the
 * schema walker, which reads the tree by the format's description
 * (schema.c): one generic walker checks unknown, duplicate and missing
 * keys, types and ranges for every object of the format, so all messages
 * are worded alike; the few checks that span several fields run after
 * their object. What YAML can say and a profile never does is refused
 * while the tree is built, at the first event that says it: nesting
 * deeper than AT__MAX_DEPTH, anchors, aliases, tags, a NUL in a text, a
 * second document. A message quotes the file's own text only as a short
 * sanitised excerpt. See data/profile-format.md. */
#include "config.h"

#include "schema.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#define MAX_PROFILE_BYTES (256L * 1024 * 1024)

/* ------------------------------------------------------------ excerpts */

/* How the file's own text is quoted in a message: at most EXCERPT_MAX
 * characters, a byte outside printable ASCII (and `\`) as \xHH, a longer
 * text cut with "...". Enough for any key of the format and a typo of
 * one (the longest, parallel_fraction, has 17), not enough to carry what
 * a file that is no profile holds: a line of /etc/shadow stops in the
 * salt ("root:$6$" and 16 characters), before the hash. Returned by
 * value: `quote(text).s` lives until the end of the statement. */
#define EXCERPT_MAX 24

typedef struct excerpt {
    char s[EXCERPT_MAX + 8]; /* "...", and quotes around it */
} excerpt;

static excerpt quote(const char *text)
{
    excerpt e;
    size_t n = 0;
    for (; *text; text++) {
        unsigned char b = (unsigned char)*text;
        int plain = b >= 0x20 && b < 0x7f && b != '\\';
        if (n + (plain ? 1 : 4) > EXCERPT_MAX) {
            memcpy(e.s + n, "...", sizeof "...");
            return e;
        }
        if (plain)
            e.s[n++] = (char)b;
        else
            n += (size_t)snprintf(e.s + n, 5, "\\x%02x", b);
    }
    e.s[n] = '\0';
    return e;
}

/* ---------------------------------------------------------- the tree */

/* The document as the walker sees it. Nodes are in the order of their
 * events (a collection before its children); the children of each
 * collection are contiguous in `kids` (a mapping's: key, value, key,
 * value, ...); every scalar's text is NUL-terminated in `text`. Built
 * here rather than by yaml_parser_load, which builds its whole document
 * before anything can be refused (and allocates a node, a tag and a
 * copy of the text for each scalar). */
typedef enum node_kind { SCALAR, LIST, MAP } node_kind;

typedef struct node {
    node_kind kind;
    int plain;        /* a plain scalar: not quoted, not a block */
    int line, column; /* 1-based */
    size_t at;        /* a scalar's text in tree.text; a collection's
                         first child in tree.kids */
    size_t count;     /* a collection's children */
} node;

typedef struct tree {
    node *nodes;
    size_t n_nodes, cap_nodes;
    size_t *kids;
    size_t n_kids, cap_kids;
    char *text;
    size_t n_text, cap_text;
    size_t root;
} tree;

static void tree_free(tree *t)
{
    free(t->nodes);
    free(t->kids);
    free(t->text);
}

/* The array p, of *cap elements of `size` bytes, with room for `more`
 * after its first n: p itself, or p grown; NULL when out of memory (p is
 * then unchanged, and still to be freed). */
static void *reserve(void *p, size_t *cap, size_t n, size_t more, size_t size)
{
    if (n + more <= *cap)
        return p;
    size_t want = *cap ? *cap : 256;
    while (want < n + more)
        want *= 2;
    void *grown = realloc(p, want * size);
    if (grown)
        *cap = want;
    return grown;
}

/* ------------------------------------------------------------ reporting */

typedef struct ctx {
    const char *file;
    const tree *t;
    at_error *err;
    const char *workload; /* while reading one workload */
    at_workload_kind kind;
    long version; /* the file's format version, 0 until known */
} ctx;

static at_status fail_node(ctx *c, const node *n, const char *key,
                           const char *fmt, ...) AT_PRINTF(4, 5);

static at_status fail_node(ctx *c, const node *n, const char *key,
                           const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return at__fail_at(c->err, AT_ERR_PROFILE, c->file, n ? n->line : 0,
                       n ? n->column : 0, key, "%s", msg);
}

/* A position libyaml reports (counted from 0), as a node to fail at. */
static node at_mark(const yaml_mark_t *m)
{
    return (node){.line = (int)m->line + 1, .column = (int)m->column + 1};
}

static at_status nomem(const ctx *c)
{
    return at__fail(c->err, AT_ERR_NOMEM, "out of memory");
}

/* ------------------------------------------------ events into the tree */

/* While the tree is built: the finished nodes whose collection is still
 * open (`pending`), and the open collections, each with where its
 * children start in `pending`. */
typedef struct builder {
    ctx *c;
    tree *t;
    size_t *pending;
    size_t n_pending, cap_pending;
    size_t open[AT__MAX_DEPTH], open_from[AT__MAX_DEPTH];
    int depth;
    int documents;
} builder;

/* The key whose value the next node is, or NULL: in an open mapping an
 * odd count of children ends with a key. */
static const node *pending_key(const builder *b)
{
    if (b->depth == 0)
        return NULL;
    const node *parent = &b->t->nodes[b->open[b->depth - 1]];
    size_t from = b->open_from[b->depth - 1];
    if (parent->kind != MAP || (b->n_pending - from) % 2 == 0)
        return NULL;
    return &b->t->nodes[b->pending[b->n_pending - 1]];
}

/* Refuses what the event at `m` is, saying where it stands: "the value
 * of 'cpu'", "a key", "an item of a list". */
static at_status refuse(builder *b, const yaml_mark_t *m, const char *what)
{
    const node *key = pending_key(b);
    const node *parent =
        b->depth ? &b->t->nodes[b->open[b->depth - 1]] : NULL;
    node at = at_mark(m);
    if (key && key->kind == SCALAR) {
        excerpt k = quote(b->t->text + key->at);
        return fail_node(b->c, &at, k.s,
                         "%s not allowed in a profile (the value of '%s')",
                         what, k.s);
    }
    return fail_node(b->c, &at, "", "%s not allowed in a profile%s", what,
                     key                   ? " (the value of a key)"
                     : !parent             ? ""
                     : parent->kind == MAP ? " (a key)"
                                           : " (an item of a list)");
}

/* A tag as it was most likely written: libyaml expands the `!!` handle. */
static at_status refuse_tag(builder *b, const yaml_mark_t *m, const char *tag)
{
    static const char core[] = "tag:yaml.org,2002:";
    char what[64];
    int short_form = strncmp(tag, core, sizeof core - 1) == 0;
    snprintf(what, sizeof what, "a tag ('%s%s') is", short_form ? "!!" : "",
             quote(short_form ? tag + sizeof core - 1 : tag).s);
    return refuse(b, m, what);
}

/* What YAML can say of any node and a profile never does: an anchor (one
 * node in several places; a nest of aliases blows a small file up) and a
 * tag (the format says what each value is: `!!str 1000` must not read as
 * a number, nor `!foo` be ignored). */
static at_status check_node(builder *b, const yaml_event_t *ev,
                            const yaml_char_t *anchor, const yaml_char_t *tag)
{
    if (anchor)
        return refuse(b, &ev->start_mark, "an anchor is");
    if (tag)
        return refuse_tag(b, &ev->start_mark, (const char *)tag);
    return AT_OK;
}

/* A new node at the event's position; its index in *index. */
static at_status add_node(builder *b, node_kind k, const yaml_event_t *ev,
                          size_t *index)
{
    tree *t = b->t;
    node *nodes =
        reserve(t->nodes, &t->cap_nodes, t->n_nodes, 1, sizeof *nodes);
    if (!nodes)
        return nomem(b->c);
    t->nodes = nodes;
    *index = t->n_nodes++;
    t->nodes[*index] = (node){.kind = k,
                              .line = (int)ev->start_mark.line + 1,
                              .column = (int)ev->start_mark.column + 1};
    return AT_OK;
}

/* A node is finished: it joins its collection's children. */
static at_status finish(builder *b, size_t index)
{
    size_t *pending = reserve(b->pending, &b->cap_pending, b->n_pending, 1,
                              sizeof *pending);
    if (!pending)
        return nomem(b->c);
    b->pending = pending;
    b->pending[b->n_pending++] = index;
    return AT_OK;
}

static at_status on_scalar(builder *b, const yaml_event_t *ev)
{
    const char *value = (const char *)ev->data.scalar.value;
    size_t length = ev->data.scalar.length, index;
    tree *t = b->t;
    at_status s =
        check_node(b, ev, ev->data.scalar.anchor, ev->data.scalar.tag);
    if (s == AT_OK && memchr(value, '\0', length)) /* "\0" or "\u0000" */
        s = refuse(b, &ev->start_mark, "a NUL character is");
    if (s == AT_OK)
        s = add_node(b, SCALAR, ev, &index);
    if (s != AT_OK)
        return s;
    char *text = reserve(t->text, &t->cap_text, t->n_text, length + 1, 1);
    if (!text)
        return nomem(b->c);
    t->text = text;
    t->nodes[index].plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    t->nodes[index].at = t->n_text;
    memcpy(t->text + t->n_text, value, length + 1);
    t->n_text += length + 1;
    return finish(b, index);
}

/* A mapping or list opens, unless it would nest too deep: refused at the
 * first collection past the limit, so libyaml never scans the rest. */
static at_status on_start(builder *b, const yaml_event_t *ev, node_kind k,
                          const yaml_char_t *anchor, const yaml_char_t *tag)
{
    size_t index;
    at_status s = check_node(b, ev, anchor, tag);
    node at = at_mark(&ev->start_mark);
    if (s == AT_OK && b->depth == AT__MAX_DEPTH)
        s = fail_node(b->c, &at, "",
                      "mappings and lists nested deeper than %d levels: "
                      "not a profile",
                      AT__MAX_DEPTH);
    if (s == AT_OK)
        s = add_node(b, k, ev, &index);
    if (s != AT_OK)
        return s;
    b->open[b->depth] = index;
    b->open_from[b->depth++] = b->n_pending;
    return AT_OK;
}

/* The open collection closes: its pending children move to `kids`. */
static at_status on_end(builder *b)
{
    tree *t = b->t;
    size_t index = b->open[--b->depth], from = b->open_from[b->depth];
    size_t n = b->n_pending - from;
    size_t *kids = reserve(t->kids, &t->cap_kids, t->n_kids, n, sizeof *kids);
    if (n && !kids)
        return nomem(b->c);
    t->kids = kids;
    if (n) /* an empty collection may come before any array exists */
        memcpy(kids + t->n_kids, b->pending + from, n * sizeof *kids);
    t->nodes[index].at = t->n_kids;
    t->nodes[index].count = n;
    t->n_kids += n;
    b->n_pending = from;
    return finish(b, index);
}

static at_status on_event(builder *b, const yaml_event_t *ev)
{
    switch (ev->type) {
    case YAML_DOCUMENT_START_EVENT:
        if (b->documents++) {
            node at = at_mark(&ev->start_mark);
            return fail_node(b->c, &at, "",
                             "a profile is one YAML document; found a "
                             "second");
        }
        return AT_OK;
    case YAML_SCALAR_EVENT: return on_scalar(b, ev);
    case YAML_SEQUENCE_START_EVENT:
        return on_start(b, ev, LIST, ev->data.sequence_start.anchor,
                        ev->data.sequence_start.tag);
    case YAML_MAPPING_START_EVENT:
        return on_start(b, ev, MAP, ev->data.mapping_start.anchor,
                        ev->data.mapping_start.tag);
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT: return on_end(b);
    case YAML_ALIAS_EVENT: return refuse(b, &ev->start_mark, "an alias is");
    default: return AT_OK;
    }
}

/* A reader error (bad encoding) has a byte offset, not a mark: count the
 * lines and characters up to it. */
static yaml_mark_t mark_at_offset(const char *text, size_t offset)
{
    yaml_mark_t m = {offset, 0, 0};
    for (size_t i = 0; i < offset; i++) {
        if (text[i] == '\n') {
            m.line++;
            m.column = 0;
        } else if (((unsigned char)text[i] & 0xC0) != 0x80)
            m.column++;
    }
    return m;
}

static at_status syntax_error(builder *b, const yaml_parser_t *parser,
                              const char *text, size_t length)
{
    yaml_mark_t m = parser->problem_mark;
    if (parser->error == YAML_MEMORY_ERROR)
        return nomem(b->c);
    if (parser->error == YAML_READER_ERROR)
        m = mark_at_offset(text, parser->problem_offset < length
                                     ? parser->problem_offset
                                     : length);
    return at__fail_at(b->c->err, AT_ERR_SYNTAX, b->c->file, (int)m.line + 1,
                       (int)m.column + 1, "", "%s%s%s", parser->problem,
                       parser->context ? " " : "",
                       parser->context ? parser->context : "");
}

/* Every event of the text into the tree, up to the first refusal. */
static at_status parse_events(builder *b, yaml_parser_t *parser,
                              const char *text, size_t length)
{
    for (;;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(parser, &ev))
            return syntax_error(b, parser, text, length);
        at_status s = on_event(b, &ev);
        int end = ev.type == YAML_STREAM_END_EVENT;
        yaml_event_delete(&ev);
        if (s != AT_OK || end)
            return s;
    }
}

/* The text into *t, whose root is its one document's top node. */
static at_status build_tree(ctx *c, const char *text, size_t length, tree *t)
{
    builder b = {.c = c, .t = t};
    node start = {.line = 1, .column = 1};
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser))
        return nomem(c);
    yaml_parser_set_input_string(&parser, (const unsigned char *)text,
                                 length);
    at_status s = parse_events(&b, &parser, text, length);
    yaml_parser_delete(&parser);
    if (s == AT_OK && b.n_pending == 0)
        s = fail_node(c, &start, "", "the file is empty, not a profile");
    if (s == AT_OK)
        t->root = b.pending[0];
    free(b.pending);
    return s;
}

/* Child i of a collection (of a mapping: key, value, key, ...). */
static const node *kid(const ctx *c, const node *n, size_t i)
{
    return &c->t->nodes[c->t->kids[n->at + i]];
}

static const char *scalar(const ctx *c, const node *n)
{
    return c->t->text + n->at;
}

/* The value of `key` in a mapping (or the mapping itself when absent), so
 * checks that span several keys can point at the one at fault. */
static const node *value_of(const ctx *c, const node *map, const char *key)
{
    if (map->kind != MAP)
        return map;
    for (size_t i = 0; i + 1 < map->count; i += 2) {
        const node *k = kid(c, map, i);
        if (k->kind == SCALAR && strcmp(scalar(c, k), key) == 0)
            return kid(c, map, i + 1);
    }
    return map;
}

static const char *type_name(const node *n)
{
    static const char *const names[] = {
        [SCALAR] = "a scalar", [LIST] = "a list", [MAP] = "a mapping"};
    return names[n->kind];
}

static at_status expect(ctx *c, const node *n, node_kind kind,
                        const char *key)
{
    if (n->kind == kind)
        return AT_OK;
    node wanted = {.kind = kind};
    return fail_node(c, n, key, "'%s' must be %s, not %s", key,
                     type_name(&wanted), type_name(n));
}

/* ------------------------------------------------------- scalar parsing */

static int is_plain(const node *n)
{
    return n->kind == SCALAR && n->plain;
}

/* How a rejected value is quoted back: an excerpt, and a quoted scalar
 * keeps its quotes, so '"2"' shows why a number in quotes is not one. */
static excerpt shown(const ctx *c, const node *n)
{
    excerpt e;
    if (n->kind != SCALAR)
        snprintf(e.s, sizeof e.s, "%s", type_name(n));
    else if (n->plain)
        e = quote(scalar(c, n));
    else
        snprintf(e.s, sizeof e.s, "\"%.*s\"", (int)sizeof e.s - 3,
                 quote(scalar(c, n)).s);
    return e;
}

/* Numbers go by the format's one rule (at__parse_integer, _real). */
static at_status parse_long(ctx *c, const node *n, const char *key, long min,
                            long max, long *out)
{
    long v;
    if (!is_plain(n) || at__parse_integer(scalar(c, n), &v) != 0 || v < min ||
        v > max)
        return fail_node(c, n, key,
                         "'%s' must be an integer from %ld to %ld, got '%s'",
                         key, min, max, shown(c, n).s);
    *out = v;
    return AT_OK;
}

/* YAML's null, as the format writes it: plain `null` or `~`. */
static int is_null(const ctx *c, const node *n)
{
    return is_plain(n) && (strcmp(scalar(c, n), "null") == 0 ||
                           strcmp(scalar(c, n), "~") == 0);
}

static at_status parse_double(ctx *c, const node *n, const at__field *f,
                              double *out)
{
    const char *or_null = f->flags & AT_F_UNKNOWN_OK ? " or null" : "";
    double v;
    if (*or_null && is_null(c, n)) {
        *out = NAN; /* not measured */
        return AT_OK;
    }
    if (is_plain(n) && at__parse_real(scalar(c, n), &v) == 0 && v >= f->min &&
        v <= f->max) {
        *out = v;
        return AT_OK;
    }
    if (f->max >= HUGE_VAL)
        return fail_node(c, n, f->key,
                         "'%s' must be a number >= %g%s, got '%s'", f->key,
                         f->min, or_null, shown(c, n).s);
    return fail_node(c, n, f->key,
                     "'%s' must be a number from %g to %g%s, got '%s'",
                     f->key, f->min, f->max, or_null, shown(c, n).s);
}

/* ------------------------------------------------- reading by the schema */

static at_status read_object(ctx *c, const node *n, const at__object *o,
                             void *base);

static at_status read_enum(ctx *c, const node *v, const at__field *f,
                           void *dst)
{
    at_error why;
    int ignored;
    at_status s = expect(c, v, SCALAR, f->key);
    if (s != AT_OK || at__enum_parse(f->names, f->n_names, f->key,
                                     scalar(c, v), dst, NULL) == AT_OK)
        return s;
    /* "mode must be one of ...", worded by the names' own parser but
     * quoting the excerpt (which is no name either) */
    at__enum_parse(f->names, f->n_names, f->key, quote(scalar(c, v)).s,
                   &ignored, &why);
    return fail_node(c, v, f->key, "'%s' %s", f->key,
                     strstr(why.message, "must"));
}

static at_status read_string(ctx *c, const node *v, const at__field *f,
                             char *dst)
{
    at_status s = expect(c, v, SCALAR, f->key);
    if (s != AT_OK)
        return s;
    if (!scalar(c, v)[0] || strlen(scalar(c, v)) >= f->size)
        return fail_node(c, v, f->key,
                         "'%s' must be a text of 1 to %zu characters", f->key,
                         f->size - 1);
    at__strlcpy(dst, scalar(c, v), f->size);
    return AT_OK;
}

static at_status read_time(ctx *c, const node *v, const at__field *f,
                           char *dst)
{
    at_status s = expect(c, v, SCALAR, f->key);
    if (s != AT_OK)
        return s;
    if (!at__timestamp_valid(scalar(c, v)))
        return fail_node(c, v, f->key,
                         "'%s' must be a UTC time like "
                         "2026-01-31T12:00:00Z, got '%s'",
                         f->key, quote(scalar(c, v)).s);
    at__strlcpy(dst, scalar(c, v), f->size);
    return AT_OK;
}

/* A value that must be f->konst: a number (the format version) one from
 * f->min to f->max, the versions read (anything else is an unsupported
 * version); a text (the model form) that text, checked as a text first. */
static at_status read_const(ctx *c, const node *v, const at__field *f)
{
    char text[32];
    long n;
    if (f->max > 0) {
        if (is_plain(v) &&
            parse_long(c, v, f->key, (long)f->min, (long)f->max, &n) == AT_OK)
            return AT_OK;
        return fail_node(c, v, f->key,
                         "%s '%s' (this library reads versions %g to %g)",
                         f->konst_message, shown(c, v).s, f->min, f->max);
    }
    at__field as_text = *f;
    as_text.size = sizeof text;
    at_status s = read_string(c, v, &as_text, text);
    if (s == AT_OK && strcmp(text, f->konst) != 0)
        s = fail_node(c, v, f->key, "%s '%s' (this library reads %s)",
                      f->konst_message, quote(text).s, f->konst);
    return s;
}

static at_status read_list(ctx *c, const node *n, const at__field *f,
                           void *base);
static at_status read_map(ctx *c, const node *n, const at__field *f,
                          void *base);

static at_status read_field(ctx *c, const node *v, const at__field *f,
                            void *base)
{
    void *dst = at__field_at(base, f);
    long l;
    at_status s;
    switch (f->type) {
    case AT_F_INT:
        if ((s = parse_long(c, v, f->key, (long)f->min, (long)f->max, &l)))
            return s;
        *(int *)dst = (int)l;
        return AT_OK;
    case AT_F_LONG:
        return parse_long(c, v, f->key, (long)f->min, (long)f->max, dst);
    case AT_F_DOUBLE: return parse_double(c, v, f, dst);
    case AT_F_STRING: return read_string(c, v, f, dst);
    case AT_F_TIME: return read_time(c, v, f, dst);
    case AT_F_ENUM: return read_enum(c, v, f, dst);
    case AT_F_OBJECT:
        if (f->count_offset != AT_F_NO_FLAG)
            *(int *)((char *)base + f->count_offset) = 1;
        return read_object(c, v, f->object, dst);
    case AT_F_LIST: return read_list(c, v, f, base);
    case AT_F_MAP: return read_map(c, v, f, base);
    case AT_F_CONST: return read_const(c, v, f);
    }
    return AT_OK;
}

/* What a missing optional key means: a number absent below its minimum
 * holds min - 1 (baselines: -1, "not measured"); nested objects alike. */
static void set_absent(const at__object *o, void *base)
{
    for (size_t i = 0; i < o->n_fields; i++) {
        const at__field *f = &o->fields[i];
        if (f->flags & AT_F_ABSENT_BELOW_MIN)
            at__field_set_number(base, f, f->min - 1);
        else if (f->flags & AT_F_ABSENT_AT_MIN)
            at__field_set_number(base, f, f->min);
        else if (f->type == AT_F_ENUM && !(f->flags & AT_F_REQUIRED))
            *(int *)at__field_at(base, f) = -1; /* "absent", for a check */
        else if (f->type == AT_F_OBJECT && f->count_offset == AT_F_NO_FLAG)
            set_absent(f->object, at__field_at(base, f));
    }
}

/* Reads a mapping against its object's fields: unknown keys, duplicate
 * keys, missing required keys and each value are checked, in file order,
 * so every object's messages are worded alike. */
static at_status read_fields(ctx *c, const node *n, const at__object *o,
                             void *base)
{
    at_status s = expect(c, n, MAP, o->what);
    unsigned char seen[32] = {0};
    for (size_t p = 0; s == AT_OK && p + 1 < n->count; p += 2) {
        const node *k = kid(c, n, p);
        if (k->kind != SCALAR)
            return fail_node(c, k, "", "a key in %s must be a scalar",
                             o->what);
        size_t i = 0;
        while (i < o->n_fields && strcmp(o->fields[i].key, scalar(c, k)))
            i++;
        if (i == o->n_fields) {
            excerpt key = quote(scalar(c, k));
            return fail_node(c, k, key.s, "unknown key '%s' in %s", key.s,
                             o->what);
        }
        if (seen[i]++)
            return fail_node(c, k, o->fields[i].key,
                             "duplicate key '%s' in %s", o->fields[i].key,
                             o->what);
        s = read_field(c, kid(c, n, p + 1), &o->fields[i], base);
    }
    for (size_t i = 0; s == AT_OK && i < o->n_fields; i++)
        if ((o->fields[i].flags & AT_F_REQUIRED) && !seen[i])
            return fail_node(c, n, o->fields[i].key, "missing key '%s' in %s",
                             o->fields[i].key, o->what);
    return s;
}

/* The n zeroed elements of a list or map field, owned by base (and
 * counted) from here on: a zeroed element is safe to free, so one read
 * halfway is freed whole with the rest. */
static at_status new_elements(ctx *c, void *base, const at__field *f,
                              size_t n, char **items)
{
    *items = n ? calloc(n, f->size) : NULL;
    if (n && !*items)
        return nomem(c);
    *(char **)at__field_at(base, f) = *items;
    *(size_t *)((char *)base + f->count_offset) = n;
    return AT_OK;
}

/* A list of objects into a calloc'ed array. */
static at_status read_list(ctx *c, const node *n, const at__field *f,
                           void *base)
{
    char *items;
    at_status s = expect(c, n, LIST, f->key);
    if (s == AT_OK)
        s = new_elements(c, base, f, n->count, &items);
    for (size_t i = 0; s == AT_OK && i < n->count; i++)
        s = read_object(c, kid(c, n, i), f->object, items + i * f->size);
    return s;
}

/* ------------------------------------------------ duplicates, n log n */

/* Of the n elements (of `size` bytes) in file order, the first that
 * equals an earlier one under `cmp`: their addresses sorted by cmp, then
 * by address, so equal ones stand in file order side by side. n when
 * none does; -1 when out of memory. */
typedef int (*element_cmp)(const void *a, const void *b);

static int by_key_then_place(const void *a, const void *b, void *cmp)
{
    const char *x = *(const char *const *)a, *y = *(const char *const *)b;
    int k = (*(const element_cmp *)cmp)(x, y);
    return k ? k : (x > y) - (x < y);
}

static long first_duplicate(const void *elements, size_t n, size_t size,
                            element_cmp cmp)
{
    const char *base = elements, **sorted = malloc(n * sizeof *sorted + 1);
    if (!sorted)
        return -1;
    for (size_t i = 0; i < n; i++)
        sorted[i] = base + i * size;
    qsort_r(sorted, n, sizeof *sorted, by_key_then_place, &cmp);
    size_t first = n;
    for (size_t i = 1; i < n; i++)
        if (cmp(sorted[i - 1], sorted[i]) == 0 &&
            (size_t)(sorted[i] - base) / size < first)
            first = (size_t)(sorted[i] - base) / size;
    free(sorted);
    return (long)first;
}

static int workload_cmp(const void *a, const void *b)
{
    return strcmp(((const at_workload_profile *)a)->name,
                  ((const at_workload_profile *)b)->name);
}

static int machine_cmp(const void *a, const void *b)
{
    return strcmp(((const at_machine_profile *)a)->machine.fingerprint,
                  ((const at_machine_profile *)b)->machine.fingerprint);
}

/* ---------------------------------------------------------- workloads */

/* Version 1 of the format had four workloads, of fixed kinds. */
static const struct {
    const char *name;
    at_workload_kind kind;
} version1_workloads[] = {{"inv", AT_KIND_BATCH},
                          {"svd", AT_KIND_BATCH},
                          {"gemm", AT_KIND_BATCH},
                          {"exp", AT_KIND_VECTOR}};

static int version1_kind(const char *name, at_workload_kind *kind)
{
    for (size_t i = 0; i < 4; i++)
        if (strcmp(version1_workloads[i].name, name) == 0) {
            *kind = version1_workloads[i].kind;
            return 0;
        }
    return -1;
}

static at_status check_workload_name(ctx *c, const node *k)
{
    const char *name = k->kind == SCALAR ? scalar(c, k) : NULL;
    at_error why;
    at_workload_kind kind;
    if (c->version == 1 && (!name || version1_kind(name, &kind) != 0))
        return fail_node(c, k, name ? quote(name).s : "",
                         "unknown workload '%s' (known: inv, svd, gemm, "
                         "exp)",
                         name ? quote(name).s : "?");
    if (!name)
        return fail_node(c, k, "", "a workload name must be a scalar");
    if (at_workload_name_check(name, &why) == AT_OK)
        return AT_OK;
    /* the rule's message quotes the whole name: quote the excerpt */
    return fail_node(c, k, quote(name).s, "invalid workload name '%s' %s",
                     quote(name).s, strrchr(why.message, '('));
}

/* The names of a mapping into its n elements: each checked, and all
 * checked unique (n log n). */
static at_status read_names(ctx *c, const node *n, const at__field *f,
                            char *items)
{
    size_t pairs = n->count / 2;
    for (size_t i = 0; i < pairs; i++) {
        const node *k = kid(c, n, 2 * i);
        at_status s = check_workload_name(c, k);
        if (s != AT_OK)
            return s;
        at__strlcpy(items + i * f->size + f->name_offset, scalar(c, k),
                    f->name_size);
    }
    long dup = first_duplicate(items, pairs, f->size, workload_cmp);
    if (dup < 0)
        return nomem(c);
    if ((size_t)dup == pairs)
        return AT_OK;
    const char *name = items + (size_t)dup * f->size + f->name_offset;
    return fail_node(c, kid(c, n, 2 * (size_t)dup), name, /* checked */
                     "duplicate key '%s' in %s", name, f->key);
}

/* The workloads: a mapping of names to objects, stored as a list whose
 * elements hold their names; every name is read before any value. */
static at_status read_map(ctx *c, const node *n, const at__field *f,
                          void *base)
{
    char *items;
    size_t pairs = n->count / 2;
    at_status s = expect(c, n, MAP, f->key);
    if (s == AT_OK)
        s = new_elements(c, base, f, pairs, &items);
    if (s == AT_OK)
        s = read_names(c, n, f, items);
    for (size_t i = 0; s == AT_OK && i < pairs; i++) {
        c->workload = items + i * f->size + f->name_offset;
        s = read_object(c, kid(c, n, 2 * i + 1), f->object,
                        items + i * f->size);
    }
    return s;
}

/* ------------------------------------------- checks across the fields */

/* The knob values must fit the job: a chunk no larger than the tasks,
 * partitions only for vector workloads, one item for a vector. */
static at_status check_fits_job(ctx *c, const node *n, const char *what,
                                const char *config_key, long items,
                                const at_config *cfg)
{
    const node *config = value_of(c, n, config_key);
    if (c->kind == AT_KIND_VECTOR && items != 1)
        return fail_node(c, value_of(c, n, "items"), "items",
                         "'items' must be 1 for vector workload '%s' in %s",
                         c->workload, what);
    if (c->kind == AT_KIND_BATCH && cfg->partitions != 1)
        return fail_node(c, value_of(c, config, "partitions"), "partitions",
                         "'partitions' must be 1 for batch workload '%s' "
                         "in %s",
                         c->workload, what);
    long tasks = c->kind == AT_KIND_VECTOR ? cfg->partitions : items;
    if (cfg->chunk_size > tasks)
        return fail_node(c, value_of(c, config, "chunk_size"), "chunk_size",
                         "'chunk_size' %d exceeds the %ld tasks of the job "
                         "in %s",
                         cfg->chunk_size, tasks, what);
    return AT_OK;
}

/* An entry's best fits its job, and its baselines ran on fewer items
 * than it has, if they did not run on its job. */
static at_status check_entry(ctx *c, const node *n, const at__entry *e)
{
    at_status s =
        check_fits_job(c, n, "entry", "best", e->pub.items, &e->pub.best);
    if (s == AT_OK && e->baseline_items >= e->pub.items)
        return fail_node(c, value_of(c, n, "baseline_items"),
                         "baseline_items",
                         "'baseline_items' %ld must be below the entry's "
                         "items (%ld)",
                         e->baseline_items, e->pub.items);
    return s;
}

/* A workload's kind: its own, or in a version 1 file its name's. */
static at_status check_kind(ctx *c, const node *n, at_workload_profile *wp)
{
    if ((int)wp->kind >= 0 ||
        (c->version == 1 && version1_kind(wp->name, &wp->kind) == 0))
        return AT_OK;
    return fail_node(c, n, "kind", "missing key 'kind' in workload");
}

/* Every entry's best and every sample's configuration fit their job, a
 * job of this workload's kind (known once the whole workload is read). */
static at_status check_jobs(ctx *c, const node *n,
                            const at_workload_profile *wp)
{
    const node *entries = value_of(c, n, "entries");
    const node *samples = value_of(c, n, "samples");
    at_status s = AT_OK;
    c->kind = wp->kind;
    c->workload = wp->name;
    for (size_t i = 0; s == AT_OK && i < wp->n_entries; i++)
        s = check_entry(c, kid(c, entries, i), &wp->entries[i]);
    for (size_t i = 0; s == AT_OK && i < wp->n_samples; i++)
        s = check_fits_job(c, kid(c, samples, i), "sample", "config",
                           wp->samples[i].items, &wp->samples[i].config);
    return s;
}

/* No two entries share (size, items), no two samples (size, items,
 * config): a merge would keep only one. Refused at the later one. */
static at_status check_unique_jobs(ctx *c, const node *n,
                                   const at_workload_profile *wp)
{
    long e = first_duplicate(wp->entries, wp->n_entries, sizeof *wp->entries,
                             at__entry_cmp);
    long s = e < 0 ? -1
                   : first_duplicate(wp->samples, wp->n_samples,
                                     sizeof *wp->samples, at__sample_cmp);
    if (s < 0)
        return nomem(c);
    if ((size_t)e < wp->n_entries)
        return fail_node(c, kid(c, value_of(c, n, "entries"), (size_t)e), "",
                         "duplicate entry for size %ld, items %ld in "
                         "workload '%s'",
                         wp->entries[e].pub.size, wp->entries[e].pub.items,
                         wp->name);
    if ((size_t)s < wp->n_samples)
        return fail_node(c, kid(c, value_of(c, n, "samples"), (size_t)s), "",
                         "duplicate sample for size %ld, items %ld and the "
                         "same config in workload '%s'",
                         wp->samples[s].size, wp->samples[s].items, wp->name);
    return AT_OK;
}

static at_status check_workload(ctx *c, const node *n, void *base)
{
    at_workload_profile *wp = base;
    at_status s = check_kind(c, n, wp);
    if (s == AT_OK)
        s = check_jobs(c, n, wp);
    if (s == AT_OK)
        s = check_unique_jobs(c, n, wp);
    if (s == AT_OK)
        at__entries_sort(wp);
    return s;
}

/* The stored fingerprint must be the hash of the stored identity: a hand
 * edit of one without the other would silently match the wrong machine.
 * The hardware fingerprint is derived, never stored. */
static at_status check_fingerprint(ctx *c, const node *n, void *base)
{
    at_machine_profile *mp = base;
    at_machine m = mp->machine;
    at_machine_fingerprint(&m);
    memcpy(mp->machine.hardware, m.hardware, sizeof m.hardware);
    if (strcmp(m.fingerprint, mp->machine.fingerprint) == 0)
        return AT_OK;
    return fail_node(c, value_of(c, n, "fingerprint"), "fingerprint",
                     "fingerprint '%s' does not match the machine's cpu and "
                     "blas fields (they hash to '%s')",
                     quote(mp->machine.fingerprint).s, m.fingerprint);
}

static at_status check_machines(ctx *c, const node *n, void *base)
{
    const at_profile *p = base;
    long i = first_duplicate(p->machines, p->n_machines, sizeof *p->machines,
                             machine_cmp);
    if (i < 0)
        return nomem(c);
    if ((size_t)i == p->n_machines)
        return AT_OK;
    return fail_node(c,
                     value_of(c,
                              kid(c, value_of(c, n, "machines"), (size_t)i),
                              "fingerprint"),
                     "fingerprint", "duplicate machine fingerprint '%s'",
                     p->machines[i].machine.fingerprint);
}

/* The checks that span several fields of an object, after its fields. */
static const struct {
    const at__object *object;
    at_status (*check)(ctx *c, const node *n, void *base);
} object_checks[] = {
    {&at__workload_schema, check_workload},
    {&at__machine_schema, check_fingerprint},
    {&at__profile_schema, check_machines},
};

static at_status read_object(ctx *c, const node *n, const at__object *o,
                             void *base)
{
    set_absent(o, base);
    at_status s = read_fields(c, n, o, base);
    for (size_t i = 0;
         s == AT_OK && i < sizeof object_checks / sizeof object_checks[0];
         i++)
        if (object_checks[i].object == o)
            s = object_checks[i].check(c, n, base);
    return s;
}

/* ---------------------------------------------------------- the document */

/* The format version, read ahead: what a workload may be depends on it,
 * wherever the key stands in the file. 0 when it is no version (the walk
 * reports that). */
static long peek_version(const ctx *c, const node *root)
{
    const node *v = value_of(c, root, "autotune_profile");
    long n;
    if (v == root || !is_plain(v) || at__parse_integer(scalar(c, v), &n))
        return 0;
    return n;
}

at_status at_profile_load_string(const char *yaml, size_t length,
                                 const char *name, at_profile **out,
                                 at_error *err)
{
    AT_REQUIRE(yaml, err);
    AT_REQUIRE(out, err);
    tree t = {NULL};
    ctx c = {name ? name : "<string>", &t, err, NULL, AT_KIND_BATCH, 0};
    at_profile *p = NULL;
    at_status s = build_tree(&c, yaml, length, &t);
    if (s == AT_OK && !(p = calloc(1, sizeof *p)))
        s = nomem(&c);
    if (s == AT_OK) {
        c.version = peek_version(&c, &t.nodes[t.root]);
        s = read_object(&c, &t.nodes[t.root], &at__profile_schema, p);
    }
    tree_free(&t);
    if (s != AT_OK) {
        at_profile_free(p);
        return s;
    }
    *out = p;
    return AT_OK;
}

/* What a profile must be: a regular file. A FIFO would block the reader
 * for ever and a device could be endless, so the file is opened without
 * blocking and checked before a byte is read. */
static const char *file_type(mode_t mode)
{
    return S_ISDIR(mode)    ? "a directory"
           : S_ISFIFO(mode) ? "a FIFO"
           : S_ISCHR(mode)  ? "a character device"
           : S_ISBLK(mode)  ? "a block device"
           : S_ISSOCK(mode) ? "a socket"
                            : "not a regular file";
}

static at_status open_regular(const char *path, FILE **out, at_error *err)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return at__fail_at(err, AT_ERR_IO, path, 0, 0, "", "cannot open: %s",
                           strerror(errno));
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        at_status s = at__fail_at(err, AT_ERR_IO, path, 0, 0, "",
                                  "not a profile: %s", file_type(st.st_mode));
        close(fd);
        return s;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    *out = fdopen(fd, "rb");
    if (!*out) {
        close(fd);
        return at__fail(err, AT_ERR_NOMEM, "out of memory");
    }
    return AT_OK;
}

at_status at_profile_load(const char *path, at_profile **out, at_error *err)
{
    AT_REQUIRE(path, err);
    AT_REQUIRE(out, err);
    FILE *f;
    at_status s0 = open_regular(path, &f, err);
    if (s0 != AT_OK)
        return s0;
    char *buf = NULL;
    size_t len = 0, cap = 0;
    at_status s = AT_OK;
    for (;;) {
        if (len + 65536 > cap) {
            cap = cap ? cap * 2 : 65536 * 2;
            char *grown =
                len + 65536 > MAX_PROFILE_BYTES ? NULL : realloc(buf, cap);
            if (!grown) {
                s = at__fail_at(err, AT_ERR_IO, path, 0, 0, "",
                                "too large for a profile (limit %ld MiB)",
                                MAX_PROFILE_BYTES >> 20);
                break;
            }
            buf = grown;
        }
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (n == 0) {
            if (ferror(f))
                s = at__fail_at(err, AT_ERR_IO, path, 0, 0, "",
                                "read error: %s", strerror(errno));
            break;
        }
    }
    fclose(f);
    if (s == AT_OK)
        s = at_profile_load_string(buf ? buf : "", len, path, out, err);
    free(buf);
    return s;
}
