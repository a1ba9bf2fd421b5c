/*
 * buffer.h - private to libautotune: the registry of shared buffers
 * (buffer.c) behind at_buffer_alloc. A leaf: the pool asks it whether a
 * job's data is already shared memory, the process backend whether a
 * buffer a worker has mapped still exists; it asks nothing back.
 */
#ifndef AT_BUFFER_H
#define AT_BUFFER_H

#include "internal.h"

#include <stddef.h>

typedef struct at__shared {
    long id; /* never reused, so a stale id is recognisably dead */
    char *ptr;
    size_t size;
    int fd; /* memfd, passed to process workers */
} at__shared;

/* The shared buffer holding [p, p + len), copied into *out; 0 if found. */
int at__buffer_find(const void *p, size_t len, at__shared *out);
/* 1 while the buffer with this id exists. */
int at__buffer_live(long id);

#endif /* AT_BUFFER_H */
