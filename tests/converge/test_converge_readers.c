/* test_converge_readers.c - the trainer's data readers: LIBSVM text (dense
 * and sparse, labels -1/+1 and 0/1, comments) and IDX (plain and gzip'ed)
 * against the values written by the test, and every malformed-input path:
 * the library returns GTAP_EFORMAT/ENONFINITE/ENOTFOUND with file:line in
 * the message, and `gradtap converge --data BAD` exits 2 naming the line. */
#include <stdlib.h>
#include <zlib.h>

#include "gradtap/train_data.h"
#include "gtap_test.h"

static const char *write_text(const char *name, const char *text)
{
    static char path[4096];
    snprintf(path, sizeof path, "%s", gtap_test_path(name));
    FILE *file = fopen(path, "w");
    GT_ASSERT_NOT_NULL_FATAL(file);
    fputs(text, file);
    fclose(file);
    return path;
}

static void test_libsvm_dense(void)
{
    const char *path = write_text("dense.svm", "# comment\n+1 1:0.5 2:-1 3:2\n\n0 1:1.5 2:2e-1 3:-3\n0 1:1 2:1 3:1 # trailing\n");
    gtap_dataset *data = NULL;
    GT_ASSERT_OK(gtap_dataset_read_libsvm(path, 0, &data));
    gtap_dataset_view v = gtap_dataset_get_view(data);
    GT_ASSERT_U64_EQ(v.n, 3);
    GT_ASSERT_U64_EQ(v.d, 3);
    GT_ASSERT_INT_EQ(v.sparse, 0);
    GT_ASSERT_INT_EQ(v.classes, 2);
    const float expected[9] = {0.5f, -1.0f, 2.0f, 1.5f, 0.2f, -3.0f, 1.0f, 1.0f, 1.0f};
    for (int i = 0; i < 9; i++) GT_ASSERT_NEAR(v.values[i], expected[i], 0, 0);
    GT_ASSERT_INT_EQ(v.labels[0], 1);
    GT_ASSERT_INT_EQ(v.labels[1], -1);
    GT_ASSERT_INT_EQ(v.labels[2], -1); /* 0 becomes -1 (0/1 labels: a file mixing 0 and -1 is refused) */
    gtap_dataset_free(data);
}

static void test_libsvm_sparse(void)
{
    const char *path = write_text("sparse.svm", "1 3:1 100:2\n-1 50:-1\n1\n");
    gtap_dataset *data = NULL;
    GT_ASSERT_OK(gtap_dataset_read_libsvm(path, 200, &data));
    gtap_dataset_view v = gtap_dataset_get_view(data);
    GT_ASSERT_U64_EQ(v.n, 3);
    GT_ASSERT_U64_EQ(v.d, 200); /* min_features */
    GT_ASSERT_INT_EQ(v.sparse, 1);
    GT_ASSERT_U64_EQ(v.nnz, 3);
    GT_ASSERT_U64_EQ(v.row_start[1], 2);
    GT_ASSERT_U64_EQ(v.row_start[3], 3);
    GT_ASSERT_U64_EQ(v.columns[0], 2);
    GT_ASSERT_U64_EQ(v.columns[1], 99);
    GT_ASSERT_U64_EQ(v.columns[2], 49);
    GT_ASSERT_NEAR(v.values[2], -1.0, 0, 0);
    gtap_dataset *head = NULL;
    GT_ASSERT_OK(gtap_dataset_head(data, 2, &head));
    GT_ASSERT_U64_EQ(gtap_dataset_get_view(head).nnz, 3);
    gtap_dataset_free(head);
    gtap_dataset_free(data);
}

/* Each bad file must fail with `status` and a message naming file:line. */
static void expect_bad(const char *name, const char *text, int status, const char *where)
{
    const char *path = write_text(name, text);
    gtap_dataset *data = NULL;
    GT_ASSERT_STATUS(gtap_dataset_read_libsvm(path, 0, &data), status);
    GT_ASSERT_NULL(data);
    const char *message = gtap_last_error();
    gtap_test_assert(strstr(message, where) != NULL, 0, __LINE__, __FILE__, "message '%s' names '%s'", message, where);
}

