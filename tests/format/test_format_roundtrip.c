/* test_format_roundtrip.c - every dtype and kind through writer and reader:
 * bit-exact float32, exact widening of float16/bfloat16, sizes 0, 1 and
 * larger than a chunk, names with '.', '/', '%' and ".", reading in ranges,
 * appending, metadata, step order rules and SWMR mode. */
#include <stdlib.h>

#include "gradtap/format.h"
#include "gtap_test.h"

static gtap_writer *new_writer(const char *name, size_t max_chunk_bytes)
{
    gtap_writer_options options;
    gtap_writer_options_init(&options);
    options.truncate = 1;
    options.rank = 2;
    options.world_size = 4;
    options.run_id = "run-42";
    options.max_chunk_bytes = max_chunk_bytes;
    gtap_writer *writer = NULL;
    GT_ASSERT_OK(gtap_writer_create(gtap_test_path(name), &options, &writer));
    return writer;
}

static float *random_vector(uint64_t *state, size_t count)
{
    float *v = malloc((count ? count : 1) * sizeof *v);
    for (size_t i = 0; i < count; i++) v[i] = (float)(gtap_test_rand_normal(state) * 1e-3);
    return v;
}

static void test_float32_bit_exact_all_kinds(void)
{
    uint64_t state = gtap_test_seed("float32 bit exact");
    const size_t numel = 100003; /* larger than one 64 KiB chunk, odd */
    gtap_writer *writer = new_writer("f32.h5", 65536);
    GT_ASSERT_OK(gtap_writer_add_tensor(writer, "layer1.weight", numel, GTAP_FLOAT32));
    float *values[GTAP_KIND_COUNT][3];
    for (int kind = 0; kind < GTAP_KIND_COUNT; kind++) {
        for (int s = 0; s < 3; s++) {
            values[kind][s] = random_vector(&state, numel);
            values[kind][s][s] = -0.0f; /* signed zero survives */
            values[kind][s][7] = 1.4e-45f; /* a subnormal survives */
            GT_ASSERT_OK(gtap_writer_write(writer, "layer1.weight", (gtap_kind)kind, 10 * s + kind, values[kind][s]));
        }
    }
    GT_ASSERT_OK(gtap_writer_close(writer));

    gtap_reader *reader = NULL;
    GT_ASSERT_OK(gtap_reader_open(gtap_test_path("f32.h5"), &reader));
    gtap_file_info file;
    GT_ASSERT_OK(gtap_reader_file_info(reader, &file));
    GT_ASSERT_INT_EQ(file.rank, 2);
    GT_ASSERT_INT_EQ(file.world_size, 4);
    GT_ASSERT_INT_EQ(file.complete, 1);
    GT_ASSERT_INT_EQ(file.format_version, GTAP_FORMAT_VERSION);
    GT_ASSERT_STR_EQ(file.run_id, "run-42");
    GT_ASSERT_INT_EQ(gtap_reader_tensor_count(reader), 1);
    gtap_tensor_info info;
    GT_ASSERT_OK(gtap_reader_tensor(reader, 0, &info));
    GT_ASSERT_STR_EQ(info.name, "layer1.weight");
    GT_ASSERT_U64_EQ(info.numel, numel);
    GT_ASSERT_INT_EQ(info.kinds, GTAP_KIND_ALL);
    GT_ASSERT_U64_CMP(info.stored_bytes, >=, 12 * numel * 4);
    float *out = malloc(numel * sizeof *out);
    for (int kind = 0; kind < GTAP_KIND_COUNT; kind++) {
        int64_t steps[8];
        size_t count = 0;
        GT_ASSERT_OK(gtap_reader_steps(reader, 0, (gtap_kind)kind, steps, 8, &count));
        GT_ASSERT_INT_EQ(count, 3);
        for (int s = 0; s < 3; s++) {
            GT_ASSERT_INT_EQ(steps[s], 10 * s + kind);
            GT_ASSERT_OK(gtap_reader_read(reader, 0, (gtap_kind)kind, steps[s], out));
            GT_ASSERT_INT_EQ(memcmp(out, values[kind][s], numel * sizeof *out), 0);
            free(values[kind][s]);
        }
    }
    free(out);
    gtap_reader_close(reader);
}

