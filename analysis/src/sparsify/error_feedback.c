/*
 * sparsify/error_feedback.c - error feedback around any compressor
 * (docs/THEORY.md s.5): Stich's form (p = m + eta grad; g = C(p); m = p - g)
 * and Shi's (u = grad + r; s = C(u); r = u - s), with memory on or off,
 * per-segment (per-layer) or global selection. The memory is updated in
 * place, so a step reads grad once and the memory twice.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sparsify/internal.h"

struct gtap_ef {
    gtap_ef_form form;
    int memory;
    uint64_t d;
    gtap_segment *segments;
    size_t n_segments;
    uint64_t capacity;
    gtap_sparsifier *sp;
    float *mem;     /* d: m or r (zeros with memory off) */
    float *scratch; /* d: eta * grad with memory off, Stich form */
};

int gtap_ef_form_parse(const char *name, gtap_ef_form *form)
{
    if (name == NULL || form == NULL) return gtap_set_error(GTAP_EINVAL, "error feedback form: NULL argument");
    if (strcmp(name, "stich") == 0) {
        *form = GTAP_EF_STICH;
    } else if (strcmp(name, "shi") == 0) {
        *form = GTAP_EF_SHI;
    } else {
        return gtap_set_error(GTAP_EINVAL, "unknown error feedback form '%s' (valid: stich, shi)", name);
    }
    return GTAP_OK;
}

const char *gtap_ef_form_name(gtap_ef_form form)
{
    switch (form) {
    case GTAP_EF_STICH: return "stich";
    case GTAP_EF_SHI: return "shi";
    default: return "unknown";
    }
}

static int check_segments(const gtap_segment *segments, size_t n, uint64_t d)
{
    uint64_t next = 0;
    for (size_t s = 0; s < n; s++) {
        if (segments[s].offset != next || segments[s].length == 0 || segments[s].length > d - next)
            return gtap_set_error(GTAP_EINVAL,
                                  "error feedback: segment %zu [offset %llu, length %llu] does not continue the "
                                  "tiling of [0, %llu) at %llu",
                                  s, (unsigned long long)segments[s].offset, (unsigned long long)segments[s].length,
                                  (unsigned long long)d, (unsigned long long)next);
        next += segments[s].length;
    }
    if (next != d)
        return gtap_set_error(GTAP_EINVAL, "error feedback: segments cover [0, %llu) but d = %llu",
                              (unsigned long long)next, (unsigned long long)d);
    return GTAP_OK;
}

int gtap_ef_create(const gtap_sparsify_options *opt, gtap_ef_form form, int memory, uint64_t d,
                   const gtap_segment *segments, size_t n_segments, uint64_t global_k, gtap_ef **out)
{
    if (out != NULL) *out = NULL;
    if (opt == NULL || out == NULL || (segments == NULL && n_segments > 0))
        return gtap_set_error(GTAP_EINVAL, "error feedback create: NULL argument");
    if (d == 0) return gtap_set_error(GTAP_EINVAL, "error feedback create: d = 0");
    if (form != GTAP_EF_STICH && form != GTAP_EF_SHI)
        return gtap_set_error(GTAP_EINVAL, "error feedback create: form %d is neither stich nor shi", (int)form);
    if ((uint64_t)d > SIZE_MAX / sizeof(float))
        return gtap_set_error(GTAP_EOVERFLOW, "error feedback create: d = %llu too large", (unsigned long long)d);
    gtap_segment global = {0, d, global_k};
    if (segments == NULL) {
        segments = &global;
        n_segments = 1;
    }
    int rc = check_segments(segments, n_segments, d);
    if (rc < 0) return rc;

    gtap_ef *ef = calloc(1, sizeof *ef);
    if (ef == NULL) return gtap_set_error(GTAP_ENOMEM, "error feedback create: out of memory");
    ef->form = form;
    ef->memory = memory != 0;
    ef->d = d;
    ef->n_segments = n_segments;
    ef->segments = malloc(n_segments * sizeof *ef->segments);
    ef->mem = calloc((size_t)d, sizeof *ef->mem);
    ef->scratch = (!ef->memory && form == GTAP_EF_STICH) ? malloc((size_t)d * sizeof *ef->scratch) : NULL;
    if (ef->segments == NULL || ef->mem == NULL || (!ef->memory && form == GTAP_EF_STICH && ef->scratch == NULL)) {
        gtap_ef_free(ef);
        return gtap_set_error(GTAP_ENOMEM, "error feedback create: out of memory for d = %llu",
                              (unsigned long long)d);
    }
    memcpy(ef->segments, segments, n_segments * sizeof *ef->segments);
    uint64_t longest = 0;
    for (size_t s = 0; s < n_segments; s++) longest = segments[s].length > longest ? segments[s].length : longest;
    rc = gtap_sparsifier_create(opt, longest, &ef->sp);
    for (size_t s = 0; rc == GTAP_OK && s < n_segments; s++) {
        uint64_t cap = 0;
        rc = gtap_sparsifier_capacity(ef->sp, segments[s].length, segments[s].k, &cap);
        if (rc < 0) rc = gtap_set_error(rc, "error feedback: segment %zu: %s", s, gtap_last_error());
        ef->capacity += cap;
    }
    if (rc < 0) {
        gtap_ef_free(ef);
        return rc;
    }
    *out = ef;
    return GTAP_OK;
}

