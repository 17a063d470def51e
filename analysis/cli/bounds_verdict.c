/* bounds_verdict.c - the table that follows the rows of `gradtap bounds`:
 * one line per source (snapshot, summary) and density (or k) with how many
 * vectors hold each bound and the spread of r_k and of the tight slack,
 * and the --check verdict over every row of both sources (see bounds.h). */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"

static const gtap_column summary_columns[] = {
    {"source", GTAP_CELL_STRING, 0},      {"density", GTAP_CELL_DOUBLE, 0},   {"k", GTAP_CELL_INT, 0},
    {"k_max", GTAP_CELL_INT, 0},          {"vectors", GTAP_CELL_INT, 0},      {"tight_holds", GTAP_CELL_INT, 0},
    {"loose_holds", GTAP_CELL_INT, 0},    {"zero_vectors", GTAP_CELL_INT, 0}, {"nonfinite", GTAP_CELL_INT, 0},
    {"ratio_min", GTAP_CELL_DOUBLE, 0},   {"ratio_median", GTAP_CELL_DOUBLE, 0}, {"ratio_max", GTAP_CELL_DOUBLE, 0},
    {"slack_tight_min", GTAP_CELL_DOUBLE, 0}, {"slack_tight_median", GTAP_CELL_DOUBLE, 0},
    {"slack_tight_max", GTAP_CELL_DOUBLE, 0},
};
enum { S_COUNT = sizeof summary_columns / sizeof summary_columns[0] };

/* What the rows of one (source, density) group add up to. */
typedef struct group_tally {
    int64_t vectors, tight, loose, zero, nonfinite, k_min, k_max;
    size_t n;          /* usable rows: ratios[0..n) and slacks[0..n) */
    double *ratios, *slacks;
    int violations;
} group_tally;

static void report_violation(const gtap_table *t, uint64_t r, int holds_loose)
{
    fprintf(stderr, "gradtap bounds: %s: %s kind %s step %lld k=%lld (%s): ratio %.9g > %s bound %.9g%s\n",
            gtap_table_cell(t, r, C_FILE)->text, gtap_table_cell(t, r, C_TENSOR)->text, gtap_table_cell(t, r, C_KIND)->text,
            (long long)gtap_table_cell(t, r, C_STEP)->integer, (long long)gtap_table_cell(t, r, C_K)->integer,
            gtap_table_cell(t, r, C_SOURCE)->text, gtap_table_cell(t, r, C_RATIO)->number, holds_loose ? "tight" : "LOOSE",
            gtap_table_cell(t, r, holds_loose ? C_TIGHT : C_LOOSE)->number,
            holds_loose ? "" : " (the loose bound always holds for exact top-k: this is a gradtap bug, please report it)");
}

static void tally_row(const gtap_table *t, uint64_t r, int check, group_tally *g)
{
    int64_t k = gtap_table_cell(t, r, C_K)->integer;
    if (g->vectors == 0 || k < g->k_min) g->k_min = k;
    if (g->vectors == 0 || k > g->k_max) g->k_max = k;
    g->vectors++;
    const char *status = gtap_table_cell(t, r, C_STATUS)->text;
    if (strcmp(status, "zero_vector") == 0) g->zero++;
    if (strcmp(status, "nonfinite") == 0) g->nonfinite++;
    if (strcmp(status, "ok") != 0) return;
    int holds_tight = gtap_table_cell(t, r, C_HOLDS_TIGHT)->flag, holds_loose = gtap_table_cell(t, r, C_HOLDS_LOOSE)->flag;
    g->tight += holds_tight;
    g->loose += holds_loose;
    g->ratios[g->n] = gtap_table_cell(t, r, C_RATIO)->number;
    g->slacks[g->n++] = gtap_table_cell(t, r, C_SLACK_TIGHT)->number;
    if ((check == 2 && !holds_tight) || (check >= 1 && !holds_loose)) {
        g->violations++;
        report_violation(t, r, holds_loose);
    }
}

