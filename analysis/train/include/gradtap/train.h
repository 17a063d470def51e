/*
 * gradtap/train.h - gradtap's own data-parallel SGD trainer with sparsified
 * communication and error feedback (docs/THEORY.md s.5 and s.8), the
 * engine of `gradtap converge`.
 *
 * P workers each own a contiguous shard of the training rows (worker p:
 * rows [p n / P, (p+1) n / P)) and their own error-feedback memory
 * (gradtap/error_feedback.h). Step t, worker p:
 *   1. draws its minibatch uniformly with replacement from its shard
 *      (stream t*P + p of the run's seed, gtap_srng_below);
 *   2. computes its gradient g_p at the shared model x_t;
 *   3. compresses: Stich form p = m + eta_t g, message C(p), m = p - C(p);
 *      Shi form u = g + r, message C(u), r = u - C(u) (docs/THEORY.md s.5);
 *   4. all messages (the canonical layout of gradtap/sparse_message.h) are
 *      added in rank order, scaled by 1/P, in double (gtap_sparse_add;
 *      gtap_sparse_sum when momentum or weight decay touch every coordinate);
 *   5. Stich: x_{t+1} = x_t - aggregate; Shi: v = momentum v + aggregate
 *      + weight_decay x, x_{t+1} = x_t - eta_t v.
 * In one process the P workers run one after the other (simulated); with
 * MPI (GTAP_TRAIN_COMM_MPI, one worker per rank of MPI_COMM_WORLD) the
 * messages travel by a sparse allgather (counts first, then indices and
 * values). Both paths execute the same arithmetic in the same order, so the
 * same seed gives the same model bit for bit.
 *
 * Also tracked (for the checks of docs/THEORY.md s.8): the Stich-weighted
 * average xbar_T = sum w_t x_t / sum w_t, w_t = (t + a)^2; the invariant
 * x_t - mean_p m_p = plain SGD driven by the same gradients; the ratio of
 * ||m_t||^2 to the Lemma 3.2 bound 20 eta_t^2 (d/k)^2 G^2 (G^2 the largest
 * ||g_p||^2 seen so far by that worker); the ratio of ||m_{t+1}||^2 to the
 * loose bound (1 - k/d) ||p_t||^2; divergence (GTAP_DIVERGENCE_FACTOR);
 * bits sent per worker; time spent in the compressor.
 *
 * All functions return GTAP_OK or a negative gtap_status with a message in
 * gtap_last_error(); none exits.
 */
#ifndef GRADTAP_TRAIN_H
#define GRADTAP_TRAIN_H

#include "gradtap/export.h"
#include <stddef.h>
#include <stdint.h>

#include "gradtap/sparsify.h"
#include "gradtap/status.h"
#include "gradtap/train_data.h"
#include "gradtap/train_model.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------- schedules */

typedef enum gtap_schedule_kind {
    GTAP_SCHEDULE_STICH = 0,    /* eta_t = gamma / (lambda (t + shift)) */
    GTAP_SCHEDULE_CONSTANT = 1, /* eta_t = lr */
    GTAP_SCHEDULE_STEP = 2      /* eta_t = lr * decay^floor(t / decay_every) */
} gtap_schedule_kind;

typedef struct gtap_schedule {
    gtap_schedule_kind kind;
    double gamma, lambda, shift; /* STICH: gamma > 0, lambda > 0, shift >= 0 (t + shift > 0) */
    double lr;                   /* CONSTANT / STEP: > 0 */
    double decay;                /* STEP: factor in (0, 1] */
    uint64_t decay_every;        /* STEP: steps between decays (>= 1) */
} gtap_schedule;

/* gtap_schedule_eta() - the step size at step t (NaN for an invalid schedule). */
GTAP_API double gtap_schedule_eta(const gtap_schedule *schedule, uint64_t t);

/* The theorem's parameters of Stich et al. (Theorem 2.4, Lemma 3.2) for
 * alpha = 5: gamma = 8 and shift a = (alpha+1) d/k + rho/(rho+1) with
 * rho = 4 alpha / ((alpha-4)(alpha+1)^2) (docs/THEORY.md s.8). */
