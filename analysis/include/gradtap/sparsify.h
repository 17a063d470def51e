/*
 * gradtap/sparsify.h - gradient compressors (sparsifiers): the manual.
 *
 * One interface for every compressor of docs/THEORY.md s.4: a
 * sparsifier takes a float32 vector u of length d and a target count k (or,
 * for the hard threshold, a level lambda) and writes the kept coordinates as
 * (index, value) pairs into caller buffers. Indices are written in strictly
 * increasing order, every index < d, each at most once. The value written for
 * index i is u[i] for the selecting compressors, u[i]*d/k for the unbiased
 * random-k and +-||u||_1/d for scaled sign.
 *
 *     gtap_sparsify_options opt;
 *     gtap_sparsify_options_init(&opt, GTAP_SPARSIFY_TOPK);
 *     gtap_sparsifier *sp = NULL;
 *     int rc = gtap_sparsifier_create(&opt, d_max, &sp);
 *     uint64_t cap;  gtap_sparsifier_capacity(sp, d, k, &cap);
 *     // indices: cap uint64_t, values: cap float, allocated once by the caller
 *     gtap_sparsify_result res;
 *     rc = gtap_sparsify(sp, u, d, k, step, indices, values, cap, &res);
 *     ... res.count pairs are valid ...
 *     gtap_sparsifier_free(sp);
 *
 * Performance contract: a gtap_sparsifier holds every work buffer it needs
 * for vectors up to d_max, allocated in gtap_sparsifier_create(); calls make
 * no allocation (the hot path of a trainer). Exact top-k is O(d): radix
 * select on the bit patterns of |u| (docs/THEORY.md s.4.2), never a sort.
 *
 * Conventions shared by every compressor (the CUDA implementation in cuda/
 * follows the same contracts and is tested against this one):
 *  - k: 1 <= k <= d for every kind except THRESHOLD, SIGN and NONE, which
 *    ignore it (k = 0 allowed there). k = 0 or k > d otherwise fails with
 *    GTAP_EINVAL. gtap_k_from_density() (gradtap/density.h) turns a density into k.
 *  - Ties: Top_k(u) keeps the k largest |u_i|; among equal |u_i| at the
 *    boundary the lower index wins (docs/THEORY.md s.1), so results are
 *    deterministic. Comparisons of |u_i| with a threshold t use ">= t",
 *    except gaussiank-ref, which reproduces the reference code's "> t".
 *  - Signed zero: |-0.0| = |+0.0| = 0.
 *  - Non-finite input: if u holds any NaN or +-Inf the call fails with
 *    GTAP_ENONFINITE, writes nothing (result->count = 0) and reports how many
 *    such values it saw in result->nonfinite. No compressor ever selects a
 *    NaN. (Compressors that read u only partially still scan all of it.)
 *  - Randomness (random-k, DGC's sample) comes from the counter-based
 *    splitmix64 generator of gradtap/random.h (gtap_srng_u64), keyed by the
 *    object's seed and a per-call stream (e.g. the step, or step * P +
 *    rank): the same (seed, stream, u, k) gives the same output bit for
 *    bit, on any thread count and on any machine. The CUDA kernels draw
 *    from Philox4x32-10 (gradtap/philox.h) instead, so a device random-k
 *    with the same seed selects a different (equally distributed) set; the
 *    device kernels are reproducible against their own C references.
 *  - Objects are not thread-safe; use one per thread. Distinct objects are
 *    independent.
 *
 * Related headers (included at the end of this one):
 *   gradtap/error_feedback.h  Stich and Shi error feedback around any compressor,
 *                             per-layer or global selection;
 *   gradtap/sparse_message.h  summing P sparse messages, the canonical MPI layout.
 */
#ifndef GRADTAP_SPARSIFY_H
#define GRADTAP_SPARSIFY_H

#include "gradtap/export.h"
#include <stddef.h>
#include <stdint.h>

#include "gradtap/status.h"
#include "gradtap/density.h"
#include "gradtap/random.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* Kinds and names                                                          */
/* ------------------------------------------------------------------------ */

