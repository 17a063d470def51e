/* test_format_garbage.c - snapshot files that are well-formed HDF5 but
 * wrong gradtap (docs/RELIABILITY.md): steps of another type than int64, a
 * numel of 0 beside a data dataset, a numel of 2^40 in a 16 KB file,
 * format_version stored as a double, an empty tensors group. Each is
 * refused with GTAP_EFORMAT and a message saying what was found (the empty
 * group is a valid file with no tensors). */
#include <hdf5.h>
#include <stdlib.h>
#include <time.h>

#include "format_fixtures.h"

/* Replace /tensors/w/grad/steps by a dataset of `type` holding 0..3. */
static void replace_steps(const char *path, hid_t type)
{
    hid_t file = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    GT_ASSERT_INT_CMP_FATAL(file, >=, 0);
    GT_ASSERT_INT_CMP_FATAL(H5Ldelete(file, "tensors/w/grad/steps", H5P_DEFAULT), >=, 0);
    hsize_t rows = 4;
    hid_t space = H5Screate_simple(1, &rows, NULL);
    hid_t set = H5Dcreate2(file, "tensors/w/grad/steps", type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    GT_ASSERT_INT_CMP_FATAL(set, >=, 0);
    double steps[4] = {0, 1, 2, 3};
    H5Dwrite(set, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, steps);
    H5Dclose(set);
    H5Sclose(space);
    H5Fclose(file);
}

static void test_steps_of_another_type(void)
{
    const char *path = gtap_test_path("steps.h5");
    write_float_file(path, 10, 4);
    GT_ASSERT_OK(open_status(path));
    hid_t types[] = {H5T_IEEE_F64LE, H5T_STD_U64LE, H5T_STD_I32LE};
    const char *names[] = {"float64", "uint64", "int32"};
    for (int i = 0; i < 3; i++) {
        write_float_file(path, 10, 4);
        replace_steps(path, types[i]);
        GT_ASSERT_STATUS(open_status(path), GTAP_EFORMAT);
        char needle[64];
        snprintf(needle, sizeof needle, "steps are stored as %s, not int64", names[i]);
        GT_ASSERT_STR_CONTAINS(gtap_last_error(), needle);
    }
}

static void set_numel(const char *path, int64_t numel)
{
    hid_t file = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    GT_ASSERT_INT_CMP_FATAL(file, >=, 0);
    hid_t group = H5Gopen2(file, "tensors/w", H5P_DEFAULT);
    hid_t attribute = H5Aopen(group, "numel", H5P_DEFAULT);
    H5Awrite(attribute, H5T_NATIVE_INT64, &numel);
    H5Aclose(attribute);
    H5Gclose(group);
    H5Fclose(file);
}

static void test_numel_zero_beside_data(void)
{
    const char *path = gtap_test_path("numel0.h5");
    write_float_file(path, 10, 4);
    set_numel(path, 0);
    GT_ASSERT_STATUS(open_status(path), GTAP_EFORMAT);
    GT_ASSERT_STR_CONTAINS(gtap_last_error(), "numel is 0 but it has a data dataset");
}

/* A data dataset of 4 x 2^40 float32 whose chunks were never written:
 * HDF5 would read fill values for hours. */
static void test_huge_numel_in_a_small_file(void)
{
    const char *path = gtap_test_path("huge.h5");
    write_float_file(path, 10, 4);
    const uint64_t numel = (uint64_t)1 << 40;
    hid_t file = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    GT_ASSERT_INT_CMP_FATAL(file, >=, 0);
    GT_ASSERT_INT_CMP_FATAL(H5Ldelete(file, "tensors/w/grad/data", H5P_DEFAULT), >=, 0);
    hsize_t dims[2] = {4, numel}, max_dims[2] = {H5S_UNLIMITED, numel}, chunk[2] = {1, 262144};
    hid_t space = H5Screate_simple(2, dims, max_dims), create = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(create, 2, chunk);
    hid_t set = H5Dcreate2(file, "tensors/w/grad/data", H5T_IEEE_F32LE, space, H5P_DEFAULT, create, H5P_DEFAULT);
    GT_ASSERT_INT_CMP_FATAL(set, >=, 0);
    H5Dclose(set);
    H5Pclose(create);
    H5Sclose(space);
    H5Fclose(file);
    set_numel(path, (int64_t)numel);
    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    GT_ASSERT_STATUS(open_status(path), GTAP_EFORMAT);
    clock_gettime(CLOCK_MONOTONIC, &end);
    GT_ASSERT_STR_CONTAINS(gtap_last_error(), "numel 1099511627776 needs 4398046511104 bytes per snapshot");
    double seconds = (double)(end.tv_sec - start.tv_sec) + 1e-9 * (double)(end.tv_nsec - start.tv_nsec);
    GT_ASSERT_DBL_CMP(seconds, <, 5.0);
}

static void test_format_version_as_double(void)
{
    const char *path = gtap_test_path("version.h5");
    write_float_file(path, 10, 4);
    hid_t file = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    GT_ASSERT_INT_CMP_FATAL(file, >=, 0);
    H5Adelete(file, "format_version");
    hid_t space = H5Screate(H5S_SCALAR);
    hid_t attribute = H5Acreate2(file, "format_version", H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT);
    double one = 1.0;
    H5Awrite(attribute, H5T_NATIVE_DOUBLE, &one);
    H5Aclose(attribute);
    H5Sclose(space);
    H5Fclose(file);
    GT_ASSERT_STATUS(open_status(path), GTAP_EFORMAT);
    GT_ASSERT_STR_CONTAINS(gtap_last_error(), "format_version is the float64 value 1, not an int64");
}

/* qsort(NULL, 0, ...) is undefined (UBSan reported it): an empty group. */
static void test_empty_tensors_group(void)
{
    const char *path = gtap_test_path("empty.h5");
    write_float_file(path, 0, 0);
    gtap_reader *reader = NULL;
    GT_ASSERT_OK(gtap_reader_open(path, &reader));
    GT_ASSERT_U64_EQ(gtap_reader_tensor_count(reader), 0);
    size_t index = 0;
    GT_ASSERT_STATUS(gtap_reader_find_tensor(reader, "w", &index), GTAP_ENOTFOUND);
    gtap_reader_close(reader);
}

int main(int argc, char **argv)
{
    CU_TestInfo tests[] = {
        {"steps stored as float64, uint64, int32", test_steps_of_another_type},
        {"numel 0 beside a data dataset", test_numel_zero_beside_data},
        {"numel 2^40 in a small file fails fast", test_huge_numel_in_a_small_file},
        {"format_version stored as a double", test_format_version_as_double},
        {"an empty tensors group", test_empty_tensors_group},
        CU_TEST_INFO_NULL,
    };
    CU_SuiteInfo suites[] = {{"format_garbage", NULL, NULL, NULL, NULL, tests}, CU_SUITE_INFO_NULL};
    return gtap_test_run(argc, argv, suites);
}
