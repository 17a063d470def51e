/* synthetic.c - training data generated from a seed, so a run needs no
 * file: epsilon-like dense logistic-regression data, and an MNIST-like
 * 10-class image set for the MLP. Every row has its own random stream
 * (seeded from (seed, row)), so the data do not depend on the thread count. */
#include <math.h>
#include <stdlib.h>

#include "dataset_internal.h"

static const double two_pi = 6.283185307179586476925286766559;

/* A stream for one (seed, stream, row). */
static uint64_t row_stream(uint64_t seed, uint64_t stream, uint64_t row)
{
    uint64_t state = seed ^ (0x6a09e667f3bcc909ull * (stream + 1));
    uint64_t mixed = gtap_splitmix64_next(&state) ^ (row * 0xd1b54a32d192ed03ull);
    return gtap_splitmix64_next(&mixed);
}

/* Fill `out` with `count` N(0, scale^2) values (Box-Muller). */
static void fill_normal(uint64_t *state, float *out, uint64_t count, double scale)
{
    for (uint64_t i = 0; i < count; i += 2) {
        double radius = sqrt(-2.0 * log(gtap_splitmix64_uniform(state))) * scale;
        double angle = two_pi * gtap_splitmix64_uniform(state);
        out[i] = (float)(radius * cos(angle));
        if (i + 1 < count) out[i + 1] = (float)(radius * sin(angle));
    }
}

int gtap_dataset_synthetic_logreg(uint64_t n, uint64_t d, double signal, uint64_t seed, gtap_dataset **out)
{
    if (out == NULL) return gtap_set_error(GTAP_EINVAL, "synthetic logreg: out is NULL");
    *out = NULL;
    if (n == 0 || d == 0 || d > UINT32_MAX || !(signal > 0.0) || !isfinite(signal))
        return gtap_set_error(GTAP_EINVAL, "synthetic logreg: n=%llu, d=%llu, signal=%g (need n, d >= 1, d < 2^32, "
                              "signal > 0)", (unsigned long long)n, (unsigned long long)d, signal);
    gtap_dataset *data = NULL;
    int rc = gtap_dataset_alloc_dense(n, d, 2, "synthetic logreg data", &data);
    if (rc < 0) return rc;
    float *truth = malloc(d * sizeof *truth);
    if (truth == NULL) {
        gtap_dataset_free(data);
        return gtap_set_error(GTAP_ENOMEM, "synthetic logreg data: out of memory");
    }
    uint64_t truth_state = row_stream(seed, 0, 0);
    fill_normal(&truth_state, truth, d, signal);
    const double row_scale = 1.0 / sqrt((double)d);
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < (int64_t)n; i++) {
        uint64_t state = row_stream(seed, 1, (uint64_t)i);
        float *row = data->values + (uint64_t)i * d;
        fill_normal(&state, row, d, row_scale);
        double margin = 0.0;
        for (uint64_t j = 0; j < d; j++) margin += (double)row[j] * truth[j];
        double probability = 1.0 / (1.0 + exp(-margin));
        data->labels[i] = gtap_splitmix64_uniform(&state) < probability ? 1 : -1;
    }
    free(truth);
    *out = data;
    return GTAP_OK;
}

enum { IMAGE_SIDE = 28, IMAGE_PIXELS = IMAGE_SIDE * IMAGE_SIDE, IMAGE_CLASSES = 10, BLOBS_PER_CLASS = 4 };

/* Class templates: a few Gaussian blobs at random places, values in [0, 1]. */
static void make_templates(uint64_t seed, float *templates)
{
    uint64_t state = row_stream(seed, 2, 0);
    for (int c = 0; c < IMAGE_CLASSES; c++) {
        float *image = templates + c * IMAGE_PIXELS;
        for (int p = 0; p < IMAGE_PIXELS; p++) image[p] = 0.0f;
        for (int b = 0; b < BLOBS_PER_CLASS; b++) {
            double cx = 5.0 + 18.0 * gtap_splitmix64_uniform(&state), cy = 5.0 + 18.0 * gtap_splitmix64_uniform(&state);
            double width = 2.0 + 3.0 * gtap_splitmix64_uniform(&state);
            for (int y = 0; y < IMAGE_SIDE; y++)
                for (int x = 0; x < IMAGE_SIDE; x++) {
                    double r2 = ((x - cx) * (x - cx) + (y - cy) * (y - cy)) / (width * width);
                    image[y * IMAGE_SIDE + x] += (float)exp(-0.5 * r2);
                }
        }
        for (int p = 0; p < IMAGE_PIXELS; p++) image[p] = image[p] > 1.0f ? 1.0f : image[p];
    }
}

int gtap_dataset_synthetic_images(uint64_t n, uint64_t seed, uint64_t sample_seed, gtap_dataset **out)
{
    if (out == NULL) return gtap_set_error(GTAP_EINVAL, "synthetic images: out is NULL");
    *out = NULL;
    if (n == 0) return gtap_set_error(GTAP_EINVAL, "synthetic images: n=0");
    gtap_dataset *data = NULL;
    int rc = gtap_dataset_alloc_dense(n, IMAGE_PIXELS, IMAGE_CLASSES, "synthetic images", &data);
    if (rc < 0) return rc;
    float templates[IMAGE_CLASSES * IMAGE_PIXELS];
    make_templates(seed, templates);
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < (int64_t)n; i++) {
        uint64_t state = row_stream(sample_seed, 3, (uint64_t)i);
        int label = (int)(gtap_splitmix64_next(&state) % IMAGE_CLASSES);
        double intensity = 0.15 + 0.25 * gtap_splitmix64_uniform(&state);
        float *row = data->values + (uint64_t)i * IMAGE_PIXELS;
        fill_normal(&state, row, IMAGE_PIXELS, 0.5);
        for (int p = 0; p < IMAGE_PIXELS; p++) {
            float v = (float)(intensity * templates[label * IMAGE_PIXELS + p]) + row[p];
            row[p] = v < 0.0f ? 0.0f : (v > 1.0f ? 1.0f : v);
        }
        data->labels[i] = label;
    }
    *out = data;
    return GTAP_OK;
}
