/* campaign.c - one tuning campaign over every node of an MPI job.
 *
 * `mpirun ... autotune [tune options]` starts one autotune per rank; this
 * file makes them one campaign, in four steps:
 *
 * 1. Hosts. Ranks that share memory are one host (MPI_Comm_split_type;
 *    AUTOTUNE_HOST=NAME groups ranks by name instead, to emulate hosts on
 *    one machine). A host's lowest rank measures; the others wait idle,
 *    sleeping rather than in MPI's blocking calls, which poll a core and
 *    would disturb the measurement.
 * 2. Node types. The measuring ranks' fingerprints group hosts into types.
 *    k hosts of one type buy a better-founded answer, not a shorter
 *    campaign: each host searches on its own (a search split over hosts
 *    would mix their differences into one fit and into its comparisons,
 *    and identical nodes are rarely identical), then every host of the
 *    type measures the union of their answers head to head, in
 *    interleaved rounds at the same time, and the type's answer is the
 *    fastest over the pooled rounds of all of them: k times the rounds, on
 *    k machines, and a choice no single host's quirk made. The spread
 *    between the hosts' medians of that answer is reported.
 * 3. Results. Each host's run is saved to the spool directory as soon as
 *    it ends (SPOOL/FP-HOST.yaml), the type's pooled answer too
 *    (SPOOL/FP.yaml); rank 0 gathers one profile per type over MPI and
 *    merges them into the output under its lock. Every measuring rank
 *    sends rank 0 a heartbeat each second (from a thread, so a long
 *    measurement does not silence it), and rank 0 one to every rank: a
 *    rank silent for LOST_AFTER_S is lost, what waits on it stops waiting,
 *    and rank 0 names the node types that are missing; `autotune merge
 *    SPOOL/NAME.yaml -o FILE` (every file) recovers what their hosts finished. (Open MPI
 *    ends the whole job when a rank dies unless mpirun is given
 *    --enable-recovery; the spool is there for that case too.)
 * 4. Progress: rank 0 prints one line per node type as its hosts move on.
 */
#include "config.h"

#include "campaign.h"

#include "cli.h"

#include <stdlib.h>

int campaign_launched(void)
{
    static const char *const vars[] = {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK",
                                       "PMI_RANK", "PMI_SIZE"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        if (getenv(vars[i]))
            return 1;
    return 0;
}

#if !HAVE_MPI

int campaign_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return cli_usage_error("started by an MPI launcher, but this autotune "
                           "was built without MPI (configure --with-mpi); "
                           "run it without mpirun to tune this host alone");
}

#else

#include "measure.h"
#include "search.h"
#include "tune.h"
#include "util.h"

#include <errno.h>
#include <math.h>
#include <mpi.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum {
    TAG_BEAT = 4101, /* progress (measuring rank -> 0), life (0 -> all) */
    TAG_LOST,        /* 0 -> all: this rank is lost */
    TAG_BESTS,       /* host -> its type's lead: the host's answers */
    TAG_CANDS,       /* lead -> host: the candidates to pool */
    TAG_TIMES,       /* host -> lead: its rounds of them */
    TAG_RESULT,      /* type -> 0: the type's profile, as YAML */
    TAG_DONE         /* 0 -> all: the campaign is over */
};

#define BEAT_S 1.0
#define LOST_AFTER_S 10.0
#define POOLED_ROUNDS 3
#define MAX_CANDS 8
#define HOST_LEN 64

/* What every rank tells every other at the start. */
typedef struct rank_info {
    char host[HOST_LEN];
    char fingerprint[AT_FINGERPRINT_LEN + 1]; /* measuring ranks only */
    char cpu[64];
    int cpus, cores; /* usable CPUs; the machine's physical cores */
    int measures;
} rank_info;

enum { ST_WAIT, ST_SEARCH, ST_POOL, ST_DONE, ST_FAILED };
static const char *const state_names[] = {"waiting", "search", "pooled",
                                          "done", "failed"};

/* A measuring rank's progress, as its heartbeat carries it. */
typedef struct beat {
    char phase[24];
    int step, steps, measured, state;
} beat;

/* Per size: a host's answers, the candidates, their pooled rounds. */
typedef struct bests_msg {
    int ok[TUNE_MAX_SIZES];
    at_config best[TUNE_MAX_SIZES];
} bests_msg;
typedef struct cands_msg {
    int n[TUNE_MAX_SIZES];
    at_config c[TUNE_MAX_SIZES][MAX_CANDS];
} cands_msg;
typedef struct times_msg {
    double t[TUNE_MAX_SIZES][MAX_CANDS][POOLED_ROUNDS]; /* NAN: failed */
} times_msg;

typedef struct campaign {
    int rank, size;
    rank_info *ranks;
    int *type_of; /* per rank: its node type, -1 for an idle rank */
    int n_types;
    int *type_lead; /* per type: its lowest measuring rank */
    char output[4096];
    char spool[3900]; /* room for /FP-HOST.yaml in a 4096 path */
    /* shared with the heartbeat thread, under mu */
    pthread_mutex_t mu;
    beat mine;
    beat *beats;  /* rank 0: each rank's latest */
    double *seen; /* tuner_now() of each rank's latest beat */
    int *lost;
    char (*shown)[256]; /* rank 0: each type's last progress line */
    /* each destination's beat in flight: a new one is sent only once the
     * last has left, so a dead rank's full queue never blocks the sender */
    beat *out;
    MPI_Request *out_rq;
    int stop;
    pthread_t thread;
    double started;
} campaign;

