/* test_format_errors.c - bad files and bad calls: a missing file, a file that
 * is not HDF5, HDF5 that is not gradtap, another format version, a truncated
 * file, a tensor whose attributes disagree with its data, an unwritable
 * path, a file left by a killed writer (steps beyond the committed rows);
 * each gives the documented status and a message naming the file, and
 * failed calls leave what was written intact. */
#include <hdf5.h>
#include <stdlib.h>
#include <unistd.h>

#include "format_fixtures.h"

/* A writer on `path`: a new file, or appending; `ramp` gets 0, 1, ... 999. */
static gtap_writer *open_writer(const char *path, int append, float ramp[1000])
{
    gtap_writer_options options;
    gtap_writer_options_init(&options);
    options.truncate = !append;
    options.append = append;
    gtap_writer *writer = NULL;
    for (int i = 0; i < 1000; i++) ramp[i] = (float)i;
    GT_ASSERT_OK(gtap_writer_create(path, &options, &writer));
    return writer;
}

static void assert_message_names(const char *path)
{
    const char *message = gtap_last_error();
    gtap_test_assert(strstr(message, path) != NULL, 0, __LINE__, __FILE__, "message '%s' names '%s'", message, path);
}

static void test_missing_and_not_hdf5(void)
{
    const char *missing = gtap_test_path("missing.h5");
    GT_ASSERT_STATUS(open_status(missing), GTAP_ENOTFOUND);
    assert_message_names(missing);

    char text_file[1024];
    snprintf(text_file, sizeof text_file, "%s", gtap_test_path("text.h5"));
    FILE *file = fopen(text_file, "w");
    fputs("this is not HDF5\n", file);
    fclose(file);
    GT_ASSERT_STATUS(open_status(text_file), GTAP_EFORMAT);
    assert_message_names(text_file);
    GT_ASSERT_STATUS(open_status(gtap_test_tmpdir()), GTAP_EFORMAT);

    /* appending to a non-HDF5 file fails and leaves it untouched */
    gtap_writer_options options;
    gtap_writer_options_init(&options);
    options.append = 1;
    gtap_writer *writer = NULL;
    GT_ASSERT_STATUS(gtap_writer_create(text_file, &options, &writer), GTAP_EFORMAT);
    char *content = gtap_test_read_file(text_file, NULL);
    GT_ASSERT_STR_EQ(content, "this is not HDF5\n");
    free(content);
}

static void test_hdf5_but_not_gradtap(void)
{
    char path[1024];
    snprintf(path, sizeof path, "%s", gtap_test_path("plain.h5"));
    hid_t file = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    GT_ASSERT_INT_CMP_FATAL(file, >=, 0);
    H5Fclose(file);
    GT_ASSERT_STATUS(open_status(path), GTAP_EFORMAT);
    assert_message_names(path);
}

static void set_root_int(const char *path, const char *name, int64_t value)
{
    hid_t file = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    GT_ASSERT_INT_CMP_FATAL(file, >=, 0);
    hid_t attribute = H5Aopen(file, name, H5P_DEFAULT);
    H5Awrite(attribute, H5T_NATIVE_INT64, &value);
    H5Aclose(attribute);
    H5Fclose(file);
}

static void test_other_version(void)
{
    char path[1024];
    snprintf(path, sizeof path, "%s", gtap_test_path("v99.h5"));
    write_float_file(path, 1000, 20);
    set_root_int(path, "format_version", 99);
    GT_ASSERT_STATUS(open_status(path), GTAP_EVERSION);
    assert_message_names(path);
    gtap_test_assert(strstr(gtap_last_error(), "99") != NULL, 0, __LINE__, __FILE__, "message names the version");
    gtap_writer_options options;
    gtap_writer_options_init(&options);
    options.append = 1;
    gtap_writer *writer = NULL;
    GT_ASSERT_STATUS(gtap_writer_create(path, &options, &writer), GTAP_EVERSION);
}

static void test_truncated(void)
{
    char path[1024];
    snprintf(path, sizeof path, "%s", gtap_test_path("truncated.h5"));
    write_float_file(path, 1000, 20);
    FILE *file = fopen(path, "rb");
    fseek(file, 0, SEEK_END);
    long size = ftell(file);
    fclose(file);
    GT_ASSERT_INT_CMP_FATAL(truncate(path, size / 2), ==, 0);
    int rc = open_status(path);
    gtap_test_assert(rc == GTAP_EFORMAT, 0, __LINE__, __FILE__, "truncated file: status %d (%s)", rc,
                     gtap_last_error());
    assert_message_names(path);
}

