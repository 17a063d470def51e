/* test_cli_damaged.c - damaged snapshot files end every reading command
 * promptly (docs/RELIABILITY.md, "Hangs on damaged files"): for every byte
 * of the superblock (HDF5 1.10 writes version 3: 48 bytes, with a checksum
 * over the first 44) a copy with that byte changed, and copies cut to
 * 0..96 bytes and a few larger lengths. `gradtap info` runs on each, and
 * bounds, fit, curve and recover on a subset, each under `timeout 10`: it
 * must exit 2 with one line on stderr (or 0 with the right output when the
 * change is harmless), never hang (timeout's 124) or die of a signal. */
#include <stdlib.h>
#include <sys/stat.h>

#include "gradtap/format.h"
#include "gtap_test.h"

enum { SUPERBLOCK_BYTES = 96, TIME_LIMIT_S = 10 };

static char out_path[1024], err_path[1024];
static int cases, hangs, crashes, harmless;

/* Run `gradtap COMMAND FILE` under a time limit; the exit code, 124 on a
 * timeout, 128+N for a signal (as the shell reports it). */
static int run_cli(const char *command, const char *file)
{
    const char *cli = getenv("GRADTAP_CLI");
    char line[4096];
    snprintf(line, sizeof line, "cd '%s' && timeout -s KILL %d '%s' %s '%s'", gtap_test_tmpdir(), TIME_LIMIT_S,
             cli ? cli : "gradtap", command, file);
    return gtap_test_system(line, out_path, err_path);
}

static char *read_text(const char *path)
{
    char *text = gtap_test_read_file(path, NULL);
    return text ? text : calloc(1, 1);
}

/* One command on one damaged copy: exit 2 with one prefixed line, or 0
 * with `expected` (a string of the good output) on stdout. */
static void check_case(const char *command, const char *file, const char *what, const char *expected)
{
    int rc = run_cli(command, file);
    cases++;
    if (rc == 124 || rc == 137) hangs++;
    else if (rc > 128 || rc < 0) crashes++;
    char *err = read_text(err_path), *out = read_text(out_path);
    int lines = 0;
    for (char *p = err; *p; p++) lines += *p == '\n';
    char prefix[64];
    snprintf(prefix, sizeof prefix, "gradtap %.*s: ", (int)strcspn(command, " "), command);
    if (rc == 0) {
        harmless++;
        gtap_test_assert(expected == NULL || strstr(out, expected) != NULL, 0, __LINE__, __FILE__,
                         "%s (%s): exit 0 but stdout lacks '%s': %s", command, what, expected ? expected : "",
                         out);
    } else {
        gtap_test_assert(rc == 2 && lines == 1 && strncmp(err, prefix, strlen(prefix)) == 0, 0, __LINE__,
                         __FILE__, "%s on %s: exit 2 with one line (got exit %d, %d lines: %s)", command, what,
                         rc, lines, err);
    }
    free(err);
    free(out);
}

static void write_small_file(const char *path)
{
    gtap_writer_options options;
    gtap_writer_options_init(&options);
    options.truncate = 1;
    gtap_writer *writer = NULL;
    float values[64];
    for (int i = 0; i < 64; i++) values[i] = (float)(i % 7) - 3.0f;
    GT_ASSERT_OK(gtap_writer_create(path, &options, &writer));
    GT_ASSERT_OK(gtap_writer_add_tensor(writer, "layer.w", 64, GTAP_FLOAT32));
    for (int s = 0; s < 3; s++) GT_ASSERT_OK(gtap_writer_write(writer, "layer.w", GTAP_KIND_GRAD, s, values));
    GT_ASSERT_OK(gtap_writer_close(writer));
}

static void write_copy(const char *name, const unsigned char *content, size_t length)
{
    FILE *file = fopen(gtap_test_path(name), "wb");
    GT_ASSERT_NOT_NULL_FATAL(file);
    if (length) fwrite(content, 1, length, file);
    fclose(file);
}

