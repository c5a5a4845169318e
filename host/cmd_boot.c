/* Placeholder until the owner of `ih-vm boot` lands it; it fails loudly, never silently. */
#include <stdio.h>

#include "cmd.h"

int cmd_boot(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "ih-vm boot: not built yet\n");
	return IH_EXIT_SYSTEM;
}
