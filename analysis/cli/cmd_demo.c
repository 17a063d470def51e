/* cmd_demo.c - `gradtap demo [--out DIR] [--quick]`: the whole path on an
 * embedded default. Trains the MLP with dense, top-k, Gaussian-k and
 * random-k (error feedback on, 4 workers: MPI ranks when possible) while
 * capturing grad, residual and acc; runs `gradtap bounds`, `fit` and `curve`
 * on the captured files; times the selectors; draws the figures with
 * notebooks/gradtap_plots.py; prints a verdict. Every step is a child
 * process of this binary (or of Python) whose output stays in DIR. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "demo.h"
#include "gradtap/status.h"

static const char usage[] =
    "usage: gradtap demo [--out DIR] [--quick] [options]\n"
    "\n"
    "Run gradtap end to end on an embedded default, with no data of yours:\n"
    "  1. train the MLP 784-200-200-10 with dense, top-k, Gaussian-k and random-k\n"
    "     SGD, error feedback on, 4 workers (MPI ranks when gradtap was built with\n"
    "     MPI and mpirun works, simulated workers otherwise), capturing grad,\n"
    "     residual and acc every N steps (`gradtap converge --capture`);\n"
    "  2. run `gradtap bounds` (per layer and whole model), `gradtap fit` and\n"
    "     `gradtap curve` on the captured snapshots, and time the selectors;\n"
    "  3. draw the figures (PDF and PNG) with notebooks/gradtap_plots.py and\n"
    "     print a verdict: the share of snapshots holding (1-k/d)^2 and 1-k/d,\n"
    "     the best-fitting distribution family, and how close Gaussian-k and\n"
    "     top-k came to dense.\n"
    "Data: Fashion-MNIST from Debian's dataset-fashion-mnist (or the directory\n"
    "in $GRADTAP_FASHION_MNIST) when installed, synthetic data otherwise (the\n"
    "first line of output says which). A full run takes a few minutes on 2\n"
    "cores; --quick well under one.\n"
    "\n"
    "  -o, --out DIR      output directory (default ./gradtap-demo); an existing\n"
    "                     DIR must be empty or hold an earlier demo, whose data,\n"
    "                     results, figures and logs are replaced\n"
    "  --quick            small run: 2000 training examples, 1 epoch, selectors\n"
    "                     timed up to d = 2^18\n"
    "  --data SRC         auto (default), fashion-mnist or synthetic\n"
    "  --workers P        workers (default 4)\n"
    "  --mpi MODE         auto (default): MPI ranks when possible; on: MPI ranks\n"
    "                     or fail; off: simulated workers in one process\n"
    "  --density RHO      density of the sparsifiers in training (default 0.001)\n"
    "  --every N          capture every N steps (default 20; --quick 4)\n"
    "  --seed S           seed of data, training and timing (default 1)\n"
    "  --no-figures       skip step 3's figures (no Python needed)\n"
    "  -h, --help         this text\n"
    "\n"
    "DIR afterwards: data/ (snapshot files run.<method>[.rankNNNNN].h5),\n"
    "results/ (converge.csv and .h5 curves, converge_summary.csv, bounds.csv,\n"
    "bounds_global.csv, fit.csv, curve.csv with .h5 results files beside them,\n"
    "speed.csv), figures/ (distribution, bounds, curve, convergence, speed as\n"
    ".pdf and .png), logs/ (one log per step), verdict.txt. The notebooks in\n"
    "notebooks/ read the same files.\n"
    "\n"
    "environment: GRADTAP_PYTHON (the Python with matplotlib, numpy and h5py;\n"
    "default /usr/bin/python3, else python3 in PATH; the pip-installed command\n"
    "sets it to its environment's Python), GRADTAP_NOTEBOOKS (the folder of\n"
    "gradtap_plots.py; default: where the install put it, else the sources').\n"
    "\n"
    "exit codes: 0 ok, 2 usage error (bad option, unusable DIR), 3 a step failed\n"
    "(the message names it and shows the end of its log; what was written is kept)\n";

#define DEMO_MARKER ".gradtap-demo"
#define DEMO_METHODS "dense,topk,gaussiank,randk"
#define PATH_SIZE 4096
#define MAX_ARGS 96

typedef struct demo_options {
    const char *out;
    const char *data;     /* auto | fashion-mnist | synthetic */
    const char *mpi;      /* auto | on | off */
    int quick, figures, workers;
    double density;
    uint64_t every, seed;
} demo_options;

