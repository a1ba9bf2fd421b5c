/* fakeblas.c - a stand-in BLAS, built once per vendor and symbol
 * decoration as a loadable module, so the discovery of src/blas.c is
 * tested on every vendor of its table without having them installed (as
 * hwloc tests topologies it does not have). Each module counts threads in
 * a variable of its own and describes itself as its vendor does.
 *
 * -DFAKE_OPENBLAS, -DFAKE_BLIS, -DFAKE_MKL or -DFAKE_FLEXIBLAS picks the
 * vendor; FAKE_PREFIX and FAKE_SUFFIX decorate OpenBLAS's symbols as
 * pip's wheels do (scipy_openblas_set_num_threads64_). */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#ifndef FAKE_PREFIX
#define FAKE_PREFIX
#endif
#ifndef FAKE_SUFFIX
#define FAKE_SUFFIX
#endif
#define CAT3_(a, b, c) a##b##c
#define CAT3(a, b, c) CAT3_(a, b, c)
#define NAME(n) CAT3(FAKE_PREFIX, n, FAKE_SUFFIX)

/* These functions are the modules' interface: declared here to satisfy
 * -Wmissing-prototypes, called only through dlsym. */
static int threads = 7;

#if defined(FAKE_OPENBLAS)
int NAME(openblas_get_num_threads)(void);
void NAME(openblas_set_num_threads)(int n);
char *NAME(openblas_get_config)(void);
char *NAME(openblas_get_corename)(void);
int NAME(openblas_get_parallel)(void);
int NAME(openblas_get_num_threads)(void)
{
    return threads;
}
void NAME(openblas_set_num_threads)(int n)
{
    threads = n;
}
char *NAME(openblas_get_config)(void)
{
    static char cfg[] = "OpenBLAS 0.3.99.dev DYNAMIC_ARCH FakeCore "
                        "MAX_THREADS=32";
    return cfg;
}
char *NAME(openblas_get_corename)(void)
{
    static char core[] = "FakeCore";
    return core;
}
int NAME(openblas_get_parallel)(void)
{
    return 2;
}
#elif defined(FAKE_BLIS)
long long bli_thread_get_num_threads(void);
void bli_thread_set_num_threads(long long n);
char *bli_info_get_version_str(void);
int bli_info_get_enable_openmp(void);
int bli_info_get_enable_pthreads(void);
int bli_arch_query_id(void);
char *bli_arch_string(int id);
long long bli_thread_get_num_threads(void)
{
    return threads;
}
void bli_thread_set_num_threads(long long n)
{
    threads = (int)n;
}
char *bli_info_get_version_str(void)
{
    static char v[] = "0.9.0";
    return v;
}
int bli_info_get_enable_openmp(void)
{
    return 0;
}
int bli_info_get_enable_pthreads(void)
{
    return 1;
}
int bli_arch_query_id(void)
{
    return 3;
}
char *bli_arch_string(int id)
{
    static char name[] = "zen3";
    return id == 3 ? name : NULL;
}
#elif defined(FAKE_MKL)
int MKL_Get_Max_Threads(void);
void MKL_Set_Num_Threads(int n);
void MKL_Get_Version_String(char *buf, int len);
int MKL_Set_Threading_Layer(int layer);
int MKL_Get_Max_Threads(void)
{
    return threads;
}
void MKL_Set_Num_Threads(int n)
{
    threads = n;
}
void MKL_Get_Version_String(char *buf, int len)
{
    snprintf(buf, (size_t)len,
             "Intel(R) oneAPI Math Kernel Library "
             "Version 2023.2.0 Product Build 20230613");
}
int MKL_Set_Threading_Layer(int layer)
{
    return layer < 0 ? 4 : layer;
}
#elif defined(FAKE_FLEXIBLAS)
int flexiblas_get_num_threads(void);
void flexiblas_set_num_threads(int n);
void flexiblas_get_version(int *major, int *minor, int *patch);
int flexiblas_current_backend(char *name, size_t len);
int flexiblas_get_num_threads(void)
{
    return threads;
}
void flexiblas_set_num_threads(int n)
{
    threads = n;
}
void flexiblas_get_version(int *major, int *minor, int *patch)
{
    *major = 3;
    *minor = 3;
    *patch = 1;
}
int flexiblas_current_backend(char *name, size_t len)
{
    snprintf(name, len, "OPENBLAS-OPENMP");
    return (int)strlen(name);
}
#else
/* a reference BLAS: a BLAS by its file name, without thread control */
void dgemm_(void);
void dgemm_(void)
{
}
#endif
