/* plot.c - `autotune plot`: a picture of one tuning; and plot_write, which
 * `autotune tune --plot FILE` calls at the end of a run.
 *
 * For one machine, workload, size and item count of a profile it draws
 * seconds against workers, one colour per BLAS thread count:
 * - the samples measured on that job as points: at each workers x threads
 *   the fastest configuration measured (other chunk sizes, transports,
 *   pinnings or modes share the point) as a dot with its spread as a bar
 *   (none when the spread is unknown), the slower ones as small rings
 *   jittered beside it, so every sample is seen and the dot is the best;
 * - the model's predictions as dashed lines: at each workers x threads the
 *   best the model predicts over the search space (at_space_enumerate,
 *   with the oversubscribing probes) and the configurations measured, by
 *   at_model_predict: the library's formula, never a copy of it;
 * - the chosen configuration (the entry's best, at its time) ringed, and
 *   the four baselines, their configurations the tuner's own list
 *   (baseline_configs) and their times the entry's, as outlined shapes;
 * - axes with 1-2-5 ticks (seconds on a log scale when they span more
 *   than a decade, else a linear one from 0, so heights compare as
 *   speedups), a legend, and a title naming the job and the machine.
 *
 * Drawn with cairo rather than PLplot: cairo is one library
 * (libcairo2-dev) with its SVG, PNG and PDF surfaces built in, so the
 * three formats are one drawing and nothing is looked up at run time,
 * while PLplot finds its output drivers as separately packaged plug-ins
 * at run time (a missing one is an error only the user would see) and
 * lays out its own text. What cairo lacks, axes, ticks and a legend, is
 * the middle of this file.
 *
 * The picture is rendered into memory, then written atomically: a
 * temporary file beside the target, fsync, rename (the library does the
 * same for profiles, privately). An SVG gets a <title> (its accessible
 * name; cairo draws text as glyph outlines) and a PDF its Title, so the
 * file says what it shows. */
#include "config.h"

#include "cli.h"
#include "plot.h"
#include "search.h"
#include "util.h"

#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <cairo.h>
#include <errno.h>
#include <fontconfig/fontconfig.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* The canvas, in points (PNG: pixels times PNG_SCALE), and the plot area
 * inside it; the legend goes to the right of the plot area. */
#define CANVAS_W 900.0
#define CANVAS_H 520.0
#define PNG_SCALE 2
#define AREA_L 78.0
#define AREA_T 66.0
#define AREA_R 610.0
#define AREA_B 460.0
#define LEGEND_X 636.0
#define LEGEND_ROW 15.0
#define LEGEND_MAX_THREADS 10

/* ------------------------------------------------------------- formats */

at_status plot_format_of(const char *path, plot_format *format, at_error *err)
{
    static const char *const ext[] = {
        [PLOT_SVG] = ".svg", [PLOT_PNG] = ".png", [PLOT_PDF] = ".pdf"};
    size_t n = strlen(path);
    for (int f = PLOT_SVG; f <= PLOT_PDF; f++)
        if (n > 4 && strcasecmp(path + n - 4, ext[f]) == 0) {
            *format = (plot_format)f;
            return AT_OK;
        }
    return tuner_error(err, AT_ERR_ARG,
                       "expected a name ending in .svg, .png or .pdf, got "
                       "'%s'",
                       path);
}

/* ------------------------------------------------------------ the data */

/* One sample of the job, where it is drawn. */
typedef struct point {
    at_config config;
    double seconds, spread;
    int rank; /* 0: the fastest at its workers x threads; 1, 2...: slower */
} point;

typedef struct axis {
    double lo, hi;
    int log;
    int whole;     /* ticks at whole numbers only (workers) */
    double p0, p1; /* where lo and hi are on the canvas */
} axis;

typedef struct plot {
    const at_machine *m;
    const at_machine_costs *costs; /* NULL when not measured */
    const at_model *model;         /* NULL when none was fitted */
    at_workload_kind kind;
    const char *workload;
    long size, items;
    const at_entry *entry; /* the chosen configuration, or NULL */
    at_config base[N_BASELINES];
    double base_s[N_BASELINES]; /* the entry's; < 0 when not measured */
    long base_items; /* scaled from this many items; 0: measured on it */
    point *pts;
    size_t n_pts;
    int *threads; /* the BLAS thread counts measured, ascending: colours */
    int n_threads;
    int max_w;    /* the workers axis ends here */
    double *pred; /* n_threads x max_w: the model's best, or NAN */
    axis x, y;
    char title[160], subtitle[512];
} plot;

static void plot_free(plot *pl)
{
    free(pl->pts);
    free(pl->threads);
    free(pl->pred);
}

/* "inv, svd": the machine's workloads, for a message. */
static void workload_names_of(const at_machine_profile *mp, char *buf,
                              size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < at_machine_profile_workload_count(mp); i++) {
        const char *name =
            at_workload_profile_name(at_machine_profile_workload_at(mp, i));
        int n =
            snprintf(buf + used, size - used, "%s%s", i ? ", " : "", name);
        if (n < 0 || (size_t)n >= size - used)
            return;
        used += (size_t)n;
    }
}

/* The workload asked for, or the machine's only one. */
static at_status find_workload(const at_machine_profile *mp, const char *name,
                               const at_workload_profile **out, at_error *err)
{
    const char *fp = at_machine_profile_machine(mp)->fingerprint;
    size_t n = at_machine_profile_workload_count(mp);
    char names[256];
    if (!name && n == 1)
        name =
            at_workload_profile_name(at_machine_profile_workload_at(mp, 0));
    *out = name ? at_machine_profile_workload(mp, name) : NULL;
    if (*out)
        return AT_OK;
    workload_names_of(mp, names, sizeof names);
    if (name)
        return tuner_error(err, AT_ERR_NOMATCH,
                           "no workload '%s' on machine %s (it has: %s)",
                           name, fp, n ? names : "none");
    return tuner_error(err, AT_ERR_NOMATCH,
                       n ? "machine %s has several workloads (%s): choose "
                           "one with --workload"
                         : "machine %s has no workloads%s",
                       fp, names);
}

/* The largest size tuned: the last entry's (entries are sorted), else
 * the largest sample's; 0 when there is neither. */
