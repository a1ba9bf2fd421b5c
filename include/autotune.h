/*
 * autotune.h - the one public header of libautotune.
 *
 * libautotune reads a tuning profile (YAML, written by the `autotune`
 * program), recognises the machine it runs on, and turns a job description
 * (workload, size, items) into a parallel configuration: workers, BLAS
 * threads, chunk size, partitions, transport and pinning. It can apply that
 * configuration to the calling process.
 *
 * THE ERROR RULE (for every function below, stated once):
 *   A function that can fail returns an at_status; AT_OK (0) is success.
 *   Its last parameter is `at_error *err`, which may be NULL. On failure the
 *   function fills *err (when not NULL) and leaves every other output
 *   parameter untouched, so a failed load or merge never destroys what the
 *   caller had. Functions returning pointers or counts cannot fail.
 *
 * OWNERSHIP: an object returned through `T **out` belongs to the caller and
 * is released with the matching at_T_free(); every at_*_free() accepts NULL.
 * Pointers obtained from a profile (machines, workloads, entries) stay valid
 * until that profile is modified or freed.
 *
 * QUIET: the library never prints, unless the environment variable
 * AUTOTUNE_VERBOSE is set to a non-empty value other than "0", in which
 * case it explains its decisions (profile search, machine match, query
 * source) on standard error.
 *
 * THREADS: distinct objects may be used from distinct threads; one object
 * must not be modified concurrently. Machine detection and BLAS control act
 * on the process.
 */
#ifndef AUTOTUNE_H
#define AUTOTUNE_H

#include <stddef.h>

#include "autotune_version.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- errors */

typedef enum at_status {
    AT_OK = 0,
    AT_ERR_NOMEM,     /* out of memory */
    AT_ERR_ARG,       /* a bad argument from the caller */
    AT_ERR_IO,        /* a file could not be read, written, renamed, locked */
    AT_ERR_SYNTAX,    /* the file is not well-formed YAML */
    AT_ERR_PROFILE,   /* well-formed YAML, but not a valid profile */
    AT_ERR_NOPROFILE, /* no profile file found on the search path */
    AT_ERR_NOMATCH,   /* the profile has no machine with this fingerprint */
    AT_ERR_NOBLAS,    /* no controllable BLAS is loaded in this process */
    AT_ERR_SYSTEM,    /* the operating system refused (affinity, topology) */
    AT_ERR_WORKER,    /* a worker died or a task reported failure */
    AT_ERR_TIMEOUT,   /* a task ran past its deadline (its worker replaced) */
    AT_ERR_CANCELLED  /* at_pool_cancel() was called during the job */
} at_status;

typedef struct at_error {
    at_status code;
    char message[256]; /* the problem, one line, no file prefix */
    char file[512];    /* the file concerned, or "" */
    int line;          /* 1-based position in `file`, or 0 */
    int column;        /* 1-based, or 0 */
    char key[64];      /* the offending profile key, or "" */
} at_error;

/* A short fixed description of a status code ("out of memory", ...). */
const char *at_strerror(at_status code);

/* Formats `err` as "FILE:LINE:COL: message" (or less, when the position is
 * unknown) into buf, always NUL-terminated. Returns buf. */
char *at_error_format(const at_error *err, char *buf, size_t size);

/* The version of the library running (AT_VERSION's encoding), which may
 * be newer than the headers a program was built with (AT_VERSION). */
unsigned at_version(void);

/* Whether AUTOTUNE_VERBOSE asks for explanations (see QUIET above), for a
 * program that wants to be as talkative as the library. */
int at_verbose_enabled(void);

/* --------------------------------------------------------------- machine */

#define AT_NAME_MAX 128
#define AT_FINGERPRINT_LEN 16 /* hexadecimal digits */

/* The identity of a machine as far as tuning is concerned, plus the host
 * name, which is informational only and never part of the fingerprint.
 * Two hashes key it: `fingerprint` covers the hardware and the BLAS of the
 * process, `hardware` the hardware alone, so a process that loaded
 * another BLAS (or none) still finds its hardware's machine in a profile
 * (see at_profile_query). */
