/* fuzz_snapshot.c - fuzz harness of the snapshot reader (gradtap/format.h)
 * and the summary reading of gradtap/summary.h: any bytes as a file; open
 * it, list tensors, metadata and steps, read a few rows, summaries, skipped
 * steps and flat layouts, refresh, close. What the reader reports must agree
 * with itself (counts, sorted names, increasing steps). */
#include <stdlib.h>
#include <string.h>

#include "fuzz_harness.h"
#include "gradtap/format.h"
#include "gradtap/summary.h"

const char *const fuzz_harness_name = "snapshot";

enum { MAX_TENSORS = 8, MAX_STEPS = 64, MAX_READ = 4096 };

static size_t input_size;

static int check(int status, const char *call) { return fuzz_check_status(status, call, input_size); }

static void read_meta(gtap_reader *reader)
{
    size_t count = gtap_reader_meta_count(reader);
    for (size_t i = 0; i < count && i < 8; i++) {
        char key[256], value[256];
        if (check(gtap_reader_meta_key(reader, i, key, sizeof key), "gtap_reader_meta_key") < 0) continue;
        if (memchr(key, '\0', sizeof key) == NULL) fuzz_fail("meta key %zu is not NUL-terminated", i);
        check(gtap_reader_meta(reader, key, value, sizeof value), "gtap_reader_meta");
    }
    char key[8];
    if (gtap_reader_meta_key(reader, count, key, sizeof key) == GTAP_OK) fuzz_fail("meta key %zu of %zu", count, count);
}

/* One row, at most MAX_READ elements from its start and from its end, raw and as float32. */
static void read_row(gtap_reader *reader, size_t t, const gtap_tensor_info *info, gtap_kind kind, int64_t step)
{
    static unsigned char raw[MAX_READ * 8];
    static float values[MAX_READ];
    uint64_t count = info->numel < MAX_READ ? info->numel : MAX_READ;
    size_t width = gtap_dtype_size(info->dtype);
    if (width == 0 || width > 8) fuzz_fail("tensor %zu: dtype %d of size %zu", t, (int)info->dtype, width);
    check(gtap_reader_read_raw(reader, t, kind, step, 0, count, raw), "gtap_reader_read_raw");
    check(gtap_reader_read_range(reader, t, kind, step, info->numel - count, count, values), "gtap_reader_read_range");
    if (gtap_reader_read_range(reader, t, kind, step, info->numel, 1, values) == GTAP_OK)
        fuzz_fail("tensor %zu: read past numel %llu", t, (unsigned long long)info->numel);
    if (info->numel <= MAX_READ) check(gtap_reader_read(reader, t, kind, step, values), "gtap_reader_read");
}

static void read_summaries(gtap_reader *reader, size_t t, gtap_kind kind)
{
    size_t count = 0;
    if (check(gtap_summary_count(reader, t, kind, &count), "gtap_summary_count") == GTAP_OK) {
        for (size_t i = 0; i < count && i < 3; i++) {
            gtap_summary summary;
            check(gtap_summary_read(reader, t, kind, i, &summary), "gtap_summary_read");
        }
        gtap_summary summary;
        if (gtap_summary_read(reader, t, kind, count, &summary) == GTAP_OK) fuzz_fail("summary %zu of %zu", count, count);
    }
    int64_t steps[MAX_STEPS];
    size_t skipped = 0;
    check(gtap_skipped_steps(reader, t, kind, steps, MAX_STEPS, &skipped), "gtap_skipped_steps");
}

