/*
 * fuzz_config.c - libFuzzer target for the ini half of common/config.c.
 *
 * The input becomes the content of a private memfd (mode 0600, so the
 * secret-file check passes and parsing goes on), loaded through its
 * /proc/self/fd path with a fixed environment that also defines an account,
 * so env/ini merging and duplicate detection are exercised. On success the
 * result is described and freed; the only requirement is: never crash, never
 * leak.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"

/* Past the module's own 1 MiB file cap there is nothing new to find. */
#define FUZZ_MAX_INPUT ((size_t)1100 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *const envp[] = {
		"SLACK_SIGNING_SECRET=8f742231b10e8888abcd99yyyzzz85a5",
		"AWS_ROLE_ENVACCT=arn:aws:iam::123456789012:role/SlashInfraInspection",
		"AWS_REGION_ENVACCT=eu-west-2,us-east-1",
		"AWS_ROLE_SESSION_NAME=fuzz",
		NULL
	};
	struct si_config cfg;
	struct si_err err;
	char path[64];
	size_t off = 0;
	int fd;

	if (size > FUZZ_MAX_INPUT)
		return 0;
	fd = memfd_create("fuzz_config", MFD_CLOEXEC);
	if (fd < 0 || fchmod(fd, 0600) != 0)
		abort();
	while (off < size) {
		ssize_t n = write(fd, data + off, size - off);

		if (n <= 0)
			abort();
		off += (size_t)n;
	}
	if (snprintf(path, sizeof(path), "/proc/self/fd/%d", fd) >= (int)sizeof(path))
		abort();
	if (si_config_load(&cfg, path, envp, &err) == 0) {
		char *text = NULL;
		size_t len = 0;
		FILE *out = open_memstream(&text, &len);

		if (out != NULL) {
			(void)si_config_describe(&cfg, out);
			fclose(out);
		}
		free(text);
		si_config_free(&cfg);
	}
	close(fd);
	return 0;
}