typedef struct at_machine {
    char fingerprint[AT_FINGERPRINT_LEN + 1];
    char host[AT_NAME_MAX];
    /* CPU */
    char cpu_model[AT_NAME_MAX];
    char arch[32];
    int usable_cpus; /* affinity mask intersected with the cgroup CPU quota */
    int cores;       /* physical cores in the machine */
    int sockets;
    int numa_nodes;
    long l1d_kb, l2_kb, l3_kb; /* per-instance cache sizes; 0 if unknown */
    /* BLAS loaded in the process ("none" when there is none) */
    char blas_vendor[32];
    char blas_version[32];
    char blas_corename[32];
    char blas_threading
        [16];             /* "pthreads", "openmp", "sequential", "unknown" */
    int blas_max_threads; /* not part of the fingerprint */
    char hardware[AT_FINGERPRINT_LEN + 1]; /* hash of the CPU fields only */
} at_machine;

/* Detects this machine (hwloc topology, affinity, cgroup quota, loaded BLAS)
 * and computes its fingerprint. */
at_status at_machine_detect(at_machine *m, at_error *err);

/* Recomputes m->fingerprint from the identity fields (everything but host
 * and blas_max_threads) and m->hardware from the CPU fields. Stable across
 * runs and library versions of the same profile format. */
void at_machine_fingerprint(at_machine *m);

/* Usable CPUs of the calling process: the CPUs in its affinity mask, capped
 * by the cgroup (v1 or v2) CPU quota, at least 1. */
int at_usable_cpus(void);

/* ------------------------------------------------------------------ BLAS */

/* The library links no BLAS: it finds the ones the process has loaded, as
 * threadpoolctl does. It walks the loaded shared objects in load order,
 * takes those whose file name and exported thread control are OpenBLAS's
 * (also as libblas.so.3, and pip's renamed scipy_openblas ..64_ builds),
 * BLIS's, MKL's or FlexiBLAS's, then adds what the global scope resolves
 * (a BLAS linked statically into the program). A BLAS loaded without
 * RTLD_GLOBAL (as CPython loads numpy's) is found. Each call looks again,
 * so a BLAS loaded after libautotune counts. */

/* One BLAS loaded in the process. */
typedef struct at_blas_info {
    char vendor[32];    /* "openblas", "blis", "mkl", "flexiblas" */
    char version[32];   /* "0.3.21", or "unknown" */
    char corename[32];  /* the kernel it runs ("Haswell"; FlexiBLAS: the
                           backend), or "unknown" */
    char threading[16]; /* "pthreads", "openmp", "tbb", "sequential",
                           "unknown" */
    int threads;        /* its thread count now */
    int max_threads;    /* its compiled-in cap, at least `threads` */
    char path[512];     /* the shared object it lives in */
} at_blas_info;

/* Every BLAS loaded now, in load order: writes at most `max` to `out`
 * (which may be NULL) and returns how many there are. The first is the
 * process's BLAS identity in its fingerprint (at_machine's blas_*). */
size_t at_blas_list(at_blas_info *out, size_t max);

/* The thread count of the first BLAS; AT_ERR_NOBLAS when there is none. */
at_status at_blas_get_threads(int *threads, at_error *err);
/* Sets the thread count of every BLAS loaded; AT_ERR_NOBLAS when there is
 * none (a program without BLAS has no threads to set). */
at_status at_blas_set_threads(int threads, at_error *err);

/* ------------------------------------------------------------ the knobs */

typedef enum at_mode { AT_MODE_PROCESS, AT_MODE_THREAD } at_mode;
typedef enum at_transport {
    AT_TRANSPORT_PIPE,
    AT_TRANSPORT_SHM
} at_transport;
typedef enum at_pin { AT_PIN_NONE, AT_PIN_CORES } at_pin;

/* One parallel configuration of a job. */
typedef struct at_config {
    int workers; /* 1 = run in the calling process */
    at_mode mode;
    int blas_threads; /* BLAS threads inside each worker */
    int chunk_size;   /* items (or vector partitions) per task message */
    int partitions; /* pieces a single vector is split into; 1 for batches */
    at_transport transport;
    at_pin pin;
} at_config;

/* A configuration's initialiser, its knobs in the order above, each by
 * member name: a table of configurations stays a line a row, and a member
 * added to the struct breaks none. In an expression:
 * (at_config)AT_CONFIG_INIT(1, AT_MODE_PROCESS, 4, 1, 1, ...). */
