/* demo_verdict.c - the short verdict `gradtap demo` prints, computed from
 * the CSV tables its steps wrote: how many snapshots hold the tight bound
 * (1-k/d)^2 and the loose bound 1-k/d (docs/THEORY.md s.2), which distribution
 * family fits best (or that none fits, s.6), and how close Gaussian-k and top-k came to dense. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "demo.h"
#include "gradtap/status.h"

enum { MAX_GROUPS = 16 };

static demo_csv *open_table(FILE *out, const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    demo_csv *csv = NULL;
    if (demo_csv_read(path, &csv) < 0) {
        fprintf(out, "  (%s: %s)\n", name, gtap_last_error());
        return NULL;
    }
    return csv;
}

/* The density a row was asked for: k = max(1, floor(rho d)) puts rho in
 * [k/d, (k+1)/d); the number with the fewest significant digits there is
 * taken (k = 156, d = 156800 gives 0.001). NaN for k < 1 or d < 1. */
static double requested_density(double k, double d)
{
    if (!(k >= 1.0 && d >= 1.0 && isfinite(k) && isfinite(d))) return NAN;
    double low = k / d, high = (k + 1.0) / d;
    for (int digits = 1; digits <= 7; digits++) {
        /* The larger decade first: 0.001 rather than 0.0009 in [0.00083, 0.0017). */
        for (double exponent = floor(log10(high)); exponent >= floor(log10(low)); exponent--) {
            double step = pow(10.0, exponent - digits + 1);
            double candidate = ceil(low / step - 1e-9) * step;
            if (candidate < high) return candidate;
        }
    }
    return low;
}

/* "100%" only when part == whole: 2874 of 2880 is "99.8%", not "100%". */
static const char *percent_text(char *text, size_t size, size_t part, size_t whole)
{
    double value = whole ? 100.0 * (double)part / (double)whole : 0.0;
    if (part == whole || part == 0)
        snprintf(text, size, "%.0f%%", value);
    else
        snprintf(text, size, "%.*f%%", value > 99.0 || value < 1.0 ? 2 : 1, value);
    return text;
}

/* Counts of one bounds table, rows of kind acc (the vector top-k sees) when
 * the table has any, else all rows. */
typedef struct bound_counts {
    size_t valid, tight, loose, undefined;
    size_t groups;
    double density[MAX_GROUPS];
    size_t group_valid[MAX_GROUPS], group_tight[MAX_GROUPS];
    const char *kind;
} bound_counts;

static void count_bounds(const demo_csv *csv, bound_counts *c)
{
    memset(c, 0, sizeof *c);
    int kind = demo_csv_column(csv, "kind"), ratio = demo_csv_column(csv, "ratio");
    int loose = demo_csv_column(csv, "bound_loose"), tight = demo_csv_column(csv, "bound_tight");
    int holds_loose = demo_csv_column(csv, "holds_loose"), holds_tight = demo_csv_column(csv, "holds_tight");
    int k = demo_csv_column(csv, "k"), d = demo_csv_column(csv, "d"), status = demo_csv_column(csv, "status");
    size_t rows = demo_csv_rows(csv), acc_rows = 0;
    for (size_t r = 0; r < rows; r++) acc_rows += strcmp(demo_csv_text(csv, r, kind), "acc") == 0;
    c->kind = acc_rows ? "acc" : NULL;
    for (size_t r = 0; r < rows; r++) {
        if (c->kind && strcmp(demo_csv_text(csv, r, kind), c->kind) != 0) continue;
        double value = demo_csv_number(csv, r, ratio);
        if ((status >= 0 && strcmp(demo_csv_text(csv, r, status), "ok") != 0) || !isfinite(value)) {
            c->undefined++;
            continue;
        }
        /* The command's own verdict when it wrote one, else the comparison. */
        int ok_tight = holds_tight >= 0 ? demo_csv_flag(csv, r, holds_tight)
                                        : value <= demo_csv_number(csv, r, tight);
        int ok_loose = holds_loose >= 0 ? demo_csv_flag(csv, r, holds_loose)
                                        : value <= demo_csv_number(csv, r, loose);
        c->valid++;
        c->tight += ok_tight;
        c->loose += ok_loose;
        double rho = requested_density(demo_csv_number(csv, r, k), demo_csv_number(csv, r, d));
        size_t g = 0;
        while (g < c->groups && fabs(c->density[g] - rho) > 1e-9 * rho) g++;
        if (g == c->groups && c->groups < MAX_GROUPS && isfinite(rho)) c->density[c->groups++] = rho;
        if (g < c->groups) {
            c->group_valid[g]++;
            c->group_tight[g] += ok_tight;
        }
    }
}

