/* test_crash.c - crash safety: crash_child captures continuously and is
 * killed with SIGKILL 24 times (seeds printed). The kill is driven by events,
 * not by the clock: it comes right after the child's N-th "FLUSHED" report,
 * with N drawn from the seed, so the test means the same on an idle machine
 * and under `ctest -j8`. Every step the child reported as flushed must read
 * back bit for bit with gradtap's reader, before and after `gradtap
 * recover`, and its summaries must be there. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "crash_data.h"
#include "gradtap/format.h"
#include "gradtap/summary.h"
#include "gtap_test.h"
#include "summary_check.h"

#ifndef CRASH_CHILD
#error "CRASH_CHILD must name the crash_child program"
#endif

enum {
    KILLS = 24,              /* GTAP_CRASH_KILLS overrides (the TSan pass uses fewer) */
    MAX_REPORTS = 12,        /* the kill follows report 1..MAX_REPORTS */
    CHILD_LIMIT_SECONDS = 120 /* a child that reports nothing this long fails the test */
};

static double now_seconds(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + 1e-9 * (double)now.tv_nsec;
}

/* Parse "FLUSHED <step>" lines from `text`, keeping the largest step;
 * returns how many reports were parsed. */
static int parse_lines(char *text, size_t *used, int64_t *flushed)
{
    int reports = 0;
    char *start = text;
    char *newline;
    while ((newline = memchr(start, '\n', (size_t)(text + *used - start))) != NULL) {
        *newline = '\0';
        long long step;
        if (sscanf(start, "FLUSHED %lld", &step) == 1) {
            reports++;
            if (step > *flushed) *flushed = step;
        }
        start = newline + 1;
    }
    size_t rest = (size_t)(text + *used - start);
    memmove(text, start, rest);
    *used = rest;
    return reports;
}

/* Run the child until it has reported `reports` flushes, SIGKILL it at once,
 * and return the last step it reported flushed (reports that were already in
 * the pipe when the kill came count too). */
static int64_t run_and_kill(const char *path, uint64_t seed, int reports, int summaries_only)
{
    int pipe_ends[2];
    GT_ASSERT_FATAL(pipe(pipe_ends) == 0);
    pid_t child = fork();
    GT_ASSERT_FATAL(child >= 0);
    if (child == 0) {
        dup2(pipe_ends[1], STDOUT_FILENO);
        close(pipe_ends[0]);
        close(pipe_ends[1]);
        char seed_text[32];
        snprintf(seed_text, sizeof seed_text, "%" PRIu64, seed);
        if (summaries_only) execl(CRASH_CHILD, CRASH_CHILD, path, seed_text, "summaries", (char *)NULL);
        else execl(CRASH_CHILD, CRASH_CHILD, path, seed_text, (char *)NULL);
        _exit(127);
    }
    close(pipe_ends[1]);
    char text[4096];
    size_t used = 0;
    int64_t flushed = -1;
    int seen = 0;
    double deadline = now_seconds() + CHILD_LIMIT_SECONDS;
    while (seen < reports) {
        double left = deadline - now_seconds();
        if (left <= 0) break;
        struct pollfd poll_entry = {pipe_ends[0], POLLIN, 0};
        if (poll(&poll_entry, 1, (int)(left * 1000) + 1) <= 0) continue;
        ssize_t got = read(pipe_ends[0], text + used, sizeof text - 1 - used);
        if (got <= 0) break; /* the child died by itself: reported below */
        used += (size_t)got;
        seen += parse_lines(text, &used, &flushed);
    }
    kill(child, SIGKILL);
    ssize_t got;
    while ((got = read(pipe_ends[0], text + used, sizeof text - 1 - used)) > 0) {
        used += (size_t)got;
        parse_lines(text, &used, &flushed);
    }
    close(pipe_ends[0]);
    int status = 0;
    waitpid(child, &status, 0);
    gtap_test_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, 0, __LINE__, __FILE__,
                     "seed %" PRIu64 ": the child ended by itself (status 0x%x) instead of being killed", seed, status);
    gtap_test_assert(seen >= reports, 0, __LINE__, __FILE__,
                     "seed %" PRIu64 ": the child made %d of %d flush reports in %d s", seed, seen, reports,
                     CHILD_LIMIT_SECONDS);
    return flushed;
}

/* Summary `row` of (tensor index, kind) is that of step `step`, whose data
 * is `data`: exactly what gtap_summary_compute() gives for it. */
