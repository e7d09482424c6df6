/* monitor/display/png.c - PNG over zlib (see png.h). */
#include "display/png.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define PNG_MAX_SIDE 16384u

static size_t raw_size(unsigned w, unsigned h)
{
	return ((size_t)w * 3 + 1) * h;
}

size_t png_size(unsigned w, unsigned h)
{
	if (!w || !h || w > PNG_MAX_SIDE || h > PNG_MAX_SIDE)
		return 0;
	/* signature, IHDR chunk, IDAT chunk around the zlib stream, IEND */
	return 8 + 25 + 12 + compressBound((uLong)raw_size(w, h)) + 12;
}

static uint8_t *be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
	return p + 4;
}

/* A chunk whose data is already at p + 8: length, type, crc around it. */
static uint8_t *chunk(uint8_t *p, const char *type, size_t len)
{
	be32(p, (uint32_t)len);
	memcpy(p + 4, type, 4);
	be32(p + 8 + len, (uint32_t)crc32(0, p + 4, (uInt)(len + 4)));
	return p + 12 + len;
}

/* The rows as PNG wants them: filter byte 0, then R, G, B. */
static void raw_rows(const uint32_t *px, unsigned w, unsigned h,
		     unsigned stride, uint8_t *raw)
{
	for (unsigned y = 0; y < h; y++) {
		*raw++ = 0;
		for (unsigned x = 0; x < w; x++) {
			uint32_t v = px[(size_t)y * stride + x];
			*raw++ = (uint8_t)(v >> 16);
			*raw++ = (uint8_t)(v >> 8);
			*raw++ = (uint8_t)v;
		}
	}
}

/* The IDAT data at p: the deflated rows; returns its length, 0 on failure. */
static size_t idat(const uint32_t *px, unsigned w, unsigned h, unsigned stride,
		   uint8_t *p)
{
	size_t n = raw_size(w, h);
	uLongf out = compressBound((uLong)n);
	uint8_t *raw = malloc(n);
	int rc;

	if (!raw)
		return 0;
	raw_rows(px, w, h, stride, raw);
	rc = compress2(p, &out, raw, (uLong)n, Z_BEST_SPEED);
	free(raw);
	return rc == Z_OK ? (size_t)out : 0;
}

size_t png_encode(const uint32_t *px, unsigned w, unsigned h, unsigned stride,
		  uint8_t *out)
{
	static const uint8_t sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n',
					0x1a, '\n' };
	uint8_t *p = out + 8;

	memcpy(out, sig, 8);
	be32(be32(p + 8, w), h);
	memcpy(p + 16, (const uint8_t[]){ 8, 2, 0, 0, 0 }, 5); /* 8-bit RGB */
	p = chunk(p, "IHDR", 13);
	size_t n = idat(px, w, h, stride, p + 8);
	if (!n)
		return 0;
	p = chunk(p, "IDAT", n);
	p = chunk(p, "IEND", 0);
	return (size_t)(p - out);
}
