/* selection.c - the snapshot selection shared by bounds, fit and curve
 * (see selection.h): option parsing, listing the selected snapshots of all
 * files, and the streamed two-pass analysis of one snapshot. */
#include "selection.h"

#include <fnmatch.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "h5_guard.h"
#ifdef GRADTAP_WITH_MPI
#include <mpi.h>
#endif

/* 256 MiB of float32: a snapshot of up to 2^26 values is read once */
#define DEFAULT_CHUNK ((uint64_t)1 << 26)

void gtap_selection_options_init(gtap_selection_options *o)
{
    memset(o, 0, sizeof *o);
    o->step_stride = 1;
    o->first_step = INT64_MIN;
    o->last_step = INT64_MAX;
    o->chunk = DEFAULT_CHUNK;
}

void gtap_selection_options_free(gtap_selection_options *o)
{
    free(o->tensor_globs);
    free(o->ranks);
    o->tensor_globs = NULL;
    o->ranks = NULL;
}

static int parse_steps(gtap_selection_options *o, const char *text)
{
    char buffer[128];
    if (strlen(text) >= sizeof buffer) return gtap_cli_error(GTAP_EXIT_USAGE, "--steps: '%s' is too long", text);
    strcpy(buffer, text);
    char *parts[3] = {buffer, NULL, NULL};
    int n = 1;
    for (char *p = buffer; *p; p++)
        if (*p == ':') {
            if (n == 3) return gtap_cli_error(GTAP_EXIT_USAGE, "--steps: '%s' is not FIRST:LAST[:STRIDE]", text);
            *p = '\0';
            parts[n++] = p + 1;
        }
    if (n < 2) return gtap_cli_error(GTAP_EXIT_USAGE, "--steps: '%s' is not FIRST:LAST[:STRIDE]", text);
    if (parts[0][0] && gtap_cli_parse_i64("--steps FIRST", parts[0], 0, INT64_MAX, &o->first_step)) return GTAP_EXIT_USAGE;
    if (parts[1][0] && gtap_cli_parse_i64("--steps LAST", parts[1], 0, INT64_MAX, &o->last_step)) return GTAP_EXIT_USAGE;
    if (n == 3 && gtap_cli_parse_i64("--steps STRIDE", parts[2], 1, INT64_MAX, &o->step_stride)) return GTAP_EXIT_USAGE;
    if (o->first_step != INT64_MIN && o->last_step < o->first_step)
        return gtap_cli_error(GTAP_EXIT_USAGE, "--steps: LAST %lld is before FIRST %lld", (long long)o->last_step,
                              (long long)o->first_step);
    o->has_steps = 1;
    return 0;
}

int gtap_selection_option(gtap_selection_options *o, int code, const char *arg)
{
    switch (code) {
    case GTAP_SEL_OPT_TENSOR: {
        char **grown = realloc(o->tensor_globs, (o->tensor_glob_count + 1) * sizeof *grown);
        if (grown == NULL) return -gtap_cli_error(GTAP_EXIT_INTERNAL, "out of memory");
        o->tensor_globs = grown;
        o->tensor_globs[o->tensor_glob_count++] = (char *)arg;
        return 1;
    }
    case GTAP_SEL_OPT_GLOBAL: o->global = 1; return 1;
    case GTAP_SEL_OPT_STEPS: return parse_steps(o, arg) ? -GTAP_EXIT_USAGE : 1;
    case GTAP_SEL_OPT_KIND: {
        gtap_kind kind;
        if (gtap_kind_from_name(arg, &kind) < 0)
            return -gtap_cli_error(GTAP_EXIT_USAGE, "--kind: '%s' is not one of grad, residual, acc, param, reduced", arg);
        o->kinds |= GTAP_KIND_BIT(kind);
        return 1;
    }
    case GTAP_SEL_OPT_RANK: {
        int rank;
        if (gtap_cli_parse_int("--rank", arg, 0, 1 << 30, &rank)) return -GTAP_EXIT_USAGE;
        int *grown = realloc(o->ranks, (o->rank_count + 1) * sizeof *grown);
        if (grown == NULL) return -gtap_cli_error(GTAP_EXIT_INTERNAL, "out of memory");
        o->ranks = grown;
        o->ranks[o->rank_count++] = rank;
        return 1;
    }
    case GTAP_SEL_OPT_CHUNK: {
        uint64_t chunk;
        if (gtap_cli_parse_u64("--chunk", arg, 1, (uint64_t)1 << 32, &chunk)) return -GTAP_EXIT_USAGE;
        o->chunk = chunk;
        return 1;
    }
    case GTAP_SEL_OPT_THREADS:
        return gtap_cli_parse_int("--threads", arg, 1, 1024, &o->threads) ? -GTAP_EXIT_USAGE : 1;
    case GTAP_SEL_OPT_STRICT: o->strict = 1; return 1;
    default: return 0;
    }
}

