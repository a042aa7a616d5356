/*
 * Moving a network device between network namespaces over rtnetlink (linux.netDevices).
 *
 * A netlink socket acts in the network namespace it was created in, whatever namespace its
 * user is in later. So the shim opens one socket before it leaves the runtime's namespace and
 * one after it is in the container's, and moves a device from one to the other with a single
 * RTM_NEWLINK carrying IFLA_NET_NS_FD (and IFLA_IFNAME for the new name). Moving a device
 * flushes its addresses: the global ones are read first and added back on the other side, and
 * the device is set up there (runtime-spec 1.3: the runtime MUST set it up).
 *
 * Every function returns 0 or a negative errno; the caller words the error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netlink.h"

/* <linux/netlink.h>, <linux/rtnetlink.h>, <linux/if_link.h>, <linux/if_addr.h> (musl has none) */
struct nlmsghdr {
	uint32_t nlmsg_len;
	uint16_t nlmsg_type;
	uint16_t nlmsg_flags;
	uint32_t nlmsg_seq;
	uint32_t nlmsg_pid;
};
struct nlmsgerr {
	int error;
	struct nlmsghdr msg;
};
struct ifinfomsg {
	uint8_t ifi_family;
	uint8_t pad;
	uint16_t ifi_type;
	int32_t ifi_index;
	uint32_t ifi_flags;
	uint32_t ifi_change;
};
struct ifaddrmsg {
	uint8_t ifa_family;
	uint8_t ifa_prefixlen;
	uint8_t ifa_flags;
	uint8_t ifa_scope;
	uint32_t ifa_index;
};
struct rtattr {
	uint16_t rta_len;
	uint16_t rta_type;
};

enum {
	NETLINK_ROUTE = 0,
	NLMSG_ERROR = 2, NLMSG_DONE = 3,
	NLM_F_REQUEST = 0x1, NLM_F_ACK = 0x4,
	NLM_F_EXCL = 0x200, NLM_F_CREATE = 0x400, NLM_F_DUMP = 0x300,
	RTM_NEWLINK = 16, RTM_GETLINK = 18, RTM_NEWADDR = 20, RTM_GETADDR = 22,
	IFLA_IFNAME = 3, IFLA_NET_NS_FD = 28,
	IFA_LABEL = 3, IFA_CACHEINFO = 6,
	IFF_UP = 0x1,
	RT_SCOPE_UNIVERSE = 0,
};

#define ALIGN4(n) (((n) + 3u) & ~3u)
#define MSG_MAX 8192
#define ADDRS_MAX 64

struct msg {
	union {
		struct nlmsghdr h;
		unsigned char bytes[MSG_MAX];
	} u;
};

static uint32_t seq;

int nl_open(void)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	return fd < 0 ? -errno : fd;
}

static void msg_init(struct msg *m, uint16_t type, uint16_t flags, const void *body, size_t len)
{
	memset(&m->u.h, 0, sizeof m->u.h);
	m->u.h.nlmsg_len = (uint32_t)(ALIGN4(sizeof m->u.h) + len);
	m->u.h.nlmsg_type = type;
	m->u.h.nlmsg_flags = (uint16_t)(NLM_F_REQUEST | flags);
	m->u.h.nlmsg_seq = ++seq;
	memcpy(m->u.bytes + ALIGN4(sizeof m->u.h), body, len);
}

static int msg_attr(struct msg *m, uint16_t type, const void *data, size_t len)
{
	size_t off = ALIGN4(m->u.h.nlmsg_len);
	size_t alen = sizeof(struct rtattr) + len;
	if (off + ALIGN4(alen) > MSG_MAX)
		return -EMSGSIZE;
	struct rtattr a = { .rta_len = (uint16_t)alen, .rta_type = type };
	memset(m->u.bytes + off, 0, ALIGN4(alen));
	memcpy(m->u.bytes + off, &a, sizeof a);
	memcpy(m->u.bytes + off + sizeof a, data, len);
	m->u.h.nlmsg_len = (uint32_t)(off + ALIGN4(alen));
	return 0;
}

static int msg_send(int fd, const struct msg *m)
{
	ssize_t r;
	while ((r = send(fd, m->u.bytes, m->u.h.nlmsg_len, 0)) < 0 && errno == EINTR)
		;
	return r < 0 ? -errno : 0;
}

/*
 * Read replies to request `want` until its ACK/DONE. Each reply message of type `type` is
 * passed to `each` (may be NULL). Returns the kernel's error (negative errno) or 0.
 */
static int recv_replies(int fd, uint32_t want, uint16_t type,
			int (*each)(const struct nlmsghdr *, void *), void *arg)
{
	static unsigned char buf[32768];
	int result = 0;
	for (;;) {
		ssize_t n;
		while ((n = recv(fd, buf, sizeof buf, 0)) < 0 && errno == EINTR)
			;
		if (n < 0)
			return -errno;
		size_t off = 0;
		while (off + sizeof(struct nlmsghdr) <= (size_t)n) {
			struct nlmsghdr h;
			memcpy(&h, buf + off, sizeof h);
			if (h.nlmsg_len < sizeof h || off + h.nlmsg_len > (size_t)n)
				return -EBADMSG;
			const struct nlmsghdr *hp = (const struct nlmsghdr *)(void *)(buf + off);
			off += ALIGN4(h.nlmsg_len);
			if (h.nlmsg_seq != want)
				continue;                 /* a late answer to an earlier request */
			if (h.nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr e;
				memcpy(&e, (const unsigned char *)hp + ALIGN4(sizeof h), sizeof e.error);
				return e.error;           /* 0 = the ACK */
			}
			if (h.nlmsg_type == NLMSG_DONE)
				return result;
			if (h.nlmsg_type == type && each && result == 0)
				result = each(hp, arg);
		}
	}
}

