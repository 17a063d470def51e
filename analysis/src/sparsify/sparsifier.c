/*
 * sparsify/sparsifier.c - the gtap_sparsifier object of gradtap/sparsify.h:
 * option checks, the workspace allocated once, the capacity a call needs,
 * argument validation and the dispatch to one compressor per kind.
 */
#include <math.h>
#include <stdlib.h>

#include <omp.h>

#include "gradtap/abi.h"
#include "sparsify/internal.h"

static int check_options(const gtap_sparsify_options *opt)
{
    int rc = gtap_struct_check("sparsify options", "gtap_sparsify_options_init",
                               opt->struct_size, opt->struct_version, sizeof *opt, GTAP_SPARSIFY_OPTIONS_VERSION);
    if (rc < 0) return rc;
    if ((int)opt->kind < 0 || opt->kind >= GTAP_SPARSIFY_KIND_COUNT)
        return gtap_set_error(GTAP_EINVAL, "sparsifier kind %d is not a valid kind", (int)opt->kind);
    if (!(opt->band_low > 0.0 && opt->band_low <= 1.0))
        return gtap_set_error(GTAP_EINVAL, "band_low = %g is not in (0, 1]", opt->band_low);
    if (!(opt->band_high >= 1.0 && isfinite(opt->band_high)))
        return gtap_set_error(GTAP_EINVAL, "band_high = %g is not finite and >= 1", opt->band_high);
    if (opt->max_passes < 1 || opt->max_passes > 64)
        return gtap_set_error(GTAP_EINVAL, "max_passes = %d is not in 1..64", opt->max_passes);
    if (opt->count_mode != GTAP_COUNT_VARIABLE && opt->count_mode != GTAP_COUNT_EXACT)
        return gtap_set_error(GTAP_EINVAL, "count_mode = %d is neither variable (0) nor exact (1)",
                              (int)opt->count_mode);
    if (!(opt->sample_ratio > 0.0 && opt->sample_ratio <= 1.0))
        return gtap_set_error(GTAP_EINVAL, "sample_ratio = %g is not in (0, 1]", opt->sample_ratio);
    if (opt->max_retries < 0 || opt->max_retries > 64)
        return gtap_set_error(GTAP_EINVAL, "max_retries = %d is not in 0..64", opt->max_retries);
    if (!(opt->lambda >= 0.0 && isfinite(opt->lambda)))
        return gtap_set_error(GTAP_EINVAL, "lambda = %g is not finite and >= 0", opt->lambda);
    if (opt->threads < 0 || opt->threads > 1024)
        return gtap_set_error(GTAP_EINVAL, "threads = %d is not in 0..1024", opt->threads);
    return GTAP_OK;
}

static void *alloc_array(uint64_t count, size_t size, int *rc)
{
    if (count > SIZE_MAX / size) {
        *rc = gtap_set_error(GTAP_EOVERFLOW, "sparsifier workspace of %llu x %zu bytes overflows",
                             (unsigned long long)count, size);
        return NULL;
    }
    void *p = malloc((size_t)count * size);
    if (p == NULL)
        *rc = gtap_set_error(GTAP_ENOMEM, "sparsifier workspace: out of memory for %llu x %zu bytes",
                             (unsigned long long)count, size);
    return p;
}

