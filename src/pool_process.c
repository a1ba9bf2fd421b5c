/* pool_process.c - forked worker processes.
 *
 * Each worker is connected to the parent by a socketpair. The parent sends
 * a job description once, then one chunk at a time to each idle worker
 * (dynamic balancing; with one chunk in flight per worker neither side can
 * block writing while the other does). With the pipe transport a chunk
 * carries its input bytes and the reply its output bytes; with shm both
 * sides address the same memfd pages and a message is a range (a worker
 * maps each buffer once, and answers that it did).
 *
 * A worker that dies (EOF), a task that fails, or a chunk past its
 * deadline ends the job with an error naming the worker and the tasks; the
 * worker is killed if need be, reaped and replaced, and the others finish
 * their chunks so every socket is back in step for the next job. A worker
 * that cannot go on (a shared buffer it cannot map, memory it cannot get)
 * says why (MSG_FAIL) before it exits, so the error can say it too.
 *
 * No fork happens while the BLAS's threads run: see "forking" below.
 *
 * The pool reaches all of this through one record, at__process_backend
 * (pool.h); the file uses the job layout (job.c) and the buffer registry
 * (buffer.c) and calls nothing in pool.c. */
#include "config.h"

#include "pool.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum {
    MSG_MAP = 1,
    MSG_UNMAP,
    MSG_JOB,
    MSG_CHUNK,
    MSG_DONE,
    MSG_QUIT,
    MSG_MAPPED, /* worker to parent: the answer to MAP */
    MSG_FAIL    /* worker to parent: why it exits */
};

typedef struct msg {
    int32_t type;
    int32_t status; /* DONE: 0, or the failing task's return code;
                       FAIL: the errno, or 0 */
    int64_t a, b;   /* MAP: id, size; CHUNK/DONE: first task, count;
                       FAIL: what failed (a worker_failure), bytes */
    int64_t c;      /* DONE: the failing task, or -1 */
    double seconds; /* DONE: time in task functions */
} msg;

/* What a worker could not do, in MSG_FAIL; the text completes "worker 0
 * (pid 42) ...". It then exits with 80 + the number (a parent that
 * missed the message still sees which). */
typedef enum worker_failure {
    FAIL_RECEIVE = 1, /* the descriptor of a shared buffer */
    FAIL_MAP,         /* mmap of a shared buffer */
    FAIL_MAPS,        /* one shared buffer more than MAX_MAPPED */
    FAIL_MEMORY       /* a private buffer for a chunk's data */
} worker_failure;

static const char *const failure_text[] = {
    [FAIL_RECEIVE] = "could not receive a shared buffer",
    [FAIL_MAP] = "could not map a shared buffer of",
    [FAIL_MAPS] = "has too many shared buffers mapped",
    [FAIL_MEMORY] = "could not allocate a chunk buffer of",
};

/* What a worker needs to know about a job. Function pointers are valid in
 * the worker because it is a fork of the parent. */
typedef struct job_wire {
    at_job job; /* pointer fields other than item/span are rewritten */
    int64_t tasks;
    int32_t copies; /* 1: data travels in messages (pipe) */
    int64_t in_id, in_off, out_id, out_off;
} job_wire;

#define MAX_MAPPED 64

typedef struct worker {
    pid_t pid;
    int sock;
    int busy;
    long first, n; /* the chunk in flight */
    double started;
    double compute;
    long mapped[MAX_MAPPED]; /* shared buffers this worker has mapped */
    int n_mapped;
    int acks; /* MAPPED answers it owes */
} worker;

typedef struct process_pool {
    int n;
    worker *w;
} process_pool;

/* ---------------------------------------------------------- plain I/O */

static int write_full(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t k = send(fd, p, len, MSG_NOSIGNAL);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        p += k;
        len -= (size_t)k;
    }
    return 0;
}

/* 0 on success, -1 on EOF or error. */
static int read_full(int fd, void *buf, size_t len)
{
    char *p = buf;
    while (len > 0) {
        ssize_t k = read(fd, p, len);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        p += k;
        len -= (size_t)k;
    }
    return 0;
}

