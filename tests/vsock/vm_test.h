/* What the vsock VM test and benchmark agree on, host side and guest side. */
#ifndef IH_TESTS_VSOCK_VM_TEST_H
#define IH_TESTS_VSOCK_VM_TEST_H

#define VSOCK_TEST_PORT 7001 /* host port the guest program connects to */
#define VSOCK_TEST_CONNS 4 /* connections at once */
#define VSOCK_TEST_BYTES (64u << 20) /* streamed each way, split over the connections */
#define VSOCK_BENCH_ROUNDS 9u /* rounds of the benchmark; its figures are their medians */
#define VSOCK_BENCH_BYTES (8u << 20) /* per direction and round in the benchmark */

/*
 * Echo test, per connection: the guest sends le64 length L, L bytes of its generator seeded
 * with the connection index, then the SHA-256 of those bytes. The host echoes the L bytes
 * as they come, then sends the SHA-256 of what it received. The guest checks both hashes.
 *
 * Benchmark (ih.vsocktest=bench), one connection: the guest sends 'B', then
 * VSOCK_BENCH_ROUNDS rounds of: VSOCK_BENCH_BYTES from the guest, one byte from the host once
 * all arrived, VSOCK_BENCH_BYTES from the host. Each round the guest also times memcpy and a
 * pipe between two of its processes over the same number of bytes, so every figure sees the
 * same machine load. The guest prints the medians on the console as
 * "IH-VSOCK-BENCH g2h=<MiB/s> h2g=<MiB/s> pipe=<MiB/s> memcpy=<MiB/s>".
 */

#endif