typedef enum gtap_sparsifier_kind {
    GTAP_SPARSIFY_NONE = 0,           /* "none": dense, all d coordinates, value u_i */
    GTAP_SPARSIFY_TOPK = 1,           /* "topk": exact Top_k(u), exactly k */
    GTAP_SPARSIFY_RANDK = 2,          /* "randk": uniform k-subset, value u_i, exactly k */
    GTAP_SPARSIFY_RANDK_UNBIASED = 3, /* "randk-unbiased": as randk, value u_i * d/k */
    GTAP_SPARSIFY_GAUSSIANK = 4,      /* "gaussiank": gradtap's Gaussian-k */
    GTAP_SPARSIFY_GAUSSIANK_REF = 5,  /* "gaussiank-ref": the reference code's Gaussian-k */
    GTAP_SPARSIFY_DGCK = 6,           /* "dgck": Deep Gradient Compression's sampled threshold */
    GTAP_SPARSIFY_TRIMMED = 7,        /* "trimmed": trimmed top-k, exactly k */
    GTAP_SPARSIFY_REDSYNC = 8,        /* "redsync": RedSync threshold, variable count */
    GTAP_SPARSIFY_THRESHOLD = 9,      /* "threshold": hard threshold |u_i| >= lambda */
    GTAP_SPARSIFY_SIGN = 10,          /* "sign": scaled sign (||u||_1/d) sign(u), all d */
    GTAP_SPARSIFY_KIND_COUNT = 11
} gtap_sparsifier_kind;

/* gtap_sparsifier_kind_parse() - the kind named by `name`, one of "none",
 * "topk", "randk", "randk-unbiased", "gaussiank", "gaussiank-ref", "dgck",
 * "trimmed", "redsync", "threshold", "sign" (exact, case-sensitive).
 * @return GTAP_OK, GTAP_EINVAL for NULL arguments or an unknown name (the
 *         message lists the valid names). */
GTAP_API int gtap_sparsifier_kind_parse(const char *name, gtap_sparsifier_kind *kind);

/* gtap_sparsifier_kind_name() - the string gtap_sparsifier_kind_parse()
 * accepts for `kind`; "unknown" for values out of range. Never NULL, static. */
GTAP_API const char *gtap_sparsifier_kind_name(gtap_sparsifier_kind kind);

/* gtap_sparsifier_kind_list() - all names separated by ", " (for help
 * texts). Static, never NULL. */
GTAP_API const char *gtap_sparsifier_kind_list(void);

/* k from a density: gtap_k_from_density() of gradtap/density.h. */

/* ------------------------------------------------------------------------ */
/* Options                                                                  */
/* ------------------------------------------------------------------------ */

/* Output mode of gaussiank. */
typedef enum gtap_count_mode {
    GTAP_COUNT_VARIABLE = 0, /* keep what the final threshold selects */
    GTAP_COUNT_EXACT = 1     /* exactly k: the result equals Top_k(u) */
} gtap_count_mode;

/* Everything that configures a compressor. Initialise with
 * gtap_sparsify_options_init() and change fields after; fields that a kind
 * does not use are ignored. The defaults are listed per field. */
/* Layout version of gtap_sparsify_options (gradtap/abi.h). */
#define GTAP_SPARSIFY_OPTIONS_VERSION 2u

typedef struct gtap_sparsify_options {
    size_t struct_size;     /* set by gtap_sparsify_options_init() or GTAP_SPARSIFY_OPTIONS_INIT */
    unsigned struct_version; /*   (gradtap/abi.h) */
    gtap_sparsifier_kind kind;
    uint64_t seed;          /* generator key (default 0); see gtap_srng_u64() */
    int quality;            /* nonzero: every call also fills result->quality
                               (costs an exact top-k and two passes; default 0) */

    /* gaussiank (docs/THEORY.md s.4.4): first threshold t0 from N(mu, sigma^2)
     * two-sided, then counting passes until band_low*k <= count <=
     * band_high*k or max_passes counting passes were made. */
    double band_low;        /* default 0.8; 0 < band_low <= 1 */
    double band_high;       /* default 1.25; 1 <= band_high */
    int max_passes;         /* default 8; 1..64 */
    gtap_count_mode count_mode; /* default GTAP_COUNT_VARIABLE */

    /* dgck: sample max(ceil(sample_ratio*d), min_sample) coordinates (capped
     * at d), threshold = ceil(rho_s*n)-th largest |sample| ... see below. */
    double sample_ratio;    /* default 0.01; 0 < sample_ratio <= 1 */
    uint64_t min_sample;    /* default 1000 (m0) */
    int max_retries;        /* default 10; 0..64 threshold lowerings by 0.8 */

    /* trimmed / redsync: bisection on r in [0, 1] over the threshold
     * mean|u| + r (max|u| - mean|u|); band and max_passes above apply
     * (trimmed searches for a count in [k, band_high*k]). */

    /* threshold */
    double lambda;          /* default 0; finite, >= 0 */

    /* every kind (added in layout version 2): OpenMP threads for the passes
     * over u (moments, counting and gathering, the radix histogram and
     * collection of exact top-k, the non-finite checks); 0: OpenMP's
     * default, resolved at create. Every output is bit-identical for any
     * thread count. Vectors below 65536 values use one thread. */
    int threads;            /* default 1; 0..1024 */
} gtap_sparsify_options;