#define AT_CONFIG_INIT(workers_, mode_, blas_threads_, chunk_size_,          \
                       partitions_, transport_, pin_)                        \
    {                                                                        \
        .workers = (workers_), .mode = (mode_),                              \
        .blas_threads = (blas_threads_), .chunk_size = (chunk_size_),        \
        .partitions = (partitions_), .transport = (transport_),              \
        .pin = (pin_)                                                        \
    }

/* Limits a valid configuration respects (the profile checks them too). */
#define AT_MAX_WORKERS 4096
#define AT_MAX_THREADS 4096
#define AT_MAX_CHUNK 1048576
#define AT_MAX_PARTITIONS 1048576

const char *at_mode_name(at_mode mode);
const char *at_transport_name(at_transport transport);
const char *at_pin_name(at_pin pin);
/* Parse the names above; AT_ERR_ARG for anything else. */
at_status at_mode_parse(const char *name, at_mode *mode, at_error *err);
at_status at_transport_parse(const char *name, at_transport *t,
                             at_error *err);
at_status at_pin_parse(const char *name, at_pin *pin, at_error *err);

/* Checks every field against the limits above. */
at_status at_config_check(const at_config *config, at_error *err);

/* A configuration applies in two places: the caller of the job and each
 * of its workers. Worker i of a pinned configuration (AT_PIN_CORES) is
 * bound to its own blas_threads CPUs, taken in order from the calling
 * process's affinity mask: worker 0 the first ones, worker 1 the next, so
 * the sets are disjoint whenever workers x blas_threads fit the mask. */

/* The CPUs worker `index` (0 .. workers - 1) of `config` is bound to,
 * taken from the `n_allowed` CPU numbers in `allowed` (NULL: the calling
 * thread's affinity mask): writes at most `max` CPU numbers, ascending, to
 * `cpus` and sets *count to how many there are; 0 when config->pin is
 * AT_PIN_NONE (the worker keeps the mask it inherits). For programs that
 * start their own workers (`autotune env` prints them as
 * AUTOTUNE_CPUSETS). */
at_status at_worker_cpus(const at_config *config, int index,
                         const int *allowed, int n_allowed, int *cpus,
                         int max, int *count, at_error *err);

/* Makes the calling process (or thread: the binding is per thread) worker
 * `index` of `config`: binds it to its CPUs (at_worker_cpus of the calling
 * thread's mask, which a worker inherits from its parent) when pinned and
 * sets its BLAS threads. Call it in the worker, after its BLAS is loaded.
 * AT_ERR_NOBLAS (after the binding) when no BLAS is loaded. */
at_status at_worker_apply(const at_config *config, int index, at_error *err);

/* Prepares the calling process to run a job in `config`. With one worker
 * the caller is the worker: at_worker_apply(config, 0). With more, the
 * caller only hands out the work: its CPU mask is never changed, so the
 * workers it forks can each take their own CPUs (with at_worker_apply),
 * and its BLAS threads are set to config->blas_threads, which forked
 * workers inherit. AT_ERR_NOBLAS when no BLAS is loaded. */
at_status at_config_apply(const at_config *config, at_error *err);

/* ------------------------------------------------------ the environment */

/* A configuration travels to another program in environment variables
 * (`autotune env` prints them, `autotune --command` sets them for the
 * program it tunes, python/autotune reads them): OPENBLAS_NUM_THREADS,
 * OMP_NUM_THREADS, MKL_NUM_THREADS and BLIS_NUM_THREADS (each BLAS reads
 * its own; all get blas_threads), AUTOTUNE_WORKLOAD, AUTOTUNE_WORKERS,
 * _MODE, _BLAS_THREADS, _CHUNK_SIZE, _PARTITIONS, _TRANSPORT, _PIN,
 * AUTOTUNE_CPUSETS (each worker's CPUs, at_worker_cpus of `allowed`:
 * "0,1;2,3", workers split by ';', CPUs by ','; empty when unpinned) and
 * AUTOTUNE_SOURCE ("tuning" inside a tuning run). */
typedef void (*at_env_put)(const char *name, const char *value, void *ctx);

/* Calls `put` for each variable above, in that order. */
at_status at_config_env(const char *workload, const char *source,
                        const at_config *config, const int *allowed,
                        int n_allowed, at_env_put put, void *ctx,
                        at_error *err);

