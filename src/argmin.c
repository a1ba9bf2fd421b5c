/* argmin.c - the search space's best configuration under the model, found
 * without materialising the space.
 *
 * A query with no measured entry ranks the search space (space.c) with the
 * fitted model (at_model_predict, model.c). The space holds O(P^2 log P)
 * configurations for P usable CPUs (0.28 s and 112 MB to rank at 4096),
 * so this file walks its structure instead and returns the very
 * configuration the brute force would (the first strict minimum in
 * enumeration order) with the very same predicted seconds, bit for bit:
 * every time it compares is computed by the same operations, in the same
 * order, as at_model_predict computes it; only which configurations get
 * computed changes. Why the others cannot win:
 *
 * 1. Per-task time q depends on workers w, threads t, pinning, mode and,
 *    for vectors, the partitions, never on the chunk size; so q is
 *    computed once per such group, its speed and contention factors once
 *    per (w, t, pinning), and each chunk size adds a few operations.
 *
 * 2. Threads. For fixed w, pinning, mode, partitions and chunk,
 *    q(t) = one / speed(min(t, R)) * contention [* thread_factor] with
 *    R = run_on / w, and nothing else depends on t but the dispatch term.
 *    speed(s) is s below one CPU and 1 / ((1 - f) + f / s) from one on;
 *    min(t, R) is constant when R < 1 (t >= 1) and at least 1 otherwise,
 *    and f / s does not increase with s (f >= 0), adding 1 - f keeps the
 *    order, 1 / x of a positive x reverses it: speed never decreases with
 *    t. IEEE rounding is monotone, so every rounded step keeps the order
 *    too, and so does the time, busiest x q plus message terms, all
 *    positive. So the time never increases with t while the dispatch term
 *    is off, that is while w t < P; in the space (w t <= P) it switches on
 *    only at t = P / w when w divides P, and only for process pools. A
 *    group's least time is thus at its largest dispatch-free t, or at
 *    t = P / w with dispatch; the threads that tie with the former form a
 *    run t0 .. t_max, t0 at most ceil(R) (from there on the share, hence
 *    the time, is the same), and bisection finds t0, the first the
 *    enumeration meets. Without costs, pipe and shm times are equal and
 *    pipe comes first; with unpinned_spread == 1 unpinned is pinned and
 *    comes first; one worker's pinning changes nothing: those are skipped.
 *
 * 3. Vector chunks. With w m partitions and chunk c | m, every worker
 *    runs exactly m partitions in w m / c >= w chunks, so the time only
 *    falls as c grows (fewer messages and dispatches): the largest chunk
 *    is least, and smaller ones that equal it are found by a scan.
 *
 * 4. Worker counts are pruned by branch and bound on blocks a .. b of
 *    them. For w >= a, q at w's most threads (the least, by 2.) only grows
 *    with w: fewer threads and CPUs per worker, more contention; so does
 *    the fewest chunks a pool sends. The busiest worker's compute only
 *    shrinks: ceil(tasks / w) x one for batches; for vectors
 *    m x one(w m) = compute_s (size / (w ref))^e m^(1 - e), least at the
 *    most partitions when e >= 1, at one per worker when e < 1. A block's
 *    bound is thus (least compute at b) x (q at a) + (messages at a),
 *    the least over the modes, reduced by 1e-9 relative, far more than
 *    the few dozen roundings (2^-53 each) between it and the real-number
 *    bound. The block of least bound is halved first, so the first worker
 *    count evaluated is the one of least bound (nearly always the best: a
 *    single count's bound is tight), after which most blocks are worse
 *    and never opened. Within a vector pool the other multipliers m are
 *    bounded by 2^(k (1 - e)) times the evaluated one, so their pow() is
 *    paid only when they can win (with e == 1 they tie to rounding, and
 *    must all be evaluated to keep the tie rule).
 *
 * Ties are kept exactly: a candidate replaces the best when it is faster
 * or equally fast and earlier in the enumeration, and nothing is pruned
 * unless its bound is strictly worse, or equal and later. The proofs need
 * the documented parameter ranges (data/profile-format.md); a model or
 * costs outside them (at_profile_set_model does not check) are ranked by
 * at_model_predict on every configuration, still without a list. Memory:
 * a heap of at most one block per worker count.
 *
 * THIS FILE RE-DERIVES at_model_predict's formula and space.c's loops; it
 * must stay equal to both (tests/unit/test_argmin.c compares it with the
 * brute force over many random models). */
