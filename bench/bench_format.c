/* bench_format.c - what the snapshot format costs against plain files
 * (docs/PERFORMANCE.md, "Snapshot format").
 *
 * Writes S snapshots of d float32 values with gtap_writer_write (then close
 * and fsync) and, in the same run, the same bytes with plain write() + fsync;
 * then reads them back with gtap_reader_read and with plain read() from the
 * page cache. Median seconds of R repeats and the ratio ours / plain.
 *
 *   bench_format [--log2d N] [--snapshots S] [--repeats R] [--dir DIR]
 */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gradtap/format.h"
#include "bench_common.h"

static double gradtap_write(const char *path, const float *data, uint64_t numel, int snapshots)
{
    double start = bench_now();
    gtap_writer_options options;
    gtap_writer_options_init(&options);
    options.truncate = 1;
    gtap_writer *writer = NULL;
    if (gtap_writer_create(path, &options, &writer) < 0 || gtap_writer_add_tensor(writer, "g", numel, GTAP_FLOAT32) < 0)
        return -1;
    for (int s = 0; s < snapshots; s++)
        if (gtap_writer_write(writer, "g", GTAP_KIND_GRAD, s, data) < 0) return -1;
    if (gtap_writer_close(writer) < 0 || bench_fsync_path(path) < 0) return -1;
    return bench_now() - start;
}

static double gradtap_read(const char *path, float *out, int snapshots)
{
    double start = bench_now();
    gtap_reader *reader = NULL;
    if (gtap_reader_open(path, &reader) < 0) return -1;
    for (int s = 0; s < snapshots; s++)
        if (gtap_reader_read(reader, 0, GTAP_KIND_GRAD, s, out) < 0) return -1;
    gtap_reader_close(reader);
    return bench_now() - start;
}

static double plain_read(const char *path, float *out, uint64_t numel, int snapshots)
{
    double start = bench_now();
    int descriptor = open(path, O_RDONLY);
    if (descriptor < 0) return -1;
    for (int s = 0; s < snapshots; s++) {
        char *bytes = (char *)out;
        size_t left = numel * sizeof(float);
        while (left > 0) {
            ssize_t got = read(descriptor, bytes, left);
            if (got <= 0) return -1;
            bytes += got;
            left -= (size_t)got;
        }
    }
    close(descriptor);
    return bench_now() - start;
}

int main(int argc, char **argv)
{
    int log2d = 24, snapshots = 8, repeats = 5;
    const char *dir = ".";
    static const struct option options[] = {
        {"log2d", required_argument, NULL, 'd'}, {"snapshots", required_argument, NULL, 's'},
        {"repeats", required_argument, NULL, 'r'}, {"dir", required_argument, NULL, 'o'}, {NULL, 0, NULL, 0},
    };
    int option;
    while ((option = getopt_long(argc, argv, "", options, NULL)) != -1) {
        switch (option) {
        case 'd': log2d = atoi(optarg); break;
        case 's': snapshots = atoi(optarg); break;
        case 'r': repeats = atoi(optarg); break;
        case 'o': dir = optarg; break;
        default: fprintf(stderr, "usage: bench_format [--log2d N] [--snapshots S] [--repeats R] [--dir DIR]\n"); return 2;
        }
    }
    if (log2d < 1 || log2d > 30 || snapshots < 1 || repeats < 1 || repeats > 100) {
        fprintf(stderr, "bench_format: bad arguments\n");
        return 2;
    }
    uint64_t numel = 1ull << log2d;
    float *data = malloc(numel * sizeof *data), *out = malloc(numel * sizeof *out);
    if (data == NULL || out == NULL) return 3;
    for (uint64_t i = 0; i < numel; i++) data[i] = (float)((i * 2654435761u) % 1000003) * 1e-6f - 0.5f;
    char ours[4096], plain[4096];
    snprintf(ours, sizeof ours, "%s/bench_format.h5", dir);
    snprintf(plain, sizeof plain, "%s/bench_format.raw", dir);
    double *times[4];
    for (int i = 0; i < 4; i++) times[i] = calloc((size_t)repeats, sizeof(double));
    for (int r = 0; r < repeats; r++) { /* alternate, so drift hits both alike */
        times[0][r] = gradtap_write(ours, data, numel, snapshots);
        times[1][r] = bench_plain_write_seconds(plain, data, numel, snapshots);
        times[2][r] = gradtap_read(ours, out, snapshots);
        times[3][r] = plain_read(plain, out, numel, snapshots);
        for (int i = 0; i < 4; i++)
            if (times[i][r] < 0) {
                fprintf(stderr, "bench_format: I/O failed in %s\n", dir);
                return 3;
            }
    }
    if (memcmp(out, data, numel * sizeof *data) != 0) {
        fprintf(stderr, "bench_format: data read back differs\n");
        return 3;
    }
    double mib = (double)numel * 4.0 * snapshots / (1 << 20);
    double w_ours = bench_median(times[0], repeats), w_plain = bench_median(times[1], repeats);
    double r_ours = bench_median(times[2], repeats), r_plain = bench_median(times[3], repeats);
    printf("d = 2^%d float32, %d snapshots (%.0f MiB), median of %d\n", log2d, snapshots, mib, repeats);
    printf("write+fsync  gradtap %.3f s (%.0f MiB/s)  plain %.3f s (%.0f MiB/s)  gradtap/plain throughput %.2f\n",
           w_ours, mib / w_ours, w_plain, mib / w_plain, w_plain / w_ours);
    printf("read (cache) gradtap %.3f s (%.0f MiB/s)  plain %.3f s (%.0f MiB/s)  gradtap/plain throughput %.2f\n",
           r_ours, mib / r_ours, r_plain, mib / r_plain, r_plain / r_ours);
    remove(ours);
    remove(plain);
    for (int i = 0; i < 4; i++) free(times[i]);
    free(data);
    free(out);
    return 0;
}
