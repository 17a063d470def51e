/*
 * sparsify/names.c - the names of the compressors (for the CLI), option
 * defaults and k from a density (docs/THEORY.md s.1).
 */
#include <math.h>
#include <string.h>

#include "sparsify/internal.h"

static const char *const kind_names[GTAP_SPARSIFY_KIND_COUNT] = {
    [GTAP_SPARSIFY_NONE] = "none",
    [GTAP_SPARSIFY_TOPK] = "topk",
    [GTAP_SPARSIFY_RANDK] = "randk",
    [GTAP_SPARSIFY_RANDK_UNBIASED] = "randk-unbiased",
    [GTAP_SPARSIFY_GAUSSIANK] = "gaussiank",
    [GTAP_SPARSIFY_GAUSSIANK_REF] = "gaussiank-ref",
    [GTAP_SPARSIFY_DGCK] = "dgck",
    [GTAP_SPARSIFY_TRIMMED] = "trimmed",
    [GTAP_SPARSIFY_REDSYNC] = "redsync",
    [GTAP_SPARSIFY_THRESHOLD] = "threshold",
    [GTAP_SPARSIFY_SIGN] = "sign",
};

static const char kind_list[] =
    "none, topk, randk, randk-unbiased, gaussiank, gaussiank-ref, dgck, trimmed, redsync, threshold, sign";

const char *gtap_sparsifier_kind_name(gtap_sparsifier_kind kind)
{
    if ((int)kind < 0 || kind >= GTAP_SPARSIFY_KIND_COUNT) return "unknown";
    return kind_names[kind];
}

const char *gtap_sparsifier_kind_list(void) { return kind_list; }

size_t gtap_sparsify_options_size(void) { return sizeof(gtap_sparsify_options); }
size_t gtap_sparsify_result_size(void) { return sizeof(gtap_sparsify_result); }

int gtap_sparsifier_kind_parse(const char *name, gtap_sparsifier_kind *kind)
{
    if (name == NULL || kind == NULL) return gtap_set_error(GTAP_EINVAL, "sparsifier name: NULL argument");
    for (int i = 0; i < GTAP_SPARSIFY_KIND_COUNT; i++) {
        if (strcmp(name, kind_names[i]) == 0) {
            *kind = (gtap_sparsifier_kind)i;
            return GTAP_OK;
        }
    }
    return gtap_set_error(GTAP_EINVAL, "unknown sparsifier '%s' (valid: %s)", name, kind_list);
}

int sp_kind_uses_k(gtap_sparsifier_kind kind)
{
    return kind != GTAP_SPARSIFY_THRESHOLD && kind != GTAP_SPARSIFY_SIGN && kind != GTAP_SPARSIFY_NONE;
}

void gtap_sparsify_options_init(gtap_sparsify_options *opt, gtap_sparsifier_kind kind)
{
    if (opt == NULL) return;
    const gtap_sparsify_options defaults = GTAP_SPARSIFY_OPTIONS_INIT(kind);
    *opt = defaults;
}
