/* machine.c - who are we running on: topology, usable CPUs, BLAS, and the
 * fingerprint that keys a machine in a profile. */
#include "config.h"

#include "internal.h"

#include <ctype.h>
#include <hwloc.h>
#include <inttypes.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

/* ------------------------------------------------------ cgroup CPU quota */

/* Reads a whole small file into buf; returns 0 on success. */
static int read_small_file(const char *path, char *buf, size_t size)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, size - 1, f);
    fclose(f);
    buf[n] = '\0';
    return 0;
}

static int ceil_div(long long a, long long b)
{
    return (int)((a + b - 1) / b);
}

/* cgroup v2: "max 100000" (no limit) or "150000 100000" (1.5 CPUs). */
static int v2_limit_in(const char *dir)
{
    char path[PATH_MAX], text[128];
    long long quota, period;
    snprintf(path, sizeof path, "%s/cpu.max", dir);
    if (read_small_file(path, text, sizeof text) != 0)
        return 0;
    if (sscanf(text, "%lld %lld", &quota, &period) != 2 || quota <= 0 ||
        period <= 0)
        return 0; /* "max" or unreadable: no limit here */
    return ceil_div(quota, period);
}

/* cgroup v1: cpu.cfs_quota_us is -1 when unlimited. */
static int v1_limit_in(const char *dir)
{
    char path[PATH_MAX], text[64];
    long long quota, period;
    snprintf(path, sizeof path, "%s/cpu.cfs_quota_us", dir);
    if (read_small_file(path, text, sizeof text) != 0 ||
        sscanf(text, "%lld", &quota) != 1 || quota <= 0)
        return 0;
    snprintf(path, sizeof path, "%s/cpu.cfs_period_us", dir);
    if (read_small_file(path, text, sizeof text) != 0 ||
        sscanf(text, "%lld", &period) != 1 || period <= 0)
        return 0;
    return ceil_div(quota, period);
}

/* The tightest limit on the way from mount/cgpath up to mount itself: a
 * quota set on an ancestor applies to every descendant. */
static int tightest_limit(const char *mount, const char *cgpath,
                          int (*limit_in)(const char *))
{
    char dir[PATH_MAX];
    int best = 0;
    snprintf(dir, sizeof dir, "%s%s", mount, cgpath);
    size_t floor = strlen(mount);
    for (;;) {
        int l = limit_in(dir);
        if (l > 0 && (best == 0 || l < best))
            best = l;
        char *slash = strrchr(dir, '/');
        if (!slash || (size_t)(slash - dir) < floor)
            break;
        *slash = '\0';
    }
    return best;
}

static int has_controller(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = list; (p = strstr(p, name)) != NULL; p += n)
        if ((p == list || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
            return 1;
    return 0;
}

static int min_positive(int a, int b)
{
    if (a <= 0)
        return b;
    if (b <= 0)
        return a;
    return a < b ? a : b;
}

int at__cgroup_cpu_limit(const char *root, const char *proc_cgroup)
{
    int limit = 0;
    char line[PATH_MAX + 64], mount[PATH_MAX];
    const char *p = proc_cgroup;
    while (p && *p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        if (len >= sizeof line)
            len = sizeof line - 1;
        memcpy(line, p, len);
        line[len] = '\0';
        p = nl ? nl + 1 : NULL;
        /* hierarchy-id:controllers:path */
        char *c1 = strchr(line, ':');
        char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (!c2)
            continue;
        *c1 = *c2 = '\0';
        const char *controllers = c1 + 1, *cgpath = c2 + 1;
        if (strcmp(cgpath, "/") == 0)
            cgpath = "";
        if (controllers[0] == '\0') { /* v2 unified hierarchy */
            snprintf(mount, sizeof mount, "%s", root);
            limit = min_positive(limit,
                                 tightest_limit(mount, cgpath, v2_limit_in));
            snprintf(mount, sizeof mount, "%s/unified", root);
            limit = min_positive(limit,
                                 tightest_limit(mount, cgpath, v2_limit_in));
        } else if (has_controller(controllers, "cpu")) {
            snprintf(mount, sizeof mount, "%s/cpu", root);
            limit = min_positive(limit,
                                 tightest_limit(mount, cgpath, v1_limit_in));
            snprintf(mount, sizeof mount, "%s/%s", root, controllers);
            limit = min_positive(limit,
                                 tightest_limit(mount, cgpath, v1_limit_in));
        }
    }
    return limit;
}

int at_usable_cpus(void)
{
    cpu_set_t set;
    int cpus = 1;
    if (sched_getaffinity(0, sizeof set, &set) == 0)
        cpus = CPU_COUNT(&set);
    else {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        cpus = n > 0 ? (int)n : 1;
    }
    char text[4096];
    if (read_small_file("/proc/self/cgroup", text, sizeof text) == 0) {
        int quota = at__cgroup_cpu_limit("/sys/fs/cgroup", text);
        if (quota > 0 && quota < cpus)
            cpus = quota;
    }
    return cpus > 0 ? cpus : 1;
}

/* ---------------------------------------------------------- fingerprint */

static uint64_t fnv1a(uint64_t h, const char *s)
{
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= UINT64_C(0x100000001b3);
    }
    return h;
}

