/* gtap_test.h - assertion macros and a runner for gradtap's CUnit suites.
 *
 * Assertions print both sides on failure (CUnit's own print only the
 * expression). Each test program defines its suites with CUnit's
 * CU_TestInfo / CU_SuiteInfo tables and ends main() with
 * `return gtap_test_run(argc, argv, suites);`. Randomised tests take their
 * seed from gtap_test_seed(), which prints it (GTAP_TEST_SEED overrides). */
#ifndef GRADTAP_TEST_H
#define GRADTAP_TEST_H

#include <CUnit/CUnit.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "gradtap/status.h"

/* Record an assertion with a formatted message. */
void gtap_test_assert(int passed, int fatal, int line, const char *file, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;

#define GT_ASSERT(cond) gtap_test_assert(!!(cond), 0, __LINE__, __FILE__, "%s", #cond)
#define GT_ASSERT_FATAL(cond) gtap_test_assert(!!(cond), 1, __LINE__, __FILE__, "%s", #cond)

#define GT_ASSERT_INT_EQ(actual, expected)                                                               \
    do {                                                                                                 \
        long long gt_a = (long long)(actual), gt_e = (long long)(expected);                              \
        gtap_test_assert(gt_a == gt_e, 0, __LINE__, __FILE__, "%s == %s (got %lld, expected %lld)",     \
                         #actual, #expected, gt_a, gt_e);                                                \
    } while (0)

#define GT_ASSERT_U64_EQ(actual, expected)                                                               \
    do {                                                                                                 \
        unsigned long long gt_a = (unsigned long long)(actual), gt_e = (unsigned long long)(expected);   \
        gtap_test_assert(gt_a == gt_e, 0, __LINE__, __FILE__, "%s == %s (got %llu, expected %llu)",     \
                         #actual, #expected, gt_a, gt_e);                                                \
    } while (0)

/* A library call must return GTAP_OK; prints the status and last error. */
#define GT_ASSERT_OK(call)                                                                               \
    do {                                                                                                 \
        int gt_rc = (call);                                                                              \
        gtap_test_assert(gt_rc == GTAP_OK, 1, __LINE__, __FILE__, "%s returned %d (%s): %s", #call,     \
                         gt_rc, gtap_strerror(gt_rc), gtap_last_error());                                \
    } while (0)

/* A call must fail with exactly `status`. */
#define GT_ASSERT_STATUS(call, status)                                                                   \
    do {                                                                                                 \
        int gt_rc = (call);                                                                              \
        gtap_test_assert(gt_rc == (status), 0, __LINE__, __FILE__, "%s returned %d (%s), expected %s",  \
                         #call, gt_rc, gtap_strerror(gt_rc), #status);                                   \
    } while (0)

/* |actual - expected| <= abs_tol + rel_tol * |expected| (NaN never passes,
 * except NaN expected and NaN got). */
#define GT_ASSERT_NEAR(actual, expected, abs_tol, rel_tol)                                               \
    do {                                                                                                 \
        double gt_a = (double)(actual), gt_e = (double)(expected);                                       \
        int gt_ok = (isnan(gt_a) && isnan(gt_e)) ||                                                      \
                    fabs(gt_a - gt_e) <= (abs_tol) + (rel_tol) * fabs(gt_e) || (gt_a == gt_e);           \
        gtap_test_assert(gt_ok, 0, __LINE__, __FILE__, "%s ~= %s (got %.17g, expected %.17g, diff %.3g)", \
                         #actual, #expected, gt_a, gt_e, gt_a - gt_e);                                   \
    } while (0)

#define GT_ASSERT_STR_EQ(actual, expected)                                                               \
    do {                                                                                                 \
        const char *gt_a = (actual), *gt_e = (expected);                                                 \
        gtap_test_assert(gt_a && gt_e && strcmp(gt_a, gt_e) == 0, 0, __LINE__, __FILE__,                 \
                         "%s == %s (got \"%s\", expected \"%s\")", #actual, #expected, gt_a ? gt_a : "(null)", \
                         gt_e ? gt_e : "(null)");                                                        \
    } while (0)

/* Run the suites; returns the process exit code (0 all passed). */
int gtap_test_run(int argc, char **argv, CU_SuiteInfo *suites);

/* The seed for randomised tests: GTAP_TEST_SEED or a fixed default; it is
 * printed once with the test name. */
uint64_t gtap_test_seed(const char *test_name);

/* A fresh temporary directory for this test program (removed at exit
 * unless GTAP_TEST_KEEP is set), and a path inside it. */
const char *gtap_test_tmpdir(void);
const char *gtap_test_path(const char *file_name); /* static buffer: copy it */

/* Run a shell command line; returns its exit status (or -1). stdout and
 * stderr go to the files given (NULL: /dev/null). */
int gtap_test_system(const char *command, const char *stdout_path, const char *stderr_path);

/* Read a whole file into a malloc'ed NUL-terminated buffer (NULL on error). */
char *gtap_test_read_file(const char *path, size_t *length);

/* A small deterministic generator (splitmix64) for test data. */
uint64_t gtap_test_rand_u64(uint64_t *state);
double gtap_test_rand_uniform(uint64_t *state);  /* in (0, 1) */
double gtap_test_rand_normal(uint64_t *state);   /* N(0, 1) */

#endif
