/* trainer.c - gtap_train_run(): data-parallel SGD with sparsified messages
 * and error feedback (docs/THEORY.md s.5, s.8); see gradtap/train.h for the step.
 * The same code drives P simulated workers and one worker per MPI rank; only
 * gtap_exchange_all() differs, and the messages are summed in rank order in
 * both, so the models agree bit for bit. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef GRADTAP_WITH_MPI
#include <mpi.h>
#endif

#include "gradtap/abi.h"
#include "model_internal.h"
#include "train_internal.h"

void gtap_train_options_init(gtap_train_options *o)
{
    if (o == NULL) return;
    memset(o, 0, sizeof *o);
    o->struct_size = sizeof *o;
    o->struct_version = GTAP_TRAIN_OPTIONS_VERSION;
    gtap_sparsify_options_init(&o->compressor, GTAP_SPARSIFY_TOPK);
    o->memory = 1;
    o->form = GTAP_EF_STICH;
    o->density = 0.001;
    o->schedule.kind = GTAP_SCHEDULE_STICH;
    o->schedule.gamma = 2.0;
    o->schedule.decay = 1.0;
    o->schedule.decay_every = 1;
    o->batch = 1;
    o->epochs = 1.0;
    o->workers = 1;
    o->seed = 1;
    o->average = 1;
    o->eval_points = 50;
    o->early_points = 10;
    o->capture_every = 1;
}

void gtap_train_result_free(gtap_train_result *result)
{
    if (result == NULL) return;
    free(result->points);
    free(result->final_x);
    result->points = NULL;
    result->final_x = NULL;
    result->point_count = 0;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int validate(const gtap_train_options *o, const gtap_dataset *train)
{
    int rc = gtap_struct_check("train options", "gtap_train_options_init",
                               o->struct_size, o->struct_version, sizeof *o, GTAP_TRAIN_OPTIONS_VERSION);
    if (rc < 0) return rc;
    const gtap_schedule *s = &o->schedule;
    gtap_dataset_view v = gtap_dataset_get_view(train);
    if (o->comm != GTAP_TRAIN_COMM_MPI && (o->workers < 1 || (uint64_t)o->workers > v.n))
        return gtap_set_error(GTAP_EINVAL, "workers=%d (1..n=%llu)", o->workers, (unsigned long long)v.n);
    if (o->batch == 0) return gtap_set_error(GTAP_EINVAL, "batch=0");
    if (!(o->epochs > 0.0) && o->max_steps == 0) return gtap_set_error(GTAP_EINVAL, "epochs=%g (> 0)", o->epochs);
    if (o->k == 0 && !(o->density > 0.0 && o->density <= 1.0))
        return gtap_set_error(GTAP_EINVAL, "density=%g (in (0, 1])", o->density);
    if (o->k > 0 && o->per_layer) return gtap_set_error(GTAP_EINVAL, "k=%llu is for global selection; per-layer takes a density",
                                                        (unsigned long long)o->k);
    if (o->form != GTAP_EF_STICH && o->form != GTAP_EF_SHI) return gtap_set_error(GTAP_EINVAL, "unknown form %d", (int)o->form);
    if (o->form == GTAP_EF_STICH && (o->momentum != 0.0 || o->weight_decay != 0.0))
        return gtap_set_error(GTAP_EINVAL, "momentum and weight decay need the Shi form (the Stich form applies C(p) directly)");
    if (!(o->momentum >= 0.0 && o->momentum < 1.0) || !(o->weight_decay >= 0.0))
        return gtap_set_error(GTAP_EINVAL, "momentum=%g (in [0, 1)), weight_decay=%g (>= 0)", o->momentum, o->weight_decay);
    if (s->kind == GTAP_SCHEDULE_STICH && !(s->gamma > 0.0 && s->lambda > 0.0 && s->shift > 0.0 && isfinite(s->shift)))
        return gtap_set_error(GTAP_EINVAL, "Stich schedule: gamma=%g, lambda=%g, shift=%g (all > 0)", s->gamma, s->lambda,
                              s->shift);
    if (s->kind != GTAP_SCHEDULE_STICH && !(s->lr > 0.0 && isfinite(s->lr)))
        return gtap_set_error(GTAP_EINVAL, "learning rate %g (> 0)", s->lr);
    if (s->kind == GTAP_SCHEDULE_STEP && !(s->decay > 0.0 && s->decay <= 1.0 && s->decay_every >= 1))
        return gtap_set_error(GTAP_EINVAL, "step decay %g every %llu steps (decay in (0, 1], every >= 1)", s->decay,
                              (unsigned long long)s->decay_every);
    if (o->capture_path && o->capture_every == 0) return gtap_set_error(GTAP_EINVAL, "capture every 0 steps");
    if (o->eval_points == 0) return gtap_set_error(GTAP_EINVAL, "eval_points=0");
    return GTAP_OK;
}

/* Segments: one per layer (per-layer selection) or one global. */
static int make_segments(const gtap_train_options *o, const gtap_model *model, gtap_segment *segments, size_t *count,
                         uint64_t *k_total, double *contraction)
{
    const uint64_t d = gtap_model_dim(model);
    *k_total = 0;
    *contraction = 0.0;
    if (!o->per_layer) {
        uint64_t k = o->k;
        if (k == 0) {
            int rc = gtap_k_from_density(o->density, d, &k);
            if (rc < 0) return rc;
        }
        if (k > d) return gtap_set_error(GTAP_EINVAL, "k=%llu > d=%llu", (unsigned long long)k, (unsigned long long)d);
        segments[0].offset = 0;
        segments[0].length = d;
        segments[0].k = k;
        *count = 1;
        *k_total = k;
        *contraction = 1.0 - (double)k / (double)d;
        return GTAP_OK;
    }
    *count = gtap_model_layer_count(model);
    for (size_t i = 0; i < *count; i++) {
        gtap_model_layer(model, i, NULL, &segments[i].offset, &segments[i].length);
        int rc = gtap_k_from_density(o->density, segments[i].length, &segments[i].k);
        if (rc < 0) return rc;
        *k_total += segments[i].k;
        double c = 1.0 - (double)segments[i].k / (double)segments[i].length;
        if (c > *contraction) *contraction = c;
    }
    return GTAP_OK;
}

