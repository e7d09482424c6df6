/*
 * tests/unit/test_log.c - monitor/core/log.c: every line is one "wisp: " line,
 * whatever the text it quotes holds (newlines, escapes, DEL), so user or
 * guest input can never split a line or forge one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/log.h"

/* wlog's output, read back from a temporary file put in stderr's place. */
static void capture(char *out, size_t len, const char *quoted)
{
	FILE *f = tmpfile();
	int saved = dup(STDERR_FILENO);

	assert_non_null(f);
	fflush(stderr);
	dup2(fileno(f), STDERR_FILENO);
	wlog(LOG_ERR, "unknown device '%s'", quoted);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	rewind(f);
	size_t n = fread(out, 1, len - 1, f);
	out[n] = '\0';
	fclose(f);
}

static void test_newline_cannot_split_a_line(void **state)
{
	char out[256];

	capture(out, sizeof(out), "uart\nwisp: forged line");
	assert_string_equal(out, "wisp: unknown device 'uart?wisp: forged line'\n");
}

static void test_control_characters_replaced(void **state)
{
	char out[256];

	capture(out, sizeof(out), "a\r\tb\x1b[2J\x7f");
	assert_string_equal(out, "wisp: unknown device 'a??b?[2J?'\n");
}

static void test_plain_text_unchanged(void **state)
{
	char s[] = "uart,port=0x2f8 \xc3\xa9";

	log_one_line(s);
	assert_string_equal(s, "uart,port=0x2f8 \xc3\xa9");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_newline_cannot_split_a_line),
		cmocka_unit_test(test_control_characters_replaced),
		cmocka_unit_test(test_plain_text_unchanged),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
