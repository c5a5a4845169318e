/* The vsock backend's only way to say something: one line at a time to the hook the
 * launcher installed with ih_vsock_set_log(). Nothing is ever printed by the library. */
#ifndef IH_HOST_VSOCK_LOG_H
#define IH_HOST_VSOCK_LOG_H

__attribute__((format(printf, 1, 2))) void vsock_log(const char *fmt, ...);

#endif
