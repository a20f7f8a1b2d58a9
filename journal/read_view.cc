#include "journal/read_view.h"

#include "journal/durable_end.h"
#include "journal/layout.h"

namespace pa_journal {

ReadView::ReadView(FileSystem& fs, std::string store_dir)
    : fs_(fs), dir_(std::move(store_dir)) {
  const std::string journal = journal_dir(dir_);
  std::string readers = readers_lock_file_name(journal);
  if (fs_.exists(readers)) readers_ = fs_.lock_shared(readers, /*exclusive=*/false);
  in_process_ = written_end_in_process(fs_, journal).has_value();
  writer_live_ = in_process_ || fs_.lock_held(lock_file_name(dir_));
}

std::optional<ScanLimit> ReadView::journal_limit() const {
  if (!writer_live_) return std::nullopt;
  const std::string journal = journal_dir(dir_);
  std::optional<DurableEnd> end =
      in_process_ ? written_end_in_process(fs_, journal) : read_durable_end(fs_, journal);
  if (!end) return std::nullopt;
  return ScanLimit{end->segment, end->end};
}

}  // namespace pa_journal
