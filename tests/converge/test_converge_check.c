/* test_converge_check.c - `gradtap converge --check` end to end on the
 * default problems (--quick sizes): it passes (exit 0) on synthetic
 * logistic regression with 1 and 4 simulated workers and on the MLP
 * (Fashion-MNIST when Debian's dataset-fashion-mnist is installed, else the
 * synthetic images), and it FAILS (exit 1) when the memory is broken
 * (--inject-fault drop-memory): the invariant check fails, and the rate
 * finding differs (a finding: it fails the run only with --strict, as
 * test_converge_checks.c asserts). The captured files feed `gradtap info` and `gradtap bounds`. */
#include <stdlib.h>
#include <unistd.h>

#include "gtap_test.h"

static int converge(const char *arguments, const char *out_name)
{
    const char *cli = getenv("GRADTAP_CLI");
    GT_ASSERT_NOT_NULL_FATAL(cli);
    char command[8192], out[4096];
    snprintf(out, sizeof out, "%s", gtap_test_path(out_name));
    snprintf(command, sizeof command, "%s converge %s", cli, arguments);
    int status = gtap_test_system(command, out, NULL);
    char *text = gtap_test_read_file(out, NULL);
    if (text) {
        printf("\n$ gradtap converge %s  -> exit %d\n%s", arguments, status, text);
        free(text);
    }
    return status;
}

static void test_logreg_check(void)
{
    GT_ASSERT_INT_EQ(converge("--quick --check", "logreg1.txt"), 0);
    GT_ASSERT_INT_EQ(converge("--quick --check --workers 4", "logreg4.txt"), 0);
}

static void test_logreg_broken_memory(void)
{
    GT_ASSERT_INT_EQ(converge("--quick --check --methods topk --inject-fault drop-memory", "broken.txt"), 1);
    char *text = gtap_test_read_file(gtap_test_path("broken.txt"), NULL);
    GT_ASSERT_NOT_NULL_FATAL(text);
    GT_ASSERT_STR_CONTAINS(text, "check 1 invariant    FAIL");
    GT_ASSERT_STR_CONTAINS(text, "finding 3 rate       DIFFERS");
    free(text);
}

static const char *mlp_data(void)
{
    return access("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz", R_OK) == 0 ? "fashion-mnist" : "synthetic";
}

static void test_mlp_check(void)
{
    char arguments[512];
    snprintf(arguments, sizeof arguments, "--model mlp --data %s --quick --check", mlp_data());
    GT_ASSERT_INT_EQ(converge(arguments, "mlp.txt"), 0);
    snprintf(arguments, sizeof arguments, "--model mlp --data %s --quick --check --workers 4", mlp_data());
    GT_ASSERT_INT_EQ(converge(arguments, "mlp4.txt"), 0);
    snprintf(arguments, sizeof arguments,
             "--model mlp --data %s --quick --check --methods topk --inject-fault drop-memory", mlp_data());
    GT_ASSERT_INT_EQ(converge(arguments, "mlp_broken.txt"), 1);
    char *text = gtap_test_read_file(gtap_test_path("mlp_broken.txt"), NULL);
    GT_ASSERT_NOT_NULL_FATAL(text);
    GT_ASSERT_STR_CONTAINS(text, "check 1 invariant    FAIL");
    GT_ASSERT_STR_CONTAINS(text, "finding 3 rate       DIFFERS");
    free(text);
}

static void test_capture_feeds_reader(void)
{
    char arguments[8192], capture[4096];
    snprintf(capture, sizeof capture, "%s", gtap_test_path("cap.h5"));
    snprintf(arguments, sizeof arguments, "--quick --methods topk --workers 2 --epochs 0.2 --capture %s --every 200 -o %s",
             capture, gtap_test_path("curves.csv"));
    GT_ASSERT_INT_EQ(converge(arguments, "capture.txt"), 0);
    const char *cli = getenv("GRADTAP_CLI");
    char command[12288], rank1[4096];
    snprintf(rank1, sizeof rank1, "%s", gtap_test_path("cap.rank00001.h5"));
    snprintf(command, sizeof command, "%s info %s", cli, rank1);
    GT_ASSERT_INT_EQ(gtap_test_system(command, NULL, NULL), 0);
    snprintf(command, sizeof command, "%s bounds %s", cli, rank1); /* the files feed `gradtap bounds` */
    GT_ASSERT_INT_EQ(gtap_test_system(command, NULL, NULL), 0);
    char *csv = gtap_test_read_file(gtap_test_path("curves.csv"), NULL);
    GT_ASSERT_NOT_NULL_FATAL(csv);
    const char *header = "method,step,epoch,bits,loss,average_loss,suboptimality";
    GT_ASSERT_STR_STARTS_WITH(csv, header);
    free(csv);
}

int main(int argc, char **argv)
{
    CU_TestInfo tests[] = {
        {"logreg --check passes (1 and 4 workers)", test_logreg_check},
        {"logreg --check fails with a dropped memory", test_logreg_broken_memory},
        {"mlp --check passes, fails with a dropped memory", test_mlp_check},
        {"capture files and curves", test_capture_feeds_reader},
        CU_TEST_INFO_NULL,
    };
    CU_SuiteInfo suites[] = {{"converge check", NULL, NULL, NULL, NULL, tests}, CU_SUITE_INFO_NULL};
    return gtap_test_run(argc, argv, suites);
}
