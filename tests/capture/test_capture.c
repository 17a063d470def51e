/* test_capture.c - the capture library (gradtap/capture.h) end to end on
 * host memory: snapshots read back bit for bit, step selection, kinds,
 * dtypes, block and skip policies (skipped steps recorded in the file),
 * flat layouts, late registration, flush and flushed_step, option and
 * argument validation, rank paths and torchrun's environment. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gradtap/capture.h"
#include "gradtap/summary.h"
#include "capture_fixtures.h"
#include "gtap_test.h"

/* Deterministic test bits for (tensor, step, element), any dtype. */
static uint32_t pattern(int tensor, int64_t step, uint64_t i)
{
    uint64_t state = ((uint64_t)tensor << 48) ^ ((uint64_t)step << 24) ^ i ^ 0x9e3779b97f4a7c15ull;
    return (uint32_t)(gtap_test_rand_u64(&state) >> 32);
}

/* Values that are finite in every dtype: a normal draw scaled, converted. */
static void fill(void *out, gtap_dtype dtype, int tensor, int64_t step, uint64_t numel)
{
    for (uint64_t i = 0; i < numel; i++) {
        float value = (float)((int32_t)pattern(tensor, step, i)) * 1e-9f;
        if (dtype == GTAP_FLOAT32) ((float *)out)[i] = value;
        else if (dtype == GTAP_FLOAT16) ((uint16_t *)out)[i] = gtap_float_to_half(value * 1e-3f);
        else ((uint16_t *)out)[i] = gtap_float_to_bf16(value);
    }
}

static void check_snapshot(gtap_reader *reader, const char *name, gtap_kind kind, int64_t step, gtap_dtype dtype,
                           int tensor, uint64_t numel)
{
    size_t index;
    GT_ASSERT_OK(gtap_reader_find_tensor(reader, name, &index));
    size_t bytes = numel * gtap_dtype_size(dtype);
    unsigned char *expected = malloc(bytes + 1), *got = malloc(bytes + 1);
    fill(expected, dtype, tensor, step, numel);
    GT_ASSERT_OK(gtap_reader_read_raw(reader, index, kind, step, 0, numel, got));
    gtap_test_assert(memcmp(expected, got, bytes) == 0, 0, __LINE__, __FILE__,
                     "'%s' step %lld: stored bits differ from the recorded ones", name, (long long)step);
    free(expected);
    free(got);
}

static void steps_of(gtap_reader *reader, const char *name, gtap_kind kind, int64_t *steps, size_t capacity,
                     size_t *count)
{
    size_t index;
    GT_ASSERT_OK(gtap_reader_find_tensor(reader, name, &index));
    GT_ASSERT_OK(gtap_reader_steps(reader, index, kind, steps, capacity, count));
}