/* ------------------------------------------------------------- waiting */

static void nap(double seconds)
{
    struct timespec ts = {(time_t)seconds, (long)(fmod(seconds, 1.0) * 1e9)};
    nanosleep(&ts, NULL);
}

static int is_lost(campaign *c, int r)
{
    pthread_mutex_lock(&c->mu);
    int lost = c->lost[r];
    pthread_mutex_unlock(&c->mu);
    return lost;
}

/* Waits for rq without spinning. 1 when it completed; 0 when `peer`
 * (or rank 0, which every rank depends on) was lost first. */
static int wait_idle(campaign *c, MPI_Request *rq, int peer)
{
    for (;;) {
        int done = 0;
        MPI_Test(rq, &done, MPI_STATUS_IGNORE);
        if (done)
            return 1;
        if ((peer >= 0 && is_lost(c, peer)) || is_lost(c, 0)) {
            MPI_Cancel(rq);
            MPI_Request_free(rq);
            return 0;
        }
        nap(0.02);
    }
}

static int send_idle(campaign *c, const void *buf, int n, int to, int tag)
{
    MPI_Request rq;
    MPI_Isend(buf, n, MPI_BYTE, to, tag, MPI_COMM_WORLD, &rq);
    return wait_idle(c, &rq, to);
}

static int recv_idle(campaign *c, void *buf, int n, int from, int tag)
{
    MPI_Request rq;
    MPI_Irecv(buf, n, MPI_BYTE, from, tag, MPI_COMM_WORLD, &rq);
    return wait_idle(c, &rq, from);
}

/* ---------------------------------------------------------- heartbeats */

/* Rank 0 tells every rank still there (a rank alive drains its queue,
 * so the send cannot block on it). */
static void mark_lost(campaign *c, int r)
{
    c->lost[r] = 1;
    for (int q = 1; q < c->size; q++)
        if (!c->lost[q])
            MPI_Send(&r, 1, MPI_INT, q, TAG_LOST, MPI_COMM_WORLD);
}

