// Japanese identification numbers in outgoing text: 個人番号 (My Number, 12 digits) and 法人番号
// (corporate number, 13 digits), recognised only when the check digit is right, so that order
// numbers and phone numbers of the same length do not stop mail. Reports carry masked numbers
// only: the audit log must never become a store of 個人番号.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/identification_numbers.h"
#include "mail/vocabulary.h"

namespace sanso::mail {

using numbers::is_corporate_number;
using numbers::is_individual_number;

struct NumberMatch {
  NumberKind kind = NumberKind::kIndividual;
  std::string masked;  // "********9018": only the last four digits
  std::size_t offset = 0;  // byte offset in the text
  std::size_t length = 0;  // bytes the number takes there, its separators included
};

// Every valid number in UTF-8 text as numbers::find finds it (contiguous digits or groups split by
// one separator, "1234 5678 9018", "1234.5678.9018", full-width digits too), with its kind and
// masked form. Numbers may overlap ("2018.1234.5678.9018" holds two).
std::vector<NumberMatch> find_identification_numbers(std::string_view text);

// `text` with every number find_identification_numbers finds written as its `masked` form
// ("山田_123456789018.csv" → "山田_********9018.csv"). For what names a place or a file in a
// record, a reason or a notice: a file's name is the sender's text, and the numbers in it are as
// much 個人番号 as the ones in its body. Text a mail reader shows decoded — RFC 2047 encoded-words,
// "=?UTF-8?B?55Wq5Y+3IDEyMzQ1Njc4OTAxOA==?=" — is masked as it is shown: when its decoding holds a
// number, the decoded, masked text comes back in its place ("番号 ********9018").
std::string mask_identification_numbers(std::string_view text);

// `json` with every string in it (object keys too) masked as mask_identification_numbers masks
// text; its numbers and its shape stay as they are. For the reports kept beside an item (the CDR
// engine's findings name archive members, a mail plan names parts and files): a JSON number of 12
// digits is a size or a time the program wrote, a string is the sender's. Text that is not JSON
// is masked as text.
std::string mask_identification_numbers_in_json(std::string_view json);

}  // namespace sanso::mail
