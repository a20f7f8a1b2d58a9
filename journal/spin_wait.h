// The one spin wait of the journal: yield the CPU while a condition holds, for
// a bounded time, and then let the caller block or give up.
//
// Why it yields rather than sleeps: a thread put to sleep on a futex or a
// condition variable takes tens of microseconds to run again on a virtual
// CPU, which is a large part of an fdatasync; a yielding thread sees the
// change at once and still gives the CPU to any thread that has work. Why
// bounded: a spin is worth its CPU only while the change is expected within a
// sync's time; past that, the caller sleeps (or stops waiting). Each use is
// kept only where `pa-journal bench` shows that it pays (docs/design.md,
// "Group commit": the threaded commit rate with and without it).
//
// Thread-safety: a plain function; keep_waiting is called on the calling
// thread only, and must read shared state through atomics.
#pragma once

#include <chrono>
#include <cstdint>
#include <thread>

namespace pa_journal {

// Yields while keep_waiting() returns true, for at most max_ns. Returns true
// once keep_waiting() has returned false (the awaited change came), false if
// max_ns ran out first (max_ns <= 0: checks once). Never sleeps.
template <typename Predicate>
bool spin_while(Predicate keep_waiting, int64_t max_ns) {
  if (!keep_waiting()) return true;
  if (max_ns <= 0) return false;
  auto until = std::chrono::steady_clock::now() + std::chrono::nanoseconds(max_ns);
  while (std::chrono::steady_clock::now() < until) {
    std::this_thread::yield();
    if (!keep_waiting()) return true;
  }
  return false;
}

}  // namespace pa_journal