/* Takes in the beats and losses that arrived (under mu). */
static void drain(campaign *c)
{
    int flag;
    MPI_Status st;
    while (MPI_Iprobe(MPI_ANY_SOURCE, TAG_BEAT, MPI_COMM_WORLD, &flag, &st) ==
               MPI_SUCCESS &&
           flag) {
        beat b;
        MPI_Recv(&b, sizeof b, MPI_BYTE, st.MPI_SOURCE, TAG_BEAT,
                 MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        c->seen[st.MPI_SOURCE] = tuner_now();
        if (c->beats)
            c->beats[st.MPI_SOURCE] = b;
    }
    while (MPI_Iprobe(0, TAG_LOST, MPI_COMM_WORLD, &flag, &st) ==
               MPI_SUCCESS &&
           flag) {
        int r;
        MPI_Recv(&r, 1, MPI_INT, 0, TAG_LOST, MPI_COMM_WORLD,
                 MPI_STATUS_IGNORE);
        if (r >= 0 && r < c->size)
            c->lost[r] = 1;
    }
}

/* Rank 0: a measuring rank silent too long is lost (said once, to all);
 * others: rank 0 silent too long is. */
static void check_silence(campaign *c)
{
    double now = tuner_now();
    for (int r = 0; r < c->size; r++) {
        int watched = c->rank == 0 ? r != 0 && c->ranks[r].measures : r == 0;
        if (!watched || c->lost[r] || now - c->seen[r] < LOST_AFTER_S)
            continue;
        if (c->rank == 0)
            mark_lost(c, r);
        else
            c->lost[r] = 1;
    }
}

static void print_progress(campaign *c);

static void beat_to(campaign *c, int r)
{
    int done = 1;
    if (c->out_rq[r] != MPI_REQUEST_NULL)
        MPI_Test(&c->out_rq[r], &done, MPI_STATUS_IGNORE);
    if (!done)
        return;
    c->out[r] = c->mine;
    MPI_Isend(&c->out[r], sizeof c->out[r], MPI_BYTE, r, TAG_BEAT,
              MPI_COMM_WORLD, &c->out_rq[r]);
}

/* Measuring ranks beat to rank 0, rank 0 to every rank. */
static void send_beats(campaign *c)
{
    if (c->rank != 0) {
        if (c->ranks[c->rank].measures && !c->lost[0])
            beat_to(c, 0);
        return;
    }
    c->beats[0] = c->mine;
    for (int r = 1; r < c->size; r++)
        if (!c->lost[r])
            beat_to(c, r);
}

static void *heartbeat(void *arg)
{
    campaign *c = arg;
    double last = 0;
    for (;;) {
        pthread_mutex_lock(&c->mu);
        int stop = c->stop;
        if (!stop) {
            drain(c);
            if (tuner_now() - last >= BEAT_S) {
                send_beats(c);
                last = tuner_now();
            }
            check_silence(c);
            if (c->rank == 0)
                print_progress(c);
        }
        pthread_mutex_unlock(&c->mu);
        if (stop)
            return NULL;
        nap(0.1);
    }
}

/* The tuning run's progress hook: what the next heartbeat carries. */
static void on_progress(void *ctx, const char *label, int step, int steps,
                        int measured)
{
    campaign *c = ctx;
    pthread_mutex_lock(&c->mu);
    snprintf(c->mine.phase, sizeof c->mine.phase, "%.23s", label);
    c->mine.step = step;
    c->mine.steps = steps;
    c->mine.measured = measured;
    pthread_mutex_unlock(&c->mu);
}

static void set_state(campaign *c, int state, const char *label)
{
    pthread_mutex_lock(&c->mu);
    c->mine.state = state;
    snprintf(c->mine.phase, sizeof c->mine.phase, "%.23s", label);
    c->mine.step = c->mine.steps = 0;
    pthread_mutex_unlock(&c->mu);
}

/* ------------------------------------------------------------ progress */

static void host_progress(const campaign *c, int r, char *buf, size_t size)
{
    const beat *b = &c->beats[r];
    if (c->lost[r])
        snprintf(buf, size, "%s: LOST", c->ranks[r].host);
    else if (b->state == ST_SEARCH && b->steps)
        snprintf(buf, size, "%s: %s %d/%d", c->ranks[r].host, b->phase,
                 b->step, b->steps);
    else if (b->state == ST_SEARCH)
        snprintf(buf, size, "%s: %s", c->ranks[r].host, b->phase);
    else
        snprintf(buf, size, "%s: %s%s%s", c->ranks[r].host,
                 state_names[b->state], b->phase[0] ? " " : "", b->phase);
}

/* One line per node type, printed when it changes (under mu). */
static void print_progress(campaign *c)
{
    for (int t = 0; t < c->n_types; t++) {
        char line[256];
        int n = snprintf(line, sizeof line, "  type %.8s ",
                         c->ranks[c->type_lead[t]].fingerprint);
        for (int r = 0; r < c->size && n < (int)sizeof line; r++) {
            if (c->type_of[r] != t)
                continue;
            char one[96];
            host_progress(c, r, one, sizeof one);
            n += snprintf(line + n, sizeof line - n, " %s;", one);
        }
        if (strcmp(line, c->shown[t]) != 0) {
            fprintf(stderr, "%s\n", line);
            snprintf(c->shown[t], sizeof c->shown[t], "%s", line);
        }
    }
}

/* -------------------------------------------------------- hosts, types */

static void host_name(char *buf, size_t size)
{
    const char *emulated = getenv("AUTOTUNE_HOST");
    char name[MPI_MAX_PROCESSOR_NAME];
    int len = 0;
    if (emulated && emulated[0]) {
        snprintf(buf, size, "%s", emulated);
        return;
    }
    MPI_Get_processor_name(name, &len);
    snprintf(buf, size, "%.*s", len, name);
}

/* This rank's host: the ranks it shares memory with, or, with
 * AUTOTUNE_HOST, the ranks that give the same name. 1: it measures. */
static int join_host(campaign *c)
{
    MPI_Comm host;
    if (getenv("AUTOTUNE_HOST") && getenv("AUTOTUNE_HOST")[0]) {
        int color = c->rank;
        for (int r = 0; r < c->rank; r++)
            if (!strcmp(c->ranks[r].host, c->ranks[c->rank].host)) {
                color = r;
                break;
            }
        MPI_Comm_split(MPI_COMM_WORLD, color, c->rank, &host);
    } else
        MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, c->rank,
                            MPI_INFO_NULL, &host);
    int local;
    MPI_Comm_rank(host, &local);
    MPI_Comm_free(&host);
    return local == 0;
}

/* Types in order of their first measuring rank (the same on every rank,
 * since every rank computes it from the same table). */
static void group_types(campaign *c)
{
    c->n_types = 0;
    for (int r = 0; r < c->size; r++) {
        c->type_of[r] = -1;
        if (!c->ranks[r].measures)
            continue;
        for (int t = 0; t < c->n_types && c->type_of[r] < 0; t++)
            if (!strcmp(c->ranks[c->type_lead[t]].fingerprint,
                        c->ranks[r].fingerprint))
                c->type_of[r] = t;
        if (c->type_of[r] < 0) {
            c->type_lead[c->n_types] = r;
            c->type_of[r] = c->n_types++;
        }
    }
}

/* The table every rank needs: who is where, who measures, which type. */
static at_status meet(campaign *c, at_error *err)
{
    rank_info me = {0};
    host_name(me.host, sizeof me.host);
    MPI_Allgather(&me, sizeof me, MPI_BYTE, c->ranks, sizeof me, MPI_BYTE,
                  MPI_COMM_WORLD);
    me.measures = join_host(c);
    if (me.measures) {
        at_machine m;
        if (at_machine_detect(&m, err) != AT_OK)
            return err->code;
        snprintf(me.fingerprint, sizeof me.fingerprint, "%s", m.fingerprint);
        snprintf(me.cpu, sizeof me.cpu, "%.63s", m.cpu_model);
        me.cpus = m.usable_cpus;
        me.cores = m.cores;
    }
    MPI_Allgather(&me, sizeof me, MPI_BYTE, c->ranks, sizeof me, MPI_BYTE,
                  MPI_COMM_WORLD);
    group_types(c);
    return AT_OK;
}