/* The header of a message carrying one descriptor, which both ends set
 * up alike; the union aligns the control buffer for its cmsghdr. */
typedef struct fd_header {
    struct iovec iov;
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } control;
    struct msghdr mh;
} fd_header;

static void fd_header_init(fd_header *h, msg *m)
{
    memset(h, 0, sizeof *h);
    h->iov.iov_base = m;
    h->iov.iov_len = sizeof *m;
    h->mh.msg_iov = &h->iov;
    h->mh.msg_iovlen = 1;
    h->mh.msg_control = h->control.buf;
    h->mh.msg_controllen = sizeof h->control.buf;
}

static int send_fd(int sock, const msg *m, int fd)
{
    fd_header h;
    fd_header_init(&h, (msg *)m); /* sendmsg only reads it */
    struct cmsghdr *c = CMSG_FIRSTHDR(&h.mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof fd);
    ssize_t k;
    do
        k = sendmsg(sock, &h.mh, MSG_NOSIGNAL);
    while (k < 0 && errno == EINTR);
    return k == (ssize_t)sizeof *m ? 0 : -1;
}

static int recv_fd(int sock, msg *m)
{
    fd_header h;
    fd_header_init(&h, m);
    ssize_t k;
    do
        k = recvmsg(sock, &h.mh, MSG_CMSG_CLOEXEC);
    while (k < 0 && errno == EINTR);
    struct cmsghdr *c = CMSG_FIRSTHDR(&h.mh);
    if (k != (ssize_t)sizeof *m || !c || c->cmsg_type != SCM_RIGHTS)
        return -1;
    int fd;
    memcpy(&fd, CMSG_DATA(c), sizeof fd);
    return fd;
}

/* -------------------------------------------------------- the worker side */

typedef struct mapping {
    long id;
    char *ptr;
    size_t size;
} mapping;

typedef struct worker_state {
    int sock;
    mapping maps[MAX_MAPPED];
    int n_maps;
    job_wire job;
    char arg[AT_MAX_ARG_BYTES];
    char *in, *out; /* pipe: private buffers */
    size_t in_cap, out_cap;
} worker_state;

static char *mapped_at(worker_state *ws, long id, long off)
{
    for (int i = 0; i < ws->n_maps; i++)
        if (ws->maps[i].id == id)
            return ws->maps[i].ptr + off;
    return NULL;
}

/* Tells the parent why this worker cannot go on, and exits. */
static void worker_fail(int sock, worker_failure what, size_t bytes,
                        int errnum)
{
    msg m = {MSG_FAIL, errnum, what, (int64_t)bytes, -1, 0};
    write_full(sock, &m, sizeof m);
    _exit(80 + (int)what);
}

