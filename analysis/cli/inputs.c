/* inputs.c - run names resolved to rank files, and the rank-set check
 * (see inputs.h). */
#include "inputs.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "gradtap/capture.h"
#include "h5_guard.h"

/* 1 when `path` ends in ".rankDDDDD.h5" (five to nine digits): *stem is the
 * length of the NAME before it, *rank the number. */
static int parse_rank_name(const char *path, size_t *stem, int *rank)
{
    size_t length = strlen(path);
    if (length < 3 || strcmp(path + length - 3, ".h5") != 0) return 0;
    size_t digits_end = length - 3, digits_begin = digits_end;
    while (digits_begin > 0 && path[digits_begin - 1] >= '0' && path[digits_begin - 1] <= '9') digits_begin--;
    size_t digits = digits_end - digits_begin;
    if (digits < 5 || digits > 9 || digits_begin < 5 || strncmp(path + digits_begin - 5, ".rank", 5) != 0) return 0;
    int value = 0;
    for (size_t i = digits_begin; i < digits_end; i++) value = 10 * value + (path[i] - '0');
    *stem = digits_begin - 5;
    *rank = value;
    return 1;
}

static int file_exists(const char *path)
{
    struct stat file_stat;
    return stat(path, &file_stat) == 0;
}

static int add_path(gtap_input_list *list, const char *prefix, size_t prefix_length, const char *name)
{
    char **grown = realloc(list->paths, (list->count + 1) * sizeof *grown);
    if (grown == NULL) return gtap_cli_error(GTAP_EXIT_INTERNAL, "out of memory");
    list->paths = grown;
    size_t length = strlen(name);
    char *path = malloc(prefix_length + length + 1);
    if (path == NULL) return gtap_cli_error(GTAP_EXIT_INTERNAL, "out of memory");
    memcpy(path, prefix, prefix_length);
    memcpy(path + prefix_length, name, length + 1);
    list->paths[list->count++] = path;
    return GTAP_EXIT_OK;
}

typedef struct rank_file {
    int rank;
    char *name;
} rank_file;

static int compare_rank_files(const void *a, const void *b)
{
    const rank_file *x = a, *y = b;
    if (x->rank != y->rank) return (x->rank > y->rank) - (x->rank < y->rank);
    return strcmp(x->name, y->name);
}

/* The entries of `directory` named BASE.rankDDDDD.h5, sorted by rank. */
static int list_rank_files(const char *directory, const char *base, size_t base_length, rank_file **files, size_t *count)
{
    *files = NULL;
    *count = 0;
    DIR *dir = opendir(directory);
    if (dir == NULL) return GTAP_EXIT_OK;
    int exit_code = GTAP_EXIT_OK;
    struct dirent *entry;
    while (exit_code == GTAP_EXIT_OK && (entry = readdir(dir)) != NULL) {
        size_t stem;
        int rank;
        if (!parse_rank_name(entry->d_name, &stem, &rank) || stem != base_length || strncmp(entry->d_name, base, stem) != 0)
            continue;
        rank_file *grown = realloc(*files, (*count + 1) * sizeof *grown);
        char *name = strdup(entry->d_name);
        if (grown) *files = grown;
        if (grown == NULL || name == NULL) {
            free(name);
            exit_code = gtap_cli_error(GTAP_EXIT_INTERNAL, "out of memory");
            break;
        }
        (*files)[(*count)++] = (rank_file){rank, name};
    }
    closedir(dir);
    if (*count > 1) qsort(*files, *count, sizeof **files, compare_rank_files);
    return exit_code;
}

