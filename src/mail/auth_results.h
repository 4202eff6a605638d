// Authentication-Results header fields (RFC 8601) read per method, and the question the PPAP link
// asks of them: did the city's own verifier (OpenDMARC, OpenDKIM, an SPF checker — never Sanso,
// which checks nothing) pass this sender? The header is hostile text: comments (nested) are
// dropped, quoted strings honoured, and anything that does not parse makes the whole field count
// for nothing rather than for whatever a substring match would find in it.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"

namespace sanso::mail {

// One `ptype.property=pvalue` of a result ("header.from=example.co.jp"): type and name in lower
// case, the value as written (quotes removed).
struct AuthProperty {
  std::string type;
  std::string name;
  std::string value;
};

// One resinfo: "dmarc=pass header.from=example.co.jp". Method and result in lower case.
struct AuthMethodResult {
  std::string method;
  std::string method_version;  // "dkim/2": "2"; usually empty
  std::string result;
  std::string reason;          // reason="…", if any
  std::vector<AuthProperty> properties;
  // The values of every property `type.name` (a result may name one more than once).
  std::vector<std::string> values_of(std::string_view type, std::string_view name) const;
};

struct AuthenticationResults {
  std::string authserv_id;  // lower case
  std::string version;      // "1" or empty
  std::vector<AuthMethodResult> results;  // empty for "none"
};

// Parses the value of one Authentication-Results field (after "Authentication-Results:"; folded
// lines allowed). Errors (`mail.auth-results`) name what is wrong and where; a field longer than
// 64 KiB, with a control character, an unterminated comment or quoted string, or a resinfo that
// is not `method=result [reason=…] [ptype.property=value …]` is refused whole.
Result<AuthenticationResults> parse_authentication_results(std::string_view value);

// The header fields of a message as the milter saw them, unfolded, in order: (name, value).
// Only the header (up to the first empty line); at most `max_fields`.
std::vector<std::pair<std::string, std::string>> header_fields_of(std::string_view raw, std::size_t max_fields = 1000);

// What the configured verifier said of this message, read only from the Authentication-Results
// fields the receiving MTA added (see the .cc for which those are).
struct VerifiedSender {
  bool dmarc_pass = false;  // dmarc=pass, header.from equal to the From domain
  bool spf_pass = false;    // spf=pass, smtp.mailfrom equal to the envelope sender or its domain
  // The verifier failed the message: fail, softfail or permerror of dkim, spf or dmarc in its own
  // fields (whatever the domains). False when its fields cannot be trusted at all, as above.
  bool failed = false;
  std::string why;          // why not, for the log: "no result of the verifier …"
};

// `verifier_id`: the authserv-id of the MTA's verifier ([mail] verifier_authserv_id); empty →
// nothing is trusted. `from_address`: the one From address; `envelope_sender`: MAIL FROM.
VerifiedSender verified_sender(std::string_view raw, std::string_view verifier_id, std::string_view from_address, std::string_view envelope_sender);

}  // namespace sanso::mail
