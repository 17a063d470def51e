/* test_cli_outputs.c - outputs of the `gradtap` command (docs/RELIABILITY.md):
 * -o refuses to replace what is not a results file of the command unless
 * --force; import and converge --capture on a full disk (ulimit -f,
 * SIGXFSZ ignored) leave no output (new file) or the old one byte for byte
 * (append, a re-run), and no temporary file behind. */
#include <dirent.h>
#include <stdlib.h>

#include "gtap_test.h"

static char out_path[1024], err_path[1024];

/* Run `gradtap <arguments>` after the shell commands `before` (e.g. a
 * ulimit; SIGXFSZ is ignored, so writes past it fail with EFBIG). */
static int run_limited(const char *before, const char *arguments)
{
    const char *cli = getenv("GRADTAP_CLI");
    char command[4096];
    snprintf(command, sizeof command, "cd '%s' && trap '' XFSZ && %s '%s' %s", gtap_test_tmpdir(), before,
             cli ? cli : "gradtap", arguments);
    return gtap_test_system(command, out_path, err_path);
}

static int run_cli(const char *arguments)
{
    return run_limited("", arguments);
}

static void init_paths(void)
{
    snprintf(out_path, sizeof out_path, "%s", gtap_test_path("stdout.txt"));
    snprintf(err_path, sizeof err_path, "%s", gtap_test_path("stderr.txt"));
}

static char *read_text(const char *path)
{
    char *text = gtap_test_read_file(path, NULL);
    return text ? text : calloc(1, 1);
}

static void write_floats(const char *name, size_t count, float value)
{
    FILE *file = fopen(gtap_test_path(name), "wb");
    for (size_t i = 0; i < count; i++) fwrite(&value, sizeof value, 1, file);
    fclose(file);
}

/* Files in the test directory whose name contains ".tmp-". */
static int temporary_files(void)
{
    DIR *directory = opendir(gtap_test_tmpdir());
    int found = 0;
    for (struct dirent *entry; directory && (entry = readdir(directory)) != NULL;) found += strstr(entry->d_name, ".tmp-") != NULL;
    if (directory) closedir(directory);
    return found;
}

static void assert_refused(const char *arguments, const char *file)
{
    int rc = run_cli(arguments);
    char *text = read_text(err_path);
    gtap_test_assert(rc == 2 && strstr(text, file) && strstr(text, "--force"), 0, __LINE__, __FILE__,
                     "`gradtap %s` exits 2 naming %s and --force: got %d, %s", arguments, file, rc, text);
    free(text);
}

static void test_outputs_do_not_replace_inputs(void)
{
    init_paths();
    write_floats("g_1.f32", 1000, 0.5f);
    GT_ASSERT_INT_EQ(run_cli("import -o snap.h5 g_1.f32"), 0);
    size_t before_length = 0, after_length = 0;
    char *before = gtap_test_read_file(gtap_test_path("snap.h5"), &before_length);
    assert_refused("bounds -o snap.h5 snap.h5", "snap.h5");
    assert_refused("fit -o snap.h5 snap.h5", "snap.h5");
    char *after = gtap_test_read_file(gtap_test_path("snap.h5"), &after_length);
    GT_ASSERT_U64_EQ(after_length, before_length);
    GT_ASSERT_MEM_EQ(after, before, before_length);
    free(after);
    FILE *notes = fopen(gtap_test_path("notes.txt"), "w");
    fputs("my notes\n", notes);
    fclose(notes);
    assert_refused("curve -o notes.txt snap.h5", "notes.txt");
    char *text = read_text(gtap_test_path("notes.txt"));
    GT_ASSERT_STR_EQ(text, "my notes\n");
    free(text);
    GT_ASSERT_INT_EQ(run_cli("bounds -o results.h5 snap.h5"), 0);
    GT_ASSERT_INT_EQ(run_cli("bounds -o results.h5 snap.h5"), 0); /* its own results file may be replaced */
    GT_ASSERT_INT_EQ(run_cli("curve --force -o notes.txt snap.h5"), 0);
    GT_ASSERT_INT_EQ(temporary_files(), 0);
    free(before);
}

/* converge -o and --capture: a snapshot or text file is refused (and left
 * as it was), converge's own outputs are replaced, --force replaces any. */
static void test_converge_outputs(void)
{
    init_paths();
    write_floats("conv_1.f32", 1000, 0.5f);
    GT_ASSERT_INT_EQ(run_cli("import -o conv_snap.h5 conv_1.f32"), 0);
    size_t before_length = 0, after_length = 0;
    char *before = gtap_test_read_file(gtap_test_path("conv_snap.h5"), &before_length);
    FILE *notes = fopen(gtap_test_path("conv_notes.txt"), "w");
    fputs("my notes\n", notes);
    fclose(notes);
    const char *quick = "converge --quick --methods topk --n 400 --d 50 --epochs 0.2";
    char arguments[512];
    snprintf(arguments, sizeof arguments, "%s --capture conv_snap.h5", quick);
    assert_refused(arguments, "conv_snap.h5");
    snprintf(arguments, sizeof arguments, "%s -o conv_snap.h5", quick);
    assert_refused(arguments, "conv_snap.h5");
    snprintf(arguments, sizeof arguments, "%s -o conv_notes.txt", quick);
    assert_refused(arguments, "conv_notes.txt");
    char *after = gtap_test_read_file(gtap_test_path("conv_snap.h5"), &after_length);
    GT_ASSERT_U64_EQ(after_length, before_length);
    GT_ASSERT_MEM_EQ(after, before, before_length);
    char *text = read_text(gtap_test_path("conv_notes.txt"));
    GT_ASSERT_STR_EQ(text, "my notes\n");
    free(text);
    snprintf(arguments, sizeof arguments, "%s -o curves.csv -o curves.h5 --capture run.h5", quick);
    GT_ASSERT_INT_EQ(run_cli(arguments), 0);
    snprintf(arguments, sizeof arguments, "%s -o curves.csv -o curves.h5", quick);
    GT_ASSERT_INT_EQ(run_cli(arguments), 0); /* its own outputs are replaced */
    snprintf(arguments, sizeof arguments, "%s --capture run.h5", quick);
    assert_refused(arguments, "run.h5");     /* a snapshot file, even its own, needs --force */
    snprintf(arguments, sizeof arguments, "%s --capture conv_snap.h5 -o conv_notes.txt --force", quick);
    GT_ASSERT_INT_EQ(run_cli(arguments), 0);
    GT_ASSERT_INT_EQ(temporary_files(), 0);
    free(before);
    free(after);
}

