/* cmd_converge.c - `gradtap converge`: small (GaussianK-)SGD trainings with
 * every sparsifier, with and without memory, on simulated workers or MPI
 * ranks; a table per method, curves as CSV or HDF5, and --check (the
 * checks and findings of docs/THEORY.md s.8, in converge_checks.c). */
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifdef GRADTAP_WITH_MPI
#include <mpi.h>
#endif

#include "cli.h"
#include "converge.h"
#include "output_file.h"
#include "gradtap/capture.h"
#include "gradtap/train.h"
#include "gradtap/train_data.h"
#include "gradtap/train_model.h"

static const char usage_head[] =
    "usage: gradtap converge [options]\n"
    "       mpirun -np P gradtap converge [options]     (one worker per rank)\n"
    "\n"
    "Train small models with sparsified SGD and error feedback, one run per\n"
    "method, side by side, and print per method: final loss f(x_T), f(xbar_T)\n"
    "and its suboptimality f - f* (logistic regression; f* by Newton-CG to\n"
    "||grad|| < 1e-10), accuracy (test accuracy for the MLP), bits sent per\n"
    "worker (64 per (index, value) pair; 32 d per step for dense), seconds\n"
    "spent selecting. Same seed, same model, bit for bit, simulated or on MPI.\n"
    "\n"
    "problem:\n"
    "  --model M          logreg (default) or mlp (784-200-200-10 ReLU, softmax)\n"
    "  --data SRC         synthetic (default), fashion-mnist (mlp; Debian's\n"
    "                     dataset-fashion-mnist, or $GRADTAP_FASHION_MNIST dir),\n"
    "                     or a file: LIBSVM text (logreg) / IDX images (mlp, with\n"
    "                     --labels)\n"
    "  --labels FILE      IDX labels of --data (mlp)\n"
    "  --test FILE        test set: LIBSVM (logreg) or IDX images (mlp, with\n"
    "                     --test-labels); synthetic and fashion-mnist bring one\n"
    "  --test-labels FILE IDX labels of --test\n"
    "  --n N, --d D       synthetic size (logreg default n=20000, d=2000; mlp n=20000)\n"
    "  --signal S         synthetic logreg: scale of the hidden model (default 3)\n"
    "  --train-size N     use only the first N training examples\n"
    "  --lambda L         L2 weight of logreg (default 1/n)\n"
    "  --normalize-rows   scale every example (training and test) to unit norm,\n"
    "                     so L <= 1/4 + lambda (logreg; the default step has\n"
    "                     eta_0 L = 4e3 on the raw standardised breast cancer set)\n"
    "  --precision P      float (default): values stored as float32, f* is that of\n"
    "                     the rounded data; double: LIBSVM values also kept in\n"
    "                     float64 and f* computed from them (training stays float32)\n"
    "\n"
    "methods and training:\n"
    "  --methods LIST     comma-separated; each a compressor with memory or, with\n"
    "                     -nomem, without: dense, topk, randk, gaussiank,\n"
    "                     gaussiank-ref, dgck, trimmed, redsync, sign, ...\n"
    "                     (default dense,topk,topk-nomem,randk,gaussiank,dgck)\n"
    "  --density RHO      k = max(1, floor(RHO d)) (default 0.001)\n"
    "  --k K              k directly (global selection)\n"
    "  --per-layer        select per layer (default: whole model)\n"
    "  --form F           stich (lr inside the memory; logreg default) or shi\n"
    "                     (raw gradient units; mlp default)\n"
    "  --workers P        simulated workers, each with its own shard and memory\n"
    "                     (default 1; under mpirun the world size)\n"
    "  --mpi              use MPI ranks as workers (automatic under mpirun)\n"
    "  --epochs E         passes over the data (logreg default 3, mlp 3)\n"
    "  --batch B          minibatch per worker (logreg default 1, mlp 32)\n"
    "  --schedule S       stich (logreg default): eta_t = gamma/(lambda (t+a));\n"
    "                     constant; step (mlp default): lr * decay^floor(epoch/every)\n"
    "  --gamma G          Stich schedule gamma (default 2, the paper's runs)\n"
    "  --shift A          Stich shift a (default d/k)\n"
    "  --lr LR            constant/step learning rate (default 0.1)\n"
    "  --momentum M       Shi form heavy-ball momentum (default 0: without DGC's\n"
    "                     momentum correction, momentum on sparse updates makes\n"
    "                     topk lag dense; try --momentum 0.9 --lr 0.01)\n"
    "  --decay F, --decay-every E   step schedule (default 0.1 every 2 epochs)\n"
    "  --seed S           data, minibatches, compressors, MLP init (default 1)\n"
    "  --quick            smaller defaults for CI (logreg n=6000, d=600;\n"
    "                     mlp 8000 training examples, 2 epochs)\n"
    "\n"
    "output:\n"
    "  -f, --format FMT   table (default), csv or json\n"
    "  -o, --output FILE  curves: FILE.csv (one row per method and point) or\n"
    "                     FILE.h5 (HDF5 results file, layout in docs/CLI.md);\n"
    "                     give -o twice to write both\n"
    "                     (mlp: training loss/accuracy on the first 2000 examples)\n"
    "  --points N         curve points per run (default 20, plus 5 in the first 2% of steps)\n"
    "  --capture FILE     record grad, residual and acc into snapshot files\n"
    "                     (FILE.rankRRRRR.h5 per worker when P > 1; with several\n"
    "                     methods FILE.<method>.h5) for `gradtap bounds`/`fit`\n"
    "  --every N          capture every N steps (default 100)\n"
    "  --force            replace existing -o and --capture files of any kind (without it\n"
    "                     only converge's own results and curves are replaced, never a\n"
    "                     snapshot file)\n"
    "  --check            run the checks and findings below; exit 1 if a check fails\n"
    "  --strict           with --check: exit 1 also when a finding differs\n"
    "  -h, --help         this text\n"
    "\n";

