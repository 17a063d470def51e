/* converge_checks.c - `gradtap converge --check`: the claims of
 * docs/THEORY.md s.8 (Stich et al.; Shi et al. for the MLP) in two kinds.
 * Checks are what must hold whatever the data (the error-feedback
 * invariant, the memory bound under the theorem's parameters, the loose
 * k-contraction bound): PASS or FAIL, and a FAIL exits 1. Findings are what
 * the papers observed on their data (dense SGD converging, the rates within
 * factors, the controls being much worse): AGREES or DIFFERS with the
 * measured factor, exit 1 only with --strict. The factors and margins are
 * constants below, stated in --help and docs/CLI.md. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "converge.h"

/* checks (must hold) */
#define INVARIANT_TOLERANCE 1e-4   /* check 1: relative, float32 rounding over T steps */
#define CONTRACTION_TOLERANCE 1e-6 /* check 2: ||m_{t+1}||^2 <= (1 + 1e-6)(1 - k/d)||p_t||^2, sums in double */
/* findings, logistic regression */
#define SANITY_FRACTION 0.1        /* finding 0: f(xbar_T) - f* of dense <= 0.1 (f(x_0) - f*) */
#define RATE_FACTOR 2.0            /* finding 3: subopt(topk) <= 2 subopt(dense) */
#define LEVEL_FACTOR 1.5           /* finding 3: T e(T) <= 1.5 (T/2) e(T/2) for topk */
#define GAUSSIANK_FACTOR 1.5       /* finding 4: subopt(gaussiank) <= 1.5 subopt(topk) */
#define NOMEM_FACTOR 10.0          /* finding 5: subopt(topk-nomem) >= 10 subopt(topk) */
#define BLOWUP_FACTOR 10.0         /* finding 5: peak f(x_t) of randk a=1 >= 10 f(x_0) and >= 10 x that of randk a=d/k */
/* findings, MLP (test accuracy, absolute) */
#define MLP_SANITY_FRACTION 0.5    /* finding 0: training loss of dense <= 0.5 f(x_0) */
#define MLP_RATE_MARGIN 0.03       /* finding 3: acc(topk) >= acc(dense) - 0.03 */
#define MLP_GAUSSIANK_MARGIN 0.02  /* finding 4: acc(gaussiank) >= acc(topk) - 0.02 */
#define MLP_CONTROL_MARGIN 0.10    /* finding 5: acc(randk-nomem) <= acc(dense) - 0.10 */
#define MLP_PROBE_STEPS 200        /* check 1: the Stich-form probe's length */

#define STR_(x) #x
#define STR(x) STR_(x)

const char converge_checks_help[] =
    "--check prints checks (must hold for any data: PASS/FAIL, a FAIL exits 1)\n"
    "and findings (what the papers observed: AGREES/DIFFERS with the measured\n"
    "factor; exit 1 only with --strict). Logistic regression:\n"
    "  check 1 invariant: topk with memory, Stich form: ||x_T - (x_0 - mean_p\n"
    "    sum_t eta_t g_p,t) - mean_p m_p||_inf <= " STR(INVARIANT_TOLERANCE) " x max|x| (x_t - m_t is plain SGD)\n"
    "  check 2 memory bound (Lemma 3.2): max_t ||m_t||^2 / (20 eta_t^2 (d/k)^2 G^2) <= 1\n"
    "    for topk under the theorem's gamma = 8, a = 6 d/k + 0.357 (extra run\n"
    "    topk[theory]); under the practical gamma, a it is only reported (INFO)\n"
    "  check 2 loose bound (k-contraction): ||m_{t+1}||^2 <= (1 - k/d) ||p_t||^2 at\n"
    "    every step of topk with memory\n"
    "  finding 0 dense-sgd: f(xbar_T) - f* of dense <= " STR(SANITY_FRACTION) " x (f(x_0) - f*); if not,\n"
    "    the comparisons below are meaningless and the output says so\n"
    "  finding 3 rate: f(xbar_T) - f* of topk <= " STR(RATE_FACTOR) " x that of dense, and T (f(xbar_T) - f*)\n"
    "    <= " STR(LEVEL_FACTOR) " x its value at T/2 (levelling off, not stalling)\n"
    "  finding 4 gaussiank: its f(xbar_T) - f* <= " STR(GAUSSIANK_FACTOR) " x that of topk\n"
    "  finding 5 controls: topk-nomem's f - f* >= " STR(NOMEM_FACTOR) " x topk's; randk with shift a = 1\n"
    "    (extra run randk[a=1]) peaks early (first 2% of steps) at f(x_t) >=\n"
    "    " STR(BLOWUP_FACTOR) " x f(x_0) and >= " STR(BLOWUP_FACTOR) " x the early peak of randk with a = d/k\n"
    "MLP: check 1 invariant on a " STR(MLP_PROBE_STEPS) "-step probe (topk, Stich form, constant lr);\n"
    "  check 2 loose bound for topk; memory bound reported only (non-convex);\n"
    "  findings (test accuracy, absolute): 0 dense's training loss <= " STR(MLP_SANITY_FRACTION) " x f(x_0);\n"
    "  3 topk >= dense - " STR(MLP_RATE_MARGIN) "; 4 gaussiank >= topk - " STR(MLP_GAUSSIANK_MARGIN) "; 5 randk-nomem <= dense - " STR(MLP_CONTROL_MARGIN) "\n"
    "Missing methods are added (hidden runs are shown in the table).\n";