int gtap_selection_tensor_selected(const gtap_selection_options *o, const char *name)
{
    if (o->tensor_glob_count == 0) return 1;
    for (size_t i = 0; i < o->tensor_glob_count; i++)
        if (fnmatch(o->tensor_globs[i], name, 0) == 0) return 1;
    return 0;
}

int gtap_selection_step_selected(const gtap_selection_options *o, int64_t step)
{
    if (!o->has_steps) return 1;
    if (step < o->first_step || step > o->last_step) return 0;
    int64_t base = o->first_step == INT64_MIN ? 0 : o->first_step;
    return (step - base) % o->step_stride == 0;
}

unsigned gtap_selection_kinds(const gtap_selection_options *o)
{
    return o->kinds ? o->kinds : GTAP_KIND_BIT(GTAP_KIND_GRAD) | GTAP_KIND_BIT(GTAP_KIND_RESIDUAL) | GTAP_KIND_BIT(GTAP_KIND_ACC);
}

int gtap_selection_rank_selected(const gtap_selection_options *o, int rank)
{
    if (o->rank_count == 0) return 1;
    for (size_t i = 0; i < o->rank_count; i++)
        if (o->ranks[i] == rank) return 1;
    return 0;
}

static int add_item(gtap_selection *s, size_t *capacity, gtap_snapshot_ref item)
{
    if (s->count == *capacity) {
        size_t grown_capacity = *capacity ? 2 * *capacity : 64;
        gtap_snapshot_ref *grown = realloc(s->items, grown_capacity * sizeof *grown);
        if (grown == NULL) return gtap_set_error(GTAP_ENOMEM, "out of memory listing snapshots");
        s->items = grown;
        *capacity = grown_capacity;
    }
    s->items[s->count++] = item;
    return GTAP_OK;
}

/* The committed steps of (tensor, kind), malloc'ed. */
static int read_steps(gtap_reader *reader, size_t tensor, gtap_kind kind, int64_t **steps, size_t *count)
{
    *steps = NULL;
    int rc = gtap_reader_steps(reader, tensor, kind, NULL, 0, count);
    if (rc < 0 || *count == 0) return rc;
    *steps = malloc(*count * sizeof **steps);
    if (*steps == NULL) return gtap_set_error(GTAP_ENOMEM, "out of memory for %zu steps", *count);
    return gtap_reader_steps(reader, tensor, kind, *steps, *count, count);
}

static int has_step(const int64_t *steps, size_t count, int64_t step)
{
    size_t lo = 0, hi = count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (steps[mid] < step) lo = mid + 1;
        else hi = mid;
    }
    return lo < count && steps[lo] == step;
}

/* Every step of any selected tensor of (file, kind), sorted, unique. */
static int compare_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The steps of every selected tensor of (file, kind), each read once:
 * steps[t] (NULL for a tensor not selected or without snapshots). */
typedef struct tensor_steps {
    size_t tensors;
    int64_t **steps;
    size_t *counts;
    uint64_t *numels;
} tensor_steps;

