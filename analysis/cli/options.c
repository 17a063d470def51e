/* options.c - the one option driver of every subcommand: getopt_long with
 * its own messages off, and a single "gradtap <cmd>: ..." line for an
 * unknown option, a missing value or a value given to a flag. */
#include <getopt.h>
#include <string.h>

#include "cli.h"

/* The option as the user spelled it, without any "=value". */
static void spelled_option(char **argv, char *text, size_t size)
{
    const char *word = optind > 0 ? argv[optind - 1] : "";
    if (word != NULL && strncmp(word, "--", 2) == 0) {
        size_t length = strcspn(word, "=");
        snprintf(text, size, "%.*s", (int)length, word);
    } else if (optopt > 0 && optopt < 128) {
        snprintf(text, size, "-%c", optopt);
    } else {
        snprintf(text, size, "%s", word ? word : "");
    }
}

/* The long option named `name` ("--x" spelled in full), or NULL. */
static const struct option *find_long(const struct option *longopts, const char *name)
{
    if (strncmp(name, "--", 2) != 0) return NULL;
    for (const struct option *o = longopts; o && o->name; o++)
        if (strcmp(o->name, name + 2) == 0) return o;
    return NULL;
}

int gtap_cli_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts)
{
    char spec[128];
    snprintf(spec, sizeof spec, ":%s", shortopts);
    opterr = 0;
    int option = getopt_long(argc, argv, spec, longopts, NULL);
    if (option != '?' && option != ':') return option;
    char name[128];
    spelled_option(argv, name, sizeof name);
    const struct option *known = find_long(longopts, name);
    if (option == ':')
        gtap_cli_error(GTAP_EXIT_USAGE, "option '%s' needs a value", name);
    else if (known && known->has_arg == no_argument)
        gtap_cli_error(GTAP_EXIT_USAGE, "option '%s' takes no value", name);
    else
        gtap_cli_error(GTAP_EXIT_USAGE, "unknown option '%s' (see gradtap %s --help)", name, gtap_cli_command_name);
    return GTAP_CLI_OPT_BAD;
}