/* A measuring rank that sees fewer CPUs than its machine has cores was
 * bound by the launcher (Open MPI binds a rank to a core by default): it
 * would tune for that, and record a node type of its own. */
static void warn_bound(const rank_info *r, int rank)
{
    if (r->measures && r->cores > 0 && r->cpus < r->cores)
        fprintf(stderr,
                "  note: rank %d sees %d of host %s's %d cores; if the "
                "launcher bound it, start mpirun with --bind-to none (srun "
                "--cpu-bind=none)\n",
                rank, r->cpus, r->host, r->cores);
}

static void print_plan(const campaign *c)
{
    int hosts = 0;
    for (int r = 0; r < c->size; r++)
        hosts += c->ranks[r].measures;
    fprintf(stderr,
            "campaign: %d rank%s on %d host%s, %d node type%s; one rank "
            "per host measures, the others wait idle\n",
            c->size, c->size == 1 ? "" : "s", hosts, hosts == 1 ? "" : "s",
            c->n_types, c->n_types == 1 ? "" : "s");
    for (int r = 0; r < c->size; r++) {
        const rank_info *x = &c->ranks[r];
        if (x->measures)
            fprintf(
                stderr, "  rank %d measures host %s (type %.8s, %d CPU%s)\n",
                r, x->host, x->fingerprint, x->cpus, x->cpus == 1 ? "" : "s");
        else
            fprintf(stderr, "  rank %d waits idle on host %s\n", r, x->host);
        warn_bound(x, r);
    }
    fprintf(stderr, "spool: %s\n", c->spool);
}

/* ------------------------------------------------------- the arguments */

/* The output (--output, else the user's profile) and --spool DIR (else
 * OUTPUT.spool), which is taken out of the arguments tune sees. */
static int campaign_args(campaign *c, int *argc, char **argv)
{
    const char *output = NULL, *spool = NULL;
    int n = 0;
    for (int i = 0; i < *argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--spool") && i + 1 < *argc) {
            spool = argv[++i];
            continue;
        }
        if (!strncmp(a, "--spool=", 8)) {
            spool = a + 8;
            continue;
        }
        if ((!strcmp(a, "--output") || !strcmp(a, "-o")) && i + 1 < *argc)
            output = argv[i + 1];
        else if (!strncmp(a, "--output=", 9))
            output = a + 9;
        argv[n++] = argv[i];
    }
    *argc = n;
    argv[n] = NULL;
    at_error err;
    if (output)
        snprintf(c->output, sizeof c->output, "%s", output);
    else if (at_profile_user_path(c->output, sizeof c->output, &err) != AT_OK)
        return cli_report(&err);
    if (snprintf(c->spool, sizeof c->spool, "%s%s", spool ? spool : c->output,
                 spool ? "" : ".spool") >= (int)sizeof c->spool)
        return cli_usage_error("--spool: the path is too long");
    return 0;
}

/* mkdir -p */
static int make_dirs(const char *path)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return mkdir(buf, 0777) == 0 || errno == EEXIST ? 0 : -1;
}

/* ------------------------------------------------------- a host's part */

/* SPOOL/FP.yaml (a type's) or SPOOL/FP-HOST.yaml (a host's). */
static void spool_path(const campaign *c, int r, int type_file,
                       char buf[4096])
{
    if (type_file)
        snprintf(buf, 4096, "%s/%s.yaml", c->spool, c->ranks[r].fingerprint);
    else
        snprintf(buf, 4096, "%s/%s-%s.yaml", c->spool,
                 c->ranks[r].fingerprint, c->ranks[r].host);
}

/* This host's own tuning run, into its spool file. */
static int search_host(campaign *c, int argc, char **argv, tune_outcome *o)
{
    char path[4096];
    spool_path(c, c->rank, 0, path);
    tune_hooks h = {
        .output = path, .no_report = 1, .progress = on_progress, .ctx = c};
    set_state(c, ST_SEARCH, "starting");
    memset(o, 0, sizeof *o);
    return tune_with(argc, argv, &h, o);
}

