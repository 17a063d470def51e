/* crash_child.c - the victim of the crash test (test_crash.c): captures
 * continuously into FILE and, each time the capture's flushed_step
 * advances, prints "FLUSHED <step>" on stdout (flushed immediately), until
 * it is killed. Data is a pure function of (seed, tensor, kind, step)
 * (crash_data.h), so the test can check every flushed step bit for bit.
 * Default: snapshots of three tensors every step and summaries every
 * second step; with "summaries": CRASH_SUMMARY_TENSORS small tensors,
 * summaries only, every step.
 *
 *   crash_child FILE SEED [summaries] */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gradtap/capture.h"
#include "crash_data.h"

/* Record every tensor at every step until killed. */
static int run(gtap_capture *capture, uint64_t seed, int tensors, int kinds, int summaries_only)
{
    int ids[CRASH_SUMMARY_TENSORS]; /* >= CRASH_TENSORS */
    for (int t = 0; t < tensors; t++) {
        char name[32];
        snprintf(name, sizeof name, "tensor.%d", t);
        uint64_t numel = summaries_only ? crash_summary_numel(t) : crash_numel(t);
        gtap_dtype dtype = summaries_only ? crash_summary_dtype(t) : crash_dtype(t);
        if (gtap_capture_register(capture, name, numel, dtype, &ids[t]) < 0) return 3;
    }
    unsigned char *buffer = malloc(crash_numel(CRASH_TENSORS - 1) * 4 + 16);
    int64_t reported = -1;
    for (int64_t step = 0;; step++) {
        for (int t = 0; t < tensors; t++) {
            for (int kind = 0; kind < kinds; kind++) {
                if (summaries_only)
                    crash_fill_elements(buffer, seed, t, kind, step, crash_summary_numel(t), crash_summary_dtype(t));
                else
                    crash_fill(buffer, seed, t, kind, step);
                if (gtap_capture_record(capture, ids[t], (gtap_kind)kind, step, buffer) < 0) {
                    fprintf(stderr, "crash_child: step %" PRId64 ": %s\n", step, gtap_last_error());
                    return 3;
                }
            }
        }
        struct timespec compute = {0, 2000000}; /* 2 ms of "training" per step */
        nanosleep(&compute, NULL);
        if (step % 64 == 63 && gtap_capture_flush(capture) < 0) return 3;
        gtap_capture_stats stats;
        gtap_capture_get_stats(capture, &stats);
        if (stats.flushed_step > reported) {
            reported = stats.flushed_step;
            printf("FLUSHED %" PRId64 "\n", reported);
            fflush(stdout);
        }
    }
}

int main(int argc, char **argv)
{
    int summaries_only = argc == 4 && strcmp(argv[3], "summaries") == 0;
    if (argc != 3 && !summaries_only) {
        fprintf(stderr, "usage: crash_child FILE SEED [summaries]\n");
        return 2;
    }
    uint64_t seed = strtoull(argv[2], NULL, 10);
    gtap_capture_options options;
    gtap_capture_options_init(&options);
    options.rank = 0;
    options.world_size = 1;
    options.every = summaries_only ? 0 : 1;
    options.summary_every = summaries_only ? 1 : 2;
    options.flush_seconds = 0.05;
    options.kinds = GTAP_KIND_BIT(GTAP_KIND_GRAD) | GTAP_KIND_BIT(GTAP_KIND_RESIDUAL);
    gtap_capture *capture = NULL;
    if (gtap_capture_open(argv[1], &options, &capture) < 0) {
        fprintf(stderr, "crash_child: %s\n", gtap_last_error());
        return 3;
    }
    return summaries_only ? run(capture, seed, CRASH_SUMMARY_TENSORS, 1, 1) : run(capture, seed, CRASH_TENSORS, 2, 0);
}