static void test_half_and_bfloat16(void)
{
    uint64_t state = gtap_test_seed("16-bit dtypes");
    const size_t numel = 5000;
    gtap_writer *writer = new_writer("half.h5", 4096);
    GT_ASSERT_OK(gtap_writer_add_tensor(writer, "h", numel, GTAP_FLOAT16));
    GT_ASSERT_OK(gtap_writer_add_tensor(writer, "b", numel, GTAP_BFLOAT16));
    uint16_t *half_bits = malloc(numel * 2), *bf16_bits = malloc(numel * 2);
    for (size_t i = 0; i < numel; i++) {
        half_bits[i] = (uint16_t)gtap_test_rand_u64(&state);
        if ((half_bits[i] & 0x7c00) == 0x7c00) half_bits[i] = 0x3c00; /* no Inf/NaN: compare values */
        bf16_bits[i] = (uint16_t)gtap_test_rand_u64(&state);
        if ((bf16_bits[i] & 0x7f80) == 0x7f80) bf16_bits[i] = 0x3f80;
    }
    GT_ASSERT_OK(gtap_writer_write(writer, "h", GTAP_KIND_GRAD, 5, half_bits));
    GT_ASSERT_OK(gtap_writer_write(writer, "b", GTAP_KIND_ACC, 5, bf16_bits));
    GT_ASSERT_OK(gtap_writer_close(writer));

    gtap_reader *reader = NULL;
    GT_ASSERT_OK(gtap_reader_open(gtap_test_path("half.h5"), &reader));
    size_t h, b;
    GT_ASSERT_OK(gtap_reader_find_tensor(reader, "h", &h));
    GT_ASSERT_OK(gtap_reader_find_tensor(reader, "b", &b));
    float *out = malloc(numel * sizeof *out);
    uint16_t *raw = malloc(numel * 2);
    GT_ASSERT_OK(gtap_reader_read(reader, h, GTAP_KIND_GRAD, 5, out));
    int mismatches = 0;
    for (size_t i = 0; i < numel; i++) mismatches += out[i] != gtap_half_to_float(half_bits[i]);
    GT_ASSERT_INT_EQ(mismatches, 0);
    GT_ASSERT_OK(gtap_reader_read_raw(reader, h, GTAP_KIND_GRAD, 5, 0, numel, raw));
    GT_ASSERT_INT_EQ(memcmp(raw, half_bits, numel * 2), 0);
    GT_ASSERT_OK(gtap_reader_read(reader, b, GTAP_KIND_ACC, 5, out));
    mismatches = 0;
    for (size_t i = 0; i < numel; i++) mismatches += out[i] != gtap_bf16_to_float(bf16_bits[i]);
    GT_ASSERT_INT_EQ(mismatches, 0);
    /* a range in the middle, widened */
    GT_ASSERT_OK(gtap_reader_read_range(reader, b, GTAP_KIND_ACC, 5, 1234, 777, out));
    mismatches = 0;
    for (size_t i = 0; i < 777; i++) mismatches += out[i] != gtap_bf16_to_float(bf16_bits[1234 + i]);
    GT_ASSERT_INT_EQ(mismatches, 0);
    free(out);
    free(raw);
    free(half_bits);
    free(bf16_bits);
    gtap_reader_close(reader);
}

static void test_float32_written_as_16_bit(void)
{
    gtap_writer *writer = new_writer("convert.h5", 0);
    GT_ASSERT_OK(gtap_writer_add_tensor(writer, "h", 3, GTAP_FLOAT16));
    const float in[3] = {1.0f, 1.0f + 1.0f / 2048.0f, 70000.0f};
    GT_ASSERT_OK(gtap_writer_write_float32(writer, "h", GTAP_KIND_GRAD, 0, in));
    GT_ASSERT_OK(gtap_writer_close(writer));
    gtap_reader *reader = NULL;
    GT_ASSERT_OK(gtap_reader_open(gtap_test_path("convert.h5"), &reader));
    float out[3];
    GT_ASSERT_OK(gtap_reader_read(reader, 0, GTAP_KIND_GRAD, 0, out));
    GT_ASSERT_NEAR(out[0], 1.0, 0, 0);
    GT_ASSERT_NEAR(out[1], 1.0, 0, 0); /* round to nearest even */
    GT_ASSERT(isinf(out[2]));         /* beyond float16's range */
    gtap_reader_close(reader);
}

