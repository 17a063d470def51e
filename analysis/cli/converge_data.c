/* converge_data.c - the data of `gradtap converge`: synthetic sets,
 * Fashion-MNIST, LIBSVM and IDX files, a test set, the first N examples;
 * then, on request, float64 values for f* (--precision double) and rows
 * scaled to unit norm (--normalize-rows), docs/THEORY.md s.8. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "converge.h"
#include "gradtap/train_data.h"

#define FASHION_MNIST_DIR "/usr/share/datasets/fashion-mnist"

static int file_exists(const char *path) { return access(path, R_OK) == 0; }

static int is_named_file(const char *data)
{
    return strcmp(data, "synthetic") != 0 && strcmp(data, "fashion-mnist") != 0;
}

/* Every input file named on the command line: regular files only. */
static int check_inputs(const converge_options *c)
{
    const char *data = c->data ? c->data : "synthetic";
    const char *inputs[] = {is_named_file(data) ? data : NULL, c->labels, c->test, c->test_labels};
    for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++)
        if (inputs[i] != NULL && gtap_cli_check_input(inputs[i]) != 0) return GTAP_EXIT_USAGE;
    return GTAP_EXIT_OK;
}

static int load_synthetic(const converge_options *c, int mlp, gtap_dataset **train, gtap_dataset **test)
{
    uint64_t n = c->n ? c->n : (c->quick ? (mlp ? 8000 : 6000) : 20000);
    uint64_t n_test = n / 4 > 0 ? n / 4 : 1;
    if (mlp) {
        int rc = gtap_dataset_synthetic_images(n, c->seed, c->seed, train);
        if (rc == GTAP_OK) rc = gtap_dataset_synthetic_images(n_test, c->seed, c->seed ^ 0x7e57ull, test);
        return rc;
    }
    uint64_t d = c->d ? c->d : (c->quick ? 600 : 2000);
    double signal = c->signal > 0 ? c->signal : 3.0;
    return gtap_dataset_synthetic_logreg(n, d, signal, c->seed, train);
}

static int load_fashion_mnist(gtap_dataset **train, gtap_dataset **test)
{
    const char *dir = getenv("GRADTAP_FASHION_MNIST");
    if (dir == NULL || dir[0] == '\0') dir = FASHION_MNIST_DIR;
    char images[4096], labels[4096], test_images[4096], test_labels[4096];
    snprintf(images, sizeof images, "%s/train-images-idx3-ubyte.gz", dir);
    snprintf(labels, sizeof labels, "%s/train-labels-idx1-ubyte.gz", dir);
    snprintf(test_images, sizeof test_images, "%s/t10k-images-idx3-ubyte.gz", dir);
    snprintf(test_labels, sizeof test_labels, "%s/t10k-labels-idx1-ubyte.gz", dir);
    if (!file_exists(images)) {
        gtap_cli_error(GTAP_EXIT_USAGE, "fashion-mnist: %s not found (install dataset-fashion-mnist, set "
                       "GRADTAP_FASHION_MNIST, or use --data synthetic)", images);
        return 1; /* positive: an exit code, the message printed */
    }
    int rc = gtap_dataset_read_idx(images, labels, train);
    if (rc == GTAP_OK) rc = gtap_dataset_read_idx(test_images, test_labels, test);
    return rc;
}

/* A test file beside a training file. @return a status, or 1 (usage, printed). */
static int load_test_file(const converge_options *c, int mlp, gtap_dataset *train, gtap_dataset **test)
{
    if (mlp) {
        if (c->test_labels == NULL) {
            gtap_cli_error(GTAP_EXIT_USAGE, "--test needs --test-labels for the mlp");
            return 1;
        }
        return gtap_dataset_read_idx(c->test, c->test_labels, test);
    }
    uint64_t d = gtap_dataset_get_view(train).d;
    gtap_data_precision precision = c->precision_double ? GTAP_DATA_FLOAT64 : GTAP_DATA_FLOAT32;
    int rc = gtap_dataset_read_libsvm_precision(c->test, d, precision, test);
    if (rc == GTAP_OK && gtap_dataset_get_view(*test).d != d) {
        gtap_cli_error(GTAP_EXIT_USAGE, "%s has features beyond d=%llu of %s", c->test, (unsigned long long)d, c->data);
        return 1;
    }
    return rc;
}

