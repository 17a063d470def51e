/* cmd_recover.c - `gradtap recover` (placeholder until its issue lands). */
#include "cli.h"

int gtap_cmd_recover(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return gtap_cli_error(GTAP_EXIT_INTERNAL, "not implemented yet");
}
