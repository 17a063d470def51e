/* cmd_import.c - `gradtap import -o OUT.h5 FILE...`: bring existing gradient
 * dumps (.npy or raw little-endian float32, one vector per file) into a
 * snapshot file. Every input is validated before the output is touched, so a
 * bad input never leaves a half-written or damaged output. */
#include <ctype.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "gradtap/format.h"
#include "output_file.h"
#include "gradtap/npy.h"
#include "h5_guard.h"

static const char usage[] =
    "usage: gradtap import -o OUT.h5 [options] FILE...\n"
    "\n"
    "Convert gradient dumps into a snapshot file: numpy .npy files (float16,\n"
    "float32 or float64, any shape, flattened in C order) and raw little-endian\n"
    "float32 files (any other extension). All files become snapshots of one\n"
    "tensor and kind; the step of each file is the last integer in its name\n"
    "without extension (r0_gradients_iter_800.npy is step 800), or --step for a\n"
    "single file. If OUT exists and is a gradtap file, the snapshots are appended\n"
    "(steps must come after the ones it holds); any other existing file is refused.\n"
    "\n"
    "  -o, --output OUT     the snapshot file to write (required)\n"
    "  -t, --tensor NAME    tensor name (default: model)\n"
    "  -k, --kind KIND      grad (default), residual, acc or param\n"
    "  -r, --rank R         rank recorded in a new file (default 0)\n"
    "  -w, --world-size W   world size recorded in a new file (default rank+1)\n"
    "  -s, --step N         the step, for a single input file\n"
    "      --dtype T        store as float32, float16 or bfloat16 (default: float16\n"
    "                       when every input is float16, else float32)\n"
    "      --compression C  none (default), gzip or lz4\n"
    "      --raw            treat every input as raw float32, whatever its extension\n"
    "  -h, --help           this text\n"
    "\n"
    "float64 inputs are rounded to float32 (a warning counts values that overflow).\n"
    "exit codes: 0 ok, 2 usage or input error (nothing is written), 3 internal error\n";

typedef struct import_input {
    const char *path;
    int64_t step;
    int is_npy;
    gtap_npy_header header;
    uint64_t numel;
} import_input;

static int has_npy_extension(const char *path)
{
    size_t length = strlen(path);
    return length >= 4 && strcmp(path + length - 4, ".npy") == 0;
}

/* The last run of digits in the base name without its extension. */
static int step_from_name(const char *path, int64_t *step)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    const char *end = dot && dot != base ? dot : base + strlen(base);
    const char *digits_end = NULL;
    for (const char *p = end; p > base; p--) {
        if (isdigit((unsigned char)p[-1])) {
            digits_end = p;
            break;
        }
    }
    if (digits_end == NULL) return -1;
    const char *digits_start = digits_end;
    while (digits_start > base && isdigit((unsigned char)digits_start[-1])) digits_start--;
    if (digits_end - digits_start > 18) return -2;
    int64_t value = 0;
    for (const char *p = digits_start; p < digits_end; p++) value = value * 10 + (*p - '0');
    *step = value;
    return 0;
}

static int compare_steps(const void *a, const void *b)
{
    const import_input *x = a, *y = b;
    return (x->step > y->step) - (x->step < y->step);
}

typedef struct import_options {
    const char *output;
    const char *tensor;
    gtap_kind kind;
    int rank, world_size;
    int64_t step;
    int have_step, force_raw;
    gtap_dtype dtype;
    gtap_compression compression;
} import_options;