static void tensor_steps_free(tensor_steps *ts)
{
    for (size_t t = 0; ts->steps && t < ts->tensors; t++) free(ts->steps[t]);
    free(ts->steps);
    free(ts->counts);
    free(ts->numels);
}

static int tensor_steps_read(const gtap_selection *s, gtap_reader *reader, gtap_kind kind, tensor_steps *ts)
{
    ts->tensors = gtap_reader_tensor_count(reader);
    size_t n = ts->tensors ? ts->tensors : 1;
    ts->steps = calloc(n, sizeof *ts->steps);
    ts->counts = calloc(n, sizeof *ts->counts);
    ts->numels = calloc(n, sizeof *ts->numels);
    if (ts->steps == NULL || ts->counts == NULL || ts->numels == NULL) return gtap_set_error(GTAP_ENOMEM, "out of memory listing steps");
    int rc = GTAP_OK;
    for (size_t t = 0; t < ts->tensors && rc == GTAP_OK; t++) {
        gtap_tensor_info info;
        if ((rc = gtap_reader_tensor(reader, t, &info)) < 0 || !gtap_selection_tensor_selected(&s->options, info.name)) continue;
        ts->numels[t] = info.numel;
        rc = read_steps(reader, t, kind, &ts->steps[t], &ts->counts[t]);
    }
    return rc;
}

static int list_global(gtap_selection *s, size_t f, int rank, gtap_kind kind, size_t *capacity)
{
    tensor_steps ts = {0};
    size_t all_count = 0;
    int64_t *all = NULL;
    int rc = tensor_steps_read(s, s->readers[f], kind, &ts);
    for (size_t t = 0; t < ts.tensors && rc == GTAP_OK; t++) all_count += ts.counts[t];
    if (rc == GTAP_OK && all_count && (all = malloc(all_count * sizeof *all)) == NULL)
        rc = gtap_set_error(GTAP_ENOMEM, "out of memory listing steps");
    for (size_t t = 0, at = 0; t < ts.tensors && rc == GTAP_OK && all; at += ts.counts[t], t++)
        if (ts.counts[t]) memcpy(all + at, ts.steps[t], ts.counts[t] * sizeof *all);
    if (rc == GTAP_OK && all_count) qsort(all, all_count, sizeof *all, compare_i64);
    for (size_t i = 0; i < all_count && rc == GTAP_OK; i++) {
        if ((i > 0 && all[i] == all[i - 1]) || !gtap_selection_step_selected(&s->options, all[i])) continue;
        gtap_snapshot_ref item = {f, rank, kind, all[i], GTAP_TENSOR_GLOBAL, 0};
        for (size_t t = 0; t < ts.tensors; t++)
            if (has_step(ts.steps[t], ts.counts[t], all[i])) item.d += ts.numels[t];
        rc = add_item(s, capacity, item);
    }
    free(all);
    tensor_steps_free(&ts);
    return rc;
}

static int list_file(gtap_selection *s, size_t f, size_t *capacity)
{
    gtap_reader *reader = s->readers[f];
    gtap_file_info file;
    int rc = gtap_reader_file_info(reader, &file);
    if (rc < 0 || !gtap_selection_rank_selected(&s->options, file.rank)) return rc;
    unsigned kinds = gtap_selection_kinds(&s->options);
    size_t tensors = gtap_reader_tensor_count(reader);
    for (int kind = 0; kind < GTAP_KIND_COUNT && rc == GTAP_OK; kind++) {
        if (!(kinds & GTAP_KIND_BIT(kind))) continue;
        if (s->options.global) {
            rc = list_global(s, f, file.rank, (gtap_kind)kind, capacity);
            continue;
        }
        for (size_t t = 0; t < tensors && rc == GTAP_OK; t++) {
            gtap_tensor_info info;
            if ((rc = gtap_reader_tensor(reader, t, &info)) < 0 || !gtap_selection_tensor_selected(&s->options, info.name)) continue;
            int64_t *steps = NULL;
            size_t count = 0;
            rc = read_steps(reader, t, (gtap_kind)kind, &steps, &count);
            for (size_t i = 0; i < count && rc == GTAP_OK; i++) {
                if (!gtap_selection_step_selected(&s->options, steps[i])) continue;
                gtap_snapshot_ref item = {f, file.rank, (gtap_kind)kind, steps[i], t, info.numel};
                rc = add_item(s, capacity, item);
            }
            free(steps);
        }
    }
    return rc;
}