static long default_size(const at_workload_profile *wp)
{
    size_t n = at_workload_profile_entry_count(wp);
    if (n)
        return at_workload_profile_entry_at(wp, n - 1)->size;
    long size = 0;
    for (size_t i = 0; i < at_workload_profile_sample_count(wp); i++) {
        long s = at_workload_profile_sample_at(wp, i)->size;
        size = s > size ? s : size;
    }
    return size;
}

/* How many samples of the workload are of (size, items). */
static size_t count_samples(const at_workload_profile *wp, long size,
                            long items)
{
    size_t k = 0;
    for (size_t i = 0; i < at_workload_profile_sample_count(wp); i++) {
        const at_sample *s = at_workload_profile_sample_at(wp, i);
        k += s->size == size && s->items == items;
    }
    return k;
}

/* The items of the entry at `size`, else those most samples at `size`
 * have (the tuner's design jobs are smaller than the job tuned). */
static long default_items(const at_workload_profile *wp, long size)
{
    for (size_t i = 0; i < at_workload_profile_entry_count(wp); i++)
        if (at_workload_profile_entry_at(wp, i)->size == size)
            return at_workload_profile_entry_at(wp, i)->items;
    long items = 0;
    size_t most = 0;
    for (size_t i = 0; i < at_workload_profile_sample_count(wp); i++) {
        const at_sample *s = at_workload_profile_sample_at(wp, i);
        size_t k = s->size == size ? count_samples(wp, size, s->items) : 0;
        if (k > most) {
            most = k;
            items = s->items;
        }
    }
    return items;
}

/* The entry of exactly (size, items), or NULL; the items its baselines
 * were scaled from in *base_items (0: none). */
static const at_entry *find_entry(const at_workload_profile *wp, long size,
                                  long items, long *base_items)
{
    *base_items = 0;
    for (size_t i = 0; i < at_workload_profile_entry_count(wp); i++) {
        const at_entry *e = at_workload_profile_entry_at(wp, i);
        if (e->size == size && e->items == items) {
            *base_items = at_workload_profile_entry_baseline_items(wp, i);
            return e;
        }
    }
    return NULL;
}

/* "size 1000 with 16 items, size 500 with 2 items": the jobs the
 * workload has samples of, for the message that the one asked for has
 * none. */
static void measured_jobs(const at_workload_profile *wp, char *buf,
                          size_t size)
{
    size_t used = 0, n = at_workload_profile_sample_count(wp);
    snprintf(buf, size, "none");
    for (size_t i = 0; i < n; i++) {
        const at_sample *s = at_workload_profile_sample_at(wp, i), *t = NULL;
        for (size_t j = 0; j < i && !t; j++) {
            t = at_workload_profile_sample_at(wp, j);
            t = t->size == s->size && t->items == s->items ? t : NULL;
        }
        int k = t ? 0
                  : snprintf(buf + used, size - used,
                             "%ssize %ld with %ld item%s", used ? ", " : "",
                             s->size, s->items, s->items == 1 ? "" : "s");
        if (k < 0 || (size_t)k >= size - used)
            return;
        used += (size_t)k;
    }
}

/* Ranks each point among those at the same workers x threads: 0 for the
 * fastest (the first of equals), then 1, 2... */
static void rank_points(point *pts, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        pts[i].rank = 0;
        for (size_t j = 0; j < n; j++) {
            const at_config *a = &pts[i].config, *b = &pts[j].config;
            int faster = pts[j].seconds < pts[i].seconds ||
                         (pts[j].seconds == pts[i].seconds && j < i);
            pts[i].rank += a->workers == b->workers &&
                           a->blas_threads == b->blas_threads && faster;
        }
    }
}

/* The samples of the job, ranked. */
static at_status collect_points(plot *pl, const at_workload_profile *wp,
                                at_error *err)
{
    size_t n = at_workload_profile_sample_count(wp);
    pl->pts = malloc((n ? n : 1) * sizeof *pl->pts);
    pl->threads = malloc((n ? n : 1) * sizeof *pl->threads);
    if (!pl->pts || !pl->threads)
        return tuner_out_of_memory(err);
    for (size_t i = 0; i < n; i++) {
        const at_sample *s = at_workload_profile_sample_at(wp, i);
        if (s->size == pl->size && s->items == pl->items)
            pl->pts[pl->n_pts++] =
                (point){s->config, s->seconds, s->spread, 0};
    }
    rank_points(pl->pts, pl->n_pts);
    return AT_OK;
}

/* The thread counts measured, ascending, without repeats. */
static void collect_threads(plot *pl)
{
    for (size_t i = 0; i < pl->n_pts; i++) {
        int t = pl->pts[i].config.blas_threads, k = pl->n_threads;
        for (int j = 0; j < pl->n_threads; j++)
            if (pl->threads[j] >= t) {
                k = j;
                break;
            }
        if (k < pl->n_threads && pl->threads[k] == t)
            continue;
        memmove(pl->threads + k + 1, pl->threads + k,
                (size_t)(pl->n_threads - k) * sizeof *pl->threads);
        pl->threads[k] = t;
        pl->n_threads++;
    }
}

/* The colour of `threads`, or -1 when no sample has that many. */
static int thread_index(const plot *pl, int threads)
{
    for (int i = 0; i < pl->n_threads; i++)
        if (pl->threads[i] == threads)
            return i;
    return -1;
}

/* The chosen configuration and the baselines, when the job has an
 * entry: their configurations are the tuner's (baseline_configs), their
 * times those the entry recorded. */
static void collect_entry(plot *pl, const at_workload_profile *wp)
{
    pl->entry = find_entry(wp, pl->size, pl->items, &pl->base_items);
    for (int b = 0; b < N_BASELINES; b++)
        pl->base_s[b] = -1;
    if (!pl->entry)
        return;
    const at_baselines *v = &pl->entry->baselines;
    baseline_configs(pl->kind, pl->size, pl->items, pl->m->usable_cpus,
                     pl->base);
    pl->base_s[BASE_SERIAL_DEFAULT] = v->serial_default;
    pl->base_s[BASE_SERIAL_1] = v->serial_1;
    pl->base_s[BASE_NAIVE] = v->naive_pool;
    pl->base_s[BASE_JOBLIB] = v->joblib_rule;
}

