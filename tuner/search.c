/* search.c - the search strategies.
 *
 * model (default): a small design of configurations, one per model
 *   parameter, measured on a reduced job (1 item per worker); the model is
 *   fitted and predicts the full job for the whole space; the baselines
 *   and the most promising predictions are then measured on the full job
 *   head to head (interleaved rounds, A B C A B C, so drift on a shared
 *   machine falls on all alike); the model is refitted on those and any
 *   configuration it now predicts to win is added; it stops when nothing
 *   new is predicted to win or the budget is spent.
 * grid: every configuration of the space on the full job, then the same
 *   head-to-head finals for the leaders and the baselines.
 * random: a random quarter of the space, then the same finals.
 *
 * The finals are planned: the first lead enters whatever it costs, the
 * others as far as their FINAL_ROUNDS rounds fit in the budget, and every
 * finalist (the leader, whatever is within 10% of it, the fastest
 * baseline, the runner-up) runs at least FINAL_ROUNDS rounds whatever the
 * budget, since a time measured once has no spread; one that falls out
 * of the race stays out (its median would be stale beside the others'
 * over the machine's drift). An unknown spread is NAN, never 0. When the
 * budget has no room for the baselines on the full job, they run on the
 * design's reduced one, scaled by the model's ratio of the two jobs (a
 * serial baseline of a batch of seconds-long items would otherwise take
 * most of the budget); the answer is always measured on the full job. A
 * sample resumed from the file is not measured again (--resume).
 *
 * A configuration that fails or runs past its deadline is recorded as
 * failed, with the reason, and the search goes on. */
#include "config.h"

#include "search.h"

#include "util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const baseline_names[N_BASELINES] = {"serial_default", "serial_1",
                                                 "naive_pool", "joblib_rule"};

void describe_config(const at_config *c, at_workload_kind kind, char *buf,
                     size_t size)
{
    const char *pinned = c->pin == AT_PIN_CORES ? ", pinned" : "";
    if (c->workers == 1) {
        snprintf(buf, size, "1 worker, %d BLAS thread%s%s", c->blas_threads,
                 c->blas_threads > 1 ? "s" : "", pinned);
        return;
    }
    char parts[24] = "";
    if (kind == AT_KIND_VECTOR)
        snprintf(parts, sizeof parts, ", %d parts", c->partitions);
    snprintf(buf, size, "%d %s x %dt, chunk %d%s, %s%s", c->workers,
             c->mode == AT_MODE_PROCESS ? "processes" : "threads",
             c->blas_threads, c->chunk_size, parts,
             c->mode == AT_MODE_PROCESS ? at_transport_name(c->transport)
                                        : "shared",
             pinned);
}

const char *describe_spread(double spread, char *buf, size_t size)
{
    if (isnan(spread))
        snprintf(buf, size, "?");
    else
        snprintf(buf, size, "%.1f%%", 100 * spread);
    return buf;
}

void baseline_configs(at_workload_kind kind, long size, long items, int cpus,
                      at_config out[N_BASELINES])
{
    int vector = kind == AT_KIND_VECTOR;
    at_config serial = AT_CONFIG_INIT(1, AT_MODE_PROCESS, cpus, 1, 1,
                                      AT_TRANSPORT_SHM, AT_PIN_NONE);
    out[BASE_SERIAL_DEFAULT] = serial;
    serial.blas_threads = 1;
    out[BASE_SERIAL_1] = serial;
    /* every CPU a worker, each with OpenBLAS's default of every CPU's
     * threads, data pickled through pipes: the common first attempt */
    at_config naive =
        AT_CONFIG_INIT(cpus, AT_MODE_PROCESS, cpus, 1, vector ? cpus : 1,
                       AT_TRANSPORT_PIPE, AT_PIN_NONE);
    if (!vector && items < cpus)
        naive.workers = (int)items;
    out[BASE_NAIVE] = naive;
    /* joblib's rule: workers = CPUs, threads = CPUs / workers */
    at_fallback_config(kind, size, items, cpus, &out[BASE_JOBLIB]);
    out[BASE_JOBLIB].pin = AT_PIN_NONE;
}

/* ----------------------------------------------------------- the log */

trial *trial_log_add(trial_log *log, const trial *t)
{
    if (log->n == log->cap) {
        size_t cap = log->cap ? 2 * log->cap : 64;
        trial *g = realloc(log->t, cap * sizeof *g);
        if (!g)
            return NULL;
        log->t = g;
        log->cap = cap;
    }
    log->t[log->n] = *t;
    return &log->t[log->n++];
}

static int same_config(const at_config *a, const at_config *b)
{
    return memcmp(a, b, sizeof *a) == 0;
}

/* The log's latest trial of this configuration and job, failed or not
 * (a failure is not worth measuring again either), or NULL. */
static const trial *find_trial(const trial_log *log, const at_config *c,
                               long size, long items)
{
    for (size_t i = log->n; i-- > 0;) {
        const at_sample *x = &log->t[i].sample;
        if (x->size == size && x->items == items &&
            same_config(&x->config, c))
            return &log->t[i];
    }
    return NULL;
}

/* Orders samples by job and configuration, then time. */
static int cmp_sample(const void *a, const void *b)
{
    const at_sample *x = a, *y = b;
    if (x->size != y->size)
        return x->size < y->size ? -1 : 1;
    if (x->items != y->items)
        return x->items < y->items ? -1 : 1;
    int c = memcmp(&x->config, &y->config, sizeof x->config);
    if (c)
        return c;
    return x->seconds < y->seconds ? -1 : x->seconds > y->seconds;
}

static int same_job(const at_sample *a, const at_sample *b)
{
    return a->size == b->size && a->items == b->items &&
           same_config(&a->config, &b->config);
}