/* What the run decided, for the header line. */
typedef struct demo_run {
    demo_options o;
    char self[PATH_SIZE];
    char dir[PATH_SIZE];
    int use_mpi, open_mpi;
    const char *data;     /* fashion-mnist | synthetic */
    int fashion_from_env; /* Fashion-MNIST from $GRADTAP_FASHION_MNIST */
    demo_progress progress;
    int failed_steps;
} demo_run;

/* `relative` inside DIR into `out` (PATH_SIZE bytes). DIR is at most
 * PATH_SIZE - 128 bytes (checked in parse_options) and every `relative`
 * below is short, so nothing is cut; a path that would be is left empty. */
static const char *in_dir(char *out, const demo_run *run, const char *relative)
{
    if (snprintf(out, PATH_SIZE, "%s/%s", run->dir, relative) >= PATH_SIZE) out[0] = '\0';
    return out;
}

/* A growing argv for a child; the strings are copies (arg_free). */
typedef struct arg_list {
    char *argv[MAX_ARGS + 1];
    int count;
    int failed;           /* out of memory or too many arguments */
} arg_list;

static void arg_add(arg_list *a, const char *text)
{
    char *copy = a->count < MAX_ARGS ? strdup(text) : NULL;
    if (copy == NULL) {
        a->failed = 1;
        return;
    }
    a->argv[a->count++] = copy;
    a->argv[a->count] = NULL;
}

static void arg_free(arg_list *a)
{
    for (int i = 0; i < a->count; i++) free(a->argv[i]);
    a->count = 0;
}

static void arg_addf_u64(arg_list *a, uint64_t value)
{
    char text[32];
    snprintf(text, sizeof text, "%llu", (unsigned long long)value);
    arg_add(a, text);
}