/* Steps at which the curve is evaluated: 0, early points in the first 2%,
 * and eval_points evenly spaced; sorted, unique, ending at T. */
static size_t make_eval_steps(uint64_t T, uint64_t even, uint64_t early, uint64_t *steps)
{
    size_t count = 0;
    steps[count++] = 0;
    for (uint64_t i = 1; i <= early; i++) steps[count++] = (uint64_t)ceil(0.02 * (double)T * (double)i / (double)early);
    for (uint64_t i = 1; i <= even; i++) steps[count++] = (uint64_t)ceil((double)T * (double)i / (double)even);
    /* insertion sort, then unique (the list is small) */
    for (size_t i = 1; i < count; i++)
        for (size_t j = i; j > 0 && steps[j - 1] > steps[j]; j--) {
            uint64_t t = steps[j];
            steps[j] = steps[j - 1];
            steps[j - 1] = t;
        }
    size_t unique = 0;
    for (size_t i = 0; i < count; i++)
        if (steps[i] <= T && (unique == 0 || steps[unique - 1] != steps[i])) steps[unique++] = steps[i];
    return unique;
}

typedef struct worker {
    int rank;
    gtap_ef *ef;
    float *grad;
    uint64_t *rows;
    double *sgd_drift;       /* z_p = sum_t eta_t g_p,t (Stich + memory: invariant) */
    double max_grad_norm2;
    double select_seconds;
    gtap_capture_run capture;
    int capturing;
} worker;

typedef struct run_state {
    const gtap_train_options *o;
    gtap_model *model;
    const gtap_dataset *train;
    const gtap_dataset *eval_set;   /* train, or its head (eval_rows) */
    gtap_dataset *eval_head;
    gtap_train_result *result;
    uint64_t d, n, T;
    int P, local_count;
    worker *workers;
    gtap_exchange ex;
    float *x, *x0, *velocity, *scratch;
    double *aggregate, *average, average_weight;
    uint64_t *eval_steps;
    size_t eval_count, next_eval;
    double bits;
    int track_invariant;
    double shift;            /* averaging weights (t + shift)^2 */
    double contraction;      /* max over segments of 1 - k_s/d_s (docs/THEORY.md s.8, the loose bound) */
} run_state;