/* The mean of the middle half of n sorted times (n >= 3: at least the
 * fastest and the slowest dropped; 3 or 4: the median). Robust to a
 * round the machine was busy in, like a median; but a configuration
 * whose time is bimodal (an unpinned pool of processes either spreads
 * over the CPUs or stays stacked, pool by pool) gets the mean of its two
 * modes, where a median jumps between them from run to run. */
static double interquartile_mean(const at_sample *sorted, size_t n)
{
    size_t drop = n < 3 ? 0 : n / 4 > 1 ? n / 4 : 1;
    double sum = 0;
    for (size_t i = drop; i < n - drop; i++)
        sum += sorted[i].seconds;
    return sum / (double)(n - 2 * drop);
}

size_t trial_samples(const trial_log *log, at_sample *out, unsigned phases)
{
    size_t n = 0;
    for (size_t i = 0; i < log->n; i++) {
        const trial *t = &log->t[i];
        if (!t->failed && t->sample.seconds > 0 &&
            (phases & PHASE_BIT(t->phase)))
            out[n++] = t->sample;
    }
    /* one sample per configuration and job; sorted, each group is a run
     * of times in order */
    qsort(out, n, sizeof *out, cmp_sample);
    size_t k = 0;
    for (size_t lo = 0, hi; lo < n; lo = hi) {
        for (hi = lo + 1; hi < n && same_job(&out[lo], &out[hi]); hi++)
            ;
        size_t m = hi - lo;
        at_sample g = out[lo];
        if (m > 1) {
            g.seconds = interquartile_mean(out + lo, m);
            g.spread = (out[hi - 1].seconds - out[lo].seconds) / g.seconds;
        }
        out[k++] = g;
    }
    return k;
}

/* Whether this run measured x's configuration and job itself. */
static int measured_here(const trial_log *log, const at_sample *x)
{
    for (size_t i = 0; i < log->n; i++) {
        const trial *t = &log->t[i];
        if (t->phase != PHASE_RESUMED && !t->failed &&
            same_job(&t->sample, x))
            return 1;
    }
    return 0;
}

size_t trial_samples_measured(const trial_log *log, at_sample *out)
{
    size_t n = trial_samples(log, out, PHASES_ALL), k = 0;
    for (size_t i = 0; i < n; i++)
        if (measured_here(log, &out[i]))
            out[k++] = out[i];
    return k;
}

at_sample *trial_samples_alloc(const trial_log *log)
{
    return malloc((log->n + 1) * sizeof(at_sample));
}

fit_problem search_problem(const search *s)
{
    fit_problem pb = {.kind = s->w->kind,
                      .cpus = s->cpus,
                      .costs = s->costs,
                      .ref_size = s->ref_size,
                      .exponent = s->exponent,
                      .fit_exponent = s->fit_exponent,
                      .fit_transfer = s->w->command != NULL};
    return pb;
}

/* ------------------------------------------------------------ measuring */

/* How long one chunk may take before its worker is declared hung: ten
 * times what the slowest one-worker trial suggests per item, times the
 * BLAS threads (an oversubscribed probe may crawl), at least 5 s. */
static double chunk_deadline(const search *s, const at_config *c)
{
    double per_item = 0;
    for (size_t i = 0; i < s->log->n; i++) {
        const trial *t = &s->log->t[i];
        const at_sample *x = &t->sample;
        if (!t->failed && x->size == s->size && x->config.workers == 1) {
            long tasks = s->w->kind == AT_KIND_VECTOR ? 1 : x->items;
            per_item = fmax(per_item, x->seconds / (double)tasks);
        }
    }
    if (per_item == 0)
        return 0;      /* nothing known yet: no deadline */
    if (s->w->command) /* one run of the whole program, start-up and all */
        return fmax(30.0, 10 * per_item *
                              (s->w->kind == AT_KIND_VECTOR ? 1 : s->items));
    return fmax(5.0, 10 * per_item * c->chunk_size * c->blas_threads);
}

static void report(const search *s, const trial *t)
{
    progress *p = s->prog;
    p->measured++;
    if (p->listener)
        p->listener(p->listener_ctx, p->phase, p->step, p->steps,
                    p->measured);
    if (!p->on)
        return;
    char what[160], spread[16];
    describe_config(&t->sample.config, s->w->kind, what, sizeof what);
    double left = p->budget - (tuner_now() - p->started);
    if (t->failed)
        fprintf(stderr, "  %-10s %2d/%-2d %-46s FAILED: %s\n", p->phase,
                p->step, p->steps, what, t->why);
    else
        fprintf(stderr,
                "  %-10s %2d/%-2d %-46s %9.4f s  +-%5s  (%ld items; "
                "%3.0f s of budget left)\n",
                p->phase, p->step, p->steps, what, t->sample.seconds,
                describe_spread(t->sample.spread, spread, sizeof spread),
                t->sample.items, left > 0 ? left : 0);
}

/* How hard to measure: a design or grid point stands alone, so it is
 * repeated until its spread is under 3% (or another run would take it past
 * 1.5 s: a point of a second or more runs once); a finals
 * round is one of several interleaved ones, so a long job runs once per
 * round and only short jobs are repeated within it. */
enum { EFFORT_ALONE, EFFORT_ROUND };

/* Interleaved rounds (A B C A B C ...) make drift of the shared machine
 * fall on every configuration alike; what counts is then a robust mean
 * over the rounds (trial_samples) or their median (the finals' ranking).
 * Rounds of under CHEAP_ROUND_S are cheap, and the drift of a busy
 * neighbour lasts seconds, longer than such a round: so cheap rounds are
 * more, to spread each configuration's measurements over more of it. */
#define CHEAP_ROUND_S 2.0
enum { DESIGN_ROUNDS = 5, FINAL_ROUNDS = 3, CHEAP_FINAL_ROUNDS = 7 };

/* Which trial of the log, if any, stands for a new measurement: any (a
 * design or survey point is measured once); only one resumed from the
 * file (--resume does not measure again what it kept: the sample stands
 * for the later rounds of the design, or for a finalist's first round);
 * or none (another round). */
