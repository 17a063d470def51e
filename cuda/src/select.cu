/*
 * select.cu - the public selectors of gradtap/cuda.h (docs/THEORY.md s.4) and
 * their fusion with error feedback (s.4): argument checks, workspace layout,
 * and the fixed launch sequence of each selector over the building blocks
 * (moments.cuh, search.cuh, radix_select.cuh). No host synchronisation.
 */
#include <math.h>
#include <string.h>

#include "gradtap/abi.h"
#include "moments.cuh"
#include "radix_select.cuh"
#include "search.cuh"

/* ---- workspace layout ------------------------------------------------------ */

typedef struct gtap_select_layout {
    gtap_search_state *search;
    gtap_search_ctrl *ctrl;
    gtap_cu_moments *partials;
    gtap_cu_moments *moments;
    uint2 *search_list;
    unsigned long long search_cap;
    gtap_sel_ws engine;
    uint32_t *sample_idx; /* DGC: the k_s largest of the sample */
    float *sample_val;
    uint64_t sample_n, sample_k;
} gtap_select_layout;

static void gtap_dgc_sizes(const gtap_cuda_select_params *p, uint64_t d, uint64_t *n, uint64_t *k) {
    double want = ceil(p->sample_density * (double)d);
    uint64_t sn = want >= (double)d ? d : (uint64_t)want;
    if (sn < p->min_sample) sn = p->min_sample;
    if (sn > d) sn = d;
    if (sn == 0) sn = 1;
    const double rho = (double)p->k / (double)d;
    double ks = ceil(rho * (double)sn);
    uint64_t kk = ks < 1.0 ? 1 : (ks > (double)sn ? sn : (uint64_t)ks);
    *n = sn;
    *k = kk;
}

static size_t gtap_select_carve(const gtap_cuda_select_params *p, uint64_t d, void *base, gtap_select_layout *L) {
    gtap_ws ws = {(char *)base, 0};
    memset(L, 0, sizeof *L);
    const uint64_t k = p->selector == GTAP_CUDA_HARD_THRESHOLD ? 1 : p->k;
    L->search = (gtap_search_state *)gtap_ws_take(&ws, sizeof(gtap_search_state));
    L->ctrl = (gtap_search_ctrl *)gtap_ws_take(&ws, sizeof(gtap_search_ctrl));
    L->partials = (gtap_cu_moments *)gtap_ws_take(&ws, GTAP_MAX_GRID * sizeof(gtap_cu_moments));
    L->moments = (gtap_cu_moments *)gtap_ws_take(&ws, sizeof(gtap_cu_moments));
    uint64_t engine_cap = gtap_sel_default_cap(d, k);
    if (p->selector == GTAP_CUDA_GAUSSIANK || p->selector == GTAP_CUDA_TRIMMED_TOPK || p->selector == GTAP_CUDA_DGCK) {
        L->search_cap = gtap_sel_default_cap(d, k);
        L->search_list = (uint2 *)gtap_ws_take(&ws, L->search_cap * sizeof(uint2));
    }
    if (p->selector == GTAP_CUDA_DGCK) {
        gtap_dgc_sizes(p, d, &L->sample_n, &L->sample_k);
        if (engine_cap < L->sample_n) engine_cap = L->sample_n;
        L->sample_idx = (uint32_t *)gtap_ws_take(&ws, L->sample_k * sizeof(uint32_t));
        L->sample_val = (float *)gtap_ws_take(&ws, L->sample_k * sizeof(float));
    }
    gtap_sel_carve(&ws, engine_cap, &L->engine);
    return ws.used;
}

static size_t gtap_select_bytes(const gtap_cuda_select_params *p, uint64_t d) {
    gtap_select_layout L;
    return gtap_select_carve(p, d, NULL, &L);
}

/* ---- parameters ------------------------------------------------------------ */

