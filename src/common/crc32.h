/*
 * crc32.h — CRC-32 (IEEE 802.3, reflected, as zlib's crc32()): the
 * checksum of the follower WAL's records (storage/fwal.c) and of the
 * leader's decision log (catalog/catalog_decision.c).
 */
#ifndef MUR_COMMON_CRC32_H
#define MUR_COMMON_CRC32_H

#include <stddef.h>
#include <stdint.h>

/* The running crc (start with 0) extended by p[0..n).  Thread-safe. */
uint32_t mur_crc32_update(uint32_t crc, const void *p, size_t n);

#endif
