/*
 * gradtap/error_feedback.h - error feedback (memory) around any compressor,
 * docs/THEORY.md s.5. Included by gradtap/sparsify.h.
 *
 * Two forms, named by the run that uses them:
 *  - Stich (learning rate inside the memory):
 *        p = m_t + eta_t * grad;  g_t = C(p);  m_{t+1} = p - g_t;  m_0 = 0
 *    the caller applies x_{t+1} = x_t - g_t (averaged over workers).
 *  - Shi (raw gradient units):
 *        u = grad + r;  s = C(u);  r = u - s;  r_0 = 0
 *    the caller's optimizer applies the learning rate to the aggregate of s.
 * With memory off the same object computes C(eta * grad) (Stich units) or
 * C(grad) (Shi units) and keeps nothing: the "no memory" controls.
 *
 * Selection is per segment: the vector of d coordinates is tiled by
 * segments (a model's layers, each with its own k), or one segment covering
 * all of d (global, whole-model selection). Each segment is compressed
 * independently with the object's compressor; segment s of a call with
 * stream `st` uses random stream st * n_segments + s (mod 2^64). Output
 * indices are global (offset added), strictly increasing.
 *
 * The memory is float32, updated in place: p_i = m_i + eta * grad_i is one
 * float multiply and one float add (no fused multiply-add), then for every
 * kept pair m_i = p_i - value_i (0 exactly for kinds that keep u_i). With P
 * workers every worker owns one gtap_ef; see gradtap/sparse_message.h for
 * summing their outputs.
 */
#ifndef GRADTAP_ERROR_FEEDBACK_H
#define GRADTAP_ERROR_FEEDBACK_H

#include "gradtap/export.h"
#include <stddef.h>
#include <stdint.h>

#include "gradtap/sparsify.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum gtap_ef_form {
    GTAP_EF_STICH = 0, /* "stich": lr inside the memory */
    GTAP_EF_SHI = 1    /* "shi": raw gradient units */
} gtap_ef_form;

/* gtap_ef_form_parse() / gtap_ef_form_name(): "stich" and "shi".
 * parse: GTAP_EINVAL for NULL or an unknown name. name: static, never NULL
 * ("unknown" out of range). */
GTAP_API int gtap_ef_form_parse(const char *name, gtap_ef_form *form);
GTAP_API const char *gtap_ef_form_name(gtap_ef_form form);

/* One tensor segment [offset, offset + length) with its own target k (k is
 * validated as gtap_sparsify() does for the kind: 1..length, or ignored). */
typedef struct gtap_segment {
    uint64_t offset;
    uint64_t length;
    uint64_t k;
} gtap_segment;

typedef struct gtap_ef gtap_ef;

/* What one step did. */
typedef struct gtap_ef_step_stats {
    uint64_t count;          /* pairs written over all segments */
    int passes;              /* counting passes summed over segments */
    int fell_back;           /* segments whose search used its fallback */
    double memory_norm2;     /* ||m_{t+1}||^2 (or ||r||^2) after the step, double;
                                0 with memory off */
    double input_norm2;      /* ||p||^2 (or ||u||^2): the compressed vector */
} gtap_ef_step_stats;

/* gtap_ef_create() - error feedback state for a vector of d coordinates.
 * @param opt        compressor options (copied; kind and its parameters).
 * @param form       GTAP_EF_STICH or GTAP_EF_SHI.
 * @param memory     nonzero: keep the residual (error feedback); zero: none.
 * @param d          vector length (>= 1).
 * @param segments   n_segments segments that tile [0, d) in increasing
 *                   order without gaps or overlap (copied); NULL with
 *                   n_segments = 0 means one global segment with k =
 *                   global_k.
 * @param global_k   the k of the global segment when segments is NULL.
 * @param out        receives the object (free with gtap_ef_free()); NULL on
 *                   failure.
 * @return GTAP_OK; GTAP_EINVAL for NULL, d = 0, an unknown form, segments
 *         that do not tile [0, d) (message names the segment), a bad k or
 *         option; GTAP_ENOMEM. */
GTAP_API int gtap_ef_create(const gtap_sparsify_options *opt, gtap_ef_form form, int memory, uint64_t d,
                   const gtap_segment *segments, size_t n_segments, uint64_t global_k, gtap_ef **out);

/* gtap_ef_free() - release; NULL ok. */
GTAP_API void gtap_ef_free(gtap_ef *ef);

/* gtap_ef_capacity() - pairs the output buffers of gtap_ef_step() need:
 * the sum of gtap_sparsifier_capacity() over segments. NULL ef: 0. */
GTAP_API uint64_t gtap_ef_capacity(const gtap_ef *ef);

/* gtap_ef_step() - one step of the form chosen at creation.
 * @param grad      d float32 gradient values (NaN/Inf: GTAP_ENONFINITE; the
 *                  memory is then left as p or u, i.e. already updated; call
 *                  gtap_ef_reset() to recover).
 * @param eta       learning rate for the Stich form (finite); ignored by Shi.
 * @param stream    random stream of this step (e.g. step * P + rank).
 * @param indices, values, capacity  output buffers (>= gtap_ef_capacity()).
 * @param stats     may be NULL; computing memory_norm2 and input_norm2
 *                  costs one extra pass over d, made only when non-NULL.
 * @return GTAP_OK; GTAP_EINVAL for NULL or non-finite eta; GTAP_ENONFINITE;
 *         GTAP_EOVERFLOW when capacity is too small. Never allocates. */
GTAP_API int gtap_ef_step(gtap_ef *ef, const float *grad, float eta, uint64_t stream, uint64_t *indices,
                 float *values, uint64_t capacity, gtap_ef_step_stats *stats);

/* gtap_ef_memory() - the current memory m (Stich) or residual r (Shi), d
 * floats owned by ef (valid until free); all zeros with memory off.
 * gtap_ef_dim() - d. NULL ef: NULL / 0. */
GTAP_API const float *gtap_ef_memory(const gtap_ef *ef);
GTAP_API uint64_t gtap_ef_dim(const gtap_ef *ef);

/* gtap_ef_reset() - set the memory to zero (m_0 = 0). NULL: no-op. */
GTAP_API void gtap_ef_reset(gtap_ef *ef);

/* gtap_ef_sparsifier() - the compressor inside ef (e.g. for
 * gtap_sparsify_evaluate()); owned by ef. */
GTAP_API gtap_sparsifier *gtap_ef_sparsifier(gtap_ef *ef);

#ifdef __cplusplus
}
#endif
#endif /* GRADTAP_ERROR_FEEDBACK_H */