extern "C" void gtap_cuda_select_params_init(gtap_cuda_select_params *p, gtap_cuda_selector selector, uint64_t k) {
    if (p == NULL) return;
    memset(p, 0, sizeof *p);
    p->struct_size = sizeof *p;
    p->struct_version = GTAP_CUDA_SELECT_PARAMS_VERSION;
    p->selector = selector;
    p->k = k;
    p->exact_k = 0;
    p->band_lo = 0.8;
    p->band_hi = 1.25;
    p->max_passes = 3;
    p->max_retries = 10;
    p->threshold = 0.0f;
    p->sample_density = 0.01;
    p->min_sample = 1000;
    p->seed = 0;
}

static int gtap_check_params(const gtap_cuda_select_params *p, uint64_t d) {
    if (p == NULL) return gtap_set_error(GTAP_EINVAL, "cuda select: NULL parameters");
    int rc = gtap_struct_check("cuda select parameters", "gtap_cuda_select_params_init",
                               p->struct_size, p->struct_version, sizeof *p, GTAP_CUDA_SELECT_PARAMS_VERSION);
    if (rc < 0) return rc;
    if (d == 0) return gtap_set_error(GTAP_EINVAL, "cuda select: d = 0");
    if (d > UINT32_MAX)
        return gtap_set_error(GTAP_EOVERFLOW, "cuda select: d=%llu exceeds the uint32 index range",
                              (unsigned long long)d);
    if ((unsigned)p->selector > (unsigned)GTAP_CUDA_TRIMMED_TOPK)
        return gtap_set_error(GTAP_EINVAL, "cuda select: unknown selector %d", (int)p->selector);
    if (p->selector == GTAP_CUDA_HARD_THRESHOLD) {
        if (!(p->threshold >= 0.0f) || isinf(p->threshold))
            return gtap_set_error(GTAP_EINVAL, "cuda hard threshold: lambda=%g must be finite and >= 0",
                                  (double)p->threshold);
        return GTAP_OK;
    }
    if (p->k == 0 || p->k > d)
        return gtap_set_error(GTAP_EINVAL, "cuda select: k=%llu must be in 1..d=%llu", (unsigned long long)p->k,
                              (unsigned long long)d);
    if (p->selector == GTAP_CUDA_GAUSSIANK || p->selector == GTAP_CUDA_TRIMMED_TOPK) {
        if (!(p->band_lo > 0.0 && p->band_lo <= 1.0) || !(p->band_hi >= 1.0 && p->band_hi < 1e6))
            return gtap_set_error(GTAP_EINVAL, "cuda select: band [%g, %g] must satisfy 0 < lo <= 1 <= hi",
                                  p->band_lo, p->band_hi);
        if (p->max_passes < 1 || p->max_passes > 16)
            return gtap_set_error(GTAP_EINVAL, "cuda select: max_passes=%d not in 1..16", p->max_passes);
    }
    if (p->selector == GTAP_CUDA_DGCK) {
        if (!(p->sample_density > 0.0 && p->sample_density <= 1.0))
            return gtap_set_error(GTAP_EINVAL, "cuda dgc-k: sample density %g not in (0, 1]", p->sample_density);
        if (p->max_retries < 0 || p->max_retries > GTAP_SEARCH_NT - 1)
            return gtap_set_error(GTAP_EINVAL, "cuda dgc-k: max_retries=%d not in 0..15", p->max_retries);
    }
    return GTAP_OK;
}

extern "C" int gtap_cuda_select_workspace_size(const gtap_cuda_select_params *p, uint64_t d, size_t *bytes) {
    if (bytes == NULL) return gtap_set_error(GTAP_EINVAL, "cuda select workspace: NULL bytes");
    int rc = gtap_check_params(p, d);
    if (rc < 0) return rc;
    *bytes = gtap_select_bytes(p, d);
    return GTAP_OK;
}

/* ---- small kernels of the selectors ------------------------------------------ */

