/* output_file.c - outputs checked before they are replaced, written aside
 * and renamed into place (output_file.h, docs/CLI.md "Output files"). */
#include "output_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "gradtap/table_h5.h"

/* 1 when the first line of `path` starts with `header`. */
static int starts_with_line(const char *path, const char *header)
{
    char line[1024] = "";
    FILE *file = fopen(path, "r");
    if (file == NULL) return 0;
    int ok = fgets(line, sizeof line, file) != NULL && strncmp(line, header, strlen(header)) == 0;
    fclose(file);
    return ok;
}

int gtap_output_check(const char *path, const char *format, const char *text_header, int force)
{
    struct stat info;
    if (force || stat(path, &info) != 0) return 0;
    if (S_ISDIR(info.st_mode)) return gtap_cli_error(GTAP_EXIT_USAGE, "%s: is a directory", path);
    char found[64] = "";
    int identified = gtap_h5file_identify(path, found, sizeof found) == 0;
    if (identified && format != NULL && strcmp(found, format) == 0) return 0;
    if (!identified && text_header != NULL && starts_with_line(path, text_header)) return 0;
    const char *what = identified ? found : "not a gradtap output";
    if (format == NULL && text_header == NULL) /* nothing this command may replace */
        return gtap_cli_error(GTAP_EXIT_USAGE, "%s exists (it is: %s); refusing to replace it (use --force)", path,
                              what);
    return gtap_cli_error(GTAP_EXIT_USAGE, "%s exists and is not a %s output of this command (it is: %s); refusing "
                          "to replace it (use --force)", path, format ? format : "text", what);
}

int gtap_output_begin(gtap_output_file *out, const char *path)
{
    out->path = path;
    int length = snprintf(out->temp, sizeof out->temp, "%s.tmp-XXXXXX", path);
    if (length < 0 || (size_t)length >= sizeof out->temp) {
        out->temp[0] = '\0';
        return gtap_cli_error(GTAP_EXIT_USAGE, "%s: path too long", path);
    }
    int fd = mkstemp(out->temp);
    if (fd < 0) {
        int error = errno;
        out->temp[0] = '\0';
        return gtap_cli_error(GTAP_EXIT_USAGE, "%s: cannot create a file beside it: %s", path, strerror(error));
    }
    mode_t mask = umask(0);
    umask(mask);
    fchmod(fd, 0666 & ~mask); /* mkstemp makes 0600; a new output gets what open(2) would give */
    close(fd);
    return 0;
}

int gtap_output_copy_existing(gtap_output_file *out)
{
    FILE *from = fopen(out->path, "rb");
    FILE *to = from ? fopen(out->temp, "wb") : NULL;
    char buffer[1 << 16];
    size_t got = 0;
    int ok = from != NULL && to != NULL;
    while (ok && (got = fread(buffer, 1, sizeof buffer, from)) > 0) ok = fwrite(buffer, 1, got, to) == got;
    ok = ok && !ferror(from);
    int error = errno;
    if (to != NULL && fclose(to) != 0) ok = 0;
    if (from != NULL) fclose(from);
    if (!ok) return gtap_cli_error(GTAP_EXIT_USAGE, "%s: cannot copy it aside to append: %s", out->path, strerror(error));
    return 0;
}

int gtap_output_commit(gtap_output_file *out)
{
    if (out->temp[0] == '\0') return 0;
    if (rename(out->temp, out->path) != 0) {
        int error = errno;
        gtap_output_abort(out);
        return gtap_cli_error(GTAP_EXIT_USAGE, "%s: cannot move the finished output into place: %s", out->path,
                              strerror(error));
    }
    out->temp[0] = '\0';
    return 0;
}

void gtap_output_abort(gtap_output_file *out)
{
    if (out->temp[0] != '\0') unlink(out->temp);
    out->temp[0] = '\0';
}