static int talk(int fd, struct msg *m)
{
	m->u.h.nlmsg_flags |= NLM_F_ACK;
	int r = msg_send(fd, m);
	return r < 0 ? r : recv_replies(fd, m->u.h.nlmsg_seq, 0xffff, NULL, NULL);
}

static int take_index(const struct nlmsghdr *h, void *arg)
{
	struct ifinfomsg ifi;
	memcpy(&ifi, (const unsigned char *)h + ALIGN4(sizeof *h), sizeof ifi);
	*(int *)arg = ifi.ifi_index;
	return 0;
}

/* The index of the device called `name` in the socket's namespace (-ENODEV when none). */
static int link_index(int fd, const char *name)
{
	struct msg m;
	struct ifinfomsg ifi = { 0 };
	int index = 0, r;
	msg_init(&m, RTM_GETLINK, NLM_F_ACK, &ifi, sizeof ifi);
	if ((r = msg_attr(&m, IFLA_IFNAME, name, strlen(name) + 1)) < 0 || (r = msg_send(fd, &m)) < 0)
		return r;
	r = recv_replies(fd, m.u.h.nlmsg_seq, RTM_NEWLINK, take_index, &index);
	if (r < 0)
		return r;
	return index > 0 ? index : -ENODEV;
}

struct saved_addrs {
	int index;
	size_t n;
	struct msg *msgs;
};

/* Keep a copy of each global address of the device, as an RTM_NEWADDR request body. */
static int keep_addr(const struct nlmsghdr *h, void *arg)
{
	struct saved_addrs *s = arg;
	struct ifaddrmsg ifa;
	size_t head = ALIGN4(sizeof *h);
	if (h->nlmsg_len < head + sizeof ifa)
		return 0;
	memcpy(&ifa, (const unsigned char *)h + head, sizeof ifa);
	if ((int)ifa.ifa_index != s->index || ifa.ifa_scope != RT_SCOPE_UNIVERSE || s->n == ADDRS_MAX)
		return 0;
	struct msg *m = &s->msgs[s->n++];
	msg_init(m, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, &ifa, sizeof ifa);
	/* Every attribute but the label (it names the old device) and the cache info (ages). */
	size_t off = head + ALIGN4(sizeof ifa);
	while (off + sizeof(struct rtattr) <= h->nlmsg_len) {
		struct rtattr a;
		memcpy(&a, (const unsigned char *)h + off, sizeof a);
		if (a.rta_len < sizeof a || off + a.rta_len > h->nlmsg_len)
			break;
		if (a.rta_type != IFA_LABEL && a.rta_type != IFA_CACHEINFO &&
		    msg_attr(m, a.rta_type, (const unsigned char *)h + off + sizeof a, a.rta_len - sizeof a) < 0)
			return -EMSGSIZE;
		off += ALIGN4(a.rta_len);
	}
	return 0;
}

static int read_addrs(int fd, struct saved_addrs *s)
{
	struct msg m;
	struct ifaddrmsg ifa = { 0 };
	msg_init(&m, RTM_GETADDR, NLM_F_DUMP, &ifa, sizeof ifa);
	int r = msg_send(fd, &m);
	return r < 0 ? r : recv_replies(fd, m.u.h.nlmsg_seq, RTM_NEWADDR, keep_addr, s);
}

int nl_move_device(int from, int to, int target_ns, const char *name, const char *newname)
{
	struct saved_addrs saved = { 0 };
	int r, index;
	if ((index = link_index(from, name)) < 0)
		return index;
	saved.index = index;
	if (!(saved.msgs = calloc(ADDRS_MAX, sizeof *saved.msgs)))
		return -ENOMEM;
	if ((r = read_addrs(from, &saved)) < 0)
		goto out;

	struct msg m;
	struct ifinfomsg ifi = { .ifi_index = index };
	msg_init(&m, RTM_NEWLINK, 0, &ifi, sizeof ifi);
	uint32_t nsfd = (uint32_t)target_ns;
	if ((r = msg_attr(&m, IFLA_NET_NS_FD, &nsfd, sizeof nsfd)) < 0 ||
	    (r = msg_attr(&m, IFLA_IFNAME, newname, strlen(newname) + 1)) < 0 ||
	    (r = talk(from, &m)) < 0)
		goto out;

	if ((index = link_index(to, newname)) < 0) {
		r = index;
		goto out;
	}
	for (size_t i = 0; i < saved.n; i++) {
		struct ifaddrmsg ifa;
		unsigned char *body = saved.msgs[i].u.bytes + ALIGN4(sizeof(struct nlmsghdr));
		memcpy(&ifa, body, sizeof ifa);
		ifa.ifa_index = (uint32_t)index;
		memcpy(body, &ifa, sizeof ifa);
		if ((r = talk(to, &saved.msgs[i])) < 0 && r != -EEXIST)
			goto out;
	}
	struct ifinfomsg up = { .ifi_index = index, .ifi_flags = IFF_UP, .ifi_change = IFF_UP };
	msg_init(&m, RTM_NEWLINK, 0, &up, sizeof up);
	r = talk(to, &m);
out:
	free(saved.msgs);
	return r;
}
