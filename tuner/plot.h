/* plot.h - a picture of one tuning (seconds against workers, measured
 * against predicted), for `autotune plot` and `autotune tune --plot`. */
#ifndef AT_PLOT_H
#define AT_PLOT_H

#include "autotune.h"

/* The picture's format, from the file name's extension. */
typedef enum plot_format { PLOT_SVG, PLOT_PNG, PLOT_PDF } plot_format;

/* The format of `path` by its extension (.svg, .png or .pdf, in any
 * case); AT_ERR_ARG for any other, the message "expected a name ending
 * in .svg, .png or .pdf, got 'PATH'" (prefix the option's name). A
 * caller that draws only after minutes of work (tune --plot) checks the
 * name first. */
at_status plot_format_of(const char *path, plot_format *format,
                         at_error *err);

/* Draws the tuning of workload `name` at (size, items) on the machine
 * `fingerprint` of `p` into `path` (.svg, .png or .pdf), atomically: a
 * temporary file beside it, fsync, rename. Defaults: name NULL, the
 * machine's only workload; size 0, the largest size with an entry (else
 * with samples); items 0, that entry's items (else the item count most
 * samples at that size have). AT_ERR_NOMATCH when the machine, the
 * workload or samples of that job are not in `p`; AT_ERR_IO naming
 * `path` when it cannot be written. */
at_status plot_write(const at_profile *p, const char *fingerprint,
                     const char *name, long size, long items,
                     const char *path, at_error *err);

#endif
