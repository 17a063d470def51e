/* test_cli_analysis.c - `gradtap bounds`, `fit` and `curve` end to end on
 * snapshot files written with the gtap_writer API: the CSV column contract,
 * values against the brute-force reference, --global and small --chunk
 * against the concatenated vector, --check, --nonfinite, zero vectors, and
 * bad options/files (exit 2 with one line). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gradtap/format.h"
#include "gtap_test.h"
#include "reference.h"

#define D1 30000
#define D2 7000

static char file_main[512], file_other[512];
static float *vec_a, *vec_b; /* step 5 of tensors "a.w" and "b.w" (rank 0) */

static void write_files(void)
{
    static int done;
    if (done) return;
    done = 1;
    uint64_t state = gtap_test_seed("cli analysis files");
    float *fill_a = malloc(D1 * sizeof *fill_a), *fill_b = malloc(D2 * sizeof *fill_b);
    vec_a = malloc(D1 * sizeof *vec_a);
    vec_b = malloc(D2 * sizeof *vec_b);
    snprintf(file_main, sizeof file_main, "%s", gtap_test_path("run.rank00000.h5"));
    snprintf(file_other, sizeof file_other, "%s", gtap_test_path("run.rank00001.h5"));
    for (int rank = 0; rank < 2; rank++) {
        gtap_writer_options o;
        gtap_writer_options_init(&o);
        o.rank = rank;
        o.world_size = 2;
        gtap_writer *w = NULL;
        GT_ASSERT_OK(gtap_writer_create(rank ? file_other : file_main, &o, &w));
        GT_ASSERT_OK(gtap_writer_add_tensor(w, "a.w", D1, GTAP_FLOAT32));
        GT_ASSERT_OK(gtap_writer_add_tensor(w, "b.w", D2, GTAP_FLOAT32));
        GT_ASSERT_OK(gtap_writer_add_tensor(w, "equal", 400, GTAP_FLOAT32));
        GT_ASSERT_OK(gtap_writer_add_tensor(w, "zero", 64, GTAP_FLOAT32));
        GT_ASSERT_OK(gtap_writer_add_tensor(w, "bad", 64, GTAP_FLOAT32));
        float equal[400], zero[64] = {0}, bad[64];
        for (int i = 0; i < 400; i++) equal[i] = (i % 3) ? 0.5f : -0.5f;
        for (int i = 0; i < 64; i++) bad[i] = (float)i;
        bad[7] = NAN;
        for (int step = 0; step <= 10; step += 5) {
            ref_fill(fill_a, D1, "laplace", &state);
            ref_fill(fill_b, D2, "gauss", &state);
            GT_ASSERT_OK(gtap_writer_write_float32(w, "a.w", GTAP_KIND_GRAD, step, fill_a));
            GT_ASSERT_OK(gtap_writer_write_float32(w, "b.w", GTAP_KIND_GRAD, step, fill_b));
            GT_ASSERT_OK(gtap_writer_write_float32(w, "equal", GTAP_KIND_ACC, step, equal));
            GT_ASSERT_OK(gtap_writer_write_float32(w, "zero", GTAP_KIND_RESIDUAL, step, zero));
            GT_ASSERT_OK(gtap_writer_write_float32(w, "bad", GTAP_KIND_PARAM, step, bad));
            if (rank == 0 && step == 5) { /* kept for the reference checks */
                memcpy(vec_a, fill_a, D1 * sizeof *vec_a);
                memcpy(vec_b, fill_b, D2 * sizeof *vec_b);
            }
        }
        GT_ASSERT_OK(gtap_writer_close(w));
    }
    free(fill_a);
    free(fill_b);
}