GTAP_API double gtap_theory_shift(uint64_t d, uint64_t k);
#define GTAP_THEORY_GAMMA 8.0
#define GTAP_MEMORY_BOUND_FACTOR 20.0 /* 4 alpha / (alpha - 4) for alpha = 5 */

/* A run has diverged (docs/THEORY.md s.8) when a gradient, the loss or a
 * parameter became non-finite (the run stops there), or when it ended with
 * f(x_T) > GTAP_DIVERGENCE_FACTOR x f(x_0). A blow-up that recovers (the
 * shift a = 1 control) is not a divergence. */
#define GTAP_DIVERGENCE_FACTOR 1e3
typedef enum gtap_divergence {
    GTAP_DIVERGED_NONE = 0,
    GTAP_DIVERGED_NONFINITE = 1,  /* gradient, loss or parameter non-finite: stopped at diverged_step */
    GTAP_DIVERGED_LOSS_GROWTH = 2 /* finite, but f(x_T) > GTAP_DIVERGENCE_FACTOR f(x_0) */
} gtap_divergence;

/* --------------------------------------------------------------- options */

typedef enum gtap_train_comm {
    GTAP_TRAIN_COMM_SIMULATED = 0, /* P workers in this process */
    GTAP_TRAIN_COMM_MPI = 1        /* one worker per rank of MPI_COMM_WORLD (P = world size) */
} gtap_train_comm;

/* Deliberate faults, for tests only: prove that the checks catch a broken
 * memory. */
typedef enum gtap_train_fault {
    GTAP_TRAIN_FAULT_NONE = 0,
    GTAP_TRAIN_FAULT_DROP_MEMORY = 1 /* claim memory but zero it after every step */
} gtap_train_fault;

/* Layout version of gtap_train_options (gradtap/abi.h). */
#define GTAP_TRAIN_OPTIONS_VERSION 1u

typedef struct gtap_train_options {
    size_t struct_size;          /* set by gtap_train_options_init() (gradtap/abi.h) */
    unsigned struct_version;
    gtap_sparsify_options compressor; /* kind and its parameters (seed is replaced by `seed`) */
    int memory;                  /* 1: error feedback; 0: the "no memory" control */
    gtap_ef_form form;           /* GTAP_EF_STICH or GTAP_EF_SHI */
    double density;              /* rho in (0, 1]; k = max(1, floor(rho d)) per segment */
    uint64_t k;                  /* > 0: global k, overrides density (global selection only) */
    int per_layer;               /* 1: one segment per model layer; 0: whole model */
    gtap_schedule schedule;
    double momentum;             /* Shi form only, in [0, 1) */
    double weight_decay;         /* Shi form only, >= 0 */
    uint64_t batch;              /* minibatch per worker (>= 1) */
    double epochs;               /* passes over the training set (> 0) */
    uint64_t max_steps;          /* > 0: stop after this many steps (else from epochs) */
    int workers;                 /* P >= 1 (simulated; MPI: ignored, the world size) */
    gtap_train_comm comm;
    uint64_t seed;               /* minibatches, random compressors (and MLP init if init_seed is 0) */
    int average;                 /* 1: track xbar with w_t = (t + shift)^2 (STICH schedules) */
    uint64_t eval_points;        /* curve points, spread evenly over the steps (>= 1) */
    uint64_t early_points;       /* extra points in the first 2% of steps (blow-ups) */
    const gtap_dataset *test;    /* may be NULL: no test accuracy */
    uint64_t eval_rows;          /* > 0: curve losses on the first eval_rows training examples only
                                    (the MLP: a full pass per point costs more than training) */
    const char *capture_path;    /* NULL: no capture; else snapshot file (gtap_capture_rank_path when P > 1) */
    uint64_t capture_every;      /* capture every N steps (>= 1 with capture_path) */
    const char *run_label;       /* part of the capture file's run id (may be NULL) */
    gtap_train_fault fault;
} gtap_train_options;

/* Defaults: topk with memory, Stich form, rho = 0.001, global selection,
 * Stich schedule gamma = 2 (lambda and shift to be set by the caller),
 * batch 1, 1 epoch, 1 simulated worker, seed 1, averaging on, 50 curve
 * points plus 10 early ones. */
GTAP_API void gtap_train_options_init(gtap_train_options *options);

/* ---------------------------------------------------------------- result */