static void check_summary(gtap_reader *reader, size_t index, gtap_kind kind, size_t row, int64_t step,
                          const void *data, uint64_t numel, gtap_dtype dtype, uint64_t seed, const char *when)
{
    gtap_summary stored, computed;
    GT_ASSERT_OK(gtap_summary_read(reader, index, kind, row, &stored));
    GT_ASSERT_OK(gtap_summary_compute(dtype, data, numel, stored.densities, stored.density_count, NULL, &computed));
    computed.step = step;
    gtap_test_assert(summary_same(&stored, &computed), 0, __LINE__, __FILE__,
                     "seed %" PRIu64 " (%s): tensor %zu kind %d summary %zu (step %" PRId64 ", stored step %" PRId64
                     ") differs from gtap_summary_compute", seed, when, index, (int)kind, row, step, stored.step);
}

/* The summaries-only victim: every tensor has a summary of every step
 * <= flushed, and every summary present (those after `flushed` included) is
 * the complete summary of its step. */
static void verify_summaries(const char *path, uint64_t seed, int64_t flushed, const char *when)
{
    gtap_reader *reader = NULL;
    int rc = gtap_reader_open(path, &reader);
    gtap_test_assert(rc == GTAP_OK, 1, __LINE__, __FILE__, "seed %" PRIu64 " (%s): open failed: %s", seed, when,
                     gtap_last_error());
    unsigned char *data = malloc(crash_summary_numel(CRASH_SUMMARY_TENSORS - 1) * 4 + 4 * 3000);
    for (int t = 0; t < CRASH_SUMMARY_TENSORS; t++) {
        char name[32];
        snprintf(name, sizeof name, "tensor.%d", t);
        size_t index, count = 0;
        GT_ASSERT_OK(gtap_reader_find_tensor(reader, name, &index));
        GT_ASSERT_OK(gtap_summary_count(reader, index, GTAP_KIND_GRAD, &count));
        gtap_test_assert(count >= (size_t)(flushed + 1), 0, __LINE__, __FILE__,
                         "seed %" PRIu64 " (%s): %s has %zu summaries, flushed through step %" PRId64, seed, when,
                         name, count, flushed);
        for (size_t row = 0; row < count; row++) {
            crash_fill_elements(data, seed, t, GTAP_KIND_GRAD, (int64_t)row, crash_summary_numel(t),
                                crash_summary_dtype(t));
            check_summary(reader, index, GTAP_KIND_GRAD, row, (int64_t)row, data, crash_summary_numel(t),
                          crash_summary_dtype(t), seed, when);
        }
    }
    free(data);
    gtap_reader_close(reader);
}

/* Every step <= flushed of every tensor and kind is there, and every step the
 * reader lists (those after `flushed` included: a snapshot is complete or
 * absent, never half-written) reads back exactly, as do its summaries. */
static void verify(const char *path, uint64_t seed, int64_t flushed, const char *when)
{
    gtap_reader *reader = NULL;
    int rc = gtap_reader_open(path, &reader);
    gtap_test_assert(rc == GTAP_OK, 1, __LINE__, __FILE__, "seed %" PRIu64 " (%s): open failed: %s", seed, when,
                     gtap_last_error());
    unsigned char *expected = malloc(crash_numel(CRASH_TENSORS - 1) * 4);
    unsigned char *got = malloc(crash_numel(CRASH_TENSORS - 1) * 4);
    for (int t = 0; t < CRASH_TENSORS; t++) {
        char name[32];
        snprintf(name, sizeof name, "tensor.%d", t);
        size_t index;
        GT_ASSERT_OK(gtap_reader_find_tensor(reader, name, &index));
        uint64_t numel = crash_numel(t);
        size_t bytes = numel * gtap_dtype_size(crash_dtype(t));
        for (int kind = 0; kind < 2; kind++) {
            size_t count = 0;
            GT_ASSERT_OK(gtap_reader_steps(reader, index, (gtap_kind)kind, NULL, 0, &count));
            gtap_test_assert(count >= (size_t)(flushed + 1), 0, __LINE__, __FILE__,
                             "seed %" PRIu64 " (%s): %s kind %d has %zu snapshots, flushed through step %" PRId64, seed,
                             when, name, kind, count, flushed);
            int64_t *steps = malloc((count + 1) * sizeof *steps);
            GT_ASSERT_OK(gtap_reader_steps(reader, index, (gtap_kind)kind, steps, count, &count));
            for (size_t row = 0; row < count; row++) {
                int64_t step = steps[row];
                gtap_test_assert(step == (int64_t)row, 0, __LINE__, __FILE__,
                                 "seed %" PRIu64 " (%s): %s kind %d row %zu has step %" PRId64, seed, when, name,
                                 kind, row, step);
                crash_fill(expected, seed, t, kind, step);
                rc = gtap_reader_read_raw(reader, index, (gtap_kind)kind, step, 0, numel, got);
                gtap_test_assert(rc == GTAP_OK && memcmp(expected, got, bytes) == 0, 0, __LINE__, __FILE__,
                                 "seed %" PRIu64 " (%s): %s kind %d step %" PRId64 " (flushed through %" PRId64
                                 ") does not read back (%s)", seed, when, name, kind, step, flushed,
                                 rc == GTAP_OK ? "bits differ" : gtap_last_error());
            }
            free(steps);
            size_t summaries = 0;
            GT_ASSERT_OK(gtap_summary_count(reader, index, (gtap_kind)kind, &summaries));
            gtap_test_assert(summaries >= (size_t)(flushed / 2 + 1), 0, __LINE__, __FILE__,
                             "seed %" PRIu64 " (%s): %zu summaries, flushed through step %" PRId64, seed, when,
                             summaries, flushed);
            for (size_t row = 0; row < summaries; row++) {
                crash_fill(expected, seed, t, kind, 2 * (int64_t)row);
                check_summary(reader, index, (gtap_kind)kind, row, 2 * (int64_t)row, expected, numel, crash_dtype(t),
                              seed, when);
            }
        }
    }
    free(expected);
    free(got);
    gtap_reader_close(reader);
}