static void test_roundtrip_dtypes_and_every(void)
{
    const char *path = strdup(gtap_test_path("roundtrip.h5"));
    gtap_capture_options options = quiet_options();
    options.every = 3;
    const int64_t listed[] = {7, 4, 7};
    options.steps = listed;
    options.step_count = 3;
    options.kinds = GTAP_KIND_BIT(GTAP_KIND_GRAD) | GTAP_KIND_BIT(GTAP_KIND_ACC);
    gtap_capture *capture = NULL;
    GT_ASSERT_OK(gtap_capture_open(path, &options, &capture));
    const gtap_dtype dtypes[3] = {GTAP_FLOAT32, GTAP_FLOAT16, GTAP_BFLOAT16};
    const char *names[3] = {"layer.0/weight", "half", "brain"};
    const uint64_t numels[3] = {1000, 257, 3};
    int ids[3];
    for (int t = 0; t < 3; t++) GT_ASSERT_OK(gtap_capture_register(capture, names[t], numels[t], dtypes[t], &ids[t]));
    int again = -1;
    GT_ASSERT_OK(gtap_capture_register(capture, "half", 257, GTAP_FLOAT16, &again));
    GT_ASSERT_INT_EQ(again, ids[1]);
    GT_ASSERT_STATUS(gtap_capture_register(capture, "half", 258, GTAP_FLOAT16, &again), GTAP_EEXIST);
    unsigned char buffer[4000];
    for (int64_t step = 0; step < 10; step++) {
        for (int t = 0; t < 3; t++) {
            fill(buffer, dtypes[t], t, step, numels[t]);
            GT_ASSERT_OK(gtap_capture_record(capture, ids[t], GTAP_KIND_GRAD, step, buffer));
            memset(buffer, 0xAB, sizeof buffer); /* the caller may reuse its memory at once */
        }
        fill(buffer, GTAP_FLOAT32, 0, step, numels[0]);
        GT_ASSERT_OK(gtap_capture_record(capture, ids[0], GTAP_KIND_PARAM, step, buffer)); /* kind not recorded */
    }
    GT_ASSERT_STATUS(gtap_capture_record(capture, ids[0], GTAP_KIND_GRAD, 9, buffer), GTAP_EINVAL);
    GT_ASSERT_STATUS(gtap_capture_record(capture, 99, GTAP_KIND_GRAD, 12, buffer), GTAP_EINVAL);
    GT_ASSERT_STATUS(gtap_capture_record(capture, ids[0], GTAP_KIND_GRAD, 12, NULL), GTAP_EINVAL);
    GT_ASSERT_INT_EQ(gtap_capture_status(capture), GTAP_OK);
    gtap_capture_stats stats;
    GT_ASSERT_OK(gtap_capture_close(capture, &stats));
    /* steps 0, 3, 4, 6, 7, 9 for each of 3 tensors */
    GT_ASSERT_U64_EQ(stats.snapshots_written, 18);
    GT_ASSERT_U64_EQ(stats.snapshots_skipped, 0);
    GT_ASSERT_U64_EQ(stats.bytes_written, 6 * (4000 + 514 + 6));

    gtap_reader *reader = NULL;
    GT_ASSERT_OK(gtap_reader_open(path, &reader));
    gtap_file_info info;
    GT_ASSERT_OK(gtap_reader_file_info(reader, &info));
    GT_ASSERT_INT_EQ(info.complete, 1);
    GT_ASSERT_INT_EQ(info.swmr, 1);
    const int64_t expected[6] = {0, 3, 4, 6, 7, 9};
    for (int t = 0; t < 3; t++) {
        int64_t steps[16];
        size_t count = 0;
        steps_of(reader, names[t], GTAP_KIND_GRAD, steps, 16, &count);
        GT_ASSERT_U64_EQ(count, 6);
        for (size_t i = 0; i < count && i < 6; i++) {
            GT_ASSERT_INT_EQ(steps[i], expected[i]);
            check_snapshot(reader, names[t], GTAP_KIND_GRAD, steps[i], dtypes[t], t, numels[t]);
        }
        steps_of(reader, names[t], GTAP_KIND_PARAM, steps, 16, &count);
        GT_ASSERT_U64_EQ(count, 0);
    }
    gtap_reader_close(reader);
    free((void *)path);
}