static void worker_map(worker_state *ws, int sock)
{
    msg m;
    errno = 0;
    int fd = recv_fd(sock, &m);
    if (fd < 0)
        worker_fail(sock, FAIL_RECEIVE, 0, errno);
    if (ws->n_maps == MAX_MAPPED)
        worker_fail(sock, FAIL_MAPS, 0, 0);
    void *p =
        mmap(NULL, (size_t)m.b, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    int errnum = errno;
    close(fd);
    if (p == MAP_FAILED)
        worker_fail(sock, FAIL_MAP, (size_t)m.b, errnum);
    ws->maps[ws->n_maps++] = (mapping){(long)m.a, p, (size_t)m.b};
    msg done = {MSG_MAPPED, 0, m.a, 0, -1, 0};
    if (write_full(sock, &done, sizeof done))
        _exit(0); /* the parent is gone */
}

static void worker_unmap(worker_state *ws, long id)
{
    for (int i = 0; i < ws->n_maps; i++)
        if (ws->maps[i].id == id) {
            munmap(ws->maps[i].ptr, ws->maps[i].size);
            ws->maps[i] = ws->maps[--ws->n_maps];
            return;
        }
}

static void worker_chunk(worker_state *ws, const msg *m)
{
    at_job *job = &ws->job.job;
    long lo, hi;
    at__task_units(job, ws->job.tasks, m->a, m->b, &lo, &hi);
    size_t in_len = (size_t)(hi - lo) * job->in_bytes;
    size_t out_len = (size_t)(hi - lo) * job->out_bytes;
    const char *in;
    char *out;
    if (ws->job.copies) {
        if (at__grow(&ws->in, &ws->in_cap, in_len))
            worker_fail(ws->sock, FAIL_MEMORY, in_len, ENOMEM);
        if (at__grow(&ws->out, &ws->out_cap, out_len))
            worker_fail(ws->sock, FAIL_MEMORY, out_len, ENOMEM);
        if (read_full(ws->sock, ws->in, in_len))
            _exit(72);
        in = ws->in;
        out = ws->out;
    } else {
        in = mapped_at(ws, ws->job.in_id, ws->job.in_off) +
             (size_t)lo * job->in_bytes;
        out = mapped_at(ws, ws->job.out_id, ws->job.out_off) +
              (size_t)lo * job->out_bytes;
    }
    msg done = {MSG_DONE, 0, m->a, m->b, -1, 0};
    int rc = 0;
    double t0 = at__now();
    long bad = at__run_tasks(job, ws->job.tasks, m->a, m->b, in, out, &rc);
    done.seconds = at__now() - t0;
    if (bad >= 0) {
        done.status = rc;
        done.c = bad;
    }
    if (write_full(ws->sock, &done, sizeof done) ||
        (bad < 0 && ws->job.copies && write_full(ws->sock, out, out_len)))
        _exit(73);
}

static void worker_loop(int sock)
{
    static worker_state ws;
    ws.sock = sock;
    for (;;) {
        msg m;
        /* MAP carries a descriptor: peek at the type first */
        if (recv(sock, &m, sizeof m, MSG_PEEK | MSG_WAITALL) !=
            (ssize_t)sizeof m)
            _exit(0); /* the parent is gone */
        if (m.type == MSG_MAP) {
            worker_map(&ws, sock);
            continue;
        }
        if (read_full(sock, &m, sizeof m))
            _exit(0);
        switch (m.type) {
        case MSG_UNMAP: worker_unmap(&ws, (long)m.a); break;
        case MSG_JOB:
            if (read_full(sock, &ws.job, sizeof ws.job) ||
                read_full(sock, ws.arg, ws.job.job.arg_bytes))
                _exit(74);
            ws.job.job.arg = ws.arg;
            break;
        case MSG_CHUNK: worker_chunk(&ws, &m); break;
        default: _exit(0); /* MSG_QUIT */
        }
    }
}

/* In the child: die with the parent, leave Ctrl-C to it, take our CPUs
 * and BLAS threads, then serve. */
static void worker_main(const at_pool *pool, int index, int sock,
                        pid_t parent)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(0);
    signal(SIGINT, SIG_IGN);
    signal(SIGTERM, SIG_DFL);
    if (pool->config.pin == AT_PIN_CORES) {
        cpu_set_t set;
        at__worker_cpus(index, pool->config.blas_threads, &set);
        sched_setaffinity(0, sizeof set, &set);
    }
    at_blas_set_threads(pool->config.blas_threads, NULL);
    worker_loop(sock);
}

/* ------------------------------------------------------------- forking */

/* OpenBLAS ends its threads before every fork (its pthread_atfork handler,
 * blas_thread_shutdown_, wakes and joins them all), and fork() waits for
 * that. A thread that never returns makes fork wait for ever, deaf to
 * every signal, and OpenBLAS retries a buffer it cannot map without end:
 * under a small address-space limit (ulimit -v) the threads it starts at
 * load never return. So the pool ends them itself before forking, from a
 * helper thread it waits for at most BLAS_STOP_SECONDS: then the handler
 * finds none to wait for, or, if they did not stop, no fork is tried and
 * the pool says why. Idle threads stop in well under a millisecond, and
 * the BLAS starts them again at its next call, as after its own handler.
 * (Lowering the parent to one BLAS thread would not do: OpenBLAS never
 * ends a thread it started, and its handler joins every one.) A stop that
 * ran out of time goes on in its helper, and until it ends every fork is
 * refused at once. */
enum { BLAS_STOP_SECONDS = 2, STOP_STACK = 256 * 1024 };

