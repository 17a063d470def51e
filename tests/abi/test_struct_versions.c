/* test_struct_versions.c - every public options struct carries its size and
 * layout version (gradtap/abi.h): the _init() function and the INIT macro
 * fill the same values, and each call that takes the struct refuses one of
 * another size, another version, or one never initialised (all zero) with
 * GTAP_EVERSION and a message naming the init function, creating nothing. */
#include <string.h>
#include <unistd.h>

#include "gradtap/abi.h"
#include "gradtap/format.h"
#include "gradtap/sparsify.h"
#include "gradtap/train.h"
#include "gradtap/train_data.h"
#include "gradtap/train_model.h"
#include "gtap_test.h"
#ifdef GTAP_TEST_WITH_CUDA
#include "gradtap/cuda.h"
#endif

/* The three broken headers a call must refuse: shorter (an older caller),
 * a later version, and never initialised. */
enum { BROKEN_COUNT = 3 };
static void break_header(size_t *size, unsigned *version, int how)
{
    if (how == 0) *size -= 8;
    else if (how == 1) *version += 1;
    else *size = 0, *version = 0;
}

static void test_check_function(void)
{
    GT_ASSERT_OK(gtap_struct_check("x options", "x_init", 40, 2, 40, 2));
    GT_ASSERT_STATUS(gtap_struct_check("x options", "x_init", 32, 2, 40, 2), GTAP_EVERSION);
    GT_ASSERT_STR_CONTAINS(gtap_last_error(), "x options of size 32, version 2");
    GT_ASSERT_STR_CONTAINS(gtap_last_error(), "size 40, version 2");
    GT_ASSERT_STR_CONTAINS(gtap_last_error(), "x_init()");
    GT_ASSERT_STATUS(gtap_struct_check("x options", "x_init", 40, 3, 40, 2), GTAP_EVERSION);
}

static void test_writer_options(void)
{
    gtap_writer_options from_init, from_macro = GTAP_WRITER_OPTIONS_INIT;
    gtap_writer_options_init(&from_init);
    GT_ASSERT_U64_EQ(from_init.struct_size, sizeof from_init);
    GT_ASSERT_INT_EQ(from_init.struct_version, GTAP_WRITER_OPTIONS_VERSION);
    /* field by field: the padding of a struct is not part of its value */
    GT_ASSERT_U64_EQ(from_macro.struct_size, from_init.struct_size);
    GT_ASSERT_INT_EQ(from_macro.struct_version, from_init.struct_version);
    GT_ASSERT_INT_EQ(from_macro.rank, from_init.rank);
    GT_ASSERT_INT_EQ(from_macro.world_size, from_init.world_size);
    GT_ASSERT_INT_EQ(from_macro.compression, from_init.compression);
    GT_ASSERT_INT_EQ(from_macro.append, from_init.append);
    GT_ASSERT_INT_EQ(from_macro.truncate, from_init.truncate);
    GT_ASSERT_U64_EQ(from_macro.max_chunk_bytes, from_init.max_chunk_bytes);
    GT_ASSERT_NULL(from_macro.producer);
    GT_ASSERT_NULL(from_macro.run_id);
    for (int how = 0; how < BROKEN_COUNT; how++) {
        gtap_writer_options options = from_init;
        break_header(&options.struct_size, &options.struct_version, how);
        const char *path = gtap_test_path("versions.h5");
        gtap_writer *writer = NULL;
        GT_ASSERT_STATUS(gtap_writer_create(path, &options, &writer), GTAP_EVERSION);
        GT_ASSERT_NULL(writer);
        GT_ASSERT_STR_CONTAINS(gtap_last_error(), "gtap_writer_options_init()");
        GT_ASSERT_INT_EQ(access(path, F_OK), -1);
    }
}

static void test_sparsify_options(void)
{
    gtap_sparsify_options from_init, from_macro = GTAP_SPARSIFY_OPTIONS_INIT(GTAP_SPARSIFY_DGCK);
    gtap_sparsify_options_init(&from_init, GTAP_SPARSIFY_DGCK);
    GT_ASSERT_U64_EQ(from_init.struct_size, sizeof from_init);
    GT_ASSERT_INT_EQ(from_init.struct_version, GTAP_SPARSIFY_OPTIONS_VERSION);
    GT_ASSERT_U64_EQ(from_macro.struct_size, from_init.struct_size);
    GT_ASSERT_INT_EQ(from_macro.struct_version, from_init.struct_version);
    GT_ASSERT_INT_EQ(from_macro.kind, from_init.kind);
    GT_ASSERT_U64_EQ(from_macro.seed, from_init.seed);
    GT_ASSERT_INT_EQ(from_macro.quality, from_init.quality);
    GT_ASSERT_DBL_CMP(from_macro.band_low, ==, from_init.band_low);
    GT_ASSERT_DBL_CMP(from_macro.band_high, ==, from_init.band_high);
    GT_ASSERT_INT_EQ(from_macro.max_passes, from_init.max_passes);
    GT_ASSERT_INT_EQ(from_macro.count_mode, from_init.count_mode);
    GT_ASSERT_DBL_CMP(from_macro.sample_ratio, ==, from_init.sample_ratio);
    GT_ASSERT_U64_EQ(from_macro.min_sample, from_init.min_sample);
    GT_ASSERT_INT_EQ(from_macro.max_retries, from_init.max_retries);
    GT_ASSERT_DBL_CMP(from_macro.lambda, ==, from_init.lambda);
    gtap_sparsifier *sparsifier = NULL;
    GT_ASSERT_OK(gtap_sparsifier_create(&from_init, 100, &sparsifier));
    gtap_sparsifier_free(sparsifier);
    for (int how = 0; how < BROKEN_COUNT; how++) {
        gtap_sparsify_options options = from_init;
        break_header(&options.struct_size, &options.struct_version, how);
        sparsifier = NULL;
        GT_ASSERT_STATUS(gtap_sparsifier_create(&options, 100, &sparsifier), GTAP_EVERSION);
        GT_ASSERT_NULL(sparsifier);
        GT_ASSERT_STR_CONTAINS(gtap_last_error(), "gtap_sparsify_options_init()");
    }
}