/* Run `gradtap ARGS`, capture stdout/stderr; returns the exit code. */
static int run(const char *args, char **out, char **err)
{
    char command[4096];
    const char *cli = getenv("GRADTAP_CLI");
    snprintf(command, sizeof command, "%s %s", cli ? cli : "gradtap", args);
    char out_path[512], err_path[512];
    snprintf(out_path, sizeof out_path, "%s", gtap_test_path("out.txt"));
    snprintf(err_path, sizeof err_path, "%s", gtap_test_path("err.txt"));
    int rc = gtap_test_system(command, out_path, err_path);
    if (out) *out = gtap_test_read_file(out_path, NULL);
    if (err) *err = gtap_test_read_file(err_path, NULL);
    return rc;
}

static int count_lines(const char *text)
{
    int n = 0;
    for (const char *p = text; p && *p; p++) n += *p == '\n';
    return n;
}

/* The field `column` (0-based) of CSV line `line` (0 = header). */
static double csv_field(const char *csv, int line, int column)
{
    const char *p = csv;
    for (int l = 0; l < line && p; l++) {
        p = strchr(p, '\n');
        if (p) p++;
    }
    for (int c = 0; c < column && p; c++) {
        p = strpbrk(p, ",\n");
        if (p && *p == ',') p++;
        else return NAN;
    }
    return p ? strtod(p, NULL) : NAN;
}

static void test_bounds_csv_contract_and_values(void)
{
    write_files();
    char args[2048], *out = NULL, *err = NULL;
    snprintf(args, sizeof args, "bounds --tensor a.w --steps 5:5 --rank 0 --density 0.001,0.01,0.1 --no-selectors -f csv %s %s",
             file_main, file_other);
    GT_ASSERT_INT_EQ(run(args, &out, &err), 0);
    GT_ASSERT_FATAL(out != NULL);
    const char *contract = "rank,step,tensor,kind,d,k,norm2,tail2,ratio,bound_loose,bound_tight,";
    GT_ASSERT(strncmp(out, contract, strlen(contract)) == 0);
    GT_ASSERT_INT_EQ(count_lines(out), 4);
    const double densities[3] = {0.001, 0.01, 0.1};
    for (int i = 0; i < 3; i++) {
        uint64_t k = (uint64_t)floor(densities[i] * D1);
        ref_tail ref;
        ref_tail_energy(vec_a, D1, k, &ref);
        GT_ASSERT_NEAR(csv_field(out, i + 1, 5), (double)k, 0, 0);
        GT_ASSERT_NEAR(csv_field(out, i + 1, 6), (double)ref.norm2, 0, 1e-12);
        GT_ASSERT_NEAR(csv_field(out, i + 1, 7), (double)ref.tail2, 0, 1e-12);
        GT_ASSERT_NEAR(csv_field(out, i + 1, 8), (double)(ref.tail2 / ref.norm2), 0, 1e-12);
        GT_ASSERT_NEAR(csv_field(out, i + 1, 9), 1.0 - (double)k / D1, 1e-15, 0);
    }
    GT_ASSERT(err && strstr(err, "summary") != NULL); /* the summary goes to stderr with csv */
    free(out);
    free(err);
}

static void test_global_and_chunks(void)
{
    write_files();
    char args[2048], *whole = NULL, *chunked = NULL, *err = NULL;
    snprintf(args, sizeof args, "bounds --global --tensor '*.w' --steps 5:5 --rank 0 --k 1,37,370,37000 --no-selectors -f csv %s",
             file_main);
    GT_ASSERT_INT_EQ(run(args, &whole, NULL), 0);
    snprintf(args, sizeof args,
             "bounds --global --tensor '*.w' --steps 5:5 --rank 0 --k 1,37,370,37000 --no-selectors --chunk 1000 --threads 2 -f csv %s",
             file_main);
    GT_ASSERT_INT_EQ(run(args, &chunked, &err), 0);
    GT_ASSERT_FATAL(whole && chunked);
    /* energies are exact bucket sums: bit-identical however it was chunked */
    for (int line = 1; line <= 4; line++)
        for (int col = 6; col <= 8; col++) GT_ASSERT(csv_field(whole, line, col) == csv_field(chunked, line, col));
    float *cat = malloc((D1 + D2) * sizeof *cat);
    memcpy(cat, vec_a, D1 * sizeof *cat);
    memcpy(cat + D1, vec_b, D2 * sizeof *cat);
    const uint64_t ks[4] = {1, 37, 370, 37000};
    for (int i = 0; i < 4; i++) {
        ref_tail ref;
        ref_tail_energy(cat, D1 + D2, ks[i], &ref);
        GT_ASSERT_NEAR(csv_field(whole, i + 1, 4), D1 + D2, 0, 0);
        GT_ASSERT_NEAR(csv_field(whole, i + 1, 7), (double)ref.tail2, 1e-300, 1e-12);
    }
    GT_ASSERT(strstr(whole, "(global)") != NULL);
    free(cat);
    free(whole);
    free(chunked);
    free(err);
}

