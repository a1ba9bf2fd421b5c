/* profile_save.c - write a profile: the format's description (schema.c)
 * walked into libyaml's emitter, shortest round-trip numbers, atomic
 * replace (temp file, fsync, rename), and merge into a file under a
 * lock. */
#include "config.h"

#include "schema.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
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
    yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
                                        flow ? YAML_FLOW_MAPPING_STYLE
                                             : YAML_BLOCK_MAPPING_STYLE);
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

static void long_value(out *o, long v)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%ld", v);
    text(o, buf);
}

/* The shortest decimal that reads back as the same double, so a save/load
 * round trip is exact and the file stays readable; an unknown value (NAN,
 * where the field allows it) is YAML's null. */
static void double_value(out *o, const at__field *f, double v)
{
    char buf[40];
    if ((f->flags & AT_F_UNKNOWN_OK) && isnan(v)) {
        text(o, "null");
        return;
    }
    at__format_real(v, buf, sizeof buf);
    text(o, buf);
}

static void emit_object(out *o, const at__object *obj, const void *base);

/* A list of objects, or a mapping of names to objects (workloads). */
static void emit_elements(out *o, const at__field *f, const void *base)
{
    size_t n = *(const size_t *)((const char *)base + f->count_offset);
    const char *item = *(char *const *)at__field_at(base, f);
    if (f->type == AT_F_LIST)
        seq_start(o);
    else
        map_start(o, 0);
    for (size_t i = 0; i < n; i++, item += f->size) {
        if (f->type == AT_F_MAP)
            text(o, item + f->name_offset);
        emit_object(o, f->object, item);
    }
    if (f->type == AT_F_LIST)
        seq_end(o);
    else
        map_end(o);
}

static void emit_value(out *o, const at__field *f, const void *base)
{
    const void *v = at__field_at(base, f);
    int e;
    switch (f->type) {
    case AT_F_INT: long_value(o, *(const int *)v); break;
    case AT_F_LONG: long_value(o, *(const long *)v); break;
    case AT_F_DOUBLE: double_value(o, f, *(const double *)v); break;
    case AT_F_STRING:
    case AT_F_TIME: text(o, v); break;
    case AT_F_ENUM:
        e = *(const int *)v;
        text(o, e >= 0 && e < f->n_names ? f->names[e] : "?");
        break;
    case AT_F_OBJECT: emit_object(o, f->object, v); break;
    case AT_F_LIST:
    case AT_F_MAP: emit_elements(o, f, base); break;
    case AT_F_CONST: text(o, f->konst); break;
    }
}

