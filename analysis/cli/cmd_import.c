/* cmd_import.c - placeholder, replaced below in this session. */
#include "cli.h"

int gtap_cmd_import(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return gtap_cli_error(GTAP_EXIT_INTERNAL, "not implemented yet");
}
