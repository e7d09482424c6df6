/*
 * monitor/monitor.h - the top floor: main.c's order of life, the main
 * thread's event loop (evloop.c) and screenshots on request (screenshot.c).
 * Everything below is in its room: cli/, kvm/, devhost/, display/, jail/,
 * core/, boot/ (each header says what the room owns and may call).
 */
#ifndef WISP_MONITOR_H
#define WISP_MONITOR_H

#include "core/vm.h"

/* evloop.c: create and register every fd the loop watches (before the
 * sandbox), then run the main thread's loop until stop; returns the code. */
void evloop_init(struct vm *vm);
int evloop_run(struct vm *vm);

/* screenshot.c: open --screenshot's file (exit 66 if it cannot be), and
 * write the display device's screen to it as PNG (main thread). */
void screenshot_open(struct vm *vm);
void screenshot_take(struct vm *vm, const char *why);

#endif