static converge_method *add(converge_run *run, const char *name, gtap_sparsifier_kind kind, int memory)
{
    for (int i = 0; i < run->method_count; i++)
        if (strcmp(run->methods[i].name, name) == 0) return &run->methods[i];
    if (run->method_count >= CONVERGE_MAX_METHODS) return NULL;
    converge_method *m = &run->methods[run->method_count++];
    memset(m, 0, sizeof *m);
    snprintf(m->name, sizeof m->name, "%s", name);
    m->kind = kind;
    m->memory = memory;
    m->hidden = 1;
    return m;
}

int converge_add_check_methods(converge_run *run)
{
    add(run, "dense", GTAP_SPARSIFY_NONE, 1);
    add(run, "topk", GTAP_SPARSIFY_TOPK, 1);
    add(run, "gaussiank", GTAP_SPARSIFY_GAUSSIANK, 1);
    if (run->model_kind == GTAP_MODEL_LOGREG) {
        add(run, "topk-nomem", GTAP_SPARSIFY_TOPK, 0);
        add(run, "randk", GTAP_SPARSIFY_RANDK, 1);
        converge_method *m = add(run, "randk[a=1]", GTAP_SPARSIFY_RANDK, 1);
        if (m) m->shift = 1.0;
        m = add(run, "topk[theory]", GTAP_SPARSIFY_TOPK, 1);
        if (m) m->theory_schedule = 1;
    } else {
        add(run, "randk-nomem", GTAP_SPARSIFY_RANDK, 0);
        converge_method *m = add(run, "topk[stich-probe]", GTAP_SPARSIFY_TOPK, 1);
        if (m) {
            m->force_stich_constant = 1;
            m->max_steps = MLP_PROBE_STEPS;
        }
    }
    return 0;
}

static const converge_method *find(const converge_run *run, const char *name)
{
    for (int i = 0; i < run->method_count; i++)
        if (strcmp(run->methods[i].name, name) == 0 && run->methods[i].ran) return &run->methods[i];
    return NULL;
}

/* What a line is: a check (must hold), a finding (observed), or information. */
typedef enum line_kind { LINE_CHECK, LINE_FINDING, LINE_INFO } line_kind;

typedef struct tally {
    FILE *stream;
    int failed;                  /* checks that failed */
    int agreed, differed;        /* findings */
    int sane;                    /* 0 when dense SGD did not converge (finding 0) */
} tally;

static void report(tally *t, line_kind kind, int number, const char *name, int holds, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 6, 7)))
#endif
    ;

static void report(tally *t, line_kind kind, int number, const char *name, int holds, const char *fmt, ...)
{
    static const char *const words[3][2] = {{"FAIL", "PASS"}, {"DIFFERS", "AGREES"}, {"INFO", "INFO"}};
    static const char *const kinds[3] = {"check", "finding", "check"};
    static const int name_width[3] = {12, 10, 12}; /* the outcome words line up */
    if (kind == LINE_CHECK) t->failed += !holds;
    if (kind == LINE_FINDING) {
        t->agreed += holds != 0;
        t->differed += !holds;
    }
    if (t->stream == NULL) return;
    fprintf(t->stream, "%s %d %-*s %-7s  ", kinds[kind], number, name_width[kind], name, words[kind][holds != 0]);
    va_list args;
    va_start(args, fmt);
    vfprintf(t->stream, fmt, args);
    va_end(args);
    if (kind == LINE_FINDING && !t->sane && number > 0) fputs(" [meaningless: dense SGD did not converge]", t->stream);
    fputc('\n', t->stream);
}

/* x / y as a factor for the lines ("5.1x"); inf or nan spelled out. */
static double factor(double x, double y) { return y != 0.0 ? x / y : (x == 0.0 ? NAN : INFINITY); }

/* The largest f(x_t) among the points in the first 2% of the steps. */
static double early_peak(const converge_method *m)
{
    double peak = -INFINITY;
    for (size_t i = 0; i < m->result.point_count; i++) {
        const gtap_train_point *p = &m->result.points[i];
        if ((double)p->step <= 0.02 * (double)m->result.steps + 1.0 && p->loss > peak) peak = p->loss;
    }
    if (m->result.diverged) peak = INFINITY;
    return peak;
}