static void test_check_and_special_vectors(void)
{
    write_files();
    char args[2048], *out = NULL, *err = NULL;
    /* all-equal magnitudes: r_k = 1 - k/d > (1 - k/d)^2: the tight bound fails */
    snprintf(args, sizeof args, "bounds --kind acc --check tight -f csv %s", file_main);
    GT_ASSERT_INT_EQ(run(args, &out, &err), 1);
    GT_ASSERT(err && strstr(err, "tight bound") != NULL && strstr(err, "violation") != NULL);
    free(out);
    free(err);
    snprintf(args, sizeof args, "bounds --kind acc --check loose -f csv %s", file_main);
    GT_ASSERT_INT_EQ(run(args, &out, &err), 0);
    free(out);
    free(err);
    /* zero vectors are reported, not dropped */
    snprintf(args, sizeof args, "bounds --kind residual -f csv %s", file_main);
    GT_ASSERT_INT_EQ(run(args, &out, &err), 0);
    GT_ASSERT(out && strstr(out, "zero_vector") != NULL);
    GT_ASSERT_INT_EQ(count_lines(out), 1 + 3 * 3);
    free(out);
    free(err);
    /* NaN: skip reports the snapshot, fail stops with exit 2 and one line */
    snprintf(args, sizeof args, "bounds --kind param -f csv %s", file_main);
    GT_ASSERT_INT_EQ(run(args, &out, &err), 0);
    GT_ASSERT(out && strstr(out, "nonfinite") != NULL);
    free(out);
    free(err);
    snprintf(args, sizeof args, "bounds --kind param --nonfinite fail %s", file_main);
    GT_ASSERT_INT_EQ(run(args, &out, &err), 2);
    GT_ASSERT(err && strstr(err, "NaN") != NULL && strstr(err, "bad") != NULL);
    GT_ASSERT_INT_EQ(count_lines(err), 1);
    free(out);
    free(err);
}

static void test_bad_input(void)
{
    write_files();
    char bogus[512];
    snprintf(bogus, sizeof bogus, "%s", gtap_test_path("bogus.h5"));
    FILE *f = fopen(bogus, "w");
    fputs("not hdf5", f);
    fclose(f);
    const char *cases[] = {
        "bounds --density 0 %s", "bounds --density 0.1,x %s", "bounds --kind gradient %s", "bounds --steps 9:1 %s",
        "bounds --check medium %s", "bounds --nonfinite maybe %s", "bounds --tensor nosuch %s", "bounds --bogus %s",
        "bounds %s /nonexistent/file.h5", "fit --hist 0 %s", "curve --points 1 %s", "curve --k 5 %s", "bounds -f xml %s",
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char args[2048], *err = NULL;
        snprintf(args, sizeof args, cases[i], file_main);
        int rc = run(args, NULL, &err);
        gtap_test_assert(rc == 2, 0, __LINE__, __FILE__, "'%s' exited %d, expected 2", args, rc);
        char prefix[64];
        snprintf(prefix, sizeof prefix, "gradtap %.*s: ", (int)strcspn(args, " "), args);
        gtap_test_assert(count_lines(err) == 1 && err && strncmp(err, prefix, strlen(prefix)) == 0, 0, __LINE__, __FILE__,
                         "'%s': want one line starting '%s', got %d:\n%s", args, prefix, count_lines(err), err ? err : "");
        free(err);
    }
    char args[2048], *err = NULL;
    snprintf(args, sizeof args, "bounds %s", bogus);
    GT_ASSERT_INT_EQ(run(args, NULL, &err), 2);
    GT_ASSERT_INT_EQ(count_lines(err), 1);
    free(err);
    GT_ASSERT_INT_EQ(run("bounds", NULL, NULL), 2);
    GT_ASSERT_INT_EQ(run("bounds --help", NULL, NULL), 0);
    GT_ASSERT_INT_EQ(run("fit --help", NULL, NULL), 0);
    GT_ASSERT_INT_EQ(run("curve --help", NULL, NULL), 0);
}

