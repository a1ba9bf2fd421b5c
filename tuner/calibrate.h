/* calibrate.h - the costs of moving work to workers on this machine. */
#ifndef AT_CALIBRATE_H
#define AT_CALIBRATE_H

#include "measure.h"

typedef struct calibration {
    at_machine_costs costs;        /* as stored in a profile */
    at_transport_cost thread_copy; /* thread workers copying (pipe) */
    double memcpy_gbytes_per_s;    /* the reference for bandwidths */
    int workers;                   /* pool size used */
} calibration;

/* Measures everything above with pools of max(2, usable_cpus) workers
 * (about 5 s); the quick version, for a tuning run, in about 1 s. */
at_status calibrate(int usable_cpus, calibration *out, at_error *err);
at_status calibrate_quick(int usable_cpus, calibration *out, at_error *err);

#endif
