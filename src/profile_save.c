/* profile_save.c - write a profile: libyaml emitter, shortest round-trip
 * numbers, atomic replace (temp file, fsync, rename), and merge into a file
 * under a lock. */
#include "config.h"

#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

/* ------------------------------------------------------------- emitting */

typedef struct out {
    yaml_emitter_t em;
    char *buf;
    size_t len, cap;
    int failed;
} out;

static int write_handler(void *data, unsigned char *bytes, size_t size)
{
    out *o = data;
    if (o->len + size + 1 > o->cap) {
        size_t cap = (o->cap ? o->cap * 2 : 4096) + size;
        char *grown = realloc(o->buf, cap);
        if (!grown)
            return 0;
        o->buf = grown;
        o->cap = cap;
    }
    memcpy(o->buf + o->len, bytes, size);
    o->len += size;
    o->buf[o->len] = '\0';
    return 1;
}

static void emit(out *o, yaml_event_t *ev)
{
    if (o->failed || !yaml_emitter_emit(&o->em, ev))
        o->failed = 1;
}

static void text(out *o, const char *s)
{
    yaml_event_t ev;
    yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, -1, 1, 1,
                                 YAML_ANY_SCALAR_STYLE);
    emit(o, &ev);
}

static void map_start(out *o, int flow)
{
    yaml_event_t ev;
    yaml_mapping_start_event_initialize(
        &ev, NULL, NULL, 1,
        flow ? YAML_FLOW_MAPPING_STYLE : YAML_BLOCK_MAPPING_STYLE);
    emit(o, &ev);
}

static void map_end(out *o)
{
    yaml_event_t ev;
    yaml_mapping_end_event_initialize(&ev);
    emit(o, &ev);
}

static void seq_start(out *o)
{
    yaml_event_t ev;
    yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
                                         YAML_BLOCK_SEQUENCE_STYLE);
    emit(o, &ev);
}

static void seq_end(out *o)
{
    yaml_event_t ev;
    yaml_sequence_end_event_initialize(&ev);
    emit(o, &ev);
}

static void kv_str(out *o, const char *key, const char *value)
{
    text(o, key);
    text(o, value);
}

static void kv_long(out *o, const char *key, long v)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%ld", v);
    kv_str(o, key, buf);
}

/* The shortest decimal that reads back as the same double, so a save/load
 * round trip is exact and the file stays readable. */