static void test_sizes_zero_one_and_names(void)
{
    static const char *names[] = {"a.b/c.d", "module.layer/0.weight", "100%/x", ".", "..", "/leading", "trailing/"};
    const size_t name_count = sizeof names / sizeof names[0];
    gtap_writer *writer = new_writer("names.h5", 0);
    for (size_t i = 0; i < name_count; i++) GT_ASSERT_OK(gtap_writer_add_tensor(writer, names[i], i % 2, GTAP_FLOAT32));
    GT_ASSERT_OK(gtap_writer_add_tensor(writer, names[0], 0, GTAP_FLOAT32)); /* same again: no-op */
    GT_ASSERT_STATUS(gtap_writer_add_tensor(writer, names[0], 5, GTAP_FLOAT32), GTAP_EEXIST);
    float one = 3.5f;
    for (size_t i = 0; i < name_count; i++) GT_ASSERT_OK(gtap_writer_write(writer, names[i], GTAP_KIND_PARAM, 7, &one));
    GT_ASSERT_OK(gtap_writer_write(writer, names[0], GTAP_KIND_PARAM, 8, NULL)); /* numel 0: NULL data is fine */
    GT_ASSERT_OK(gtap_writer_close(writer));

    gtap_reader *reader = NULL;
    GT_ASSERT_OK(gtap_reader_open(gtap_test_path("names.h5"), &reader));
    GT_ASSERT_INT_EQ(gtap_reader_tensor_count(reader), name_count);
    for (size_t i = 0; i < name_count; i++) {
        size_t index;
        GT_ASSERT_OK(gtap_reader_find_tensor(reader, names[i], &index));
        gtap_tensor_info info;
        GT_ASSERT_OK(gtap_reader_tensor(reader, index, &info));
        GT_ASSERT_STR_EQ(info.name, names[i]);
        GT_ASSERT_U64_EQ(info.numel, i % 2);
        float out = 0;
        GT_ASSERT_OK(gtap_reader_read(reader, index, GTAP_KIND_PARAM, 7, &out));
        if (info.numel == 1) GT_ASSERT_NEAR(out, 3.5, 0, 0);
    }
    size_t index, count;
    GT_ASSERT_OK(gtap_reader_find_tensor(reader, names[0], &index));
    GT_ASSERT_OK(gtap_reader_steps(reader, index, GTAP_KIND_PARAM, NULL, 0, &count));
    GT_ASSERT_INT_EQ(count, 2);
    GT_ASSERT_OK(gtap_reader_steps(reader, index, GTAP_KIND_GRAD, NULL, 0, &count));
    GT_ASSERT_INT_EQ(count, 0);
    GT_ASSERT_STATUS(gtap_reader_find_tensor(reader, "missing", &index), GTAP_ENOTFOUND);
    gtap_reader_close(reader);
}

static void test_step_rules_and_ranges(void)
{
    gtap_writer *writer = new_writer("steps.h5", 0);
    float v[4] = {1, 2, 3, 4};
    GT_ASSERT_OK(gtap_writer_add_tensor(writer, "t", 4, GTAP_FLOAT32));
    GT_ASSERT_STATUS(gtap_writer_write(writer, "nope", GTAP_KIND_GRAD, 1, v), GTAP_ENOTFOUND);
    GT_ASSERT_STATUS(gtap_writer_write(writer, "t", GTAP_KIND_GRAD, -1, v), GTAP_EINVAL);
    GT_ASSERT_STATUS(gtap_writer_write(writer, "t", (gtap_kind)9, 1, v), GTAP_EINVAL);
    GT_ASSERT_STATUS(gtap_writer_write(writer, "t", GTAP_KIND_GRAD, 1, NULL), GTAP_EINVAL);
    GT_ASSERT_OK(gtap_writer_write(writer, "t", GTAP_KIND_GRAD, 5, v));
    GT_ASSERT_STATUS(gtap_writer_write(writer, "t", GTAP_KIND_GRAD, 5, v), GTAP_EEXIST);
    GT_ASSERT_STATUS(gtap_writer_write(writer, "t", GTAP_KIND_GRAD, 4, v), GTAP_EINVAL);
    GT_ASSERT_OK(gtap_writer_write(writer, "t", GTAP_KIND_GRAD, 6, v));
    GT_ASSERT_OK(gtap_writer_set_meta(writer, "optimizer", "sgd momentum=0.9"));
    GT_ASSERT_STATUS(gtap_writer_set_meta(writer, "a/b", "x"), GTAP_EINVAL);
    GT_ASSERT_OK(gtap_writer_close(writer));

    gtap_reader *reader = NULL;
    GT_ASSERT_OK(gtap_reader_open(gtap_test_path("steps.h5"), &reader));
    float out[4];
    GT_ASSERT_STATUS(gtap_reader_read(reader, 0, GTAP_KIND_GRAD, 4, out), GTAP_ENOTFOUND);
    GT_ASSERT_STATUS(gtap_reader_read_range(reader, 0, GTAP_KIND_GRAD, 5, 3, 2, out), GTAP_EINVAL);
    GT_ASSERT_STATUS(gtap_reader_read_range(reader, 0, GTAP_KIND_GRAD, 5, UINT64_MAX, 2, out), GTAP_EINVAL);
    GT_ASSERT_STATUS(gtap_reader_read(reader, 3, GTAP_KIND_GRAD, 5, out), GTAP_EINVAL);
    GT_ASSERT_OK(gtap_reader_read_range(reader, 0, GTAP_KIND_GRAD, 6, 1, 3, out));
    GT_ASSERT_NEAR(out[0], 2, 0, 0);
    GT_ASSERT_NEAR(out[2], 4, 0, 0);
    char value[64], key[64];
    GT_ASSERT_OK(gtap_reader_meta(reader, "optimizer", value, sizeof value));
    GT_ASSERT_STR_EQ(value, "sgd momentum=0.9");
    GT_ASSERT_INT_EQ(gtap_reader_meta_count(reader), 1);
    GT_ASSERT_OK(gtap_reader_meta_key(reader, 0, key, sizeof key));
    GT_ASSERT_STR_EQ(key, "optimizer");
    GT_ASSERT_STATUS(gtap_reader_meta(reader, "nope", value, sizeof value), GTAP_ENOTFOUND);
    gtap_reader_close(reader);
}