static void test_curve_and_fit(void)
{
    write_files();
    char args[2048], *out = NULL, *err = NULL;
    snprintf(args, sizeof args, "curve --tensor a.w --steps 5:5 --points 50 -f csv %s", file_main);
    GT_ASSERT_INT_EQ(run(args, &out, &err), 0);
    int lines = count_lines(out);
    GT_ASSERT(lines > 40 && lines <= 51);
    GT_ASSERT_NEAR(csv_field(out, 1, 5), 1, 0, 0);              /* first k = 1 */
    GT_ASSERT_NEAR(csv_field(out, lines - 1, 5), D1, 0, 0);     /* last k = d */
    GT_ASSERT_NEAR(csv_field(out, lines - 1, 7), 0.0, 0, 0);    /* ratio 0 at k = d */
    for (int l = 1; l < lines; l++) GT_ASSERT(csv_field(out, l, 7) <= csv_field(out, l, 8) + 1e-12);
    free(out);
    free(err);
    snprintf(args, sizeof args, "fit --tensor a.w --steps 5:5 --hist 20 --qq 10 -f csv %s", file_main);
    GT_ASSERT_INT_EQ(run(args, &out, &err), 0);
    GT_ASSERT(out && strncmp(out, "rank,step,tensor,kind,d,count,mean,std,skewness,excess_kurtosis", 60) == 0);
    /* Laplace data: laplace (or gennorm, which contains it) is best */
    GT_ASSERT(out && (strstr(out, ",laplace,") != NULL || strstr(out, ",gennorm,") != NULL));
    GT_ASSERT_INT_EQ(count_lines(out), 2 + 1 + 21 + 1 + 11);
    free(out);
    free(err);
    char results[512];
    snprintf(results, sizeof results, "%s", gtap_test_path("results.h5"));
    snprintf(args, sizeof args, "bounds --tensor a.w --no-selectors -o %s %s %s > /dev/null", results, file_main, file_other);
    GT_ASSERT_INT_EQ(run(args, NULL, NULL), 0);
    FILE *r = fopen(results, "rb");
    GT_ASSERT(r != NULL);
    if (r) fclose(r);
}

/* 0-based index of column `name` in the CSV header, or -1. */
static int csv_column(const char *csv, const char *name)
{
    size_t len = strlen(name);
    int column = 0;
    for (const char *p = csv; p && *p && *p != '\n'; column++) {
        if (strncmp(p, name, len) == 0 && (p[len] == ',' || p[len] == '\n')) return column;
        p = strpbrk(p, ",\n");
        if (p && *p == ',') p++;
        else break;
    }
    return -1;
}

/* `gradtap fit` on an interleaved vector (even entries N(0,1), odd entries
 * N(0, 7.1^2)) with a sample of 1 in 8: the seeded random sample sees both
 * halves (sd 5.07; the old stride-8 sample saw sd 1), the seed is a column
 * and decides the sample; the added columns come after `file`; an all-zero
 * vector has best "none" (docs/THEORY.md s.6). */
