// The strings a DER structure carries (a certificate, a PKCS #7 signature — S/MIME's, a font's
// DSIG table), as viewers show them: for content checks of what leaves the city.
#pragma once

#include <string>
#include <string_view>

namespace sanso::mime {

// Every string in DER `der` appended to `out`, one a line: the character strings of names and
// attributes, context-specific primitives (an e-mail address or URI of a certificate's names) and
// octet strings — an extension's value or an attribute is DER again, read as such when it parses,
// else its bytes read as text; integers, bit strings, object identifiers and anything else as their
// bytes (nothing verifies them), integers as viewers show them too (decimal, and hexadecimal when
// every hex digit is a decimal one). Not read: times in their own syntax (a UTCTime is 12 digits:
// 261206153031Z). False when `der` is not well-formed DER or nests deeper than 32 levels.
bool der_strings(std::string_view der, std::string& out);

}  // namespace sanso::mime
