/* test_capture_options.c - the versioned capture options: the initializer
 * macro and gtap_capture_options_init() agree field by field, and options
 * of another size or layout version are refused with GTAP_EVERSION (not
 * misread) while nothing is created on disk; the file modes: create refuses
 * an existing file, append adds steps to it (and creates a missing one),
 * truncate with append is refused; whole-model summaries (global_summary). */
#include <string.h>
#include <unistd.h>

#include "gradtap/capture.h"
#include "gradtap/format.h"
#include "gradtap/summary.h"
#include "gtap_test.h"

static void test_macro_equals_init(void)
{
    gtap_capture_options from_macro = GTAP_CAPTURE_OPTIONS_INIT;
    gtap_capture_options from_init;
    memset(&from_init, 0xa5, sizeof from_init); /* init must set every field */
    gtap_capture_options_init(&from_init);
    GT_ASSERT_U64_EQ(from_init.struct_size, sizeof(gtap_capture_options));
    GT_ASSERT_U64_EQ(from_init.struct_version, GTAP_CAPTURE_OPTIONS_VERSION);
    GT_ASSERT_U64_EQ(gtap_capture_options_size(), sizeof(gtap_capture_options));
    GT_ASSERT_U64_EQ(from_macro.staging_bytes, from_init.staging_bytes);
    GT_ASSERT_INT_EQ(from_macro.rank, -1);
    GT_ASSERT_INT_EQ(from_init.rank, -1);
    GT_ASSERT_INT_EQ(from_macro.crash_safe, from_init.crash_safe);
    GT_ASSERT_INT_EQ(from_macro.per_rank_files, from_init.per_rank_files);
    GT_ASSERT_U64_EQ(from_macro.kinds, from_init.kinds);
    GT_ASSERT_NULL(from_init.densities);
    GT_ASSERT_NULL(from_init.steps);
    GT_ASSERT_NULL(from_init.run_id);
}

static void refused(gtap_capture_options *options, const char *name)
{
    const char *path = gtap_test_path(name);
    gtap_capture *capture = NULL;
    GT_ASSERT_STATUS(gtap_capture_open(path, options, &capture), GTAP_EVERSION);
    GT_ASSERT_NULL(capture);
    GT_ASSERT_STR_CONTAINS(gtap_last_error(), "gtap_capture_options_init()");
    GT_ASSERT_INT_EQ(access(path, F_OK), -1); /* no file was created */
}

static void test_other_layouts_refused(void)
{
    gtap_capture_options options;
    gtap_capture_options_init(&options);
    options.struct_size = sizeof options - 8; /* a caller built against an older, shorter struct */
    refused(&options, "short.h5");
    gtap_capture_options_init(&options);
    options.struct_version = GTAP_CAPTURE_OPTIONS_VERSION + 1;
    refused(&options, "newer.h5");
    gtap_capture_options zeroed;
    memset(&zeroed, 0, sizeof zeroed); /* never initialised */
    refused(&zeroed, "zeroed.h5");
}

/* One capture of tensor "w" (4 floats) at `steps`, with `append`. */
static int capture_steps(const char *path, int append, int truncate, const int64_t *steps, int count)
{
    gtap_capture_options options;
    gtap_capture_options_init(&options);
    options.every = 1;
    options.quiet = 1;
    options.append = append;
    options.truncate = truncate;
    gtap_capture *capture = NULL;
    int rc = gtap_capture_open(path, &options, &capture);
    if (rc < 0) return rc;
    int id = -1;
    float values[4] = {1, 2, 3, 4};
    rc = gtap_capture_register(capture, "w", 4, GTAP_FLOAT32, &id);
    for (int i = 0; i < count && rc == GTAP_OK; i++) rc = gtap_capture_record(capture, id, GTAP_KIND_GRAD, steps[i], values);
    int closed = gtap_capture_close(capture, NULL);
    return rc < 0 ? rc : closed;
}

static size_t steps_in(const char *path, int64_t *steps, size_t capacity)
{
    gtap_reader *reader = NULL;
    size_t count = 0, index = 0;
    GT_ASSERT_OK(gtap_reader_open(path, &reader));
    GT_ASSERT_OK(gtap_reader_find_tensor(reader, "w", &index));
    GT_ASSERT_OK(gtap_reader_steps(reader, index, GTAP_KIND_GRAD, steps, capacity, &count));
    gtap_reader_close(reader);
    return count;
}

static void test_file_modes(void)
{
    const char *path = gtap_test_path("modes.h5");
    const int64_t first[2] = {0, 1}, later[2] = {2, 3};
    int64_t steps[8];
    GT_ASSERT_OK(capture_steps(path, 1, 0, first, 2)); /* append to a missing file creates it */
    GT_ASSERT_U64_EQ(steps_in(path, steps, 8), 2);
    GT_ASSERT_STATUS(capture_steps(path, 0, 0, later, 2), GTAP_EEXIST); /* create refuses it */
    GT_ASSERT_U64_EQ(steps_in(path, steps, 8), 2);                     /* and leaves it as it was */
    GT_ASSERT_OK(capture_steps(path, 1, 0, later, 2));
    GT_ASSERT_U64_EQ(steps_in(path, steps, 8), 4);
    for (int i = 0; i < 4; i++) GT_ASSERT_INT_EQ(steps[i], i);
    GT_ASSERT_STATUS(capture_steps(path, 1, 1, later, 2), GTAP_EINVAL);
    GT_ASSERT_STR_CONTAINS(gtap_last_error(), "truncate and append");
    GT_ASSERT_OK(capture_steps(path, 0, 1, later, 1)); /* truncate replaces it */
    GT_ASSERT_U64_EQ(steps_in(path, steps, 8), 1);
    GT_ASSERT_INT_EQ(steps[0], 2);
}