static void test_attributes_disagree_with_data(void)
{
    char path[1024];
    snprintf(path, sizeof path, "%s", gtap_test_path("numel.h5"));
    write_float_file(path, 1000, 20);
    hid_t file = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    hid_t group = H5Gopen2(file, "tensors/w", H5P_DEFAULT);
    hid_t attribute = H5Aopen(group, "numel", H5P_DEFAULT);
    int64_t wrong = 999;
    H5Awrite(attribute, H5T_NATIVE_INT64, &wrong);
    H5Aclose(attribute);
    H5Gclose(group);
    H5Fclose(file);
    GT_ASSERT_STATUS(open_status(path), GTAP_EFORMAT);
    gtap_test_assert(strstr(gtap_last_error(), "'w'") != NULL, 0, __LINE__, __FILE__, "names the tensor: %s",
                     gtap_last_error());
}

/* Give /tensors/w/grad/steps `rows` rows; `value` >= 0 is written at row
 * `row` (a step whose data row never made it), else the new rows keep the
 * fill value -1 (their chunk never reached the disk). */
static void reshape_steps(const char *path, hsize_t rows, hsize_t row, int64_t value)
{
    hid_t file = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    GT_ASSERT_INT_CMP_FATAL(file, >=, 0);
    hid_t steps = H5Dopen2(file, "tensors/w/grad/steps", H5P_DEFAULT);
    GT_ASSERT_INT_CMP_FATAL(steps, >=, 0);
    GT_ASSERT_INT_CMP_FATAL(H5Dset_extent(steps, &rows), >=, 0);
    if (value >= 0) {
        hsize_t one = 1;
        hid_t file_space = H5Dget_space(steps), memory_space = H5Screate_simple(1, &one, NULL);
        H5Sselect_hyperslab(file_space, H5S_SELECT_SET, &row, NULL, &one, NULL);
        GT_ASSERT_INT_CMP_FATAL(H5Dwrite(steps, H5T_NATIVE_INT64, memory_space, file_space, H5P_DEFAULT, &value), >=,
                                0);
        H5Sclose(memory_space);
        H5Sclose(file_space);
    }
    H5Dclose(steps);
    H5Fclose(file);
}

static size_t committed_steps(const char *path)
{
    gtap_reader *reader = NULL;
    size_t count = 0;
    GT_ASSERT_OK(gtap_reader_open(path, &reader));
    GT_ASSERT_OK(gtap_reader_steps(reader, 0, GTAP_KIND_GRAD, NULL, 0, &count));
    float out[1000];
    GT_ASSERT_OK(gtap_reader_read(reader, 0, GTAP_KIND_GRAD, (int64_t)count - 1, out));
    GT_ASSERT_NEAR(out[999], 999, 0, 0);
    gtap_reader_close(reader);
    return count;
}

/* What a killed SWMR writer can leave (docs/FORMAT.md, "Crash safety"):
 * readers use the committed rows of an incomplete file and refuse a
 * complete file that has uncommitted ones. */
static void test_uncommitted_rows_after_a_kill(void)
{
    char path[1024];
    snprintf(path, sizeof path, "%s", gtap_test_path("killed.h5"));
    write_float_file(path, 1000, 20); /* 20 steps 0..19 */
    set_root_int(path, "complete", 0);
    reshape_steps(path, 23, 0, -1); /* steps extended, values not written */
    GT_ASSERT_INT_EQ(committed_steps(path), 20);
    reshape_steps(path, 21, 20, 20); /* a step whose data row is not there */
    GT_ASSERT_INT_EQ(committed_steps(path), 20);
    reshape_steps(path, 20, 19, 3); /* a step that goes back: the log ends before it */
    GT_ASSERT_INT_EQ(committed_steps(path), 19);
    set_root_int(path, "complete", 1);
    GT_ASSERT_STATUS(open_status(path), GTAP_EFORMAT);
    assert_message_names(path);
    gtap_test_assert(strstr(gtap_last_error(), "not all committed") != NULL, 0, __LINE__, __FILE__,
                     "message says why: %s", gtap_last_error());
    /* appending to the incomplete file overwrites the uncommitted row */
    set_root_int(path, "complete", 0);
    float v[1000];
    gtap_writer *writer = open_writer(path, 1, v);
    GT_ASSERT_OK(gtap_writer_write(writer, "w", GTAP_KIND_GRAD, 19, v));
    GT_ASSERT_OK(gtap_writer_write(writer, "w", GTAP_KIND_GRAD, 20, v));
    GT_ASSERT_OK(gtap_writer_close(writer));
    GT_ASSERT_INT_EQ(committed_steps(path), 21);
}

