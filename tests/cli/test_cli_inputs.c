/* test_cli_inputs.c - inputs the commands used to block on, accept, or
 * misreport (docs/RELIABILITY.md): a FIFO given to every reading command,
 * LIBSVM files with a feature index of 2^31, a NUL byte or labels mixing 0
 * and -1, `--methods ''`, --k with --density, a .npy header with a key
 * twice, a file locked by a writer in another process, tensor names that
 * are not UTF-8 in JSON output, and `fit -f json --hist` as one document. */
#include <hdf5.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "gradtap/format.h"
#include "gtap_test.h"

static char out_path[1024], err_path[1024];

static int run_cli(const char *arguments)
{
    const char *cli = getenv("GRADTAP_CLI");
    char command[4096];
    snprintf(command, sizeof command, "cd '%s' && timeout -s KILL 20 '%s' %s", gtap_test_tmpdir(),
             cli ? cli : "gradtap", arguments);
    return gtap_test_system(command, out_path, err_path);
}

static char *read_text(const char *path)
{
    char *text = gtap_test_read_file(path, NULL);
    return text ? text : calloc(1, 1);
}

/* `gradtap ARGUMENTS` exits 2 with one line containing `needle`. */
static void assert_refused(const char *arguments, const char *needle)
{
    int rc = run_cli(arguments);
    char *text = read_text(err_path);
    int lines = 0;
    for (char *p = text; *p; p++) lines += *p == '\n';
    gtap_test_assert(rc == 2 && lines == 1 && strstr(text, needle) != NULL, 0, __LINE__, __FILE__,
                     "`gradtap %s`: exit 2 and one line with '%s' (got exit %d, %d lines: %s)", arguments, needle, rc,
                     lines, text);
    free(text);
}

static void write_file(const char *name, const char *content, size_t length)
{
    FILE *file = fopen(gtap_test_path(name), "wb");
    fwrite(content, 1, length, file);
    fclose(file);
}

static void write_snapshot(const char *name, const char *tensor)
{
    gtap_writer_options options;
    gtap_writer_options_init(&options);
    options.truncate = 1;
    gtap_writer *writer = NULL;
    float values[100];
    for (int i = 0; i < 100; i++) values[i] = (float)(i % 13) - 6.0f;
    GT_ASSERT_OK(gtap_writer_create(gtap_test_path(name), &options, &writer));
    GT_ASSERT_OK(gtap_writer_add_tensor(writer, tensor, 100, GTAP_FLOAT32));
    for (int s = 0; s < 2; s++) GT_ASSERT_OK(gtap_writer_write(writer, tensor, GTAP_KIND_GRAD, s, values));
    GT_ASSERT_OK(gtap_writer_close(writer));
}

static void test_fifo_every_command(void)
{
    GT_ASSERT_INT_EQ(mkfifo(gtap_test_path("pipe"), 0600), 0);
    static const char *commands[] = {"info pipe", "bounds pipe", "fit pipe", "curve pipe", "recover pipe",
                                     "converge --data pipe", "import -o x.h5 pipe"};
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        assert_refused(commands[i], "pipe: is a FIFO, not a regular file");
}

static void test_libsvm_inputs(void)
{
    write_file("big.svm", "1 1:0.5 2147483648:1\n-1 2:1\n", 28);
    assert_refused("converge --data big.svm", "feature index 2147483648 exceeds the limit of 67108864 features");
    write_file("nul.svm", "1 1:1\n-1 2:1 \0 3:1\n1 3:1\n", 25);
    assert_refused("converge --data nul.svm", "nul.svm:2: NUL byte in the line");
    write_file("mixed.svm", "1 1:1\n0 2:1\n-1 1:2\n", 19);
    assert_refused("converge --data mixed.svm", "labels mix 0 (line 2) and -1 (line 3)");
    assert_refused("converge --methods ''", "--methods: empty list");
    assert_refused("converge --methods dense,", "--methods: empty method name");
}

static void test_k_with_density(void)
{
    write_snapshot("kd.h5", "w");
    assert_refused("bounds --k 3 --density 0.1 kd.h5", "--k and --density exclude each other");
    assert_refused("curve --density 0.1 --k 3 kd.h5", "--k and --density exclude each other");
}