/* Gaussian-k start: t0 from the moments (two-sided normal quantile), then
 * the first round spans [0.75 t0, 2 t0]. Trimmed top-k start: the round
 * spans [mean|u|, max|u|]. */
__global__ void gtap_start_kernel(const gtap_cu_moments *m, gtap_search_state *s, unsigned long long k,
                                  unsigned long long d, unsigned long long band_lo, unsigned long long band_hi,
                                  int exact_k, int max_passes, int trimmed) {
    if (threadIdx.x != 0) return;
    gtap_search_init(s, k, band_lo, band_hi, exact_k, max_passes);
    s->n_nonfinite = m->n_nan + m->n_inf;
    if (trimmed) {
        const double mean_abs = m->n > 0.0 ? m->l1 / m->n : 0.0;
        s->stat_a = mean_abs;
        s->stat_b = m->max_abs;
        gtap_search_spread(s, mean_abs, m->max_abs, 1);
    } else {
        const double sigma = m->n > 0.0 ? sqrt(m->m2 / m->n) : 0.0;
        s->stat_a = m->mean;
        s->stat_b = sigma;
        const double t0 = gtap_gaussian_threshold(m->mean, sigma, (double)k / (double)d);
        gtap_search_spread(s, 0.75 * t0, 2.0 * t0, 1);
    }
    s->list_t = s->th[0];
}

/* Hard threshold: a finished search at lambda, emitted from u. */
__global__ void gtap_fixed_threshold_kernel(gtap_search_state *s, gtap_search_ctrl *c, float lambda) {
    if (threadIdx.x != 0) return;
    gtap_search_init(s, 1, 0, ~0ull, 0, 1);
    s->best_t = lambda;
    s->have_best = 1;
    s->in_band = 1;
    s->done = 1;
    s->stat_a = s->stat_b = 0.0;
    s->n_nonfinite = 0;
    memset(c, 0, sizeof *c);
    c->emit_pairs = 1;
    c->engine_skip = 1;
}

/* DGC-k: draw the sample into the engine's list 0 (with replacement). */
__global__ void gtap_dgc_sample_kernel(const float *u, uint64_t d, uint64_t seed, uint64_t n, uint2 *list,
                                       gtap_sel_state *st) {
    const uint64_t stride = (uint64_t)gridDim.x * blockDim.x;
    for (uint64_t j = (uint64_t)blockIdx.x * blockDim.x + threadIdx.x; j < n; j += stride) {
        const uint32_t idx = gtap_draw_index(gtap_philox_draw(seed, GTAP_PHILOX_STREAM_DGC, j), d);
        list[j] = make_uint2(idx, gtap_mag_hi(__ldg(u + idx)));
    }
    if (blockIdx.x == 0 && threadIdx.x == 0) {
        st->src_mode = GTAP_SEL_LIST;
        st->n_list = n;
    }
}

/* DGC-k: threshold = smallest |v| among the k_s largest of the sample. */
__global__ void gtap_dgc_start_kernel(const float *sample_val, uint64_t ks, gtap_search_state *s,
                                      unsigned long long k, int max_retries) {
    __shared__ uint32_t smallest;
    if (threadIdx.x == 0) smallest = 0xffffffffu;
    __syncthreads();
    uint32_t mine = 0xffffffffu;
    for (uint64_t j = threadIdx.x; j < ks; j += blockDim.x) mine = min(mine, gtap_mag_key(sample_val[j]));
    atomicMin(&smallest, mine);
    __syncthreads();
    if (threadIdx.x != 0) return;
    const unsigned long long lo = (unsigned long long)ceil(0.8 * (double)k);
    const unsigned long long hi = (unsigned long long)floor(1.3 * (double)k);
    gtap_search_init(s, k, lo, hi, 0, 1);
    s->max_retries = (uint32_t)max_retries;
    s->stat_a = s->stat_b = 0.0;
    s->n_nonfinite = 0;
    gtap_dgc_thresholds(s, gtap_key_float(smallest == 0xffffffffu ? 0u : smallest));
    s->list_t = s->th[0];
}