static void test_append(void)
{
    float v[3] = {1, 2, 3};
    gtap_writer *writer = new_writer("append.h5", 0);
    GT_ASSERT_OK(gtap_writer_add_tensor(writer, "t", 3, GTAP_FLOAT32));
    GT_ASSERT_OK(gtap_writer_write(writer, "t", GTAP_KIND_GRAD, 1, v));
    GT_ASSERT_OK(gtap_writer_close(writer));

    gtap_writer_options options;
    gtap_writer_options_init(&options);
    GT_ASSERT_STATUS(gtap_writer_create(gtap_test_path("append.h5"), &options, &writer), GTAP_EEXIST);
    options.append = 1;
    GT_ASSERT_OK(gtap_writer_create(gtap_test_path("append.h5"), &options, &writer));
    GT_ASSERT_STATUS(gtap_writer_add_tensor(writer, "t", 4, GTAP_FLOAT32), GTAP_EEXIST);
    GT_ASSERT_STATUS(gtap_writer_write(writer, "t", GTAP_KIND_GRAD, 1, v), GTAP_EEXIST);
    v[0] = 9;
    GT_ASSERT_OK(gtap_writer_write(writer, "t", GTAP_KIND_GRAD, 2, v));
    GT_ASSERT_OK(gtap_writer_add_tensor(writer, "u", 1, GTAP_BFLOAT16));
    GT_ASSERT_OK(gtap_writer_write_float32(writer, "u", GTAP_KIND_ACC, 0, v));
    GT_ASSERT_OK(gtap_writer_close(writer));

    gtap_reader *reader = NULL;
    GT_ASSERT_OK(gtap_reader_open(gtap_test_path("append.h5"), &reader));
    GT_ASSERT_INT_EQ(gtap_reader_tensor_count(reader), 2);
    float out[3];
    GT_ASSERT_OK(gtap_reader_read(reader, 0, GTAP_KIND_GRAD, 1, out));
    GT_ASSERT_NEAR(out[0], 1, 0, 0);
    GT_ASSERT_OK(gtap_reader_read(reader, 0, GTAP_KIND_GRAD, 2, out));
    GT_ASSERT_NEAR(out[0], 9, 0, 0);
    gtap_reader_close(reader);
}