/* Inside a tuning run of `workload` (AUTOTUNE_SOURCE=tuning and
 * AUTOTUNE_WORKLOAD=workload), the configuration being tried, read from
 * the variables above; AT_ERR_NOMATCH outside one, AT_ERR_ARG naming the
 * variable that is missing or malformed. */
at_status at_config_from_env(const char *workload, at_config *config,
                             at_error *err);

/* ------------------------------------------------------------- workloads */

/* A workload is a name and a kind. The library knows no names: the
 * autotune program has its built-in inv, svd, gemm (batch) and exp
 * (vector), and a user's own program is tuned under a name of the user's
 * choosing; a profile stores each workload's kind. */
typedef enum at_workload_kind {
    AT_KIND_BATCH, /* `items` independent tasks of `size` (matrices) */
    AT_KIND_VECTOR /* one vector of `size` elements, split into partitions */
} at_workload_kind;

/* A workload name: a lower-case letter, then at most 47 of a-z, 0-9, '_',
 * '.' and '-'. */
#define AT_WORKLOAD_NAME_MAX 48
at_status at_workload_name_check(const char *name, at_error *err);
/* "batch" and "vector", and back. */
const char *at_kind_name(at_workload_kind kind);
at_status at_kind_parse(const char *name, at_workload_kind *kind,
                        at_error *err);

/* --------------------------------------------------------------- profile */

typedef struct at_profile at_profile; /* opaque */

/* Transport costs of a machine, measured by the tuner; 0 when unmeasured. */
typedef struct at_transport_cost {
    double latency_us;   /* one task message, there and back */
    double gbytes_per_s; /* payload bandwidth; 0 = not measured / no copy */
} at_transport_cost;

typedef struct at_machine_costs {
    at_transport_cost pipe, shm, thread;
    double process_start_us; /* to start one worker process */
    double thread_start_us;  /* to start one worker thread */
} at_machine_costs;

/* Seconds of the reference configurations, measured in the same run as the
 * best one; a negative value means "not measured". */
typedef struct at_baselines {
    double serial_default; /* 1 worker, default BLAS threads */
    double serial_1;       /* 1 worker, 1 BLAS thread */
    double naive_pool;     /* all CPUs as workers, default BLAS threads */
    double joblib_rule;    /* CPUs workers, CPUs/workers BLAS threads */
} at_baselines;

/* One tuned answer: the best configuration measured for (size, items). */
typedef struct at_entry {
    long size;
    long items;
    double seconds; /* median wall time of `best` */
    double spread;  /* relative spread of that median (e.g. IQR/median) */
    char measured
        [32]; /* UTC, "YYYY-MM-DDTHH:MM:SSZ"; the newest wins merges */
    at_config best;
    at_baselines baselines;
} at_entry;

/* One raw measurement the model was fitted on. */
typedef struct at_sample {
    long size;
    long items;
    at_config config;
    double seconds;
    double spread;
} at_sample;

/* The fitted cost model of one workload, form "comm-compute-1" (see
 * data/profile-format.md for the formula, which at_model_predict evaluates
 * with plain arithmetic). Opaque: its parameters are read and set by name,
 * so a model that gains a parameter keeps the ABI. */
#define AT_MODEL_FORM "comm-compute-1"
typedef struct at_model at_model; /* opaque */

/* A model with every parameter at the bottom of its range (a fit sets
 * them), error 0, fitted "1970-01-01T00:00:00Z". */
at_status at_model_new(at_model **out, at_error *err);
void at_model_free(at_model *model);
/* Copies every parameter, the error and the time of `from` into `to`. */
void at_model_copy(at_model *to, const at_model *from);

/* The parameters of the formula, in the profile's order: "ref_size",
 * "compute_s", "exponent", ... (NULL past the last). */
size_t at_model_param_count(void);
const char *at_model_param_name(size_t index);
/* The range the profile accepts for a number of the model. */
at_status at_model_range(const char *name, double *min, double *max,
                         at_error *err);
/* Any number of the model by name: a parameter, or "error" (held-out
 * median absolute relative error). Setting checks the profile's range. */
at_status at_model_get(const at_model *model, const char *name, double *value,
                       at_error *err);