/* How a threshold selector ends: pairs straight to the output (variable
 * count), or the exact top-k of the candidates through the radix engine. */
__global__ void gtap_decide_kernel(const gtap_search_state *s, gtap_search_ctrl *c, int mode,
                                   unsigned long long k, unsigned long long engine_cap) {
    if (threadIdx.x != 0) return;
    c->out_count = 0;
    c->emit_pairs = c->emit_list = c->engine_skip = c->fallback = 0;
    bool exact;
    if (mode == 0) exact = false;                 /* variable count */
    else if (mode == 1) exact = true;             /* exactly k */
    else exact = s->best_c > s->band_hi;          /* DGC: cut to exactly k above 1.3k */
    if (!exact) {
        c->emit_pairs = 1;
        c->engine_skip = 1;
        return;
    }
    if (s->have_best && s->best_c >= k && s->best_c <= engine_cap) c->emit_list = 1;
    else c->fallback = 1;
}

__global__ void gtap_sel_use_list_kernel(gtap_sel_state *st, const gtap_search_ctrl *c) {
    if (threadIdx.x == 0 && c->emit_list) st->src_mode = GTAP_SEL_LIST;
}

__global__ void gtap_search_result_kernel(gtap_cuda_result *res, const gtap_search_state *s,
                                          const gtap_search_ctrl *c, unsigned long long out_cap) {
    if (threadIdx.x != 0) return;
    res->passes = s->passes;
    res->mean = s->stat_a;
    res->sigma = s->stat_b;
    res->n_nonfinite = s->n_nonfinite;
    if (c->emit_pairs) {
        res->total = c->out_count;
        res->count = c->out_count < out_cap ? c->out_count : out_cap;
        res->threshold = s->best_t;
        if (c->out_count > out_cap) res->flags |= GTAP_CUDA_FLAG_TRUNCATED;
        if (!s->in_band) res->flags |= GTAP_CUDA_FLAG_OUT_OF_BAND;
    } else if (c->fallback) {
        res->flags |= GTAP_CUDA_FLAG_FALLBACK;
    }
}

/* Error feedback: residual = u - C(u), i.e. zero the kept coordinates. */
__global__ void gtap_ef_zero_kernel(float *r, const uint32_t *idx, const gtap_cuda_result *res) {
    const uint64_t n = res->count, stride = (uint64_t)gridDim.x * blockDim.x;
    for (uint64_t j = (uint64_t)blockIdx.x * blockDim.x + threadIdx.x; j < n; j += stride) r[idx[j]] = 0.0f;
}

/* ---- the selectors ------------------------------------------------------------- */

/* Ends of Gaussian-k, trimmed top-k and DGC-k (mode 0 variable, 1 exactly k, 2 DGC). */
static int gtap_finish_threshold(const float *u, uint64_t d, uint64_t k, int mode, const gtap_select_layout *L,
                                 gtap_cuda_pairs out, cudaStream_t stream) {
    const unsigned grid = gtap_grid_for(d, 4);
    gtap_decide_kernel<<<1, 32, 0, stream>>>(L->search, L->ctrl, mode, k, L->engine.cap);
    gtap_search_emit_kernel<<<grid, GTAP_BLOCK, 0, stream>>>(u, d, L->search, L->search_list, &L->ctrl->emit_pairs, 0,
                                                             out.index, out.value, NULL, &L->ctrl->out_count,
                                                             out.capacity);
    if (mode != 0) {
        gtap_sel_init_kernel<<<1, 256, 0, stream>>>(L->engine.st, k, &L->ctrl->engine_skip);
        gtap_sel_use_list_kernel<<<1, 32, 0, stream>>>(L->engine.st, L->ctrl);
        gtap_search_emit_kernel<<<grid, GTAP_BLOCK, 0, stream>>>(u, d, L->search, L->search_list, &L->ctrl->emit_list,
                                                                 1, NULL, NULL, L->engine.list[0],
                                                                 &L->engine.st->n_list, L->engine.cap);
        int rc = gtap_sel_enqueue(gtap_mag_source{u}, d, k, L->engine, 1, out.index, out.value, out.result, 1, stream);
        if (rc < 0) return rc;
    }
    gtap_search_result_kernel<<<1, 32, 0, stream>>>(out.result, L->search, L->ctrl, out.capacity);
    GTAP_CUDA_CHECK("selection finish launch");
    return GTAP_OK;
}

