/* fuzz_driver.c - the main() of a fuzz harness when it is not built with
 * libFuzzer (as zstd's tests/fuzz/regression_driver.c): replay every file of
 * the seed corpus, then run deterministic mutations of it (fuzz_mutate.c)
 * for a bounded number of cases or seconds.
 *
 *   fuzz_NAME [--seed N] [--iterations N] [--seconds S] [--case-timeout S]
 *             [--artifacts DIR] [--in-process] CORPUS_DIR_OR_FILE...
 *
 * The cases run in a child process, so that a crash or a hang ends only the
 * child: the parent counts it, saves the input as
 * ARTIFACTS/NAME-SEED-CASE.{crash,hang} and goes on with the next case in a
 * new child. Each case runs under alarm(case timeout) (a hang is a case
 * killed by SIGALRM) and, in a build without AddressSanitizer, under
 * RLIMIT_AS of 4 GiB. After each case the child checks that it holds no
 * more file descriptors than before and that the harness left no file in
 * its private TMPDIR; either is reported and counted as a crash.
 * --in-process runs the cases in this process, for a debugger or a
 * sanitizer's report on one saved input. The seed is --seed, else
 * GTAP_TEST_SEED, else a fixed default; it is printed. Exit status 0 when
 * no case crashed or hung, 1 otherwise, 2 for a usage error. */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fuzz_harness.h"
#include "fuzz_mutate.h"

#if defined(__SANITIZE_ADDRESS__)
#define FUZZ_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FUZZ_ASAN 1
#endif
#endif

#ifdef FUZZ_ASAN
/* As libFuzzer's -malloc_limit_mb: an allocation over 2 GiB fails (and the
 * reader then returns GTAP_ENOMEM, which the harness reports) instead of
 * reserving memory a few bytes of input asked for. */
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "allocator_may_return_null=1:max_allocation_size_mb=2048"; }
#endif

typedef struct options {
    uint64_t seed, iterations;
    double seconds;
    unsigned case_timeout;
    const char *artifacts;
    int in_process;
} options;

/* Shared between the parent and its children (an anonymous shared mapping). */
typedef struct progress {
    uint64_t next;    /* the next case to run */
    uint64_t current; /* the case running now */
    double deadline;  /* CLOCK_MONOTONIC seconds after which no mutated case starts */
} progress;

typedef struct counts {
    uint64_t crashes, hangs;
} counts;

static double now_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int count_fds(void)
{
    DIR *dir = opendir("/proc/self/fd");
    if (dir == NULL) return -1;
    int count = 0;
    for (struct dirent *entry; (entry = readdir(dir)) != NULL;) count += entry->d_name[0] != '.';
    closedir(dir);
    return count - 1; /* the directory's own descriptor */
}

/* The name of a file left in `dir`, or NULL when it is empty. */
static const char *leftover_file(const char *dir)
{
    static char name[256];
    DIR *handle = opendir(dir);
    if (handle == NULL) return NULL;
    const char *found = NULL;
    for (struct dirent *entry; found == NULL && (entry = readdir(handle)) != NULL;) {
        if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0) continue;
        snprintf(name, sizeof name, "%s", entry->d_name);
        found = name;
    }
    closedir(handle);
    return found;
}

static void run_one(const unsigned char *bytes, size_t size, uint64_t index, int fds_before, const char *tmpdir)
{
    LLVMFuzzerTestOneInput(bytes, size);
    int fds_after = count_fds();
    if (fds_before >= 0 && fds_after > fds_before)
        fuzz_fail("case %llu leaked %d file descriptor(s)", (unsigned long long)index, fds_after - fds_before);
    const char *left = tmpdir ? leftover_file(tmpdir) : NULL;
    if (left != NULL) fuzz_fail("case %llu left the temporary file %s/%s", (unsigned long long)index, tmpdir, left);
}

/* The cases from progress->next on, until `total` or the deadline; in a child, or in this process. */
static void run_cases(const fuzz_corpus *corpus, const options *opt, progress *state, uint64_t total,
                      const char *tmpdir)
{
    static unsigned char buffer[FUZZ_MAX_INPUT];
    int fds_before = count_fds();
    for (uint64_t index = state->next; index < total; index++) {
        if (index >= corpus->count && now_seconds() > state->deadline) break;
        size_t size = fuzz_make_case(corpus, opt->seed, index, buffer);
        state->current = index;
        if (!opt->in_process) alarm(opt->case_timeout);
        run_one(buffer, size, index, fds_before, tmpdir);
        if (!opt->in_process) alarm(0);
        state->next = index + 1;
    }
}