static pthread_mutex_t stop_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t stop_done; /* on the monotonic clock: stop_init */
static pthread_once_t stop_once = PTHREAD_ONCE_INIT;
static int stop_running;          /* a helper is ending the BLAS threads */
static struct timespec stop_till; /* and is given until then */
static pthread_t stop_thread;     /* the helper, */
static int stop_unjoined;         /* not joined yet */

static void stop_cond_init(void)
{
    pthread_condattr_t a;
    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    pthread_cond_init(&stop_done, &a);
    pthread_condattr_destroy(&a);
}

/* A child of a fork (the pool's or the program's) has no helper, and no
 * thread holds or waits on what the parent's did. */
static void stop_reset_in_child(void)
{
    pthread_mutex_init(&stop_mu, NULL);
    stop_cond_init();
    stop_running = 0;
    stop_unjoined = 0;
}

static void stop_init(void)
{
    stop_cond_init();
    pthread_atfork(NULL, NULL, stop_reset_in_child);
}

static void *stop_helper(void *unused)
{
    (void)unused;
    at__blas_stop_threads();
    pthread_mutex_lock(&stop_mu);
    stop_running = 0;
    pthread_cond_broadcast(&stop_done);
    pthread_mutex_unlock(&stop_mu);
    return NULL;
}

/* With stop_mu held: starts the helper on a small stack (memory may be
 * what is short) unless that cannot hold the process's thread-local
 * storage (EINVAL), then on the default. 0 or an errno. */
static int start_stop_helper(void)
{
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setstacksize(&a, STOP_STACK);
    int rc = pthread_create(&stop_thread, &a, stop_helper, NULL);
    pthread_attr_destroy(&a);
    if (rc == EINVAL)
        rc = pthread_create(&stop_thread, NULL, stop_helper, NULL);
    stop_running = stop_unjoined = rc == 0;
    return rc;
}

/* With stop_mu held: a helper that is done is joined before any fork. A
 * thread that has signalled but is still exiting may hold a lock of the
 * allocator (AddressSanitizer's, which has no fork handler, freeing the
 * thread's memory): a child forked then waits on that lock for ever, its
 * parent on the child. One that ran out of time stays unjoined until it
 * is done (no fork is tried meanwhile). */
static void join_stop_helper(void)
{
    if (!stop_running && stop_unjoined) {
        pthread_join(stop_thread, NULL);
        stop_unjoined = 0;
    }
}

/* AT_OK once no BLAS thread runs, so that fork() cannot wait on one. A
 * helper already at it (another thread's pool) is waited for until its
 * own time is up: at once for one that ran out of it. */
static at_status stop_blas_threads(at_error *err)
{
    int rc = 0;
    pthread_once(&stop_once, stop_init);
    pthread_mutex_lock(&stop_mu);
    join_stop_helper(); /* one that ran out of time and has since ended */
    if (!stop_running) {
        clock_gettime(CLOCK_MONOTONIC, &stop_till);
        stop_till.tv_sec += BLAS_STOP_SECONDS;
        rc = start_stop_helper();
    }
    while (stop_running && rc == 0)
        rc = pthread_cond_timedwait(&stop_done, &stop_mu, &stop_till);
    int stuck = stop_running;
    join_stop_helper();
    pthread_mutex_unlock(&stop_mu);
    if (stuck)
        return at__fail(err, AT_ERR_SYSTEM,
                        "the BLAS threads of this process did not stop "
                        "within %d s, so no worker can be forked (OpenBLAS "
                        "retries a memory map it cannot get for ever: is "
                        "the address space limited, ulimit -v?)",
                        BLAS_STOP_SECONDS);
    if (rc != 0 && rc != ETIMEDOUT)
        return at__fail(err, AT_ERR_SYSTEM,
                        "cannot start a thread to stop the BLAS threads "
                        "before forking: %s",
                        strerror(rc));
    return AT_OK;
}

/* -------------------------------------------------------- the parent side */