static void test_libsvm_malformed(void)
{
    expect_bad("b1.svm", "1 1:1\n1 0:1\n", GTAP_EFORMAT, "b1.svm:2:");          /* 0-based index */
    expect_bad("b2.svm", "1 2:1 1:1\n", GTAP_EFORMAT, "b2.svm:1:");             /* decreasing */
    expect_bad("b3.svm", "1 1:1\n\n1 1:abc\n", GTAP_EFORMAT, "b3.svm:3:");      /* value */
    expect_bad("b4.svm", "2 1:1\n", GTAP_EFORMAT, "b4.svm:1:");                 /* label 2 */
    expect_bad("b5.svm", "1 1:nan\n", GTAP_ENONFINITE, "b5.svm:1:");            /* NaN */
    expect_bad("b6.svm", "1 1:1 x\n", GTAP_EFORMAT, "b6.svm:1:");               /* no colon */
    expect_bad("b7.svm", "x 1:1\n", GTAP_EFORMAT, "b7.svm:1:");                 /* label */
    expect_bad("b8.svm", "1 -3:1\n", GTAP_EFORMAT, "b8.svm:1:");                /* negative index */
    expect_bad("b9.svm", "# nothing\n", GTAP_EFORMAT, "no examples");
    expect_bad("b10.svm", "1 99999999999:1\n", GTAP_EOVERFLOW, "b10.svm:1:");
    gtap_dataset *data = NULL;
    GT_ASSERT_STATUS(gtap_dataset_read_libsvm(gtap_test_path("missing.svm"), 0, &data), GTAP_ENOTFOUND);
}

/* Write an IDX pair of n 2x3 images: pixel (i, j) = 10 i + j; label i % 10. */
static void write_idx(const char *images, const char *labels, int n, int gzip, uint32_t image_magic, int label_count)
{
    unsigned char header[16] = {0, 0, (unsigned char)(image_magic >> 8), (unsigned char)image_magic, 0, 0, 0, (unsigned char)n,
                                0, 0, 0, 2, 0, 0, 0, 3};
    unsigned char label_header[8] = {0, 0, 8, 1, 0, 0, 0, (unsigned char)label_count};
    gzFile gi = gzopen(images, gzip ? "wb" : "wbT");
    gzFile gl = gzopen(labels, gzip ? "wb" : "wbT");
    GT_ASSERT_NOT_NULL_FATAL(gi);
    GT_ASSERT_NOT_NULL_FATAL(gl);
    gzwrite(gi, header, 16);
    gzwrite(gl, label_header, 8);
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < 6; j++) {
            unsigned char pixel = (unsigned char)(10 * i + j);
            gzwrite(gi, &pixel, 1);
        }
    }
    for (int i = 0; i < label_count; i++) {
        unsigned char label = (unsigned char)(i % 10);
        gzwrite(gl, &label, 1);
    }
    gzclose(gi);
    gzclose(gl);
}

static void test_idx(void)
{
    for (int gzip = 0; gzip < 2; gzip++) {
        char images[4096], labels[4096];
        snprintf(images, sizeof images, "%s", gtap_test_path(gzip ? "img.gz" : "img"));
        snprintf(labels, sizeof labels, "%s", gtap_test_path(gzip ? "lab.gz" : "lab"));
        write_idx(images, labels, 12, gzip, 0x0803, 12);
        gtap_dataset *data = NULL;
        GT_ASSERT_OK(gtap_dataset_read_idx(images, labels, &data));
        gtap_dataset_view v = gtap_dataset_get_view(data);
        GT_ASSERT_U64_EQ(v.n, 12);
        GT_ASSERT_U64_EQ(v.d, 6);
        GT_ASSERT_INT_EQ(v.classes, 10);
        GT_ASSERT_NEAR(v.values[11 * 6 + 5], (110.0 + 5.0) / 255.0, 1e-7, 0);
        GT_ASSERT_INT_EQ(v.labels[11], 1);
        gtap_dataset_free(data);
    }
    char images[4096], labels[4096];
    snprintf(images, sizeof images, "%s", gtap_test_path("bad_img.gz"));
    snprintf(labels, sizeof labels, "%s", gtap_test_path("bad_lab.gz"));
    gtap_dataset *data = NULL;
    write_idx(images, labels, 12, 1, 0x0801, 12); /* wrong image magic */
    GT_ASSERT_STATUS(gtap_dataset_read_idx(images, labels, &data), GTAP_EFORMAT);
    GT_ASSERT_STR_CONTAINS(gtap_last_error(), "magic");
    write_idx(images, labels, 12, 1, 0x0803, 11); /* counts differ */
    GT_ASSERT_STATUS(gtap_dataset_read_idx(images, labels, &data), GTAP_EFORMAT);
    /* truncated pixels: header says 12 images, file has 12 but we claim 200 via a hand-made header */
    gzFile gi = gzopen(images, "wb");
    unsigned char header[16] = {0, 0, 8, 3, 0, 0, 0, 200, 0, 0, 0, 2, 0, 0, 0, 3};
    gzwrite(gi, header, 16);
    gzwrite(gi, header, 16);
    gzclose(gi);
    GT_ASSERT_STATUS(gtap_dataset_read_idx(images, labels, &data), GTAP_EFORMAT);
    GT_ASSERT_STR_CONTAINS(gtap_last_error(), "bad_img.gz");
    GT_ASSERT_STATUS(gtap_dataset_read_idx(gtap_test_path("none"), labels, &data), GTAP_ENOTFOUND);
}