/* Every candidate once per round, interleaved, on this host. */
static void measure_rounds(campaign *c, const tune_outcome *o,
                           const cands_msg *cm, times_msg *tm)
{
    for (int round = 0; round < POOLED_ROUNDS; round++)
        for (int s = 0; s < o->n_sizes; s++)
            for (int k = 0; k < cm->n[s]; k++) {
                char label[24];
                snprintf(label, sizeof label, "%d/%d", round + 1,
                         POOLED_ROUNDS);
                set_state(c, ST_POOL, label);
                measure_opts opts = {.warmup = -1,
                                     .repeat = 1,
                                     .min_repeat = 1,
                                     .deadline = 0};
                measurement m;
                at_error err;
                at_status st = measure_cancelled()
                                   ? AT_ERR_CANCELLED
                                   : measure(o->w, o->sizes[s], o->items,
                                             &cm->c[s][k], &opts, &m, &err);
                tm->t[s][k][round] = st == AT_OK ? m.median : NAN;
            }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The finite values of v (n of them) sorted to the front; their count. */
static int finite_sorted(double *v, int n)
{
    int m = 0;
    for (int i = 0; i < n; i++)
        if (isfinite(v[i]))
            v[m++] = v[i];
    qsort(v, m, sizeof *v, cmp_double);
    return m;
}

/* The q-quantile of m sorted values (linear between neighbours). */
static double quantile(const double *v, int m, double q)
{
    double x = q * (m - 1);
    int i = (int)x;
    return i + 1 < m ? v[i] + (x - i) * (v[i + 1] - v[i]) : v[i];
}

/* The median of the finite values of v, NAN if none; *spread (may be
 * NULL) their interquartile range over it, the profile's spread. */
static double median_of(double *v, int n, double *spread)
{
    int m = finite_sorted(v, n);
    if (m == 0)
        return NAN;
    double med = quantile(v, m, 0.5);
    if (spread)
        *spread = (quantile(v, m, 0.75) - quantile(v, m, 0.25)) / med;
    return med;
}

/* ------------------------------------------------ the type's pooled part */

/* The pooled answer of one size: its candidate, the median and spread
 * of its rounds on every host, and the spread between the hosts' own
 * medians (lo to hi). */
typedef struct pooled {
    int best; /* candidate, -1: none */
    double seconds, spread, host_spread, lo, hi;
    int rounds, hosts;
} pooled;

static pooled pool_size(const times_msg *tm, int n_hosts, int n_cands, int s)
{
    pooled p = {.best = -1};
    for (int k = 0; k < n_cands; k++) {
        double all[64 * POOLED_ROUNDS];
        int n = 0;
        for (int h = 0; h < n_hosts && h < 64; h++)
            for (int r = 0; r < POOLED_ROUNDS; r++)
                all[n++] = tm[h].t[s][k][r];
        int rounds = 0;
        for (int i = 0; i < n; i++)
            rounds += isfinite(all[i]);
        double spread = NAN, med = median_of(all, n, &spread);
        if (isfinite(med) && (p.best < 0 || med < p.seconds)) {
            p.best = k;
            p.seconds = med;
            p.spread = spread;
            p.rounds = rounds;
        }
    }
    if (p.best < 0)
        return p;
    p.lo = HUGE_VAL;
    p.hi = 0;
    for (int h = 0; h < n_hosts && h < 64; h++) {
        double v[POOLED_ROUNDS];
        memcpy(v, tm[h].t[s][p.best], sizeof v);
        double med = median_of(v, POOLED_ROUNDS, NULL);
        if (!isfinite(med))
            continue;
        p.hosts++;
        p.lo = fmin(p.lo, med);
        p.hi = fmax(p.hi, med);
    }
    p.host_spread = (p.hi - p.lo) / p.seconds;
    return p;
}

/* The union of the hosts' answers, per size. */
static void union_cands(const bests_msg *b, int n_hosts, int n_sizes,
                        cands_msg *cm)
{
    memset(cm, 0, sizeof *cm);
    for (int s = 0; s < n_sizes; s++)
        for (int h = 0; h < n_hosts; h++) {
            if (!b[h].ok[s])
                continue;
            int dup = 0;
            for (int k = 0; k < cm->n[s]; k++)
                dup |=
                    !memcmp(&cm->c[s][k], &b[h].best[s], sizeof b[h].best[s]);
            if (!dup && cm->n[s] < MAX_CANDS)
                cm->c[s][cm->n[s]++] = b[h].best[s];
        }
}

/* The type's profile: this host's, with each size's entry now the pooled
 * answer; written to SPOOL/FP.yaml. */
static at_status write_type(campaign *c, const tune_outcome *o,
                            const cands_msg *cm, const pooled *p,
                            at_error *err)
{
    at_profile *prof;
    at_status s = at_profile_load(o->path, &prof, err);
    const char *fp = c->ranks[c->rank].fingerprint;
    const at_machine_profile *mp =
        s == AT_OK ? at_profile_find_machine(prof, fp) : NULL;
    const at_workload_profile *wp =
        mp ? at_machine_profile_workload(mp, o->w->name) : NULL;
    for (int i = 0; s == AT_OK && wp && i < o->n_sizes; i++) {
        const at_entry *old = NULL;
        long scaled = 0; /* its baselines' items, kept with them */
        for (size_t e = 0; e < at_workload_profile_entry_count(wp); e++) {
            const at_entry *x = at_workload_profile_entry_at(wp, e);
            if (x->size == o->sizes[i] && x->items == o->items) {
                old = x;
                scaled = at_workload_profile_entry_baseline_items(wp, e);
            }
        }
        if (!old || p[i].best < 0)
            continue;
        at_entry e = *old;
        e.best = cm->c[i][p[i].best];
        e.seconds = p[i].seconds;
        e.spread = p[i].spread;
        tuner_utc_now(e.measured, sizeof e.measured);
        s = at_profile_set_entry_scaled(prof, fp, o->w->name, &e, scaled,
                                        err);
    }
    char path[4096];
    spool_path(c, c->rank, 1, path);
    if (s == AT_OK)
        s = at_profile_save(prof, path, err);
    at_profile_free(prof);
    return s;
}

/* ------------------------------------------------------------ pooling */

/* What a type sends rank 0 before its profile: the pooled answers. */
typedef struct result_hdr {
    int type, n_sizes, hosts;
    long sizes[TUNE_MAX_SIZES];
    at_config best[TUNE_MAX_SIZES];
    pooled p[TUNE_MAX_SIZES];
} result_hdr;

/* The ranks of this rank's type, lead first; their count. */
static int type_hosts(const campaign *c, int *hosts)
{
    int n = 0;
    for (int r = 0; r < c->size; r++)
        if (c->type_of[r] == c->type_of[c->rank])
            hosts[n++] = r;
    return n;
}

/* A host that is not its type's lead: its answers go to the lead, the
 * candidates come back, its rounds go to the lead. 0, or -1 when the
 * lead was lost (this host then sends its own result to rank 0). */
static int pool_member(campaign *c, const tune_outcome *o, int lead)
{
    bests_msg b = {0};
    for (int i = 0; i < o->n_sizes; i++) {
        b.ok[i] = o->ok[i];
        b.best[i] = o->best[i];
    }
    cands_msg cm;
    times_msg tm;
    set_state(c, ST_POOL, "waiting");
    if (!send_idle(c, &b, sizeof b, lead, TAG_BESTS) ||
        !recv_idle(c, &cm, sizeof cm, lead, TAG_CANDS))
        return -1;
    measure_rounds(c, o, &cm, &tm);
    return send_idle(c, &tm, sizeof tm, lead, TAG_TIMES) ? 0 : -1;
}

/* The type's lead: gathers the hosts' answers (a lost host is left out),
 * has every host measure their union, pools the rounds. */
static void pool_lead(campaign *c, const tune_outcome *o, cands_msg *cm,
                      result_hdr *h)
{
    int hosts[64], n = type_hosts(c, hosts);
    bests_msg b[64] = {0};
    times_msg tm[64];
    int alive[64];
    for (int i = 0; i < o->n_sizes; i++) {
        b[0].ok[i] = o->ok[i];
        b[0].best[i] = o->best[i];
    }
    alive[0] = 1;
    for (int i = 1; i < n; i++)
        alive[i] = recv_idle(c, &b[i], sizeof b[i], hosts[i], TAG_BESTS);
    union_cands(b, n, o->n_sizes, cm);
    for (int i = 1; i < n; i++)
        if (alive[i])
            alive[i] = send_idle(c, cm, sizeof *cm, hosts[i], TAG_CANDS);
    measure_rounds(c, o, cm, &tm[0]);
    int k = 0;
    for (int i = 0; i < n; i++) {
        if (i > 0 && !(alive[i] && recv_idle(c, &tm[i], sizeof tm[i],
                                             hosts[i], TAG_TIMES)))
            continue;
        tm[k++] = tm[i];
    }
    h->hosts = k;
    for (int s = 0; s < o->n_sizes; s++) {
        h->p[s] = pool_size(tm, k, cm->n[s], s);
        if (h->p[s].best >= 0)
            h->best[s] = cm->c[s][h->p[s].best];
    }
}

/* No pooling (one host, or the lead lost): this host's answers as
 * measured by its own search. */
static void own_result(const tune_outcome *o, result_hdr *h)
{
    h->hosts = 1;
    for (int s = 0; s < o->n_sizes; s++) {
        h->p[s] = (pooled){.best = o->ok[s] ? 0 : -1,
                           .seconds = o->seconds[s],
                           .spread = NAN,
                           .host_spread = 0,
                           .lo = o->seconds[s],
                           .hi = o->seconds[s],
                           .rounds = 0,
                           .hosts = 1};
        h->best[s] = o->best[s];
    }
}

static char *read_file(const char *path, long *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    if (f && fseek(f, 0, SEEK_END) == 0 && (*len = ftell(f)) >= 0 &&
        fseek(f, 0, SEEK_SET) == 0 && (buf = malloc(*len + 1)) &&
        fread(buf, 1, *len, f) != (size_t)*len) {
        free(buf);
        buf = NULL;
    }
    if (f)
        fclose(f);
    return buf;
}

/* ------------------------------------------------------------ results */

/* One type's result as rank 0 holds it. */
typedef struct type_result {
    int have;
    result_hdr h;
    char *yaml;
    long len;
} type_result;

/* The type's result to rank 0: the header, then the profile file. */
static void send_result(campaign *c, const result_hdr *h, const char *path)
{
    long len = 0;
    char *yaml = read_file(path, &len);
    size_t n = sizeof *h + (yaml ? len : 0);
    char *msg = malloc(n);
    if (!msg) {
        free(yaml);
        return;
    }
    memcpy(msg, h, sizeof *h);
    if (yaml)
        memcpy(msg + sizeof *h, yaml, len);
    send_idle(c, msg, (int)n, 0, TAG_RESULT);
    free(msg);
    free(yaml);
}

/* A measuring rank's part: its search, its type's pooling, its type's
 * result (rank 0 keeps its own in *mine, the others send it). */
static int host_part(campaign *c, int argc, char **argv, tune_outcome *o,
                     type_result *mine)
{
    int rc = search_host(c, argc, argv, o);
    int hosts[64], n = type_hosts(c, hosts), t = c->type_of[c->rank];
    int lead = c->type_lead[t] == c->rank;
    result_hdr h = {.type = t, .n_sizes = o->n_sizes};
    memcpy(h.sizes, o->sizes, sizeof h.sizes);
    cands_msg cm;
    char path[4096];
    snprintf(path, sizeof path, "%s", o->path);
    if (n > 1 && lead) {
        pool_lead(c, o, &cm, &h);
        at_error err;
        spool_path(c, c->rank, 1, path);
        if (o->n_sizes && write_type(c, o, &cm, h.p, &err) != AT_OK)
            cli_report(&err);
    } else if (n == 1 || pool_member(c, o, c->type_lead[t]) != 0)
        own_result(o, &h); /* alone, or its lead was lost */
    else {
        set_state(c, ST_DONE, "");
        return rc;
    }
    if (c->rank == 0) {
        mine->have = 1;
        mine->h = h;
        mine->yaml = read_file(path, &mine->len);
    } else
        send_result(c, &h, path);
    set_state(c, rc == 0 ? ST_DONE : ST_FAILED, "");
    return rc;
}

/* Rank 0: one message of a type's result. */
static void take_result(campaign *c, type_result *res, const MPI_Status *st)
{
    int n;
    MPI_Get_count(st, MPI_BYTE, &n);
    char *msg = malloc(n > 0 ? n : 1);
    MPI_Recv(msg, n, MPI_BYTE, st->MPI_SOURCE, TAG_RESULT, MPI_COMM_WORLD,
             MPI_STATUS_IGNORE);
    int t = c->type_of[st->MPI_SOURCE];
    if (!msg || n < (int)sizeof(result_hdr) || t < 0 || res[t].have) {
        free(msg); /* a second result of a type: the first is kept */
        return;
    }
    res[t].have = 1;
    memcpy(&res[t].h, msg, sizeof res[t].h);
    res[t].len = n - (long)sizeof(result_hdr);
    res[t].yaml = malloc(res[t].len + 1);
    if (res[t].yaml)
        memcpy(res[t].yaml, msg + sizeof(result_hdr), res[t].len);
    free(msg);
}

/* Every type has its result, or every rank of it is lost. */
static int settled(campaign *c, const type_result *res)
{
    for (int t = 0; t < c->n_types; t++) {
        if (res[t].have)
            continue;
        for (int r = 0; r < c->size; r++)
            if (c->type_of[r] == t && !is_lost(c, r))
                return 0;
    }
    return 1;
}

static void gather(campaign *c, type_result *res)
{
    for (;;) {
        int flag = 0;
        MPI_Status st;
        MPI_Iprobe(MPI_ANY_SOURCE, TAG_RESULT, MPI_COMM_WORLD, &flag, &st);
        if (flag)
            take_result(c, res, &st);
        else if (settled(c, res))
            return;
        else
            nap(0.05);
    }
}

/* Rank 0: the types' profiles, merged into the output under its lock. */
static at_status write_output(campaign *c, type_result *res, at_error *err)
{
    at_profile *all;
    at_status s = at_profile_new(&all, err);
    for (int t = 0; s == AT_OK && t < c->n_types; t++) {
        if (!res[t].have || !res[t].yaml)
            continue;
        char name[64];
        snprintf(name, sizeof name, "<type %.8s from MPI>",
                 c->ranks[c->type_lead[t]].fingerprint);
        at_profile *p;
        s = at_profile_load_string(res[t].yaml, res[t].len, name, &p, err);
        if (s == AT_OK)
            s = at_profile_merge(all, p, err);
        at_profile_free(p);
    }
    if (s == AT_OK)
        s = at_profile_merge_into_file(all, c->output, err);
    at_profile_free(all);
    return s;
}

static void print_type(const campaign *c, const tune_outcome *o, int t,
                       const type_result *r)
{
    int lead = c->type_lead[t];
    printf("  type %.8s (%s, %d CPU%s):", c->ranks[lead].fingerprint,
           c->ranks[lead].cpu, c->ranks[lead].cpus,
           c->ranks[lead].cpus == 1 ? "" : "s");
    for (int q = 0; q < c->size; q++)
        if (c->type_of[q] == t)
            printf(" %s%s", c->ranks[q].host, c->lost[q] ? " (LOST)" : "");
    printf("\n");
    for (int s = 0; r->have && s < r->h.n_sizes; s++) {
        const pooled *p = &r->h.p[s];
        char what[160] = "nothing measured";
        if (p->best >= 0 && o->w)
            describe_config(&r->h.best[s], o->w->kind, what, sizeof what);
        printf("    size %ld: %s", r->h.sizes[s], what);
        if (p->best >= 0 && p->rounds)
            printf(", %.4g s over %d pooled rounds on %d host%s; "
                   "host-to-host spread %.1f%% (%.4g to %.4g s)",
                   p->seconds, p->rounds, p->hosts, p->hosts == 1 ? "" : "s",
                   100 * p->host_spread, p->lo, p->hi);
        else if (p->best >= 0)
            printf(", %.4g s (its host's own finals)", p->seconds);
        printf("\n");
    }
}

/* Rank 0's report; 0, or 1 when a type is missing or nothing saved. */
static int report(campaign *c, const tune_outcome *o, type_result *res)
{
    at_error err;
    int rc = 0;
    printf("\ncampaign: workload %s, %d node type%s\n",
           o->w ? o->w->name : "?", c->n_types, c->n_types == 1 ? "" : "s");
    for (int t = 0; t < c->n_types; t++) {
        print_type(c, o, t, &res[t]);
        if (!res[t].have) {
            printf("    MISSING: every rank of this node type was lost; "
                   "what its hosts finished is in %s: autotune merge "
                   "%s/*.yaml -o %s\n",
                   c->spool, c->spool, c->output);
            rc = 1;
        }
    }
    if (write_output(c, res, &err) != AT_OK) {
        cli_report(&err);
        fprintf(stderr, "autotune: the hosts' results are kept in %s\n",
                c->spool);
        return 1;
    }
    printf("profile: %s (%.0f s)\n", c->output, tuner_now() - c->started);
    return rc;
}

/* ----------------------------------------------------------------- main */

static at_status campaign_init(campaign *c)
{
    MPI_Comm_rank(MPI_COMM_WORLD, &c->rank);
    MPI_Comm_size(MPI_COMM_WORLD, &c->size);
    c->started = tuner_now();
    pthread_mutex_init(&c->mu, NULL);
    c->ranks = calloc(c->size, sizeof *c->ranks);
    c->type_of = calloc(c->size, sizeof *c->type_of);
    c->type_lead = calloc(c->size, sizeof *c->type_lead);
    c->beats = calloc(c->size, sizeof *c->beats);
    c->seen = calloc(c->size, sizeof *c->seen);
    c->lost = calloc(c->size, sizeof *c->lost);
    c->shown = calloc(c->size, sizeof *c->shown);
    c->out = calloc(c->size, sizeof *c->out);
    c->out_rq = calloc(c->size, sizeof *c->out_rq);
    if (!c->ranks || !c->type_of || !c->type_lead || !c->beats || !c->seen ||
        !c->lost || !c->shown || !c->out || !c->out_rq)
        return AT_ERR_NOMEM;
    for (int r = 0; r < c->size; r++)
        c->out_rq[r] = MPI_REQUEST_NULL;
    return AT_OK;
}

static void campaign_free(campaign *c)
{
    free(c->ranks);
    free(c->type_of);
    free(c->type_lead);
    free(c->beats);
    free(c->seen);
    free(c->lost);
    free(c->shown);
    free(c->out);
    free(c->out_rq);
}

static void start_beats(campaign *c)
{
    for (int r = 0; r < c->size; r++)
        c->seen[r] = tuner_now();
    pthread_create(&c->thread, NULL, heartbeat, c);
}

static void stop_beats(campaign *c)
{
    pthread_mutex_lock(&c->mu);
    c->stop = 1;
    pthread_mutex_unlock(&c->mu);
    pthread_join(c->thread, NULL);
}

/* Rank 0 ends the campaign for every rank still there. */
static void say_done(campaign *c)
{
    int done = 1;
    for (int r = 1; r < c->size; r++)
        if (!is_lost(c, r))
            send_idle(c, &done, sizeof done, r, TAG_DONE);
}

/* Everything after the meeting: each rank's part, then the end. */
static int campaign_run(campaign *c, int argc, char **argv)
{
    tune_outcome o = {0};
    type_result *res = calloc(c->n_types, sizeof *res);
    int rc = 0, done;
    if (!res)
        return cli_report(
            &(at_error){.code = AT_ERR_NOMEM, .message = "out of memory"});
    start_beats(c);
    if (c->ranks[c->rank].measures)
        rc = host_part(c, argc, argv, &o, &res[c->type_of[c->rank]]);
    if (c->rank == 0) {
        gather(c, res);
        rc = report(c, &o, res) ? 1 : rc;
        say_done(c);
    } else if (!recv_idle(c, &done, sizeof done, 0, TAG_DONE)) {
        fprintf(stderr,
                "autotune: rank %d: rank 0 was lost; this host's "
                "result is in %s\n",
                c->rank, c->spool);
        rc = 1;
    }
    stop_beats(c);
    for (int t = 0; t < c->n_types; t++)
        free(res[t].yaml);
    free(res);
    return rc;
}

int campaign_main(int argc, char **argv)
{
    int provided = 0, rc = 0;
    campaign c = {0};
    MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &provided);
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    at_error err = {0};
    if (campaign_init(&c) != AT_OK)
        rc = tuner_out_of_memory(&err) ? cli_report(&err) : 1;
    else if (provided < MPI_THREAD_MULTIPLE)
        rc = cli_usage_error("the MPI library gives no MPI_THREAD_MULTIPLE, "
                             "which the campaign's heartbeats need");
    else if ((rc = campaign_args(&c, &argc, argv)) == 0 &&
             meet(&c, &err) != AT_OK)
        rc = cli_report(&err);
    if (rc == 0 && c.ranks[c.rank].measures && make_dirs(c.spool) != 0)
        rc = cli_usage_error("--spool: cannot create %s: %s", c.spool,
                             strerror(errno));
    MPI_Allreduce(MPI_IN_PLACE, &rc, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    if (rc == 0) {
        if (c.rank == 0)
            print_plan(&c);
        rc = campaign_run(&c, argc, argv);
    }
    campaign_free(&c);
    MPI_Finalize();
    return rc;
}

#endif
