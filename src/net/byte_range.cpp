#include "net/byte_range.hpp"

#include <algorithm>

#include "xchat/decimal.hpp"

namespace xchat::net {

RangeRequest parse_range(std::string_view header, std::int64_t size) {
  constexpr std::string_view kUnit = "bytes=";
  const RangeRequest whole;
  if (!header.starts_with(kUnit)) return whole;
  const std::string_view spec = header.substr(kUnit.size());
  if (spec.find(',') != std::string_view::npos) return whole;
  const auto dash = spec.find('-');
  if (dash == std::string_view::npos) return whole;
  const std::string_view first_text = spec.substr(0, dash);
  const std::string_view last_text = spec.substr(dash + 1);
  RangeRequest out;
  out.kind = RangeRequest::Kind::kPart;
  if (first_text.empty()) {  // "-N": the last N bytes
    const auto suffix = parse_decimal(last_text);
    if (!suffix) return whole;
    if (*suffix == 0 || size == 0) return {RangeRequest::Kind::kUnsatisfiable, {}};
    out.range = {size - std::min(*suffix, size), size - 1};
    return out;
  }
  const auto first = parse_decimal(first_text);
  if (!first) return whole;
  std::int64_t last = size - 1;
  if (!last_text.empty()) {
    const auto parsed = parse_decimal(last_text);
    if (!parsed || *parsed < *first) return whole;
    last = std::min(*parsed, size - 1);
  }
  if (*first >= size) return {RangeRequest::Kind::kUnsatisfiable, {}};
  out.range = {*first, last};
  return out;
}

}  // namespace xchat::net
