/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the libFuzzer harnesses of tests/fuzz share.  Each harness feeds
 * untrusted bytes to one reader the way pagestate would meet them: as a
 * file.  libtracecmd wants a path, so the bytes go to a memfd and the
 * reader opens /proc/self/fd/N.
 */
#ifndef PAGESTATE_FUZZ_H
#define PAGESTATE_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

/* A memfd holding data; *path names it.  -1 when memfd_create fails. */
static inline int fuzz_file(const uint8_t *data, size_t size, char *path,
			    size_t path_size)
{
	int fd = memfd_create("pagestate-fuzz", 0);
	size_t done = 0;

	if (fd < 0)
		return -1;
	while (done < size) {
		ssize_t n = write(fd, data + done, size - done);

		if (n <= 0) {
			close(fd);
			return -1;
		}
		done += n;
	}
	snprintf(path, path_size, "/proc/self/fd/%d", fd);
	return fd;
}

#endif /* PAGESTATE_FUZZ_H */