int gtap_sparsifier_create(const gtap_sparsify_options *opt, uint64_t d_max, gtap_sparsifier **out)
{
    if (out != NULL) *out = NULL;
    if (opt == NULL || out == NULL) return gtap_set_error(GTAP_EINVAL, "sparsifier create: NULL argument");
    if (d_max == 0) return gtap_set_error(GTAP_EINVAL, "sparsifier create: d_max = 0");
    int rc = check_options(opt);
    if (rc < 0) return rc;
    gtap_sparsifier *sp = calloc(1, sizeof *sp);
    if (sp == NULL) return gtap_set_error(GTAP_ENOMEM, "sparsifier create: out of memory");
    sp->opt = *opt;
    sp->d_max = d_max;
    rc = GTAP_OK;
    sp->cand = alloc_array(d_max, sizeof *sp->cand, &rc);
    if (rc == GTAP_OK) sp->bucket = alloc_array(d_max, sizeof *sp->bucket, &rc);
    if (rc == GTAP_OK) sp->bucket_key = alloc_array(d_max, sizeof *sp->bucket_key, &rc);
    sp->threads = opt->threads > 0 ? opt->threads : omp_get_max_threads();
    if (sp->threads < 1) sp->threads = 1;
    if (rc == GTAP_OK) sp->work = alloc_array((uint64_t)sp->threads, sizeof *sp->work, &rc);
    if (rc == GTAP_OK) sp->block_sums = alloc_array(3 * (d_max / SP_STATS_BLOCK + 1), sizeof *sp->block_sums, &rc);
    if (rc == GTAP_OK && (opt->kind == GTAP_SPARSIFY_RANDK || opt->kind == GTAP_SPARSIFY_RANDK_UNBIASED)) {
        sp->bitmap = calloc((size_t)(d_max / 64 + 1), sizeof *sp->bitmap);
        if (sp->bitmap == NULL) rc = gtap_set_error(GTAP_ENOMEM, "sparsifier create: out of memory (bitmap)");
    }
    if (rc == GTAP_OK && opt->kind == GTAP_SPARSIFY_DGCK) {
        sp->sample_cap = sp_dgc_sample_size(opt, d_max);
        sp->sample = alloc_array(sp->sample_cap, sizeof *sp->sample, &rc);
    }
    if (rc < 0) {
        gtap_sparsifier_free(sp);
        return rc;
    }
    *out = sp;
    return GTAP_OK;
}

void gtap_sparsifier_free(gtap_sparsifier *sp)
{
    if (sp == NULL) return;
    free(sp->cand);
    free(sp->bucket);
    free(sp->bucket_key);
    free(sp->sample);
    free(sp->bitmap);
    free(sp->work);
    free(sp->block_sums);
    free(sp);
}

const gtap_sparsify_options *gtap_sparsifier_options(const gtap_sparsifier *sp)
{
    return sp == NULL ? NULL : &sp->opt;
}

static int check_dims(const gtap_sparsifier *sp, uint64_t d, uint64_t k)
{
    if (d == 0) return gtap_set_error(GTAP_EINVAL, "%s: d = 0", gtap_sparsifier_kind_name(sp->opt.kind));
    if (d > sp->d_max)
        return gtap_set_error(GTAP_EINVAL, "%s: d = %llu exceeds the d_max = %llu the sparsifier was created for",
                              gtap_sparsifier_kind_name(sp->opt.kind), (unsigned long long)d,
                              (unsigned long long)sp->d_max);
    if (sp_kind_uses_k(sp->opt.kind) && (k == 0 || k > d))
        return gtap_set_error(GTAP_EINVAL, "%s: k = %llu is not in 1..d = %llu",
                              gtap_sparsifier_kind_name(sp->opt.kind), (unsigned long long)k,
                              (unsigned long long)d);
    return GTAP_OK;
}

static uint64_t capacity_for(const gtap_sparsify_options *opt, uint64_t d, uint64_t k)
{
    switch (opt->kind) {
    case GTAP_SPARSIFY_TOPK:
    case GTAP_SPARSIFY_RANDK:
    case GTAP_SPARSIFY_RANDK_UNBIASED:
    case GTAP_SPARSIFY_TRIMMED:
        return k;
    case GTAP_SPARSIFY_GAUSSIANK:
        return opt->count_mode == GTAP_COUNT_EXACT ? k : d;
    case GTAP_SPARSIFY_DGCK: {
        double most = floor(1.3 * (double)k);
        return most >= (double)d ? d : (uint64_t)most;
    }
    default:
        return d;
    }
}

