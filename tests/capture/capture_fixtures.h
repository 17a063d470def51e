/* capture_fixtures.h - what the capture tests share. */
#ifndef GRADTAP_TEST_CAPTURE_FIXTURES_H
#define GRADTAP_TEST_CAPTURE_FIXTURES_H

#include "gradtap/capture.h"

/* Default options for one rank of one, without the stderr line a capture
 * prints when it turns itself off. */
static inline gtap_capture_options quiet_options(void)
{
    gtap_capture_options options;
    gtap_capture_options_init(&options);
    options.quiet = 1;
    options.rank = 0;
    options.world_size = 1;
    return options;
}

#endif