/* Keep the first train_size examples (and at most half as many test ones). */
static int take_head(const converge_options *c, int mlp, gtap_dataset **train, gtap_dataset **test)
{
    const char *data = c->data ? c->data : "synthetic";
    uint64_t train_size = c->train_size;
    if (train_size == 0 && c->quick && mlp && strcmp(data, "synthetic") != 0) train_size = 8000;
    if (train_size == 0 || train_size >= gtap_dataset_get_view(*train).n) return GTAP_OK;
    gtap_dataset *head = NULL;
    int rc = gtap_dataset_head(*train, train_size, &head);
    if (rc < 0) return rc;
    gtap_dataset_free(*train);
    *train = head;
    if (*test && gtap_dataset_get_view(*test).n > train_size / 2) {
        if ((rc = gtap_dataset_head(*test, train_size / 2 ? train_size / 2 : 1, &head)) < 0) return rc;
        gtap_dataset_free(*test);
        *test = head;
    }
    return GTAP_OK;
}

/* --normalize-rows: replace a dataset by its unit-norm copy. */
static int normalize(gtap_dataset **data)
{
    if (*data == NULL) return GTAP_OK;
    gtap_dataset *scaled = NULL;
    int rc = gtap_dataset_normalize_rows(*data, &scaled);
    if (rc < 0) return rc;
    gtap_dataset_free(*data);
    *data = scaled;
    return GTAP_OK;
}

static int read_sources(const converge_options *c, int mlp, gtap_dataset **train, gtap_dataset **test)
{
    const char *data = c->data ? c->data : "synthetic";
    if (strcmp(data, "synthetic") == 0) return load_synthetic(c, mlp, train, test);
    if (strcmp(data, "fashion-mnist") == 0) {
        if (!mlp) {
            gtap_cli_error(GTAP_EXIT_USAGE, "--data fashion-mnist is 10-class data: use --model mlp");
            return 1;
        }
        return load_fashion_mnist(train, test);
    }
    int rc;
    if (mlp) {
        if (c->labels == NULL) {
            gtap_cli_error(GTAP_EXIT_USAGE, "--model mlp --data FILE needs --labels FILE (IDX)");
            return 1;
        }
        rc = gtap_dataset_read_idx(data, c->labels, train);
    } else {
        rc = gtap_dataset_read_libsvm_precision(data, c->d, c->precision_double ? GTAP_DATA_FLOAT64 : GTAP_DATA_FLOAT32,
                                                train);
    }
    if (rc == GTAP_OK && c->test) rc = load_test_file(c, mlp, *train, test);
    return rc;
}

int converge_load_data(const converge_options *c, converge_run *run, gtap_dataset **train, gtap_dataset **test)
{
    int rc = check_inputs(c);
    if (rc != GTAP_EXIT_OK) return rc;
    const int mlp = run->model_kind == GTAP_MODEL_MLP;
    run->data_name = c->data ? c->data : "synthetic";
    rc = read_sources(c, mlp, train, test);
    if (rc > 0) return GTAP_EXIT_USAGE;
    if (rc == GTAP_OK) rc = take_head(c, mlp, train, test);
    if (rc == GTAP_OK && c->normalize_rows) {
        rc = normalize(train);
        if (rc == GTAP_OK) rc = normalize(test);
        run->normalized = 1;
    }
    if (rc < 0) return gtap_cli_fail(rc);
    gtap_dataset_view v = gtap_dataset_get_view(*train);
    run->n = v.n;
    run->d = v.d;
    run->n_test = *test ? gtap_dataset_get_view(*test).n : 0;
    run->fstar_double = gtap_dataset_values_double(*train) != NULL;
    run->max_row_norm2 = mlp ? 0.0 : gtap_dataset_max_row_norm2(*train);
    return 0;
}
