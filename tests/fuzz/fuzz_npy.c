/* fuzz_npy.c - fuzz harness of the .npy and raw float32 readers
 * (gradtap/npy.h): the header, then the data, of any bytes; a header that
 * parses must describe a file that holds its data. */
#include <stdlib.h>
#include <string.h>

#include "fuzz_harness.h"
#include "gradtap/npy.h"

const char *const fuzz_harness_name = "npy";

/* What gtap_npy_read_header() promises about a header it accepted. */
static void check_header(const gtap_npy_header *header, size_t size)
{
    if (header->ndim < 0 || header->ndim > GTAP_NPY_MAX_DIMS) fuzz_fail("ndim %d out of range", header->ndim);
    uint64_t numel = 1;
    for (int axis = 0; axis < header->ndim; axis++) numel *= header->shape[axis];
    if (numel != header->numel)
        fuzz_fail("numel %llu is not the product of the shape (%llu)", (unsigned long long)header->numel,
                  (unsigned long long)numel);
    int bytes = header->element_bytes;
    if (bytes != 2 && bytes != 4 && bytes != 8) fuzz_fail("element_bytes %d", bytes);
    if ((bytes == 2) != (header->stored_as == GTAP_FLOAT16)) fuzz_fail("element_bytes %d stored as %d", bytes,
                                                                      (int)header->stored_as);
    if (memchr(header->descr, '\0', sizeof header->descr) == NULL) fuzz_fail("descr is not NUL-terminated");
    if (header->data_offset > size || header->numel > (size - header->data_offset) / (uint64_t)bytes)
        fuzz_fail("header announces %llu x %d bytes at %llu in a %zu-byte file", (unsigned long long)header->numel,
                  bytes, (unsigned long long)header->data_offset, size);
}

static void read_npy(const char *path, size_t size)
{
    gtap_npy_header header;
    if (fuzz_check_status(gtap_npy_read_header(path, &header), "gtap_npy_read_header", size) < 0) return;
    check_header(&header, size);
    size_t out_bytes = header.stored_as == GTAP_FLOAT16 ? 2 : 4;
    void *out = malloc(header.numel ? (size_t)header.numel * out_bytes : 1);
    if (out == NULL) fuzz_fail("no memory for %llu elements", (unsigned long long)header.numel);
    fuzz_check_status(gtap_npy_read_data(path, &header, out), "gtap_npy_read_data", size);
    free(out);
}

static void read_raw(const char *path, size_t size)
{
    uint64_t count = 0;
    if (fuzz_check_status(gtap_raw_f32_count(path, &count), "gtap_raw_f32_count", size) < 0) {
        if (size % 4 == 0) fuzz_fail("gtap_raw_f32_count refused a file of %zu bytes", size);
        return;
    }
    if (count != size / 4) fuzz_fail("raw count %llu for %zu bytes", (unsigned long long)count, size);
    float *out = malloc(count ? (size_t)count * sizeof(float) : 1);
    if (out == NULL) fuzz_fail("no memory for %llu floats", (unsigned long long)count);
    fuzz_check_status(gtap_raw_f32_read(path, count, out), "gtap_raw_f32_read", size);
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[4096];
    if (fuzz_temp_file(data, size, path, sizeof path) != 0) return 0;
    read_npy(path, size);
    read_raw(path, size);
    fuzz_temp_remove(path);
    return 0;
}