/* bounds, fit, curve and recover on every 8th case besides info on all. */
static void check_all_commands(const char *file, const char *what, int index)
{
    check_case("info", file, what, "layer.w");
    if (index % 8 != 0) return;
    check_case("bounds", file, what, "layer.w");
    check_case("fit", file, what, "layer.w");
    check_case("curve", file, what, NULL);
    check_case("recover --dry-run", file, what, "snapshots");
}

static void test_superblock_bytes_changed(void)
{
    size_t length = 0;
    write_small_file(gtap_test_path("good.h5"));
    unsigned char *good = (unsigned char *)gtap_test_read_file(gtap_test_path("good.h5"), &length);
    GT_ASSERT_NOT_NULL_FATAL(good);
    GT_ASSERT_U64_CMP_FATAL(length, >, SUPERBLOCK_BYTES);
    GT_ASSERT_INT_EQ(good[8], 3); /* superblock version 3: 48 bytes, checksummed */
    check_case("info", "good.h5", "the good file", "layer.w");
    GT_ASSERT_INT_EQ(harmless, 1);
    unsigned char *copy = malloc(length);
    GT_ASSERT_NOT_NULL_FATAL(copy);
    static const unsigned char changes[] = {0x01, 0xff};
    for (size_t offset = 0; offset < SUPERBLOCK_BYTES; offset++) {
        for (size_t c = 0; c < sizeof changes; c++) {
            memcpy(copy, good, length);
            copy[offset] ^= changes[c];
            char what[64];
            snprintf(what, sizeof what, "byte %zu ^ 0x%02x", offset, changes[c]);
            write_copy("flipped.h5", copy, length);
            check_all_commands("flipped.h5", what, (int)(offset * 2 + c));
        }
    }
    printf("\n  superblock: %d cases, %d harmless (exit 0), %d hangs, %d crashes\n", cases, harmless, hangs,
           crashes);
    GT_ASSERT_INT_EQ(hangs, 0);
    GT_ASSERT_INT_EQ(crashes, 0);
    free(copy);
    free(good);
}

static void test_truncated_copies(void)
{
    size_t length = 0;
    write_small_file(gtap_test_path("good2.h5"));
    unsigned char *good = (unsigned char *)gtap_test_read_file(gtap_test_path("good2.h5"), &length);
    GT_ASSERT_NOT_NULL_FATAL(good);
    cases = hangs = crashes = harmless = 0;
    size_t larger[] = {128, 200, 512, 1024, 2048, length / 2, length - 1};
    size_t count = SUPERBLOCK_BYTES + 1 + sizeof larger / sizeof larger[0];
    for (size_t i = 0; i < count; i++) {
        size_t cut = i <= SUPERBLOCK_BYTES ? i : larger[i - SUPERBLOCK_BYTES - 1];
        if (cut >= length) continue;
        char what[64];
        snprintf(what, sizeof what, "cut to %zu of %zu bytes", cut, length);
        write_copy("cut.h5", good, cut);
        check_all_commands("cut.h5", what, (int)i);
    }
    printf("\n  truncated: %d cases, %d harmless (exit 0), %d hangs, %d crashes\n", cases, harmless, hangs, crashes);
    GT_ASSERT_INT_EQ(hangs, 0);
    GT_ASSERT_INT_EQ(crashes, 0);
    free(good);
}

int main(int argc, char **argv)
{
    snprintf(out_path, sizeof out_path, "%s", gtap_test_path("stdout.txt"));
    snprintf(err_path, sizeof err_path, "%s", gtap_test_path("stderr.txt"));
    CU_TestInfo tests[] = {
        {"every superblock byte changed: exit 2 or harmless, never a hang", test_superblock_bytes_changed},
        {"cut to 0..96 bytes and more: exit 2, never a hang", test_truncated_copies},
        CU_TEST_INFO_NULL,
    };
    CU_SuiteInfo suites[] = {{"cli_damaged", NULL, NULL, NULL, NULL, tests}, CU_SUITE_INFO_NULL};
    return gtap_test_run(argc, argv, suites);
}