static int parse_options(int argc, char **argv, demo_options *o, int *help)
{
    enum { OPT_QUICK = 256, OPT_DATA, OPT_WORKERS, OPT_MPI, OPT_DENSITY, OPT_EVERY, OPT_SEED, OPT_NO_FIGURES };
    static const struct option options[] = {
        {"out", required_argument, NULL, 'o'},        {"quick", no_argument, NULL, OPT_QUICK},
        {"data", required_argument, NULL, OPT_DATA},  {"workers", required_argument, NULL, OPT_WORKERS},
        {"mpi", required_argument, NULL, OPT_MPI},    {"density", required_argument, NULL, OPT_DENSITY},
        {"every", required_argument, NULL, OPT_EVERY}, {"seed", required_argument, NULL, OPT_SEED},
        {"no-figures", no_argument, NULL, OPT_NO_FIGURES}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    memset(o, 0, sizeof *o);
    o->out = "gradtap-demo";
    o->data = "auto";
    o->mpi = "auto";
    o->figures = 1;
    o->workers = 4;
    o->density = 0.001;
    o->seed = 1;
    *help = 0;
    int option;
    optind = 1;
    while ((option = gtap_cli_getopt(argc, argv, "o:h", options)) != -1) {
        int bad = 0;
        switch (option) {
        case 'o': o->out = optarg; break;
        case OPT_QUICK: o->quick = 1; break;
        case OPT_DATA: o->data = optarg; break;
        case OPT_WORKERS: bad = gtap_cli_parse_int("--workers", optarg, 1, 64, &o->workers); break;
        case OPT_MPI: o->mpi = optarg; break;
        case OPT_DENSITY: bad = gtap_cli_parse_double("--density", optarg, 1e-9, 1.0, &o->density); break;
        case OPT_EVERY: bad = gtap_cli_parse_u64("--every", optarg, 1, 1000000, &o->every); break;
        case OPT_SEED: bad = gtap_cli_parse_u64("--seed", optarg, 0, UINT64_MAX, &o->seed); break;
        case OPT_NO_FIGURES: o->figures = 0; break;
        case 'h': *help = 1; return 0;
        default: return GTAP_EXIT_USAGE; /* gtap_cli_getopt printed the one line */
        }
        if (bad) return bad;
    }
    if (optind < argc)
        return gtap_cli_error(GTAP_EXIT_USAGE, "unexpected argument '%s' (the demo takes no files)", argv[optind]);
    if (strcmp(o->data, "auto") != 0 && strcmp(o->data, "fashion-mnist") != 0 && strcmp(o->data, "synthetic") != 0)
        return gtap_cli_error(GTAP_EXIT_USAGE, "--data '%s': use auto, fashion-mnist or synthetic", o->data);
    if (strcmp(o->mpi, "auto") != 0 && strcmp(o->mpi, "on") != 0 && strcmp(o->mpi, "off") != 0)
        return gtap_cli_error(GTAP_EXIT_USAGE, "--mpi '%s': use auto, on or off", o->mpi);
    if (strcmp(o->mpi, "on") == 0 && o->workers < 2)
        return gtap_cli_error(GTAP_EXIT_USAGE, "--mpi on needs --workers 2 or more");
    if (o->out[0] == '\0') return gtap_cli_error(GTAP_EXIT_USAGE, "--out: empty directory name");
    if (strlen(o->out) > PATH_SIZE - 128) return gtap_cli_error(GTAP_EXIT_USAGE, "--out: path too long");
    if (o->every == 0) o->every = o->quick ? 4 : 20;
    return 0;
}

/* ---- the output directory ------------------------------------------------ */

static int make_dirs(const char *path)
{
    char partial[PATH_SIZE];
    snprintf(partial, sizeof partial, "%s", path);
    for (char *p = partial + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(partial, 0755) != 0 && errno != EEXIST) return -1;
        *p = '/';
    }
    return mkdir(partial, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

static int is_empty_dir(const char *path)
{
    DIR *dir = opendir(path);
    if (dir == NULL) return 0;
    struct dirent *entry;
    int empty = 1;
    while (empty && (entry = readdir(dir)) != NULL)
        if (strcmp(entry->d_name, ".") != 0 && strcmp(entry->d_name, "..") != 0) empty = 0;
    closedir(dir);
    return empty;
}

/* Remove the regular files an earlier demo left in DIR/sub. */
static void clear_subdir(const char *dir, const char *sub)
{
    char path[PATH_SIZE];
    snprintf(path, sizeof path, "%s/%s", dir, sub);
    DIR *d = opendir(path);
    if (d == NULL) return;
    struct dirent *entry;
    while ((entry = readdir(d)) != NULL) {
        char file[PATH_SIZE];
        struct stat st;
        if (snprintf(file, sizeof file, "%s/%s", path, entry->d_name) >= (int)sizeof file) continue;
        if (lstat(file, &st) == 0 && S_ISREG(st.st_mode)) unlink(file);
    }
    closedir(d);
}

static int prepare_dir(demo_run *run)
{
    const char *out = run->o.out;
    struct stat st;
    char path[PATH_SIZE];
    if (stat(out, &st) == 0) {
        if (!S_ISDIR(st.st_mode)) return gtap_cli_error(GTAP_EXIT_USAGE, "%s exists and is not a directory", out);
        snprintf(path, sizeof path, "%s/%s", out, DEMO_MARKER);
        if (access(path, F_OK) != 0 && !is_empty_dir(out))
            return gtap_cli_error(GTAP_EXIT_USAGE,
                                  "%s exists and is not empty or an earlier demo's directory: choose another --out",
                                  out);
        static const char *const subs[] = {"data", "results", "figures", "logs"};
        for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++) clear_subdir(out, subs[i]);
    }
    static const char *const subs[] = {"", "/data", "/results", "/figures", "/logs"};
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++) {
        snprintf(path, sizeof path, "%s%s", out, subs[i]);
        if (make_dirs(path) != 0) return gtap_cli_error(GTAP_EXIT_USAGE, "%s: cannot create: %s", path, strerror(errno));
    }
    snprintf(path, sizeof path, "%s/%s", out, DEMO_MARKER);
    FILE *marker = fopen(path, "w");
    if (marker == NULL) return gtap_cli_error(GTAP_EXIT_USAGE, "%s: cannot write: %s", path, strerror(errno));
    fputs("written by `gradtap demo`; a later demo may replace this directory's data, results, figures, logs\n",
          marker);
    fclose(marker);
    snprintf(run->dir, sizeof run->dir, "%s", out);
    return 0;
}

