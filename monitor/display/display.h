/*
 * monitor/display/display.h - screenshots: what a display device reports
 * is checked (check.c, every profile) and written as PNG (render.c and
 * png.c over zlib, only in profiles with a display device: WISP_DISPLAY),
 * for wisp and for a sandboxed display device's process alike. Calls only
 * core/.
 */
#ifndef WISP_DISPLAY_H
#define WISP_DISPLAY_H

#include "dev.h"

#ifndef WISP_DISPLAY
#define WISP_DISPLAY 0
#endif

/* Run ins's display op into d and write d as PNG into fd, rewritten in
 * place: wisp, or a sandboxed display device's process on its own
 * FD_SCREENSHOT. 0 or -errno. */
int screenshot_render(struct dev_ins *ins, int fd, struct dev_display *d);
/* Whether a display device's report describes a screen wisp accepts
 * (DEV_DISPLAY_MAX_*, at most DEV_DISPLAY_RECTS rectangles inside it). */
bool screenshot_check(const struct dev_display *d);
/* d's rectangles as " WxH+X+Y"..., cut to fit size; returns the length. */
size_t screenshot_rects(const struct dev_display *d, char *buf, size_t size);
/* The size of the largest screenshot PNG (the file size bound of a
 * device process writing screenshots). */
uint64_t screenshot_max_size(void);

#endif