/* A run name: NAME or NAME.h5 standing for NAME.rankNNNNN.h5 beside it. */
static int add_run(gtap_input_list *list, const char *argument)
{
    size_t length = strlen(argument);
    if (length > 3 && strcmp(argument + length - 3, ".h5") == 0) length -= 3;
    size_t prefix_length = length;
    while (prefix_length > 0 && argument[prefix_length - 1] != '/') prefix_length--;
    char *directory = prefix_length ? strndup(argument, prefix_length) : strdup(".");
    if (directory == NULL) return gtap_cli_error(GTAP_EXIT_INTERNAL, "out of memory");
    rank_file *files = NULL;
    size_t count = 0;
    int exit_code = list_rank_files(directory, argument + prefix_length, length - prefix_length, &files, &count);
    for (size_t i = 0; i < count && exit_code == GTAP_EXIT_OK; i++) exit_code = add_path(list, argument, prefix_length, files[i].name);
    if (exit_code == GTAP_EXIT_OK && count == 0)
        exit_code = gtap_cli_error(GTAP_EXIT_USAGE, "%s: no such snapshot file, and no rank files %.*s.rankNNNNN.h5",
                                   argument, (int)length, argument);
    for (size_t i = 0; i < count; i++) free(files[i].name);
    free(files);
    free(directory);
    return exit_code;
}

int gtap_inputs_resolve(char *const *arguments, size_t count, gtap_input_list *list)
{
    memset(list, 0, sizeof *list);
    int exit_code = GTAP_EXIT_OK;
    for (size_t i = 0; i < count && exit_code == GTAP_EXIT_OK; i++) {
        size_t stem;
        int rank;
        if ((exit_code = gtap_cli_check_input(arguments[i])) != GTAP_EXIT_OK) break;
        /* an existing path, or a missing rank file (the reader names it) */
        if (file_exists(arguments[i]) || parse_rank_name(arguments[i], &stem, &rank))
            exit_code = add_path(list, "", 0, arguments[i]);
        else
            exit_code = add_run(list, arguments[i]);
    }
    return exit_code;
}

void gtap_inputs_free(gtap_input_list *list)
{
    for (size_t i = 0; list->paths && i < list->count; i++) free(list->paths[i]);
    free(list->paths);
    memset(list, 0, sizeof *list);
}

/* ---- the rank-set check ------------------------------------------------ */

typedef struct rank_entry {
    const char *path;
    const gtap_file_info *info;
    size_t key_length;   /* the run name: path[0..key_length) (the whole path for other names) */
    int named_rank;      /* the rank in the file name, or -1 */
} rank_entry;

static int compare_entries(const void *a, const void *b)
{
    const rank_entry *x = a, *y = b;
    size_t n = x->key_length < y->key_length ? x->key_length : y->key_length;
    int c = strncmp(x->path, y->path, n);
    if (c == 0 && x->key_length != y->key_length) c = x->key_length < y->key_length ? -1 : 1;
    if (c == 0) c = (x->info->rank > y->info->rank) - (x->info->rank < y->info->rank);
    return c ? c : strcmp(x->path, y->path); /* a fixed order: the same first problem every time */
}

static int same_run_name(const rank_entry *x, const rank_entry *y)
{
    return x->key_length == y->key_length && strncmp(x->path, y->path, x->key_length) == 0;
}

/* Problems between two neighbours of one group (sorted by rank). */
static int pair_problem(const rank_entry *a, const rank_entry *b, char *message, size_t capacity)
{
    int world_differs = a->info->world_size != b->info->world_size, id_differs = strcmp(a->info->run_id, b->info->run_id) != 0;
    if (world_differs || id_differs) {
        char world[64] = "", id[600] = "";
        if (world_differs) snprintf(world, sizeof world, "world size %d vs %d", a->info->world_size, b->info->world_size);
        if (id_differs) snprintf(id, sizeof id, "%srun id '%s' vs '%s'", world_differs ? ", " : "", a->info->run_id, b->info->run_id);
        snprintf(message, capacity, "%s and %s are files of different runs (%s%s)", a->path, b->path, world, id);
        return 1;
    }
    if (a->info->rank == b->info->rank) {
        snprintf(message, capacity, "%s and %s are both rank %d of run '%.*s'", a->path, b->path, a->info->rank,
                 (int)a->key_length, a->path);
        return 1;
    }
    return 0;
}