/* The defaults above for `kind`, as an initializer:
 *     gtap_sparsify_options options = GTAP_SPARSIFY_OPTIONS_INIT(GTAP_SPARSIFY_TOPK); */
#define GTAP_SPARSIFY_OPTIONS_INIT(kind_)                                                                \
    {                                                                                                    \
        .struct_size = sizeof(gtap_sparsify_options), .struct_version = GTAP_SPARSIFY_OPTIONS_VERSION,    \
        .kind = (kind_), .band_low = 0.8, .band_high = 1.25, .max_passes = 8,                             \
        .count_mode = GTAP_COUNT_VARIABLE, .sample_ratio = 0.01, .min_sample = 1000, .max_retries = 10,   \
        .threads = 1,                                                                                     \
    }

/* gtap_sparsify_options_init() - the defaults above for `kind`
 * (GTAP_SPARSIFY_OPTIONS_INIT). NULL opt: no-op. */
GTAP_API void gtap_sparsify_options_init(gtap_sparsify_options *opt, gtap_sparsifier_kind kind);

/* sizeof(gtap_sparsify_options) and sizeof(gtap_sparsify_result), for
 * bindings (ctypes) to check their copies (the Python sparse comm hook). */
GTAP_API size_t gtap_sparsify_options_size(void);
GTAP_API size_t gtap_sparsify_result_size(void);

/* ------------------------------------------------------------------------ */
/* The compressor object and the call                                       */
/* ------------------------------------------------------------------------ */

typedef struct gtap_sparsifier gtap_sparsifier;

/* How good one output was, against the exact Top_k(u) (docs/THEORY.md s.4.1).
 * Sums of squares are accumulated in double; NaN marks undefined values. */
typedef struct gtap_sparsify_quality {
    double norm2;       /* ||u||^2 */
    double head_energy; /* H_k(u): sum of the k largest u_i^2 (NaN if k = 0) */
    double recall;      /* |S intersect S*| / k, S* = Top_k(u) (NaN if k = 0) */
    double energy_kept; /* ||u_S||^2 / H_k(u), S the kept set (NaN if k = 0 or H_k = 0) */
    double ratio;       /* ||u - C(u)||^2 / ||u||^2 (NaN if u = 0) */
    double delta;       /* 1 - ratio, computed directly (NaN if u = 0) */
    int zero_input;     /* 1 when u = 0: ratio and delta undefined */
} gtap_sparsify_quality;

/* What one call did. */
typedef struct gtap_sparsify_result {
    uint64_t count;     /* pairs written (or needed, on GTAP_EOVERFLOW) */
    uint64_t k;         /* the target given (0 for kinds that ignore it) */
    int passes;         /* threshold passes over u: each counting (and
                           gathering) pass at a candidate threshold, plus a
                           re-gather at an earlier threshold when the search
                           ends there (gaussiank*, dgck, trimmed, redsync,
                           threshold); the moment pass and the radix passes
                           of an exact top-k are not counted; 0 for the rest */
    double threshold;   /* final threshold on |u| the selection used; for topk
                           the k-th largest |u_i|; NaN for randk*, sign, none */
    double scale;       /* value multiplier: d/k (randk-unbiased), ||u||_1/d
                           (sign), 1 otherwise */
    uint64_t nonfinite; /* NaN/Inf seen in u (nonzero only with GTAP_ENONFINITE) */
    int fell_back;      /* 1 when the search missed its band and the documented
                           fallback was used (see each kind) */
    int has_quality;    /* 1 when `quality` was filled (opt.quality != 0) */
    gtap_sparsify_quality quality;
} gtap_sparsify_result;

/* gtap_sparsifier_create() - a compressor for vectors of length up to d_max,
 * with its workspace (20 bytes per coordinate of d_max, plus d_max/8 for
 * random-k and 4 bytes per sample coordinate for dgck).
 * @param opt    the options, copied (NULL: GTAP_EINVAL).
 * @param d_max  the largest d later calls may pass (>= 1).
 * @param out    receives the object; the caller frees it with
 *               gtap_sparsifier_free(). Set to NULL on failure.
 * @return GTAP_OK; GTAP_EVERSION when `opt` was not filled by
 *         gtap_sparsify_options_init() of this library (gradtap/abi.h);
 *         GTAP_EINVAL for NULL, d_max = 0 or an option out of range
 *         (the message names the field and value); GTAP_EOVERFLOW when the
 *         workspace size overflows; GTAP_ENOMEM. */