#include "config.h"

#include "internal.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>

/* Pool modes in the space's order within a pinning. */
enum { PIPE, SHM, THREAD, N_MODES };
/* Chunk sizes 1, 2, 4 ... AT_MAX_CHUNK. */
#define N_CHUNKS 21
/* Vector partitions are workers x 2^k, k = 0 .. MAX_MEXP. */
#define MAX_MEXP 6
/* Up to this many worker counts, branch and bound goes depth first. */
#define SMALL 16
/* How far below the real bound a computed bound is taken (see 4.). */
#define MARGIN (1 - 1e-9)

typedef struct job {
    const at_model *m;
    const at_machine_costs *costs; /* NULL: no message terms */
    const at_transport_cost *tc[N_MODES];
    int cpus; /* at least 1, as the space and the model take it */
    double P;
    at_workload_kind kind;
    long size, items;
    int top_workers; /* more would leave workers idle: not in the space */
    long part_limit; /* vectors: never more partitions than this */
    double tasks, one, bytes;        /* batch (and any single worker) */
    double bw_bound[N_MODES];        /* bandwidth term, for the bounds */
    double ref_bytes;                /* at__ref_bytes */
    double copy_bound;               /* the piping term, for the bounds */
    double mratio[2 * MAX_MEXP + 1]; /* 2^(k (1 - e)), k = -6 .. 6 */
} job;

/* A configuration's place in the enumeration; partitions are w << mexp. */
typedef struct pos {
    int w, t, pin, mode, mexp, chunk;
} pos;

typedef struct best {
    double seconds;
    pos at;
    int found;
} best;

/* The arithmetic shared by one worker count (and partition count): the
 * chunk sizes the space tries and what each makes of the tasks. */
typedef struct shape {
    int w, mexp;
    double tasks, one, bytes;
    double bw[N_MODES]; /* tasks x bytes / bandwidth, as the model has it */
    double copy;        /* the program's own piping of the tasks' data */
    int n_chunks;
    int chunk[N_CHUNKS];
    double chunks[N_CHUNKS], busiest[N_CHUNKS];
} shape;

/* ------------------------------------------------------------ the model */

/* fmin for the numbers met here, which are never NaN (tame() sees to
 * it): the same result, without a call into libm. */
static double smaller(double a, double b)
{
    return b < a ? b : a;
}

/* The CPUs a pool runs on, as at_model_predict has it. */
static double run_on(const job *j, int workers, int pin)
{
    return workers > 1 && pin == AT_PIN_NONE
               ? 1 + (j->P - 1) * j->m->unpinned_spread
               : j->P;
}

/* What at_model_predict's per_task is made of besides `one`: the speed it
 * divides by and the contention factor it multiplies by. They depend on
 * workers, threads and pinning only, so a pool computes them once for all
 * its partition counts. */
typedef struct rate {
    double speed, contention;
} rate;

static rate rate_of(const job *j, int workers, int threads, int pin)
{
    double w = workers, t = threads, on = run_on(j, workers, pin);
    double share = smaller(t, on / w);
    rate r = {at__model_speed(j->m->parallel_fraction, share),
              1 + j->m->contention * (smaller(w, on) - 1)};
    return r;
}

/* at_model_predict's per_task, operation for operation; its factor for
 * w x t > P never applies in the space. The thread factor is the last
 * multiplication, so a thread pool's per_task is a process pool's times
 * thread_factor, bit for bit (pool_groups relies on it). */
