/* staging.c - the bounded pool of staging buffers that snapshots wait in
 * between the training thread's copy and the writer thread's write.
 *
 * Every allocated byte, in use or cached for reuse, counts against the
 * budget. Tensors keep their size from step to step, so buffers are reused
 * by exact size; cached buffers of other sizes are freed when a new size
 * needs room. The caller (capture.c, writer_thread.c) holds the lock. */
#include <stdlib.h>

#include "capture_internal.h"

void staging_init(staging_pool *pool, uint64_t budget)
{
    pool->budget = budget;
    pool->allocated = 0;
    pool->in_use = 0;
    pool->peak_in_use = 0;
    pool->free_list = NULL;
}

static void free_buffer(staging_pool *pool, staging_buffer *buffer)
{
    pool->allocated -= buffer->bytes;
    device_host_free(buffer->data, buffer->pinned);
    free(buffer);
}

static staging_buffer *take_cached(staging_pool *pool, uint64_t bytes, int pinned)
{
    for (staging_buffer **link = &pool->free_list; *link != NULL; link = &(*link)->next) {
        staging_buffer *buffer = *link;
        if (buffer->bytes == bytes && buffer->pinned == pinned) {
            *link = buffer->next;
            buffer->next = NULL;
            return buffer;
        }
    }
    return NULL;
}

staging_buffer *staging_acquire(staging_pool *pool, uint64_t bytes, int pinned, int *alloc_failed)
{
    *alloc_failed = 0;
    staging_buffer *buffer = take_cached(pool, bytes, pinned);
    if (buffer == NULL) {
        /* make room by dropping cached buffers of other sizes */
        while (pool->allocated + bytes > pool->budget && pool->free_list != NULL) {
            staging_buffer *victim = pool->free_list;
            pool->free_list = victim->next;
            free_buffer(pool, victim);
        }
        if (pool->allocated + bytes > pool->budget) return NULL;
        buffer = calloc(1, sizeof *buffer);
        void *data = buffer ? device_host_alloc(bytes ? bytes : 1, pinned) : NULL;
        if (data == NULL) {
            free(buffer);
            *alloc_failed = 1;
            return NULL;
        }
        buffer->data = data;
        buffer->bytes = bytes;
        buffer->pinned = pinned;
        pool->allocated += bytes;
    }
    pool->in_use += bytes;
    if (pool->in_use > pool->peak_in_use) pool->peak_in_use = pool->in_use;
    return buffer;
}

void staging_release(staging_pool *pool, staging_buffer *buffer)
{
    if (buffer == NULL) return;
    pool->in_use -= buffer->bytes;
    buffer->next = pool->free_list;
    pool->free_list = buffer;
}

void staging_destroy(staging_pool *pool)
{
    while (pool->free_list != NULL) {
        staging_buffer *buffer = pool->free_list;
        pool->free_list = buffer->next;
        free_buffer(pool, buffer);
    }
}