GTAP_API int gtap_sparsifier_create(const gtap_sparsify_options *opt, uint64_t d_max, gtap_sparsifier **out);

/* gtap_sparsifier_free() - release the object and its workspace; NULL ok. */
GTAP_API void gtap_sparsifier_free(gtap_sparsifier *sp);

/* gtap_sparsifier_options() - the options the object was created with
 * (pointer valid until free). NULL sp: NULL. */
GTAP_API const gtap_sparsify_options *gtap_sparsifier_options(const gtap_sparsifier *sp);

/* gtap_sparsifier_capacity() - the largest count a call with this (d, k) can
 * produce, i.e. how many pairs the caller's buffers must hold so that the
 * call never fails with GTAP_EOVERFLOW:
 *   topk, randk, randk-unbiased, trimmed, gaussiank exact:    k
 *   dgck:                                                      min(d, floor(1.3 k))
 *   gaussiank variable, gaussiank-ref, redsync, threshold,
 *   sign, none:                                                d
 * @return GTAP_OK; GTAP_EINVAL for NULL arguments, d = 0, d > d_max, or a k
 *         the kind rejects. */
GTAP_API int gtap_sparsifier_capacity(const gtap_sparsifier *sp, uint64_t d, uint64_t k, uint64_t *capacity);

/* gtap_sparsify() - compress u.
 * @param sp        the compressor (its workspace is reused).
 * @param u         d float32 values (read only; NULL only if d = 0, which is
 *                  rejected anyway).
 * @param d         length, 1 <= d <= d_max.
 * @param k         target count (see the conventions above).
 * @param stream    random stream of this call (ignored by deterministic kinds).
 * @param indices   caller buffer of `capacity` uint64_t; receives the kept
 *                  indices in increasing order.
 * @param values    caller buffer of `capacity` float; values[j] belongs to
 *                  indices[j].
 * @param capacity  size of both buffers in elements.
 * @param result    receives counts, threshold, passes (and quality); may be
 *                  NULL. Filled on failure too, as far as known.
 * @return GTAP_OK; GTAP_EINVAL for NULL buffers, d = 0 or d > d_max, a bad
 *         k; GTAP_ENONFINITE when u holds NaN/Inf (nothing written);
 *         GTAP_EOVERFLOW when more than `capacity` pairs were selected
 *         (result->count says how many are needed; the buffers' contents
 *         are unspecified). Never allocates.
 *
 * What each kind does (docs/THEORY.md s.4):
 *  topk:   radix select on the bit pattern of |u_i| (11+10+10 bit digits)
 *          finds the k-th largest |u_i|, then one pass writes every |u_i|
 *          above it and the lowest-index ties. Exactly Top_k(u).
 *  randk:  Floyd's algorithm draws a uniform k-subset without replacement:
 *          with a draw counter c = 0, for j = d-k .. d-1: t =
 *          gtap_srng_below(opt.seed, stream, &c, j + 1); insert t, or j when
 *          t is already in the set. No rescaling. randk-unbiased multiplies
 *          the values by d/k (meant to run without memory).
 *  gaussiank: one pass for mean mu and standard deviation sigma (double,
 *          population variance); t0 solves P(|X| >= t) = rho for
 *          X ~ N(mu, sigma^2) (two-sided; GSL quantile + root bracketing),
 *          rho = c/d with c the geometric middle of the band (k in variable
 *          mode with the default band, 1.118k in exact mode).
 *          Counting passes then move t: while only one side of the band has
 *          been seen, t is rescaled by the ratio of normal quantiles of the
 *          target and observed tail fractions (clamped to a factor 4);
 *          once a threshold above and one below the band are known, secant
 *          steps on (log t, log count), safeguarded by bisection on log t.
 *          It stops inside [band_low*k, band_high*k] (exact mode:
 *          [k, band_high*k]) or after max_passes, or when no float
 *          threshold lies between the nearest ones above and below.
 *          Variable mode keeps |u_i| >= t of the threshold whose count was
 *          nearest the band (fell_back = 1 when none was inside). Exact
 *          mode returns Top_k(u): the exact top-k among the candidates
 *          >= t when they are at least k, else (fell_back = 1) an exact
 *          top-k over all of u. sigma = 0 (constant |u|): t0 = |mu|.
 *  gaussiank-ref: the reference code's behaviour, bugs included: z =
 *          Phi^-1(1 - rho/2), t = mu + z*sigma (one-sided: the lower tail
 *          is ignored when mu != 0), at most 3 counting passes of
 *          |u_i| > t; after a count outside [2k/3, 4k/3] t is multiplied by
 *          1.5 (too many) or 0.5 (too few); the kept set is the one of the
 *          last count (which may be far from k: about 6.5k on Laplace data
 *          at rho = 0.01, and nothing on uniform data). Variable count.
 *  dgck:   a sample of n = min(d, max(ceil(sample_ratio*d), min_sample))
 *          coordinates drawn uniformly WITH replacement (draw c = 0, 1, ...:
 *          index gtap_srng_below(opt.seed, stream, &c, d)); threshold = the
 *          ceil(rho*n)-th largest |sample| (rho = k/d); count |u_i| >= t;
 *          above 1.3k: exact top-k among the selection (exactly k); below
 *          0.8k: t *= 0.8 and count again, at most max_retries times, then
 *          keep what was selected (fell_back = 1). Works for every rho.
 *  trimmed / redsync: t(r) = mean|u| + r (max|u| - mean|u|); bisection on r
 *          in [0, 1] for at most max_passes counts. redsync keeps
 *          |u_i| >= t(r) with the count in [band_low*k, band_high*k], or
 *          (fell_back = 1) the smallest count seen above the band, else the
 *          largest below. trimmed searches for a count in [k, band_high*k],
 *          then takes the exact top-k among those candidates (exactly
 *          Top_k(u)); if even r = 0 selects fewer than k it runs exact top-k
 *          over all of u (fell_back = 1).
 *  threshold: keeps |u_i| >= opt.lambda, one pass; ||u - C(u)||^2 <= d lambda^2.
 *  sign:   value (||u||_1/d) * sign(u_i) for every i, with sign(0) = +1, so
 *          that ||u - C(u)||^2 = ||u||^2 - ||u||_1^2/d holds exactly.
 *  none:   every coordinate with its value.
 */
