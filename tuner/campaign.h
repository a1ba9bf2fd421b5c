/* campaign.h - `mpirun ... autotune [tune options]`: one tuning campaign
 * over every node of an MPI job (campaign.c). */
#ifndef AT_CAMPAIGN_H
#define AT_CAMPAIGN_H

/* 1 when this process was started by an MPI launcher (mpirun, srun with
 * PMI/PMIx): its environment names a rank. */
int campaign_launched(void);

/* Runs the campaign (this process is one rank of it); the arguments are
 * tune's, plus --spool DIR. Returns the exit code. Built without MPI, it
 * says so and returns 2. */
int campaign_main(int argc, char **argv);

#endif