/* Forks worker `index`; the caller has stopped the BLAS threads. */
static at_status fork_worker(at_pool *pool, int index, at_error *err)
{
    process_pool *pp = pool->impl;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
        return at__fail(err, AT_ERR_SYSTEM, "socketpair: %s",
                        strerror(errno));
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        int errnum = errno;
        close(sv[0]);
        close(sv[1]);
        return at__fail(err, AT_ERR_SYSTEM, "cannot fork worker %d: %s",
                        index, strerror(errnum));
    }
    if (pid == 0) {
        close(sv[0]);
        for (int i = 0; i < pp->n; i++) /* siblings' sockets are not ours */
            if (pp->w[i].sock >= 0)
                close(pp->w[i].sock);
        worker_main(pool, index, sv[1], parent);
        _exit(0);
    }
    close(sv[1]);
    pp->w[index] = (worker){pid, sv[0], 0, 0, 0, 0, 0, {0}, 0, 0};
    return AT_OK;
}

/* Forks one worker, the BLAS threads stopped first. */
static at_status spawn(at_pool *pool, int index, at_error *err)
{
    at_status s = stop_blas_threads(err);
    return s != AT_OK ? s : fork_worker(pool, index, err);
}

/* "was killed by signal 9 (Killed)" / "exited with status 3" */
static void describe_exit(int status, char *buf, size_t size)
{
    if (WIFSIGNALED(status))
        snprintf(buf, size, "was killed by signal %d (%s)", WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
    else if (WIFEXITED(status))
        snprintf(buf, size, "exited with status %d", WEXITSTATUS(status));
    else
        snprintf(buf, size, "stopped");
}

/* Reaps worker i, killing it if it is still running, then starts a new
 * one. With `why`, a worker found dead gets 100 ms to become reapable (its
 * socket closes while it is still being torn down) so the message can say
 * how it died. */
static void replace(at_pool *pool, int i, char *why, size_t why_size)
{
    process_pool *pp = pool->impl;
    worker *w = &pp->w[i];
    int status = 0;
    pid_t got = 0;
    close(w->sock);
    w->sock = -1;
    for (int tries = 0; why && got == 0 && tries < 100; tries++) {
        got = waitpid(w->pid, &status, WNOHANG);
        if (got == 0)
            usleep(1000);
    }
    if (got == 0) {
        kill(w->pid, SIGKILL);
        waitpid(w->pid, &status, 0);
    } else if (got > 0 && why)
        describe_exit(status, why, why_size);
    if (spawn(pool, i, NULL) != AT_OK)
        w->pid = -1; /* a later job reports it */
}

/* Sends UNMAP for buffers gone since, MAP for those the job needs. Each
 * MAP is answered (MAPPED, or the FAIL of a worker that cannot map it);
 * the answers are read with the replies and by the end of the job
 * (collect_answers), so that such a worker is lost in the job that needed
 * the buffer, not in a later one, and nobody waits for them meanwhile. */
static int sync_mappings(worker *w, const at__job_view *v)
{
    for (int k = 0; k < w->n_mapped;) {
        if (at__buffer_live(w->mapped[k])) {
            k++;
            continue;
        }
        msg m = {MSG_UNMAP, 0, w->mapped[k], 0, 0, 0};
        if (write_full(w->sock, &m, sizeof m))
            return -1;
        w->mapped[k] = w->mapped[--w->n_mapped];
    }
    const at__shared *need[2] = {&v->in_buf, &v->out_buf};
    for (int j = 0; j < 2; j++) {
        int have = need[j]->id < 0;
        for (int k = 0; k < w->n_mapped && !have; k++)
            have = w->mapped[k] == need[j]->id;
        if (have)
            continue;
        if (w->n_mapped == MAX_MAPPED)
            return -1;
        msg m = {MSG_MAP, 0, need[j]->id, (int64_t)need[j]->size, 0, 0};
        if (send_fd(w->sock, &m, need[j]->fd))
            return -1;
        w->mapped[w->n_mapped++] = need[j]->id;
        w->acks++;
    }
    return 0;
}

static int send_job(at_pool *pool, worker *w, const at__job_view *v)
{
    job_wire jw;
    memset(&jw, 0, sizeof jw);
    jw.job = *v->job;
    jw.job.in = jw.job.out = NULL;
    jw.job.arg = NULL;
    jw.tasks = v->tasks;
    jw.copies = POOL_COPIES(pool);
    jw.in_id = v->in_buf.id;
    jw.out_id = v->out_buf.id;
    jw.in_off = v->in_buf.id >= 0 ? v->in - v->in_buf.ptr : 0;
    jw.out_off = v->out_buf.id >= 0 ? v->out - v->out_buf.ptr : 0;
    msg m = {MSG_JOB, 0, 0, 0, 0, 0};
    if (!jw.copies && sync_mappings(w, v))
        return -1;
    return write_full(w->sock, &m, sizeof m) ||
           write_full(w->sock, &jw, sizeof jw) ||
           write_full(w->sock, v->job->arg, v->job->arg_bytes);
}

/* The state of one job on the parent side. */
typedef struct run_state {
    at_pool *pool;
    const at__job_view *v;
    at_job_stats *st;
    long next, done;
    at_status status; /* the first failure */
    at_error *err;
} run_state;

/* A worker's MSG_FAIL as the end of a sentence about it: "could not map
 * a shared buffer of 268.4 MB (Cannot allocate memory)". */
static void describe_failure(const msg *m, char *buf, size_t size)
{
    char bytes[32] = "", cause[96] = "";
    int known = m->a >= FAIL_RECEIVE && m->a <= FAIL_MEMORY;
    if (m->b > 0)
        snprintf(bytes, sizeof bytes, " %.1f MB", (double)m->b / 1e6);
    if (m->status > 0)
        snprintf(cause, sizeof cause, " (%s)", strerror(m->status));
    snprintf(buf, size, "%s%s%s",
             known ? failure_text[m->a] : "gave up for a reason unknown",
             bytes, cause);
}

/* Worker i is lost. Why: what it said (`said`, else a MSG_FAIL waiting on
 * its socket), else how it ended, else `fallback`. The job fails naming
 * the worker and the chunk it held, and the worker is replaced. */
static void lost_worker(run_state *rs, int i, const msg *said,
                        const char *fallback)
{
    process_pool *pp = rs->pool->impl;
    worker *w = &pp->w[i];
    char why[160], tasks[64], what[96] = "";
    msg pending;
    if (!said &&
        recv(w->sock, &pending, sizeof pending, MSG_DONTWAIT) ==
            (ssize_t)sizeof pending &&
        pending.type == MSG_FAIL)
        said = &pending;
    if (said)
        describe_failure(said, why, sizeof why);
    else
        snprintf(why, sizeof why, "%s", fallback);
    if (w->busy) {
        at__describe_tasks(rs->v->job, w->first, w->n, tasks, sizeof tasks);
        snprintf(what, sizeof what, " while running %s", tasks);
    }
    pid_t pid = w->pid;
    replace(rs->pool, i, said ? NULL : why, sizeof why);
    at__fail_first(&rs->status, rs->err, AT_ERR_WORKER,
                   "worker %d (pid %d) %s%s", i, (int)pid, why, what);
    w->busy = 0;
    rs->done++;
}

static void send_chunk(run_state *rs, int i)
{
    process_pool *pp = rs->pool->impl;
    worker *w = &pp->w[i];
    const at__job_view *v = rs->v;
    long first, n, lo, hi;
    at__chunk_tasks(v, rs->next++, &first, &n);
    at__task_units(v->job, v->tasks, first, n, &lo, &hi);
    msg m = {MSG_CHUNK, 0, first, n, 0, 0};
    w->busy = 1;
    w->first = first;
    w->n = n;
    w->started = at__now();
    int bad = write_full(w->sock, &m, sizeof m);
    if (!bad && POOL_COPIES(rs->pool)) {
        size_t len = (size_t)(hi - lo) * v->job->in_bytes;
        double t0 = at__now();
        bad = write_full(w->sock, v->in + (size_t)lo * v->job->in_bytes, len);
        rs->st->transfer += at__now() - t0;
        rs->st->bytes_copied += (double)len;
    }
    rs->st->messages++;
    if (bad)
        lost_worker(rs, i, NULL, "closed its connection");
}

static void receive(run_state *rs, int i)
{
    process_pool *pp = rs->pool->impl;
    worker *w = &pp->w[i];
    const at_job *job = rs->v->job;
    msg m;
    int got = read_full(w->sock, &m, sizeof m) == 0;
    if (got && m.type == MSG_MAPPED && w->acks > 0) {
        w->acks--; /* the chunk's reply follows */
        return;
    }
    if (!got || m.type != MSG_DONE) {
        lost_worker(rs, i, got && m.type == MSG_FAIL ? &m : NULL,
                    "closed its connection");
        return;
    }
    w->compute += m.seconds;
    rs->st->compute += m.seconds;
    if (m.status == 0 && POOL_COPIES(rs->pool)) {
        long lo, hi;
        at__task_units(job, rs->v->tasks, w->first, w->n, &lo, &hi);
        size_t len = (size_t)(hi - lo) * job->out_bytes;
        double t0 = at__now();
        int bad =
            read_full(w->sock, rs->v->out + (size_t)lo * job->out_bytes, len);
        rs->st->transfer += at__now() - t0;
        rs->st->bytes_copied += (double)len;
        if (bad) {
            lost_worker(rs, i, NULL, "closed its connection");
            return;
        }
    }
    w->busy = 0;
    rs->done++;
    if (m.status != 0) {
        char what[64];
        at__describe_tasks(job, (long)m.c, 1, what, sizeof what);
        at__fail_first(&rs->status, rs->err, AT_ERR_WORKER,
                       "%s failed in worker %d (pid %d): task returned %d",
                       what, i, (int)w->pid, m.status);
    }
}

/* Kills workers whose chunk is past the deadline; returns the poll
 * timeout (ms) until the next deadline, -1 for none. */
static int enforce_deadlines(run_state *rs)
{
    process_pool *pp = rs->pool->impl;
    double deadline = rs->v->job->deadline, now = at__now(), next = -1;
    if (deadline <= 0)
        return -1;
    for (int i = 0; i < pp->n; i++) {
        worker *w = &pp->w[i];
        if (!w->busy)
            continue;
        double left = w->started + deadline - now;
        if (left > 0) {
            next = next < 0 || left < next ? left : next;
            continue;
        }
        char what[64];
        pid_t pid = w->pid;
        at__describe_tasks(rs->v->job, w->first, w->n, what, sizeof what);
        replace(rs->pool, i, NULL, 0);
        at__fail_first(
            &rs->status, rs->err, AT_ERR_TIMEOUT,
            "worker %d (pid %d) ran %s past the %g s deadline; killed "
            "and replaced",
            i, (int)pid, what, deadline);
        w->busy = 0;
        rs->done++;
    }
    return next < 0 ? -1 : (int)(next * 1000) + 1;
}

/* On cancel, busy workers are killed and replaced: their chunks are not
 * worth finishing. */
static void cancel_all(run_state *rs)
{
    process_pool *pp = rs->pool->impl;
    for (int i = 0; i < pp->n; i++)
        if (pp->w[i].busy) {
            replace(rs->pool, i, NULL, 0);
            pp->w[i].busy = 0;
            rs->done++;
        }
    at__fail_first(&rs->status, rs->err, AT_ERR_CANCELLED, "job cancelled");
}

static void wait_for_replies(run_state *rs)
{
    process_pool *pp = rs->pool->impl;
    struct pollfd fds[AT_MAX_WORKERS];
    int who[AT_MAX_WORKERS], n = 0;
    int timeout = enforce_deadlines(rs);
    if (rs->pool->cancelled) {
        cancel_all(rs);
        return;
    }
    for (int i = 0; i < pp->n; i++)
        if (pp->w[i].busy) {
            fds[n] = (struct pollfd){pp->w[i].sock, POLLIN, 0};
            who[n++] = i;
        }
    if (n == 0)
        return;
    /* wake at least every 100 ms to notice at_pool_cancel() */
    if (timeout < 0 || timeout > 100)
        timeout = 100;
    int ready = poll(fds, (nfds_t)n, timeout);
    for (int k = 0; ready > 0 && k < n; k++)
        if (fds[k].revents)
            receive(rs, who[k]);
}

/* The MAP answers still owed, from workers that ran no chunk after their
 * MAP (fewer chunks than workers, or a job that stopped early). */
static void collect_answers(run_state *rs)
{
    process_pool *pp = rs->pool->impl;
    for (int i = 0; i < pp->n; i++)
        while (pp->w[i].pid > 0 && pp->w[i].acks > 0) {
            msg m;
            int got = read_full(pp->w[i].sock, &m, sizeof m) == 0;
            if (got && m.type == MSG_MAPPED) {
                pp->w[i].acks--;
                continue;
            }
            lost_worker(rs, i, got && m.type == MSG_FAIL ? &m : NULL,
                        "closed its connection");
        }
}

static at_status process_run(at_pool *pool, const at__job_view *v,
                             at_job_stats *st, at_error *err)
{
    process_pool *pp = pool->impl;
    run_state rs = {pool, v, st, 0, 0, AT_OK, err};
    for (int i = 0; i < pp->n; i++) {
        at_status s;
        if (pp->w[i].pid < 0 && (s = spawn(pool, i, err)) != AT_OK)
            return s;
        if (send_job(pool, &pp->w[i], v))
            lost_worker(&rs, i, NULL, "closed its connection");
    }
    rs.done = 0; /* losses while sending the job held no chunk */
    for (int i = 0; i < pp->n; i++)
        pp->w[i].compute = 0;
    while (rs.done < v->chunks) {
        for (int i = 0; i < pp->n && rs.status == AT_OK; i++)
            if (!pp->w[i].busy && rs.next < v->chunks)
                send_chunk(&rs, i);
        if (rs.status != AT_OK && rs.next < v->chunks) {
            rs.done += v->chunks - rs.next; /* not sent: finish draining */
            rs.next = v->chunks;
        }
        wait_for_replies(&rs);
    }
    collect_answers(&rs);
    for (int i = 0; i < pp->n; i++)
        if (pp->w[i].compute > st->compute_max)
            st->compute_max = pp->w[i].compute;
    return rs.status;
}

static void process_destroy(at_pool *pool)
{
    process_pool *pp = pool->impl;
    if (!pp)
        return;
    for (int i = 0; i < pp->n; i++) {
        worker *w = &pp->w[i];
        if (w->pid <= 0)
            continue;
        msg m = {MSG_QUIT, 0, 0, 0, 0, 0};
        write_full(w->sock, &m, sizeof m);
        close(w->sock);
    }
    for (int i = 0; i < pp->n; i++) {
        worker *w = &pp->w[i];
        if (w->pid <= 0)
            continue;
        /* a worker stuck in a task gets 1 s, then is killed */
        int status;
        for (int tries = 0; tries < 100; tries++) {
            if (waitpid(w->pid, &status, WNOHANG) != 0)
                goto reaped;
            usleep(10000);
        }
        kill(w->pid, SIGKILL);
        waitpid(w->pid, &status, 0);
    reaped:;
    }
    free(pp->w);
    free(pp);
}

static at_status process_start(at_pool *pool, at_error *err)
{
    process_pool *pp = calloc(1, sizeof *pp);
    int n = pool->config.workers;
    if (!pp || !(pp->w = calloc((size_t)n, sizeof *pp->w))) {
        free(pp);
        return at__fail(err, AT_ERR_NOMEM, "out of memory");
    }
    for (int i = 0; i < n; i++)
        pp->w[i] = (worker){-1, -1, 0, 0, 0, 0, 0, {0}, 0, 0};
    pp->n = n;
    pool->impl = pp;
    /* once for all: nothing here calls the BLAS between the forks */
    at_status s = stop_blas_threads(err);
    for (int i = 0; i < n && s == AT_OK; i++)
        s = fork_worker(pool, i, err);
    return s;
}

static int process_accepts(const at_config *config)
{
    return config->workers > 1 && config->mode == AT_MODE_PROCESS;
}

/* Forked workers see the caller's memory only as it was at the fork: shm
 * jobs need their data in shared buffers. */
const at__pool_backend at__process_backend = {
    .name = "process",
    .separate_memory = 1,
    .accepts = process_accepts,
    .start = process_start,
    .run = process_run,
    .destroy = process_destroy,
};
