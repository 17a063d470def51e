/* consumer.c - an outside program using gradtap's public API: writes one
 * snapshot and reads it back. Exit 0 on success. */
#include <stdio.h>

#include <gradtap/format.h>

int main(int argc, char **argv)
{
    if (argc != 2) return 2;
    gtap_writer_options options;
    gtap_writer_options_init(&options);
    options.truncate = 1;
    gtap_writer *writer = NULL;
    const float values[3] = {1.0f, -2.0f, 0.5f};
    float back[3] = {0};
    gtap_reader *reader = NULL;
    if (gtap_writer_create(argv[1], &options, &writer) != GTAP_OK ||
        gtap_writer_add_tensor(writer, "w", 3, GTAP_FLOAT32) != GTAP_OK ||
        gtap_writer_write(writer, "w", GTAP_KIND_GRAD, 1, values) != GTAP_OK || gtap_writer_close(writer) != GTAP_OK ||
        gtap_reader_open(argv[1], &reader) != GTAP_OK || gtap_reader_read(reader, 0, GTAP_KIND_GRAD, 1, back) != GTAP_OK) {
        fprintf(stderr, "consumer: %s\n", gtap_last_error());
        return 1;
    }
    gtap_reader_close(reader);
    printf("consumer: gradtap %s read back %g %g %g\n", gtap_version(), back[0], back[1], back[2]);
    return back[1] == -2.0f ? 0 : 1;
}