static void kv_double(out *o, const char *key, double v)
{
    char buf[40];
    for (int digits = 6; digits <= 17; digits++) {
        snprintf(buf, sizeof buf, "%.*g", digits, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    kv_str(o, key, buf);
}

static void emit_config(out *o, const char *key, const at_config *c)
{
    text(o, key);
    map_start(o, 1);
    kv_long(o, "workers", c->workers);
    kv_str(o, "mode", at_mode_name(c->mode));
    kv_long(o, "blas_threads", c->blas_threads);
    kv_long(o, "chunk_size", c->chunk_size);
    kv_long(o, "partitions", c->partitions);
    kv_str(o, "transport", at_transport_name(c->transport));
    kv_str(o, "pin", at_pin_name(c->pin));
    map_end(o);
}

static void emit_baselines(out *o, const at_baselines *b)
{
    const struct {
        const char *key;
        double v;
    } all[] = {{"serial_default", b->serial_default},
               {"serial_1", b->serial_1},
               {"naive_pool", b->naive_pool},
               {"joblib_rule", b->joblib_rule}};
    int any = 0;
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        any |= all[i].v >= 0;
    if (!any)
        return;
    text(o, "baselines");
    map_start(o, 1);
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (all[i].v >= 0)
            kv_double(o, all[i].key, all[i].v);
    map_end(o);
}

static void emit_entry(out *o, const at_entry *e)
{
    map_start(o, 1);
    kv_long(o, "size", e->size);
    kv_long(o, "items", e->items);
    kv_double(o, "seconds", e->seconds);
    kv_double(o, "spread", e->spread);
    kv_str(o, "measured", e->measured);
    emit_config(o, "best", &e->best);
    emit_baselines(o, &e->baselines);
    map_end(o);
}

static void emit_sample(out *o, const at_sample *s)
{
    map_start(o, 1);
    kv_long(o, "size", s->size);
    kv_long(o, "items", s->items);
    kv_double(o, "seconds", s->seconds);
    kv_double(o, "spread", s->spread);
    emit_config(o, "config", &s->config);
    map_end(o);
}

static void emit_model(out *o, const at_model *m)
{
    text(o, "model");
    map_start(o, 0);
    kv_str(o, "form", AT_MODEL_FORM);
    kv_str(o, "fitted", m->fitted);
    kv_double(o, "error", m->error);
    text(o, "params");
    map_start(o, 1);
    kv_double(o, "ref_size", m->ref_size);
    kv_double(o, "compute_s", m->compute_s);
    kv_double(o, "exponent", m->exponent);
    kv_double(o, "parallel_fraction", m->parallel_fraction);
    kv_double(o, "contention", m->contention);
    kv_double(o, "oversub", m->oversub);
    kv_double(o, "thread_factor", m->thread_factor);
    kv_double(o, "unpinned_spread", m->unpinned_spread);
    kv_double(o, "dispatch_s", m->dispatch_s);
    map_end(o);
    map_end(o);
}

static void emit_workload(out *o, const at_workload_profile *w)
{
    text(o, w->name);
    map_start(o, 0);
    if (w->has_model)
        emit_model(o, &w->model);
    if (w->n_entries) {
        text(o, "entries");
        seq_start(o);
        for (size_t i = 0; i < w->n_entries; i++)
            emit_entry(o, &w->entries[i]);
        seq_end(o);
    }
    if (w->n_samples) {
        text(o, "samples");
        seq_start(o);
        for (size_t i = 0; i < w->n_samples; i++)
            emit_sample(o, &w->samples[i]);
        seq_end(o);
    }
    map_end(o);
}

static void emit_transport(out *o, const char *key,
                           const at_transport_cost *t)
{
    text(o, key);
    map_start(o, 1);
    kv_double(o, "latency_us", t->latency_us);
    kv_double(o, "gbytes_per_s", t->gbytes_per_s);
    map_end(o);
}

static void emit_costs(out *o, const at_machine_costs *c)
{
    text(o, "costs");
    map_start(o, 0);
    emit_transport(o, "pipe", &c->pipe);
    emit_transport(o, "shm", &c->shm);
    emit_transport(o, "thread", &c->thread);
    kv_double(o, "process_start_us", c->process_start_us);
    kv_double(o, "thread_start_us", c->thread_start_us);
    map_end(o);
}

static void emit_identity(out *o, const at_machine *m)
{
    kv_str(o, "fingerprint", m->fingerprint);
    if (m->host[0])
        kv_str(o, "host", m->host);
    text(o, "cpu");
    map_start(o, 1);
    kv_str(o, "model", m->cpu_model);
    kv_str(o, "arch", m->arch);
    kv_long(o, "usable_cpus", m->usable_cpus);
    kv_long(o, "cores", m->cores);
    kv_long(o, "sockets", m->sockets);
    kv_long(o, "numa_nodes", m->numa_nodes);
    kv_long(o, "l1d_kb", m->l1d_kb);
    kv_long(o, "l2_kb", m->l2_kb);
    kv_long(o, "l3_kb", m->l3_kb);
    map_end(o);
    text(o, "blas");
    map_start(o, 1);
    kv_str(o, "vendor", m->blas_vendor);
    kv_str(o, "version", m->blas_version);
    kv_str(o, "corename", m->blas_corename);
    kv_str(o, "threading", m->blas_threading);
    kv_long(o, "max_threads", m->blas_max_threads);
    map_end(o);
}

static void emit_machine(out *o, const at_machine_profile *mp)
{
    map_start(o, 0);
    emit_identity(o, &mp->machine);
    if (mp->has_costs)
        emit_costs(o, &mp->costs);
    if (mp->n_workloads) {
        text(o, "workloads");
        map_start(o, 0);
        for (size_t w = 0; w < mp->n_workloads; w++)
            emit_workload(o, &mp->workloads[w]);
        map_end(o);
    }
    map_end(o);
}

at_status at_profile_to_string(const at_profile *p, char **result,
                               at_error *err)
{
    AT_REQUIRE(p, err);
    AT_REQUIRE(result, err);
    out o;
    memset(&o, 0, sizeof o);
    if (!yaml_emitter_initialize(&o.em))
        return at__fail(err, AT_ERR_NOMEM, "out of memory");
    yaml_emitter_set_output(&o.em, write_handler, &o);
    yaml_emitter_set_width(&o.em, -1); /* one entry, one line */
    yaml_emitter_set_unicode(&o.em, 1);
    yaml_event_t ev;
    yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
    emit(&o, &ev);
    yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
    emit(&o, &ev);
    map_start(&o, 0);
    kv_long(&o, "autotune_profile", 1);
    text(&o, "machines");
    seq_start(&o);
    for (size_t i = 0; i < p->n_machines; i++)
        emit_machine(&o, &p->machines[i]);
    seq_end(&o);
    map_end(&o);
    yaml_document_end_event_initialize(&ev, 1);
    emit(&o, &ev);
    yaml_stream_end_event_initialize(&ev);
    emit(&o, &ev);
    yaml_emitter_delete(&o.em);
    if (o.failed) {
        free(o.buf);
        return at__fail(err, AT_ERR_NOMEM, "cannot serialise the profile");
    }
    *result = o.buf;
    return AT_OK;
}

/* --------------------------------------------------------- atomic write */

static at_status io_fail(at_error *err, const char *path, const char *what)
{
    return at__fail_at(err, AT_ERR_IO, path, 0, 0, "", "%s: %s", what,
                       strerror(errno));
}

static int write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Makes the rename durable: fsync the directory that holds `path`. */
static void sync_parent_dir(const char *path)
{
    char copy[PATH_MAX];
    at__strlcpy(copy, path, sizeof copy);
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

static at_status write_atomically(const char *path, const char *data,
                                  size_t len, at_error *err)
{
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof tmp, "%s.tmp.XXXXXX", path) >= (int)sizeof tmp)
        return at__fail_at(err, AT_ERR_IO, path, 0, 0, "", "path too long");
    int fd = mkstemp(tmp);
    if (fd < 0)
        return io_fail(err, path, "cannot create a temporary file");
    mode_t mask = umask(0);
    umask(mask);
    if (fchmod(fd, 0666 & ~mask) != 0 || write_all(fd, data, len) != 0 ||
        fsync(fd) != 0) {
        at_status s = io_fail(err, path, "cannot write");
        close(fd);
        unlink(tmp);
        return s;
    }
    if (close(fd) != 0 || rename(tmp, path) != 0) {
        at_status s = io_fail(err, path, "cannot replace");
        unlink(tmp);
        return s;
    }
    sync_parent_dir(path);
    return AT_OK;
}

at_status at_profile_save(const at_profile *p, const char *path,
                          at_error *err)
{
    AT_REQUIRE(p, err);
    AT_REQUIRE(path, err);
    char *yaml;
    at_status s = at_profile_to_string(p, &yaml, err);
    if (s != AT_OK)
        return s;
    s = write_atomically(path, yaml, strlen(yaml), err);
    free(yaml);
    return s;
}

/* ------------------------------------------------------ merge into file */

/* mkdir -p of the directory holding `path`. */
static at_status make_parent_dirs(const char *path, at_error *err)
{
    char dir[PATH_MAX];
    at__strlcpy(dir, path, sizeof dir);
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir)
        return AT_OK;
    *slash = '\0';
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(dir, 0777) != 0 && errno != EEXIST)
            return io_fail(err, dir, "cannot create directory");
        *p = '/';
    }
    if (mkdir(dir, 0777) != 0 && errno != EEXIST)
        return io_fail(err, dir, "cannot create directory");
    return AT_OK;
}

