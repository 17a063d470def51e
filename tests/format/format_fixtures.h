/* format_fixtures.h - what the format tests share: a reader's open status,
 * and a small snapshot file to damage. */
#ifndef GRADTAP_TEST_FORMAT_FIXTURES_H
#define GRADTAP_TEST_FORMAT_FIXTURES_H

#include "gradtap/format.h"
#include "gtap_test.h"

/* The status of gtap_reader_open(path), the reader closed again. */
static inline int open_status(const char *path)
{
    gtap_reader *reader = NULL;
    int rc = gtap_reader_open(path, &reader);
    gtap_reader_close(reader);
    return rc;
}

/* A new file at `path` (replacing one) with tensor "w" of `numel` float32
 * values 0, 1, 2, ... (numel <= 1000) at steps 0..steps-1; steps 0: a file
 * without tensors. */
static inline void write_float_file(const char *path, uint64_t numel, int steps)
{
    gtap_writer_options options;
    gtap_writer_options_init(&options);
    options.truncate = 1;
    gtap_writer *writer = NULL;
    float ramp[1000];
    for (int i = 0; i < 1000; i++) ramp[i] = (float)i;
    GT_ASSERT_OK(gtap_writer_create(path, &options, &writer));
    if (steps > 0) GT_ASSERT_OK(gtap_writer_add_tensor(writer, "w", numel, GTAP_FLOAT32));
    for (int s = 0; s < steps; s++) GT_ASSERT_OK(gtap_writer_write(writer, "w", GTAP_KIND_GRAD, s, ramp));
    GT_ASSERT_OK(gtap_writer_close(writer));
}

#endif