at_status at_model_set(at_model *model, const char *name, double value,
                       at_error *err);
/* When it was fitted, UTC "YYYY-MM-DDTHH:MM:SSZ". */
const char *at_model_fitted(const at_model *model);
at_status at_model_set_fitted(at_model *model, const char *utc,
                              at_error *err);

/* A profile's machines and workloads: opaque, read through the functions
 * below, valid until their profile is modified or freed. */
typedef struct at_machine_profile at_machine_profile;
typedef struct at_workload_profile at_workload_profile;

/* Creates an empty profile. */
at_status at_profile_new(at_profile **out, at_error *err);
void at_profile_free(at_profile *profile);

/* Loads a profile. Strict and all-or-nothing: every key, type and range is
 * checked, and any problem fails the whole load with file, line, column and
 * key in *err; *out is set only on success. `name` is the name used in
 * messages for at_profile_load_string (may be NULL: "<string>"). */
at_status at_profile_load(const char *path, at_profile **out, at_error *err);
at_status at_profile_load_string(const char *yaml, size_t length,
                                 const char *name, at_profile **out,
                                 at_error *err);

/* Writes the profile atomically: a temporary file in the same directory,
 * fsync, rename over `path`. Loading the result gives an equal profile. */
at_status at_profile_save(const at_profile *profile, const char *path,
                          at_error *err);

/* Serialises to a malloc'ed NUL-terminated string (free() it). */
at_status at_profile_to_string(const at_profile *profile, char **out,
                               at_error *err);

/* Merges `from` into `into`: machines by fingerprint, workloads by name,
 * entries by (size, items) keeping the newer `measured` (ties go to `from`),
 * the model with the newer `fitted`, samples by (size, items, config) with
 * `from` winning, machine costs from `from` when it has them. All or
 * nothing: on failure `into` is unchanged. */
at_status at_profile_merge(at_profile *into, const at_profile *from,
                           at_error *err);

/* Merges `from` into the profile file at `path` (created if absent) under
 * an exclusive lock on "PATH.lock", so concurrent writers lose nothing. */
at_status at_profile_merge_into_file(const at_profile *from, const char *path,
                                     at_error *err);

/* True (1) when both profiles hold the same data. */
int at_profile_equal(const at_profile *a, const at_profile *b);

/* Walking. Machines are in file order; workloads in file order. */
size_t at_profile_machine_count(const at_profile *profile);
const at_machine_profile *at_profile_machine_at(const at_profile *profile,
                                                size_t index);
/* The machine with this fingerprint, or NULL. */
const at_machine_profile *at_profile_find_machine(const at_profile *profile,
                                                  const char *fingerprint);
/* The machine's identity. */
const at_machine *at_machine_profile_machine(const at_machine_profile *mp);
/* Its transport costs, or NULL when none were measured. */
const at_machine_costs *
at_machine_profile_costs(const at_machine_profile *mp);
/* Its workloads, in file order, and the one of a name (NULL: none). */
size_t at_machine_profile_workload_count(const at_machine_profile *mp);
const at_workload_profile *
at_machine_profile_workload_at(const at_machine_profile *mp, size_t index);
const at_workload_profile *
at_machine_profile_workload(const at_machine_profile *machine,
                            const char *workload);

const char *at_workload_profile_name(const at_workload_profile *wp);
/* Its kind (AT_KIND_BATCH for NULL). */
at_workload_kind at_workload_profile_kind(const at_workload_profile *wp);
/* The fitted model, or NULL when none. */
const at_model *at_workload_profile_model(const at_workload_profile *wp);
/* The entries, sorted by (size, items), and the samples, in file order. */
size_t at_workload_profile_entry_count(const at_workload_profile *wp);
const at_entry *at_workload_profile_entry_at(const at_workload_profile *wp,
                                             size_t index);
/* The items the baselines of entry `index` ran on, when the tuner measured
 * them on fewer items than the entry's and scaled them to its job (see
 * data/profile-format.md, `baseline_items`); 0 when they ran on the
 * entry's own job, and for an index out of range. Since 0.4.0. */
long at_workload_profile_entry_baseline_items(const at_workload_profile *wp,
                                              size_t index);
size_t at_workload_profile_sample_count(const at_workload_profile *wp);
const at_sample *at_workload_profile_sample_at(const at_workload_profile *wp,
                                               size_t index);