/* ---- decisions: data and workers ----------------------------------------- */

/* Debian's dataset-fashion-mnist installs here (`dpkg -L dataset-fashion-mnist`);
 * `gradtap converge --data fashion-mnist` looks in the same places. */
#define DEBIAN_FASHION_MNIST "/usr/share/datasets/fashion-mnist"

/* The directory Fashion-MNIST is taken from, into `dir`; 1 when its
 * training images are readable there. */
static int fashion_mnist_available(char *dir, size_t size)
{
    const char *env = getenv("GRADTAP_FASHION_MNIST");
    char path[2 * PATH_SIZE];
    snprintf(dir, size, "%s", env != NULL && env[0] != '\0' ? env : DEBIAN_FASHION_MNIST);
    snprintf(path, sizeof path, "%s/train-images-idx3-ubyte.gz", dir);
    return access(path, R_OK) == 0;
}

/* Start mpirun with the options a single-machine run needs. */
static void add_mpirun(demo_run *run, arg_list *a, int ranks)
{
    arg_add(a, "mpirun");
    if (run->open_mpi) {
        if (geteuid() == 0) arg_add(a, "--allow-run-as-root");
        arg_add(a, "--oversubscribe");
        arg_add(a, "--mca");
        arg_add(a, "btl_tcp_if_include");
        arg_add(a, "lo");
        arg_add(a, "--mca");
        arg_add(a, "oob_tcp_if_include");
        arg_add(a, "lo");
    }
    arg_add(a, "-np");
    arg_addf_u64(a, (uint64_t)ranks);
}

/* MPI ranks when gradtap has MPI and `mpirun -np P gradtap --version` works. */
static void decide_mpi(demo_run *run)
{
    run->use_mpi = 0;
#ifdef GRADTAP_WITH_MPI
    if (strcmp(run->o.mpi, "off") == 0 || run->o.workers < 2) return;
    char version[PATH_SIZE], log[PATH_SIZE];
    in_dir(version, run, "logs/mpirun-version.txt");
    in_dir(log, run, "logs/mpi-probe.log");
    arg_list a = {.count = 0};
    arg_add(&a, "mpirun");
    arg_add(&a, "--version");
    int status = -1;
    int rc = a.failed ? -1 : demo_run_child(a.argv, version, log, NULL, &status);
    arg_free(&a);
    if (rc < 0 || status != 0) return;
    FILE *file = fopen(version, "r");
    if (file != NULL) {
        char line[256] = "";
        if (fgets(line, sizeof line, file) != NULL) run->open_mpi = strstr(line, "Open MPI") != NULL;
        fclose(file);
    }
    arg_list probe = {.count = 0};
    add_mpirun(run, &probe, run->o.workers);
    arg_add(&probe, run->self);
    arg_add(&probe, "--version");
    if (!probe.failed && demo_run_child(probe.argv, NULL, log, NULL, &status) == 0 && status == 0) run->use_mpi = 1;
    arg_free(&probe);
#endif
}

static const char *find_python(void)
{
    const char *python = getenv("GRADTAP_PYTHON");
    if (python != NULL && python[0] != '\0') return python;
    /* Debian's interpreter has python3-matplotlib/-numpy/-h5py; a venv's may not. */
    if (access("/usr/bin/python3", X_OK) == 0) return "/usr/bin/python3";
    return "python3";
}

/* gradtap_plots.py: in $GRADTAP_NOTEBOOKS when set; else where the install
 * put it, relative to this binary (GRADTAP_BIN_TO_PLOTS: bin/ ->
 * ../share/gradtap/notebooks, a wheel's gradtap/_bin -> ../..); else, for
 * the build tree, in the source's notebooks/ (GRADTAP_SOURCE_NOTEBOOKS). */
static int find_plots(const char *self, char *path, size_t size)
{
    const char *env = getenv("GRADTAP_NOTEBOOKS");
    if (env != NULL && env[0] != '\0') {
        if (snprintf(path, size, "%s/gradtap_plots.py", env) >= (int)size) return -1;
        return access(path, R_OK) == 0 ? 0 : -1;
    }
    char dir[PATH_SIZE];
    snprintf(dir, sizeof dir, "%s", self);
    char *slash = strrchr(dir, '/');
    if (slash != NULL) {
        *slash = '\0';
        if (snprintf(path, size, "%s/%s/gradtap_plots.py", dir, GRADTAP_BIN_TO_PLOTS) < (int)size &&
            access(path, R_OK) == 0)
            return 0;
    }
    if (snprintf(path, size, "%s/gradtap_plots.py", GRADTAP_SOURCE_NOTEBOOKS) >= (int)size) return -1;
    return access(path, R_OK) == 0 ? 0 : -1;
}

