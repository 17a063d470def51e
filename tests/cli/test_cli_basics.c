/* test_cli_basics.c - runs the real `gradtap` binary (env GRADTAP_CLI) and
 * checks exit codes (0 ok, 2 usage/input error), that errors are exactly one
 * line on stderr naming the problem, and `info` / `import` end to end. */
#include <stdlib.h>

#include "gradtap/format.h"
#include "gtap_test.h"

static char out_path[1024], err_path[1024];

/* Run `gradtap <arguments>`; returns the exit code. */
static int run_cli(const char *arguments)
{
    const char *cli = getenv("GRADTAP_CLI");
    char command[4096];
    snprintf(command, sizeof command, "cd '%s' && '%s' %s", gtap_test_tmpdir(), cli ? cli : "gradtap", arguments);
    return gtap_test_system(command, out_path, err_path);
}

static char *read_text(const char *path)
{
    char *text = gtap_test_read_file(path, NULL);
    return text ? text : calloc(1, 1);
}

/* stderr must be exactly one line containing `needle`. */
static void assert_one_error_line(const char *needle)
{
    char *text = read_text(err_path);
    int lines = 0;
    for (char *p = text; *p; p++) lines += *p == '\n';
    gtap_test_assert(lines == 1 && strstr(text, needle) != NULL, 0, __LINE__, __FILE__,
                     "stderr is one line containing '%s': got %d line(s): %s", needle, lines, text);
    free(text);
}

static void test_help_and_version(void)
{
    GT_ASSERT_INT_EQ(run_cli("--version"), 0);
    char *text = read_text(out_path);
    GT_ASSERT(strncmp(text, "gradtap ", 8) == 0);
    free(text);
    GT_ASSERT_INT_EQ(run_cli("--help"), 0);
    text = read_text(out_path);
    GT_ASSERT(strstr(text, "info") && strstr(text, "import") && strstr(text, "bounds") && strstr(text, "demo"));
    free(text);
    static const char *commands[] = {"info", "import", "recover", "bounds", "fit", "curve", "converge", "demo"};
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        char arguments[64];
        snprintf(arguments, sizeof arguments, "%s --help", commands[i]);
        int rc = run_cli(arguments);
        gtap_test_assert(rc == 0, 0, __LINE__, __FILE__, "`gradtap %s --help` exits 0 (got %d)", commands[i], rc);
        text = read_text(out_path);
        gtap_test_assert(strstr(text, "usage: gradtap") != NULL, 0, __LINE__, __FILE__, "%s --help prints usage",
                         commands[i]);
        free(text);
    }
    GT_ASSERT_INT_EQ(run_cli(""), 2);
    GT_ASSERT_INT_EQ(run_cli("frobnicate"), 2);
    assert_one_error_line("unknown command 'frobnicate'");
}

/* `gradtap <arguments>` exits 2 with one stderr line that starts with
 * "gradtap <command>: " and contains `needle`. */
static void assert_usage_error(const char *arguments, const char *needle)
{
    int rc = run_cli(arguments);
    gtap_test_assert(rc == 2, 0, __LINE__, __FILE__, "`gradtap %s` exits 2 (got %d)", arguments, rc);
    char prefix[64];
    snprintf(prefix, sizeof prefix, "gradtap %.*s: ", (int)strcspn(arguments, " "), arguments);
    char *text = read_text(err_path);
    int lines = 0;
    for (char *p = text; *p; p++) lines += *p == '\n';
    gtap_test_assert(lines == 1 && strncmp(text, prefix, strlen(prefix)) == 0 && strstr(text, needle) != NULL, 0,
                     __LINE__, __FILE__, "`gradtap %s`: one line '%s...%s' on stderr, got %d line(s): %s", arguments,
                     prefix, needle, lines, text);
    free(text);
}

/* One option driver for every subcommand: unknown options, missing values
 * and malformed values are one prefixed line and exit 2, no usage dump. */
static void test_bad_options_every_command(void)
{
    static const char *commands[] = {"info", "import", "recover", "bounds", "fit", "curve", "converge", "demo"};
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        char arguments[128], needle[128];
        snprintf(arguments, sizeof arguments, "%s --no-such-option x.h5", commands[i]);
        snprintf(needle, sizeof needle, "unknown option '--no-such-option' (see gradtap %s --help)", commands[i]);
        assert_usage_error(arguments, needle);
        snprintf(arguments, sizeof arguments, "%s -Z x.h5", commands[i]);
        assert_usage_error(arguments, "unknown option '-Z'");
    }
    static const char *cases[][2] = {
        {"info --format", "option '--format' needs a value"},
        {"import -o", "option '-o' needs a value"},
        {"recover --dry-run=3 x.h5", "option '--dry-run' takes no value"},
        {"bounds --density", "option '--density' needs a value"},
        {"fit --qq", "option '--qq' needs a value"},
        {"curve --points", "option '--points' needs a value"},
        {"converge --n", "option '--n' needs a value"},
        {"demo --out", "option '--out' needs a value"},
        {"info --format xml x.h5", "--format"},
        {"import -o out.h5 --rank x raw.f32", "--rank: 'x' is not an integer"},
        {"bounds --seed 1x x.h5", "--seed: '1x'"},
        {"fit --hist x x.h5", "--hist: 'x'"},
        {"curve --points 2.5 x.h5", "--points: '2.5'"},
        {"converge --lr abc", "--lr: 'abc' is not a number"},
        {"demo --workers many", "--workers: 'many' is not an integer"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) assert_usage_error(cases[i][0], cases[i][1]);
}