static int verdict_bounds(FILE *out, const char *dir)
{
    demo_csv *global = open_table(out, dir, "bounds_global.csv");
    demo_csv *layers = open_table(out, dir, "bounds.csv");
    int missing = 0;
    bound_counts c;
    char p1[32], p2[32];
    if (global != NULL) {
        count_bounds(global, &c);
        fprintf(out, "  whole-model u (%s), %zu snapshot x density pairs over all runs and ranks:\n",
                c.kind ? "acc = grad + residual, what top-k sees" : "every kind", c.valid);
        fprintf(out, "    tight bound (1-k/d)^2 held in %zu of %zu (%s)", c.tight, c.valid,
                percent_text(p1, sizeof p1, c.tight, c.valid));
        for (size_t g = 0; g < c.groups; g++)
            fprintf(out, "%s rho=%g: %zu/%zu", g ? "," : ";", c.density[g], c.group_tight[g], c.group_valid[g]);
        fprintf(out, "\n    loose bound 1-k/d held in %zu of %zu (%s)%s\n", c.loose, c.valid,
                percent_text(p1, sizeof p1, c.loose, c.valid),
                c.loose < c.valid ? "  <- a violation of the loose bound is a gradtap bug" : "");
        if (c.undefined) fprintf(out, "    %zu snapshot(s) had no ratio (zero vector or NaN/Inf)\n", c.undefined);
        if (c.valid == 0) missing++;
    } else {
        missing++;
    }
    if (layers != NULL) {
        count_bounds(layers, &c);
        fprintf(out, "  per layer: tight bound held in %zu of %zu (%s), loose in %zu of %zu (%s)\n", c.tight, c.valid,
                percent_text(p1, sizeof p1, c.tight, c.valid), c.loose, c.valid,
                percent_text(p2, sizeof p2, c.loose, c.valid));
    } else {
        missing++;
    }
    demo_csv_free(global);
    demo_csv_free(layers);
    return missing;
}

/* How often each name of one column appears among the acc rows, most
 * frequent first; "none" is counted apart. */
typedef struct name_counts {
    const char *names[MAX_GROUPS];
    size_t counts[MAX_GROUPS], families, total, none;
} name_counts;

static void count_names(const demo_csv *fit, int column, name_counts *c)
{
    memset(c, 0, sizeof *c);
    int kind = demo_csv_column(fit, "kind");
    for (size_t r = 0; column >= 0 && r < demo_csv_rows(fit); r++) {
        if (kind >= 0 && strcmp(demo_csv_text(fit, r, kind), "acc") != 0) continue;
        const char *name = demo_csv_text(fit, r, column);
        if (name[0] == '\0') continue;
        c->total++;
        if (strcmp(name, "none") == 0) {
            c->none++;
            continue;
        }
        size_t f = 0;
        while (f < c->families && strcmp(c->names[f], name) != 0) f++;
        if (f == c->families && c->families < MAX_GROUPS) {
            c->names[c->families] = name;
            c->counts[c->families++] = 0;
        }
        if (f < c->families) c->counts[f]++;
    }
    for (size_t i = 0; i < c->families; i++) /* a handful of families: selection sort */
        for (size_t j = i + 1; j < c->families; j++)
            if (c->counts[j] > c->counts[i]) {
                size_t tc = c->counts[i]; c->counts[i] = c->counts[j]; c->counts[j] = tc;
                const char *tn = c->names[i]; c->names[i] = c->names[j]; c->names[j] = tn;
            }
}