int gtap_sparsifier_capacity(const gtap_sparsifier *sp, uint64_t d, uint64_t k, uint64_t *capacity)
{
    if (sp == NULL || capacity == NULL) return gtap_set_error(GTAP_EINVAL, "sparsifier capacity: NULL argument");
    int rc = check_dims(sp, d, k);
    if (rc < 0) return rc;
    *capacity = capacity_for(&sp->opt, d, k);
    return GTAP_OK;
}

static int run_kind(gtap_sparsifier *sp, const float *u, uint64_t d, uint64_t k, uint64_t stream,
                    uint64_t *indices, float *values, uint64_t capacity, gtap_sparsify_result *res)
{
    switch (sp->opt.kind) {
    case GTAP_SPARSIFY_TOPK:
        return sp_run_topk(sp, u, d, k, indices, values, res);
    case GTAP_SPARSIFY_RANDK:
    case GTAP_SPARSIFY_RANDK_UNBIASED:
        return sp_run_randk(sp, u, d, k, stream, indices, values, res);
    case GTAP_SPARSIFY_GAUSSIANK:
        return sp_run_gaussiank(sp, u, d, k, indices, values, capacity, res);
    case GTAP_SPARSIFY_GAUSSIANK_REF:
        return sp_run_gaussiank_ref(sp, u, d, k, indices, values, capacity, res);
    case GTAP_SPARSIFY_DGCK:
        return sp_run_dgck(sp, u, d, k, stream, indices, values, capacity, res);
    case GTAP_SPARSIFY_TRIMMED:
    case GTAP_SPARSIFY_REDSYNC:
        return sp_run_trimmed(sp, u, d, k, indices, values, capacity, res);
    case GTAP_SPARSIFY_THRESHOLD:
        return sp_run_threshold(sp, u, d, indices, values, capacity, res);
    case GTAP_SPARSIFY_SIGN:
        return sp_run_sign(sp, u, d, indices, values, res);
    case GTAP_SPARSIFY_NONE:
        return sp_run_none(sp, u, d, indices, values, res);
    default:
        return gtap_set_error(GTAP_EINTERNAL, "sparsifier kind %d not dispatched", (int)sp->opt.kind);
    }
}

int gtap_sparsify(gtap_sparsifier *sp, const float *u, uint64_t d, uint64_t k, uint64_t stream,
                  uint64_t *indices, float *values, uint64_t capacity, gtap_sparsify_result *result)
{
    gtap_sparsify_result local;
    gtap_sparsify_result *res = result != NULL ? result : &local;
    memset(res, 0, sizeof *res);
    res->threshold = NAN;
    res->scale = 1.0;
    if (sp == NULL || u == NULL || indices == NULL || values == NULL)
        return gtap_set_error(GTAP_EINVAL, "sparsify: NULL argument (sparsifier, u, indices or values)");
    int rc = check_dims(sp, d, k);
    if (rc < 0) return rc;
    res->k = sp_kind_uses_k(sp->opt.kind) ? k : 0;
    /* Kinds with a fixed count need it all before they start. */
    uint64_t fixed = capacity_for(&sp->opt, d, k);
    int fixed_count = sp->opt.kind != GTAP_SPARSIFY_GAUSSIANK_REF && sp->opt.kind != GTAP_SPARSIFY_REDSYNC &&
                      sp->opt.kind != GTAP_SPARSIFY_THRESHOLD && sp->opt.kind != GTAP_SPARSIFY_DGCK &&
                      !(sp->opt.kind == GTAP_SPARSIFY_GAUSSIANK && sp->opt.count_mode == GTAP_COUNT_VARIABLE);
    if (fixed_count && capacity < fixed) return sp_fail_capacity(sp, res, fixed, capacity);
    rc = run_kind(sp, u, d, k, stream, indices, values, capacity, res);
    if (rc < 0 || !sp->opt.quality) return rc;
    rc = gtap_sparsify_evaluate(sp, u, d, k <= d ? k : 0, indices, values, res->count, &res->quality);
    if (rc == GTAP_OK) res->has_quality = 1;
    return rc;
}