/* Building (used by the tuner). Each copies its arguments. */
/* Adds the machine, or updates its identity and host if present. */
at_status at_profile_add_machine(at_profile *profile, const at_machine *m,
                                 at_error *err);
/* Adds the workload to a machine of the profile, or checks that the one
 * there has this kind. Entries, models and samples go to a workload added
 * so (AT_ERR_ARG otherwise). */
at_status at_profile_add_workload(at_profile *profile,
                                  const char *fingerprint,
                                  const char *workload, at_workload_kind kind,
                                  at_error *err);
at_status at_profile_set_costs(at_profile *profile, const char *fingerprint,
                               const at_machine_costs *costs, at_error *err);
/* Adds or replaces (same size and items) an entry. */
at_status at_profile_set_entry(at_profile *profile, const char *fingerprint,
                               const char *workload, const at_entry *entry,
                               at_error *err);
/* The same, for an entry whose baselines ran on `baseline_items` items,
 * 1 to the entry's items - 1, and were scaled to its job; 0: they ran on
 * its job (at_profile_set_entry). Since 0.4.0. */
at_status at_profile_set_entry_scaled(at_profile *profile,
                                      const char *fingerprint,
                                      const char *workload,
                                      const at_entry *entry,
                                      long baseline_items, at_error *err);
at_status at_profile_set_model(at_profile *profile, const char *fingerprint,
                               const char *workload, const at_model *model,
                               at_error *err);
/* Adds or replaces (same size, items and config) a sample. */
at_status at_profile_add_sample(at_profile *profile, const char *fingerprint,
                                const char *workload, const at_sample *sample,
                                at_error *err);

/* ----------------------------------------------------------------- query */

/* Where a queried configuration came from. */
typedef enum at_source {
    AT_SOURCE_ENTRY,   /* an entry measured at exactly this size and items */
    AT_SOURCE_MODEL,   /* the workload's fitted model, evaluated */
    AT_SOURCE_NEAREST, /* the entry nearest in size and items (no model) */
    AT_SOURCE_FALLBACK /* the documented rule: nothing for this workload */
} at_source;

const char *at_source_name(at_source source);

/* Which machine of the profile answered. */
typedef enum at_match {
    AT_MATCH_EXACT,    /* the same fingerprint: same hardware, same BLAS */
    AT_MATCH_HARDWARE, /* the same hardware, tuned with another BLAS (or the
                          process has none) */
    AT_MATCH_NONE      /* no machine of this hardware: the fallback rule */
} at_match;

const char *at_match_name(at_match match);

typedef struct at_query_result {
    at_config config;
    at_source source;
    double predicted_seconds; /* entry's seconds, model's prediction, or -1 */
    const at_entry *entry;    /* the entry used (ENTRY, NEAREST), else NULL */
    char reason[256];         /* one line: which machine, why this source */
    at_match match;
    char
        machine[AT_FINGERPRINT_LEN + 1]; /* the profile machine used, or "" */
} at_query_result;

/* Query flags. AT_QUERY_STRICT: only this exact machine's tuned answers;
 * a hardware-only match or the fallback rule fails with AT_ERR_NOMATCH,
 * its reason as message. AT_QUERY_VECTOR: the job is a vector job; it
 * matters only for a workload the profile does not know (the fallback
 * rule), since one it knows has its kind, and a conflict is AT_ERR_ARG. */
#define AT_QUERY_STRICT 1
#define AT_QUERY_VECTOR 2

/* The configuration for `items` tasks of `workload` at `size` (vector
 * workloads: items is 1; the kind is the profile's, else a batch unless
 * AT_QUERY_VECTOR) on `machine`. The profile's machine is the one
 * with the same fingerprint; else one with the same hardware fingerprint
 * (the same BLAS vendor first), and the reason names the BLAS it was tuned
 * with; else none, and the fallback rule answers. `profile` may be NULL
 * (the fallback rule). Every answer can run: it never has more workers
 * than tasks, more partitions than elements, or a chunk larger than a
 * worker's share of the tasks. Fails with AT_ERR_ARG for an invalid
 * workload name or non-positive size or items. */