static void test_fit_random_sample_and_checks(void)
{
    write_files();
    enum { D = 400000 };
    char path[512], args[2048], *out = NULL, *again = NULL;
    snprintf(path, sizeof path, "%s", gtap_test_path("interleaved.h5"));
    float *u = malloc(D * sizeof *u);
    uint64_t state = gtap_test_seed("cli fit interleaved");
    ref_fill(u, D, "gauss", &state);
    for (int i = 1; i < D; i += 2) u[i] *= 7.1f;
    gtap_writer_options o;
    gtap_writer_options_init(&o);
    gtap_writer *w = NULL;
    GT_ASSERT_OK(gtap_writer_create(path, &o, &w));
    GT_ASSERT_OK(gtap_writer_add_tensor(w, "fc1.w", D, GTAP_FLOAT32));
    GT_ASSERT_OK(gtap_writer_write_float32(w, "fc1.w", GTAP_KIND_GRAD, 0, u));
    GT_ASSERT_OK(gtap_writer_close(w));
    free(u);
    snprintf(args, sizeof args, "fit --fit-sample 50000 --seed 3 -f csv %s", path);
    GT_ASSERT_INT_EQ(run(args, &out, NULL), 0);
    GT_ASSERT_INT_EQ(run(args, &again, NULL), 0);
    GT_ASSERT_STR_EQ(out, again); /* same seed, same sample, same row */
    int scale = csv_column(out, "gauss_scale"), seed = csv_column(out, "sample_seed"), file = csv_column(out, "file");
    int stride = csv_column(out, "sample_stride"), converged = csv_column(out, "gennorm_converged");
    GT_ASSERT(scale > 0 && seed > file && converged > file && csv_column(out, "ks_critical") > file);
    GT_ASSERT(csv_column(out, "best_aic") > file && csv_column(out, "gauss_ks_p") > file && csv_column(out, "fit_n") > file);
    printf(" [interleaved: gauss_scale %.3f]", csv_field(out, 1, scale));
    GT_ASSERT_NEAR(csv_field(out, 1, scale), sqrt((1.0 + 7.1 * 7.1) / 2.0), 0.2, 0);
    GT_ASSERT_NEAR(csv_field(out, 1, seed), 3, 0, 0);
    GT_ASSERT_NEAR(csv_field(out, 1, stride), 8, 0, 0);
    GT_ASSERT_STR_CONTAINS(out, ",none,"); /* a mixture of two Gaussians: no family passes KS */
    free(out);
    free(again);
    snprintf(args, sizeof args, "fit --tensor zero --kind residual --steps 5:5 -f csv %s", file_main);
    GT_ASSERT_INT_EQ(run(args, &out, NULL), 0);
    GT_ASSERT(csv_column(out, "best") >= 0);
    GT_ASSERT_STR_CONTAINS(out, "fewer than 2 non-zero values");
    GT_ASSERT(out && strstr(out, ",none,") != NULL && strstr(out, ",inf,") == NULL && strstr(out, ",-inf,") == NULL);
    free(out);
}

int main(int argc, char **argv)
{
    CU_TestInfo tests[] = {
        {"bounds: CSV contract and values vs sort", test_bounds_csv_contract_and_values},
        {"bounds: --global and --chunk vs concatenation", test_global_and_chunks},
        {"bounds: --check, zero vectors, NaN", test_check_and_special_vectors},
        {"bad options and files: exit 2, one line", test_bad_input},
        {"curve and fit", test_curve_and_fit},
        {"fit: random sample, seed, checks after the contract", test_fit_random_sample_and_checks},
        CU_TEST_INFO_NULL,
    };
    CU_SuiteInfo suites[] = {{"cli analysis", NULL, NULL, NULL, NULL, tests}, CU_SUITE_INFO_NULL};
    return gtap_test_run(argc, argv, suites);
}
