/* results_h5.c - the HDF5 results file of `gradtap converge` (layout in
 * docs/CLI.md): root attributes describing the run, one group per method
 * under /methods with its final figures as attributes and its curve as 1-D
 * float64 datasets, for the notebooks. */
#include <hdf5.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gradtap/train.h"
#include "h5_helpers.h"

static int dataset_doubles(hid_t group, const char *name, const double *values, size_t count)
{
    hsize_t dims[1] = {count};
    hid_t space = H5Screate_simple(1, dims, NULL);
    hid_t set = H5Dcreate2(group, name, H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    herr_t status = set >= 0 ? (count ? H5Dwrite(set, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values) : 0) : -1;
    if (set >= 0) H5Dclose(set);
    H5Sclose(space);
    return status < 0 ? -1 : 0;
}

static int write_method(hid_t methods, const char *name, const gtap_train_result *r, double fstar)
{
    hid_t group = H5Gcreate2(methods, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (group < 0) return -1;
    double final = isnan(r->final_average_loss) ? r->final_loss : r->final_average_loss;
    const struct {
        const char *name;
        double value;
    } figures[] = {
        {"steps", (double)r->steps},
        {"k", (double)r->k_total},
        {"initial_loss", r->initial_loss},
        {"final_loss", r->final_loss},
        {"final_average_loss", r->final_average_loss},
        {"suboptimality", final - fstar},
        {"final_accuracy", r->final_accuracy},
        {"final_test_accuracy", r->final_test_accuracy},
        {"bits_per_worker", r->bits_per_worker},
        {"select_seconds", r->select_seconds},
        {"total_seconds", r->total_seconds},
        {"memory_bound_ratio", r->memory_bound_ratio},
        {"contraction_ratio", r->contraction_ratio},
        {"invariant_error", r->invariant_error},
        {"max_grad_norm2", r->max_grad_norm2},
        {"diverged", r->diverged},
    };
    int bad = 0;
    for (size_t i = 0; i < sizeof figures / sizeof figures[0]; i++)
        bad |= gtap_h5_write_double_attr(group, figures[i].name, figures[i].value);
    size_t count = r->point_count;
    double *column = malloc((count ? count : 1) * sizeof *column);
    if (column == NULL) bad = -1;
    const char *names[] = {"step", "epoch", "bits", "loss", "average_loss", "accuracy", "test_accuracy"};
    for (int c = 0; !bad && c < 7; c++) {
        for (size_t i = 0; i < count; i++) {
            const gtap_train_point *p = &r->points[i];
            double values[7] = {(double)p->step, p->epoch, p->bits, p->loss, p->average_loss, p->accuracy, p->test_accuracy};
            column[i] = values[c];
        }
        bad |= dataset_doubles(group, names[c], column, count);
    }
    free(column);
    if (!bad && r->final_x != NULL) { /* the final parameters x_T, float32 */
        hsize_t dims[1] = {r->d};
        hid_t space = H5Screate_simple(1, dims, NULL);
        hid_t set = H5Dcreate2(group, "final_x", H5T_IEEE_F32LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        if (set < 0 || (r->d && H5Dwrite(set, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, r->final_x) < 0)) bad = -1;
        if (set >= 0) H5Dclose(set);
        H5Sclose(space);
    }
    H5Gclose(group);
    return bad ? -1 : 0;
}

int gtap_train_results_write_h5(const char *path, const gtap_results_meta *meta, const char *const *names,
                                const gtap_train_result *results, size_t count)
{
    if (path == NULL || meta == NULL || (count && (names == NULL || results == NULL)))
        return gtap_set_error(GTAP_EINVAL, "results file: NULL argument");
    for (size_t i = 0; i < count; i++)
        if (names[i] == NULL || names[i][0] == '\0' || strchr(names[i], '/') || strcmp(names[i], ".") == 0)
            return gtap_set_error(GTAP_EINVAL, "results file: method name '%s' is not a valid group name",
                                  names[i] ? names[i] : "(null)");
    hid_t file = -1;
    H5E_BEGIN_TRY { file = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT); }
    H5E_END_TRY;
    if (file < 0) return gtap_set_error(GTAP_EIO, "%s: cannot create the results file", path);
    int bad = gtap_h5_write_format(file, "gradtap-converge-results", 1) |
              gtap_h5_write_string_attr(file, "model", meta->model ? meta->model : "") |
              gtap_h5_write_string_attr(file, "data", meta->data ? meta->data : "") |
              gtap_h5_write_string_attr(file, "form", meta->form ? meta->form : "");
    const struct {
        const char *name;
        double value;
    } run[] = {
        {"n", (double)meta->n},        {"d", (double)meta->d},       {"n_test", (double)meta->n_test},
        {"seed", (double)meta->seed},  {"workers", meta->workers},   {"density", meta->density},
        {"fstar", meta->fstar},
    };
    for (size_t i = 0; i < sizeof run / sizeof run[0]; i++) bad |= gtap_h5_write_double_attr(file, run[i].name, run[i].value);
    hid_t methods = H5Gcreate2(file, "methods", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (methods < 0) bad = -1;
    size_t order_length = 1;
    for (size_t i = 0; i < count; i++) order_length += strlen(names[i]) + 1;
    char *order = calloc(order_length, 1);
    if (order == NULL) bad = -1;
    for (size_t i = 0; !bad && i < count; i++) {
        if (i) strcat(order, ",");
        strcat(order, names[i]);
        bad |= write_method(methods, names[i], &results[i], meta->fstar);
    }
    if (!bad) bad |= gtap_h5_write_string_attr(methods, "order", order);
    free(order);
    if (methods >= 0) H5Gclose(methods);
    if (H5Fclose(file) < 0) bad = -1;
    if (bad) return gtap_set_error(GTAP_EIO, "%s: writing the results file failed", path);
    return GTAP_OK;
}