/* 1 when every parameter is finite (docs/THEORY.md s.8, divergence). */
static int all_finite(const float *x, uint64_t d)
{
    for (uint64_t j = 0; j < d; j++)
        if (!isfinite(x[j])) return 0;
    return 1;
}

static void mark_diverged(gtap_train_result *result, uint64_t step, gtap_divergence reason)
{
    if (result->diverged) return;
    result->diverged = 1;
    result->diverged_step = step;
    result->diverged_reason = reason;
}

static int evaluate_point(run_state *s, uint64_t step)
{
    gtap_train_point *pt = &s->result->points[s->result->point_count];
    memset(pt, 0, sizeof *pt);
    pt->step = step;
    pt->epoch = (double)step * (double)s->P * (double)s->o->batch / (double)s->n;
    pt->bits = s->bits;
    int rc = gtap_model_evaluate(s->model, s->x, s->eval_set, &pt->loss, &pt->accuracy);
    if (rc < 0) return rc;
    pt->average_loss = NAN;
    if (s->average != NULL && step > 0) {
        for (uint64_t j = 0; j < s->d; j++) s->scratch[j] = (float)s->average[j];
        if ((rc = gtap_model_evaluate(s->model, s->scratch, s->eval_set, &pt->average_loss, NULL)) < 0) return rc;
    } else if (s->average != NULL) {
        pt->average_loss = pt->loss;
    }
    pt->test_accuracy = NAN;
    if (s->o->test && (rc = gtap_model_evaluate(s->model, s->x, s->o->test, NULL, &pt->test_accuracy)) < 0) return rc;
    s->result->point_count++;
    if (!isfinite(pt->loss) || !all_finite(s->x, s->d)) mark_diverged(s->result, step, GTAP_DIVERGED_NONFINITE);
    return GTAP_OK;
}

/* One worker's part of step t: minibatch, gradient, compression into its
 * exchange slot. A non-finite gradient marks the slot as diverged. */
