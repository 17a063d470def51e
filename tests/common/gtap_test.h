/* gtap_test.h - assertion macros and a runner for gradtap's CUnit suites.
 *
 * Assertions print both sides on failure (CUnit's own print only the
 * expression). Each test program defines its suites with CUnit's
 * CU_TestInfo / CU_SuiteInfo tables and ends main() with
 * `return gtap_test_run(argc, argv, suites);`. Randomised tests take their
 * seed from gtap_test_seed(), which prints it (GTAP_TEST_SEED overrides).
 *
 * Comparisons: GT_ASSERT_INT_CMP(a, OP, b), GT_ASSERT_U64_CMP(a, OP, b) and
 * GT_ASSERT_DBL_CMP(a, OP, b) (OP one of == != < <= > >=; %.17g for
 * doubles), GT_ASSERT_STR_CONTAINS(haystack, needle) (NULL-safe, prints the
 * haystack cut to 300 characters), GT_ASSERT_STR_STARTS_WITH(text, prefix),
 * GT_ASSERT_MEM_EQ / GT_ASSERT_MEM_NE(a, b, bytes) (print the first
 * differing byte), GT_ASSERT_NULL / GT_ASSERT_NOT_NULL(p). The CMP forms,
 * STR_CONTAINS and NOT_NULL have a _FATAL form that ends the test. Plain
 * GT_ASSERT is for boolean predicates (isnan, isfinite, flags).
 *
 * Running part of a program: `./prog NAME` runs only the tests whose suite
 * or test name (or "suite/test") contains NAME, ignoring case, e.g.
 * `tests/format/format_roundtrip bfloat16`; `./prog --list` prints the
 * names as "suite/test". No match is an error (exit status 2). One whole
 * program runs under ctest as `ctest --test-dir build -R format_roundtrip`. */
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

