/* test_converge_mpi.c - run under `mpirun -np 4`: the trainer on MPI ranks
 * (sparse allgather) must give the same model, bit for bit, on every rank
 * and as the 4-worker simulated run in one process (docs/THEORY.md s.5), for
 * deterministic and random compressors, logistic regression and the MLP. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gradtap/train.h"

static int failures = 0;

#define CHECK(cond, ...)                                                                                   \
    do {                                                                                                   \
        if (!(cond)) {                                                                                     \
            fprintf(stderr, "rank %d: FAILED %s: ", rank, #cond);                                          \
            fprintf(stderr, __VA_ARGS__);                                                                  \
            fputc('\n', stderr);                                                                           \
            failures++;                                                                                    \
        }                                                                                                  \
    } while (0)

static int rank = 0, world = 1;

static void compare(const char *label, gtap_model_kind kind, gtap_sparsifier_kind compressor, gtap_ef_form form,
                    uint64_t seed)
{
    gtap_dataset *data = NULL;
    int rc = kind == GTAP_MODEL_LOGREG ? gtap_dataset_synthetic_logreg(2000, 300, 3.0, seed, &data)
                                       : gtap_dataset_synthetic_images(800, seed, seed, &data);
    CHECK(rc == GTAP_OK, "%s: data: %s", label, gtap_last_error());
    gtap_model_options mo;
    gtap_model_options_init(&mo, kind);
    mo.hidden_count = 1;
    mo.hidden[0] = 16;
    mo.max_batch = 32;
    gtap_model *model = NULL;
    CHECK(gtap_model_create(&mo, data, &model) == GTAP_OK, "%s: model: %s", label, gtap_last_error());
    gtap_train_options o;
    gtap_train_options_init(&o);
    gtap_sparsify_options_init(&o.compressor, compressor);
    o.form = form;
    o.density = 0.01;
    o.seed = seed;
    o.eval_points = 4;
    o.epochs = 1.0;
    if (kind == GTAP_MODEL_LOGREG) {
        o.schedule.lambda = gtap_model_lambda(model);
        o.schedule.shift = 100.0;
    } else {
        o.schedule.kind = GTAP_SCHEDULE_CONSTANT;
        o.schedule.lr = 0.1;
        o.batch = 8;
        o.average = 0;
        if (form == GTAP_EF_SHI) o.momentum = 0.5;
    }
    const uint64_t d = gtap_model_dim(model);
    gtap_train_result mpi_result, sim_result;
    o.comm = GTAP_TRAIN_COMM_MPI;
    rc = gtap_train_run(&o, model, data, &mpi_result);
    CHECK(rc == GTAP_OK, "%s: MPI run: %s", label, gtap_last_error());
    /* every rank holds rank 0's model */
    float *root = malloc(d * sizeof *root);
    if (rank == 0) memcpy(root, mpi_result.final_x, d * sizeof *root);
    MPI_Bcast(root, (int)d, MPI_FLOAT, 0, MPI_COMM_WORLD);
    CHECK(memcmp(root, mpi_result.final_x, d * sizeof *root) == 0, "%s: rank %d's model differs from rank 0's", label, rank);
    if (rank == 0) {
        o.comm = GTAP_TRAIN_COMM_SIMULATED;
        o.workers = world;
        rc = gtap_train_run(&o, model, data, &sim_result);
        CHECK(rc == GTAP_OK, "%s: simulated run: %s", label, gtap_last_error());
        uint64_t differing = 0;
        for (uint64_t j = 0; j < d; j++) differing += memcmp(&sim_result.final_x[j], &mpi_result.final_x[j], sizeof(float)) != 0;
        CHECK(differing == 0, "%s: %llu of %llu parameters differ between MPI and simulated", label,
              (unsigned long long)differing, (unsigned long long)d);
        CHECK(sim_result.bits_per_worker == mpi_result.bits_per_worker, "%s: bits differ", label);
        CHECK(sim_result.final_loss == mpi_result.final_loss, "%s: loss %.17g vs %.17g", label, sim_result.final_loss,
              mpi_result.final_loss);
        if (form == GTAP_EF_STICH)
            CHECK(mpi_result.invariant_error < 1e-5, "%s: invariant error %g on MPI", label, mpi_result.invariant_error);
        printf("%s: %llu parameters equal bit for bit (loss %.9f)\n", label, (unsigned long long)d, mpi_result.final_loss);
        gtap_train_result_free(&sim_result);
    }
    free(root);
    gtap_train_result_free(&mpi_result);
    gtap_model_free(model);
    gtap_dataset_free(data);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &world);
    compare("logreg topk", GTAP_MODEL_LOGREG, GTAP_SPARSIFY_TOPK, GTAP_EF_STICH, 11);
    compare("logreg randk", GTAP_MODEL_LOGREG, GTAP_SPARSIFY_RANDK, GTAP_EF_STICH, 12);
    compare("logreg gaussiank", GTAP_MODEL_LOGREG, GTAP_SPARSIFY_GAUSSIANK, GTAP_EF_STICH, 13);
    compare("logreg dgck", GTAP_MODEL_LOGREG, GTAP_SPARSIFY_DGCK, GTAP_EF_STICH, 14);
    compare("mlp topk shi+momentum", GTAP_MODEL_MLP, GTAP_SPARSIFY_TOPK, GTAP_EF_SHI, 15);
    int total = 0;
    MPI_Allreduce(&failures, &total, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    if (rank == 0) printf("%s\n", total ? "FAILED" : "all equal");
    MPI_Finalize();
    return total ? 1 : 0;
}
