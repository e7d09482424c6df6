/*
 * tests/hvt/hvt_echo.c - host side of the hvt net echo test and benchmark
 * (build/host/hvt-echo). Starts wisp running tests/hvt/net.c on a tap,
 * sends ROUNDS frames of EtherType 0x88b5 one at a time on the interface
 * and waits for each to come back with the MACs swapped.
 *   hvt-echo [-f] [-n ROUNDS] IFACE WISP ARGS...
 * -f opens the tap itself (/dev/net/tun, IFF_TAP|IFF_NO_PI) and passes it
 * as an inherited fd: the word "@FD" in ARGS becomes "@<fd>", as an
 * orchestrator would do. Prints "echo: N rounds, X us/round, wisp exit S"
 * (the time excludes the first round, which waits for the boot); exit 0
 * when every frame came back and wisp exited 0.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <net/ethernet.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ETYPE 0x88b5
static const uint8_t guest_mac[6] = { 2, 0, 0, 0, 0, 1 };
static const uint8_t host_mac[6] = { 2, 0, 0, 0, 0, 2 };

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int tap_open(const char *name)
{
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI };
	int fd = open("/dev/net/tun", O_RDWR);

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (fd < 0 || ioctl(fd, TUNSETIFF, &ifr) < 0) {
		perror("hvt-echo: tap");
		exit(2);
	}
	return fd;
}

static int raw_open(const char *name)
{
	int s = socket(AF_PACKET, SOCK_RAW, htons(ETYPE));
	struct sockaddr_ll a = { .sll_family = AF_PACKET,
				 .sll_protocol = htons(ETYPE) };
	struct ifreq ifr = { 0 };

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (s >= 0 && ioctl(s, SIOCGIFINDEX, &ifr) == 0)
		a.sll_ifindex = ifr.ifr_ifindex;
	if (s < 0 || !a.sll_ifindex ||
	    bind(s, (struct sockaddr *)&a, sizeof(a)) < 0) {
		perror("hvt-echo: packet socket");
		exit(2);
	}
	return s;
}

/* Send round seq until its echo arrives or the deadline passes. */
static int round_trip(int s, uint32_t seq, uint64_t deadline)
{
	uint8_t f[60] = { 0 }, r[2048];

	memcpy(f, guest_mac, 6);
	memcpy(f + 6, host_mac, 6);
	f[12] = ETYPE >> 8;
	f[13] = ETYPE & 0xff;
	memcpy(f + 14, &seq, 4);
	while (now_ns() < deadline) {
		if (send(s, f, sizeof(f), 0) < 0 && errno != ENETDOWN &&
		    errno != ENOBUFS && errno != EIO)
			return -1;
		struct pollfd p = { .fd = s, .events = POLLIN };
		while (poll(&p, 1, 200) > 0) {
			ssize_t n = recv(s, r, sizeof(r), 0);
			if (n >= 18 && !memcmp(r, host_mac, 6) &&
			    !memcmp(r + 6, guest_mac, 6) && !memcmp(r + 14, &seq, 4))
				return 0;
		}
	}
	return -1;
}

static pid_t start_wisp(char **argv, int tapfd)
{
	static char fdword[16];

	snprintf(fdword, sizeof(fdword), "@%d", tapfd);
	for (char **a = argv; *a; a++) {
		char *at = strstr(*a, "@FD");
		if (at && tapfd >= 0) {
			static char buf[16][128];
			static int nb;
			snprintf(buf[nb], sizeof(buf[nb]), "%.*s%s", (int)(at - *a),
				 *a, fdword);
			*a = buf[nb++ % 16];
		}
	}
	pid_t pid = fork();
	if (pid == 0) {
		execv(argv[0], argv);
		_exit(127);
	}
	return pid;
}

int main(int argc, char **argv)
{
	int opt, tapfd = -1, rounds = 10, status;
	bool byfd = false;

	while ((opt = getopt(argc, argv, "+fn:")) != -1) {
		if (opt == 'f')
			byfd = true;
		else if (opt == 'n')
			rounds = atoi(optarg);
		else
			return 2;
	}
	if (argc - optind < 2 || rounds < 2)
		return 2;
	const char *iface = argv[optind];
	if (byfd)
		tapfd = tap_open(iface);
	int s = raw_open(iface);
	pid_t pid = start_wisp(argv + optind + 1, tapfd);
	if (tapfd >= 0)
		close(tapfd);
	int ok = round_trip(s, 0, now_ns() + 20000000000ull) == 0;
	uint64_t t0 = now_ns();
	for (int i = 1; ok && i < rounds; i++)
		ok = round_trip(s, (uint32_t)i, now_ns() + 5000000000ull) == 0;
	uint64_t dt = now_ns() - t0;
	if (!ok)
		kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	printf("echo: %d rounds%s, %.2f us/round, wisp exit %d\n", rounds,
	       ok ? "" : " FAILED", (double)dt / 1000.0 / (rounds - 1), code);
	return ok && code == 0 ? 0 : 1;
}
