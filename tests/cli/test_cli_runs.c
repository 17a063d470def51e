/* test_cli_runs.c - runs as one input (docs/CLI.md, "Runs and rank sets"):
 * every reading command (info, bounds, fit, curve, recover) takes a run
 * name for its rank files; rank files of different runs, a run with a rank
 * missing and a rank given twice give one warning line (exit 0), or with
 * --strict exit 2; and info's rows with summaries, their densities, and a
 * table that stays aligned and within 120 columns. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_run.h"
#include "gradtap/capture.h"
#include "gradtap/format.h"
#include "gtap_test.h"

/* Each reading command, and what its output shows when rank 1's file was read. */
static const struct {
    const char *command;
    const char *rank1_seen;
} commands[] = {
    {"info", "run.rank00001.h5: rank 1 of 2"},
    {"bounds -f csv --no-selectors", "\n1,"},
    {"fit -f csv", "\n1,"},
    {"curve -f csv", "\n1,"},
    {"recover --dry-run", "run.rank00001.h5: nothing to do"},
};
enum { COMMAND_COUNT = sizeof commands / sizeof commands[0] };

static void write_rank(const char *name, int rank, int world_size, const char *run_id)
{
    gtap_writer_options options;
    gtap_writer_options_init(&options);
    options.truncate = 1;
    options.rank = rank;
    options.world_size = world_size;
    options.run_id = run_id;
    gtap_writer *writer = NULL;
    float values[200];
    for (int i = 0; i < 200; i++) values[i] = (float)((i * 7 + rank) % 23) - 11.0f;
    GT_ASSERT_OK(gtap_writer_create(gtap_test_path(name), &options, &writer));
    GT_ASSERT_OK(gtap_writer_add_tensor(writer, "layer.w", 200, GTAP_FLOAT32));
    for (int s = 0; s < 2; s++) GT_ASSERT_OK(gtap_writer_write(writer, "layer.w", GTAP_KIND_GRAD, s, values));
    GT_ASSERT_OK(gtap_writer_close(writer));
}

static void write_run(const char *name, const char *run_id)
{
    char path[256];
    for (int r = 0; r < 2; r++) {
        snprintf(path, sizeof path, "%s.rank%05d.h5", name, r);
        write_rank(path, r, 2, run_id);
    }
}

/* `gradtap COMMAND ARGUMENTS` exits `want`; its stderr is empty (needle
 * NULL) or one line containing `needle`. @return its stdout (free it). */
static char *expect(const char *command, const char *arguments, int want, const char *needle)
{
    char line[1024];
    snprintf(line, sizeof line, "%s %s", command, arguments);
    int rc = gtap_cli_run(line);
    char *err = gtap_cli_run_stderr(), *out = gtap_cli_run_stdout();
    char *summary = strstr(err, "\nsummary (per "); /* bounds -f csv: its summary table goes to stderr */
    if (summary) *summary = '\0';
    int ok = rc == want && (needle ? gtap_cli_run_lines(err) == 1 && strstr(err, needle) != NULL : err[0] == '\0');
    gtap_test_assert(ok, 0, __LINE__, __FILE__, "`gradtap %s`: exit %d and %s '%s' (got exit %d, stderr: %s)", line, want,
                     needle ? "one line with" : "no stderr", needle ? needle : "", rc, err);
    free(err);
    return out;
}

/* Every command: a warning and exit 0, or with --strict exit 2 and no output. */
static void expect_warning_everywhere(const char *arguments, const char *needle)
{
    char strict[512];
    snprintf(strict, sizeof strict, "--strict %s", arguments);
    for (int c = 0; c < COMMAND_COUNT; c++) {
        free(expect(commands[c].command, arguments, 0, needle));
        char *out = expect(commands[c].command, strict, 2, needle);
        GT_ASSERT_STR_EQ(out, "");
        free(out);
    }
}

static void test_run_name_every_command(void)
{
    write_run("run", "A");
    static const char *names[] = {"run", "run.h5"};
    for (int n = 0; n < 2; n++)
        for (int c = 0; c < COMMAND_COUNT; c++) {
            char *out = expect(commands[c].command, names[n], 0, NULL);
            gtap_test_assert(strstr(out, commands[c].rank1_seen) != NULL, 0, __LINE__, __FILE__,
                             "`gradtap %s %s` read rank 1 (looked for '%s' in: %s)", commands[c].command, names[n],
                             commands[c].rank1_seen, out);
            free(out);
        }
    for (int c = 0; c < COMMAND_COUNT; c++)
        free(expect(commands[c].command, "nothing", 2, "nothing: no such snapshot file, and no rank files nothing.rankNNNNN.h5"));
}

