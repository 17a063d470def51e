/* fuzz_libsvm.c - fuzz harness of the LIBSVM text reader
 * (gtap_dataset_read_libsvm, gradtap/train_data.h): any bytes as a file; a
 * dataset it returns must keep every promise of gtap_dataset_view. */
#include <math.h>
#include <stdlib.h>

#include "fuzz_harness.h"
#include "gradtap/train_data.h"

const char *const fuzz_harness_name = "libsvm";

static void check_sparse(const gtap_dataset_view *view)
{
    if (view->row_start == NULL || view->columns == NULL) fuzz_fail("sparse dataset without CSR arrays");
    if (view->row_start[0] != 0 || view->row_start[view->n] != view->nnz)
        fuzz_fail("row_start runs %llu..%llu for nnz %llu", (unsigned long long)view->row_start[0],
                  (unsigned long long)view->row_start[view->n], (unsigned long long)view->nnz);
    for (uint64_t i = 0; i < view->n; i++) {
        if (view->row_start[i] > view->row_start[i + 1]) fuzz_fail("row_start decreases at row %llu",
                                                                   (unsigned long long)i);
        for (uint64_t j = view->row_start[i]; j < view->row_start[i + 1]; j++) {
            if (view->columns[j] >= view->d) fuzz_fail("column %u >= d %llu", view->columns[j],
                                                       (unsigned long long)view->d);
            if (j > view->row_start[i] && view->columns[j] <= view->columns[j - 1])
                fuzz_fail("columns do not increase in row %llu", (unsigned long long)i);
        }
    }
}

static void check_dataset(const gtap_dataset *data, uint64_t min_features)
{
    gtap_dataset_view view = gtap_dataset_get_view(data);
    if (view.n == 0 || view.d < min_features || view.d > GTAP_LIBSVM_MAX_FEATURES)
        fuzz_fail("n %llu, d %llu (min_features %llu)", (unsigned long long)view.n, (unsigned long long)view.d,
                  (unsigned long long)min_features);
    if (view.classes != 2 || view.labels == NULL || view.values == NULL) fuzz_fail("classes %d", view.classes);
    for (uint64_t i = 0; i < view.n; i++)
        if (view.labels[i] != -1 && view.labels[i] != 1) fuzz_fail("label %d", (int)view.labels[i]);
    if (view.sparse) check_sparse(&view);
    else if (view.nnz != view.n * view.d)
        fuzz_fail("dense nnz %llu != %llu x %llu", (unsigned long long)view.nnz, (unsigned long long)view.n,
                  (unsigned long long)view.d);
    for (uint64_t j = 0; j < view.nnz; j++)
        if (!isfinite(view.values[j])) fuzz_fail("value %llu is not finite", (unsigned long long)j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[4096];
    if (fuzz_temp_file(data, size, path, sizeof path) != 0) return 0;
    gtap_dataset *dataset = NULL;
    int rc = fuzz_check_status(gtap_dataset_read_libsvm(path, 0, &dataset), "gtap_dataset_read_libsvm", size);
    if (rc == 0) {
        check_dataset(dataset, 0);
        gtap_dataset_view view = gtap_dataset_get_view(dataset);
        uint64_t wider = view.d + 7, n = view.n;
        gtap_dataset_free(dataset);
        dataset = NULL;
        if (n * wider <= ((uint64_t)1 << 20)) { /* again with min_features, when the dense copy is small */
            rc = fuzz_check_status(gtap_dataset_read_libsvm(path, wider, &dataset), "read_libsvm(min_features)", size);
            if (rc != 0) fuzz_fail("the file read with min_features 0 fails with min_features %llu",
                                   (unsigned long long)wider);
            check_dataset(dataset, wider);
            if (gtap_dataset_get_view(dataset).n != n) fuzz_fail("n changes with min_features");
        }
    } else if (dataset != NULL) {
        fuzz_fail("failed read left *out set");
    }
    gtap_dataset_free(dataset);
    fuzz_temp_remove(path);
    return 0;
}