static void test_skip_policy_records_skipped_steps(void)
{
    const char *path = strdup(gtap_test_path("skip.h5"));
    gtap_capture_options options = quiet_options();
    options.every = 1;
    options.policy = GTAP_CAPTURE_SKIP;
    const uint64_t numel = 1 << 18; /* 1 MiB */
    options.staging_bytes = numel * 4; /* room for one snapshot at a time */
    gtap_capture *capture = NULL;
    GT_ASSERT_OK(gtap_capture_open(path, &options, &capture));
    int id;
    GT_ASSERT_OK(gtap_capture_register(capture, "big", numel, GTAP_FLOAT32, &id));
    GT_ASSERT_STATUS(gtap_capture_register(capture, "too-big", numel + 1, GTAP_FLOAT32, &id), GTAP_EINVAL);
    /* The data of every step is made first, so the recording loop is only
     * copies (also under ThreadSanitizer, where fill() is slow). */
    const int steps = 60;
    float *data = malloc((size_t)steps * numel * sizeof *data);
    GT_ASSERT_FATAL(data != NULL);
    for (int64_t step = 0; step < steps; step++) fill(data + (size_t)step * numel, GTAP_FLOAT32, 0, step, numel);
    for (int64_t step = 0; step < steps; step++)
        GT_ASSERT_OK(gtap_capture_record(capture, id, GTAP_KIND_GRAD, step, data + (size_t)step * numel));
    gtap_capture_stats stats;
    GT_ASSERT_OK(gtap_capture_close(capture, &stats));
    GT_ASSERT_U64_EQ(stats.snapshots_written + stats.snapshots_skipped, steps);
    GT_ASSERT_U64_CMP(stats.snapshots_skipped, >, 0); /* memcpy is far faster than HDF5 writes of 1 MiB */
    GT_ASSERT_U64_CMP(stats.peak_staging_bytes, <=, options.staging_bytes);

    gtap_reader *reader = NULL;
    GT_ASSERT_OK(gtap_reader_open(path, &reader));
    int64_t written[64], skipped[64];
    size_t written_count = 0, skipped_count = 0;
    steps_of(reader, "big", GTAP_KIND_GRAD, written, 64, &written_count);
    GT_ASSERT_OK(gtap_skipped_steps(reader, 0, GTAP_KIND_GRAD, skipped, 64, &skipped_count));
    GT_ASSERT_U64_EQ(written_count, stats.snapshots_written);
    GT_ASSERT_U64_EQ(skipped_count, stats.snapshots_skipped);
    /* every step is either written or recorded as skipped, never both */
    int seen[64] = {0};
    for (size_t i = 0; i < written_count; i++) seen[written[i]] += 1;
    for (size_t i = 0; i < skipped_count; i++) seen[skipped[i]] += 2;
    for (int s = 0; s < steps; s++) gtap_test_assert(seen[s] == 1 || seen[s] == 2, 0, __LINE__, __FILE__,
                                                     "step %d: written/skipped code %d", s, seen[s]);
    for (size_t i = 0; i < written_count; i++)
        check_snapshot(reader, "big", GTAP_KIND_GRAD, written[i], GTAP_FLOAT32, 0, numel);
    gtap_reader_close(reader);
    free(data);
    free((void *)path);
}

static void test_block_policy_loses_nothing(void)
{
    const char *path = strdup(gtap_test_path("block.h5"));
    gtap_capture_options options = quiet_options();
    options.every = 1;
    const uint64_t numel = 1 << 17;
    options.staging_bytes = numel * 4;
    gtap_capture *capture = NULL;
    GT_ASSERT_OK(gtap_capture_open(path, &options, &capture));
    int id;
    GT_ASSERT_OK(gtap_capture_register(capture, "w", numel, GTAP_FLOAT32, &id));
    float *data = malloc(numel * sizeof *data);
    for (int64_t step = 0; step < 30; step++) {
        fill(data, GTAP_FLOAT32, 3, step, numel);
        GT_ASSERT_OK(gtap_capture_record(capture, id, GTAP_KIND_GRAD, step, data));
    }
    gtap_capture_stats stats;
    GT_ASSERT_OK(gtap_capture_close(capture, &stats));
    GT_ASSERT_U64_EQ(stats.snapshots_written, 30);
    GT_ASSERT_U64_EQ(stats.snapshots_skipped, 0);
    gtap_reader *reader = NULL;
    GT_ASSERT_OK(gtap_reader_open(path, &reader));
    for (int64_t step = 0; step < 30; step += 7) check_snapshot(reader, "w", GTAP_KIND_GRAD, step, GTAP_FLOAT32, 3, numel);
    gtap_reader_close(reader);
    free(data);
    free((void *)path);
}

