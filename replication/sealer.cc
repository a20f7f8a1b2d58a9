#include "replication/sealer.h"

namespace pa_journal::replication {
namespace {

// Names the layout, so that associated data of a later layout never equals
// this one's.
constexpr std::string_view kAdPrefix{"pa-journal/1\0", 13};

}  // namespace

std::string associated_data(std::string_view store_id, SealedKind kind, uint64_t number,
                            std::string_view snapshot_id) {
  std::string ad(kAdPrefix);
  ad.append(store_id);
  ad.push_back(static_cast<char>(kind));
  for (int i = 0; i < 8; ++i) ad.push_back(static_cast<char>((number >> (8 * i)) & 0xff));
  ad.append(snapshot_id);
  return ad;
}

}  // namespace pa_journal::replication