static void test_swmr_write_and_concurrent_read(void)
{
    float v[64];
    for (int i = 0; i < 64; i++) v[i] = (float)i;
    gtap_writer *writer = new_writer("swmr.h5", 0);
    GT_ASSERT_OK(gtap_writer_add_tensor(writer, "t", 64, GTAP_FLOAT32));
    GT_ASSERT_OK(gtap_writer_prepare(writer, "t", GTAP_KIND_GRAD));
    GT_ASSERT_OK(gtap_writer_start_swmr(writer));
    GT_ASSERT_STATUS(gtap_writer_add_tensor(writer, "new", 1, GTAP_FLOAT32), GTAP_ESTATE);
    GT_ASSERT_STATUS(gtap_writer_write(writer, "t", GTAP_KIND_ACC, 0, v), GTAP_ESTATE);
    GT_ASSERT_OK(gtap_writer_write(writer, "t", GTAP_KIND_GRAD, 0, v));
    GT_ASSERT_OK(gtap_writer_flush(writer));

    gtap_reader *reader = NULL; /* opened while the writer is still running */
    GT_ASSERT_OK(gtap_reader_open(gtap_test_path("swmr.h5"), &reader));
    size_t count = 0;
    GT_ASSERT_OK(gtap_reader_steps(reader, 0, GTAP_KIND_GRAD, NULL, 0, &count));
    GT_ASSERT_INT_EQ(count, 1);
    gtap_file_info file;
    gtap_reader_file_info(reader, &file);
    GT_ASSERT_INT_EQ(file.complete, 0);
    v[0] = 100;
    GT_ASSERT_OK(gtap_writer_write(writer, "t", GTAP_KIND_GRAD, 1, v));
    GT_ASSERT_OK(gtap_reader_refresh(reader)); /* the step is held back until its row is flushed */
    GT_ASSERT_OK(gtap_reader_steps(reader, 0, GTAP_KIND_GRAD, NULL, 0, &count));
    GT_ASSERT_INT_EQ(count, 1);
    GT_ASSERT_OK(gtap_writer_flush(writer));
    GT_ASSERT_OK(gtap_reader_refresh(reader));
    GT_ASSERT_OK(gtap_reader_steps(reader, 0, GTAP_KIND_GRAD, NULL, 0, &count));
    GT_ASSERT_INT_EQ(count, 2);
    float out[64];
    GT_ASSERT_OK(gtap_reader_read(reader, 0, GTAP_KIND_GRAD, 1, out));
    GT_ASSERT_NEAR(out[0], 100, 0, 0);
    gtap_reader_close(reader);
    GT_ASSERT_OK(gtap_writer_close(writer));

    GT_ASSERT_OK(gtap_reader_open(gtap_test_path("swmr.h5"), &reader));
    gtap_reader_file_info(reader, &file);
    GT_ASSERT_INT_EQ(file.complete, 1);
    GT_ASSERT_INT_EQ(file.swmr, 1);
    gtap_reader_close(reader);
}

static void test_compression(void)
{
    uint64_t state = gtap_test_seed("compression");
    const size_t numel = 20000;
    float *v = random_vector(&state, numel);
    for (int c = GTAP_COMPRESS_GZIP; c <= GTAP_COMPRESS_LZ4; c++) {
        gtap_writer_options options;
        gtap_writer_options_init(&options);
        options.truncate = 1;
        options.compression = (gtap_compression)c;
        gtap_writer *writer = NULL;
        int rc = gtap_writer_create(gtap_test_path("compressed.h5"), &options, &writer);
        if (rc == GTAP_EUNSUPPORTED) {
            printf("  %s filter not available: %s\n", gtap_compression_name((gtap_compression)c), gtap_last_error());
            continue;
        }
        GT_ASSERT_OK(rc);
        GT_ASSERT_OK(gtap_writer_add_tensor(writer, "t", numel, GTAP_FLOAT32));
        GT_ASSERT_OK(gtap_writer_write(writer, "t", GTAP_KIND_GRAD, 0, v));
        GT_ASSERT_OK(gtap_writer_close(writer));
        gtap_reader *reader = NULL;
        GT_ASSERT_OK(gtap_reader_open(gtap_test_path("compressed.h5"), &reader));
        gtap_tensor_info info;
        GT_ASSERT_OK(gtap_reader_tensor(reader, 0, &info));
        GT_ASSERT_INT_EQ(info.compression, c);
        float *out = malloc(numel * sizeof *out);
        GT_ASSERT_OK(gtap_reader_read(reader, 0, GTAP_KIND_GRAD, 0, out));
        GT_ASSERT_INT_EQ(memcmp(out, v, numel * sizeof *out), 0);
        free(out);
        gtap_reader_close(reader);
    }
    free(v);
}

int main(int argc, char **argv)
{
    CU_TestInfo tests[] = {
        {"float32 bit exact, every kind, > 1 chunk", test_float32_bit_exact_all_kinds},
        {"float16 and bfloat16 stored bits and widening", test_half_and_bfloat16},
        {"float32 input into 16-bit tensors", test_float32_written_as_16_bit},
        {"sizes 0 and 1, names with . / %", test_sizes_zero_one_and_names},
        {"step rules, ranges, metadata", test_step_rules_and_ranges},
        {"append to an existing file", test_append},
        {"SWMR: read while writing", test_swmr_write_and_concurrent_read},
        {"gzip and lz4 compression", test_compression},
        CU_TEST_INFO_NULL,
    };
    CU_SuiteInfo suites[] = {{"format_roundtrip", NULL, NULL, NULL, NULL, tests}, CU_SUITE_INFO_NULL};
    return gtap_test_run(argc, argv, suites);
}