static int worker_step(run_state *s, worker *w, uint64_t t, float eta, uint64_t k_total)
{
    const gtap_train_options *o = s->o;
    const uint64_t first = s->n * (uint64_t)w->rank / (uint64_t)s->P;
    const uint64_t last = s->n * (uint64_t)(w->rank + 1) / (uint64_t)s->P;
    const uint64_t stream = t * (uint64_t)s->P + (uint64_t)w->rank;
    uint64_t counter = 0;
    for (uint64_t b = 0; b < o->batch; b++) w->rows[b] = first + gtap_srng_below(o->seed ^ 0x5bd1e995ull, stream, &counter, last - first);
    int rc = gtap_model_gradient(s->model, s->x, s->train, w->rows, o->batch, w->grad, NULL);
    uint64_t *slot_count = &s->ex.counts[s->ex.mpi ? s->ex.rank : w->rank];
    if (rc == GTAP_ENONFINITE) {
        *slot_count = GTAP_EXCHANGE_DIVERGED;
        return GTAP_OK;
    }
    if (rc < 0) return rc;
    double norm2 = gtap_dot_f32(w->grad, w->grad, s->d);
    if (s->track_invariant)
        for (uint64_t j = 0; j < s->d; j++) w->sgd_drift[j] += (double)eta * w->grad[j];
    if (norm2 > w->max_grad_norm2) w->max_grad_norm2 = norm2;
    if (w->capturing && t % o->capture_every == 0) {
        rc = gtap_capture_run_write(&w->capture, s->model, (int64_t)t, w->grad, gtap_ef_memory(w->ef), eta, o->form);
        if (rc < 0) return rc;
    }
    uint64_t slot = (uint64_t)(s->ex.mpi ? s->ex.rank : w->rank) * s->ex.capacity;
    gtap_ef_step_stats stats;
    double start = now_seconds();
    /* stats give the message's count (and, at the cost of a pass over d, ||m||^2) */
    rc = gtap_ef_step(w->ef, w->grad, eta, stream, s->ex.indices + slot, s->ex.values + slot, s->ex.capacity, &stats);
    w->select_seconds += now_seconds() - start;
    if (rc == GTAP_ENONFINITE) {
        *slot_count = GTAP_EXCHANGE_DIVERGED;
        return GTAP_OK;
    }
    if (rc < 0) return rc;
    if (o->fault == GTAP_TRAIN_FAULT_DROP_MEMORY) {
        gtap_ef_reset(w->ef);
        stats.memory_norm2 = 0.0;
    }
    if (o->memory && stats.input_norm2 > 0.0) {
        /* the loose bound (Stich Def. 2.1): ||p - C(p)||^2 <= (1 - k/d) ||p||^2 */
        double bound = s->contraction * stats.input_norm2;
        double ratio = bound > 0.0 ? stats.memory_norm2 / bound : (stats.memory_norm2 > 0.0 ? INFINITY : 0.0);
        if (isnan(s->result->contraction_ratio) || ratio > s->result->contraction_ratio) s->result->contraction_ratio = ratio;
    }
    if (s->track_invariant) {
        /* Lemma 3.2: ||m_{t+1}||^2 <= 20 eta_{t+1}^2 (d/k)^2 G^2 */
        double eta_next = gtap_schedule_eta(&o->schedule, t + 1);
        double ratio_dk = (double)s->d / (double)k_total;
        double bound = GTAP_MEMORY_BOUND_FACTOR * eta_next * eta_next * ratio_dk * ratio_dk * w->max_grad_norm2;
        double ratio = bound > 0.0 ? stats.memory_norm2 / bound : (stats.memory_norm2 > 0.0 ? INFINITY : 0.0);
        if (isnan(s->result->memory_bound_ratio) || ratio > s->result->memory_bound_ratio)
            s->result->memory_bound_ratio = ratio;
    }
    *slot_count = stats.count;
    return GTAP_OK;
}

/* Apply the aggregate of step t (docs/THEORY.md s.5): x -= (1/P) sum_p C_p
 * (Stich) or the optimizer's step on it (Shi). Without momentum and weight
 * decay only the coordinates the messages name change: the messages are
 * added in rank order into `aggregate` (kept all zero between steps) and
 * only those entries are applied and cleared, so a step costs O(sum of
 * counts), not O(d). Both paths are the same in simulated and MPI runs. */
static int apply_update(run_state *s, float eta)
{
    const gtap_train_options *o = s->o;
    const double scale = 1.0 / (double)s->P;
    if (o->momentum == 0.0 && o->weight_decay == 0.0) {
        for (int p = 0; p < s->P; p++) {
            int rc = gtap_sparse_add(&s->ex.msgs[p], s->d, scale, s->aggregate);
            if (rc < 0) return rc;
        }
        for (int p = 0; p < s->P; p++) {
            const gtap_sparse_msg *msg = &s->ex.msgs[p];
            for (uint64_t i = 0; i < msg->count; i++) {
                uint64_t j = msg->indices[i];
                if (s->aggregate[j] == 0.0) continue; /* applied already (or exactly zero) */
                s->x[j] -= o->form == GTAP_EF_STICH ? (float)s->aggregate[j] : eta * (float)s->aggregate[j];
                s->aggregate[j] = 0.0;
            }
        }
        return GTAP_OK;
    }
    int rc = gtap_sparse_sum(s->ex.msgs, (size_t)s->P, s->d, scale, s->aggregate);
    if (rc < 0) return rc;
    const float momentum = (float)o->momentum, decay = (float)o->weight_decay;
    for (uint64_t j = 0; j < s->d; j++) {
        s->velocity[j] = momentum * s->velocity[j] + (float)s->aggregate[j] + decay * s->x[j];
        s->x[j] -= eta * s->velocity[j];
    }
    memset(s->aggregate, 0, s->d * sizeof *s->aggregate);
    return GTAP_OK;
}

