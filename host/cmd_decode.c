/* Placeholder until the owner of `ih-vm decode` lands it; it fails loudly, never silently. */
#include <stdio.h>

#include "cmd.h"

int cmd_decode(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "ih-vm decode: not built yet\n");
	return IH_EXIT_SYSTEM;
}