GTAP_API int gtap_sparsify(gtap_sparsifier *sp, const float *u, uint64_t d, uint64_t k, uint64_t stream,
                  uint64_t *indices, float *values, uint64_t capacity, gtap_sparsify_result *result);

/* gtap_sparsify_evaluate() - the quality of a given sparse output (any
 * origin: this library, the CUDA one, a file) against Top_k(u), using sp's
 * workspace (sp of any kind with d_max >= d).
 * @param u, d      the vector that was compressed.
 * @param k         the target (1..d), or 0: recall, head_energy and
 *                  energy_kept are then NaN.
 * @param indices, values, count  the compressor's output: indices < d,
 *                  strictly increasing (so C(u) is well defined).
 * @return GTAP_OK; GTAP_EINVAL for NULL arguments, d > d_max, k > d, an
 *         index >= d or out of order (message names its position);
 *         GTAP_ENONFINITE for NaN/Inf in u. */
GTAP_API int gtap_sparsify_evaluate(gtap_sparsifier *sp, const float *u, uint64_t d, uint64_t k,
                           const uint64_t *indices, const float *values, uint64_t count,
                           gtap_sparsify_quality *quality);

/* gtap_sparsify_error_sums() - the three sums gtap_sparsify_evaluate()
 * builds its ratios from (docs/THEORY.md s.4.1), each summed directly in
 * double in index order: sums[0] = ||u_S||^2 (kept), sums[1] = ||u||^2 -
 * ||u_S||^2 (dropped, over the coordinates not in S), sums[2] = ||u_S -
 * v||^2 (the error on the kept ones); ratio = (sums[1] + sums[2]) /
 * (sums[0] + sums[1]). indices strictly increasing, < d (not checked). */
GTAP_API void gtap_sparsify_error_sums(const float *u, uint64_t d, const uint64_t *indices, const float *values,
                                       uint64_t count, double sums[3]);

/* gtap_topk_select() - exact Top_k(u) into caller buffers (k of each),
 * indices increasing, ties broken by lower index, using sp's workspace; the
 * same as gtap_sparsify() with a TOPK object, for callers holding another
 * kind. `kth_abs` (may be NULL) receives the k-th largest |u_i|.
 * @return as gtap_sparsify(). */
GTAP_API int gtap_topk_select(gtap_sparsifier *sp, const float *u, uint64_t d, uint64_t k, uint64_t *indices,
                     float *values, float *kth_abs);

#ifdef __cplusplus
}
#endif

#include "gradtap/error_feedback.h"
#include "gradtap/sparse_message.h"

#endif /* GRADTAP_SPARSIFY_H */
