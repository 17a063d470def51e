/* kinds.c - names of snapshot kinds and compression modes. */
#include <string.h>

#include "gradtap/format.h"

static const char *const kind_names[GTAP_KIND_COUNT] = {"grad", "residual", "acc", "param", "reduced"};

const char *gtap_kind_name(gtap_kind kind)
{
    if ((int)kind < 0 || kind >= GTAP_KIND_COUNT) return "invalid";
    return kind_names[kind];
}

int gtap_kind_from_name(const char *name, gtap_kind *kind)
{
    if (name == NULL || kind == NULL) return gtap_set_error(GTAP_EINVAL, "kind: NULL argument");
    for (int i = 0; i < GTAP_KIND_COUNT; i++) {
        if (strcmp(name, kind_names[i]) == 0) {
            *kind = (gtap_kind)i;
            return GTAP_OK;
        }
    }
    return gtap_set_error(GTAP_EINVAL, "unknown kind '%s' (expected grad, residual, acc, param or reduced)", name);
}

const char *gtap_compression_name(gtap_compression compression)
{
    switch (compression) {
    case GTAP_COMPRESS_NONE: return "none";
    case GTAP_COMPRESS_GZIP: return "gzip";
    case GTAP_COMPRESS_LZ4: return "lz4";
    default: return "invalid";
    }
}
