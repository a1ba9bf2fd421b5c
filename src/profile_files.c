/* profile_files.c - where the profile a program uses comes from: the
 * search path (data/profile-format.md, "Where profiles are found", is the
 * description this implements) and the reading of its files as one
 * profile, remembering which file each (machine, workload) came from so
 * that a program can say which file answered. Precedence is by (machine,
 * workload), whole: mixing the entries of two sources' svd would give an
 * answer neither measured, and a model fitted on one source's samples
 * describes that source's runs only. */
#include "config.h"

#include "internal.h"
#include "profile_files.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef AT_SYSTEM_PROFILE
#define AT_SYSTEM_PROFILE "/etc/autotune/profile.yaml"
#endif
#ifndef AT_PROFILE_DIR
#define AT_PROFILE_DIR "/etc/autotune/profile.d"
#endif

/* The sources, in precedence order; the site directory's files are one. */
typedef enum source_kind {
    FROM_VARIABLE,
    FROM_USER,
    FROM_SYSTEM,
    FROM_SITE
} source_kind;

static const char *const source_names[] = {
    "AUTOTUNE_PROFILE", "user profile", "system profile", "site directory"};

typedef struct found_file {
    char *path;
    source_kind kind;
} found_file;

/* A (machine, workload) and the file it came from, or the site
 * directory's files merged for it, joined by " + ". */
typedef struct origin {
    char fingerprint[AT_FINGERPRINT_LEN + 1];
    char workload[AT_WORKLOAD_NAME_MAX + 1];
    char *files;
} origin;

typedef struct origins {
    size_t n;
    origin *list;
} origins;

struct at_profile_files {
    size_t n_files;
    found_file *files;
    origins from; /* of the last load */
};

static at_status no_memory(at_error *err)
{
    return at__fail(err, AT_ERR_NOMEM, "out of memory");
}

/* ------------------------------------------------------------ the list */

static at_status add_file(at_profile_files *f, const char *path,
                          source_kind kind, at_error *err)
{
    found_file *grown = realloc(f->files, (f->n_files + 1) * sizeof *grown);
    char *copy = strdup(path);
    if (grown)
        f->files = grown;
    if (!grown || !copy) {
        free(copy);
        return no_memory(err);
    }
    f->files[f->n_files++] = (found_file){copy, kind};
    return AT_OK;
}

static void origins_clear(origins *o)
{
    for (size_t i = 0; i < o->n; i++)
        free(o->list[i].files);
    free(o->list);
    *o = (origins){0, NULL};
}

void at_profile_files_free(at_profile_files *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->n_files; i++)
        free(f->files[i].path);
    free(f->files);
    origins_clear(&f->from);
    free(f);
}

size_t at_profile_files_count(const at_profile_files *f)
{
    return f ? f->n_files : 0;
}

const char *at_profile_files_path(const at_profile_files *f, size_t index)
{
    return f && index < f->n_files ? f->files[index].path : NULL;
}

/* ---------------------------------------------------------- the search */

const char *at_profile_system_path(void)
{
    return AT_SYSTEM_PROFILE;
}

at_status at_profile_user_path(char *buf, size_t size, at_error *err)
{
    AT_REQUIRE(buf, err);
    const char *xdg = secure_getenv("XDG_CONFIG_HOME"),
               *home = secure_getenv("HOME");
    int n;
    if (xdg && xdg[0] == '/')
        n = snprintf(buf, size, "%s/autotune/profile.yaml", xdg);
    else if (home && home[0])
        n = snprintf(buf, size, "%s/.config/autotune/profile.yaml", home);
    else
        return at__fail(err, AT_ERR_NOPROFILE,
                        "neither XDG_CONFIG_HOME nor HOME is set");
    if (n < 0 || (size_t)n >= size)
        return at__fail(err, AT_ERR_ARG, "profile path too long");
    return AT_OK;
}

/* A file the variable names is the only one read, and must be there. */
static at_status named_file(at_profile_files *f, const char *path,
                            at_error *err)
{
    if (access(path, R_OK) != 0)
        return at__fail_at(err, AT_ERR_IO, path, 0, 0, "",
                           "AUTOTUNE_PROFILE names a file that cannot "
                           "be read");
    at__verbose("profile from AUTOTUNE_PROFILE: %s (the only file read)",
                path);
    return add_file(f, path, FROM_VARIABLE, err);
}