/* The first rank of the group [first, end) that is neither given nor on disk. */
static int missing_rank_problem(const rank_entry *group, size_t size, char *message, size_t capacity)
{
    int world_size = group[0].info->world_size;
    if (group[0].named_rank < 0 || world_size <= 1) return 0;
    size_t next = 0;
    char *run = strndup(group[0].path, group[0].key_length);
    if (run == NULL) return 0;
    int found = 0;
    for (int r = 0; r < world_size && !found; r++) {
        while (next < size && group[next].info->rank < r) next++;
        if (next < size && group[next].info->rank == r) continue;
        char path[4096];
        if (gtap_capture_rank_path(run, r, path, sizeof path) < 0 || file_exists(path)) continue;
        snprintf(message, capacity, "run '%s' (world size %d, %zu of its files given): no file for rank %d (%s)", run,
                 world_size, size, r, path);
        found = 1;
    }
    free(run);
    return found;
}

/* Count the problems of the sorted entries; the first one into `message`. */
static int count_problems(const rank_entry *entries, size_t count, char *message, size_t capacity)
{
    int problems = 0;
    char text[8192];
    for (size_t begin = 0, end; begin < count; begin = end) {
        for (end = begin + 1; end < count && same_run_name(&entries[begin], &entries[end]); end++) continue;
        int group_problems = 0;
        for (size_t i = begin; i < end; i++) {
            const rank_entry *e = &entries[i];
            if (e->named_rank >= 0 && e->named_rank != e->info->rank) {
                snprintf(text, sizeof text, "%s is named rank %d but records rank %d of %d", e->path, e->named_rank,
                         e->info->rank, e->info->world_size);
                if (problems++ == 0) snprintf(message, capacity, "%s", text);
                group_problems++;
            }
            if (i + 1 < end && pair_problem(e, &entries[i + 1], text, sizeof text)) {
                if (problems++ == 0) snprintf(message, capacity, "%s", text);
                group_problems++;
            }
        }
        if (group_problems == 0 && missing_rank_problem(entries + begin, end - begin, text, sizeof text))
            if (problems++ == 0) snprintf(message, capacity, "%s", text);
    }
    return problems;
}

int gtap_inputs_check_ranks(char *const *paths, const gtap_file_info *infos, size_t count, int strict, int quiet)
{
    if (count == 0) return GTAP_EXIT_OK;
    rank_entry *entries = malloc(count * sizeof *entries);
    if (entries == NULL) return gtap_cli_error(GTAP_EXIT_INTERNAL, "out of memory");
    for (size_t i = 0; i < count; i++) {
        size_t stem;
        int rank;
        int named = parse_rank_name(paths[i], &stem, &rank);
        entries[i] = (rank_entry){paths[i], &infos[i], named ? stem : strlen(paths[i]), named ? rank : -1};
    }
    qsort(entries, count, sizeof *entries, compare_entries);
    char message[8192];
    int problems = count_problems(entries, count, message, sizeof message);
    free(entries);
    if (problems == 0) return GTAP_EXIT_OK;
    char more[64] = "";
    if (problems > 1) snprintf(more, sizeof more, " (and %d more problem%s)", problems - 1, problems > 2 ? "s" : "");
    if (strict) return quiet ? GTAP_EXIT_USAGE : gtap_cli_error(GTAP_EXIT_USAGE, "rank files do not form whole runs: %s%s (--strict)", message, more);
    if (!quiet) gtap_cli_warn("rank files do not form whole runs: %s%s", message, more);
    return GTAP_EXIT_OK;
}

int gtap_inputs_check_paths(char *const *paths, size_t count, int strict)
{
    gtap_file_info *infos = calloc(count ? count : 1, sizeof *infos);
    char **opened = calloc(count ? count : 1, sizeof *opened);
    if (infos == NULL || opened == NULL) {
        free(infos);
        free(opened);
        return gtap_cli_error(GTAP_EXIT_INTERNAL, "out of memory");
    }
    size_t n = 0;
    for (size_t i = 0; i < count; i++) {
        gtap_reader *reader = NULL;
        if (gtap_cli_reader_open(paths[i], &reader) == GTAP_OK && gtap_reader_file_info(reader, &infos[n]) == GTAP_OK)
            opened[n++] = paths[i];
        gtap_reader_close(reader);
    }
    int exit_code = gtap_inputs_check_ranks(opened, infos, n, strict, 0);
    free(infos);
    free(opened);
    return exit_code;
}