/* The workers axis reaches every CPU and everything drawn. */
static void find_max_workers(plot *pl)
{
    int w = pl->m->usable_cpus;
    for (size_t i = 0; i < pl->n_pts; i++)
        w = pl->pts[i].config.workers > w ? pl->pts[i].config.workers : w;
    for (int b = 0; b < N_BASELINES; b++)
        if (pl->base_s[b] >= 0 && pl->base[b].workers > w)
            w = pl->base[b].workers;
    if (pl->entry && pl->entry->best.workers > w)
        w = pl->entry->best.workers;
    pl->max_w = w;
}

/* Keeps in the cell of c's workers x threads the least the model
 * predicts for any configuration there. */
static void predict_one(plot *pl, const at_config *c)
{
    int ti = thread_index(pl, c->blas_threads);
    if (ti < 0 || c->workers > pl->max_w)
        return;
    double v = at_model_predict(pl->model, pl->costs, pl->m->usable_cpus,
                                pl->kind, pl->size, pl->items, c);
    double *cell =
        &pl->pred[(size_t)ti * (size_t)pl->max_w + (size_t)c->workers - 1];
    if (v >= 0 && (isnan(*cell) || v < *cell))
        *cell = v;
}

/* The model's lines: over the search space (with the probes that
 * oversubscribe on purpose) and the configurations measured. */
static at_status predict_lines(plot *pl, at_error *err)
{
    size_t cells = (size_t)pl->n_threads * (size_t)pl->max_w;
    if (!pl->model)
        return AT_OK;
    size_t n =
        at_space_enumerate(pl->kind, pl->size, pl->items, pl->m->usable_cpus,
                           AT_SPACE_OVERSUBSCRIBE, NULL, 0);
    at_config *space = malloc((n ? n : 1) * sizeof *space);
    pl->pred = malloc((cells ? cells : 1) * sizeof *pl->pred);
    if (!space || !pl->pred) {
        free(space);
        return tuner_out_of_memory(err);
    }
    for (size_t i = 0; i < cells; i++)
        pl->pred[i] = NAN;
    at_space_enumerate(pl->kind, pl->size, pl->items, pl->m->usable_cpus,
                       AT_SPACE_OVERSUBSCRIBE, space, n);
    for (size_t i = 0; i < n; i++)
        predict_one(pl, &space[i]);
    for (size_t i = 0; i < pl->n_pts; i++)
        predict_one(pl, &pl->pts[i].config);
    free(space);
    return AT_OK;
}

static void make_titles(plot *pl)
{
    const at_machine *m = pl->m;
    snprintf(pl->title, sizeof pl->title, "%s, size %ld, %ld item%s",
             pl->workload, pl->size, pl->items, pl->items == 1 ? "" : "s");
    snprintf(pl->subtitle, sizeof pl->subtitle,
             "machine %s%s%s%s: %s, %d usable CPU%s, BLAS %s %s",
             m->fingerprint, m->host[0] ? " (" : "", m->host,
             m->host[0] ? ")" : "", m->cpu_model, m->usable_cpus,
             m->usable_cpus == 1 ? "" : "s", m->blas_vendor, m->blas_version);
}

/* ------------------------------------------------------------ the axes */

/* 1, 2 or 5 times a power of ten: the step giving at most about `most`
 * ticks over `span`. */
static double nice_step(double span, int most)
{
    double raw = span / most, p = pow(10, floor(log10(raw)));
    double m = raw / p;
    return p * (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10);
}

static double axis_px(const axis *a, double v)
{
    double f = a->log ? log10(v / a->lo) / log10(a->hi / a->lo)
                      : (v - a->lo) / (a->hi - a->lo);
    return a->p0 + f * (a->p1 - a->p0);
}

/* Where `seconds` is drawn: 0 s or less on a log scale (a bar's lower
 * end, a prediction of nothing) below the plot area, where the clip
 * cuts it off. */
static double seconds_y(const plot *pl, double seconds)
{
    if (pl->y.log && seconds < pl->y.lo)
        seconds = pl->y.lo / 2;
    return axis_px(&pl->y, seconds);
}

/* The ticks of an axis into out (at most max); returns the count.
 * Linear: multiples of a 1-2-5 step (and 1 on the workers axis); log: 1,
 * 2 and 5 of each decade (1 only over more than three decades). */
static int axis_ticks(const axis *a, double *out, int max)
{
    int n = 0;
    if (!a->log) {
        double step = nice_step(a->hi - a->lo, 7);
        step = a->whole && step < 1 ? 1 : step;
        if (a->whole && step > 1) /* one worker, the serial end */
            out[n++] = 1;
        for (double v = ceil(a->lo / step) * step;
             v <= a->hi + 1e-9 * step && n < max; v += step)
            out[n++] = fabs(v) < 1e-12 * step ? 0 : v;
        return n;
    }
    static const double mant[] = {1, 2, 5};
    int each = a->hi / a->lo > 1000 ? 1 : 3;
    for (double d = pow(10, floor(log10(a->lo))); d <= a->hi && n < max;
         d *= 10)
        for (int k = 0; k < each && n < max; k++)
            if (d * mant[k] >= a->lo && d * mant[k] <= a->hi)
                out[n++] = d * mant[k];
    return n;
}

/* The least and largest seconds drawn (bars included; positive ones
 * only, for a log scale). */
static void seconds_range(const plot *pl, double *lo, double *hi)
{
    *lo = INFINITY;
    *hi = 0;
#define SEE(v)                                                               \
    do {                                                                     \
        if ((v) > 0 && isfinite(v)) {                                        \
            *lo = fmin(*lo, (v));                                            \
            *hi = fmax(*hi, (v));                                            \
        }                                                                    \
    } while (0)
    for (size_t i = 0; i < pl->n_pts; i++) {
        const point *p = &pl->pts[i];
        double half = isfinite(p->spread) ? p->spread / 2 : 0;
        SEE(p->seconds * (1 - half));
        SEE(p->seconds * (1 + half));
    }
    for (size_t i = 0; pl->pred && i < (size_t)pl->n_threads * pl->max_w; i++)
        SEE(pl->pred[i]);
    for (int b = 0; b < N_BASELINES; b++)
        SEE(pl->base_s[b]);
    if (pl->entry)
        SEE(pl->entry->seconds);
#undef SEE
}