static void test_flush_and_concurrent_reader(void)
{
    const char *path = strdup(gtap_test_path("flush.h5"));
    gtap_capture_options options = quiet_options();
    options.every = 1;
    gtap_capture *capture = NULL;
    GT_ASSERT_OK(gtap_capture_open(path, &options, &capture));
    int id;
    GT_ASSERT_OK(gtap_capture_register(capture, "v", 100, GTAP_FLOAT32, &id));
    float data[100];
    for (int64_t step = 0; step < 5; step++) {
        fill(data, GTAP_FLOAT32, 1, step, 100);
        GT_ASSERT_OK(gtap_capture_record(capture, id, GTAP_KIND_GRAD, step, data));
    }
    GT_ASSERT_OK(gtap_capture_flush(capture));
    gtap_capture_stats stats;
    GT_ASSERT_OK(gtap_capture_get_stats(capture, &stats));
    GT_ASSERT_INT_EQ(stats.flushed_step, 4);
    /* the file is readable while its writer runs (SWMR) */
    gtap_reader *reader = NULL;
    GT_ASSERT_OK(gtap_reader_open(path, &reader));
    int64_t steps[8];
    size_t count = 0;
    steps_of(reader, "v", GTAP_KIND_GRAD, steps, 8, &count);
    GT_ASSERT_U64_EQ(count, 5);
    check_snapshot(reader, "v", GTAP_KIND_GRAD, 4, GTAP_FLOAT32, 1, 100);
    gtap_file_info info;
    gtap_reader_file_info(reader, &info);
    GT_ASSERT_INT_EQ(info.complete, 0);
    gtap_reader_close(reader);
    GT_ASSERT_OK(gtap_capture_close(capture, NULL));
    free((void *)path);
}