static int mpi_rank_is_not_root(void);

/* Open every resolved file and check that the rank files form whole runs. */
static int open_files(gtap_selection *s)
{
    gtap_file_info *infos = calloc(s->file_count, sizeof *infos);
    s->readers = calloc(s->file_count, sizeof *s->readers);
    if (infos == NULL || s->readers == NULL) {
        free(infos);
        return gtap_cli_error(GTAP_EXIT_INTERNAL, "out of memory");
    }
    int rc = GTAP_OK;
    for (size_t f = 0; f < s->file_count && rc == GTAP_OK; f++)
        if ((rc = gtap_cli_reader_open(s->paths[f], &s->readers[f])) == GTAP_OK) rc = gtap_reader_file_info(s->readers[f], &infos[f]);
    int exit_code = rc < 0 ? gtap_cli_fail(rc)
                           : gtap_inputs_check_ranks(s->paths, infos, s->file_count, s->options.strict, mpi_rank_is_not_root());
    free(infos);
    return exit_code;
}

int gtap_selection_build(gtap_selection *s, gtap_selection_options *options, char **arguments, size_t count)
{
    memset(s, 0, sizeof *s);
    s->options = *options;
    memset(options, 0, sizeof *options);
    if (count == 0) return gtap_cli_error(GTAP_EXIT_USAGE, "no FILE given (see --help)");
    int exit_code = gtap_inputs_resolve(arguments, count, &s->inputs);
    s->paths = s->inputs.paths;
    s->file_count = s->inputs.count;
    if (exit_code == GTAP_EXIT_OK) exit_code = open_files(s);
    if (exit_code != GTAP_EXIT_OK) return exit_code;
    size_t capacity = 0;
    for (size_t f = 0; f < s->file_count; f++) {
        int rc = list_file(s, f, &capacity);
        if (rc < 0) return gtap_cli_fail(rc);
    }
    if (s->count == 0 && !s->options.allow_empty)
        return gtap_cli_error(GTAP_EXIT_USAGE, "no snapshot matches the selection (see `gradtap info`)");
    if (s->options.chunk > SIZE_MAX / sizeof(float)) return gtap_cli_error(GTAP_EXIT_USAGE, "--chunk too large");
    s->buffer = malloc((size_t)s->options.chunk * sizeof *s->buffer);
    if (s->buffer == NULL) return gtap_cli_error(GTAP_EXIT_INTERNAL, "out of memory for a chunk of %llu values", (unsigned long long)s->options.chunk);
    return GTAP_EXIT_OK;
}

void gtap_selection_free(gtap_selection *s)
{
    for (size_t f = 0; s->readers && f < s->file_count; f++) gtap_reader_close(s->readers[f]);
    free(s->readers);
    free(s->items);
    free(s->buffer);
    gtap_inputs_free(&s->inputs);
    gtap_selection_options_free(&s->options);
    memset(s, 0, sizeof *s);
}

const char *gtap_selection_tensor_name(const gtap_selection *s, const gtap_snapshot_ref *item)
{
    if (item->tensor == GTAP_TENSOR_GLOBAL) return "(global)";
    gtap_tensor_info info;
    if (gtap_reader_tensor(s->readers[item->file], item->tensor, &info) < 0) return "?";
    return info.name;
}