static void write_file(const char *name, const char *content, size_t length)
{
    FILE *file = fopen(gtap_test_path(name), "wb");
    fwrite(content, 1, length, file);
    fclose(file);
}

static void test_info_bad_inputs(void)
{
    GT_ASSERT_INT_EQ(run_cli("info"), 2);
    assert_one_error_line("no FILE");
    GT_ASSERT_INT_EQ(run_cli("info missing.h5"), 2);
    assert_one_error_line("missing.h5");
    write_file("text.h5", "hello\n", 6);
    GT_ASSERT_INT_EQ(run_cli("info text.h5"), 2);
    assert_one_error_line("text.h5: not an HDF5 file");
    GT_ASSERT_INT_EQ(run_cli("info --format xml text.h5"), 2);
    assert_one_error_line("--format");
}

static void test_info_formats(void)
{
    gtap_writer_options options;
    gtap_writer_options_init(&options);
    options.truncate = 1;
    gtap_writer *writer = NULL;
    float v[3] = {1, 2, 3};
    GT_ASSERT_OK(gtap_writer_create(gtap_test_path("good.h5"), &options, &writer));
    GT_ASSERT_OK(gtap_writer_add_tensor(writer, "enc.layer,0/w", 3, GTAP_BFLOAT16));
    for (int s = 0; s < 4; s++) GT_ASSERT_OK(gtap_writer_write_float32(writer, "enc.layer,0/w", GTAP_KIND_ACC, 10 + s, v));
    GT_ASSERT_OK(gtap_writer_close(writer));

    GT_ASSERT_INT_EQ(run_cli("info --format csv good.h5"), 0);
    char *text = read_text(out_path);
    GT_ASSERT(strstr(text, "file,rank,world_size,tensor,kind,numel,dtype,steps,first_step,last_step,bytes,"
                           "compression,complete,summaries,first_summary_step,last_summary_step,summary_densities\n") == text);
    GT_ASSERT(strstr(text, "good.h5,0,1,\"enc.layer,0/w\",acc,3,bfloat16,4,10,13,") != NULL);
    free(text);
    GT_ASSERT_INT_EQ(run_cli("info --format json good.h5"), 0);
    text = read_text(out_path);
    GT_ASSERT(strstr(text, "\"tensor\": \"enc.layer,0/w\"") != NULL);
    GT_ASSERT(strstr(text, "\"complete\": true") != NULL);
    free(text);
    /* a bad file among good ones: exit 2 and nothing on stdout */
    GT_ASSERT_INT_EQ(run_cli("info good.h5 missing.h5"), 2);
    text = read_text(out_path);
    GT_ASSERT_STR_EQ(text, "");
    free(text);
}