static void accumulate_average(run_state *s, uint64_t t)
{
    double w = ((double)t + s->shift) * ((double)t + s->shift);
    s->average_weight += w;
    double f = w / s->average_weight;
    for (uint64_t j = 0; j < s->d; j++) s->average[j] += f * ((double)s->x[j] - s->average[j]);
}

/* Check 1 (docs/THEORY.md s.8): x_T - mean_p m_p = x_0 - mean_p sum_t eta_t g_p,t. */
static int invariant_error(run_state *s, double *error)
{
    double *q = s->aggregate; /* reuse: sum_p (z_p - m_p) */
    memset(q, 0, s->d * sizeof *q);
    for (int i = 0; i < s->local_count; i++) {
        const float *m = gtap_ef_memory(s->workers[i].ef);
        for (uint64_t j = 0; j < s->d; j++) q[j] += s->workers[i].sgd_drift[j] - (double)m[j];
    }
    int rc = gtap_exchange_sum_double(&s->ex, q, s->d);
    if (rc < 0) return rc;
    double worst = 0.0, scale = 1e-300;
    for (uint64_t j = 0; j < s->d; j++) {
        double expected = (double)s->x0[j] - q[j] / (double)s->P;
        double diff = fabs((double)s->x[j] - expected);
        if (diff > worst || isnan(diff)) worst = diff;
        if (fabs(expected) > scale) scale = fabs(expected);
        if (fabs((double)s->x[j]) > scale) scale = fabs((double)s->x[j]);
    }
    *error = worst / scale;
    return GTAP_OK;
}

static int setup(run_state *s, uint64_t *k_total)
{
    const gtap_train_options *o = s->o;
    s->d = gtap_model_dim(s->model);
    int rc = gtap_exchange_init(&s->ex, o->comm == GTAP_TRAIN_COMM_MPI, o->workers, 0);
    if (rc < 0) return rc;
    s->P = s->ex.world_size;
    if ((uint64_t)s->P > s->n) return gtap_set_error(GTAP_EINVAL, "%d workers for %llu examples", s->P, (unsigned long long)s->n);
    gtap_segment *segments = calloc(gtap_model_layer_count(s->model) + 1, sizeof *segments);
    if (segments == NULL) return gtap_set_error(GTAP_ENOMEM, "trainer: out of memory");
    size_t segment_count = 0;
    rc = make_segments(o, s->model, segments, &segment_count, k_total, &s->contraction);
    s->local_count = s->ex.mpi ? 1 : s->P;
    s->workers = calloc((size_t)s->local_count, sizeof *s->workers);
    if (rc == GTAP_OK && s->workers == NULL) rc = gtap_set_error(GTAP_ENOMEM, "trainer: out of memory");
    gtap_sparsify_options compressor = o->compressor;
    compressor.seed = o->seed;
    for (int i = 0; rc == GTAP_OK && i < s->local_count; i++) {
        worker *w = &s->workers[i];
        w->rank = s->ex.mpi ? s->ex.rank : i;
        rc = gtap_ef_create(&compressor, o->form, o->memory, s->d, segments, segment_count, 0, &w->ef);
        if (rc < 0) break;
        w->grad = malloc(s->d * sizeof *w->grad);
        w->rows = malloc(o->batch * sizeof *w->rows);
        w->sgd_drift = s->track_invariant ? calloc(s->d, sizeof *w->sgd_drift) : NULL;
        if (!w->grad || !w->rows || (s->track_invariant && !w->sgd_drift)) rc = gtap_set_error(GTAP_ENOMEM, "trainer: out of memory");
        if (rc == GTAP_OK && o->capture_path) {
            w->capturing = 1;
            rc = gtap_capture_run_open(&w->capture, o, s->model, w->rank, s->P);
        }
    }
    free(segments);
    if (rc < 0) return rc;
    /* every worker's buffers hold the largest message any compressor can produce */
    uint64_t capacity = gtap_ef_capacity(s->workers[0].ef);
    int mpi = s->ex.mpi;
    gtap_exchange_free(&s->ex);
    if ((rc = gtap_exchange_init(&s->ex, mpi, o->workers, capacity)) < 0) return rc;
    s->x = malloc(s->d * sizeof *s->x);
    s->x0 = malloc(s->d * sizeof *s->x0);
    s->scratch = malloc(s->d * sizeof *s->scratch);
    s->velocity = calloc(s->d, sizeof *s->velocity);
    s->aggregate = calloc(s->d, sizeof *s->aggregate); /* zero between steps (apply_update) */
    s->average = o->average ? calloc(s->d, sizeof *s->average) : NULL;
    s->eval_steps = malloc((o->eval_points + o->early_points + 1) * sizeof *s->eval_steps);
    s->result->points = malloc((o->eval_points + o->early_points + 1) * sizeof *s->result->points);
    if (!s->x || !s->x0 || !s->scratch || !s->velocity || !s->aggregate || (o->average && !s->average) ||
        !s->eval_steps || !s->result->points)
        return gtap_set_error(GTAP_ENOMEM, "trainer: out of memory (d=%llu)", (unsigned long long)s->d);
    return GTAP_OK;
}