static void test_consistent_sets_no_warning(void)
{
    write_run("run", "A");
    write_run("other", "B");
    write_rank("single.h5", 0, 1, NULL);
    static const char *sets[] = {
        "run.rank00000.h5 run.rank00001.h5", /* the whole run, file by file */
        "run.rank00001.h5",                  /* one rank of an intact run, on purpose */
        "run other single.h5",               /* different runs by name: compared on purpose */
    };
    for (size_t s = 0; s < sizeof sets / sizeof sets[0]; s++)
        for (int c = 0; c < COMMAND_COUNT; c++) free(expect(commands[c].command, sets[s], 0, NULL));
}

static void test_mixed_runs_warn(void)
{
    write_run("run", "A");
    write_rank("run.rank00001.h5", 1, 2, "B");
    expect_warning_everywhere("run", "run.rank00000.h5 and run.rank00001.h5 are files of different runs "
                                     "(run id 'A' vs 'B')");
    write_rank("run.rank00001.h5", 1, 3, "A");
    expect_warning_everywhere("run.rank00000.h5 run.rank00001.h5", "are files of different runs (world size 2 vs 3)");
}

static void test_missing_rank_warns(void)
{
    write_run("run", "A");
    GT_ASSERT_INT_EQ(unlink(gtap_test_path("run.rank00001.h5")), 0);
    expect_warning_everywhere("run", "run 'run' (world size 2, 1 of its files given): no file for rank 1 (run.rank00001.h5)");
    expect_warning_everywhere("run.rank00000.h5", "no file for rank 1");
}

static void test_rank_twice_warns(void)
{
    write_run("run", "A");
    expect_warning_everywhere("run.rank00000.h5 run.rank00000.h5",
                              "run.rank00000.h5 and run.rank00000.h5 are both rank 0 of run 'run'");
    write_rank("run.rank00001.h5", 0, 2, "A"); /* named rank 1, records rank 0 */
    expect_warning_everywhere("run", "are both rank 0 of run 'run' (and 1 more problem)");
}

static const char long_name[] = "model.encoder.layers.0123456789.0123456789.0123456789.0123456789.attention."
                                "0123456789.0123456789.0123456789.0123456789.query_key_value.weight";
static const char typical_name[] = "model.layers.11.self_attn.q_proj.weight"; /* 39 bytes */

/* info.h: snapshots at even steps 0..4, summaries at every step 0..5 with
 * densities 0.01 and 0.2; "summary.only" is recorded at odd steps only, so
 * it has summaries (1, 3, 5) and no snapshot. */
static void write_summaries(int with_long_name)
{
    gtap_capture_options options;
    gtap_capture_options_init(&options);
    options.quiet = 1;
    options.rank = 0;
    options.world_size = 1;
    options.truncate = 1;
    options.every = 2;
    options.summary_every = 1;
    const double densities[2] = {0.01, 0.2};
    options.densities = densities;
    options.density_count = 2;
    gtap_capture *capture = NULL;
    GT_ASSERT_OK(gtap_capture_open(gtap_test_path("info.h5"), &options, &capture));
    const char *names[3] = {"short.w", "summary.only", with_long_name ? long_name : typical_name};
    int ids[3];
    float values[64];
    for (int i = 0; i < 64; i++) values[i] = (float)(i % 9) - 4.0f;
    for (int t = 0; t < 3; t++) GT_ASSERT_OK(gtap_capture_register(capture, names[t], 64, GTAP_FLOAT32, &ids[t]));
    for (int step = 0; step < 6; step++)
        for (int t = 0; t < 3; t++)
            if (t != 1 || step % 2 == 1) GT_ASSERT_OK(gtap_capture_record(capture, ids[t], GTAP_KIND_GRAD, step, values));
    GT_ASSERT_OK(gtap_capture_close(capture, NULL));
}

