// The words for each finding kind, for notices, reports and the console.
#include <array>

#include "cdr/cdr.h"

namespace sanso::cdr {
namespace {

// Severity, as GMime grades its parser warnings: critical for content that acts or hides a
// program (macros, scripts, launch and open actions, embedded objects and files, remote templates,
// disguised or encrypted files, bombs), warning for a reference outward or a structure the
// rebuild dropped, info for a routine change of the rebuild. The table is in src/cdr/README.md.
struct KindRow {
  FindingKind kind;
  Term term;
  FindingSeverity severity;
};

// One row per enumerator, in their order (checked below), so that an enumerator cannot lack its
// wire name, its labels or its severity.
constexpr KindRow kKindRows[] = {
    {FindingKind::kVbaMacro, {"vba_macro", "VBA マクロ", "VBA macro project"}, FindingSeverity::kCritical},
    {FindingKind::kExcel4Macro, {"excel4_macro", "Excel 4.0 マクロシート", "Excel 4.0 macro sheet"}, FindingSeverity::kCritical},
    {FindingKind::kActivex, {"activex", "ActiveX コントロール", "ActiveX control"}, FindingSeverity::kCritical},
    {FindingKind::kOleObject, {"ole_object", "埋め込み OLE オブジェクト", "embedded OLE object or package"}, FindingSeverity::kCritical},
    {FindingKind::kExternalRelationship, {"external_relationship", "外部への参照", "reference to an external resource"}, FindingSeverity::kWarning},
    {FindingKind::kExternalTemplate, {"external_template", "外部テンプレートの参照", "remote template reference"}, FindingSeverity::kCritical},
    {FindingKind::kExternalLink, {"external_link", "外部ブックへのリンク・DDE リンク", "link to an external workbook or DDE link"}, FindingSeverity::kWarning},
    {FindingKind::kExternalFormula, {"external_formula", "外部参照の数式（値は残します）", "formula referring to another workbook (value kept)"}, FindingSeverity::kWarning},
    {FindingKind::kDdeField, {"dde_field", "DDE フィールド", "DDE field"}, FindingSeverity::kCritical},
    {FindingKind::kRemoteField, {"remote_field", "外部の内容を取り込むフィールド", "field that includes external content"}, FindingSeverity::kCritical},
    {FindingKind::kCustomUi, {"custom_ui", "リボンのカスタマイズ（マクロ呼び出し）", "custom ribbon UI with macro callbacks"}, FindingSeverity::kCritical},
    {FindingKind::kDataConnection, {"data_connection", "外部データ接続", "external data connection"}, FindingSeverity::kWarning},
    {FindingKind::kQueryTable, {"query_table", "Web クエリ・クエリテーブル", "query table"}, FindingSeverity::kWarning},
    {FindingKind::kDigitalSignature, {"digital_signature", "デジタル署名（内容変更により無効になるため削除）", "digital signature (invalid after rebuilding)"}, FindingSeverity::kInfo},
    {FindingKind::kHyperlink, {"hyperlink", "ハイパーリンク（文字は残します）", "hyperlink (text kept)"}, FindingSeverity::kInfo},
    {FindingKind::kRelationship, {"relationship", "削除した部品への参照", "reference to a removed part"}, FindingSeverity::kInfo},
    {FindingKind::kMacroEnabledType, {"macro_enabled_type", "マクロ有効形式をマクロなしの形式に変換", "macro-enabled type converted to the macro-free type"}, FindingSeverity::kInfo},
    {FindingKind::kXmlDtd, {"xml_dtd", "XML の DTD 宣言（エンティティ展開攻撃）", "XML DTD (entity expansion)"}, FindingSeverity::kCritical},
    {FindingKind::kOrphanPart, {"orphan_part", "どこからも参照されていない部品", "package part no relationship or manifest entry accounts for"}, FindingSeverity::kWarning},
    {FindingKind::kPartTypeMismatch, {"part_type_mismatch", "宣言された種類と中身が一致しない部品", "part whose content is not its declared type"}, FindingSeverity::kWarning},
    {FindingKind::kUnsupportedPart, {"unsupported_part", "中身を確かめられない部品（画像でもXMLでもないもの）", "package part whose content cannot be checked (neither a picture nor XML)"}, FindingSeverity::kWarning},
    {FindingKind::kMissingPart, {"missing_part", "存在しない部品への参照", "relationship to a part that does not exist"}, FindingSeverity::kWarning},
    {FindingKind::kUnknownRelationship, {"unknown_relationship", "許可されていない種類の部品・参照", "part or relationship of a type not allowed"}, FindingSeverity::kWarning},
    {FindingKind::kMisplacedRelationship, {"misplaced_relationship", "その部品からは許可されていない種類の参照", "relationship of a type this kind of part may not hold"}, FindingSeverity::kWarning},
    {FindingKind::kUnknownXml, {"unknown_xml", "未知の名前空間の XML 要素・属性", "XML elements or attributes in unknown namespaces"}, FindingSeverity::kWarning},
    {FindingKind::kAltChunk, {"alt_chunk", "文書に取り込まれる別ファイル (altChunk)", "imported document chunk (altChunk)"}, FindingSeverity::kCritical},
    {FindingKind::kMailMerge, {"mail_merge", "差し込み印刷のデータ接続", "mail-merge data source"}, FindingSeverity::kWarning},
    {FindingKind::kWebExtension, {"web_extension", "Office アドイン（Web 拡張）", "Office add-in (web extension)"}, FindingSeverity::kCritical},
    {FindingKind::kEmbeddedFont, {"embedded_font", "埋め込みフォント", "embedded font"}, FindingSeverity::kInfo},
    {FindingKind::kCustomXml, {"custom_xml", "カスタム XML データ", "custom XML data"}, FindingSeverity::kInfo},
    {FindingKind::kPrinterSettings, {"printer_settings", "プリンター設定", "printer settings"}, FindingSeverity::kInfo},
    {FindingKind::kMedia, {"media", "音声・動画", "audio or video"}, FindingSeverity::kInfo},
    {FindingKind::kSubDocument, {"sub_document", "サブ文書・フレームの参照", "subdocument or frame reference"}, FindingSeverity::kWarning},
    {FindingKind::kField, {"field", "許可されていないフィールド（結果の文字は残します）", "field of a type not allowed (result text kept)"}, FindingSeverity::kWarning},
    {FindingKind::kComputedField, {"computed_field", "他のフィールドで組み立てられるフィールド（結果の文字は残します）", "field whose instruction is built by nested fields (result text kept)"}, FindingSeverity::kCritical},
    {FindingKind::kPpaction, {"ppaction", "プログラム・マクロを起動する動作設定", "PowerPoint action that runs a program or macro"}, FindingSeverity::kCritical},
    {FindingKind::kPdfJavascript, {"pdf_javascript", "PDF の JavaScript", "PDF JavaScript"}, FindingSeverity::kCritical},
    {FindingKind::kPdfOpenAction, {"pdf_open_action", "PDF を開いたときの自動動作", "PDF open action"}, FindingSeverity::kCritical},
    {FindingKind::kPdfAdditionalActions, {"pdf_additional_actions", "PDF の自動実行トリガー (/AA)", "PDF additional-action triggers (/AA)"}, FindingSeverity::kCritical},
    {FindingKind::kPdfLaunch, {"pdf_launch", "PDF からのプログラム起動", "PDF launch action"}, FindingSeverity::kCritical},
    {FindingKind::kPdfSubmitForm, {"pdf_submit_form", "PDF フォームの外部送信", "PDF form submission"}, FindingSeverity::kWarning},
    {FindingKind::kPdfImportData, {"pdf_import_data", "PDF フォームへのデータ取り込み", "PDF data import"}, FindingSeverity::kWarning},
    {FindingKind::kPdfRemoteGoto, {"pdf_remote_goto", "他のファイルを開く PDF リンク", "PDF link to another file"}, FindingSeverity::kWarning},
    {FindingKind::kPdfEmbeddedGoto, {"pdf_embedded_goto", "埋め込みファイルへの PDF リンク", "PDF link into an embedded file"}, FindingSeverity::kWarning},
    {FindingKind::kPdfRichMedia, {"pdf_rich_media", "PDF のマルチメディア", "PDF rich media"}, FindingSeverity::kWarning},
    {FindingKind::kPdf3d, {"pdf_3d", "PDF の 3D コンテンツ", "PDF 3D content"}, FindingSeverity::kWarning},
    {FindingKind::kPdfXfa, {"pdf_xfa", "PDF の XFA フォーム", "PDF XFA form"}, FindingSeverity::kCritical},
    {FindingKind::kPdfEmbeddedFile, {"pdf_embedded_file", "PDF の埋め込みファイル", "PDF embedded file"}, FindingSeverity::kCritical},
    {FindingKind::kPdfFileAttachment, {"pdf_file_attachment", "PDF の添付ファイル注釈", "PDF file-attachment annotation"}, FindingSeverity::kCritical},
    {FindingKind::kPdfUri, {"pdf_uri", "PDF の URL リンク", "PDF URI link"}, FindingSeverity::kInfo},
    {FindingKind::kPdfAssociatedFile, {"pdf_associated_file", "PDF 2.0 の関連ファイル (/AF)", "PDF 2.0 associated file (/AF)"}, FindingSeverity::kCritical},
    {FindingKind::kPdfNamedAction, {"pdf_named_action", "PDF のメニュー操作（頁の移動以外）", "PDF named action other than a page move"}, FindingSeverity::kWarning},
    {FindingKind::kPdfUnknownAction, {"pdf_unknown_action", "PDF の未知の種類の動作", "PDF action of an unknown type"}, FindingSeverity::kCritical},
    {FindingKind::kPdfNameTree, {"pdf_name_tree", "PDF の未知の名前ツリー", "PDF name tree of an unknown kind"}, FindingSeverity::kWarning},
    {FindingKind::kPdfExternalStream, {"pdf_external_stream", "外部ファイルから読むストリーム", "PDF stream read from an external file"}, FindingSeverity::kCritical},
    {FindingKind::kPdfEncryptionRemoved, {"pdf_encryption_removed", "空パスワードの PDF 暗号化を解除", "PDF encryption with an empty password removed"}, FindingSeverity::kInfo},
    {FindingKind::kRtfObject, {"rtf_object", "RTF の埋め込みオブジェクト", "RTF embedded object"}, FindingSeverity::kCritical},
    {FindingKind::kRtfField, {"rtf_field", "不明または動的な RTF フィールド（結果の文字は残します）", "RTF field the engine does not know as harmless (its result text kept)"}, FindingSeverity::kWarning},
    {FindingKind::kOdfMacro, {"odf_macro", "Basic マクロ", "Basic macro library"}, FindingSeverity::kCritical},
    {FindingKind::kOdfScript, {"odf_script", "スクリプト・イベント", "script or event listener"}, FindingSeverity::kCritical},
    {FindingKind::kOdfObject, {"odf_object", "埋め込みオブジェクト", "embedded object"}, FindingSeverity::kCritical},
    {FindingKind::kImageMetadata, {"image_metadata", "画像のメタデータ（撮影情報など）", "image metadata (EXIF, XMP, IPTC)"}, FindingSeverity::kInfo},
    {FindingKind::kIccProfile, {"icc_profile", "画像の色プロファイル（ICC、色は sRGB に変換）", "image colour profile (ICC; colours converted to sRGB)"}, FindingSeverity::kInfo},
    {FindingKind::kTrailingData, {"trailing_data", "ファイル末尾の余分なデータ", "data after the end of the file"}, FindingSeverity::kWarning},
    {FindingKind::kImageConverted, {"image_converted", "画像を別の形式に変換", "image converted to another format"}, FindingSeverity::kInfo},
    {FindingKind::kSvgRasterized, {"svg_rasterized", "SVG を画像 (PNG) に変換", "SVG rendered as PNG"}, FindingSeverity::kInfo},
    {FindingKind::kLegacyConverted, {"legacy_converted", "旧形式の Office 文書を新形式 (OOXML) に変換", "legacy Office file converted to OOXML"}, FindingSeverity::kInfo},
    {FindingKind::kRasterized, {"rasterized", "ページを画像化した PDF に変換（最も厳格な無害化）", "pages rendered as images in a new PDF (the strictest mode)"}, FindingSeverity::kInfo},
    {FindingKind::kHtmlConverted, {"html_converted", "HTML をテキストに変換", "HTML converted to text"}, FindingSeverity::kInfo},
    {FindingKind::kFormulaInjection, {"formula_injection", "数式として実行されるセル（先頭に ' を付けました）", "cells a spreadsheet would run as formulas (prefixed with ')"}, FindingSeverity::kCritical},
    {FindingKind::kNulBytes, {"nul_bytes", "NUL 文字", "NUL characters"}, FindingSeverity::kWarning},
    {FindingKind::kCharsetConverted, {"charset_converted", "文字コードを UTF-8 に変換", "text converted to UTF-8"}, FindingSeverity::kInfo},
    {FindingKind::kUndecodableBytes, {"undecodable_bytes", "読めないバイト（〓ではなく U+FFFD に置換）", "undecodable bytes (replaced with U+FFFD)"}, FindingSeverity::kWarning},
    {FindingKind::kUnsafePath, {"unsafe_path", "危険なファイルパス（修正しました）", "unsafe member path (corrected)"}, FindingSeverity::kWarning},
    {FindingKind::kArchiveLink, {"archive_link", "アーカイブ内のリンク・特殊ファイル", "link or special file in an archive"}, FindingSeverity::kWarning},
    {FindingKind::kArchiveConverted, {"archive_converted", "アーカイブを zip に作り直し", "archive rebuilt as zip"}, FindingSeverity::kInfo},
    {FindingKind::kEncrypted, {"encrypted", "パスワード付き（暗号化）ファイル", "password-protected (encrypted) file"}, FindingSeverity::kCritical},
    {FindingKind::kExecutable, {"executable", "実行ファイル・スクリプト", "program or script"}, FindingSeverity::kCritical},
    {FindingKind::kUnknownType, {"unknown_type", "種類を判別できないファイル", "file of unknown type"}, FindingSeverity::kWarning},
    {FindingKind::kExtensionMismatch, {"extension_mismatch", "拡張子と中身が一致しないファイル", "file whose extension contradicts its content"}, FindingSeverity::kCritical},
    {FindingKind::kExtensionNotAllowed, {"extension_not_allowed", "ポリシーで受け渡しを認めていない種類（拡張子）のファイル", "file type (extension) the policy does not deliver"}, FindingSeverity::kWarning},
    {FindingKind::kWindowsName, {"windows_name", "Windows が無視する名前の末尾（点・空白・ストリーム指定）を除去", "trailing dots, spaces or NTFS stream suffix Windows ignores removed from the name"}, FindingSeverity::kInfo},
    {FindingKind::kActiveContent, {"active_content", "除去できない有害な可能性のある内容", "active content that cannot be removed"}, FindingSeverity::kCritical},
    {FindingKind::kUnsupported, {"unsupported", "無害化に対応していない形式", "format the engine does not rebuild"}, FindingSeverity::kWarning},
    {FindingKind::kDeceptiveName, {"deceptive_name", "拡張子を偽装するファイル名", "file name disguising its extension"}, FindingSeverity::kCritical},
    {FindingKind::kLimit, {"limit", "上限を超えるファイル（圧縮爆弾など）", "file beyond a limit (e.g. a decompression bomb)"}, FindingSeverity::kCritical},
    {FindingKind::kMalformed, {"malformed", "壊れているか解析できないファイル", "damaged or unparseable file"}, FindingSeverity::kWarning},
    {FindingKind::kSandboxViolation, {"sandbox_violation", "解析中に禁止された動作（サンドボックス違反）", "forbidden action during parsing (sandbox violation)"}, FindingSeverity::kCritical},
    {FindingKind::kTimeout, {"timeout", "解析が時間内に終わらないファイル", "parsing did not finish in time"}, FindingSeverity::kWarning},
    {FindingKind::kInternal, {"internal", "内部エラー（安全のため止めました）", "internal error (held to be safe)"}, FindingSeverity::kWarning},
    {FindingKind::kVirus, {"virus", "ウイルス検知", "virus detected"}, FindingSeverity::kCritical},
    {FindingKind::kPolicy, {"policy", "ポリシーで認められていない受け渡し", "a transfer the policy does not allow"}, FindingSeverity::kWarning},
    {FindingKind::kEmbeddedFile, {"embedded_file", "テキストに埋め込まれたファイル（uuencode・BinHex・yEnc: 削除しました）", "a file written into the text (uuencode, BinHex, yEnc: removed)"},
     FindingSeverity::kCritical},
};
static_assert(std::size(kKindRows) == kFindingKindCount, "every FindingKind has a row in kKindRows");

constexpr bool rows_in_enum_order() {
  for (std::size_t i = 0; i < std::size(kKindRows); ++i) {
    if (static_cast<std::size_t>(kKindRows[i].kind) != i) return false;
  }
  return true;
}
static_assert(rows_in_enum_order(), "kKindRows lists the kinds in the order of the enumerators");

constexpr std::array<Term, kFindingKindCount> kind_terms() {
  std::array<Term, kFindingKindCount> terms{};
  for (std::size_t i = 0; i < terms.size(); ++i) terms[i] = kKindRows[i].term;
  return terms;
}
constexpr Vocabulary<FindingKind, kFindingKindCount> kFindingKinds{kind_terms(), "a CDR finding kind", "cdr.value"};

// In the order of the enumerators.
constexpr Vocabulary<Verdict, 3> kVerdicts{{{
                                               {"clean", "変更なし", "clean"},
                                               {"sanitized", "無害化済み", "sanitized"},
                                               {"blocked", "遮断", "blocked"},
                                           }},
                                           "a CDR verdict",
                                           "cdr.value"};
constexpr Vocabulary<FindingAction, 5> kFindingActions{{{
                                                           {"removed", "削除", "removed"},
                                                           {"neutralised", "無効化", "neutralised"},
                                                           {"converted", "変換", "converted"},
                                                           {"blocked", "遮断", "blocked"},
                                                           {"held for approval", "承認待ちで保留", "held for approval"},
                                                       }},
                                                       "a finding action",
                                                       "cdr.value"};

}  // namespace

std::string_view to_string(Verdict v) { return kVerdicts.name(v); }
std::string_view label(Verdict v, std::string_view lang) { return kVerdicts.label(v, lang); }
Result<Verdict> parse_verdict(std::string_view text, std::string_view where) { return kVerdicts.parse(text, where); }
std::string_view to_string(FindingAction a) { return kFindingActions.name(a); }
std::string_view label(FindingAction a, std::string_view lang) { return kFindingActions.label(a, lang); }
Result<FindingAction> parse_finding_action(std::string_view text, std::string_view where) { return kFindingActions.parse(text, where); }

std::string_view to_string(FindingKind kind) { return kFindingKinds.name(kind); }
std::string_view label(FindingKind kind, std::string_view lang) { return kFindingKinds.label(kind, lang); }
Result<FindingKind> parse_finding_kind(std::string_view text, std::string_view where) { return kFindingKinds.parse(text, where); }
FindingSeverity severity_of(FindingKind kind) { return kKindRows[static_cast<std::size_t>(kind)].severity; }

FindingKind finding_kind_of(std::string_view reason) {
  std::string name(reason);
  for (char& c : name) c = c == '-' ? '_' : c;
  auto kind = kFindingKinds.parse(name, "");
  // Every reason the engine writes has its kind; anything else is the engine's own fault.
  return kind ? *kind : FindingKind::kInternal;
}

std::vector<FindingKind> finding_kinds() {
  std::vector<FindingKind> out;
  for (const auto& row : kKindRows) out.push_back(row.kind);
  return out;
}

}  // namespace sanso::cdr