/* Every field the object holds, in the schema's order. */
static void emit_object(out *o, const at__object *obj, const void *base)
{
    map_start(o, obj->flow);
    for (size_t i = 0; i < obj->n_fields; i++)
        if (at__field_present(base, &obj->fields[i])) {
            text(o, obj->fields[i].key);
            emit_value(o, &obj->fields[i], base);
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
    emit_object(&o, &at__profile_schema, p);
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

/* The temporary file beside `path`, named for its writer: PATH.tmp.PID.
 * followed by mkstemp's letters, so a merge can tell a dead writer's
 * leftovers (remove_stale_temporaries) from a live writer's file. */
static int temp_name(const char *path, char *tmp, size_t size)
{
    return snprintf(tmp, size, "%s.tmp.%ld.XXXXXX", path, (long)getpid()) <
           (int)size;
}

/* The mode the new file gets: the old file's, so a private (0600)
 * profile stays private; for a new file, what umask allows of 0666. Its
 * owner too, where this process may set it (root rewriting a user's). */
static int take_old_mode(int fd, const char *path)
{
    struct stat st;
    if (stat(path, &st) == 0) {
        if (fchown(fd, st.st_uid, st.st_gid) != 0 && errno != EPERM)
            return -1;
        return fchmod(fd, st.st_mode & 07777);
    }
    mode_t mask = umask(0);
    umask(mask);
    return fchmod(fd, 0666 & ~mask);
}

static at_status write_atomically(const char *path, const char *data,
                                  size_t len, at_error *err)
{
    char tmp[PATH_MAX];
    if (!temp_name(path, tmp, sizeof tmp))
        return at__fail_at(err, AT_ERR_IO, path, 0, 0, "", "path too long");
    int fd = mkstemp(tmp);
    if (fd < 0)
        return io_fail(err, path, "cannot create a temporary file");
    if (take_old_mode(fd, path) != 0 || write_all(fd, data, len) != 0 ||
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

/* A profile reached through a symbolic link is written where the link
 * points, and the link stays (replacing it by a regular file would cut
 * every other user of the link off). */
static const char *through_links(const char *path, char *buf)
{
    struct stat st;
    if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode) && realpath(path, buf))
        return buf;
    return path;
}

at_status at_profile_save(const at_profile *p, const char *path,
                          at_error *err)
{
    AT_REQUIRE(p, err);
    AT_REQUIRE(path, err);
    char *yaml, target[PATH_MAX];
    at_status s = at_profile_to_string(p, &yaml, err);
    if (s != AT_OK)
        return s;
    s = write_atomically(through_links(path, target), yaml, strlen(yaml),
                         err);
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
    /* O_NOFOLLOW: in a shared directory, a link planted as the lock
     * would make us create or open a file elsewhere */
    *fd = open(lock, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (*fd < 0 && errno == ELOOP)
        return at__fail_at(err, AT_ERR_IO, lock, 0, 0, "",
                           "the lock file is a symbolic link: refused");
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

/* Temporaries of writers that died (killed mid-save): PATH.tmp.PID.* of
 * a PID that no longer runs. Called under the lock, so no merge is
 * writing one; a live saver's PID is alive, and its file is kept. */
static void remove_stale_temporaries(const char *path)
{
    char dir[PATH_MAX], prefix[PATH_MAX], full[2 * PATH_MAX];
    at__strlcpy(dir, path, sizeof dir);
    char *slash = strrchr(dir, '/');
    const char *base = slash ? slash + 1 : path;
    if (slash)
        *slash = '\0';
    snprintf(prefix, sizeof prefix, "%s.tmp.", base);
    DIR *d = opendir(slash ? (dir[0] ? dir : "/") : ".");
    size_t n = strlen(prefix);
    for (struct dirent *e; d && (e = readdir(d));) {
        char *end;
        long pid = strncmp(e->d_name, prefix, n)
                       ? 0
                       : strtol(e->d_name + n, &end, 10);
        if (pid <= 0 || *end != '.' || kill((pid_t)pid, 0) == 0 ||
            errno != ESRCH)
            continue;
        snprintf(full, sizeof full, "%s/%s", slash ? dir : ".", e->d_name);
        unlink(full);
    }
    if (d)
        closedir(d);
}

at_status at_profile_merge_into_file(const at_profile *from, const char *path,
                                     at_error *err)
{
    AT_REQUIRE(from, err);
    AT_REQUIRE(path, err);
    /* The lock is held only for what depends on the file's current
     * content: read it, merge (n log n), write, rename. `from` was loaded
     * and checked before (by the caller), freeing waits until after. */
    int lock_fd;
    at_status s = make_parent_dirs(path, err);
    if (s == AT_OK)
        s = lock_profile(path, &lock_fd, err);
    if (s != AT_OK)
        return s;
    remove_stale_temporaries(path);
    at_profile *current = NULL;
    if (access(path, F_OK) == 0)
        s = at_profile_load(path, &current, err);
    else
        s = at_profile_new(&current, err);
    if (s == AT_OK)
        s = at_profile_merge(current, from, err);
    if (s == AT_OK)
        s = at_profile_save(current, path, err);
    close(lock_fd); /* releases the lock */
    at_profile_free(current);
    return s;
}
