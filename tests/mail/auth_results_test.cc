// Authentication-Results read per RFC 8601 method, and which of them vouch for a PPAP sender: only
// the MTA's verifier's, only at the top of the header, only a result that names the sender.
#include "mail/auth_results.h"

#include <gtest/gtest.h>

namespace sanso::mail {
namespace {

constexpr const char* kVerifier = "verify.city.minamata.lg.jp";
constexpr const char* kFrom = "vendor@example.co.jp";

// A message as the milter sees it: Postfix's Received: first, then `fields`, then the sender's own.
std::string message(const std::string& fields, const std::string& below = "") {
  return "Received: from mail.example.co.jp (mail.example.co.jp [203.0.113.7]) by mx.city.minamata.lg.jp\r\n" + fields +
         "From: =?UTF-8?B?5qWt6ICF?= <vendor@example.co.jp>\r\nTo: kato@city.minamata.lg.jp\r\n" + below + "Subject: s\r\n\r\nbody\r\n";
}

std::string ar(const std::string& value) { return "Authentication-Results: " + value + "\r\n"; }

VerifiedSender check(const std::string& raw, const std::string& envelope = kFrom) { return verified_sender(raw, kVerifier, kFrom, envelope); }

TEST(AuthResults, ParsesMethodsResultsAndPropertiesDroppingCommentsAndHonouringQuotes) {
  auto r = parse_authentication_results(
      " Verify.City.example 1 (a (nested) comment; dmarc=pass);\r\n\tspf=pass (sender \"ok\") smtp.mailfrom=vendor@example.co.jp;\r\n"
      "\tdkim/1 = pass reason=\"signature ; ok\" header.d=example.co.jp header.s=\"s;1\" (x);dmarc=fail (p=reject) header.from=example.co.jp");
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->authserv_id, "verify.city.example");
  EXPECT_EQ(r->version, "1");
  ASSERT_EQ(r->results.size(), 3u);
  EXPECT_EQ(r->results[0].method, "spf");
  EXPECT_EQ(r->results[0].result, "pass");
  EXPECT_EQ(r->results[0].values_of("smtp", "mailfrom"), std::vector<std::string>{"vendor@example.co.jp"});
  EXPECT_EQ(r->results[1].method, "dkim");
  EXPECT_EQ(r->results[1].method_version, "1");
  EXPECT_EQ(r->results[1].reason, "signature ; ok") << "a ';' inside quotes splits nothing";
  EXPECT_EQ(r->results[1].values_of("header", "s"), std::vector<std::string>{"s;1"});
  EXPECT_EQ(r->results[2].result, "fail");
  auto none = parse_authentication_results("mx.example; none");
  ASSERT_TRUE(none) << none.error().to_string();
  EXPECT_TRUE(none->results.empty());
}

TEST(AuthResults, RefusesMalformedFieldsWhole) {
  for (const std::string bad :
       {"", "   ", "(only a comment)", "mx.example", "mx.example dmarc=pass", "mx.example; dmarc", "mx.example; dmarc=",
        "mx.example; =pass", "mx.example; dmarc=pass header.from", "mx.example; dmarc=pass header.from=", "mx.example; dmarc=pass from=x",
        "mx.example; dmarc=pass (never closed", "mx.example; dmarc=pass header.from=\"never closed", "mx.example; dmarc=pass)",
        "mx.example; ; dmarc=pass", "mx.example; dmarc=pass;", "mx.example; dmarc=pass\x01 header.from=x", "mx.example; dkim/x=pass",
        "mx.example; dm.arc=pass", "mx.example; dmarc=pass reason=a reason=b"}) {
    EXPECT_FALSE(parse_authentication_results(bad)) << bad;
  }
  EXPECT_FALSE(parse_authentication_results("mx.example; dmarc=pass header.from=" + std::string(70000, 'a'))) << "over 64 KiB";
  // Deeply nested comments are counted, not recursed into.
  EXPECT_TRUE(parse_authentication_results("mx.example; dmarc=pass " + std::string(20000, '(') + std::string(20000, ')') +
                                           " header.from=example.co.jp"));
}

TEST(AuthResults, OnlyTheVerifiersTopmostPassForTheSenderVouches) {
  EXPECT_TRUE(check(message(ar(std::string(kVerifier) + "; dmarc=pass header.from=example.co.jp"))).dmarc_pass);
  EXPECT_TRUE(check(message(ar(std::string(kVerifier) + "; dmarc=pass header.from=EXAMPLE.co.jp"))).dmarc_pass) << "domains by case-insensitive equality";
  EXPECT_TRUE(check(message(ar(std::string(kVerifier) + "; spf=pass smtp.mailfrom=vendor@example.co.jp"))).spf_pass);
  EXPECT_TRUE(check(message(ar(std::string(kVerifier) + "; spf=pass smtp.mailfrom=example.co.jp"))).spf_pass) << "the domain alone (RFC 8601)";
  // Two fields of the verifier (OpenDKIM's and OpenDMARC's), both at the top: read together.
  EXPECT_TRUE(check(message(ar(std::string(kVerifier) + "; dkim=pass header.d=example.co.jp") +
                            ar(std::string(kVerifier) + "; dmarc=pass header.from=example.co.jp")))
                  .dmarc_pass);
  // No Received: at all (a message submitted on the host): the top is the first field.
  EXPECT_TRUE(verified_sender(ar(std::string(kVerifier) + "; dmarc=pass header.from=example.co.jp") + "From: <vendor@example.co.jp>\r\n\r\n",
                              kVerifier, kFrom, kFrom)
                  .dmarc_pass);
}

TEST(AuthResults, HostileFieldsVouchForNothing) {
  const std::string v = kVerifier;
  struct Case {
    std::string why, raw;
  };
  const std::vector<Case> cases = {
      {"the property only in a comment", message(ar(v + "; dmarc=pass (header.from=example.co.jp)"))},
      {"a longer domain that starts with the From domain", message(ar(v + "; dmarc=pass header.from=example.co.jp.evil"))},
      {"a domain that ends with it", message(ar(v + "; dmarc=pass header.from=evil-example.co.jp"))},
      {"the pass only in a comment", message(ar(v + "; dmarc=fail (dmarc=pass) header.from=example.co.jp"))},
      {"the pass in a quoted reason", message(ar(v + "; dmarc=none reason=\"dmarc=pass header.from=example.co.jp\" header.from=example.co.jp"))},
      {"a duplicate method that fails", message(ar(v + "; dmarc=pass header.from=example.co.jp; dmarc=fail header.from=example.co.jp"))},
      {"a duplicate in a second field", message(ar(v + "; dmarc=pass header.from=example.co.jp") + ar(v + "; dmarc=fail header.from=example.co.jp"))},
      {"two header.from in one result", message(ar(v + "; dmarc=pass header.from=evil.example header.from=example.co.jp"))},
      {"spf for another envelope", message(ar(v + "; spf=pass smtp.mailfrom=other@example.co.jp"))},
      {"spf with no smtp.mailfrom", message(ar(v + "; spf=pass smtp.helo=example.co.jp"))},
      {"spf for the evil suffix", message(ar(v + "; spf=pass smtp.mailfrom=example.co.jp.evil"))},
      {"a verifier id that only begins alike", message(ar(v + ".evil; dmarc=pass header.from=example.co.jp"))},
      {"another server's field", message(ar("mx.example.co.jp; dmarc=pass header.from=example.co.jp"))},
      {"the verifier's field below the sender's From", message("", ar(v + "; dmarc=pass header.from=example.co.jp"))},
      {"a forged one below a real one (the MTA strips nothing)",
       message(ar(v + "; dmarc=pass header.from=example.co.jp"), ar(v + "; dmarc=pass header.from=example.co.jp"))},
      {"a field of the verifier that does not parse", message(ar(v + "; dmarc=pass header.from=example.co.jp (open"))},
      {"invalid UTF-8 in the domain", message(ar(v + "; dmarc=pass header.from=example.co.jp\xC3\x28"))},
      {"a 10k-character field", message(ar(v + "; dmarc=pass header.from=" + std::string(10000, 'e') + ".co.jp"))},
      {"a 10k-character comment hiding the result", message(ar(v + "; dmarc=fail (" + std::string(10000, 'x') + " dmarc=pass header.from=example.co.jp)"))},
      // Forms a header_checks rule written for the plain id would let through (review, session 16).
      {"the id behind a comment", message(ar("(x) " + v + "; spf=pass smtp.mailfrom=vendor@example.co.jp"))},
      {"the id in quotes", message(ar("\"" + v + "\"; spf=pass smtp.mailfrom=vendor@example.co.jp"))},
      {"a forged field with the id behind a comment beside the verifier's real one",
       message(ar(v + "; dkim=pass header.d=example.co.jp") + ar("(x) " + v + "; spf=pass smtp.mailfrom=vendor@example.co.jp"))},
      {"a real dmarc=fail beside a forged spf=pass", message(ar(v + "; dmarc=fail header.from=example.co.jp") + ar(v + "; spf=pass smtp.mailfrom=vendor@example.co.jp"))},
      {"spf=softfail beside dmarc=pass", message(ar(v + "; dmarc=pass header.from=example.co.jp; spf=softfail smtp.mailfrom=vendor@example.co.jp"))},
      {"a second Received: above (the verifier's field is not directly below the MTA's)",
       "Received: by a\r\nReceived: by b\r\n" + ar(v + "; dmarc=pass header.from=example.co.jp") + "From: <vendor@example.co.jp>\r\n\r\n"},
  };
  for (const auto& c : cases) {
    const VerifiedSender s = check(c.raw);
    EXPECT_FALSE(s.dmarc_pass || s.spf_pass) << c.why;
    EXPECT_FALSE(s.why.empty()) << c.why;
  }
  // SPF for a sender whose envelope domain is not the From domain speaks not for From.
  EXPECT_FALSE(verified_sender(message(ar(v + "; spf=pass smtp.mailfrom=bounce@mailer.example")), kVerifier, kFrom, "bounce@mailer.example").spf_pass);
  // No verifier configured: nothing vouches, whatever the header says.
  EXPECT_FALSE(verified_sender(message(ar(v + "; dmarc=pass header.from=example.co.jp")), "", kFrom, kFrom).dmarc_pass);
}

TEST(AuthResults, HeaderFieldsAreUnfoldedInOrderUpToTheBody) {
  const auto fields = header_fields_of("A: 1\r\n\tcont\r\nB:2\nno colon\r\n\r\nC: body\r\n");
  ASSERT_EQ(fields.size(), 3u);
  EXPECT_EQ(fields[0].first, "A");
  EXPECT_EQ(fields[0].second, " 1\r\n\tcont");
  EXPECT_EQ(fields[1].first, "B");
  EXPECT_EQ(fields[2].first, "");
}

}  // namespace
}  // namespace sanso::mail
