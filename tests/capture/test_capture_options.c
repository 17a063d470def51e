/* test_capture_options.c - the versioned capture options: the initializer
 * macro and gtap_capture_options_init() agree field by field, and options
 * of another size or layout version are refused with GTAP_EVERSION (not
 * misread) while nothing is created on disk. */
#include <string.h>
#include <unistd.h>

#include "gradtap/capture.h"
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

static CU_TestInfo options_tests[] = {
    {"GTAP_CAPTURE_OPTIONS_INIT equals gtap_capture_options_init", test_macro_equals_init},
    {"options of another size or version are refused", test_other_layouts_refused},
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