/* A file of the search path counts when it exists: one that exists but
 * cannot be read fails the load with its reason, rather than being
 * passed over in silence. */
static at_status add_if_present(at_profile_files *f, const char *path,
                                source_kind kind, at_error *err)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        at__verbose("profile search: %s %s: %s", source_names[kind], path,
                    strerror(errno));
        return AT_OK;
    }
    at__verbose("profile search: %s %s", source_names[kind], path);
    return add_file(f, path, kind, err);
}

/* The shell's *.yaml: a name ending in .yaml that is not hidden. */
static int yaml_name(const char *name)
{
    size_t n = strlen(name);
    return name[0] != '.' && n > 5 && strcmp(name + n - 5, ".yaml") == 0;
}

/* Byte order, whatever the locale: every node reads the files alike. */
static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

/* A regular *.yaml file of the site directory is taken (through a
 * symbolic link too); anything else is passed over with a note. */
static at_status site_entry(at_profile_files *f, const char *dir,
                            const char *name, at_error *err)
{
    char path[4096];
    struct stat st;
    if (!strcmp(name, ".") || !strcmp(name, ".."))
        return AT_OK;
    if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path)
        return at__fail_at(err, AT_ERR_ARG, dir, 0, 0, "",
                           "profile path too long");
    if (!yaml_name(name))
        at__verbose("profile search: %s skipped: not named *.yaml", path);
    else if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
        at__verbose("profile search: %s skipped: not a regular file", path);
    else
        return add_file(f, path, FROM_SITE, err);
    return AT_OK;
}

/* An absent site directory is no site profile; one the variable names,
 * or one that is there but cannot be listed, is an error, since
 * passing over it would hide every cluster's file at once. */
static at_status site_unlisted(const char *dir, int named, at_error *err)
{
    int e = errno;
    if (e == ENOENT && !named) {
        at__verbose("profile search: site directory %s: absent", dir);
        return AT_OK;
    }
    return at__fail_at(err, AT_ERR_IO, dir, 0, 0, "", "%s: %s",
                       named ? "AUTOTUNE_PROFILE_DIR names a directory "
                               "that cannot be read"
                             : "the site directory cannot be read",
                       strerror(e));
}

static at_status add_site(at_profile_files *f, const char *dir, int named,
                          at_error *err)
{
    struct dirent **list;
    int n = scandir(dir, &list, NULL, by_name);
    if (n < 0)
        return site_unlisted(dir, named, err);
    size_t before = f->n_files;
    at_status s = AT_OK;
    for (int i = 0; i < n; i++) {
        if (s == AT_OK)
            s = site_entry(f, dir, list[i]->d_name, err);
        free(list[i]);
    }
    free(list);
    at__verbose("profile search: site directory %s: %zu *.yaml files", dir,
                f->n_files - before);
    return s;
}

static at_status nothing_found(const char *user, const char *system_file,
                               const char *dir, at_error *err)
{
    return at__fail(err, AT_ERR_NOPROFILE,
                    "no profile: AUTOTUNE_PROFILE is unset, %s and %s do "
                    "not exist, %s has no *.yaml file",
                    user, system_file, dir);
}

static at_status search(at_profile_files *f, const char *system_file,
                        const char *site_dir, at_error *err)
{
    const char *named = secure_getenv("AUTOTUNE_PROFILE");
    if (named && named[0])
        return named_file(f, named, err);
    const char *dir = secure_getenv("AUTOTUNE_PROFILE_DIR");
    int dir_named = dir && dir[0];
    char user[4096] = "the user profile";
    at_status s = AT_OK;
    if (at_profile_user_path(user, sizeof user, NULL) == AT_OK)
        s = add_if_present(f, user, FROM_USER, err);
    if (s == AT_OK)
        s = add_if_present(f, system_file, FROM_SYSTEM, err);
    if (s == AT_OK)
        s = add_site(f, dir_named ? dir : site_dir, dir_named, err);
    if (s == AT_OK && f->n_files == 0)
        s = nothing_found(user, system_file, dir_named ? dir : site_dir, err);
    return s;
}

at_status at__profile_files_search(const char *system_file,
                                   const char *site_dir,
                                   at_profile_files **out, at_error *err)
{
    at_profile_files *f = calloc(1, sizeof *f);
    if (!f)
        return no_memory(err);
    at_status s = search(f, system_file, site_dir, err);
    if (s != AT_OK) {
        at_profile_files_free(f);
        return s;
    }
    *out = f;
    return AT_OK;
}