static void clear_tmpdir(const char *dir)
{
    for (const char *left; (left = leftover_file(dir)) != NULL;) {
        char path[4096 + 256];
        snprintf(path, sizeof path, "%s/%s", dir, left);
        if (unlink(path) != 0) break;
    }
}

static void limit_memory(void)
{
#ifndef FUZZ_ASAN
    struct rlimit limit = {(rlim_t)4 << 30, (rlim_t)4 << 30};
    setrlimit(RLIMIT_AS, &limit);
#endif
}

static void save_input(const fuzz_corpus *corpus, const options *opt, uint64_t index, const char *what)
{
    static unsigned char buffer[FUZZ_MAX_INPUT];
    size_t size = fuzz_make_case(corpus, opt->seed, index, buffer);
    char path[4096];
    snprintf(path, sizeof path, "%s/%s-%llu-%llu.%s", opt->artifacts, fuzz_harness_name,
             (unsigned long long)opt->seed, (unsigned long long)index, what);
    FILE *file = fopen(path, "wb");
    int saved = file != NULL && fwrite(buffer, 1, size, file) == size;
    if (file != NULL && fclose(file) != 0) saved = 0;
    if (index < corpus->count)
        fprintf(stderr, "fuzz %s: case %llu (%s, corpus file %s, %zu bytes)\n", fuzz_harness_name,
                (unsigned long long)index, what, corpus->inputs[index].name, size);
    else
        fprintf(stderr, "fuzz %s: case %llu (%s, %zu bytes) %s %s; rerun: fuzz_%s --in-process %s\n",
                fuzz_harness_name, (unsigned long long)index, what, size, saved ? "saved as" : "NOT saved to", path,
                fuzz_harness_name, path);
}

/* Run every case in children; a child that dies is counted and replaced. */
static void run_forked(const fuzz_corpus *corpus, const options *opt, progress *state, uint64_t total,
                       const char *tmpdir, counts *result)
{
    while (state->next < total) {
        fflush(NULL);
        pid_t child = fork();
        if (child < 0) {
            fprintf(stderr, "fuzz %s: fork: %s\n", fuzz_harness_name, strerror(errno));
            result->crashes++;
            return;
        }
        if (child == 0) {
            limit_memory();
            run_cases(corpus, opt, state, total, tmpdir);
            _exit(0);
        }
        int status = 0;
        while (waitpid(child, &status, 0) < 0 && errno == EINTR) {}
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return; /* all done, or out of time */
        int hang = WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM;
        if (hang) result->hangs++;
        else result->crashes++;
        if (WIFSIGNALED(status) && !hang)
            fprintf(stderr, "fuzz %s: case %llu died of signal %d\n", fuzz_harness_name,
                    (unsigned long long)state->current, WTERMSIG(status));
        save_input(corpus, opt, state->current, hang ? "hang" : "crash");
        clear_tmpdir(tmpdir); /* what the dead case left is not the next case's leak */
        state->next = state->current + 1;
        if (result->crashes + result->hangs >= 20) {
            fprintf(stderr, "fuzz %s: 20 failures, stopping\n", fuzz_harness_name);
            return;
        }
    }
}

static int usage(const char *message)
{
    fprintf(stderr, "fuzz_%s: %s\nusage: fuzz_%s [--seed N] [--iterations N] [--seconds S] [--case-timeout S] "
            "[--artifacts DIR] [--in-process] CORPUS_DIR_OR_FILE...\n", fuzz_harness_name, message, fuzz_harness_name);
    return 2;
}

static int parse_number(const char *text, double *value)
{
    char *end = NULL;
    errno = 0;
    *value = strtod(text, &end);
    return end != text && *end == '\0' && errno == 0 && *value >= 0 ? 0 : -1;
}