/* T e(T) against (T/2) e(T/2), from the curve of xbar. */
static double level_ratio(const converge_method *m, double fstar)
{
    const gtap_train_result *r = &m->result;
    if (r->point_count < 3) return NAN;
    const gtap_train_point *last = &r->points[r->point_count - 1], *half = NULL;
    for (size_t i = 0; i < r->point_count; i++)
        if (half == NULL || fabs((double)r->points[i].step - 0.5 * (double)last->step) <
                                fabs((double)half->step - 0.5 * (double)last->step))
            half = &r->points[i];
    double e_last = last->average_loss - fstar, e_half = half->average_loss - fstar;
    return ((double)last->step * e_last) / ((double)half->step * e_half);
}

/* Checks 1 and 2 of logistic regression: what must hold. */
static void logreg_must_hold(tally *t, const converge_run *run, const converge_method *topk, const converge_method *theory)
{
    double inv = topk->result.invariant_error;
    report(t, LINE_CHECK, 1, "invariant", inv <= INVARIANT_TOLERANCE, "topk: relative error %.3g <= %g", inv,
           INVARIANT_TOLERANCE);
    double bound = theory->result.memory_bound_ratio;
    report(t, LINE_CHECK, 2, "memory-bound", bound <= 1.0 && !theory->result.diverged,
           "topk[theory] (gamma=8, a=6d/k+0.357): max ||m_t||^2 / bound = %.3g <= 1", bound);
    report(t, LINE_INFO, 2, "memory-bound", 1, "topk (practical gamma=%g, a=%g; not asserted): ratio %.3g",
           run->base.schedule.gamma, run->base.schedule.shift, topk->result.memory_bound_ratio);
    double contraction = topk->result.contraction_ratio;
    report(t, LINE_CHECK, 2, "loose-bound", contraction <= 1.0 + CONTRACTION_TOLERANCE,
           "topk: max_t ||m_t+1||^2 / ((1 - k/d) ||p_t||^2) = %.6g <= 1", contraction);
}

/* Finding 0: dense SGD approaches f* (else every comparison is meaningless). */
static void dense_sanity(tally *t, const converge_run *run, const converge_method *dense)
{
    double e0 = dense->result.initial_loss - run->fstar, e = converge_final_objective(dense) - run->fstar;
    t->sane = !dense->result.diverged && e <= SANITY_FRACTION * e0;
    report(t, LINE_FINDING, 0, "dense-sgd", t->sane,
           "f(xbar_T)-f* of dense %.4g = %.3g x f(x_0)-f* %.4g (converged: <= %g)%s", e, factor(e, e0), e0,
           SANITY_FRACTION, dense->result.diverged ? ", diverged" : "");
    if (!t->sane && t->stream)
        fprintf(t->stream, "  dense SGD did not converge: the method comparisons below are meaningless (eta_0 L = %.3g; "
                "try --normalize-rows or a smaller --gamma)\n", run->eta0 * run->smoothness);
}

static void logreg_checks(tally *t, const converge_run *run)
{
    const double fstar = run->fstar;
    const converge_method *dense = find(run, "dense"), *topk = find(run, "topk"), *gauss = find(run, "gaussiank"),
                          *nomem = find(run, "topk-nomem"), *randk = find(run, "randk"), *randk1 = find(run, "randk[a=1]"),
                          *theory = find(run, "topk[theory]");
    if (!dense || !topk || !gauss || !nomem || !randk || !randk1 || !theory) {
        report(t, LINE_CHECK, 0, "setup", 0, "a run the checks need is missing");
        return;
    }
    logreg_must_hold(t, run, topk, theory);
    dense_sanity(t, run, dense);
    double e_dense = converge_final_objective(dense) - fstar, e_topk = converge_final_objective(topk) - fstar,
           e_gauss = converge_final_objective(gauss) - fstar, e_nomem = converge_final_objective(nomem) - fstar;
    report(t, LINE_FINDING, 3, "rate", e_topk <= RATE_FACTOR * e_dense,
           "f(xbar_T)-f*: topk %.4g = %.3gx dense %.4g (papers: <= %g)", e_topk, factor(e_topk, e_dense), e_dense,
           RATE_FACTOR);
    double level = level_ratio(topk, fstar);
    report(t, LINE_FINDING, 3, "levelling", level <= LEVEL_FACTOR, "topk: T e(T) / ((T/2) e(T/2)) = %.3g (papers: <= %g)",
           level, LEVEL_FACTOR);
    report(t, LINE_FINDING, 4, "gaussiank", e_gauss <= GAUSSIANK_FACTOR * e_topk,
           "f(xbar_T)-f*: gaussiank %.4g = %.3gx topk %.4g (papers: <= %g)", e_gauss, factor(e_gauss, e_topk), e_topk,
           GAUSSIANK_FACTOR);
    report(t, LINE_FINDING, 5, "no-memory", e_nomem >= NOMEM_FACTOR * e_topk,
           "f(xbar_T)-f*: topk-nomem %.4g = %.3gx topk %.4g (papers: >= %g)", e_nomem, factor(e_nomem, e_topk), e_topk,
           NOMEM_FACTOR);
    double peak1 = early_peak(randk1), peak = early_peak(randk), f0 = randk1->result.initial_loss;
    report(t, LINE_FINDING, 5, "blow-up", peak1 >= BLOWUP_FACTOR * f0 && peak1 >= BLOWUP_FACTOR * peak,
           "early peak f(x_t): randk a=1 %.4g = %.3gx f(x_0) %.4g and %.3gx randk a=d/k %.4g (papers: both >= %g)", peak1,
           factor(peak1, f0), f0, factor(peak1, peak), peak, BLOWUP_FACTOR);
}