static int gtap_select_impl(const gtap_cuda_select_params *p, const float *u, uint64_t d, gtap_cuda_pairs out,
                            const gtap_select_layout *L, int moments_ready, cudaStream_t stream) {
    const uint64_t k = p->k;
    GTAP_CUDA_CALL(cudaMemsetAsync(out.result, 0, sizeof(gtap_cuda_result), stream), "cuda select: clear result");
    switch (p->selector) {
    case GTAP_CUDA_TOPK:
        return gtap_sel_enqueue(gtap_mag_source{u}, d, k, L->engine, 0, out.index, out.value, out.result, 1, stream);
    case GTAP_CUDA_RANDK:
        return gtap_sel_enqueue(gtap_rand_source{u, p->seed}, d, k, L->engine, 0, out.index, out.value, out.result,
                                0, stream);
    case GTAP_CUDA_HARD_THRESHOLD: {
        gtap_fixed_threshold_kernel<<<1, 32, 0, stream>>>(L->search, L->ctrl, p->threshold);
        const unsigned grid = gtap_grid_for(d, 4);
        gtap_search_emit_kernel<<<grid, GTAP_BLOCK, 0, stream>>>(u, d, L->search, NULL, &L->ctrl->emit_pairs, 0,
                                                                 out.index, out.value, NULL, &L->ctrl->out_count,
                                                                 out.capacity);
        gtap_search_result_kernel<<<1, 32, 0, stream>>>(out.result, L->search, L->ctrl, out.capacity);
        GTAP_CUDA_CHECK("hard threshold launch");
        return GTAP_OK;
    }
    case GTAP_CUDA_GAUSSIANK:
    case GTAP_CUDA_TRIMMED_TOPK: {
        const int trimmed = p->selector == GTAP_CUDA_TRIMMED_TOPK;
        const int exact = trimmed || p->exact_k;
        if (!moments_ready) {
            int rc = gtap_cu_moments_enqueue(0, u, NULL, NULL, 0.0f, d, L->partials, L->moments, NULL, stream);
            if (rc < 0) return rc;
        }
        unsigned long long lo = exact ? k : (unsigned long long)ceil(p->band_lo * (double)k);
        unsigned long long hi = (unsigned long long)floor(p->band_hi * (double)k);
        if (lo < 1) lo = 1;
        if (hi < k) hi = k;
        gtap_start_kernel<<<1, 32, 0, stream>>>(L->moments, L->search, k, d, lo, hi, exact, p->max_passes, trimmed);
        int rc = gtap_search_enqueue_rounds(u, d, L->search, L->search_list, L->search_cap, p->max_passes, 0, stream);
        if (rc < 0) return rc;
        return gtap_finish_threshold(u, d, k, exact ? 1 : 0, L, out, stream);
    }
    case GTAP_CUDA_DGCK: {
        gtap_sel_init_kernel<<<1, 256, 0, stream>>>(L->engine.st, L->sample_k, NULL);
        const unsigned sgrid = gtap_grid_for(L->sample_n, 1);
        gtap_dgc_sample_kernel<<<sgrid, GTAP_BLOCK, 0, stream>>>(u, d, p->seed, L->sample_n, L->engine.list[0],
                                                                 L->engine.st);
        int rc = gtap_sel_enqueue(gtap_mag_source{u}, d, L->sample_k, L->engine, 1, L->sample_idx, L->sample_val,
                                  NULL, 1, stream);
        if (rc < 0) return rc;
        gtap_dgc_start_kernel<<<1, 256, 0, stream>>>(L->sample_val, L->sample_k, L->search, k, p->max_retries);
        rc = gtap_search_enqueue_rounds(u, d, L->search, L->search_list, L->search_cap, 1, 1, stream);
        if (rc < 0) return rc;
        return gtap_finish_threshold(u, d, k, 2, L, out, stream);
    }
    }
    return gtap_set_error(GTAP_EINVAL, "cuda select: unknown selector %d", (int)p->selector);
}

