/* tail_moments.c - counts and central moments of a vector, accumulated per
 * block and merged pairwise (Pebay 2008), so that no sum of powers is
 * formed around a far-away origin. Used by the tail-energy kernel
 * (tail_energy.c) in its first pass; public part in gradtap/tail.h. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "tail_internal.h"

void gtap_moments_init(gtap_moments *moments)
{
    if (moments == NULL) return;
    memset(moments, 0, sizeof *moments);
    moments->min = NAN;
    moments->max = NAN;
    moments->mean = NAN;
}

/* Central moments of part b merged into part a; counts add. */
static void merge_central(gtap_moments *a, uint64_t nb_count, double mean_b, double m2_b, double m3_b, double m4_b)
{
    if (nb_count == 0) return;
    if (a->finite == 0) {
        a->finite = nb_count;
        a->mean = mean_b;
        a->m2 = m2_b;
        a->m3 = m3_b;
        a->m4 = m4_b;
        return;
    }
    double na = (double)a->finite, nb = (double)nb_count, n = na + nb;
    double delta = mean_b - a->mean, dn = delta / n, dn2 = dn * dn;
    double m2 = a->m2 + m2_b + delta * dn * na * nb;
    double m3 = a->m3 + m3_b + dn2 * delta * na * nb * (na - nb) + 3.0 * dn * (na * m2_b - nb * a->m2);
    double m4 = a->m4 + m4_b + dn2 * dn * delta * na * nb * (na * na - na * nb + nb * nb) +
                6.0 * dn2 * (na * na * m2_b + nb * nb * a->m2) + 4.0 * dn * (na * m3_b - nb * a->m3);
    a->mean += dn * nb;
    a->m2 = m2;
    a->m3 = m3;
    a->m4 = m4;
    a->finite += nb_count;
}

static void merge_extremes(gtap_moments *into, double lo, double hi)
{
    if (isnan(into->min) || lo < into->min) into->min = lo;
    if (isnan(into->max) || hi > into->max) into->max = hi;
}

int gtap_moments_merge(gtap_moments *into, const gtap_moments *from)
{
    if (into == NULL || from == NULL) return gtap_set_error(GTAP_EINVAL, "gtap_moments_merge: NULL argument");
    into->count += from->count;
    into->nan_count += from->nan_count;
    into->posinf_count += from->posinf_count;
    into->neginf_count += from->neginf_count;
    into->zero_count += from->zero_count;
    into->norm2 += from->norm2;
    into->abs_sum += from->abs_sum;
    if (from->finite > 0) merge_extremes(into, from->min, from->max);
    merge_central(into, from->finite, from->mean, from->m2, from->m3, from->m4);
    return GTAP_OK;
}

/* Power sums of (x - shift) over a block, turned into central moments. */
typedef struct block_sums {
    uint64_t n, zeros;
    double s1, s2, s3, s4, norm2, abs_sum, lo, hi;
} block_sums;

#if defined(__GNUC__) && __GNUC__ >= 9 && !defined(__clang__)
/* GCC vector extensions: 4 doubles per operation (AVX2 when the clone for
 * it is chosen at load time on x86-64, two SSE2 halves otherwise). */
typedef double v4d __attribute__((vector_size(32)));
typedef long long v4i __attribute__((vector_size(32)));
typedef float v4f __attribute__((vector_size(16)));
#define SUMS_VECTOR 1
#endif

