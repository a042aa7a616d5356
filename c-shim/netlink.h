/* rtnetlink helpers for linux.netDevices (netlink.c). Functions return 0 or a negative errno. */
#ifndef OCI_TS_SHIM_NETLINK_H
#define OCI_TS_SHIM_NETLINK_H

/* A NETLINK_ROUTE socket bound to the caller's current network namespace. */
int nl_open(void);

/*
 * Move device `name` seen through socket `from` into the network namespace `target_ns` (an fd)
 * under `newname`; then, through socket `to` (opened in that namespace), add back its global
 * addresses and set it up.
 */
int nl_move_device(int from, int to, int target_ns, const char *name, const char *newname);

#endif
