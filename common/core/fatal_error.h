// The one exception on the data path: the service cannot go on (its state store failed,
// or a stored value does not parse). The runtime stops without committing the batch in
// hand, so nothing is lost and nothing wrong is committed. Bad input is never this: it
// is a dead letter.
#pragma once

#include <stdexcept>

namespace voc {

class FatalError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace voc
