/* buffer.c - shared memory for job buffers.
 *
 * Each buffer is a memfd mapped MAP_SHARED: process workers receive the
 * descriptor (SCM_RIGHTS) and map the same pages, so shm jobs copy
 * nothing. A memfd has no name, so nothing can be left behind in /dev/shm,
 * whatever happens to the process. A leaf of the executor: it knows
 * nothing of pools or jobs. */
#include "config.h"

#include "buffer.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static at__shared *registry;
static size_t registry_count, registry_cap;
static long next_id = 1;

static int registry_add(const at__shared *b)
{
    if (registry_count == registry_cap) {
        size_t cap = registry_cap ? 2 * registry_cap : 16;
        at__shared *grown = realloc(registry, cap * sizeof *grown);
        if (!grown)
            return -1;
        registry = grown;
        registry_cap = cap;
    }
    registry[registry_count++] = *b;
    return 0;
}

at_status at_buffer_alloc(size_t bytes, void **data, at_error *err)
{
    AT_REQUIRE(data, err);
    if (bytes == 0)
        return at__fail(err, AT_ERR_ARG, "a shared buffer needs bytes > 0");
    int fd = memfd_create("autotune", MFD_CLOEXEC);
    if (fd < 0)
        return at__fail(err, AT_ERR_SYSTEM, "memfd_create: %s",
                        strerror(errno));
    if (ftruncate(fd, (off_t)bytes) != 0) {
        close(fd);
        return at__fail(err, AT_ERR_NOMEM, "cannot size a %zu-byte buffer",
                        bytes);
    }
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
        close(fd);
        return at__fail(err, AT_ERR_NOMEM, "cannot map a %zu-byte buffer",
                        bytes);
    }
    pthread_mutex_lock(&registry_lock);
    at__shared b = {next_id++, p, bytes, fd};
    int rc = registry_add(&b);
    pthread_mutex_unlock(&registry_lock);
    if (rc != 0) {
        munmap(p, bytes);
        close(fd);
        return at__fail(err, AT_ERR_NOMEM, "out of memory");
    }
    *data = p;
    return AT_OK;
}

void at_buffer_free(void *data)
{
    if (!data)
        return;
    pthread_mutex_lock(&registry_lock);
    for (size_t i = 0; i < registry_count; i++)
        if (registry[i].ptr == data) {
            munmap(registry[i].ptr, registry[i].size);
            close(registry[i].fd);
            registry[i] = registry[--registry_count];
            break;
        }
    pthread_mutex_unlock(&registry_lock);
}

int at__buffer_find(const void *p, size_t len, at__shared *out)
{
    const char *c = p;
    int found = -1;
    pthread_mutex_lock(&registry_lock);
    for (size_t i = 0; i < registry_count && found; i++) {
        const at__shared *b = &registry[i];
        if (c >= b->ptr && c + len <= b->ptr + b->size) {
            *out = *b;
            found = 0;
        }
    }
    pthread_mutex_unlock(&registry_lock);
    return found;
}

int at__buffer_live(long id)
{
    int live = 0;
    pthread_mutex_lock(&registry_lock);
    for (size_t i = 0; i < registry_count && !live; i++)
        live = registry[i].id == id;
    pthread_mutex_unlock(&registry_lock);
    return live;
}