static void write_npy(const char *name, const char *descr, const char *shape, const void *data, size_t bytes)
{
    char header[128];
    int length = snprintf(header, sizeof header, "{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descr, shape);
    int padded = ((10 + length + 1 + 63) / 64) * 64 - 10; /* header + '\n' padded to 64 */
    char *content = calloc(1, (size_t)(10 + padded) + bytes);
    memcpy(content, "\x93NUMPY\x01\x00", 8);
    content[8] = (char)(padded & 0xff);
    content[9] = (char)(padded >> 8);
    memset(content + 10, ' ', (size_t)padded);
    memcpy(content + 10, header, (size_t)length);
    content[10 + padded - 1] = '\n';
    memcpy(content + 10 + padded, data, bytes);
    write_file(name, content, (size_t)(10 + padded) + bytes);
    free(content);
}

static void test_import(void)
{
    float a[6] = {1, -2, 3, -4, 5, -6};
    double b[6] = {0.5, 1e300, 0, 0, 0, 0};
    int32_t ints[2] = {1, 2};
    write_npy("r0_gradients_iter_800.npy", "<f4", "(2, 3)", a, sizeof a);
    write_npy("r0_gradients_iter_100.npy", "<f8", "(6,)", b, sizeof b);
    write_npy("ints_1.npy", "<i4", "(2,)", ints, sizeof ints);
    write_npy("short_1.npy", "<f4", "(100,)", a, sizeof a);
    write_npy("other_size_5.npy", "<f4", "(5,)", a, 5 * sizeof(float));
    write_file("bad_magic_3.npy", "NUMPY garbage", 13);
    write_file("raw_7.f32", (const char *)a, sizeof a);
    write_file("odd_8.bin", "abcde", 5);

    GT_ASSERT_INT_EQ(run_cli("import -o out.h5 --tensor net r0_gradients_iter_800.npy r0_gradients_iter_100.npy"), 0);
    gtap_reader *reader = NULL;
    GT_ASSERT_OK(gtap_reader_open(gtap_test_path("out.h5"), &reader));
    int64_t steps[4];
    size_t count = 0;
    GT_ASSERT_OK(gtap_reader_steps(reader, 0, GTAP_KIND_GRAD, steps, 4, &count));
    GT_ASSERT_INT_EQ(count, 2);
    GT_ASSERT_INT_EQ(steps[0], 100);
    GT_ASSERT_INT_EQ(steps[1], 800);
    float out[6];
    GT_ASSERT_OK(gtap_reader_read(reader, 0, GTAP_KIND_GRAD, 800, out));
    GT_ASSERT_INT_EQ(memcmp(out, a, sizeof a), 0);
    GT_ASSERT_OK(gtap_reader_read(reader, 0, GTAP_KIND_GRAD, 100, out));
    GT_ASSERT_NEAR(out[0], 0.5, 0, 0);
    GT_ASSERT(isinf(out[1]));
    gtap_reader_close(reader);

    /* raw float32 with --step, a residual kind, rank 1 of 2 */
    GT_ASSERT_INT_EQ(run_cli("import -o raw.h5 --kind residual --rank 1 --world-size 2 --step 3 raw_7.f32"), 0);
    GT_ASSERT_OK(gtap_reader_open(gtap_test_path("raw.h5"), &reader));
    GT_ASSERT_OK(gtap_reader_read(reader, 0, GTAP_KIND_RESIDUAL, 3, out));
    GT_ASSERT_INT_EQ(memcmp(out, a, sizeof a), 0);
    gtap_reader_close(reader);

    /* bad inputs: exit 2, one line naming the file, and out.h5 unchanged */
    size_t before_length = 0, after_length = 0;
    char *before = gtap_test_read_file(gtap_test_path("out.h5"), &before_length);
    GT_ASSERT_INT_EQ(run_cli("import -o out.h5 --tensor net ints_1.npy"), 2);
    assert_one_error_line("ints_1.npy: unsupported .npy dtype '<i4'");
    GT_ASSERT_INT_EQ(run_cli("import -o out.h5 --tensor net short_1.npy"), 2);
    assert_one_error_line("short_1.npy: truncated");
    GT_ASSERT_INT_EQ(run_cli("import -o out.h5 --tensor net bad_magic_3.npy"), 2);
    assert_one_error_line("bad_magic_3.npy: not a .npy file");
    GT_ASSERT_INT_EQ(run_cli("import -o out.h5 --tensor net odd_8.bin"), 2);
    assert_one_error_line("odd_8.bin");
    GT_ASSERT_INT_EQ(run_cli("import -o out.h5 --tensor net other_size_5.npy"), 2);
    assert_one_error_line("holds 6");
    GT_ASSERT_INT_EQ(run_cli("import -o out.h5 --tensor net r0_gradients_iter_100.npy"), 2);
    assert_one_error_line("already has steps up to 800");
    GT_ASSERT_INT_EQ(run_cli("import -o out.h5 raw_7.f32 odd_8.bin --step 4"), 2);
    assert_one_error_line("--step applies to a single input file");
    GT_ASSERT_INT_EQ(run_cli("import -o out.h5 --rank -3 raw_7.f32"), 2);
    assert_one_error_line("--rank");
    GT_ASSERT_INT_EQ(run_cli("import -o out.h5 --step 99999999999999999999 raw_7.f32"), 2);
    assert_one_error_line("overflows");
    GT_ASSERT_INT_EQ(run_cli("import -o text.h5 raw_7.f32"), 2);
    assert_one_error_line("text.h5 exists and cannot be appended to");
    char *after = gtap_test_read_file(gtap_test_path("out.h5"), &after_length);
    GT_ASSERT(before && after && before_length == after_length && memcmp(before, after, before_length) == 0);
    free(before);
    free(after);
}

int main(int argc, char **argv)
{
    snprintf(out_path, sizeof out_path, "%s", gtap_test_path("stdout.txt"));
    snprintf(err_path, sizeof err_path, "%s", gtap_test_path("stderr.txt"));
    CU_TestInfo tests[] = {
        {"--help, --version, unknown commands", test_help_and_version},
        {"every command: bad options exit 2 with one line", test_bad_options_every_command},
        {"info: bad inputs exit 2 with one line", test_info_bad_inputs},
        {"info: csv and json", test_info_formats},
        {"import: npy, raw, steps, bad inputs", test_import},
        CU_TEST_INFO_NULL,
    };
    CU_SuiteInfo suites[] = {{"cli_basics", NULL, NULL, NULL, NULL, tests}, CU_SUITE_INFO_NULL};
    return gtap_test_run(argc, argv, suites);
}