/* Workers from 1 to max_w; seconds on a log scale when they span more
 * than a decade, else linear from 0; a margin above the largest. */
static void make_axes(plot *pl)
{
    double lo, hi;
    seconds_range(pl, &lo, &hi);
    if (!(hi > 0)) { /* nothing positive: every sample took 0 s */
        lo = 0.5;
        hi = 1;
    }
    pl->x = (axis){0.5, pl->max_w + 0.5, 0, 1, AREA_L, AREA_R};
    pl->y = (axis){0, hi * 1.08, hi / lo > 10, 0, AREA_B, AREA_T};
    if (pl->y.log) {
        pl->y.lo = lo / 1.25;
        pl->y.hi = hi * 1.25;
    }
}

/* ---------------------------------------------------------- drawing */

/* Okabe and Ito's colours, told apart by colour-blind readers too; one
 * per thread count, repeating after seven. */
static const double palette[][3] = {
    {0.000, 0.447, 0.698}, {0.835, 0.369, 0.000}, {0.000, 0.620, 0.451},
    {0.800, 0.475, 0.655}, {0.902, 0.624, 0.000}, {0.337, 0.706, 0.914},
    {0.300, 0.300, 0.300}};
#define N_PALETTE (sizeof palette / sizeof *palette)

static void set_colour(cairo_t *cr, int ti)
{
    if (ti < 0)
        cairo_set_source_rgb(cr, 0, 0, 0);
    else
        cairo_set_source_rgb(cr, palette[(size_t)ti % N_PALETTE][0],
                             palette[(size_t)ti % N_PALETTE][1],
                             palette[(size_t)ti % N_PALETTE][2]);
}

static void set_font(cairo_t *cr, double size, int bold)
{
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL,
                           bold ? CAIRO_FONT_WEIGHT_BOLD
                                : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, size);
}

/* Text centred vertically on y; `align` 0 puts its left end at x, 0.5
 * its middle, 1 its right end. */
static void text_at(cairo_t *cr, double x, double y, double align,
                    const char *s)
{
    cairo_text_extents_t e;
    cairo_text_extents(cr, s, &e);
    cairo_move_to(cr, x - align * e.x_advance,
                  y - e.y_bearing - e.height / 2);
    cairo_show_text(cr, s);
}

/* Where a point of `workers` and thread colour `ti` is drawn: thread
 * counts side by side around the tick, so none hides another. */
static double point_x(const plot *pl, int workers, int ti)
{
    double per_worker = (AREA_R - AREA_L) / (pl->x.hi - pl->x.lo);
    double gap = fmin(7, 0.6 * per_worker / (pl->n_threads + 1));
    double dodge = ti < 0 ? 0 : (ti - (pl->n_threads - 1) / 2.0) * gap;
    return axis_px(&pl->x, workers) + dodge;
}

typedef enum shape {
    SHAPE_DOT,
    SHAPE_RING,
    SHAPE_SQUARE,
    SHAPE_DIAMOND,
    SHAPE_UP,
    SHAPE_DOWN
} shape;

/* The baselines' marks, in BASE_* order. */
static const shape baseline_shape[N_BASELINES] = {SHAPE_SQUARE, SHAPE_DIAMOND,
                                                  SHAPE_UP, SHAPE_DOWN};

static void shape_path(cairo_t *cr, shape s, double x, double y, double r)
{
    switch (s) {
    case SHAPE_DOT:
    case SHAPE_RING:
        cairo_new_sub_path(cr);
        cairo_arc(cr, x, y, r, 0, 2 * M_PI);
        return;
    case SHAPE_SQUARE:
        cairo_rectangle(cr, x - r, y - r, 2 * r, 2 * r);
        return;
    case SHAPE_DIAMOND:
        r *= 1.3;
        cairo_move_to(cr, x, y - r);
        cairo_line_to(cr, x + r, y);
        cairo_line_to(cr, x, y + r);
        cairo_line_to(cr, x - r, y);
        break;
    case SHAPE_UP:
    case SHAPE_DOWN:
        r *= s == SHAPE_UP ? 1.3 : -1.3;
        cairo_move_to(cr, x, y - r);
        cairo_line_to(cr, x + 0.87 * r, y + 0.5 * r);
        cairo_line_to(cr, x - 0.87 * r, y + 0.5 * r);
        break;
    }
    cairo_close_path(cr);
}

/* A filled dot (white edge, so dots that touch stay apart), or an
 * outline of the current colour. */
static void mark(cairo_t *cr, shape s, double x, double y, double r,
                 double width)
{
    shape_path(cr, s, x, y, r);
    if (s != SHAPE_DOT) {
        cairo_set_line_width(cr, width);
        cairo_stroke(cr);
        return;
    }
    cairo_fill_preserve(cr);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_set_line_width(cr, 0.8);
    cairo_stroke(cr);
}

static void line(cairo_t *cr, double x0, double y0, double x1, double y1)
{
    cairo_move_to(cr, x0, y0);
    cairo_line_to(cr, x1, y1);
    cairo_stroke(cr);
}

static void draw_grid(const plot *pl, cairo_t *cr)
{
    double t[64];
    int n = axis_ticks(&pl->y, t, 64);
    cairo_set_line_width(cr, 0.6);
    cairo_set_source_rgb(cr, 0.88, 0.88, 0.88);
    for (int i = 0; i < n; i++)
        line(cr, AREA_L, axis_px(&pl->y, t[i]), AREA_R,
             axis_px(&pl->y, t[i]));
    n = axis_ticks(&pl->x, t, 64);
    for (int i = 0; i < n; i++)
        line(cr, axis_px(&pl->x, t[i]), AREA_T, axis_px(&pl->x, t[i]),
             AREA_B);
}

