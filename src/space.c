/* space.c - the search space: every configuration worth measuring or
 * ranking for a job, with all the constraints in this one file. */
#include "config.h"

#include "internal.h"

typedef struct sink {
    at_config *out;
    size_t max, count;
} sink;

static void put(sink *s, const at_config *c)
{
    if (s->out && s->count < s->max)
        s->out[s->count] = *c;
    s->count++;
}

/* Chunk sizes: 1, 2, 4 ... up to ceil(tasks / workers), so no worker is
 * handed more than its share in one message. */
static void vary_chunk(sink *s, at_config c, long tasks)
{
    long limit = (tasks + c.workers - 1) / c.workers;
    for (long chunk = 1; chunk <= limit && chunk <= AT_MAX_CHUNK;
         chunk *= 2) {
        c.chunk_size = (int)chunk;
        put(s, &c);
    }
}

/* A vector of `size` elements in workers x 1, 2, 4 ... 64 partitions,
 * never more partitions than elements. */
static void vary_partitions(sink *s, at_config c, long size)
{
    long limit = size < AT_MAX_PARTITIONS ? size : AT_MAX_PARTITIONS;
    for (long m = 1; m <= 64 && c.workers * m <= limit; m *= 2) {
        c.partitions = (int)(c.workers * m);
        vary_chunk(s, c, c.partitions);
    }
}

/* Mode, transport and pinning for a pool of c.workers > 1. Thread workers
 * share memory, so their transport is always shm. */
static void vary_pool(sink *s, at_config c, at_workload_kind kind, long size,
                      long items)
{
    static const at_pin pins[] = {AT_PIN_NONE, AT_PIN_CORES};
    for (int p = 0; p < 2; p++) {
        c.pin = pins[p];
        for (int t = 0; t < 2; t++) {
            c.mode = AT_MODE_PROCESS;
            c.transport = t ? AT_TRANSPORT_SHM : AT_TRANSPORT_PIPE;
            if (kind == AT_KIND_BATCH) {
                vary_chunk(s, c, items);
                continue;
            }
            vary_partitions(s, c, size);
        }
        c.mode = AT_MODE_THREAD;
        c.transport = AT_TRANSPORT_SHM;
        if (kind == AT_KIND_BATCH)
            vary_chunk(s, c, items);
        else
            vary_partitions(s, c, size);
    }
}

/* One worker runs in the calling process: no messages, no transport;
 * only BLAS threads and pinning matter. */
static void vary_serial(sink *s, int threads)
{
    at_config c = {1, AT_MODE_PROCESS,  threads,    1,
                   1, AT_TRANSPORT_SHM, AT_PIN_NONE};
    put(s, &c);
    c.pin = AT_PIN_CORES;
    put(s, &c);
}

static void vary_workers(sink *s, at_workload_kind kind, long size,
                         long items, int workers, int threads)
{
    if (workers == 1) {
        vary_serial(s, threads);
        return;
    }
    if (workers > (kind == AT_KIND_BATCH ? items : size))
        return; /* idle workers: never better than fewer */
    at_config c = {workers, AT_MODE_PROCESS,   threads,    1,
                   1,       AT_TRANSPORT_PIPE, AT_PIN_NONE};
    vary_pool(s, c, kind, size, items);
}

size_t at_space_enumerate(at_workload_kind kind, long size, long items,
                          int cpus, int flags, at_config *out, size_t max)
{
    sink s = {out, max, 0};
    if (cpus < 1)
        cpus = 1;
    if (kind == AT_KIND_VECTOR)
        items = 1;
    for (int w = 1; w <= cpus; w++)
        for (int t = 1; w * t <= cpus; t++)
            vary_workers(&s, kind, size, items, w, t);
    if (flags & AT_SPACE_OVERSUBSCRIBE) {
        /* BLAS threads beyond the CPUs in one process; every worker with
         * all CPUs' threads (the naive pool's mistake); one worker more
         * than there are CPUs */
        vary_serial(&s, 2 * cpus);
        if (cpus > 1)
            vary_workers(&s, kind, size, items, cpus, cpus);
        vary_workers(&s, kind, size, items, cpus + 1, 1);
    }
    return s.count;
}