/* ---- steps ----------------------------------------------------------------- */

/* Run one step; on failure say which, show the end of its log, count it. */
static int run_step(demo_run *run, const char *label, const char *name, arg_list *a, const char *stdout_name)
{
    char out[PATH_SIZE], log[PATH_SIZE];
    char relative[128];
    snprintf(relative, sizeof relative, "logs/%.100s.log", name);
    in_dir(log, run, relative);
    if (stdout_name != NULL) in_dir(out, run, stdout_name);
    demo_progress_step(&run->progress, label);
    int status = -1;
    int rc = a->failed ? gtap_set_error(GTAP_ENOMEM, "out of memory for its command line")
                       : demo_run_child(a->argv, stdout_name != NULL ? out : NULL, log, &run->progress, &status);
    arg_free(a);
    demo_progress_clear(&run->progress);
    if (rc == 0 && status == 0) return 0;
    run->failed_steps++;
    if (rc < 0)
        gtap_cli_error(GTAP_EXIT_INTERNAL, "step '%s' failed: %s", label, gtap_last_error());
    else
        gtap_cli_error(GTAP_EXIT_INTERNAL, "step '%s' failed (exit %d); the end of %s:", label, status, log);
    demo_print_tail(stderr, log, 8);
    return -1;
}

/* Snapshot files in DIR/data (all, or only rank 0's), sorted, appended to a. */
static size_t add_data_files(demo_run *run, arg_list *a, int rank0_only)
{
    char dir[PATH_SIZE];
    in_dir(dir, run, "data");
    struct dirent **names = NULL;
    int n = scandir(dir, &names, NULL, alphasort);
    size_t added = 0;
    for (int i = 0; i < n; i++) {
        const char *name = names[i]->d_name;
        size_t len = strlen(name);
        int h5 = len > 3 && strcmp(name + len - 3, ".h5") == 0;
        int other_rank = strstr(name, ".rank") != NULL && strstr(name, ".rank00000.h5") == NULL;
        if (h5 && !(rank0_only && other_rank)) {
            char path[2 * PATH_SIZE];
            if (snprintf(path, sizeof path, "%s/%s", dir, name) < PATH_SIZE) arg_add(a, path);
            added++;
        }
        free(names[i]);
    }
    free(names);
    return added;
}

static int step_train(demo_run *run)
{
    arg_list a = {.count = 0};
    char path[PATH_SIZE];
    if (run->use_mpi) add_mpirun(run, &a, run->o.workers);
    arg_add(&a, run->self);
    arg_add(&a, "converge");
    arg_add(&a, "--model");
    arg_add(&a, "mlp");
    arg_add(&a, "--data");
    arg_add(&a, run->data);
    arg_add(&a, "--methods");
    arg_add(&a, DEMO_METHODS);
    arg_add(&a, "--density");
    snprintf(path, sizeof path, "%.17g", run->o.density);
    arg_add(&a, path);
    if (!run->use_mpi) {
        arg_add(&a, "--workers");
        arg_addf_u64(&a, (uint64_t)run->o.workers);
    }
    arg_add(&a, "--seed");
    arg_addf_u64(&a, run->o.seed);
    arg_add(&a, "--train-size");
    arg_add(&a, run->o.quick ? "2000" : "12000");
    arg_add(&a, "--epochs");
    arg_add(&a, run->o.quick ? "1" : "2");
    arg_add(&a, "--points");
    arg_add(&a, run->o.quick ? "6" : "16");
    arg_add(&a, "--capture");
    in_dir(path, run, "data/run.h5");
    arg_add(&a, path);
    arg_add(&a, "--force"); /* DIR/data holds the snapshots of the demo's last run */
    arg_add(&a, "--every");
    arg_addf_u64(&a, run->o.every);
    arg_add(&a, "--format");
    arg_add(&a, "csv");
    arg_add(&a, "-o");
    in_dir(path, run, "results/converge.csv");
    arg_add(&a, path);
    arg_add(&a, "-o");
    in_dir(path, run, "results/converge.h5");
    arg_add(&a, path);
    return run_step(run, "train 4 methods, capture snapshots", "train", &a, "results/converge_summary.csv");
}