static void draw_axes(const plot *pl, cairo_t *cr)
{
    double t[64];
    char label[32];
    cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
    cairo_set_line_width(cr, 1);
    cairo_rectangle(cr, AREA_L, AREA_T, AREA_R - AREA_L, AREA_B - AREA_T);
    cairo_stroke(cr);
    set_font(cr, 11, 0);
    int n = axis_ticks(&pl->x, t, 64);
    for (int i = 0; i < n; i++) {
        double x = axis_px(&pl->x, t[i]);
        line(cr, x, AREA_B, x, AREA_B + 5);
        snprintf(label, sizeof label, "%g", t[i]);
        text_at(cr, x, AREA_B + 14, 0.5, label);
    }
    n = axis_ticks(&pl->y, t, 64);
    for (int i = 0; i < n; i++) {
        double y = axis_px(&pl->y, t[i]);
        line(cr, AREA_L - 5, y, AREA_L, y);
        snprintf(label, sizeof label, "%g", t[i]);
        text_at(cr, AREA_L - 8, y, 1, label);
    }
}

static void draw_axis_labels(const plot *pl, cairo_t *cr)
{
    set_font(cr, 12, 0);
    cairo_set_source_rgb(cr, 0, 0, 0);
    text_at(cr, (AREA_L + AREA_R) / 2, AREA_B + 36, 0.5, "workers");
    cairo_save(cr);
    cairo_translate(cr, 22, (AREA_T + AREA_B) / 2);
    cairo_rotate(cr, -M_PI / 2);
    text_at(cr, 0, 0, 0.5, pl->y.log ? "seconds (log scale)" : "seconds");
    cairo_restore(cr);
}

/* The model's line of each thread count: dashed, through the workers
 * where the model predicts something; a prediction with none beside it
 * (the one-process probe of 2 x CPUs threads) a short dash of its own. */
static void draw_model(const plot *pl, cairo_t *cr)
{
    static const double dash[] = {6, 3};
    if (!pl->pred)
        return;
    cairo_set_line_width(cr, 1.6);
    cairo_set_dash(cr, dash, 2, 0);
    for (int ti = 0; ti < pl->n_threads; ti++) {
        const double *row = pl->pred + (size_t)ti * (size_t)pl->max_w;
        set_colour(cr, ti);
        for (int w = 1; w <= pl->max_w; w++) {
            if (isnan(row[w - 1]))
                continue;
            double x = point_x(pl, w, ti), y = seconds_y(pl, row[w - 1]);
            int before = w > 1 && !isnan(row[w - 2]);
            int after = w < pl->max_w && !isnan(row[w]);
            if (before)
                cairo_line_to(cr, x, y);
            else
                cairo_move_to(cr, x - (after ? 0 : 7), y);
            if (!before && !after)
                cairo_line_to(cr, x + 7, y);
        }
        cairo_stroke(cr);
    }
    cairo_set_dash(cr, NULL, 0, 0);
}

/* A sample's spread as a bar around it (none when it is unknown). */
static void draw_bar(const plot *pl, cairo_t *cr, const point *p, double x)
{
    if (!isfinite(p->spread) || p->spread <= 0)
        return;
    double half = p->spread / 2;
    double y0 = seconds_y(pl, p->seconds * (1 - half));
    double y1 = seconds_y(pl, p->seconds * (1 + half));
    cairo_set_line_width(cr, 1.2);
    line(cr, x, y0, x, y1);
    line(cr, x - 3, y0, x + 3, y0);
    line(cr, x - 3, y1, x + 3, y1);
}

/* The samples: the slower variants first, as rings jittered left and
 * right, then the fastest of each point as a dot with its bar. */
static void draw_points(const plot *pl, cairo_t *cr)
{
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < pl->n_pts; i++) {
            const point *p = &pl->pts[i];
            if ((p->rank == 0) != pass)
                continue;
            int ti = thread_index(pl, p->config.blas_threads);
            double x = point_x(pl, p->config.workers, ti);
            double y = seconds_y(pl, p->seconds);
            set_colour(cr, ti);
            if (pass == 0) {
                x += (p->rank % 2 ? 1 : -1) * 2.5 * ((p->rank + 1) / 2);
                mark(cr, SHAPE_RING, x, y, 2.6, 1);
                continue;
            }
            draw_bar(pl, cr, p, x);
            set_colour(cr, ti);
            mark(cr, SHAPE_DOT, x, y, 4.2, 0);
        }
}

/* The baselines as black outlines around their points, and the chosen
 * configuration ringed. */
static void draw_marks(const plot *pl, cairo_t *cr)
{
    cairo_set_source_rgb(cr, 0, 0, 0);
    for (int b = 0; b < N_BASELINES; b++) {
        if (!(pl->base_s[b] > 0))
            continue;
        const at_config *c = &pl->base[b];
        int ti = thread_index(pl, c->blas_threads);
        mark(cr, baseline_shape[b], point_x(pl, c->workers, ti),
             seconds_y(pl, pl->base_s[b]), 7, 1.3);
    }
    if (!pl->entry || !(pl->entry->seconds > 0))
        return;
    const at_config *c = &pl->entry->best;
    int ti = thread_index(pl, c->blas_threads);
    mark(cr, SHAPE_RING, point_x(pl, c->workers, ti),
         seconds_y(pl, pl->entry->seconds), 10, 2.2);
}

static void draw_titles(const plot *pl, cairo_t *cr)
{
    cairo_set_source_rgb(cr, 0, 0, 0);
    set_font(cr, 16, 1);
    text_at(cr, AREA_L, 24, 0, pl->title);
    set_font(cr, 11, 0);
    cairo_set_source_rgb(cr, 0.25, 0.25, 0.25);
    text_at(cr, AREA_L, 46, 0, pl->subtitle);
}

/* ---------------------------------------------------------- the legend */

/* One row of the legend: its mark drawn by the caller at (LEGEND_X, y),
 * its text beside it; returns the next row's y. */
static double legend_text(cairo_t *cr, double y, const char *s)
{
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    text_at(cr, LEGEND_X + 22, y, 0, s);
    return y + LEGEND_ROW;
}

