/*
 * schema.h - private to libautotune: the profile format, described once.
 *
 * Every object of a profile is a table of fields in file order: its key,
 * its type, where its value lives in the library's structs, its range,
 * whether it is required, and how it is written. profile_load.c reads by
 * these tables, profile_save.c writes by them, profile.c compares by them,
 * and tests/unit/test_schema.c checks data/profile-format.md against
 * them. Adding a field to an object is one row here (and its member in
 * the struct); the checks that span several fields (a chunk that must fit
 * the job, a fingerprint that must match its fields) stay with the loader.
 */
#ifndef AT_SCHEMA_H
#define AT_SCHEMA_H

#include "internal.h"

#include <stddef.h>

typedef enum at__ftype {
    AT_F_INT,    /* int, from min to max */
    AT_F_LONG,   /* long, from min to max */
    AT_F_DOUBLE, /* double, from min to max */
    AT_F_STRING, /* char[size], 1 to size - 1 characters */
    AT_F_TIME,   /* char[32], "YYYY-MM-DDTHH:MM:SSZ" */
    AT_F_ENUM,   /* int-sized enum, one of names[] */
    AT_F_OBJECT, /* a nested object: `object`'s fields from `offset` */
    AT_F_LIST,   /* a list of `object`: array pointer at offset, count at
                    count_offset, elements of `size` bytes */
    AT_F_MAP,    /* a mapping name -> `object`, stored as a LIST whose
                    elements hold their name at name_offset */
    AT_F_CONST   /* a value that must be exactly `konst`; stored nowhere */
} at__ftype;

/* Flags of a field. AT_F_REQUIRED: a missing key is an error.
 * AT_F_ABSENT_BELOW_MIN: a number below min means "absent": the loader
 * stores min - 1 for a missing key, and it is never written.
 * AT_F_UNKNOWN_OK (DOUBLE only): the value may be unknown, NAN in memory
 * and YAML null (`null` or `~`) in the file; two unknowns are equal.
 * AT_F_ABSENT_AT_MIN: a number at its minimum is its
 * default: the loader stores min for a missing key, and min is never
 * written, so a file that does not need a key added later (a model
 * parameter) stays readable by the libraries that came before it. */
#define AT_F_REQUIRED 1u
#define AT_F_ABSENT_BELOW_MIN 2u
#define AT_F_UNKNOWN_OK 4u
#define AT_F_ABSENT_AT_MIN 8u

#define AT_F_NO_FLAG ((size_t)-1)

struct at__object;

typedef struct at__field {
    const char *key;
    at__ftype type;
    unsigned flags;
    size_t offset;
    size_t size;              /* STRING: buffer; LIST, MAP: element */
    double min, max;          /* INT, LONG, DOUBLE; CONST numbers */
    const char *const *names; /* ENUM */
    int n_names;
    const struct at__object *object; /* OBJECT, LIST, MAP */
    size_t count_offset; /* LIST, MAP: the count (size_t); OBJECT: an int
                            flag set when present, or AT_F_NO_FLAG */
    size_t name_offset;  /* MAP: the element's name (char[name_size]) */
    size_t name_size;
    const char *konst;         /* CONST: the one value, as written */
    const char *konst_message; /* CONST: what another value is ("unknown
                                  model form") */
} at__field;

typedef struct at__object {
    const char *what; /* names the object in messages: "entry", "cpu" */
    const at__field *fields;
    size_t n_fields;
    int flow; /* written on one line, {key: value, ...} */
} at__object;

/* The whole profile, from its top-level mapping (an at_profile). */
extern const at__object at__profile_schema;
/* Objects the loader checks beyond their fields. */
extern const at__object at__machine_schema, at__entry_schema,
    at__sample_schema, at__workload_schema;
/* The model, and its parameters (at_model_get and _set go by these). */
extern const at__object at__model_schema, at__params_schema;

/* Where field f's value of the object at `base` is. */
static inline void *at__field_at(const void *base, const at__field *f)
{
    return (char *)base + f->offset;
}

/* Whether an optional field holds a value to write: numbers at or above
 * their minimum when AT_F_ABSENT_BELOW_MIN, strings non-empty, objects
 * with their flag set (or, without a flag, any field present), lists and
 * maps non-empty. Required fields are always present. */
int at__field_present(const void *base, const at__field *f);
/* Stores v in number field f (INT, LONG or DOUBLE) of the object at base. */
void at__field_set_number(void *base, const at__field *f, double v);

/* Whether two objects of schema `o` hold the same data. */
int at__object_equal(const at__object *o, const void *a, const void *b);

/* How deep mappings and lists may nest in a profile. The format itself
 * needs at most half of it (test_schema checks), so a typo one or two levels
 * deeper still gets its own message; anything deeper is refused by the
 * loader as soon as it is seen, before libyaml's scanner, quadratic in
 * the depth of flow collections, spends seconds on it. */
#define AT__MAX_DEPTH 16

/* The one number rule of the format (data/profile-format.md, "Numbers"):
 * JSON's number syntax in a plain scalar. An integer is
 * -?(0|[1-9][0-9]*); a real may add a fraction (.[0-9]+) and an exponent
 * ([eE][-+]?[0-9]+). No hex, no inf or nan, no leading zero (YAML 1.1
 * reads 010 as 8), no `+`, `.5` or `1.`. Each returns 0 and sets *value,
 * or -1 for a text outside the rule or a value outside long / double:
 * a real too small for a double is read as what it becomes (0, or a
 * subnormal), one too large is refused. */
int at__parse_integer(const char *text, long *value);
int at__parse_real(const char *text, double *value);
/* The shortest text of `value` (finite) in that syntax that
 * at__parse_real reads back as the same double. */
void at__format_real(double value, char *buf, size_t size);

#endif /* AT_SCHEMA_H */