/* Release the run; returns the first error of closing a worker's capture
 * (writing is asynchronous, so a disk error on the last snapshots shows
 * only here), GTAP_OK otherwise. */
static int teardown(run_state *s)
{
    int rc = GTAP_OK;
    for (int i = 0; s->workers && i < s->local_count; i++) {
        worker *w = &s->workers[i];
        if (w->capturing) {
            int closed = gtap_capture_run_close(&w->capture);
            if (rc == GTAP_OK) rc = closed;
        }
        gtap_ef_free(w->ef);
        free(w->grad);
        free(w->rows);
        free(w->sgd_drift);
    }
    free(s->workers);
    gtap_exchange_free(&s->ex);
    free(s->x0);
    free(s->scratch);
    free(s->velocity);
    free(s->aggregate);
    free(s->average);
    free(s->eval_steps);
    gtap_dataset_free(s->eval_head);
    return rc;
}

/* The run's final figures: the last curve point, bits and selection time
 * per worker, the invariant of check 1 and, over MPI, the worst memory-bound
 * ratio and G^2 of all ranks. */
static int summarise_run(run_state *s, gtap_train_result *result)
{
    if (result->point_count > 0) {
        const gtap_train_point *last = &result->points[result->point_count - 1];
        result->final_loss = last->loss;
        result->final_average_loss = last->average_loss;
        result->final_accuracy = last->accuracy;
        result->final_test_accuracy = last->test_accuracy;
    }
    result->bits_per_worker = s->bits;
    for (int i = 0; i < s->local_count; i++) {
        result->select_seconds += s->workers[i].select_seconds / (double)s->local_count;
        if (s->workers[i].max_grad_norm2 > result->max_grad_norm2) result->max_grad_norm2 = s->workers[i].max_grad_norm2;
    }
    /* divergence (docs/THEORY.md s.8): non-finite values stopped the run
     * already; a finite loss that ended far above f(x_0) counts too */
    if (!result->diverged && result->initial_loss > 0.0 && result->final_loss > GTAP_DIVERGENCE_FACTOR * result->initial_loss)
        mark_diverged(result, s->T, GTAP_DIVERGED_LOSS_GROWTH);
    int rc = GTAP_OK;
    if (s->track_invariant && !result->diverged) rc = invariant_error(s, &result->invariant_error);
    if (s->ex.mpi && rc == GTAP_OK) {
        /* every rank reports the worst memory-bound and contraction ratios and G^2 of all ranks */
        double local[3] = {isnan(result->memory_bound_ratio) ? -1.0 : result->memory_bound_ratio, result->max_grad_norm2,
                           isnan(result->contraction_ratio) ? -1.0 : result->contraction_ratio};
        double maxima[3] = {local[0], local[1], local[2]};
#ifdef GRADTAP_WITH_MPI
        if (MPI_Allreduce(local, maxima, 3, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD) != MPI_SUCCESS)
            rc = gtap_set_error(GTAP_EMPI, "trainer: MPI_Allreduce failed");
#endif
        result->memory_bound_ratio = maxima[0] < 0.0 ? NAN : maxima[0];
        result->max_grad_norm2 = maxima[1];
        result->contraction_ratio = maxima[2] < 0.0 ? NAN : maxima[2];
    }
    return rc;
}