at_status at_profile_files_find(at_profile_files **out, at_error *err)
{
    AT_REQUIRE(out, err);
    return at__profile_files_search(AT_SYSTEM_PROFILE, AT_PROFILE_DIR, out,
                                    err);
}

at_status at_profile_find(char *buf, size_t size, at_error *err)
{
    AT_REQUIRE(buf, err);
    at_profile_files *f = NULL;
    at_status s = at_profile_files_find(&f, err);
    if (s == AT_OK)
        at__strlcpy(buf, f->files[0].path, size);
    at_profile_files_free(f);
    return s;
}

/* ------------------------------------------------------------ origins */

static origin *origin_find(const origins *o, const char *fp,
                           const char *workload)
{
    for (size_t i = 0; i < o->n; i++)
        if (!strcmp(o->list[i].fingerprint, fp) &&
            !strcmp(o->list[i].workload, workload))
            return &o->list[i];
    return NULL;
}

/* Records `files` as where (fp, workload) came from, joined to what is
 * there already (the site directory's files merged). */
static at_status origin_note(origins *o, const char *fp, const char *workload,
                             const char *files, at_error *err)
{
    origin *old = origin_find(o, fp, workload);
    size_t n = (old ? strlen(old->files) + 3 : 0) + strlen(files) + 1;
    char *joined = malloc(n);
    if (!joined)
        return no_memory(err);
    snprintf(joined, n, "%s%s%s", old ? old->files : "", old ? " + " : "",
             files);
    if (old) {
        free(old->files);
        old->files = joined;
        return AT_OK;
    }
    origin *grown = realloc(o->list, (o->n + 1) * sizeof *grown);
    if (!grown) {
        free(joined);
        return no_memory(err);
    }
    o->list = grown;
    origin *e = &o->list[o->n++];
    at__strlcpy(e->fingerprint, fp, sizeof e->fingerprint);
    at__strlcpy(e->workload, workload, sizeof e->workload);
    e->files = joined;
    return AT_OK;
}

/* Every (machine, workload) of `p` came from `path`. */
static at_status origins_of(origins *o, const at_profile *p, const char *path,
                            at_error *err)
{
    at_status s = AT_OK;
    for (size_t m = 0; s == AT_OK && m < at_profile_machine_count(p); m++) {
        const at_machine_profile *mp = at_profile_machine_at(p, m);
        const char *fp = at_machine_profile_machine(mp)->fingerprint;
        size_t n = at_machine_profile_workload_count(mp);
        for (size_t w = 0; s == AT_OK && w < n; w++)
            s = origin_note(o, fp,
                            at_workload_profile_name(
                                at_machine_profile_workload_at(mp, w)),
                            path, err);
    }
    return s;
}

const char *at_profile_files_origin(const at_profile_files *f,
                                    const char *fingerprint,
                                    const char *workload)
{
    const origin *o = f && fingerprint && workload
                          ? origin_find(&f->from, fingerprint, workload)
                          : NULL;
    return o ? o->files : NULL;
}

/* ------------------------------------------------------------ reading */

/* One source read: its profile and where each of its workloads came
 * from. */
typedef struct layer {
    at_profile *profile;
    origins from;
} layer;

static void layer_clear(layer *l)
{
    at_profile_free(l->profile);
    origins_clear(&l->from);
    *l = (layer){NULL, {0, NULL}};
}

/* Loads `path` into the source `l`: the site directory's files are
 * merged as `autotune merge` merges them; other sources are one file. A
 * merge that fails names the file that could not be merged. */
static at_status layer_add(layer *l, const char *path, at_error *err)
{
    at_profile *p = NULL;
    at_error why;
    at_status s = at_profile_load(path, &p, err);
    if (s == AT_OK)
        s = origins_of(&l->from, p, path, err);
    if (s == AT_OK && !l->profile) {
        l->profile = p;
        p = NULL;
    } else if (s == AT_OK && at_profile_merge(l->profile, p, &why) != AT_OK)
        s = at__fail_at(err, why.code, path, 0, 0, "",
                        "cannot be merged with the site files before it: "
                        "%s",
                        why.message);
    at_profile_free(p);
    if (s == AT_OK)
        at__verbose("profile: read %s", path);
    return s;
}

/* Reads files[first] and, for the site directory, the rest of its files;
 * *next is the index past them. */
