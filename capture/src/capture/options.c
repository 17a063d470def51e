/* options.c - capture options: defaults, validation, the rank and world
 * size (MPI, torchrun's environment, or given), the run id, and the
 * per-rank file name. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef GRADTAP_WITH_MPI
#include <mpi.h>
#endif

#include "capture_internal.h"
#include "gradtap/abi.h"
#include "gradtap/abi.h"

static const double default_densities[] = {0.001, 0.01, 0.1};

void gtap_capture_options_init(gtap_capture_options *options)
{
    if (options == NULL) return;
    const gtap_capture_options defaults = GTAP_CAPTURE_OPTIONS_INIT;
    *options = defaults;
}

size_t gtap_capture_options_size(void)
{
    return sizeof(gtap_capture_options);
}

int gtap_capture_rank_path(const char *path, int rank, char *out, size_t capacity)
{
    if (path == NULL || out == NULL || rank < 0 || path[0] == '\0')
        return gtap_set_error(GTAP_EINVAL, "gtap_capture_rank_path: bad argument");
    size_t length = strlen(path);
    size_t stem = length;
    if (length > 3 && strcmp(path + length - 3, ".h5") == 0) stem = length - 3;
    int written = snprintf(out, capacity, "%.*s.rank%05d.h5", (int)stem, path, rank);
    if (written < 0 || (size_t)written >= capacity)
        return gtap_set_error(GTAP_EOVERFLOW, "%s: the per-rank file name is too long", path);
    return GTAP_OK;
}

/* A non-negative int from the environment, or -1. */
static int env_int(const char *name)
{
    const char *text = getenv(name);
    if (text == NULL || *text == '\0') return -1;
    char *end = NULL;
    errno = 0;
    long value = strtol(text, &end, 10);
    if (errno != 0 || *end != '\0' || value < 0 || value > 1 << 30) return -1;
    return (int)value;
}

static int mpi_active(void)
{
#ifdef GRADTAP_WITH_MPI
    int initialized = 0, finalized = 0;
    MPI_Initialized(&initialized);
    MPI_Finalized(&finalized);
    return initialized && !finalized;
#else
    return 0;
#endif
}

static int detect_rank(gtap_capture *capture, const gtap_capture_options *options)
{
    int rank = options->rank, world = options->world_size;
    if (rank < 0 || world < 0) {
        if (mpi_active()) {
#ifdef GRADTAP_WITH_MPI
            if (MPI_Comm_rank(MPI_COMM_WORLD, &rank) != MPI_SUCCESS ||
                MPI_Comm_size(MPI_COMM_WORLD, &world) != MPI_SUCCESS)
                return gtap_set_error(GTAP_EMPI, "capture: cannot get the MPI rank and size");
#endif
        } else if (env_int("RANK") >= 0 && env_int("WORLD_SIZE") >= 1) {
            rank = env_int("RANK");
            world = env_int("WORLD_SIZE");
        } else {
            rank = 0;
            world = 1;
        }
        if (options->rank >= 0) rank = options->rank;
        if (options->world_size >= 0) world = options->world_size;
    }
    if (world < 1 || rank >= world)
        return gtap_set_error(GTAP_EINVAL, "capture: rank %d is not in [0, world size %d)", rank, world);
    capture->rank = rank;
    capture->world_size = world;
    return GTAP_OK;
}

/* The run id shared by all ranks: given, from MPI rank 0, or from the
 * environment; "" when none of these exist. */
static void choose_run_id(gtap_capture *capture, const gtap_capture_options *options)
{
    const char *given = options->run_id;
    if (given == NULL) given = getenv("GRADTAP_RUN_ID");
    if (given == NULL) given = getenv("TORCHELASTIC_RUN_ID");
    if (given != NULL) {
        snprintf(capture->run_id, sizeof capture->run_id, "%s", given);
        return;
    }
    capture->run_id[0] = '\0';
#ifdef GRADTAP_WITH_MPI
    if (mpi_active()) {
        char id[64] = "";
        int rank = 0;
        MPI_Comm_rank(MPI_COMM_WORLD, &rank);
        if (rank == 0) {
            struct timespec now;
            clock_gettime(CLOCK_REALTIME, &now);
            snprintf(id, sizeof id, "mpi-%lld-%ld-%d", (long long)now.tv_sec, now.tv_nsec, (int)getpid());
        }
        MPI_Bcast(id, (int)sizeof id, MPI_CHAR, 0, MPI_COMM_WORLD);
        snprintf(capture->run_id, sizeof capture->run_id, "%s", id);
    }
#endif
}

