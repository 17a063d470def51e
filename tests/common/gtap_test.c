/* gtap_test.c - the runner, seeds, temporary files and helpers behind
 * gtap_test.h. */
#include "gradtap/random.h"
#include "gtap_test.h"

#include <CUnit/Basic.h>
#include <stdarg.h>
#include <stdlib.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

void gtap_test_assert(int passed, int fatal, int line, const char *file, const char *fmt, ...)
{
    char message[2048];
    va_list args;
    va_start(args, fmt);
    vsnprintf(message, sizeof message, fmt, args);
    va_end(args);
    if (!passed) fprintf(stderr, "  FAILED %s:%d: %s\n", file, line, message);
    CU_assertImplementation(passed ? CU_TRUE : CU_FALSE, (unsigned)line, message, file, "", fatal ? CU_TRUE : CU_FALSE);
}

static char temporary_directory[512];

static void remove_temporary_directory(void)
{
    if (temporary_directory[0] == '\0' || getenv("GTAP_TEST_KEEP")) return;
    char command[600];
    snprintf(command, sizeof command, "rm -rf '%s'", temporary_directory);
    if (system(command) != 0) fprintf(stderr, "warning: could not remove %s\n", temporary_directory);
}

const char *gtap_test_tmpdir(void)
{
    if (temporary_directory[0] != '\0') return temporary_directory;
    const char *base = getenv("TMPDIR");
    snprintf(temporary_directory, sizeof temporary_directory, "%s/gtap_test_XXXXXX", base ? base : "/tmp");
    if (mkdtemp(temporary_directory) == NULL) {
        fprintf(stderr, "cannot create a temporary directory\n");
        temporary_directory[0] = '\0';
        return "/tmp";
    }
    atexit(remove_temporary_directory);
    return temporary_directory;
}

const char *gtap_test_path(const char *file_name)
{
    static char path[1024];
    snprintf(path, sizeof path, "%s/%s", gtap_test_tmpdir(), file_name);
    return path;
}

uint64_t gtap_test_seed(const char *test_name)
{
    uint64_t seed = 20181107u;
    const char *text = getenv("GTAP_TEST_SEED");
    if (text && *text) seed = strtoull(text, NULL, 10);
    printf("  [%s] seed %llu (GTAP_TEST_SEED=%llu reproduces)\n", test_name, (unsigned long long)seed,
           (unsigned long long)seed);
    return seed;
}

int gtap_test_system(const char *command, const char *stdout_path, const char *stderr_path)
{
    char line[8192];
    snprintf(line, sizeof line, "%s >'%s' 2>'%s'", command, stdout_path ? stdout_path : "/dev/null",
             stderr_path ? stderr_path : "/dev/null");
    int status = system(line);
    if (status == -1 || !WIFEXITED(status)) return -1;
    return WEXITSTATUS(status);
}

char *gtap_test_read_file(const char *path, size_t *length)
{
    FILE *file = fopen(path, "rb");
    if (file == NULL) return NULL;
    size_t capacity = 4096, used = 0;
    char *buffer = malloc(capacity);
    while (buffer) {
        if (used + 1 >= capacity) {
            char *grown = realloc(buffer, capacity * 2);
            if (grown == NULL) {
                free(buffer);
                buffer = NULL;
                break;
            }
            buffer = grown;
            capacity *= 2;
        }
        size_t got = fread(buffer + used, 1, capacity - used - 1, file);
        if (got == 0) break;
        used += got;
    }
    fclose(file);
    if (buffer) {
        buffer[used] = '\0';
        if (length) *length = used;
    }
    return buffer;
}

uint64_t gtap_test_rand_u64(uint64_t *state)
{
    return gtap_splitmix64_next(state);
}

double gtap_test_rand_uniform(uint64_t *state)
{
    return gtap_splitmix64_uniform(state);
}

double gtap_test_rand_normal(uint64_t *state)
{
    double u1 = gtap_test_rand_uniform(state), u2 = gtap_test_rand_uniform(state);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

size_t gtap_test_mem_diff(const void *a, const void *b, size_t bytes)
{
    const unsigned char *x = a, *y = b;
    size_t i = 0;
    while (i < bytes && x[i] == y[i]) i++;
    return i;
}

/* Whether `text` contains `pattern`, ignoring ASCII case. */
static int contains_ignoring_case(const char *text, const char *pattern)
{
    size_t n = strlen(pattern);
    for (; *text; text++)
        if (strncasecmp(text, pattern, n) == 0) return 1;
    return n == 0;
}

/* Keep only the tests whose suite, test or "suite/test" name contains
 * `pattern`; returns how many are left. */
static unsigned select_tests(const char *pattern)
{
    unsigned selected = 0;
    for (CU_pSuite suite = CU_get_registry()->pSuite; suite; suite = suite->pNext) {
        int whole_suite = contains_ignoring_case(suite->pName, pattern);
        unsigned in_suite = 0;
        for (CU_pTest test = suite->pTest; test; test = test->pNext) {
            char full[512];
            snprintf(full, sizeof full, "%s/%s", suite->pName, test->pName);
            int keep = whole_suite || contains_ignoring_case(full, pattern);
            CU_set_test_active(test, keep ? CU_TRUE : CU_FALSE);
            in_suite += keep ? 1u : 0u;
        }
        CU_set_suite_active(suite, in_suite ? CU_TRUE : CU_FALSE);
        selected += in_suite;
    }
    return selected;
}

int gtap_test_run(int argc, char **argv, CU_SuiteInfo *suites)
{
    const char *pattern = argc > 1 ? argv[1] : NULL;
    if (argc > 2 || (pattern && (strcmp(pattern, "--help") == 0 || strcmp(pattern, "-h") == 0))) {
        fprintf(pattern && argc == 2 ? stdout : stderr,
                "usage: %s [--list | NAME]\n  NAME: run only the tests whose suite or test name (or "
                "\"suite/test\") contains NAME, ignoring case\n",
                argv[0]);
        return argc > 2 ? 2 : 0;
    }
    if (CU_initialize_registry() != CUE_SUCCESS) return 3;
    if (CU_register_suites(suites) != CUE_SUCCESS) {
        fprintf(stderr, "%s: cannot register suites: %s\n", argv[0], CU_get_error_msg());
        CU_cleanup_registry();
        return 3;
    }
    if (pattern && strcmp(pattern, "--list") == 0) {
        for (CU_pSuite suite = CU_get_registry()->pSuite; suite; suite = suite->pNext)
            for (CU_pTest test = suite->pTest; test; test = test->pNext) printf("%s/%s\n", suite->pName, test->pName);
        CU_cleanup_registry();
        return 0;
    }
    if (pattern) {
        if (select_tests(pattern) == 0) {
            fprintf(stderr, "%s: no suite or test name contains \"%s\" (--list prints them)\n", argv[0], pattern);
            CU_cleanup_registry();
            return 2;
        }
        CU_set_fail_on_inactive(CU_FALSE); /* the tests left out are not failures */
    }
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failures = CU_get_number_of_failures();
    unsigned tests_failed = CU_get_number_of_tests_failed();
    CU_cleanup_registry();
    return (failures || tests_failed) ? 1 : 0;
}
