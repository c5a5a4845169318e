/*
 * Guest memory layout shared by the vsock fuzz target and its seed generator. The input is
 * one flag byte (bit 0: EVENT_IDX, bit 1: INDIRECT_DESC) and then the guest memory image:
 * both rings and every buffer, exactly as a (hostile) driver would leave them. With bit 7
 * (FZ_MODE_MESSAGES) the rest is a vhost-user request stream instead.
 */
#ifndef IH_TESTS_FUZZ_VSOCK_H
#define IH_TESTS_FUZZ_VSOCK_H

#define FZ_MEM_SIZE 0x4000u
#define FZ_UVA 0x10000000u /* QEMU-virtual address of guest-physical 0 */
#define FZ_QNUM 16
#define FZ_DESC(q) ((q) ? 0x400u : 0x000u)
#define FZ_AVAIL(q) (FZ_DESC(q) + 0x100u)
#define FZ_USED(q) (FZ_DESC(q) + 0x200u)
#define FZ_CID 3
#define FZ_LISTEN_PORT 1234
#define FZ_MODE_MESSAGES 0x80 /* first byte: the rest is a vhost-user message stream */
#define FZ_MSG_MAX 16384 /* longer message streams are skipped (socket buffer) */

#endif