static void test_late_registration_and_flat_layout(void)
{
    const char *path = strdup(gtap_test_path("late.h5"));
    gtap_capture_options options = quiet_options();
    options.every = 1;
    options.summary_every = 2;
    gtap_capture *capture = NULL;
    GT_ASSERT_OK(gtap_capture_open(path, &options, &capture));
    int first, bucket;
    GT_ASSERT_OK(gtap_capture_register(capture, "first", 10, GTAP_FLOAT32, &first));
    float data[64];
    fill(data, GTAP_FLOAT32, 0, 0, 10);
    GT_ASSERT_OK(gtap_capture_record(capture, first, GTAP_KIND_GRAD, 0, data));
    GT_ASSERT_OK(gtap_capture_flush(capture));
    const gtap_flat_entry bad[2] = {{"a", 0, 10}, {"b", 5, 10}};
    GT_ASSERT_STATUS(gtap_capture_register_flat(capture, "bucket", 64, GTAP_FLOAT32, bad, 2, &bucket), GTAP_EINVAL);
    const gtap_flat_entry outside[1] = {{"a", 60, 10}};
    GT_ASSERT_STATUS(gtap_capture_register_flat(capture, "bucket", 64, GTAP_FLOAT32, outside, 1, &bucket),
                     GTAP_EINVAL);
    const gtap_flat_entry layout[3] = {{"net.b", 40, 24}, {"net.w", 0, 30}, {"net.c", 30, 0}};
    GT_ASSERT_OK(gtap_capture_register_flat(capture, "bucket", 64, GTAP_FLOAT32, layout, 3, &bucket));
    for (int64_t step = 1; step < 4; step++) {
        fill(data, GTAP_FLOAT32, 0, step, 10);
        GT_ASSERT_OK(gtap_capture_record(capture, first, GTAP_KIND_GRAD, step, data));
        fill(data, GTAP_FLOAT32, 5, step, 64);
        GT_ASSERT_OK(gtap_capture_record(capture, bucket, GTAP_KIND_GRAD, step, data));
    }
    GT_ASSERT_OK(gtap_capture_close(capture, NULL));

    gtap_reader *reader = NULL;
    GT_ASSERT_OK(gtap_reader_open(path, &reader));
    int64_t steps[8];
    size_t count = 0;
    steps_of(reader, "first", GTAP_KIND_GRAD, steps, 8, &count);
    GT_ASSERT_U64_EQ(count, 4);
    steps_of(reader, "bucket", GTAP_KIND_GRAD, steps, 8, &count);
    GT_ASSERT_U64_EQ(count, 3);
    for (int64_t step = 1; step < 4; step++) check_snapshot(reader, "bucket", GTAP_KIND_GRAD, step, GTAP_FLOAT32, 5, 64);
    size_t index, members = 0;
    GT_ASSERT_OK(gtap_reader_find_tensor(reader, "bucket", &index));
    GT_ASSERT_OK(gtap_flat_layout_count(reader, index, &members));
    GT_ASSERT_U64_EQ(members, 3);
    const char *sorted_names[3] = {"net.w", "net.c", "net.b"};
    const uint64_t offsets[3] = {0, 30, 40}, sizes[3] = {30, 0, 24};
    for (size_t m = 0; m < members && m < 3; m++) {
        char name[64];
        uint64_t offset = 0, numel = 0;
        GT_ASSERT_OK(gtap_flat_layout_entry(reader, index, m, name, sizeof name, &offset, &numel));
        GT_ASSERT_STR_EQ(name, sorted_names[m]);
        GT_ASSERT_U64_EQ(offset, offsets[m]);
        GT_ASSERT_U64_EQ(numel, sizes[m]);
    }
    size_t summaries = 0;
    GT_ASSERT_OK(gtap_summary_count(reader, index, GTAP_KIND_GRAD, &summaries));
    GT_ASSERT_U64_EQ(summaries, 1); /* step 2 */
    GT_ASSERT_OK(gtap_reader_find_tensor(reader, "first", &index));
    GT_ASSERT_OK(gtap_flat_layout_count(reader, index, &members));
    GT_ASSERT_U64_EQ(members, 0);
    GT_ASSERT_OK(gtap_summary_count(reader, index, GTAP_KIND_GRAD, &summaries));
    GT_ASSERT_U64_EQ(summaries, 2); /* steps 0 and 2 */
    gtap_reader_close(reader);
    free((void *)path);
}

static void test_open_errors_and_options(void)
{
    gtap_capture_options options = quiet_options();
    gtap_capture *capture = NULL;
    const char *path = strdup(gtap_test_path("exists.h5"));
    GT_ASSERT_OK(gtap_capture_open(path, &options, &capture));
    GT_ASSERT_OK(gtap_capture_close(capture, NULL));
    GT_ASSERT_STATUS(gtap_capture_open(path, &options, &capture), GTAP_EEXIST);
    GT_ASSERT_NULL(capture);
    options.truncate = 1;
    GT_ASSERT_OK(gtap_capture_open(path, &options, &capture));
    GT_ASSERT_OK(gtap_capture_close(capture, NULL));
    GT_ASSERT_STATUS(gtap_capture_open(gtap_test_path("no/such/dir/x.h5"), &options, &capture), GTAP_EIO);

    gtap_capture_options bad = quiet_options();
    bad.kinds = 0;
    GT_ASSERT_STATUS(gtap_capture_open(path, &bad, &capture), GTAP_EINVAL);
    bad = quiet_options();
    const double densities[2] = {0.1, 1.5};
    bad.densities = densities;
    bad.density_count = 2;
    GT_ASSERT_STATUS(gtap_capture_open(path, &bad, &capture), GTAP_EINVAL);
    bad = quiet_options();
    bad.rank = 3;
    bad.world_size = 2;
    GT_ASSERT_STATUS(gtap_capture_open(path, &bad, &capture), GTAP_EINVAL);
    bad = quiet_options();
    const int64_t negative[1] = {-4};
    bad.steps = negative;
    bad.step_count = 1;
    GT_ASSERT_STATUS(gtap_capture_open(path, &bad, &capture), GTAP_EINVAL);
    GT_ASSERT_STATUS(gtap_capture_open(NULL, NULL, &capture), GTAP_EINVAL);
    GT_ASSERT_OK(gtap_capture_close(NULL, NULL));
    GT_ASSERT_INT_EQ(gtap_capture_wants(NULL, 0), 0);
    GT_ASSERT_U64_CMP(gtap_capture_options_size(), ==, sizeof(gtap_capture_options));
    free((void *)path);
}