static int gtap_check_call(const gtap_cuda_select_params *p, uint64_t d, const gtap_cuda_pairs *out, void *workspace,
                           size_t workspace_bytes) {
    int rc = gtap_check_params(p, d);
    if (rc < 0) return rc;
    if (out->index == NULL || out->value == NULL || out->result == NULL || workspace == NULL)
        return gtap_set_error(GTAP_EINVAL, "cuda select: NULL output array, result or workspace");
    const int exact = p->selector == GTAP_CUDA_TOPK || p->selector == GTAP_CUDA_RANDK ||
                      p->selector == GTAP_CUDA_TRIMMED_TOPK || (p->selector == GTAP_CUDA_GAUSSIANK && p->exact_k) ||
                      p->selector == GTAP_CUDA_DGCK;
    if (exact && out->capacity < p->k)
        return gtap_set_error(GTAP_EINVAL, "cuda select: output capacity %llu < k=%llu",
                              (unsigned long long)out->capacity, (unsigned long long)p->k);
    const size_t need = gtap_select_bytes(p, d);
    if (workspace_bytes < need)
        return gtap_set_error(GTAP_EINVAL, "cuda select: workspace of %zu bytes, need %zu", workspace_bytes, need);
    return GTAP_OK;
}

extern "C" int gtap_cuda_select(const gtap_cuda_select_params *p, const float *u, uint64_t d, gtap_cuda_pairs out,
                                void *workspace, size_t workspace_bytes, cudaStream_t stream) {
    int rc = gtap_check_call(p, d, &out, workspace, workspace_bytes);
    if (rc < 0) return rc;
    if (u == NULL) return gtap_set_error(GTAP_EINVAL, "cuda select: NULL u");
    gtap_select_layout L;
    gtap_select_carve(p, d, workspace, &L);
    return gtap_select_impl(p, u, d, out, &L, 0, stream);
}

extern "C" int gtap_cuda_ef_select(const gtap_cuda_select_params *p, const float *grad, float *residual, float scale,
                                   uint64_t d, gtap_cuda_pairs out, void *workspace, size_t workspace_bytes,
                                   cudaStream_t stream) {
    int rc = gtap_check_call(p, d, &out, workspace, workspace_bytes);
    if (rc < 0) return rc;
    if (grad == NULL || residual == NULL) return gtap_set_error(GTAP_EINVAL, "cuda ef select: NULL grad or residual");
    if (!isfinite(scale)) return gtap_set_error(GTAP_EINVAL, "cuda ef select: scale %g is not finite", (double)scale);
    gtap_select_layout L;
    gtap_select_carve(p, d, workspace, &L);
    rc = gtap_cu_moments_enqueue(0, NULL, grad, residual, scale, d, L.partials, L.moments, NULL, stream);
    if (rc < 0) return rc;
    rc = gtap_select_impl(p, residual, d, out, &L, 1, stream);
    if (rc < 0) return rc;
    gtap_ef_zero_kernel<<<gtap_grid_for(out.capacity, 4), GTAP_BLOCK, 0, stream>>>(residual, out.index, out.result);
    GTAP_CUDA_CHECK("error feedback launch");
    return GTAP_OK;
}
