/* vexp.c - the exp workload's kernel, vectorised as numpy's is.
 *
 * Built alone with -ffast-math -fopenmp-simd: only then does glibc
 * declare its vector exp (libmvec, at most 4 ulp from libm's), and GCC
 * calls it 2, 4 or 8 lanes at a time. target_clones builds one copy per
 * instruction set and picks the best at load time, so the binary runs
 * anywhere. The scalar libm exp stays the reference of the check
 * (workloads.c, built without these flags). */
#include "config.h"

#include "vexp.h"

#include <math.h>

#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
void vexp(const double *restrict x, double *restrict y, size_t n)
{
#pragma omp simd
    for (size_t i = 0; i < n; i++)
        y[i] = exp(x[i]);
}
