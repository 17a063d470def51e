/* optimum.c - f* of L2-regularised logistic regression computed by gradtap
 * itself (docs/THEORY.md s.8: the reference code's stochastic f* was not
 * optimal): Newton's method with conjugate-gradient inner solves on
 * Hessian-vector products H v = (1/n) A^T D A v + lambda v, D_i =
 * s_i (1 - s_i), and Armijo backtracking, in double precision, to
 * ||grad f|| < tolerance. The rows are read from the dataset's float64
 * values when it keeps them (GTAP_DATA_FLOAT64: f* of the data as written),
 * else from its float32 values (f* of the rounded data the trainer sees).
 * Every pass over the data is split into fixed row
 * blocks with their own accumulators, summed in block order: deterministic
 * whatever the thread count. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dataset_internal.h"
#include "model_internal.h"

typedef struct newton_state {
    gtap_dataset_view v;
    const double *values64;  /* NULL: the float32 values of v */
    double lambda;
    int blocks;
    double *block_vectors;   /* blocks x d accumulators */
    double *weights;         /* n: D_i at the current x */
    double *margins;         /* n: a_i . x */
} newton_state;

static double dot(const double *a, const double *b, uint64_t d)
{
    double sum = 0.0;
    for (uint64_t j = 0; j < d; j++) sum += a[j] * b[j];
    return sum;
}

/* a_i . vec, from the float64 values when kept. */
static double row_dot(const newton_state *s, uint64_t i, const double *vec)
{
    if (s->values64 == NULL) return gtap_row_dot_double(&s->v, i, vec);
    double sum = 0.0;
    if (s->v.sparse) {
        for (uint64_t j = s->v.row_start[i]; j < s->v.row_start[i + 1]; j++) sum += s->values64[j] * vec[s->v.columns[j]];
    } else {
        const double *row = s->values64 + i * s->v.d;
        for (uint64_t j = 0; j < s->v.d; j++) sum += row[j] * vec[j];
    }
    return sum;
}

/* out += coef * a_i, from the float64 values when kept. */
static void row_axpy(const newton_state *s, uint64_t i, double coef, double *out)
{
    if (s->values64 == NULL) {
        gtap_row_axpy_double(&s->v, i, coef, out);
    } else if (s->v.sparse) {
        for (uint64_t j = s->v.row_start[i]; j < s->v.row_start[i + 1]; j++) out[s->v.columns[j]] += coef * s->values64[j];
    } else {
        const double *row = s->values64 + i * s->v.d;
        for (uint64_t j = 0; j < s->v.d; j++) out[j] += coef * row[j];
    }
}

/* out = (1/n) sum_i coef(i) a_i, with coef computed per row by `mode`:
 * 0: gradient coefficient -b_i sigmoid(-b_i m_i) (also sets margins, weights, and the loss);
 * 1: Hessian-vector coefficient D_i (a_i . vec). */
static double data_pass(newton_state *s, int mode, const double *vec, double *out)
{
    const uint64_t n = s->v.n, d = s->v.d;
    double block_loss[GTAP_EVAL_BLOCKS];
#pragma omp parallel for schedule(dynamic, 1)
    for (int block = 0; block < s->blocks; block++) {
        double *acc = s->block_vectors + (uint64_t)block * d;
        memset(acc, 0, d * sizeof *acc);
        uint64_t first = n * (uint64_t)block / (uint64_t)s->blocks, last = n * (uint64_t)(block + 1) / (uint64_t)s->blocks;
        double loss = 0.0;
        for (uint64_t i = first; i < last; i++) {
            double dot_i = row_dot(s, i, vec);
            double coef;
            if (mode == 0) {
                double b = s->v.labels[i];
                double sig = gtap_sigmoid(-b * dot_i);
                s->margins[i] = dot_i;
                s->weights[i] = sig * (1.0 - sig);
                loss += gtap_logistic_loss(b * dot_i);
                coef = -b * sig;
            } else {
                coef = s->weights[i] * dot_i;
            }
            row_axpy(s, i, coef, acc);
        }
        block_loss[block] = loss;
    }
    double total = 0.0;
    memset(out, 0, d * sizeof *out);
    for (int block = 0; block < s->blocks; block++) {
        const double *acc = s->block_vectors + (uint64_t)block * d;
        for (uint64_t j = 0; j < d; j++) out[j] += acc[j];
        total += block_loss[block];
    }
    for (uint64_t j = 0; j < d; j++) out[j] /= (double)n;
    return total / (double)n;
}

/* f(x) and grad f(x); refreshes the Hessian weights at x. */
static double objective(newton_state *s, const double *x, double *grad)
{
    double loss = data_pass(s, 0, x, grad);
    for (uint64_t j = 0; j < s->v.d; j++) grad[j] += s->lambda * x[j];
    return loss + 0.5 * s->lambda * dot(x, x, s->v.d);
}

