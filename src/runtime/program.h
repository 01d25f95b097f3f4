/* program.h — an opened, verified `.pte` program: header, segments, constants, named data. */
#ifndef PETITE_RUNTIME_PROGRAM_H
#define PETITE_RUNTIME_PROGRAM_H

#include <stdatomic.h>

#include "core/cache.h"
#include "core/os.h"
#include "format/pte.h"
#include "petite/petite.h"

typedef struct pt_ptd pt_ptd; /* an attached .ptd file (format/ptd.h) */
typedef struct pt_cache_entry pt_cache_entry;

struct petite_program {
    const uint8_t *data; /* the whole file */
    size_t size;
    void *map;           /* mmap'd region, or NULL */
    size_t map_size;
    void *owned;         /* heap copy, or NULL */

    pte_header hdr;
    fb_buf fb;           /* the flatbuffer part: [0, program_size) */
    fb_table root;
    uint32_t version;
    fb_vec plans;          /* [ExecutionPlan] */
    fb_vec constant_buffer;/* [Buffer] (legacy inline constants) */
    fb_vec delegate_data;  /* [BackendDelegateInlineData] */
    fb_vec segments;       /* [DataSegment] */
    fb_vec mutable_segs;   /* [SubsegmentOffsets] */
    fb_vec named_data;     /* [NamedData] */
    fb_vec const_offsets;  /* constant_segment.offsets */
    uint32_t const_segment;/* constant_segment.segment_index */

    uint32_t nplans;
    const char **plan_names; /* NUL-terminated, in the flatbuffer */

    pt_ptd **ptd;          /* attached external data files */
    size_t nptd;

    /* derived constants (packed weights) shared by every method instance and thread */
    pt_const_cache cache;
    pt_cache_entry *cache_entries;
    uint64_t *released;    /* per page of the mapping, 4 words: its 16-byte granules handed back */
    pt_mutex cache_lock;
    int cache_lock_ok;

    pt_err err;                 /* the last failure of a call that changes the program (attach) */
    atomic_int methods_loaded;  /* a method was loaded: attaching data files is closed */
};

/* A segment's bytes (index into Program.segments), bounds-checked. */
petite_status pt_program_segment(const petite_program *p, uint64_t index, const uint8_t **ptr,
                                 uint64_t *size, pt_err *e);
/* Constant tensor `idx` (data_buffer_idx) of at least `nbytes` bytes. */
petite_status pt_program_constant(const petite_program *p, uint32_t idx, uint64_t nbytes,
                                  const uint8_t **ptr, pt_err *e);
/* Initial state of a mutable tensor: mutable_data_segments[table].offsets[idx]. */
petite_status pt_program_mutable(const petite_program *p, uint64_t table, uint32_t idx,
                                 uint64_t nbytes, const uint8_t **ptr, pt_err *e);
/* Named data by key: the program's own named_data, then attached .ptd files.
 * NOT_FOUND if no entry has that key. */
petite_status pt_program_named(const petite_program *p, const char *key, size_t keylen,
                               const uint8_t **ptr, uint64_t *size, pt_err *e);
/* A delegate's processed blob (DataLocation + index). */
petite_status pt_program_delegate_blob(const petite_program *p, uint8_t location, uint32_t index,
                                       const uint8_t **ptr, uint64_t *size, pt_err *e);
/* Plan i's table. */
/* After a method load: give every resident page of the file mapping back to the OS. What the load
 * read (the program, the delegate graphs, weights it packed) is not read again; what a run reads in
 * place (a portable program's constants) faults back in from the file (a read-only mapping: nothing
 * is lost). The XNNPACK delegate reads nothing of the file after its init. No-op for buffers. */
void pt_program_drop_pages(petite_program *p);
petite_status pt_program_plan(const petite_program *p, uint32_t i, fb_table *t, pt_err *e);
/* Index of the plan called `name`, or -1. */
int64_t pt_program_find_plan(const petite_program *p, const char *name);

#endif
