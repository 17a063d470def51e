/* make_corpus.c - writes the seed corpus of the fuzz harnesses,
 * tests/fuzz/corpus/{npy,libsvm,idx,snapshot}/, small valid inputs of each
 * kind: .npy files of every dtype, byte order, format version and order;
 * LIBSVM files (labels -1/+1 and 0/1, comments, CRLF, dense and sparse);
 * IDX image/label pairs, plain and gzip'ed, joined as fuzz_idx.c splits
 * them; snapshot files of gtap_writer (float32, float16, bfloat16, metadata,
 * no tensors) and of a capture (summaries, skipped steps, a flat tensor).
 * The bytes are the same on every run, except the snapshot files' `created`
 * time and HDF5's own time stamps.
 *
 *   fuzz_make_corpus DIR     (DIR/npy, DIR/libsvm, ... must exist)
 *
 * Run it when a reader learns a new kind of input; commit the result. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "gradtap/capture.h"
#include "gradtap/format.h"

static const char *out_dir;

static int write_file(const char *kind, const char *name, const void *bytes, size_t size)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s/%s", out_dir, kind, name);
    FILE *file = fopen(path, "wb");
    if (file == NULL || fwrite(bytes, 1, size, file) != size || fclose(file) != 0) {
        fprintf(stderr, "make_corpus: cannot write %s\n", path);
        return -1;
    }
    return 0;
}

/* A .npy file: version `major`, the header dict padded to 64 bytes, then `data`. */
static int write_npy(const char *name, int major, const char *dict, const void *data, size_t data_bytes)
{
    unsigned char file[1024];
    size_t preamble = major == 1 ? 10 : 12, length = strlen(dict) + 1;
    size_t header = (preamble + length + 63) / 64 * 64 - preamble;
    memcpy(file, "\x93NUMPY", 6);
    file[6] = (unsigned char)major;
    file[7] = 0;
    for (size_t i = 0; i < preamble - 8; i++) file[8 + i] = (unsigned char)(header >> (8 * i));
    memset(file + preamble, ' ', header);
    memcpy(file + preamble, dict, strlen(dict));
    file[preamble + header - 1] = '\n';
    memcpy(file + preamble + header, data, data_bytes);
    return write_file("npy", name, file, preamble + header + data_bytes);
}

static int make_npy(void)
{
    unsigned char data[64];
    for (int i = 0; i < 64; i++) data[i] = (unsigned char)(0x3c + i % 5); /* ordinary numbers in any width */
    int rc = 0;
    rc |= write_npy("f4_le_1d.npy", 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (8,), }", data, 32);
    rc |= write_npy("f4_be_2d_fortran.npy", 1, "{'descr': '>f4', 'fortran_order': True, 'shape': (2, 3), }", data, 24);
    rc |= write_npy("f2_le_0d.npy", 1, "{'descr': '<f2', 'fortran_order': False, 'shape': (), }", data, 2);
    rc |= write_npy("f2_be_3d.npy", 1, "{'descr': '>f2', 'fortran_order': True, 'shape': (2, 2, 2), }", data, 16);
    rc |= write_npy("f8_le_2d.npy", 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 2), }", data, 48);
    rc |= write_npy("f8_be_1d.npy", 1, "{'descr': '>f8', 'fortran_order': False, 'shape': (2,), }", data, 16);
    rc |= write_npy("f4_v2_empty.npy", 2, "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 5), }", data, 0);
    rc |= write_npy("f4_v3_quoted.npy", 3, "{\"descr\": \"<f4\", \"fortran_order\": false, \"shape\": (4L,)}", data, 16);
    rc |= write_npy("f4_native_2d.npy", 1, "{'shape': (2, 2), 'fortran_order': True, 'descr': '=f4'}", data, 16);
    rc |= write_file("npy", "raw_f32.bin", data, 24);
    return rc;
}

static int make_libsvm(void)
{
    static const char *const files[][2] = {
        {"binary_sparse.svm", "+1 1:0.5 3:-1.25 10:2\n-1 2:1e-3 7:4\n+1 1:1 10:0.125\n"},
        {"zero_one_dense.svm", "1 1:1 2:2 3:3\n0 1:0.5 2:0 3:-1\n1 1:-2 2:1.5 3:0.25\n"},
        {"comments_blank.svm", "# a comment\n\n-1 4:1.5 # trailing\n\t+1\t1:2\t4:3\n1 2:7\n"},
        {"crlf_exponent.svm", "-1 1:1.5e+2 2:-3E-4\r\n+1 3:0.0\r\n-1 1:1\r\n"},
        {"label_only.svm", "1\n-1\n1 5:1\n"},
    };
    int rc = 0;
    for (size_t i = 0; i < sizeof files / sizeof *files; i++)
        rc |= write_file("libsvm", files[i][0], files[i][1], strlen(files[i][1]));
    return rc;
}