void gtap_snapshot_data_free(gtap_snapshot_data *data)
{
    free(data->results);
    free(data->sample);
    memset(data, 0, sizeof *data);
}

/* ---- streaming one snapshot in chunks ---------------------------------- */

typedef struct stream_state {
    gtap_selection *s;
    const gtap_snapshot_ref *item;
    gtap_tail_team *team;
    gtap_snapshot_data *data;
    int pass;
    uint64_t filled;       /* values in the buffer */
    uint64_t position;     /* global index of buffer[0] */
    uint64_t chunks;       /* chunks processed this pass */
} stream_state;

/* One seeded random index per block of sample_stride values
 * (gtap_sample_random_index, docs/THEORY.md s.6): a pure function of the
 * block, so a block cut by a chunk boundary is taken once. */
static void take_sample(stream_state *st, const float *u, uint64_t n)
{
    gtap_snapshot_data *data = st->data;
    if (data->sample_capacity == 0 || n == 0) return;
    gtap_sample_random_take(data->sample_seed, data->sample_stride, st->item->d, st->position, u, n, data->sample,
                            data->sample_capacity, &data->sample_count, st->s->options.threads);
}

static int flush_chunk(stream_state *st)
{
    if (st->filled == 0) return GTAP_OK;
    int rc;
    if (st->pass == 1) {
        rc = gtap_tail_team_feed(st->team, st->s->buffer, st->filled);
        take_sample(st, st->s->buffer, st->filled);
    } else {
        rc = gtap_tail_team_refine(st->team, st->s->buffer, st->filled);
    }
    st->position += st->filled;
    st->filled = 0;
    st->chunks++;
    return rc;
}

/* Read one tensor's snapshot through the chunk buffer. */
static int stream_tensor(stream_state *st, size_t tensor, uint64_t numel)
{
    gtap_reader *reader = st->s->readers[st->item->file];
    uint64_t chunk = st->s->options.chunk;
    for (uint64_t offset = 0; offset < numel;) {
        /* a full buffer is processed only when more values follow, so a
         * snapshot of exactly one chunk stays whole (stream_pass) */
        int rc = st->filled == chunk ? flush_chunk(st) : GTAP_OK;
        uint64_t room = chunk - st->filled, left = numel - offset, n = left < room ? left : room;
        if (rc == GTAP_OK)
            rc = gtap_reader_read_range(reader, tensor, st->item->kind, st->item->step, offset, n, st->s->buffer + st->filled);
        if (rc < 0) return rc;
        st->filled += n;
        offset += n;
    }
    return GTAP_OK;
}

static int read_whole_piece(void *user, uint64_t offset, uint64_t n, float *u)
{
    const stream_state *st = user;
    return gtap_reader_read_range(st->s->readers[st->item->file], st->item->tensor, st->item->kind, st->item->step,
                                  offset, n, u);
}

/* Pass 1 of a tensor's snapshot that fits in the buffer: read while the
 * team feeds what is read (gtap_tail_team_feed_reading); it stays whole. */
static int feed_whole_tensor(stream_state *st)
{
    int rc = gtap_tail_team_feed_reading(st->team, st->s->buffer, st->item->d, read_whole_piece, st);
    if (rc < 0) return rc;
    take_sample(st, st->s->buffer, st->item->d);
    st->data->whole = st->s->buffer;
    return GTAP_OK;
}