at_status at_profile_query(const at_profile *profile,
                           const at_machine *machine, const char *workload,
                           long size, long items, at_query_result *result,
                           at_error *err);
/* The same with flags (AT_QUERY_STRICT). */
at_status at_profile_query_flags(const at_profile *profile,
                                 const at_machine *machine,
                                 const char *workload, long size, long items,
                                 int flags, at_query_result *result,
                                 at_error *err);

/* The fallback rule alone (documented in data/profile-format.md). */
void at_fallback_config(at_workload_kind kind, long size, long items,
                        int usable_cpus, at_config *config);

/* Predicted seconds of `config` for the job under `model` and `costs` on a
 * machine with `usable_cpus`. Data moved per task is derived from the kind:
 * a batch item sends and receives one size x size matrix of doubles, a
 * vector partition its share of the vector, both ways. */
double at_model_predict(const at_model *model, const at_machine_costs *costs,
                        int usable_cpus, at_workload_kind kind, long size,
                        long items, const at_config *config);

/* ---------------------------------------------------------- search space */

/* The configurations worth trying for a job, the one place where the
 * constraints live (the tuner searches it, the query ranks it by model):
 * workers 1..usable_cpus; BLAS threads with workers x threads <= CPUs;
 * chunk sizes powers of two up to tasks/workers; for vector jobs
 * partitions that are workers x 1, 2, 4 ... 64; both modes, transports
 * (process mode) and pinnings. With AT_SPACE_OVERSUBSCRIBE, also the
 * probes that exceed the CPUs on purpose: one process with 2 x CPUs BLAS
 * threads, CPUs workers of CPUs threads each, CPUs + 1 workers of one. Writes at most `max` configurations
 * to `out` (which may be NULL) and returns how many there are in all. */
#define AT_SPACE_OVERSUBSCRIBE 1
size_t at_space_enumerate(at_workload_kind kind, long size, long items,
                          int usable_cpus, int flags, at_config *out,
                          size_t max);

/* -------------------------------------------------------------- executor */

/* A pool of workers runs jobs in one configuration. It is created once
 * (its start-up is measured apart) and reused for any number of jobs.
 *
 * Process workers are forked at creation: the task functions must be in
 * the program (they are called through the same addresses in the forked
 * workers) and everything they need must reach them through the job's
 * `arg` bytes, its input, or memory that existed when the pool was
 * created. Thread workers share the caller's memory.
 *
 * Transport (process workers): `pipe` copies each task's input to its
 * worker and the output back through a socket, as a pickling pool does;
 * `shm` copies nothing when the job's buffers come from at_buffer_alloc()
 * (workers map the same pages), and stages other buffers through shared
 * memory, a copy the statistics count as transfer. Thread workers never
 * copy with shm; with pipe they copy each task's data to and from a
 * private buffer, to measure what copying costs.
 *
 * Faults: a worker that dies, a task that returns non-zero, or a chunk
 * that runs past the job's deadline ends the job with AT_ERR_WORKER or
 * AT_ERR_TIMEOUT and a message naming the worker and the items; the pool
 * replaces the worker. A process worker is killed and reaped. A thread
 * cannot be stopped: one past its deadline is abandoned and replaced, the
 * job returns at once, and the thread finishes its task in the background,
 * still writing that task's output; at_pool_free waits for it, so keep
 * the job's buffers until the pool is freed (and use process workers for
 * tasks that may never return). The caller's input is never written. The output of a failed job is undefined. Shared memory
 * is anonymous (memfd): nothing is left behind in /dev/shm, whatever
 * happens to the process. Workers die with the process that created them.
 */
typedef struct at_pool at_pool; /* opaque */

/* One batch item: reads `in`, writes `out`; 0 on success. */
typedef int (*at_item_fn)(const void *in, void *out, const void *arg);
/* One vector partition of `count` elements; 0 on success. */
typedef int (*at_span_fn)(const void *in, void *out, size_t count,
                          const void *arg);