static double legend_threads(const plot *pl, cairo_t *cr, double y)
{
    static const double dash[] = {6, 3};
    char s[64];
    set_font(cr, 11, 1);
    cairo_set_source_rgb(cr, 0, 0, 0);
    text_at(cr, LEGEND_X, y, 0, "BLAS threads per worker");
    y += LEGEND_ROW + 2;
    set_font(cr, 10.5, 0);
    for (int ti = 0; ti < pl->n_threads && ti < LEGEND_MAX_THREADS; ti++) {
        set_colour(cr, ti);
        if (pl->pred) { /* a line only where the picture has lines */
            cairo_set_dash(cr, dash, 2, 0);
            cairo_set_line_width(cr, 1.6);
            line(cr, LEGEND_X, y, LEGEND_X + 16, y);
            cairo_set_dash(cr, NULL, 0, 0);
        }
        mark(cr, SHAPE_DOT, LEGEND_X + 8, y, 4.2, 0);
        snprintf(s, sizeof s, "%d thread%s", pl->threads[ti],
                 pl->threads[ti] == 1 ? "" : "s");
        y = legend_text(cr, y, s);
    }
    if (pl->n_threads > LEGEND_MAX_THREADS) {
        snprintf(s, sizeof s, "(%d more)",
                 pl->n_threads - LEGEND_MAX_THREADS);
        y = legend_text(cr, y, s);
    }
    return y + 6;
}

/* What the marks mean. */
static double legend_marks(const plot *pl, cairo_t *cr, double y)
{
    static const double dash[] = {6, 3};
    cairo_set_source_rgb(cr, 0.35, 0.35, 0.35);
    mark(cr, SHAPE_DOT, LEGEND_X + 8, y, 4.2, 0);
    y = legend_text(cr, y, "measured: the fastest at these");
    y = legend_text(cr, y, "workers and threads (bar: spread)");
    cairo_set_source_rgb(cr, 0.35, 0.35, 0.35);
    mark(cr, SHAPE_RING, LEGEND_X + 8, y, 2.6, 1);
    y = legend_text(cr, y, "measured: other chunk, transport,");
    y = legend_text(cr, y, "pin or mode at the same point");
    if (!pl->pred)
        return legend_text(cr, y, "model: none in the profile") + 6;
    cairo_set_source_rgb(cr, 0.35, 0.35, 0.35);
    cairo_set_dash(cr, dash, 2, 0);
    cairo_set_line_width(cr, 1.6);
    line(cr, LEGEND_X, y, LEGEND_X + 16, y);
    cairo_set_dash(cr, NULL, 0, 0);
    y = legend_text(cr, y, "model: the best predicted there");
    return y + 6;
}

/* The chosen configuration and the baselines, with their times and the
 * speedup of the chosen one over each. */
static double legend_entry(const plot *pl, cairo_t *cr, double y)
{
    char s[160], what[160];
    const at_entry *e = pl->entry;
    if (!e)
        return legend_text(cr, y, "no entry for this job: nothing chosen");
    cairo_set_source_rgb(cr, 0, 0, 0);
    mark(cr, SHAPE_RING, LEGEND_X + 8, y, 6, 2);
    snprintf(s, sizeof s, "chosen: %.4g s", e->seconds);
    y = legend_text(cr, y, s);
    describe_config(&e->best, pl->kind, what, sizeof what);
    set_font(cr, 9.5, 0);
    y = legend_text(cr, y, what);
    set_font(cr, 10.5, 0);
    for (int b = 0; b < N_BASELINES; b++) {
        if (!(pl->base_s[b] > 0))
            continue;
        cairo_set_source_rgb(cr, 0, 0, 0);
        mark(cr, baseline_shape[b], LEGEND_X + 8, y, 5, 1.2);
        snprintf(s, sizeof s, "%s: %.4g s (%.2fx)", baseline_names[b],
                 pl->base_s[b], pl->base_s[b] / e->seconds);
        y = legend_text(cr, y, s);
    }
    if (pl->base_items > 0) {
        snprintf(s, sizeof s, "baselines scaled from %ld items",
                 pl->base_items);
        set_font(cr, 9.5, 0);
        y = legend_text(cr, y, s);
        set_font(cr, 10.5, 0);
    }
    return y + 6;
}

static void draw_legend(const plot *pl, cairo_t *cr)
{
    char s[96];
    double error, y = legend_threads(pl, cr, AREA_T + 4);
    y = legend_marks(pl, cr, y);
    y = legend_entry(pl, cr, y);
    if (pl->model &&
        at_model_get(pl->model, "error", &error, NULL) == AT_OK) {
        snprintf(s, sizeof s, "model's held-out error: %.1f%%", 100 * error);
        cairo_set_source_rgb(cr, 0.25, 0.25, 0.25);
        text_at(cr, LEGEND_X, y + 4, 0, s);
    }
}

static void draw(const plot *pl, cairo_t *cr)
{
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    draw_grid(pl, cr);
    draw_axes(pl, cr);
    draw_axis_labels(pl, cr);
    cairo_save(cr);
    cairo_rectangle(cr, AREA_L, AREA_T, AREA_R - AREA_L, AREA_B - AREA_T);
    cairo_clip(cr);
    draw_model(pl, cr);
    draw_points(pl, cr);
    draw_marks(pl, cr);
    cairo_restore(cr);
    draw_titles(pl, cr);
    draw_legend(pl, cr);
}

/* ---------------------------------------------------------- the file */

/* The picture in memory, as cairo writes it. */
typedef struct membuf {
    char *data;
    size_t len, cap;
    int failed; /* out of memory */
} membuf;