/* Typed comparisons: print both operands on failure. */
#define GT_CMP_(type, fmt, actual, op, expected, fatal)                                                  \
    do {                                                                                                 \
        type gt_a = (type)(actual), gt_e = (type)(expected);                                             \
        gtap_test_assert(gt_a op gt_e, fatal, __LINE__, __FILE__, "%s %s %s (got " fmt " vs " fmt ")",  \
                         #actual, #op, #expected, gt_a, gt_e);                                           \
    } while (0)
#define GT_ASSERT_INT_CMP(a, op, b) GT_CMP_(long long, "%lld", a, op, b, 0)
#define GT_ASSERT_INT_CMP_FATAL(a, op, b) GT_CMP_(long long, "%lld", a, op, b, 1)
#define GT_ASSERT_U64_CMP(a, op, b) GT_CMP_(unsigned long long, "%llu", a, op, b, 0)
#define GT_ASSERT_U64_CMP_FATAL(a, op, b) GT_CMP_(unsigned long long, "%llu", a, op, b, 1)
#define GT_ASSERT_DBL_CMP(a, op, b) GT_CMP_(double, "%.17g", a, op, b, 0)
#define GT_ASSERT_DBL_CMP_FATAL(a, op, b) GT_CMP_(double, "%.17g", a, op, b, 1)

/* `needle` occurs in `haystack` (either NULL fails). */
#define GT_STR_CONTAINS_(haystack, needle, fatal)                                                        \
    do {                                                                                                 \
        const char *gt_h = (haystack), *gt_n = (needle);                                                 \
        gtap_test_assert(gt_h && gt_n && strstr(gt_h, gt_n) != NULL, fatal, __LINE__, __FILE__,          \
                         "%s contains %s (\"%s\" not in \"%.300s%s\")", #haystack, #needle,              \
                         gt_n ? gt_n : "(null)", gt_h ? gt_h : "(null)",                                 \
                         gt_h && strlen(gt_h) > 300 ? "..." : "");                                       \
    } while (0)
#define GT_ASSERT_STR_CONTAINS(haystack, needle) GT_STR_CONTAINS_(haystack, needle, 0)
#define GT_ASSERT_STR_CONTAINS_FATAL(haystack, needle) GT_STR_CONTAINS_(haystack, needle, 1)

/* `text` begins with `prefix` (either NULL fails). */
#define GT_ASSERT_STR_STARTS_WITH(text, prefix)                                                          \
    do {                                                                                                 \
        const char *gt_t = (text), *gt_p = (prefix);                                                     \
        int gt_ok = gt_t && gt_p && strlen(gt_t) >= strlen(gt_p) && memcmp(gt_t, gt_p, strlen(gt_p)) == 0; \
        gtap_test_assert(gt_ok, 0, __LINE__, __FILE__,                                                   \
                         "%s starts with %s (\"%.300s%s\" does not start with \"%s\")", #text, #prefix,  \
                         gt_t ? gt_t : "(null)", gt_t && strlen(gt_t) > 300 ? "..." : "",                \
                         gt_p ? gt_p : "(null)");                                                        \
    } while (0)

/* The first offset where two buffers differ (`bytes` when they are equal). */
size_t gtap_test_mem_diff(const void *a, const void *b, size_t bytes);

#define GT_ASSERT_MEM_EQ(a, b, bytes)                                                                    \
    do {                                                                                                 \
        const unsigned char *gt_x = (const unsigned char *)(a), *gt_y = (const unsigned char *)(b);     \
        size_t gt_n = (size_t)(bytes), gt_at = gtap_test_mem_diff(gt_x, gt_y, gt_n);                     \
        gtap_test_assert(gt_at == gt_n, 0, __LINE__, __FILE__,                                           \
                         "%s == %s over %s = %zu bytes (first difference at byte %zu: 0x%02x vs 0x%02x)", \
                         #a, #b, #bytes, gt_n, gt_at, gt_at < gt_n ? gt_x[gt_at] : 0u,                   \
                         gt_at < gt_n ? gt_y[gt_at] : 0u);                                               \
    } while (0)
#define GT_ASSERT_MEM_NE(a, b, bytes)                                                                    \
    do {                                                                                                 \
        size_t gt_n = (size_t)(bytes);                                                                   \
        gtap_test_assert(gtap_test_mem_diff((a), (b), gt_n) != gt_n, 0, __LINE__, __FILE__,             \
                         "%s != %s over %s = %zu bytes (all bytes are equal)", #a, #b, #bytes, gt_n);   \
    } while (0)

#define GT_NULL_(ptr, want_null, fatal)                                                                  \
    do {                                                                                                 \
        const void *gt_p = (const void *)(ptr);                                                          \
        gtap_test_assert((gt_p == NULL) == (want_null), fatal, __LINE__, __FILE__, "%s %s NULL (got %p)", \
                         #ptr, (want_null) ? "==" : "!=", gt_p);                                         \
    } while (0)
#define GT_ASSERT_NULL(ptr) GT_NULL_(ptr, 1, 0)
#define GT_ASSERT_NOT_NULL(ptr) GT_NULL_(ptr, 0, 0)
#define GT_ASSERT_NOT_NULL_FATAL(ptr) GT_NULL_(ptr, 0, 1)

/* Run the suites; returns the process exit code (0 all passed). With an
 * argument, runs only the matching tests; `--list` prints the names. */
int gtap_test_run(int argc, char **argv, CU_SuiteInfo *suites);

/* The main() of a test program with one suite:
 *     GTAP_TEST_MAIN("write_safety", write_safety_tests) */
#define GTAP_TEST_MAIN(suite_name, tests)                                                               \
    int main(int argc, char **argv)                                                                     \
    {                                                                                                   \
        CU_SuiteInfo suites_[] = {{suite_name, NULL, NULL, NULL, NULL, tests}, CU_SUITE_INFO_NULL};    \
        return gtap_test_run(argc, argv, suites_);                                                      \
    }

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
