/* cmd_converge.c - `gradtap converge` (placeholder until its issue lands). */
#include "cli.h"

int gtap_cmd_converge(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return gtap_cli_error(GTAP_EXIT_INTERNAL, "not implemented yet");
}