static double per_task(const job *j, rate r, double one, int mode,
                       int workers)
{
    double q = one / r.speed;
    q *= r.contention;
    if (mode == THREAD && workers > 1)
        q *= j->m->thread_factor;
    return q;
}

/* at_model_predict's seconds for chunk i of shape s, given per_task q. */
static double seconds(const job *j, const shape *s, int i, int mode, double q,
                      int dispatch)
{
    double sec = s->busiest[i] * q;
    if (s->w > 1 && j->costs) {
        const at_transport_cost *tc = j->tc[mode];
        sec += s->chunks[i] * tc->latency_us * 1e-6;
        if (tc->gbytes_per_s > 0)
            sec += s->bw[mode];
    }
    if (s->w > 1) { /* the program's own costs, as predict adds them */
        sec += s->chunks[i] * j->m->message_s;
        if (mode != THREAD)
            sec += s->w * j->m->start_s;
        if (mode == PIPE)
            sec += s->copy;
    }
    if (dispatch)
        sec += fmax(0, s->chunks[i] - s->w) * j->m->dispatch_s;
    return sec;
}

/* One vector partition's compute when the vector is in p of them. */
static double vector_one(const job *j, long p)
{
    double task_size = (double)j->size / (double)p;
    return j->m->compute_s * pow(task_size / j->m->ref_size, j->m->exponent);
}

/* --------------------------------------------------------- the search */

static int before(const pos *a, const pos *b)
{
    const int x[] = {a->w, a->t, a->pin, a->mode, a->mexp, a->chunk};
    const int y[] = {b->w, b->t, b->pin, b->mode, b->mexp, b->chunk};
    for (int k = 0; k < 6; k++)
        if (x[k] != y[k])
            return x[k] < y[k];
    return 0;
}

static void offer(best *b, double sec, pos at)
{
    if (!b->found || sec < b->seconds ||
        (sec == b->seconds && before(&at, &b->at))) {
        b->seconds = sec;
        b->at = at;
        b->found = 1;
    }
}

/* Whether something with at least w workers and at least `bound` seconds
 * may still replace the best: an equal time only from an earlier place. */
static int could_win(const best *b, double bound, int w)
{
    return !b->found || bound < b->seconds ||
           (bound == b->seconds && w <= b->at.w);
}

/* Chunk sizes as space.c's vary_chunk has them, with at_model_predict's
 * chunk count and busiest worker for each. */
static void shape_init(const job *j, shape *s, int w, int mexp, double one)
{
    long limit;
    s->w = w;
    s->mexp = mexp;
    s->one = one;
    if (j->kind == AT_KIND_VECTOR && w > 1) {
        s->tasks = (double)((long)w << mexp);
        double task_size = (double)j->size / s->tasks;
        s->bytes = 2 * 8 * task_size;
        limit = 1L << mexp; /* ceil(partitions / w) */
    } else {
        s->tasks = j->tasks;
        s->bytes = j->bytes;
        limit = w > 1 ? (j->items + w - 1) / w : 1; /* one: chunk 1 */
    }
    for (int mode = 0; j->costs && mode < N_MODES; mode++)
        if (j->tc[mode]->gbytes_per_s > 0)
            s->bw[mode] =
                s->tasks * s->bytes / (j->tc[mode]->gbytes_per_s * 1e9);
    s->copy = s->tasks * s->bytes / j->ref_bytes * j->m->copy_s;
    s->n_chunks = 0;
    for (long c = 1; c <= limit && c <= AT_MAX_CHUNK; c *= 2) {
        int i = s->n_chunks++;
        s->chunk[i] = (int)c;
        if (j->kind == AT_KIND_VECTOR && w > 1) {
            /* w m partitions, c | m: both divisions are exact, so ceil()
             * would return its argument (and cost a call) */
            s->chunks[i] = s->tasks / (int)c;
            s->busiest[i] = smaller(s->chunks[i] / w * (int)c, s->tasks);
            continue;
        }
        s->chunks[i] = ceil(s->tasks / (int)c);
        double rounds = ceil(s->chunks[i] / w);
        s->busiest[i] = smaller(rounds * (int)c, s->tasks);
    }
}