void at_machine_fingerprint(at_machine *m)
{
    if (!m)
        return;
    /* The canonical texts of the identity fields; changing one changes
     * every fingerprint, so each carries its own version tag. */
    char cpu[768], text[1024];
    snprintf(cpu, sizeof cpu, "%s|%s|%d|%d|%d|%d|%ld|%ld|%ld", m->cpu_model,
             m->arch, m->usable_cpus, m->cores, m->sockets, m->numa_nodes,
             m->l1d_kb, m->l2_kb, m->l3_kb);
    snprintf(text, sizeof text, "autotune-fingerprint-1|%s|%s|%s|%s|%s", cpu,
             m->blas_vendor, m->blas_version, m->blas_corename,
             m->blas_threading);
    uint64_t h = fnv1a(UINT64_C(0xcbf29ce484222325), text);
    snprintf(m->fingerprint, sizeof m->fingerprint, "%016" PRIx64, h);
    snprintf(text, sizeof text, "autotune-hardware-1|%s", cpu);
    h = fnv1a(UINT64_C(0xcbf29ce484222325), text);
    snprintf(m->hardware, sizeof m->hardware, "%016" PRIx64, h);
}

/* ------------------------------------------------------------- topology */

static long cache_kb(hwloc_topology_t topo, hwloc_obj_type_t type)
{
    hwloc_obj_t obj = hwloc_get_obj_by_type(topo, type, 0);
    return obj && obj->attr ? (long)(obj->attr->cache.size / 1024) : 0;
}

static int count_or_one(hwloc_topology_t topo, hwloc_obj_type_t type)
{
    int n = hwloc_get_nbobjs_by_type(topo, type);
    return n > 0 ? n : 1;
}

/* Trims and collapses white space ("AMD  EPYC  " -> "AMD EPYC"). */
static void tidy(char *s)
{
    char *w = s;
    for (const char *r = s; *r; r++) {
        if (isspace((unsigned char)*r)) {
            if (w > s && w[-1] != ' ')
                *w++ = ' ';
        } else
            *w++ = *r;
    }
    if (w > s && w[-1] == ' ')
        w--;
    *w = '\0';
}

static void cpu_model_of(hwloc_topology_t topo, char *buf, size_t size)
{
    const char *model = NULL;
    hwloc_obj_t pkg = hwloc_get_obj_by_type(topo, HWLOC_OBJ_PACKAGE, 0);
    if (pkg)
        model = hwloc_obj_get_info_by_name(pkg, "CPUModel");
    if (!model)
        model =
            hwloc_obj_get_info_by_name(hwloc_get_root_obj(topo), "CPUModel");
    at__strlcpy(buf, model ? model : "unknown", size);
    tidy(buf);
}

static at_status read_topology(at_machine *m, at_error *err)
{
    hwloc_topology_t topo;
    if (hwloc_topology_init(&topo) != 0)
        return at__fail(err, AT_ERR_SYSTEM, "hwloc_topology_init failed");
    if (hwloc_topology_load(topo) != 0) {
        hwloc_topology_destroy(topo);
        return at__fail(err, AT_ERR_SYSTEM, "hwloc_topology_load failed");
    }
    cpu_model_of(topo, m->cpu_model, sizeof m->cpu_model);
    m->cores = count_or_one(topo, HWLOC_OBJ_CORE);
    m->sockets = count_or_one(topo, HWLOC_OBJ_PACKAGE);
    m->numa_nodes = count_or_one(topo, HWLOC_OBJ_NUMANODE);
    m->l1d_kb = cache_kb(topo, HWLOC_OBJ_L1CACHE);
    m->l2_kb = cache_kb(topo, HWLOC_OBJ_L2CACHE);
    m->l3_kb = cache_kb(topo, HWLOC_OBJ_L3CACHE);
    hwloc_topology_destroy(topo);
    return AT_OK;
}

at_status at_machine_detect(at_machine *out, at_error *err)
{
    AT_REQUIRE(out, err);
    at_machine m;
    memset(&m, 0, sizeof m);
    at_status s = read_topology(&m, err);
    if (s != AT_OK)
        return s;
    struct utsname u;
    at__strlcpy(m.arch, uname(&u) == 0 ? u.machine : "unknown",
                sizeof m.arch);
    if (gethostname(m.host, sizeof m.host) != 0)
        at__strlcpy(m.host, "unknown", sizeof m.host);
    m.host[sizeof m.host - 1] = '\0';
    m.usable_cpus = at_usable_cpus();
    at__blas_identify(&m);
    at_machine_fingerprint(&m);
    at__verbose("this machine: %s, %d usable CPUs, %s %s, fingerprint %s",
                m.cpu_model, m.usable_cpus, m.blas_vendor, m.blas_version,
                m.fingerprint);
    *out = m;
    return AT_OK;
}