static void test_model_and_train_options(void)
{
    gtap_dataset *data = NULL;
    GT_ASSERT_OK(gtap_dataset_synthetic_logreg(64, 5, 1.0, 7, &data));
    gtap_model_options model_options;
    gtap_model_options_init(&model_options, GTAP_MODEL_LOGREG);
    GT_ASSERT_U64_EQ(model_options.struct_size, sizeof model_options);
    GT_ASSERT_INT_EQ(model_options.struct_version, GTAP_MODEL_OPTIONS_VERSION);
    gtap_model *model = NULL;
    GT_ASSERT_OK(gtap_model_create(&model_options, data, &model));
    for (int how = 0; how < BROKEN_COUNT; how++) {
        gtap_model_options options = model_options;
        break_header(&options.struct_size, &options.struct_version, how);
        gtap_model *other = NULL;
        GT_ASSERT_STATUS(gtap_model_create(&options, data, &other), GTAP_EVERSION);
        GT_ASSERT_NULL(other);
        GT_ASSERT_STR_CONTAINS(gtap_last_error(), "gtap_model_options_init()");
    }
    gtap_train_options train_options;
    gtap_train_options_init(&train_options);
    GT_ASSERT_U64_EQ(train_options.struct_size, sizeof train_options);
    GT_ASSERT_INT_EQ(train_options.struct_version, GTAP_TRAIN_OPTIONS_VERSION);
    GT_ASSERT_INT_EQ(train_options.compressor.struct_version, GTAP_SPARSIFY_OPTIONS_VERSION);
    for (int how = 0; how < BROKEN_COUNT; how++) {
        gtap_train_options options = train_options;
        break_header(&options.struct_size, &options.struct_version, how);
        gtap_train_result result;
        GT_ASSERT_STATUS(gtap_train_run(&options, model, data, &result), GTAP_EVERSION);
        GT_ASSERT_STR_CONTAINS(gtap_last_error(), "gtap_train_options_init()");
        gtap_train_result_free(&result);
    }
    gtap_model_free(model);
    gtap_dataset_free(data);
}

#ifdef GTAP_TEST_WITH_CUDA
/* gtap_cuda_select_workspace_size() checks its parameters on the host, so
 * this runs without a GPU. */
static void test_cuda_select_params(void)
{
    gtap_cuda_select_params from_init, from_macro = GTAP_CUDA_SELECT_PARAMS_INIT(GTAP_CUDA_DGCK, 10);
    gtap_cuda_select_params_init(&from_init, GTAP_CUDA_DGCK, 10);
    GT_ASSERT_U64_EQ(from_init.struct_size, sizeof from_init);
    GT_ASSERT_U64_EQ(from_macro.struct_size, from_init.struct_size);
    GT_ASSERT_INT_EQ(from_macro.struct_version, from_init.struct_version);
    GT_ASSERT_INT_EQ(from_macro.selector, from_init.selector);
    GT_ASSERT_U64_EQ(from_macro.k, from_init.k);
    GT_ASSERT_INT_EQ(from_macro.exact_k, from_init.exact_k);
    GT_ASSERT_DBL_CMP(from_macro.band_lo, ==, from_init.band_lo);
    GT_ASSERT_DBL_CMP(from_macro.band_hi, ==, from_init.band_hi);
    GT_ASSERT_INT_EQ(from_macro.max_passes, from_init.max_passes);
    GT_ASSERT_INT_EQ(from_macro.max_retries, from_init.max_retries);
    GT_ASSERT_DBL_CMP(from_macro.threshold, ==, from_init.threshold);
    GT_ASSERT_DBL_CMP(from_macro.sample_density, ==, from_init.sample_density);
    GT_ASSERT_U64_EQ(from_macro.min_sample, from_init.min_sample);
    GT_ASSERT_U64_EQ(from_macro.seed, from_init.seed);
    size_t bytes = 0;
    GT_ASSERT_OK(gtap_cuda_select_workspace_size(&from_init, 1000, &bytes));
    for (int how = 0; how < BROKEN_COUNT; how++) {
        gtap_cuda_select_params params = from_init;
        break_header(&params.struct_size, &params.struct_version, how);
        GT_ASSERT_STATUS(gtap_cuda_select_workspace_size(&params, 1000, &bytes), GTAP_EVERSION);
        GT_ASSERT_STR_CONTAINS(gtap_last_error(), "gtap_cuda_select_params_init()");
    }
}
#endif

static CU_TestInfo version_tests[] = {
    {"gtap_struct_check compares size and version", test_check_function},
    {"writer options: init = macro, others refused", test_writer_options},
    {"sparsify options: init = macro, others refused", test_sparsify_options},
    {"model and train options: others refused", test_model_and_train_options},
#ifdef GTAP_TEST_WITH_CUDA
    {"cuda select parameters: init = macro, others refused", test_cuda_select_params},
#endif
    CU_TEST_INFO_NULL,
};

GTAP_TEST_MAIN("struct versions", version_tests)
