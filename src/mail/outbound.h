// The checks on mail leaving LGWAN for the internet (clause 6(2), 6(3)②): the classification the
// sender marked (a subject tag such as 【機密性2】, an X-Classification header, a mark standing on its
// own in the body, an attachment's name or its text; the highest counts), and 個人番号 /
// 法人番号 in the subject and every leaf part (the body, the HTML alternative, inline parts,
// forwarded messages, TNEF's files, files written into a text), every header field (those that
// name messages: outside their msg-ids, and a 12-digit run inside one), every multipart's preamble and
// epilogue, and the envelope (scan_envelope). Parsing runs in the sandbox.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "cdr/cdr.h"
#include "core/result.h"
#include "mail/vocabulary.h"
#include "sandbox/sandbox.h"

namespace sanso::mail {

struct OutboundFinding {
  NumberKind kind = NumberKind::kIndividual;
  std::string masked;  // last four digits only
  std::string where;   // "subject", "body", "本文(HTML)", an attachment's name, "部分2(text/csv)", "転送メール(2)/body", "winmail.dat/a.xls"
};

// A file whose text the sandboxed scan cannot read itself: a PDF's text comes from pdftotext, another
// program, which a sandboxed child may not start.
struct UnreadFile {
  std::string name;
  std::string bytes;
  std::vector<cdr::PdfPage> pages;  // a PDF's pages of pictures (its "name/pages" entry unchecked): read rendered, by OCR, each at its dpi
  std::string digest{};              // a PDF's SHA-256: its "pages" entry is the one of these bytes, not another PDF's of the same name
  bool drawing = false;              // a picture that is a Windows metafile: rendered (cdr::metafile_picture), then read by OCR
  std::vector<cdr::GlyphSheet> glyph_sheets{};  // a PDF's fonts whose glyphs only OCR can tell: read first, they may add pages
};

// A file, or a member of an archive, whose text the check could not read (an image, an unknown or
// encrypted file, a limit, a parser error, a timeout): it cannot be checked, and never passes as clean.
struct UncheckedFile {
  std::string where;  // "a.zip/b.png"
  std::string why;    // "image: …", "encrypted: …", "limit: …", "timeout: …"
  std::string pdf{};  // a PDF's "pages" entry: that PDF's UnreadFile::digest; "" for any other entry
};

// Every name in a scan that scan_outbound or scan_outbound_sandboxed returns (the subject, the
// sender, where a finding or a mark is, the files it could not read and why, the attachments, the
// error) has its 個人番号 / 法人番号 masked (mask_identification_numbers): what reads a scan may
// write it into a reason, a record or a notice as it is.
struct OutboundScan {
  std::string subject, from, message_id;
  std::string classification;        // the highest marked level ("2", "3B"); "" when unmarked
  std::size_t classification_rank = 0;  // its place in the scheme (1 = lowest; 0 unmarked): scans merge without the levels
  std::string classification_where;  // where that mark is: "subject", "X-Classification", "body", a file's name
  std::vector<OutboundFinding> identifiers;
  std::vector<std::string> attachments;
  std::vector<UnreadFile> pdfs;  // left for scan_outbound_sandboxed to read outside the scanner
  std::vector<UnreadFile> pictures;  // likewise, by OCR (cdr::picture_text); each also in `unchecked` until read
  std::vector<UncheckedFile> unchecked;  // files whose text could not be read: the decision treats them as unreadable
  std::string error;  // set when the message could not be read (the gateway fails closed)
  std::size_t ocr_passes = 0;  // pictures, pages and glyph sheets read by OCR outside the scanner (scan_outbound_sandboxed)
};

// The SMTP envelope's addresses, which leave with the message but are in no header (a Bcc
// recipient, a bounce address): read as text for 個人番号 / 法人番号, each a finding like a
// header's, named "エンベロープ送信者" / "エンベロープ宛先" — a number in a recipient's local part
// ("123456789018@example.com") is as much sent as one in the body. No parsing: the milter hands
// the addresses over as strings, so this runs beside the sandboxed scan, not in it.
void scan_envelope(OutboundScan& scan, std::string_view sender, const std::vector<std::string>& recipients);

// `levels` are the confidentiality levels of the policy's scheme ("1", "2", "3C", …).
OutboundScan scan_outbound(std::string_view raw, const std::vector<std::string>& levels);
// scan_outbound under `levels` as sandboxed work, for an executor (sandbox::start).
sandbox::Task outbound_scan_task(const std::vector<std::string>& levels);
// The outgoing check's time budget: the scan and every PDF's pdftotext run must end within it, and
// the milter answers Postfix well inside its milter_content_timeout (300 s, docs/postfix.md) — the
// first scan (at most 60 s, the scanner's limit) and the PDFs' runs are inside this budget; a
// last re-scan started before it ends has its own 60 s, so the worst case is 180 s.
constexpr std::chrono::milliseconds kOutgoingCheckBudget = std::chrono::seconds(120);

// scan_outbound through `scanner`, an executor of outbound_scan_task, then the text of each PDF
// (cdr::pdf_text in the converter sandbox, the attachments' own and those inside archives) through
// `scanner` again: a PDF's marks and numbers count as the file's own. A scan that does not come back
// sets `error`; a PDF whose text cannot be read, or that the budget leaves unread, is `unchecked`.
// Pictures are read by OCR (cdr::picture_text) under PictureReading::kOcr; under kHold none is, and
// each stays unchecked with the setting named.
OutboundScan scan_outbound_sandboxed(sandbox::Executor& scanner, std::string_view raw, std::chrono::milliseconds budget = kOutgoingCheckBudget,
                                     PictureReading pictures = PictureReading::kOcr);
// Why a scan with `unchecked` files holds or refuses what carries them: "本文を確認できない添付ファイル…"
// with each file's name and why.
std::string unchecked_reason(const OutboundScan& scan);

// The message the scan reads for one file on its own (a transfer, an upload through the proxy): the
// file as its attachment, its name also as the subject (a 【機密性2】 in a name marks it there too).
std::string message_carrying(std::string_view bytes, std::string_view name);

std::string scan_to_json(const OutboundScan& scan);
Result<OutboundScan> scan_from_json(std::string_view json);

}  // namespace sanso::mail