static int parse_options(int argc, char **argv, options *opt)
{
    static const struct option long_options[] = {
        {"seed", required_argument, NULL, 's'},         {"iterations", required_argument, NULL, 'n'},
        {"seconds", required_argument, NULL, 't'},      {"case-timeout", required_argument, NULL, 'c'},
        {"artifacts", required_argument, NULL, 'a'},    {"in-process", no_argument, NULL, 'p'},
        {NULL, 0, NULL, 0}};
    const char *seed_text = getenv("GTAP_TEST_SEED");
    opt->seed = 20270115;
    opt->iterations = 0;
    opt->seconds = 0;
    opt->case_timeout = 10;
    opt->artifacts = ".";
    opt->in_process = 0;
    double number = 0;
    for (int c; (c = getopt_long(argc, argv, "", long_options, NULL)) != -1;) {
        if (c == 'a') opt->artifacts = optarg;
        else if (c == 'p') opt->in_process = 1;
        else if (c == 's') seed_text = optarg;
        else if (c == '?' || parse_number(optarg, &number) != 0) return usage("bad option");
        else if (c == 'n') opt->iterations = (uint64_t)number;
        else if (c == 't') opt->seconds = number;
        else opt->case_timeout = number < 1 ? 1 : (unsigned)number;
    }
    if (seed_text != NULL && seed_text[0] != '\0') {
        char *end = NULL;
        opt->seed = strtoull(seed_text, &end, 0);
        if (*end != '\0') return usage("bad seed");
    }
    if (opt->seconds > 0 && opt->iterations == 0) opt->iterations = UINT64_MAX / 2;
    if (optind >= argc) return usage("no corpus given");
    return 0;
}

/* A private TMPDIR for the harness's files, so that a leftover is seen. */
static char *make_tmpdir(void)
{
    const char *base = getenv("TMPDIR");
    static char dir[4096];
    snprintf(dir, sizeof dir, "%s/gtap-fuzz-%s-XXXXXX", base && base[0] ? base : "/tmp", fuzz_harness_name);
    if (mkdtemp(dir) == NULL) return NULL;
    setenv("TMPDIR", dir, 1);
    return dir;
}

static void remove_tmpdir(const char *dir)
{
    clear_tmpdir(dir);
    rmdir(dir);
}

int main(int argc, char **argv)
{
    options opt;
    if (parse_options(argc, argv, &opt) != 0) return 2;
    fuzz_corpus corpus = {NULL, 0};
    for (int i = optind; i < argc; i++)
        if (fuzz_corpus_add(&corpus, argv[i]) != 0) return 2;
    if (corpus.count == 0) return usage("the corpus is empty");
    uint64_t total = corpus.count + opt.iterations;
    printf("fuzz %s: seed %llu (GTAP_TEST_SEED=%llu repeats it), %zu corpus files, up to %llu mutations, %.0f s\n",
           fuzz_harness_name, (unsigned long long)opt.seed, (unsigned long long)opt.seed, corpus.count,
           (unsigned long long)opt.iterations, opt.seconds);
    double start = now_seconds();
    char *tmpdir = make_tmpdir();
    progress *state = mmap(NULL, sizeof *state, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (state == MAP_FAILED || tmpdir == NULL) {
        fprintf(stderr, "fuzz %s: cannot set up: %s\n", fuzz_harness_name, strerror(errno));
        return 2;
    }
    state->next = 0;
    state->deadline = opt.seconds > 0 ? start + opt.seconds : 1e300;
    counts result = {0, 0};
    if (opt.in_process) run_cases(&corpus, &opt, state, total, tmpdir);
    else run_forked(&corpus, &opt, state, total, tmpdir, &result);
    uint64_t cases = state->next;
    printf("fuzz %s: %llu cases (%zu corpus, %llu mutated), %llu crashes, %llu hangs, %.1f s, seed %llu\n",
           fuzz_harness_name, (unsigned long long)cases, corpus.count,
           (unsigned long long)(cases > corpus.count ? cases - corpus.count : 0), (unsigned long long)result.crashes,
           (unsigned long long)result.hangs, now_seconds() - start, (unsigned long long)opt.seed);
    remove_tmpdir(tmpdir);
    munmap(state, sizeof *state);
    fuzz_corpus_free(&corpus);
    return result.crashes || result.hangs ? 1 : 0;
}