/* global_summary: the tensor "(global)" holds, per step, the summary of the
 * step's records (float32 and float16) concatenated in record order, equal
 * to gtap_summary_compute of that vector; without summary_every refused. */
static void test_whole_model_summary(void)
{
    enum { A = 300, B = 70000, STEPS = 4 }; /* B > 2^16: the histogram path, A the sorting one */
    static const double default_densities[3] = {0.001, 0.01, 0.1};
    static float a[A], b[B], whole[A + B];
    static uint16_t b16[B];
    const char *path = gtap_test_path("whole.h5");
    gtap_capture_options options = GTAP_CAPTURE_OPTIONS_INIT;
    options.global_summary = 1;
    gtap_capture *capture = NULL;
    GT_ASSERT_STATUS(gtap_capture_open(path, &options, &capture), GTAP_EINVAL);
    GT_ASSERT_STR_CONTAINS(gtap_last_error(), "global_summary needs summary_every");
    options.summary_every = 1;
    GT_ASSERT_OK(gtap_capture_open(path, &options, &capture));
    int ia = -1, ib = -1;
    GT_ASSERT_OK(gtap_capture_register(capture, "a", A, GTAP_FLOAT32, &ia));
    GT_ASSERT_OK(gtap_capture_register(capture, "b", B, GTAP_FLOAT16, &ib));
    gtap_summary expected[STEPS];
    for (int step = 0; step < STEPS; step++) {
        for (int i = 0; i < A; i++) a[i] = (float)((i * 37 + step * 11) % 101) - 50.0f; /* ties, a zero */
        for (int i = 0; i < B; i++) b16[i] = gtap_float_to_half((float)((i * 13 + step) % 257) / 64.0f - 2.0f);
        GT_ASSERT_OK(gtap_capture_record(capture, ia, GTAP_KIND_GRAD, step, a));
        GT_ASSERT_OK(gtap_capture_record(capture, ib, GTAP_KIND_GRAD, step, b16));
        memcpy(whole, a, sizeof a);
        GT_ASSERT_OK(gtap_to_float32(GTAP_FLOAT16, b16, b, B));
        memcpy(whole + A, b, sizeof b);
        GT_ASSERT_OK(gtap_summary_compute(GTAP_FLOAT32, whole, A + B, default_densities, 3, NULL, &expected[step]));
    }
    GT_ASSERT_OK(gtap_capture_close(capture, NULL));
    gtap_reader *reader = NULL;
    GT_ASSERT_OK(gtap_reader_open(path, &reader));
    size_t model = 0, count = 0;
    GT_ASSERT_OK(gtap_reader_find_tensor(reader, GTAP_CAPTURE_MODEL_TENSOR, &model));
    GT_ASSERT_OK(gtap_summary_count(reader, model, GTAP_KIND_GRAD, &count));
    GT_ASSERT_U64_EQ(count, STEPS);
    size_t steps_stored = 0;
    GT_ASSERT_OK(gtap_reader_steps(reader, model, GTAP_KIND_GRAD, NULL, 0, &steps_stored));
    GT_ASSERT_U64_EQ(steps_stored, 0); /* summaries only, no snapshot */
    for (size_t i = 0; i < count; i++) {
        gtap_summary got;
        GT_ASSERT_OK(gtap_summary_read(reader, model, GTAP_KIND_GRAD, i, &got));
        GT_ASSERT_INT_EQ(got.step, (int64_t)i);
        GT_ASSERT_U64_EQ(got.counts[GTAP_SUMMARY_COUNT], A + B);
        GT_ASSERT_U64_EQ(got.k[1], (A + B) / 100);
        GT_ASSERT_MEM_EQ(got.ratios, expected[i].ratios, 3 * sizeof got.ratios[0]);
        GT_ASSERT_MEM_EQ(got.hist, expected[i].hist, sizeof got.hist);
        GT_ASSERT_MEM_EQ(got.counts, expected[i].counts, sizeof got.counts);
    }
    gtap_reader_close(reader);
}

static CU_TestInfo options_tests[] = {
    {"GTAP_CAPTURE_OPTIONS_INIT equals gtap_capture_options_init", test_macro_equals_init},
    {"options of another size or version are refused", test_other_layouts_refused},
    {"create, append and truncate", test_file_modes},
    {"global_summary: the whole model of every step as one vector", test_whole_model_summary},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"capture options", NULL, NULL, NULL, NULL, options_tests},
    CU_SUITE_INFO_NULL,
};

int main(int argc, char **argv)
{
    return gtap_test_run(argc, argv, suites);
}