static int parse_options(int argc, char **argv, import_options *o)
{
    static const struct option options[] = {
        {"output", required_argument, NULL, 'o'},   {"tensor", required_argument, NULL, 't'},
        {"kind", required_argument, NULL, 'k'},     {"rank", required_argument, NULL, 'r'},
        {"world-size", required_argument, NULL, 'w'}, {"step", required_argument, NULL, 's'},
        {"dtype", required_argument, NULL, 'D'},    {"compression", required_argument, NULL, 'C'},
        {"raw", no_argument, NULL, 'R'},            {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    memset(o, 0, sizeof *o);
    o->tensor = "model";
    o->kind = GTAP_KIND_GRAD;
    o->world_size = -1;
    int option;
    optind = 1;
    while ((option = gtap_cli_getopt(argc, argv, "o:t:k:r:w:s:h", options)) != -1) {
        switch (option) {
        case 'o': o->output = optarg; break;
        case 't':
            if (optarg[0] == '\0') return gtap_cli_error(GTAP_EXIT_USAGE, "--tensor: empty name");
            o->tensor = optarg;
            break;
        case 'k':
            if (gtap_kind_from_name(optarg, &o->kind) < 0) return gtap_cli_error(GTAP_EXIT_USAGE, "--kind: %s", gtap_last_error());
            break;
        case 'r':
            if (gtap_cli_parse_int("--rank", optarg, 0, 1 << 24, &o->rank)) return GTAP_EXIT_USAGE;
            break;
        case 'w':
            if (gtap_cli_parse_int("--world-size", optarg, 1, 1 << 24, &o->world_size)) return GTAP_EXIT_USAGE;
            break;
        case 's':
            if (gtap_cli_parse_i64("--step", optarg, 0, INT64_MAX, &o->step)) return GTAP_EXIT_USAGE;
            o->have_step = 1;
            break;
        case 'D':
            o->dtype = gtap_dtype_from_name(optarg);
            if (o->dtype == GTAP_DTYPE_INVALID)
                return gtap_cli_error(GTAP_EXIT_USAGE, "--dtype: '%s' is not float32, float16 or bfloat16", optarg);
            break;
        case 'C':
            if (strcmp(optarg, "none") == 0) o->compression = GTAP_COMPRESS_NONE;
            else if (strcmp(optarg, "gzip") == 0) o->compression = GTAP_COMPRESS_GZIP;
            else if (strcmp(optarg, "lz4") == 0) o->compression = GTAP_COMPRESS_LZ4;
            else return gtap_cli_error(GTAP_EXIT_USAGE, "--compression: '%s' is not none, gzip or lz4", optarg);
            break;
        case 'R': o->force_raw = 1; break;
        case 'h': gtap_cli_print_usage(stdout, usage); return -1;
        default: return GTAP_EXIT_USAGE; /* gtap_cli_getopt printed the one line */
        }
    }
    if (o->output == NULL) return gtap_cli_error(GTAP_EXIT_USAGE, "-o OUT.h5 is required (see --help)");
    if (optind >= argc) return gtap_cli_error(GTAP_EXIT_USAGE, "no input FILE given (see --help)");
    if (o->have_step && argc - optind != 1)
        return gtap_cli_error(GTAP_EXIT_USAGE, "--step applies to a single input file (%d given)", argc - optind);
    if (o->world_size < 0) o->world_size = o->rank + 1;
    if (o->rank >= o->world_size)
        return gtap_cli_error(GTAP_EXIT_USAGE, "--rank %d is not below --world-size %d", o->rank, o->world_size);
    return 0;
}

/* Parse every input's header, step and size; sort by step. */
static int inspect_inputs(const import_options *o, import_input *inputs, int count, gtap_dtype *dtype)
{
    int all_half = 1;
    for (int i = 0; i < count; i++) {
        import_input *in = &inputs[i];
        int rc = gtap_cli_check_input(in->path);
        if (rc != 0) return rc;
        in->is_npy = !o->force_raw && has_npy_extension(in->path);
        if (in->is_npy) {
            if ((rc = gtap_npy_read_header(in->path, &in->header)) < 0) return gtap_cli_fail(rc);
            in->numel = in->header.numel;
            all_half &= in->header.stored_as == GTAP_FLOAT16;
        } else {
            if ((rc = gtap_raw_f32_count(in->path, &in->numel)) < 0) return gtap_cli_fail(rc);
            all_half = 0;
        }
        if (o->have_step) {
            in->step = o->step;
        } else {
            int found = step_from_name(in->path, &in->step);
            if (found == -1)
                return gtap_cli_error(GTAP_EXIT_USAGE, "%s: no step number in the file name (use --step)", in->path);
            if (found == -2) return gtap_cli_error(GTAP_EXIT_USAGE, "%s: the step number in the name overflows", in->path);
        }
        if (in->numel != inputs[0].numel)
            return gtap_cli_error(GTAP_EXIT_USAGE, "%s: %" PRIu64 " values, but %s has %" PRIu64, in->path, in->numel,
                                  inputs[0].path, inputs[0].numel);
    }
    qsort(inputs, (size_t)count, sizeof *inputs, compare_steps);
    for (int i = 1; i < count; i++)
        if (inputs[i].step == inputs[i - 1].step)
            return gtap_cli_error(GTAP_EXIT_USAGE, "%s and %s both give step %" PRId64, inputs[i - 1].path,
                                  inputs[i].path, inputs[i].step);
    *dtype = o->dtype != GTAP_DTYPE_INVALID ? o->dtype : (all_half ? GTAP_FLOAT16 : GTAP_FLOAT32);
    return 0;
}

/* An existing output must be a gradtap file whose tensor (if present) has the
 * same numel and dtype and whose steps end before ours. */
static int check_existing_output(const import_options *o, uint64_t numel, gtap_dtype dtype, int64_t first_step)
{
    gtap_reader *reader = NULL;
    int rc = gtap_cli_reader_open(o->output, &reader);
    if (rc < 0) return gtap_cli_error(GTAP_EXIT_USAGE, "%s exists and cannot be appended to: %s", o->output,
                                      gtap_last_error());
    size_t index;
    int exit_code = 0;
    if (gtap_reader_find_tensor(reader, o->tensor, &index) == GTAP_OK) {
        gtap_tensor_info info;
        size_t count = 0;
        gtap_reader_tensor(reader, index, &info);
        if (info.numel != numel || info.dtype != dtype) {
            exit_code = gtap_cli_error(GTAP_EXIT_USAGE, "%s: tensor '%s' holds %" PRIu64 " %s values, the inputs %" PRIu64
                                       " %s", o->output, o->tensor, info.numel, gtap_dtype_name(info.dtype), numel,
                                       gtap_dtype_name(dtype));
        } else if (gtap_reader_steps(reader, index, o->kind, NULL, 0, &count) == GTAP_OK && count > 0) {
            int64_t *steps = malloc(count * sizeof *steps);
            if (steps && gtap_reader_steps(reader, index, o->kind, steps, count, &count) == GTAP_OK &&
                steps[count - 1] >= first_step)
                exit_code = gtap_cli_error(GTAP_EXIT_USAGE, "%s: '%s' (%s) already has steps up to %" PRId64
                                           "; the inputs start at %" PRId64, o->output, o->tensor,
                                           gtap_kind_name(o->kind), steps[count - 1], first_step);
            free(steps);
        }
    }
    gtap_reader_close(reader);
    return exit_code;
}

static int write_snapshots(const import_options *o, import_input *inputs, int count, gtap_dtype dtype, int append)
{
    uint64_t numel = inputs[0].numel;
    if (numel > SIZE_MAX / 8) return gtap_cli_error(GTAP_EXIT_USAGE, "%s: too many values", inputs[0].path);
    float *values = malloc((numel ? numel : 1) * sizeof(float));
    if (values == NULL) return gtap_cli_error(GTAP_EXIT_INTERNAL, "out of memory for %" PRIu64 " values", numel);
    gtap_writer_options options;
    gtap_writer_options_init(&options);
    options.rank = o->rank;
    options.world_size = o->world_size;
    options.append = append;
    options.compression = o->compression;
    options.producer = "gradtap import";
    /* written aside (a copy when appending) and renamed into place at the end */
    gtap_output_file aside;
    int exit_code = gtap_output_begin(&aside, o->output);
    if (exit_code == 0 && append) exit_code = gtap_output_copy_existing(&aside);
    if (exit_code) {
        gtap_output_abort(&aside);
        free(values);
        return exit_code;
    }
    options.truncate = !append;
    gtap_writer *writer = NULL;
    int rc = gtap_writer_create(aside.temp, &options, &writer);
    if (rc == GTAP_OK) rc = gtap_writer_add_tensor(writer, o->tensor, numel, dtype);
    uint64_t overflowed = 0;
    for (int i = 0; i < count && rc == GTAP_OK; i++) {
        import_input *in = &inputs[i];
        if (in->is_npy) {
            rc = gtap_npy_read_data(in->path, &in->header, values);
            if (rc == GTAP_OK && in->header.stored_as == GTAP_FLOAT16) {
                /* widen in place from the back: half bits occupy the front half */
                const uint16_t *bits = (const uint16_t *)(void *)values;
                for (uint64_t j = numel; j-- > 0;) values[j] = gtap_half_to_float(bits[j]);
            }
            if (rc == GTAP_OK && in->header.element_bytes == 8)
                for (uint64_t j = 0; j < numel; j++) overflowed += values[j] - values[j] != 0.0f;
        } else {
            rc = gtap_raw_f32_read(in->path, numel, values);
        }
        if (rc == GTAP_OK) rc = gtap_writer_write_float32(writer, o->tensor, o->kind, in->step, values);
    }
    int close_rc = gtap_writer_close(writer);
    free(values);
    if (rc == GTAP_OK) rc = close_rc;
    if (rc == GTAP_OK && (exit_code = gtap_output_commit(&aside))) return exit_code;
    gtap_output_abort(&aside);
    if (rc < 0) { /* the library names the temporary file: say what became of OUT */
        char reason[512];
        snprintf(reason, sizeof reason, "%s", gtap_last_error());
        return gtap_cli_fail(gtap_set_error(rc, "%s is left as it was (%s)", o->output, reason));
    }
    if (overflowed) gtap_cli_warn("%" PRIu64 " float64 values were non-finite after rounding to float32", overflowed);
    fprintf(stderr, "gradtap import: wrote %d snapshot%s of '%s' (%s, %" PRIu64 " values, %s) to %s\n", count,
            count == 1 ? "" : "s", o->tensor, gtap_kind_name(o->kind), numel, gtap_dtype_name(dtype), o->output);
    return GTAP_EXIT_OK;
}

int gtap_cmd_import(int argc, char **argv)
{
    import_options o;
    int rc = parse_options(argc, argv, &o);
    if (rc == -1) return GTAP_EXIT_OK;
    if (rc) return rc;
    int count = argc - optind;
    import_input *inputs = calloc((size_t)count, sizeof *inputs);
    if (inputs == NULL) return gtap_cli_error(GTAP_EXIT_INTERNAL, "out of memory");
    for (int i = 0; i < count; i++) inputs[i].path = argv[optind + i];
    gtap_dtype dtype = GTAP_FLOAT32;
    int exit_code = inspect_inputs(&o, inputs, count, &dtype);
    struct stat existing;
    int append = stat(o.output, &existing) == 0;
    if (exit_code == 0 && append) exit_code = check_existing_output(&o, inputs[0].numel, dtype, inputs[0].step);
    if (exit_code == 0) exit_code = write_snapshots(&o, inputs, count, dtype, append);
    free(inputs);
    return exit_code;
}
