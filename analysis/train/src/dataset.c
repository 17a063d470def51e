/* dataset.c - gtap_dataset life cycle: allocation, the read-only view,
 * the float64 copy of the values, taking the first rows of a dataset,
 * scaling rows to unit norm, and free. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dataset_internal.h"

int gtap_dataset_alloc_dense(uint64_t n, uint64_t d, int classes, const char *what, gtap_dataset **out)
{
    *out = NULL;
    uint64_t count = 0, bytes = 0;
    if (gtap_mul_overflow_u64(n, d, &count) || gtap_mul_overflow_u64(count, sizeof(float), &bytes) ||
        bytes > (uint64_t)SIZE_MAX || n > SIZE_MAX / sizeof(int32_t))
        return gtap_set_error(GTAP_EOVERFLOW, "%s: %llu x %llu values overflow memory sizes", what,
                              (unsigned long long)n, (unsigned long long)d);
    gtap_dataset *data = calloc(1, sizeof *data);
    if (data == NULL) return gtap_set_error(GTAP_ENOMEM, "%s: out of memory", what);
    data->n = n;
    data->d = d;
    data->nnz = count;
    data->classes = classes;
    data->values = malloc(bytes ? (size_t)bytes : 1);
    data->labels = malloc(n ? (size_t)n * sizeof(int32_t) : 1);
    if (data->values == NULL || data->labels == NULL) {
        gtap_dataset_free(data);
        return gtap_set_error(GTAP_ENOMEM, "%s: out of memory for %llu x %llu values", what,
                              (unsigned long long)n, (unsigned long long)d);
    }
    *out = data;
    return GTAP_OK;
}

gtap_dataset_view gtap_dataset_get_view(const gtap_dataset *data)
{
    gtap_dataset_view view;
    memset(&view, 0, sizeof view);
    if (data == NULL) return view;
    view.n = data->n;
    view.d = data->d;
    view.classes = data->classes;
    view.sparse = data->sparse;
    view.values = data->values;
    view.row_start = data->row_start;
    view.columns = data->columns;
    view.labels = data->labels;
    view.nnz = data->nnz;
    return view;
}

void gtap_dataset_free(gtap_dataset *data)
{
    if (data == NULL) return;
    free(data->values);
    free(data->values64);
    free(data->row_start);
    free(data->columns);
    free(data->labels);
    free(data);
}

int gtap_dataset_head(const gtap_dataset *data, uint64_t count, gtap_dataset **out)
{
    if (out == NULL) return gtap_set_error(GTAP_EINVAL, "dataset head: out is NULL");
    *out = NULL;
    if (data == NULL || count > data->n)
        return gtap_set_error(GTAP_EINVAL, "dataset head: %llu examples asked of %llu", (unsigned long long)count,
                              data ? (unsigned long long)data->n : 0ull);
    gtap_dataset *head = calloc(1, sizeof *head);
    if (head == NULL) return gtap_set_error(GTAP_ENOMEM, "dataset head: out of memory");
    *head = *data;
    head->n = count;
    head->nnz = data->sparse ? data->row_start[count] : count * data->d;
    head->values = malloc(head->nnz ? head->nnz * sizeof(float) : 1);
    head->values64 = data->values64 ? malloc(head->nnz ? head->nnz * sizeof(double) : 1) : NULL;
    head->labels = malloc(count ? count * sizeof(int32_t) : 1);
    head->row_start = data->sparse ? malloc((count + 1) * sizeof(uint64_t)) : NULL;
    head->columns = data->sparse ? malloc(head->nnz ? head->nnz * sizeof(uint32_t) : 1) : NULL;
    if (head->values == NULL || head->labels == NULL || (data->sparse && (!head->row_start || !head->columns)) ||
        (data->values64 && head->values64 == NULL)) {
        gtap_dataset_free(head);
        return gtap_set_error(GTAP_ENOMEM, "dataset head: out of memory");
    }
    memcpy(head->values, data->values, head->nnz * sizeof(float));
    if (data->values64) memcpy(head->values64, data->values64, head->nnz * sizeof(double));
    memcpy(head->labels, data->labels, count * sizeof(int32_t));
    if (data->sparse) {
        memcpy(head->row_start, data->row_start, (count + 1) * sizeof(uint64_t));
        memcpy(head->columns, data->columns, head->nnz * sizeof(uint32_t));
    }
    *out = head;
    return GTAP_OK;
}

const double *gtap_dataset_values_double(const gtap_dataset *data) { return data ? data->values64 : NULL; }

/* The stored values of row i: [*first, *last) into values (and values64). */
static void row_range(const gtap_dataset *data, uint64_t i, uint64_t *first, uint64_t *last)
{
    *first = data->sparse ? data->row_start[i] : i * data->d;
    *last = data->sparse ? data->row_start[i + 1] : (i + 1) * data->d;
}

double gtap_dataset_max_row_norm2(const gtap_dataset *data)
{
    double worst = 0.0;
    for (uint64_t i = 0; data != NULL && i < data->n; i++) {
        uint64_t first, last;
        row_range(data, i, &first, &last);
        double norm2 = 0.0;
        for (uint64_t j = first; j < last; j++)
            norm2 += data->values64 ? data->values64[j] * data->values64[j] : (double)data->values[j] * data->values[j];
        if (norm2 > worst) worst = norm2;
    }
    return worst;
}

int gtap_dataset_normalize_rows(const gtap_dataset *data, gtap_dataset **out)
{
    if (out == NULL) return gtap_set_error(GTAP_EINVAL, "normalize rows: out is NULL");
    *out = NULL;
    if (data == NULL) return gtap_set_error(GTAP_EINVAL, "normalize rows: data is NULL");
    gtap_dataset *copy = NULL;
    int rc = gtap_dataset_head(data, data->n, &copy);
    if (rc < 0) return rc;
    for (uint64_t i = 0; i < copy->n; i++) {
        uint64_t first, last;
        row_range(copy, i, &first, &last);
        double norm2 = 0.0; /* from the float64 values when kept, so both copies scale alike */
        for (uint64_t j = first; j < last; j++)
            norm2 += copy->values64 ? copy->values64[j] * copy->values64[j] : (double)copy->values[j] * copy->values[j];
        if (!(norm2 > 0.0)) continue; /* an all-zero row stays zero */
        double norm = sqrt(norm2);
        for (uint64_t j = first; j < last; j++) {
            double value = copy->values64 ? copy->values64[j] : (double)copy->values[j];
            if (copy->values64) copy->values64[j] = value / norm;
            copy->values[j] = (float)(value / norm);
        }
    }
    *out = copy;
    return GTAP_OK;
}
