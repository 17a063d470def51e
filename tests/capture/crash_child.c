/* crash_child.c - the victim of the crash test (test_crash.c): captures
 * continuously into FILE and, each time the capture's flushed_step
 * advances, prints "FLUSHED <step>" on stdout (flushed immediately), until
 * it is killed. Snapshot data is a pure function of (seed, tensor, step), so
 * the test can check every flushed step bit for bit.
 *
 *   crash_child FILE SEED */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gradtap/capture.h"
#include "crash_data.h"

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: crash_child FILE SEED\n");
        return 2;
    }
    uint64_t seed = strtoull(argv[2], NULL, 10);
    gtap_capture_options options;
    gtap_capture_options_init(&options);
    options.rank = 0;
    options.world_size = 1;
    options.every = 1;
    options.summary_every = 2;
    options.flush_seconds = 0.05;
    options.kinds = GTAP_KIND_BIT(GTAP_KIND_GRAD) | GTAP_KIND_BIT(GTAP_KIND_RESIDUAL);
    gtap_capture *capture = NULL;
    if (gtap_capture_open(argv[1], &options, &capture) < 0) {
        fprintf(stderr, "crash_child: %s\n", gtap_last_error());
        return 3;
    }
    int ids[CRASH_TENSORS];
    for (int t = 0; t < CRASH_TENSORS; t++) {
        char name[32];
        snprintf(name, sizeof name, "tensor.%d", t);
        if (gtap_capture_register(capture, name, crash_numel(t), crash_dtype(t), &ids[t]) < 0) return 3;
    }
    unsigned char *buffer = malloc(crash_numel(CRASH_TENSORS - 1) * 4 + 16);
    int64_t reported = -1;
    for (int64_t step = 0;; step++) {
        for (int t = 0; t < CRASH_TENSORS; t++) {
            for (int kind = 0; kind < 2; kind++) {
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