static void mlp_checks(tally *t, const converge_run *run)
{
    (void)run;
    const converge_method *dense = find(run, "dense"), *topk = find(run, "topk"), *gauss = find(run, "gaussiank"),
                          *randk = find(run, "randk-nomem"), *probe = find(run, "topk[stich-probe]");
    if (!dense || !topk || !gauss || !randk || !probe) {
        report(t, LINE_CHECK, 0, "setup", 0, "a run the checks need is missing");
        return;
    }
    double inv = probe->result.invariant_error;
    report(t, LINE_CHECK, 1, "invariant", inv <= INVARIANT_TOLERANCE, "topk[stich-probe]: relative error %.3g <= %g", inv,
           INVARIANT_TOLERANCE);
    report(t, LINE_INFO, 2, "memory-bound", 1, "topk[stich-probe] (not asserted: non-convex, constant step): ratio %.3g",
           probe->result.memory_bound_ratio);
    double contraction = topk->result.contraction_ratio;
    report(t, LINE_CHECK, 2, "loose-bound", contraction <= 1.0 + CONTRACTION_TOLERANCE,
           "topk: max_t ||r_t+1||^2 / ((1 - k/d) ||u_t||^2) = %.6g <= 1", contraction);
    double f0 = dense->result.initial_loss, f = dense->result.final_loss;
    t->sane = !dense->result.diverged && f <= MLP_SANITY_FRACTION * f0;
    report(t, LINE_FINDING, 0, "dense-sgd", t->sane, "training loss of dense %.4g = %.3g x f(x_0) %.4g (converging: <= %g)",
           f, factor(f, f0), f0, MLP_SANITY_FRACTION);
    if (!t->sane && t->stream)
        fprintf(t->stream, "  dense SGD did not train: the method comparisons below are meaningless\n");
    double a_dense = dense->result.final_test_accuracy, a_topk = topk->result.final_test_accuracy,
           a_gauss = gauss->result.final_test_accuracy, a_randk = randk->result.final_test_accuracy;
    report(t, LINE_FINDING, 3, "rate", a_topk >= a_dense - MLP_RATE_MARGIN,
           "test accuracy: topk %.4f, dense %.4f, difference %+.4f (papers: >= -%g)", a_topk, a_dense, a_topk - a_dense,
           MLP_RATE_MARGIN);
    report(t, LINE_FINDING, 4, "gaussiank", a_gauss >= a_topk - MLP_GAUSSIANK_MARGIN,
           "test accuracy: gaussiank %.4f, topk %.4f, difference %+.4f (papers: >= -%g)", a_gauss, a_topk,
           a_gauss - a_topk, MLP_GAUSSIANK_MARGIN);
    report(t, LINE_FINDING, 5, "control", a_randk <= a_dense - MLP_CONTROL_MARGIN,
           "test accuracy: randk-nomem %.4f, dense %.4f, difference %+.4f (papers: <= -%g)", a_randk, a_dense,
           a_randk - a_dense, MLP_CONTROL_MARGIN);
}

int converge_print_checks(const converge_run *run, FILE *stream)
{
    tally t = {stream, 0, 0, 0, 1};
    if (run->model_kind == GTAP_MODEL_LOGREG) logreg_checks(&t, run);
    else mlp_checks(&t, run);
    int failed = t.failed > 0 || (run->strict && t.differed > 0);
    if (stream) {
        fprintf(stream, "checks: %s; findings: %d agree, %d differ%s\n", t.failed ? "FAILED" : "all passed", t.agreed,
                t.differed, t.differed == 0 ? "" : run->strict ? " (--strict: the run fails)" : " (reported; --strict fails on them)");
    }
    return failed ? 1 : 0;
}