static void test_npy_key_twice(void)
{
    const char header[] = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'shape': (1,), }";
    char content[10 + 118 + 8];
    memset(content, ' ', sizeof content);
    memcpy(content, "\x93NUMPY\x01\x00", 8);
    content[8] = 118;
    content[9] = 0;
    memcpy(content + 10, header, sizeof header - 1);
    content[10 + 117] = '\n';
    memset(content + 128, 0, 8);
    write_file("twice_1.npy", content, sizeof content);
    assert_refused("import -o npy.h5 twice_1.npy", "twice_1.npy: .npy header has the key 'shape' twice");
}

/* A writer in this process holds HDF5's lock of the file. */
static void test_locked_file(void)
{
    write_snapshot("locked.h5", "w");
    hid_t file = H5Fopen(gtap_test_path("locked.h5"), H5F_ACC_RDWR, H5P_DEFAULT);
    GT_ASSERT_INT_CMP_FATAL(file, >=, 0);
    assert_refused("info locked.h5", "locked.h5: is locked by another process (in use by a writer)");
    H5Fclose(file);
    GT_ASSERT_INT_EQ(run_cli("info locked.h5"), 0);
}

/* 1 when `text` is well-formed UTF-8. */
static int is_utf8(const unsigned char *text)
{
    while (*text) {
        int length = *text < 0x80 ? 1 : *text >= 0xC2 && *text <= 0xDF ? 2 : *text >= 0xE0 && *text <= 0xEF ? 3
                     : *text >= 0xF0 && *text <= 0xF4 ? 4 : 0;
        if (length == 0) return 0;
        for (int i = 1; i < length; i++)
            if (text[i] < 0x80 || text[i] > 0xBF) return 0;
        text += length;
    }
    return 1;
}

static int python_parses_json(void)
{
    char command[2048];
    snprintf(command, sizeof command, "python3 -c 'import json,sys; json.load(open(sys.argv[1], encoding=\"utf-8\"))' "
             "'%s'", out_path);
    return gtap_test_system(command, NULL, NULL);
}

static void test_json_output(void)
{
    write_snapshot("utf8.h5", "bad\xff\xfe name \xc3\xa9 \xe0\x80\xaf");
    GT_ASSERT_INT_EQ(run_cli("info -f json utf8.h5"), 0);
    char *text = read_text(out_path);
    GT_ASSERT(is_utf8((const unsigned char *)text));
    GT_ASSERT_STR_CONTAINS(text, "bad\\ufffd\\ufffd name \xc3\xa9 \\ufffd\\ufffd\\ufffd");
    free(text);
    int python = gtap_test_system("python3 -c pass", NULL, NULL) == 0;
    if (python) GT_ASSERT_INT_EQ(python_parses_json(), 0);
    write_snapshot("fit.h5", "w");
    GT_ASSERT_INT_EQ(run_cli("fit -f json --hist 4 --qq 3 fit.h5"), 0);
    text = read_text(out_path);
    GT_ASSERT_STR_STARTS_WITH(text, "{\"fit\": [");
    GT_ASSERT_STR_CONTAINS(text, ", \"hist\": [");
    GT_ASSERT_STR_CONTAINS(text, ", \"qq\": [");
    free(text);
    if (python) GT_ASSERT_INT_EQ(python_parses_json(), 0);
}

int main(int argc, char **argv)
{
    snprintf(out_path, sizeof out_path, "%s", gtap_test_path("stdout.txt"));
    snprintf(err_path, sizeof err_path, "%s", gtap_test_path("stderr.txt"));
    CU_TestInfo tests[] = {
        {"a FIFO: every reading command exits 2 at once", test_fifo_every_command},
        {"LIBSVM: index 2^31, NUL byte, mixed labels; empty --methods", test_libsvm_inputs},
        {"--k with --density", test_k_with_density},
        {".npy header with a key twice", test_npy_key_twice},
        {"a file locked by a writer", test_locked_file},
        {"JSON: invalid UTF-8 names, fit --hist as one document", test_json_output},
        CU_TEST_INFO_NULL,
    };
    CU_SuiteInfo suites[] = {{"cli_inputs", NULL, NULL, NULL, NULL, tests}, CU_SUITE_INFO_NULL};
    return gtap_test_run(argc, argv, suites);
}