static void hessian_times(newton_state *s, const double *vec, double *out)
{
    data_pass(s, 1, vec, out);
    for (uint64_t j = 0; j < s->v.d; j++) out[j] += s->lambda * vec[j];
}

/* Solve H p = -g by CG to ||r|| <= forcing ||g||; returns iterations. */
static int conjugate_gradient(newton_state *s, const double *grad, double forcing, double *p, double *r, double *dir,
                              double *hd)
{
    const uint64_t d = s->v.d;
    memset(p, 0, d * sizeof *p);
    for (uint64_t j = 0; j < d; j++) r[j] = -grad[j], dir[j] = r[j];
    double rr = dot(r, r, d), goal = forcing * forcing * dot(grad, grad, d);
    int iterations = 0;
    while (rr > goal && iterations < 500) {
        hessian_times(s, dir, hd);
        double curvature = dot(dir, hd, d);
        if (!(curvature > 0.0)) break;
        double alpha = rr / curvature;
        for (uint64_t j = 0; j < d; j++) p[j] += alpha * dir[j], r[j] -= alpha * hd[j];
        double rr_next = dot(r, r, d);
        double beta = rr_next / rr;
        for (uint64_t j = 0; j < d; j++) dir[j] = r[j] + beta * dir[j];
        rr = rr_next;
        iterations++;
    }
    if (iterations == 0) memcpy(p, r, d * sizeof *p); /* steepest descent fallback */
    return iterations;
}

int gtap_logreg_optimum(const gtap_dataset *data, double lambda, double tolerance, int max_newton, double *x_star,
                        gtap_optimum *result)
{
    if (data == NULL || result == NULL) return gtap_set_error(GTAP_EINVAL, "f*: NULL argument");
    memset(result, 0, sizeof *result);
    if (data->classes != 2) return gtap_set_error(GTAP_EINVAL, "f*: data has %d classes (binary only)", data->classes);
    if (!(lambda > 0.0) || !(tolerance > 0.0) || max_newton < 1)
        return gtap_set_error(GTAP_EINVAL, "f*: lambda=%g, tolerance=%g, max_newton=%d (all must be > 0)", lambda,
                              tolerance, max_newton);
    newton_state s;
    memset(&s, 0, sizeof s);
    s.v = gtap_dataset_get_view(data);
    s.values64 = data->values64;
    s.lambda = lambda;
    s.blocks = s.v.n < GTAP_EVAL_BLOCKS ? (int)s.v.n : GTAP_EVAL_BLOCKS;
    const uint64_t d = s.v.d, n = s.v.n;
    uint64_t block_count = 0;
    if (gtap_mul_overflow_u64((uint64_t)s.blocks, d, &block_count))
        return gtap_set_error(GTAP_EOVERFLOW, "f*: d=%llu too large", (unsigned long long)d);
    s.block_vectors = malloc(block_count * sizeof(double));
    s.weights = malloc(n * sizeof(double));
    s.margins = malloc(n * sizeof(double));
    double *work = malloc(7 * d * sizeof(double));
    int rc = GTAP_OK;
    if (!s.block_vectors || !s.weights || !s.margins || !work) {
        rc = gtap_set_error(GTAP_ENOMEM, "f*: out of memory (d=%llu)", (unsigned long long)d);
        goto cleanup;
    }
    double *x = work, *grad = work + d, *p = work + 2 * d, *r = work + 3 * d, *dir = work + 4 * d,
           *hd = work + 5 * d, *trial = work + 6 * d;
    memset(x, 0, d * sizeof *x);
    double f = objective(&s, x, grad);
    double gnorm = sqrt(dot(grad, grad, d));
    int iteration = 0;
    while (gnorm >= tolerance && iteration < max_newton) {
        double forcing = fmin(0.5, sqrt(gnorm));
        result->cg_iterations += conjugate_gradient(&s, grad, forcing, p, r, dir, hd);
        double slope = dot(grad, p, d), step = 1.0, f_trial = f;
        if (!(slope < 0.0)) { /* not a descent direction: use -grad */
            for (uint64_t j = 0; j < d; j++) p[j] = -grad[j];
            slope = -gnorm * gnorm;
        }
        for (int tries = 0; tries < 40; tries++) {
            for (uint64_t j = 0; j < d; j++) trial[j] = x[j] + step * p[j];
            f_trial = objective(&s, trial, hd);
            if (f_trial <= f + 1e-4 * step * slope || gnorm < 1e-6) break;
            step *= 0.5;
        }
        memcpy(x, trial, d * sizeof *x);
        memcpy(grad, hd, d * sizeof *grad);
        f = f_trial;
        gnorm = sqrt(dot(grad, grad, d));
        iteration++;
    }
    result->fstar = f;
    result->grad_norm = gnorm;
    result->newton_iterations = iteration;
    result->converged = gnorm < tolerance;
    if (x_star) memcpy(x_star, x, d * sizeof *x);
cleanup:
    free(s.block_vectors);
    free(s.weights);
    free(s.margins);
    free(work);
    return rc;
}