static at_status load_source(const at_profile_files *f, size_t first,
                             size_t *next, layer *l, at_error *err)
{
    size_t i = first;
    at_status s = AT_OK;
    while (s == AT_OK && i < f->n_files &&
           f->files[i].kind == f->files[first].kind)
        s = layer_add(l, f->files[i++].path, err);
    *next = i;
    return s;
}

/* Copies workload `wp` of machine `fp` whole into `into`, which lacks
 * it. */
static at_status copy_workload(at_profile *into, const char *fp,
                               const at_workload_profile *wp, at_error *err)
{
    const char *name = at_workload_profile_name(wp);
    const at_model *model = at_workload_profile_model(wp);
    size_t entries = at_workload_profile_entry_count(wp),
           samples = at_workload_profile_sample_count(wp);
    at_status s = at_profile_add_workload(into, fp, name,
                                          at_workload_profile_kind(wp), err);
    if (s == AT_OK && model)
        s = at_profile_set_model(into, fp, name, model, err);
    for (size_t i = 0; s == AT_OK && i < entries; i++)
        s = at_profile_set_entry_scaled(
            into, fp, name, at_workload_profile_entry_at(wp, i),
            at_workload_profile_entry_baseline_items(wp, i), err);
    for (size_t i = 0; s == AT_OK && i < samples; i++)
        s = at_profile_add_sample(into, fp, name,
                                  at_workload_profile_sample_at(wp, i), err);
    return s;
}

/* A workload of a later source: taken when the earlier ones lack it,
 * else shadowed (said in verbose mode, where one looks for why a site's
 * answer is not used). */
static at_status overlay_workload(layer *into, const layer *from,
                                  const char *fp,
                                  const at_workload_profile *wp,
                                  at_error *err)
{
    const char *name = at_workload_profile_name(wp);
    const origin *theirs = origin_find(&from->from, fp, name);
    const origin *ours = origin_find(&into->from, fp, name);
    if (ours) {
        at__verbose("profile: workload '%s' of machine %s: %s wins over %s",
                    name, fp, ours->files, theirs ? theirs->files : "?");
        return AT_OK;
    }
    at_status s = copy_workload(into->profile, fp, wp, err);
    return s == AT_OK && theirs
               ? origin_note(&into->from, fp, name, theirs->files, err)
               : s;
}

/* A machine of a later source: its identity and costs when the earlier
 * sources have none, and each workload they lack. */
static at_status overlay_machine(layer *into, const layer *from,
                                 const at_machine_profile *mp, at_error *err)
{
    const at_machine *m = at_machine_profile_machine(mp);
    const at_machine_profile *have =
        at_profile_find_machine(into->profile, m->fingerprint);
    const at_machine_costs *costs = at_machine_profile_costs(mp);
    int need_costs = costs && !at_machine_profile_costs(have);
    size_t n = at_machine_profile_workload_count(mp);
    at_status s =
        have ? AT_OK : at_profile_add_machine(into->profile, m, err);
    if (s == AT_OK && need_costs)
        s = at_profile_set_costs(into->profile, m->fingerprint, costs, err);
    for (size_t w = 0; s == AT_OK && w < n; w++)
        s = overlay_workload(into, from, m->fingerprint,
                             at_machine_profile_workload_at(mp, w), err);
    return s;
}

static at_status overlay(layer *into, const layer *from, at_error *err)
{
    at_status s = AT_OK;
    for (size_t i = 0;
         s == AT_OK && i < at_profile_machine_count(from->profile); i++)
        s = overlay_machine(into, from,
                            at_profile_machine_at(from->profile, i), err);
    return s;
}

at_status at_profile_files_load(at_profile_files *files, at_profile **out,
                                at_error *err)
{
    AT_REQUIRE(files, err);
    AT_REQUIRE(out, err);
    layer all = {NULL, {0, NULL}}, next = {NULL, {0, NULL}};
    at_status s = AT_OK;
    for (size_t i = 0; s == AT_OK && i < files->n_files;) {
        s = load_source(files, i, &i, all.profile ? &next : &all, err);
        if (s == AT_OK && next.profile)
            s = overlay(&all, &next, err);
        layer_clear(&next);
    }
    if (s == AT_OK && !all.profile)
        s = at_profile_new(&all.profile, err);
    if (s != AT_OK) {
        layer_clear(&all);
        return s;
    }
    origins_clear(&files->from);
    files->from = all.from;
    *out = all.profile;
    return AT_OK;
}