static int add_group(gtap_table *summary, const char *source, double density, group_tally *g)
{
    double q[6];
    gtap_analysis_min_median_max(g->ratios, g->n, q);
    gtap_analysis_min_median_max(g->slacks, g->n, q + 3);
    gtap_cell cells[S_COUNT] = {
        gtap_cell_str(source), gtap_cell_num(density), gtap_cell_int(g->k_min), gtap_cell_int(g->k_max),
        gtap_cell_int(g->vectors), gtap_cell_int(g->tight), gtap_cell_int(g->loose), gtap_cell_int(g->zero),
        gtap_cell_int(g->nonfinite), gtap_cell_num(q[0]), gtap_cell_num(q[1]), gtap_cell_num(q[2]), gtap_cell_num(q[3]),
        gtap_cell_num(q[4]), gtap_cell_num(q[5]),
    };
    int violations = g->violations;
    memset(g, 0, offsetof(group_tally, ratios));
    g->violations = violations;
    return gtap_table_add(summary, summary->rows, cells);
}

/* The summary rows (after the snapshot rows) grouped by their density,
 * in increasing density. */
static int summary_groups(const gtap_analysis *a, const bounds_options *o, gtap_table *summary, group_tally *g)
{
    const gtap_table *t = &a->table;
    uint64_t first = o->snapshot_rows, count = t->rows - first;
    if (count == 0) return GTAP_OK;
    double *densities = malloc((size_t)count * sizeof *densities);
    if (densities == NULL) return gtap_set_error(GTAP_ENOMEM, "out of memory for the summary");
    for (uint64_t r = 0; r < count; r++) densities[r] = gtap_table_cell(t, first + r, C_DENSITY)->number;
    qsort(densities, (size_t)count, sizeof *densities, gtap_cli_compare_double);
    int rc = GTAP_OK;
    for (uint64_t i = 0; i < count && rc == GTAP_OK; i++) {
        if (i > 0 && densities[i] == densities[i - 1]) continue;
        for (uint64_t r = first; r < t->rows; r++)
            if (gtap_table_cell(t, r, C_DENSITY)->number == densities[i]) tally_row(t, r, o->check, g);
        rc = add_group(summary, "summary", densities[i], g);
    }
    free(densities);
    return rc;
}

static int tally_groups(const gtap_analysis *a, const bounds_options *o, gtap_table *summary, group_tally *g)
{
    const gtap_table *t = &a->table;
    int rc = GTAP_OK;
    for (size_t j = 0; j < a->k_count && rc == GTAP_OK; j++) {
        for (uint64_t r = 0; r < o->snapshot_rows; r++)
            if (t->order[r] % a->k_count == j) tally_row(t, r, o->check, g);
        if (g->vectors) rc = add_group(summary, "snapshot", a->densities ? a->densities[j] : NAN, g);
    }
    return rc == GTAP_OK ? summary_groups(a, o, summary, g) : rc;
}

int gtap_bounds_summarise(gtap_analysis *a, const bounds_options *o, gtap_h5file *results)
{
    gtap_table summary;
    gtap_table_init(&summary, summary_columns, S_COUNT);
    if (gtap_table_key_columns(&summary, "source,density,k,vectors,tight_holds,loose_holds,ratio_min,ratio_median,"
                                         "ratio_max,slack_tight_min") < 0)
        return gtap_set_error(GTAP_EINTERNAL, "bounds: a key column of the summary is missing");
    size_t rows = (size_t)(a->table.rows ? a->table.rows : 1);
    group_tally g;
    memset(&g, 0, sizeof g);
    g.ratios = malloc(rows * sizeof *g.ratios);
    g.slacks = malloc(rows * sizeof *g.slacks);
    int rc = g.ratios && g.slacks ? tally_groups(a, o, &summary, &g)
                                  : gtap_set_error(GTAP_ENOMEM, "out of memory for the summary");
    free(g.ratios);
    free(g.slacks);
    if (rc == GTAP_OK) {
        /* machine formats keep stdout parseable: the summary goes to stderr */
        FILE *stream = a->common.format == GTAP_OUT_TABLE ? stdout : stderr;
        fprintf(stream, "\nsummary (per source and %s):\n", a->densities ? "density" : "k");
        gtap_table_print(&summary, stream, GTAP_OUT_TABLE);
        if (results) rc = gtap_table_write_h5(&summary, results, "bounds_summary");
    }
    gtap_table_free(&summary);
    if (rc < 0) return rc;
    if (g.violations) {
        fprintf(stderr, "gradtap bounds: --check %s: %d violation%s\n", o->check == 2 ? "tight" : "loose", g.violations,
                g.violations == 1 ? "" : "s");
        return 1;
    }
    return GTAP_OK;
}
