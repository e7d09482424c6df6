/*
 * fuzz/replay.c - run a fuzz target without libFuzzer: feed it every file
 * in the directories (or the files) named on the command line, in name
 * order so a failure is reproducible. A broken invariant aborts; otherwise
 * prints "replayed N inputs" and exits 0.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* libFuzzer's own default -max_len is 4096; corpus files stay small. */
#define REPLAY_MAX (1u << 20)

static int replay_file(const char *path)
{
	static uint8_t buf[REPLAY_MAX];
	FILE *f = fopen(path, "rb");

	if (!f) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	size_t n = fread(buf, 1, sizeof(buf), f);
	int bad = ferror(f) || !feof(f);
	fclose(f);
	if (bad) {
		fprintf(stderr, "replay: %s: unreadable or over %u bytes\n", path,
			REPLAY_MAX);
		return -1;
	}
	LLVMFuzzerTestOneInput(buf, n);
	return 0;
}

static int not_hidden(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

static long replay_dir(const char *dir)
{
	struct dirent **ents;
	char path[4096];
	long done = 0;
	int n = scandir(dir, &ents, not_hidden, alphasort);

	if (n < 0) {
		fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, ents[i]->d_name);
		if (done >= 0 && replay_file(path) == 0)
			done++;
		else
			done = -1;
		free(ents[i]);
	}
	free(ents);
	return done;
}

int main(int argc, char **argv)
{
	long total = 0;
	struct stat st;

	if (argc < 2) {
		fprintf(stderr, "usage: %s DIR|FILE...\n", argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		long n = stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)
				 ? replay_dir(argv[i])
				 : (replay_file(argv[i]) == 0 ? 1 : -1);
		if (n < 0)
			return 1;
		total += n;
	}
	printf("replayed %ld inputs\n", total);
	return 0;
}
