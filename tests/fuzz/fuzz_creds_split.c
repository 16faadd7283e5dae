/*
 * fuzz_creds_split.c - credential_process's word split (botocore's
 * shlex.split rules) on arbitrary bytes. Beyond "no crash", checks what
 * the spawn relies on: a NULL-terminated array of 1..MAX words, each
 * within the input's length.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aws/private/creds.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct si_err err;
	char **argv = NULL;
	size_t argc = 0;
	char *s = malloc(size + 1);

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (aws_creds_argv_split(s, &argv, &argc, &err) == 0) {
		if (argc == 0 || argc > AWS_CREDS_PROCESS_MAX_ARGS || argv[argc] != NULL)
			abort();
		for (size_t i = 0; i < argc; i++)
			if (argv[i] == NULL || strlen(argv[i]) > size)
				abort();
		free(argv);
	} else if (argv != NULL || err.msg[0] == '\0') {
		abort();
	}
	free(s);
	return 0;
}