/* `best` is a family only where it passed the KS test at 5% (docs/CLI.md
 * "fit"); when none did, the verdict says so and gives the AIC ranking
 * (best_aic) as what it is: the least bad family, not a fit. */
static int verdict_fit(FILE *out, const char *dir)
{
    demo_csv *fit = open_table(out, dir, "fit.csv");
    if (fit == NULL) return 1;
    int best = demo_csv_column(fit, "best");
    if (best < 0) best = demo_csv_column(fit, "best_family");
    name_counts c, aic;
    count_names(fit, best, &c);
    count_names(fit, demo_csv_column(fit, "best_aic"), &aic);
    char p1[32];
    if (c.total == 0) {
        fprintf(out, "  best-fitting family: no fitted snapshots (fit.csv has no `best` values)\n");
        demo_csv_free(fit);
        return 1;
    }
    if (c.families == 0) {
        fprintf(out, "  distribution fit: no family fits (KS test at 5%%) in any of %zu snapshots", c.total);
        if (aic.families)
            fprintf(out, "; smallest AIC, a relative ranking only: %s in %zu", aic.names[0], aic.counts[0]);
        fputc('\n', out);
        demo_csv_free(fit);
        return 0;
    }
    fprintf(out, "  best-fitting family (smallest AIC among those passing the KS test at 5%%, per layer and step): "
                 "%s in %zu of %zu snapshots (%s)", c.names[0], c.counts[0], c.total,
            percent_text(p1, sizeof p1, c.counts[0], c.total));
    for (size_t f = 1; f < c.families; f++) fprintf(out, "%s %s %zu", f == 1 ? "; then" : ",", c.names[f], c.counts[f]);
    if (c.none) fprintf(out, "; no family fits %zu", c.none);
    fputc('\n', out);
    demo_csv_free(fit);
    return 0;
}

/* Final test accuracy per method from the converge table (stdout, CSV). */
static int verdict_converge(FILE *out, const char *dir)
{
    demo_csv *summary = open_table(out, dir, "converge_summary.csv");
    if (summary == NULL) return 1;
    int method = demo_csv_column(summary, "method"), accuracy = demo_csv_column(summary, "test_accuracy");
    if (accuracy < 0) accuracy = demo_csv_column(summary, "accuracy");
    double dense = NAN;
    for (size_t r = 0; r < demo_csv_rows(summary); r++)
        if (strcmp(demo_csv_text(summary, r, method), "dense") == 0) dense = demo_csv_number(summary, r, accuracy);
    static const char *const order[][2] = {
        {"topk", "top-k"}, {"gaussiank", "Gaussian-k"}, {"randk", "random-k"}, {"dgck", "DGC-k"}};
    fprintf(out, "  final test accuracy: dense %.1f%%", 100.0 * dense);
    int shown = 0;
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        for (size_t r = 0; r < demo_csv_rows(summary); r++) {
            if (strcmp(demo_csv_text(summary, r, method), order[i][0]) != 0) continue;
            double value = demo_csv_number(summary, r, accuracy);
            fprintf(out, "; %s %.1f%% (%+.1f points vs dense)", order[i][1], 100.0 * value, 100.0 * (value - dense));
            shown++;
        }
    }
    fputc('\n', out);
    demo_csv_free(summary);
    return isfinite(dense) && shown ? 0 : 1;
}

int demo_verdict_write(FILE *out, const char *results_dir)
{
    int missing = 0;
    fprintf(out, "verdict:\n");
    missing += verdict_bounds(out, results_dir);
    missing += verdict_fit(out, results_dir);
    missing += verdict_converge(out, results_dir);
    return missing;
}