static int exists(const char *name)
{
    FILE *file = fopen(gtap_test_path(name), "rb");
    if (file) fclose(file);
    return file != NULL;
}

static void test_import_on_a_full_disk_leaves_outputs_as_they_were(void)
{
    init_paths();
    write_floats("big_1.f32", 1 << 18, 1.5f); /* 1 MiB each */
    write_floats("big_2.f32", 1 << 18, 2.5f);
    write_floats("big_3.f32", 1 << 18, 3.5f);
    /* a new file: nothing may be left, neither OUT nor its temporary */
    int rc = run_limited("ulimit -f 1500 &&", "import -o new.h5 big_1.f32 big_2.f32 big_3.f32");
    char *text = read_text(err_path);
    printf("import, full disk, new file: exit %d, stderr: %s", rc, text);
    GT_ASSERT_INT_EQ(rc, 2); /* one line and exit 2, not a crash in HDF5's exit handler */
    GT_ASSERT_STR_CONTAINS(text, "new.h5 is left as it was");
    free(text);
    GT_ASSERT(!exists("new.h5"));
    /* an append: the old file stays as it was, byte for byte */
    GT_ASSERT_INT_EQ(run_cli("import -o old.h5 big_1.f32"), 0);
    size_t before_length = 0, after_length = 0;
    char *before = gtap_test_read_file(gtap_test_path("old.h5"), &before_length);
    rc = run_limited("ulimit -f 2500 &&", "import -o old.h5 big_2.f32 big_3.f32");
    text = read_text(err_path);
    printf("import, full disk, append: exit %d, stderr: %s", rc, text);
    GT_ASSERT_INT_EQ(rc, 2);
    GT_ASSERT_STR_CONTAINS(text, "old.h5 is left as it was");
    free(text);
    char *after = gtap_test_read_file(gtap_test_path("old.h5"), &after_length);
    GT_ASSERT_U64_EQ(after_length, before_length);
    GT_ASSERT_MEM_EQ(after, before, before_length);
    GT_ASSERT_INT_EQ(run_cli("info old.h5"), 0);
    GT_ASSERT_INT_EQ(temporary_files(), 0);
    free(before);
    free(after);
}

/* converge --capture on a full disk: exit 2, no capture file of the failed
 * run in place (they are written aside), an earlier run's files byte for
 * byte, no temporary file behind; without the limit the files appear. */
static void test_converge_capture_on_a_full_disk(void)
{
    init_paths();
    const char *run = "converge --quick --methods topk,dense --n 2000 --d 500 --epochs 2 --capture full.h5";
    int rc = run_limited("ulimit -f 200 &&", run);
    char *text = read_text(err_path);
    printf("converge --capture, full disk: exit %d, stderr: %s", rc, text);
    GT_ASSERT_INT_EQ(rc, 2);
    GT_ASSERT_STR_CONTAINS(text, "capture was turned off");
    free(text);
    GT_ASSERT(!exists("full.topk.h5") && !exists("full.dense.h5"));
    GT_ASSERT_INT_EQ(temporary_files(), 0);
    GT_ASSERT_INT_EQ(run_cli(run), 0);
    size_t before_length = 0, after_length = 0;
    char *before = gtap_test_read_file(gtap_test_path("full.topk.h5"), &before_length);
    GT_ASSERT(before != NULL && exists("full.dense.h5"));
    char forced[512];
    snprintf(forced, sizeof forced, "%s --force --seed 2", run);
    GT_ASSERT_INT_EQ(run_limited("ulimit -f 200 &&", forced), 2);
    char *after = gtap_test_read_file(gtap_test_path("full.topk.h5"), &after_length);
    GT_ASSERT_U64_EQ(after_length, before_length);
    if (after && before) GT_ASSERT_MEM_EQ(after, before, before_length);
    GT_ASSERT_INT_EQ(run_cli("info full.topk.h5"), 0);
    GT_ASSERT_INT_EQ(temporary_files(), 0);
    free(before);
    free(after);
}

static CU_TestInfo output_tests[] = {
    {"-o refuses snapshot and text files without --force", test_outputs_do_not_replace_inputs},
    {"import on a full disk leaves the output as it was", test_import_on_a_full_disk_leaves_outputs_as_they_were},
    {"converge -o and --capture refuse what they did not write", test_converge_outputs},
    {"converge --capture on a full disk leaves earlier files as they were", test_converge_capture_on_a_full_disk},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"cli_outputs", NULL, NULL, NULL, NULL, output_tests},
    CU_SUITE_INFO_NULL,
};

int main(int argc, char **argv)
{
    return gtap_test_run(argc, argv, suites);
}
