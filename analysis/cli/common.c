/* common.c - diagnostics and checked number parsing shared by subcommands. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "gradtap/status.h"

const char *gtap_cli_command_name = "gradtap";

static void vprint_line(const char *prefix, const char *fmt, va_list args)
{
    fprintf(stderr, "gradtap %s: %s", gtap_cli_command_name, prefix);
    vfprintf(stderr, fmt, args);
    fputc('\n', stderr);
}

int gtap_cli_error(int exit_code, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    vprint_line("", fmt, args);
    va_end(args);
    return exit_code;
}

void gtap_cli_warn(const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    vprint_line("warning: ", fmt, args);
    va_end(args);
}

int gtap_cli_exit_code(int status)
{
    switch (status) {
    case GTAP_OK: return GTAP_EXIT_OK;
    case GTAP_ENOMEM:
    case GTAP_EINTERNAL:
    case GTAP_ECUDA:
    case GTAP_EMPI:
        return GTAP_EXIT_INTERNAL;
    default:
        return GTAP_EXIT_USAGE;
    }
}

int gtap_cli_fail(int status)
{
    const char *detail = gtap_last_error();
    if (detail == NULL || detail[0] == '\0') detail = gtap_strerror(status);
    return gtap_cli_error(gtap_cli_exit_code(status), "%s", detail);
}

int gtap_cli_parse_i64(const char *option, const char *text, int64_t min, int64_t max, int64_t *value)
{
    if (text == NULL || text[0] == '\0')
        return gtap_cli_error(GTAP_EXIT_USAGE, "%s: expected an integer, got an empty value", option);
    char *end = NULL;
    errno = 0;
    long long parsed = strtoll(text, &end, 10);
    if (errno == ERANGE) return gtap_cli_error(GTAP_EXIT_USAGE, "%s: '%s' overflows", option, text);
    if (end == text || *end != '\0')
        return gtap_cli_error(GTAP_EXIT_USAGE, "%s: '%s' is not an integer", option, text);
    if (parsed < min || parsed > max)
        return gtap_cli_error(GTAP_EXIT_USAGE, "%s: %s is out of range [%lld, %lld]", option, text, (long long)min,
                              (long long)max);
    *value = parsed;
    return 0;
}

int gtap_cli_parse_u64(const char *option, const char *text, uint64_t min, uint64_t max, uint64_t *value)
{
    if (text == NULL || text[0] == '\0')
        return gtap_cli_error(GTAP_EXIT_USAGE, "%s: expected a non-negative integer, got an empty value", option);
    const char *p = text;
    while (*p == ' ') p++;
    if (*p == '-') return gtap_cli_error(GTAP_EXIT_USAGE, "%s: '%s' is negative", option, text);
    char *end = NULL;
    errno = 0;
    unsigned long long parsed = strtoull(text, &end, 10);
    if (errno == ERANGE) return gtap_cli_error(GTAP_EXIT_USAGE, "%s: '%s' overflows", option, text);
    if (end == text || *end != '\0')
        return gtap_cli_error(GTAP_EXIT_USAGE, "%s: '%s' is not a non-negative integer", option, text);
    if (parsed < min || parsed > max)
        return gtap_cli_error(GTAP_EXIT_USAGE, "%s: %s is out of range [%llu, %llu]", option, text,
                              (unsigned long long)min, (unsigned long long)max);
    *value = parsed;
    return 0;
}

int gtap_cli_parse_int(const char *option, const char *text, int min, int max, int *value)
{
    int64_t wide = 0;
    int rc = gtap_cli_parse_i64(option, text, min, max, &wide);
    if (rc == 0) *value = (int)wide;
    return rc;
}

int gtap_cli_parse_double(const char *option, const char *text, double min, double max, double *value)
{
    if (text == NULL || text[0] == '\0')
        return gtap_cli_error(GTAP_EXIT_USAGE, "%s: expected a number, got an empty value", option);
    char *end = NULL;
    errno = 0;
    double parsed = strtod(text, &end);
    if (end == text || *end != '\0')
        return gtap_cli_error(GTAP_EXIT_USAGE, "%s: '%s' is not a number", option, text);
    if (!isfinite(parsed) || errno == ERANGE)
        return gtap_cli_error(GTAP_EXIT_USAGE, "%s: '%s' is not a finite number", option, text);
    if (parsed < min || parsed > max)
        return gtap_cli_error(GTAP_EXIT_USAGE, "%s: %s is out of range [%g, %g]", option, text, min, max);
    *value = parsed;
    return 0;
}

/* Split `text` at commas and parse each piece with `parse_one`. */
static int parse_list(const char *option, const char *text, size_t element_size,
                      int (*parse_one)(const char *, const char *, const void *, void *), const void *limits,
                      void **values, size_t *count)
{
    *values = NULL;
    *count = 0;
    if (text == NULL || text[0] == '\0') return gtap_cli_error(GTAP_EXIT_USAGE, "%s: empty list", option);
    size_t pieces = 1;
    for (const char *p = text; *p; p++) pieces += *p == ',';
    char *copy = strdup(text);
    unsigned char *out = calloc(pieces, element_size);
    if (copy == NULL || out == NULL) {
        free(copy);
        free(out);
        return gtap_cli_error(GTAP_EXIT_INTERNAL, "out of memory");
    }
    size_t n = 0;
    char *cursor = copy;
    for (;;) {
        char *comma = strchr(cursor, ',');
        if (comma) *comma = '\0';
        int rc = parse_one(option, cursor, limits, out + n * element_size);
        if (rc != 0) {
            free(copy);
            free(out);
            return rc;
        }
        n++;
        if (!comma) break;
        cursor = comma + 1;
    }
    free(copy);
    *values = out;
    *count = n;
    return 0;
}