static void test_synthetic_deterministic(void)
{
    gtap_dataset *a = NULL, *b = NULL, *c = NULL;
    GT_ASSERT_OK(gtap_dataset_synthetic_logreg(300, 50, 3.0, 7, &a));
    GT_ASSERT_OK(gtap_dataset_synthetic_logreg(300, 50, 3.0, 7, &b));
    GT_ASSERT_OK(gtap_dataset_synthetic_logreg(300, 50, 3.0, 8, &c));
    gtap_dataset_view va = gtap_dataset_get_view(a), vb = gtap_dataset_get_view(b), vc = gtap_dataset_get_view(c);
    GT_ASSERT_MEM_EQ(va.values, vb.values, 300 * 50 * sizeof(float));
    GT_ASSERT_MEM_EQ(va.labels, vb.labels, 300 * sizeof(int32_t));
    GT_ASSERT_MEM_NE(va.values, vc.values, 300 * 50 * sizeof(float));
    double norm2 = 0.0; /* rows ~ N(0, I/d): mean ||a_i||^2 ~ 1 */
    for (uint64_t i = 0; i < 300 * 50; i++) norm2 += (double)va.values[i] * va.values[i];
    GT_ASSERT_NEAR(norm2 / 300.0, 1.0, 0.05, 0);
    int positives = 0;
    for (int i = 0; i < 300; i++) positives += va.labels[i] == 1;
    GT_ASSERT_INT_CMP(positives, >, 60);
    GT_ASSERT_INT_CMP(positives, <, 240);
    gtap_dataset_free(a);
    gtap_dataset_free(b);
    gtap_dataset_free(c);
    gtap_dataset *images = NULL;
    GT_ASSERT_OK(gtap_dataset_synthetic_images(100, 3, 3, &images));
    gtap_dataset_view vi = gtap_dataset_get_view(images);
    GT_ASSERT_U64_EQ(vi.d, 784);
    GT_ASSERT_INT_EQ(vi.classes, 10);
    for (uint64_t i = 0; i < 100 * 784; i++) {
        GT_ASSERT_DBL_CMP_FATAL(vi.values[i], >=, 0.0f);
        GT_ASSERT_DBL_CMP_FATAL(vi.values[i], <=, 1.0f);
    }
    gtap_dataset_free(images);
}

/* `gradtap converge` on a malformed file: exit 2, one line naming file:line. */
static void test_cli_malformed(void)
{
    const char *cli = getenv("GRADTAP_CLI");
    GT_ASSERT_NOT_NULL_FATAL(cli);
    char path[4096], err[4096], command[12288];
    snprintf(path, sizeof path, "%s", write_text("cli_bad.svm", "1 1:1 2:1\n-1 1:2 2:0\n1 1:3 2:x\n"));
    snprintf(err, sizeof err, "%s", gtap_test_path("cli_bad.err"));
    snprintf(command, sizeof command, "%s converge --data %s --methods topk", cli, path);
    GT_ASSERT_INT_EQ(gtap_test_system(command, NULL, err), 2);
    char *text = gtap_test_read_file(err, NULL);
    GT_ASSERT_NOT_NULL_FATAL(text);
    gtap_test_assert(strstr(text, "cli_bad.svm:3:") != NULL, 0, __LINE__, __FILE__, "stderr '%s' names line 3", text);
    free(text);
    snprintf(command, sizeof command, "%s converge --methods nosuch", cli);
    GT_ASSERT_INT_EQ(gtap_test_system(command, NULL, NULL), 2);
    snprintf(command, sizeof command, "%s converge --density 2", cli);
    GT_ASSERT_INT_EQ(gtap_test_system(command, NULL, NULL), 2);
    snprintf(command, sizeof command, "%s converge --model mlp --data %s", cli, path);
    GT_ASSERT_INT_EQ(gtap_test_system(command, NULL, NULL), 2);
}

int main(int argc, char **argv)
{
    CU_TestInfo tests[] = {
        {"libsvm dense", test_libsvm_dense},
        {"libsvm sparse", test_libsvm_sparse},
        {"libsvm malformed", test_libsvm_malformed},
        {"idx plain and gzip, malformed", test_idx},
        {"synthetic deterministic", test_synthetic_deterministic},
        {"cli malformed exit 2", test_cli_malformed},
        CU_TEST_INFO_NULL,
    };
    CU_SuiteInfo suites[] = {{"converge readers", NULL, NULL, NULL, NULL, tests}, CU_SUITE_INFO_NULL};
    return gtap_test_run(argc, argv, suites);
}