static void read_kind(gtap_reader *reader, size_t t, const gtap_tensor_info *info, gtap_kind kind)
{
    int64_t steps[MAX_STEPS];
    size_t count = 0;
    if (check(gtap_reader_steps(reader, t, kind, steps, MAX_STEPS, &count), "gtap_reader_steps") < 0) return;
    if ((count > 0) != ((info->kinds & GTAP_KIND_BIT(kind)) != 0))
        fuzz_fail("tensor %zu kind %d: %zu steps but kinds 0x%x", t, (int)kind, count, info->kinds);
    size_t listed = count < MAX_STEPS ? count : MAX_STEPS;
    for (size_t i = 1; i < listed; i++)
        if (steps[i] <= steps[i - 1]) fuzz_fail("tensor %zu kind %d: steps not increasing at %zu", t, (int)kind, i);
    if (listed > 0) {
        read_row(reader, t, info, kind, steps[0]);
        if (listed > 1) read_row(reader, t, info, kind, steps[listed - 1]);
        float value;
        if (count == listed && steps[listed - 1] < INT64_MAX && info->numel > 0 &&
            gtap_reader_read_range(reader, t, kind, steps[listed - 1] + 1, 0, 1, &value) == GTAP_OK)
            fuzz_fail("tensor %zu kind %d: a step after the last one reads", t, (int)kind);
    }
    read_summaries(reader, t, kind);
}

static void read_layout(gtap_reader *reader, size_t t, const gtap_tensor_info *info)
{
    size_t count = 0;
    if (check(gtap_flat_layout_count(reader, t, &count), "gtap_flat_layout_count") < 0) return;
    for (size_t i = 0; i < count && i < 4; i++) {
        char name[256];
        uint64_t offset = 0, numel = 0;
        if (check(gtap_flat_layout_entry(reader, t, i, name, sizeof name, &offset, &numel), "gtap_flat_layout_entry") == 0 &&
            (offset > info->numel || numel > info->numel - offset))
            fuzz_fail("tensor %zu: layout entry %zu leaves the tensor", t, i);
    }
}

static void read_tensors(gtap_reader *reader)
{
    size_t count = gtap_reader_tensor_count(reader);
    const char *previous = NULL;
    for (size_t t = 0; t < count && t < MAX_TENSORS; t++) {
        gtap_tensor_info info;
        if (check(gtap_reader_tensor(reader, t, &info), "gtap_reader_tensor") < 0) continue;
        if (info.name == NULL || (info.kinds & ~GTAP_KIND_ALL) != 0) fuzz_fail("tensor %zu: name or kinds", t);
        if (previous != NULL && strcmp(previous, info.name) >= 0) fuzz_fail("tensor names not sorted at %zu", t);
        previous = info.name;
        size_t found = count;
        if (check(gtap_reader_find_tensor(reader, info.name, &found), "gtap_reader_find_tensor") == 0 && found != t)
            fuzz_fail("tensor %zu is found at %zu", t, found);
        for (int kind = 0; kind < GTAP_KIND_COUNT; kind++) read_kind(reader, t, &info, (gtap_kind)kind);
        read_layout(reader, t, &info);
    }
    gtap_tensor_info info;
    if (gtap_reader_tensor(reader, count, &info) == GTAP_OK) fuzz_fail("tensor %zu of %zu", count, count);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[4096];
    if (fuzz_temp_file(data, size, path, sizeof path) != 0) return 0;
    input_size = size;
    gtap_reader *reader = NULL;
    if (check(gtap_reader_open(path, &reader), "gtap_reader_open") == GTAP_OK) {
        gtap_file_info info;
        check(gtap_reader_file_info(reader, &info), "gtap_reader_file_info");
        if (info.tensor_count != gtap_reader_tensor_count(reader)) fuzz_fail("tensor_count disagrees");
        if (info.file_bytes != size) fuzz_fail("file_bytes %llu for %zu bytes", (unsigned long long)info.file_bytes, size);
        read_meta(reader);
        read_tensors(reader);
        check(gtap_reader_refresh(reader), "gtap_reader_refresh");
        read_tensors(reader);
    } else if (reader != NULL) {
        fuzz_fail("failed open left *reader set");
    }
    gtap_reader_close(reader);
    fuzz_temp_remove(path);
    return 0;
}
