// A read-only open that leaves the state on disk (replay/lazy_state.h), and
// the full recovery it falls back to (docs/readers.md, "A lazy read-only
// open").
//
// Invariant: while lazy_live is true every read goes to the lazy state and
// the head is empty; load_in_full() runs recover() exactly once, fills the
// head and the published version, and only then clears lazy_live. A read
// that saw lazy_live true and then damage calls load_in_full() itself, so
// that no read ever answers from the empty head.
#include <mutex>

#include "store/store_impl.h"

namespace pa_journal {

bool Store::Impl::open_lazily(std::optional<Damage>* damaged) {
  lazy = LazyState::open(*fs, dir, recover_options, damaged);
  if (!lazy) return false;
  report = lazy->report();
  lazy_live = true;
  return true;
}

void Store::Impl::load_in_full(std::optional<Damage> damaged) {
  if (!lazy) return;
  std::call_once(full_load, [this, &damaged] {
    Recovered recovered = recover(*fs, dir, recover_options);
    if (damaged) {
      fallback_report = std::move(recovered.report);
      fallback_report.index_fallbacks.push_back(std::move(*damaged));
      fallback_reported.store(true, std::memory_order_release);
    }
    MutexLock head_lock(&head_mu);
    MutexLock lock(&published_mu);
    head = std::move(recovered.state);
    published = head.freeze();
    written_seq = head.last_seq();
    lazy_live = false;
  });
}

bool Store::Impl::lazy_read(const std::function<void(const LazyState&)>& read) {
  if (!lazy_live.load(std::memory_order_acquire)) return false;
  try {
    read(*lazy);
    return true;
  } catch (const CorruptedDataError& e) {
    load_in_full(block_damage(e));
    return false;
  }
}

}  // namespace pa_journal