static int parse_one_double(const char *option, const char *text, const void *limits, void *out)
{
    const double *range = limits;
    return gtap_cli_parse_double(option, text, range[0], range[1], out);
}

static int parse_one_u64(const char *option, const char *text, const void *limits, void *out)
{
    const uint64_t *range = limits;
    return gtap_cli_parse_u64(option, text, range[0], range[1], out);
}

int gtap_cli_parse_double_list(const char *option, const char *text, double min, double max, double **values,
                               size_t *count)
{
    double range[2] = {min, max};
    return parse_list(option, text, sizeof(double), parse_one_double, range, (void **)values, count);
}

int gtap_cli_parse_u64_list(const char *option, const char *text, uint64_t min, uint64_t max, uint64_t **values,
                            size_t *count)
{
    uint64_t range[2] = {min, max};
    return parse_list(option, text, sizeof(uint64_t), parse_one_u64, range, (void **)values, count);
}

void gtap_cli_print_usage(FILE *stream, const char *usage_text)
{
    fputs(usage_text, stream);
}

int gtap_cli_help_or_usage_error(int option, const char *usage_text)
{
    if (option != 'h') return GTAP_EXIT_USAGE;
    gtap_cli_print_usage(stdout, usage_text);
    return GTAP_EXIT_OK;
}

int gtap_cli_stderr_is_tty(void)
{
    return isatty(STDERR_FILENO);
}

static const char *file_kind(mode_t mode)
{
    if (S_ISDIR(mode)) return "a directory";
    if (S_ISFIFO(mode)) return "a FIFO";
    if (S_ISCHR(mode)) return "a character device";
    if (S_ISBLK(mode)) return "a block device";
    if (S_ISSOCK(mode)) return "a socket";
    return "not a regular file";
}

int gtap_cli_check_input(const char *path)
{
    struct stat file_stat;
    if (path == NULL || stat(path, &file_stat) != 0) return 0; /* missing: the reader names it */
    if (S_ISREG(file_stat.st_mode)) return 0;
    return gtap_cli_error(GTAP_EXIT_USAGE, "%s: is %s, not a regular file (inputs must be regular files)", path,
                          file_kind(file_stat.st_mode));
}

int gtap_cli_compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}
