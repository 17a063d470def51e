/* test_dtype.c - float16/bfloat16 conversions against exhaustive checks:
 * every 16-bit pattern widens and narrows back to itself (NaN stays NaN),
 * and narrowing rounds to nearest even. */
#include <float.h>

#include "gradtap/dtype.h"
#include "gtap_test.h"

static int is_nan16(uint16_t bits, int exponent_mask, int mantissa_mask)
{
    return (bits & exponent_mask) == exponent_mask && (bits & mantissa_mask) != 0;
}

static void test_half_round_trip_every_pattern(void)
{
    int failures = 0;
    for (uint32_t bits = 0; bits < 65536; bits++) {
        float widened = gtap_half_to_float((uint16_t)bits);
        uint16_t back = gtap_float_to_half(widened);
        if (is_nan16((uint16_t)bits, 0x7c00, 0x3ff)) failures += !isnan(widened) || !is_nan16(back, 0x7c00, 0x3ff);
        else failures += back != bits;
    }
    GT_ASSERT_INT_EQ(failures, 0);
}

static void test_bf16_round_trip_every_pattern(void)
{
    int failures = 0;
    for (uint32_t bits = 0; bits < 65536; bits++) {
        float widened = gtap_bf16_to_float((uint16_t)bits);
        uint16_t back = gtap_float_to_bf16(widened);
        if (is_nan16((uint16_t)bits, 0x7f80, 0x7f)) failures += !isnan(widened) || !is_nan16(back, 0x7f80, 0x7f);
        else failures += back != bits;
    }
    GT_ASSERT_INT_EQ(failures, 0);
}

static void test_half_known_values(void)
{
    GT_ASSERT_INT_EQ(gtap_float_to_half(1.0f), 0x3c00);
    GT_ASSERT_INT_EQ(gtap_float_to_half(-2.0f), 0xc000);
    GT_ASSERT_INT_EQ(gtap_float_to_half(65504.0f), 0x7bff);
    GT_ASSERT_INT_EQ(gtap_float_to_half(65520.0f), 0x7c00);           /* rounds up to Inf */
    GT_ASSERT_INT_EQ(gtap_float_to_half(65519.0f), 0x7bff);           /* rounds down to max */
    GT_ASSERT_INT_EQ(gtap_float_to_half(5.9604644775390625e-8f), 1);  /* smallest subnormal */
    GT_ASSERT_INT_EQ(gtap_float_to_half(2.98023223876953125e-8f), 0); /* half of it: tie to even 0 */
    GT_ASSERT_INT_EQ(gtap_float_to_half(1.0f + 1.0f / 2048.0f), 0x3c00); /* tie to even */
    GT_ASSERT_INT_EQ(gtap_float_to_half(1.0f + 3.0f / 2048.0f), 0x3c02); /* tie to even (up) */
    GT_ASSERT_INT_EQ(gtap_float_to_half(-0.0f), 0x8000);
    GT_ASSERT_INT_EQ(gtap_float_to_half(INFINITY), 0x7c00);
    GT_ASSERT(isnan(gtap_half_to_float(gtap_float_to_half(NAN))));
}

static void test_bf16_known_values(void)
{
    GT_ASSERT_INT_EQ(gtap_float_to_bf16(1.0f), 0x3f80);
    GT_ASSERT_INT_EQ(gtap_float_to_bf16(FLT_MAX), 0x7f80);            /* rounds to Inf */
    GT_ASSERT_INT_EQ(gtap_float_to_bf16(1.0f + 1.0f / 256.0f), 0x3f80); /* tie to even */
    GT_ASSERT_NEAR(gtap_bf16_to_float(0x4049), 3.140625, 0, 0);
}

/* gtap_set_error may wrap the current message in context (status.h). */
static void test_error_wraps_the_last_error(void)
{
    GT_ASSERT_STATUS(gtap_set_error(GTAP_EIO, "inner %d", 7), GTAP_EIO);
    GT_ASSERT_STATUS(gtap_set_error(GTAP_EFORMAT, "outer: %s (%s)", gtap_last_error(), gtap_last_error()), GTAP_EFORMAT);
    GT_ASSERT_STR_EQ(gtap_last_error(), "outer: inner 7 (inner 7)");
    gtap_clear_error();
    GT_ASSERT_STR_EQ(gtap_last_error(), "");
}

static void test_names(void)
{
    GT_ASSERT_INT_EQ(gtap_dtype_from_name("bf16"), GTAP_BFLOAT16);
    GT_ASSERT_INT_EQ(gtap_dtype_from_name("float16"), GTAP_FLOAT16);
    GT_ASSERT_INT_EQ(gtap_dtype_from_name("int8"), GTAP_DTYPE_INVALID);
    GT_ASSERT_STR_EQ(gtap_dtype_name(GTAP_BFLOAT16), "bfloat16");
    GT_ASSERT_INT_EQ(gtap_dtype_size(GTAP_FLOAT32), 4);
    float out[1];
    GT_ASSERT_STATUS(gtap_to_float32((gtap_dtype)9, out, out, 1), GTAP_EDTYPE);
}

int main(int argc, char **argv)
{
    CU_TestInfo tests[] = {
        {"half round trip, all 65536 patterns", test_half_round_trip_every_pattern},
        {"bfloat16 round trip, all 65536 patterns", test_bf16_round_trip_every_pattern},
        {"half known values and rounding", test_half_known_values},
        {"bfloat16 known values and rounding", test_bf16_known_values},
        {"dtype names", test_names},
        {"an error message can wrap the last one", test_error_wraps_the_last_error},
        CU_TEST_INFO_NULL,
    };
    CU_SuiteInfo suites[] = {{"dtype", NULL, NULL, NULL, NULL, tests}, CU_SUITE_INFO_NULL};
    return gtap_test_run(argc, argv, suites);
}