static int compare_steps(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int copy_step_list(gtap_capture *capture, const gtap_capture_options *options)
{
    if (options->step_count == 0) return GTAP_OK;
    if (options->steps == NULL) return gtap_set_error(GTAP_EINVAL, "capture: steps is NULL with step_count %zu",
                                                      options->step_count);
    if (options->step_count > GTAP_CAPTURE_MAX_STEP_LIST)
        return gtap_set_error(GTAP_EINVAL, "capture: %zu listed steps (at most %d)", options->step_count,
                              GTAP_CAPTURE_MAX_STEP_LIST);
    capture->step_list = malloc(options->step_count * sizeof *capture->step_list);
    if (capture->step_list == NULL) return gtap_set_error(GTAP_ENOMEM, "capture: no memory for the step list");
    for (size_t i = 0; i < options->step_count; i++) {
        if (options->steps[i] < 0)
            return gtap_set_error(GTAP_EINVAL, "capture: listed step %" PRId64 " is negative", options->steps[i]);
        capture->step_list[i] = options->steps[i];
    }
    qsort(capture->step_list, options->step_count, sizeof *capture->step_list, compare_steps);
    size_t unique = 0;
    for (size_t i = 0; i < options->step_count; i++)
        if (unique == 0 || capture->step_list[unique - 1] != capture->step_list[i])
            capture->step_list[unique++] = capture->step_list[i];
    capture->step_list_count = unique;
    return GTAP_OK;
}

static int copy_densities(gtap_capture *capture, const gtap_capture_options *options)
{
    const double *densities = options->densities;
    size_t count = options->density_count;
    if (densities == NULL && count == 0) {
        densities = default_densities;
        count = sizeof default_densities / sizeof default_densities[0];
    }
    if (densities == NULL || count > GTAP_SUMMARY_MAX_DENSITIES)
        return gtap_set_error(GTAP_EINVAL, "capture: %zu densities (give 0..%d, and a non-NULL array)", count,
                              GTAP_SUMMARY_MAX_DENSITIES);
    for (size_t i = 0; i < count; i++) {
        if (!(densities[i] > 0.0 && densities[i] <= 1.0))
            return gtap_set_error(GTAP_EINVAL, "capture: density %g is not in (0, 1]", densities[i]);
        capture->densities[i] = densities[i];
    }
    capture->density_count = count;
    return GTAP_OK;
}

int capture_copy_options(gtap_capture *capture, const char *path, const gtap_capture_options *options)
{
    int rc = gtap_struct_check("capture options", "gtap_capture_options_init",
                               options->struct_size, options->struct_version, sizeof *options, GTAP_CAPTURE_OPTIONS_VERSION);
    if (rc < 0) return rc;
    if (options->kinds == 0 || (options->kinds & ~GTAP_KIND_ALL) != 0)
        return gtap_set_error(GTAP_EINVAL, "capture: kinds 0x%x is not a non-empty set of GTAP_KIND_BIT()",
                              options->kinds);
    if (options->truncate && options->append)
        return gtap_set_error(GTAP_EINVAL, "capture: truncate and append exclude each other");
    if (options->staging_bytes == 0)
        return gtap_set_error(GTAP_EINVAL, "capture: staging_bytes must be > 0");
    if (options->policy != GTAP_CAPTURE_BLOCK && options->policy != GTAP_CAPTURE_SKIP)
        return gtap_set_error(GTAP_EINVAL, "capture: unknown policy %d", (int)options->policy);
    if (options->compression < GTAP_COMPRESS_NONE || options->compression > GTAP_COMPRESS_LZ4)
        return gtap_set_error(GTAP_EINVAL, "capture: unknown compression %d", (int)options->compression);
    rc = detect_rank(capture, options);
    if (rc == GTAP_OK) rc = copy_step_list(capture, options);
    if (rc == GTAP_OK) rc = copy_densities(capture, options);
    if (rc < 0) return rc;
    capture->every = options->every;
    capture->kinds = options->kinds;
    capture->summary_every = options->summary_every;
    capture->compression = options->compression;
    capture->policy = options->policy;
    if (!(options->flush_seconds >= 0.0 && options->flush_seconds <= 86400.0))
        return gtap_set_error(GTAP_EINVAL, "capture: flush_seconds %g is not in [0, 86400]", options->flush_seconds);
    capture->flush_bytes = options->flush_bytes ? options->flush_bytes : ((uint64_t)256 << 20);
    capture->flush_seconds = options->flush_seconds;
    capture->fsync = options->fsync != 0;
    capture->crash_safe = options->crash_safe != 0;
    capture->truncate = options->truncate != 0;
    capture->append = options->append != 0;
    capture->quiet = options->quiet != 0;
    if (options->global_summary && options->summary_every == 0)
        return gtap_set_error(GTAP_EINVAL, "capture: global_summary needs summary_every > 0");
    capture->global_summary = options->global_summary != 0;
    snprintf(capture->producer, sizeof capture->producer, "%s",
             options->producer ? options->producer : "");
    choose_run_id(capture, options);

    int per_rank = options->per_rank_files;
    if (per_rank < 0) per_rank = capture->world_size > 1;
    size_t capacity = strlen(path) + 32;
    capture->path = malloc(capacity);
    if (capture->path == NULL) return gtap_set_error(GTAP_ENOMEM, "capture: out of memory");
    if (per_rank) return gtap_capture_rank_path(path, capture->rank, capture->path, capacity);
    memcpy(capture->path, path, strlen(path) + 1);
    return GTAP_OK;
}

int capture_step_listed(const gtap_capture *capture, int64_t step)
{
    size_t low = 0, high = capture->step_list_count;
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        if (capture->step_list[middle] == step) return 1;
        if (capture->step_list[middle] < step) low = middle + 1;
        else high = middle;
    }
    return 0;
}
