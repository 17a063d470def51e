/* bounds_summaries.c - the rows of `gradtap bounds` that come from the
 * capture's per-step summaries instead of snapshots (see bounds.h), and the
 * cells both kinds of row derive from k, d and r_k (docs/THEORY.md s.1-2).
 *
 * A summary holds the exact r_k = T_k/||u||^2 at the capture's densities,
 * ||u||^2 and the moments of the vector it summarised, so a summary row has
 * the same ratio, bounds, slack, delta and gain as a snapshot row of that
 * step would (to rounding: T_k is rebuilt as r_k * ||u||^2), the Gaussian
 * prediction from the stored mean and variance, and NaN where the values
 * themselves are needed (Laplace fit, threshold, selectors). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "gradtap/capture.h"
#include "gradtap/fit.h"
#include "gradtap/summary.h"

const char *gtap_bounds_status(uint64_t nonfinite, double norm2)
{
    return nonfinite ? "nonfinite" : (norm2 > 0 ? "ok" : "zero_vector");
}

void gtap_bounds_ratio_cells(const bounds_ratio *r, gtap_cell *cells)
{
    double frac = r->d > 0 ? (double)r->k / (double)r->d : NAN;
    double loose = 1.0 - frac, tight = loose * loose;
    double ratio = r->usable ? r->ratio : NAN, delta = r->usable ? r->delta : NAN;
    cells[C_D] = gtap_cell_int((int64_t)r->d);
    cells[C_K] = gtap_cell_int((int64_t)r->k);
    cells[C_NORM2] = gtap_cell_num(r->norm2);
    cells[C_TAIL2] = gtap_cell_num(r->usable ? r->tail2 : NAN);
    cells[C_RATIO] = gtap_cell_num(ratio);
    cells[C_LOOSE] = gtap_cell_num(loose);
    cells[C_TIGHT] = gtap_cell_num(tight);
    cells[C_K_OVER_D] = gtap_cell_num(frac);
    cells[C_HEAD2] = gtap_cell_num(r->usable ? r->head2 : NAN);
    cells[C_DELTA] = gtap_cell_num(delta);
    cells[C_DELTA_TIGHT] = gtap_cell_num(1.0 - tight);
    cells[C_GAIN] = gtap_cell_num(delta / frac);
    cells[C_SLACK_LOOSE] = gtap_cell_num(loose - ratio);
    cells[C_SLACK_TIGHT] = gtap_cell_num(tight - ratio);
    cells[C_HOLDS_LOOSE] = gtap_cell_bool(r->usable && ratio <= loose);
    cells[C_HOLDS_TIGHT] = gtap_cell_bool(r->usable && ratio <= tight);
}

/* Whether density j of a summary was asked for: every one when neither
 * --density nor --k was given, else those equal to an asked density or k. */
static int density_asked(const gtap_analysis *a, const gtap_summary *s, size_t j)
{
    if (a->k_options_given == 0) return 1;
    for (size_t i = 0; i < a->k_count; i++) {
        if (a->densities && a->densities[i] == s->densities[j]) return 1;
        if (a->ks && a->ks[i] == s->k[j]) return 1;
    }
    return 0;
}

typedef struct summary_place {
    size_t file;
    int rank;
    gtap_kind kind;
    const char *tensor;
} summary_place;