static void test_info_summaries(void)
{
    write_summaries(1);
    char *out = expect("info", "-f csv info.h5", 0, NULL);
    GT_ASSERT_STR_STARTS_WITH(out, "file,rank,world_size,tensor,kind,numel,dtype,steps,first_step,last_step,bytes,"
                                   "compression,complete,summaries,first_summary_step,last_summary_step,summary_densities\n");
    GT_ASSERT_STR_CONTAINS(out, "info.h5,0,1,short.w,grad,64,float32,3,0,4,");
    GT_ASSERT_STR_CONTAINS(out, ",none,1,6,0,5,\"0.01,0.2\"\n");
    GT_ASSERT_STR_CONTAINS(out, "info.h5,0,1,summary.only,grad,64,float32,0,nan,nan,");
    GT_ASSERT_STR_CONTAINS(out, ",none,1,3,1,5,\"0.01,0.2\"\n");
    GT_ASSERT_STR_CONTAINS(out, long_name); /* machine formats: the full name */
    free(out);
    out = expect("info", "-f json info.h5", 0, NULL);
    GT_ASSERT_STR_CONTAINS(out, "\"tensor\": \"summary.only\", \"kind\": \"grad\"");
    GT_ASSERT_STR_CONTAINS(out, "\"first_step\": null, \"last_step\": null");
    GT_ASSERT_STR_CONTAINS(out, "\"summaries\": 3, \"first_summary_step\": 1, \"last_summary_step\": 5, "
                                "\"summary_densities\": \"0.01,0.2\"");
    GT_ASSERT_STR_CONTAINS(out, long_name);
    free(out);
}

/* The rows of the table under the heading line: every column starts where
 * its header does, and no line is wider than 120 columns. */
static void check_table(const char *text, int expect_elided)
{
    const char *header = strstr(text, "\ntensor ");
    GT_ASSERT_NOT_NULL_FATAL(header);
    header++;
    const char *end = strchr(header, '\n');
    GT_ASSERT_NOT_NULL_FATAL(end);
    static const char *columns[] = {"kind", "numel", "dtype", "snapshots", "summaries", "densities"};
    int rows = 0, elided = 0;
    for (const char *line = end + 1; *line && *line != '\n'; line = strchr(line, '\n') + 1, rows++) {
        const char *line_end = strchr(line, '\n');
        GT_ASSERT_NOT_NULL_FATAL(line_end);
        GT_ASSERT_INT_CMP((int)(line_end - line), <=, 120);
        GT_ASSERT_INT_CMP((int)(line_end - line), ==, (int)(end - header));
        for (size_t c = 0; c < sizeof columns / sizeof columns[0]; c++) {
            int at = (int)(strstr(header, columns[c]) - header);
            if (c == 1) at += 4; /* numel is right-aligned: its last digit under the header's 'l' */
            int starts = c == 1 ? line[at] >= '0' && line[at] <= '9' && line[at + 1] == ' '
                                : line[at - 1] == ' ' && line[at] != ' ';
            gtap_test_assert(starts, 0, __LINE__, __FILE__, "column %s at %d in: %.*s", columns[c], at,
                             (int)(line_end - line), line);
        }
        elided += strstr(line, "...") != NULL && line[0] == 'm';
    }
    GT_ASSERT_INT_EQ(rows, 3);
    GT_ASSERT_INT_EQ(elided, expect_elided);
}

static void test_info_table_aligned(void)
{
    write_summaries(1);
    char *out = expect("info", "info.h5", 0, NULL);
    GT_ASSERT_STR_STARTS_WITH(out, "info.h5: rank 0 of 1, ");
    GT_ASSERT(strstr(out, long_name) == NULL); /* shortened in the middle */
    GT_ASSERT_STR_CONTAINS(out, "model.encoder.layers.");
    GT_ASSERT_STR_CONTAINS(out, "query_key_value.weight ");
    GT_ASSERT_STR_CONTAINS(out, "3: 0..4");
    GT_ASSERT_STR_CONTAINS(out, "6: 0..5");
    GT_ASSERT_STR_CONTAINS(out, "0.01,0.2");
    check_table(out, 1);
    free(out);
    write_summaries(0);
    out = expect("info", "info.h5", 0, NULL);
    GT_ASSERT_STR_CONTAINS(out, typical_name); /* a typical name is shown whole */
    check_table(out, 0);
    free(out);
}

int main(int argc, char **argv)
{
    CU_TestInfo tests[] = {
        {"a run name: every command reads all its ranks", test_run_name_every_command},
        {"whole runs, a deliberate subset, several runs: no warning", test_consistent_sets_no_warning},
        {"files of different runs: warning, --strict exit 2", test_mixed_runs_warn},
        {"a rank missing: warning, --strict exit 2", test_missing_rank_warns},
        {"a rank twice: warning, --strict exit 2", test_rank_twice_warns},
        {"info: summaries and their densities, csv and json", test_info_summaries},
        {"info: the table aligned, long names shortened, <= 120 columns", test_info_table_aligned},
        CU_TEST_INFO_NULL,
    };
    CU_SuiteInfo suites[] = {{"cli_runs", NULL, NULL, NULL, NULL, tests}, CU_SUITE_INFO_NULL};
    return gtap_test_run(argc, argv, suites);
}