static const char usage_tail[] =
    "\n"
    "exit codes: 0 ok, 1 a check failed (with --strict also: a finding differed),\n"
    "2 usage or input error (bad option,\n"
    "malformed data file: the message names file and line), 3 internal error\n";

static void print_usage(FILE *stream)
{
    fputs(usage_head, stream);
    fputs(converge_checks_help, stream);
    fputs(usage_tail, stream);
}

typedef converge_options cli_options;

enum {
    OPT_MODEL = 256, OPT_DATA, OPT_LABELS, OPT_TEST, OPT_TEST_LABELS, OPT_N, OPT_D, OPT_SIGNAL, OPT_TRAIN_SIZE,
    OPT_LAMBDA, OPT_METHODS, OPT_DENSITY, OPT_K, OPT_PER_LAYER, OPT_FORM, OPT_WORKERS, OPT_MPI, OPT_EPOCHS,
    OPT_BATCH, OPT_SCHEDULE, OPT_GAMMA, OPT_SHIFT, OPT_LR, OPT_MOMENTUM, OPT_DECAY, OPT_DECAY_EVERY, OPT_SEED,
    OPT_QUICK, OPT_POINTS, OPT_CAPTURE, OPT_EVERY, OPT_CHECK, OPT_FAULT, OPT_FORCE, OPT_STRICT, OPT_NORMALIZE,
    OPT_PRECISION,
    NOT_MINE = -2 /* an apply_* function's answer for an option of another group */
};

