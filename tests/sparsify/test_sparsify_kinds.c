/* test_sparsify_kinds.c - (being written) */
#include "gtap_test.h"
int main(int argc, char **argv)
{
    CU_TestInfo tests[] = {CU_TEST_INFO_NULL};
    CU_SuiteInfo suites[] = {{"sparsify_kinds", NULL, NULL, NULL, NULL, tests}, CU_SUITE_INFO_NULL};
    return gtap_test_run(argc, argv, suites);
}
