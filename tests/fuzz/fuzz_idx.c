/* fuzz_idx.c - fuzz harness of the IDX reader (gtap_dataset_read_idx,
 * gradtap/train_data.h), which takes two files: the first byte of the input
 * is the length L of the label file, which is the last L bytes (all that
 * follow the first byte when fewer); the image file is what lies between. */
#include <stdlib.h>

#include "fuzz_harness.h"
#include "gradtap/train_data.h"

const char *const fuzz_harness_name = "idx";

static void check_dataset(const gtap_dataset *data, size_t size)
{
    gtap_dataset_view view = gtap_dataset_get_view(data);
    if (view.n == 0 || view.d == 0 || view.classes != 10 || view.sparse || view.nnz != view.n * view.d)
        fuzz_fail("n %llu d %llu classes %d sparse %d nnz %llu", (unsigned long long)view.n,
                  (unsigned long long)view.d, view.classes, view.sparse, (unsigned long long)view.nnz);
    for (uint64_t i = 0; i < view.n; i++)
        if (view.labels[i] < 0 || view.labels[i] > 9) fuzz_fail("label %d", (int)view.labels[i]);
    for (uint64_t j = 0; j < view.nnz; j++)
        if (!(view.values[j] >= 0.0f && view.values[j] <= 1.0f)) fuzz_fail("pixel %llu out of [0, 1]",
                                                                           (unsigned long long)j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) return 0;
    size_t label_bytes = data[0] < size - 1 ? data[0] : size - 1;
    size_t image_bytes = size - 1 - label_bytes;
    char images[4096], labels[4096];
    if (fuzz_temp_file(data + 1, image_bytes, images, sizeof images) != 0) return 0;
    if (fuzz_temp_file(data + 1 + image_bytes, label_bytes, labels, sizeof labels) != 0) {
        fuzz_temp_remove(images);
        return 0;
    }
    gtap_dataset *dataset = NULL;
    if (fuzz_check_status(gtap_dataset_read_idx(images, labels, &dataset), "gtap_dataset_read_idx", size) == 0)
        check_dataset(dataset, size);
    else if (dataset != NULL)
        fuzz_fail("failed read left *out set");
    gtap_dataset_free(dataset);
    fuzz_temp_remove(images);
    fuzz_temp_remove(labels);
    return 0;
}
