/* cmd_fit.c - `gradtap fit` (placeholder until its issue lands). */
#include "cli.h"

int gtap_cmd_fit(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return gtap_cli_error(GTAP_EXIT_INTERNAL, "not implemented yet");
}