static int add_summary_rows(gtap_analysis *a, const summary_place *at, const gtap_summary *s, uint64_t *order)
{
    uint64_t d = s->counts[GTAP_SUMMARY_COUNT];
    uint64_t nonfinite = s->counts[GTAP_SUMMARY_NAN] + s->counts[GTAP_SUMMARY_POSINF] + s->counts[GTAP_SUMMARY_NEGINF];
    double norm2 = s->moments[GTAP_SUMMARY_NORM2];
    int usable = nonfinite == 0 && norm2 > 0;
    gtap_fit gauss = {.family = GTAP_FAMILY_GAUSS, .loc = s->moments[GTAP_SUMMARY_MEAN],
                      .scale = sqrt(s->moments[GTAP_SUMMARY_VARIANCE])};
    int gauss_ok = usable && s->counts[GTAP_SUMMARY_FINITE] >= 2 && gauss.scale > 0;
    for (size_t j = 0; j < s->density_count; j++) {
        if (!density_asked(a, s, j)) continue;
        double tail2 = s->ratios[j] * norm2;
        bounds_ratio measured = {d, s->k[j], nonfinite ? NAN : norm2, tail2, norm2 - tail2, s->ratios[j],
                                 1.0 - s->ratios[j], usable};
        double predicted = NAN;
        if (gauss_ok && gtap_fit_predicted_ratio(&gauss, d ? (double)s->k[j] / (double)d : NAN, &predicted) < 0)
            predicted = NAN;
        gtap_cell cells[C_COUNT];
        for (int c = 0; c < C_COUNT; c++) cells[c] = gtap_cell_num(NAN);
        cells[C_RANK] = gtap_cell_int(at->rank);
        cells[C_STEP] = gtap_cell_int(s->step);
        cells[C_TENSOR] = gtap_cell_str(at->tensor);
        cells[C_KIND] = gtap_cell_str(gtap_kind_name(at->kind));
        cells[C_SOURCE] = gtap_cell_str("summary");
        gtap_bounds_ratio_cells(&measured, cells);
        cells[C_DENSITY] = gtap_cell_num(s->densities[j]);
        cells[C_PRED_GAUSS] = gtap_cell_num(predicted);
        cells[C_STATUS] = gtap_cell_str(gtap_bounds_status(nonfinite, norm2));
        cells[C_NONFINITE] = gtap_cell_int((int64_t)nonfinite);
        cells[C_FILE] = gtap_cell_str(a->selection.paths[at->file]);
        int rc = gtap_table_add(&a->table, (*order)++, cells);
        if (rc < 0) return rc;
    }
    return GTAP_OK;
}

/* Every selected summary of (file, tensor t, kind) in step order. */
static int tensor_summaries(gtap_analysis *a, const summary_place *at, size_t t, uint64_t *order)
{
    gtap_reader *reader = a->selection.readers[at->file];
    size_t count = 0;
    int rc = gtap_summary_count(reader, t, at->kind, &count);
    for (size_t i = 0; i < count && rc == GTAP_OK; i++) {
        gtap_summary s;
        if ((rc = gtap_summary_read(reader, t, at->kind, i, &s)) < 0) break;
        if (gtap_selection_step_selected(&a->selection.options, s.step)) rc = add_summary_rows(a, at, &s, order);
    }
    return rc;
}

/* The summaries of file f: per tensor, or with --global those of the
 * whole-model tensor the capture writes with global_summary (its r_k is
 * that of the concatenated vector, as --global computes from snapshots). */
static int file_summaries(gtap_analysis *a, size_t f, uint64_t *order)
{
    const gtap_selection_options *o = &a->selection.options;
    gtap_reader *reader = a->selection.readers[f];
    gtap_file_info file;
    int rc = gtap_reader_file_info(reader, &file);
    if (rc < 0 || !gtap_selection_rank_selected(o, file.rank)) return rc;
    unsigned kinds = gtap_selection_kinds(o);
    size_t tensors = gtap_reader_tensor_count(reader), model = tensors;
    if (o->global && gtap_reader_find_tensor(reader, GTAP_CAPTURE_MODEL_TENSOR, &model) < 0) return GTAP_OK;
    for (int kind = 0; kind < GTAP_KIND_COUNT && rc == GTAP_OK; kind++) {
        if (!(kinds & GTAP_KIND_BIT(kind))) continue;
        for (size_t t = o->global ? model : 0; t < (o->global ? model + 1 : tensors) && rc == GTAP_OK; t++) {
            gtap_tensor_info info;
            if ((rc = gtap_reader_tensor(reader, t, &info)) < 0) break;
            if (!o->global && !gtap_selection_tensor_selected(o, info.name)) continue;
            summary_place at = {f, file.rank, (gtap_kind)kind, info.name};
            rc = tensor_summaries(a, &at, t, order);
        }
    }
    return rc;
}

int gtap_bounds_summary_rows(gtap_analysis *a, void *user)
{
    bounds_options *o = user;
    o->snapshot_rows = a->table.rows;
    uint64_t order = (uint64_t)a->selection.count * (a->k_count ? a->k_count : 1);
    int rc = GTAP_OK;
    /* the whole-model summary covers every recorded tensor: not a --tensor subset */
    int usable = o->summaries && !(a->selection.options.global && a->selection.options.tensor_glob_count > 0);
    for (size_t f = 0; usable && f < a->selection.file_count && rc == GTAP_OK; f++) rc = file_summaries(a, f, &order);
    if (rc == GTAP_OK && a->table.rows == 0)
        rc = gtap_set_error(GTAP_ENOTFOUND, "no snapshot or summary matches the selection (see `gradtap info`)");
    return rc;
}
