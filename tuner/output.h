/* output.h - what the autotune program prints as data, and the one check
 * of what it wrote. A command that prints data builds it once, as a json-c
 * tree; --format json prints that tree with json-c, --format yaml the same
 * tree through libyaml's emitter (one generic converter), and the text
 * format stays the command's own printer. The library's types (a
 * configuration, a machine, a profile, an error) become trees here, once,
 * with the profile format's key names, so a key means the same in every
 * command's output; the man page's OUTPUT FORMATS section documents each
 * command's tree. */
#ifndef AT_OUTPUT_H
#define AT_OUTPUT_H

#include "autotune.h"

#include <json.h>

typedef enum out_format { OUT_TEXT, OUT_YAML, OUT_JSON } out_format;

/* "text", "yaml" or "json" into *format: 0, or -1 for any other name. */
int out_format_parse(const char *name, out_format *format);

/* Values of a tree. A JSON null is NULL, so out_text(NULL) and out_real(NAN)
 * are null; a number is never NaN or infinite (out_real gives null). A
 * text that is not UTF-8 has each bad byte replaced by U+FFFD (a file name
 * may be anything; JSON and YAML are UTF-8). A constructor that runs out
 * of memory marks the tree being built as failed, and out_print says so
 * instead of printing it. */
json_object *out_object(void);
json_object *out_array(void);
json_object *out_text(const char *s);
json_object *out_int(long long v);
json_object *out_real(double v);
json_object *out_bool(int v);
/* Adds `value` (taking it over) under `key` of `object`, or at the end of
 * `array`. */
void out_put(json_object *object, const char *key, json_object *value);
void out_push(json_object *array, json_object *value);

/* The library's types, with the profile format's keys
 * (data/profile-format.md). */
json_object *out_config(const at_config *c);
json_object *out_machine(const at_machine *m);
json_object *out_transport_cost(const at_transport_cost *c);
/* Puts pipe, shm, thread, process_start_us and thread_start_us. */
void out_put_costs(json_object *object, const at_machine_costs *costs);
/* {file, line, column, key, message}, the unknown ones null. */
json_object *out_error(const at_error *err);
/* The profile's machines: each with its costs and workloads, each
 * workload with its kind, model, entries and samples. */
json_object *out_profile_machines(const at_profile *p);

/* Prints `tree` on standard output as JSON (pretty, 2-space indent) or
 * YAML (block style) and frees it. 0, or 1 after a message. */
int out_print(json_object *tree, out_format format);

/* The program's first word on its standard output: makes stdout a
 * stream over file descriptor 1 (line-buffered on a terminal, else fully)
 * whose failed writes keep their reason for out_close_stdout. */
void out_open_stdout(void);

/* Its last, as gnulib's close_stdout: flushes and closes stdout, and when
 * anything could not be written (a full disk, /dev/full, a closed pipe
 * with SIGPIPE ignored) prints "autotune: write error: REASON" and returns
 * 1 (or `rc` when the command had failed already); else returns `rc`. */
int out_close_stdout(int rc);

#endif