typedef struct at_job {
    at_workload_kind kind;
    at_item_fn item;  /* AT_KIND_BATCH: called once per item */
    at_span_fn span;  /* AT_KIND_VECTOR: called once per partition */
    const void *arg;  /* copied to the workers with the job */
    size_t arg_bytes; /* at most AT_MAX_ARG_BYTES */
    const void *in;   /* count x in_bytes */
    void *out;        /* count x out_bytes */
    size_t in_bytes;  /* per item (batch) or per element (vector) */
    size_t out_bytes;
    long count;      /* items (batch) or elements (vector) */
    int chunk_size;  /* tasks (items or partitions) per message */
    int partitions;  /* vector: pieces of the vector (batch: 1) */
    double deadline; /* seconds one chunk may take; 0 = no deadline */
} at_job;
#define AT_MAX_ARG_BYTES 4096

/* Where the time of a job went (wall clock, seconds). */
typedef struct at_job_stats {
    double wall;         /* the whole job, as the caller waits for it */
    double transfer;     /* parent copying data to and from workers */
    double compute;      /* in task functions, summed over workers */
    double compute_max;  /* in task functions, on the busiest worker */
    double wait;         /* wall - transfer - compute_max: dispatch, idle */
    long messages;       /* task messages sent */
    double bytes_copied; /* payload bytes copied to and from workers */
} at_job_stats;

/* Starts a pool in `config` (its workers, mode, blas_threads, transport
 * and pin; chunk_size and partitions are the job's). With 1 worker, jobs
 * run in the calling process. */
at_status at_pool_create(const at_config *config, at_pool **out,
                         at_error *err);
/* Stops and reaps the workers. */
void at_pool_free(at_pool *pool);
/* Seconds at_pool_create took to start the workers. */
double at_pool_start_seconds(const at_pool *pool);
/* Runs a job; fills *stats (may be NULL) on success. */
at_status at_pool_run(at_pool *pool, const at_job *job, at_job_stats *stats,
                      at_error *err);
/* Makes the running (or next) job of the pool end with AT_ERR_CANCELLED
 * as soon as possible. Safe to call from a signal handler. */
void at_pool_cancel(at_pool *pool);

/* Shared memory for job buffers: workers of every pool see it without a
 * copy. Zeroed. Freed with at_buffer_free (NULL is allowed). */
at_status at_buffer_alloc(size_t bytes, void **data, at_error *err);
void at_buffer_free(void *data);

/* ----------------------------------------------------------- search path */

/* The profile a program uses comes from the files of the search path,
 * read as one profile: its order, its precedence and the environment
 * variables that steer it are described once, in data/profile-format.md
 * ("Where profiles are found"). */
typedef struct at_profile_files at_profile_files; /* opaque */

/* Finds the files of the search path, in precedence order (the site
 * directory's sorted by name). AT_ERR_NOPROFILE when there is none;
 * AT_ERR_IO when AUTOTUNE_PROFILE or AUTOTUNE_PROFILE_DIR names what
 * cannot be read, or the site directory cannot be listed. */
at_status at_profile_files_find(at_profile_files **out, at_error *err);
void at_profile_files_free(at_profile_files *files);
/* How many files were found, and each one's path (NULL past the last). */
size_t at_profile_files_count(const at_profile_files *files);
const char *at_profile_files_path(const at_profile_files *files,
                                  size_t index);

/* Reads the files as one profile: the site directory's merged as
 * at_profile_merge does, then each (machine, workload) from the first
 * source that holds it, whole. All or nothing: a file that fails to load
 * fails it, with its position in *err. Records in `files` where each
 * (machine, workload) came from, for at_profile_files_origin. */
at_status at_profile_files_load(at_profile_files *files, at_profile **out,
                                at_error *err);

/* Where workload `workload` of the machine `fingerprint` came from in the
 * last at_profile_files_load: a file's path, or the paths of the site
 * directory's files merged for it joined by " + "; NULL when it is in
 * none of them. Valid until the next load or free of `files`. */
const char *at_profile_files_origin(const at_profile_files *files,
                                    const char *fingerprint,
                                    const char *workload);

/* The first file of the search path (at_profile_files_find's first):
 * the one file a program reading a single profile would take. Writes the
 * path into buf; fails as at_profile_files_find does. */
at_status at_profile_find(char *buf, size_t size, at_error *err);

/* The user's profile path (where the tuner writes by default). */
at_status at_profile_user_path(char *buf, size_t size, at_error *err);

/* The system-wide profile path set at configure time. */
const char *at_profile_system_path(void);

#ifdef __cplusplus
}
#endif

#endif /* AUTOTUNE_H */