int gtap_train_run(const gtap_train_options *o, gtap_model *model, const gtap_dataset *train,
                   gtap_train_result *result)
{
    if (result == NULL) return gtap_set_error(GTAP_EINVAL, "trainer: result is NULL");
    memset(result, 0, sizeof *result);
    result->memory_bound_ratio = NAN;
    result->contraction_ratio = NAN;
    result->invariant_error = NAN;
    result->final_average_loss = NAN;
    result->final_test_accuracy = NAN;
    if (o == NULL || model == NULL || train == NULL) return gtap_set_error(GTAP_EINVAL, "trainer: NULL argument");
    int rc = validate(o, train);
    if (rc < 0) return rc;
    double start = now_seconds();
    run_state s;
    memset(&s, 0, sizeof s);
    s.o = o;
    s.model = model;
    s.train = train;
    s.eval_set = train;
    s.result = result;
    s.n = gtap_dataset_get_view(train).n;
    s.track_invariant = o->memory && o->form == GTAP_EF_STICH;
    s.shift = o->schedule.kind == GTAP_SCHEDULE_STICH ? o->schedule.shift : 1.0;
    uint64_t k_total = 0;
    if ((rc = setup(&s, &k_total)) < 0) goto done;
    if (o->eval_rows > 0 && o->eval_rows < s.n) {
        if ((rc = gtap_dataset_head(train, o->eval_rows, &s.eval_head)) < 0) goto done;
        s.eval_set = s.eval_head;
    }
    s.T = o->max_steps ? o->max_steps
                       : (uint64_t)ceil(o->epochs * (double)s.n / ((double)s.P * (double)o->batch));
    if (s.T == 0) s.T = 1;
    result->steps = s.T;
    result->d = s.d;
    result->k_total = k_total;
    result->workers = s.P;
    s.eval_count = make_eval_steps(s.T, o->eval_points, o->early_points, s.eval_steps);
    if ((rc = gtap_model_init_params(model, o->seed, s.x)) < 0) goto done;
    memcpy(s.x0, s.x, s.d * sizeof *s.x);
    const int dense_messages = o->compressor.kind == GTAP_SPARSIFY_NONE;
    uint64_t t = 0;
    for (; t < s.T && !result->diverged; t++) {
        if (s.next_eval < s.eval_count && s.eval_steps[s.next_eval] == t) {
            if ((rc = evaluate_point(&s, t)) < 0) goto done;
            if (t == 0) result->initial_loss = result->points[0].loss;
            s.next_eval++;
            if (result->diverged) break;
        }
        if (s.average) accumulate_average(&s, t);
        float eta = (float)gtap_schedule_eta(&o->schedule, t);
        for (int i = 0; i < s.local_count; i++)
            if ((rc = worker_step(&s, &s.workers[i], t, eta, k_total)) < 0) goto done;
        int diverged = 0;
        if ((rc = gtap_exchange_all(&s.ex, &diverged)) < 0) goto done;
        if (diverged) {
            mark_diverged(result, t, GTAP_DIVERGED_NONFINITE);
            break;
        }
        /* bits per worker, averaged over the workers, so curve points and the
         * final figure count the same thing */
        double step_bits = 0;
        for (int p = 0; p < s.P; p++) step_bits += dense_messages ? 32.0 * (double)s.d : 64.0 * (double)s.ex.counts[p];
        s.bits += step_bits / (double)s.P;
        if ((rc = apply_update(&s, eta)) < 0) goto done;
    }
    if (!result->diverged && (rc = evaluate_point(&s, t)) < 0) goto done;
    rc = summarise_run(&s, result);
    result->final_x = s.x;
    s.x = NULL;
done:
    free(s.x);
    int closed = teardown(&s);
    if (rc == GTAP_OK) rc = closed; /* the capture's last error counts too */
    result->total_seconds = now_seconds() - start;
    return rc;
}
