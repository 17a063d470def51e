/* cmd_curve.c - `gradtap curve` (placeholder until its issue lands). */
#include "cli.h"

int gtap_cmd_curve(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return gtap_cli_error(GTAP_EXIT_INTERNAL, "not implemented yet");
}