static const struct option long_options[] = {
    {"model", required_argument, NULL, OPT_MODEL}, {"data", required_argument, NULL, OPT_DATA},
    {"labels", required_argument, NULL, OPT_LABELS}, {"test", required_argument, NULL, OPT_TEST},
    {"test-labels", required_argument, NULL, OPT_TEST_LABELS}, {"n", required_argument, NULL, OPT_N},
    {"d", required_argument, NULL, OPT_D}, {"signal", required_argument, NULL, OPT_SIGNAL},
    {"train-size", required_argument, NULL, OPT_TRAIN_SIZE}, {"lambda", required_argument, NULL, OPT_LAMBDA},
    {"normalize-rows", no_argument, NULL, OPT_NORMALIZE}, {"precision", required_argument, NULL, OPT_PRECISION},
    {"methods", required_argument, NULL, OPT_METHODS}, {"density", required_argument, NULL, OPT_DENSITY},
    {"k", required_argument, NULL, OPT_K}, {"per-layer", no_argument, NULL, OPT_PER_LAYER},
    {"form", required_argument, NULL, OPT_FORM}, {"workers", required_argument, NULL, OPT_WORKERS},
    {"mpi", no_argument, NULL, OPT_MPI}, {"epochs", required_argument, NULL, OPT_EPOCHS},
    {"batch", required_argument, NULL, OPT_BATCH}, {"schedule", required_argument, NULL, OPT_SCHEDULE},
    {"gamma", required_argument, NULL, OPT_GAMMA}, {"shift", required_argument, NULL, OPT_SHIFT},
    {"lr", required_argument, NULL, OPT_LR}, {"momentum", required_argument, NULL, OPT_MOMENTUM},
    {"decay", required_argument, NULL, OPT_DECAY}, {"decay-every", required_argument, NULL, OPT_DECAY_EVERY},
    {"seed", required_argument, NULL, OPT_SEED}, {"quick", no_argument, NULL, OPT_QUICK},
    {"points", required_argument, NULL, OPT_POINTS}, {"capture", required_argument, NULL, OPT_CAPTURE},
    {"every", required_argument, NULL, OPT_EVERY}, {"check", no_argument, NULL, OPT_CHECK},
    {"strict", no_argument, NULL, OPT_STRICT}, {"inject-fault", required_argument, NULL, OPT_FAULT},
    {"force", no_argument, NULL, OPT_FORCE}, {"format", required_argument, NULL, 'f'},
    {"output", required_argument, NULL, 'o'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
};

/* Options of the problem: model, data and its preparation. */
static int apply_problem_option(int option, cli_options *c)
{
    switch (option) {
    case OPT_MODEL: c->model = optarg; return 0;
    case OPT_DATA: c->data = optarg; return 0;
    case OPT_LABELS: c->labels = optarg; return 0;
    case OPT_TEST: c->test = optarg; return 0;
    case OPT_TEST_LABELS: c->test_labels = optarg; return 0;
    case OPT_N: return gtap_cli_parse_u64("--n", optarg, 1, UINT64_C(1) << 40, &c->n);
    case OPT_D: return gtap_cli_parse_u64("--d", optarg, 1, UINT32_MAX, &c->d);
    case OPT_SIGNAL: return gtap_cli_parse_double("--signal", optarg, 1e-6, 1e6, &c->signal);
    case OPT_TRAIN_SIZE: return gtap_cli_parse_u64("--train-size", optarg, 1, UINT64_MAX, &c->train_size);
    case OPT_LAMBDA: return gtap_cli_parse_double("--lambda", optarg, 1e-300, 1e6, &c->lambda);
    case OPT_NORMALIZE: c->normalize_rows = 1; return 0;
    case OPT_PRECISION:
        if (strcmp(optarg, "float") != 0 && strcmp(optarg, "double") != 0)
            return gtap_cli_error(GTAP_EXIT_USAGE, "--precision: '%s' (float or double)", optarg);
        c->precision_double = strcmp(optarg, "double") == 0;
        return 0;
    case OPT_QUICK: c->quick = 1; return 0;
    case OPT_SEED: return gtap_cli_parse_u64("--seed", optarg, 0, UINT64_MAX, &c->seed);
    default: return NOT_MINE;
    }
}

/* Options of the methods and the training. */
static int apply_training_option(int option, cli_options *c)
{
    switch (option) {
    case OPT_METHODS: c->methods = optarg; return 0;
    case OPT_DENSITY: return gtap_cli_parse_double("--density", optarg, 1e-12, 1.0, &c->density);
    case OPT_K: return gtap_cli_parse_u64("--k", optarg, 1, UINT64_MAX, &c->k);
    case OPT_PER_LAYER: c->per_layer = 1; return 0;
    case OPT_FORM: c->form = optarg; return 0;
    case OPT_WORKERS: return gtap_cli_parse_int("--workers", optarg, 1, 1 << 16, &c->workers);
    case OPT_MPI: c->mpi = 1; return 0;
    case OPT_EPOCHS: return gtap_cli_parse_double("--epochs", optarg, 1e-6, 1e6, &c->epochs);
    case OPT_BATCH: return gtap_cli_parse_u64("--batch", optarg, 1, 1 << 16, &c->batch);
    case OPT_SCHEDULE: c->schedule = optarg; return 0;
    case OPT_GAMMA: return gtap_cli_parse_double("--gamma", optarg, 1e-12, 1e12, &c->gamma);
    case OPT_SHIFT: return gtap_cli_parse_double("--shift", optarg, 1e-12, 1e15, &c->shift);
    case OPT_LR: return gtap_cli_parse_double("--lr", optarg, 1e-12, 1e6, &c->lr);
    case OPT_MOMENTUM: return gtap_cli_parse_double("--momentum", optarg, 0.0, 0.999999, &c->momentum);
    case OPT_DECAY: return gtap_cli_parse_double("--decay", optarg, 1e-12, 1.0, &c->decay);
    case OPT_DECAY_EVERY: return gtap_cli_parse_double("--decay-every", optarg, 1e-6, 1e6, &c->decay_every);
    case OPT_FAULT:
        if (strcmp(optarg, "drop-memory") != 0) return gtap_cli_error(GTAP_EXIT_USAGE, "--inject-fault: only drop-memory");
        c->fault = GTAP_TRAIN_FAULT_DROP_MEMORY;
        return 0;
    default: return NOT_MINE;
    }
}

/* Options of the output and the checks. @return 0, an exit code, -1 (--help done) or NOT_MINE. */
static int apply_output_option(int option, cli_options *c)
{
    switch (option) {
    case OPT_POINTS: return gtap_cli_parse_u64("--points", optarg, 1, 100000, &c->points);
    case OPT_CAPTURE: c->capture = optarg; return 0;
    case OPT_EVERY: return gtap_cli_parse_u64("--every", optarg, 1, UINT64_MAX, &c->every);
    case OPT_CHECK: c->check = 1; return 0;
    case OPT_STRICT: c->strict = 1; return 0;
    case OPT_FORCE: c->force = 1; return 0;
    case 'f': return gtap_out_parse_format(optarg, &c->format);
    case 'o':
        if (c->output_count == 2) return gtap_cli_error(GTAP_EXIT_USAGE, "-o: at most two outputs (a .csv and a .h5)");
        c->outputs[c->output_count++] = optarg;
        return 0;
    case 'h': print_usage(stdout); return -1;
    default: return NOT_MINE;
    }
}

static int parse_options(int argc, char **argv, cli_options *c)
{
    int option, rc = 0;
    optind = 1;
    while (rc == 0 && (option = gtap_cli_getopt(argc, argv, "f:o:h", long_options)) != -1) {
        rc = apply_problem_option(option, c);
        if (rc == NOT_MINE) rc = apply_training_option(option, c);
        if (rc == NOT_MINE) rc = apply_output_option(option, c);
        if (rc == NOT_MINE) return GTAP_EXIT_USAGE; /* gtap_cli_getopt printed the one line */
    }
    if (rc == -1) return -1;
    if (rc) return GTAP_EXIT_USAGE;
    if (optind < argc) return gtap_cli_error(GTAP_EXIT_USAGE, "unexpected argument '%s' (see --help)", argv[optind]);
    if (c->strict && !c->check) return gtap_cli_error(GTAP_EXIT_USAGE, "--strict applies to --check: give both");
    return 0;
}

/* Parse "--methods": each name a compressor kind ("dense" = none), with
 * an optional "-nomem" suffix. */
static int parse_methods(const char *list, converge_run *run)
{
    size_t list_length = strlen(list);
    if (list_length == 0) return gtap_cli_error(GTAP_EXIT_USAGE, "--methods: empty list (see --help)");
    if (list[0] == ',' || list[list_length - 1] == ',' || strstr(list, ",,") != NULL)
        return gtap_cli_error(GTAP_EXIT_USAGE, "--methods: empty method name in '%s'", list);
    char *copy = strdup(list);
    if (copy == NULL) return gtap_cli_error(GTAP_EXIT_INTERNAL, "out of memory");
    int rc = 0;
    char *save = NULL;
    for (char *name = strtok_r(copy, ",", &save); name && rc == 0; name = strtok_r(NULL, ",", &save)) {
        if (run->method_count >= CONVERGE_MAX_METHODS) {
            rc = gtap_cli_error(GTAP_EXIT_USAGE, "--methods: at most %d methods", CONVERGE_MAX_METHODS);
            break;
        }
        converge_method *m = &run->methods[run->method_count];
        memset(m, 0, sizeof *m);
        snprintf(m->name, sizeof m->name, "%s", name);
        char kind_name[64];
        snprintf(kind_name, sizeof kind_name, "%s", name);
        size_t length = strlen(kind_name);
        m->memory = 1;
        if (length > 6 && strcmp(kind_name + length - 6, "-nomem") == 0) {
            kind_name[length - 6] = '\0';
            m->memory = 0;
        }
        if (strcmp(kind_name, "dense") == 0) {
            m->kind = GTAP_SPARSIFY_NONE;
        } else if (gtap_sparsifier_kind_parse(kind_name, &m->kind) < 0) {
            rc = gtap_cli_error(GTAP_EXIT_USAGE, "--methods: unknown method '%s' (dense or one of: %s, each optionally "
                                "with -nomem)", name, gtap_sparsifier_kind_list());
            break;
        }
        if (m->kind == GTAP_SPARSIFY_THRESHOLD)
            rc = gtap_cli_error(GTAP_EXIT_USAGE, "--methods: threshold needs a lambda; not offered by converge");
        for (int i = 0; i < run->method_count && rc == 0; i++)
            if (strcmp(run->methods[i].name, m->name) == 0) rc = gtap_cli_error(GTAP_EXIT_USAGE, "--methods: '%s' twice", name);
        if (rc == 0) run->method_count++;
    }
    free(copy);
    return rc;
}

/* The shared training options from the command line and the model's defaults. */
static int build_base(const cli_options *c, converge_run *run, const gtap_model *model)
{
    gtap_train_options *o = &run->base;
    gtap_train_options_init(o);
    const int mlp = run->model_kind == GTAP_MODEL_MLP;
    const uint64_t d = gtap_model_dim(model);
    o->density = c->density > 0 ? c->density : 0.001;
    o->k = c->k;
    o->per_layer = c->per_layer;
    o->form = mlp ? GTAP_EF_SHI : GTAP_EF_STICH;
    if (c->form && gtap_ef_form_parse(c->form, &o->form) < 0)
        return gtap_cli_error(GTAP_EXIT_USAGE, "--form: '%s' (stich or shi)", c->form);
    o->batch = c->batch ? c->batch : (mlp ? 32 : 1);
    o->epochs = c->epochs > 0 ? c->epochs : (c->quick && mlp ? 2.0 : 3.0);
    o->seed = c->seed;
    o->workers = c->workers ? c->workers : 1;
    o->comm = run->mpi ? GTAP_TRAIN_COMM_MPI : GTAP_TRAIN_COMM_SIMULATED;
    o->eval_points = c->points ? c->points : 20;
    o->early_points = 5;
    o->fault = (gtap_train_fault)c->fault;
    uint64_t k = c->k;
    if (k == 0 && gtap_k_from_density(o->density, d, &k) < 0) return gtap_cli_fail(GTAP_EINVAL);
    if (k > d) return gtap_cli_error(GTAP_EXIT_USAGE, "--k %llu exceeds d=%llu", (unsigned long long)k, (unsigned long long)d);
    gtap_schedule *s = &o->schedule;
    const char *schedule = c->schedule ? c->schedule : (mlp ? "step" : "stich");
    if (strcmp(schedule, "stich") == 0) s->kind = GTAP_SCHEDULE_STICH;
    else if (strcmp(schedule, "constant") == 0) s->kind = GTAP_SCHEDULE_CONSTANT;
    else if (strcmp(schedule, "step") == 0) s->kind = GTAP_SCHEDULE_STEP;
    else return gtap_cli_error(GTAP_EXIT_USAGE, "--schedule: '%s' (stich, constant or step)", schedule);
    if (s->kind == GTAP_SCHEDULE_STICH && mlp)
        return gtap_cli_error(GTAP_EXIT_USAGE, "--schedule stich needs the strongly convex logreg model");
    s->gamma = c->gamma > 0 ? c->gamma : 2.0;
    s->lambda = gtap_model_lambda(model);
    s->shift = c->shift > 0 ? c->shift : (double)d / (double)k;
    s->lr = c->lr > 0 ? c->lr : 0.1;
    s->decay = c->decay > 0 ? c->decay : 0.1;
    uint64_t steps_per_epoch = (uint64_t)ceil((double)run->n / ((double)o->batch * (double)(run->mpi ? run->world_size : o->workers)));
    double every = c->decay_every > 0 ? c->decay_every : 2.0;
    s->decay_every = (uint64_t)ceil(every * (double)steps_per_epoch);
    if (s->decay_every == 0) s->decay_every = 1;
    o->momentum = c->momentum >= 0 ? c->momentum : 0.0;
    if (o->form == GTAP_EF_STICH && o->momentum > 0)
        return gtap_cli_error(GTAP_EXIT_USAGE, "--momentum needs --form shi (the Stich form applies C(p) directly)");
    o->average = s->kind == GTAP_SCHEDULE_STICH;
    o->capture_every = c->every ? c->every : 100;
    o->eval_rows = mlp ? 2000 : 0;
    return 0;
}

/* -o and --capture replace only what converge itself wrote (a results file
 * or curves CSV of converge), or anything with --force; an existing
 * snapshot file is never replaced silently (docs/CLI.md, "Output files").
 * Checked before training, by every rank for every file, so that all ranks
 * agree. */
static int check_outputs(const cli_options *c, const converge_run *run)
{
    for (int o = 0; o < c->output_count; o++) {
        int h5 = converge_is_h5_path(c->outputs[o]);
        int rc = gtap_output_check(c->outputs[o], h5 ? "gradtap-converge-results" : NULL, h5 ? NULL : "method,step,",
                                   c->force);
        if (rc) return rc;
    }
    int workers = run->mpi ? run->world_size : run->base.workers;
    for (int i = 0; c->capture != NULL && i < run->method_count; i++) {
        if (run->methods[i].hidden) continue;
        char path[4096], rank_path[4200];
        converge_capture_path(run, &run->methods[i], c->capture, 0, path, sizeof path);
        for (int w = 0; w < workers; w++) {
            if (workers > 1 && gtap_capture_rank_path(path, w, rank_path, sizeof rank_path) < 0)
                return gtap_cli_fail(GTAP_EINVAL);
            int rc = gtap_output_check(workers > 1 ? rank_path : path, NULL, NULL, c->force);
            if (rc) return rc;
        }
    }
    return 0;
}

/* Write the curves to `name` (CSV or, for .h5, a results file) aside and
 * rename them into place, so a failure leaves an older file as it was. */
static int write_output(const converge_run *run, const char *name)
{
    gtap_output_file aside;
    int exit_code = gtap_output_begin(&aside, name);
    if (exit_code) return exit_code;
    int rc = converge_write_curves(run, name, aside.temp);
    if (rc < 0) {
        gtap_output_abort(&aside);
        return gtap_cli_fail(rc);
    }
    return gtap_output_commit(&aside);
}

static int run_method(converge_run *run, converge_method *m, gtap_model *model, const gtap_dataset *train,
                      const gtap_dataset *test, const char *capture)
{
    gtap_train_options o = run->base;
    gtap_sparsify_options_init(&o.compressor, m->kind);
    o.memory = m->memory;
    o.test = test;
    o.run_label = m->name;
    o.capture_path = NULL;
    if (m->theory_schedule) {
        uint64_t k = run->base.k;
        if (k == 0) gtap_k_from_density(o.density, gtap_model_dim(model), &k);
        o.schedule.gamma = GTAP_THEORY_GAMMA;
        o.schedule.shift = gtap_theory_shift(gtap_model_dim(model), k);
    }
    if (m->shift > 0) o.schedule.shift = m->shift;
    if (m->max_steps) o.max_steps = m->max_steps;
    if (m->force_stich_constant) {
        o.form = GTAP_EF_STICH;
        o.momentum = 0.0;
        o.weight_decay = 0.0;
        o.schedule.kind = GTAP_SCHEDULE_CONSTANT;
    }
    char path[4096];
    if (capture && !m->hidden) { /* written aside, renamed at the end (converge_captures.c) */
        converge_capture_path(run, m, capture, 1, path, sizeof path);
        o.capture_path = path;
    }
    int rc = gtap_train_run(&o, model, train, &m->result);
    m->ran = 1;
    return rc;
}

#ifdef GRADTAP_WITH_MPI
static int launched_by_mpirun(void)
{
    return getenv("OMPI_COMM_WORLD_SIZE") != NULL || getenv("PMI_SIZE") != NULL || getenv("PMIX_RANK") != NULL;
}
#endif

/* The model, the shared options and the list of methods. */
static int prepare_runs(const cli_options *c, converge_run *run, const gtap_dataset *train, gtap_model **model)
{
    gtap_model_options mo;
    gtap_model_options_init(&mo, run->model_kind);
    if (c->lambda > 0) mo.lambda = c->lambda;
    mo.max_batch = c->batch ? c->batch : 256;
    if (mo.max_batch < 32) mo.max_batch = 32;
    int rc = gtap_model_create(&mo, train, model);
    if (rc < 0) return gtap_cli_fail(rc);
    int exit_code = build_base(c, run, *model);
    if (exit_code) return exit_code;
    if (run->method_count == 0)
        exit_code = parse_methods(c->methods ? c->methods
                                             : (run->model_kind == GTAP_MODEL_MLP ? "dense,topk,topk-nomem,randk-nomem,gaussiank,dgck"
                                                                                : "dense,topk,topk-nomem,randk,gaussiank,dgck"),
                                  run);
    if (exit_code) return exit_code;
    if (c->check) converge_add_check_methods(run);
    return check_outputs(c, run);
}

/* eta_0 and the smoothness bound L <= max_i ||a_i||^2 / 4 + lambda of
 * logistic regression; a warning when eta_0 L is large (docs/THEORY.md s.8). */
static void assess_step(converge_run *run)
{
    run->eta0 = gtap_schedule_eta(&run->base.schedule, 0);
    run->smoothness = NAN;
    if (run->model_kind != GTAP_MODEL_LOGREG) return;
    const gtap_schedule *s = &run->base.schedule;
    run->smoothness = run->max_row_norm2 / 4.0 + s->lambda;
    double product = run->eta0 * run->smoothness;
    if (run->rank != 0 || !(product > CONVERGE_STEP_WARN)) return;
    if (s->kind == GTAP_SCHEDULE_STICH) /* eta_t L <= 2 from t = gamma L / (2 lambda) - a on */
        gtap_cli_warn("eta_0 L = %.3g > %g (eta_0 = %.3g, L <= max_i ||a_i||^2/4 + lambda = %.4g): eta_t L > 2 for the "
                      "first %.3g steps; consider --normalize-rows or a smaller --gamma", product, CONVERGE_STEP_WARN,
                      run->eta0, run->smoothness, s->gamma * run->smoothness / (2.0 * s->lambda) - s->shift);
    else
        gtap_cli_warn("eta_0 L = %.3g > %g (eta_0 = %.3g, L <= max_i ||a_i||^2/4 + lambda = %.4g): the step is far "
                      "beyond 2/L; consider --normalize-rows or a smaller --lr", product, CONVERGE_STEP_WARN, run->eta0,
                      run->smoothness);
}

/* f* by Newton-CG (logreg), from the float64 values when the data keeps them. */
static int compute_fstar(converge_run *run, const gtap_dataset *train, const gtap_model *model)
{
    run->fstar = NAN;
    if (run->model_kind != GTAP_MODEL_LOGREG) return 0;
    gtap_optimum opt;
    int rc = gtap_logreg_optimum(train, gtap_model_lambda(model), 1e-10, 100, NULL, &opt);
    if (rc < 0) return gtap_cli_fail(rc);
    if (!opt.converged)
        gtap_cli_warn("f*: Newton-CG stopped at ||grad f|| = %.3g (not < 1e-10) after %d iterations", opt.grad_norm,
                      opt.newton_iterations);
    run->fstar = opt.fstar;
    run->fstar_grad_norm = opt.grad_norm;
    run->fstar_newton = opt.newton_iterations;
    run->fstar_cg = opt.cg_iterations;
    return 0;
}

static int run_all_methods(converge_run *run, gtap_model *model, const gtap_dataset *train, const gtap_dataset *test,
                           const char *capture)
{
    for (int i = 0; i < run->method_count; i++) {
        int rc = run_method(run, &run->methods[i], model, train, test, capture);
        if (rc < 0) return gtap_cli_fail(rc);
        if (gtap_cli_stderr_is_tty() && run->rank == 0)
            fprintf(stderr, "gradtap converge: %s done in %.2f s\n", run->methods[i].name, run->methods[i].result.total_seconds);
    }
    return 0;
}

/* The table, the curves files and the checks. */
static int report_runs(const cli_options *c, converge_run *run)
{
    int exit_code = 0;
    if (run->rank == 0) {
        converge_print_table(run, c->format);
        for (int o = 0; o < c->output_count && exit_code == GTAP_EXIT_OK; o++)
            exit_code = write_output(run, c->outputs[o]);
        if (exit_code) return exit_code;
    }
    if (c->check) {
        int failed = converge_print_checks(run, run->rank == 0 ? (c->format == GTAP_OUT_TABLE ? stdout : stderr) : NULL);
        if (failed) exit_code = GTAP_EXIT_CHECK;
    }
    return exit_code;
}

static int converge_main(const cli_options *c, converge_run *run)
{
    gtap_dataset *train = NULL, *test = NULL;
    gtap_model *model = NULL;
    run->strict = c->strict;
    int exit_code = converge_load_data(c, run, &train, &test);
    if (exit_code == 0) exit_code = prepare_runs(c, run, train, &model);
    if (exit_code == 0) {
        assess_step(run);
        exit_code = compute_fstar(run, train, model);
    }
    if (exit_code == 0) exit_code = run_all_methods(run, model, train, test, c->capture);
    if (exit_code == 0) exit_code = report_runs(c, run);
    for (int i = 0; i < run->method_count; i++) gtap_train_result_free(&run->methods[i].result);
    gtap_model_free(model);
    gtap_dataset_free(train);
    gtap_dataset_free(test);
    return exit_code;
}

int gtap_cmd_converge(int argc, char **argv)
{
    cli_options c;
    memset(&c, 0, sizeof c);
    c.seed = 1;
    c.momentum = -1.0; /* not given */
    c.format = GTAP_OUT_TABLE;
    int exit_code = parse_options(argc, argv, &c);
    if (exit_code < 0) return GTAP_EXIT_OK; /* --help */
    if (exit_code) return exit_code;
    converge_run *run = calloc(1, sizeof *run);
    if (run == NULL) return gtap_cli_error(GTAP_EXIT_INTERNAL, "out of memory");
    run->quick = c.quick;
    run->world_size = 1;
    const char *model = c.model ? c.model : "logreg";
    if (strcmp(model, "logreg") == 0) run->model_kind = GTAP_MODEL_LOGREG;
    else if (strcmp(model, "mlp") == 0) run->model_kind = GTAP_MODEL_MLP;
    else {
        free(run);
        return gtap_cli_error(GTAP_EXIT_USAGE, "--model: '%s' (logreg or mlp)", model);
    }
    if (c.capture && c.every == 0) c.every = 100;
#ifdef GRADTAP_WITH_MPI
    if (c.mpi || launched_by_mpirun()) {
        MPI_Init(NULL, NULL);
        run->mpi = 1;
        MPI_Comm_rank(MPI_COMM_WORLD, &run->rank);
        MPI_Comm_size(MPI_COMM_WORLD, &run->world_size);
        if (c.workers && c.workers != run->world_size) {
            exit_code = gtap_cli_error(GTAP_EXIT_USAGE, "--workers %d differs from the MPI world size %d", c.workers,
                                       run->world_size);
            MPI_Finalize();
            free(run);
            return exit_code;
        }
    }
#else
    if (c.mpi) {
        free(run);
        return gtap_cli_error(GTAP_EXIT_USAGE, "--mpi: this gradtap was built without MPI");
    }
#endif
    exit_code = converge_main(&c, run);
#ifdef GRADTAP_WITH_MPI
    if (run->mpi) {
        /* every rank ran the same deterministic program; agree on the worst exit code */
        int worst = exit_code;
        MPI_Allreduce(&exit_code, &worst, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
        exit_code = worst;
    }
#endif
    int committed = converge_captures_finish(run, c.capture, exit_code == GTAP_EXIT_OK || exit_code == GTAP_EXIT_CHECK);
    if (committed && (exit_code == GTAP_EXIT_OK || exit_code == GTAP_EXIT_CHECK)) exit_code = committed;
#ifdef GRADTAP_WITH_MPI
    if (run->mpi) MPI_Finalize();
#endif
    free(run);
    return exit_code;
}
