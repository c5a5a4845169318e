/*
 * The vm backend (host/backend.h). Placeholder until the VM decode path lands: open()
 * fails with -ENOSYS, which `ih-vm decode` reports as "not built yet".
 */
#include <errno.h>

#include "backend.h"

static int vm_open(const struct ih_backend_opts *opts, struct ih_backend **ret)
{
	(void)opts;
	(void)ret;
	return -ENOSYS;
}

static int vm_decode(struct ih_backend *b, const struct ih_limits *lim, uint32_t flags,
		     const uint8_t *input, size_t input_len, struct ih_decoded *ret)
{
	(void)b;
	(void)lim;
	(void)flags;
	(void)input;
	(void)input_len;
	(void)ret;
	return -ENOSYS;
}

static void vm_close(struct ih_backend *b)
{
	(void)b;
}

const struct ih_backend_ops ih_backend_vm_ops = {
	.name = "vm",
	.open = vm_open,
	.decode = vm_decode,
	.close = vm_close,
};
