/*
 * monitor/display/png.h - a PNG writer over zlib: 8-bit RGB, filter 0 on
 * every row, the image data deflated at zlib's fastest level (a
 * screenshot is written while the guest waits), CRCs by zlib's crc32.
 * Linked only into profiles with a display device (zlib built for musl
 * from Debian's source package, scripts/setup.sh zlib).
 */
#ifndef WISP_PNG_H
#define WISP_PNG_H

#include <stddef.h>
#include <stdint.h>

/* The most bytes png_encode writes for a w x h image: the PNG around
 * zlib's compressBound of the raw rows (0 if w or h is 0 or over 16384). */
size_t png_size(unsigned w, unsigned h);

/* Encode XRGB8888 pixels (stride in pixels) into out, which holds
 * png_size(w, h) bytes. Returns the bytes written, 0 when out of memory. */
size_t png_encode(const uint32_t *px, unsigned w, unsigned h, unsigned stride,
		  uint8_t *out);

#endif
