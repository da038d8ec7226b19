/* main.c - entry point; the command table arrives with the commands. */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--version") == 0) {
		printf("azapply %s\n", AZAPPLY_VERSION);
		return 0;
	}
	fprintf(stderr, "usage: azapply <command> [<args>]\n");
	return 64;
}
