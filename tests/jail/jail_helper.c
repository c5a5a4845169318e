/*
 * What the jail tests run inside the jail: one action, the outcome as the exit status
 * (0 success, else the errno), so the test can tell a Landlock denial from a success.
 *   jail_helper sleep [FD]       wait until killed (the test reads /proc/<pid>/...); with FD,
 *                                first write one byte to it: "started, the loader is done"
 *   jail_helper read PATH        open PATH for reading
 *   jail_helper write PATH       open PATH for writing (creating it)
 *   jail_helper connect PORT     TCP connect to 127.0.0.1:PORT
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int try_open(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC, 0600);

	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

static int try_connect(const char *port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int r = 0;

	if (fd < 0)
		return errno;
	sin.sin_port = htons((unsigned short)strtoul(port, NULL, 10));
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
		r = errno;
	close(fd);
	return r;
}

int main(int argc, char **argv)
{
	if ((argc == 2 || argc == 3) && !strcmp(argv[1], "sleep")) {
		if (argc == 3 && write(atoi(argv[2]), "r", 1) != 1)
			return errno;
		for (;;)
			pause();
	}
	if (argc == 3 && !strcmp(argv[1], "read"))
		return try_open(argv[2], O_RDONLY);
	if (argc == 3 && !strcmp(argv[1], "write"))
		return try_open(argv[2], O_WRONLY | O_CREAT);
	if (argc == 3 && !strcmp(argv[1], "connect"))
		return try_connect(argv[2]);
	return 255;
}
