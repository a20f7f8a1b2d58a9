// A mutex, a scoped lock and a condition variable that clang's thread-safety
// analysis understands (journal/thread_annotations.h), as LevelDB's port::Mutex
// is: thin wrappers of std::mutex and std::condition_variable, with no cost
// beyond them.
//
// Thread-safety: Mutex and CondVar are for use from any number of threads; a
// MutexLock belongs to the thread that made it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "journal/thread_annotations.h"

namespace pa_journal {

class CAPABILITY("mutex") Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void lock() ACQUIRE() { mu_.lock(); }
  void unlock() RELEASE() { mu_.unlock(); }
  bool try_lock() TRY_ACQUIRE(true) { return mu_.try_lock(); }
  // For the analysis only: tells it the caller holds this mutex.
  void assert_held() const ASSERT_CAPABILITY(this) {}

  // The std::mutex inside, for a lock the analysis need not follow (a lock
  // handed to a caller that touches nothing this mutex guards).
  std::mutex& native() { return mu_; }

 private:
  friend class CondVar;
  std::mutex mu_;
};

// Holds mu from construction to destruction, except between an unlock() and
// the next lock().
class SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex* mu) ACQUIRE(mu) : mu_(mu) { mu_->lock(); }
  ~MutexLock() RELEASE() {
    if (held_) mu_->unlock();
  }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

  void unlock() RELEASE() {
    mu_->unlock();
    held_ = false;
  }
  void lock() ACQUIRE() {
    mu_->lock();
    held_ = true;
  }

 private:
  Mutex* const mu_;
  bool held_ = true;
};

// A condition variable over a Mutex. Each wait lets go of the mutex while
// blocked and holds it again when it returns; spurious wake-ups happen, so
// callers wait in a loop on their condition.
class CondVar {
 public:
  void wait(Mutex* mu) REQUIRES(mu) {
    std::unique_lock<std::mutex> lock(mu->mu_, std::adopt_lock);
    cv_.wait(lock);
    lock.release();
  }
  // Returns false once timeout has passed.
  template <typename Rep, typename Period>
  bool wait_for(Mutex* mu, std::chrono::duration<Rep, Period> timeout) REQUIRES(mu) {
    std::unique_lock<std::mutex> lock(mu->mu_, std::adopt_lock);
    bool woken = cv_.wait_for(lock, timeout) == std::cv_status::no_timeout;
    lock.release();
    return woken;
  }
  void notify_one() { cv_.notify_one(); }
  void notify_all() { cv_.notify_all(); }

 private:
  std::condition_variable cv_;
};

}  // namespace pa_journal
