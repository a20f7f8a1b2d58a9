/* pa-journal-bench-launch REPORT_FD PROGRAM [ARG...]: runs PROGRAM with the
 * standard streams it was given, waits for it, and writes one line to
 * REPORT_FD: "START_NS END_NS MAX_RSS_KIB WAIT_STATUS" (CLOCK_MONOTONIC around
 * the spawn and the reaping, wait4's ru_maxrss, the wait status).
 *
 * Why a separate program: Linux counts the resident size of the process that
 * spawns a child into the child's ru_maxrss (the child starts on its parent's
 * memory until it execs). The bench holds hundreds of megabytes by the time
 * it runs the cli phase; this program, a few pages of C, is the parent
 * instead, so a child's figure is its own, or this program's resident size
 * (about 1 MB) if that is larger. Internal to the bench (tools/bench/child.cc). */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char** environ;

static long long now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s REPORT_FD PROGRAM [ARG...]\n", argv[0]);
    return 2;
  }
  int report = atoi(argv[1]);
  /* The child must not hold the report's pipe: the bench reads it to its end. */
  if (fcntl(report, F_SETFD, FD_CLOEXEC) != 0) return 2;
  pid_t pid = 0;
  long long start = now_ns();
  int rc = posix_spawn(&pid, argv[2], NULL, NULL, argv + 2, environ);
  if (rc != 0) {
    dprintf(report, "spawn-error %d\n", rc);
    return 1;
  }
  /* Only the child reads its input and writes its output: a child that exits
   * before reading all its input ends a feeding pipe (EPIPE) as if run
   * directly, and its output ends when it exits. */
  close(STDIN_FILENO);
  close(STDOUT_FILENO);
  int status = 0;
  struct rusage usage;
  while (wait4(pid, &status, 0, &usage) < 0) {
    if (errno != EINTR) return 1;
  }
  long long end = now_ns();
  dprintf(report, "%lld %lld %ld %d\n", start, end, usage.ru_maxrss, status);
  return 0;
}