static int membuf_reserve(membuf *b, size_t more)
{
    if (b->len + more <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 65536;
    while (cap < b->len + more)
        cap *= 2;
    char *d = realloc(b->data, cap);
    if (!d)
        return -1;
    b->data = d;
    b->cap = cap;
    return 0;
}

static cairo_status_t mem_write(void *closure, const unsigned char *data,
                                unsigned int length)
{
    membuf *b = closure;
    if (membuf_reserve(b, length) != 0) {
        b->failed = 1;
        return CAIRO_STATUS_WRITE_ERROR;
    }
    memcpy(b->data + b->len, data, length);
    b->len += length;
    return CAIRO_STATUS_SUCCESS;
}

/* The text with XML's special characters escaped. */
static void xml_escape(const char *s, char *out, size_t size)
{
    size_t n = 0;
    for (; *s && n + 7 < size; s++) {
        const char *r = *s == '&'   ? "&amp;"
                        : *s == '<' ? "&lt;"
                        : *s == '>' ? "&gt;"
                                    : NULL;
        if (r)
            n += (size_t)snprintf(out + n, size - n, "%s", r);
        else
            out[n++] = *s;
    }
    out[n] = '\0';
}

/* An SVG's <title>, right after its <svg ...> tag: what the picture
 * shows, for screen readers, a browser's tooltip and grep. */
static int svg_add_title(membuf *b, const char *title)
{
    char esc[600], tag[700];
    const char *svg = memmem(b->data, b->len, "<svg", 4);
    const char *end =
        svg ? memchr(svg, '>', b->len - (size_t)(svg - b->data)) : NULL;
    if (!end)
        return 0;
    xml_escape(title, esc, sizeof esc);
    size_t at = (size_t)(end + 1 - b->data);
    size_t n = (size_t)snprintf(tag, sizeof tag, "\n<title>%s</title>", esc);
    if (membuf_reserve(b, n) != 0)
        return -1;
    memmove(b->data + at + n, b->data + at, b->len - at);
    memcpy(b->data + at, tag, n);
    b->len += n;
    return 0;
}

static cairo_surface_t *new_surface(plot_format f, membuf *b)
{
    switch (f) {
    case PLOT_SVG:
        return cairo_svg_surface_create_for_stream(mem_write, b, CANVAS_W,
                                                   CANVAS_H);
    case PLOT_PDF:
        return cairo_pdf_surface_create_for_stream(mem_write, b, CANVAS_W,
                                                   CANVAS_H);
    case PLOT_PNG: break;
    }
    return cairo_image_surface_create(CAIRO_FORMAT_ARGB32,
                                      (int)CANVAS_W * PNG_SCALE,
                                      (int)CANVAS_H * PNG_SCALE);
}

/* "svd, size 1000, 16 items on dea336c7b55e3339: seconds against
 * workers": the file's own title (SVG <title>, PDF Title). */
static void file_title(const plot *pl, char *buf, size_t size)
{
    snprintf(buf, size, "autotune: %s on machine %s, seconds against workers",
             pl->title, pl->m->fingerprint);
}

/* Draws the picture into b in format f. */
static at_status render(const plot *pl, plot_format f, membuf *b,
                        at_error *err)
{
    char title[400];
    file_title(pl, title, sizeof title);
    cairo_surface_t *s = new_surface(f, b);
    if (f == PLOT_PDF) {
        cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_TITLE, title);
        cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_CREATOR,
                                       "autotune " PACKAGE_VERSION);
    }
    cairo_t *cr = cairo_create(s);
    if (f == PLOT_PNG)
        cairo_scale(cr, PNG_SCALE, PNG_SCALE);
    draw(pl, cr);
    cairo_status_t st = cairo_status(cr);
    cairo_destroy(cr);
    if (st == CAIRO_STATUS_SUCCESS && f == PLOT_PNG)
        st = cairo_surface_write_to_png_stream(s, mem_write, b);
    cairo_surface_finish(s);
    if (st == CAIRO_STATUS_SUCCESS)
        st = cairo_surface_status(s);
    cairo_surface_destroy(s);
    /* cairo and fontconfig keep their fonts for the life of the process:
     * the picture is done, so they go (valgrind and ASan see no leak) */
    cairo_debug_reset_static_data();
    FcFini();
    if (st == CAIRO_STATUS_SUCCESS && f == PLOT_SVG &&
        svg_add_title(b, title) != 0)
        b->failed = 1;
    if (b->failed)
        return tuner_out_of_memory(err);
    if (st != CAIRO_STATUS_SUCCESS)
        return tuner_error(err, AT_ERR_SYSTEM, "cairo: %s",
                           cairo_status_to_string(st));
    return AT_OK;
}

/* An I/O failure of `path`, with errno's reason. */
static at_status io_error(at_error *err, const char *path, const char *what)
{
    at_status s =
        tuner_error(err, AT_ERR_IO, "%s: %s", what, strerror(errno));
    if (err)
        snprintf(err->file, sizeof err->file, "%s", path);
    return s;
}

/* Writes b to `path` atomically: a reader sees the old picture or the
 * new one, never half of one. The new file's mode is what umask allows
 * of 0666 (mkstemp's is 0600). */
static at_status write_file(const char *path, const membuf *b, at_error *err)
{
    char tmp[4096];
    mode_t mask = umask(0);
    umask(mask);
    errno = ENAMETOOLONG;
    if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld.XXXXXX", path,
                 (long)getpid()) >= (int)sizeof tmp)
        return io_error(err, path, "cannot write");
    int fd = mkstemp(tmp);
    if (fd < 0)
        return io_error(err, path, "cannot write");
    FILE *f = fdopen(fd, "wb");
    if (!f || fchmod(fd, 0666 & ~mask) != 0 ||
        fwrite(b->data, 1, b->len, f) != b->len || fflush(f) != 0 ||
        fsync(fd) != 0) {
        at_status s = io_error(err, path, "cannot write");
        f ? fclose(f) : close(fd);
        unlink(tmp);
        return s;
    }
    if (fclose(f) != 0 || rename(tmp, path) != 0) {
        at_status s = io_error(err, path, "cannot replace");
        unlink(tmp);
        return s;
    }
    return AT_OK;
}

/* ---------------------------------------------------------- plot_write */

/* The job and everything drawn of it, from the profile. */
static at_status gather(plot *pl, const at_machine_profile *mp,
                        const at_workload_profile *wp, at_error *err)
{
    char jobs[256], job[96];
    pl->m = at_machine_profile_machine(mp);
    pl->costs = at_machine_profile_costs(mp);
    pl->model = at_workload_profile_model(wp);
    pl->kind = at_workload_profile_kind(wp);
    pl->workload = at_workload_profile_name(wp);
    at_status s = collect_points(pl, wp, err);
    if (s == AT_OK && pl->n_pts == 0) {
        measured_jobs(wp, jobs, sizeof jobs);
        /* no items when nothing was measured at this size, no size
         * when nothing was measured at all */
        snprintf(job, sizeof job,
                 pl->items  ? " at size %ld with %ld item%s"
                 : pl->size ? " at size %ld"
                            : "",
                 pl->size, pl->items, pl->items == 1 ? "" : "s");
        return tuner_error(err, AT_ERR_NOMATCH,
                           "no samples of %s%s on machine %s (measured: %s)",
                           pl->workload, job, pl->m->fingerprint, jobs);
    }
    if (s != AT_OK)
        return s;
    collect_threads(pl);
    collect_entry(pl, wp);
    find_max_workers(pl);
    make_titles(pl);
    return predict_lines(pl, err);
}