typedef struct gtap_train_point {
    uint64_t step;               /* steps done */
    double epoch;                /* step * P * batch / n */
    double bits;                 /* bits sent per worker so far */
    double loss;                 /* f(x_step) on the training set (its first eval_rows examples if set) */
    double average_loss;         /* f(xbar_step) (NaN without averaging) */
    double accuracy;             /* training accuracy of x_step */
    double test_accuracy;        /* NaN without a test set */
} gtap_train_point;

typedef struct gtap_train_result {
    uint64_t steps, d, k_total;  /* k_total: target k summed over segments */
    int workers;
    double initial_loss;         /* f(x_0) */
    double final_loss;           /* f(x_T) */
    double final_average_loss;   /* f(xbar_T) (NaN without averaging) */
    double final_accuracy, final_test_accuracy;
    double bits_per_worker;      /* sparse: 64 bits per (index, value) pair; dense kind "none": 32 d */
    double select_seconds;       /* in the compressor, mean per worker */
    double total_seconds;
    double max_grad_norm2;       /* G^2: the largest ||g_p||^2 seen */
    double memory_bound_ratio;   /* max_t ||m_t||^2 / (20 eta_t^2 (d/k)^2 G_t^2), Stich form with memory; else NaN */
    double invariant_error;      /* ||x_T - x~_T||_inf / scale, Stich form with memory; else NaN */
    int diverged;                /* 1 by the rule of GTAP_DIVERGENCE_FACTOR (reason below) */
    uint64_t diverged_step;      /* the step it stopped at (NONFINITE) or T (LOSS_GROWTH) */
    gtap_train_point *points;    /* malloc'ed, point_count entries (free with gtap_train_result_free) */
    size_t point_count;
    float *final_x;              /* malloc'ed d parameters x_T */
    gtap_divergence diverged_reason;
    double contraction_ratio;    /* with memory: max_t ||m_{t+1}||^2 / ((1 - k/d) ||p_t||^2), the loose
                                    bound of Stich Def. 2.1 (<= 1 for top-k; per-layer: the largest
                                    1 - k_s/d_s of the segments); NaN without memory */
} gtap_train_result;

/* gtap_train_run() - train `model` (its parameters are initialised with
 * gtap_model_init_params(model, seed)) on `train` with `options`.
 * `result` is filled (and must be released with gtap_train_result_free,
 * also after an error). A run that diverges is not an error: it stops and
 * sets result->diverged.
 * @return GTAP_OK; GTAP_EVERSION (options not filled by
 * gtap_train_options_init() of this library, gradtap/abi.h); GTAP_EINVAL
 * (an option out of range: the message names it); GTAP_EUNSUPPORTED (MPI requested in a build without MPI); GTAP_EMPI;
 * GTAP_EIO (capture file); GTAP_ENOMEM. */
GTAP_API int gtap_train_run(const gtap_train_options *options, gtap_model *model, const gtap_dataset *train,
                   gtap_train_result *result);

/* Release what a result owns; NULL allowed. */
GTAP_API void gtap_train_result_free(gtap_train_result *result);

/* What a results file records about the run as a whole. */
typedef struct gtap_results_meta {
    const char *model;           /* "logreg" or "mlp" */
    const char *data;            /* "synthetic", "fashion-mnist" or a file name */
    const char *form;            /* "stich" or "shi" */
    uint64_t n, d, n_test, seed;
    int workers;
    double density;
    double fstar;                /* NaN when not computed (MLP) */
} gtap_results_meta;

/* gtap_train_results_write_h5() - write an HDF5 results file (layout in
 * docs/CLI.md, section converge): root attributes from `meta`, then per run
 * i a group /methods/<names[i]> with the final figures as attributes and
 * the curve as 1-D float64 datasets step, epoch, bits, loss, average_loss,
 * accuracy, test_accuracy, plus final_x (float32, the d parameters x_T).
 * Replaces an existing file.
 * @return GTAP_OK; GTAP_EINVAL (NULL, a name with '/'); GTAP_EIO. */
GTAP_API int gtap_train_results_write_h5(const char *path, const gtap_results_meta *meta, const char *const *names,
                                const gtap_train_result *results, size_t count);

#ifdef __cplusplus
}
#endif
#endif /* GRADTAP_TRAIN_H */