/* `gradtap <command> --kind acc [--global] [extra] --format csv -o
 * results/NAME.h5 FILES > results/NAME.csv` */
static int step_analysis(demo_run *run, const char *label, const char *command, const char *name, int global,
                         int rank0_only, const char *const *extra)
{
    arg_list a = {.count = 0};
    char path[PATH_SIZE], csv[128], relative[128];
    arg_add(&a, run->self);
    arg_add(&a, command);
    arg_add(&a, "--kind");
    arg_add(&a, "acc");
    if (global) arg_add(&a, "--global");
    for (size_t i = 0; extra != NULL && extra[i] != NULL; i++) arg_add(&a, extra[i]);
    arg_add(&a, "--format");
    arg_add(&a, "csv");
    arg_add(&a, "-o");
    snprintf(relative, sizeof relative, "results/%.100s.h5", name);
    arg_add(&a, in_dir(path, run, relative));
    if (add_data_files(run, &a, rank0_only) == 0) {
        demo_progress_step(&run->progress, label);
        run->failed_steps++;
        arg_free(&a);
        gtap_cli_error(GTAP_EXIT_INTERNAL, "step '%s' skipped: no snapshot files in %s/data", label, run->dir);
        return -1;
    }
    snprintf(csv, sizeof csv, "results/%.100s.csv", name);
    return run_step(run, label, name, &a, csv);
}

/* Steps 2: bounds, fit, curve. --quick keeps them to seconds: no
 * approximate selectors in bounds, per-layer bounds on rank 0's files, and
 * fits on a 5000-value subsample (the tables say so in sample_n). */
static void step_analyses(demo_run *run)
{
    static const char *const no_selectors[] = {"--no-selectors", NULL};
    static const char *const quick_fit[] = {"--fit-sample", "5000", NULL};
    static const char *const full_fit[] = {"--fit-sample", "20000", NULL};
    int quick = run->o.quick;
    step_analysis(run, quick ? "bounds per layer (rank 0)" : "bounds per layer (all ranks)", "bounds", "bounds", 0,
                  quick, quick ? no_selectors : NULL);
    step_analysis(run, "bounds whole model (all ranks)", "bounds", "bounds_global", 1, 0, quick ? no_selectors : NULL);
    step_analysis(run, "fit per layer (rank 0)", "fit", "fit", 0, 1, quick ? quick_fit : full_fit);
    step_analysis(run, "curve whole model (rank 0)", "curve", "curve", 1, 1, NULL);
}

static int step_speed(demo_run *run)
{
    char path[PATH_SIZE];
    in_dir(path, run, "results/speed.csv");
    demo_progress_step(&run->progress, "time the selectors");
    int rc = demo_speed_write(path, run->o.quick ? 18 : 22, run->o.seed);
    demo_progress_clear(&run->progress);
    if (rc == 0) return 0;
    run->failed_steps++;
    gtap_cli_error(GTAP_EXIT_INTERNAL, "step 'time the selectors' failed: %s", gtap_last_error());
    return -1;
}

static int step_figures(demo_run *run)
{
    char plots[PATH_SIZE];
    if (find_plots(run->self, plots, sizeof plots) != 0) {
        const char *env = getenv("GRADTAP_NOTEBOOKS");
        demo_progress_step(&run->progress, "figures");
        run->failed_steps++;
        if (env != NULL && env[0] != '\0')
            gtap_cli_error(GTAP_EXIT_INTERNAL, "step 'figures' failed: no gradtap_plots.py in $GRADTAP_NOTEBOOKS (%s)",
                           env);
        else
            gtap_cli_error(GTAP_EXIT_INTERNAL,
                           "step 'figures' failed: gradtap_plots.py is neither installed next to %s nor in "
                           "%s (set GRADTAP_NOTEBOOKS to the folder holding it)",
                           run->self, GRADTAP_SOURCE_NOTEBOOKS);
        return -1;
    }
    arg_list a = {.count = 0};
    arg_add(&a, find_python());
    arg_add(&a, plots);
    arg_add(&a, "all");
    arg_add(&a, "--demo");
    arg_add(&a, run->dir);
    return run_step(run, "figures (PDF + PNG)", "figures", &a, "logs/figures.txt");
}

