// Limits on ids that more than one stage relies on, in one place so that what voc-ingest
// accepts is exactly what the stages after it can store.
#pragma once

#include <cstddef>

namespace voc {

// voc-aggregate's account keys carry the customer id's length in two bytes, so a longer
// id could not be counted there; voc-ingest refuses it up front, with a reason.
inline constexpr size_t kMaxCustomerIdBytes = 0xffff;

}  // namespace voc