static void test_rank_paths_and_environment(void)
{
    char out[256];
    GT_ASSERT_OK(gtap_capture_rank_path("a/run.h5", 3, out, sizeof out));
    GT_ASSERT_STR_EQ(out, "a/run.rank00003.h5");
    GT_ASSERT_OK(gtap_capture_rank_path("run", 12, out, sizeof out));
    GT_ASSERT_STR_EQ(out, "run.rank00012.h5");
    GT_ASSERT_STATUS(gtap_capture_rank_path("run", 1, out, 8), GTAP_EOVERFLOW);

    setenv("RANK", "2", 1);
    setenv("WORLD_SIZE", "4", 1);
    gtap_capture_options options;
    gtap_capture_options_init(&options);
    options.quiet = 1;
    gtap_capture *capture = NULL;
    const char *path = strdup(gtap_test_path("torchrun.h5"));
    GT_ASSERT_OK(gtap_capture_open(path, &options, &capture));
    GT_ASSERT_INT_EQ(gtap_capture_rank(capture), 2);
    GT_ASSERT_INT_EQ(gtap_capture_world_size(capture), 4);
    char expected[512];
    gtap_capture_rank_path(path, 2, expected, sizeof expected);
    GT_ASSERT_STR_EQ(gtap_capture_path(capture), expected);
    GT_ASSERT_OK(gtap_capture_close(capture, NULL));
    unsetenv("RANK");
    unsetenv("WORLD_SIZE");
    free((void *)path);
}

static void test_removed_directory_turns_capture_off(void)
{
    char directory[512];
    snprintf(directory, sizeof directory, "%s", gtap_test_path("doomed"));
    GT_ASSERT_INT_CMP_FATAL(mkdir(directory, 0700), ==, 0);
    char path[600];
    snprintf(path, sizeof path, "%s/run.h5", directory);
    gtap_capture_options options = quiet_options();
    options.every = 1;
    gtap_capture *capture = NULL;
    GT_ASSERT_OK(gtap_capture_open(path, &options, &capture));
    int id;
    GT_ASSERT_OK(gtap_capture_register(capture, "v", 16, GTAP_FLOAT32, &id));
    float data[16] = {0};
    GT_ASSERT_OK(gtap_capture_record(capture, id, GTAP_KIND_GRAD, 0, data));
    GT_ASSERT_OK(gtap_capture_flush(capture));
    unlink(path);
    rmdir(directory);
    GT_ASSERT_OK(gtap_capture_record(capture, id, GTAP_KIND_GRAD, 1, data));
    GT_ASSERT_STATUS(gtap_capture_flush(capture), GTAP_EIO);
    GT_ASSERT_STATUS(gtap_capture_record(capture, id, GTAP_KIND_GRAD, 2, data), GTAP_EDISABLED);
    GT_ASSERT_INT_EQ(gtap_capture_status(capture), GTAP_EIO);
    GT_ASSERT_STR_CONTAINS(gtap_capture_error(capture), "removed");
    gtap_capture_stats stats;
    GT_ASSERT_STATUS(gtap_capture_close(capture, &stats), GTAP_EIO);
    GT_ASSERT_INT_EQ(stats.status, GTAP_EIO);
}

/* The child of the disk-full test: files may not grow past 2 MiB. Exit
 * code 0 when capture turned itself off and the "training" went on. */