static void test_bad_writer_arguments(void)
{
    gtap_writer_options options;
    gtap_writer_options_init(&options);
    gtap_writer *writer = NULL;
    GT_ASSERT_STATUS(gtap_writer_create(gtap_test_path("no/such/dir/x.h5"), &options, &writer), GTAP_EIO);
    options.rank = 3;
    options.world_size = 2;
    GT_ASSERT_STATUS(gtap_writer_create(gtap_test_path("rank.h5"), &options, &writer), GTAP_EINVAL);
    GT_ASSERT_STATUS(gtap_writer_create(NULL, &options, &writer), GTAP_EINVAL);
    gtap_writer_options_init(&options);
    options.truncate = 1;
    GT_ASSERT_OK(gtap_writer_create(gtap_test_path("args.h5"), &options, &writer));
    GT_ASSERT_STATUS(gtap_writer_add_tensor(writer, "", 1, GTAP_FLOAT32), GTAP_EINVAL);
    GT_ASSERT_STATUS(gtap_writer_add_tensor(writer, "x", 1, (gtap_dtype)7), GTAP_EDTYPE);
    GT_ASSERT_STATUS(gtap_writer_add_tensor(writer, "x", UINT64_MAX, GTAP_FLOAT32), GTAP_EOVERFLOW);
    GT_ASSERT_OK(gtap_writer_close(writer));
    GT_ASSERT_OK(gtap_writer_close(NULL));
    gtap_reader_close(NULL);
}

static void test_failed_append_keeps_data(void)
{
    char path[1024];
    snprintf(path, sizeof path, "%s", gtap_test_path("keep.h5"));
    write_float_file(path, 1000, 20);
    gtap_writer_options options;
    gtap_writer_options_init(&options);
    options.append = 1;
    gtap_writer *writer = NULL;
    float v[1000] = {0};
    GT_ASSERT_OK(gtap_writer_create(path, &options, &writer));
    GT_ASSERT_STATUS(gtap_writer_add_tensor(writer, "w", 10, GTAP_FLOAT32), GTAP_EEXIST);
    GT_ASSERT_STATUS(gtap_writer_write(writer, "w", GTAP_KIND_GRAD, 3, v), GTAP_EINVAL);
    GT_ASSERT_OK(gtap_writer_close(writer));
    gtap_reader *reader = NULL;
    GT_ASSERT_OK(gtap_reader_open(path, &reader));
    size_t count = 0;
    GT_ASSERT_OK(gtap_reader_steps(reader, 0, GTAP_KIND_GRAD, NULL, 0, &count));
    GT_ASSERT_INT_EQ(count, 20);
    float out[1000];
    GT_ASSERT_OK(gtap_reader_read(reader, 0, GTAP_KIND_GRAD, 19, out));
    GT_ASSERT_NEAR(out[999], 999, 0, 0);
    gtap_reader_close(reader);
}

int main(int argc, char **argv)
{
    CU_TestInfo tests[] = {
        {"missing file, not HDF5, a directory", test_missing_and_not_hdf5},
        {"HDF5 but not a gradtap file", test_hdf5_but_not_gradtap},
        {"uncommitted rows left by a killed writer", test_uncommitted_rows_after_a_kill},
        {"another format version", test_other_version},
        {"truncated file", test_truncated},
        {"numel attribute disagrees with data", test_attributes_disagree_with_data},
        {"bad writer arguments", test_bad_writer_arguments},
        {"failed calls keep what was written", test_failed_append_keeps_data},
        CU_TEST_INFO_NULL,
    };
    CU_SuiteInfo suites[] = {{"format_errors", NULL, NULL, NULL, NULL, tests}, CU_SUITE_INFO_NULL};
    return gtap_test_run(argc, argv, suites);
}