enum { REUSE_ANY, REUSE_RESUMED, REUSE_NONE };

/* Measures c on d, unless the log has a trial that `reuse` accepts, and
 * sets *out to the trial, failed or not. AT_ERR_CANCELLED when
 * interrupted, AT_ERR_NOMEM when the log cannot grow. */
static at_status try_config(search *s, const job_data *d, const at_config *c,
                            int reuse, int effort, phase ph,
                            const trial **out)
{
    const trial *have = find_trial(s->log, c, d->size, d->items);
    if (have && (reuse == REUSE_ANY ||
                 (reuse == REUSE_RESUMED && have->phase == PHASE_RESUMED))) {
        *out = have;
        return AT_OK;
    }
    /* up to 15 runs: only a job of milliseconds gets them all */
    measure_opts o = {.warmup = -1,
                      .repeat = 15,
                      .min_repeat = 2,
                      .target_spread = 0.03,
                      .time_cap = 1.5,
                      .deadline = chunk_deadline(s, c),
                      .seed = s->seed};
    if (effort == EFFORT_ROUND) {
        o.min_repeat = 3; /* the cap leaves a long job one run */
        o.time_cap = 0.2;
    }
    measurement m;
    at_error err;
    trial t = {.sample = {.size = d->size, .items = d->items, .config = *c},
               .phase = ph};
    at_status st = measure_on(d, c, &o, &m, &err);
    if (st == AT_ERR_CANCELLED)
        return st;
    if (st != AT_OK || !m.verified) {
        t.failed = 1;
        if (st != AT_OK)
            snprintf(t.why, sizeof t.why, "%s", err.message);
        else
            snprintf(t.why, sizeof t.why,
                     "results did not verify (residual %.2g)", m.residual);
    } else {
        t.sample.seconds = m.median;
        t.sample.spread = m.runs >= 2 ? m.spread : NAN; /* one: unknown */
        t.runs = m.runs;
    }
    *out = trial_log_add(s->log, &t);
    report(s, &t);
    return *out ? AT_OK : AT_ERR_NOMEM;
}

/* ------------------------------------------------------------- finals */

/* One configuration in the finals: its rounds' times, and what its time
 * was expected to be before it ran (for the plan). A baseline may run on
 * a reduced job: its times are then that job's, and `scale` (the model's
 * ratio of the full job's time to the reduced one's) makes them the full
 * job's wherever candidates are compared. */
typedef struct candidate {
    at_config config;
    const job_data *job;
    int scaled;      /* `job` is a reduced one */
    double scale;    /* 1 on the full job */
    double times[8]; /* seconds on `job` */
    int n;
    int baseline; /* index, or -1 */
    int failed;
    int out;       /* left the race: never back (its median is stale) */
    double expect; /* seconds of a round on `job`: the log's, else the
                      model's; 0 when neither knows */
} candidate;