static int disk_full_child(const char *path, const char *stderr_path)
{
    struct rlimit limit = {2u << 20, 2u << 20};
    signal(SIGXFSZ, SIG_IGN); /* writes past the limit then fail with EFBIG, like a full disk */
    if (freopen(stderr_path, "w", stderr) == NULL || setrlimit(RLIMIT_FSIZE, &limit) != 0) return 10;
    gtap_capture_options options;
    gtap_capture_options_init(&options);
    options.rank = 0;
    options.world_size = 1;
    options.every = 1;
    gtap_capture *capture = NULL;
    if (gtap_capture_open(path, &options, &capture) < 0) return 11;
    int id;
    const uint64_t numel = 1 << 18; /* 1 MiB per snapshot */
    if (gtap_capture_register(capture, "w", numel, GTAP_FLOAT32, &id) < 0) return 12;
    float *data = calloc(numel, sizeof *data);
    int disabled_at = -1;
    for (int step = 0; step < 12; step++) {
        int rc = gtap_capture_record(capture, id, GTAP_KIND_GRAD, step, data);
        if (rc == GTAP_EDISABLED && disabled_at < 0) disabled_at = step;
        else if (rc != GTAP_OK && rc != GTAP_EDISABLED) return 13;
        gtap_capture_flush(capture);
    }
    free(data);
    gtap_capture_stats stats;
    int rc = gtap_capture_close(capture, &stats);
    fflush(stderr);
    if (disabled_at < 0 || rc != GTAP_EIO || stats.status != GTAP_EIO) return 14;
    if (stats.snapshots_written >= 3) return 15; /* at most 2 MiB fit */
    fflush(stderr);
    return 0;
}

static void test_disk_full_turns_capture_off(void)
{
    char path[600], stderr_path[600];
    snprintf(path, sizeof path, "%s", gtap_test_path("full.h5"));
    snprintf(stderr_path, sizeof stderr_path, "%s", gtap_test_path("full.stderr"));
    fflush(stdout);
    pid_t child = fork();
    GT_ASSERT_INT_CMP_FATAL(child, >=, 0);
    if (child == 0) _exit(disk_full_child(path, stderr_path));
    int status = 0;
    waitpid(child, &status, 0);
    GT_ASSERT(WIFEXITED(status));
    GT_ASSERT_INT_EQ(WEXITSTATUS(status), 0);
    size_t length = 0;
    char *text = gtap_test_read_file(stderr_path, &length);
    GT_ASSERT_NOT_NULL_FATAL(text);
    int lines = 0;
    for (size_t i = 0; i < length; i++) lines += text[i] == '\n';
    GT_ASSERT_INT_EQ(lines, 1); /* exactly one line on stderr */
    GT_ASSERT_STR_CONTAINS(text, "gradtap capture: turned off");
    printf("disk-full message: %s", text);
    free(text);
}

static CU_TestInfo capture_tests[] = {
    {"roundtrip of float32/float16/bfloat16 with every N and a step list", test_roundtrip_dtypes_and_every},
    {"skip policy records every dropped step in the file", test_skip_policy_records_skipped_steps},
    {"block policy with a one-snapshot budget loses nothing", test_block_policy_loses_nothing},
    {"flush, flushed_step and a reader during writing", test_flush_and_concurrent_reader},
    {"late registration and the flat layout table", test_late_registration_and_flat_layout},
    {"open errors and option validation", test_open_errors_and_options},
    {"per-rank paths and RANK/WORLD_SIZE", test_rank_paths_and_environment},
    {"a removed directory turns capture off, training goes on", test_removed_directory_turns_capture_off},
    {"a full disk (RLIMIT_FSIZE) turns capture off with one stderr line", test_disk_full_turns_capture_off},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"capture", NULL, NULL, NULL, NULL, capture_tests},
    CU_SUITE_INFO_NULL,
};

int main(int argc, char **argv)
{
    return gtap_test_run(argc, argv, suites);
}