static int stream_pass(stream_state *st, int pass)
{
    st->pass = pass;
    st->filled = st->position = st->chunks = 0;
    const gtap_snapshot_ref *item = st->item;
    gtap_reader *reader = st->s->readers[item->file];
    int rc = GTAP_OK;
    if (pass == 1 && item->tensor != GTAP_TENSOR_GLOBAL && item->d <= st->s->options.chunk) return feed_whole_tensor(st);
    if (item->tensor != GTAP_TENSOR_GLOBAL) {
        rc = stream_tensor(st, item->tensor, item->d);
    } else {
        size_t tensors = gtap_reader_tensor_count(reader);
        for (size_t t = 0; t < tensors && rc == GTAP_OK; t++) {
            gtap_tensor_info info;
            if ((rc = gtap_reader_tensor(reader, t, &info)) < 0 || !gtap_selection_tensor_selected(&st->s->options, info.name)) continue;
            int64_t *steps = NULL;
            size_t count = 0;
            if ((rc = read_steps(reader, t, item->kind, &steps, &count)) == GTAP_OK && has_step(steps, count, item->step))
                rc = stream_tensor(st, t, info.numel);
            free(steps);
        }
    }
    if (rc == GTAP_OK) {
        /* a snapshot that fits in one chunk stays in the buffer: no re-read */
        if (pass == 1 && st->chunks == 0) st->data->whole = st->s->buffer;
        rc = flush_chunk(st);
    }
    return rc;
}

int gtap_selection_analyse(gtap_selection *s, const gtap_snapshot_ref *item, gtap_tail_team *team, const uint64_t *ks,
                           size_t nk, uint64_t sample_max, uint64_t sample_seed, gtap_snapshot_data *data)
{
    gtap_snapshot_data_free(data);
    data->sample_seed = sample_seed;
    data->results = calloc(nk ? nk : 1, sizeof *data->results);
    if (data->results == NULL) return gtap_set_error(GTAP_ENOMEM, "out of memory");
    if (sample_max > 0) {
        data->sample_stride = gtap_sample_index_stride(item->d, sample_max);
        data->sample_capacity = item->d == 0 ? 0 : (item->d - 1) / data->sample_stride + 1;
        data->sample = malloc((size_t)(data->sample_capacity ? data->sample_capacity : 1) * sizeof *data->sample);
        if (data->sample == NULL) return gtap_set_error(GTAP_ENOMEM, "out of memory for the sample");
    }
    gtap_tail_team_reset(team);
    stream_state st = {s, item, team, data, 1, 0, 0, 0};
    int refine = 0;
    int rc = stream_pass(&st, 1);
    if (rc == GTAP_OK) rc = gtap_tail_team_plan(team, ks, nk, &refine);
    if (rc == GTAP_OK && refine) {
        if (data->whole) rc = gtap_tail_team_refine(team, data->whole, item->d);
        else rc = stream_pass(&st, 2);
    }
    if (rc == GTAP_OK) rc = gtap_tail_team_finish(team, data->results, &data->moments);
    return rc;
}

/* ---- MPI ----------------------------------------------------------------- */

#ifdef GRADTAP_WITH_MPI
static int mpi_started;
#endif

void gtap_selection_mpi_start(int *argc, char ***argv, int *rank, int *size)
{
    *rank = 0;
    *size = 1;
#ifdef GRADTAP_WITH_MPI
    /* only under a launcher: a plain run must not pay for (or need) MPI */
    if (getenv("OMPI_COMM_WORLD_SIZE") == NULL && getenv("PMI_SIZE") == NULL && getenv("PMIX_RANK") == NULL) return;
    int initialised = 0;
    MPI_Initialized(&initialised);
    if (!initialised) {
        if (MPI_Init(argc, argv) != MPI_SUCCESS) return;
        mpi_started = 1;
    }
    MPI_Comm_rank(MPI_COMM_WORLD, rank);
    MPI_Comm_size(MPI_COMM_WORLD, size);
#else
    (void)argc;
    (void)argv;
#endif
}

/* 1 in an MPI rank other than 0: it prints no warning the root prints. */
static int mpi_rank_is_not_root(void)
{
#ifdef GRADTAP_WITH_MPI
    int initialised = 0, rank = 0;
    MPI_Initialized(&initialised);
    if (initialised) MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    return rank != 0;
#else
    return 0;
#endif
}

void gtap_selection_mpi_end(void)
{
#ifdef GRADTAP_WITH_MPI
    if (mpi_started) MPI_Finalize();
    mpi_started = 0;
#endif
}