/* Run the victim (summaries_only: the summaries-only one) and kill it
 * `kills` times after a random flush report, checking the file each time;
 * with the CLI known, every fourth file again after `gradtap recover`. */
static void kill_repeatedly(const char *name, const char *file, int kills, int summaries_only)
{
    uint64_t state = gtap_test_seed(name);
    const char *cli = getenv("GRADTAP_CLI");
    for (int kill_index = 0; kill_index < kills; kill_index++) {
        uint64_t seed = gtap_test_rand_u64(&state);
        int reports = 1 + (int)(gtap_test_rand_u64(&state) % MAX_REPORTS);
        char path[600];
        snprintf(path, sizeof path, "%s", gtap_test_path(file));
        unlink(path);
        int64_t flushed = run_and_kill(path, seed, reports, summaries_only);
        printf("%s: kill %d, seed %" PRIu64 ", after flush report %d, flushed through step %" PRId64 "\n", name,
               kill_index, seed, reports, flushed);
        if (flushed < 0) continue; /* already failed in run_and_kill */
        void (*check)(const char *, uint64_t, int64_t, const char *) = summaries_only ? verify_summaries : verify;
        check(path, seed, flushed, "as left by the kill");
        if (cli != NULL && kill_index % 4 == 0) {
            char command[2048];
            snprintf(command, sizeof command, "'%s' recover '%s'", cli, path);
            int status = gtap_test_system(command, NULL, NULL);
            gtap_test_assert(status == 0, 0, __LINE__, __FILE__, "%s exited with %d", command, status);
            check(path, seed, flushed, "after gradtap recover");
        }
    }
}

static int kills_wanted(int divisor)
{
    const char *kills_text = getenv("GTAP_CRASH_KILLS");
    int kills = kills_text != NULL && atoi(kills_text) > 0 ? atoi(kills_text) : KILLS;
    return (kills + divisor - 1) / divisor;
}

static void test_sigkill_after_flush_reports(void)
{
    kill_repeatedly("capture crash test", "crash.h5", kills_wanted(1), 0);
}

/* Summaries every step of many tensors (their rows are written in batches
 * at each flush): after a kill at a random flush report, every summary of a
 * flushed step is there and every summary present is complete and exact. */
static void test_sigkill_summaries_every_step(void)
{
    kill_repeatedly("capture crash test, summaries every step", "crash_summaries.h5", kills_wanted(4), 1);
}

static CU_TestInfo crash_tests[] = {
    {"SIGKILL after the N-th flush report, 24 times: every flushed step reads back", test_sigkill_after_flush_reports},
    {"SIGKILL with summaries of 16 tensors every step, 6 times: every flushed summary reads back exactly",
     test_sigkill_summaries_every_step},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"crash", NULL, NULL, NULL, NULL, crash_tests},
    CU_SUITE_INFO_NULL,
};

int main(int argc, char **argv)
{
    return gtap_test_run(argc, argv, suites);
}
