#include "common/state/kv_store.h"

#include <cstdio>

namespace voc::state {
namespace {

// A key as a sentence can show it: printable ASCII as is, other bytes as \xNN, long keys cut.
std::string Printable(std::string_view key) {
  std::string out;
  for (unsigned char c : key.substr(0, 120)) {
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    }
  }
  if (key.size() > 120) out += "...";
  return out;
}

}  // namespace

void CachedStore::Unreadable(PartitionId partition, std::string_view key) const {
  throw FatalError("state store '" + spec_.name + "', partition " + std::to_string(partition.value) +
                   ": the stored value of key '" + Printable(key) +
                   "' does not parse. The state folder is damaged or was written by another release; stop the "
                   "service and delete the folder (state.dir) to rebuild its state from the input topics");
}

void CachedStore::Failed(const Status& status) const {
  throw FatalError("state store '" + spec_.name + "': " + status.ToString());
}

}  // namespace voc::state
