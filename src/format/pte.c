#include "format/pte.h"

#include <string.h>

petite_status pte_parse_header(const uint8_t *data, size_t size, pte_header *h, pt_err *e) {
    memset(h, 0, sizeof *h);
    if (size < 8)
        return pt_fail(e, PETITE_ERR_INVALID_PROGRAM,
                       "file of %zu bytes is too small to be a .pte program", size);
    if (memcmp(data + 4, "ET", 2) != 0)
        return pt_fail(e, PETITE_ERR_INVALID_PROGRAM,
                       "not an ExecuTorch program: file identifier is not \"ET12\"");
    if (memcmp(data + 4, "ET12", 4) != 0)
        return pt_fail(e, PETITE_ERR_NOT_SUPPORTED,
                       "program file identifier \"%.4s\" is an unsupported version (want \"ET12\")",
                       (const char *)data + 4);
    h->program_size = size;
    if (size >= 16 && memcmp(data + 8, PTE_EH_MAGIC, 4) == 0) {
        if (size < 32)
            return pt_fail(e, PETITE_ERR_INVALID_PROGRAM, "extended header: file truncated");
        h->present = true;
        h->length = fb_rd_u32(data + 12);
        if (h->length < PTE_EH_MIN_LENGTH)
            return pt_fail(e, PETITE_ERR_INVALID_PROGRAM,
                           "extended header: length %u is below the minimum %u", h->length,
                           PTE_EH_MIN_LENGTH);
        h->program_size = fb_rd_u64(data + 16);
        h->segment_base = fb_rd_u64(data + 24);
        if (h->length >= 32) {
            if (size < 40)
                return pt_fail(e, PETITE_ERR_INVALID_PROGRAM, "extended header: file truncated");
            h->segment_data_size = fb_rd_u64(data + 32);
        }
        if (h->program_size < 8 || h->program_size > size)
            return pt_fail(e, PETITE_ERR_INVALID_PROGRAM,
                           "extended header: program_size %llu does not fit the %zu-byte file",
                           (unsigned long long)h->program_size, size);
        if (h->segment_base != 0 && h->segment_base < h->program_size)
            return pt_fail(e, PETITE_ERR_INVALID_PROGRAM,
                           "extended header: segment_base_offset %llu lies inside the program data",
                           (unsigned long long)h->segment_base);
        if (h->segment_base > size || h->segment_data_size > size - h->segment_base)
            return pt_fail(e, PETITE_ERR_INVALID_PROGRAM,
                           "file truncated: segments need %llu bytes from offset %llu, file has %zu",
                           (unsigned long long)h->segment_data_size,
                           (unsigned long long)h->segment_base, size);
    }
    return PETITE_OK;
}
