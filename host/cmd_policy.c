/* Placeholder until the owner of `ih-vm policy` lands it; it fails loudly, never silently. */
#include <stdio.h>

#include "cmd.h"

int cmd_policy(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "ih-vm policy: not built yet\n");
	return IH_EXIT_SYSTEM;
}