/* Power sums of the finite block u[0..n) around `shift`. */
#ifdef SUMS_VECTOR
GTAP_CLONES_AVX2
#endif
static void sums_fast(const float *u, size_t n, double shift, block_sums *b)
{
    double s1 = 0, s2 = 0, s3 = 0, s4 = 0, q = 0, a = 0, lo = INFINITY, hi = -INFINITY;
    uint64_t zeros = 0;
    size_t i = 0;
#ifdef SUMS_VECTOR
    v4d vs1 = {0}, vs2 = {0}, vs3 = {0}, vs4 = {0}, vq = {0}, va = {0}, vshift = {shift, shift, shift, shift};
    v4d vlo = {INFINITY, INFINITY, INFINITY, INFINITY}, vhi = {-INFINITY, -INFINITY, -INFINITY, -INFINITY};
    v4i vz = {0}, sign = {INT64_MIN, INT64_MIN, INT64_MIN, INT64_MIN};
    for (; i + 4 <= n; i += 4) {
        v4f f;
        memcpy(&f, u + i, sizeof f);
        v4d x = __builtin_convertvector(f, v4d), d = x - vshift, d2 = d * d;
        vs1 += d;
        vs2 += d2;
        vs3 += d2 * d;
        vs4 += d2 * d2;
        vq += x * x;
        va += (v4d)((v4i)x & ~sign);
        v4i below = x < vlo, above = x > vhi;
        vlo = (v4d)(((v4i)x & below) | ((v4i)vlo & ~below));
        vhi = (v4d)(((v4i)x & above) | ((v4i)vhi & ~above));
        vz -= (x == 0.0);
    }
    for (int j = 0; j < 4; j++) {
        s1 += vs1[j];
        s2 += vs2[j];
        s3 += vs3[j];
        s4 += vs4[j];
        q += vq[j];
        a += va[j];
        lo = vlo[j] < lo ? vlo[j] : lo;
        hi = vhi[j] > hi ? vhi[j] : hi;
        zeros += (uint64_t)vz[j];
    }
#endif
    for (; i < n; i++) {
        double x = (double)u[i], d = x - shift, d2 = d * d;
        s1 += d;
        s2 += d2;
        s3 += d2 * d;
        s4 += d2 * d2;
        q += x * x;
        a += fabs(x);
        lo = x < lo ? x : lo;
        hi = x > hi ? x : hi;
        zeros += (x == 0.0);
    }
    b->n = n;
    b->zeros = zeros;
    b->s1 = s1;
    b->s2 = s2;
    b->s3 = s3;
    b->s4 = s4;
    b->norm2 = q;
    b->abs_sum = a;
    b->lo = lo;
    b->hi = hi;
}

static void sums_checked(gtap_moments *m, const float *u, size_t n, double shift, block_sums *b)
{
    memset(b, 0, sizeof *b);
    b->lo = INFINITY;
    b->hi = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        float f = u[i];
        if (isnan(f)) {
            m->nan_count++;
            continue;
        }
        if (isinf(f)) {
            if (f > 0) m->posinf_count++;
            else m->neginf_count++;
            continue;
        }
        double x = (double)f, d = x - shift, d2 = d * d;
        b->n++;
        b->s1 += d;
        b->s2 += d2;
        b->s3 += d2 * d;
        b->s4 += d2 * d2;
        b->norm2 += x * x;
        b->abs_sum += fabs(x);
        b->lo = x < b->lo ? x : b->lo;
        b->hi = x > b->hi ? x : b->hi;
        b->zeros += (x == 0.0);
    }
}

void gtap_tail_moments_block(gtap_moments *m, const float *u, size_t n, int has_nonfinite)
{
    if (n == 0) return;
    m->count += n;
    /* Shift: the running mean, or the block's first finite value. */
    double shift = 0.0;
    if (m->finite > 0) {
        shift = m->mean;
    } else {
        for (size_t i = 0; i < n; i++) {
            if (isfinite(u[i])) {
                shift = (double)u[i];
                break;
            }
        }
    }
    block_sums b;
    if (has_nonfinite) sums_checked(m, u, n, shift, &b);
    else sums_fast(u, n, shift, &b);
    if (b.n == 0) return;
    double nb = (double)b.n, delta = b.s1 / nb;
    double m2 = b.s2 - nb * delta * delta;
    double m3 = b.s3 - 3.0 * delta * b.s2 + 2.0 * nb * delta * delta * delta;
    double m4 = b.s4 - 4.0 * delta * b.s3 + 6.0 * delta * delta * b.s2 - 3.0 * nb * delta * delta * delta * delta;
    m->zero_count += b.zeros;
    m->norm2 += b.norm2;
    m->abs_sum += b.abs_sum;
    merge_extremes(m, b.lo, b.hi);
    merge_central(m, b.n, shift + delta, m2 > 0 ? m2 : 0.0, m3, m4 > 0 ? m4 : 0.0);
}

double gtap_moments_variance(const gtap_moments *m, int ddof)
{
    if (m == NULL || ddof < 0 || m->finite <= (uint64_t)ddof) return NAN;
    return m->m2 / (double)(m->finite - (uint64_t)ddof);
}

double gtap_moments_skewness(const gtap_moments *m)
{
    if (m == NULL || m->finite < 2 || !(m->m2 > 0)) return NAN;
    double n = (double)m->finite, var = m->m2 / n;
    return (m->m3 / n) / (var * sqrt(var));
}

double gtap_moments_excess_kurtosis(const gtap_moments *m)
{
    if (m == NULL || m->finite < 2 || !(m->m2 > 0)) return NAN;
    double n = (double)m->finite, var = m->m2 / n;
    return (m->m4 / n) / (var * var) - 3.0;
}

int gtap_moments_has_nonfinite(const gtap_moments *m)
{
    return m != NULL && (m->nan_count + m->posinf_count + m->neginf_count) > 0;
}
