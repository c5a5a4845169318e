/*
 * Writes the seed corpus of the vsock fuzz target into DIR: well-formed guest memory
 * images (rx buffers posted, tx packets queued: REQUEST, RW with payload split over two
 * descriptors, an indirect CREDIT_REQUEST, SHUTDOWN, RST) for the fuzzer to mutate.
 */
#include <endian.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "fuzz_vsock.h"
#include "host/vsock/vsock_proto.h"

static uint8_t img[1 + FZ_MEM_SIZE];
static uint8_t *const mem = img + 1;

static void desc(uint32_t table, uint16_t i, uint64_t addr, uint32_t len, uint16_t flags,
		 uint16_t next)
{
	uint8_t *d = mem + table + 16 * i;
	uint64_t a = htole64(addr);
	uint32_t l = htole32(len);
	uint16_t f = htole16(flags), n = htole16(next);

	memcpy(d, &a, 8);
	memcpy(d + 8, &l, 4);
	memcpy(d + 12, &f, 2);
	memcpy(d + 14, &n, 2);
}

static void avail(int q, uint16_t n)
{
	for (uint16_t i = 0; i < n; i++) {
		uint16_t v = htole16(i);

		memcpy(mem + FZ_AVAIL(q) + 4 + 2 * i, &v, 2);
	}
	n = htole16(n);
	memcpy(mem + FZ_AVAIL(q) + 2, &n, 2);
}

static void hdr(uint32_t at, uint16_t op, uint32_t len, uint32_t flags)
{
	struct vsock_hdr h = { htole64(FZ_CID), htole64(VSOCK_HOST_CID),
			       htole32(100),	htole32(FZ_LISTEN_PORT),
			       htole32(len),	htole16(VSOCK_TYPE_STREAM),
			       htole16(op),	htole32(flags),
			       htole32(65536),	0 };

	memcpy(mem + at, &h, sizeof(h));
}

static int save(const char *dir, const char *name)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(img, sizeof(img), 1, f) != 1)
		return 1;
	return fclose(f) != 0;
}

/* QEMU 7.2's start-up requests for a vsock device, without the fd-carrying ones. */
static int save_messages(const char *dir)
{
	static const uint32_t msgs[][5] = {
		{ 1, 1, 0 },	    { 15, 1, 0 },	{ 16, 1, 8, 1u << 9, 0 },
		{ 3, 1, 0 },	    { 2, 1, 8, 0, 1 },	{ 8, 1, 8, 0, 128 },
		{ 10, 1, 8, 0, 0 }, { 11, 1, 8, 1, 0 }, { 18, 1, 8, 0, 1 },
		{ 17, 1, 0 },
	};
	static const uint32_t config[] = { 24, 1, 20, 0, 8, 0, 0, 0 };
	char path[512];
	uint8_t mode = 0x80;
	FILE *f;
	int err = 0;

	snprintf(path, sizeof(path), "%s/vhost-user-start", dir);
	f = fopen(path, "wb");
	if (!f)
		return 1;
	err |= fwrite(&mode, 1, 1, f) != 1;
	for (size_t i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++)
		err |= fwrite(msgs[i], 4, 3 + msgs[i][2] / 4, f) != 3 + msgs[i][2] / 4;
	err |= fwrite(config, sizeof(config), 1, f) != 1;
	return (fclose(f) != 0) | err;
}

int main(int argc, char **argv)
{
	int err = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	img[0] = 3; /* EVENT_IDX and INDIRECT_DESC */
	for (uint16_t i = 0; i < 8; i++)
		desc(FZ_DESC(0), i, 0x1000 + 0x200 * i, 0x200, VIRTQ_DESC_F_WRITE, 0);
	avail(0, 8);
	hdr(0x2000, VSOCK_OP_REQUEST, 0, 0);
	desc(FZ_DESC(1), 0, 0x2000, VSOCK_HDR_LEN, 0, 0);
	hdr(0x2100, VSOCK_OP_RW, 100, 0);
	desc(FZ_DESC(1), 1, 0x2100, VSOCK_HDR_LEN, VIRTQ_DESC_F_NEXT, 2);
	desc(FZ_DESC(1), 2, 0x2200, 100, 0, 0);
	hdr(0x2400, VSOCK_OP_CREDIT_REQUEST, 0, 0);
	desc(FZ_DESC(1), 3, 0x2500, 16, VIRTQ_DESC_F_INDIRECT, 0);
	desc(0x2500, 0, 0x2400, VSOCK_HDR_LEN, 0, 0);
	hdr(0x2600, VSOCK_OP_SHUTDOWN, 0, 3);
	desc(FZ_DESC(1), 4, 0x2600, VSOCK_HDR_LEN, 0, 0);
	avail(1, 5);
	err |= save(argv[1], "connect-rw-credit-shutdown");
	hdr(0x2600, VSOCK_OP_RST, 0, 0);
	err |= save(argv[1], "connect-rw-credit-rst");
	img[0] = 0;
	err |= save(argv[1], "no-event-idx-no-indirect");
	err |= save_messages(argv[1]);
	return err;
}
