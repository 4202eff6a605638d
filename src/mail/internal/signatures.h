// Private to src/mail: the detached signatures of signed outgoing mail (S/MIME, OpenPGP), read by
// the outgoing check (outbound.cc). A signature is recognised by what it is, not by its part's
// name or type: only a detached signature — nothing signed inside it — is read, for the text it
// carries (certificate names, attributes, armour headers, notations); anything else in such a part
// cannot be checked.
#pragma once

#include <string>
#include <string_view>

namespace sanso::mail::internal {

struct SignatureText {
  bool readable = false;
  std::string text;  // every string it carries, one a line: read for numbers and marks
  std::string why;   // when not readable: "signature: …", for the unchecked list
};

// application/pkcs7-signature (and x-pkcs7-signature): DER (or BER) PKCS #7 signed-data with no
// encapsulated content, parsed by OpenSSL, and nothing after it.
SignatureText read_pkcs7_signature(std::string_view der);
// What an opaque PKCS #7 signed-data structure carries (application/pkcs7-mime with
// smime-type=signed-data, a .p7m file): the content signed inside it, and — as
// read_pkcs7_signature reads a detached one — the text of its certificates and signers, the
// content left out. Not readable: anything but signed-data (enveloped-data is encrypted), trailing
// bytes, what does not parse, more than kMostOpaqueBytes.
struct SignedContent {
  bool readable = false;
  std::string why;      // "signature: …" when not readable
  std::string text;     // the certificates' and signers' strings
  std::string content;  // the signed bytes ("" for a certs-only or detached structure)
};
SignedContent read_pkcs7_signed_data(std::string_view der);

// application/pgp-signature: one ASCII armour "PGP SIGNATURE" of signature packets (tag 2) only,
// white space around it.
SignatureText read_pgp_signature(std::string_view armoured);
// A PKCS #7 signature (DER) of `data` by a fresh self-signed P-256 certificate whose subject's
// common name is `subject`: detached, or with `data` inside (`detached` false). Empty when OpenSSL
// fails. Draws randomness (the key): never in a sandboxed child after its filter. `serial`: the
// certificate's serial number as the bytes of its INTEGER ("123456789018": a number spelled in the
// one field nothing but the signer fills); empty: 1.
std::string sign_pkcs7(std::string_view data, const std::string& subject, bool detached, std::string_view serial = "");
// OpenSSL's one-time set-up, before a sandboxed child's system-call filter: its library context
// and the decoders a certificate's key needs are loaded on first use, so a signature of its own
// (sign_pkcs7) is read once here.
void prepare_signature_reader();

}  // namespace sanso::mail::internal
