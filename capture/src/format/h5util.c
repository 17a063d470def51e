/* h5util.c - HDF5 helpers private to the snapshot format (see h5util.h). */
#include "h5util.h"

#include <stdio.h>
#include <string.h>

#include "gradtap/status.h"

/* A 16-bit little-endian float: sign bit 15, `exponent_bits` exponent bits
 * just below it with the given bias, the mantissa in the bits below. */
static hid_t sixteen_bit_float(size_t exponent_bits, size_t exponent_bias)
{
    size_t mantissa_bits = 15 - exponent_bits;
    hid_t type = H5Tcopy(H5T_IEEE_F32LE);
    if (type < 0) return type;
    if (H5Tset_fields(type, 15, mantissa_bits, exponent_bits, 0, mantissa_bits) < 0 || H5Tset_size(type, 2) < 0 ||
        H5Tset_ebias(type, exponent_bias) < 0) {
        H5Tclose(type);
        return H5I_INVALID_HID;
    }
    return type;
}

hid_t gtap_h5_file_type(gtap_dtype dtype)
{
    switch (dtype) {
    case GTAP_FLOAT32: return H5Tcopy(H5T_IEEE_F32LE);
    case GTAP_FLOAT16: return sixteen_bit_float(5, 15);   /* IEEE binary16 */
    case GTAP_BFLOAT16: return sixteen_bit_float(8, 127); /* upper half of a binary32 */
    default: return H5I_INVALID_HID;
    }
}

size_t gtap_h5_escape_name(const char *name, char *out, size_t capacity)
{
    int all_dots = strcmp(name, ".") == 0 || strcmp(name, "..") == 0;
    size_t length = 0;
    for (const char *p = name; *p; p++) {
        const char *piece = NULL;
        char single[2] = {*p, '\0'};
        if (*p == '%') piece = "%25";
        else if (*p == '/') piece = "%2F";
        else if (*p == '.' && all_dots) piece = "%2E";
        else piece = single;
        size_t piece_length = strlen(piece);
        if (length + piece_length < capacity) memcpy(out + length, piece, piece_length);
        length += piece_length;
    }
    if (length < capacity) out[length] = '\0';
    return length;
}

