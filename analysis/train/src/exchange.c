/* exchange.c - the sparse allgather of the trainer (docs/THEORY.md s.5):
 * counts first (MPI_Allgather), then the index and value arrays
 * (MPI_Allgatherv), into the canonical layout of gradtap/sparse_message.h.
 * Simulated workers fill the same layout directly, so both paths hand the
 * same messages, in rank order, to gtap_sparse_sum(). */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#ifdef GRADTAP_WITH_MPI
#include <mpi.h>
#endif

#include "train_internal.h"

int gtap_exchange_init(gtap_exchange *ex, int mpi, int simulated_workers, uint64_t capacity)
{
    memset(ex, 0, sizeof *ex);
    ex->mpi = mpi;
    ex->capacity = capacity;
    if (mpi) {
#ifdef GRADTAP_WITH_MPI
        int initialized = 0;
        MPI_Initialized(&initialized);
        if (!initialized) return gtap_set_error(GTAP_ESTATE, "trainer: MPI requested but MPI_Init was not called");
        MPI_Comm_size(MPI_COMM_WORLD, &ex->world_size);
        MPI_Comm_rank(MPI_COMM_WORLD, &ex->rank);
#else
        return gtap_set_error(GTAP_EUNSUPPORTED, "trainer: this gradtap was built without MPI");
#endif
    } else {
        ex->world_size = simulated_workers;
        ex->rank = 0;
    }
    uint64_t P = (uint64_t)ex->world_size;
    if (capacity > UINT64_MAX / P || capacity * P > SIZE_MAX / sizeof(uint64_t))
        return gtap_set_error(GTAP_EOVERFLOW, "trainer: %llu workers x %llu pairs overflow", (unsigned long long)P,
                              (unsigned long long)capacity);
    ex->counts = calloc(P, sizeof *ex->counts);
    ex->indices = malloc((size_t)(P * capacity) * sizeof *ex->indices);
    ex->values = malloc((size_t)(P * capacity) * sizeof *ex->values);
    ex->msgs = calloc(P, sizeof *ex->msgs);
    if (!ex->counts || !ex->indices || !ex->values || !ex->msgs)
        return gtap_set_error(GTAP_ENOMEM, "trainer: out of memory for %llu messages of %llu pairs",
                              (unsigned long long)P, (unsigned long long)capacity);
    return GTAP_OK;
}

void gtap_exchange_free(gtap_exchange *ex)
{
    if (ex == NULL) return;
    free(ex->counts);
    free(ex->indices);
    free(ex->values);
    free(ex->msgs);
    memset(ex, 0, sizeof *ex);
}

#ifdef GRADTAP_WITH_MPI
static int mpi_exchange(gtap_exchange *ex)
{
    const int P = ex->world_size;
    uint64_t mine = ex->counts[ex->rank];
    if (MPI_Allgather(&mine, 1, MPI_UINT64_T, ex->counts, 1, MPI_UINT64_T, MPI_COMM_WORLD) != MPI_SUCCESS)
        return gtap_set_error(GTAP_EMPI, "trainer: MPI_Allgather of message counts failed");
    for (int p = 0; p < P; p++)
        if (ex->counts[p] == GTAP_EXCHANGE_DIVERGED) return GTAP_OK;
    int *counts = malloc(2 * (size_t)P * sizeof *counts);
    if (counts == NULL) return gtap_set_error(GTAP_ENOMEM, "trainer: out of memory");
    int *displacements = counts + P;
    /* Receive message p right after message p-1 (the canonical layout). */
    uint64_t offset = 0;
    for (int p = 0; p < P; p++) {
        if (ex->counts[p] > ex->capacity || offset > (uint64_t)INT_MAX - ex->counts[p]) {
            free(counts);
            return gtap_set_error(GTAP_EOVERFLOW, "trainer: rank %d sent %llu pairs (capacity %llu, MPI int limit)",
                                  p, (unsigned long long)ex->counts[p], (unsigned long long)ex->capacity);
        }
        counts[p] = (int)ex->counts[p];
        displacements[p] = (int)offset;
        offset += ex->counts[p];
    }
    /* This rank's message sits at slot rank*capacity; move it to its place
     * in the layout first (memmove: the regions may overlap). */
    uint64_t *send_indices = ex->indices + (uint64_t)ex->rank * ex->capacity;
    float *send_values = ex->values + (uint64_t)ex->rank * ex->capacity;
    int rc = GTAP_OK;
    uint64_t *tmp_i = malloc((mine ? mine : 1) * sizeof *tmp_i);
    float *tmp_v = malloc((mine ? mine : 1) * sizeof *tmp_v);
    if (!tmp_i || !tmp_v) rc = gtap_set_error(GTAP_ENOMEM, "trainer: out of memory");
    if (rc == GTAP_OK) {
        memcpy(tmp_i, send_indices, mine * sizeof *tmp_i);
        memcpy(tmp_v, send_values, mine * sizeof *tmp_v);
        if (MPI_Allgatherv(tmp_i, (int)mine, MPI_UINT64_T, ex->indices, counts, displacements, MPI_UINT64_T,
                           MPI_COMM_WORLD) != MPI_SUCCESS ||
            MPI_Allgatherv(tmp_v, (int)mine, MPI_FLOAT, ex->values, counts, displacements, MPI_FLOAT,
                           MPI_COMM_WORLD) != MPI_SUCCESS)
            rc = gtap_set_error(GTAP_EMPI, "trainer: MPI_Allgatherv of sparse messages failed");
    }
    free(tmp_i);
    free(tmp_v);
    free(counts);
    return rc;
}
#endif

int gtap_exchange_all(gtap_exchange *ex, int *diverged)
{
    *diverged = 0;
    const int P = ex->world_size;
    if (ex->mpi) {
#ifdef GRADTAP_WITH_MPI
        int rc = mpi_exchange(ex);
        if (rc < 0) return rc;
#endif
        uint64_t offset = 0;
        for (int p = 0; p < P; p++) {
            if (ex->counts[p] == GTAP_EXCHANGE_DIVERGED) {
                *diverged = 1;
                return GTAP_OK;
            }
            ex->msgs[p].indices = ex->indices + offset;
            ex->msgs[p].values = ex->values + offset;
            ex->msgs[p].count = ex->counts[p];
            offset += ex->counts[p];
        }
        return GTAP_OK;
    }
    for (int p = 0; p < P; p++) {
        if (ex->counts[p] == GTAP_EXCHANGE_DIVERGED) {
            *diverged = 1;
            return GTAP_OK;
        }
        ex->msgs[p].indices = ex->indices + (uint64_t)p * ex->capacity;
        ex->msgs[p].values = ex->values + (uint64_t)p * ex->capacity;
        ex->msgs[p].count = ex->counts[p];
    }
    return GTAP_OK;
}

int gtap_exchange_sum_double(gtap_exchange *ex, double *values, uint64_t count)
{
    if (!ex->mpi) return GTAP_OK;
#ifdef GRADTAP_WITH_MPI
    if (count > INT_MAX) return gtap_set_error(GTAP_EOVERFLOW, "trainer: allreduce of %llu values", (unsigned long long)count);
    if (MPI_Allreduce(MPI_IN_PLACE, values, (int)count, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD) != MPI_SUCCESS)
        return gtap_set_error(GTAP_EMPI, "trainer: MPI_Allreduce failed");
#else
    (void)values;
    (void)count;
#endif
    return GTAP_OK;
}
