/* train_internal.h - pieces of the trainer shared between trainer.c,
 * exchange.c and capture_run.c (private to libgradtap). */
#ifndef GRADTAP_TRAIN_INTERNAL_H
#define GRADTAP_TRAIN_INTERNAL_H

#include "gradtap/capture.h"
#include "gradtap/format.h"
#include "gradtap/train.h"

/* Messages of all P workers of one step in the canonical exchange layout
 * (gradtap/sparse_message.h): counts[P], then the concatenated arrays. */
typedef struct gtap_exchange {
    int world_size, rank, mpi;
    uint64_t capacity;        /* pairs per worker */
    uint64_t *counts;         /* P */
    uint64_t *indices;        /* P * capacity */
    float *values;            /* P * capacity */
    gtap_sparse_msg *msgs;    /* P views */
} gtap_exchange;

/* Count sent by a worker whose step failed (divergence): every rank stops. */
#define GTAP_EXCHANGE_DIVERGED UINT64_MAX

int gtap_exchange_init(gtap_exchange *ex, int mpi, int simulated_workers, uint64_t capacity);
void gtap_exchange_free(gtap_exchange *ex);
/* MPI: send this rank's message (in slot `rank`) and receive all others;
 * simulated: the slots are already filled. Then msgs[] views are set.
 * *diverged is set when any worker reported GTAP_EXCHANGE_DIVERGED. */
int gtap_exchange_all(gtap_exchange *ex, int *diverged);
/* Sum a double vector over ranks (MPI) - no-op when simulated. */
int gtap_exchange_sum_double(gtap_exchange *ex, double *values, uint64_t count);

/* Capture of one worker: grad, residual and acc per model layer, written
 * through gradtap/capture.h (capture_run.c). */
typedef struct gtap_capture_run {
    gtap_capture *capture;
    int *ids;    /* capture tensor id of each model layer */
    float *acc;  /* m_t + eta_t g_t (or g_t + r_t); capture copies it in record */
} gtap_capture_run;

int gtap_capture_run_open(gtap_capture_run *cap, const gtap_train_options *options, const gtap_model *model,
                          int rank, int world_size);
int gtap_capture_run_write(gtap_capture_run *cap, const gtap_model *model, int64_t step, const float *grad,
                           const float *memory, float eta, gtap_ef_form form);
int gtap_capture_run_close(gtap_capture_run *cap);

#endif
