/* vexp.h - y[i] = exp(x[i]), vectorised (see vexp.c). */
#ifndef AT_VEXP_H
#define AT_VEXP_H

#include <stddef.h>

void vexp(const double *x, double *y, size_t n);

#endif