/* The median of its rounds, as full-job seconds. */
static double cand_median(const candidate *c)
{
    double v[8];
    memcpy(v, c->times, sizeof v);
    for (int i = 1; i < c->n; i++) /* insertion sort: n <= 8 */
        for (int j = i; j > 0 && v[j] < v[j - 1]; j--) {
            double t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
    if (c->n == 0)
        return HUGE_VAL;
    return c->scale *
           (c->n % 2 ? v[c->n / 2] : (v[c->n / 2 - 1] + v[c->n / 2]) / 2);
}

/* The range of its rounds over their median: unknown (NAN) with fewer
 * than two rounds, which is not the same as perfectly repeatable. */
static double cand_spread(const candidate *c)
{
    double lo = HUGE_VAL, hi = 0, median = cand_median(c);
    for (int k = 0; k < c->n; k++) {
        lo = fmin(lo, c->scale * c->times[k]);
        hi = fmax(hi, c->scale * c->times[k]);
    }
    return c->n >= 2 && median > 0 ? (hi - lo) / median : NAN;
}

/* Configurations that differ only in chunk size or partitions are one
 * family: the model ranks those well, so one finalist per family. */
static int same_family(const at_config *a, const at_config *b)
{
    return a->workers == b->workers && a->mode == b->mode &&
           a->blas_threads == b->blas_threads &&
           a->transport == b->transport && a->pin == b->pin;
}

static int has_family(const candidate *cs, int n, const at_config *c)
{
    for (int i = 0; i < n; i++)
        if (cs[i].baseline < 0 && same_family(&cs[i].config, c))
            return 1;
    return 0;
}

static int add_candidate(candidate *cs, int *n, int max, const at_config *c,
                         const job_data *job, int baseline, double expect)
{
    for (int i = 0; i < *n; i++)
        if (same_config(&cs[i].config, c) && cs[i].job == job) {
            if (baseline >= 0 && cs[i].baseline < 0)
                cs[i].baseline = baseline;
            return 0;
        }
    if (*n == max)
        return 0;
    cs[*n] = (candidate){*c, job, 0, 1, {0}, 0, baseline, 0, 0, expect};
    (*n)++;
    return 1;
}

/* The model fitted on every sample so far into *out, or NULL when there
 * is nothing to fit or the fit fails. AT_ERR_NOMEM only for memory. */
static at_status fit_now(const search *s, at_model **out)
{
    fit_problem pb = search_problem(s);
    at_sample *smp = trial_samples_alloc(s->log);
    *out = NULL;
    if (!smp || at_model_new(out, NULL) != AT_OK) {
        free(smp);
        return AT_ERR_NOMEM;
    }
    size_t ns = trial_samples(s->log, smp, PHASES_ALL);
    if (ns == 0 || fit_model(&pb, smp, ns, *out, NULL) != AT_OK) {
        at_model_free(*out);
        *out = NULL;
    }
    free(smp);
    return AT_OK;
}

static double predict(const search *s, const at_model *model,
                      const at_config *c, long items)
{
    return at_model_predict(model, s->costs, s->cpus, s->w->kind, s->size,
                            items, c);
}

/* The `k` configurations of the whole space the model, fitted on all
 * samples so far, predicts fastest for the full job (and under
 * must_beat), one per family, join the candidates, while their rounds
 * (FINAL_ROUNDS each, at the time predicted) fit in `allowance`. */
static at_status add_predicted(search *s, candidate *cs, int *n, int max,
                               int k, double must_beat, double allowance)
{
    size_t total = s->n_space;
    double *pred = malloc(total * sizeof *pred);
    at_model *model = NULL;
    at_status st = pred ? fit_now(s, &model) : AT_ERR_NOMEM;
    for (size_t i = 0; model && i < total; i++)
        pred[i] = predict(s, model, &s->space[i], s->items);
    for (int added = 0; model && added < k;) { /* the next best */
        size_t best = total;
        for (size_t i = 0; i < total; i++)
            if (pred[i] < must_beat &&
                (best == total || pred[i] < pred[best]))
                best = i;
        if (best == total || FINAL_ROUNDS * pred[best] > allowance)
            break;
        if (!has_family(cs, *n, &s->space[best]) &&
            add_candidate(cs, n, max, &s->space[best], s->full, -1,
                          pred[best])) {
            allowance -= FINAL_ROUNDS * pred[best];
            added++;
        }
        pred[best] = HUGE_VAL;
    }
    at_model_free(model);
    free(pred);
    return st;
}

/* Whether a candidate runs in a round after the first: one that has not
 * run yet (it joined late, predicted to win) and contenders within
 * `cutoff`; the rest are out of the race, for good: a median of rounds
 * it sat out would be compared with others' over the machine's drift. */
static int in_race(const candidate *c, double cutoff)
{
    return !c->failed && !c->out && c->n < 8 &&
           (c->n == 0 || cand_median(c) <= cutoff);
}

/* Which candidates best_candidate looks at: all that have run, or only
 * the baselines, those still racing, those measured on the full job (an
 * answer's time is measured, never scaled); flags or'ed. */
enum { CAND_ALL = 0, CAND_BASELINES = 1, CAND_RACING = 2, CAND_FULL_JOB = 4 };

/* The fastest candidate that has run, by its median, of those `which`
 * asks for, other than `except`; -1 if none. */
static int best_candidate(const candidate *cs, int n, unsigned which,
                          int except)
{
    int best = -1;
    for (int i = 0; i < n; i++) {
        const candidate *c = &cs[i];
        if (c->failed || c->n == 0 || i == except ||
            ((which & CAND_RACING) && c->out) ||
            ((which & CAND_BASELINES) && c->baseline < 0) ||
            ((which & CAND_FULL_JOB) && c->scaled))
            continue;
        if (best < 0 || cand_median(&cs[i]) < cand_median(&cs[best]))
            best = i;
    }
    return best;
}

/* How far behind the leader a contender may be and race on: closer than
 * this, a shared machine's drift can swap them. */
#define RACE_MARGIN 1.10

/* Who races on, of those still racing: the leader, whoever is within 10%
 * of it, the fastest baseline (the speedup is measured against it head
 * to head) and the runner-up (when the leader is that baseline, the
 * round needs a second configuration to be interleaved with at all).
 * Leader and runner-up are of the full job: a baseline's scaled estimate
 * may race, but not put out of the race what could be the answer (one
 * that clearly beats them is confirmed on the full job instead). */
static double race_cutoff(const candidate *cs, int n)
{
    int best = best_candidate(cs, n, CAND_RACING | CAND_FULL_JOB, -1);
    int base = best_candidate(cs, n, CAND_BASELINES | CAND_RACING, -1),
        second = best_candidate(cs, n, CAND_RACING | CAND_FULL_JOB, best);
    double cutoff =
        best < 0 ? HUGE_VAL : RACE_MARGIN * cand_median(&cs[best]);
    if (base >= 0)
        cutoff = fmax(cutoff, cand_median(&cs[base]));
    if (second >= 0)
        cutoff = fmax(cutoff, cand_median(&cs[second]));
    return cutoff;
}

/* What a contender's next round should cost: its latest time. */
static double next_cost(const candidate *c)
{
    return c->n ? c->times[c->n - 1] : c->expect;
}

/* What the next round should cost, and (in *owed) what the rounds the
 * contenders still need to reach FINAL_ROUNDS should; their count. */
static int round_cost(const candidate *cs, int n, double cutoff, double *cost,
                      double *owed)
{
    int short_of = 0;
    *cost = *owed = 0;
    for (int i = 0; i < n; i++)
        if (in_race(&cs[i], cutoff)) {
            int more = FINAL_ROUNDS - cs[i].n;
            *cost += next_cost(&cs[i]);
            *owed += more > 0 ? more * next_cost(&cs[i]) : 0;
            short_of += more > 0;
        }
    return short_of;
}

static double budget_spent(const search *s)
{
    return tuner_now() - s->prog->started;
}

/* Whether the finals run round `round` (its cutoff in *cutoff, and who
 * is beyond it now out of the race): the first always; another while a
 * contender has run fewer than FINAL_ROUNDS, whatever the budget (its
 * time and its spread need them); then up to `rounds` while the next one
 * fits in the budget. */
static int another_round(const search *s, candidate *cs, int n, int round,
                         int rounds, double *cutoff)
{
    double cost, owed;
    *cutoff = race_cutoff(cs, n);
    for (int i = 0; round > 1 && i < n; i++)
        cs[i].out |= cs[i].n > 0 && !in_race(&cs[i], *cutoff);
    if (round == 1 || round_cost(cs, n, *cutoff, &cost, &owed) > 0)
        return 1;
    return round <= rounds && budget_spent(s) + cost <= s->prog->budget;
}

/* What is left of the budget once the contenders have their minimum of
 * rounds: what a configuration joining late may spend on its own. */
static double spare_budget(const search *s, const candidate *cs, int n)
{
    double cost, owed;
    round_cost(cs, n, race_cutoff(cs, n), &cost, &owed);
    return s->prog->budget - budget_spent(s) - owed;
}

/* One round: every live candidate once, in order, each on its job. A
 * candidate's first round may be a sample resumed from the file: it is
 * not measured again. */
static at_status final_round(search *s, candidate *cs, int n, int round,
                             double cutoff)
{
    static char label[32]; /* read by report() during the round */
    snprintf(label, sizeof label, "finals %d", round);
    s->prog->phase = label;
    s->prog->steps = n;
    for (int i = 0; i < n; i++) {
        candidate *c = &cs[i];
        s->prog->step = i + 1;
        if (round == 1 ? c->failed : !in_race(c, cutoff))
            continue;
        /* not the design's trial of a baseline on the reduced job: the
         * rounds are interleaved so that the machine's drift falls on
         * all alike, and one from before the finals would not be */
        const trial *t;
        at_status st = try_config(s, c->job, &c->config,
                                  c->n ? REUSE_NONE : REUSE_RESUMED,
                                  EFFORT_ROUND, PHASE_FINALS, &t);
        if (st != AT_OK)
            return st;
        if (t->failed)
            c->failed = 1;
        else
            c->times[c->n++] = t->sample.seconds;
    }
    return AT_OK;
}

#define MAX_CANDIDATES 16

/* A configuration's time on a job of `items` as far as it is known
 * before it runs: the log's (a design point, a survey, an earlier run),
 * else the model's, else 0. */
static double expected(const search *s, const at_model *model,
                       const at_config *c, long items)
{
    const trial *t = find_trial(s->log, c, s->size, items);
    if (t && !t->failed)
        return t->sample.seconds;
    return model ? predict(s, model, c, items) : 0;
}

/* What the finals cost at the least, given the nb baselines' rounds and
 * the first lead's: a round of each baseline, FINAL_ROUNDS of the lead,
 * and the other rounds of the fastest baseline (by full-job time), which
 * races the lead head to head. */
static double least_cost(const candidate *cs, int nb, double lead)
{
    double cost = FINAL_ROUNDS * lead;
    int fastest = -1;
    for (int i = 0; i < nb; i++) {
        cost += cs[i].expect;
        if (fastest < 0 || cs[i].scale * cs[i].expect <
                               cs[fastest].scale * cs[fastest].expect)
            fastest = i;
    }
    return fastest < 0 ? cost
                       : cost + (FINAL_ROUNDS - 1) * cs[fastest].expect;
}

/* How many candidates go to the finals: the nb baselines and the first
 * lead whatever they cost (the finals exist to measure that lead head to
 * head), then each other lead while its FINAL_ROUNDS rounds fit in what
 * is left of the budget (it may stay within 10% of the leader, and a
 * contender runs its rounds whatever the budget). */
static int plan_finals(const search *s, const candidate *cs, int nb, int n)
{
    if (n == nb)
        return n;
    double cost = least_cost(cs, nb, cs[nb].expect),
           left = s->prog->budget - budget_spent(s);
    int k = nb + 1;
    while (k < n && cost + FINAL_ROUNDS * cs[k].expect <= left)
        cost += FINAL_ROUNDS * cs[k++].expect;
    return k;
}

/* How many times the tasks of c's busiest worker on a job of `items` are
 * those of p's on one of `r`: near what the model's ratio of the two
 * jobs' times must be, when the tasks' compute is most of them. */
static double work_ratio(const at_config *c, long items, const at_config *p,
                         long r)
{
    long a = (items + c->workers - 1) / c->workers,
         b = (r + p->workers - 1) / p->workers;
    return (double)a / (double)b;
}

/* The baselines on the reduced job instead, each scaled by the model's
 * ratio of its full-job time to its reduced one (its configuration for
 * the reduced job: a naive pool has no more workers than items). The
 * count, or 0 when a ratio is one the model cannot vouch for: not a
 * number, or more than 25% off the ratio of the work (a model that far
 * off for a baseline would make its speedup a guess). */
static int reduced_baselines(const search *s, const at_model *model,
                             const job_data *reduced, candidate *cs)
{
    at_config full[N_BASELINES], part[N_BASELINES];
    baseline_configs(s->w->kind, s->size, s->items, s->cpus, full);
    baseline_configs(s->w->kind, s->size, reduced->items, s->cpus, part);
    int n = 0;
    for (int b = 0; b < N_BASELINES; b++) {
        double scale = predict(s, model, &full[b], s->items) /
                       predict(s, model, &part[b], reduced->items),
               work =
                   work_ratio(&full[b], s->items, &part[b], reduced->items);
        if (!isfinite(scale) || scale <= 0 ||
            fabs(log(scale / work)) > log(1.25))
            return 0;
        if (add_candidate(cs, &n, N_BASELINES, &part[b], reduced, b,
                          expected(s, model, &part[b], reduced->items))) {
            cs[n - 1].scaled = 1;
            cs[n - 1].scale = scale;
        }
    }
    return n;
}

/* The baselines, on the full job when the least the finals cost with
 * them there fits in the budget (or there is no reduced job, or no model
 * to scale with), else on the reduced job; their count. */
static int enter_baselines(const search *s, const at_model *model,
                           const job_data *reduced, double lead,
                           candidate *cs)
{
    at_config base[N_BASELINES];
    baseline_configs(s->w->kind, s->size, s->items, s->cpus, base);
    int n = 0;
    for (int b = 0; b < N_BASELINES; b++)
        add_candidate(cs, &n, N_BASELINES, &base[b], s->full, b,
                      expected(s, model, &base[b], s->items));
    double left = s->prog->budget - budget_spent(s);
    if (!reduced || !model || least_cost(cs, n, lead) <= left)
        return n;
    candidate part[N_BASELINES];
    int k = reduced_baselines(s, model, reduced, part);
    if (k > 0)
        memcpy(cs, part, (size_t)k * sizeof *cs);
    return k > 0 ? k : n;
}

/* The baselines and the leads, each with its expected time, as many
 * leads as plan_finals finds room for. */
static at_status enter_finals(search *s, const job_data *reduced,
                              const at_config *lead, int n_lead,
                              candidate *cs, int *n)
{
    at_model *model;
    at_status st = fit_now(s, &model);
    double first = n_lead ? expected(s, model, &lead[0], s->items) : 0;
    int nb = enter_baselines(s, model, reduced, first, cs);
    *n = nb;
    for (int i = 0; i < n_lead; i++)
        add_candidate(cs, n, MAX_CANDIDATES, &lead[i], s->full, -1,
                      expected(s, model, &lead[i], s->items));
    at_model_free(model);
    *n = plan_finals(s, cs, nb, *n);
    return st;
}

/* A baseline scaled from the reduced job that leaves everything measured
 * on the full job out of the race is an estimate, which the answer
 * cannot be: its configuration for the full job joins the race there,
 * if its rounds fit in what the contenders leave of the budget (as a
 * configuration predicted to win does: the estimate is the model's
 * scaling of a short run). Within the margin, the two are a tie the
 * drift decides, and the answer is measured. */
static void confirm_baseline(search *s, candidate *cs, int *n)
{
    int best = best_candidate(cs, *n, CAND_RACING, -1),
        full = best_candidate(cs, *n, CAND_FULL_JOB, -1);
    if (best < 0 || !cs[best].scaled ||
        (full >= 0 &&
         cand_median(&cs[full]) <= RACE_MARGIN * cand_median(&cs[best])) ||
        FINAL_ROUNDS * cand_median(&cs[best]) > spare_budget(s, cs, *n))
        return;
    at_config base[N_BASELINES];
    int b = cs[best].baseline;
    baseline_configs(s->w->kind, s->size, s->items, s->cpus, base);
    add_candidate(cs, n, MAX_CANDIDATES, &base[b], s->full, b,
                  cand_median(&cs[best]));
}

/* Which candidate tells baseline b's time: one measured on the full job
 * (a scaled one confirmed there), else the scaled one; -1 if none ran. */
static int baseline_candidate(const candidate *cs, int n, int b)
{
    int pick = -1;
    for (int i = 0; i < n; i++)
        if (cs[i].baseline == b && cs[i].n > 0 &&
            (pick < 0 || cs[pick].scaled))
            pick = i;
    return pick;
}

/* The answer: the fastest of those still racing on the full job (they
 * ran their rounds to the end; any on the full job, if none is left),
 * and each measured baseline, with their spreads and rounds. */
static at_status finals_result(const candidate *cs, int n, search_result *r)
{
    r->baseline_items = 0;
    for (int b = 0; b < N_BASELINES; b++) {
        int i = baseline_candidate(cs, n, b);
        r->baseline[b] = i < 0 ? -1 : cand_median(&cs[i]);
        r->baseline_spread[b] = i < 0 ? NAN : cand_spread(&cs[i]);
        r->baseline_rounds[b] = i < 0 ? 0 : cs[i].n;
        if (i >= 0 && cs[i].scaled)
            r->baseline_items = cs[i].job->items;
    }
    int best = best_candidate(cs, n, CAND_RACING | CAND_FULL_JOB, -1);
    if (best < 0)
        best = best_candidate(cs, n, CAND_FULL_JOB, -1);
    if (best < 0)
        return AT_ERR_WORKER;
    r->best = cs[best].config;
    r->seconds = cand_median(&cs[best]);
    r->spread = cand_spread(&cs[best]);
    r->rounds = cs[best].n;
    return AT_OK;
}

/* The finals on the full job (the baselines perhaps on `reduced`, which
 * may be NULL: none). */
static at_status finals(search *s, const job_data *reduced,
                        const at_config *lead, int n_lead, search_result *r)
{
    candidate cs[MAX_CANDIDATES];
    int n = 0, rounds = FINAL_ROUNDS;
    at_status st = enter_finals(s, reduced, lead, n_lead, cs, &n);
    double t0 = tuner_now(), cutoff;
    for (int round = 1;
         st == AT_OK && another_round(s, cs, n, round, rounds, &cutoff);
         round++) {
        if (round == 2 && tuner_now() - t0 < CHEAP_ROUND_S)
            rounds = CHEAP_FINAL_ROUNDS;
        st = final_round(s, cs, n, round, cutoff);
        if (st == AT_OK)
            confirm_baseline(s, cs, &n);
        /* refit on the full-job times: a configuration now predicted to
         * beat the leader joins the next round, if its rounds fit */
        int best = best_candidate(cs, n, CAND_RACING, -1);
        if (st == AT_OK && s->strat == STRATEGY_MODEL &&
            round < FINAL_ROUNDS && best >= 0)
            st = add_predicted(s, cs, &n, MAX_CANDIDATES, 2,
                               0.98 * cand_median(&cs[best]),
                               spare_budget(s, cs, n));
    }
    if (st == AT_ERR_NOMEM)
        return st;
    /* interrupted: the answer so far, marked as such */
    r->interrupted = st == AT_ERR_CANCELLED;
    return finals_result(cs, n, r);
}

/* ------------------------------------------------------------ designs */

/* One configuration per model parameter: compute (serial, 1 thread),
 * parallel fraction (serial, all threads), contention (a pool), pinning,
 * thread mode, the pipe's copies, oversubscription. */
static int design_configs(const search *s, at_config *out)
{
    int P = s->cpus, w = P > 1 ? P : 2, n = 0,
        vector = s->w->kind == AT_KIND_VECTOR;
    at_config serial = AT_CONFIG_INIT(1, AT_MODE_PROCESS, 1, 1, 1,
                                      AT_TRANSPORT_SHM, AT_PIN_NONE);
    out[n++] = serial;
    serial.blas_threads = P > 1 ? P : 2;
    out[n++] = serial;
    at_config pool = AT_CONFIG_INIT(w, AT_MODE_PROCESS, 1, 1, vector ? w : 1,
                                    AT_TRANSPORT_SHM, AT_PIN_NONE);
    out[n++] = pool;
    pool.pin = AT_PIN_CORES;
    out[n++] = pool;
    /* Only the one pool above is unpinned: every other point unpinned
     * would mix its own parameter with how soon the scheduler spreads
     * the workers (which, for a job of milliseconds, depends on how many
     * chunks each worker gets: a form the model does not have). */
    pool.mode = AT_MODE_THREAD;
    out[n++] = pool;
    pool.mode = AT_MODE_PROCESS;
    pool.pin = AT_PIN_NONE;
    pool.transport = AT_TRANSPORT_PIPE;
    out[n++] = pool;
    pool.transport = AT_TRANSPORT_SHM;
    pool.pin = AT_PIN_CORES; /* the rest pinned, for the same reason */
    if (P > 1) {
        pool.blas_threads = P;
        out[n++] = pool;
    }
    if (vector) { /* partitions: what more messages cost */
        pool.blas_threads = 1;
        pool.partitions = 8 * w;
        out[n++] = pool;
    }
    return n;
}

/* For a user's program, whose own messages and copies the machine's
 * costs do not describe: points on the full job that differ only in how
 * many messages carry the tasks (chunk 1, then one chunk per worker) and
 * in the transport. The reduced design cannot tell these apart from
 * compute: its one item per worker is always one message each. */
static int transfer_configs(const search *s, at_config *out)
{
    int P = s->cpus, w = P > 1 ? P : 2, n = 0,
        vector = s->w->kind == AT_KIND_VECTOR;
    long tasks = vector ? 8L * w : s->items;
    if (!s->w->command || tasks < w)
        return 0;
    at_config pool =
        AT_CONFIG_INIT(w, AT_MODE_PROCESS, 1, 1, vector ? (int)tasks : 1,
                       AT_TRANSPORT_SHM, AT_PIN_CORES);
    out[n++] = pool;
    long per_worker = (tasks + w - 1) / w;
    if (per_worker > 1) {
        pool.chunk_size =
            (int)(per_worker < AT_MAX_CHUNK ? per_worker : AT_MAX_CHUNK);
        out[n++] = pool;
        pool.chunk_size = 1;
    }
    pool.transport = AT_TRANSPORT_PIPE;
    out[n++] = pool;
    return n;
}

/* Appends to list[0..nd) the n configurations of `more`, but, when the
 * list runs on the same job (a design on the full job: a vector's, or a
 * batch of few items), not those it has; how many it appended. */
static int add_new(at_config *list, int nd, const at_config *more, int n,
                   int same_job)
{
    int added = 0;
    for (int i = 0; i < n; i++) {
        int seen = 0;
        for (int j = 0; same_job && j < nd && !seen; j++)
            seen = same_config(&list[j], &more[i]);
        if (!seen)
            list[nd + added++] = more[i];
    }
    return added;
}

/* The fastest of the design's points on the full job (a user's
 * program's) is a measured answer, not a prediction: it joins the leads,
 * first when it beat the first lead's predicted time. The leads' count. */
static int lead_measured(const search *s, const at_config *points, int np,
                         const candidate *predicted, at_config *lead, int n)
{
    const trial *fast = NULL;
    for (int i = 0; i < np; i++) {
        const trial *t = find_trial(s->log, &points[i], s->size, s->items);
        if (t && !t->failed &&
            (!fast || t->sample.seconds < fast->sample.seconds))
            fast = t;
    }
    if (!fast || n == MAX_CANDIDATES)
        return n;
    for (int i = 0; i < n; i++)
        if (same_config(&lead[i], &fast->sample.config))
            return n;
    int at = n > 0 && fast->sample.seconds >= predicted[0].expect;
    memmove(lead + at + 1, lead + at, (size_t)(n - at) * sizeof *lead);
    lead[at] = fast->sample.config;
    return n + 1;
}

/* The model's leads, and the design's fastest point on the full job (of
 * the transfer points), to the finals. */
static at_status model_finals(search *s, const job_data *reduced,
                              const at_config *transfer, int nf,
                              search_result *r)
{
    candidate none[MAX_CANDIDATES];
    int n = 0;
    at_status st =
        add_predicted(s, none, &n, MAX_CANDIDATES, 3, HUGE_VAL, HUGE_VAL);
    if (st != AT_OK)
        return st;
    at_config lead[MAX_CANDIDATES];
    for (int i = 0; i < n; i++)
        lead[i] = none[i].config;
    n = lead_measured(s, transfer, nf, none, lead, n);
    return finals(s, reduced, lead, n, r);
}

/* The jobs of the design: a batch reduced to one item per worker of the
 * pools (*dd: `reduced`, or the full job when it is no larger), and to
 * one item for the serial points (*d1: `one`, or *dd); a vector job
 * whole. `reduced` and `one` are to be freed when they are used. */
static at_status design_jobs(const search *s, const job_data *full,
                             job_data *reduced, job_data *one,
                             const job_data **dd, const job_data **d1,
                             at_error *err)
{
    long per_design = s->cpus > 1 ? s->cpus : 2;
    int batch = s->w->kind == AT_KIND_BATCH;
    long items = !batch || s->items < per_design ? s->items : per_design;
    at_status st = AT_OK;
    *dd = *d1 = full;
    if (items != s->items &&
        (st = job_data_create(s->w, s->size, items, s->seed, reduced, err)) ==
            AT_OK)
        *dd = *d1 = reduced;
    if (st == AT_OK && batch && items > 1 &&
        (st = job_data_create(s->w, s->size, 1, s->seed, one, err)) == AT_OK)
        *d1 = one;
    if (st != AT_OK && *dd != full)
        job_data_free(reduced);
    return st;
}

static at_status model_strategy(search *s, const job_data *full,
                                search_result *r, at_error *err)
{
    /* the design runs on a reduced batch: one item per worker (a serial
     * point's worker measures what one item costs as well on one as on
     * several, in a fraction of the time) */
    job_data reduced, one;
    const job_data *dd, *d1;
    at_status st = design_jobs(s, full, &reduced, &one, &dd, &d1, err);
    if (st != AT_OK)
        return st;
    long design_items = dd->items;
    at_config design[16];
    at_config transfer[4]; /* on the full job, unless the design has it */
    int nd = design_configs(s, design), nf = transfer_configs(s, transfer),
        nt = add_new(design, nd, transfer, nf, dd == full);
    s->prog->steps = nd + nt;
    /* A cheap design is measured in interleaved rounds too, as long as
     * they stay cheap; the fit sees one sample per configuration. */
    double t0 = tuner_now();
    for (int round = 1; round <= DESIGN_ROUNDS && st == AT_OK; round++) {
        if (round > 1 && tuner_now() - t0 > CHEAP_ROUND_S * (round - 1))
            break;
        static char label[32]; /* read by report() during the round */
        snprintf(label, sizeof label, round == 1 ? "design" : "design %d",
                 round);
        s->prog->phase = label;
        for (int i = 0; i < nd + nt && st == AT_OK; i++) {
            at_config c = design[i];
            if (i < nd && c.chunk_size > design_items)
                c.chunk_size = 1;
            s->prog->step = i + 1;
            const trial *t;
            const job_data *d = i >= nd ? full : c.workers == 1 ? d1 : dd;
            st = try_config(s, d, &c, round > 1 ? REUSE_RESUMED : REUSE_ANY,
                            EFFORT_ALONE, PHASE_DESIGN, &t);
        }
    }
    if (st == AT_OK)
        st = model_finals(s, dd != full ? dd : NULL, transfer, nf, r);
    else
        r->interrupted = st == AT_ERR_CANCELLED;
    if (d1 != dd)
        job_data_free(&one);
    if (dd != full)
        job_data_free(&reduced);
    return st;
}

/* Measures every configuration in `list` on the full job, then the
 * finals between the three fastest and the baselines. */
static at_status measure_all(search *s, const job_data *full,
                             const at_config *list, size_t n,
                             search_result *r)
{
    s->prog->phase = s->strat == STRATEGY_GRID ? "grid" : "random";
    s->prog->steps = (int)n;
    for (size_t i = 0; i < n; i++) {
        s->prog->step = (int)i + 1;
        const trial *t;
        at_status st = try_config(s, full, &list[i], REUSE_ANY, EFFORT_ALONE,
                                  PHASE_SURVEY, &t);
        if (st != AT_OK) {
            r->interrupted = st == AT_ERR_CANCELLED;
            return st;
        }
    }
    /* the three fastest go to the finals */
    at_config lead[3];
    int nl = 0;
    for (int k = 0; k < 3; k++) {
        const trial *best = NULL;
        for (size_t i = 0; i < n; i++) {
            const trial *t = find_trial(s->log, &list[i], s->size, s->items);
            int taken = 0;
            for (int j = 0; j < nl; j++)
                taken |= t && same_config(&lead[j], &t->sample.config);
            if (t && !t->failed && !taken &&
                (!best || t->sample.seconds < best->sample.seconds))
                best = t;
        }
        if (best)
            lead[nl++] = best->sample.config;
    }
    return finals(s, NULL, lead, nl, r);
}

/* Whether trial t is of this run (not resumed) and of a job of `size`. */
static int measured_now(const trial *t, long size)
{
    return t->sample.size == size && t->phase != PHASE_RESUMED;
}

static int distinct_configs(const trial_log *log, long size)
{
    int n = 0;
    for (size_t i = 0; i < log->n; i++) {
        if (!measured_now(&log->t[i], size))
            continue;
        int seen = 0;
        for (size_t j = 0; j < i && !seen; j++)
            seen = measured_now(&log->t[j], size) &&
                   same_config(&log->t[j].sample.config,
                               &log->t[i].sample.config);
        n += !seen;
    }
    return n;
}

at_status search_run(search *s, search_result *r, at_error *err)
{
    memset(r, 0, sizeof *r);
    size_t total = at_space_enumerate(s->w->kind, s->size, s->items, s->cpus,
                                      AT_SPACE_OVERSUBSCRIBE, NULL, 0);
    at_config *space = malloc(total * sizeof *space);
    if (!space)
        return tuner_out_of_memory(err);
    at_space_enumerate(s->w->kind, s->size, s->items, s->cpus,
                       AT_SPACE_OVERSUBSCRIBE, space, total);
    r->space_size = (int)total;
    s->space = space;
    s->n_space = total;
    job_data full;
    at_status st =
        job_data_create(s->w, s->size, s->items, s->seed, &full, err);
    s->full = &full;
    if (st == AT_OK) {
        if (s->strat == STRATEGY_MODEL)
            st = model_strategy(s, &full, r, err);
        else {
            size_t n = total;
            if (s->strat == STRATEGY_RANDOM) { /* a seeded shuffle */
                srand((unsigned)s->seed);
                for (size_t i = total; i > 1; i--) {
                    size_t j = (size_t)rand() % i;
                    at_config t = space[i - 1];
                    space[i - 1] = space[j];
                    space[j] = t;
                }
                n = (total + 3) / 4;
            }
            st = measure_all(s, &full, space, n, r);
        }
        job_data_free(&full);
    }
    r->configs_measured = distinct_configs(s->log, s->size);
    s->space = NULL;
    s->n_space = 0;
    s->full = NULL;
    free(space);
    if (st == AT_ERR_NOMEM)
        return tuner_out_of_memory(err);
    if (st == AT_ERR_WORKER)
        return tuner_error(err, st, "every configuration failed for %s %ld",
                           s->w->name, s->size);
    return st;
}