/* The lock is a sidecar file: the profile itself is replaced by rename, so
 * a lock on its inode would not exclude a writer that opened it later. */
static at_status lock_profile(const char *path, int *fd, at_error *err)
{
    char lock[PATH_MAX];
    if (snprintf(lock, sizeof lock, "%s.lock", path) >= (int)sizeof lock)
        return at__fail_at(err, AT_ERR_IO, path, 0, 0, "", "path too long");
    *fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (*fd < 0)
        return io_fail(err, lock, "cannot open lock file");
    while (flock(*fd, LOCK_EX) != 0)
        if (errno != EINTR) {
            at_status s = io_fail(err, lock, "cannot lock");
            close(*fd);
            return s;
        }
    return AT_OK;
}

at_status at_profile_merge_into_file(const at_profile *from, const char *path,
                                     at_error *err)
{
    AT_REQUIRE(from, err);
    AT_REQUIRE(path, err);
    int lock_fd;
    at_status s = make_parent_dirs(path, err);
    if (s == AT_OK)
        s = lock_profile(path, &lock_fd, err);
    if (s != AT_OK)
        return s;
    at_profile *current = NULL;
    if (access(path, F_OK) == 0)
        s = at_profile_load(path, &current, err);
    else
        s = at_profile_new(&current, err);
    if (s == AT_OK)
        s = at_profile_merge(current, from, err);
    if (s == AT_OK)
        s = at_profile_save(current, path, err);
    at_profile_free(current);
    close(lock_fd); /* releases the lock */
    return s;
}