/* The fewest threads that reach `least` for chunk i: time does not
 * increase with threads up to t_hi (2. at the top), so they are a run
 * ending at t_hi. */
static int first_thread(const job *j, const shape *s, int i, int pin,
                        int mode, int t_hi, double least)
{
    int lo = 1, hi = t_hi;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        double q =
            per_task(j, rate_of(j, s->w, mid, pin), s->one, mode, s->w);
        if (seconds(j, s, i, mode, q, 0) <= least)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

/* Offers the best of one group: threads 1 .. t_hi without the dispatch
 * term, or (dispatch) t_hi alone with it; q is the per-task time at t_hi. */
static void group(const job *j, const shape *s, int pin, int mode, int t_hi,
                  int dispatch, double q, best *b)
{
    int n = s->n_chunks;
    /* vectors: the largest chunk is least (3. at the top) */
    int from = j->kind == AT_KIND_VECTOR ? n - 1 : 0;
    double least = HUGE_VAL;
    for (int i = from; i < n; i++)
        least = smaller(least, seconds(j, s, i, mode, q, dispatch));
    if (!could_win(b, least, s->w))
        return;
    for (int i = 0; i < n; i++) {
        if (seconds(j, s, i, mode, q, dispatch) != least)
            continue;
        int t =
            dispatch ? t_hi : first_thread(j, s, i, pin, mode, t_hi, least);
        offer(b, least, (pos){s->w, t, pin, mode, s->mexp, s->chunk[i]});
    }
}

/* A pool's rates at its most threads and, when those fill every CPU (the
 * dispatch term on, for processes), at one thread fewer (2. at the top). */
typedef struct pool_rates {
    int t_max, full;
    rate top[2], below[2]; /* by pinning */
} pool_rates;

static pool_rates pool_rates_of(const job *j, int w)
{
    pool_rates pr = {j->cpus / w, 0, {{0, 0}}, {{0, 0}}};
    pr.full = w * pr.t_max == j->cpus;
    for (int pin = AT_PIN_NONE; pin <= AT_PIN_CORES; pin++) {
        pr.top[pin] = rate_of(j, w, pr.t_max, pin);
        pr.below[pin] = pr.full && pr.t_max > 1
                            ? rate_of(j, w, pr.t_max - 1, pin)
                            : pr.top[pin];
    }
    return pr;
}

/* Every group of a pool of s->w workers (2. at the top). */
static void pool_groups(const job *j, const shape *s, const pool_rates *pr,
                        best *b)
{
    int w = s->w, t_max = pr->t_max;
    for (int pin = AT_PIN_NONE; pin <= AT_PIN_CORES; pin++) {
        if (pin == AT_PIN_CORES && j->m->unpinned_spread == 1)
            continue; /* the same run_on, and none comes first */
        double q_top = per_task(j, pr->top[pin], s->one, PIPE, w);
        double q_below = per_task(j, pr->below[pin], s->one, PIPE, w);
        for (int mode = PIPE; mode <= SHM; mode++) {
            if (mode == SHM && !j->costs && j->m->copy_s == 0)
                continue; /* the same times as pipe, which comes first */
            if (!pr->full)
                group(j, s, pin, mode, t_max, 0, q_top, b);
            else {
                if (t_max > 1)
                    group(j, s, pin, mode, t_max - 1, 0, q_below, b);
                group(j, s, pin, mode, t_max, 1, q_top, b);
            }
        }
        group(j, s, pin, THREAD, t_max, 0, q_top * j->m->thread_factor, b);
    }
}

/* One worker in the calling process: only its threads matter, pinning
 * does not (same times, and none comes first). */
static void serial(const job *j, best *b)
{
    shape s;
    shape_init(j, &s, 1, 0, j->one);
    double q =
        per_task(j, rate_of(j, 1, j->cpus, AT_PIN_NONE), j->one, PIPE, 1);
    group(j, &s, AT_PIN_NONE, PIPE, j->cpus, 0, q, b);
}

/* ------------------------------------------------------------ bounding */

/* Largest k with w x 2^k partitions allowed (k <= 6), or -1. */
static int top_mexp(const job *j, int w)
{
    int k = -1;
    while (k < MAX_MEXP && ((long)w << (k + 1)) <= j->part_limit)
        k++;
    return k;
}

/* The multiplier whose partitions compute least (4. at the top). */
static int cheapest_mexp(const job *j, int w)
{
    return j->m->exponent >= 1 ? top_mexp(j, w) : 0;
}

/* m x one(w m) for m = 2^k, for a bound: x^1 is x, within the one
 * rounding pow() may add (the usual exponent of a vector workload). */
static double vector_work(const job *j, int w, int k)
{
    long p = (long)w << k;
    if (j->m->exponent != 1)
        return (double)(1L << k) * vector_one(j, p);
    return (double)(1L << k) * j->m->compute_s *
           ((double)j->size / (double)p / j->m->ref_size);
}

/* The fewest chunks of a batch pool of w workers: its largest chunk's. */
static double batch_min_chunks(const job *j, int w)
{
    long limit = (j->items + w - 1) / w, c = 1;
    while (c * 2 <= limit && c * 2 <= AT_MAX_CHUNK)
        c *= 2;
    return ceil(j->tasks / (double)c);
}

/* A lower bound of per_task / one for w workers or more: at w's most
 * threads (2.), either pinning, before the thread factor. 1 / speed is
 * computed as the sum it is the inverse of: a division fewer, the same up
 * to rounding, which MARGIN covers. */
static double unit_bound(const job *j, int w)
{
    double f = j->m->parallel_fraction, least = HUGE_VAL;
    for (int pin = AT_PIN_NONE; pin <= AT_PIN_CORES; pin++) {
        double on = run_on(j, w, pin);
        double share = smaller(j->cpus / w, on / w);
        double slow = share < 1 ? 1 / share : (1 - f) + f / share;
        least = smaller(least,
                        slow * (1 + j->m->contention * (smaller(w, on) - 1)));
    }
    return least;
}

/* The least time over the modes of `work` (a bound of busiest x one) at
 * `unit` seconds per unit of one, plus at least min_chunks messages and
 * min_workers workers' start. */
static double bound_of(const job *j, double work, double unit,
                       double min_chunks, int min_workers)
{
    double least = HUGE_VAL;
    for (int mode = 0; mode < N_MODES; mode++) {
        double t = work * unit * (mode == THREAD ? j->m->thread_factor : 1);
        if (j->costs) {
            t += min_chunks * j->tc[mode]->latency_us * 1e-6;
            if (j->tc[mode]->gbytes_per_s > 0)
                t += j->bw_bound[mode];
        }
        t += min_chunks * j->m->message_s;
        if (mode != THREAD)
            t += min_workers * j->m->start_s;
        if (mode == PIPE)
            t += j->copy_bound;
        least = smaller(least, t);
    }
    return least * MARGIN;
}

/* A block of worker counts a .. b, with a lower bound of every time in
 * it (4. at the top): per-task time and messages only grow with workers,
 * so they are taken at a (unit, chunks); the busiest worker's work only
 * shrinks, so it is taken at b (work, at 2^k partitions per worker). A
 * half shares a or b with its parent and reuses that part. */
typedef struct block {
    int a, b, k;
    double unit, chunks, work, bound;
} block;

static block block_of(const job *j, int a, int b, const block *parent)
{
    block x = {a, b, 0, 0, 0, 0, 0};
    int vector = j->kind == AT_KIND_VECTOR;
    /* m x one(w m) ~ w^-e m^(1-e): least at the largest w and, when
     * e >= 1, the largest m, which a allows at least as far as b */
    x.k = vector ? cheapest_mexp(j, a) : 0;
    if (parent && parent->a == a) {
        x.unit = parent->unit;
        x.chunks = parent->chunks;
    } else {
        x.unit = unit_bound(j, a);
        x.chunks = vector ? a : batch_min_chunks(j, a);
    }
    if (parent && parent->b == b && parent->k == x.k)
        x.work = parent->work;
    else
        x.work =
            vector ? vector_work(j, b, x.k) : ceil(j->tasks / b) * j->one;
    x.bound = bound_of(j, x.work, x.unit, x.chunks, a);
    return x;
}

/* ---------------------------------------------------------- the pools */

/* A vector pool: the cheapest multiplier first, then the others that
 * their bound (2^(k (1 - e)) times its work) lets win. */
static void vector_pool(const job *j, int w, best *b)
{
    int top = top_mexp(j, w), star = cheapest_mexp(j, w);
    pool_rates pr = pool_rates_of(j, w);
    double unit = unit_bound(j, w);
    double one = vector_one(j, (long)w << star);
    double work = (double)(1L << star) * one;
    shape s;
    shape_init(j, &s, w, star, one);
    pool_groups(j, &s, &pr, b);
    for (int k = 0; k <= top; k++) {
        if (k == star ||
            !could_win(b,
                       bound_of(j, work * j->mratio[k - star + MAX_MEXP],
                                unit, w, w),
                       w))
            continue;
        shape_init(j, &s, w, k, vector_one(j, (long)w << k));
        pool_groups(j, &s, &pr, b);
    }
}

static void pool(const job *j, int w, best *b)
{
    if (j->kind == AT_KIND_VECTOR) {
        vector_pool(j, w, b);
        return;
    }
    pool_rates pr = pool_rates_of(j, w);
    shape s;
    shape_init(j, &s, w, 0, j->one);
    pool_groups(j, &s, &pr, b);
}

/* Branch and bound over worker counts, depth first: halves, the one of
 * smaller bound first. For small machines, whose tree is shallow, and
 * when the heap below cannot be had. */
static void search(const job *j, const block *x, best *bst)
{
    if (!could_win(bst, x->bound, x->a))
        return;
    if (x->a == x->b) {
        pool(j, x->a, bst);
        return;
    }
    int mid = x->a + (x->b - x->a) / 2;
    block left = block_of(j, x->a, mid, x);
    block right = block_of(j, mid + 1, x->b, x);
    int swap = right.bound < left.bound;
    search(j, swap ? &right : &left, bst);
    search(j, swap ? &left : &right, bst);
}

/* Blocks by bound, then by first worker count (a min-heap). */
static int block_before(const block *x, const block *y)
{
    return x->bound < y->bound || (x->bound == y->bound && x->a < y->a);
}

static void heap_push(block *heap, size_t *n, block x)
{
    size_t i = (*n)++;
    while (i > 0 && block_before(&x, &heap[(i - 1) / 2])) {
        heap[i] = heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    heap[i] = x;
}

static block heap_pop(block *heap, size_t *n)
{
    block top = heap[0], last = heap[--*n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= *n)
            break;
        if (c + 1 < *n && block_before(&heap[c + 1], &heap[c]))
            c++;
        if (!block_before(&heap[c], &last))
            break;
        heap[i] = heap[c];
        i = c;
    }
    if (*n > 0)
        heap[i] = last;
    return top;
}

/* Branch and bound over the worker counts 2 .. top, best first: the block
 * of least bound is halved next, so the first pool evaluated is the one
 * of least bound (nearly always the best: the bound of one worker count
 * is tight), and every block whose bound is then worse is never opened.
 * Each halving adds at most one block, so the heap holds at most `top`. */
static void pools(const job *j, best *bst)
{
    int top = j->top_workers;
    if (top < 2)
        return;
    block root = block_of(j, 2, top, NULL);
    block *heap = top > SMALL ? malloc((size_t)top * sizeof *heap) : NULL;
    if (!heap) {
        search(j, &root, bst);
        return;
    }
    size_t n = 0;
    heap_push(heap, &n, root);
    while (n > 0) {
        block x = heap_pop(heap, &n);
        if (bst->found && x.bound > bst->seconds)
            break; /* the rest are no better */
        if (!could_win(bst, x.bound, x.a))
            continue;
        if (x.a == x.b) {
            pool(j, x.a, bst);
            continue;
        }
        int mid = x.a + (x.b - x.a) / 2;
        heap_push(heap, &n, block_of(j, x.a, mid, &x));
        heap_push(heap, &n, block_of(j, mid + 1, x.b, &x));
    }
    free(heap);
}

/* ------------------------------------------------------- out of range */

static at_config config_at(const job *j, const pos *at)
{
    if (at->w == 1)
        return (at_config){1, AT_MODE_PROCESS,  at->t,          1,
                           1, AT_TRANSPORT_SHM, (at_pin)at->pin};
    return (at_config){at->w,
                       at->mode == THREAD ? AT_MODE_THREAD : AT_MODE_PROCESS,
                       at->t,
                       at->chunk,
                       j->kind == AT_KIND_VECTOR ? at->w << at->mexp : 1,
                       at->mode == PIPE ? AT_TRANSPORT_PIPE
                                        : AT_TRANSPORT_SHM,
                       (at_pin)at->pin};
}

/* The brute force's own rule (first strictly below HUGE_VAL, then first
 * strictly less), on one configuration. */
static void plain_try(const job *j, best *b, pos at)
{
    at_config c = config_at(j, &at);
    double sec = at_model_predict(j->m, j->costs, j->cpus, j->kind, j->size,
                                  j->items, &c);
    if (sec < (b->found ? b->seconds : HUGE_VAL)) {
        b->seconds = sec;
        b->at = at;
        b->found = 1;
    }
}

/* Chunks of one pool group, as space.c's vary_chunk. */
static void plain_chunks(const job *j, best *b, pos at, long tasks)
{
    long limit = (tasks + at.w - 1) / at.w;
    for (long c = 1; c <= limit && c <= AT_MAX_CHUNK; c *= 2) {
        at.chunk = (int)c;
        plain_try(j, b, at);
    }
}

/* Every configuration in space.c's order, for models outside the ranges
 * the pruning is proved for. */
static void plain(const job *j, best *b)
{
    for (int w = 1; w <= j->cpus; w++)
        for (int t = 1; w * t <= j->cpus; t++) {
            pos at = {w, t, AT_PIN_NONE, PIPE, 0, 1};
            if (w == 1) {
                plain_try(j, b, at);
                at.pin = AT_PIN_CORES;
                plain_try(j, b, at);
                continue;
            }
            if (w > j->top_workers)
                continue;
            for (at.pin = AT_PIN_NONE; at.pin <= AT_PIN_CORES; at.pin++)
                for (at.mode = PIPE; at.mode < N_MODES; at.mode++) {
                    if (j->kind == AT_KIND_BATCH) {
                        plain_chunks(j, b, at, j->items);
                        continue;
                    }
                    for (at.mexp = 0; at.mexp <= top_mexp(j, w); at.mexp++)
                        plain_chunks(j, b, at, (long)w << at.mexp);
                }
        }
}

/* ---------------------------------------------------------------- setup */

static int within(double x, double lo, double hi)
{
    return x >= lo && x <= hi; /* false for NaN */
}

/* The documented ranges, which the pruning's proofs assume; the job's
 * numbers small enough that its integer arithmetic in doubles is exact. */
static int tame(const job *j)
{
    const at_model *m = j->m;
    const long big = 1L << 40;
    if (!(within(m->ref_size, 1, DBL_MAX) &&
          within(m->compute_s, 0, DBL_MAX) && within(m->exponent, 0, 4) &&
          within(m->parallel_fraction, 0, 1) &&
          within(m->contention, 0, 100) && within(m->oversub, 0, 100) &&
          within(m->thread_factor, 0.01, 100) &&
          within(m->unpinned_spread, 0, 1) && within(m->dispatch_s, 0, 10) &&
          within(m->message_s, 0, 10) && within(m->copy_s, 0, 10) &&
          within(m->start_s, 0, 10)))
        return 0;
    for (int mode = 0; j->costs && mode < N_MODES; mode++)
        if (!within(j->tc[mode]->latency_us, 0, DBL_MAX) ||
            !within(j->tc[mode]->gbytes_per_s, 0, DBL_MAX))
            return 0;
    return j->size >= 1 && j->size <= big &&
           (j->kind == AT_KIND_VECTOR || (j->items >= 1 && j->items <= big));
}

static void job_init(job *j, const at_model *m, const at_machine_costs *costs,
                     int cpus, at_workload_kind kind, long size, long items)
{
    *j = (job){
        .m = m, .costs = costs, .kind = kind, .size = size, .items = items};
    j->cpus = cpus < 1 ? 1 : cpus;
    j->P = j->cpus;
    if (costs) {
        j->tc[PIPE] = &costs->pipe;
        j->tc[SHM] = &costs->shm;
        j->tc[THREAD] = &costs->thread;
    }
    /* a batch task, and a single worker's task of either kind */
    j->tasks = kind == AT_KIND_VECTOR ? 1 : (double)items;
    double task_size = (double)size;
    j->bytes = 2 * 8 * task_size * task_size;
    j->one = m->compute_s * pow(task_size / m->ref_size, m->exponent);
    j->part_limit = size < AT_MAX_PARTITIONS ? size : AT_MAX_PARTITIONS;
    long top = kind == AT_KIND_VECTOR ? j->part_limit : items;
    j->top_workers = top < j->cpus ? (int)(top < 0 ? 0 : top) : j->cpus;
    for (int mode = 0; costs && mode < N_MODES; mode++) {
        double gb = j->tc[mode]->gbytes_per_s * 1e9;
        /* vectors: partitions x 16 size / partitions, whatever they are */
        j->bw_bound[mode] = kind == AT_KIND_VECTOR ? 16.0 * size / gb
                                                   : j->tasks * j->bytes / gb;
    }
    /* the same: the data piped does not depend on the partitions */
    j->ref_bytes = at__ref_bytes(m, kind);
    j->copy_bound =
        (kind == AT_KIND_VECTOR ? 16.0 * size : j->tasks * j->bytes) /
        j->ref_bytes * m->copy_s;
    double step = pow(2, 1 - m->exponent);
    j->mratio[MAX_MEXP] = 1;
    for (int k = 1; k <= MAX_MEXP; k++) {
        j->mratio[MAX_MEXP + k] = j->mratio[MAX_MEXP + k - 1] * step;
        j->mratio[MAX_MEXP - k] = j->mratio[MAX_MEXP - k + 1] / step;
    }
}

int at__model_argmin(const at_model *model, const at_machine_costs *costs,
                     int cpus, at_workload_kind kind, long size, long items,
                     at_config *best_config, double *best_seconds)
{
    job j;
    best b = {HUGE_VAL, {0}, 0};
    job_init(&j, model, costs, cpus, kind, size, items);
    if (tame(&j)) {
        serial(&j, &b);
        pools(&j, &b);
    } else {
        plain(&j, &b);
    }
    if (!b.found) { /* every time NaN or infinite: the first configuration */
        b.at = (pos){1, 1, AT_PIN_NONE, PIPE, 0, 1};
        at_config c = config_at(&j, &b.at);
        b.seconds =
            at_model_predict(model, costs, j.cpus, kind, size, items, &c);
    }
    *best_config = config_at(&j, &b.at);
    *best_seconds = b.seconds;
    return 1;
}
