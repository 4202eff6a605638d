#include "audit/note.h"

#include <gtest/gtest.h>

namespace sanso::audit {
namespace {

// The reference key and note of Go's golang.org/x/mod/sumdb/note, the implementation auditors'
// tools use: our encoding, key ids and signatures must match it byte for byte.
constexpr const char* kGoSigner = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
constexpr const char* kGoVerifier = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
constexpr const char* kGoText = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
constexpr const char* kGoNote =
    "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n\n"
    "\xE2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";

TEST(SignedNote, MatchesGoReferenceVector) {
  auto signer = parse_signing_key(kGoSigner);
  ASSERT_TRUE(signer) << signer.error().to_string();
  EXPECT_EQ(encode_verifier_key(signer->verifier), kGoVerifier);
  EXPECT_EQ(encode_signing_key(*signer), kGoSigner);
  auto note = sign_note(*signer, kGoText);
  ASSERT_TRUE(note);
  EXPECT_EQ(*note, kGoNote);
  auto verifier = parse_verifier_key(kGoVerifier);
  ASSERT_TRUE(verifier) << verifier.error().to_string();
  auto text = open_note(kGoNote, *verifier);
  ASSERT_TRUE(text) << text.error().to_string();
  EXPECT_EQ(*text, kGoText);
}

TEST(SignedNote, AlteredNotesAndOtherKeysFail) {
  auto verifier = parse_verifier_key(kGoVerifier);
  ASSERT_TRUE(verifier);
  std::string altered = kGoNote;
  altered[3] = 'X';
  auto a = open_note(altered, *verifier);
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().code, "audit.signature");
  auto other = generate_signing_key("city.example.lg.jp/sanso/audit");
  ASSERT_TRUE(other);
  auto b = open_note(kGoNote, other->verifier);
  ASSERT_FALSE(b);
  EXPECT_NE(b.error().message.find("no signature by this key"), std::string::npos);
  EXPECT_FALSE(open_note("no blank line\n", *verifier));
  EXPECT_FALSE(sign_note(*other, "no final newline"));
}

TEST(SignedNote, KeysRoundTripAndBadKeysAreRefused) {
  auto k = generate_signing_key("city.minamata.lg.jp/sanso/audit");
  ASSERT_TRUE(k);
  auto again = parse_signing_key(encode_signing_key(*k) + "\n");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->verifier.public_key, k->verifier.public_key);
  EXPECT_EQ(again->verifier.key_id, k->verifier.key_id);
  EXPECT_FALSE(generate_signing_key("has space"));
  EXPECT_FALSE(generate_signing_key("has+plus"));
  EXPECT_FALSE(parse_verifier_key("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"));  // wrong id
  EXPECT_FALSE(parse_verifier_key("PeterNeumann+c74f20a3+ApALqP"));
  EXPECT_FALSE(parse_signing_key(kGoVerifier));
}

TEST(Checkpoint, FormatsAndParsesTheC2spBody) {
  Checkpoint c{"city.minamata.lg.jp/sanso/audit", 1234, {}, ""};
  c.root.fill(0xab);
  std::string text = format_checkpoint(c);
  EXPECT_EQ(text, "city.minamata.lg.jp/sanso/audit\n1234\nq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=\n");
  auto back = parse_checkpoint(text);
  ASSERT_TRUE(back) << back.error().to_string();
  EXPECT_EQ(back->size, 1234u);
  EXPECT_EQ(back->root, c.root);
  EXPECT_FALSE(parse_checkpoint("origin\n012\nq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=\n"));
  EXPECT_FALSE(parse_checkpoint("origin\n12\nshort=\n"));
  EXPECT_FALSE(parse_checkpoint("origin\n12\n"));
  auto ext = parse_checkpoint(text + "extension line\n");
  ASSERT_TRUE(ext);
  EXPECT_EQ(ext->extensions, "extension line\n");
}

}  // namespace
}  // namespace sanso::audit
