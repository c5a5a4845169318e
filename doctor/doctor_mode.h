/* ih.mode=doctor: what the guest init (PID 1) runs instead of the decode service. */
#ifndef IH_DOCTOR_DOCTOR_MODE_H
#define IH_DOCTOR_DOCTOR_MODE_H

/*
 * Puts the guest in the state the decode service runs in (guest/init/sysctl.conf applied), then
 * runs /sbin/ih-doctor with its TAP going to the host over vsock (CID 2, IH_VSOCK_PORT).
 * Without a vsock connection the TAP goes to the console between IH-DOCTOR-BEGIN and
 * IH-DOCTOR-END. Returns 0 once the doctor has finished (whatever it found), or -errno
 * when it could not be run.
 */
int ih_doctor_mode(void);

#endif