/* gzip `size` bytes (fixed header: no name, time 0). @return the gzip'ed size or 0. */
static size_t gzip_bytes(const unsigned char *in, size_t size, unsigned char *out, size_t capacity)
{
    z_stream stream;
    memset(&stream, 0, sizeof stream);
    if (deflateInit2(&stream, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return 0;
    stream.next_in = (unsigned char *)in;
    stream.avail_in = (unsigned)size;
    stream.next_out = out;
    stream.avail_out = (unsigned)capacity;
    int rc = deflate(&stream, Z_FINISH);
    size_t written = capacity - stream.avail_out;
    deflateEnd(&stream);
    return rc == Z_STREAM_END ? written : 0;
}

static size_t idx_file(unsigned char *out, unsigned magic, const unsigned *sizes, int dims, const unsigned char *body,
                       size_t body_bytes)
{
    size_t at = 0;
    for (int shift = 24; shift >= 0; shift -= 8) out[at++] = (unsigned char)(magic >> shift);
    for (int d = 0; d < dims; d++)
        for (int shift = 24; shift >= 0; shift -= 8) out[at++] = (unsigned char)(sizes[d] >> shift);
    memcpy(out + at, body, body_bytes);
    return at + body_bytes;
}

/* The harness's input: label length, image file, label file. */
static int write_idx_pair(const char *name, unsigned n, unsigned rows, unsigned cols, int gzip_images, int gzip_labels)
{
    unsigned char pixels[512], labels[64], images_file[1024], labels_file[128], joined[2048], packed[1024];
    for (unsigned i = 0; i < n * rows * cols; i++) pixels[i] = (unsigned char)(i * 37 % 256);
    for (unsigned i = 0; i < n; i++) labels[i] = (unsigned char)(i % 10);
    unsigned image_sizes[3] = {n, rows, cols};
    size_t image_bytes = idx_file(images_file, 0x803, image_sizes, 3, pixels, n * rows * cols);
    size_t label_bytes = idx_file(labels_file, 0x801, &n, 1, labels, n);
    if (gzip_images) {
        image_bytes = gzip_bytes(images_file, image_bytes, packed, sizeof packed);
        memcpy(images_file, packed, image_bytes);
    }
    if (gzip_labels) {
        label_bytes = gzip_bytes(labels_file, label_bytes, packed, sizeof packed);
        memcpy(labels_file, packed, label_bytes);
    }
    if (image_bytes == 0 || label_bytes == 0 || label_bytes > 255) return -1;
    joined[0] = (unsigned char)label_bytes;
    memcpy(joined + 1, images_file, image_bytes);
    memcpy(joined + 1 + image_bytes, labels_file, label_bytes);
    return write_file("idx", name, joined, 1 + image_bytes + label_bytes);
}

static int make_idx(void)
{
    int rc = 0;
    rc |= write_idx_pair("plain_3x2x2.idx", 3, 2, 2, 0, 0);
    rc |= write_idx_pair("plain_10x4x3.idx", 10, 4, 3, 0, 0);
    rc |= write_idx_pair("gzip_both_5x3x3.idx", 5, 3, 3, 1, 1);
    rc |= write_idx_pair("gzip_images_4x2x5.idx", 4, 2, 5, 1, 0);
    return rc;
}

/* Inputs of the findings of the fuzzing (docs/RELIABILITY.md, "Fuzzing"),
 * named regress_*: each once crashed or hung a reader. */
static int make_regressions(void)
{
    /* An IDX header announcing 3 x 65536 x 65536 pixels (12 GiB) in a 40-byte input:
     * the reader allocated them before reading (fuzz_idx, out of memory). */
    static const unsigned char pixels[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, labels[3] = {1, 2, 3};
    unsigned char joined[64];
    unsigned image_sizes[3] = {3, 65536, 65536}, n = 3;
    size_t image_bytes = idx_file(joined + 1, 0x803, image_sizes, 3, pixels, sizeof pixels);
    size_t label_bytes = idx_file(joined + 1 + image_bytes, 0x801, &n, 1, labels, sizeof labels);
    joined[0] = (unsigned char)label_bytes;
    return write_file("idx", "regress_huge_header.idx", joined, 1 + image_bytes + label_bytes);
}

static int snapshot_path(const char *name, char *path, size_t capacity)
{
    return (size_t)snprintf(path, capacity, "%s/snapshot/%s", out_dir, name) < capacity ? 0 : -1;
}

static int check(int rc, const char *what)
{
    if (rc < 0) fprintf(stderr, "make_corpus: %s: %s\n", what, gtap_last_error());
    return rc;
}

/* Shrink a snapshot file with h5repack (hdf5-tools): chunks of 4 rows for
 * the datasets named in `layouts` ("-l PATH:CHUNK=4 ..."), whose chunks of
 * 256..1024 rows are mostly empty in a file of a few steps. The file stays
 * a valid snapshot file (the reader takes any chunking). Without h5repack
 * the file is kept as written. */
static int shrink(const char *path, const char *layouts)
{
    char command[8192];
    snprintf(command, sizeof command, "h5repack -L %s '%s' '%s.small' && mv '%s.small' '%s'", layouts, path, path,
             path, path);
    if (system(command) != 0) fprintf(stderr, "make_corpus: h5repack failed; %s is left as written\n", path);
    return 0;
}

typedef struct tensor_spec {
    const char *name;
    uint64_t numel;
    gtap_dtype dtype;
} tensor_spec;

/* A file of gtap_writer: the tensors given, 3 grad steps each, 1 acc step for the first, metadata. */
static int make_writer_file(const char *name, const tensor_spec *tensors, int count, gtap_compression compression)
{
    char path[4096], layouts[4096] = "";
    if (snapshot_path(name, path, sizeof path) != 0) return -1;
    gtap_writer_options options = GTAP_WRITER_OPTIONS_INIT;
    options.truncate = 1;
    options.producer = "gradtap fuzz corpus";
    options.run_id = "fuzz";
    options.compression = compression;
    gtap_writer *writer = NULL;
    if (check(gtap_writer_create(path, &options, &writer), "create") < 0) return -1;
    float values[16];
    for (int i = 0; i < 16; i++) values[i] = (float)(i - 7) * 0.25f;
    int rc = check(gtap_writer_set_meta(writer, "model", "fuzz"), "meta");
    for (int t = 0; rc == 0 && t < count; t++) {
        rc = check(gtap_writer_add_tensor(writer, tensors[t].name, tensors[t].numel, tensors[t].dtype), "add_tensor");
        for (int64_t step = 0; rc == 0 && step < 3; step++)
            rc = check(gtap_writer_write_float32(writer, tensors[t].name, GTAP_KIND_GRAD, step * 5, values), "write");
        if (rc == 0 && t == 0) rc = check(gtap_writer_write_float32(writer, tensors[t].name, GTAP_KIND_ACC, 10, values), "acc");
        size_t used = strlen(layouts);
        snprintf(layouts + used, sizeof layouts - used, " -l /tensors/%s/grad/steps%s:CHUNK=4", tensors[t].name,
                 t == 0 ? ",/tensors/layer.weight/acc/steps" : "");
    }
    int closed = check(gtap_writer_close(writer), "close");
    if (rc < 0 || closed < 0) return -1;
    return count > 0 ? shrink(path, layouts) : 0;
}

/* A file of a capture: a flat tensor (its layout table) with summaries every step and snapshots every 2nd. */
static int make_capture_file(const char *name)
{
    char path[4096];
    if (snapshot_path(name, path, sizeof path) != 0) return -1;
    gtap_capture_options options;
    gtap_capture_options_init(&options);
    options.every = 2;
    options.summary_every = 1;
    options.rank = 0;
    options.world_size = 1;
    options.per_rank_files = 0;
    options.truncate = 1;
    options.quiet = 1;
    options.run_id = "fuzz";
    options.producer = "gradtap fuzz corpus";
    gtap_capture *capture = NULL;
    if (check(gtap_capture_open(path, &options, &capture), "capture_open") < 0) return -1;
    static const gtap_flat_entry entries[] = {{"a.weight", 0, 8}, {"b.bias", 8, 4}};
    float values[12];
    for (int i = 0; i < 12; i++) values[i] = (float)(i * i) - 20.0f;
    int flat = -1;
    int rc = check(gtap_capture_register_flat(capture, "bucket", 12, GTAP_FLOAT32, entries, 2, &flat), "flat");
    for (int64_t step = 0; rc == 0 && step < 4; step++)
        rc = check(gtap_capture_record(capture, flat, GTAP_KIND_GRAD, step, values), "record");
    int closed = check(gtap_capture_close(capture, NULL), "capture_close");
    if (rc < 0 || closed < 0) return -1;
    return shrink(path, "-l /tensors/bucket/grad/steps,/tensors/bucket/grad/summary/steps:CHUNK=4 "
                        "-l /tensors/bucket/grad/summary/counts:CHUNK=4x6 -l /tensors/bucket/grad/summary/hist:CHUNK=4x82 "
                        "-l /tensors/bucket/grad/summary/moments:CHUNK=4x8 -l /tensors/bucket/grad/summary/ratios:CHUNK=4x3");
}

static int make_snapshots(void)
{
    static const tensor_spec one[] = {{"layer.weight", 16, GTAP_FLOAT32}};
    static const tensor_spec halves[] = {{"layer.weight", 8, GTAP_FLOAT16}, {"z", 0, GTAP_BFLOAT16}};
    int rc = make_writer_file("writer_float32.h5", one, 1, GTAP_COMPRESS_NONE);
    rc |= make_writer_file("writer_halves_gzip.h5", halves, 2, GTAP_COMPRESS_GZIP);
    rc |= make_writer_file("writer_no_tensors.h5", NULL, 0, GTAP_COMPRESS_NONE);
    rc |= make_capture_file("capture_flat_summaries.h5");
    return rc;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: fuzz_make_corpus DIR (with DIR/npy, DIR/libsvm, DIR/idx, DIR/snapshot)\n");
        return 2;
    }
    out_dir = argv[1];
    int rc = make_npy() | make_libsvm() | make_idx() | make_regressions() | make_snapshots();
    return rc ? 1 : 0;
}