static void print_header(demo_run *run, FILE *out)
{
    fprintf(out, "gradtap demo: MLP 784-200-200-10 on %s, %d workers (%s), methods %s, error feedback on, "
                 "density %g, seed %llu%s\n",
            strcmp(run->data, "fashion-mnist") != 0 ? "SYNTHETIC data (Fashion-MNIST not installed: apt install "
                                                      "dataset-fashion-mnist, or set GRADTAP_FASHION_MNIST)"
            : run->fashion_from_env                 ? "Fashion-MNIST (from $GRADTAP_FASHION_MNIST)"
                                                    : "Fashion-MNIST (Debian dataset-fashion-mnist)",
            run->o.workers, run->use_mpi ? "MPI ranks" : "simulated in one process", DEMO_METHODS, run->o.density,
            (unsigned long long)run->o.seed, run->o.quick ? ", quick" : "");
}

static int write_verdict(demo_run *run)
{
    char results[PATH_SIZE], path[PATH_SIZE];
    in_dir(results, run, "results");
    in_dir(path, run, "verdict.txt");
    int missing = demo_verdict_write(stdout, results);
    FILE *file = fopen(path, "w");
    if (file != NULL) {
        print_header(run, file);
        demo_verdict_write(file, results);
        fclose(file);
    }
    return missing;
}

int gtap_cmd_demo(int argc, char **argv)
{
    demo_run run;
    memset(&run, 0, sizeof run);
    int help = 0;
    int rc = parse_options(argc, argv, &run.o, &help);
    if (rc != 0) return rc;
    if (help) {
        gtap_cli_print_usage(stdout, usage);
        return GTAP_EXIT_OK;
    }
    char fashion_dir[PATH_SIZE];
    int fashion = fashion_mnist_available(fashion_dir, sizeof fashion_dir);
    if (strcmp(run.o.data, "fashion-mnist") == 0 && !fashion)
        return gtap_cli_error(GTAP_EXIT_USAGE,
                              "--data fashion-mnist: %s/train-images-idx3-ubyte.gz not found (apt install "
                              "dataset-fashion-mnist, or set GRADTAP_FASHION_MNIST to a directory with the IDX files)",
                              fashion_dir);
    run.data = strcmp(run.o.data, "auto") == 0 ? (fashion ? "fashion-mnist" : "synthetic") : run.o.data;
    run.fashion_from_env = getenv("GRADTAP_FASHION_MNIST") != NULL && getenv("GRADTAP_FASHION_MNIST")[0] != '\0';
    if ((rc = prepare_dir(&run)) != 0) return rc;
    demo_self_path(run.self, sizeof run.self);
    decide_mpi(&run);
    if (strcmp(run.o.mpi, "on") == 0 && !run.use_mpi)
        return gtap_cli_error(GTAP_EXIT_USAGE, "--mpi on: %s (see %s/logs/mpi-probe.log)",
#ifdef GRADTAP_WITH_MPI
                              "mpirun does not work here",
#else
                              "this gradtap was built without MPI",
#endif
                              run.dir);
    print_header(&run, stdout);
    fflush(stdout);
    double started = demo_now();
    demo_progress_init(&run.progress, gtap_cli_stderr_is_tty(), run.o.figures ? 7 : 6);
    int trained = step_train(&run) == 0;
    if (trained) {
        step_analyses(&run);
        step_speed(&run);
        if (run.o.figures) step_figures(&run);
        write_verdict(&run);
    }
    printf("files: %s/{data,results,figures,logs}%s%s%s (%.0f s)\n", run.dir, trained ? ", verdict in " : "",
           trained ? run.dir : "", trained ? "/verdict.txt" : "", demo_now() - started);
    if (run.failed_steps) {
        gtap_cli_error(GTAP_EXIT_INTERNAL, "%d step(s) failed; what they wrote is kept in %s", run.failed_steps,
                       run.dir);
        return GTAP_EXIT_INTERNAL;
    }
    return GTAP_EXIT_OK;
}