at_status plot_write(const at_profile *p, const char *fingerprint,
                     const char *name, long size, long items,
                     const char *path, at_error *err)
{
    plot_format f;
    const at_workload_profile *wp;
    const at_machine_profile *mp = at_profile_find_machine(p, fingerprint);
    at_status s = plot_format_of(path, &f, err);
    if (s != AT_OK)
        return s;
    if (!mp)
        return tuner_error(err, AT_ERR_NOMATCH,
                           "no machine %s in the profile", fingerprint);
    if ((s = find_workload(mp, name, &wp, err)) != AT_OK)
        return s;
    plot pl = {.size = size > 0 ? size : default_size(wp)};
    pl.items = items > 0 ? items : default_items(wp, pl.size);
    membuf b = {0};
    s = gather(&pl, mp, wp, err);
    if (s == AT_OK) {
        make_axes(&pl);
        s = render(&pl, f, &b, err);
    }
    if (s == AT_OK)
        s = write_file(path, &b, err);
    free(b.data);
    plot_free(&pl);
    return s;
}

/* ------------------------------------------------------- autotune plot */

static const char plot_usage[] =
    "usage: autotune plot [PROFILE] [--workload W] [--size N] [--items K]\n"
    "                     [--machine FINGERPRINT] -o FILE.svg|.png|.pdf\n"
    "Draws a tuning from PROFILE (default: the profile query would use) "
    "for\n"
    "this machine (else --machine, or the file's only machine): seconds\n"
    "against workers, one colour per BLAS thread count, the samples "
    "measured\n"
    "as points, the model's predictions as lines, the chosen "
    "configuration\n"
    "and the baselines marked. Defaults: the machine's only workload, its\n"
    "largest tuned size, and that entry's items.\n";

typedef struct plot_args {
    cli_job job;
    const char *output;
    plot_format format;
} plot_args;

/* The options, the PROFILE operand and -o's format. 0, -1 (help
 * printed) or EXIT_USAGE (reported). */
static int plot_parse(int argc, char **argv, plot_args *a)
{
    static const struct option opts[] = {
        {"workload", required_argument, NULL, 'w'},
        {"size", required_argument, NULL, 's'},
        {"items", required_argument, NULL, 'i'},
        {"machine", required_argument, NULL, 'm'},
        {"output", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    int c, rc;
    at_error err;
    memset(a, 0, sizeof *a);
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
        if ((rc = cli_job_option(c, optarg, &a->job)) != 0) {
            if (rc < 0)
                return EXIT_USAGE;
        } else if (c == 'o')
            a->output = optarg;
        else if (c == 'h') {
            fputs(plot_usage, stdout);
            return -1;
        } else
            return cli_getopt_error(c, argv, "plot");
    }
    if (optind + 1 < argc)
        return cli_usage_error("plot: unexpected argument '%s'",
                               argv[optind + 1]);
    a->job.profile = optind < argc ? argv[optind] : NULL;
    if (!a->output)
        return cli_usage_error("plot: -o FILE is required");
    if (plot_format_of(a->output, &a->format, &err) != AT_OK)
        return cli_usage_error("-o: %s", err.message);
    if (a->job.workload &&
        at_workload_name_check(a->job.workload, &err) != AT_OK)
        return cli_usage_error("--workload: %s", err.message);
    return 0;
}

/* The machine to draw: --machine, else this one, else the file's only
 * one. 0, or 1 after reporting. */
static int plot_machine(const plot_args *a, const at_profile *p,
                        const char *used, char *fp)
{
    at_machine me;
    size_t n = at_profile_machine_count(p);
    if (a->job.machine && !at_profile_find_machine(p, a->job.machine)) {
        fprintf(stderr,
                "autotune: --machine: no machine with fingerprint '%s' in "
                "%s\n",
                a->job.machine, used);
        return 1;
    }
    if (a->job.machine)
        snprintf(fp, AT_FINGERPRINT_LEN + 1, "%s", a->job.machine);
    else if (at_machine_detect(&me, NULL) == AT_OK &&
             at_profile_find_machine(p, me.fingerprint))
        snprintf(fp, AT_FINGERPRINT_LEN + 1, "%s", me.fingerprint);
    else if (n == 1)
        snprintf(fp, AT_FINGERPRINT_LEN + 1, "%s",
                 at_machine_profile_machine(at_profile_machine_at(p, 0))
                     ->fingerprint);
    else if (n == 0) {
        fprintf(stderr, "autotune: %s: no machines in it\n", used);
        return 1;
    } else {
        fprintf(stderr,
                "autotune: %s: this machine is not in it; choose one of "
                "its %zu machines with --machine\n",
                used, n);
        return 1;
    }
    return 0;
}

int cmd_plot(int argc, char **argv)
{
    plot_args a;
    at_profile *p = NULL;
    at_error err;
    char used[4096], fp[AT_FINGERPRINT_LEN + 1];
    int rc = plot_parse(argc, argv, &a);
    if (rc)
        return rc < 0 ? 0 : rc;
    if ((rc = cli_load_profile(a.job.profile, &p, used, sizeof used)) != 0)
        return rc;
    if (!p) {
        fprintf(stderr, "autotune: plot: no profile found (tune first, or "
                        "name a PROFILE)\n");
        return 1;
    }
    rc = plot_machine(&a, p, used, fp);
    if (!rc && plot_write(p, fp, a.job.workload, a.job.size, a.job.items,
                          a.output, &err) != AT_OK) {
        /* what is missing is missing from the profile: name it */
        if (!err.file[0])
            snprintf(err.file, sizeof err.file, "%.*s",
                     (int)sizeof err.file - 1, used);
        rc = cli_report(&err);
    }
    at_profile_free(p);
    return rc;
}