void gtap_ef_free(gtap_ef *ef)
{
    if (ef == NULL) return;
    gtap_sparsifier_free(ef->sp);
    free(ef->segments);
    free(ef->mem);
    free(ef->scratch);
    free(ef);
}

uint64_t gtap_ef_capacity(const gtap_ef *ef) { return ef == NULL ? 0 : ef->capacity; }
const float *gtap_ef_memory(const gtap_ef *ef) { return ef == NULL ? NULL : ef->mem; }
uint64_t gtap_ef_dim(const gtap_ef *ef) { return ef == NULL ? 0 : ef->d; }
gtap_sparsifier *gtap_ef_sparsifier(gtap_ef *ef) { return ef == NULL ? NULL : ef->sp; }

void gtap_ef_reset(gtap_ef *ef)
{
    if (ef != NULL) memset(ef->mem, 0, (size_t)ef->d * sizeof *ef->mem);
}

/* The vector to compress: p = m + eta grad / u = grad + r in place in the
 * memory, or eta grad / grad without memory. Returns it; *norm2 gets its
 * squared norm when wanted. */
static const float *build_input(gtap_ef *ef, const float *grad, float eta, double *norm2)
{
    const float *input = grad;
    if (ef->memory) {
        float *m = ef->mem;
        if (ef->form == GTAP_EF_STICH) {
            for (uint64_t i = 0; i < ef->d; i++) m[i] = m[i] + eta * grad[i];
        } else {
            for (uint64_t i = 0; i < ef->d; i++) m[i] = m[i] + grad[i];
        }
        input = m;
    } else if (ef->form == GTAP_EF_STICH) {
        for (uint64_t i = 0; i < ef->d; i++) ef->scratch[i] = eta * grad[i];
        input = ef->scratch;
    }
    if (norm2 != NULL) {
        double sum = 0.0;
        for (uint64_t i = 0; i < ef->d; i++) sum += (double)input[i] * (double)input[i];
        *norm2 = sum;
    }
    return input;
}

int gtap_ef_step(gtap_ef *ef, const float *grad, float eta, uint64_t stream, uint64_t *indices,
                 float *values, uint64_t capacity, gtap_ef_step_stats *stats)
{
    if (ef == NULL || grad == NULL || indices == NULL || values == NULL)
        return gtap_set_error(GTAP_EINVAL, "error feedback step: NULL argument");
    if (ef->form == GTAP_EF_STICH && !isfinite(eta))
        return gtap_set_error(GTAP_EINVAL, "error feedback step: eta = %g is not finite", (double)eta);
    if (capacity < ef->capacity)
        return gtap_set_error(GTAP_EOVERFLOW, "error feedback step: output holds %llu pairs, needs %llu",
                              (unsigned long long)capacity, (unsigned long long)ef->capacity);
    gtap_ef_step_stats local;
    gtap_ef_step_stats *st = stats != NULL ? stats : &local;
    memset(st, 0, sizeof *st);
    const float *input = build_input(ef, grad, eta, stats != NULL ? &st->input_norm2 : NULL);

    uint64_t written = 0;
    for (size_t s = 0; s < ef->n_segments; s++) {
        const gtap_segment *seg = &ef->segments[s];
        gtap_sparsify_result res;
        int rc = gtap_sparsify(ef->sp, input + seg->offset, seg->length, seg->k,
                               stream * (uint64_t)ef->n_segments + (uint64_t)s, indices + written, values + written,
                               capacity - written, &res);
        if (rc < 0) {
            if (ef->n_segments > 1) return gtap_set_error(rc, "segment %zu: %s", s, gtap_last_error());
            return rc;
        }
        st->passes += res.passes;
        st->fell_back += res.fell_back;
        for (uint64_t j = 0; j < res.count; j++) {
            uint64_t i = indices[written + j] + seg->offset;
            indices[written + j] = i;
            if (ef->memory) ef->mem[i] = ef->mem[i] - values[written + j];
        }
        written += res.count;
    }
    st->count = written;
    if (stats != NULL && ef->memory) {
        double sum = 0.0;
        for (uint64_t i = 0; i < ef->d; i++) sum += (double)ef->mem[i] * (double)ef->mem[i];
        st->memory_norm2 = sum;
    }
    return GTAP_OK;
}
