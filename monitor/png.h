/*
 * monitor/png.h - a minimal PNG writer: 8-bit RGB, no filtering, the image
 * data in stored (uncompressed) deflate blocks. Valid PNG any decoder
 * reads; no compression library needed in a static binary.
 */
#ifndef WISP_PNG_H
#define WISP_PNG_H

#include <stddef.h>
#include <stdint.h>

/* Bytes png_encode writes for a w x h image (0 if it would overflow). */
size_t png_size(unsigned w, unsigned h);

/* Encode XRGB8888 pixels (stride in pixels) into out, which holds
 * png_size(w, h) bytes. Returns the bytes written. */
size_t png_encode(const uint32_t *px, unsigned w, unsigned h, unsigned stride,
		  uint8_t *out);

uint32_t png_crc32(uint32_t crc, const uint8_t *p, size_t n);
uint32_t png_adler32(uint32_t a, const uint8_t *p, size_t n);

#endif
