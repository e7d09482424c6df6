/* monitor/png.c - PNG from stored deflate blocks (see png.h). */
#include "png.h"

#include <string.h>

#define STORED_MAX 65535u

uint32_t png_crc32(uint32_t crc, const uint8_t *p, size_t n)
{
	crc = ~crc;
	for (size_t i = 0; i < n; i++) {
		crc ^= p[i];
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320u & -(crc & 1));
	}
	return ~crc;
}

uint32_t png_adler32(uint32_t a, const uint8_t *p, size_t n)
{
	uint32_t s1 = a & 0xffff, s2 = a >> 16;

	for (size_t i = 0; i < n; i++) {
		s1 = (s1 + p[i]) % 65521;
		s2 = (s2 + s1) % 65521;
	}
	return s2 << 16 | s1;
}

static size_t raw_size(unsigned w, unsigned h)
{
	return ((size_t)w * 3 + 1) * h;
}

size_t png_size(unsigned w, unsigned h)
{
	size_t raw = raw_size(w, h);
	size_t blocks = raw / STORED_MAX + 1;

	if (!w || !h || w > 16384 || h > 16384)
		return 0;
	/* signature, IHDR, IDAT header+zlib(2+blocks*5+raw+4)+crc, IEND */
	return 8 + 25 + 12 + 2 + blocks * 5 + raw + 4 + 12;
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
	be32(p + 8 + len, png_crc32(0, p + 4, len + 4));
	return p + 12 + len;
}

/* The filtered rows (filter byte 0, then RGB) into stored blocks. */
static uint8_t *idat_data(const uint32_t *px, unsigned w, unsigned h,
			  unsigned stride, uint8_t *p)
{
	size_t left = raw_size(w, h), in_block = 0, col = 0, row = 0;
	uint32_t adler = 1;

	*p++ = 0x78; /* zlib: deflate, 32 KiB window */
	*p++ = 0x01; /* no preset dictionary, check bits */
	for (size_t i = 0; i < raw_size(w, h); i++) {
		if (in_block == 0) {
			size_t n = left < STORED_MAX ? left : STORED_MAX;
			*p++ = n == left; /* BFINAL, BTYPE 00 */
			*p++ = (uint8_t)n, *p++ = (uint8_t)(n >> 8);
			*p++ = (uint8_t)~n, *p++ = (uint8_t)(~n >> 8);
			in_block = n;
		}
		uint8_t b = 0;
		if (col > 0) {
			uint32_t v = px[row * stride + (col - 1) / 3];
			b = (uint8_t)(v >> (16 - 8 * ((col - 1) % 3)));
		}
		adler = png_adler32(adler, &b, 1);
		*p++ = b;
		in_block--, left--;
		if (++col == (size_t)w * 3 + 1)
			col = 0, row++;
	}
	return be32(p, adler);
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
	uint8_t *end = idat_data(px, w, h, stride, p + 8);
	p = chunk(p, "IDAT", (size_t)(end - (p + 8)));
	p = chunk(p, "IEND", 0);
	return (size_t)(p - out);
}
